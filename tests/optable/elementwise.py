"""Rows for autograd.ops.elementwise: math functions, activations, clamping,
maximum/minimum, where."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import autograd as ag

from . import Row, away_from, nonempty, POS, NONZERO

OFF_INTEGERS = away_from(-2.0, -1.0, 0.0, 1.0, 2.0, lo=-2.5, hi=2.5)
UNIT = (-0.9, 0.9)   # inside asin's, acos's and atanh's (-1, 1)


def _exact_ties(arrays):
    """Pairs closer than the finite-difference step become exact ties (gradient 1/2 each,
    which central differences reproduce); near-ties would straddle the kink."""
    a, b = arrays
    return [a, np.where(np.abs(a - b) < 0.05, a, b)]


def _with_infinities(arrays):
    """x beyond +-1.5 replaced by +-inf (for the infinity tests)."""
    (x,) = arrays
    return [np.where(x > 1.5, np.inf, np.where(x < -1.5, -np.inf, x))]


def _exponents(shape):
    """Integer exponents -2..2 for ldexp, fixed by the shape."""
    return (np.arange(int(np.prod(shape))) % 5 - 2).reshape(shape)


def _off_clamp_bounds(arrays):
    """x at least 0.05 from its bounds (lo < -0.5 < 0.5 < hi)."""
    x, lo, hi = arrays
    x = np.where(np.abs(x - lo) < 0.05, lo - 0.1, x)
    return [np.where(np.abs(x - hi) < 0.05, hi + 0.1, x), lo, hi]


ROWS = [
    Row("exp", ag.exp, np.exp),
    Row("expm1", ag.expm1, np.expm1),
    Row("log", ag.log, np.log, domain=POS),
    Row("log1p", ag.log1p, np.log1p, domain=(-0.5, 3.0)),
    Row("sqrt", ag.sqrt, np.sqrt, domain=POS),
    Row("sin", ag.sin, np.sin),
    Row("cos", ag.cos, np.cos),
    Row("tanh", ag.tanh, np.tanh),
    Row("sigmoid", ag.sigmoid, lambda x: 1 / (1 + np.exp(-x)), domain=(-6, 6)),
    Row("relu", ag.relu, lambda x: np.maximum(x, 0), domain=NONZERO),
    Row("arctan", ag.arctan, np.arctan),
    Row("abs", ag.abs, np.abs, domain=NONZERO),
    Row("softplus", ag.softplus, lambda x: np.log1p(np.exp(x)), domain=(-5, 5)),
    Row("softplus", lambda x: ag.softplus(x, beta=2.0, threshold=3.0),
        lambda x: np.where(2 * x > 3, x, np.log1p(np.exp(2 * x)) / 2),
        domain=away_from(1.5, lo=-3, hi=3), label="softplus_beta_threshold"),
    Row("clamp", lambda x: ag.clamp(x, -0.5, 0.7), lambda x: np.clip(x, -0.5, 0.7),
        domain=away_from(-0.5, 0.7)),
    Row("clamp", lambda x: ag.clamp(x, min=0.3), lambda x: np.maximum(x, 0.3),
        domain=away_from(0.3), label="clamp_min"),
    Row("clip", lambda x: ag.clip(x, -0.5, 0.7), lambda x: np.clip(x, -0.5, 0.7),
        domain=away_from(-0.5, 0.7)),
    Row("clamp", lambda x, lo, hi: ag.clamp(x, lo, hi), np.clip, arity=3, shapes="same",
        domain=[(-2, 2), (-1.5, -0.5), (0.5, 1.5)], prepare=_off_clamp_bounds,
        label="clamp_tensor_bounds"),
    Row("maximum", ag.maximum, np.maximum, arity=2, shapes="same", prepare=_exact_ties,
        order2=False),  # the gradient jumps at a tie: no second derivative there
    Row("maximum", ag.maximum, np.maximum, arity=2, domain=[NONZERO, (-0.01, 0.01)],
        label="maximum_broadcast"),
    Row("minimum", ag.minimum, np.minimum, arity=2, shapes="same", prepare=_exact_ties,
        order2=False),  # the gradient jumps at a tie: no second derivative there
    Row("minimum", ag.minimum, np.minimum, arity=2, domain=[NONZERO, (-0.01, 0.01)],
        label="minimum_broadcast"),
    Row("where", lambda a, b: ag.where(a > 0, a, b), lambda a, b: np.where(a > 0, a, b),
        arity=2, domain=NONZERO),
    Row("sign", ag.sign, np.sign, grad=False),
    Row("sgn", ag.sgn, np.sign, grad=False),
    # piecewise constant (gradient 0) away from their jumps
    Row("floor", ag.floor, np.floor, domain=OFF_INTEGERS),
    Row("ceil", ag.ceil, np.ceil, domain=OFF_INTEGERS),
    Row("trunc", ag.trunc, np.trunc, domain=OFF_INTEGERS),
    Row("fix", ag.fix, np.trunc, domain=OFF_INTEGERS),
    Row("round", ag.round, np.round, domain=away_from(-1.5, -0.5, 0.5, 1.5)),
    Row("round", lambda x: ag.round(x, decimals=1), lambda x: np.round(x, 1),
        domain=st.integers(-19, 19).map(lambda k: k / 10 + 0.02), label="round_decimals"),
    Row("frac", ag.frac, lambda x: x - np.trunc(x), domain=OFF_INTEGERS),
    Row("log2", ag.log2, np.log2, domain=POS),
    Row("log10", ag.log10, np.log10, domain=POS),
    Row("exp2", ag.exp2, np.exp2),
    Row("rsqrt", ag.rsqrt, lambda x: 1 / np.sqrt(x), domain=POS),
    Row("reciprocal", ag.reciprocal, lambda x: 1 / x, domain=away_from(0.0, gap=0.3)),
    Row("square", ag.square, np.square),
    Row("tan", ag.tan, np.tan, domain=(-1.2, 1.2)),
    Row("sinh", ag.sinh, np.sinh),
    Row("cosh", ag.cosh, np.cosh),
    Row("asin", ag.asin, np.arcsin, domain=UNIT),
    Row("arcsin", ag.arcsin, np.arcsin, domain=UNIT),
    Row("acos", ag.acos, np.arccos, domain=UNIT),
    Row("arccos", ag.arccos, np.arccos, domain=UNIT),
    Row("atan", ag.atan, np.arctan),
    Row("asinh", ag.asinh, np.arcsinh),
    Row("arcsinh", ag.arcsinh, np.arcsinh),
    Row("acosh", ag.acosh, np.arccosh, domain=(1.1, 3.0)),
    Row("arccosh", ag.arccosh, np.arccosh, domain=(1.1, 3.0)),
    Row("atanh", ag.atanh, np.arctanh, domain=UNIT),
    Row("arctanh", ag.arctanh, np.arctanh, domain=UNIT),
    Row("logit", ag.logit, lambda x: np.log(x / (1 - x)), domain=(0.05, 0.95)),
    Row("logit", lambda x: ag.logit(x, eps=0.2),
        lambda x: np.log(np.clip(x, 0.2, 0.8) / (1 - np.clip(x, 0.2, 0.8))),
        domain=away_from(0.2, 0.8, lo=0.05, hi=0.95), label="logit_eps"),
    Row("nan_to_num", ag.nan_to_num, np.nan_to_num),
    Row("isnan", ag.isnan, np.isnan, grad=False),
    Row("isinf", ag.isinf, np.isinf, grad=False),
    Row("isfinite", ag.isfinite, np.isfinite, grad=False),
    Row("clamp_min", lambda x: ag.clamp_min(x, 0.3), lambda x: np.maximum(x, 0.3),
        domain=away_from(0.3)),
    Row("clamp_max", lambda x: ag.clamp_max(x, 0.3), lambda x: np.minimum(x, 0.3),
        domain=away_from(0.3)),
    # atan2 and hypot: a away from 0 keeps off the origin and atan2's branch cut
    Row("atan2", ag.atan2, np.arctan2, arity=2, domain=[NONZERO, (-2, 2)]),
    Row("arctan2", ag.arctan2, np.arctan2, arity=2, domain=[NONZERO, (-2, 2)]),
    Row("hypot", ag.hypot, np.hypot, arity=2, domain=[NONZERO, (-2, 2)]),
    Row("logaddexp", ag.logaddexp, np.logaddexp, arity=2),
    Row("xlogy", ag.xlogy, lambda x, y: x * np.log(y), arity=2, domain=[(-2, 2), POS]),
    # fmax/fmin give a tie's gradient to the first input: no ties
    Row("fmax", ag.fmax, np.fmax, arity=2, domain=[NONZERO, (-0.01, 0.01)]),
    Row("fmin", ag.fmin, np.fmin, arity=2, domain=[NONZERO, (-0.01, 0.01)]),
    Row("lerp", lambda a, b: ag.lerp(a, b, 0.3), lambda a, b: a + 0.3 * (b - a), arity=2),
    Row("lerp", lambda a, b: ag.lerp(a, b, 0.7), lambda a, b: b - (b - a) * 0.3, arity=2,
        label="lerp_weight_above_half"),
    Row("lerp", ag.lerp, lambda a, b, w: a + w * (b - a), arity=3,
        domain=[(-2, 2), (-2, 2), (-0.5, 1.5)], label="lerp_tensor_weight"),
    # copysign: no sign change of either operand within a finite-difference step
    Row("copysign", ag.copysign, np.copysign, arity=2, domain=NONZERO),
    Row("heaviside", ag.heaviside, np.heaviside, arity=2, grad=False,
        prepare=lambda xs: [np.round(xs[0]), xs[1]]),   # (zeros, where `values` is taken)
    Row("deg2rad", ag.deg2rad, np.deg2rad),
    Row("rad2deg", ag.rad2deg, np.rad2deg),
    Row("float_power", ag.float_power,
        lambda a, b: np.power(a.astype(np.float64), b.astype(np.float64)), arity=2,
        domain=[POS, (-2, 2)]),
    Row("ldexp", ag.ldexp, lambda a, b: a * np.exp2(b), arity=2),
    Row("ldexp", lambda a: ag.ldexp(a, ag.tensor(_exponents(a.shape))),
        lambda a: a * (2.0 ** _exponents(a.shape)).astype(a.dtype), label="ldexp_int_exponent"),
    # the mantissa jumps at the powers of 2
    Row("frexp", ag.frexp, np.frexp, domain=st.one_of(
        st.floats(0.55, 0.95), st.floats(1.05, 1.95), st.floats(-0.95, -0.55),
        st.floats(-1.95, -1.05))),
    # a != b everywhere (where a == b the gradient is 0, but a step off it moves by 1)
    Row("nextafter", ag.nextafter, np.nextafter, arity=2, domain=[(0.5, 2), (-2, 0)]),
    Row("signbit", ag.signbit, np.signbit, grad=False),
    *[Row(n, getattr(ag, n), getattr(np, n), grad=False, prepare=_with_infinities)
      for n in ("isneginf", "isposinf", "isreal")],
    Row("absolute", ag.absolute, np.abs, domain=NONZERO),
    Row("fliplr", ag.fliplr, np.fliplr, shapes=nonempty(2)),
    Row("flipud", ag.flipud, np.flipud, shapes=nonempty(1)),
]
