"""nn.functional: activation functions (see nn/functional/__init__.py).

Most activations are compositions of autograd ops, so their gradients and higher
derivatives come for free.  softmax and log_softmax are autograd's fused ops
(autograd/ops/softmax.py), behind PyTorch's check of the input dtype.

Like PyTorch's kernels, most activations refuse integer and bool tensors
(NotImplementedError: `_floating_only`) rather than compute in a float dtype they
were not given; relu keeps integers, and sigmoid, tanh, softsign and arctan promote
them to float as PyTorch's do.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

import autograd as ag
from autograd import Tensor
from autograd.graph import Op, apply
from autograd.ops import softmax as _softmax

from .layers import check_dtypes

__all__ = ["relu", "leaky_relu", "prelu", "elu", "gelu", "silu", "sigmoid", "tanh",
           "softmax", "log_softmax", "softsign", "softplus", "identity", "arctan", "isru",
           "binary_step"]

# PyTorch's names of the non-floating dtypes, for its "not implemented for" message.
_TORCH_NAMES = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
                "uint8": "Byte", "bool": "Bool"}


def _dtype(input: Any) -> np.dtype:
    if isinstance(input, Tensor):   # (the hot case: no property, no conversion)
        return input._data.dtype
    return input.dtype if hasattr(input, "dtype") else np.asarray(input).dtype


def _floating_only(op: str, input: Tensor, dtype: Any = None) -> None:
    """Raise NotImplementedError, as PyTorch's kernels do, for a non-floating input
    (or `dtype`, when the op casts to it first)."""
    dt = _dtype(input) if dtype is None else np.dtype(dtype)
    if dt.kind not in "fc":
        name = _TORCH_NAMES.get(dt.name, dt.name)
        raise NotImplementedError(f'"{op}" not implemented for \'{name}\': {op} needs a '
                                  f"floating input, got dtype {dt} (convert with .float())")


_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0); the gradient at 0 is 0 (PyTorch's convention).  `inplace` is accepted
    for PyTorch compatibility; the result is always a new tensor.  Integers stay
    integers; bool raises RuntimeError, as in PyTorch."""
    if _dtype(input).kind == "b":
        raise RuntimeError("relu: Boolean inputs not supported for relu (convert with "
                           ".float() or .long())")
    return ag.relu(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, else negative_slope * x (the gradient at 0 is negative_slope)."""
    _floating_only("leaky_relu", input)
    return ag.where(input.data > 0, input, input * negative_slope)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x for x > 0, else a * x with a learnable slope per channel: `weight` has 1 or C
    entries, C = input.shape[1] (the channel dim; inputs of fewer than 2 dims have one
    channel)."""
    check_dtypes("prelu", input, {"weight": weight})
    _floating_only("prelu", input)
    n = weight.numel()
    channels = input.shape[1] if input.ndim >= 2 else 1
    if weight.ndim > 1 or n not in (1, channels):
        raise RuntimeError(f"prelu: mismatch of parameter numbers and input channel size: "
                           f"weight of shape {tuple(weight.shape)} for input of shape "
                           f"{tuple(input.shape)} (channel size {channels})")
    if n > 1:  # align the slopes with dim 1
        weight = weight.reshape((n,) + (1,) * (input.ndim - 2))
    elif weight.ndim:
        weight = weight.reshape(())
    return ag.where(input.data > 0, input, input * weight)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, else alpha (e^x - 1).  The exponential sees min(x, 0) so the
    unused branch cannot overflow and poison the gradient with inf * 0."""
    _floating_only("elu", input)
    neg = ag.expm1(ag.clamp(input, max=0.0)) * alpha
    return ag.where(input.data > 0, input, neg)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit x * Phi(x) = x/2 (1 + erf(x / sqrt 2)); with
    approximate="tanh": x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    _floating_only("gelu", input)
    if approximate == "none":
        return input * (ag.erf(input * _INV_SQRT2) * 0.5 + 0.5)
    if approximate == "tanh":
        inner = (input + input * input * input * 0.044715) * _SQRT_2_OVER_PI
        return input * (ag.tanh(inner) * 0.5 + 0.5)
    raise RuntimeError(f"gelu: approximate argument must be either 'none' or 'tanh', "
                       f"got {approximate!r}")


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (also called swish)."""
    _floating_only("silu", input)
    return input * ag.sigmoid(input)


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + e^-x), computed without overflow for large |x|."""
    return ag.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return ag.tanh(input)


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|); integers give float, bool raises (PyTorch's abs refuses it)."""
    if _dtype(input).kind == "b":
        _floating_only("softsign", input)
    return input / (ag.abs(input) + 1.0)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^(beta x)) / beta, stable for large |x|; x itself where beta x > threshold."""
    _floating_only("softplus", input)
    return ag.softplus(input, beta=beta, threshold=threshold)


def softmax(input: Tensor, dim: Any = None, _stacklevel: int = 3, dtype: Any = None, *,
            axis: Any = None) -> Tensor:
    """exp(x) / sum(exp(x)) along `dim` (autograd's softmax); `dtype` casts first."""
    _floating_only("softmax", input, dtype)
    return _softmax.softmax(input, dim, dtype=dtype, axis=axis)


def log_softmax(input: Tensor, dim: Any = None, _stacklevel: int = 3, dtype: Any = None, *,
                axis: Any = None) -> Tensor:
    """log(softmax(x)) along `dim` (autograd's log_softmax); `dtype` casts first."""
    _floating_only("log_softmax", input, dtype)
    return _softmax.log_softmax(input, dim, dtype=dtype, axis=axis)


def identity(input: Tensor) -> Tensor:
    """The input, unchanged."""
    return input


def arctan(input: Tensor) -> Tensor:
    """Inverse tangent, a bounded activation with range (-pi/2, pi/2)."""
    return ag.arctan(input)


def isru(input: Tensor, alpha: float = 1.0) -> Tensor:
    """Inverse square root unit x / sqrt(1 + alpha x^2), range (-1/sqrt(alpha), 1/sqrt(alpha))."""
    return input / ag.sqrt(input * input * alpha + 1.0)


class BinaryStep(Op):
    """1 where x >= 0 else 0; the gradient is zero everywhere (the step's derivative,
    taken as 0 at the jump too)."""
    name = "BinaryStep"
    save_inputs = False

    @staticmethod
    def forward(ctx, x):
        return (x >= 0).astype(x.dtype)

    @staticmethod
    def backward(ctx, g):
        return ag.zeros_like(g)


def binary_step(input: Tensor) -> Tensor:
    """Heaviside step with threshold convention step(0) = 1: 1.0 where x >= 0, else 0.0
    (NaN gives 0).  Its gradient is zero everywhere (also at 0), so nothing learns
    through it: use it at the output, or a smooth surrogate such as sigmoid to train."""
    return apply(BinaryStep, input)


