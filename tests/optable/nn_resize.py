"""Rows for nn/functional/resize.py and the padding layers of nn/resize.py: interpolate
(nearest, nearest-exact, linear, bilinear, trilinear, bicubic, area, and antialiased
bilinear, bicubic and lanczos; sizes and scale factors, align_corners both ways),
pixel_shuffle / pixel_unshuffle, dropout1d / dropout2d, the padding modules (1-d to
3-d), affine_grid and grid_sample.  The references are written independently:
interpolation as a dense (out, in) matrix per spatial axis built from the documented
kernels, the shuffles as explicit index maps, the paddings as np.pad, grid_sample point
by point from its documented formulas."""
from __future__ import annotations

import itertools

import numpy as np
from hypothesis import strategies as st

import autograd as ag
from nn import functional as F
from nn import resize as R

from . import Row


def _spatial_shapes(spatial: int, lo: int = 1, hi: int = 4, channels: int = 1):
    """[(N, C * channels, *spatial sides in [lo, hi])]."""
    @st.composite
    def draw(d):
        n, c = d(st.integers(1, 2)), d(st.integers(1, 2)) * channels
        return [(n, c) + tuple(d(st.integers(lo, hi)) for _ in range(spatial))]
    return draw


def _keys(x, a):
    """Keys' cubic convolution kernel with parameter a."""
    x = np.abs(x)
    return np.where(x <= 1, (a + 2) * x ** 3 - (a + 3) * x ** 2 + 1,
                    np.where(x < 2, a * x ** 3 - 5 * a * x ** 2 + 8 * a * x - 4 * a, 0.0))


# Antialiasing filters (Pillow's) in units of input pixels at scale 1.
_AA = {"bilinear": lambda x: np.maximum(1 - np.abs(x), 0.0),
       "bicubic": lambda x: _keys(x, -0.5),
       "lanczos": lambda x: np.where(np.abs(x) < 3, np.sinc(x) * np.sinc(x / 3), 0.0)}


def _matrix(n_in: int, n_out: int, mode: str, align_corners: bool = False,
            scale: float | None = None, antialias: bool = False) -> np.ndarray:
    """The (n_out, n_in) resampling matrix of PyTorch's documented source positions."""
    o = np.arange(n_out)
    inv = n_in / n_out if scale is None else 1.0 / scale
    m = np.zeros((n_out, n_in))
    if mode == "area":   # adaptive average pooling windows
        for i, lo, hi in zip(o, o * n_in // n_out, -(-(o + 1) * n_in // n_out)):
            m[i, lo:hi] = 1.0 / (hi - lo)
        return m
    if antialias:   # a filter stretched by the scale when downsampling, rows summing to 1
        if n_in == n_out:
            return np.eye(n_in)
        s = ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0) if align_corners else inv
        m = _AA[mode]((np.arange(n_in) + 0.5 - (o[:, None] + 0.5) * s) / max(s, 1.0))
        return m / m.sum(1, keepdims=True)
    if mode == "bicubic":   # 4 taps around src, clamped to the input, no corner shortcut
        src = (o * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0) if align_corners
               else (o + 0.5) * inv - 0.5)
        for k in range(-1, 3):
            tap = np.floor(src) + k
            np.add.at(m, (o, np.clip(tap, 0, n_in - 1).astype(int)), _keys(src - tap, -0.75))
        return m
    if mode in ("nearest", "nearest-exact"):
        src = np.floor((o + (0.5 if mode == "nearest-exact" else 0.0)) * inv)
        m[o, np.minimum(src, n_in - 1).astype(int)] = 1.0
        return m
    if n_in == n_out:
        return np.eye(n_in)
    if align_corners:
        src = o * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    else:
        src = np.maximum((o + 0.5) * inv - 0.5, 0.0)
    lo = np.minimum(np.floor(src), n_in - 1).astype(int)
    t = src - lo
    np.add.at(m, (o, lo), 1 - t)
    np.add.at(m, (o, np.minimum(lo + 1, n_in - 1)), t)
    return m


def _np_resize(x, sizes=None, scales=None, mode="nearest", align_corners=False,
               antialias=False):
    spatial = x.shape[2:]
    if sizes is None:
        sizes = [int(n * s) for n, s in zip(spatial, scales)]
    out = x.astype(np.float64)
    for k, (n_in, n_out) in enumerate(zip(spatial, sizes)):
        m = _matrix(n_in, n_out, mode, align_corners, None if scales is None else scales[k],
                    antialias)
        out = np.moveaxis(np.tensordot(out, m, axes=([2 + k], [1])), -1, 2 + k)
    return out.astype(x.dtype)


def _interp(mode, size=None, scale=None, align_corners=None, antialias=False):
    return lambda x: F.interpolate(x, size, scale, mode, align_corners, antialias=antialias)


def _ref(mode, size=None, scale=None, align_corners=False, antialias=False):
    def ref(x):
        k = x.ndim - 2
        sizes = None if size is None else [size] * k if isinstance(size, int) else list(size)
        scales = None if scale is None else [scale] * k
        return _np_resize(x, sizes, scales, mode, bool(align_corners), antialias)
    return ref


def _interp_row(label, mode, spatial, size=None, scale=None, align_corners=None, lo=1,
                hi=4, antialias=False):
    return Row("interpolate", _interp(mode, size, scale, align_corners, antialias),
               _ref(mode, size, scale, align_corners, antialias),
               shapes=_spatial_shapes(spatial, lo, hi), label=label)


def _np_pixel_shuffle(x, r):
    *lead, c, h, w = x.shape
    cc, hh, ww = np.indices((c // (r * r), h * r, w * r))
    return x[..., cc * r * r + (hh % r) * r + ww % r, hh // r, ww // r]


def _np_pixel_unshuffle(x, r):
    *lead, c, h, w = x.shape
    cc, hh, ww = np.indices((c * r * r, h // r, w // r))
    return x[..., cc // (r * r), hh * r + (cc % (r * r)) // r, ww * r + cc % r]


def _even_shapes():
    """[(N, C, 2 H, 2 W)] or a batch-free [(C, 2 H, 2 W)]."""
    @st.composite
    def draw(d):
        lead = tuple(d(st.lists(st.integers(1, 2), max_size=2)))
        return [lead + (d(st.integers(1, 2)), 2 * d(st.integers(1, 2)), 2 * d(st.integers(1, 2)))]
    return draw


def _np_channel_shuffle(x, g):
    """out channel o = j*g + i reads channel i*(C/g) + j."""
    o = np.arange(x.shape[1])
    return x[:, (o % g) * (x.shape[1] // g) + o // g]


def _shuffle_shapes(g):
    """[(N, g*k, *spatial)] with 1..2 spatial dims (PyTorch wants > 2 dims)."""
    @st.composite
    def draw(d):
        rest = tuple(d(st.lists(st.integers(1, 3), min_size=1, max_size=2)))
        return [(d(st.integers(1, 2)), g * d(st.integers(1, 3))) + rest]
    return draw


def _channel_dropout(fn, p=0.4):
    def run(x):
        ag.manual_seed(7)   # the same mask at every call of this row
        return fn(x, p, training=True)
    return run


def _np_channel_dropout(channel_dims, p=0.4):
    def ref(x):
        shape = x.shape[:channel_dims] + (1,) * (x.ndim - channel_dims)
        keep = np.random.default_rng(7).random(shape, dtype=np.float32) >= p
        return x * keep / np.float32(1 - p)
    return ref


def _np_affine_grid(theta, spatial, align_corners):
    """theta[n] @ (x, y[, z], 1) at every output pixel, x along the last dim."""
    axes = [np.linspace(-1, 1, m) * (1.0 if align_corners or m == 1 else (m - 1) / m)
            if m > 1 else np.zeros(1) for m in spatial]
    mesh = list(np.meshgrid(*axes, indexing="ij"))[::-1]   # (x, y[, z])
    base = np.stack(mesh + [np.ones(spatial)], -1)
    return np.einsum("...j,nij->n...i", base, theta).astype(theta.dtype)


def _affine_row(size, align_corners, label):
    k = len(size) - 2
    return Row("affine_grid", lambda t: F.affine_grid(t, size, align_corners),
               lambda t: _np_affine_grid(t, size[2:], align_corners),
               shapes=lambda: st.just([(size[0], k, k + 1)]), label=label)


def _np_pad(x, size, padding, align_corners):
    """A position in pixels mapped into the image: clamped (border), reflected about the
    borders then clamped (reflection), or kept (zeros)."""
    if padding == "reflection":
        lo, hi = (0.0, size - 1.0) if align_corners else (-0.5, size - 0.5)
        span = hi - lo
        x = 0.0 if span == 0 else lo + (span - abs(abs(x - lo) % (2 * span) - span))
    return min(max(x, 0.0), size - 1.0) if padding != "zeros" else x


def _np_source(g, size, padding, align_corners):
    """The normalized coordinate g in pixels, mapped into the image by the padding."""
    x = (g + 1) / 2 * (size - 1) if align_corners else ((g + 1) * size - 1) / 2
    return _np_pad(x, size, padding, align_corners)


def _np_grid_sample(x, grid, mode, padding, align_corners):
    """Each output point: the taps around it (nearest pixel, 2 per dim bilinear, 4 per
    dim bicubic with Keys' a = -0.75), outside pixels read as zero (bicubic pads the
    taps' positions instead of the point)."""
    n, c, *spatial = x.shape
    k = len(spatial)
    out = np.zeros((n, c) + grid.shape[1:-1])
    for b in range(n):
        for at in np.ndindex(*grid.shape[1:-1]):
            taps_per_dim = []
            for d, size in enumerate(spatial):
                g = float(grid[(b,) + at + (k - 1 - d,)])
                p = _np_source(g, size, "zeros" if mode == "bicubic" else padding,
                               align_corners)
                f = np.floor(p)
                if mode == "nearest":
                    taps_per_dim.append([(np.rint(p), 1.0)])
                elif mode == "bilinear":
                    taps_per_dim.append([(f, 1 - (p - f)), (f + 1, p - f)])
                else:
                    taps_per_dim.append([(_np_pad(f + o, size, padding, align_corners),
                                          float(_keys(p - (f + o), -0.75)))
                                         for o in (-1, 0, 1, 2)])
            for combo in itertools.product(*taps_per_dim):
                idx = [int(round(i)) for i, _ in combo]
                if all(0 <= i < m for i, m in zip(idx, spatial)):
                    out[(b, slice(None)) + at] += np.prod([w for _, w in combo]) * \
                        x[(b, slice(None)) + tuple(idx)]
    return out.astype(x.dtype)


def _grid_shapes(k):
    """[(N, C, *spatial in 1..3), (N, *out in 1..2, k)]."""
    @st.composite
    def draw(d):
        n, c = d(st.integers(1, 2)), d(st.integers(1, 2))
        spatial = tuple(d(st.integers(1, 3)) for _ in range(k))
        out = tuple(d(st.integers(1, 2)) for _ in range(k))
        return [(n, c) + spatial, (n,) + out + (k,)]
    return draw


def _off_grid(arrays):
    """Grid values moved off the simple fractions Hypothesis favours, which can land a
    point exactly on a pixel (a kink of the bilinear weights)."""
    x, g = arrays
    return [x, g * 0.93 + 0.0137]


def _grid_row(label, mode, padding, align_corners, k=2):
    return Row("grid_sample",
               lambda x, g: F.grid_sample(x, g, mode, padding, align_corners),
               lambda x, g: _np_grid_sample(x, g, mode, padding, align_corners), arity=2,
               shapes=_grid_shapes(k), domain=[(-2.0, 2.0), (-1.6, 1.6)], prepare=_off_grid,
               label=label)


def _pad_module(layer, np_mode, spatial, hi=4):
    """A padding layer against np.pad of its widths (PyTorch's (left, right, top, ...)
    order: the last dim first)."""
    p = layer.padding
    widths = [(p[2 * i], p[2 * i + 1]) for i in range(spatial)][::-1]

    def ref(x):
        kw = {"constant_values": layer.value} if np_mode == "constant" else {}
        return np.pad(x, [(0, 0)] * (x.ndim - spatial) + widths, mode=np_mode, **kw)
    return Row("pad", layer, ref, shapes=_spatial_shapes(spatial, lo=3, hi=hi),
               label=f"{type(layer).__name__}_module")


ROWS = [
    _interp_row("interpolate_nearest_up", "nearest", 1, size=7),
    _interp_row("interpolate_nearest_2d_scale", "nearest", 2, scale=1.5),
    _interp_row("interpolate_nearest_down", "nearest", 2, size=(2, 1), lo=2),
    _interp_row("interpolate_nearest_3d", "nearest", 3, size=(2, 3, 1)),
    _interp_row("interpolate_nearest_exact", "nearest-exact", 1, size=5),
    _interp_row("interpolate_nearest_exact_2d_scale", "nearest-exact", 2, scale=0.5, lo=2),
    _interp_row("interpolate_linear", "linear", 1, size=7),
    _interp_row("interpolate_linear_down", "linear", 1, size=2),
    _interp_row("interpolate_linear_scale", "linear", 1, scale=2.5),
    _interp_row("interpolate_linear_align", "linear", 1, size=6, align_corners=True),
    _interp_row("interpolate_bilinear", "bilinear", 2, size=(5, 3)),
    _interp_row("interpolate_bilinear_scale", "bilinear", 2, scale=1.5),
    _interp_row("interpolate_bilinear_align", "bilinear", 2, size=(4, 1), align_corners=True),
    Row("pixel_shuffle", lambda x: F.pixel_shuffle(x, 2), lambda x: _np_pixel_shuffle(x, 2),
        shapes=_spatial_shapes(2, hi=3, channels=4)),
    Row("pixel_unshuffle", lambda x: F.pixel_unshuffle(x, 2),
        lambda x: _np_pixel_unshuffle(x, 2), shapes=_even_shapes()),
    Row("channel_shuffle", lambda x: F.channel_shuffle(x, 3),
        lambda x: _np_channel_shuffle(x, 3), shapes=_shuffle_shapes(3)),
    Row("channel_shuffle", lambda x: F.channel_shuffle(x, 2),
        lambda x: _np_channel_shuffle(x, 2), shapes=_shuffle_shapes(2),
        label="channel_shuffle_2"),
    Row("dropout1d", _channel_dropout(F.dropout1d), _np_channel_dropout(2),
        shapes=lambda: st.just([(3, 4, 5)])),
    Row("dropout1d", _channel_dropout(F.dropout1d), _np_channel_dropout(1),
        shapes=lambda: st.just([(6, 3)]), label="dropout1d_unbatched"),
    Row("dropout2d", _channel_dropout(F.dropout2d), _np_channel_dropout(2),
        shapes=lambda: st.just([(3, 4, 2, 3)])),
    _pad_module(R.ZeroPad2d((1, 0, 2, 1)), "constant", 2),
    _pad_module(R.ConstantPad1d(2, 1.5), "constant", 1),
    _pad_module(R.ReflectionPad2d((2, 1, 0, 2)), "reflect", 2),
    _pad_module(R.ReplicationPad1d((3, 1)), "edge", 1),
    _pad_module(R.CircularPad2d(2), "wrap", 2),
    _interp_row("interpolate_trilinear", "trilinear", 3, size=(3, 1, 4), hi=3),
    _interp_row("interpolate_trilinear_align_scale", "trilinear", 3, scale=1.5,
                align_corners=True, hi=3),
    _interp_row("interpolate_bicubic", "bicubic", 2, size=(5, 2)),
    _interp_row("interpolate_bicubic_align", "bicubic", 2, size=(3, 6), align_corners=True),
    _interp_row("interpolate_area_1d", "area", 1, size=3, hi=7),
    _interp_row("interpolate_area_2d_scale", "area", 2, scale=0.6, lo=2, hi=5),
    _interp_row("interpolate_area_3d", "area", 3, size=(2, 1, 3), hi=3),
    _interp_row("interpolate_bilinear_aa", "bilinear", 2, size=(2, 3), lo=2, hi=6,
                antialias=True),
    _interp_row("interpolate_bicubic_aa", "bicubic", 2, scale=0.4, lo=3, hi=5, antialias=True),
    _interp_row("interpolate_bicubic_aa_up_align", "bicubic", 2, size=(5, 3), antialias=True,
                align_corners=True),
    _interp_row("interpolate_lanczos", "lanczos", 2, size=(2, 5), hi=6, antialias=True),
    # (the other 3-d padding layers are checked against PyTorch in test_nn_resize_more)
    _pad_module(R.ReflectionPad3d((2, 1, 0, 2, 1, 1)), "reflect", 3, hi=3),
    _pad_module(R.CircularPad3d((1, 2, 2, 0, 1, 1)), "wrap", 3, hi=3),
    _affine_row((2, 1, 3, 4), False, "affine_grid_2d"),
    _affine_row((1, 2, 2, 2, 3), True, "affine_grid_3d_align"),
    _grid_row("grid_sample_bilinear_zeros", "bilinear", "zeros", False),
    _grid_row("grid_sample_bilinear_reflection_align", "bilinear", "reflection", True),
    _grid_row("grid_sample_nearest_border", "nearest", "border", False),
    _grid_row("grid_sample_bicubic_reflection", "bicubic", "reflection", False),
    _grid_row("grid_sample_trilinear_border_align", "bilinear", "border", True, k=3),
]
