"""Indexing: ``t[...]`` (ints, slices, None, Ellipsis, integer arrays, boolean masks),
index_put, take, gather, take_along_dim, scatter, scatter_add, index_select, index_add,
index_copy, index_fill, masked_fill, masked_select, masked_scatter, nonzero/argwhere;
bincount, searchsorted, bucketize; select and the slice writes select_scatter,
slice_scatter, diagonal_scatter.

`getitem` and `index_put(accumulate=True)` are each other's adjoints: the gradient of
a read scatter-adds into zeros (repeated indices accumulate), and the gradient of a
scatter-add is a read.

Indices follow PyTorch, which differs from NumPy in two places: a plain int is a
select applied before any array index (so it never moves the array-indexed dimensions
to the front), and a full integer index gives a 0-d view rather than a copy.
"""
from __future__ import annotations

import operator
import warnings
from typing import Any

import numpy as np

from ..graph import Op, ShapeError, apply, register
from ..tensor import Tensor, wrap
from ._util import as_tensor_arg, norm_axis, shape_of, view_op
from .convert import to
from .elementwise import where
from .shape import (DiagonalScatter, _diagonal_view, broadcast_to, diagonal, reshape, reshape_to,
                    sum_to)


class IndexOutOfRange(IndexError, RuntimeError):
    """An index outside its dimension: PyTorch raises RuntimeError for gather,
    scatter_add and index_select, NumPy IndexError; this is both."""


class IndexShapeError(ShapeError, IndexError):
    """A source whose shape does not fit the indexed region: PyTorch raises IndexError
    for some of index_copy's cases and RuntimeError for index_add's; this is both."""


_SEQUENCE_ENTRY = (list, tuple, np.ndarray, Tensor, slice)


def normalize_index(idx: Any, shape: tuple | None = None) -> tuple:
    """(NumPy index giving PyTorch's result, True if it only holds basic indices).

    `shape` (of the indexed tensor) is needed only for an index in which a plain int
    and an array are separated by a slice, None or Ellipsis: NumPy would move the
    array-indexed dimensions to the front, so such an index is rewritten as one
    coordinate array per axis; without `shape` it raises TypeError."""
    if type(idx) is not tuple:
        if type(idx) is list and len(idx) < 32 and any(
                isinstance(i, _SEQUENCE_ENTRY) or i is None or i is Ellipsis for i in idx):
            # PyTorch (like NumPy before 1.23) reads such a list as a tuple of indices
            warnings.warn("getitem: a non-tuple sequence of indices is read as a tuple "
                          "(x[[[0, 1], [1, 0]]] is x[[0, 1], [1, 0]]); use x[tuple(seq)]",
                          UserWarning, stacklevel=3)
            idx = tuple(idx)
        else:
            idx = (idx,)
    out = []
    basic = True
    ints = ellipsis = False
    for i in idx:
        t = type(i)
        if t is int:
            ints = True
        elif t is slice or i is None:
            pass
        elif i is Ellipsis:
            ellipsis = True
        else:
            if t is not np.ndarray or not i.ndim or i.dtype.kind not in "iub" \
                    or i.dtype == np.uint8:
                i = _advanced_entry(i)
            if type(i) is int:
                ints = True
            else:
                basic = False
        out.append(i)
    if basic:
        if not ellipsis:   # a full integer index then gives a 0-d view, not a NumPy scalar
            out.append(Ellipsis)
        return tuple(out), True
    if ints and _numpy_moves_arrays(out):
        if shape is None:
            raise TypeError("normalize_index: an index mixing ints and arrays separated "
                            "by a slice, None or Ellipsis needs the indexed shape")
        return _torch_order(out, shape), False
    return tuple(out), False


def _advanced_entry(i: Any) -> Any:
    """One index entry that is not an int, slice, None or Ellipsis: an int (NumPy
    integers and 0-d integer arrays or tensors select like ints), else an integer or
    boolean ndarray, or a bool."""
    if isinstance(i, Tensor):
        i = i.data
    if isinstance(i, (bool, np.bool_)):
        return i
    if isinstance(i, np.integer):
        return int(i)
    if isinstance(i, (list, tuple, np.ndarray)):
        a = np.asarray(i)
        if a.dtype == np.uint8 and isinstance(i, np.ndarray):
            # PyTorch's old boolean type: still a mask there (a list of ints never is)
            warnings.warn("getitem: indexing with dtype uint8 is deprecated, please use "
                          "dtype bool instead (a uint8 index is a mask)", UserWarning,
                          stacklevel=4)
            return a.astype(bool)
        if a.dtype.kind in "iu":
            return int(a) if a.ndim == 0 else a
        if a.dtype.kind == "b":
            return a
        if a.size == 0 and not isinstance(i, np.ndarray):   # x[[]] selects nothing
            return a.astype(np.intp)
        raise IndexError(f"getitem: tensors used as indices must be long, int or bool "
                         f"tensors, got dtype {a.dtype}")
    raise IndexError(f"getitem: only integers, slices, None, Ellipsis, and integer or "
                     f"boolean tensors are valid indices (got {type(i).__name__})")


def _numpy_moves_arrays(index: list) -> bool:
    """Whether NumPy places the array-indexed dimensions elsewhere than PyTorch.  Both
    keep them in place when the advanced indices are adjacent and move them to the
    front otherwise, but PyTorch applies plain ints first (as selects), so only the
    arrays count, while NumPy counts the ints as advanced indices too."""
    kinds = "".join("i" if type(e) is int else
                    "b" if e is None or e is Ellipsis or type(e) is slice else "a"
                    for e in index)
    return ("b" not in kinds.replace("i", "").strip("b")
            and "b" in kinds.replace("i", "a").strip("b"))


def _torch_order(index: list, shape: tuple) -> tuple:
    """A fully advanced index (one coordinate array per axis) selecting what PyTorch
    does: the ints first, then the rest.  Applying those two steps to broadcast views
    of each axis' coordinates costs the result's size per axis, not the input's."""
    first, rest = [], []
    for e in index:
        if type(e) is int:
            first.append(e)
            continue
        rest.append(e)
        if e is Ellipsis or type(e) is slice:
            first.append(slice(None) if type(e) is slice else e)
        elif isinstance(e, np.ndarray):   # (None and bools add an axis, consume none)
            first.extend([slice(None)] * (e.ndim if e.dtype == np.bool_ else 1))
    try:
        return tuple(np.broadcast_to(c, shape)[tuple(first)][tuple(rest)]
                     for c in np.ogrid[tuple(slice(n) for n in shape)])
    except IndexError as e:
        raise IndexError(f"getitem: {e} (input shape: {shape})") from None


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
    """``input[index]`` with PyTorch semantics; basic indexing returns a view."""
    idx, basic = normalize_index(index, input._data.shape)
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
        ctx.v_dtype = getattr(v, "dtype", None)
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
            gv = apply(GetItem, g, index=ctx.index, basic=ctx.basic)
            # v may have more (leading size-1) dims than the region it was written to
            v_shape = ctx.v_shape
            gv = reshape_to(sum_to(gv, v_shape[max(len(v_shape) - gv.ndim, 0):]), v_shape)
            gv = to(gv, ctx.v_dtype)   # (x's dtype, which v was cast to)
        return gx, gv


@register("index_put")
def index_put(input: Tensor, indices: Any, values: Any, accumulate: bool = False) -> Tensor:
    """Out-of-place ``input[indices] = values`` (``+=`` with repeats summed if accumulate)."""
    idx, basic = normalize_index(indices, input.shape)
    return apply(IndexPut, input, as_tensor_arg(values), index=idx, basic=basic,
                 accumulate=accumulate)


def _along(index: np.ndarray, dim: int) -> tuple:
    """Full NumPy index tuple selecting index[...] along `dim` and the position elsewhere."""
    grids = np.indices(index.shape, sparse=True)
    return tuple(index if d == dim else grids[d] for d in range(index.ndim))


def _check_bounds(op: str, index: np.ndarray, dim: int, size: int,
                  negative: bool = False) -> None:
    """Every entry of `index` in [0, size), or in [-size, size) with `negative` (the ops
    where PyTorch counts negative indices from the end)."""
    lo = -size if negative else 0
    if index.size and (index.min() < lo or index.max() >= size):
        bad = index[(index < lo) | (index >= size)].flat[0]
        raise IndexOutOfRange(f"{op}: index {bad} is out of bounds for dimension {dim} "
                              f"with size {size}")


def _check_dtype(op: str, index: np.ndarray, long_only: bool = False,
                 error: type = RuntimeError) -> None:
    """An int64 (or, unless `long_only`, int32) index; else `error`, the type PyTorch
    raises for that op."""
    if index.dtype != np.int64 and (long_only or index.dtype != np.int32):
        raise error(f"{op}: expected dtype {'int64' if long_only else 'int32 or int64'} "
                    f"for index, got {index.dtype}")


def _check_gather(op: str, x_shape: tuple, index: np.ndarray, dim: int) -> None:
    _check_dtype(op, index)
    if max(index.ndim, 1) != max(len(x_shape), 1):   # (0-d counts as 1-d here)
        raise ShapeError(f"{op}: index {index.shape} must have as many dimensions as the "
                         f"input {x_shape}")
    for d, (ni, nx) in enumerate(zip(index.shape, x_shape)):
        if d != dim and ni > nx:
            raise ShapeError(f"{op}: index {index.shape} is larger than input {x_shape} in "
                             f"dimension {d}")
    _check_bounds(op, index, dim, x_shape[dim] if x_shape else 1)


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
    if not (input.ndim and idx.ndim):   # PyTorch reads a 0-d input or index as 1-d here
        return reshape(apply(Gather, reshape(input, -1), dim=0, index=idx.reshape(-1)),
                       idx.shape)
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
    """The entries at the 1-D (or 0-d) integer `index` along `dim`."""
    idx = _index_array(index)
    _check_dtype("index_select", idx)
    if idx.ndim > 1:
        raise IndexError(f"index_select: index must be 0-D or 1-D, got shape {idx.shape}")
    d = norm_axis("index_select", dim, input.ndim)
    if not input.ndim:
        if idx.size != 1:
            raise RuntimeError(f"index_select: the index into a 0-d tensor can have only "
                               f"1 value, got {idx.size}")
        _check_bounds("index_select", idx, d, 1)
        return reshape(getitem(reshape(input, 1), idx.reshape(1)), ())
    _check_bounds("index_select", idx, d, input.shape[d])
    return getitem(input, (slice(None),) * d + (idx.reshape(-1),))


def _mask(op: str, mask: Any) -> np.ndarray:
    m = _index_array(mask)
    if m.dtype != np.bool_:
        raise RuntimeError(f"{op}: only supports boolean masks, got mask with dtype "
                           f"{m.dtype}")
    return m


@register("masked_fill")
def masked_fill(input: Tensor, mask: Any, value: Any) -> Tensor:
    """`input` with `value` where `mask` is True (mask broadcasts to input); the result
    keeps input's dtype (the value is cast, as in PyTorch)."""
    m = _mask("masked_fill", mask)
    if m.ndim > input.ndim or any(a not in (1, b) for a, b in
                                  zip(m.shape[::-1], input.shape[::-1])):
        raise ShapeError(f"masked_fill: mask of shape {m.shape} does not broadcast to the "
                         f"input's shape {tuple(input.shape)}")
    return where(m, _fill_value("masked_fill", value, input.dtype), input)


def _fill_value(op: str, value: Any, dtype: np.dtype) -> Any:
    """A fill value (number or 0-d tensor) cast to the filled tensor's dtype, as PyTorch
    does (a float into an integer tensor truncates); a tensor stays differentiable."""
    if isinstance(value, Tensor):
        if value.ndim:
            raise ShapeError(f"{op}: only supports a 0-dimensional value tensor, got "
                             f"shape {tuple(value.shape)}")
        return to(value, dtype)
    if isinstance(value, (int, float, bool, np.generic)):
        return np.array(value).astype(dtype)
    raise TypeError(f"{op}: value must be a number or a 0-d tensor, got "
                    f"{type(value).__name__}")


def _as_tensor(x: Any) -> Tensor:
    """A source operand: a Tensor, or an array(-like) wrapped as a constant one."""
    return x if isinstance(x, Tensor) else wrap(np.asarray(x))


# ---- flat and along-a-dimension reads ---------------------------------------------

@register("take")
def take(input: Tensor, index: Any) -> Tensor:
    """``input.flatten()[index]``, shaped like the int64 `index`; negative indices count
    from the end.  The gradient scatter-adds into the flat input (repeats accumulate)."""
    idx = _index_array(index)
    _check_dtype("take", idx, long_only=True)
    n = input.numel()
    if idx.size and not n:
        raise IndexError("take: tried to take from an empty tensor")
    _check_bounds("take", idx, 0, n, negative=True)
    return apply(GetItem, reshape(input, -1), index=(idx,), basic=False)


@register("take_along_dim")
def take_along_dim(input: Tensor, indices: Any, dim: int | None = None) -> Tensor:
    """The values at the int64 `indices` along `dim` (NumPy's take_along_axis), input and
    indices broadcasting against each other in the other dims; negative indices count
    from the end.  With dim=None both are read flattened (gather on the flat input)."""
    idx = _index_array(indices)
    _check_dtype("take_along_dim", idx, long_only=True)
    if dim is None:
        return gather(reshape(input, -1), 0, idx.reshape(-1))
    if not input.ndim:
        raise IndexError(f"take_along_dim: dimension specified as {dim} but the input is "
                         f"0-d")
    if idx.ndim != input.ndim:
        raise ShapeError(f"take_along_dim: input {tuple(input.shape)} and indices "
                         f"{idx.shape} should have the same number of dimensions")
    d = norm_axis("take_along_dim", dim, input.ndim)
    n = input.shape[d]
    _check_bounds("take_along_dim", idx, d, n, negative=True)
    try:
        shape = list(np.broadcast_shapes(input.shape[:d] + (1,) + input.shape[d + 1:],
                                         idx.shape[:d] + (1,) + idx.shape[d + 1:]))
    except ValueError:
        raise ShapeError(f"take_along_dim: input {tuple(input.shape)} and indices "
                         f"{idx.shape} do not broadcast outside dimension {d}") from None
    shape[d] = n
    x = broadcast_to(input, shape)
    shape[d] = idx.shape[d]
    return gather(x, d, np.broadcast_to(idx + n * (idx < 0), shape))


# ---- writes: scatter, index_add/copy/fill, masked_select/scatter -------------------

@register("scatter")
def scatter(input: Tensor, dim: int, index: Any, src: Any = None, *,
            value: Any = None) -> Tensor:
    """Out-of-place scatter_: ``out[index[i][j]][j] = src[i][j]`` (for dim 0), or `value`
    (a number, which may also be passed as `src`).  Of repeated target positions one
    value wins (PyTorch leaves which unspecified).  d/dsrc = g gathered at index;
    d/dinput = g with the written positions zeroed."""
    idx = _index_array(index)
    d = norm_axis("scatter", dim, input.ndim)
    _check_gather("scatter", input.shape, idx, d)
    if (src is None) == (value is None):
        raise TypeError("scatter: expected exactly one of src (a tensor) and value")
    if value is None and not isinstance(src, (int, float, bool, np.generic)):
        v = _as_tensor(src)
        if v.dtype != input.dtype:
            raise RuntimeError(f"scatter: expected self.dtype ({input.dtype}) to be equal "
                               f"to src.dtype ({v.dtype})")
        if max(v.ndim, 1) != max(idx.ndim, 1) or any(
                i > s for i, s in zip(idx.shape, v.shape)):
            raise ShapeError(f"scatter: index {idx.shape} must have as many dimensions "
                             f"as src {tuple(v.shape)} and be no larger")
        if v.shape != idx.shape:
            v = v[tuple(slice(0, n) for n in idx.shape)]
    else:
        v = _fill_value("scatter", src if value is None else value, input.dtype)
    x = input
    if not (input.ndim and idx.ndim):   # PyTorch reads a 0-d input or index as 1-d here
        x, idx = reshape(input, -1), idx.reshape(-1)
    out = apply(IndexPut, x, v, index=_along(idx, d), basic=False, accumulate=False)
    return out if x is input else reshape(out, input.shape)


def _index_along(op: str, input: Tensor, dim: Any, idx: np.ndarray,
                 negative: bool = False) -> tuple:
    """(dim as a non-negative int, the 0-d or 1-d index as 1-d) of index_add/copy/fill,
    every entry checked against the size of that dimension."""
    if idx.ndim > 1:
        raise IndexShapeError(f"{op}: index must be 0-d or 1-d, got shape {idx.shape}")
    d = norm_axis(op, dim, input.ndim)
    _check_bounds(op, idx, d, input.shape[d] if input.ndim else 1, negative)
    return d, idx.reshape(-1)


def _check_source(op: str, input: Tensor, d: int, idx: np.ndarray, source: Tensor) -> None:
    """`source` has input's dtype and shape but for len(idx) along `d`."""
    if source.dtype != input.dtype:
        raise RuntimeError(f"{op}: self ({input.dtype}) and source ({source.dtype}) must "
                           f"have the same dtype")
    want = input.shape[:d] + (idx.size,) + input.shape[d + 1:] if input.ndim else ()
    if source.shape != want:
        raise IndexShapeError(f"{op}: source of shape {tuple(source.shape)} does not match "
                              f"the {idx.size} indexed slices of input "
                              f"{tuple(input.shape)} along dim {d}: expected {want}")


def _put_along(input: Tensor, d: int, idx: np.ndarray, v: Any, accumulate: bool) -> Tensor:
    """A copy of `input` with `v` written (or added) at `idx` along dim `d`."""
    x = input if input.ndim else reshape(input, 1)
    out = apply(IndexPut, x, v, index=(slice(None),) * d + (idx,), basic=False,
                accumulate=accumulate)
    return out if x is input else reshape(out, ())


@register("index_add")
def index_add(input: Tensor, dim: int, index: Any, source: Any, *, alpha: Any = 1) -> Tensor:
    """Out-of-place index_add_: ``alpha * source``'s slices added to input's at `index`
    along `dim` (repeated indices accumulate).  d/dinput = g, d/dsource = alpha g[index]."""
    idx = _index_array(index)
    _check_dtype("index_add", idx)
    d, idx = _index_along("index_add", input, dim, idx)
    source = _as_tensor(source)
    _check_source("index_add", input, d, idx, source)
    if alpha != 1:   # (cast to the dtype first, as PyTorch does: 1.5 is 1 for integers)
        source = source * (alpha if input.dtype.kind in "fc"
                           else np.array(alpha).astype(input.dtype).item())
    return _put_along(input, d, idx, source, accumulate=True)


@register("index_copy")
def index_copy(input: Tensor, dim: int, index: Any, source: Any) -> Tensor:
    """Out-of-place index_copy_: source's slices replace input's at the int64 `index`
    along `dim`.  d/dsource = g[index]; d/dinput = g with those slices zeroed."""
    idx = _index_array(index)
    _check_dtype("index_copy", idx, long_only=True)
    d, idx = _index_along("index_copy", input, dim, idx)
    source = _as_tensor(source)
    _check_source("index_copy", input, d, idx, source)
    return _put_along(input, d, idx, source, accumulate=False)


@register("index_fill")
def index_fill(input: Tensor, dim: int, index: Any, value: Any) -> Tensor:
    """Out-of-place index_fill_: `value` (a number or 0-d tensor, cast to input's dtype)
    in the slices at the int64 `index` along `dim`; negative indices count from the end.
    d/dinput = g with those slices zeroed; d/dvalue = the sum of g over them."""
    idx = _index_array(index)
    _check_dtype("index_fill", idx, long_only=True, error=IndexError)
    d, idx = _index_along("index_fill", input, dim, idx, negative=True)
    n = input.shape[d] if input.ndim else 1
    # each slice once, so a value tensor's gradient counts it once
    idx = np.unique(idx + n * (idx < 0))
    return _put_along(input, d, idx, _fill_value("index_fill", value, input.dtype),
                      accumulate=False)


def _broadcast_masked(op: str, input: Tensor, mask: Any) -> tuple:
    """(input, boolean mask), both broadcast to their common shape."""
    m = _mask(op, mask)
    try:
        shape = np.broadcast_shapes(input.shape, m.shape)
    except ValueError:
        raise ShapeError(f"{op}: mask of shape {m.shape} does not broadcast with the "
                         f"input's shape {tuple(input.shape)}") from None
    return broadcast_to(input, shape), np.broadcast_to(m, shape)


@register("masked_select")
def masked_select(input: Tensor, mask: Any) -> Tensor:
    """The elements of `input` where the boolean `mask` is True (the two broadcast), as a
    1-D tensor in row-major order; the gradient scatters back into zeros."""
    x, m = _broadcast_masked("masked_select", input, mask)
    if not m.ndim:
        x, m = reshape(x, 1), m.reshape(1)
    return apply(GetItem, x, index=(m,), basic=False)


@register("masked_scatter")
def masked_scatter(input: Tensor, mask: Any, source: Any) -> Tensor:
    """A copy of `input` (broadcast with `mask`) whose elements where `mask` is True are
    the first elements of `source`, in row-major order.  d/dinput = g where mask is
    False; d/dsource = g at the mask's positions, zero for source's unused tail."""
    x, m = _broadcast_masked("masked_scatter", input, mask)
    source = _as_tensor(source)
    if source.dtype != input.dtype:
        raise RuntimeError(f"masked_scatter: expected self ({input.dtype}) and source "
                           f"({source.dtype}) to have the same dtype")
    n = int(np.count_nonzero(m))
    if source.numel() < n:
        raise RuntimeError(f"masked_scatter: source has {source.numel()} elements, fewer "
                           f"than the {n} True entries of the mask")
    if m.ndim:
        return apply(IndexPut, x, reshape(source, -1)[:n], index=(m,), basic=False,
                     accumulate=False)
    out = apply(IndexPut, reshape(x, 1), reshape(source, -1)[:n], index=(m.reshape(1),),
                basic=False, accumulate=False)
    return reshape(out, ())


# ---- positions (not differentiable) -------------------------------------------------

@register("nonzero")
def nonzero(input: Tensor, *, as_tuple: bool = False) -> Tensor | tuple:
    """The indices of the nonzero elements: an int64 (count, ndim) tensor, or with
    `as_tuple` one 1-D int64 tensor per dimension (a 0-d input counts as 1-d there)."""
    d = _index_array(input)
    if as_tuple:
        return tuple(wrap(i.astype(np.int64, copy=False))
                     for i in np.nonzero(np.atleast_1d(d)))
    return wrap(np.argwhere(d).astype(np.int64, copy=False))


@register("argwhere")
def argwhere(input: Tensor) -> Tensor:
    """``nonzero(input)``: the (count, ndim) int64 indices of the nonzero elements."""
    return nonzero(input)


# ---- counting and searching ------------------------------------------------------------

@register("bincount")
def bincount(input: Tensor, weights: Any = None, minlength: int = 0) -> Tensor:
    """How often each value 0..max occurs in the 1-D non-negative integer `input` (at
    least `minlength` bins): int64, or with `weights` the sum of each value's weights
    (float weights keep their dtype, others give float64).  The weighted counts are
    `index_add` into zeros, so they are differentiable in the weights."""
    x = _index_array(input)
    if x.dtype.kind not in "iu":
        raise NotImplementedError(f"bincount: not implemented for dtype {x.dtype} (1-d "
                                  f"non-negative integral inputs only)")
    if x.ndim != 1 or (x.size and x.min() < 0):
        raise RuntimeError(f"bincount only supports 1-d non-negative integral inputs (got "
                           f"shape {x.shape}{', a negative value' if x.ndim == 1 else ''})")
    if minlength < 0:
        raise RuntimeError(f"bincount: minlength should be >= 0, got {minlength}")
    w = None if weights is None else _as_tensor(weights)
    if w is not None and (w.ndim != 1 or w.shape[0] != x.shape[0]):
        raise RuntimeError(f"bincount: weights should be 1-d and have the same length as "
                           f"input (weights shape {tuple(w.shape)}, input shape {x.shape})")
    if w is None or not x.size:   # (PyTorch gives int64 zeros for no input, weights or not)
        return wrap(np.bincount(x, minlength=minlength).astype(np.int64))
    if w.dtype.kind != "f":
        w = to(w, np.float64)
    zeros = wrap(np.zeros(max(int(x.max()) + 1, minlength), w.dtype))
    return index_add(zeros, 0, x.astype(np.int64), w)


def _search(seq: np.ndarray, v: np.ndarray, side: str) -> np.ndarray:
    """np.searchsorted of each row of `v` in the matching row of `seq` (last axis; the
    leading dims match), in one call: the values are replaced by their ranks among all
    of both, and each row's ranks are shifted past the previous row's."""
    if seq.ndim == 1:
        return np.searchsorted(seq, v, side)
    m = seq.shape[-1]
    if not (m and v.size):
        return np.zeros(v.shape, np.int64)
    rows = seq.reshape(-1, m)
    _, ranks = np.unique(np.concatenate([rows.reshape(-1), v.reshape(-1)]),
                         return_inverse=True)
    ranks = ranks.reshape(-1)
    shift = (ranks.max() + 1 if ranks.size else 0) * np.arange(rows.shape[0])[:, None]
    r_seq = ranks[:rows.size].reshape(rows.shape) + shift
    r_v = ranks[rows.size:].reshape(rows.shape[0], -1) + shift
    pos = np.searchsorted(r_seq.reshape(-1), r_v, side)
    return (pos - m * np.arange(rows.shape[0])[:, None]).reshape(v.shape)


@register()
def searchsorted(sorted_sequence: Any, input: Any, *, out_int32: bool = False,
                 right: bool = False, side: str | None = None, sorter: Any = None) -> Tensor:
    """Where each value of `input` would be inserted in `sorted_sequence` (1-D, or N-D
    with input's leading dims, searched row by row) to keep it sorted: the first such
    index, or with right=True / side='right' the last.  `sorter` holds the indices that
    sort an unsorted sequence.  int64 (int32 with out_int32); not differentiable."""
    seq = _index_array(sorted_sequence)
    scalar = not isinstance(input, (Tensor, np.ndarray))
    v = _index_array(input)
    if not seq.ndim:
        raise RuntimeError("searchsorted: boundaries tensor should have positive dimension, "
                           "but got 0 dimension")
    if scalar and seq.ndim != 1:
        raise RuntimeError(f"searchsorted: input value can be a scalar only when boundaries "
                           f"tensor dimension is 1, but we got boundaries tensor dim"
                           f"({seq.ndim}) and input value's dim({v.ndim}) numel({v.size})")
    if seq.ndim != 1 and (v.ndim != seq.ndim or v.shape[:-1] != seq.shape[:-1]):
        raise RuntimeError(f"searchsorted: boundaries tensor should be 1 dimension or the "
                           f"first N-1 dimensions of boundaries tensor and input value "
                           f"tensor must match, but we got boundaries tensor "
                           f"{list(seq.shape)} and input value tensor {list(v.shape)}")
    if side not in (None, "left", "right"):
        raise RuntimeError(f"searchsorted: side can only be 'left' or 'right' but got "
                           f"{side}")
    if right and side == "left":
        raise RuntimeError("searchsorted: side and right can't be set to opposites, got "
                           "side of left while right was True")
    if sorter is not None:
        order = _index_array(sorter)
        if order.dtype != np.int64:
            raise RuntimeError(f"searchsorted: sorter must be a tensor of long dtype but got "
                               f"dtype {order.dtype}")
        if order.shape != seq.shape:
            raise RuntimeError(f"searchsorted: boundary and sorter must have the same size, "
                               f"but got boundary tensor {list(seq.shape)} and sorter "
                               f"tensor {list(order.shape)}")
        if order.size and (order.min() < 0 or order.max() >= seq.shape[-1]):
            raise RuntimeError("searchsorted: sorter index out of range")
        seq = np.take_along_axis(seq, order, -1)
    pos = _search(seq, v, "right" if right or side == "right" else "left")
    return wrap(np.asarray(pos, np.int32 if out_int32 else np.int64))


@register()
def bucketize(input: Any, boundaries: Any, *, out_int32: bool = False,
              right: bool = False) -> Tensor:
    """The bucket of each value of `input` among the sorted 1-D `boundaries`: the i with
    boundaries[i-1] < x <= boundaries[i] (boundaries[i-1] <= x < boundaries[i] with
    right=True), i.e. ``searchsorted(boundaries, input, right=right)``."""
    b = _index_array(boundaries)
    if b.ndim != 1:
        raise RuntimeError(f"bucketize: boundaries tensor must be 1 dimension, but got "
                           f"dim({b.ndim})")
    return searchsorted(b, input, out_int32=out_int32, right=right)


# ---- selecting and writing slices ---------------------------------------------------------

def _select_index(op: str, input: Tensor, dim: int, index: Any) -> tuple:
    """The basic index of ``input.select(dim, index)``, checked like PyTorch's select."""
    if not input.ndim:
        raise IndexError(f"{op}: select() cannot be applied to a 0-dim tensor.")
    d = norm_axis(op, dim, input.ndim)
    i, n = operator.index(index), input.shape[d]
    if not -n <= i < n:
        raise IndexError(f"{op}: select(): index {i} out of range for tensor of size "
                         f"{list(input.shape)} at dimension {d}")
    return (slice(None),) * d + (i,)


@register("select")
def select(input: Tensor, dim: int, index: int) -> Tensor:
    """The slice at `index` along `dim`, with that dimension removed (a view)."""
    return getitem(input, _select_index("select", input, dim, index))


def _scatter_into(op: str, input: Tensor, src: Any, index: tuple, shape: tuple) -> Tensor:
    """A copy of `input` with its region `index` (of `shape`) replaced by `src`, which
    must have exactly that shape; d/dinput = g outside the region, d/dsrc = g in it."""
    src = _as_tensor(src)
    if tuple(src.shape) != shape:
        raise ShapeError(f"{op}: expected src to have a size equal to the slice of self. "
                         f"src size = {list(src.shape)}, slice size = {list(shape)}")
    return index_put(input, index, src)


@register("select_scatter")
def select_scatter(input: Tensor, src: Any, dim: int, index: int) -> Tensor:
    """A copy of `input` with its slice at `index` along `dim` replaced by `src`."""
    idx = _select_index("select_scatter", input, dim, index)
    return _scatter_into("select_scatter", input, src, idx,
                         input.shape[:len(idx) - 1] + input.shape[len(idx):])


@register("slice_scatter")
def slice_scatter(input: Tensor, src: Any, dim: int = 0, start: int | None = None,
                  end: int | None = None, step: int = 1) -> Tensor:
    """A copy of `input` with ``input[..., start:end:step, ...]`` (along `dim`) replaced
    by `src`."""
    if not input.ndim:
        raise IndexError("slice_scatter: slice() cannot be applied to a 0-dim tensor.")
    if step <= 0:
        raise RuntimeError(f"slice_scatter: slice step must be positive, got {step}")
    d = norm_axis("slice_scatter", dim, input.ndim)
    sl = slice(start, end, step)
    shape = input.shape[:d] + (len(range(*sl.indices(input.shape[d]))),) + input.shape[d + 1:]
    return _scatter_into("slice_scatter", input, src, (slice(None),) * d + (sl,), shape)


@register("diagonal_scatter")
def diagonal_scatter(input: Tensor, src: Any, offset: int = 0, dim1: int = 0,
                     dim2: int = 1) -> Tensor:
    """A copy of `input` with its diagonal `offset` of dims (dim1, dim2) (see
    `diagonal`) replaced by `src` (cast to input's dtype)."""
    view = diagonal(input, offset, dim1, dim2)   # (checks the arguments)
    src = _as_tensor(src)
    if src.shape != view.shape:
        raise ShapeError(f"diagonal_scatter: expected src to have a size equal to the slice "
                         f"of self. src size = {list(src.shape)}, slice size = "
                         f"{list(view.shape)}")
    params = dict(offset=int(offset), axis1=norm_axis("diagonal_scatter", dim1, input.ndim),
                  axis2=norm_axis("diagonal_scatter", dim2, input.ndim))
    on = np.zeros(input.shape, bool)
    _diagonal_view(on, *params.values())[...] = True
    return where(on, apply(DiagonalScatter, to(src, input.dtype), shape=input.shape, **params),
                 input)
