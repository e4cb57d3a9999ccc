"""Convolution layers: Conv1d and Conv2d.

Parameter names, shapes and default initialization are PyTorch's: ``weight``
(out_channels, in_channels/groups, *kernel_size) and ``bias`` (out_channels,), both
~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = in_channels/groups * prod(kernel)
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

__all__ = ["Conv1d", "Conv2d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """Shared constructor, checks, initialization and repr of Conv1d/Conv2d."""

    _n = 2           # spatial dimensions
    _fn: Any = None  # the functional form

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
        shape = (self.out_channels, self.in_channels // self.groups) + self.kernel_size
        self.weight = Parameter(np.empty(shape, dtype=dt))
        if bias:
            self.bias = Parameter(np.empty(self.out_channels, dtype=dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

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
