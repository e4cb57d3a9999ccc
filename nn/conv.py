"""Convolution layers: Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d and
ConvTranspose3d, and the parameter-free Unfold (im2col) and Fold (col2im).

Parameter names, shapes and default initialization are PyTorch's: ``weight``
(out_channels, in_channels/groups, *kernel_size), for the transposed layers
(in_channels, out_channels/groups, *kernel_size), and ``bias`` (out_channels,), both
~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = weight.shape[1] * prod(kernel)
(kaiming_uniform_ with a = sqrt(5)), so a state_dict moves between the two.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from autograd import Tensor

from . import functional as F
from . import init
from .functional.conv import ntuple
from .module import Module, Parameter, factory_dtype

__all__ = ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d", "Unfold", "Fold", "Conv3d",
           "ConvTranspose3d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """Shared constructor, checks, initialization and repr of the convolution layers."""

    _n = 2           # spatial dimensions
    _fn: Any = None  # the functional form
    output_padding: tuple = ()

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        name, n = type(self).__name__, self._n
        if not isinstance(groups, (int, np.integer)) or groups <= 0:
            raise ValueError(f"{name}: groups must be a positive integer, got {groups!r}")
        if in_channels % groups:
            raise ValueError(f"{name}: in_channels must be divisible by groups "
                             f"(in_channels={in_channels}, groups={groups})")
        if out_channels % groups:
            raise ValueError(f"{name}: out_channels must be divisible by groups "
                             f"(out_channels={out_channels}, groups={groups})")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {_PADDING_MODES}, but got "
                             f"padding_mode={padding_mode!r}")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = ntuple(kernel_size, n, "kernel_size", name)
        self.stride = ntuple(stride, n, "stride", name)
        self.dilation = ntuple(dilation, n, "dilation", name)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"{name}: Invalid padding string {padding!r}, should be one "
                                 f"of ['same', 'valid']")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{name}: padding='same' is not supported for strided "
                                 f"convolutions (stride={self.stride})")
            self.padding = padding
        else:
            self.padding = ntuple(padding, n, "padding", name)
        self.groups, self.padding_mode = int(groups), padding_mode
        dt = factory_dtype(name, device, dtype)
        shape = self._weight_shape() + self.kernel_size
        self.weight = Parameter(np.empty(shape, dtype=dt))
        if bias:
            self.bias = Parameter(np.empty(self.out_channels, dtype=dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _weight_shape(self) -> tuple:
        return self.out_channels, self.in_channels // self.groups

    def reset_parameters(self) -> None:
        """PyTorch's default initialization (see the module docstring)."""
        init.default_layer_init_(self.weight, self.bias)

    def _explicit_padding(self) -> list:
        """F.pad's list (last dim first) for a non-zero padding_mode."""
        if self.padding == "valid":
            return [0] * (2 * self._n)
        if self.padding == "same":
            totals = [d * (k - 1) for d, k in zip(self.dilation, self.kernel_size)]
            pairs = [(t // 2, t - t // 2) for t in totals]
        else:
            pairs = [(p, p) for p in self.padding]
        return [x for lo_hi in reversed(pairs) for x in lo_hi]

    def forward(self, input: Tensor) -> Tensor:
        padding = self.padding
        try:
            if self.padding_mode != "zeros":
                input = F.pad(input, self._explicit_padding(), mode=self.padding_mode)
                padding = 0
            return type(self)._fn(input, self.weight, self.bias, self.stride, padding,
                                  self.dilation, self.groups)
        except (RuntimeError, ValueError, TypeError) as e:
            raise type(e)(f"{self!r}: {e}") from None

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * self._n:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self._n:
            s += f", dilation={self.dilation}"
        if any(self.output_padding):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv1d(_ConvNd):
    """1-d convolution over (N, C_in, L) or (C_in, L) input (see F.conv1d)."""
    _n = 1
    _fn = staticmethod(F.conv1d)


class Conv2d(_ConvNd):
    """2-d convolution over (N, C_in, H, W) or (C_in, H, W) input (see F.conv2d):
    out[n, o] = bias[o] + sum_c weight[o, c] * input[n, c] (cross-correlation, with
    stride, padding (int, pair, "same", "valid"), dilation and groups)."""
    _n = 2
    _fn = staticmethod(F.conv2d)


class Conv3d(_ConvNd):
    """3-d convolution over (N, C_in, D, H, W) or (C_in, D, H, W) input (see F.conv3d),
    e.g. for video or volumes; weight (out_channels, in_channels/groups, kt, kh, kw)."""
    _n = 3
    _fn = staticmethod(F.conv3d)


class _ConvTransposeNd(_ConvNd):
    """Shared constructor and forward of the ConvTranspose layers: PyTorch's
    argument order, zero padding only, and `output_size=` at the call."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, padding_mode: str = "zeros", device: Any = None,
                 dtype: Any = None) -> None:
        name = type(self).__name__
        if padding_mode != "zeros":
            raise ValueError(f'{name}: Only "zeros" padding mode is supported for {name}')
        if isinstance(padding, str):  # (PyTorch accepts it here and fails at the call)
            raise ValueError(f"{name}: padding must be an int or a tuple of {self._n} ints, "
                             f"got {padding!r}")
        self.output_padding = ntuple(output_padding, self._n, "output_padding", name)
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype)

    def _weight_shape(self) -> tuple:
        return self.in_channels, self.out_channels // self.groups

    def _output_padding(self, input: Tensor, output_size: Any) -> tuple:
        """output_padding, or the one giving `output_size` (spatial sizes, optionally
        preceded by the batch and channel sizes): its excess over the smallest output,
        which must be below the stride."""
        if output_size is None:
            return self.output_padding
        n = self._n
        lead = 2 if input.ndim == n + 2 else 1
        output_size = tuple(output_size)
        if len(output_size) == lead + n:
            output_size = output_size[lead:]
        if len(output_size) != n:
            raise ValueError(f"ConvTranspose{n}D: for {input.ndim}D input, output_size must "
                             f"have {n} or {lead + n} elements (got {len(output_size)})")
        smallest = [(size - 1) * s - 2 * p + d * (k - 1) + 1 for size, s, p, d, k in
                    zip(input.shape[lead:], self.stride, self.padding, self.dilation,
                        self.kernel_size)]
        largest = [m + s - 1 for m, s in zip(smallest, self.stride)]
        if any(not lo <= o <= hi for o, lo, hi in zip(output_size, smallest, largest)):
            raise ValueError(f"requested an output size of {list(output_size)}, but valid "
                             f"sizes range from {smallest} to {largest} (for an input of "
                             f"{tuple(input.shape[lead:])})")
        return tuple(o - m for o, m in zip(output_size, smallest))

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:
        try:
            return type(self)._fn(input, self.weight, self.bias, self.stride, self.padding,
                                  self._output_padding(input, output_size), self.groups,
                                  self.dilation)
        except (RuntimeError, ValueError, TypeError) as e:
            raise type(e)(f"{self!r}: {e}") from None


class ConvTranspose1d(_ConvTransposeNd):
    """Transposed 1-d convolution over (N, C_in, L) or (C_in, L) input, the input
    gradient of Conv1d (see F.conv_transpose1d): out[n, o] = bias[o] + A_w^T input[n]."""
    _n = 1
    _fn = staticmethod(F.conv_transpose1d)


class ConvTranspose2d(_ConvTransposeNd):
    """Transposed 2-d convolution over (N, C_in, H, W) or (C_in, H, W) input, the input
    gradient of Conv2d (see F.conv_transpose2d): out[n, o] = bias[o] + A_w^T input[n];
    output side (H - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1."""
    _n = 2
    _fn = staticmethod(F.conv_transpose2d)


class ConvTranspose3d(_ConvTransposeNd):
    """Transposed 3-d convolution over (N, C_in, D, H, W) or (C_in, D, H, W) input, the
    input gradient of Conv3d (see F.conv_transpose3d); weight (in_channels,
    out_channels/groups, kt, kh, kw); output size per dim (n - 1) * stride - 2 * padding +
    dilation * (k - 1) + output_padding + 1."""
    _n = 3
    _fn = staticmethod(F.conv_transpose3d)


# ---- sliding blocks ---------------------------------------------------------------------

class Unfold(Module):
    """Extract sliding blocks (im2col): (N, C, H, W) -> (N, C*kh*kw, L) (see F.unfold).
    No parameters; the arguments are kept as given, as PyTorch's repr shows them."""

    def __init__(self, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
                 stride: Any = 1) -> None:
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, input: Tensor) -> Tensor:
        try:
            return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)
        except (RuntimeError, ValueError, TypeError) as e:
            raise type(e)(f"{self!r}: {e}") from None

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Fold(Module):
    """Combine sliding blocks into an image (col2im), summing overlaps:
    (N, C*kh*kw, L) -> (N, C, *output_size); the adjoint of Unfold (see F.fold)."""

    def __init__(self, output_size: Any, kernel_size: Any, dilation: Any = 1,
                 padding: Any = 0, stride: Any = 1) -> None:
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input: Tensor) -> Tensor:
        try:
            return F.fold(input, self.output_size, self.kernel_size, self.dilation,
                          self.padding, self.stride)
        except (RuntimeError, ValueError, TypeError) as e:
            raise type(e)(f"{self!r}: {e}") from None

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")
