"""Shape ops: reshape, transpose, broadcasting, joining and splitting, padding, flipping;
tensor_split and its h/v/d forms, split_with_sizes, h/v/d/column/row_stack, atleast_nd,
meshgrid, cartesian_prod, combinations, block_diag, diag_embed, diagflat, Tensor.unfold
(sliding windows), vander.

Views (reshape, view, transpose, permute, squeeze, unsqueeze, expand, flatten) return
NumPy views that share the input's version counter, so an in-place change through a
view is seen by nodes that saved its base.  flip, repeat and pad copy, as in PyTorch.
"""
from __future__ import annotations

import operator
import warnings
from typing import Any, Sequence

import numpy as np

from ..dtypes import get_default_dtype, result_type
from ..grad_mode import STATE
from ..graph import Op, ShapeError, apply, register
from ..tensor import Tensor, wrap
from ._util import norm_axes, norm_axis, pick, view_op
from .convert import clone, to


def _sizes(op: str, args: tuple) -> tuple:
    """Accept f(2, 3) and f((2, 3)) like PyTorch."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    try:
        return tuple(int(a) for a in args)
    except TypeError:
        raise TypeError(f"{op}: sizes must be ints, got {args!r}") from None


# ---- broadcasting pair: expand and its adjoint sum_to -------------------------------

class Expand(Op):
    """Broadcast to `shape` (a read-only view); backward sums back."""
    name = "Expand"
    view = True
    save_inputs = False

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = xs = x.shape
        lead = len(shape) - len(xs)
        # np.broadcast_to runs an nditer from Python (5-15 us, much of a small step's
        # backward); a C-contiguous input's broadcast is one ndarray constructor call.
        if not xs:   # (0-d: a mean's or sum's gradient)
            out = np.ndarray(shape, x.dtype, x, 0, (0,) * lead)
        elif lead >= 0 and x.size and x.flags.c_contiguous and \
                all([n == 1 or n == m for n, m in zip(xs, shape[lead:])]):
            out = np.ndarray(shape, x.dtype, x, 0, (0,) * lead + tuple(
                [0 if n == 1 else s for n, s in zip(xs, x.strides)]))
        else:
            return np.broadcast_to(x, shape)
        out.flags.writeable = False
        return out

    @staticmethod
    def backward(ctx, g):
        return sum_to(g, ctx.in_shape)


class SumTo(Op):
    """Sum a broadcast result back to `shape` (the adjoint of broadcasting)."""
    name = "SumTo"
    save_inputs = False

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = xs = x.shape
        lead = x.ndim - len(shape)
        if xs[lead:] == shape:   # only leading axes to sum (a bias's gradient)
            if not lead:
                return x.reshape(shape)
            return np.add.reduce(x, axis=0 if lead == 1 else tuple(range(lead)))
        axes = tuple(range(lead)) + tuple(
            [i + lead for i, n in enumerate(shape) if n == 1 and xs[i + lead] != 1])
        return np.add.reduce(x, axis=axes, keepdims=True).reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return expand_to(g, ctx.in_shape)


def sum_to(g: Tensor, shape: tuple) -> Tensor:
    """Sum `g` over the axes that broadcasting added or stretched, giving `shape`."""
    if g._data.shape == shape:
        return g
    return apply(SumTo, g, shape=shape)


def expand_to(g: Tensor, shape: tuple) -> Tensor:
    """Broadcast `g` to the known-compatible `shape` (the lean form backward rules use)."""
    if g._data.shape == shape:
        return g
    if not STATE.enabled:
        # Plain backward: a read-only view of a gradient that nothing saves, and that
        # becomes a .grad only as a copy, needs no shared version counter.
        return apply(Expand, g, shape=shape)
    return view_op(Expand, g, shape=shape)


def reshape_to(g: Tensor, shape: tuple) -> Tensor:
    """`g` with the known-valid `shape` (the lean form backward rules use)."""
    if g._data.shape == shape:
        return g
    return view_op(Reshape, g, shape=shape)


@register("sum_to_size")
def sum_to_size(input: Tensor, *size: Any) -> Tensor:
    """Sum `input` down to the broadcast-compatible shape `size`."""
    shape = _sizes("sum_to_size", size)
    try:
        np.broadcast_shapes(shape, input.shape)
    except ValueError:
        raise ShapeError(f"sum_to_size: size {shape} is not expandable to "
                         f"{tuple(input.shape)}") from None
    return sum_to(input, shape)


@register("expand")
def expand(input: Tensor, *sizes: Any) -> Tensor:
    """Broadcast to `sizes` (-1 keeps a dimension), returning a view."""
    shape = _sizes("expand", sizes)
    nd = len(shape) - input.ndim
    if nd < 0:
        raise ShapeError(f"expand: the number of sizes provided ({len(shape)}) must be "
                         f"greater or equal to the number of dimensions in the tensor "
                         f"({input.ndim})")
    shape = tuple(input.shape[i - nd] if s == -1 and i >= nd else s
                  for i, s in enumerate(shape))
    if any(s < 0 for s in shape):   # (-1 in a new leading dimension, or below -1)
        i = next(i for i, s in enumerate(shape) if s < 0)
        raise ShapeError(f"expand: the expanded size of the tensor ({shape[i]}) isn't "
                         f"allowed in a leading, non-existing dimension {i}" if i < nd else
                         f"expand: invalid size {shape[i]} at dimension {i} (sizes "
                         f"{list(sizes)}, tensor of shape {tuple(input.shape)})")
    if shape == input.shape:
        return input
    return view_op(Expand, input, shape=shape)


@register("broadcast_to")
def broadcast_to(input: Tensor, shape: Sequence[int]) -> Tensor:
    """NumPy's name for `expand`."""
    return expand(input, tuple(shape))


def expand_as(input: Tensor, other: Any) -> Tensor:
    """`input` broadcast to `other`'s shape (a view)."""
    return expand(input, tuple(other.shape))


Tensor.expand_as = expand_as


# ---- reshaping views ---------------------------------------------------------------

class Reshape(Op):
    """Same data, new shape."""
    name = "Reshape"
    view = True
    save_inputs = False

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return reshape_to(g, ctx.in_shape)


def _check_inferred(op: str, shape: tuple) -> None:
    """A reshape/view target with a negative size has a single -1 (NumPy would read any
    negative size as -1)."""
    if min(shape) < -1 or shape.count(-1) > 1:
        raise ShapeError(f"{op}: invalid shape {list(shape)}: only one dimension can be "
                         f"inferred (-1), and other sizes must be non-negative")


@register("reshape")
def reshape(input: Tensor, *shape: Any) -> Tensor:
    """A tensor with the same data and `shape` (one dimension may be -1): a view when
    the strides allow, else a copy."""
    shape = _sizes("reshape", shape)
    if shape and min(shape) < 0:
        _check_inferred("reshape", shape)
    if shape == input.shape:
        return input
    return view_op(Reshape, input, shape=shape)


def view(input: Tensor, *shape: Any) -> Tensor:
    """`reshape` that never copies: raises RuntimeError when the input's strides cannot
    express `shape` (a transposed matrix flattened, say); use reshape there."""
    data, shape = input.data, _sizes("view", shape)
    if shape and min(shape) < 0:
        _check_inferred("view", shape)
    try:
        shape = data.reshape(shape, copy=False).shape
    except ValueError as e:
        try:
            data.reshape(shape)   # a size that does not fit raises here
        except ValueError:
            raise ShapeError(f"view: {e} (input shape {tuple(data.shape)})") from None
        raise RuntimeError(f"view: view size is not compatible with input tensor's size "
                           f"and stride (input shape {tuple(data.shape)}, strides "
                           f"{data.strides}, view shape {shape}): at least one dimension "
                           f"spans across two contiguous subspaces. Use .reshape(...) "
                           f"instead.") from None
    return reshape(input, shape)


Tensor.view = view


@register("flatten")
def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dimensions start_dim..end_dim into one."""
    s = norm_axis("flatten", start_dim, input.ndim)
    e = norm_axis("flatten", end_dim, input.ndim)
    if input.ndim == 0:
        return reshape(input, 1)
    if s > e:
        raise ShapeError(f"flatten: start_dim ({start_dim}) cannot come after end_dim "
                         f"({end_dim})")
    shape = input.shape[:s] + (int(np.prod(input.shape[s:e + 1])),) + input.shape[e + 1:]
    return reshape(input, shape)


@register("unflatten")
def unflatten(input: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    """Split dimension `dim` into `sizes`."""
    d = norm_axis("unflatten", dim, input.ndim)
    return reshape(input, input.shape[:d] + tuple(sizes) + input.shape[d + 1:])


@register("squeeze")
def squeeze(input: Tensor, dim: Any = None, *, axis: Any = None) -> Tensor:
    """Remove size-1 dimensions (all, or those in `dim` whose size is 1)."""
    dim = pick("squeeze", dim, axis)
    if dim is None:
        axes = tuple(i for i, n in enumerate(input.shape) if n == 1)
    else:
        axes = tuple(a for a in norm_axes("squeeze", dim, input.ndim) or ()
                     if input.ndim and input.shape[a] == 1)
    shape = tuple(n for i, n in enumerate(input.shape) if i not in axes)
    return reshape(input, shape)


@register("unsqueeze")
def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert a size-1 dimension at `dim`."""
    d = norm_axis("unsqueeze", dim, input.ndim + 1)
    return reshape(input, input.shape[:d] + (1,) + input.shape[d:])


class Permute(Op):
    """Reorder dimensions (a view)."""
    name = "Permute"
    view = True
    save_inputs = False

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x.transpose(dims)

    @staticmethod
    def backward(ctx, g):
        return permute(g, tuple(np.argsort(ctx.dims)))


@register("permute")
def permute(input: Tensor, *dims: Any) -> Tensor:
    """Reorder the dimensions to `dims`."""
    if not dims:
        raise TypeError("permute: missing the dims argument (a 0-d tensor takes ())")
    dims = _sizes("permute", dims)
    if len(dims) != input.ndim:
        raise ShapeError(f"permute: number of dims ({len(dims)}) does not match the input's "
                         f"number of dimensions ({input.ndim})")
    dims = tuple(norm_axis("permute", d, input.ndim) for d in dims)
    if len(set(dims)) != len(dims):
        raise ShapeError(f"permute: duplicate dims are not allowed, got {dims}")
    if dims == tuple(range(input.ndim)):
        return input
    return view_op(Permute, input, dims=dims)


@register("transpose", "swapaxes")
def transpose(input: Tensor, dim0: int = -2, dim1: int = -1) -> Tensor:
    """Swap two dimensions (PyTorch's transpose; NumPy's swapaxes)."""
    nd = input.ndim
    a, b = norm_axis("transpose", dim0, nd), norm_axis("transpose", dim1, nd)
    if a == b:
        return input
    dims = list(range(nd))
    dims[a], dims[b] = b, a
    return view_op(Permute, input, dims=tuple(dims))   # valid by construction: no permute()


@register("movedim")
def movedim(input: Tensor, source: Any, destination: Any) -> Tensor:
    """Move dimension(s) `source` (an int or a sequence) to position(s) `destination`;
    the other dimensions keep their order."""
    src, dst = ((x,) if isinstance(x, (int, np.integer)) else tuple(x)
                for x in (source, destination))
    if len(src) != len(dst):
        raise ShapeError(f"movedim: Invalid source or destination dims: source ({list(src)} "
                         f"dims) should contain the same number of dims as destination "
                         f"({list(dst)} dims)")
    src, dst = ([norm_axis("movedim", a, input.ndim) for a in x] for x in (src, dst))
    for x in (src, dst):
        if len(set(x)) != len(x):
            raise RuntimeError(f"movedim: repeated dim in {list(x)}")
    rest = iter([i for i in range(input.ndim) if i not in src])
    where = dict(zip(dst, src))
    return permute(input, tuple(where[i] if i in where else next(rest)
                                for i in range(input.ndim)))


Tensor.T = property(lambda self: permute(self, tuple(range(self.ndim - 1, -1, -1))),
                    doc="The tensor with its dimensions reversed (the transpose of a matrix).")
Tensor.mT = property(lambda self: transpose(self, -2, -1),
                     doc="The transpose of the last two dimensions (batched matrices).")


# ---- joining and splitting -----------------------------------------------------------

class Cat(Op):
    """Concatenate along `axis`; backward slices the gradient back apart."""
    name = "Cat"
    save_inputs = False

    @staticmethod
    def forward(ctx, *xs, axis):
        ctx.axis = axis
        ctx.sizes = [x.shape[axis] for x in xs]
        return np.concatenate(xs, axis=axis)

    @staticmethod
    def backward(ctx, g):
        bounds = np.cumsum(ctx.sizes)[:-1].tolist()
        return split_at(g, bounds, ctx.axis)


def _tensors(op: str, tensors: Any) -> list:
    if isinstance(tensors, Tensor) or not len(tensors):
        # (PyTorch's types: TypeError for a tensor, ValueError from cat, RuntimeError
        # from stack for an empty list)
        raise (TypeError if isinstance(tensors, Tensor) else
               ValueError if op == "cat" else RuntimeError)(
            f"{op}: expected a non-empty sequence of tensors")
    return [t if isinstance(t, Tensor) else wrap(np.asarray(t)) for t in tensors]


@register("cat", "concatenate")
def cat(tensors: Sequence[Tensor], dim: int | None = None, *, axis: int | None = None) -> Tensor:
    """Join tensors along an existing dimension."""
    ts = _tensors("cat", tensors)
    d = norm_axis("cat", pick("cat", dim, axis, 0), ts[0].ndim)
    for i, t in enumerate(ts):
        if not t.ndim:
            raise ShapeError(f"cat: zero-dimensional tensor (at position {i}) cannot be "
                             f"concatenated")
        if t.ndim != ts[0].ndim or t.shape[:d] + t.shape[d + 1:] != \
                ts[0].shape[:d] + ts[0].shape[d + 1:]:
            raise ShapeError(f"cat: sizes of tensors must match except in dimension {d}: "
                             f"tensor 0 has shape {tuple(ts[0].shape)}, tensor {i} has "
                             f"shape {tuple(t.shape)}")
    dtype = result_type(*ts)   # PyTorch's promotion (NumPy's makes int64 + float32 float64)
    return apply(Cat, *[to(t, dtype) for t in ts], axis=d)


@register("stack")
def stack(tensors: Sequence[Tensor], dim: int | None = None, *, axis: int | None = None) -> Tensor:
    """Join tensors of equal shape along a new dimension."""
    ts = _tensors("stack", tensors)
    d = norm_axis("stack", pick("stack", dim, axis, 0), ts[0].ndim + 1)
    for i, t in enumerate(ts):
        if t.shape != ts[0].shape:
            raise ShapeError(f"stack: expects each tensor to be equal size, but got "
                             f"{tuple(ts[0].shape)} at entry 0 and {tuple(t.shape)} at "
                             f"entry {i}")
    return cat([unsqueeze(t, d) for t in ts], d)


class Split(Op):
    """Cut along `axis` at `bounds` into views; backward concatenates (zeros where an
    output got no gradient)."""
    name = "Split"
    view = True
    save_inputs = False

    @staticmethod
    def forward(ctx, x, bounds, axis):
        ctx.axis, ctx.in_shape, ctx.bounds = axis, x.shape, bounds
        return tuple(np.split(x, bounds, axis=axis))

    @staticmethod
    def backward(ctx, *gs):
        edges = [0, *ctx.bounds, ctx.in_shape[ctx.axis]]
        parts = []
        for g, lo, hi in zip(gs, edges[:-1], edges[1:]):
            if g is None:
                shape = list(ctx.in_shape)
                shape[ctx.axis] = hi - lo
                g = wrap(np.zeros(shape, dtype=next(x for x in gs if x is not None).dtype))
            parts.append(g)
        return cat(parts, ctx.axis)


def split_at(x: Tensor, bounds: list, axis: int) -> tuple:
    """Cut `x` along `axis` before each index in `bounds`."""
    return view_op(Split, x, bounds=bounds, axis=axis)


@register("split")
def split(input: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple:
    """Split into chunks of a given size, or of the given list of sizes."""
    _check_not_0d("split", input)
    d = norm_axis("split", dim, input.ndim)
    n = input.shape[d]
    if isinstance(split_size_or_sections, (int, np.integer)):
        step = int(split_size_or_sections)
        if step < 0 or step == 0 and n:
            raise ShapeError(f"split: split_size must be positive (or 0 for a dimension of "
                             f"size 0), got {step} for dimension {d} of size {n}")
        bounds = list(range(step, n, step)) if step else []
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n or min(sizes, default=0) < 0:
            raise ShapeError(f"split: split sizes {sizes} must be non-negative and sum to "
                             f"the size of dim {d} ({n})")
        bounds = np.cumsum(sizes)[:-1].tolist()
    return split_at(input, bounds, d)


def _check_not_0d(op: str, input: Tensor) -> None:
    if not input.ndim:
        raise ShapeError(f"{op}: expects at least a 1-dimensional tensor, got a 0-d one")


@register("chunk")
def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    """Split into `chunks` pieces of equal size (the last may be smaller, and there may
    be fewer pieces when the size does not allow `chunks`)."""
    _check_not_0d("chunk", input)
    if chunks <= 0:
        raise ShapeError(f"chunk: expects `chunks` to be greater than 0, got {chunks}")
    d = norm_axis("chunk", dim, input.ndim)
    n = input.shape[d]
    if not n:   # as in PyTorch, `chunks` empty pieces (a split would give one)
        return split_at(input, [0] * (chunks - 1), d)
    return split(input, -(-n // chunks), d)


@register("unbind")
def unbind(input: Tensor, dim: int = 0) -> tuple:
    """The slices along `dim`, with that dimension removed."""
    if not input.ndim:
        raise IndexError("unbind: dimension specified as 0 but tensor has no dimensions")
    d = norm_axis("unbind", dim, input.ndim)
    return tuple(squeeze(p, d) for p in split(input, 1, d))


# ---- padding, flipping, repeating --------------------------------------------------

class Pad(Op):
    """Constant padding; backward slices the interior back out."""
    name = "Pad"
    save_inputs = False

    @staticmethod
    def forward(ctx, x, widths, value):
        ctx.index = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, x.shape))
        return np.pad(x, widths, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx, g):
        return g[ctx.index]


_PAD_MODES = ("constant", "reflect", "replicate", "circular")


@register("pad")
def pad(input: Tensor, pad: Sequence[int], mode: str = "constant",
        value: float | None = None) -> Tensor:
    """PyTorch's F.pad: `pad` lists (left, right) widths (ints) from the last dimension
    backwards; negative widths crop.  Modes: constant (`value`, None meaning 0), reflect,
    replicate, circular."""
    if not isinstance(pad, (tuple, list)):
        raise TypeError(f"pad: argument 'pad' must be a tuple of ints, not "
                        f"{type(pad).__name__}")
    for i, p in enumerate(pad):
        # bool is an int to Python but not to PyTorch; floats would silently truncate.
        if isinstance(p, bool) or not hasattr(type(p), "__index__"):
            raise TypeError(f"pad: argument 'pad' must be a tuple of ints, but found element "
                            f"of type {type(p).__name__} at pos {i}: {tuple(pad)}")
    if mode != "constant" and value:
        raise RuntimeError(f"pad: padding mode {mode!r} doesn't take in value argument "
                           f"(got value={value})")
    value = 0.0 if value is None else value
    pad = [operator.index(p) for p in pad]
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ShapeError(f"pad: padding length {len(pad)} must be even and at most twice the "
                         f"number of dimensions ({input.ndim})")
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"pad: unrecognised padding mode {mode!r} (expected one "
                                  f"of {', '.join(_PAD_MODES)})")
    widths = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):
        widths[input.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    if mode == "constant":
        if any(lo < 0 or hi < 0 for lo, hi in widths):   # crop first (a view), then pad
            for d, ((lo, hi), n) in enumerate(zip(widths, input.shape)):
                if n + min(lo, 0) + min(hi, 0) < 0:
                    raise ShapeError(f"pad: padding {pad} crops dimension {d} of size {n} "
                                     f"to a negative size")
            input = input[tuple(slice(max(-lo, 0), n - max(-hi, 0))
                                for (lo, hi), n in zip(widths, input.shape))]
            widths = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
        return apply(Pad, input, widths=widths, value=value)
    if not pad:
        raise NotImplementedError(f"pad: {mode} padding needs at least one (left, right) "
                                  f"pair")
    # The other modes read input elements: index with one coordinate array per dimension.
    return input[np.ix_(*[_pad_source(mode, d, n, lo, hi)
                          for d, ((lo, hi), n) in enumerate(zip(widths, input.shape))])]


def _pad_source(mode: str, dim: int, n: int, lo: int, hi: int) -> np.ndarray:
    """The input positions that padding (lo, hi) in `mode` reads along one dimension."""
    if (lo or hi) and (not n or n + lo + hi < 1):
        raise ShapeError(f"pad: {mode} padding ({lo}, {hi}) of dimension {dim} (size {n}) "
                         f"needs a non-empty input and output")
    if mode == "circular":   # (negative widths crop first, as in PyTorch)
        start, m = max(-lo, 0), n - max(-lo, 0) - max(-hi, 0)
        if max(lo, hi) > m:
            raise ShapeError(f"pad: circular padding ({lo}, {hi}) of dimension {dim} (size "
                             f"{n}) would wrap around more than once")
        return start + np.arange(-max(lo, 0), m + max(hi, 0)) % m
    i = np.arange(-lo, n + hi)
    if mode == "replicate":
        return np.clip(i, 0, n - 1)
    if lo >= n or hi >= n:   # (NumPy would reflect again from the other end)
        raise ShapeError(f"pad: reflect padding ({lo}, {hi}) must be less than the size "
                         f"({n}) of dimension {dim}")
    i = np.abs(i)
    return np.where(i < n, i, 2 * (n - 1) - i)


class Flip(Op):
    """Reverse the order along `axes` (a copy, as in PyTorch)."""
    name = "Flip"
    save_inputs = False

    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return np.flip(x, axes).copy()

    @staticmethod
    def backward(ctx, g):
        return apply(Flip, g, axes=ctx.axes)


@register("flip")
def flip(input: Tensor, *dims: Any, axis: Any = None) -> Tensor:
    """Reverse the order of elements along `dims`: flip(0, 1) or flip((0, 1)); all
    dimensions when none are given (NumPy style)."""
    dims = dims[0] if len(dims) == 1 else dims or None
    axes = norm_axes("flip", pick("flip", dims, axis), input.ndim)
    if axes is None or not input.ndim:   # (a 0-d tensor takes dim 0 or -1: nothing to do)
        axes = tuple(range(input.ndim))
    return apply(Flip, input, axes=axes)


class Repeat(Op):
    """Tile `reps` times along each dimension (a copy);  backward sums over the copies."""
    name = "Repeat"
    save_inputs = False

    @staticmethod
    def forward(ctx, x, reps):
        ctx.in_shape, ctx.reps = x.shape, reps
        return np.tile(x, reps)

    @staticmethod
    def backward(ctx, g):
        shape = (1,) * (len(ctx.reps) - len(ctx.in_shape)) + ctx.in_shape
        # (r0*s0, r1*s1) -> (r0, s0, r1, s1) -> summed to (1, s0, 1, s1) -> (s0, s1)
        big = tuple(x for r, s in zip(ctx.reps, shape) for x in (r, s))
        one_each = tuple(x for s in shape for x in (1, s))
        return reshape_to(sum_to(reshape_to(g, big), one_each), ctx.in_shape)


@register("repeat")
def repeat(input: Tensor, *sizes: Any) -> Tensor:
    """Tile the tensor `sizes[i]` times along each dimension (PyTorch's repeat, NumPy's tile)."""
    reps = _sizes("repeat", sizes)
    if len(reps) < input.ndim:
        raise ShapeError(f"repeat: number of repeat dims ({len(reps)}) can not be smaller "
                         f"than the number of dimensions of the tensor ({input.ndim})")
    if reps and min(reps) < 0:
        raise ShapeError(f"repeat: repeats must be non-negative, got {list(reps)}")
    return apply(Repeat, input, reps=reps)


@register("tile")
def tile(input: Tensor, *dims: Any) -> Tensor:
    """`repeat` with NumPy's rule for short `dims`: ones are prepended to it (tile((2,))
    of a matrix repeats its columns)."""
    reps = _sizes("tile", dims)
    return repeat(input, (1,) * (input.ndim - len(reps)) + reps)


class Roll(Op):
    """Shift elements cyclically along `axes` (None: the flattened tensor);  backward
    rolls the gradient back."""
    name = "Roll"
    save_inputs = False

    @staticmethod
    def forward(ctx, x, shifts, axes):
        ctx.shifts, ctx.axes = shifts, axes
        return np.roll(x, shifts, axes)

    @staticmethod
    def backward(ctx, g):
        return apply(Roll, g, shifts=tuple(-s for s in ctx.shifts), axes=ctx.axes)


def _ints(op: str, what: str, x: Any) -> tuple:
    """An int or a sequence of ints as a tuple (floats raise TypeError, as in PyTorch)."""
    xs = (x,) if hasattr(x, "__index__") else tuple(x)
    if any(isinstance(v, bool) or not hasattr(v, "__index__") for v in xs):
        raise TypeError(f"{op}: argument '{what}' must be an int or a tuple of ints, "
                        f"got {x!r}")
    return tuple(int(v) for v in xs)


@register("roll")
def roll(input: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    """Roll by `shifts` along `dims` (ints or equal-length tuples); with dims=None the
    flattened tensor rolls and the shape is restored."""
    shifts = _ints("roll", "shifts", shifts)
    axes = None if dims is None else _ints("roll", "dims", dims)
    if not shifts:
        raise RuntimeError("roll: `shifts` required")
    if len(shifts) != (1 if axes is None else len(axes)):
        raise RuntimeError(f"roll: shifts and dimensions must align. shifts: {len(shifts)}, "
                           f"dims: {0 if axes is None else len(axes)}")
    if axes is not None:
        if not input.ndim:
            raise IndexError(f"roll: dimension specified as {axes[0]} but the tensor has "
                             f"no dimensions")
        axes = tuple(norm_axis("roll", d, input.ndim) for d in axes)
    return apply(Roll, input, shifts=shifts, axes=axes)


class Tril(Op):
    """Zero the elements above diagonal `diagonal` of the last two dims;  the map is its
    own adjoint, so backward applies it to the gradient."""
    name = "Tril"
    save_inputs = False
    keep = staticmethod(np.tril)

    @staticmethod
    def forward(ctx, x, diagonal):
        ctx.k = diagonal
        return ctx.keep(x, diagonal)

    @staticmethod
    def backward(ctx, g):
        return apply(type(ctx), g, diagonal=ctx.k)


class Triu(Tril):
    """Zero the elements below diagonal `diagonal` of the last two dims."""
    name = "Triu"
    keep = staticmethod(np.triu)


def _triangle(op: str, cls: type, input: Tensor, diagonal: int) -> Tensor:
    if input.ndim < 2:
        raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions, got shape "
                           f"{tuple(input.shape)}")
    return apply(cls, input, diagonal=int(diagonal))


@register("tril")
def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of each matrix (last two dims), diagonal `diagonal` included
    (> 0 above the main one, < 0 below)."""
    return _triangle("tril", Tril, input, diagonal)


@register("triu")
def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of each matrix (last two dims), diagonal `diagonal` included."""
    return _triangle("triu", Triu, input, diagonal)


# ---- diagonals ----------------------------------------------------------------------

def _diagonal_view(x: np.ndarray, offset: int, axis1: int, axis2: int) -> np.ndarray:
    """np.diagonal, writeable when `x` is (PyTorch's diagonal is a writeable view)."""
    d = np.diagonal(x, offset, axis1, axis2)
    if x.flags.writeable:
        d.flags.writeable = True
    return d


class Diagonal(Op):
    """The diagonal `offset` of dims (axis1, axis2), appended as the last dim (a view);
    backward writes the gradient onto that diagonal of zeros."""
    name = "Diagonal"
    view = True
    save_inputs = False

    @staticmethod
    def forward(ctx, x, offset, axis1, axis2):
        ctx.in_shape, ctx.where = x.shape, (offset, axis1, axis2)
        return _diagonal_view(x, offset, axis1, axis2)

    @staticmethod
    def backward(ctx, g):
        offset, axis1, axis2 = ctx.where
        return apply(DiagonalScatter, g, shape=ctx.in_shape, offset=offset, axis1=axis1,
                     axis2=axis2)


class DiagonalScatter(Op):
    """Zeros of `shape` with g on the diagonal `offset` of dims (axis1, axis2): the
    adjoint of `Diagonal`, which is its gradient in turn (also diag of a vector)."""
    name = "DiagonalScatter"
    save_inputs = False

    @staticmethod
    def forward(ctx, g, shape, offset, axis1, axis2):
        ctx.where = (offset, axis1, axis2)
        out = np.zeros(shape, dtype=g.dtype)
        _diagonal_view(out, offset, axis1, axis2)[...] = g
        return out

    @staticmethod
    def backward(ctx, gg):
        offset, axis1, axis2 = ctx.where
        return apply(Diagonal, gg, offset=offset, axis1=axis1, axis2=axis2)


@register("diagonal")
def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal `offset` (> 0 above the main one) of the matrices in dims (dim1,
    dim2): a view with those dims removed and the diagonal as the last dim."""
    nd = input.ndim
    if nd < 2:
        raise IndexError(f"diagonal: dimension out of range (a tensor of shape "
                         f"{tuple(input.shape)} has no dims {dim1} and {dim2})")
    a, b = norm_axis("diagonal", dim1, nd), norm_axis("diagonal", dim2, nd)
    if a == b:
        raise RuntimeError(f"diagonal: diagonal dimensions cannot be identical {dim1}, "
                           f"{dim2}")
    return view_op(Diagonal, input, offset=int(offset), axis1=a, axis2=b)


@register("diag")
def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """A 1-D input: the square matrix with it on diagonal `diagonal`; a 2-D input: a
    copy of its diagonal `diagonal`."""
    k = int(diagonal)
    if input.ndim == 1:
        n = input.shape[0] + abs(k)
        return apply(DiagonalScatter, input, shape=(n, n), offset=k, axis1=0, axis2=1)
    if input.ndim == 2:
        return clone(apply(Diagonal, input, offset=k, axis1=0, axis2=1))
    raise RuntimeError(f"diag: supports 1D or 2D tensors, got {input.ndim}D (shape "
                       f"{tuple(input.shape)})")


@register("trace")
def trace(input: Tensor) -> Tensor:
    """The sum of a matrix's main diagonal (integer inputs give int64, as sum does)."""
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim} "
                           f"(shape {tuple(input.shape)})")
    if input.dtype == np.bool_:
        raise NotImplementedError("trace: not implemented for bool tensors")
    return apply(Diagonal, input, offset=0, axis1=0, axis2=1).sum()


# ---- narrowing, interleaved repeats --------------------------------------------------

@register("narrow")
def narrow(input: Tensor, dim: int, start: Any, length: int) -> Tensor:
    """The view of `length` elements from `start` (negative counts from the end; a 0-d
    tensor is accepted) along `dim`."""
    if not input.ndim:
        raise RuntimeError("narrow: cannot be applied to a 0-dim tensor")
    d = norm_axis("narrow", dim, input.ndim)
    n, start, length = input.shape[d], int(start), int(length)
    if not -n <= start <= n:
        raise IndexError(f"narrow: start out of range (expected to be in range of [{-n}, "
                         f"{n}], but got {start})")
    start %= n or 1
    if length < 0:
        raise RuntimeError(f"narrow: length must be non-negative, got {length}")
    if start + length > n:
        raise RuntimeError(f"narrow: start ({start}) + length ({length}) exceeds dimension "
                           f"size ({n}) of dim {d}")
    return input[(slice(None),) * d + (slice(start, start + length),)]


class RepeatInterleave(Op):
    """Repeat each slice along `axis` `reps` times (an int or one count per slice);
    backward sums each run of copies (`SegmentSum`)."""
    name = "RepeatInterleave"
    save_inputs = False

    @staticmethod
    def forward(ctx, x, reps, axis):
        ctx.reps, ctx.axis, ctx.n = reps, axis, x.shape[axis]
        return np.repeat(x, reps, axis)

    @staticmethod
    def backward(ctx, g):
        reps, a = ctx.reps, ctx.axis
        if type(reps) is int:   # equal runs: a reshape and a sum
            shape = g.shape[:a] + (ctx.n, reps) + g.shape[a + 1:]
            return reshape_to(g, shape).sum(a + 1)
        return apply(SegmentSum, g, reps=reps, axis=a)


class SegmentSum(Op):
    """Sums of consecutive runs of `reps` elements along `axis` (0 for an empty run):
    the adjoint of repeat_interleave, which is its gradient."""
    name = "SegmentSum"
    save_inputs = False

    @staticmethod
    def forward(ctx, g, reps, axis):
        ctx.reps, ctx.axis = reps, axis
        shape = list(g.shape)
        shape[axis] = len(reps)
        out = np.zeros(shape, dtype=g.dtype)
        full = reps > 0
        if full.any():   # reduceat's runs end at the next start: give it non-empty runs only
            starts = (np.cumsum(reps) - reps)[full]
            out[(slice(None),) * axis + (full,)] = np.add.reduceat(g, starts, axis)
        return out

    @staticmethod
    def backward(ctx, gg):
        return apply(RepeatInterleave, gg, reps=ctx.reps, axis=ctx.axis)


@register("repeat_interleave")
def repeat_interleave(input: Tensor, repeats: Any = None, dim: int | None = None, *,
                      output_size: int | None = None) -> Tensor:
    """Repeat each element (dim=None: of the flattened tensor) or each slice along `dim`
    `repeats` times: an int, or a 0-d/1-d integer tensor with one count per slice.
    repeat_interleave(counts) alone gives each index i counts[i] times."""
    if repeats is None:   # the index form: input holds the counts
        counts = _counts(input, None)
        return wrap(np.repeat(np.arange(input.numel()), counts))
    if dim is None:
        input, d = reshape(input, -1), 0
    else:
        d = norm_axis("repeat_interleave", dim, input.ndim)
        if not input.ndim:
            input = reshape(input, 1)
    n = input.shape[d]
    reps = _counts(repeats, n)
    total = n * reps if type(reps) is int else int(reps.sum())
    if output_size is not None and output_size != total:
        raise RuntimeError(f"repeat_interleave: invalid output_size, expected {total} but "
                           f"got {output_size}")
    return apply(RepeatInterleave, input, reps=reps, axis=d)


def _counts(repeats: Any, n: int | None) -> Any:
    """Repeat counts: an int for an int or a one-element input, else an int64 array of
    length `n` (None: any length); checked as PyTorch does."""
    r = np.asarray(repeats.data if isinstance(repeats, Tensor) else repeats)
    if r.dtype.kind not in "iu":
        raise NotImplementedError(f"repeat_interleave: repeats must be integers, got "
                                  f"dtype {r.dtype}")
    if r.ndim > 1:
        raise RuntimeError(f"repeat_interleave: repeats must be a 0-dim or 1-dim tensor, "
                           f"got shape {r.shape}")
    if r.size and r.min() < 0:
        raise RuntimeError("repeat_interleave: repeats can not be negative")
    if r.size == 1:
        return int(r.reshape(()))
    if n is not None and r.size != n:
        raise RuntimeError(f"repeat_interleave: repeats must have the same size as input "
                           f"along dim, but got repeats.size(0) = {r.size} and "
                           f"input.size(dim) = {n}")
    return r.astype(np.int64).reshape(-1)


# ---- aliases and small compositions -----------------------------------------------------

swapaxes = register(name="swapaxes")(transpose)
swapdims = register("swapdims", name="swapdims")(transpose)
moveaxis = register("moveaxis", name="moveaxis")(movedim)


@register("ravel")
def ravel(input: Tensor) -> Tensor:
    """The elements as a 1-D tensor (a view when the strides allow, else a copy)."""
    return reshape(input, -1)


@register("t")
def t(input: Tensor) -> Tensor:
    """The transpose of a matrix; 0-d and 1-d tensors are returned as they are."""
    if input.ndim > 2:
        raise RuntimeError(f"t: expects a tensor with <= 2 dimensions, but got "
                           f"{input.ndim}D (shape {tuple(input.shape)}); use transpose() "
                           f"or mT")
    return transpose(input, 0, 1) if input.ndim == 2 else input


Tensor.view_as = lambda self, other: view(self, tuple(other.shape))
Tensor.reshape_as = lambda self, other: reshape(self, tuple(other.shape))


@register("rot90")
def rot90(input: Tensor, k: int = 1, dims: Sequence[int] = (0, 1)) -> Tensor:
    """Rotate by 90 degrees `k` times in the plane `dims`, from the first towards the
    second (a copy)."""
    dims = tuple(dims)
    if len(dims) != 2:
        raise RuntimeError(f"rot90: expected total rotation dims == 2, but got dims = "
                           f"{len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"rot90: expected total dims >= 2, but got total dims = "
                           f"{input.ndim}")
    a, b = (norm_axis("rot90", d, input.ndim) for d in dims)
    if a == b:
        raise RuntimeError(f"rot90: expected rotation dims to be different, but got dim0 = "
                           f"{dims[0]} and dim1 = {dims[1]}")
    k = int(k) % 4
    if k == 1:
        return transpose(flip(input, b), a, b)
    if k == 2:
        return flip(input, (a, b))
    if k == 3:
        return transpose(flip(input, a), a, b)
    return clone(input)


# ---- splitting by sections or at indices --------------------------------------------------

def _cut(op: str, input: Tensor, d: int, spec: Any) -> tuple:
    """`input` cut along `d` into `spec` near-equal sections (an int) or at the indices
    in `spec` (a sequence, read as Python slice bounds: negative ones count from the
    end, out-of-range ones are clamped, a decreasing one gives an empty piece)."""
    n = input.shape[d]
    if hasattr(spec, "__index__") and not isinstance(spec, bool):
        sections = operator.index(spec)
        if sections <= 0:
            raise RuntimeError(f"{op}: number of sections must be larger than 0, got "
                               f"{sections}")
        q, r = divmod(n, sections)   # (the first r sections get one more)
        return split_at(input, np.cumsum([q + 1] * r + [q] * (sections - r))[:-1].tolist(), d)
    if not isinstance(spec, (list, tuple)):
        raise TypeError(f"{op}: expected an int, a sequence of ints or an int64 tensor for "
                        f"indices_or_sections, got {type(spec).__name__}")
    edges = [0] + [operator.index(i) for i in spec] + [n]
    spans = [slice(a, b).indices(n)[:2] for a, b in zip(edges[:-1], edges[1:])]
    if all(lo <= hi and lo == prev for (lo, hi), (_, prev) in zip(spans[1:], spans)):
        return split_at(input, [hi for _, hi in spans[:-1]], d)   # (a partition: one node)
    return tuple(input[(slice(None),) * d + (slice(lo, max(lo, hi)),)] for lo, hi in spans)


@register("tensor_split")
def tensor_split(input: Tensor, indices_or_sections: Any = None, dim: int = 0, *,
                 indices: Any = None, sections: Any = None) -> tuple:
    """Views of `input` along `dim`: `sections` pieces (an int; the first n % sections
    are one longer), or the pieces between `indices` (a sequence, or an int64 tensor:
    0-d for sections, 1-d for indices)."""
    given = [a for a in (indices_or_sections, indices, sections) if a is not None]
    if len(given) != 1:
        raise TypeError("tensor_split: expected exactly one of indices_or_sections, indices "
                        "and sections")
    spec = given[0]
    if not input.ndim:
        raise RuntimeError(f"tensor_split expected at least a 1-dimensional tensor, but got "
                           f"a tensor with {input.ndim} dims")
    if isinstance(spec, (Tensor, np.ndarray)):
        a = np.asarray(spec.data if isinstance(spec, Tensor) else spec)
        if a.dtype != np.int64:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to have "
                               f"dtype of long, but got {a.dtype}")
        if a.ndim > 1:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to be a "
                               f"zero-dimensional or one-dimensional tensor, but got a "
                               f"tensor with {a.ndim} dims")
        spec = int(a) if not a.ndim else a.tolist()
    return _cut("tensor_split", input, norm_axis("tensor_split", dim, input.ndim), spec)


def _split_direction(op: str, input: Tensor, spec: Any, min_dims: int, dim: int) -> tuple:
    """hsplit, vsplit, dsplit: tensor_split along `dim`, sections dividing it exactly."""
    if input.ndim < min_dims:
        raise RuntimeError(f"{op} requires a tensor with at least {min_dims} dimension, but "
                           f"got a tensor with {input.ndim} dimensions!")
    if hasattr(spec, "__index__") and not isinstance(spec, bool):
        n, s = input.shape[dim], operator.index(spec)
        if s <= 0 or n % s:
            raise RuntimeError(f"{op} attempted to split along dimension {dim}, but the size "
                               f"of the dimension {n} is not divisible by the split_size "
                               f"{s}!")
    return _cut(op, input, dim, spec)


@register("hsplit")
def hsplit(input: Tensor, indices_or_sections: Any) -> tuple:
    """`tensor_split` along dim 1 (dim 0 of a 1-D tensor); sections must divide it."""
    return _split_direction("hsplit", input, indices_or_sections, 1, int(input.ndim > 1))


@register("vsplit")
def vsplit(input: Tensor, indices_or_sections: Any) -> tuple:
    """`tensor_split` along dim 0 of a tensor of 2 or more dims; sections must divide it."""
    return _split_direction("vsplit", input, indices_or_sections, 2, 0)


@register("dsplit")
def dsplit(input: Tensor, indices_or_sections: Any) -> tuple:
    """`tensor_split` along dim 2 of a tensor of 3 or more dims; sections must divide it."""
    return _split_direction("dsplit", input, indices_or_sections, 3, 2)


@register("split_with_sizes")
def split_with_sizes(input: Tensor, split_sizes: Sequence[int], dim: int = 0) -> tuple:
    """Views of `input` along `dim` of the given sizes, which must sum to its size."""
    if not input.ndim:
        raise RuntimeError("split_with_sizes: split expects at least a 1-dimensional tensor")
    d = norm_axis("split_with_sizes", dim, input.ndim)
    sizes = [operator.index(s) for s in split_sizes]
    if any(s < 0 for s in sizes):
        raise ShapeError(f"split_with_sizes expects split_sizes have only non-negative "
                         f"entries, but got split_sizes={sizes}")
    if sum(sizes) != input.shape[d]:
        raise ShapeError(f"split_with_sizes expects split_sizes to sum exactly to "
                         f"{input.shape[d]} (input tensor's size at dimension {d}), but "
                         f"got split_sizes={sizes}")
    return split_at(input, np.cumsum(sizes)[:-1].tolist(), d)


# ---- stacking, at least n dims, grids ---------------------------------------------------------

def _atleast(tensors: tuple, shape: Any) -> Any:
    """Each tensor reshaped (a view) by `shape(its shape)`: one tensor for one, else a
    tuple (also for a list or tuple of tensors, as in PyTorch)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(_atleast((t,), shape) for t in tensors[0])
    out = tuple(reshape(t, shape(t.shape)) for t in
                (t if isinstance(t, Tensor) else wrap(np.asarray(t)) for t in tensors))
    return out[0] if len(out) == 1 else out


@register()
def atleast_1d(*tensors: Any) -> Any:
    """Each tensor with at least 1 dimension: a 0-d one becomes (1,)."""
    return _atleast(tensors, lambda s: s or (1,))


@register()
def atleast_2d(*tensors: Any) -> Any:
    """Each tensor with at least 2 dimensions: () becomes (1, 1), (n,) becomes (1, n)."""
    return _atleast(tensors, lambda s: (1,) * (2 - len(s)) + s if len(s) < 2 else s)


@register()
def atleast_3d(*tensors: Any) -> Any:
    """Each tensor with at least 3 dimensions: () becomes (1, 1, 1), (n,) (1, n, 1) and
    (m, n) (m, n, 1), as NumPy does."""
    return _atleast(tensors, lambda s: ((1, 1, 1), (1,) + s + (1,), s + (1,))[len(s)]
                    if len(s) < 3 else s)


@register()
def hstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join along dim 1 (dim 0 for 1-D tensors), 0-d tensors read as 1-D."""
    ts = [atleast_1d(t) for t in _tensors("hstack", tensors)]
    return cat(ts, 0 if ts[0].ndim == 1 else 1)


@register()
def vstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join along dim 0, after `atleast_2d` (a vector becomes a row)."""
    return cat([atleast_2d(t) for t in _tensors("vstack", tensors)], 0)


row_stack = register(name="row_stack")(vstack)


@register()
def dstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join along dim 2, after `atleast_3d`."""
    return cat([atleast_3d(t) for t in _tensors("dstack", tensors)], 2)


@register()
def column_stack(tensors: Sequence[Tensor]) -> Tensor:
    """Join along dim 1, 0-d and 1-d tensors as columns (n, 1)."""
    return cat([reshape(t, (t.numel(), 1)) if t.ndim < 2 else t
                for t in _tensors("column_stack", tensors)], 1)


@register()
def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple:
    """Coordinate grids of 0-d or 1-d tensors of one dtype: output i is tensor i
    broadcast (a view) along its own dimension of the grid, whose shape lists their
    sizes; indexing='xy' swaps the first two dimensions (Cartesian), 'ij' (the default,
    which warns as PyTorch does when not given) keeps them (matrix)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    if indexing is None:
        warnings.warn("meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument (PyTorch's default, 'ij', is used).", UserWarning,
                      stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'meshgrid: indexing must be one of "xy" or "ij", but received: '
                           f'{indexing}')
    ts = [t if isinstance(t, Tensor) else wrap(np.asarray(t)) for t in tensors]
    for t in ts:
        if t.ndim > 1:
            raise RuntimeError(f"meshgrid: Expected 0D or 1D tensor in the tensor list but "
                               f"got shape {tuple(t.shape)}")
    if len({t.dtype for t in ts}) > 1:
        raise RuntimeError(f"meshgrid expects all tensors to have the same dtype, got "
                           f"{[str(t.dtype) for t in ts]}")
    dims = list(range(len(ts)))
    if indexing == "xy" and len(ts) > 1:
        dims[:2] = 1, 0
    shape = [0] * len(ts)
    for t, d in zip(ts, dims):
        shape[d] = t.numel()
    return tuple(expand(reshape(t, tuple(n if i == d else 1 for i, n in enumerate(shape))),
                        tuple(shape)) for t, d in zip(ts, dims))


@register()
def cartesian_prod(*tensors: Any) -> Tensor:
    """The Cartesian product of 1-D tensors as rows (n0 n1 ..., k), in lexicographic
    order; one tensor is returned as it is."""
    ts = [t if isinstance(t, Tensor) else wrap(np.asarray(t)) for t in tensors]
    for t in ts:
        if t.ndim != 1:
            raise RuntimeError(f"cartesian_prod: Expect a 1D vector, but got shape "
                               f"{list(t.shape)}")
    if len(ts) == 1:
        return ts[0]
    return stack([reshape(g, -1) for g in meshgrid(*ts, indexing="ij")], 1)


@register()
def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """The length-`r` combinations of a 1-D tensor's elements (with_replacement: with
    repeats) as rows, in lexicographic order of positions (itertools' order); read by
    indexing, so the gradient adds back to each element."""
    if input.ndim != 1:
        raise RuntimeError(f"combinations: Expect a 1D vector, but got shape "
                           f"{list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"combinations: Expect a non-negative number, but got {r}")
    if not r:
        return input[np.zeros(0, np.int64)]
    # every r-tuple of positions (n^r of them, as PyTorch's meshgrid builds), ordered ones kept
    idx = np.indices((input.shape[0],) * r).reshape(r, -1)
    keep = np.all(idx[:-1] <= idx[1:] if with_replacement else idx[:-1] < idx[1:], axis=0)
    return input[idx[:, keep].T]


@register()
def block_diag(*tensors: Any) -> Tensor:
    """The block-diagonal matrix of 0-d, 1-d (a row) and 2-d tensors, zeros elsewhere,
    in their promoted dtype."""
    ts = [t if isinstance(t, Tensor) else wrap(np.asarray(t)) for t in tensors]
    for i, t in enumerate(ts):
        if t.ndim > 2:
            raise RuntimeError(f"block_diag: Input tensors must have 2 or fewer dimensions. "
                               f"Input {i} has {t.ndim} dimensions")
    if not ts:
        return wrap(np.zeros((1, 0), get_default_dtype()))
    dtype = result_type(*ts)
    blocks = [reshape(to(t, dtype), (1, -1)) if t.ndim < 2 else to(t, dtype) for t in ts]
    width = sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:   # each block's rows, padded with zeros to the full width
        rows.append(pad(b, (left, width - left - b.shape[1])))
        left += b.shape[1]
    return cat(rows, 0)


# ---- diagonals and windows ----------------------------------------------------------------

@register("diag_embed")
def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Matrices in dims (dim1, dim2) of the output (one more dim than input) with input's
    last dim on their diagonal `offset`, zeros elsewhere: ``diagonal`` of the result
    with the same arguments gives input back."""
    nd = input.ndim + 1
    a, b = norm_axis("diag_embed", dim1, nd), norm_axis("diag_embed", dim2, nd)
    if a == b:
        raise RuntimeError(f"diag_embed: diagonal dimensions cannot be identical {dim1}, "
                           f"{dim2}")
    side = input.shape[-1] + abs(int(offset))
    batch = iter(input.shape[:-1])
    shape = tuple(side if i in (a, b) else next(batch) for i in range(nd))
    return apply(DiagonalScatter, input, shape=shape, offset=int(offset), axis1=a, axis2=b)


@register("diagflat")
def diagflat(input: Tensor, offset: int = 0) -> Tensor:
    """The square matrix with the flattened input on its diagonal `offset`."""
    return diag(reshape(input, -1), offset)


class Unfold(Op):
    """Windows of `size` elements every `step` along `axis`, as a new last dimension (a
    strided view; read-only where windows overlap, as PyTorch refuses in-place writes
    to memory that several elements share; a copy of memory NumPy does not expose,
    such as a broadcast's);  backward adds each window back."""
    name = "Unfold"
    view = True
    save_inputs = False

    @staticmethod
    def forward(ctx, x, axis, size, step):
        ctx.in_shape, ctx.params = x.shape, dict(axis=axis, size=size, step=step)
        shape = x.shape[:axis] + ((x.shape[axis] - size) // step + 1,) + x.shape[axis + 1:]
        s = x.strides
        strides = s[:axis] + (s[axis] * step,) + s[axis + 1:] + (s[axis],)
        # A view whose .base is x's (as a slice's is), so that it shares x's version
        # counter: built on the memory's owner, which np.lib.stride_tricks would hide.
        owner = x if x.base is None else x.base
        if not (isinstance(owner, np.ndarray) and owner.flags.c_contiguous):
            return np.lib.stride_tricks.as_strided(x, shape + (size,), strides).copy()
        offset = x.__array_interface__["data"][0] - owner.__array_interface__["data"][0]
        out = np.ndarray(shape + (size,), x.dtype, owner, offset, strides)
        if step < size or not x.flags.writeable:
            out.flags.writeable = False
        return out

    @staticmethod
    def backward(ctx, g):
        return apply(UnfoldBackward, g, shape=ctx.in_shape, **ctx.params)


class UnfoldBackward(Op):
    """Zeros of `shape` with each window of g (windows along `axis`, their elements in
    g's last dim) added where `Unfold` read it: unfold's adjoint, which is its gradient
    in turn."""
    name = "UnfoldBackward"
    save_inputs = False

    @staticmethod
    def forward(ctx, g, shape, axis, size, step):
        ctx.params = dict(axis=axis, size=size, step=step)
        out = np.zeros(shape, g.dtype)
        windows = np.lib.stride_tricks.sliding_window_view(out, size, axis=axis,
                                                           writeable=True)
        # windows k, k + m, k + 2m, ... (m = ceil(size / step)) do not overlap: each such
        # class is one vectorized add, so the loop runs ceil(size / step) times
        m = -(-size // step) or 1
        lead = (slice(None),) * axis
        for k in range(min(m, g.shape[axis])):
            windows[lead + (slice(k * step, None, m * step),)] += g[lead + (slice(k, None, m),)]
        return out

    @staticmethod
    def backward(ctx, gg):
        return apply(Unfold, gg, **ctx.params)


def unfold(input: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """Tensor.unfold: every window of `size` elements along `dimension`, `step` apart,
    as a new last dimension: the dimension becomes (n - size) // step + 1 long.  A view;
    the gradient of overlapping windows adds up.  A method only, as in PyTorch (the
    registered function `unfold` is nn.functional's im2col)."""
    d = norm_axis("unfold", dimension, input.ndim)
    n = input.shape[d] if input.ndim else 1
    size, step = operator.index(size), operator.index(step)
    if size < 0:
        raise RuntimeError(f"unfold: size is {size} but must be >= 0")
    if size > n:
        raise RuntimeError(f"unfold: maximum size for tensor at dimension {d} is {n} but "
                           f"size is {size}")
    if step <= 0:
        raise RuntimeError(f"unfold: step is {step} but must be > 0")
    if not input.ndim:
        return reshape(view_op(Unfold, reshape(input, 1), axis=0, size=size, step=step),
                       (size,))
    return view_op(Unfold, input, axis=d, size=size, step=step)


Tensor.unfold = unfold


@register()
def vander(x: Tensor, N: int | None = None, increasing: bool = False) -> Tensor:
    """The Vandermonde matrix of a 1-D tensor: columns x^(N-1), ..., x, 1 (N defaults to
    len(x); increasing reverses them), built by a cumulative product, so its gradient
    is exact at x = 0 too.  Integers and bools give int64."""
    if x.ndim != 1:
        raise RuntimeError(f"vander: x must be a one-dimensional tensor, got shape "
                           f"{tuple(x.shape)}")
    n = x.shape[0] if N is None else operator.index(N)
    if n < 0:
        raise RuntimeError(f"vander: N must be non-negative, got {n}")
    if x.dtype.kind in "biu":
        x = to(x, np.int64)
    column = reshape(x, (x.shape[0], 1))
    if not n:
        return column[:, :0]
    ones = wrap(np.ones((x.shape[0], 1), x.dtype))
    powers = cat([ones, expand(column, x.shape[0], n - 1)], 1).cumprod(1)
    return powers if increasing else flip(powers, 1)
