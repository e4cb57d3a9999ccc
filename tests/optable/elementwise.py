"""Rows for autograd.ops.elementwise: math functions, activations, clamping,
maximum/minimum, where."""
from __future__ import annotations

import numpy as np

import autograd as ag

from . import Row, away_from, POS, NONZERO


def _exact_ties(arrays):
    """Pairs closer than the finite-difference step become exact ties (gradient 1/2 each,
    which central differences reproduce); near-ties would straddle the kink."""
    a, b = arrays
    return [a, np.where(np.abs(a - b) < 0.05, a, b)]


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
]
