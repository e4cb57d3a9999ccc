"""Indexing: ``t[...]`` (ints, slices, None, Ellipsis, integer arrays, boolean masks),
index_put, gather, scatter_add, index_select, masked_fill.

`getitem` and `index_put(accumulate=True)` are each other's adjoints: the gradient of
a read scatter-adds into zeros (repeated indices accumulate), and the gradient of a
scatter-add is a read.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..graph import Op, ShapeError, apply, register
from ..tensor import Tensor, wrap
from ._util import as_tensor_arg, norm_axis, shape_of, view_op
from .elementwise import where
from .shape import sum_to

_BASIC = (int, slice, type(None), type(Ellipsis))


def normalize_index(idx: Any) -> tuple:
    """(index usable by NumPy, True if it only holds basic indices)."""
    if not isinstance(idx, tuple):
        idx = (idx,)
    out = []
    basic = True
    for i in idx:
        if isinstance(i, Tensor):
            i = i.data
        if isinstance(i, (list, np.ndarray)):
            i = np.asarray(i)
            if i.ndim == 0 and i.dtype.kind in "iu":
                i = int(i)
            else:
                if i.dtype.kind not in "iub":
                    raise IndexError(f"getitem: tensors used as indices must be long, int or "
                                     f"bool tensors, got dtype {i.dtype}")
                basic = False
        elif isinstance(i, (bool, np.bool_)):
            basic = False
        elif isinstance(i, np.integer):
            i = int(i)
        elif not isinstance(i, _BASIC):
            raise IndexError(f"getitem: only integers, slices, None, Ellipsis, and integer "
                             f"or boolean tensors are valid indices (got {type(i).__name__})")
        out.append(i)
    return tuple(out), basic


def _add_at(out: np.ndarray, index: tuple, basic: bool, v: Any) -> None:
    """out[index] += v in place, repeated (advanced) indices accumulating."""
    if basic:   # (a basic index selects each element at most once)
        out[index] += v
    else:
        np.add.at(out, index, v)


class GetItem(Op):
    """x[index];  backward scatter-adds the gradient into zeros."""
    name = "GetItem"
    view = True
    save_inputs = False

    @staticmethod
    def forward(ctx, x, index, basic):
        ctx.in_shape, ctx.index, ctx.basic = x.shape, index, basic
        return x[index]

    @staticmethod
    def backward(ctx, g):
        return apply(GetItemBackward, g, shape=ctx.in_shape, index=ctx.index, basic=ctx.basic)


class GetItemBackward(Op):
    """g scatter-added into zeros of `shape` at `index` (repeated indices accumulate):
    getitem's adjoint;  d/dg = gg[index]."""
    name = "GetItemBackward"
    save_inputs = False

    @staticmethod
    def forward(ctx, g, shape, index, basic):
        ctx.index, ctx.basic = index, basic
        out = np.zeros(shape, dtype=g.dtype)
        _add_at(out, index, basic, g)
        return out

    @staticmethod
    def backward(ctx, gg):
        return apply(GetItem, gg, index=ctx.index, basic=ctx.basic)


def getitem(input: Tensor, index: Any) -> Tensor:
    """``input[index]`` with NumPy semantics; basic indexing returns a view."""
    idx, basic = normalize_index(index)
    if basic:   # a view of the input
        return view_op(GetItem, input, index=idx, basic=True)
    return apply(GetItem, input, index=idx, basic=False)


Tensor.__getitem__ = getitem
register(name="getitem")(getitem)


class IndexPut(Op):
    """A copy of x with x[index] = v (or += v, accumulating repeats, with `accumulate`)."""
    name = "IndexPut"
    save_inputs = False

    @staticmethod
    def forward(ctx, x, v, index, basic, accumulate):
        ctx.index, ctx.basic, ctx.accumulate, ctx.v_shape = index, basic, accumulate, shape_of(v)
        out = np.array(x)   # (a copy that is an array even for a NumPy scalar x)
        if accumulate:
            _add_at(out, index, basic, v)
        else:
            out[index] = v
        return out

    @staticmethod
    def backward(ctx, g):
        need_x, need_v = ctx.needs_input_grad
        gx = gv = None
        if need_x:
            gx = g if ctx.accumulate else apply(
                IndexPut, g, 0.0, index=ctx.index, basic=ctx.basic, accumulate=False)
        if need_v:
            gv = sum_to(apply(GetItem, g, index=ctx.index, basic=ctx.basic), ctx.v_shape)
        return gx, gv


@register("index_put")
def index_put(input: Tensor, indices: Any, values: Any, accumulate: bool = False) -> Tensor:
    """Out-of-place ``input[indices] = values`` (``+=`` with repeats summed if accumulate)."""
    idx, basic = normalize_index(indices)
    return apply(IndexPut, input, as_tensor_arg(values), index=idx, basic=basic,
                 accumulate=accumulate)


def _along(index: np.ndarray, dim: int) -> tuple:
    """Full NumPy index tuple selecting index[...] along `dim` and the position elsewhere."""
    grids = np.indices(index.shape, sparse=True)
    return tuple(index if d == dim else grids[d] for d in range(index.ndim))


def _check_gather(op: str, x_shape: tuple, index: np.ndarray, dim: int) -> None:
    if index.dtype.kind not in "iu":
        raise TypeError(f"{op}: index must be an integer tensor, got dtype {index.dtype}")
    if index.ndim != len(x_shape):
        raise ValueError(f"{op}: index {index.shape} must have as many dimensions as the "
                         f"input {x_shape}")
    for d, (ni, nx) in enumerate(zip(index.shape, x_shape)):
        if d != dim and ni > nx:
            raise ShapeError(f"{op}: index {index.shape} is larger than input {x_shape} in "
                           f"dimension {d}")
    if index.size and (index.min() < -x_shape[dim] or index.max() >= x_shape[dim]):
        raise IndexError(f"{op}: index {int(index.max())} is out of bounds for dimension "
                         f"{dim} with size {x_shape[dim]}")


class ScatterAdd(Op):
    """A copy of x with src added at index along `dim`;  d/dsrc = gather(g)."""
    name = "ScatterAdd"
    save_inputs = False

    @staticmethod
    def forward(ctx, x, src, dim, index):
        ctx.dim, ctx.index = dim, index
        out = np.array(x)   # (a copy that is an array even for a NumPy scalar x)
        np.add.at(out, _along(index, dim), src)
        return out

    @staticmethod
    def backward(ctx, g):
        need_x, need_src = ctx.needs_input_grad
        return (g if need_x else None,
                gather(g, ctx.dim, ctx.index) if need_src else None)


class Gather(Op):
    """out[i][j] = x[index[i][j]][j] (for dim 0);  backward scatter-adds."""
    name = "Gather"
    save_inputs = False

    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.dim, ctx.index, ctx.in_shape = dim, index, x.shape
        return x[_along(index, dim)]

    @staticmethod
    def backward(ctx, g):
        zeros = wrap(np.zeros(ctx.in_shape, dtype=g.dtype))
        return apply(ScatterAdd, zeros, g, dim=ctx.dim, index=ctx.index)


def _index_array(index: Any) -> np.ndarray:
    return np.asarray(index.data if isinstance(index, Tensor) else index)


@register("gather")
def gather(input: Tensor, dim: int, index: Any) -> Tensor:
    """Pick values along `dim` at `index` (same number of dims as input)."""
    idx = _index_array(index)
    d = norm_axis("gather", dim, input.ndim)
    _check_gather("gather", input.shape, idx, d)
    return apply(Gather, input, dim=d, index=idx)


@register("scatter_add")
def scatter_add(input: Tensor, dim: int, index: Any, src: Any) -> Tensor:
    """Out-of-place scatter_add_: add src[i][j] to out[index[i][j]][j] (for dim 0)."""
    idx = _index_array(index)
    d = norm_axis("scatter_add", dim, input.ndim)
    _check_gather("scatter_add", input.shape, idx, d)
    src = as_tensor_arg(src)
    if shape_of(src) != idx.shape:
        src = src[tuple(slice(0, n) for n in idx.shape)]
    return apply(ScatterAdd, input, src, dim=d, index=idx)


@register("index_select")
def index_select(input: Tensor, dim: int, index: Any) -> Tensor:
    """The entries at the 1-D `index` along `dim`."""
    idx = _index_array(index)
    if idx.ndim > 1:
        raise IndexError(f"index_select: index must be 0-D or 1-D, got shape {idx.shape}")
    d = norm_axis("index_select", dim, input.ndim)
    return getitem(input, (slice(None),) * d + (idx.reshape(-1),))


@register("masked_fill")
def masked_fill(input: Tensor, mask: Any, value: Any) -> Tensor:
    """`input` with `value` where `mask` is True (mask broadcasts to input)."""
    m = _index_array(mask)
    if m.dtype != np.bool_:
        raise TypeError(f"masked_fill: mask must be a bool tensor, got dtype {m.dtype}")
    if np.broadcast_shapes(m.shape, input.shape) != input.shape:
        raise ShapeError(f"masked_fill: mask of shape {m.shape} does not broadcast to the "
                       f"input's shape {tuple(input.shape)}")
    if isinstance(value, Tensor) and value.ndim:
        raise ValueError(f"masked_fill: only supports a 0-dimensional value tensor, got "
                         f"shape {tuple(value.shape)}")
    return where(m, value, input)

