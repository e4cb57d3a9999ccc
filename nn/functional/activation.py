"""nn.functional: activation functions (see nn/functional/__init__.py).

Most activations are compositions of autograd ops, so their gradients and higher
derivatives come for free.  Softmax and log-softmax are fused ops with their own
backward (one pass each way instead of four ops, and log_softmax computed as
x - logsumexp(x) never overflows); both are also Tensor methods, as in PyTorch.
"""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

import autograd as ag
from autograd import Tensor
from autograd.graph import Op, apply, register
from autograd.ops._util import norm_axis, pick

from .layers import check_dtypes

__all__ = ["relu", "leaky_relu", "prelu", "elu", "gelu", "silu", "sigmoid", "tanh",
           "softmax", "log_softmax", "softsign", "softplus", "identity", "arctan", "isru",
           "binary_step"]

_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0); the gradient at 0 is 0 (PyTorch's convention).  `inplace` is accepted
    for PyTorch compatibility; the result is always a new tensor."""
    return ag.relu(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, else negative_slope * x (the gradient at 0 is negative_slope)."""
    return ag.where(input.data > 0, input, input * negative_slope)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x for x > 0, else a * x with a learnable slope per channel: `weight` has 1 or C
    entries, C = input.shape[1] (the channel dim; inputs of fewer than 2 dims have one
    channel)."""
    check_dtypes("prelu", input, {"weight": weight})
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
    neg = ag.expm1(ag.clamp(input, max=0.0)) * alpha
    return ag.where(input.data > 0, input, neg)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit x * Phi(x) = x/2 (1 + erf(x / sqrt 2)); with
    approximate="tanh": x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    if approximate == "none":
        return input * (ag.erf(input * _INV_SQRT2) * 0.5 + 0.5)
    if approximate == "tanh":
        inner = (input + input * input * input * 0.044715) * _SQRT_2_OVER_PI
        return input * (ag.tanh(inner) * 0.5 + 0.5)
    raise RuntimeError(f"gelu: approximate argument must be either 'none' or 'tanh', "
                       f"got {approximate!r}")


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (also called swish)."""
    return input * ag.sigmoid(input)


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + e^-x), computed without overflow for large |x|."""
    return ag.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return ag.tanh(input)


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|)."""
    return input / (ag.abs(input) + 1.0)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^(beta x)) / beta, stable for large |x|; x itself where beta x > threshold."""
    return ag.softplus(input, beta=beta, threshold=threshold)


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


# ---- softmax family (fused) ---------------------------------------------------------

def _softmax_dim(op: str, input: Tensor, dim: Any, axis: Any) -> int:
    d = pick(op, dim, axis)
    if d is None:
        # PyTorch's legacy implicit choice, with its deprecation warning.
        d = 0 if input.ndim in (0, 1, 3) else 1
        warnings.warn(f"Implicit dimension choice for {op} has been deprecated. Change the "
                      f"call to include dim=X as an argument.", UserWarning, stacklevel=3)
    return norm_axis(op, d, input.ndim)


def _shift(x: np.ndarray, axis: int) -> np.ndarray:
    """x - max(x) along `axis` (rows of -inf stay -inf, not nan)."""
    m = np.max(x, axis=axis, keepdims=True)
    return x - np.where(np.isfinite(m), m, 0)


class Softmax(Op):
    """e^x / sum(e^x) along `axis`;  backward: y (g - sum(g y))."""
    name = "Softmax"
    save_inputs = False
    save_output = True

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        e = np.exp(_shift(x, axis))
        e /= e.sum(axis=axis, keepdims=True)
        return e

    @staticmethod
    def backward(ctx, g):
        y = ctx.output
        return y * (g - (g * y).sum(ctx.axis, keepdim=True))


class LogSoftmax(Op):
    """x - logsumexp(x) along `axis`;  backward: g - softmax(x) sum(g)."""
    name = "LogSoftmax"
    save_inputs = False
    save_output = True

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        z = _shift(x, axis)
        z -= np.log(np.exp(z).sum(axis=axis, keepdims=True))
        return z

    @staticmethod
    def backward(ctx, g):
        return g - ag.exp(ctx.output) * g.sum(ctx.axis, keepdim=True)


def _softmax_like(cls: type, op: str, input: Tensor, dim: Any, axis: Any, dtype: Any) -> Tensor:
    d = _softmax_dim(op, input, dim, axis)
    if dtype is not None:
        input = input.to(dtype)
    if input.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point input, got dtype {input.dtype} "
                           f"(convert with .float() first)")
    if input.ndim == 0:
        return apply(cls, input.reshape(1), axis=0).reshape(())
    if input.data.size == 0:
        return input * 1.0
    return apply(cls, input, axis=d)


@register("softmax")
def softmax(input: Tensor, dim: Any = None, *, dtype: Any = None, axis: Any = None) -> Tensor:
    """exp(x) / sum(exp(x)) along `dim`, computed after subtracting the max (no overflow).
    `dtype` casts the input first."""
    return _softmax_like(Softmax, "softmax", input, dim, axis, dtype)


@register("log_softmax")
def log_softmax(input: Tensor, dim: Any = None, *, dtype: Any = None,
                axis: Any = None) -> Tensor:
    """log(softmax(x)) along `dim`, computed as x - logsumexp(x): finite wherever
    softmax would underflow to 0.  `dtype` casts the input first."""
    return _softmax_like(LogSoftmax, "log_softmax", input, dim, axis, dtype)
