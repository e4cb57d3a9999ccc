"""nn.functional: resampling and channel-wise dropout (see nn/functional/__init__.py).

Every function here is a composition of autograd ops (index_select, reshape, permute,
multiplication by constant arrays, sums, matmul), so gradients of every order come for free:

* ``interpolate``      per spatial dim, out[i] = sum_k w_k(i) x[i_k(i)] over a few taps
                       (2 linear, 4 bicubic, a scale-wide window antialiased) or
                       x[src(i)] (nearest), with PyTorch's index and weight formulas;
                       area is adaptive average pooling (nn/functional/pooling.py);
* ``pixel_shuffle``    (*, C r^2, H, W) -> (*, C, H r, W r) and its inverse
                       ``pixel_unshuffle``; ``channel_shuffle`` (N, g*k, *) -> channels
                       interleaved across the g groups (reshape, transpose, reshape);
* ``dropout1d/2d/3d``  x * mask / (1 - p) with one Bernoulli(1 - p) draw per channel;
* ``alpha_dropout``    a x' + b with x' = x where kept, -alpha' where dropped (SELU's
                       saturation), per element; ``feature_alpha_dropout`` per channel;
* ``affine_grid``      theta @ (x, y[, z], 1) over the normalized pixel grid;
* ``grid_sample``      input read at arbitrary points: per spatial dim a few taps
                       (index_select) weighted by polynomials of the point's coordinates
                       (bilinear, nearest, bicubic), so the grid gets gradients too;
* ``upsample*``        deprecated aliases of interpolate.
"""
from __future__ import annotations

import functools
import math
import warnings
from typing import Any, Sequence

import numpy as np

from autograd import Tensor
from autograd.ops.index import index_select
from autograd.ops.linalg import matmul
from autograd.ops.elementwise import where
from autograd.ops.shape import permute, reshape, stack
from autograd.random import generator
from autograd.tensor import wrap

from .pooling import _adaptive_matrix, adaptive_avg_pool1d, adaptive_avg_pool2d

__all__ = ["interpolate", "pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "dropout1d",
           "dropout2d",
           "dropout3d", "alpha_dropout", "feature_alpha_dropout", "upsample",
           "upsample_nearest", "upsample_bilinear", "affine_grid", "grid_sample"]


# ---- interpolate ----------------------------------------------------------------------

_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "lanczos", "area",
          "nearest-exact")
_LINEAR_RANK = {"linear": 3, "bilinear": 4, "trilinear": 5}


def _is_int(v: Any) -> bool:
    return not isinstance(v, bool) and hasattr(type(v), "__index__")


def _output_size(input: Tensor, size: Any, scale_factor: Any,
                 recompute_scale_factor: bool | None) -> tuple[list[int], list | None]:
    """The output's spatial sizes and the scales the index formulas use (None each
    where they come from the sizes), after PyTorch's argument checks."""
    dim, spatial = input.ndim - 2, list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("interpolate: only one of size or scale_factor should be defined")
    if size is not None:
        sizes = list(size) if isinstance(size, (list, tuple)) else [size] * dim
        if isinstance(size, (list, tuple)) and len(sizes) != dim:
            raise ValueError(f"interpolate: input and output must have the same number of "
                             f"spatial dimensions, but got input with spatial dimensions of "
                             f"{spatial} and output size of {size}")
        if not all(_is_int(s) for s in sizes):
            raise TypeError(f"interpolate: expected size to be an int or a tuple of ints, "
                            f"but got size with types {[type(s) for s in sizes]}")
        if recompute_scale_factor:
            raise ValueError("interpolate: recompute_scale_factor is not meaningful with "
                             "an explicit size.")
        return [int(s) for s in sizes], None
    if scale_factor is None:
        raise ValueError("interpolate: either size or scale_factor should be defined")
    scales = list(scale_factor) if isinstance(scale_factor, (list, tuple)) \
        else [scale_factor] * dim
    if len(scales) != dim:
        raise ValueError(f"interpolate: input and scale_factor must have the same number of "
                         f"spatial dimensions, but got input with spatial dimensions of "
                         f"{spatial} and scale_factor of shape {scale_factor}")
    if any(isinstance(s, bool) or not isinstance(s, (int, float, np.number)) for s in scales):
        raise TypeError(f"interpolate: expected scale_factor to be a float or a tuple of "
                        f"floats, but got {scale_factor!r}")
    # Truncation toward zero, as PyTorch's int64 cast of the double product.
    sizes = [int(n * float(s)) for n, s in zip(spatial, scales)]
    return sizes, None if recompute_scale_factor else [float(s) for s in scales]


def _inv_scale(dtype: type, scale: float | None, n_in: int, n_out: int) -> Any:
    """PyTorch's compute_scales_value: 1/scale_factor when given (and > 0), else
    n_in/n_out, in the computation type `dtype`."""
    if scale is not None and scale > 0:
        return dtype(1.0 / scale)
    return dtype(n_in) / dtype(n_out)


def _scale(dtype: type, n_in: int, n_out: int, align_corners: bool,
           scale: float | None) -> Any:
    """PyTorch's area_pixel_compute_scale, input pixels per output pixel:
    (n_in - 1)/(n_out - 1) with `align_corners` (0 for one output), else _inv_scale."""
    if align_corners:
        return dtype(n_in - 1) / dtype(n_out - 1) if n_out > 1 else dtype(0)
    return _inv_scale(dtype, scale, n_in, n_out)


def _nearest_index(exact: bool, n_in: int, n_out: int, scale: float | None,
                   shortcut: bool) -> np.ndarray:
    """Source positions along one dim: floor(i s) ('nearest') or floor((i + 1/2) s)
    ('nearest-exact'), s = 1/scale_factor or n_in/n_out, clipped to n_in - 1.  Float32
    arithmetic as PyTorch's kernels, so that the floors agree at the boundaries.
    `shortcut`: PyTorch's 2-D nearest kernel copies when n_out == n_in and takes i // 2
    when n_out == 2 n_in, whatever the scale_factor (its 1-D and 3-D ones do not)."""
    i = np.arange(n_out)
    if shortcut and not exact and n_out in (n_in, 2 * n_in):
        return i // (n_out // n_in)
    s = _inv_scale(np.float32, scale, n_in, n_out)
    src = i.astype(np.float32) * s if not exact \
        else ((i + 0.5) * np.float64(s)).astype(np.float32)
    return np.minimum(np.floor(src).astype(np.int64), n_in - 1)


def _source(dtype: type, n_in: int, n_out: int, align_corners: bool,
            scale: float | None) -> np.ndarray:
    """PyTorch's area_pixel_compute_source_index of every output i, in its computation
    type: i s with `align_corners`, else (i + 1/2) s - 1/2 (negative near the start),
    s = _scale(...)."""
    s = _scale(dtype, n_in, n_out, align_corners, scale)
    i = np.arange(n_out)
    if align_corners:
        return i.astype(dtype) * s
    # PyTorch forms the half-pixel offset in double (a fused multiply-add), then rounds.
    return (np.float64(s) * (i + 0.5) - 0.5).astype(dtype)


def _linear_taps(dtype: type, n_in: int, n_out: int, align_corners: bool,
                 scale: float | None) -> tuple[np.ndarray, np.ndarray]:
    """(2, n_out) source indices and weights along one dim: src = max(_source, 0),
    i0 = floor(src), i1 = min(i0 + 1, n_in - 1), weights (1 - t, t) with t = src - i0."""
    src = np.maximum(_source(dtype, n_in, n_out, align_corners, scale), 0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    t = np.clip(src - i0.astype(dtype), 0, 1).astype(dtype)
    return np.stack([i0, i0 + (i0 < n_in - 1)]), np.stack([1 - t, t]).astype(dtype)


def _fma(a: Any, x: np.ndarray, c: Any) -> np.ndarray:
    """a x + c rounded once to x's dtype (a fused multiply-add, exact for float32)."""
    return (np.asarray(a, np.float64) * x + np.float64(c)).astype(x.dtype)


def _keys(x: np.ndarray, a: float) -> np.ndarray:
    """Keys' cubic convolution kernel, in x's dtype:
    W(x) = (a + 2)|x|^3 - (a + 3)|x|^2 + 1 for |x| < 1,
           a|x|^3 - 5a|x|^2 + 8a|x| - 4a  for 1 <= |x| < 2, else 0,
    by Horner's rule with fused multiply-adds, as PyTorch's compiled kernels (nearly):
    in float32 the terms nearly cancel, so each rounding shows."""
    x = np.abs(x)
    a = x.dtype.type(a)
    near = _fma(_fma(a + 2, x, -(a + 3)) * x, x, 1)
    far = _fma(_fma(_fma(a, x, -5 * a), x, 8 * a), x, -4 * a)
    return np.where(x < 1, near, np.where(x < 2, far, 0)).astype(x.dtype)


def _cubic_taps(dtype: type, n_in: int, n_out: int, align_corners: bool,
                scale: float | None) -> tuple[np.ndarray, np.ndarray]:
    """(4, n_out) indices and weights of PyTorch's bicubic along one dim: src = _source
    (not clamped), i0 = floor(src), t = src - i0; taps i0 - 1 .. i0 + 2 clamped to the
    input (the border pixel repeats) with weights W(t + 1), W(t), W(1 - t), W(2 - t),
    W = _keys with a = -0.75."""
    src = _source(dtype, n_in, n_out, align_corners, scale)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    t = np.clip(src - i0.astype(dtype), 0, 1).astype(dtype)
    idx = np.clip(i0 + np.arange(-1, 3)[:, None], 0, n_in - 1)
    return idx, _keys(np.stack([t + 1, t, 1 - t, (1 - t) + 1]), -0.75)


def _triangle(x: np.ndarray) -> np.ndarray:
    """The linear (tent) filter max(1 - |x|, 0)."""
    return np.maximum(1 - np.abs(x), 0)


def _lanczos3(x: np.ndarray) -> np.ndarray:
    """Lanczos-3: sinc(x) sinc(x / 3) for |x| < 3, else 0 (sinc(x) = sin(pi x)/(pi x)),
    evaluated in double."""
    x = x.astype(np.float64)
    return np.where(np.abs(x) < 3, np.sinc(x) * np.sinc(x / 3), 0)


# The antialiasing filters of PyTorch (Pillow's): mode -> (taps at scale 1, filter).
_AA_FILTERS = {"bilinear": (2, _triangle), "bicubic": (4, lambda x: _keys(x, -0.5)),
               "lanczos": (6, _lanczos3)}


def _aa_taps(mode: str, dtype: type, n_in: int, n_out: int, align_corners: bool,
             scale: float | None) -> tuple[np.ndarray, np.ndarray]:
    """(k, n_out) indices and weights of PyTorch's antialiased resampling along one dim
    (Pillow's): output i is centred at c = (i + 1/2) s in input coordinates (s = _scale);
    when downsampling (s >= 1) the filter f is stretched by s, so with support
    r = (taps / 2) max(s, 1) input pixel j in [trunc(c - r + 1/2), trunc(c + r + 1/2))
    (clipped to the input) gets f((j - c + 1/2) / max(s, 1)), normalised to sum 1.
    Taps past a window's end get weight 0."""
    size, filt = _AA_FILTERS[mode]
    s = _scale(dtype, n_in, n_out, align_corners, scale)
    stretch = s if s >= 1 else dtype(1)
    support = dtype(size * 0.5 * stretch)
    k = int(np.ceil(support)) * 2 + 1
    centre = (np.float64(s) * (np.arange(n_out) + 0.5)).astype(dtype)
    # The window bounds as PyTorch's: a difference in dtype, then + 1/2 and truncation
    # in double (a rounding on the way can move a bound by one).
    lo = np.maximum(((centre - support).astype(np.float64) + 0.5).astype(np.int64), 0)
    hi = np.minimum(((centre + support).astype(np.float64) + 0.5).astype(np.int64), n_in)
    count = np.clip(hi - lo, 0, k)
    j = np.arange(k)[:, None]
    x = ((j + lo).astype(dtype) - centre).astype(np.float64) + 0.5
    w = np.where(j < count, filt((x * np.float64(dtype(1) / stretch)).astype(dtype)), 0)
    w = w.astype(dtype)
    total = w.sum(0)
    w = (w / np.where(total != 0, total, 1)).astype(dtype)
    return np.minimum(lo + j, n_in - 1), w


@functools.lru_cache(maxsize=256)
def _taps(mode: str, antialias: bool, dtype: type, n_in: int, n_out: int,
          align_corners: bool, scale: float | None) -> tuple[np.ndarray, np.ndarray]:
    """The (k, n_out) indices and weights of `mode` along one dim (cached, read-only: a
    model resamples the same sizes at every step)."""
    if antialias:
        idx, w = _aa_taps(mode, dtype, n_in, n_out, align_corners, scale)
    else:
        taps = _cubic_taps if mode == "bicubic" else _linear_taps
        idx, w = taps(dtype, n_in, n_out, align_corners, scale)
    idx.flags.writeable = w.flags.writeable = False
    return idx, w


def _resample(x: Tensor, d: int, idx: np.ndarray, w: np.ndarray) -> Tensor:
    """out[.., i, ..] = sum_k w[k, i] x[.., idx[k, i], ..] along dim d: one gather of
    every tap, then a weighted sum over the tap axis (in tap order, as PyTorch)."""
    k, n_out = idx.shape
    taps = reshape(index_select(x, d, idx.reshape(-1)),
                   x.shape[:d] + (k, n_out) + x.shape[d + 1:])
    return (taps * w.astype(x.dtype).reshape((k, n_out) + (1,) * (x.ndim - 1 - d))).sum(d)


def _area(input: Tensor, sizes: list[int]) -> Tensor:
    """PyTorch's area mode: adaptive average pooling to `sizes`.  5-D input (there is no
    3-d pooling here) is averaged along D with the (D_out, D) pooling matrix, then
    pooled 2-d with (C, D_out) as channels."""
    if input.ndim == 3:
        return adaptive_avg_pool1d(input, sizes)
    if input.ndim == 4:
        return adaptive_avg_pool2d(input, sizes)
    n, c, depth, h, w = input.shape
    x = input
    if depth != sizes[0]:
        x = matmul(wrap(_adaptive_matrix(depth, sizes[0], input.dtype)),
                   reshape(input, (n, c, depth, h * w)))
    x = adaptive_avg_pool2d(reshape(x, (n, c * sizes[0], h, w)), sizes[1:])
    return reshape(x, (n, c, *sizes))


def _check_sizes(input: Tensor, sizes: list[int], mode: str) -> None:
    spatial = list(input.shape[2:])
    # (area is pooling, which takes an output size of 0 and checks the rest itself)
    if mode != "area" and (min(spatial) <= 0 or min(sizes) <= 0):
        names = "DHW"[-len(sizes):]
        got = lambda ns: ", ".join(f"{k}: {n}" for k, n in zip(names, ns))  # noqa: E731
        raise RuntimeError(f"interpolate: input and output sizes should be greater than 0, "
                           f"but got input ({got(spatial)}) and output ({got(sizes)})")
    # (an empty batch is allowed, empty channels are not, but by 1-d and 2-d pooling)
    if input.shape[1] == 0 and (mode != "area" or input.ndim == 5):
        raise RuntimeError(f"interpolate: non-empty {input.ndim}D data tensor expected but "
                           f"got a tensor with sizes {list(input.shape)}")


def interpolate(input: Tensor, size: int | Sequence[int] | None = None,
                scale_factor: float | Sequence[float] | None = None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resample input (N, C, *spatial) to `size`, or to floor(spatial * scale_factor),
    one spatial dim after another (the last first, as PyTorch's separable kernels), each
    output a weighted sum of a few input taps along that dim:

    * nearest:        out[i] = x[min(floor(i s), n - 1)]
    * nearest-exact:  out[i] = x[min(floor((i + 1/2) s), n - 1)]
    * linear (3-D), bilinear (4-D), trilinear (5-D): out[i] = (1 - t) x[i0] + t x[i1]
      with i0 = floor(src), t = src - i0 (``_linear_taps``);
    * bicubic (4-D):  out[i] = sum_{k=-1..2} W(t - k) x[clamp(i0 + k)], Keys' cubic
      kernel W with a = -0.75 (``_cubic_taps``);
    * antialias=True (bilinear, bicubic, and lanczos, which requires it; 4-D): Pillow's
      filters (tent, cubic with a = -0.5, Lanczos-3), stretched by the scale when
      downsampling so that every input pixel contributes (``_aa_taps``);
    * area: adaptive average pooling to the output size.

    src = (i + 1/2) s - 1/2, with s = 1/scale_factor when a scale is given (and not
    `recompute_scale_factor`), else n_in/n_out; with `align_corners` the corner pixels'
    centres map onto each other, src = i (n_in - 1)/(n_out - 1)."""
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("interpolate: align_corners option can only be set with the "
                             "interpolating modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    sizes, scales = _output_size(input, size, scale_factor, recompute_scale_factor)
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input.ndim == 4):
        raise ValueError("interpolate: anti-alias option is restricted to bilinear, bicubic, "
                         "and lanczos modes and requires a 4-D tensor as input")
    rank = _LINEAR_RANK.get(mode)
    if (mode not in _MODES or not 3 <= input.ndim <= 5
            or mode in ("bicubic", "lanczos") and input.ndim != 4):
        raise NotImplementedError(f"interpolate: only 3D, 4D and 5D input tensors supported "
                                  f"(got {input.ndim}D) for the modes: {' | '.join(_MODES)} "
                                  f"(got {mode})")
    if rank is not None and input.ndim != rank:
        raise NotImplementedError(f"interpolate: got {input.ndim}D input, but {mode} mode "
                                  f"needs {rank}D input")
    if mode == "lanczos" and align_corners:
        raise ValueError("interpolate: Lanczos mode does not support align_corners=True")
    if mode == "lanczos" and not antialias:
        raise ValueError("interpolate: Lanczos mode requires antialias=True")
    if input.dtype.kind != "f":
        raise NotImplementedError(f"interpolate: {mode} is not implemented for dtype "
                                  f"{input.dtype} (a floating input is needed)")
    _check_sizes(input, sizes, mode)
    if mode == "area":
        return _area(input, sizes)
    # Weights in PyTorch's computation type: float64 for float64, else float32.
    dtype = np.float64 if input.dtype == np.float64 else np.float32
    out = input
    for d in reversed(range(2, input.ndim)):
        n_in, n_out = input.shape[d], sizes[d - 2]
        scale = None if scales is None else scales[d - 2]
        if mode.startswith("nearest"):
            out = index_select(out, d, _nearest_index(mode == "nearest-exact", n_in, n_out,
                                                      scale, input.ndim == 4))
        # A kept size: PyTorch's linear weights are the identity's, and its antialiased
        # passes skip the dim; bicubic resamples it still, with its scale_factor.
        elif n_in != n_out or mode == "bicubic" and not antialias:
            out = _resample(out, d, *_taps(mode, bool(antialias), dtype, n_in, n_out,
                                           bool(align_corners), scale))
    return out


# ---- pixel shuffle ----------------------------------------------------------------------

def _check_factor(op: str, input: Tensor, factor: Any, name: str) -> int:
    if not _is_int(factor):
        raise TypeError(f"{op}: argument '{name}' must be int, not {type(factor).__name__}")
    if input.ndim < 3:
        raise RuntimeError(f"{op} expects input to have at least 3 dimensions, but got input "
                           f"with {input.ndim} dimension(s) (shape {tuple(input.shape)})")
    if factor <= 0:
        raise RuntimeError(f"{op} expects a positive {name}, but got {factor}")
    return int(factor)


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """Rearrange (*, C r^2, H, W) into (*, C, H r, W r), r = `upscale_factor`:
    out[..., c, h r + i, w r + j] = x[..., c r^2 + i r + j, h, w]."""
    r = _check_factor("pixel_shuffle", input, upscale_factor, "upscale_factor")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)="
                           f"{c} is not divisible by {r * r} (input shape "
                           f"{tuple(input.shape)})")
    k = len(lead)
    x = reshape(input, (*lead, c // (r * r), r, r, h, w))
    x = permute(x, *range(k + 1), k + 3, k + 1, k + 4, k + 2)
    return reshape(x, (*lead, c // (r * r), h * r, w * r))


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """The inverse of pixel_shuffle: (*, C, H r, W r) -> (*, C r^2, H, W),
    out[..., c r^2 + i r + j, h, w] = x[..., c, h r + i, w r + j]."""
    r = _check_factor("pixel_unshuffle", input, downscale_factor, "downscale_factor")
    *lead, c, h, w = input.shape
    for name, n, d in (("height", h, -2), ("width", w, -1)):
        if n % r:
            raise RuntimeError(f"pixel_unshuffle expects {name} to be divisible by "
                               f"downscale_factor, but input.size({d})={n} is not divisible "
                               f"by {r} (input shape {tuple(input.shape)})")
    k = len(lead)
    x = reshape(input, (*lead, c, h // r, r, w // r, r))
    x = permute(x, *range(k + 1), k + 2, k + 4, k + 1, k + 3)
    return reshape(x, (*lead, c * r * r, h // r, w // r))


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """Interleave the channels (dim 1) of (N, C, *) input across `groups` (ShuffleNet):
    view C as (groups, C/groups), transpose to (C/groups, groups), flatten back, so
    out[:, j*groups + i] = x[:, i*(C/groups) + j]."""
    if not _is_int(groups):
        raise TypeError(f"channel_shuffle: argument 'groups' must be int, not "
                        f"{type(groups).__name__}")
    if input.ndim <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with "
                           f"sizes {list(input.shape)}")
    if groups <= 0:
        raise RuntimeError(f"channel_shuffle: Number of groups to divide channels in must be "
                           f"positive. Value of groups:{groups}")
    n, c, *rest = input.shape
    if c % groups:
        raise RuntimeError(f"channel_shuffle: Number of channels must be divisible by groups. "
                           f"Got {c} channels and {groups} groups.")
    x = reshape(input, (n, int(groups), c // groups, *rest))
    x = permute(x, 0, 2, 1, *range(3, x.ndim))
    return reshape(x, (n, c, *rest))


# ---- channel-wise dropout ---------------------------------------------------------------

def _check_p(op: str, p: float) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: dropout probability has to be between 0 and 1, but got {p}")


def _feature_dropout(input: Tensor, p: float, training: bool, inplace: bool,
                     channel_dims: int) -> Tensor:
    """x * mask / (1 - p) with mask ~ Bernoulli(1 - p) of shape x.shape[:channel_dims]
    (then 1s): whole channels kept or zeroed together."""
    if not training or p == 0.0:
        return input
    shape = tuple(input.shape[:channel_dims]) + (1,) * (input.ndim - channel_dims)
    keep = generator().random(shape, dtype=np.float32) >= p
    # p == 1 drops everything (0 / 0 would be nan); otherwise scale the survivors.
    mask = keep.astype(input.dtype) * (0.0 if p == 1.0 else 1.0 / (1.0 - p))
    return input.mul_(mask) if inplace else input * mask


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) or unbatched (C, L) input, each with
    probability `p`, scaling the rest by 1/(1-p); the identity when not `training`."""
    _check_p("dropout1d", p)
    if input.ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D "
                           f"input of shape {tuple(input.shape)}. Note that dropout1d exists "
                           f"to provide channel-wise dropout on inputs with 1 spatial "
                           f"dimension, a channel dimension, and an optional batch dimension "
                           f"(i.e. 2D or 3D inputs).")
    return _feature_dropout(input, p, training, inplace, input.ndim - 1)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) or unbatched (C, H, W) input, each with
    probability `p`, scaling the rest by 1/(1-p); the identity when not `training`.
    As PyTorch's, other ranks warn and a 3-D input is read as (N, C, L) (dims 0 and 1
    are always the channel dims)."""
    _check_p("dropout2d", p)
    nd = input.ndim
    if nd not in (3, 4):
        warnings.warn(f"dropout2d: Received a {nd}-D input to dropout2d, which is deprecated "
                      f"and will result in an error in a future release. To retain the "
                      f"behavior and silence this warning, please use dropout instead. Note "
                      f"that dropout2d exists to provide channel-wise dropout on inputs with "
                      f"2 spatial dimensions, a channel dimension, and an optional batch "
                      f"dimension (i.e. 3D or 4D inputs).", stacklevel=2)
    if nd == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that "
                      "channel-wise 1D dropout behavior is desired - input is interpreted as "
                      "shape (N, C, L), where C is the channel dim. This behavior will change "
                      "in a future release to interpret the input as one without a batch "
                      "dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise "
                      "dropout behavior, please switch to using dropout1d instead.",
                      stacklevel=2)
    if nd < 2:
        raise RuntimeError(f"dropout2d: feature dropout requires at least 2 dimensions in "
                           f"the input, got shape {tuple(input.shape)}")
    return _feature_dropout(input, p, training, inplace, 2)



def dropout3d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) or unbatched (C, D, H, W) input, each with
    probability `p`, scaling the rest by 1/(1-p); the identity when not `training`.
    As PyTorch's, other ranks warn and are read as unbatched: dim 0 is the channel dim
    (so a 1-D input drops single elements)."""
    _check_p("dropout3d", p)
    nd = input.ndim
    if nd not in (4, 5):
        warnings.warn(f"dropout3d: Received a {nd}-D input to dropout3d, which is deprecated "
                      f"and will result in an error in a future release. To retain the "
                      f"behavior and silence this warning, please use dropout instead. Note "
                      f"that dropout3d exists to provide channel-wise dropout on inputs with "
                      f"3 spatial dimensions, a channel dimension, and an optional batch "
                      f"dimension (i.e. 4D or 5D inputs).", stacklevel=2)
    if nd == 0 and training and 0.0 < p < 1.0:
        raise RuntimeError("dropout3d: Feature dropout requires at least 2 dimensions in the "
                           "input (a 0-d input is read as unbatched, giving 1)")
    return _feature_dropout(input, p, training, inplace, 2 if nd == 5 else 1)


# SELU's scale * alpha (1.0507 * 1.6733): SELU tends to -_ALPHA for x -> -inf, the value
# alpha dropout gives dropped units before its affine correction (PyTorch's constant).
_ALPHA = 1.7580993408473766


def _alpha_dropout(op: str, input: Tensor, p: float, training: bool, inplace: bool,
                   channel_dims: int | None) -> Tensor:
    """a (x * mask + (-alpha) (1 - mask)) + alpha a p with mask ~ Bernoulli(1 - p) per
    element (channel_dims None) or of shape x.shape[:channel_dims] (then 1s), and
    a = ((alpha^2 p + 1)(1 - p))^(-1/2): for zero-mean, unit-variance input the output
    keeps mean 0 and variance 1."""
    _check_p(op, p)
    if not training or p == 0.0 or input.data.size == 0:
        return input
    if p == 1.0:   # everything dropped (a would be infinite): zeros, as PyTorch
        return input.mul_(0.0) if inplace else input * 0.0
    if channel_dims is not None and input.ndim < channel_dims:
        raise RuntimeError(f"{op}: Feature dropout requires at least 2 dimensions in the "
                           f"input, got shape {tuple(input.shape)}")
    if input.dtype.kind != "f":
        raise RuntimeError(f"{op}: result type Float can't be cast to the input's dtype "
                           f"{input.dtype} (alpha dropout needs a floating input)")
    shape = (input.shape if channel_dims is None else
             tuple(input.shape[:channel_dims]) + (1,) * (input.ndim - channel_dims))
    keep = generator().random(shape, dtype=np.float32) >= p
    a = 1.0 / math.sqrt((_ALPHA * _ALPHA * p + 1.0) * (1.0 - p))
    scale = (keep * a).astype(input.dtype)
    shift = np.where(keep, _ALPHA * a * p, _ALPHA * a * (p - 1.0)).astype(input.dtype)
    return input.mul_(scale).add_(shift) if inplace else input * scale + shift


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                  inplace: bool = False) -> Tensor:
    """Alpha dropout (Klambauer et al., 2017), the dropout for SELU networks: each element
    is dropped with probability `p` to -alpha' = -1.7581 (SELU's saturation value) and
    the result is mapped by a x + b, a = ((alpha'^2 p + 1)(1 - p))^(-1/2),
    b = alpha' a p, so zero mean and unit variance are kept.  The identity when not
    `training` (PyTorch's default here: training=False)."""
    return _alpha_dropout("alpha_dropout", input, p, training, inplace, None)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                          inplace: bool = False) -> Tensor:
    """Alpha dropout of whole channels: one draw per (sample, channel) of (N, C, *) input
    (at least 2-D), the dropped channels set to -alpha' before the affine correction of
    alpha_dropout.  The identity when not `training` (the default, as in PyTorch)."""
    return _alpha_dropout("feature_alpha_dropout", input, p, training, inplace, 2)


# ---- deprecated aliases of interpolate --------------------------------------------------

def upsample(input: Tensor, size: int | Sequence[int] | None = None,
             scale_factor: float | Sequence[float] | None = None, mode: str = "nearest",
             align_corners: bool | None = None) -> Tensor:
    """Deprecated: interpolate(input, size, scale_factor, mode, align_corners), with
    PyTorch's deprecation warning."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size: int | Sequence[int] | None = None,
                     scale_factor: float | Sequence[float] | None = None) -> Tensor:
    """Deprecated: interpolate(..., mode='nearest'), with PyTorch's warning."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size: int | Sequence[int] | None = None,
                      scale_factor: float | Sequence[float] | None = None) -> Tensor:
    """Deprecated: interpolate(..., mode='bilinear', align_corners=True), with PyTorch's
    warning."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ---- affine_grid and grid_sample ----------------------------------------------------------

_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to "
                  "align_corners=False since 1.3.0. Please specify align_corners=True if the "
                  "old behavior is desired. See the documentation of grid_sample for details.")


def _linspace_from_neg_one(n: int, align_corners: bool, dtype: np.dtype) -> np.ndarray:
    """PyTorch's affine-grid axis: n points from -1 to 1 (0 for n <= 1), scaled by
    (n - 1)/n without `align_corners` so they sit at pixel centres.  PyTorch's linspace
    arithmetic in `dtype` (start + i step for the first half, end - (n - 1 - i) step for
    the rest), so float32 grids agree bit for bit."""
    if n <= 1:
        return np.zeros(1, dtype)
    one, i = dtype.type(1), np.arange(n)
    step = (one + one) / dtype.type(n - 1)
    r = np.where(i < n // 2, -one + i.astype(dtype) * step,
                 one - (n - 1 - i).astype(dtype) * step).astype(dtype)
    return r if align_corners else (r * dtype.type(n - 1) / dtype.type(n)).astype(dtype)


def affine_grid(theta: Tensor, size: Sequence[int], align_corners: bool | None = None) -> Tensor:
    """The sampling grid of a batch of affine maps, for grid_sample: theta (N, 2, 3) and
    size (N, C, H, W) give (N, H, W, 2), theta (N, 3, 4) and size (N, C, D, H, W) give
    (N, D, H, W, 3); grid[n, .., :] = theta[n] @ (x, y[, z], 1), the output pixel's
    normalized coordinates in [-1, 1] (x along W; with `align_corners` -1 and 1 are the
    corner pixels' centres, else the image's edges).  align_corners=None warns and means
    False, as in PyTorch.  Differentiable in theta (a matmul)."""
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    theta = theta if isinstance(theta, Tensor) else wrap(np.asarray(theta))
    if theta.dtype.kind != "f":
        raise ValueError(f"affine_grid: Expected theta to have floating point type, but got "
                         f"{theta.dtype}")
    size = tuple(int(s) for s in size)
    if len(size) not in (4, 5):
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {size}.")
    k = len(size) - 2
    if theta.ndim != 3 or tuple(theta.shape[1:]) != (k, k + 1):
        raise ValueError(f"affine_grid: Expected a batch of {k}D affine matrices of shape "
                         f"Nx{k}x{k + 1} for size {size}. Got {tuple(theta.shape)}.")
    spatial = size[2:]
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size "
                      "grids when align_corners=True. This is not an intended use case of "
                      "affine_grid. See the documentation of affine_grid for details.",
                      stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"affine_grid: Expected non-zero, positive output size. Got {size}")
    if size[0] != theta.shape[0]:
        raise RuntimeError(f"affine_grid: theta holds {theta.shape[0]} matrices (shape "
                           f"{tuple(theta.shape)}) but size {size} asks for a batch of "
                           f"{size[0]}")
    # The base grid (*spatial, k + 1): (x, y[, z], 1), x running along the last dim.
    dtype = theta.dtype
    base = np.empty(spatial + (k + 1,), dtype)
    for j in range(k):
        axis = _linspace_from_neg_one(spatial[k - 1 - j], align_corners, dtype)
        base[..., j] = axis.reshape((-1,) + (1,) * j)
    base[..., k] = 1
    grid = matmul(wrap(base.reshape(-1, k + 1)), permute(theta, 0, 2, 1))
    return reshape(grid, (size[0],) + spatial + (k,))


_GRID_MODES = ("bilinear", "nearest", "bicubic")
_GRID_PADDINGS = ("zeros", "border", "reflection")
_CUBIC_A = -0.75   # PyTorch's bicubic grid_sample: Keys' kernel with a = -0.75


def _check_grid_sample(input: Tensor, grid: Tensor, mode: str) -> None:
    """PyTorch's grid_sampler checks (RuntimeError, NotImplementedError for integers)."""
    nd = input.ndim
    if nd not in (4, 5) or grid.ndim != nd:
        raise RuntimeError(f"grid_sampler(): expected 4D or 5D input and grid with same "
                           f"number of dimensions, but got input with sizes "
                           f"{list(input.shape)} and grid with sizes {list(grid.shape)}")
    if input.dtype != grid.dtype:
        raise RuntimeError(f"grid_sampler(): expected input and grid to have the same dtype, "
                           f"but input has {input.dtype} and grid has {grid.dtype}")
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch "
                           f"size, but got input with sizes {list(input.shape)} and grid "
                           f"with sizes {list(grid.shape)}")
    if grid.shape[-1] != nd - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {nd - 2} in last "
                           f"dimension, but got grid with sizes {list(grid.shape)}")
    for d in range(2, nd):
        if input.shape[d] == 0:
            raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial "
                               f"dimensions, but input has sizes {list(input.shape)} with "
                               f"dimension {d} being empty")
    if mode == "bicubic" and nd != 4:
        raise RuntimeError(f"grid_sampler(): bicubic interpolation only supports 4D input "
                           f"(got input with sizes {list(input.shape)})")
    if input.dtype.kind != "f":
        raise NotImplementedError(f"grid_sampler: not implemented for dtype {input.dtype} "
                                  f"(a floating input and grid are needed)")


def _clip_coordinates(x: Tensor, size: int) -> Tensor:
    """x clamped to [0, size - 1]; as PyTorch's, the gradient is 1 strictly inside and 0
    at the borders themselves (they count as out of bounds)."""
    xd = x.data
    inside = (xd > 0) & (xd < size - 1)
    return where(inside, x, np.clip(xd, 0, size - 1).astype(xd.dtype))


def _reflect_coordinates(x: Tensor, twice_low: int, twice_high: int) -> Tensor:
    """x reflected into [low, high] (bounds given doubled, to stay integers), PyTorch's
    reflect_coordinates: with a = |x - low|, span = high - low and k = floor(a / span),
    low + a mod span for even k, low + span - a mod span for odd k.  a mod span is
    a - (a - fmod(a, span)), the bracket a constant multiple of span computed exactly,
    so the value is PyTorch's and the gradient +-1."""
    xd = x.data
    if twice_low == twice_high:   # (one pixel with align_corners: everything maps to 0)
        return where(np.zeros(xd.shape, bool), x, 0.0)
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    shifted = xd - xd.dtype.type(low)
    a = np.abs(shifted)
    whole = a - np.fmod(a, span)
    flips = np.floor(a / span)
    sign = np.where(shifted < 0, -1, 1).astype(xd.dtype)
    extra = (x - low) * sign - whole
    return where(flips % 2 == 0, extra + low, (span - extra) + low)


def _grid_source(coord: Tensor, size: int, padding_mode: str, align_corners: bool) -> Tensor:
    """PyTorch's grid_sampler_compute_source_index: the normalized coordinate in pixels
    (-1 and 1 at the corner pixels' centres with `align_corners`, else at the image's
    edges), then the padding mode's map into the image (border: clamp; reflection:
    reflect about the borders, then clamp)."""
    if align_corners:
        x = (coord + 1) * ((size - 1) / 2)
    else:
        x = (coord + 1) * (size / 2) - 0.5
    if padding_mode == "border":
        x = _clip_coordinates(x, size)
    elif padding_mode == "reflection":
        x = _reflect_coordinates(x, 0, 2 * (size - 1)) if align_corners \
            else _reflect_coordinates(x, -1, 2 * size - 1)
        x = _clip_coordinates(x, size)
    return x


def _pad_index(x: np.ndarray, size: int, padding_mode: str,
               align_corners: bool) -> np.ndarray:
    """Bicubic's (integral, float) tap positions mapped as PyTorch's get_value_bounded
    does: clamped into the image (border), reflected about its borders and clamped
    (reflection), or kept (zeros: those outside read zeros)."""
    if padding_mode == "reflection":
        lo, hi = (0.0, size - 1.0) if align_corners else (-0.5, size - 0.5)
        span = hi - lo
        if span == 0:
            return np.zeros_like(x)
        a = np.abs(x - lo)
        extra, flips = np.fmod(a, span), np.floor(a / span)
        x = np.where(flips % 2 == 0, extra + lo, span - extra + lo)
    return x if padding_mode == "zeros" else np.clip(x, 0, size - 1)


def _cubic_weights(t: Tensor) -> Tensor:
    """(4, *t.shape) weights of the taps at floor(x) - 1 .. floor(x) + 2, t = x - floor(x):
    Keys' kernel W(t + 1), W(t), W(1 - t), W(2 - t) with a = -0.75, as polynomials in t
    (PyTorch's cubic_convolution1/2), so that the gradient reaches the grid."""
    a = _CUBIC_A

    def near(u: Tensor) -> Tensor:    # W(u) for |u| <= 1
        return ((u * (a + 2) - (a + 3)) * u) * u + 1

    def far(u: Tensor) -> Tensor:     # W(u) for 1 < |u| < 2
        return ((u * a - 5 * a) * u + 8 * a) * u - 4 * a

    return stack([far(t + 1), near(t), near(1 - t), far(2 - t)])


def _grid_taps(x: Tensor, size: int, mode: str, padding_mode: str,
               align_corners: bool) -> tuple[np.ndarray, np.ndarray, Tensor]:
    """Along one input dim: the (k, ...) integer tap positions (clipped into the image
    for the gather), whether each lies inside the image, and their weights (a constant
    1 for nearest): 2 linear taps floor(x) + (0, 1) with weights (1 - t, t), t = x - floor(x);
    the nearest pixel rint(x) (ties to even, as PyTorch); or 4 cubic taps floor(x) - 1
    .. floor(x) + 2, each mapped into the image by the padding mode."""
    xd = x.data
    finite = np.isfinite(xd)   # (NaN and inf points read zeros)
    xs = np.where(finite, xd, 0)
    base = np.rint(xs) if mode == "nearest" else np.floor(xs)
    offsets = {"nearest": [0], "bilinear": [0, 1], "bicubic": [-1, 0, 1, 2]}[mode]
    taps = base + np.array(offsets, xd.dtype).reshape((-1,) + (1,) * xd.ndim)
    if mode == "bicubic":
        taps = _pad_index(taps, size, padding_mode, align_corners)
    inside = (taps >= 0) & (taps < size) & finite
    idx = np.clip(taps, 0, size - 1).astype(np.int64)
    if mode == "nearest":   # weight 1, gradient 0 (PyTorch gives the grid a zero gradient)
        return idx, inside, where(np.zeros((1,) + xd.shape, bool), x, 1.0)
    t = x - base
    return idx, inside, stack([1 - t, t]) if mode == "bilinear" else _cubic_weights(t)


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear",
                padding_mode: str = "zeros", align_corners: bool | None = None) -> Tensor:
    """Sample input (N, C, H, W) at the points of grid (N, H_out, W_out, 2) (or 5-D input
    (N, C, D, H, W) at grid (N, D_out, H_out, W_out, 3)): out[n, c, i, j] is input[n, c]
    read at grid[n, i, j] = (x, y[, z]) in normalized coordinates, x along W.

    The point in pixels is ((x + 1)/2)(W - 1) with `align_corners`, else
    ((x + 1) W - 1)/2; points outside the image read zeros (padding_mode='zeros'), the
    nearest border pixel ('border') or the image reflected at its borders ('reflection').
    mode 'bilinear' (trilinear for 5-D) weighs the 2^k surrounding pixels by
    prod_d (1 - |p_d - q_d|); 'nearest' takes the nearest pixel (ties to even);
    'bicubic' (4-D only) Keys' cubic kernel (a = -0.75) over 4 x 4 pixels.
    align_corners=None warns and means False, as in PyTorch.

    Built from autograd ops (the taps gathered with index_select, weighted by
    polynomials of the grid's coordinates), so input and grid both get gradients, of
    every order: the gradient in the grid is 0 for 'nearest' and at the borders a
    clamp puts points on, as PyTorch's."""
    if mode not in _GRID_MODES:
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in _GRID_PADDINGS:
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    _check_grid_sample(input, grid, mode)
    n, c, *spatial = input.shape
    out_spatial = tuple(grid.shape[1:-1])
    k, p = len(spatial), int(np.prod(out_spatial, dtype=np.int64))
    flat_grid = reshape(grid, (n, p, k))
    # Per input dim (D, H, W order; the grid lists x, y, z: the last dim first), then the
    # taps of all dims combined, the last dim's varying fastest (PyTorch's nw, ne, sw, se).
    pos = np.zeros((1, n, p), np.int64)
    inside = np.ones((1, n, p), bool)
    weights = None
    for d, size in enumerate(spatial):
        coord = flat_grid[:, :, k - 1 - d]
        # (bicubic pads its integer taps instead of the point)
        x = _grid_source(coord, size, "zeros" if mode == "bicubic" else padding_mode,
                         align_corners)
        idx, ok, w = _grid_taps(x, size, mode, padding_mode, align_corners)
        taps = (len(pos) * len(idx), n, p)
        pos = (pos[:, None] * size + idx[None]).reshape(taps)
        inside = (inside[:, None] & ok[None]).reshape(taps)
        weights = w if weights is None else reshape(weights.unsqueeze(1) * w.unsqueeze(0),
                                                    taps)
    # One gather of every tap: input as (N * S, C) rows, S = prod(spatial).
    s = int(np.prod(spatial, dtype=np.int64))
    rows = reshape(permute(input, 0, *range(2, k + 2), 1), (n * s, c))
    pos = pos + (np.arange(n) * s)[:, None]
    vals = reshape(index_select(rows, 0, pos.reshape(-1)), pos.shape + (c,))
    if not inside.all():   # (taps outside the image read zeros and have no gradient)
        vals = where(inside[..., None], vals, 0.0)
        weights = where(inside, weights, 0.0)
    out = (vals * weights.unsqueeze(-1)).sum(0)
    return reshape(permute(out, 0, 2, 1), (n, c) + out_spatial)
