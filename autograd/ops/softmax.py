"""The softmax family along one dimension: softmax and log_softmax, fused ops with
their own backward (one pass each way instead of four ops; log_softmax is computed as
x - logsumexp(x), so it never overflows).  Both are Tensor methods and
``autograd.softmax``/``log_softmax``, as in PyTorch; nn.functional re-exports them."""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..graph import Op, apply, register
from ..tensor import Tensor
from ._util import norm_axis, pick, reduce_keep
from .elementwise import exp


def _softmax_dim(op: str, input: Tensor, dim: Any, axis: Any) -> int:
    d = pick(op, dim, axis)
    if d is None:
        # PyTorch's legacy implicit choice, with its deprecation warning.
        d = 0 if input.ndim in (0, 1, 3) else 1
        warnings.warn(f"Implicit dimension choice for {op} has been deprecated. Change the "
                      f"call to include dim=X as an argument.", UserWarning, stacklevel=3)
    return norm_axis(op, d, input.ndim)


def _shift(x: np.ndarray, axis: int) -> np.ndarray:
    """x - max(x) along `axis`: a slice holding +inf, or only -inf, comes out NaN, and
    so does its softmax, as in PyTorch."""
    return x - reduce_keep(np.maximum, x, axis)


class Softmax(Op):
    """e^x / sum(e^x) along `axis`;  backward: y (g - sum(g y))."""
    name = "Softmax"
    save_inputs = False
    save_output = True

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        e = np.exp(_shift(x, axis))
        e /= reduce_keep(np.add, e, axis)
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
        z -= np.log(reduce_keep(np.add, np.exp(z), axis))
        return z

    @staticmethod
    def backward(ctx, g):
        return g - exp(ctx.output) * g.sum(ctx.axis, keepdim=True)


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
