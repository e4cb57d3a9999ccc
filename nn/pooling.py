"""Pooling layers: MaxPool1d/2d/3d, AvgPool1d/2d/3d, AdaptiveAvgPool1d/2d/3d,
AdaptiveMaxPool1d/2d/3d, LPPool1d/2d/3d, MaxUnpool1d/2d/3d (no parameters; each forward
calls its nn.functional form, and a bad input raises an error naming the layer)."""
from __future__ import annotations

from typing import Any

from autograd import Tensor

from . import functional as F
from .functional.conv import ntuple
from .module import Module

__all__ = ["MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d",
           "AdaptiveAvgPool2d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "LPPool1d", "LPPool2d",
           "MaxUnpool1d", "MaxUnpool2d", "MaxPool3d", "AvgPool3d", "AdaptiveAvgPool3d",
           "AdaptiveMaxPool3d", "LPPool3d", "MaxUnpool3d"]


class _Pool(Module):
    """Calls `_call(input)` and names the layer in any error."""

    def forward(self, input: Tensor) -> Any:
        try:
            return self._call(input)
        except (RuntimeError, ValueError, TypeError) as e:
            raise type(e)(f"{self!r}: {e}") from None

    def _call(self, input: Tensor) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError


class _MaxPoolNd(_Pool):
    _fn: Any = None

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 dilation: Any = 1, return_indices: bool = False,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def _call(self, input: Tensor) -> Any:
        return type(self)._fn(input, self.kernel_size, self.stride, self.padding,
                              self.dilation, self.ceil_mode, self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """Max over sliding windows of (N, C, L) or (C, L) input (see F.max_pool1d)."""
    _fn = staticmethod(F.max_pool1d)


class MaxPool2d(_MaxPoolNd):
    """Max over sliding windows of (N, C, H, W) or (C, H, W) input; the gradient goes to
    each window's first maximum (see F.max_pool2d)."""
    _fn = staticmethod(F.max_pool2d)


class MaxPool3d(_MaxPoolNd):
    """Max over sliding windows of (N, C, D, H, W) or (C, D, H, W) input; the gradient
    goes to each window's first maximum (see F.max_pool3d)."""
    _fn = staticmethod(F.max_pool3d)


class _AvgPoolNd(_Pool):
    """Calls `_fn` (avg_pool2d/3d) with the arguments kept as given (stride None: the
    kernel size), as PyTorch's repr shows them."""
    _fn: Any = None

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def _call(self, input: Tensor) -> Tensor:
        return type(self)._fn(input, self.kernel_size, self.stride, self.padding,
                              self.ceil_mode, self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(_AvgPoolNd):
    """Mean over sliding windows of (N, C, H, W) or (C, H, W) input (see F.avg_pool2d)."""
    _fn = staticmethod(F.avg_pool2d)


class AvgPool3d(_AvgPoolNd):
    """Mean over sliding windows of (N, C, D, H, W) or (C, D, H, W) input (see
    F.avg_pool3d)."""
    _fn = staticmethod(F.avg_pool3d)


def _single(v: Any) -> tuple:
    return tuple(v) if isinstance(v, (tuple, list)) else (v,)


class AvgPool1d(_Pool):
    """Mean over sliding windows of (N, C, L) or (C, L) input (see F.avg_pool1d)."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True) -> None:
        super().__init__()
        # PyTorch stores one-tuples (its _single), which its repr shows.
        self.kernel_size = _single(kernel_size)
        self.stride = _single(stride if stride is not None else kernel_size)
        self.padding, self.ceil_mode = _single(padding), ceil_mode
        self.count_include_pad = count_include_pad

    def _call(self, input: Tensor) -> Tensor:
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AdaptivePool(_Pool):
    """Pools to `output_size` with `_fn(input, output_size)`."""
    _fn: Any = None

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def _call(self, input: Tensor) -> Any:
        return type(self)._fn(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptivePool):
    """Average pooling of (N, C, L) or (C, L) to a fixed length (see F.adaptive_avg_pool1d)."""
    _fn = staticmethod(F.adaptive_avg_pool1d)


class AdaptiveAvgPool2d(_AdaptivePool):
    """Average pooling to a fixed output size (see F.adaptive_avg_pool2d)."""
    _fn = staticmethod(F.adaptive_avg_pool2d)


class AdaptiveAvgPool3d(_AdaptivePool):
    """Average pooling of (N, C, D, H, W) or (C, D, H, W) to a fixed output size (see
    F.adaptive_avg_pool3d)."""
    _fn = staticmethod(F.adaptive_avg_pool3d)


class _AdaptiveMaxPool(_AdaptivePool):
    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__(output_size)
        self.return_indices = return_indices

    def _call(self, input: Tensor) -> Any:
        return type(self)._fn(input, self.output_size, self.return_indices)


class AdaptiveMaxPool1d(_AdaptiveMaxPool):
    """Max pooling of (N, C, L) or (C, L) to a fixed length; with return_indices also the
    maxima's positions (see F.adaptive_max_pool1d)."""
    _fn = staticmethod(F.adaptive_max_pool1d)


class AdaptiveMaxPool2d(_AdaptiveMaxPool):
    """Max pooling of (N, C, H, W) or (C, H, W) to a fixed output size; with
    return_indices also the maxima's flat positions h*W + w (see F.adaptive_max_pool2d)."""
    _fn = staticmethod(F.adaptive_max_pool2d)


class AdaptiveMaxPool3d(_AdaptiveMaxPool):
    """Max pooling of (N, C, D, H, W) or (C, D, H, W) to a fixed output size; with
    return_indices also the maxima's flat positions (t*H + h)*W + w (see
    F.adaptive_max_pool3d)."""
    _fn = staticmethod(F.adaptive_max_pool3d)


class _LPPoolNd(_Pool):
    """Power-average pooling with `_fn(input, norm_type, kernel_size, stride, ceil_mode)`;
    the arguments are kept as given (stride None: the kernel size), as PyTorch's repr."""
    _fn: Any = None

    def __init__(self, norm_type: float, kernel_size: Any, stride: Any = None,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self.norm_type, self.kernel_size = norm_type, kernel_size
        self.stride, self.ceil_mode = stride, ceil_mode

    def forward(self, input: Tensor) -> Tensor:
        try:
            return super().forward(input)
        except ZeroDivisionError as e:   # (norm_type 0, as PyTorch's 1.0 / norm_type)
            raise ZeroDivisionError(f"{self!r}: {e}") from None

    def _call(self, input: Tensor) -> Tensor:
        return type(self)._fn(input, self.norm_type, self.kernel_size, self.stride,
                              self.ceil_mode)

    def extra_repr(self) -> str:
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPoolNd):
    """(sum over each window of x**p) ** (1/p) over (N, C, L) or (C, L) input, p =
    `norm_type` (see F.lp_pool1d)."""
    _fn = staticmethod(F.lp_pool1d)


class LPPool2d(_LPPoolNd):
    """(sum over each window of x**p) ** (1/p) over (N, C, H, W) or (C, H, W) input,
    p = `norm_type`: p = 1 is sum pooling, p = inf max pooling of |x| (see F.lp_pool2d)."""
    _fn = staticmethod(F.lp_pool2d)


class LPPool3d(_LPPoolNd):
    """(sum over each window of x**p) ** (1/p) over (N, C, D, H, W) or (C, D, H, W)
    input, p = `norm_type` (see F.lp_pool3d)."""
    _fn = staticmethod(F.lp_pool3d)


class _MaxUnpoolNd(Module):
    """Calls `_fn(input, indices, kernel_size, stride, padding, output_size)`; stride
    defaults to kernel_size.  The arguments are kept as _n-tuples, as PyTorch's."""
    _fn: Any = None
    _n = 2

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        name, n = type(self).__name__, self._n
        self.kernel_size = ntuple(kernel_size, n, "kernel_size", name)
        self.stride = ntuple(stride if stride is not None else kernel_size, n, "stride", name)
        self.padding = ntuple(padding, n, "padding", name)

    def forward(self, input: Tensor, indices: Tensor, output_size: Any = None) -> Tensor:
        try:
            return type(self)._fn(input, indices, self.kernel_size, self.stride, self.padding,
                                  output_size)
        except (RuntimeError, ValueError, TypeError) as e:
            raise type(e)(f"{self!r}: {e}") from None

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """A partial inverse of MaxPool1d: zeros with input placed at the pooling `indices`
    (see F.max_unpool1d)."""
    _fn = staticmethod(F.max_unpool1d)
    _n = 1


class MaxUnpool2d(_MaxUnpoolNd):
    """A partial inverse of MaxPool2d: zeros with input placed at the pooling `indices`
    (flat h*W + w positions, as MaxPool2d(return_indices=True) gives them; see
    F.max_unpool2d)."""
    _fn = staticmethod(F.max_unpool2d)


class MaxUnpool3d(_MaxUnpoolNd):
    """A partial inverse of MaxPool3d: zeros with input placed at the pooling `indices`
    (flat (t*H + h)*W + w positions, as MaxPool3d(return_indices=True) gives them; see
    F.max_unpool3d)."""
    _fn = staticmethod(F.max_unpool3d)
    _n = 3
