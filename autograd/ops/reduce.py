"""Reductions: sum, mean, var, std, max, min, argmax, argmin, logsumexp, prod, cumsum;
any, all, count_nonzero, norm, nansum, nanmean, var_mean, std_mean, aminmax; sort,
argsort, topk, median; cumprod, logcumsumexp, cummax, cummin; quantile, nanquantile,
nanmedian, kthvalue, mode; unique, unique_consecutive, histc; diff, cov, corrcoef, dist,
renorm.

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
from ..tensor import Tensor, wrap
from .arith import Div
from ._util import finite_max, norm_axes, norm_axis, pick, reduce_keep
from .elementwise import abs, clamp, exp, lerp, log, sqrt, where
from .index import gather
from .shape import (cat, diagonal, expand_to, flip, movedim, narrow, reshape, reshape_to,
                    squeeze, sum_to)

MaxResult = namedtuple("MaxResult", ["values", "indices"])


def _axes(op: str, input: Tensor, dim: Any, axis: Any = None) -> tuple | None:
    """The reduced axes, None for all: dim None or () (PyTorch), or any dim of a 0-d input."""
    if dim is None and axis is None:
        return None
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
    if keepdim is None and keepdims is None:
        return False
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
        return _spread(apply(Div, g, ctx.count), ctx)


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
    elif input._data.dtype.kind not in "fc":
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
    ufunc = np.maximum

    @classmethod
    def extreme(cls, x: np.ndarray, axes: tuple | None) -> np.ndarray:
        """The value the gradient goes to, over `axes` (kept)."""
        return reduce_keep(cls.ufunc, x, axes)

    @classmethod
    def forward(cls, ctx, x, axes, keepdims, nan_ties=False):
        ctx.in_shape, ctx.axes = x.shape, axes
        out = cls.extreme(x, axes)
        hit = x == out
        if nan_ties and out.dtype.kind in "fc":
            nan = np.isnan(out)
            if nan.any():
                hit = hit | np.isnan(x) & nan
        ctx.save(hit / reduce_keep(np.add, hit, axes))
        return out if keepdims else out.reshape(_reduced_shape(x.shape, axes))

    @staticmethod
    def backward(ctx, g):
        (share,) = ctx.extra
        return _spread(g, ctx) * share.astype(g.dtype)


class Amin(Amax):
    """Min over `axes`; the gradient is split evenly among the tied minima."""
    name = "Amin"
    ufunc = np.minimum


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
        m = finite_max(x, axes) if x.size else np.zeros((1,) * x.ndim, x.dtype)
        e = np.subtract(x, m)
        e = np.exp(e, out=e) if type(e) is np.ndarray else np.exp(e)
        out = reduce_keep(np.add, e, axes)
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
        y = np.subtract(x, out.reshape(kept))   # (NumPy scalars have .reshape too)
        g = g.reshape(kept)
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
    if input._data.dtype.kind not in "fc":
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


# ---- logical reductions and counts ---------------------------------------------------

class AnyAll(Op):
    """Whether any (or all) elements over `axes` are non-zero; not differentiable."""
    name = "Any"
    differentiable = False
    save_inputs = False

    @staticmethod
    def forward(ctx, x, axes, keepdims, every):
        out = (np.logical_and if every else np.logical_or).reduce(
            np.asarray(x, bool), axis=axes, keepdims=keepdims)
        # PyTorch keeps uint8 for uint8 inputs (its old boolean type), bool otherwise
        return np.asarray(out, np.uint8) if x.dtype == np.uint8 else np.asarray(out)


def _any_all(op: str, input: Tensor, dim: Any, keepdim: Any, axis: Any,
             keepdims: Any) -> Tensor:
    # dim=() reduces nothing here, as in PyTorch (where sum and amax reduce everything)
    empty = norm_axes(op, pick(op, dim, axis), input._data.ndim) == ()
    return apply(AnyAll, input, axes=() if empty else _axes(op, input, dim, axis),
                 keepdims=_keep(op, keepdim, keepdims), every=op == "all")


@register("any")
def any(input: Tensor, dim: Any = None, keepdim: Any = None, *, axis: Any = None,
        keepdims: Any = None) -> Tensor:
    """Whether any element over `dim` (all when None) is non-zero: bool (uint8 for uint8)."""
    return _any_all("any", input, dim, keepdim, axis, keepdims)


@register("all")
def all(input: Tensor, dim: Any = None, keepdim: Any = None, *, axis: Any = None,
        keepdims: Any = None) -> Tensor:
    """Whether every element over `dim` (all when None) is non-zero: bool (uint8 for uint8)."""
    return _any_all("all", input, dim, keepdim, axis, keepdims)


class CountNonzero(Op):
    """How many elements over `axes` are non-zero (int64); not differentiable."""
    name = "CountNonzero"
    differentiable = False
    save_inputs = False

    @staticmethod
    def forward(ctx, x, axes):
        return np.asarray(np.count_nonzero(x, axis=axes), np.int64)


@register("count_nonzero")
def count_nonzero(input: Tensor, dim: Any = None, *, axis: Any = None) -> Tensor:
    """The number of non-zero elements over `dim` (int or tuple; all when None), int64."""
    return apply(CountNonzero, input, axes=_axes("count_nonzero", input, dim, axis))


# ---- norms ----------------------------------------------------------------------------

class Norm(Op):
    """Vector p-norm (sum |x|^p)^(1/p) over `axes` for a finite p (p = 0 counts the
    non-zeros).  d/dx = sign(x) |x|^(p-1) / norm^(p-1), with PyTorch's masks: 0 where
    the norm is 0 (x / norm for p = 2, so the zero vector gets gradient 0), 0 at x = 0
    for p < 1, and 0 everywhere for p = 0."""
    name = "Norm"
    save_output = True

    @staticmethod
    def forward(ctx, x, p, axes, keepdims):
        ctx.in_shape, ctx.axes, ctx.p = x.shape, axes, p
        ax = np.abs(x)
        if p == 2:
            return np.sqrt(np.add.reduce(ax * ax, axis=axes, keepdims=keepdims))
        if p == 1:
            return np.add.reduce(ax, axis=axes, keepdims=keepdims)
        if p == 0:
            return np.add.reduce(ax != 0, axis=axes, keepdims=keepdims, dtype=x.dtype)
        with np.errstate(divide="ignore"):   # 0^p for p < 0: inf, as in PyTorch
            return np.add.reduce(ax ** p, axis=axes, keepdims=keepdims) ** (1.0 / p)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.inputs
        p = ctx.p
        g = _spread(g, ctx)
        if p == 0:
            return g * 0.0
        sign = wrap(np.sign(x.data))
        if p == 1:
            return g * sign
        out = _spread(ctx.output, ctx)
        zero_norm = out.data == 0
        if p == 2:
            if not zero_norm.any():
                return g * x / out
            return where(zero_norm, 0.0, g * x / where(zero_norm, 1.0, out))
        xd = x.data
        x_zero = xd == 0
        scale = where(x_zero, 0.0, where(x_zero, 1.0, abs(x)) ** (p - 1) * sign)
        return where(zero_norm, 0.0, g * scale * where(zero_norm, 1.0, out) ** (1 - p))


@register("norm")
def norm(input: Tensor, p: Any = "fro", dim: Any = None, keepdim: Any = None, *,
         axis: Any = None, keepdims: Any = None, dtype: Any = None) -> Tensor:
    """Vector p-norm over `dim` (all elements when None): p = 2 ('fro', the default),
    1, inf (max |x|), -inf (min |x|), 0 (count of non-zeros), or any other float.  Its
    gradient at the zero vector is 0, as in PyTorch."""
    if dtype is not None:
        input = _cast("norm", input, dtype)
    if input.dtype.kind not in "fc":
        raise RuntimeError(f"norm: expected a floating point or complex tensor as input, "
                           f"got {input.dtype}")
    if isinstance(p, str):
        if p == "nuc":
            raise NotImplementedError("norm: the nuclear norm (p='nuc') is not supported")
        if p != "fro":
            raise RuntimeError(f"norm: order {p!r} not supported")
        p = 2
    elif p is None:
        p = 2
    p = float(p)
    axes = _axes("norm", input, dim, axis)
    keep = _keep("norm", keepdim, keepdims)
    if math.isinf(p):
        if input._data.size == 0 and (axes is None or 0 in (input.shape[a] for a in axes)):
            raise RuntimeError(f"norm: cannot compute the {p} norm over an empty dimension "
                               f"(input shape {input.shape}): it has no identity")
        return apply(Amax if p > 0 else Amin, abs(input), axes=axes, keepdims=keep)
    return apply(Norm, input, p=p, axes=axes, keepdims=keep)


# ---- reductions skipping NaN ----------------------------------------------------------

@register("nansum")
def nansum(input: Tensor, dim: Any = None, keepdim: Any = None, *, axis: Any = None,
           keepdims: Any = None, dtype: Any = None) -> Tensor:
    """Sum over `dim` counting NaNs as 0 (which get gradient 0)."""
    if input.dtype.kind in "fc":
        nan = np.isnan(input.data)
        if nan.any():
            input = where(nan, 0.0, input)
    return sum(input, dim, keepdim, axis=axis, keepdims=keepdims, dtype=dtype)


@register("nanmean")
def nanmean(input: Tensor, dim: Any = None, keepdim: Any = None, *, axis: Any = None,
            keepdims: Any = None, dtype: Any = None) -> Tensor:
    """Mean over `dim` of the non-NaN elements (NaN for a slice of NaNs only)."""
    if dtype is not None:
        input = _cast("nanmean", input, dtype)
    if input.dtype.kind not in "fc":
        raise RuntimeError(f"nanmean: expected input to have floating point or complex "
                           f"dtype, got {input.dtype}")
    keep = _keep("nanmean", keepdim, keepdims)
    axes = _axes("nanmean", input, dim, axis)
    valid = ~np.isnan(input.data)
    count = np.add.reduce(valid, axis=axes, keepdims=keep, dtype=input.dtype)
    with np.errstate(invalid="ignore", divide="ignore"):   # 0/0: NaN, as in PyTorch
        return nansum(input, axes, keep) / count


@register("var_mean")
def var_mean(input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: Any = None, *,
             correction: Any = None, axis: Any = None, keepdims: Any = None,
             ddof: Any = None) -> tuple:
    """(var, mean) over `dim`, with var's arguments."""
    args = _var_args("var_mean", input, dim, unbiased, keepdim, correction, axis,
                     keepdims, ddof)
    return apply(Var, input, **args), _mean_for(input, args)


@register("std_mean")
def std_mean(input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: Any = None, *,
             correction: Any = None, axis: Any = None, keepdims: Any = None,
             ddof: Any = None) -> tuple:
    """(std, mean) over `dim`, with std's arguments."""
    args = _var_args("std_mean", input, dim, unbiased, keepdim, correction, axis,
                     keepdims, ddof)
    return apply(Std, input, **args), _mean_for(input, args)


def _mean_for(input: Tensor, args: dict) -> Tensor:
    return apply(Mean, input, axes=args["axes"], keepdims=args["keepdims"])


AminmaxResult = namedtuple("AminmaxResult", ["min", "max"])


@register("aminmax")
def aminmax(input: Tensor, *, dim: Any = None, keepdim: Any = None, axis: Any = None,
            keepdims: Any = None) -> AminmaxResult:
    """(min, max) over one `dim` (all when None), gradients split among ties."""
    d = pick("aminmax", dim, axis)
    if d is not None:
        d = norm_axis("aminmax", d, input.ndim)
    axes = None if d is None or not input.ndim else (d,)
    if input._data.size == 0 and (axes is None or input.shape[d] == 0):
        raise RuntimeError(f"aminmax(): cannot compute aminmax over an empty dimension "
                           f"(input shape {input.shape}) as the operation has no identity.")
    keep = _keep("aminmax", keepdim, keepdims)
    return AminmaxResult(apply(Amin, input, axes=axes, keepdims=keep),
                         apply(Amax, input, axes=axes, keepdims=keep))


# ---- sorting and selection: indices from NumPy, values gathered (their gradient is
# scattered back to the selected elements, at any order) ------------------------------

def _sort_axis(op: str, input: Tensor, dim: Any, axis: Any = None) -> int:
    d = pick(op, dim, axis, -1)
    return norm_axis(op, d, input.ndim)


def _order(x: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """Stable sorting indices along `axis` (NaN counts as the largest, as in PyTorch);
    descending keeps equal elements in their order too."""
    if not descending:
        return np.argsort(x, axis=axis, kind="stable")
    n = x.shape[axis]
    return n - 1 - np.flip(np.argsort(np.flip(x, axis), axis=axis, kind="stable"), axis)


def _indices(input: Tensor, axis: int, descending: bool) -> np.ndarray:
    """`_order` of input's data (index 0 for a 0-d input)."""
    if not input.ndim:
        return np.zeros((), np.int64)
    return _order(input._data, axis, descending)


@register("sort")
def sort(input: Tensor, dim: Any = None, descending: bool = False, stable: bool = False,
         *, axis: Any = None) -> MaxResult:
    """(values, indices) sorted along `dim` (last by default); NaNs sort as the
    largest.  Always stable.  The gradient goes back to each value's element."""
    ax = _sort_axis("sort", input, dim, axis)
    idx = _indices(input, ax, descending)
    return MaxResult(gather(input, ax, idx), wrap(idx))


@register("argsort")
def argsort(input: Tensor, dim: Any = None, descending: bool = False, stable: bool = False,
            *, axis: Any = None) -> Tensor:
    """The indices that sort `input` along `dim` (last by default); int64."""
    ax = _sort_axis("argsort", input, dim, axis)
    return wrap(_indices(input, ax, descending))


@register("topk")
def topk(input: Tensor, k: int, dim: Any = None, largest: bool = True, sorted: bool = True,
         *, axis: Any = None) -> MaxResult:
    """The `k` largest (smallest) elements along `dim` (last by default), as (values,
    indices), in order (also when sorted=False).  The gradient goes to the chosen ones."""
    ax = _sort_axis("topk", input, dim, axis)
    n = input.shape[ax] if input.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError(f"topk: selected index k out of range (k={k}, dimension {ax} "
                           f"of size {n}, input shape {input.shape})")
    idx = _indices(input, ax, largest)
    if input.ndim:
        idx = idx[(slice(None),) * ax + (slice(0, k),)]
    return MaxResult(gather(input, ax, idx), wrap(idx))


class MedianAll(Amax):
    """The lower median of all elements (NaN if any is NaN); the gradient is split
    evenly among the elements equal to it, as PyTorch's median() does."""
    name = "Median"

    @staticmethod
    def extreme(x: np.ndarray, axes: None) -> np.ndarray:
        flat = np.sort(x, axis=None)   # (NaNs last: any NaN makes the last one NaN)
        n = flat.size
        if n == 0:
            value = np.nan
        else:
            value = flat[-1] if flat.dtype.kind in "fc" and np.isnan(flat[-1]) \
                else flat[(n - 1) // 2]
        return np.full((1,) * x.ndim, value, x.dtype)


@register("median")
def median(input: Tensor, dim: Any = None, keepdim: Any = None, *, axis: Any = None,
           keepdims: Any = None) -> Any:
    """The lower median of all elements; with `dim`, (values, indices) along it.
    A slice holding NaN has median NaN (at its first NaN)."""
    d = pick("median", dim, axis)
    keep = _keep("median", keepdim, keepdims)
    if d is None:
        return apply(MedianAll, input, axes=None, keepdims=False, nan_ties=True)
    return _rank_select("median", input, d, keep, _median_position)


def _median_position(s: np.ndarray) -> np.ndarray:
    """The lower median's position in each sorted slice (last axis), or that of the
    slice's first NaN when it holds any."""
    n = s.shape[-1]
    pos = np.full(s.shape[:-1] + (1,), (n - 1) // 2)
    if s.dtype.kind in "fc":
        nans = np.count_nonzero(np.isnan(s), axis=-1, keepdims=True)
        pos = np.where(nans > 0, n - nans, pos)   # (sorted last, in their order)
    return pos


def _rank_select(op: str, input: Tensor, dim: Any, keep: bool, position: Any) -> MaxResult:
    """(values, indices) along `dim`, of the element at ``position(s)`` in each slice,
    where `s` holds the slices stably sorted along the last axis (NaN the largest) and
    the positions keep that axis with size 1.  The indices come from NumPy and the
    values are gathered, so the gradient goes to the chosen elements (at any order)."""
    ax = norm_axis(op, dim, input.ndim)
    if input.ndim and input.shape[ax] == 0:
        raise IndexError(f"{op}(): Expected reduction dim {ax} to have non-zero size "
                         f"(input shape {input.shape}).")
    x = np.moveaxis(input._data, ax, -1) if input.ndim else np.reshape(input._data, 1)
    order = _order(x, -1, False)
    idx = np.take_along_axis(order, position(np.take_along_axis(x, order, -1)), -1)
    if not input.ndim:
        idx = idx.reshape(())
        return MaxResult(gather(input, 0, idx), wrap(idx))
    idx = np.moveaxis(idx, -1, ax)
    values = gather(input, ax, idx)
    if not keep:
        values, idx = reshape(values, _reduced_shape(input.shape, (ax,))), idx.squeeze(ax)
    return MaxResult(values, wrap(idx))


# ---- cumulative products, log-sum-exps and extrema -------------------------------------

def _scan_axis(op: str, input: Tensor, dim: Any, axis: Any) -> int:
    d = pick(op, dim, axis)
    if d is None:
        raise TypeError(f"{op}: missing required argument 'dim'")
    return norm_axis(op, d, input.ndim)


def _rcumsum(x: Tensor, axis: int) -> Tensor:
    """Reversed running sum: sum_{j >= i} x_j along `axis`."""
    return flip(cumsum(flip(x, axis), axis), axis)


class Cumprod(Op):
    """Running product along `axis`;  d out_j / d x_i = prod_{k <= j, k != i} x_k
    for j >= i (see `_cumprod_grad`: right with zeros too, at any order)."""
    name = "Cumprod"
    save_output = True

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        return np.cumprod(x, axis=axis)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.inputs
        return _cumprod_grad(g, x, ctx.output, ctx.axis)


def _cumprod_grad(g: Tensor, x: Tensor, out: Tensor, ax: int) -> Tensor:
    """sum_{j >= i} g_j prod_{k <= j, k != i} x_k: the reversed cumsum of g out over x
    without zeros.  With zeros, z the first of a slice: before z the same (out is 0 from
    z on); at z the reversed cumsum of g cumprod(y), y being x with x_z = 1; after z,
    x_z times y's own gradient, 0 in value but with the right derivative in x_z (so it
    is built, recursively over the zeros, only when recording for higher orders)."""
    zero = x.data == 0
    if not zero.any():
        return _rcumsum(g * out, ax) / x
    zeros_so_far = np.cumsum(zero, axis=ax)
    before = zeros_so_far == 0
    first = zero & (zeros_so_far == 1)
    y = where(first, 1.0, x)
    y_out = cumprod(y, ax)
    at_z = _rcumsum(g * y_out, ax)
    if STATE.enabled:
        x_z = sum(where(first, x, 0.0), ax, keepdim=True)
        after = where(first, at_z, x_z * _cumprod_grad(g, y, y_out, ax))
    else:
        after = where(first, at_z, 0.0)
    return where(before, _rcumsum(g * out, ax) / where(before, x, 1.0), after)


@register("cumprod")
def cumprod(input: Tensor, dim: Any = None, *, axis: Any = None, dtype: Any = None) -> Tensor:
    """Cumulative product along `dim`; integers and bools as int64.  Its gradient is
    right with zeros in the input too."""
    ax = _scan_axis("cumprod", input, dim, axis)
    x = _accumulating("cumprod", input, dtype)
    if x.ndim == 0:
        return _in_dtype(apply(Cumprod, reshape(x, 1), axis=0).reshape(()), dtype)
    return _in_dtype(apply(Cumprod, x, axis=ax), dtype)


class Logcumsumexp(Op):
    """out_j = log sum_{k <= j} exp(x_k), without overflow.  d/dx_i =
    sum_{j >= i} g_j exp(x_i - out_j), summed in the log domain (the positive and the
    negative part of g apart, as PyTorch does), so that it does not overflow either."""
    name = "Logcumsumexp"
    save_output = True

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        return np.logaddexp.accumulate(x, axis=axis)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.inputs
        ax, out = ctx.axis, ctx.output
        # a prefix of -inf (out = -inf) adds no terms; leaving it out also keeps NaN
        # (-inf - -inf) out of the double backward, where -inf inputs do occur
        empty = out.data == -math.inf
        if empty.any():
            out = where(empty, 0.0, out)
        gd = g.data

        def part(mask: np.ndarray, gp: Tensor) -> Tensor | None:
            """sum_{j >= i} gp_j exp(x_i - out_j) over the j in `mask` (gp > 0 there)."""
            mask = mask & ~empty
            if not mask.any():
                return None
            terms = where(mask, log(where(mask, gp, 1.0)) - out, -math.inf)
            return exp(x + flip(logcumsumexp(flip(terms, ax), ax), ax))
        positive, negative = part(gd > 0, g), part(gd < 0, -g)
        if negative is None:
            return g * 0.0 if positive is None else positive
        return -negative if positive is None else positive - negative


@register("logcumsumexp")
def logcumsumexp(input: Tensor, dim: Any = None, *, axis: Any = None) -> Tensor:
    """log(cumsum(exp(input))) along `dim`, computed stably; floating inputs only."""
    ax = _scan_axis("logcumsumexp", input, dim, axis)
    if input.dtype.kind not in "fc":
        raise NotImplementedError(f"logcumsumexp: not implemented for dtype {input.dtype}")
    if input.ndim == 0:
        return apply(Logcumsumexp, reshape(input, 1), axis=0).reshape(())
    return apply(Logcumsumexp, input, axis=ax)


def _cum_extreme(op: str, input: Tensor, dim: Any, axis: Any) -> MaxResult:
    """Running max (min) and the index of the last element equal to it (of the last
    NaN once there is one), as PyTorch's cummax (cummin)."""
    ax = _scan_axis(op, input, dim, axis)
    x = input._data
    if not input.ndim:
        idx = np.zeros((), np.int64)
        return MaxResult(gather(input, 0, idx), wrap(idx))
    out = (np.maximum if op == "cummax" else np.minimum).accumulate(x, axis=ax)
    # the last record (an element equal to the running extreme) so far: its value is
    # the running extreme's, since the extreme only changes at records
    hit = x == out
    if x.dtype.kind in "fc":
        hit |= np.isnan(x)
    shape = [1] * x.ndim
    shape[ax] = x.shape[ax]
    pos = np.where(hit, np.arange(x.shape[ax]).reshape(shape), 0)
    idx = np.maximum.accumulate(pos, axis=ax).astype(np.int64, copy=False)
    return MaxResult(gather(input, ax, idx), wrap(idx))


@register("cummax")
def cummax(input: Tensor, dim: Any = None, *, axis: Any = None) -> MaxResult:
    """(values, indices) of the running maximum along `dim`; the gradient goes to the
    element each value is (the last of equal ones)."""
    return _cum_extreme("cummax", input, dim, axis)


@register("cummin")
def cummin(input: Tensor, dim: Any = None, *, axis: Any = None) -> MaxResult:
    """(values, indices) of the running minimum along `dim`; the gradient goes to the
    element each value is (the last of equal ones)."""
    return _cum_extreme("cummin", input, dim, axis)


# ---- quantiles and selection by rank ----------------------------------------------------

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(op: str, input: Tensor, q: Any, dim: Any, keepdim: bool, interpolation: str,
              skip_nan: bool) -> Tensor:
    """quantile and nanquantile, as PyTorch computes them: each slice sorted (NaN last),
    rank r = q (m - 1) with m the slice's size (its count of non-NaN elements when
    `skip_nan`; a slice holding NaN gets a NaN without, and all NaNs with: its first
    NaN, as median picks), and the sorted values at floor(r) and ceil(r) gathered and
    interpolated.  The gradient goes to those elements; a tensor `q` gets one too in
    linear mode, (hi - lo) (m - 1)."""
    dt = input.dtype
    if dt not in (np.float32, np.float64):
        raise RuntimeError(f"{op}() input tensor must be either float or double dtype, got "
                           f"{dt}")
    if isinstance(q, np.ndarray):
        q = wrap(q)
    elif not isinstance(q, (Tensor, int, float, np.number)) or isinstance(q, bool):
        raise TypeError(f"{op}(): argument 'q' must be a float or a Tensor, not "
                        f"{type(q).__name__}")
    if isinstance(q, Tensor):
        if q.dtype != dt:
            raise RuntimeError(f"{op}() q tensor must be same dtype as the input tensor "
                               f"(got {q.dtype} and {dt})")
        if q.ndim > 1:
            raise RuntimeError(f"{op}() q must be a scalar or 1D tensor, got shape "
                               f"{tuple(q.shape)}")
        qd = q.data
        if not np.all((qd >= 0) & (qd <= 1)):
            raise RuntimeError(f"{op}() q values must be in the range [0, 1], got "
                               f"{qd.tolist()}")
    else:
        if not 0 <= q <= 1:
            raise RuntimeError(f"{op}() q must be in the range [0, 1] but got {q}")
        qd = np.asarray(q, dt)   # (PyTorch too makes a number q a tensor of input's dtype)
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{op}() interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest, but got {interpolation}")
    if not input.numel():
        raise RuntimeError(f"{op}() input tensor must be non-empty (input shape "
                           f"{tuple(input.shape)})")
    if dim is None:
        x, shape = reshape(input, -1), (1,) * input.ndim if keepdim else ()
    elif not input.ndim:
        norm_axis(op, dim, 0)
        x, shape = reshape(input, 1), ()
    else:
        ax = norm_axis(op, dim, input.ndim)
        x = movedim(input, ax, -1)
        shape = _kept_shape(input.shape, (ax,)) if keepdim else \
            _reduced_shape(input.shape, (ax,))
    xd = x.data
    n = xd.shape[-1]
    order = _order(xd, -1, False)
    valid = n - np.count_nonzero(np.isnan(np.take_along_axis(xd, order, -1)), axis=-1,
                                 keepdims=True)   # (the sorted NaNs: the last n - valid)
    if skip_nan:
        scale = (valid - 1).astype(dt)
        forced = valid == 0
    else:
        scale, forced = np.asarray(n - 1, dt), valid < n
    ranks = np.where(forced, valid.astype(dt), qd.reshape(-1) * scale)   # (..., nq)
    below = np.floor(ranks)

    def at(pos: np.ndarray) -> Tensor:
        return gather(x, -1, np.take_along_axis(order, pos, -1))

    if interpolation == "linear" or interpolation == "midpoint":
        lo, hi = at(below.astype(np.int64)), at(np.ceil(ranks).astype(np.int64))
        if interpolation == "midpoint":
            weight = 0.5
        elif isinstance(q, Tensor) and q.requires_grad:
            weight = where(forced, 0.0, reshape(q, -1) * scale - below)
        else:
            weight = wrap(ranks - below)
        out = lerp(lo, hi, weight)
    else:
        pos = below if interpolation == "lower" else \
            np.ceil(ranks) if interpolation == "higher" else np.round(ranks)   # (half to even)
        out = at(pos.astype(np.int64))
    if isinstance(q, Tensor) and q.ndim:   # the quantiles along a new first dimension
        return reshape(movedim(out, -1, 0), (q.shape[0],) + shape)
    return reshape(out, shape)


@register("quantile")
def quantile(input: Tensor, q: Any, dim: Any = None, keepdim: Any = None, *,
             interpolation: str = "linear", axis: Any = None, keepdims: Any = None) -> Tensor:
    """The `q`-quantiles (a number, or a 0-d or 1-d tensor of them, which then gives a new
    first dimension) over `dim` (of all elements when None).  Between two elements
    the interpolation is linear, lower, higher, midpoint or nearest (ties to even);
    a slice holding NaN has quantile NaN.  Floating inputs only."""
    return _quantile("quantile", input, q, pick("quantile", dim, axis),
                     _keep("quantile", keepdim, keepdims), interpolation, False)


@register("nanquantile")
def nanquantile(input: Tensor, q: Any, dim: Any = None, keepdim: Any = None, *,
                interpolation: str = "linear", axis: Any = None,
                keepdims: Any = None) -> Tensor:
    """`quantile` of the non-NaN elements of each slice (NaN for a slice of NaNs only)."""
    return _quantile("nanquantile", input, q, pick("nanquantile", dim, axis),
                     _keep("nanquantile", keepdim, keepdims), interpolation, True)


class NanMedianAll(MedianAll):
    """The lower median of the non-NaN elements (NaN if there are none); the gradient is
    split evenly among the elements equal to it (among the NaNs when it is NaN)."""
    name = "Nanmedian"

    @staticmethod
    def extreme(x: np.ndarray, axes: None) -> np.ndarray:
        flat = np.sort(x, axis=None)   # (NaNs last)
        k = flat.size - np.count_nonzero(np.isnan(flat)) if flat.dtype.kind in "fc" \
            else flat.size
        return np.full((1,) * x.ndim, flat[(k - 1) // 2] if k else np.nan, x.dtype)


def _nanmedian_position(s: np.ndarray) -> np.ndarray:
    """The lower median's position among each sorted slice's non-NaN elements (0, a
    NaN, when all are NaN)."""
    valid = s.shape[-1]
    if s.dtype.kind in "fc":
        valid = valid - np.count_nonzero(np.isnan(s), axis=-1, keepdims=True)
    return np.broadcast_to(np.maximum((valid - 1) // 2, 0), s.shape[:-1] + (1,))


@register("nanmedian")
def nanmedian(input: Tensor, dim: Any = None, keepdim: Any = None, *, axis: Any = None,
              keepdims: Any = None) -> Any:
    """`median` ignoring NaNs: of all elements, or (values, indices) along `dim`.  A
    slice of NaNs only has median NaN (index 0)."""
    d = pick("nanmedian", dim, axis)
    if d is None:
        return apply(NanMedianAll, input, axes=None, keepdims=False, nan_ties=True)
    return _rank_select("nanmedian", input, d, _keep("nanmedian", keepdim, keepdims),
                        _nanmedian_position)


@register("kthvalue")
def kthvalue(input: Tensor, k: int, dim: Any = None, keepdim: Any = None, *,
             axis: Any = None, keepdims: Any = None) -> MaxResult:
    """(values, indices) of the `k`-th smallest element (k from 1) along `dim` (last by
    default); NaN counts as the largest.  The gradient goes to the chosen elements."""
    ax = _sort_axis("kthvalue", input, dim, axis)
    n = input.shape[ax] if input.ndim else 1
    if n and not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {ax} "
                           f"(k={k}, input shape {tuple(input.shape)})")
    return _rank_select("kthvalue", input, ax, _keep("kthvalue", keepdim, keepdims),
                        lambda s: np.full(s.shape[:-1] + (1,), k - 1))


def _mode_position(s: np.ndarray) -> np.ndarray:
    """The position of the end of the longest run of equal values in each sorted slice
    (of the smallest value among equally long runs; NaNs unequal, as NaN != NaN)."""
    n = s.shape[-1]
    i = np.arange(n)
    starts = np.ones(s.shape, bool)
    starts[..., 1:] = s[..., 1:] != s[..., :-1]
    ends = np.ones(s.shape, bool)
    ends[..., :-1] = starts[..., 1:]
    first = np.maximum.accumulate(np.where(starts, i, 0), axis=-1)
    return np.argmax(np.where(ends, i - first + 1, 0), axis=-1, keepdims=True)


@register("mode")
def mode(input: Tensor, dim: Any = None, keepdim: Any = None, *, axis: Any = None,
         keepdims: Any = None) -> MaxResult:
    """(values, indices) of the most frequent value along `dim` (last by default): the
    smallest of equally frequent ones, and the index of its last occurrence.  The
    values' gradient goes to those elements; the indices have none."""
    return _rank_select("mode", input, _sort_axis("mode", input, dim, axis),
                        _keep("mode", keepdim, keepdims), _mode_position)


# ---- sets and histograms (not differentiable) ---------------------------------------------

def _set_result(values: np.ndarray, inverse: np.ndarray, counts: np.ndarray,
                return_inverse: bool, return_counts: bool) -> Any:
    """unique's result: the values alone, or a tuple with the inverse and/or counts."""
    out = (wrap(values),)
    if return_inverse:
        out += (wrap(inverse.astype(np.int64, copy=False)),)
    if return_counts:
        out += (wrap(counts.astype(np.int64, copy=False)),)
    return out[0] if len(out) == 1 else out


def _set_dim(op: str, x: np.ndarray, dim: Any) -> int:
    """The dimension unique and unique_consecutive work along, checked like PyTorch."""
    if not x.ndim:
        raise IndexError(f"{op}: dimension specified as {dim} but tensor has no dimensions")
    d = norm_axis(op, dim, x.ndim)
    if not x.size and x.shape[d]:
        raise RuntimeError(f"{op}: there are 0 sized dimensions, and they aren't selected, "
                           f"so unique cannot be applied (input shape {x.shape}, dim {d})")
    return d


@register("unique")
def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim: int | None = None) -> Any:
    """The distinct elements (dim=None, flattened) or slices along `dim`, in ascending
    order (always sorted), with optionally the int64 `inverse` (each element's or
    slice's position among them) and `counts`.  NaNs are all distinct, as in PyTorch."""
    x = input.data
    if dim is None:
        values, inverse, counts = np.unique(x.reshape(-1), return_inverse=True,
                                            return_counts=True, equal_nan=False)
        return _set_result(values, inverse.reshape(x.shape), counts, return_inverse,
                           return_counts)
    d = _set_dim("unique", x, dim)
    if not x.shape[d]:
        empty = np.zeros(0, np.int64)
        return _set_result(x.copy(), empty, empty, return_inverse, return_counts)
    values, inverse, counts = np.unique(x, return_inverse=True, return_counts=True, axis=d)
    return _set_result(values, inverse.reshape(-1), counts, return_inverse, return_counts)


@register("unique_consecutive")
def unique_consecutive(input: Tensor, return_inverse: bool = False,
                       return_counts: bool = False, dim: int | None = None) -> Any:
    """The elements (dim=None, flattened) or slices along `dim` with each run of
    consecutive equal ones collapsed to one, with optionally the int64 `inverse` (each
    element's run) and `counts` (the runs' lengths)."""
    x = input.data
    if dim is None:
        flat, d, shape = x.reshape(-1), 0, x.shape
        new = np.ones(flat.shape, bool)
        new[1:] = flat[1:] != flat[:-1]
    else:
        d = _set_dim("unique_consecutive", x, dim)
        flat, shape = x, (x.shape[d],)
        rows = np.moveaxis(x, d, 0).reshape(x.shape[d], -1) if x.size else \
            np.zeros((x.shape[d], 0), x.dtype)
        new = np.ones(x.shape[d], bool)
        new[1:] = (rows[1:] != rows[:-1]).any(axis=1)
    starts = np.flatnonzero(new)
    counts = np.diff(np.append(starts, new.size))
    return _set_result(np.compress(new, flat, axis=d), (np.cumsum(new) - 1).reshape(shape),
                       counts, return_inverse, return_counts)


@register("histc")
def histc(input: Tensor, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:
    """Counts of the elements in `bins` equal-width bins over [min, max]: x goes to bin
    floor((x - min) bins / (max - min)) computed in x's dtype, as PyTorch bins (max to
    the last bin; elements outside and NaNs are left out).  min == max takes the data's
    range (widened by 1 each way if it is a point).  Floating inputs; the counts have
    the input's dtype.  Not differentiable."""
    x = input.data
    if x.dtype.kind != "f":
        raise NotImplementedError(f"histc: not implemented for dtype {x.dtype} (floating "
                                  f"inputs only)")
    if bins <= 0:
        raise RuntimeError(f"histc: bins must be > 0, but got {bins}")
    lo, hi = float(min), float(max)
    if lo == hi and x.size:
        lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"histc: range of [{lo}, {hi}] is not finite")
    if lo > hi:
        raise RuntimeError(f"histc: max must be larger than min (got min={lo}, max={hi})")
    # PyTorch's binning, in the input's dtype: (x - lo) bins / (hi - lo), truncated
    lo, hi, flat = x.dtype.type(lo), x.dtype.type(hi), x.reshape(-1)
    flat = flat[(flat >= lo) & (flat <= hi)]   # (NaN fails both)
    pos = ((flat - lo) * x.dtype.type(bins) / (hi - lo)).astype(np.int64)
    return wrap(np.bincount(np.minimum(pos, bins - 1), minlength=bins).astype(x.dtype))


# ---- differences, covariances, distances ----------------------------------------------

@register("diff")
def diff(input: Tensor, n: int = 1, dim: int = -1, prepend: Any = None,
         append: Any = None) -> Tensor:
    """The n-th forward difference out[i] = x[i+1] - x[i] along `dim` (applied n times;
    for bools x[i+1] != x[i]), after `prepend` and `append` (tensors with input's shape
    but along dim) are joined to the input there."""
    if not input.ndim:
        raise RuntimeError(f"diff expects input to be at least one-dimensional (input "
                           f"shape {tuple(input.shape)})")
    if n < 0:
        raise RuntimeError(f"diff: order must be non-negative but got {n}")
    d = norm_axis("diff", dim, input.ndim)
    parts = []
    for name, t in (("prepend", prepend), ("input", input), ("append", append)):
        if t is None:
            continue
        if not isinstance(t, Tensor):
            if not isinstance(t, np.ndarray):
                raise TypeError(f"diff(): argument '{name}' must be Tensor, not "
                                f"{type(t).__name__}")
            t = wrap(t)
        if t.ndim != input.ndim:
            raise RuntimeError(f"diff expects prepend or append to be the same dimension as "
                               f"input (input shape {tuple(input.shape)}, {name} shape "
                               f"{tuple(t.shape)})")
        for i, (a, b) in enumerate(zip(input.shape, t.shape)):
            if i != d and a != b:
                raise RuntimeError(f"diff expects the shape of tensor to prepend or append "
                                   f"to match that of input except along the differencing "
                                   f"dimension; input.size({i}) = {a}, but got "
                                   f"tensor.size({i}) = {b}")
        parts.append(t)
    x = parts[0] if len(parts) == 1 else cat(parts, d)
    for _ in range(n):
        m = x.shape[d] - 1
        if m < 0:   # (empty already: more differences change nothing)
            break
        a, b = narrow(x, d, 1, m), narrow(x, d, 0, m)
        x = a != b if x.dtype == np.bool_ else a - b
    return x


def _weights(name: str, w: Any, observations: int, integral: bool) -> Tensor:
    """cov's fweights (integers) or aweights (floats), checked as PyTorch does, as 1-D."""
    w = w if isinstance(w, Tensor) else wrap(np.asarray(w))
    kinds, kind = ("iu", "integral") if integral else ("f", "floating point")
    if w.ndim > 1:
        raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but got "
                           f"{name} with {w.ndim} dimensions")
    if w.dtype.kind not in kinds:
        raise RuntimeError(f"cov(): expected {name} to have {kind} dtype but got {name} "
                           f"with {w.dtype} dtype")
    if w.numel() != observations:
        raise RuntimeError(f"cov(): expected {name} to have the same numel as there are "
                           f"observations in the input but got {w.numel()} != "
                           f"{observations}")
    if observations and w.data.min() < 0:
        raise RuntimeError(f"cov(): {name} cannot be negative")
    return reshape(w, -1)


@register("cov")
def cov(input: Tensor, *, correction: int = 1, fweights: Any = None,
        aweights: Any = None) -> Tensor:
    """The covariance matrix of the variables in input's rows (a 1-D input is one
    variable), observations in its columns, optionally weighted by the integer
    frequencies `fweights` and/or the float `aweights`:  with w their product,
    avg = sum(x w) / sum(w),  cov = (x - avg) ((x - avg) w)^T / (sum(w) - correction
    sum(w aweights) / sum(w)).  Integer inputs give the default float dtype."""
    if input.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got "
                           f"an input with {input.ndim} dimensions")
    if input.dtype == np.bool_:
        raise RuntimeError("cov(): bool dtype is not supported for input")
    if isinstance(correction, (bool, float)) or not hasattr(correction, "__index__"):
        raise TypeError(f"cov(): argument 'correction' must be int, not "
                        f"{type(correction).__name__}")
    x = input if input.ndim == 2 else reshape(input, (1, -1))
    if x.dtype.kind not in "fc":
        x = x.to(get_default_dtype())
    obs = x.shape[1]
    w = None if fweights is None else _weights("fweights", fweights, obs, True)
    if aweights is not None:
        aw = _weights("aweights", aweights, obs, False)
        w = aw if w is None else w * aw
    with np.errstate(divide="ignore", invalid="ignore"):   # no observations: NaN
        if w is None:
            avg, factor = sum(x, 1) / obs, obs - correction
        else:
            w_sum = sum(w)
            if w_sum.item() == 0:
                raise RuntimeError("cov(): weights sum to zero, can't be normalized")
            avg = sum(x * w, 1) / w_sum
            factor = w_sum if not correction else w_sum - correction if aweights is None \
                else w_sum - correction * sum(w * aw) / w_sum
        if float(factor.item() if isinstance(factor, Tensor) else factor) <= 0:
            warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly "
                          "less than the number of observations.", UserWarning, stacklevel=2)
            factor = 0
        x = x - reshape(avg, (-1, 1))
        return squeeze((x @ (x if w is None else x * w).T) / factor)


@register("corrcoef")
def corrcoef(input: Tensor) -> Tensor:
    """Pearson correlation coefficients of the variables in input's rows (as `cov`):
    cov_ij / sqrt(cov_ii cov_jj), clipped to [-1, 1] (NaN for a constant variable)."""
    c = cov(input)
    with np.errstate(divide="ignore", invalid="ignore"):   # a constant row: NaN
        if not c.ndim:
            return c / c
        std = sqrt(diagonal(c))
        c = c / reshape(std, (-1, 1)) / reshape(std, (1, -1))
    return clamp(c, -1, 1)


@register("dist")
def dist(input: Tensor, other: Any, p: float = 2) -> Tensor:
    """The p-norm of input - other (broadcast): ``norm(input - other, p)``."""
    other = other if isinstance(other, Tensor) else wrap(np.asarray(other))
    for t in (input, other):
        if t.dtype.kind not in "fc":
            raise RuntimeError(f"dist: input dtype should be either floating point or "
                               f"complex. Got {t.dtype} instead.")
    return norm(input - other, p)


@register("renorm")
def renorm(input: Tensor, p: float, dim: int, maxnorm: float) -> Tensor:
    """Each slice along `dim` whose p-norm exceeds `maxnorm` scaled to norm `maxnorm`:
    x maxnorm / (norm + 1e-7) there (PyTorch's 1e-7), x elsewhere.  The gradient
    includes the norm's dependence on x."""
    if p <= 0:
        raise RuntimeError(f"renorm: non-positive-norm not supported (p={p})")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    if input.ndim < 2:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.ndim} "
                           f"dimensions")
    d = norm_axis("renorm", dim, input.ndim)
    if input.dtype.kind not in "fc":
        raise RuntimeError(f"renorm: expected a floating point tensor as input, got "
                           f"{input.dtype}")
    n = norm(input, p, tuple(i for i in range(input.ndim) if i != d), keepdim=True)
    return input * where(n.data > maxnorm, maxnorm / (n + 1e-7), 1.0)
