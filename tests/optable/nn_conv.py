"""Rows for convolution and pooling (nn/functional/conv.py, nn/functional/pooling.py).

Each row fixes stride/padding/dilation; Hypothesis draws the batch, channels, groups
(read back from the shapes as in_channels // weight.shape[1]), kernel and input sizes
(always large enough for the kernel).  The NumPy references are direct loops over
kernel taps or output positions, written apart from the im2col implementation.
Max-pooling inputs are drawn on a grid of spacing 0.02 with distinct values, so no
window has a tie or a near-tie that finite differences would straddle.
"""
from __future__ import annotations

import itertools

import numpy as np
from hypothesis import strategies as st

from nn import functional as F

from . import Row

CONV_DOMAIN = (-1.0, 1.0)   # small sums keep float32 round-off within the table's atol
DISTINCT = st.integers(-100, 100).map(lambda k: k * 0.02)


# ---- references ---------------------------------------------------------------------

def _pairs(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def np_conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """Cross-correlation by summing one shifted, strided slice per kernel tap."""
    (sh, sw), (dh, dw) = _pairs(stride), _pairs(dilation)
    O, Cg, kh, kw = w.shape
    if padding == "same":
        pads = [(t // 2, t - t // 2) for t in (dh * (kh - 1), dw * (kw - 1))]
    elif padding == "valid":
        pads = [(0, 0), (0, 0)]
    else:
        pads = [(p, p) for p in _pairs(padding)]
    xp = np.pad(x, [(0, 0), (0, 0)] + pads)
    Ho = (xp.shape[2] - dh * (kh - 1) - 1) // sh + 1
    Wo = (xp.shape[3] - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((x.shape[0], O, Ho, Wo), dtype=np.float64)
    Og = O // groups
    for g in range(groups):
        xs = xp[:, g * Cg:(g + 1) * Cg]
        for p in range(kh):
            for q in range(kw):
                patch = xs[:, :, p * dh:p * dh + sh * (Ho - 1) + 1:sh,
                           q * dw:q * dw + sw * (Wo - 1) + 1:sw]
                out[:, g * Og:(g + 1) * Og] += np.einsum(
                    "nchw,oc->nohw", patch, w[g * Og:(g + 1) * Og, :, p, q])
    if b is not None:
        out += b[:, None, None]
    return out.astype(x.dtype)


def np_conv_transpose2d(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1,
                        dilation=1):
    """Scatter each input pixel times the kernel into the (padded) output."""
    (sh, sw), (ph, pw), (oh, ow), (dh, dw) = (_pairs(stride), _pairs(padding),
                                              _pairs(output_padding), _pairs(dilation))
    N, Cin, H, W = x.shape
    _, Cg, kh, kw = w.shape
    Hout = (H - 1) * sh - 2 * ph + dh * (kh - 1) + oh + 1
    Wout = (W - 1) * sw - 2 * pw + dw * (kw - 1) + ow + 1
    full = np.zeros((N, Cg * groups, Hout + 2 * ph + sh, Wout + 2 * pw + sw))
    Cin_g = Cin // groups
    for g in range(groups):
        xs = x[:, g * Cin_g:(g + 1) * Cin_g]
        ws = w[g * Cin_g:(g + 1) * Cin_g]
        for p in range(kh):
            for q in range(kw):
                full[:, g * Cg:(g + 1) * Cg, p * dh:p * dh + sh * (H - 1) + 1:sh,
                     q * dw:q * dw + sw * (W - 1) + 1:sw] += np.einsum(
                    "nchw,co->nohw", xs, ws[:, :, p, q])
    out = full[:, :, ph:ph + Hout, pw:pw + Wout]
    if b is not None:
        out = out + b[:, None, None]
    return out.astype(x.dtype)


def _windows(n, k, s, p, d, ceil_mode):
    """Start offsets (in unpadded coordinates) of the pooling windows along one axis."""
    span = d * (k - 1) + 1
    o = (n + 2 * p - span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (o - 1) * s >= n + p:
        o -= 1
    return [i * s - p for i in range(o)]


def np_max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """Max over each window's in-bounds taps (padding is -inf, so never chosen)."""
    (kh, kw) = _pairs(kernel_size)
    (sh, sw) = _pairs(stride if stride is not None else kernel_size)
    (ph, pw), (dh, dw) = _pairs(padding), _pairs(dilation)
    H, W = x.shape[-2:]
    rows = _windows(H, kh, sh, ph, dh, ceil_mode)
    cols = _windows(W, kw, sw, pw, dw, ceil_mode)
    out = np.empty(x.shape[:-2] + (len(rows), len(cols)), x.dtype)
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            rr = [r + a * dh for a in range(kh) if 0 <= r + a * dh < H]
            cc = [c + a * dw for a in range(kw) if 0 <= c + a * dw < W]
            out[..., i, j] = x[..., rr, :][..., cc].max(axis=(-2, -1))
    return out


def np_avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False,
                  count_include_pad=True, divisor_override=None):
    """Sum of each window's in-bounds elements over PyTorch's divisor."""
    (kh, kw) = _pairs(kernel_size)
    (sh, sw) = _pairs(stride if stride is not None else kernel_size)
    (ph, pw) = _pairs(padding)
    H, W = x.shape[-2:]
    rows = _windows(H, kh, sh, ph, 1, ceil_mode)
    cols = _windows(W, kw, sw, pw, 1, ceil_mode)
    out = np.empty(x.shape[:-2] + (len(rows), len(cols)), x.dtype)
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            r0, r1, c0, c1 = max(r, 0), min(r + kh, H), max(c, 0), min(c + kw, W)
            total = x[..., r0:r1, c0:c1].sum(axis=(-2, -1))
            if divisor_override:
                div = divisor_override
            elif count_include_pad:  # the window clipped to the padded input
                div = (min(r + kh, H + ph) - r) * (min(c + kw, W + pw) - c)
            else:
                div = (r1 - r0) * (c1 - c0)
            out[..., i, j] = total / div
    return out


def _np_adaptive(reduce):
    """A reference adaptive pooling: `reduce` (mean, max) over PyTorch's windows
    [floor(i H / Ho), ceil((i + 1) H / Ho)) of each output position."""
    def pool(x, output_size):
        Ho, Wo = _pairs(output_size)
        H, W = x.shape[-2:]
        out = np.empty(x.shape[:-2] + (Ho, Wo), x.dtype)
        for i in range(Ho):
            for j in range(Wo):
                r0, r1 = (i * H) // Ho, -(-((i + 1) * H) // Ho)
                c0, c1 = (j * W) // Wo, -(-((j + 1) * W) // Wo)
                out[..., i, j] = reduce(x[..., r0:r1, c0:c1], axis=(-2, -1))
        return out
    return pool


np_adaptive_avg_pool2d = _np_adaptive(np.mean)
np_adaptive_max_pool2d = _np_adaptive(np.max)


def _as_1d(ref2d):
    """A 2-d pooling reference applied to (..., L) input as (..., 1, L)."""
    return lambda x, *args: ref2d(x[..., None, :], *args)[..., 0, :]


# ---- shape strategies ---------------------------------------------------------------

def _conv_shapes(kernel_max=3, min_extent=lambda k: k, bias=True, spatial=2,
                 max_side=5):
    """[x, w(, b)] shapes: N in 1..2, groups in 1..2, 1..2 in/out channels per group,
    each input side at least `min_extent(k)` for its kernel side k."""
    @st.composite
    def draw(d):
        n, g = d(st.integers(1, 2)), d(st.integers(1, 2))
        cg, og = d(st.integers(1, 2)), d(st.integers(1, 2))
        ks = [d(st.integers(1, kernel_max)) for _ in range(spatial)]
        sides = [d(st.integers(max(min_extent(k), 1), max(min_extent(k), 1) + max_side - 2))
                 for k in ks]
        shapes = [(n, g * cg, *sides), (g * og, cg, *ks)]
        return shapes + [(g * og,)] if bias else shapes
    return draw()


def _transpose_shapes():
    """[x, w, b] for conv_transpose2d: w is (in, out/groups, kh, kw)."""
    @st.composite
    def draw(d):
        n, g = d(st.integers(1, 2)), d(st.integers(1, 2))
        cg, og = d(st.integers(1, 2)), d(st.integers(1, 2))
        kh, kw = d(st.integers(1, 3)), d(st.integers(1, 3))
        h, w = d(st.integers(2, 3)), d(st.integers(2, 3))  # outputs of size >= 1
        return [(n, g * cg, h, w), (g * cg, og, kh, kw), (g * og,)]
    return draw()


def _transpose1d_shapes(bias=True):
    """[x, w(, b)] for conv_transpose1d: _transpose_shapes without the height."""
    return _transpose_shapes().map(
        lambda s: [s[0][:2] + s[0][3:], s[1][:2] + s[1][3:]] + ([s[2]] if bias else []))


def np_conv_transpose1d(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1,
                        dilation=1):
    """np_conv_transpose2d on height-1 input and kernel."""
    return np_conv_transpose2d(x[:, :, None], w[:, :, None], b, (1, stride), (0, padding),
                               (0, output_padding), groups, (1, dilation))[:, :, 0]


def _image_shapes(lo=1, hi=5):
    """One (N, C, H, W) or unbatched (C, H, W) shape with sides in lo..hi."""
    @st.composite
    def draw(d):
        lead = d(st.sampled_from([(1,), (2,), (1, 2), (2, 2)]))
        return [lead + (d(st.integers(lo, hi)), d(st.integers(lo, hi)))]
    return draw()


def _line_shapes(lo=1, hi=5):
    """One (N, C, L) or unbatched (C, L) shape with L in lo..hi."""
    return _image_shapes(lo, hi).map(lambda s: [s[0][:-1]])


def _groups(x, w):
    return x.shape[1] // w.shape[1]


def _tgroups(b, w):
    """conv_transpose2d's groups: out channels (the bias's length) / weight.shape[1]."""
    return b.shape[0] // w.shape[1]


ROWS = [
    # ---- convolution ----------------------------------------------------------------
    Row("conv2d", lambda x, w, b: F.conv2d(x, w, b, groups=_groups(x, w)),
        lambda x, w, b: np_conv2d(x, w, b, groups=_groups(x, w)), arity=3,
        shapes=lambda: _conv_shapes(), domain=CONV_DOMAIN),
    Row("conv2d", lambda x, w, b: F.conv2d(x, w, b, (2, 1), (1, 0), (1, 2), _groups(x, w)),
        lambda x, w, b: np_conv2d(x, w, b, (2, 1), (1, 0), (1, 2), _groups(x, w)), arity=3,
        shapes=lambda: _conv_shapes(min_extent=lambda k: 2 * k - 1), domain=CONV_DOMAIN,
        label="conv2d_stride_pad_dilation"),
    Row("conv2d", lambda x, w: F.conv2d(x, w, None, padding="same", dilation=2,
                                        groups=_groups(x, w)),
        lambda x, w: np_conv2d(x, w, None, padding="same", dilation=2, groups=_groups(x, w)),
        arity=2, shapes=lambda: _conv_shapes(kernel_max=2, bias=False, max_side=3),
        domain=CONV_DOMAIN, label="conv2d_same_dilated"),
    Row("conv2d", lambda x, w: F.conv2d(x, w, None, 2, 1, groups=_groups(x, w)),
        lambda x, w: np_conv2d(x, w, None, 2, 1, groups=_groups(x, w)), arity=2,
        shapes=lambda: _conv_shapes(min_extent=lambda k: k - 1, bias=False, max_side=3),
        domain=CONV_DOMAIN, label="conv2d_strided_nobias"),
    Row("conv2d", lambda x, w, b: F.conv2d(x[0], w, b, 1, "valid", groups=_groups(x, w)),
        lambda x, w, b: np_conv2d(x, w, b, groups=_groups(x, w))[0], arity=3,
        shapes=lambda: _conv_shapes(), domain=CONV_DOMAIN,
        label="conv2d_unbatched"),
    Row("conv1d", lambda x, w, b: F.conv1d(x, w, b, 2, 1, 1, _groups(x, w)),
        lambda x, w, b: np_conv2d(x[:, :, None], w[:, :, None], b, (1, 2), (0, 1), 1,
                                  _groups(x, w))[:, :, 0], arity=3,
        shapes=lambda: _conv_shapes(spatial=1, min_extent=lambda k: k - 1),
        domain=CONV_DOMAIN),
    Row("conv1d", lambda x, w: F.conv1d(x, w, None, 1, "same", 2, _groups(x, w)),
        lambda x, w: np_conv2d(x[:, :, None], w[:, :, None], None, 1, "same", 2,
                               _groups(x, w))[:, :, 0], arity=2,
        shapes=lambda: _conv_shapes(spatial=1, bias=False), domain=CONV_DOMAIN,
        label="conv1d_same"),
    Row("conv_transpose2d",
        lambda x, w, b: F.conv_transpose2d(x, w, b, 2, 1, 1, _tgroups(b, w)),
        lambda x, w, b: np_conv_transpose2d(x, w, b, 2, 1, 1, _tgroups(b, w)), arity=3,
        shapes=_transpose_shapes, domain=CONV_DOMAIN),
    Row("conv_transpose2d",
        lambda x, w: F.conv_transpose2d(x, w, None, (1, 2), 0, (0, 1), 1, (2, 1)),
        lambda x, w: np_conv_transpose2d(x, w, None, (1, 2), 0, (0, 1), 1, (2, 1)),
        arity=2, shapes=lambda: _transpose_shapes().map(lambda s: s[:2]), domain=CONV_DOMAIN,
        label="conv_transpose2d_dilated"),
    Row("conv_transpose1d",
        lambda x, w, b: F.conv_transpose1d(x, w, b, 2, 1, 1, _tgroups(b, w), 2),
        lambda x, w, b: np_conv_transpose1d(x, w, b, 2, 1, 1, _tgroups(b, w), 2), arity=3,
        shapes=_transpose1d_shapes, domain=CONV_DOMAIN),
    Row("conv_transpose1d", lambda x, w: F.conv_transpose1d(x[0], w, None, 3, 0, 2),
        lambda x, w: np_conv_transpose1d(x, w, None, 3, 0, 2)[0], arity=2,
        shapes=lambda: _transpose1d_shapes(bias=False), domain=CONV_DOMAIN,
        label="conv_transpose1d_unbatched"),
    # ---- pooling --------------------------------------------------------------------
    Row("max_pool2d", lambda x: F.max_pool2d(x, 2), lambda x: np_max_pool2d(x, 2),
        shapes=lambda: _image_shapes(2, 5), domain=DISTINCT, unique=True),
    Row("max_pool2d", lambda x: F.max_pool2d(x, 3, 1, 1), lambda x: np_max_pool2d(x, 3, 1, 1),
        shapes=lambda: _image_shapes(1, 4), domain=DISTINCT, unique=True,
        label="max_pool2d_overlapping_padded"),
    Row("max_pool2d", lambda x: F.max_pool2d(x, (2, 3), (1, 2), (1, 0), (2, 1), True),
        lambda x: np_max_pool2d(x, (2, 3), (1, 2), (1, 0), (2, 1), True),
        shapes=lambda: _image_shapes(3, 5), domain=DISTINCT, unique=True,
        label="max_pool2d_dilated_ceil"),
    Row("max_pool1d", lambda x: F.max_pool1d(x, 3, 2, 1),
        lambda x: np_max_pool2d(x[..., None, :], (1, 3), (1, 2), (0, 1))[..., 0, :],
        shapes=lambda: _line_shapes(2, 5), domain=DISTINCT, unique=True),
    Row("adaptive_max_pool2d", lambda x: F.adaptive_max_pool2d(x, (3, 2)),
        lambda x: np_adaptive_max_pool2d(x, (3, 2)), shapes=lambda: _image_shapes(1, 5),
        domain=DISTINCT, unique=True),
    Row("adaptive_max_pool2d", lambda x: F.adaptive_max_pool2d(x, (None, 5)),
        lambda x: np_adaptive_max_pool2d(x, (x.shape[-2], 5)),
        shapes=lambda: _image_shapes(1, 4), domain=DISTINCT, unique=True,
        label="adaptive_max_pool2d_upsampling_none"),
    Row("adaptive_max_pool1d", lambda x: F.adaptive_max_pool1d(x, 3),
        lambda x: _as_1d(np_adaptive_max_pool2d)(x, (1, 3)),
        shapes=lambda: _line_shapes(1, 5), domain=DISTINCT, unique=True),
    Row("avg_pool2d", lambda x: F.avg_pool2d(x, 2), lambda x: np_avg_pool2d(x, 2),
        shapes=lambda: _image_shapes(2, 5)),
    Row("avg_pool2d", lambda x: F.avg_pool2d(x, 3, 2, 1, True, False),
        lambda x: np_avg_pool2d(x, 3, 2, 1, True, False),
        shapes=lambda: _image_shapes(2, 5), label="avg_pool2d_ceil_exclude_pad"),
    Row("avg_pool2d", lambda x: F.avg_pool2d(x, (2, 1), 1, (1, 0), True, True),
        lambda x: np_avg_pool2d(x, (2, 1), 1, (1, 0), True, True),
        shapes=lambda: _image_shapes(2, 5), label="avg_pool2d_include_pad"),
    Row("avg_pool2d", lambda x: F.avg_pool2d(x, 2, divisor_override=3),
        lambda x: np_avg_pool2d(x, 2, divisor_override=3),
        shapes=lambda: _image_shapes(2, 5), label="avg_pool2d_divisor_override"),
    Row("avg_pool1d", lambda x: F.avg_pool1d(x, 2), lambda x: _as_1d(np_avg_pool2d)(x, (1, 2)),
        shapes=lambda: _line_shapes(2, 5)),
    Row("avg_pool1d", lambda x: F.avg_pool1d(x, 3, 2, 1, True, False),
        lambda x: _as_1d(np_avg_pool2d)(x, (1, 3), (1, 2), (0, 1), True, False),
        shapes=lambda: _line_shapes(2, 5), label="avg_pool1d_ceil_exclude_pad"),
    Row("avg_pool1d", lambda x: F.avg_pool1d(x, 3, 1, 1),
        lambda x: _as_1d(np_avg_pool2d)(x, (1, 3), 1, (0, 1)),
        shapes=lambda: _line_shapes(1, 5), label="avg_pool1d_include_pad"),
    Row("adaptive_avg_pool1d", lambda x: F.adaptive_avg_pool1d(x, 3),
        lambda x: _as_1d(np_adaptive_avg_pool2d)(x, (1, 3)), shapes=lambda: _line_shapes(1, 5)),
    Row("adaptive_avg_pool2d", lambda x: F.adaptive_avg_pool2d(x, (3, 2)),
        lambda x: np_adaptive_avg_pool2d(x, (3, 2)), shapes=lambda: _image_shapes(1, 5)),
    Row("adaptive_avg_pool2d", lambda x: F.adaptive_avg_pool2d(x, 1),
        lambda x: np_adaptive_avg_pool2d(x, 1), shapes=lambda: _image_shapes(1, 5),
        label="adaptive_avg_pool2d_global"),
]


# ---- lp pooling, unfold / fold, max unpooling ---------------------------------------

def np_lp_pool2d(x, p, kernel_size, stride=None, ceil_mode=False):
    """(window sum of x**p) ** (1/p), loops over windows.  PyTorch computes it as
    avg_pool(x**p) * kh*kw, so a ceil_mode window cut by the border has its in-bounds
    sum scaled by kh*kw / (its in-bounds size)."""
    (kh, kw) = _pairs(kernel_size)
    (sh, sw) = _pairs(stride if stride is not None else kernel_size)
    H, W = x.shape[-2:]
    rows = _windows(H, kh, sh, 0, 1, ceil_mode)
    cols = _windows(W, kw, sw, 0, 1, ceil_mode)
    out = np.empty(x.shape[:-2] + (len(rows), len(cols)), x.dtype)
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            win = x[..., r:min(r + kh, H), c:min(c + kw, W)]
            n = win.shape[-2] * win.shape[-1]
            out[..., i, j] = ((win ** p).sum(axis=(-2, -1)) * (kh * kw / n)) ** (1.0 / p)
    return out


def np_unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """One column per block position (i, j): the block's taps, channel-major."""
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = map(_pairs, (kernel_size, dilation, padding,
                                                         stride))
    xp = np.pad(x, [(0, 0)] * (x.ndim - 2) + [(ph, ph), (pw, pw)])
    Ho = (xp.shape[-2] - dh * (kh - 1) - 1) // sh + 1
    Wo = (xp.shape[-1] - dw * (kw - 1) - 1) // sw + 1
    cols = []
    for i in range(Ho):
        for j in range(Wo):
            block = xp[..., i * sh:i * sh + dh * (kh - 1) + 1:dh,
                       j * sw:j * sw + dw * (kw - 1) + 1:dw]
            cols.append(block.reshape(x.shape[:-2] + (-1,)))   # (..., C*kh*kw)
    return np.stack(cols, axis=-1).reshape(x.shape[:-3] + (-1, Ho * Wo))


def np_fold(cols, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Add every column's taps back onto the (padded) image, then crop."""
    (H, W), (kh, kw), (dh, dw), (ph, pw), (sh, sw) = map(
        _pairs, (output_size, kernel_size, dilation, padding, stride))
    Ho = (H + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    Wo = (W + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    lead = cols.shape[:-2]
    c = cols.shape[-2] // (kh * kw)
    blocks = cols.reshape(lead + (c, kh, kw, Ho, Wo))
    img = np.zeros(lead + (c, H + 2 * ph + sh * Ho, W + 2 * pw + sw * Wo), cols.dtype)
    for i in range(Ho):
        for j in range(Wo):
            for p in range(kh):
                for q in range(kw):
                    img[..., i * sh + p * dh, j * sw + q * dw] += blocks[..., p, q, i, j]
    return img[..., ph:ph + H, pw:pw + W]


def _fold_shapes(ck, L):
    """[(N, ck*C, L)] or unbatched [(ck*C, L)] for fold with kh*kw = ck, L blocks."""
    @st.composite
    def draw(d):
        c = d(st.integers(1, 2))
        lead = d(st.sampled_from([(), (1,), (2,)]))
        return [lead + (ck * c, L)]
    return draw()


def _unpool2d_indices(shape):
    """Valid distinct max_pool2d(kernel 2)-style indices for pooled values of `shape`:
    in each 2x2 block of the (2H, 2W) plane one position, chosen by a seeded draw."""
    H, W = shape[-2:]
    rng = np.random.default_rng(sum(shape))
    a, b = rng.integers(0, 2, shape), rng.integers(0, 2, shape)
    i, j = np.indices((H, W))
    return (2 * i + a) * (2 * W) + 2 * j + b


def _unpool1d_indices(shape):
    """Distinct in-window indices for max_pool1d(kernel 3, stride 2, padding 1): window i
    covers [2i - 1, 2i + 1]; pick 2i or (i > 0) 2i - 1."""
    rng = np.random.default_rng(sum(shape))
    i = np.arange(shape[-1])
    return 2 * i - rng.integers(0, 2, shape) * (i > 0)


def np_max_unpool(x, idx, out_spatial):
    """Zeros of (*lead, *out_spatial) with plane r's flat position idx[r, k] = x[r, k]."""
    lead = x.shape[:x.ndim - len(out_spatial)]
    n = int(np.prod(lead))
    fx, fi = x.reshape(n, -1), idx.reshape(n, -1)
    out = np.zeros((n, int(np.prod(out_spatial))), x.dtype)
    for r in range(n):
        for v, k in zip(fx[r], fi[r]):
            out[r, k] = v
    return out.reshape(lead + tuple(out_spatial))


ABS_DISTINCT = st.integers(-100, 100).map(lambda k: k * 0.02 + 0.005)   # distinct |x|, != 0
AWAY0 = st.one_of(st.floats(-2.0, -0.1), st.floats(0.1, 2.0))

ROWS += [
    Row("lp_pool2d", lambda x: F.lp_pool2d(x, 2, 2), lambda x: np_lp_pool2d(x, 2, 2),
        shapes=lambda: _image_shapes(2, 5), domain=AWAY0),
    Row("lp_pool2d", lambda x: F.lp_pool2d(x, 3, (2, 3), (1, 2)),
        lambda x: np_lp_pool2d(x, 3, (2, 3), (1, 2)), shapes=lambda: _image_shapes(3, 5),
        domain=(0.1, 2.0), label="lp_pool2d_p3_strided"),
    Row("lp_pool2d", lambda x: F.lp_pool2d(x, 1.5, 3, 2, ceil_mode=True),
        lambda x: np_lp_pool2d(x, 1.5, 3, 2, ceil_mode=True),
        shapes=lambda: _image_shapes(3, 6), domain=(0.1, 2.0), label="lp_pool2d_ceil"),
    Row("lp_pool2d", lambda x: F.lp_pool2d(x, float("inf"), 2),
        lambda x: np_max_pool2d(np.abs(x), 2), shapes=lambda: _image_shapes(2, 5),
        domain=ABS_DISTINCT, unique=True, label="lp_pool2d_inf"),
    Row("lp_pool1d", lambda x: F.lp_pool1d(x, 2, 3, 2, True),
        lambda x: np_lp_pool2d(x[..., None, :], 2, (1, 3), (1, 2), True)[..., 0, :],
        shapes=lambda: _line_shapes(3, 6), domain=AWAY0),
    Row("lp_pool1d", lambda x: F.lp_pool1d(x, 1, 2),
        lambda x: np_lp_pool2d(x[..., None, :], 1, (1, 2))[..., 0, :],
        shapes=lambda: _line_shapes(2, 5), domain=(0.1, 2.0), label="lp_pool1d_sum"),
    Row("unfold", lambda x: F.unfold(x, 2), lambda x: np_unfold(x, 2),
        shapes=lambda: _image_shapes(2, 4)),
    Row("unfold", lambda x: F.unfold(x, (2, 3), (1, 2), (1, 0), (2, 1)),
        lambda x: np_unfold(x, (2, 3), (1, 2), (1, 0), (2, 1)),
        shapes=lambda: _image_shapes(5, 6), label="unfold_dilated_padded_strided"),
    Row("unfold", lambda x: F.unfold(x, 3, padding=1, stride=2),
        lambda x: np_unfold(x, 3, padding=1, stride=2), shapes=lambda: _image_shapes(1, 4),
        label="unfold_padded"),
    Row("fold", lambda x: F.fold(x, (4, 5), 2), lambda x: np_fold(x, (4, 5), 2),
        shapes=lambda: _fold_shapes(4, 3 * 4)),
    Row("fold", lambda x: F.fold(x, (5, 4), (2, 3), (2, 1), 1, (2, 1)),
        lambda x: np_fold(x, (5, 4), (2, 3), (2, 1), 1, (2, 1)),
        shapes=lambda: _fold_shapes(6, 3 * 4), label="fold_dilated_padded_strided"),
    Row("fold", lambda x: F.fold(x, 3, 2, stride=2),   # gaps: blocks cover 2x2 of 3x3
        lambda x: np_fold(x, 3, 2, stride=2), shapes=lambda: _fold_shapes(4, 1),
        label="fold_gaps"),
    Row("max_unpool2d", lambda x: F.max_unpool2d(x, _unpool2d_indices(x.shape), 2),
        lambda x: np_max_unpool(x, _unpool2d_indices(x.shape),
                                (2 * x.shape[-2], 2 * x.shape[-1])),
        shapes=lambda: _image_shapes(1, 3)),
    Row("max_unpool1d", lambda x: F.max_unpool1d(x, _unpool1d_indices(x.shape), 3, 2, 1),
        lambda x: np_max_unpool(x, _unpool1d_indices(x.shape), (2 * x.shape[-1] - 1,)),
        shapes=lambda: _line_shapes(1, 4)),
]


# ---- 3-d: references over any number of spatial dims, loops over taps or windows --------

def _ntuple(v, n):
    return (v,) * n if isinstance(v, int) else tuple(v)


def np_convnd(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """np_conv2d's method over any number of spatial dims: one shifted, strided slice of
    the padded input per kernel tap."""
    n = w.ndim - 2
    s, d, k = _ntuple(stride, n), _ntuple(dilation, n), w.shape[2:]
    if padding == "same":
        pads = [(t // 2, t - t // 2) for t in (di * (ki - 1) for di, ki in zip(d, k))]
    elif padding == "valid":
        pads = [(0, 0)] * n
    else:
        pads = [(p, p) for p in _ntuple(padding, n)]
    xp = np.pad(x, [(0, 0), (0, 0)] + pads)
    outs = [(xp.shape[2 + i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(n)]
    O, Cg = w.shape[:2]
    Og = O // groups
    out = np.zeros((x.shape[0], O, *outs))
    for g in range(groups):
        xs = xp[:, g * Cg:(g + 1) * Cg]
        for tap in itertools.product(*map(range, k)):
            index = tuple(slice(t * di, t * di + si * (o - 1) + 1, si)
                          for t, di, si, o in zip(tap, d, s, outs))
            out[:, g * Og:(g + 1) * Og] += np.einsum(
                "nc...,oc->no...", xs[(slice(None), slice(None)) + index],
                w[(slice(g * Og, (g + 1) * Og), slice(None)) + tap])
    if b is not None:
        out += b.reshape((-1,) + (1,) * n)
    return out.astype(x.dtype)


def np_conv_transpose_nd(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1,
                         dilation=1):
    """np_conv_transpose2d's method over any number of spatial dims: each kernel tap
    scatters the input times its weights into the (padded) output."""
    n = w.ndim - 2
    s, p, op, d = (_ntuple(v, n) for v in (stride, padding, output_padding, dilation))
    k, sizes = w.shape[2:], x.shape[2:]
    outs = [(m - 1) * si - 2 * pi + di * (ki - 1) + oi + 1
            for m, si, pi, di, ki, oi in zip(sizes, s, p, d, k, op)]
    Cg, Cin = w.shape[1], x.shape[1]
    Cin_g = Cin // groups
    full = np.zeros((x.shape[0], Cg * groups) + tuple(o + 2 * pi + si
                                                       for o, pi, si in zip(outs, p, s)))
    for g in range(groups):
        xs, ws = x[:, g * Cin_g:(g + 1) * Cin_g], w[g * Cin_g:(g + 1) * Cin_g]
        for tap in itertools.product(*map(range, k)):
            index = tuple(slice(t * di, t * di + si * (m - 1) + 1, si)
                          for t, di, si, m in zip(tap, d, s, sizes))
            full[(slice(None), slice(g * Cg, (g + 1) * Cg)) + index] += np.einsum(
                "nc...,co->no...", xs, ws[(slice(None), slice(None)) + tap])
    out = full[(slice(None), slice(None)) + tuple(slice(pi, pi + o) for pi, o in zip(p, outs))]
    if b is not None:
        out = out + b.reshape((-1,) + (1,) * n)
    return out.astype(x.dtype)


def _np_pool3d(x, kernel_size, stride, padding, dilation, ceil_mode, reduce):
    """reduce(taps inside the input, divisor) over every 3-d window, looping over windows;
    the divisor is (window clipped to the padded input, taps inside the input)."""
    k = _ntuple(kernel_size, 3)
    s = _ntuple(stride if stride is not None else kernel_size, 3)
    p, d = _ntuple(padding, 3), _ntuple(dilation, 3)
    sizes = x.shape[-3:]
    starts = [_windows(*a, ceil_mode) for a in zip(sizes, k, s, p, d)]
    out = np.empty(x.shape[:-3] + tuple(map(len, starts)), x.dtype)
    for pos in itertools.product(*(range(len(st)) for st in starts)):
        firsts = [st[i] for st, i in zip(starts, pos)]
        sel = [[r + a * di for a in range(ki) if 0 <= r + a * di < m]
               for r, ki, di, m in zip(firsts, k, d, sizes)]
        clipped = np.prod([min(r + ki, m + pi) - r for r, ki, m, pi in zip(firsts, k, sizes, p)])
        out[(Ellipsis,) + pos] = reduce(x[(Ellipsis,) + np.ix_(*sel)].reshape(
            x.shape[:-3] + (-1,)), clipped)
    return out


def np_max_pool3d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """Max over each window's in-bounds taps."""
    return _np_pool3d(x, kernel_size, stride, padding, dilation, ceil_mode,
                      lambda v, _: v.max(axis=-1))


def np_avg_pool3d(x, kernel_size, stride=None, padding=0, ceil_mode=False,
                  count_include_pad=True, divisor_override=None):
    """Sum of each window's in-bounds elements over PyTorch's divisor."""
    def mean(v, clipped):
        div = divisor_override or (clipped if count_include_pad else v.shape[-1])
        return v.sum(axis=-1) / div
    return _np_pool3d(x, kernel_size, stride, padding, 1, ceil_mode, mean)


def np_lp_pool3d(x, p, kernel_size, stride=None, ceil_mode=False):
    """(window sum of x**p * kernel volume / in-bounds size) ** (1/p), as np_lp_pool2d."""
    vol = np.prod(_ntuple(kernel_size, 3))
    return _np_pool3d(x, kernel_size, stride, 0, 1, ceil_mode,
                      lambda v, _: ((v ** p).sum(axis=-1) * (vol / v.shape[-1])) ** (1.0 / p))


def _np_adaptive3d(reduce):
    """A reference 3-d adaptive pooling: `reduce` over PyTorch's windows
    [floor(i n / o), ceil((i + 1) n / o)) along each dim (None: keep the size)."""
    def pool(x, output_size):
        sizes = x.shape[-3:]
        outs = [m if o is None else o for o, m in zip(_ntuple(output_size, 3), sizes)]
        out = np.empty(x.shape[:-3] + tuple(outs), x.dtype)
        for pos in itertools.product(*map(range, outs)):
            index = tuple(slice((i * m) // o, -(-((i + 1) * m) // o))
                          for i, m, o in zip(pos, sizes, outs))
            out[(Ellipsis,) + pos] = reduce(x[(Ellipsis,) + index], axis=(-3, -2, -1))
        return out
    return pool


np_adaptive_avg_pool3d = _np_adaptive3d(np.mean)
np_adaptive_max_pool3d = _np_adaptive3d(np.max)


def _volume_shapes(lo=1, hi=3):
    """One (N, C, D, H, W) or unbatched (C, D, H, W) shape with sides in lo..hi (lo: an
    int, or one per side)."""
    @st.composite
    def draw(d):
        lead = d(st.sampled_from([(1,), (2,), (1, 2)]))
        return [lead + tuple(d(st.integers(m, max(m, hi))) for m in _ntuple(lo, 3))]
    return draw()


def _transpose3d_shapes(bias=True):
    """[x, w(, b)] for conv_transpose3d: w is (in, out/groups, kt, kh, kw)."""
    @st.composite
    def draw(d):
        n, g = d(st.integers(1, 2)), d(st.integers(1, 2))
        cg, og = d(st.integers(1, 2)), d(st.integers(1, 2))
        ks = tuple(d(st.integers(1, 2)) for _ in range(3))
        sides = tuple(d(st.integers(1, 2)) for _ in range(3))
        shapes = [(n, g * cg) + sides, (g * cg, og) + ks]
        return shapes + [(g * og,)] if bias else shapes
    return draw()


def _unpool3d_indices(shape):
    """Valid distinct max_pool3d(kernel 2)-style indices for pooled values of `shape`: in
    each 2x2x2 block of the (2D, 2H, 2W) volume one position, chosen by a seeded draw."""
    D, H, W = shape[-3:]
    rng = np.random.default_rng(sum(shape))
    a, b, c = (rng.integers(0, 2, shape) for _ in range(3))
    t, i, j = np.indices((D, H, W))
    return ((2 * t + a) * (2 * H) + 2 * i + b) * (2 * W) + 2 * j + c


ROWS += [
    Row("conv3d", lambda x, w, b: F.conv3d(x, w, b, groups=_groups(x, w)),
        lambda x, w, b: np_convnd(x, w, b, groups=_groups(x, w)), arity=3,
        shapes=lambda: _conv_shapes(kernel_max=2, spatial=3, max_side=3), domain=CONV_DOMAIN),
    Row("conv3d", lambda x, w: F.conv3d(x, w, None, (2, 1, 1), (1, 0, 1), (1, 2, 1),
                                        _groups(x, w)),
        lambda x, w: np_convnd(x, w, None, (2, 1, 1), (1, 0, 1), (1, 2, 1), _groups(x, w)),
        arity=2, shapes=lambda: _conv_shapes(kernel_max=2, min_extent=lambda k: 2 * k - 1,
                                             bias=False, spatial=3, max_side=3),
        domain=CONV_DOMAIN, label="conv3d_stride_pad_dilation"),
    Row("conv3d", lambda x, w, b: F.conv3d(x[0], w, b, 1, "same", groups=_groups(x, w)),
        lambda x, w, b: np_convnd(x, w, b, 1, "same", groups=_groups(x, w))[0], arity=3,
        shapes=lambda: _conv_shapes(kernel_max=2, spatial=3, max_side=3), domain=CONV_DOMAIN,
        label="conv3d_same_unbatched"),
    Row("conv_transpose3d",
        lambda x, w, b: F.conv_transpose3d(x, w, b, 2, (1, 0, 0), (1, 0, 1), _tgroups(b, w)),
        lambda x, w, b: np_conv_transpose_nd(x, w, b, 2, (1, 0, 0), (1, 0, 1),
                                             _tgroups(b, w)), arity=3,
        shapes=lambda: _transpose3d_shapes().filter(lambda s: s[1][2] > 1 or s[0][2] > 1),
        domain=CONV_DOMAIN),
    Row("conv_transpose3d",
        lambda x, w: F.conv_transpose3d(x[0], w, None, (1, 2, 1), 0, (0, 1, 0), 1, (2, 1, 1)),
        lambda x, w: np_conv_transpose_nd(x, w, None, (1, 2, 1), 0, (0, 1, 0), 1,
                                          (2, 1, 1))[0],
        arity=2, shapes=lambda: _transpose3d_shapes(bias=False), domain=CONV_DOMAIN,
        label="conv_transpose3d_dilated_unbatched"),
    Row("max_pool3d", lambda x: F.max_pool3d(x, 2), lambda x: np_max_pool3d(x, 2),
        shapes=lambda: _volume_shapes(2, 3), domain=DISTINCT, unique=True),
    Row("max_pool3d", lambda x: F.max_pool3d(x, (2, 3, 2), (1, 2, 2), (1, 1, 0), (1, 1, 2),
                                             True),
        lambda x: np_max_pool3d(x, (2, 3, 2), (1, 2, 2), (1, 1, 0), (1, 1, 2), True),
        shapes=lambda: _volume_shapes((2, 3, 3), 3), domain=DISTINCT, unique=True,
        label="max_pool3d_padded_dilated_ceil"),
    Row("avg_pool3d", lambda x: F.avg_pool3d(x, (2, 3, 2), (1, 2, 2), (1, 1, 0), True, False),
        lambda x: np_avg_pool3d(x, (2, 3, 2), (1, 2, 2), (1, 1, 0), True, False),
        shapes=lambda: _volume_shapes((2, 3, 2), 3), label="avg_pool3d_ceil_exclude_pad"),
    Row("avg_pool3d", lambda x: F.avg_pool3d(x, 2, 1, 1, divisor_override=3),
        lambda x: np_avg_pool3d(x, 2, 1, 1, divisor_override=3),
        shapes=lambda: _volume_shapes(2, 3), label="avg_pool3d_include_pad_divisor"),
    Row("avg_pool3d", lambda x: F.avg_pool3d(x, (3, 1, 3), 2, (1, 0, 1)),
        lambda x: np_avg_pool3d(x, (3, 1, 3), 2, (1, 0, 1)),
        shapes=lambda: _volume_shapes((3, 1, 3), 4), label="avg_pool3d_include_pad"),
    Row("adaptive_avg_pool3d", lambda x: F.adaptive_avg_pool3d(x, (2, None, 3)),
        lambda x: np_adaptive_avg_pool3d(x, (2, None, 3)), shapes=lambda: _volume_shapes(1, 4)),
    Row("adaptive_max_pool3d", lambda x: F.adaptive_max_pool3d(x, (2, 3, None)),
        lambda x: np_adaptive_max_pool3d(x, (2, 3, None)), shapes=lambda: _volume_shapes(1, 4),
        domain=DISTINCT, unique=True),
    Row("lp_pool3d", lambda x: F.lp_pool3d(x, 2, (2, 1, 2), (1, 1, 2), True),
        lambda x: np_lp_pool3d(x, 2, (2, 1, 2), (1, 1, 2), True),
        shapes=lambda: _volume_shapes(2, 3), domain=AWAY0),
    Row("max_unpool3d", lambda x: F.max_unpool3d(x, _unpool3d_indices(x.shape), 2),
        lambda x: np_max_unpool(x, _unpool3d_indices(x.shape),
                                tuple(2 * m for m in x.shape[-3:])),
        shapes=lambda: _volume_shapes(1, 2)),
]
