"""Rows for autograd.ops.special's functions beyond erf (whose row is with the
activations that use it).  References are independent of our code: the standard
library's math.erfc and math.lgamma, NumPy's i0, sinc and logaddexp2, erf inverted by
bisection, and digamma/polygamma summed directly (sum_k (x + k)^-(n+1) with an
Euler-Maclaurin tail far out)."""
from __future__ import annotations

import math

import numpy as np

import autograd as ag

from . import Row, away_from

# off the poles of lgamma, digamma and polygamma (0, -1, -2), where finite differences break
OFF_POLES = away_from(-2.0, -1.0, 0.0, gap=0.15, lo=-2.5, hi=4.0)


def _in_float64(f):
    """A float64-computing reference, its result cast back to the input's dtype."""
    return lambda *xs: np.asarray(f(*[x.astype(np.float64) for x in xs])).astype(xs[0].dtype)


_erfc = np.vectorize(math.erfc, otypes=[np.float64])
_lgamma = np.vectorize(math.lgamma, otypes=[np.float64])
_erf = np.vectorize(math.erf, otypes=[np.float64])


def _erfinv(y):
    """erf^-1 by bisection on math.erf (60 halvings of [-6, 6]: to the last bit)."""
    lo, hi = np.full(y.shape, -6.0), np.full(y.shape, 6.0)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        below = _erf(mid) < y
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    return 0.5 * (lo + hi)


_TERMS = 2000


def _psi_sum(x, n):
    """digamma (n = 0) or the n-th polygamma by the defining sums over k < 2000 plus
    their tails at a = x + 2000 (error ~1e-17): for n = 0, -sum 1/(x+k) + log a - 1/(2a)
    - 1/(12a^2); else (-1)^(n+1) n! (sum (x+k)^-s + a^(1-s)/(s-1) + a^-s/2 + s a^(-s-1)/12)."""
    k = np.arange(_TERMS).reshape((-1,) + (1,) * x.ndim)
    a = x + _TERMS
    if n == 0:
        return -np.sum(1.0 / (x + k), axis=0) + np.log(a) - 0.5 / a - 1.0 / (12 * a * a)
    s = n + 1
    zeta = (np.sum((x + k) ** -s, axis=0) + a ** (1 - s) / (s - 1) + 0.5 * a ** -s
            + s * a ** (-s - 1) / 12)
    return (-1) ** (n + 1) * math.factorial(n) * zeta


ROWS = [
    Row("erfc", ag.erfc, _in_float64(_erfc), domain=(-3.0, 5.0)),
    Row("erfinv", ag.erfinv, _in_float64(_erfinv), domain=(-0.95, 0.95)),
    Row("lgamma", ag.lgamma, _in_float64(_lgamma), domain=OFF_POLES),
    Row("digamma", ag.digamma, _in_float64(lambda x: _psi_sum(x, 0)), domain=OFF_POLES),
    Row("polygamma", lambda x: ag.polygamma(1, x), _in_float64(lambda x: _psi_sum(x, 1)),
        domain=OFF_POLES),
    Row("polygamma", lambda x: ag.polygamma(2, x), _in_float64(lambda x: _psi_sum(x, 2)),
        domain=away_from(-1.0, 0.0, gap=0.3, lo=-1.7, hi=4.0), label="polygamma_2"),
    Row("i0", ag.i0, _in_float64(np.i0), domain=(-7.0, 7.0)),
    Row("sinc", ag.sinc, _in_float64(np.sinc), domain=(-2.5, 2.5)),
    Row("logaddexp2", ag.logaddexp2, np.logaddexp2, arity=2, domain=(-4.0, 4.0)),
    Row("xlog1py", ag.xlog1py, lambda x, y: x * np.log1p(y), arity=2,
        domain=[(-2.0, 2.0), (-0.5, 3.0)]),
]
