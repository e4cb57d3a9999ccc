"""Reductions: sum, mean, var, std, max, min, argmax, argmin, logsumexp, prod, cumsum.

Each takes `dim` (an int or a tuple; `axis` is accepted) and `keepdim` (`keepdims`);
as in PyTorch, `dim=()` reduces over everything and a 0-d input takes dim 0 or -1.
Gradients of max/min are split evenly among tied elements (PyTorch's amax/amin rule);
a NaN is the max (and min) of its slice, and max/min send the gradient to it.
"""
from __future__ import annotations

import math
import warnings
from collections import namedtuple
from typing import Any

import numpy as np

from ..dtypes import get_default_dtype
from ..grad_mode import STATE
from ..graph import Op, apply, register
from ..tensor import Tensor
from ._util import norm_axes, norm_axis, pick
from .elementwise import exp, where
from .shape import expand_to, flip, reshape, reshape_to, sum_to

MaxResult = namedtuple("MaxResult", ["values", "indices"])


def _axes(op: str, input: Tensor, dim: Any, axis: Any = None) -> tuple | None:
    """The reduced axes, None for all: dim None or () (PyTorch), or any dim of a 0-d input."""
    axes = norm_axes(op, pick(op, dim, axis), input._data.ndim)
    return axes if axes and input._data.ndim else None


def _count(shape: tuple, axes: tuple | None) -> int:
    """How many elements each reduced slice has."""
    return math.prod(shape) if axes is None else math.prod(shape[a] for a in axes)


def _accumulating(op: str, input: Tensor, dtype: Any) -> Tensor:
    """`input` in the dtype sum/prod/cumsum work in: `dtype` when given (PyTorch casts
    first), else int64 for unsigned integers as PyTorch does (NumPy would give uint64)."""
    if dtype is None:
        if input.dtype.kind != "u":
            return input
        dtype = np.int64
    return _cast(op, input, dtype)


def _in_dtype(out: Tensor, dtype: Any) -> Tensor:
    """`out` in an explicit `dtype` (NumPy widens small integer sums to int64; PyTorch
    keeps the dtype asked for, wrapping around)."""
    return out if dtype is None or out.dtype == dtype else out.to(dtype)


def _cast(op: str, input: Tensor, dtype: Any) -> Tensor:
    """`input.to(dtype)` for a `dtype=` argument; a non-floating dtype would silently cut
    the graph, so like PyTorch it raises when the input requires grad."""
    dtype = np.dtype(dtype)
    if dtype.kind not in "fc" and input.requires_grad and STATE.enabled:
        raise RuntimeError(f"{op}: dtype={dtype} is not differentiable, but the input "
                           f"requires grad (cast it yourself under no_grad, or detach it)")
    return input.to(dtype)


def _check_nonempty(op: str, shape: tuple, axes: tuple | None, all_error: type) -> None:
    """An extreme (or its index) over an empty slice does not exist: raise like PyTorch.
    Called only for empty inputs; reducing empty tensors over non-empty dims is fine."""
    if axes is None:
        raise all_error(f"{op}(): Expected reduction dim to be specified for input.numel() "
                        f"== 0 (input shape {shape}). Specify the reduction dim with the "
                        f"'dim' argument.")
    for a in axes:
        if shape[a] == 0:
            raise IndexError(f"{op}(): Expected reduction dim {a} to have non-zero size "
                             f"(input shape {shape}).")


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
    """Sum of elements over `dim` (all when None); integers and bools sum as int64."""
    x = input if dtype is None and input._data.dtype.kind != "u" else \
        _accumulating("sum", input, dtype)
    out = apply(Sum, x, axes=_axes("sum", x, dim, axis), keepdims=_keep("sum", keepdim, keepdims))
    return out if dtype is None else _in_dtype(out, dtype)


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
         keepdims: Any = None, dtype: Any = None) -> Tensor:
    """Mean of elements over `dim` (all when None), of a floating input or in a floating
    `dtype` (the input is cast to it first, as in PyTorch)."""
    if dtype is not None:
        if np.dtype(dtype).kind not in "fc":
            raise RuntimeError(f"mean: could not infer output dtype; dtype={np.dtype(dtype)} "
                               f"is not floating point")
        input = input.to(dtype)
    elif input.dtype.kind not in "fc":
        raise RuntimeError(f"mean: could not infer output dtype; input dtype {input.dtype} "
                           f"is not floating point, use .float() or dtype= first")
    return apply(Mean, input, axes=_axes("mean", input, dim, axis),
                 keepdims=_keep("mean", keepdim, keepdims))


class Var(Op):
    """Variance with `correction` (1: unbiased, PyTorch's default);
    d/dx = 2 (x - mean) / (N - correction)."""
    name = "Var"

    @staticmethod
    def forward(ctx, x, axes, correction, keepdims):
        ctx.in_shape, ctx.axes = x.shape, axes
        ctx.dof = _count(x.shape, axes) - correction
        if ctx.dof > 0:
            return np.var(x, axis=axes, ddof=correction, keepdims=keepdims)
        with warnings.catch_warnings():   # inf or nan, as in PyTorch, which warns itself
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.var(x, axis=axes, ddof=correction, keepdims=keepdims)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.inputs
        return _var_grad(_spread(g, ctx), x, ctx)


def _var_grad(g: Tensor, x: Tensor, ctx: Any) -> Tensor:
    """PyTorch's var_backward for the gradient `g` spread over x's shape.  With
    N - correction <= 0 (variance inf or nan) it follows PyTorch exactly: over all
    elements, a constant inf (nan where x equals the mean); over given dims, the usual
    formula with 2 / 0 = inf (and, for a negative N - correction, a negative factor)."""
    dof = ctx.dof
    if dof <= 0 and ctx.axes is None:
        xd = x.data
        return g * np.where(xd == xd.mean(), np.nan, np.inf).astype(xd.dtype)
    centered = x - mean(x, ctx.axes, keepdim=True) if ctx.axes is not None else x - mean(x)
    return g * centered * (2.0 / dof if dof else math.inf)


class Std(Op):
    """Standard deviation sqrt(var);  d/dx = d var/dx / (2 std), and 0 where the std is 0
    (PyTorch's masked rule: a constant slice gets gradient 0, not nan)."""
    name = "Std"
    save_output = True

    @staticmethod
    def forward(ctx, x, axes, correction, keepdims):
        return np.sqrt(Var.forward(ctx, x, axes, correction, keepdims))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.inputs
        out = ctx.output
        zero = out.data == 0
        if zero.any():   # constant masks: the second derivative there is 0 too
            g = where(zero, 0.0, g / (2 * where(zero, 1.0, out)))
        else:
            g = g / (2 * out)
        return _var_grad(_spread(g, ctx), x, ctx)


def _var_args(op: str, input: Tensor, dim: Any, unbiased: Any, keepdim: Any,
              correction: Any, axis: Any, keepdims: Any, ddof: Any) -> dict:
    """var's and std's arguments as the params of Var/Std (with PyTorch's checks)."""
    if input.dtype.kind not in "fc":
        raise RuntimeError(f"{op}: std and var only support floating point and complex "
                           f"dtypes, got {input.dtype}")
    if isinstance(dim, bool):  # torch.var(x, False): the old positional `unbiased`
        dim, unbiased = None, dim
    correction = pick(op, correction, ddof)
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    elif unbiased is not None:
        raise TypeError(f"{op}: got both unbiased={unbiased!r} and correction="
                        f"{correction!r}; pass one")
    else:
        correction = float(correction)
        correction = int(correction) if correction.is_integer() else correction
    axes = _axes(op, input, dim, axis)
    if _count(input.shape, axes) - correction <= 0:
        warnings.warn(f"{op}(): degrees of freedom is <= 0. Correction should be strictly "
                      f"less than the reduction factor (input numel divided by output "
                      f"numel).", UserWarning, stacklevel=3)
    return dict(axes=axes, correction=correction, keepdims=_keep(op, keepdim, keepdims))


@register("var")
def var(input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: Any = None, *,
        correction: Any = None, axis: Any = None, keepdims: Any = None,
        ddof: Any = None) -> Tensor:
    """Variance over `dim`, unbiased by default like PyTorch (NumPy's `ddof` accepted)."""
    return apply(Var, input, **_var_args("var", input, dim, unbiased, keepdim, correction,
                                         axis, keepdims, ddof))


@register("std")
def std(input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: Any = None, *,
        correction: Any = None, axis: Any = None, keepdims: Any = None,
        ddof: Any = None) -> Tensor:
    """Standard deviation over `dim`, unbiased by default like PyTorch; its gradient is
    0 where it is 0."""
    return apply(Std, input, **_var_args("std", input, dim, unbiased, keepdim, correction,
                                         axis, keepdims, ddof))


class Amax(Op):
    """Max over `axes`; the gradient is split evenly among the tied maxima.  A slice
    holding NaN has max NaN: with `nan_ties` (max/min) its NaNs are the tied maxima, as
    in PyTorch's max(); without (amax/amin) its gradient is NaN, as in PyTorch's amax."""
    name = "Amax"
    save_inputs = False
    ufunc = staticmethod(np.max)

    @classmethod
    def forward(cls, ctx, x, axes, keepdims, nan_ties=False):
        ctx.in_shape, ctx.axes = x.shape, axes
        out = cls.ufunc(x, axis=axes, keepdims=True)
        hit = x == out
        if nan_ties and out.dtype.kind in "fc":
            nan = np.isnan(out)
            if nan.any():
                hit = hit | np.isnan(x) & nan
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
    axes = _axes(op, input, d)
    if input._data.size == 0:
        _check_nonempty(op, input.shape, axes, RuntimeError)
    values = apply(cls, input, axes=axes, keepdims=keep, nan_ties=True)
    if d is None or not isinstance(d, (int, np.integer)):
        return values
    indices = apply(ArgReduce, input, axis=None if axes is None else axes[0],
                    keepdims=keep, smallest=cls is Amin)
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
    return _amax("amax", Amax, input, dim, keepdim, axis, keepdims)


@register("amin")
def amin(input: Tensor, dim: Any = None, keepdim: Any = None, *, axis: Any = None,
         keepdims: Any = None) -> Tensor:
    """Minimum values over `dim` (any number of dims), gradient split among ties."""
    return _amax("amin", Amin, input, dim, keepdim, axis, keepdims)


def _amax(op: str, cls: type, input: Tensor, dim: Any, keepdim: Any, axis: Any,
          keepdims: Any) -> Tensor:
    axes = _axes(op, input, dim, axis)
    if input._data.size == 0:
        _check_nonempty(op, input.shape, axes, RuntimeError)
    return apply(cls, input, axes=axes, keepdims=_keep(op, keepdim, keepdims))


def _arg(op: str, input: Tensor, dim: Any, keepdim: Any, axis: Any, keepdims: Any) -> Tensor:
    d = pick(op, dim, axis)
    ax = None if d is None else norm_axis(op, d, input.ndim)
    if not input.ndim:   # (dim 0 or -1 of a 0-d input: the whole of it)
        ax = None
    if input._data.size == 0:
        _check_nonempty(op, input.shape, None if ax is None else (ax,), IndexError)
    return apply(ArgReduce, input, axis=ax, keepdims=_keep(op, keepdim, keepdims),
                 smallest=op == "argmin")


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
    """log(sum(exp(input))) over `dim`, without overflow; integer and bool inputs are
    computed in the default float dtype, as in PyTorch."""
    if input.dtype.kind not in "fc":
        input = input.to(get_default_dtype())
    return apply(Logsumexp, input, axes=_axes("logsumexp", input, dim, axis),
                 keepdims=_keep("logsumexp", keepdim, keepdims))


class Prod(Op):
    """Product over `axes`.  d/dx_i = the product of the others, also with zeros (then
    0 except at a lone zero of its slice).  That backward is itself differentiable:
    second derivatives are exact with any number of zeros; third and higher ones in
    slices with three or more zeros come out 0."""
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
        # At a zero: the product of the non-zero elements times that of the other zeros,
        # which is 1 with one zero in the slice, the other zero (written S - x_i, S the
        # sum over the zeros, so the Hessian sees it) with two, and 0 with more.
        zeros = zero.sum(axis=ctx.axes, keepdims=True)
        safe = where(zero, 1.0, x)
        other_zeros = (zeros == 1).astype(x.dtype)
        if (zeros == 2).any():
            zero_sum = sum(where(zero, x, 0.0), ctx.axes, keepdim=True)
            other_zeros = where(zeros == 2, zero_sum - x, other_zeros)
        at_zero = prod(safe, ctx.axes, keepdim=True) * other_zeros
        return _spread(g, ctx) * where(zero, at_zero, out / safe)


@register("prod")
def prod(input: Tensor, dim: Any = None, keepdim: Any = None, *, axis: Any = None,
         keepdims: Any = None, dtype: Any = None) -> Tensor:
    """Product of elements over `dim` (all when None); integers and bools as int64."""
    x = _accumulating("prod", input, dtype)
    return _in_dtype(apply(Prod, x, axes=_axes("prod", x, dim, axis),
                           keepdims=_keep("prod", keepdim, keepdims)), dtype)


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
def cumsum(input: Tensor, dim: Any = None, *, axis: Any = None, dtype: Any = None) -> Tensor:
    """Cumulative sum along `dim`; integers and bools as int64."""
    d = pick("cumsum", dim, axis)
    if d is None:
        raise TypeError("cumsum: missing required argument 'dim'")
    ax = norm_axis("cumsum", d, input.ndim)
    x = _accumulating("cumsum", input, dtype)
    if x.ndim == 0:
        return _in_dtype(apply(Cumsum, reshape(x, 1), axis=0).reshape(()), dtype)
    return _in_dtype(apply(Cumsum, x, axis=ax), dtype)
