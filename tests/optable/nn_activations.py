"""Rows for nn.functional's activations (nn/functional/activation.py) and the erf op
(autograd/ops/special.py) that exact GELU is built on.  References are written in
NumPy (erf from the standard library's math.erf) from each function's formula,
independent of our code; domains keep away from kinks (`away_from`)."""
from __future__ import annotations

import math

import numpy as np
from hypothesis.extra import numpy as hnp

import autograd as ag
import nn
from nn import functional as F

from . import Row, away_from

NONZERO = away_from(0.0)
_erf = np.vectorize(math.erf, otypes=[np.float64])


def _same_dtype(f):
    """Cast a float64-computing reference back to its input's dtype."""
    return lambda x: np.asarray(f(x.astype(np.float64))).astype(x.dtype)


def _prelu_shapes():
    """x (N, C, *) with a weight of C slopes, or a single slope for any x."""
    return hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4).map(
        lambda s: [s, (s[1],) if len(s) >= 2 else (1,)])


def _glu_shapes():
    """One input whose last dim has an even size."""
    return hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3).map(
        lambda s: [s[:-1] + (2 * s[-1],)])


def _np_glu(x):
    a, b = np.split(x, 2, axis=-1)
    return a / (1 + np.exp(-b))


def _np_softmin(x):
    e = np.exp(-x - np.max(-x, axis=-1, keepdims=True)) if x.ndim else np.ones_like(x)
    return e / (e.sum(axis=-1, keepdims=True) if x.ndim else e)


# SELU's constants from Klambauer et al. (2017), eq. 14
_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772848, 1.0507009873554804934


def _softmax2d_shapes():
    """(C, H, W) or (N, C, H, W), small: Softmax2d takes no other rank."""
    return hnp.array_shapes(min_dims=3, max_dims=4, min_side=1, max_side=3).map(lambda s: [s])


def _np_softmax2d(x):
    """exp(x_c) / sum_c exp(x_c) over the channel dim -3, at each spatial position."""
    e = np.exp(x - x.max(axis=-3, keepdims=True))
    return e / e.sum(axis=-3, keepdims=True)


def _np_prelu(x, w):
    a = w.reshape((-1,) + (1,) * (x.ndim - 2)) if x.ndim >= 2 and w.size > 1 else w.reshape(())
    return np.where(x > 0, x, a * x)


ROWS = [
    Row("erf", ag.erf, _same_dtype(_erf), domain=(-4.0, 4.0)),
    Row("F.relu", F.relu, lambda x: np.maximum(x, 0), domain=NONZERO),
    Row("F.leaky_relu", lambda x: F.leaky_relu(x, 0.2),
        lambda x: np.where(x > 0, x, np.float32(0.2) * x), domain=NONZERO),
    Row("F.prelu", F.prelu, _np_prelu, arity=2, shapes=_prelu_shapes,
        domain=[NONZERO, (-1.0, 1.0)]),
    Row("F.elu", lambda x: F.elu(x, alpha=1.5),
        lambda x: np.where(x > 0, x, np.float32(1.5) * np.expm1(np.minimum(x, 0))),
        domain=NONZERO),
    Row("F.gelu", F.gelu, _same_dtype(lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2)))),
        domain=(-4.0, 4.0)),
    Row("F.gelu", lambda x: F.gelu(x, approximate="tanh"), _same_dtype(
        lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))),
        domain=(-4.0, 4.0), label="F.gelu_tanh"),
    Row("F.silu", F.silu, lambda x: x / (1 + np.exp(-x)), domain=(-6.0, 6.0)),
    Row("F.sigmoid", F.sigmoid, lambda x: 1 / (1 + np.exp(-x)), domain=(-6.0, 6.0)),
    Row("F.tanh", F.tanh, np.tanh),
    Row("F.softsign", F.softsign, lambda x: x / (1 + np.abs(x)), domain=NONZERO),
    Row("F.softplus", lambda x: F.softplus(x, beta=2.0, threshold=5.0),
        lambda x: np.where(2 * x > 5, x, np.log1p(np.exp(2 * x)) / 2).astype(x.dtype),
        domain=away_from(2.5, lo=-4.0, hi=4.0)),
    Row("F.identity", lambda x: F.identity(x) * 1.0, lambda x: x),
    Row("F.arctan", F.arctan, np.arctan),
    Row("F.isru", lambda x: F.isru(x, alpha=0.5),
        lambda x: x / np.sqrt(1 + np.float32(0.5) * x * x), domain=(-4.0, 4.0)),
    Row("F.binary_step", F.binary_step, lambda x: (x >= 0).astype(x.dtype), domain=NONZERO),
    Row("F.relu6", F.relu6, lambda x: np.minimum(np.maximum(x, 0), 6),
        domain=away_from(0.0, 6.0, lo=-2.0, hi=8.0)),
    Row("F.hardtanh", lambda x: F.hardtanh(x, -0.5, 1.25), lambda x: np.clip(x, -0.5, 1.25),
        domain=away_from(-0.5, 1.25)),
    Row("F.hardsigmoid", F.hardsigmoid, lambda x: np.clip(x / 6 + 0.5, 0, 1),
        domain=away_from(-3.0, 3.0, lo=-5.0, hi=5.0)),
    Row("F.hardswish", F.hardswish, lambda x: x * np.clip(x + 3, 0, 6) / 6,
        domain=away_from(-3.0, 3.0, lo=-5.0, hi=5.0)),
    Row("F.selu", F.selu, _same_dtype(
        lambda x: _SELU_SCALE * np.where(x > 0, x, _SELU_ALPHA * (np.exp(np.minimum(x, 0)) - 1))),
        domain=away_from(0.0, lo=-4.0, hi=4.0)),
    Row("F.celu", lambda x: F.celu(x, alpha=0.6), _same_dtype(
        lambda x: np.maximum(x, 0) + np.minimum(0, 0.6 * (np.exp(np.minimum(x, 0) / 0.6) - 1))),
        domain=away_from(0.0, lo=-4.0, hi=4.0)),
    Row("F.mish", F.mish, _same_dtype(lambda x: x * np.tanh(np.log1p(np.exp(x)))),
        domain=(-6.0, 6.0)),
    Row("F.logsigmoid", F.logsigmoid, _same_dtype(lambda x: np.log(1 / (1 + np.exp(-x)))),
        domain=(-8.0, 8.0)),
    Row("F.softmin", lambda x: F.softmin(x, -1 if x.ndim else 0), _np_softmin,
        domain=(-5.0, 5.0)),
    Row("F.glu", F.glu, _np_glu, shapes=_glu_shapes, domain=(-4.0, 4.0)),
    Row("F.threshold", lambda x: F.threshold(x, 0.5, -1.5),
        lambda x: np.where(x > 0.5, x, np.float32(-1.5)), domain=away_from(0.5)),
    Row("F.softshrink", lambda x: F.softshrink(x, 0.75),
        lambda x: np.sign(x) * np.maximum(np.abs(x) - np.float32(0.75), 0),
        domain=away_from(-0.75, 0.75)),
    Row("F.hardshrink", lambda x: F.hardshrink(x, 0.75),
        lambda x: np.where(np.abs(x) > 0.75, x, np.float32(0)), domain=away_from(-0.75, 0.75)),
    Row("F.tanhshrink", F.tanhshrink, lambda x: x - np.tanh(x), domain=(-3.0, 3.0)),
    # rrelu's eval mode: the fixed slope (lower + upper) / 2 = 0.25 (training draws slopes:
    # tests/test_nn_activations.py checks those)
    Row("F.rrelu", lambda x: F.rrelu(x, 0.1, 0.4),
        lambda x: np.where(x >= 0, x, np.float32(0.25) * x), domain=NONZERO),
    Row("F.rrelu", lambda x: F.rrelu(x),
        lambda x: np.where(x >= 0, x, np.float32((1 / 8 + 1 / 3) / 2) * x), domain=NONZERO,
        label="F.rrelu_defaults"),
    Row("nn.Softmax2d", nn.Softmax2d(), _np_softmax2d, shapes=_softmax2d_shapes,
        domain=(-4.0, 4.0)),
    # The in-place forms, on a copy (a leaf that requires grad refuses): the recorded
    # change rebases the copy's history onto the activation.
    Row("F.leaky_relu_", lambda x: F.leaky_relu_(x * 1.0, 0.2),
        lambda x: np.where(x > 0, x, np.float32(0.2) * x), domain=NONZERO),
    Row("F.elu_", lambda x: F.elu_(x * 1.0, 1.5),
        lambda x: np.where(x > 0, x, np.float32(1.5) * np.expm1(np.minimum(x, 0))),
        domain=NONZERO),
    Row("F.celu_", lambda x: F.celu_(x * 1.0, 0.6), _same_dtype(
        lambda x: np.where(x > 0, x, 0.6 * np.expm1(np.minimum(x, 0) / 0.6))), domain=NONZERO),
    Row("F.hardtanh_", lambda x: F.hardtanh_(x * 1.0, -0.5, 1.25),
        lambda x: np.clip(x, -0.5, 1.25), domain=away_from(-0.5, 1.25)),
    Row("F.threshold_", lambda x: F.threshold_(x * 1.0, 0.5, -1.5),
        lambda x: np.where(x > 0.5, x, np.float32(-1.5)), domain=away_from(0.5)),
]
