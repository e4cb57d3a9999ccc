"""Reductions: sum, mean, var, std, max, min, argmax, argmin, logsumexp, prod, cumsum.

Each takes `dim` (an int or a tuple; `axis` is accepted) and `keepdim` (`keepdims`).
Gradients of max/min are split evenly among tied elements (PyTorch's amax/amin rule).
"""
from __future__ import annotations

import math
from collections import namedtuple
from typing import Any

import numpy as np

from ..graph import Op, apply, register
from ..tensor import Tensor
from ._util import norm_axes, norm_axis, pick
from .elementwise import exp, sqrt, where
from .shape import expand_to, flip, reshape, reshape_to, sum_to

MaxResult = namedtuple("MaxResult", ["values", "indices"])


def _axes(op: str, input: Tensor, dim: Any, axis: Any) -> tuple | None:
    return norm_axes(op, pick(op, dim, axis), input.ndim)


def _keep(op: str, keepdim: Any, keepdims: Any) -> bool:
    return bool(pick(op, keepdim, keepdims, False))


def _kept_shape(shape: tuple, axes: tuple | None) -> tuple:
    """`shape` with the reduced axes set to 1 (what keepdim=True gives)."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _spread(g: Tensor, ctx: Any) -> Tensor:
    """Broadcast a reduction's gradient back over the reduced axes."""
    if g._data.ndim:   # (a 0-d gradient broadcasts as it is)
        g = reshape_to(g, _kept_shape(ctx.in_shape, ctx.axes))
    return expand_to(g, ctx.in_shape)


class Sum(Op):
    """Sum over `axes`;  the gradient is broadcast back."""
    name = "Sum"
    save_inputs = False

    @staticmethod
    def forward(ctx, x, axes, keepdims):
        ctx.in_shape, ctx.axes = x.shape, axes
        return np.add.reduce(x, axis=axes, keepdims=keepdims)   # np.sum minus its wrapper

    @staticmethod
    def backward(ctx, g):
        return _spread(g, ctx)


@register("sum")
def sum(input: Tensor, dim: Any = None, keepdim: Any = None, *, axis: Any = None,
        keepdims: Any = None, dtype: Any = None) -> Tensor:
    """Sum of elements over `dim` (all when None)."""
    x = input if dtype is None else input.to(dtype)
    return apply(Sum, x, axes=_axes("sum", x, dim, axis), keepdims=_keep("sum", keepdim, keepdims))


class Mean(Op):
    """Mean over `axes`;  the gradient is broadcast back divided by the count."""
    name = "Mean"
    save_inputs = False

    @staticmethod
    def forward(ctx, x, axes, keepdims):
        ctx.in_shape, ctx.axes = x.shape, axes
        ctx.count = n = x.size if axes is None else math.prod(x.shape[a] for a in axes)
        # np.mean's own steps without its wrapper: float16 sums in float32
        total = np.add.reduce(x, axis=axes, keepdims=keepdims,
                              dtype=np.float32 if x.dtype == np.float16 else None)
        if type(total) is not np.ndarray:
            return (total / n).astype(x.dtype)
        return np.true_divide(total, n, out=total, casting="unsafe").astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        return _spread(g / ctx.count, ctx)


@register("mean")
def mean(input: Tensor, dim: Any = None, keepdim: Any = None, *, axis: Any = None,
         keepdims: Any = None) -> Tensor:
    """Mean of elements over `dim` (all when None)."""
    if input.dtype.kind not in "fc":
        raise RuntimeError(f"mean: could not infer output dtype; input dtype {input.dtype} "
                           f"is not floating point, use .float() first")
    return apply(Mean, input, axes=_axes("mean", input, dim, axis),
                 keepdims=_keep("mean", keepdim, keepdims))


class Var(Op):
    """Variance with `correction` (1: unbiased, PyTorch's default);
    d/dx = 2 (x - mean) / (N - correction)."""
    name = "Var"

    @staticmethod
    def forward(ctx, x, axes, correction, keepdims):
        ctx.in_shape, ctx.axes = x.shape, axes
        n = x.size if axes is None else int(np.prod([x.shape[a] for a in axes]))
        ctx.denom = n - correction
        return np.var(x, axis=axes, ddof=correction, keepdims=keepdims)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.inputs
        centered = x - mean(x, ctx.axes, keepdim=True) if ctx.axes is not None else x - mean(x)
        return _spread(g, ctx) * centered * (2.0 / ctx.denom)


def _correction(op: str, unbiased: Any, correction: Any, ddof: Any) -> int:
    if correction is None and ddof is not None:
        correction = ddof
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    return int(correction)


@register("var")
def var(input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: Any = None, *,
        correction: Any = None, axis: Any = None, keepdims: Any = None,
        ddof: Any = None) -> Tensor:
    """Variance over `dim`, unbiased by default like PyTorch (NumPy's `ddof` accepted)."""
    if isinstance(dim, bool):  # torch.var(x, False): the old positional `unbiased`
        dim, unbiased = None, dim
    return apply(Var, input, axes=_axes("var", input, dim, axis),
                 correction=_correction("var", unbiased, correction, ddof),
                 keepdims=_keep("var", keepdim, keepdims))


@register("std")
def std(input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: Any = None, *,
        correction: Any = None, axis: Any = None, keepdims: Any = None,
        ddof: Any = None) -> Tensor:
    """Standard deviation: sqrt(var), unbiased by default like PyTorch."""
    return sqrt(var(input, dim, unbiased, keepdim, correction=correction, axis=axis,
                    keepdims=keepdims, ddof=ddof))


class Amax(Op):
    """Max over `axes`; the gradient is split evenly among the tied maxima."""
    name = "Amax"
    save_inputs = False
    ufunc = staticmethod(np.max)

    @classmethod
    def forward(cls, ctx, x, axes, keepdims):
        ctx.in_shape, ctx.axes = x.shape, axes
        if x.size == 0:
            raise ValueError(f"{cls.name.lower()}: expected a non-empty tensor")
        out = cls.ufunc(x, axis=axes, keepdims=True)
        hit = x == out
        ctx.save(hit / hit.sum(axis=axes, keepdims=True))
        return out if keepdims else out.reshape(_reduced_shape(x.shape, axes))

    @staticmethod
    def backward(ctx, g):
        (share,) = ctx.extra
        return _spread(g, ctx) * share.astype(g.dtype)


class Amin(Amax):
    """Min over `axes`; the gradient is split evenly among the tied minima."""
    name = "Amin"
    ufunc = staticmethod(np.min)


class ArgReduce(Op):
    """Index of the max (or min) along one axis; not differentiable."""
    name = "Argmax"
    differentiable = False
    save_inputs = False

    @staticmethod
    def forward(ctx, x, axis, keepdims, smallest):
        f = np.argmin if smallest else np.argmax
        if axis is None:
            out = np.asarray(f(x))
            return out.reshape((1,) * x.ndim) if keepdims else out
        return f(x, axis=axis, keepdims=keepdims)


def _extreme(op: str, cls: type, input: Tensor, dim: Any, keepdim: Any, axis: Any,
             keepdims: Any, other: Any) -> Any:
    if isinstance(dim, Tensor):   # torch.max(a, b) is the elementwise maximum
        other, dim = dim, None
    if other is not None:
        from .elementwise import maximum, minimum
        return (maximum if cls is Amax else minimum)(input, other)
    d = pick(op, dim, axis)
    keep = _keep(op, keepdim, keepdims)
    values = apply(cls, input, axes=norm_axes(op, d, input.ndim), keepdims=keep)
    if d is None or not isinstance(d, (int, np.integer)):
        return values
    indices = apply(ArgReduce, input, axis=norm_axis(op, d, input.ndim), keepdims=keep,
                    smallest=cls is Amin)
    return MaxResult(values, indices)


@register("max")
def max(input: Tensor, dim: Any = None, keepdim: Any = None, *, axis: Any = None,
        keepdims: Any = None, other: Any = None) -> Any:
    """The maximum; with an int `dim`, the pair (values, indices) like PyTorch."""
    return _extreme("max", Amax, input, dim, keepdim, axis, keepdims, other)


@register("min")
def min(input: Tensor, dim: Any = None, keepdim: Any = None, *, axis: Any = None,
        keepdims: Any = None, other: Any = None) -> Any:
    """The minimum; with an int `dim`, the pair (values, indices) like PyTorch."""
    return _extreme("min", Amin, input, dim, keepdim, axis, keepdims, other)


@register("amax")
def amax(input: Tensor, dim: Any = None, keepdim: Any = None, *, axis: Any = None,
         keepdims: Any = None) -> Tensor:
    """Maximum values over `dim` (any number of dims), gradient split among ties."""
    return apply(Amax, input, axes=_axes("amax", input, dim, axis),
                 keepdims=_keep("amax", keepdim, keepdims))


@register("amin")
def amin(input: Tensor, dim: Any = None, keepdim: Any = None, *, axis: Any = None,
         keepdims: Any = None) -> Tensor:
    """Minimum values over `dim` (any number of dims), gradient split among ties."""
    return apply(Amin, input, axes=_axes("amin", input, dim, axis),
                 keepdims=_keep("amin", keepdim, keepdims))


def _arg(op: str, input: Tensor, dim: Any, keepdim: Any, axis: Any, keepdims: Any) -> Tensor:
    d = pick(op, dim, axis)
    if input.data.size == 0:
        raise ValueError(f"{op}: expected a non-empty tensor")
    return apply(ArgReduce, input, axis=None if d is None else norm_axis(op, d, input.ndim),
                 keepdims=_keep(op, keepdim, keepdims), smallest=op == "argmin")


@register("argmax")
def argmax(input: Tensor, dim: Any = None, keepdim: Any = None, *, axis: Any = None,
           keepdims: Any = None) -> Tensor:
    """Index of the maximum (of the flattened tensor when dim is None); int64, no grad."""
    return _arg("argmax", input, dim, keepdim, axis, keepdims)


@register("argmin")
def argmin(input: Tensor, dim: Any = None, keepdim: Any = None, *, axis: Any = None,
           keepdims: Any = None) -> Tensor:
    """Index of the minimum (of the flattened tensor when dim is None); int64, no grad."""
    return _arg("argmin", input, dim, keepdim, axis, keepdims)


class Logsumexp(Op):
    """log(sum(exp(x))) computed stably;  d/dx = softmax(x) = exp(x - out)."""
    name = "Logsumexp"
    save_output = True

    @staticmethod
    def forward(ctx, x, axes, keepdims):
        ctx.in_shape, ctx.axes = x.shape, axes
        if x.size:
            m = np.maximum.reduce(x, axis=axes, keepdims=True)
            m = np.where(np.isfinite(m), m, 0)
        else:
            m = np.zeros((1,) * x.ndim, x.dtype)
        e = np.subtract(x, m)
        e = np.exp(e, out=e) if type(e) is np.ndarray else np.exp(e)
        out = np.add.reduce(e, axis=axes, keepdims=True)
        out = np.log(out, out=out) if type(out) is np.ndarray else np.log(out)
        out += m
        return out if keepdims else out.reshape(_reduced_shape(x.shape, axes))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.inputs
        return apply(LogsumexpBackward, g, x, ctx.output,
                     kept=_kept_shape(ctx.in_shape, ctx.axes))


class LogsumexpBackward(Op):
    """g exp(x - out), logsumexp's gradient, in one pass over one buffer; g and out
    come with the reduced axes dropped or kept, and broadcast as `kept` shapes.
    d/dg = exp(x - out) summed over the reduced axes,  d/dx = the result,
    d/dout = minus the result summed likewise."""
    name = "LogsumexpBackward"
    save_output = True

    @staticmethod
    def forward(ctx, g, x, out, kept):
        ctx.kept = kept
        y = np.subtract(x, np.reshape(out, kept))
        g = np.reshape(g, kept)
        if type(y) is not np.ndarray or y.dtype != np.result_type(y, g):
            return np.exp(y) * g   # 0-d, or a wider g: no reuse
        np.exp(y, out=y)
        y *= g
        return y

    @staticmethod
    def backward(ctx, gg):
        g, x, out = ctx.inputs
        need_g, need_x, need_out = ctx.needs_input_grad
        y, kept = ctx.output, ctx.kept
        return (reshape_to(sum_to(gg * exp(x - reshape_to(out, kept)), kept), g.shape)
                if need_g else None,
                gg * y if need_x else None,
                reshape_to(sum_to(-(gg * y), kept), out.shape) if need_out else None)


def _reduced_shape(shape: tuple, axes: tuple | None) -> tuple:
    """`shape` with the reduced axes removed (what keepdim=False gives)."""
    if axes is None:
        return ()
    return tuple(n for i, n in enumerate(shape) if i not in axes)


@register("logsumexp")
def logsumexp(input: Tensor, dim: Any = None, keepdim: Any = None, *, axis: Any = None,
              keepdims: Any = None) -> Tensor:
    """log(sum(exp(input))) over `dim`, without overflow."""
    return apply(Logsumexp, input, axes=_axes("logsumexp", input, dim, axis),
                 keepdims=_keep("logsumexp", keepdim, keepdims))


class Prod(Op):
    """Product over `axes`.  d/dx_i = product of the others; with zeros: the product of
    the non-zero others at a lone zero, 0 elsewhere (as PyTorch)."""
    name = "Prod"
    save_output = True

    @staticmethod
    def forward(ctx, x, axes, keepdims):
        ctx.in_shape, ctx.axes, ctx.keepdims = x.shape, axes, keepdims
        return np.prod(x, axis=axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.inputs
        kept = _kept_shape(ctx.in_shape, ctx.axes)
        out = reshape(ctx.output, kept)
        zero = x.data == 0
        if not zero.any():
            return _spread(g, ctx) * out / x
        zeros = zero.sum(axis=ctx.axes, keepdims=True)
        safe = where(zero, 1.0, x)
        nonzero_prod = prod(safe, ctx.axes, keepdim=True)
        at_zero = where(zeros == 1, nonzero_prod, 0.0)
        return _spread(g, ctx) * where(zero, at_zero, out / safe)


@register("prod")
def prod(input: Tensor, dim: Any = None, keepdim: Any = None, *, axis: Any = None,
         keepdims: Any = None) -> Tensor:
    """Product of elements over `dim` (all when None)."""
    return apply(Prod, input, axes=_axes("prod", input, dim, axis),
                 keepdims=_keep("prod", keepdim, keepdims))


class Cumsum(Op):
    """Running sum along `axis`;  backward is the reversed running sum of the gradient."""
    name = "Cumsum"
    save_inputs = False

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        return np.cumsum(x, axis=axis)

    @staticmethod
    def backward(ctx, g):
        return flip(cumsum(flip(g, ctx.axis), ctx.axis), ctx.axis)


@register("cumsum")
def cumsum(input: Tensor, dim: Any = None, *, axis: Any = None) -> Tensor:
    """Cumulative sum along `dim`."""
    d = pick("cumsum", dim, axis)
    if d is None:
        raise TypeError("cumsum: missing required argument 'dim'")
    if input.ndim == 0:
        return apply(Cumsum, reshape(input, 1), axis=0).reshape(())
    return apply(Cumsum, input, axis=norm_axis("cumsum", d, input.ndim))
