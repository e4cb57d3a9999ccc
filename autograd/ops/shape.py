"""Shape ops: reshape, transpose, broadcasting, joining and splitting, padding, flipping.

Views (reshape, view, transpose, permute, squeeze, unsqueeze, expand, flatten) return
NumPy views that share the input's version counter, so an in-place change through a
view is seen by nodes that saved its base.  flip, repeat and pad copy, as in PyTorch.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..graph import Op, ShapeError, apply, register
from ..tensor import Tensor, wrap
from ._util import norm_axes, norm_axis, pick, view_op


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
        if lead >= 0 and x.size and x.flags.c_contiguous and \
                all([n == 1 or n == m for n, m in zip(xs, shape[lead:])]):
            out = np.ndarray(shape, x.dtype, x, 0, (0,) * lead + tuple(
                [0 if n == 1 else s for n, s in zip(xs, x.strides)]))
            out.flags.writeable = False
            return out
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return sum_to(g, ctx.in_shape)


class SumTo(Op):
    """Sum a broadcast result back to `shape` (the adjoint of broadcasting)."""
    name = "SumTo"
    save_inputs = False

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        lead = x.ndim - len(shape)
        stretched = [i + lead for i, n in enumerate(shape) if n == 1 and x.shape[i + lead] != 1]
        if not stretched:   # only leading axes to sum: the reduction gives `shape` itself
            return np.add.reduce(x, axis=tuple(range(lead))) if lead else x.reshape(shape)
        axes = tuple(range(lead)) + tuple(stretched)
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
        raise (TypeError if isinstance(tensors, Tensor) else ValueError)(
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
    return apply(Cat, *ts, axis=d)


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
def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: float = 0.0) -> Tensor:
    """PyTorch's F.pad: `pad` lists (left, right) widths from the last dimension backwards;
    negative widths crop.  Modes: constant, reflect, replicate, circular."""
    pad = [int(p) for p in pad]
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
