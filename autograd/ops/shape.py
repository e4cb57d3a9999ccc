"""Shape ops: reshape, transpose, broadcasting, joining and splitting, padding, flipping.

Views (reshape, transpose, permute, squeeze, unsqueeze, expand, flatten) return NumPy
views that share the input's version counter, so an in-place change through a view
is seen by nodes that saved its base.
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


@register("reshape", "view")
def reshape(input: Tensor, *shape: Any) -> Tensor:
    """A tensor with the same data and `shape` (one dimension may be -1)."""
    shape = _sizes("reshape", shape)
    if shape == input.shape:
        return input
    return view_op(Reshape, input, shape=shape)


@register("flatten")
def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dimensions start_dim..end_dim into one."""
    if input.ndim == 0:
        return reshape(input, 1)
    s = norm_axis("flatten", start_dim, input.ndim)
    e = norm_axis("flatten", end_dim, input.ndim)
    if s > e:
        raise ValueError(f"flatten: start_dim ({start_dim}) cannot come after end_dim "
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
    dims = _sizes("permute", dims)
    if len(dims) != input.ndim:
        raise ValueError(f"permute: number of dims ({len(dims)}) does not match the input's "
                         f"number of dimensions ({input.ndim})")
    dims = tuple(norm_axis("permute", d, input.ndim) for d in dims)
    if len(set(dims)) != len(dims):
        raise ValueError(f"permute: repeated dim in {dims}")
    if dims == tuple(range(input.ndim)):
        return input
    return view_op(Permute, input, dims=dims)


@register("transpose", "swapaxes")
def transpose(input: Tensor, dim0: int = -2, dim1: int = -1) -> Tensor:
    """Swap two dimensions (PyTorch's transpose; NumPy's swapaxes)."""
    if input.ndim < 2 and dim0 in (0, -1, -2) and dim1 in (0, -1, -2):
        return input
    nd = input.ndim
    a, b = norm_axis("transpose", dim0, nd), norm_axis("transpose", dim1, nd)
    if a == b:
        return input
    dims = list(range(nd))
    dims[a], dims[b] = b, a
    return view_op(Permute, input, dims=tuple(dims))   # valid by construction: no permute()


@register("movedim")
def movedim(input: Tensor, source: int, destination: int) -> Tensor:
    """Move dimension `source` to position `destination`."""
    s = norm_axis("movedim", source, input.ndim)
    d = norm_axis("movedim", destination, input.ndim)
    dims = [i for i in range(input.ndim) if i != s]
    dims.insert(d, s)
    return permute(input, tuple(dims))


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
    d = norm_axis("split", dim, input.ndim)
    n = input.shape[d]
    if isinstance(split_size_or_sections, (int, np.integer)):
        step = int(split_size_or_sections)
        if step <= 0:
            raise ValueError(f"split: split_size must be positive, got {step}")
        bounds = list(range(step, n, step))
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n:
            raise ValueError(f"split: split sizes {sizes} must sum to the size of dim {d} "
                             f"({n})")
        bounds = np.cumsum(sizes)[:-1].tolist()
    return split_at(input, bounds, d)


@register("chunk")
def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    """Split into `chunks` pieces of equal size (the last may be smaller)."""
    if chunks <= 0:
        raise ValueError(f"chunk: chunks must be positive, got {chunks}")
    n = input.shape[norm_axis("chunk", dim, input.ndim)]
    return split(input, max(-(-n // chunks), 1), dim)


@register("unbind")
def unbind(input: Tensor, dim: int = 0) -> tuple:
    """The slices along `dim`, with that dimension removed."""
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


_PAD_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge",
              "circular": "wrap"}


@register("pad")
def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: float = 0.0) -> Tensor:
    """PyTorch's F.pad: `pad` lists (left, right) widths from the last dimension backwards.
    Modes: constant, reflect, replicate, circular."""
    pad = [int(p) for p in pad]
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(f"pad: padding length {len(pad)} must be even and at most twice the "
                         f"number of dimensions ({input.ndim})")
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: mode must be one of {sorted(_PAD_MODES)}, got {mode!r}")
    widths = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):
        widths[input.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    if any(lo < 0 or hi < 0 for lo, hi in widths):
        raise ValueError(f"pad: negative padding {pad} is not supported")
    if mode == "constant":
        return apply(Pad, input, widths=widths, value=value)
    # Other modes gather input elements: index the flattened input with a padded index map.
    index = np.pad(np.arange(input.data.size).reshape(input.shape), widths, mode=_PAD_MODES[mode])
    return reshape(input, -1)[index]


class Flip(Op):
    """Reverse the order along `axes`."""
    name = "Flip"
    view = True
    save_inputs = False

    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return np.flip(x, axes)

    @staticmethod
    def backward(ctx, g):
        return apply(Flip, g, axes=ctx.axes)


@register("flip")
def flip(input: Tensor, dims: Any = None, *, axis: Any = None) -> Tensor:
    """Reverse the order of elements along `dims` (all when None, NumPy style)."""
    axes = norm_axes("flip", pick("flip", dims, axis), input.ndim)
    if axes is None:
        axes = tuple(range(input.ndim))
    return view_op(Flip, input, axes=axes)


@register("repeat")
def repeat(input: Tensor, *sizes: Any) -> Tensor:
    """Tile the tensor `sizes[i]` times along each dimension (PyTorch's repeat, NumPy's tile)."""
    reps = _sizes("repeat", sizes)
    if len(reps) < input.ndim:
        raise ValueError(f"repeat: number of repeat dims ({len(reps)}) can not be smaller than "
                         f"the number of dimensions of the tensor ({input.ndim})")
    shape = (1,) * (len(reps) - input.ndim) + tuple(input.shape)
    # (s0, s1) -> (1, s0, 1, s1) -> (r0, s0, r1, s1) -> (r0*s0, r1*s1): a composite, so its
    # gradient (a sum over the repeats) and higher derivatives come for free.
    inter = tuple(x for s in shape for x in (1, s))
    big = tuple(x for r, s in zip(reps, shape) for x in (r, s))
    return reshape(expand(reshape(input, inter), big), tuple(r * s for r, s in zip(reps, shape)))
