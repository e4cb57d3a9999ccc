"""nn.functional: pooling (max_pool1d/2d/3d, avg_pool1d/2d/3d, adaptive_avg_pool1d/2d/3d,
adaptive_max_pool1d/2d/3d, lp_pool1d/2d/3d, max_unpool1d/2d/3d).

Window arithmetic is conv's (`conv.Geometry`): each kernel tap (p, q) ((u, p, q) in 3-d)
reads one strided slice of the padded input covering every window at once, so a pooling
call is a few whole-array NumPy operations per tap, never a loop over windows.

Max pooling records, per window, which tap won (PyTorch's rule: the first maximum in
row-major window order, or the last NaN; never the padding); its gradient goes there and
nowhere else.  Three ops
form a family closed under differentiation:

* ``MaxPool2d(x)``             y = max over each window (and the winning taps)
* ``MaxPoolScatter(g, taps)``  gx = g added at each window's winning position
* ``MaxPoolGather(x, taps)``   y = x at each window's winning position

scatter and gather are each other's adjoints, so max pooling's backward is a scatter
whose backward is a gather whose backward is a scatter again.  Average pooling is a
linear map A with its adjoint A^T: ``AvgPool2d`` and ``AvgPool2dT`` call each other.
Adaptive average pooling is P_h x P_w^T with fixed averaging matrices (matmuls).
Adaptive max pooling gathers its (unequal, possibly overlapping) windows into equal
disjoint blocks, the unused taps holding a value below the input's, and max-pools the
blocks: the winner rule and the gradients are max pooling's.  1-d pooling is 2-d pooling of a
height-1 input; 3-d pooling runs the same ops over a 3-d Geometry (their nodes then
named MaxPool3d, AvgPool3d: see conv.keep_geometry).
"""
from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from autograd import Tensor
from autograd.graph import Op, apply, register
from autograd.ops.linalg import matmul
from autograd.ops.arith import where
from autograd.ops.index import scatter
from autograd.ops.shape import cat, reshape, squeeze, unsqueeze
from autograd.tensor import wrap

from .conv import (Geometry, _batched, alloc, channels_outer, crop, in_layout, keep_geometry,
                   lift, ntuple, padded)

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
           "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d", "lp_pool1d",
           "lp_pool2d", "max_unpool1d", "max_unpool2d", "max_pool3d", "avg_pool3d",
           "adaptive_avg_pool3d", "adaptive_max_pool3d", "lp_pool3d", "max_unpool3d"]


def _pool_input(op: str, input: Tensor, spatial: int) -> tuple:
    """`_batched`, refusing (as PyTorch) an input whose channels or spatial dims are empty:
    only the batch may be."""
    x, unbatched = _batched(op, input, spatial)
    if 0 in x.shape[1:]:
        raise RuntimeError(f"{op}: Expected {spatial + 1}D or {spatial + 2}D (batch mode) "
                           f"tensor with optional 0 dim batch size for input, but got: "
                           f"{list(input.shape)}")
    return x, unbatched


def _pool_geometry(op: str, x_shape: tuple, kernel_size: Any, stride: Any, padding: Any,
                   dilation: Any, ceil_mode: bool, spatial: int = 2) -> Geometry:
    """PyTorch's pooling output size and checks (pooling_output_shape, pool2d_shape_check,
    pool3d_shape_check) over x_shape's len(x_shape) - 2 spatial dims; `spatial` is the
    caller's (1 for the 1-d ops, which come lifted to 2-d), the dims the messages show."""
    n = len(x_shape) - 2
    k = ntuple(kernel_size, n, "kernel_size", op)
    s = k if _default_stride(stride) else ntuple(stride, n, "stride", op)
    p = ntuple(padding, n, "padding", op)
    d = ntuple(dilation, n, "dilation", op)
    if min(k) <= 0:
        raise RuntimeError(f"{op}: kernel_size must be greater than zero, but got {kernel_size}")
    if min(s) <= 0:
        raise RuntimeError(f"{op}: stride should not be zero (got stride={stride})")
    if min(d) <= 0:
        raise RuntimeError(f"{op}: dilation should be greater than zero, but got {dilation}")
    for i in range(n):
        if p[i] < 0 or p[i] > k[i] // 2:   # (PyTorch's rule: the kernel, not its dilated span)
            raise RuntimeError(f"{op}: pad should be at most half of kernel size, but got "
                               f"pad={padding}, kernel_size={kernel_size}")
    out = []
    for m, ki, si, pi, di in zip(x_shape[2:], k, s, p, d):
        o = (m + 2 * pi - di * (ki - 1) - 1 + (si - 1 if ceil_mode else 0)) // si + 1
        if ceil_mode and (o - 1) * si >= m + pi:
            o -= 1  # the last window must start inside the input or its left padding
        out.append(o)
    if min(out) < 1:
        size, got = ("x".join(map(str, (x_shape[1],) + tuple(v)[n - spatial:]))
                     for v in (x_shape[2:], out))
        raise RuntimeError(f"{op}: Given input size: ({size}). Calculated output size: "
                           f"({got}). Output size is too small")
    return Geometry(tuple(x_shape), k, s, d, tuple((q, q) for q in p), tuple(out))


def _pool_geometry_1d(op: str, x2_shape: tuple, kernel_size: Any, stride: Any, padding: Any,
                      dilation: Any, ceil_mode: bool) -> Geometry:
    """_pool_geometry of a height-1 input (N, C, 1, L) from the 1-d arguments."""
    s = None if _default_stride(stride) else lift(stride, 1, "stride", op)
    return _pool_geometry(op, x2_shape, lift(kernel_size, 1, "kernel_size", op), s,
                          lift(padding, 0, "padding", op), lift(dilation, 1, "dilation", op),
                          ceil_mode, spatial=1)


def _default_stride(stride: Any) -> bool:
    """Whether `stride` asks for the default (kernel_size): None or empty, as PyTorch."""
    return stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0)


def tiles(geo: Geometry) -> bool:
    """True when the windows partition the padded extent exactly (disjoint, no gaps),
    e.g. kernel 2, stride 2 on an even size: every position belongs to one window."""
    return all(s == d * (k - 1) + 1 and (d == 1 or k == 1) and o * s == n
               for s, d, k, o, n in zip(geo.stride, geo.dilation, geo.kernel, geo.out_sizes,
                                        geo.padded_sizes))


def _taps_dtype(geo: Geometry) -> np.dtype:
    return np.dtype(np.uint8 if math.prod(geo.kernel) <= 256 else np.int32)


def _lowest(dtype: np.dtype) -> Any:
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _out_shape(geo: Geometry) -> tuple:
    return tuple(geo.in_shape[:2]) + tuple(geo.out_sizes)


# ---- max pooling ----------------------------------------------------------------------

class MaxPool2d(Op):
    """y = max of each window; also returns the winning tap of each window (an integer
    array, not differentiated).  Backward scatters g to the winners."""
    name = "MaxPool2d"
    save_inputs = False

    @staticmethod
    def forward(ctx, x, geo):
        xp = padded(x, geo, _lowest(x.dtype))
        cn = channels_outer(x)
        taps = geo.taps()
        out = alloc(_out_shape(geo), x.dtype, cn)
        win = alloc(out.shape, _taps_dtype(geo), cn, 0)
        better = alloc(out.shape, np.bool_, cn)
        step = np.empty_like(win)
        np.copyto(out, xp[taps[0][1]])
        for k, index in taps[1:]:
            v = xp[index]
            np.greater(v, out, out=better)      # strictly greater: ties keep the first
            np.maximum(out, v, out=out)         # (maximum, not a copy: NaN propagates)
            # The winner is the last tap that beat the running max, and taps come in
            # increasing k: win = max(win, k * better), cheaper than any masked write.
            np.maximum(win, np.multiply(better, step.dtype.type(k), out=step), out=win)
        # That rule's winner can be wrong only in a window holding a NaN (a NaN wins),
        # or whose maximum is the padding's value (the padding must not win): rare, so
        # checked on the small output and then redone by PyTorch's rule.
        if (x.dtype.kind == "f" and np.isnan(out).any()) or (
                xp is not x and np.equal(out, _lowest(x.dtype)).any()):
            _winners_exact(xp, geo, out, win)
        keep_geometry(ctx, geo)
        ctx.save(win)
        return out, win

    @staticmethod
    def backward(ctx, g, _g_win=None):
        return apply(MaxPoolScatter, g, ctx.extra[0], geo=ctx.geo)


def _winners_exact(xp: np.ndarray, geo: Geometry, out: np.ndarray, win: np.ndarray) -> None:
    """Max pooling by PyTorch's rule, into `out` and `win`: a window's maximum starts at
    the lowest value and its winner at its first tap inside the input; taps inside the
    input then win in row-major order when greater than the maximum, or NaN (so the
    last NaN wins).  A window wholly in the padding keeps the lowest value."""
    inside = {}
    for k, _ in geo.taps():
        # Per spatial dim, which window positions put this tap inside the input.
        axes = [(o * s + t * d >= lo) & (o * s + t * d < lo + n) for o, s, t, d, (lo, _), n
                in zip(map(np.arange, geo.out_sizes), geo.stride,
                       np.unravel_index(k, geo.kernel), geo.dilation, geo.pad,
                       geo.in_shape[2:])]
        inside[k] = functools.reduce(np.logical_and.outer, axes)
    win.fill(0)
    for k in reversed(inside):
        np.copyto(win, k, where=inside[k])
    out.fill(_lowest(out.dtype))
    better = np.empty(out.shape, np.bool_)
    for k, index in geo.taps():
        v = xp[index]
        np.greater(v, out, out=better)
        if v.dtype.kind == "f":
            better |= np.isnan(v)
        better &= inside[k]
        np.copyto(out, v, where=better)
        np.copyto(win, k, where=better)


class MaxPoolScatter(Op):
    """gx = zeros with g added at each window's winning position (windows that overlap
    may send several gradients to one input);  d/dg = gather at the same positions."""
    name = "MaxPoolScatter"
    save_inputs = False

    @staticmethod
    def forward(ctx, g, win, geo):
        ctx.geo = geo
        ctx.save(win)
        tiled = tiles(geo)
        # Work in the memory order of the forward input (win has it): then g * mask
        # and the ReLU mask downstream see one layout.  Mixed layouts make NumPy's
        # elementwise loops up to 2x slower; converting g (pooled, small) costs less.
        cn = channels_outer(win)
        g = in_layout(g, cn)
        gp = alloc((g.shape[:2]) + geo.padded_sizes, g.dtype, cn, None if tiled else 0)
        mask = alloc(win.shape, np.bool_, cn)
        part = None if tiled else np.empty_like(g)
        # g * mask, not ufunc(where=mask): NumPy's masked loops are several times slower.
        for k, index in geo.taps():
            target = gp[index]
            np.equal(win, k, out=mask)
            if tiled:       # each input position is in exactly one window: write it once
                np.multiply(g, mask, out=target)
            else:
                target += np.multiply(g, mask, out=part)
        return crop(gp, geo)

    @staticmethod
    def backward(ctx, gg):
        return apply(MaxPoolGather, gg, ctx.extra[0], geo=ctx.geo), None


class MaxPoolGather(Op):
    """y = x at each window's winning position;  d/dx = scatter of g to them."""
    name = "MaxPoolGather"
    save_inputs = False

    @staticmethod
    def forward(ctx, x, win, geo):
        ctx.geo = geo
        ctx.save(win)
        xp = padded(x, geo)
        out = alloc(win.shape, x.dtype, channels_outer(x), 0)
        mask = alloc(win.shape, np.bool_, channels_outer(win))
        for k, index in geo.taps():
            np.copyto(out, xp[index], where=np.equal(win, k, out=mask))
        return out

    @staticmethod
    def backward(ctx, g):
        return apply(MaxPoolScatter, g, ctx.extra[0], geo=ctx.geo), None


def _flat_indices(win: np.ndarray, geo: Geometry) -> np.ndarray:
    """PyTorch's return_indices: the winner's flat position in its input plane (h*W + w
    in 2-d, (t*H + h)*W + w in 3-d)."""
    n = len(geo.kernel)
    flat = np.zeros(win.shape, np.int64)
    for i, tap in enumerate(np.unravel_index(win.astype(np.int64), geo.kernel)):
        # window starts along dim i, shaped to broadcast against win's axis 2 + i
        start = (np.arange(geo.out_sizes[i]) * geo.stride[i] - geo.pad[i][0]).reshape(
            (-1,) + (1,) * (n - 1 - i))
        flat *= geo.in_shape[2 + i]
        flat += start + tap * geo.dilation[i]
    return flat


@register(name="max_pool2d")
def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Any:
    """2-d max pooling over (N, C, H, W) or (C, H, W): the largest value of each
    kernel_size window (taps `dilation` apart, implicit -inf padding).  `stride`
    defaults to kernel_size.  With `return_indices`, also each maximum's flat position
    h*W + w in its input plane (int64), as PyTorch returns it."""
    return _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation,
                     ceil_mode, return_indices)


@register(name="max_pool1d")
def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Any:
    """1-d max pooling over (N, C, L) or (C, L): max_pool2d with height-1 windows."""
    x, unbatched = _pool_input("max_pool1d", input, 1)
    x2 = unsqueeze(x, 2)
    geo = _pool_geometry_1d("max_pool1d", x2.shape, kernel_size, stride, padding, dilation,
                            ceil_mode)
    out, win = apply(MaxPool2d, x2, geo=geo)
    out = squeeze(out, 2)
    if unbatched:
        out = squeeze(out, 0)
    if not return_indices:
        return out
    idx = _flat_indices(win.data, geo)[:, :, 0]
    return out, wrap(idx[0] if unbatched else idx)


@register(name="max_pool3d")
def max_pool3d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Any:
    """3-d max pooling over (N, C, D, H, W) or (C, D, H, W): the largest value of each
    kernel_size window (taps `dilation` apart, implicit -inf padding); the gradient goes
    to each window's first maximum.  `stride` defaults to kernel_size.  With
    `return_indices`, also each maximum's flat position (t*H + h)*W + w in its input
    volume (int64), as PyTorch returns it."""
    return _max_pool("max_pool3d", 3, input, kernel_size, stride, padding, dilation,
                     ceil_mode, return_indices)


def _max_pool(op: str, spatial: int, input: Tensor, kernel_size: Any, stride: Any,
              padding: Any, dilation: Any, ceil_mode: bool, return_indices: bool) -> Any:
    """max_pool2d / max_pool3d: checks, the op, and the flat indices when asked."""
    x, unbatched = _pool_input(op, input, spatial)
    geo = _pool_geometry(op, x.shape, kernel_size, stride, padding, dilation, ceil_mode,
                         spatial)
    out, win = apply(MaxPool2d, x, geo=geo)
    if unbatched:
        out = squeeze(out, 0)
    if not return_indices:
        return out
    idx = _flat_indices(win.data, geo)
    return out, wrap(idx[0] if unbatched else idx)


# ---- average pooling ----------------------------------------------------------------

class AvgPool2d(Op):
    """y = (sum of each window) * scale, scale = 1/divisor per output position;
    d/dx = the adjoint (AvgPool2dT)."""
    name = "AvgPool2d"
    save_inputs = False

    @staticmethod
    def forward(ctx, x, geo, scale):
        keep_geometry(ctx, geo)
        ctx.scale = scale
        xp = padded(x, geo)
        taps = geo.taps()
        out = alloc(_out_shape(geo), np.result_type(x.dtype, scale.dtype), channels_outer(x))
        np.copyto(out, xp[taps[0][1]])
        for _, index in taps[1:]:
            np.add(out, xp[index], out=out)
        out *= scale
        return out

    @staticmethod
    def backward(ctx, g):
        return apply(AvgPool2dT, g, geo=ctx.geo, scale=ctx.scale)


class AvgPool2dT(Op):
    """gx = A^T g: g * scale added back onto every position of its window;
    d/dg = A (AvgPool2d)."""
    name = "AvgPool2dT"
    save_inputs = False

    @staticmethod
    def forward(ctx, g, geo, scale):
        keep_geometry(ctx, geo)
        ctx.scale = scale
        gs = g * scale
        gp = alloc((g.shape[:2]) + geo.padded_sizes, gs.dtype, channels_outer(g), 0)
        for _, index in geo.taps():
            target = gp[index]
            target += gs
        return crop(gp, geo)

    @staticmethod
    def backward(ctx, gg):
        return apply(AvgPool2d, gg, geo=ctx.geo, scale=ctx.scale)


def _avg_divisors(geo: Geometry, count_include_pad: bool) -> np.ndarray:
    """PyTorch's divisor per output position: the window's extent clipped to the padded
    input (count_include_pad) or to the input itself, as an out_sizes grid."""
    sizes = []
    for n, k, s, (p, _), o in zip(geo.in_shape[2:], geo.kernel, geo.stride, geo.pad,
                                  geo.out_sizes):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        if count_include_pad:
            sizes.append(end - start)
        else:
            sizes.append(np.minimum(end, n) - np.maximum(start, 0))
    return functools.reduce(np.multiply.outer, sizes)


def _check_volume(op: str, geo: Geometry) -> None:
    """PyTorch's avg_pool3d (and lp_pool3d, built on it) refuses an input smaller than
    the kernel along any dim, padding or ceil_mode notwithstanding."""
    (D, H, W), (kt, kh, kw) = geo.in_shape[2:], geo.kernel
    if D < kt or H < kh or W < kw:
        raise RuntimeError(f"{op}: input image (T: {D} H: {H} W: {W}) smaller than kernel "
                           f"size (kT: {kt} kH: {kh} kW: {kw})")


def _avg_pool(op: str, x: Tensor, geo: Geometry, count_include_pad: bool,
              divisor_override: Any) -> Tensor:
    """Average pooling of batched x over a checked geometry."""
    if divisor_override is not None:
        if not isinstance(divisor_override, (int, np.integer)):
            raise TypeError(f"{op}: divisor_override must be an int, got "
                            f"{divisor_override!r}")
        if divisor_override == 0:
            raise RuntimeError(f"{op}: divisor must be not zero")
        scale = np.asarray(1.0 / divisor_override)
    else:
        scale = 1.0 / _avg_divisors(geo, count_include_pad)
    dtype = x.dtype if x.dtype.kind == "f" else np.float64
    return apply(AvgPool2d, x, geo=geo, scale=scale.astype(dtype))


@register(name="avg_pool2d")
def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """2-d average pooling over (N, C, H, W) or (C, H, W): each window's sum divided by
    its size (zero padding counted when `count_include_pad`; `divisor_override`
    replaces the divisor).  `stride` defaults to kernel_size."""
    x, unbatched = _pool_input("avg_pool2d", input, 2)
    geo = _pool_geometry("avg_pool2d", x.shape, kernel_size, stride, padding, 1, ceil_mode)
    out = _avg_pool("avg_pool2d", x, geo, count_include_pad, divisor_override)
    return squeeze(out, 0) if unbatched else out


@register(name="avg_pool1d")
def avg_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """1-d average pooling over (N, C, L) or (C, L): out[i] = sum of window i / its size
    (zero padding counted when `count_include_pad`); avg_pool2d of height-1 windows."""
    x, unbatched = _pool_input("avg_pool1d", input, 1)
    x2 = unsqueeze(x, 2)
    geo = _pool_geometry_1d("avg_pool1d", x2.shape, kernel_size, stride, padding, 1,
                            ceil_mode)
    out = squeeze(_avg_pool("avg_pool1d", x2, geo, count_include_pad, None), 2)
    return squeeze(out, 0) if unbatched else out


@register(name="avg_pool3d")
def avg_pool3d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """3-d average pooling over (N, C, D, H, W) or (C, D, H, W): each window's sum
    divided by its size (zero padding counted when `count_include_pad`;
    `divisor_override` replaces the divisor).  `stride` defaults to kernel_size.  As in
    PyTorch, the input may not be smaller than the kernel along any dim."""
    x, unbatched = _pool_input("avg_pool3d", input, 3)
    geo = _pool_geometry("avg_pool3d", x.shape, kernel_size, stride, padding, 1, ceil_mode, 3)
    _check_volume("avg_pool3d", geo)
    out = _avg_pool("avg_pool3d", x, geo, count_include_pad, divisor_override)
    return squeeze(out, 0) if unbatched else out


def _adaptive_bounds(n: int, o: int) -> tuple:
    """PyTorch's adaptive windows along one axis: window i is [start_i, end_i) with
    start_i = floor(i n / o) and end_i = ceil((i+1) n / o)."""
    i = np.arange(o)
    return (i * n) // o, -((-(i + 1) * n) // o)


def _adaptive_matrix(n: int, o: int, dtype: Any) -> np.ndarray:
    """(o, n) averaging matrix: row i averages window i of _adaptive_bounds."""
    start, end = _adaptive_bounds(n, o)
    cols = np.arange(n)
    inside = (cols >= start[:, None]) & (cols < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


def _adaptive_sizes(op: str, output_size: Any, input: Tensor, x: Tensor) -> tuple:
    """The checked output sizes of an adaptive pooling call on batched x (N, C, *sizes):
    an int, or one entry per spatial dim (None keeps the input's size; not in 1-d)."""
    sizes = x.shape[2:]
    n = len(sizes)
    if isinstance(output_size, (int, np.integer)):
        output_size = (output_size,) * n
    if not isinstance(output_size, (tuple, list)) or not all(
            isinstance(o, (int, np.integer)) or (o is None and n > 1) for o in output_size):
        raise TypeError(f"{op}: output_size must be an int or a tuple of {n} ints"
                        f"{' or None' if n > 1 else ''}, got {output_size!r}")
    if len(output_size) != n:
        raise RuntimeError(f"{op}: output_size must be an int or a tuple of {n}, got "
                           f"{output_size!r}")
    out = tuple(m if o is None else int(o) for o, m in zip(output_size, sizes))
    if min(out) < 0 or 0 in sizes:
        raise RuntimeError(f"{op}: elements of output_size must be non-negative and the "
                           f"input non-empty, got output_size {output_size} for input "
                           f"{list(input.shape)}")
    return out


def _adaptive_avg(x: Tensor, out_sizes: tuple) -> Tensor:
    """Adaptive average pooling of x's trailing axes: one averaging matmul per axis whose
    size changes (P_h x P_w^T in 2-d; in 3-d the depth's P_d multiplies x viewed as
    (N, C, D, H*W))."""
    dtype = x.dtype if x.dtype.kind == "f" else np.float64
    if all(o == 1 for o in out_sizes):
        return x.mean(tuple(range(2, x.ndim)), keepdim=True)
    last, n = (x.shape[-1], out_sizes[-1]), len(out_sizes)
    for i in range(n - 1):
        m, o = x.shape[2 + i], out_sizes[i]
        if m == o:
            continue
        p = wrap(_adaptive_matrix(m, o, dtype))
        if i == n - 2:
            x = matmul(p, x)
        else:       # explicit sizes, no -1: an output size may be 0
            lead, rest = x.shape[:2 + i], x.shape[3 + i:]
            y = matmul(p, reshape(x, lead + (m, math.prod(rest))))
            x = reshape(y, lead + (o,) + rest)
    if last[0] != last[1]:
        x = matmul(x, wrap(_adaptive_matrix(*last, dtype).T.copy()))
    return x


@register(name="adaptive_avg_pool2d")
def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Average pooling to a fixed (Ho, Wo) output (an int, or a pair whose None entries
    keep the input's size): output cell (i, j) averages rows [floor(iH/Ho),
    ceil((i+1)H/Ho)) and the matching columns, as PyTorch.  Computed as P_h x P_w^T."""
    x, unbatched = _batched("adaptive_avg_pool2d", input, 2)
    out = _adaptive_avg(x, _adaptive_sizes("adaptive_avg_pool2d", output_size, input, x))
    return squeeze(out, 0) if unbatched else out


@register(name="adaptive_avg_pool1d")
def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:
    """Average pooling of (N, C, L) or (C, L) to length Lo: out[i] averages
    [floor(i L/Lo), ceil((i+1) L/Lo)), as PyTorch.  Computed as x P^T."""
    x, unbatched = _batched("adaptive_avg_pool1d", input, 1)
    out = _adaptive_avg(x, _adaptive_sizes("adaptive_avg_pool1d", output_size, input, x))
    return squeeze(out, 0) if unbatched else out


@register(name="adaptive_avg_pool3d")
def adaptive_avg_pool3d(input: Tensor, output_size: Any) -> Tensor:
    """Average pooling of (N, C, D, H, W) or (C, D, H, W) to a fixed (Do, Ho, Wo) output
    (an int, or a triple whose None entries keep the input's size): each output cell
    averages PyTorch's window [floor(i n/o), ceil((i+1) n/o)) along every dim.  Computed
    as one averaging matmul per dim."""
    x, unbatched = _batched("adaptive_avg_pool3d", input, 3)
    out = _adaptive_avg(x, _adaptive_sizes("adaptive_avg_pool3d", output_size, input, x))
    return squeeze(out, 0) if unbatched else out


def _adaptive_taps(n: int, o: int) -> tuple:
    """(o, k) positions of the k = largest-window taps of each adaptive window, and
    whether each is inside its window."""
    start, end = _adaptive_bounds(n, o)
    k = int((end - start).max(initial=1))
    pos = start[:, None] + np.arange(k)
    return pos, pos < end[:, None]


def _below(a: np.ndarray) -> Any:
    """A value below every non-NaN element of `a`: its minimum - 1 for floats, which
    (unlike -inf) keeps finite differences through the padded blocks finite."""
    if a.dtype.kind != "f":
        return _lowest(a.dtype)
    low = np.fmin.reduce(a, axis=None) if a.size else 0.0   # (fmin skips NaNs)
    return low - 1 if low == low else 0.0   # all NaN: any number loses to a NaN


def _adaptive_max(x: Tensor, out_sizes: tuple) -> tuple:
    """Adaptive max pooling of batched (N, C, *sizes) x: (values, flat indices in the
    input plane, h*W + w in 2-d).

    Window i (a multi-index) is copied into block i of an (o_0*k_0, o_1*k_1, ...) array,
    k_j the largest window along dim j, its unused taps holding a value below the input's
    (an extra cell appended to the flattened input), and the blocks are max-pooled.  Tap
    (0, ...) of a block is always the window's first element, and a smaller value never
    wins by PyTorch's rule, so the winner is PyTorch's."""
    N, C, sizes = x.shape[0], x.shape[1], tuple(x.shape[2:])
    n, plane = len(sizes), math.prod(sizes)
    src, inside = np.zeros((), np.int64), np.ones((), np.bool_)
    for m, o in zip(sizes, out_sizes):      # laid out (o_0, k_0, o_1, k_1, ...)
        pos, ins = _adaptive_taps(m, o)
        src = src[..., None, None] * m + pos
        inside = inside[..., None, None] & ins
    src = np.where(inside, src, plane)
    kernel = src.shape[1::2]
    flat = cat([reshape(x, (N, C, plane)),
                wrap(np.full((N, C, 1), _below(x.data), x.dtype))], 2)
    blocks = flat[:, :, src.reshape(tuple(o * k for o, k in zip(out_sizes, kernel)))]
    geo = Geometry(tuple(blocks.shape), kernel, kernel, (1,) * n, ((0, 0),) * n,
                   tuple(out_sizes))
    out, win = apply(MaxPool2d, blocks, geo=geo)
    taps = np.unravel_index(win.data.astype(np.int64), kernel)
    index = [a for j in range(n) for a in
             (np.arange(out_sizes[j]).reshape((-1,) + (1,) * (n - 1 - j)), taps[j])]
    return out, src[tuple(index)]


@register(name="adaptive_max_pool2d")
def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Max pooling of (N, C, H, W) or (C, H, W) to a fixed (Ho, Wo) output (an int, or a
    pair whose None entries keep the input's size): out[i, j] = max over rows
    [floor(iH/Ho), ceil((i+1)H/Ho)) and the matching columns; the gradient goes to the
    first maximum (or the last NaN), as PyTorch's.  With `return_indices`, also each
    maximum's flat position h*W + w in its input plane (int64)."""
    x, unbatched = _pool_input("adaptive_max_pool2d", input, 2)
    out, idx = _adaptive_max(x, _adaptive_sizes("adaptive_max_pool2d", output_size, input, x))
    if unbatched:
        out, idx = squeeze(out, 0), idx[0]
    return (out, wrap(idx)) if return_indices else out


@register(name="adaptive_max_pool1d")
def adaptive_max_pool1d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Max pooling of (N, C, L) or (C, L) to length Lo: out[i] = max over
    [floor(i L/Lo), ceil((i+1) L/Lo)); adaptive_max_pool2d of a height-1 input."""
    x, unbatched = _pool_input("adaptive_max_pool1d", input, 1)
    (lo,) = _adaptive_sizes("adaptive_max_pool1d", output_size, input, x)
    out, idx = _adaptive_max(unsqueeze(x, 2), (1, lo))
    out, idx = squeeze(out, 2), idx[:, :, 0]
    if unbatched:
        out, idx = squeeze(out, 0), idx[0]
    return (out, wrap(idx)) if return_indices else out


@register(name="adaptive_max_pool3d")
def adaptive_max_pool3d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Max pooling of (N, C, D, H, W) or (C, D, H, W) to a fixed (Do, Ho, Wo) output (an
    int, or a triple whose None entries keep the input's size) over PyTorch's adaptive
    windows; the gradient goes to the first maximum (or the last NaN).  With
    `return_indices`, also each maximum's flat position (t*H + h)*W + w (int64)."""
    x, unbatched = _pool_input("adaptive_max_pool3d", input, 3)
    out, idx = _adaptive_max(x, _adaptive_sizes("adaptive_max_pool3d", output_size, input, x))
    if unbatched:
        out, idx = squeeze(out, 0), idx[0]
    return (out, wrap(idx)) if return_indices else out


# ---- power-average (LP) pooling ---------------------------------------------------------

def _lp_pool(op: str, input: Tensor, norm_type: Any, kernel_size: Any, stride: Any,
             ceil_mode: bool, spatial: int) -> Tensor:
    """PyTorch's lp_pool formula: with S = avg_pool(x**p) * kernel area (the window sum
    of x**p, except that a ceil_mode window cut by the border is scaled up to the full
    kernel area, as PyTorch's avg_pool divisor makes it), out = S ** (1/p), with gradient
    0 where S = 0 (PyTorch's sign(S) * relu(|S|) makes it so).  p = +-inf is (minus) max
    pooling of |x| (of -|x|)."""
    if isinstance(norm_type, (bool, np.bool_)) or not isinstance(
            norm_type, (int, float, np.integer, np.floating)):
        raise TypeError(f"{op}: norm_type must be a number, got {norm_type!r}")
    if norm_type == 0:
        raise ZeroDivisionError(f"{op}: norm_type must be non-zero (the result is a power "
                                f"1/norm_type), got {norm_type!r}")
    x, unbatched = _pool_input(op, input, spatial)
    if spatial == 1:
        x = unsqueeze(x, 2)
        geo = _pool_geometry_1d(op, x.shape, kernel_size, stride, 0, 1, ceil_mode)
    else:
        geo = _pool_geometry(op, x.shape, kernel_size, stride, 0, 1, ceil_mode, spatial)
        if spatial == 3:
            _check_volume(op, geo)
    if np.isinf(norm_type):
        out = apply(MaxPool2d, x.abs() if norm_type > 0 else -x.abs(), geo=geo)[0]
        out = out if norm_type > 0 else -out
    else:
        s = _avg_pool(op, x ** norm_type, geo, True, None) * float(math.prod(geo.kernel))
        nz = s.data != 0            # (NaN counts as non-zero, and propagates)
        root = (where(nz, s, np.ones((), s.dtype))) ** (1.0 / norm_type)
        with np.errstate(divide="ignore"):
            at_zero = np.power(np.zeros((), s.dtype), 1.0 / norm_type)   # 0, or inf if p < 0
        out = where(nz, root, at_zero)
    if spatial == 1:
        out = squeeze(out, 2)
    return squeeze(out, 0) if unbatched else out


@register(name="lp_pool2d")
def lp_pool2d(input: Tensor, norm_type: float, kernel_size: Any, stride: Any = None,
              ceil_mode: bool = False) -> Tensor:
    """2-d power-average pooling of (N, C, H, W) or (C, H, W): out = (sum of x**p over
    each window) ** (1/p), p = `norm_type` (p = inf: max of |x|; p = 1: sum pooling).
    No padding; `stride` defaults to kernel_size.  The gradient is 0 where the sum is 0.
    With `ceil_mode`, a window cut by the border has its sum scaled by kernel area /
    its in-bounds size (PyTorch's formula, avg_pool times the kernel area)."""
    return _lp_pool("lp_pool2d", input, norm_type, kernel_size, stride, ceil_mode, 2)


@register(name="lp_pool1d")
def lp_pool1d(input: Tensor, norm_type: float, kernel_size: Any, stride: Any = None,
              ceil_mode: bool = False) -> Tensor:
    """1-d power-average pooling of (N, C, L) or (C, L): out[i] = (sum of x**p over
    window i) ** (1/p), p = `norm_type`; lp_pool2d of height-1 windows."""
    return _lp_pool("lp_pool1d", input, norm_type, kernel_size, stride, ceil_mode, 1)


@register(name="lp_pool3d")
def lp_pool3d(input: Tensor, norm_type: float, kernel_size: Any, stride: Any = None,
              ceil_mode: bool = False) -> Tensor:
    """3-d power-average pooling of (N, C, D, H, W) or (C, D, H, W): out = (sum of x**p
    over each window) ** (1/p), p = `norm_type` (see lp_pool2d: no padding, stride
    defaults to kernel_size, gradient 0 where the sum is 0).  As PyTorch's (built on
    avg_pool3d), the input may not be smaller than the kernel along any dim."""
    return _lp_pool("lp_pool3d", input, norm_type, kernel_size, stride, ceil_mode, 3)


# ---- max unpooling ----------------------------------------------------------------------

def _unpool_size(op: str, in_hw: tuple, k: tuple, s: tuple, p: tuple,
                 output_size: Any) -> tuple:
    """PyTorch's _unpool_output_size: (n - 1) * s + k - 2 p per axis by default; a given
    output_size (its last len(k) entries, if it also has N and C) must lie strictly
    within s of that."""
    default = tuple((n - 1) * si + ki - 2 * pi for n, ki, si, pi in zip(in_hw, k, s, p))
    if output_size is None:
        return default
    if not isinstance(output_size, (tuple, list)) or not all(
            isinstance(o, (int, np.integer)) for o in output_size):
        raise TypeError(f"{op}: output_size must be a sequence of ints, got {output_size!r}")
    size = tuple(output_size)
    if len(size) == len(k) + 2:
        size = size[2:]
    if len(size) != len(k):
        raise ValueError(f"{op}: output_size should be a sequence containing {len(k)} or "
                         f"{len(k) + 2} elements, but it has a length of '{len(size)}'")
    for i, (o, dflt, si) in enumerate(zip(size, default, s)):
        if not dflt - si < o < dflt + si:
            raise ValueError(f'{op}: invalid output_size "{tuple(output_size)}" (dim {i} '
                             f'must be between {dflt - si} and {dflt + si})')
    return tuple(int(o) for o in size)


def _max_unpool(op: str, input: Tensor, indices: Any, kernel_size: Any, stride: Any,
                padding: Any, output_size: Any, spatial: int) -> Tensor:
    """Scatter input into zeros of the unpooled size at the flat `indices` (per plane)."""
    x, unbatched = _batched(op, input, spatial)
    idx = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
    if idx.dtype != np.int64:
        raise RuntimeError(f"{op}: elements in indices should be type int64 but got: "
                           f"{idx.dtype}")
    if idx.shape != tuple(input.shape):
        raise RuntimeError(f"{op}: Expected shape of indices to be same as that of the input "
                           f"tensor ({list(input.shape)}) but got indices tensor with shape: "
                           f"{list(idx.shape)}")
    k = ntuple(kernel_size, spatial, "kernel_size", op)
    s = k if _default_stride(stride) else ntuple(stride, spatial, "stride", op)
    p = ntuple(padding, spatial, "padding", op)
    out_sz = _unpool_size(op, x.shape[2:], k, s, p, output_size)
    if min(out_sz) < 1:    # (PyTorch: a size it cannot allocate)
        raise RuntimeError(f"{op}: output size {out_sz} is too small (input "
                           f"{list(input.shape)}, kernel_size={k}, stride={s}, padding={p})")
    plane = int(np.prod(out_sz))
    N, C = x.shape[:2]
    flat_idx = idx.reshape(N, C, -1)
    if flat_idx.size and (flat_idx.min() < 0 or flat_idx.max() >= plane):
        bad = flat_idx[(flat_idx < 0) | (flat_idx >= plane)].flat[0]
        raise RuntimeError(f"{op}: Found an invalid max index: {bad} (output volumes are of "
                           f"size {'x'.join(map(str, out_sz))})")
    zeros = wrap(np.zeros((N, C, plane), x.dtype))
    out = reshape(scatter(zeros, 2, flat_idx, reshape(x, (N, C, -1))), (N, C) + out_sz)
    return squeeze(out, 0) if unbatched else out


@register(name="max_unpool2d")
def max_unpool2d(input: Tensor, indices: Tensor, kernel_size: Any, stride: Any = None,
                 padding: Any = 0, output_size: Any = None) -> Tensor:
    """A partial inverse of max_pool2d: out is zero except out[n, c].flat[indices[n, c, i,
    j]] = input[n, c, i, j], with `indices` as max_pool2d(..., return_indices=True) gives
    them (flat positions h*W + w).  Output (H - 1) * stride - 2 * padding + kernel_size
    per axis unless `output_size` (within stride of that) is given.  The gradient of
    input is the output gradient gathered at `indices`."""
    return _max_unpool("max_unpool2d", input, indices, kernel_size, stride, padding,
                       output_size, 2)


@register(name="max_unpool1d")
def max_unpool1d(input: Tensor, indices: Tensor, kernel_size: Any, stride: Any = None,
                 padding: Any = 0, output_size: Any = None) -> Tensor:
    """A partial inverse of max_pool1d over (N, C, L) or (C, L): zeros, with
    out[n, c, indices[n, c, i]] = input[n, c, i].  Output length
    (L - 1) * stride - 2 * padding + kernel_size unless `output_size` is given."""
    return _max_unpool("max_unpool1d", input, indices, kernel_size, stride, padding,
                       output_size, 1)


@register(name="max_unpool3d")
def max_unpool3d(input: Tensor, indices: Tensor, kernel_size: Any, stride: Any = None,
                 padding: Any = 0, output_size: Any = None) -> Tensor:
    """A partial inverse of max_pool3d over (N, C, D, H, W) or (C, D, H, W): zeros, with
    out[n, c].flat[indices[n, c, t, i, j]] = input[n, c, t, i, j] (flat positions
    (t*H + h)*W + w, as max_pool3d(..., return_indices=True) gives them).  Output
    (n - 1) * stride - 2 * padding + kernel_size per dim unless `output_size` is given."""
    return _max_unpool("max_unpool3d", input, indices, kernel_size, stride, padding,
                       output_size, 3)
