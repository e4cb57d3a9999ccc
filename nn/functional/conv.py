"""nn.functional: convolutions (conv1d, conv2d, conv3d, conv_transpose1d,
conv_transpose2d, conv_transpose3d) as autograd ops.

Three ops form a family closed under differentiation.  With A_w the linear map
x -> conv(x, w) (cross-correlation, PyTorch's convention):

* ``Conv2d(x, w, b)``       y  = A_w x + b
* ``ConvTranspose2d(g, w)`` gx = A_w^T g               (conv's input gradient)
* ``ConvWeight2d(x, g)``    gw = d<g, A_w x>/dw       (conv's weight gradient)

Since <g, A_w x> is bilinear in (x, w), each op's backward is made of the other two,
so gradients of any order (gradient penalties, Hessian-vector products) work.

The window arithmetic (`Geometry`) and the ops work over any number of spatial dims:
the 2-d ops serve 3-d as well, their nodes then named for 3-d (`keep_geometry`).
All three run on an im2col matrix: the input, zero-padded, is viewed with
`as_strided` as (C, kh, kw, N, Ho, Wo) windows ((C, kt, kh, kw, N, To, Ho, Wo) in 3-d)
and copied once into a (groups, C/groups*kh*kw, N*Ho*Wo) buffer, so each call is one
matrix product per group with the batch folded into the columns (one large GEMM rather
than N small ones).  The product's natural layout is (O, N, Ho, Wo); the output is
returned as a transposed *view* of it, logically (N, O, Ho, Wo) like PyTorch's, which
saves a copy of every activation.  Ops downstream (ReLU, pooling, the next conv's im2col) keep or
accept that memory order, and flatten copies only where it must.

Large arrays come from `POOL`, which recycles buffers nothing references any more
(fresh pages are the biggest single cost of a small CNN's training step on NumPy).

1-d convolution (plain or transposed) is 2-d convolution with a height-1 kernel; an
unbatched input (C, H, W) or (C, D, H, W) gets a batch dimension of 1 for the call, as
in PyTorch.
"""
from __future__ import annotations

import itertools
import math
import sys
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from autograd import Tensor
from autograd.graph import Op, apply, register
from autograd.ops.shape import reshape, squeeze, unsqueeze

from .layers import check_dtypes

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "unfold", "fold",
           "conv3d", "conv_transpose3d"]


# ---- geometry -----------------------------------------------------------------------

@dataclass(frozen=True)
class Geometry:
    """The index arithmetic of one sliding-window call over n spatial dims (2 or 3; 1-d
    calls run as 2-d of height 1).

    in_shape is (N, C, *sizes); kernel, stride and dilation have one entry per spatial
    dim, pad one (before, after) pair; out_sizes is the number of window positions per
    dim; windows start at i*stride - pad and take kernel taps `dilation` apart.
    """

    in_shape: tuple
    kernel: tuple
    stride: tuple
    dilation: tuple
    pad: tuple
    out_sizes: tuple
    groups: int = 1

    @property
    def padded_sizes(self) -> tuple:
        """The extent of the padded input that the windows may touch."""
        return tuple([max(n + lo + hi, (o - 1) * s + d * (k - 1) + 1) for n, (lo, hi), o, s, d, k
                      in zip(self.in_shape[2:], self.pad, self.out_sizes, self.stride,
                             self.dilation, self.kernel)])

    def taps(self) -> list:
        """(flat index, index) of every kernel tap in row-major order, where index
        selects (all of N, C and) the padded input's entries the tap reads at every
        window position: one strided slice per spatial dim.  Computed once per
        geometry (a forward and its backward share one); callers must not modify it."""
        cached = self.__dict__.get("_taps")
        if cached is None:
            axes = [[slice(t * d, t * d + s * (o - 1) + 1, s) for t in range(k)] for k, s, d, o
                    in zip(self.kernel, self.stride, self.dilation, self.out_sizes)]
            cached = [(k, (slice(None), slice(None)) + sl)
                      for k, sl in enumerate(itertools.product(*axes))]
            object.__setattr__(self, "_taps", cached)   # (frozen: fields only, not caches)
        return cached

    def interior(self) -> tuple:
        """Slices of the padded extent holding the real input."""
        return tuple(slice(lo, lo + n) for n, (lo, _) in zip(self.in_shape[2:], self.pad))


def ntuple(value: Any, n: int, what: str, op: str) -> tuple:
    """An int, or a sequence of n ints (or of one, repeated), as an n-tuple: PyTorch's
    int[n] arguments.  Non-integers raise TypeError (never truncated), another length
    RuntimeError, as PyTorch's."""
    if isinstance(value, (int, np.integer)):
        return (int(value),) * n
    out = tuple(value) if isinstance(value, (tuple, list)) else None
    if out is None or not all(isinstance(v, (int, np.integer)) for v in out):
        raise TypeError(f"{op}: {what} must be an int or a tuple of {n} ints, got {value!r}")
    if len(out) == 1:
        out *= n
    if len(out) != n:
        raise RuntimeError(f"{op}: {what} must be an int or a tuple of {n} ints, "
                           f"got {value!r}")
    return tuple(int(v) for v in out)


def lift(value: Any, fill: int, what: str, op: str = "conv1d") -> Any:
    """A 1-d argument as the 2-d one of a height-1 call: v -> (fill, v); strings pass."""
    return value if isinstance(value, str) else (fill, ntuple(value, 1, what, op)[0])


def out_size(size: int, k: int, s: int, d: int, lo: int, hi: int) -> int:
    """Window positions along one axis: floor((size + lo + hi - d(k-1) - 1) / s) + 1."""
    return (size + lo + hi - d * (k - 1) - 1) // s + 1


# ---- memory: recycled buffers and layout ----------------------------------------------

class BufferPool:
    """Large arrays recycled between calls, so that a training step does not fault in
    fresh pages for every im2col matrix, activation and gradient (on the reference
    machines a page costs ~3.6 us: 30 MB of fresh arrays per LeNet step is ~25 ms).

    Every array handed out is a view of a pooled 1-D byte buffer, and NumPy points every
    view (and view of a view) straight at that buffer, so the buffer's reference count
    says whether anything - a saved tensor, a user's array, a view of either - still
    uses it; only a buffer nobody references is handed out again.  Buffers below
    `min_bytes` are left to malloc; free buffers beyond `max_bytes` in total are dropped.
    """

    def __init__(self, min_bytes: int = 1 << 18, max_bytes: int = 1 << 27) -> None:
        self.min_bytes, self.max_bytes = min_bytes, max_bytes
        self._buffers: list = []
        self._lock = threading.Lock()

    def empty(self, shape: tuple, dtype: Any) -> np.ndarray:
        """An uninitialised array of `shape` and `dtype`, recycled when possible."""
        dtype = np.dtype(dtype)
        nbytes = math.prod(shape) * dtype.itemsize
        if nbytes < self.min_bytes:
            return np.empty(shape, dtype)
        with self._lock:  # the view must exist before another thread looks at the counts
            return self._take(nbytes)[:nbytes].view(dtype).reshape(shape)

    def _take(self, nbytes: int) -> np.ndarray:
        bufs = self._buffers
        # An unused buffer has 2 references: the list's and getrefcount's argument.
        # (Index, don't iterate: an iterator's cached item tuple would add one.)
        idle = [i for i in range(len(bufs)) if sys.getrefcount(bufs[i]) == 2]
        for i in idle:
            if nbytes <= bufs[i].nbytes <= 2 * nbytes:
                return bufs[i]
        if sum(bufs[i].nbytes for i in idle) + nbytes > self.max_bytes:
            keep = set(range(len(bufs))) - set(idle)   # drop the idle ones
            self._buffers = bufs = [bufs[i] for i in sorted(keep)]
        bufs.append(np.empty(nbytes, np.uint8))
        return bufs[-1]


POOL = BufferPool()


def channels_outer(a: np.ndarray) -> bool:
    """True when a logical (N, C, ...) array is stored channel-major (C, N, ...)."""
    return a.ndim >= 2 and a.shape[0] > 1 and a.shape[1] > 1 and \
        abs(a.strides[1]) > abs(a.strides[0])


def alloc(shape: tuple, dtype: Any, cn: bool, fill: Any = None) -> np.ndarray:
    """A logical (N, C, ...) array stored as (C, N, ...) when `cn`, else C-ordered,
    from the buffer pool; zero- or `fill`-initialised when asked."""
    phys = (shape[1], shape[0]) + tuple(shape[2:]) if cn else tuple(shape)
    a = POOL.empty(phys, dtype)
    if fill is not None:
        a.fill(fill)
    return a.swapaxes(0, 1) if cn else a


def in_layout(a: np.ndarray, cn: bool) -> np.ndarray:
    """`a` itself when stored channel-major exactly when `cn` asks, else a copy that is."""
    if a.ndim < 2 or a.shape[0] == 1 or a.shape[1] == 1 or channels_outer(a) == cn:
        return a
    out = alloc(a.shape, a.dtype, cn)
    np.copyto(out, a)
    return out


def padded(x: np.ndarray, geo: Geometry, fill: float = 0.0, cn: bool | None = None) -> np.ndarray:
    """`x` with its spatial axes padded by geo.pad (and, for ceil-mode pooling, to the
    full extent the windows touch), stored channel-major when `cn` (default: as `x`
    is); `x` itself when no padding is needed."""
    sizes = geo.padded_sizes
    if sizes == x.shape[2:]:
        return x
    xp = alloc(x.shape[:2] + sizes, x.dtype, channels_outer(x) if cn is None else cn, fill)
    xp[(slice(None), slice(None)) + geo.interior()] = x
    return xp


def crop(xp: np.ndarray, geo: Geometry) -> np.ndarray:
    """The real input's part of a padded array (a view)."""
    if xp.shape[2:] == geo.in_shape[2:]:
        return xp
    return xp[(slice(None), slice(None)) + geo.interior()]


# ---- im2col and its adjoint -------------------------------------------------------

def im2col(x: np.ndarray, geo: Geometry) -> np.ndarray:
    """The (groups, C/groups*K, N*L) matrix of input windows (one copy), K = prod(kernel)
    taps per window, L = prod(out_sizes) windows per sample (K = kh*kw, L = Ho*Wo in 2-d)."""
    N, C = x.shape[:2]
    xp = padded(x, geo, cn=True)  # the copy into cols is then C-major too
    sN, sC, *sp = xp.strides
    shape = (C, *geo.kernel, N, *geo.out_sizes)
    strides = (sC, *[a * d for a, d in zip(sp, geo.dilation)], sN,
               *[a * s for a, s in zip(sp, geo.stride)])
    windows = as_strided(xp, shape, strides, writeable=False)
    cols = POOL.empty(shape, xp.dtype)
    np.copyto(cols, windows)
    # Explicit sizes, no -1: the batch may be empty.
    return cols.reshape(geo.groups, C // geo.groups * math.prod(geo.kernel),
                        N * math.prod(geo.out_sizes))


def col2im(cols: np.ndarray, geo: Geometry) -> np.ndarray:
    """The adjoint of im2col: add every window column back onto the input positions it
    was read from.  One strided in-place add per kernel tap (not per element)."""
    N, C = geo.in_shape[:2]
    cols = cols.reshape((C, math.prod(geo.kernel), N) + tuple(geo.out_sizes))
    gp = POOL.empty((C, N) + geo.padded_sizes, cols.dtype)   # channel-major, like cols
    gp.fill(0)
    for k, index in geo.taps():
        target = gp[index]
        target += cols[:, k]
    return crop(gp.swapaxes(0, 1), geo)


def as_matrix(g: np.ndarray, groups: int) -> np.ndarray:
    """A (N, O, *out_sizes) gradient as (groups, O/groups, N*L) (free for the layout
    the conv ops produce, one copy otherwise)."""
    N, O = g.shape[:2]
    return g.swapaxes(0, 1).reshape(groups, O // groups, N * math.prod(g.shape[2:]))


def from_matrix(y: np.ndarray, N: int, sizes: tuple) -> np.ndarray:
    """A (groups, O/groups, N*L) product as the logical (N, O, *sizes) view."""
    return y.reshape((y.shape[0] * y.shape[1], N) + tuple(sizes)).swapaxes(0, 1)


def weight_matrix(w: np.ndarray, groups: int) -> np.ndarray:
    """(O, C/groups, *kernel) -> (groups, O/groups, C/groups*K)."""
    return w.reshape(groups, w.shape[0] // groups, -1)


# ---- the three ops ------------------------------------------------------------------

def keep_geometry(ctx: Op, geo: Geometry) -> None:
    """Keep `geo` on the node; a 3-d call of an op with a 2-d name (the ops serve both)
    is named for 3-d (Conv3d, MaxPool3d, ...), which the graph and its errors show."""
    ctx.geo = geo
    if len(geo.kernel) == 3:
        ctx.name = type(ctx).name.replace("2d", "3d")


class Conv2d(Op):
    """y = conv(x, w) + b;  dx = conv_transpose(g, w),  dw = conv_weight(x, g),
    db = sum of g over N and the spatial dims."""
    name = "Conv2d"

    @staticmethod
    def forward(ctx, x, w, b, geo):
        cols = im2col(x, geo)
        wm = weight_matrix(w, geo.groups)
        y = np.matmul(wm, cols, out=POOL.empty((geo.groups, wm.shape[1], cols.shape[2]),
                                               np.result_type(wm, cols)))
        if b is not None:
            y += b.reshape(geo.groups, -1, 1)
        keep_geometry(ctx, geo)
        ctx.save(cols)  # the weight gradient reuses the im2col matrix
        return from_matrix(y, x.shape[0], geo.out_sizes)

    @staticmethod
    def backward(ctx, g):
        x, w, b = ctx.inputs
        need_x, need_w, need_b = ctx.needs_input_grad
        geo = ctx.geo
        gx = apply(ConvTranspose2d, g, w, geo=geo) if need_x else None
        gw = apply(ConvWeight2d, x, g, geo=geo, w_shape=w.shape, cols=ctx.extra[0]) \
            if need_w else None
        gb = g.sum((0,) + tuple(range(2, g.ndim))) if need_b else None
        return gx, gw, gb


class ConvTranspose2d(Op):
    """gx = A_w^T g (col2im of w^T g);  d/dg = conv(gg, w),  d/dw = conv_weight(gg, g)."""
    name = "ConvTranspose2d"

    @staticmethod
    def forward(ctx, g, w, geo):
        keep_geometry(ctx, geo)
        wm = weight_matrix(w, geo.groups).transpose(0, 2, 1)
        gm = as_matrix(g, geo.groups)
        gcols = np.matmul(wm, gm, out=POOL.empty((geo.groups, wm.shape[1], gm.shape[2]),
                                                 np.result_type(wm, gm)))
        return col2im(gcols, geo)

    @staticmethod
    def backward(ctx, gg):
        g, w = ctx.inputs
        need_g, need_w = ctx.needs_input_grad
        geo = ctx.geo
        return (apply(Conv2d, gg, w, None, geo=geo) if need_g else None,
                apply(ConvWeight2d, gg, g, geo=geo, w_shape=w.shape) if need_w else None)


class ConvWeight2d(Op):
    """gw = g (x's im2col)^T, the weight gradient of conv;  since <gw', gw> =
    <g, conv(x, gw')>:  d/dx = conv_transpose(g, gw'),  d/dg = conv(x, gw')."""
    name = "ConvWeight2d"

    @staticmethod
    def forward(ctx, x, g, geo, w_shape, cols=None):
        keep_geometry(ctx, geo)
        if cols is None:
            cols = im2col(x, geo)
        gw = np.matmul(as_matrix(g, geo.groups), cols.transpose(0, 2, 1))
        return gw.reshape(w_shape)

    @staticmethod
    def backward(ctx, ggw):
        x, g = ctx.inputs
        need_x, need_g = ctx.needs_input_grad
        geo = ctx.geo
        return (apply(ConvTranspose2d, g, ggw, geo=geo) if need_x else None,
                apply(Conv2d, x, ggw, None, geo=geo) if need_g else None)


# ---- public functions ---------------------------------------------------------------

def _batched(op: str, input: Tensor, spatial: int) -> tuple:
    """(input with a batch dimension, whether one was added); checks the rank."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if input.ndim == spatial + 1:
        return unsqueeze(input, 0), True
    if input.ndim != spatial + 2:
        raise RuntimeError(f"{op}: Expected {spatial + 1}D (unbatched) or {spatial + 2}D "
                           f"(batched) input to {op}, but got input of size: "
                           f"{list(input.shape)}")
    return input, False


def _check_groups_type(op: str, groups: Any) -> None:
    if not isinstance(groups, (int, np.integer)):
        raise TypeError(f"{op}: groups must be an int, got {groups!r}")


def _stride_dilation(op: str, stride: Any, dilation: Any, n: int = 2) -> tuple:
    """Checked (stride, dilation) n-tuples of a conv call."""
    s = ntuple(stride, n, "stride", op)
    d = ntuple(dilation, n, "dilation", op)
    if min(s) < 1:
        raise RuntimeError(f"{op}: non-positive stride is not supported (stride={stride})")
    if min(d) < 1:
        raise RuntimeError(f"{op}: dilation should be greater than zero (dilation={dilation})")
    return s, d


def _padding(op: str, padding: Any, n: int = 2) -> tuple:
    """A checked explicit (non-string) padding n-tuple of a conv call."""
    p = ntuple(padding, n, "padding", op)
    if min(p) < 0:
        raise RuntimeError(f"{op}: negative padding is not supported (padding={padding})")
    return p


def _sizes(values: Any) -> str:
    """Sizes as PyTorch's conv messages show them: (3 x 4 x 5)."""
    return "(" + " x ".join(str(v) for v in values) + ")"


def _check_kernel(op: str, w_shape: tuple, spatial: int) -> None:
    """A zero-size kernel raises at the call (PyTorch lets Conv layers be built so)."""
    k = w_shape[2:]
    if all(k):
        return
    shown = list(w_shape[:2]) + list(w_shape[len(w_shape) - spatial:])
    what = (f"kernel_height: {k[0]} kernel_width: {k[1]}" if len(k) == 2 else
            f"{' x '.join(map(str, k))} (TxHxW)")
    raise RuntimeError(f"{op}: kernel size should be greater than zero, but got {what} "
                       f"(weight of size {shown})")


def _check_nonempty(op: str, shape: tuple) -> None:
    """PyTorch convolves an empty input only when its batch or channels are empty."""
    if 0 in shape[2:] and shape[0] and shape[1]:
        raise RuntimeError(f"{op}: Only zero batch or zero channel inputs are supported, but "
                           f"got input shape: {list(shape)}")


def _conv_geometry(op: str, x_shape: tuple, w_shape: tuple, stride: Any, padding: Any,
                   dilation: Any, groups: int, spatial: int) -> Geometry:
    """Check a conv call's shapes (PyTorch's messages) and work out its geometry.  The
    geometry has len(x_shape) - 2 spatial dims; `spatial` is the caller's (1 for conv1d,
    which comes lifted to 2-d), the dims the messages show."""
    n = len(x_shape) - 2
    N, C, sizes = x_shape[0], x_shape[1], tuple(x_shape[2:])
    if len(w_shape) != n + 2:
        raise RuntimeError(f"{op}: weight should have {spatial + 2} dimensions, got weight of "
                           f"size {list(w_shape)}")
    O, Cg, k = w_shape[0], w_shape[1], tuple(w_shape[2:])
    _check_groups_type(op, groups)
    if groups < 1:
        raise RuntimeError(f"{op}: non-positive groups is not supported (groups={groups})")
    if O % groups:
        raise RuntimeError(f"{op}: Given groups={groups}, expected weight to be divisible by "
                           f"{groups} at dimension 0, but got weight of size {list(w_shape)} "
                           f"instead")
    if Cg * groups != C:
        raise RuntimeError(f"{op}: Given groups={groups}, weight of size {list(w_shape)}, "
                           f"expected input{list(x_shape)} to have {Cg * groups} channels, but "
                           f"got {C} channels instead")
    s, d = _stride_dilation(op, stride, dilation, n)
    if isinstance(padding, str):
        if padding == "valid":
            pad = ((0, 0),) * n
        elif padding == "same":
            if max(s) != 1:
                raise RuntimeError(f"{op}: padding='same' is not supported for strided "
                                 f"convolutions (stride={stride})")
            # PyTorch puts the odd extra pixel of an even effective kernel on the far side.
            pad = tuple([(t // 2, t - t // 2) for t in [di * (ki - 1) for di, ki in zip(d, k)]])
        else:
            raise RuntimeError(f"{op}: Invalid padding string: {padding!r}, should be one "
                               f"of 'valid' or 'same'")
    else:
        pad = tuple([(p, p) for p in _padding(op, padding, n)])
    # (List comprehensions, not generators: this runs on every call of the hot 2-d path.)
    eff = [di * (ki - 1) + 1 for di, ki in zip(d, k)]
    full = [m + lo + hi for m, (lo, hi) in zip(sizes, pad)]
    if min([f - e for f, e in zip(full, eff)]) < 0:
        raise RuntimeError(f"{op}: Calculated padded input size per channel: "
                           f"{_sizes(full[n - spatial:])}. Kernel size: "
                           f"{_sizes(eff[n - spatial:])}. Kernel size can't be greater than "
                           f"actual input size")
    _check_kernel(op, w_shape, spatial)
    _check_nonempty(op, x_shape)
    out = tuple([(f - e) // si + 1 for f, e, si in zip(full, eff, s)])   # (out_size)
    return Geometry((N, C) + sizes, k, s, d, pad, out, int(groups))


def _check_bias(op: str, bias: Any, out_channels: int) -> None:
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != out_channels):
        raise RuntimeError(f"{op}: Given weight of {out_channels} output channels, expected "
                           f"bias to be 1-dimensional with {out_channels} elements, but got "
                           f"bias of size {list(bias.shape)} instead")


@register(name="conv2d")
def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-d convolution (cross-correlation) over (N, C, H, W) or unbatched (C, H, W) input.

    out[n, o, i, j] = b[o] + sum_{c, p, q} w[o, c, p, q] x[n, g*C/G + c, i*s - pad + p*d, ...]
    with weight (out_channels, in_channels/groups, kh, kw) and output channel o reading
    the input channels of its group g.  `padding` is an int, a pair, "valid" or "same".
    """
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


@register(name="conv3d")
def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """3-d convolution (cross-correlation) over (N, C, D, H, W) or unbatched (C, D, H, W)
    input with weight (out_channels, in_channels/groups, kt, kh, kw):

    out[n, o, t, i, j] = b[o] + sum_{c, u, p, q} w[o, c, u, p, q] x[n, g*C/G + c,
    t*s - pad + u*d, i*s - pad + p*d, j*s - pad + q*d]  (per-dim stride s, pad, dilation d).
    `padding` is an int, a triple, "valid" or "same"."""
    return _conv("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


def _conv(op: str, spatial: int, input: Tensor, weight: Tensor, bias: Tensor | None,
          stride: Any, padding: Any, dilation: Any, groups: int) -> Tensor:
    """conv2d / conv3d: checks, then the op (on a batch of one for unbatched input)."""
    x, unbatched = _batched(op, input, spatial)
    check_dtypes(op, input, {"weight": weight, "bias": bias})
    geo = _conv_geometry(op, x.shape, tuple(weight.shape), stride, padding, dilation,
                         groups, spatial)
    _check_bias(op, bias, weight.shape[0])
    out = apply(Conv2d, x, weight, bias, geo=geo)
    return squeeze(out, 0) if unbatched else out


@register(name="conv1d")
def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-d convolution over (N, C, L) or unbatched (C, L) input with weight
    (out_channels, in_channels/groups, k): conv2d with a height-1 kernel."""
    x, unbatched = _batched("conv1d", input, 1)
    check_dtypes("conv1d", input, {"weight": weight, "bias": bias})
    if weight.ndim != 3:
        raise RuntimeError(f"conv1d: weight should have 3 dimensions, got weight of size "
                           f"{list(weight.shape)}")
    x2, w2 = unsqueeze(x, 2), unsqueeze(weight, 2)
    geo = _conv_geometry("conv1d", x2.shape, tuple(w2.shape), lift(stride, 1, "stride"),
                         lift(padding, 0, "padding"), lift(dilation, 1, "dilation"), groups, 1)
    _check_bias("conv1d", bias, weight.shape[0])
    out = squeeze(apply(Conv2d, x2, w2, bias, geo=geo), 2)
    return squeeze(out, 0) if unbatched else out


def _transpose_geometry(op: str, x_shape: tuple, w_shape: tuple, stride: Any, padding: Any,
                        output_padding: Any, groups: Any, dilation: Any,
                        spatial: int) -> Geometry:
    """Check a transposed conv call (PyTorch's messages) and work out the geometry of the
    conv whose input gradient it is: that conv's input is this call's output."""
    n = len(x_shape) - 2
    if len(w_shape) != n + 2:
        raise RuntimeError(f"{op}: weight should have {spatial + 2} dimensions, got weight of "
                           f"size {list(w_shape)}")
    Cin, Cg, k = w_shape[0], w_shape[1], tuple(w_shape[2:])
    shown = list(w_shape[:2]) + list(w_shape[2 + n - spatial:])
    if x_shape[1] != Cin:
        raise RuntimeError(f"{op}: Given transposed=1, weight of size {shown}, expected "
                           f"input{list(x_shape[:2]) + list(x_shape[2 + n - spatial:])} to "
                           f"have {Cin} channels, but got {x_shape[1]} channels instead")
    _check_groups_type(op, groups)
    if groups < 1 or Cin % groups:
        raise RuntimeError(f"{op}: Given groups={groups}, expected weight to be divisible by "
                           f"{groups} at dimension 0, but got weight of size {shown} instead")
    s, d = _stride_dilation(op, stride, dilation, n)
    _check_kernel(op, w_shape, spatial)
    p = _padding(op, padding, n)
    op_ = ntuple(output_padding, n, "output_padding", op)
    _check_nonempty(op, x_shape)
    for i in range(n):
        if not 0 <= op_[i] < max(s[i], d[i]):
            raise RuntimeError(f"{op}: output padding must be smaller than either stride or "
                               f"dilation, but got output_padding={output_padding}, "
                               f"stride={stride}, dilation={dilation}")
    sizes = tuple((m - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + op_[i] + 1
                  for i, m in enumerate(x_shape[2:]))
    if min(sizes) < 1:
        raise RuntimeError(f"{op}: Given input size per channel: "
                           f"{_sizes(x_shape[2 + n - spatial:])}. Calculated output size per "
                           f"channel: {_sizes(sizes[n - spatial:])}. Output size is too small")
    # output_padding only lengthens the (padded) extent: the windows never read it, so it
    # gets no contribution, as in PyTorch.
    return Geometry((x_shape[0], Cg * groups) + sizes, k, s, d, tuple((q, q) for q in p),
                    tuple(x_shape[2:]), int(groups))


def _transpose_apply(op: str, g: Tensor, w: Tensor, bias: Tensor | None,
                     geo: Geometry) -> Tensor:
    """A_w^T g + bias, for a checked geometry."""
    out = apply(ConvTranspose2d, g, w, geo=geo)
    if bias is None:
        return out
    _check_bias(op, bias, geo.in_shape[1])
    return out + reshape(bias, (1, -1) + (1,) * len(geo.kernel))


@register(name="conv_transpose2d")
def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
                     stride: Any = 1, padding: Any = 0, output_padding: Any = 0,
                     groups: int = 1, dilation: Any = 1) -> Tensor:
    """Transposed 2-d convolution (the adjoint of conv2d in its input, often called
    deconvolution) with weight (in_channels, out_channels/groups, kh, kw).

    Output size: (H - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1.
    """
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


@register(name="conv_transpose1d")
def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
                     stride: Any = 1, padding: Any = 0, output_padding: Any = 0,
                     groups: int = 1, dilation: Any = 1) -> Tensor:
    """Transposed 1-d convolution over (N, C_in, L) or (C_in, L) with weight
    (in_channels, out_channels/groups, k): conv_transpose2d with a height-1 kernel.

    Output length: (L - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1.
    """
    op = "conv_transpose1d"
    g, unbatched = _batched(op, input, 1)
    check_dtypes(op, input, {"weight": weight, "bias": bias})
    if weight.ndim != 3:
        raise RuntimeError(f"{op}: weight should have 3 dimensions, got weight of size "
                           f"{list(weight.shape)}")
    g2, w2 = unsqueeze(g, 2), unsqueeze(weight, 2)
    geo = _transpose_geometry(op, g2.shape, tuple(w2.shape), lift(stride, 1, "stride", op),
                              lift(padding, 0, "padding", op),
                              lift(output_padding, 0, "output_padding", op), groups,
                              lift(dilation, 1, "dilation", op), 1)
    out = squeeze(_transpose_apply(op, g2, w2, bias, geo), 2)
    return squeeze(out, 0) if unbatched else out


@register(name="conv_transpose3d")
def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
                     stride: Any = 1, padding: Any = 0, output_padding: Any = 0,
                     groups: int = 1, dilation: Any = 1) -> Tensor:
    """Transposed 3-d convolution (the adjoint of conv3d in its input) over
    (N, C_in, D, H, W) or (C_in, D, H, W) with weight (in_channels, out_channels/groups,
    kt, kh, kw).

    Output size per dim: (n - 1) * stride - 2 * padding + dilation * (k - 1) +
    output_padding + 1.
    """
    return _conv_transpose("conv_transpose3d", 3, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def _conv_transpose(op: str, spatial: int, input: Tensor, weight: Tensor,
                    bias: Tensor | None, stride: Any, padding: Any, output_padding: Any,
                    groups: int, dilation: Any) -> Tensor:
    """conv_transpose2d / conv_transpose3d: checks, then the op."""
    g, unbatched = _batched(op, input, spatial)
    check_dtypes(op, input, {"weight": weight, "bias": bias})
    geo = _transpose_geometry(op, g.shape, tuple(weight.shape), stride, padding,
                              output_padding, groups, dilation, spatial)
    out = _transpose_apply(op, g, weight, bias, geo)
    return squeeze(out, 0) if unbatched else out


# ---- unfold (im2col) and fold (col2im) ------------------------------------------------

class Unfold(Op):
    """cols = im2col(x) as (N, C*kh*kw, L), a linear map U;  d/dx = U^T g (Fold)."""
    name = "Unfold"
    save_inputs = False

    @staticmethod
    def forward(ctx, x, geo):
        ctx.geo = geo
        cols = im2col(x, geo)                       # (1, C*kh*kw, N*L), channel-major
        n, L = x.shape[0], math.prod(geo.out_sizes)
        return cols.reshape(cols.shape[1], n, L).swapaxes(0, 1)   # a view: (N, C*kh*kw, L)

    @staticmethod
    def backward(ctx, g):
        return apply(Fold, g, geo=ctx.geo)


class Fold(Op):
    """x = col2im(cols) = U^T cols (overlapping entries summed);  d/dcols = U g (Unfold)."""
    name = "Fold"
    save_inputs = False

    @staticmethod
    def forward(ctx, cols, geo):
        ctx.geo = geo
        return col2im(cols.swapaxes(0, 1), geo)     # (C*kh*kw, N, L) is im2col's layout

    @staticmethod
    def backward(ctx, g):
        return apply(Unfold, g, geo=ctx.geo)


def _fold_args(op: str, kernel_size: Any, dilation: Any, padding: Any, stride: Any) -> tuple:
    """Checked (kernel, dilation, padding, stride) pairs of an unfold/fold call, with
    PyTorch's messages (im2col_shape_check / col2im_shape_check)."""
    k = ntuple(kernel_size, 2, "kernel_size", op)
    d = ntuple(dilation, 2, "dilation", op)
    p = ntuple(padding, 2, "padding", op)
    s = ntuple(stride, 2, "stride", op)
    if min(k) <= 0:
        raise RuntimeError(f"{op}: kernel size should be greater than zero, but got "
                           f"kernel_height: {k[0]} kernel_width: {k[1]}")
    if min(s) <= 0:
        raise RuntimeError(f"{op}: stride should be greater than zero, but got "
                           f"stride_height: {s[0]} stride_width: {s[1]}")
    if min(d) <= 0:
        raise RuntimeError(f"{op}: dilation should be greater than zero, but got "
                           f"dilation_height: {d[0]} dilation_width: {d[1]}")
    if min(p) < 0:
        raise RuntimeError(f"{op}: padding should be non-negative, but got "
                           f"pad_height: {p[0]} pad_width: {p[1]}")
    return k, d, p, s


def _blocks(hw: tuple, k: tuple, d: tuple, p: tuple, s: tuple) -> tuple:
    """The (Ho, Wo) sliding-block grid over an (H, W) plane."""
    return tuple(out_size(n, ki, si, di, pi, pi) for n, ki, si, di, pi in zip(hw, k, s, d, p))


def _fold_input(op: str, input: Tensor, ranks: tuple) -> tuple:
    """(input with a batch dimension, whether one was added), refusing other ranks and
    empty non-batch dimensions as PyTorch."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if input.ndim not in ranks or 0 in input.shape[1 if input.ndim == ranks[1] else 0:]:
        raise RuntimeError(f"{op}: Expected {ranks[0]}D or {ranks[1]}D (batch mode) tensor "
                           f"with possibly 0 batch size and other non-zero dimensions for "
                           f"input, but got: {list(input.shape)}")
    if input.ndim == ranks[0]:
        return unsqueeze(input, 0), True
    return input, False


@register(name="unfold")
def unfold(input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
           stride: Any = 1) -> Tensor:
    """Extract sliding blocks (im2col): (N, C, H, W) -> (N, C*kh*kw, L), or unbatched
    (C, H, W) -> (C*kh*kw, L), with L = Ho*Wo block positions in row-major order and

        out[n, c*kh*kw + p*kw + q, i*Wo + j] = x_pad[n, c, i*sh + p*dh, j*sw + q*dw]

    (x_pad: x zero-padded by `padding` on both sides).  Its adjoint is `fold`."""
    op = "unfold"
    x, unbatched = _fold_input(op, input, (3, 4))
    k, d, p, s = _fold_args(op, kernel_size, dilation, padding, stride)
    out_sizes = _blocks(x.shape[2:], k, d, p, s)
    if min(out_sizes) < 1:
        raise RuntimeError(f"{op}: Given input with spatial size {tuple(x.shape[2:])}, "
                           f"kernel_size={k}, dilation={d}, padding={p}, calculated shape of "
                           f"the array of sliding blocks as {out_sizes}, but its components "
                           f"must be at least one.")
    geo = Geometry(tuple(x.shape), k, s, d, ((p[0], p[0]), (p[1], p[1])), out_sizes)
    out = apply(Unfold, x, geo=geo)
    return squeeze(out, 0) if unbatched else out


@register(name="fold")
def fold(input: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1,
         padding: Any = 0, stride: Any = 1) -> Tensor:
    """Combine sliding blocks into an image (col2im), the adjoint of `unfold`:
    (N, C*kh*kw, L) -> (N, C, H, W), or unbatched (C*kh*kw, L) -> (C, H, W), with
    (H, W) = `output_size`; entries of overlapping blocks are summed, so
    fold(unfold(x)) = x * (how many blocks cover each position)."""
    op = "fold"
    cols, unbatched = _fold_input(op, input, (2, 3))
    hw = ntuple(output_size, 2, "output_size", op)
    k, d, p, s = _fold_args(op, kernel_size, dilation, padding, stride)
    N, CK, L = cols.shape
    if CK % (k[0] * k[1]):
        raise RuntimeError(f"{op}: Expected size of input's dimension 1 to be divisible by "
                           f"the product of kernel_size, but got input.size(1)={CK} and "
                           f"kernel_size={k}.")
    out_hw = _blocks(hw, k, d, p, s)
    if min(out_hw) < 1 or out_hw[0] * out_hw[1] != L:
        raise RuntimeError(f"{op}: Given output_size={hw}, kernel_size={k}, dilation={d}, "
                           f"padding={p}, stride={s}, expected size of input's dimension 2 "
                           f"to match the calculated number of sliding blocks "
                           f"{out_hw[0]} * {out_hw[1]} = {out_hw[0] * out_hw[1]}, but got "
                           f"input.size(2)={L}.")
    geo = Geometry((N, CK // (k[0] * k[1])) + hw, k, s, d, ((p[0], p[0]), (p[1], p[1])),
                   out_hw)
    out = apply(Fold, cols, geo=geo)
    return squeeze(out, 0) if unbatched else out
