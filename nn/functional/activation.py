"""nn.functional: activation functions (see nn/functional/__init__.py).

Most activations are compositions of autograd ops, so their gradients and higher
derivatives come for free.  softmax and log_softmax (and softmin, softmax of -x) are
autograd's fused ops (autograd/ops/softmax.py), behind PyTorch's check of the input
dtype.  Where PyTorch's gradient at a kink differs from what the composition would give
(hardtanh at its bounds, threshold at the threshold, ...), the mask that picks the
branch is PyTorch's.

Like PyTorch's kernels, most activations refuse integer and bool tensors
(NotImplementedError: `_floating_only`) rather than compute in a float dtype they
were not given; relu, relu6, hardtanh and threshold keep integers, and sigmoid, tanh,
softsign, arctan and tanhshrink promote them to float as PyTorch's do.

An `inplace=` argument is accepted wherever PyTorch has one, for compatibility, but
ignored: the result is always a new tensor.  The in-place forms PyTorch exports
(relu_, elu_, leaky_relu_, hardtanh_, threshold_, celu_, selu_, rrelu_) do change their
input, through autograd's in-place mechanism (autograd/ops/inplace.py): the version
counter is bumped, a leaf that requires grad refuses, and a recorded change rebases the
tensor's history onto the out-of-place function.
"""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

import autograd as ag
from autograd import Tensor
from autograd.graph import Op, apply
from autograd.ops import softmax as _softmax
from autograd.ops._util import norm_axis
from autograd.ops.inplace import _computed_into
from autograd.random import generator

from .layers import check_dtypes

__all__ = ["relu", "leaky_relu", "prelu", "elu", "gelu", "silu", "sigmoid", "tanh",
           "softmax", "log_softmax", "softsign", "softplus", "identity", "arctan", "isru",
           "binary_step", "relu6", "hardtanh", "hardsigmoid", "hardswish", "selu", "celu",
           "mish", "logsigmoid", "softmin", "glu", "threshold", "softshrink", "hardshrink",
           "tanhshrink", "rrelu", "gumbel_softmax", "relu_", "elu_", "leaky_relu_",
           "hardtanh_", "threshold_", "celu_", "selu_", "rrelu_"]

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


def _refuse_bool(op: str, input: Any) -> None:
    """Raise RuntimeError for a bool input, as PyTorch does where its kernel takes
    integers but not bools (or where the op negates or subtracts the input)."""
    if _dtype(input).kind == "b":
        raise RuntimeError(f"{op}: Boolean inputs not supported for {op} (convert with "
                           f".float() or .long())")


def _in_dtype(input: Tensor, value: float) -> float:
    """A scalar argument as the input's kernel sees it: truncated for an integer input,
    as PyTorch's cast does, so integer tensors stay integer."""
    return int(value) if _dtype(input).kind in "iu" else value


_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
# SELU's fixed point constants (Klambauer et al. 2017), to PyTorch's digits.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0); the gradient at 0 is 0 (PyTorch's convention).  `inplace` is accepted
    for PyTorch compatibility; the result is always a new tensor.  Integers stay
    integers; bool raises RuntimeError, as in PyTorch."""
    _refuse_bool("relu", input)
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


def _elu(op: str, input: Tensor, alpha: float, scale: float = 1.0,
         input_scale: float = 1.0) -> Tensor:
    """PyTorch's ELU family: scale x for x > 0, else scale alpha (e^(input_scale x) - 1).
    The exponential sees min(x, 0) so the unused branch cannot overflow and poison the
    gradient with inf * 0."""
    _floating_only(op, input)
    neg = ag.clamp(input, max=0.0)
    neg = ag.expm1(neg if input_scale == 1 else neg * input_scale) * (alpha * scale)
    return ag.where(input.data > 0, input if scale == 1 else input * scale, neg)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, else alpha (e^x - 1); the gradient at 0 is alpha."""
    return _elu("elu", input, alpha)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with SELU's constants alpha = 1.6733, scale = 1.0507, which
    keep activations near zero mean and unit variance; the gradient at 0 is
    scale * alpha."""
    return _elu("selu", input, _SELU_ALPHA, scale=_SELU_SCALE)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, else alpha (e^(x/alpha) - 1): continuously differentiable for every
    alpha (the gradient at 0 is 1)."""
    if alpha == 0:
        raise RuntimeError("celu: ZeroDivisionError: alpha cannot be 0 for CELU")
    return _elu("celu", input, alpha, input_scale=1.0 / alpha)


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


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x tanh(softplus(x)); softplus is autograd's overflow-free op, so large |x| give
    finite values and gradients."""
    _floating_only("mish", input)
    return input * ag.tanh(ag.softplus(input))


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x) = min(x, 0) - log(1 + e^-|x|): finite, with a
    finite gradient sigmoid(-x), for every finite x."""
    _floating_only("logsigmoid", input)
    # An infinite threshold keeps softplus off its linear shortcut, which is off by e^-x
    # (a relative 4e-11 at x = -21, where the exact form is still representable).
    return -ag.softplus(-input, threshold=math.inf)


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


def softmin(input: Tensor, dim: Any = None, _stacklevel: int = 3, dtype: Any = None, *,
            axis: Any = None) -> Tensor:
    """softmax(-x) = exp(-x) / sum(exp(-x)) along `dim`; `dtype` casts after the
    negation, as in PyTorch."""
    _refuse_bool("softmin", input)   # PyTorch negates first, and bools cannot be negated
    _floating_only("softmin", input, dtype)
    return _softmax._softmax_like(_softmax.Softmax, "softmin", -input, dim, axis, dtype)


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


def _hard_clamp(input: Tensor, lo: float, hi: float, flat: Any) -> Tensor:
    """clamp(input, lo, hi) with a zero gradient wherever the bool array `flat` holds:
    PyTorch's hard activations pass no gradient at the bounds themselves, where clamp
    does."""
    return ag.where(flat, ag.clamp(input, lo, hi).detach(), input)


def _hardtanh(op: str, input: Tensor, min_val: float, max_val: float) -> Tensor:
    _refuse_bool(op, input)
    lo, hi = _in_dtype(input, min_val), _in_dtype(input, max_val)
    x = input.data
    return _hard_clamp(input, lo, hi, (x <= lo) | (x >= hi))


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """clamp(x, min_val, max_val), with gradient 1 strictly between the bounds and 0 at
    and beyond them.  Integers stay integers (the bounds truncated); bool raises."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val cannot be greater than max_val, got "
                         f"min_val={min_val} and max_val={max_val}")
    return _hardtanh("hardtanh", input, min_val, max_val)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6) = hardtanh(x, 0, 6): gradient 0 at 0 and at 6."""
    return _hardtanh("relu6", input, 0.0, 6.0)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6: 0 for x <= -3, 1 for x >= 3, x/6 + 1/2 between; the gradient is
    1/6 strictly inside (-3, 3), else 0."""
    _floating_only("hardsigmoid", input)
    x = input.data
    # The mask reads x itself: x + 3 may round onto a bound (3 - ulp + 3 == 6).
    return _hard_clamp(input + 3.0, 0.0, 6.0, (x <= -3.0) | (x >= 3.0)) / 6.0


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x relu6(x + 3) / 6 = x hardsigmoid(x): 0 for x <= -3, x for x >= 3; the gradient
    is 0 at -3 and 1 at 3, as in PyTorch."""
    _floating_only("hardswish", input)
    return input * hardsigmoid(input)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """Gated linear unit a * sigmoid(b), a and b the first and second halves of the
    input along `dim`, which must have an even size."""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = norm_axis("glu", dim, input.ndim)
    if input.shape[d] % 2:
        raise RuntimeError(f"glu: Halving dimension must be even, but dimension {d} is "
                           f"size {input.shape[d]} (input of shape {tuple(input.shape)})")
    _floating_only("glu", input)
    a, b = input.chunk(2, d)
    return a * ag.sigmoid(b)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, else value; the gradient is 0 at x == threshold.  Integers
    stay integers (threshold and value truncated); bool raises."""
    if _dtype(input).kind == "b":
        _floating_only("threshold", input)
    t, v = _in_dtype(input, threshold), _in_dtype(input, value)
    # PyTorch tests x <= threshold, so a NaN stays NaN rather than becoming `value`.
    return ag.where(input.data <= t, v, input)


_threshold = threshold   # (threshold_'s argument of the same name hides it)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - clamp(x, -lambd, lambd): x - lambd above lambd, x + lambd below -lambd, 0
    between; the gradient is 0 at +-lambd.  lambd must lie in [0, the dtype's max]."""
    _floating_only("softshrink", input)
    top = float(np.finfo(_dtype(input)).max)
    if not 0 <= lambd <= top:
        raise RuntimeError(f"softshrink: lambda must be in range [0, {top:g}] for input "
                           f"dtype {_dtype(input)}, but found {lambd}")
    return input - ag.clamp(input, -lambd, lambd)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0; the gradient is 0 at +-lambd.  A negative lambd
    shrinks nothing (PyTorch accepts it)."""
    _floating_only("hardshrink", input)
    x = input.data
    return ag.where((x >= -lambd) & (x <= lambd), 0.0, input)


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x); integers give float (tanh promotes them), bool raises RuntimeError."""
    _refuse_bool("tanhshrink", input)
    return input - ag.tanh(input)


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
          training: bool = False, inplace: bool = False) -> Tensor:
    """Randomized leaky ReLU: x for x > 0, else a x.  In training each element draws its
    own slope a ~ U(lower, upper) (from the generator seeded by ``autograd.manual_seed``),
    and the gradient is that same a (at x = 0 too, as PyTorch's); otherwise the slope is
    fixed, a = (lower + upper) / 2: leaky_relu(x, a)."""
    _floating_only("rrelu", input)
    if not lower <= upper:
        raise RuntimeError(f"rrelu: Lower bound should be less than or equal to the upper "
                           f"bound, got lower={lower} and upper={upper}")
    if not training:
        return leaky_relu(input, (lower + upper) / 2)
    slopes = generator().uniform(lower, upper, input.shape).astype(_dtype(input))
    return ag.where(input.data > 0, input, input * slopes)


def gumbel_softmax(logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1) -> Tensor:
    """A sample of the Gumbel-softmax (concrete) distribution:
    y = softmax((logits + g) / tau) along `dim`, g_i = -log(E_i) standard Gumbel noise
    (E_i ~ Exp(1), from the generator seeded by ``autograd.manual_seed``).  With `hard`,
    the straight-through estimate y_hard - y.detach() + y: one-hot at argmax y in value,
    with the soft sample's gradient.  `eps` is deprecated and ignored (warns when set),
    as in PyTorch."""
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    _floating_only("gumbel_softmax", logits)
    dt = _dtype(logits)
    noise = generator().standard_exponential(np.shape(logits.data),
                                             dtype=dt if dt.itemsize >= 4 else np.float32)
    with np.errstate(divide="ignore"):   # (an exponential draw of 0 gives inf, as -log 0)
        gumbels = (-np.log(noise)).astype(dt)
    y_soft = softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    d = norm_axis("gumbel_softmax", dim, max(logits.ndim, 1))
    y = y_soft.data.reshape(y_soft.shape or (1,))
    one_hot = np.zeros(y.shape, dt)
    np.put_along_axis(one_hot, np.argmax(y, d)[(slice(None),) * d + (None,)], 1, d)
    return one_hot.reshape(y_soft.shape) - y_soft.detach() + y_soft


# ---- in-place forms --------------------------------------------------------------------

def _refuse_negative(op: str, kind: str) -> None:
    """PyTorch computes these in-place gradients from the output, which a negative slope
    makes ambiguous, so it refuses them in backward: so do we, from the same place."""
    raise RuntimeError(f"{op}: In-place {kind} backward calculation is triggered with a "
                       f"negative slope which is not supported. This is caused by calling "
                       f"in-place forward function with a negative slope, please call "
                       f"out-of-place version instead.")


class _NoInplaceBackward(Op):
    """The identity, whose backward raises (`_refuse_negative`): it marks a recorded
    in-place activation whose gradient PyTorch refuses."""
    name = "NoInplaceBackward"
    save_inputs = False

    @staticmethod
    def forward(ctx, x, op, kind):
        ctx.op, ctx.kind = op, kind
        return x

    @staticmethod
    def backward(ctx, g):
        _refuse_negative(ctx.op, ctx.kind)


def _in_place(op: str, fn: Any, input: Tensor, *args: Any, refuse: str | None = None) -> Tensor:
    """``fn(input, *args)`` stored into `input` by autograd's in-place mechanism (version
    bump, leaf check, history rebased when recorded).  `refuse`: the kind of gradient
    PyTorch refuses for this call; backward through it raises."""
    if refuse is not None:
        run = fn

        def fn(x: Tensor, *a: Any) -> Tensor:
            out = run(x, *a)
            return apply(_NoInplaceBackward, out, op=op, kind=refuse) \
                if out.requires_grad else out
    return _computed_into(input, op, fn, args, {})


def relu_(input: Tensor) -> Tensor:
    """relu, in place: returns `input`, changed."""
    return _in_place("relu_", relu, input)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """leaky_relu, in place.  As in PyTorch, a negative slope has no gradient in place
    (backward raises RuntimeError): use leaky_relu."""
    return _in_place("leaky_relu_", leaky_relu, input, negative_slope,
                     refuse="leakyReLu" if negative_slope < 0 else None)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """elu, in place.  As in PyTorch, a negative alpha has no gradient in place
    (backward raises RuntimeError): use elu."""
    return _in_place("elu_", elu, input, alpha, refuse="elu" if alpha < 0 else None)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """celu, in place.  As in PyTorch, a negative alpha has no gradient in place
    (backward raises RuntimeError): use celu."""
    return _in_place("celu_", celu, input, alpha, refuse="elu" if alpha < 0 else None)


def selu_(input: Tensor) -> Tensor:
    """selu, in place."""
    return _in_place("selu_", selu, input)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """hardtanh, in place.  Like PyTorch's, it does not check min_val <= max_val (every
    element then becomes max_val)."""
    return _in_place("hardtanh_", lambda x, lo, hi: _hardtanh("hardtanh", x, lo, hi), input,
                     min_val, max_val)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """threshold, in place: x where x > threshold, else value."""
    return _in_place("threshold_", _threshold, input, threshold, value)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
           training: bool = False) -> Tensor:
    """rrelu, in place (in training, the random slopes are drawn once).  As in PyTorch,
    outside training a negative mean slope has no gradient in place (backward raises
    RuntimeError)."""
    refuse = "leakyReLu" if not training and (lower + upper) / 2 < 0 else None
    return _in_place("rrelu_", rrelu, input, lower, upper, training, refuse=refuse)
