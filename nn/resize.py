"""Resampling, padding and channel-dropout layers: Upsample, UpsamplingNearest2d,
UpsamplingBilinear2d, PixelShuffle, PixelUnshuffle, ChannelShuffle, ZeroPad1d/2d/3d,
ConstantPad1d/2d/3d, ReflectionPad1d/2d/3d, ReplicationPad1d/2d/3d, CircularPad1d/2d/3d,
and the dropout variants Dropout1d, Dropout2d, Dropout3d, AlphaDropout,
FeatureAlphaDropout.

Each forwards to its nn.functional form; arguments, reprs and errors are PyTorch's.
"""
from __future__ import annotations

from typing import Any, Sequence

from autograd import Tensor

from . import functional as F
from .layers import Dropout
from .module import Module

__all__ = ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d", "PixelShuffle",
           "PixelUnshuffle", "ChannelShuffle", "ZeroPad1d", "ZeroPad2d", "ConstantPad1d",
           "ConstantPad2d", "ReflectionPad1d", "ReflectionPad2d", "ReplicationPad1d",
           "ReplicationPad2d", "CircularPad1d", "CircularPad2d", "Dropout1d", "Dropout2d",
           "Dropout3d", "AlphaDropout", "FeatureAlphaDropout", "ZeroPad3d", "ConstantPad3d",
           "ReflectionPad3d", "ReplicationPad3d", "CircularPad3d"]


# ---- upsampling -------------------------------------------------------------------------

class Upsample(Module):
    """F.interpolate(x, size, scale_factor, mode, align_corners) as a layer: resample
    (N, C, *spatial) input to `size` or to floor(spatial * scale_factor)."""

    def __init__(self, size: int | Sequence[int] | None = None,
                 scale_factor: float | Sequence[float] | None = None, mode: str = "nearest",
                 align_corners: bool | None = None,
                 recompute_scale_factor: bool | None = None) -> None:
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        # As PyTorch: floats kept, and a falsy scale (0) meaning none.
        if isinstance(scale_factor, tuple):
            self.scale_factor: Any = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode, self.align_corners = mode, align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                             recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self) -> str:
        info = (f"scale_factor={self.scale_factor!r}" if self.scale_factor is not None
                else f"size={self.size!r}")
        return info + f", mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """Upsample with mode='nearest' for (N, C, H, W) input: out[h, w] =
    x[floor(h H_in/H_out), floor(w W_in/W_out)]."""

    def __init__(self, size: int | Sequence[int] | None = None,
                 scale_factor: float | Sequence[float] | None = None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Upsample with mode='bilinear' and align_corners=True for (N, C, H, W) input:
    source positions h (H_in - 1)/(H_out - 1), w (W_in - 1)/(W_out - 1)."""

    def __init__(self, size: int | Sequence[int] | None = None,
                 scale_factor: float | Sequence[float] | None = None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


# ---- pixel shuffle ------------------------------------------------------------------------

class PixelShuffle(Module):
    """(*, C r^2, H, W) -> (*, C, H r, W r) with r = `upscale_factor` (F.pixel_shuffle)."""

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """(*, C, H r, W r) -> (*, C r^2, H, W) with r = `downscale_factor`
    (F.pixel_unshuffle)."""

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"


class ChannelShuffle(Module):
    """Interleave the channels of (N, C, *) input across `groups`
    (F.channel_shuffle): out[:, j*groups + i] = x[:, i*(C/groups) + j]."""

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, input: Tensor) -> Tensor:
        return F.channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"


# ---- padding ------------------------------------------------------------------------------

class _PadNd(Module):
    """F.pad(x, padding, mode) over the last `_dims` dims; `padding` an int (every side)
    or a (left, right[, top, bottom[, front, back]]) tuple."""

    _dims: int = 1
    mode: str = "constant"

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__()
        n = 2 * self._dims
        self.padding = tuple(padding) if isinstance(padding, (tuple, list)) else (padding,) * n

    def _check_input_dim(self, input: Tensor) -> None:
        # PyTorch's F.pad: non-constant modes pad k dims of (k+1)- or (k+2)-D input only.
        if self.mode != "constant" and input.ndim not in (self._dims + 1, self._dims + 2):
            raise NotImplementedError(
                f"{self!r}: padding size {len(self.padding)} is not supported for "
                f"{input.ndim}D input of shape {tuple(input.shape)} (expected "
                f"{self._dims + 1}D or {self._dims + 2}D)")

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        return F.pad(input, self.padding, self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    """Pad with the constant `value`: F.pad(x, padding, 'constant', value)."""

    def __init__(self, padding: int | Sequence[int], value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim with `value`: (left, right) or an int for both."""
    _dims = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dims with `value`: (left, right, top, bottom) or an int for all."""
    _dims = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dims with `value`: (left, right, top, bottom, front, back) or an
    int for all."""
    _dims = 3


class ZeroPad1d(ConstantPad1d):
    """Pad the last dim with zeros: (left, right) or an int for both."""

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__(padding, 0.0)

    extra_repr = _PadNd.extra_repr


class ZeroPad2d(ConstantPad2d):
    """Pad the last two dims with zeros: (left, right, top, bottom) or an int for all."""

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__(padding, 0.0)

    extra_repr = _PadNd.extra_repr


class ZeroPad3d(ConstantPad3d):
    """Pad the last three dims with zeros: (left, right, top, bottom, front, back) or an
    int for all."""

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__(padding, 0.0)

    extra_repr = _PadNd.extra_repr


class ReflectionPad1d(_PadNd):
    """Pad the last dim of (C, W) or (N, C, W) by reflection about the edge (which is not
    repeated): x[-i] = x[i]."""
    _dims, mode = 1, "reflect"


class ReflectionPad2d(_PadNd):
    """Pad the last two dims of (C, H, W) or (N, C, H, W) by reflection about the edges."""
    _dims, mode = 2, "reflect"


class ReflectionPad3d(_PadNd):
    """Pad the last three dims of (C, D, H, W) or (N, C, D, H, W) by reflection about the
    faces."""
    _dims, mode = 3, "reflect"


class ReplicationPad1d(_PadNd):
    """Pad the last dim of (C, W) or (N, C, W) by repeating the edge: x[-i] = x[0]."""
    _dims, mode = 1, "replicate"


class ReplicationPad2d(_PadNd):
    """Pad the last two dims of (C, H, W) or (N, C, H, W) by repeating the edges."""
    _dims, mode = 2, "replicate"


class ReplicationPad3d(_PadNd):
    """Pad the last three dims of (C, D, H, W) or (N, C, D, H, W) by repeating the faces."""
    _dims, mode = 3, "replicate"


class _CircularPadNd(_PadNd):
    mode = "circular"

    def _check_input_dim(self, input: Tensor) -> None:
        # (PyTorch's circular modules check the rank themselves, with a ValueError)
        if input.ndim not in (self._dims + 1, self._dims + 2):
            raise ValueError(f"{self!r}: expected {self._dims + 1}D or {self._dims + 2}D input "
                             f"(got {input.ndim}D input of shape {tuple(input.shape)})")


class CircularPad1d(_CircularPadNd):
    """Pad the last dim of (C, W) or (N, C, W) periodically: x[-i] = x[W - i]."""
    _dims = 1


class CircularPad2d(_CircularPadNd):
    """Pad the last two dims of (C, H, W) or (N, C, H, W) periodically."""
    _dims = 2


class CircularPad3d(_CircularPadNd):
    """Pad the last three dims of (C, D, H, W) or (N, C, D, H, W) periodically."""
    _dims = 3


# ---- channel and alpha dropout ----------------------------------------------------------------

class _DropoutNd(Dropout):
    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        if not 0.0 <= p <= 1.0:   # (named after this layer, not Dropout)
            raise ValueError(f"{type(self).__name__}: dropout probability has to be between "
                             f"0 and 1, but got {p}")
        super().__init__(p, inplace)


class Dropout1d(_DropoutNd):
    """In training, zero whole channels of (N, C, L) or (C, L) input with probability p
    and scale the others by 1/(1-p) (F.dropout1d); the identity in eval mode."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """In training, zero whole channels of (N, C, H, W) or (C, H, W) input with
    probability p and scale the others by 1/(1-p) (F.dropout2d); the identity in eval."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout2d(input, self.p, self.training, self.inplace)


class Dropout3d(_DropoutNd):
    """In training, zero whole channels of (N, C, D, H, W) or (C, D, H, W) input with
    probability p and scale the others by 1/(1-p) (F.dropout3d); the identity in eval."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout3d(input, self.p, self.training, self.inplace)


class AlphaDropout(_DropoutNd):
    """In training, alpha dropout (F.alpha_dropout): each element dropped with
    probability p to SELU's saturation value, then an affine map that keeps zero mean
    and unit variance; the identity in eval mode.  As PyTorch's, `inplace` is stored
    (and shown) but the forward never works in place."""

    def forward(self, input: Tensor) -> Tensor:
        return F.alpha_dropout(input, self.p, self.training)


class FeatureAlphaDropout(_DropoutNd):
    """In training, alpha dropout of whole channels of (N, C, *) input
    (F.feature_alpha_dropout); the identity in eval mode.  `inplace` as AlphaDropout's."""

    def forward(self, input: Tensor) -> Tensor:
        return F.feature_alpha_dropout(input, self.p, self.training)
