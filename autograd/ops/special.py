"""Special functions: erf (the Gauss error function, which exact GELU needs).

NumPy has no erf, and SciPy is not a dependency, so erf is evaluated here with two
Chebyshev expansions, vectorized (Clenshaw's recurrence over the coefficients, never
a loop over elements), within 2e-15 of the true value in float64 (1.5e-15 relative
for |x| < 1, so tiny arguments keep full relative precision):

* |x| < 1:  erf(x) = x * P(x^2), P the Chebyshev interpolant of erf(sqrt s)/sqrt s
  on s in [0, 1] (degree 12); relative accuracy is kept for tiny x.
* 1 <= |x| < 6:  erf(|x|) = 1 - exp(-x^2) * R(|x|), R the interpolant of the smooth,
  slowly varying erfcx(x) = exp(x^2) erfc(x) on [1, 6] (degree 26).
* |x| >= 6:  erf = sign(x) (erfc(6) = 2e-17 is below float64's resolution at 1).

The interpolants are built once at import from the standard library's scalar
`math.erf`/`math.erfc` (accurate to about an ulp) at Chebyshev nodes,
which is cheaper to read and check than tables of literal coefficients.

The other special functions follow the same recipe, each within a few ulps in float64
(measured against mpmath): erfc (erfc = exp(-x^2) erfcx, no 1 - erf cancellation),
erfinv (Giles' approximation refined by Newton steps), lgamma and digamma (their zeros
at 1, 2 and 1.4616... factored out of the interpolants, Stirling's series beyond, the
reflection formula for x < 0, where only absolute accuracy survives near their negative
zeros), polygamma (Hurwitz zeta by Euler-Maclaurin, reflection through the derivatives
of cot) and i0 (with i1, its derivative).  Their tables are built on first use, from
node values computed to the last bit (50-digit `decimal` arithmetic where the standard
library has no accurate enough function).  Every backward is written with these ops, so
gradients go to any order: lgamma' = digamma, digamma' = polygamma(1, .), and so on.
sinc, logaddexp2 and xlog1py complete the set.
"""
from __future__ import annotations

import functools
import math
from decimal import Decimal, localcontext
from fractions import Fraction
from types import SimpleNamespace
from typing import Any, Callable, Sequence

import numpy as np
from numpy.polynomial import chebyshev as _cheb

from ..graph import Op, apply, register
from ..tensor import Tensor
from ._util import shape_of
from .arith import mul
from .elementwise import (_LN2, _as_floating, _floating_pair, _unary, exp, sigmoid, sin,
                          where)
from .shape import sum_to

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _interpolant(f, lo: float, hi: float, degree: int, refine: bool = False) -> np.ndarray:
    """Chebyshev coefficients (on u in [-1, 1] mapped to [lo, hi]) of f at the
    Chebyshev nodes of the first kind: near-minimax for smooth f.  With `refine`, one
    step of iterative refinement (the residual at the nodes fitted and added) removes
    the fit's own rounding noise, which reaches tens of ulps at degree 20-40."""
    u = np.cos(np.pi * (np.arange(degree + 1) + 0.5) / (degree + 1))
    x = 0.5 * (hi - lo) * u + 0.5 * (hi + lo)
    fx = np.array([f(float(v)) for v in x])
    c = _cheb.chebfit(u, fx, degree)
    if refine:
        c = c + _cheb.chebfit(u, fx - _cheb.chebval(u, c), degree)
    return c


_SMALL = _interpolant(lambda s: math.erf(math.sqrt(s)) / math.sqrt(s), 0.0, 1.0, 12)
_ERFCX = _interpolant(lambda x: math.exp(x * x) * math.erfc(x), 1.0, 6.0, 26)


def erf_array(x: np.ndarray) -> np.ndarray:
    """erf of a NumPy array (computed in float64, returned in x's floating dtype)."""
    x = np.asarray(x)
    out_dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    x64 = np.atleast_1d(x).astype(np.float64, copy=False)   # 1-d: item assignment below
    a = np.abs(x64)
    out = np.sign(x64)                        # |x| >= 6 (and nan stays nan)
    small = a < 1.0
    if small.any():
        xs = x64[small]
        out[small] = xs * _cheb.chebval(2.0 * xs * xs - 1.0, _SMALL)
    mid = (a >= 1.0) & (a < 6.0)
    if mid.any():
        am = a[mid]
        erfc = np.exp(-am * am) * _cheb.chebval((2.0 * am - 7.0) / 5.0, _ERFCX)
        out[mid] = np.copysign(1.0 - erfc, x64[mid])
    return out.reshape(x.shape).astype(out_dtype, copy=False)


class Erf(Op):
    """Gauss error function erf(x) = 2/sqrt(pi) int_0^x e^(-t^2) dt;
    d/dx = 2/sqrt(pi) e^(-x^2)."""
    name = "Erf"

    @staticmethod
    def forward(ctx, x):
        return erf_array(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.inputs
        return g * exp(-(x * x)) * _TWO_OVER_SQRT_PI


@register("erf")
def erf(input: Tensor) -> Tensor:
    """The Gauss error function, elementwise (float64 error below 2e-15);
    d/dx = 2/sqrt(pi) exp(-x^2)."""
    return apply(Erf, input)


# ---- the functions below: tables built on first use -----------------------------------
# Each table is a few Chebyshev interpolants whose node values come from a reference
# that is accurate to the last bit (the standard library, or 50-digit `decimal`
# arithmetic where the library is not accurate enough); building them takes some tens
# of milliseconds, so it happens on a function's first call, not at import.

class _Piece:
    """A Chebyshev interpolant of f on [lo, hi], in x or (`inverse`) in t = lo / x:
    the latter reaches hi = inf and suits functions that are smooth in 1/x (the
    asymptotic tails of erfc and the Bessel functions)."""

    def __init__(self, f: Callable[[float], float], lo: float, hi: float, degree: int,
                 inverse: bool = False) -> None:
        self.lo, self.inverse = lo, inverse
        self.a, self.b = (lo / hi, 1.0) if inverse else (lo, hi)
        g = (lambda t: f(lo / t)) if inverse else f
        self.coef = _interpolant(g, self.a, self.b, degree, refine=True)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        t = self.lo / x if self.inverse else x
        return _cheb.chebval((2.0 * t - (self.a + self.b)) / (self.b - self.a), self.coef)


def _fill(out: np.ndarray, mask: np.ndarray, f: Callable, x: np.ndarray) -> None:
    """out[mask] = f(x[mask]), skipped when the mask is empty (the pieces of a piecewise
    function each cost tens of NumPy calls, even on nothing)."""
    if mask.any():
        out[mask] = f(x[mask])


def _float64_kernel(name: str) -> Callable:
    """Decorator: `kernel(x, *args)` computes on a 1-d float64 array (a copy it may
    write to) without warnings (inf/NaN at poles, silently as in PyTorch); the result
    has the input's floating dtype (float64 for others) and shape.  Complex input is
    refused with NotImplementedError, as PyTorch refuses it."""
    def deco(kernel: Callable) -> Callable:
        def fn(x: Any, *args: Any) -> np.ndarray:
            x = np.asarray(x)
            if x.dtype.kind == "c":
                raise NotImplementedError(f"{name}: \"{name}\" not implemented for complex "
                                          f"tensors (dtype {x.dtype})")
            out_dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
            with np.errstate(all="ignore"):
                out = kernel(x.astype(np.float64).reshape(-1), *args)
            return out.reshape(x.shape).astype(out_dtype, copy=False)
        fn.__name__ = fn.__qualname__ = kernel.__name__
        fn.__doc__ = kernel.__doc__
        return fn
    return deco


def _bernoulli(n: int) -> list:
    """The Bernoulli numbers B_0..B_n as exact Fractions (Akiyama-Tanigawa; B_1 = +1/2
    in this convention, and only the even ones are used)."""
    a, out = [], []
    for m in range(n + 1):
        a.append(Fraction(1, m + 1))
        for j in range(m, 0, -1):
            a[j - 1] = j * (a[j - 1] - a[j])
        out.append(a[0])
    return out


_B = _bernoulli(30)


def _horner(z: np.ndarray, coefs: Sequence[float]) -> np.ndarray:
    """sum_k coefs[k] z^k."""
    p = np.zeros_like(z)
    for c in reversed(coefs):
        p = p * z + c
    return p


# ---- erfc and erfinv ----------------------------------------------------------------------
# erfc(x) = exp(-x^2) erfcx(x): erfcx is smooth and slowly varying, so interpolated (in x
# on [0, 2], in 2/x beyond), and exp(-x^2) is computed with x^2 split into an exact part
# and a small rest, since the rounding of x*x alone would cost ~x^2 ulps at large x.

_SPLIT = 2.0 ** 20   # x rounded to a multiple of 2^-20 has at most 25 bits: its square is exact
_ERFC_ZERO = 27.3    # erfc(x) < 2^-1075 beyond: 0 in float64


def _exp_neg_square(x: np.ndarray) -> np.ndarray:
    """exp(-x^2) to about an ulp for |x| up to ~27 (z = x rounded, x^2 = z^2 + (x-z)(x+z))."""
    z = np.round(x * _SPLIT) / _SPLIT
    return np.exp(-(z * z)) * np.exp((z - x) * (z + x))


def _erfcx(x: float) -> float:
    """exp(x^2) erfc(x) for x >= 0 (scalar, for the tables): the library's erfc with an
    accurate exp(x^2) below 10, the asymptotic series (error < 1e-20) above."""
    if x < 10.0:
        z = round(x * _SPLIT) / _SPLIT
        return math.erfc(x) * math.exp(z * z) * math.exp((x - z) * (x + z))
    s, term, k = 1.0, 1.0, 0
    while abs(term) > 1e-20:   # 1 - 1/(2x^2) + 3/(2x^2)^2 - 15/(2x^2)^3 ...
        k += 1
        term *= -(2 * k - 1) / (2.0 * x * x)
        s += term
    return s / (x * math.sqrt(math.pi))


@functools.cache
def _erfc_tables() -> tuple:
    return (_Piece(_erfcx, 0.0, 2.0, 24),
            _Piece(lambda x: x * _erfcx(x), 2.0, _ERFC_ZERO, 28, inverse=True))


@_float64_kernel("erfc")
def erfc_array(x: np.ndarray) -> np.ndarray:
    """erfc of a NumPy array (within a few ulps in float64; 2 - erfc(-x) for x < 0)."""
    low, high = _erfc_tables()
    a = np.abs(x)
    out = np.zeros_like(a)   # (a >= 27.3: 0)
    _fill(out, a < 2.0, lambda v: _exp_neg_square(v) * low(v), a)
    _fill(out, (a >= 2.0) & (a < _ERFC_ZERO),
          lambda v: _exp_neg_square(v) * (high(v) / v), a)
    out = np.where(x < 0, 2.0 - out, out)
    return np.where(np.isnan(x), x, out)


_SQRT_PI_2 = math.sqrt(math.pi) / 2
# Giles' single-precision erfinv ("Approximating the erfinv function", GPU Computing Gems,
# 2011): a polynomial in w = -log(1 - y^2), relative error ~4e-7 for 1 - |y| > 2^-24.
_GILES_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
                  0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_GILES_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844,
               0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)


@_float64_kernel("erfinv")
def erfinv_array(y: np.ndarray) -> np.ndarray:
    """erfinv of a NumPy array: Giles' approximation refined by Newton steps on erf
    (|y| <= 1/2) or on log erfc (|y| > 1/2, where 1 - |y| is exact and erf would
    cancel); +-inf at +-1, NaN outside [-1, 1]."""
    a = np.abs(y)
    inside = a < 1.0
    ai = a[inside]
    w = -np.log((1.0 - ai) * (1.0 + ai))
    central = w < 5.0
    t = np.where(central, w - 2.5, np.sqrt(w) - 3.0)
    p = np.where(central, _GILES_CENTRAL[0], _GILES_TAIL[0])
    for c, d in zip(_GILES_CENTRAL[1:], _GILES_TAIL[1:]):
        p = np.where(central, c, d) + p * t
    x = p * ai
    far = ai > 0.5

    def near(v: np.ndarray) -> np.ndarray:   # x -= (erf x - a) / erf'(x), quadratic
        target = ai[~far]
        for _ in range(2):
            v = v - (erf_array(v) - target) * _SQRT_PI_2 / _exp_neg_square(v)
        return v

    def tail(v: np.ndarray) -> np.ndarray:   # Newton on log erfc(x) = log(1 - a)
        target = np.log(1.0 - ai[far])
        for _ in range(4):   # (the guess is poor beyond float32's range: 4 steps)
            e = erfc_array(v)
            v = v + (np.log(e) - target) * _SQRT_PI_2 * e / _exp_neg_square(v)
        return v

    _fill(x, ~far, near, x)
    _fill(x, far, tail, x)
    out = np.full_like(a, np.nan)
    out[inside] = x
    out[a == 1.0] = np.inf
    return np.copysign(out, y)


erfc = _unary("erfc", erfc_array, lambda ctx, g: -Erf.backward(ctx, g),   # erfc' = -erf'
              "Complementary error function erfc(x) = 1 - erf(x), accurate for large x "
              "(no cancellation);  d/dx = -2/sqrt(pi) exp(-x^2).", methods=("erfc",))
erfinv = _unary("erfinv", erfinv_array,
                lambda ctx, g: g * exp(ctx.output * ctx.output) * _SQRT_PI_2,
                "Inverse error function, erf(erfinv(y)) = y on (-1, 1) (+-inf at +-1, NaN "
                "outside);  d/dy = sqrt(pi)/2 exp(erfinv(y)^2).", save_output=True,
                methods=("erfinv",))


# ---- lgamma, digamma, polygamma ---------------------------------------------------------
# lgamma on [0.5, 8] and digamma on [0.5, 3] are interpolated with their zeros factored
# out (lgamma(x) = (x-1)(x-2) h(x), digamma(x) = (x - x0) h(x)), so that relative accuracy
# holds near the zeros too; beyond, Stirling's series; below 0.5 the recurrence, and for
# x < 0 the reflection formula.  The node values come from 50-digit decimal arithmetic
# (the series at x + 30, shifted back), as math.lgamma loses digits near 1 and 2.

_DEC_SHIFT = 30
_DEC_PI = Decimal("3.14159265358979323846264338327950288419716939937510582097494")


def _dec_series(term: Callable) -> Decimal:
    """sum over k = 1..15 of term(k, B_2k) (Decimals, for the asymptotic series)."""
    s = Decimal(0)
    for k in range(1, 16):
        b = _B[2 * k]
        s += term(k, Decimal(b.numerator) / Decimal(b.denominator))
    return s


def _dec_lgamma(x: float) -> Decimal:
    """log Gamma(x), x > 0, to ~45 digits: Stirling's series at y = x + 30,
    (y - 1/2) log y - y + log(2 pi)/2 + sum B_2k / (2k (2k-1) y^(2k-1)), minus
    log(x (x+1) ... (x+29))."""
    with localcontext() as ctx:
        ctx.prec = 50
        d = Decimal(x)
        y = d + _DEC_SHIFT
        s = (y - Decimal("0.5")) * y.ln() - y + (2 * _DEC_PI).ln() / 2
        s += _dec_series(lambda k, b: b / (2 * k * (2 * k - 1) * y ** (2 * k - 1)))
        prod = Decimal(1)
        for k in range(_DEC_SHIFT):
            prod *= d + k
        return s - prod.ln()


def _dec_polygamma(d: Decimal, n: int) -> Decimal:
    """digamma (n = 0) or trigamma (n = 1) at d > 0 to ~45 digits: the asymptotic series
    at y = d + 30, shifted back with the recurrence."""
    with localcontext() as ctx:
        ctx.prec = 50
        y = d + _DEC_SHIFT
        if n == 0:   # log y - 1/(2y) - sum B_2k / (2k y^2k)
            s = y.ln() - 1 / (2 * y) - _dec_series(lambda k, b: b / (2 * k * y ** (2 * k)))
            return s - sum(1 / (d + k) for k in range(_DEC_SHIFT))
        # 1/y + 1/(2y^2) + sum B_2k / y^(2k+1)
        s = 1 / y + 1 / (2 * y * y) + _dec_series(lambda k, b: b / y ** (2 * k + 1))
        return s + sum(1 / (d + k) ** 2 for k in range(_DEC_SHIFT))


@functools.cache
def _gamma_tables() -> SimpleNamespace:
    def h_lgamma(x: float) -> float:
        d = Decimal(x)
        return float(_dec_lgamma(x) / ((d - 1) * (d - 2)))
    with localcontext() as ctx:   # digamma's positive zero x0 = 1.4616..., by Newton
        ctx.prec = 50
        x0 = Decimal("1.5")
        for _ in range(8):
            x0 -= _dec_polygamma(x0, 0) / _dec_polygamma(x0, 1)
        x0_hi = float(x0)
        x0_lo = float(x0 - Decimal(x0_hi))
    return SimpleNamespace(
        lgamma_a=_Piece(h_lgamma, 0.5, 3.0, 40), lgamma_b=_Piece(h_lgamma, 3.0, 8.0, 24),
        digamma_a=_Piece(lambda x: float(_dec_polygamma(Decimal(x), 0) / (Decimal(x) - x0)),
                         0.5, 3.0, 40),
        digamma_b=_Piece(lambda x: float(_dec_polygamma(Decimal(x), 0)), 3.0, 10.0, 30),
        x0_hi=x0_hi, x0_lo=x0_lo)


_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
_LOG_PI = math.log(math.pi)
# Stirling: lgamma(x) = (x - 1/2) log x - x + log(2 pi)/2 + sum_k B_2k / (2k (2k-1) x^(2k-1));
# to k = 10, the series is exact to float64 for x >= 8 (its error is ~e^(-2 pi x)).
_STIRLING = [float(_B[2 * k] / (2 * k * (2 * k - 1))) for k in range(1, 11)]
# digamma(x) = log x - 1/(2x) - sum_k B_2k / (2k x^2k), x >= 10
_PSI_SERIES = [float(_B[2 * k] / (2 * k)) for k in range(1, 10)]


def _lgamma_positive(x: np.ndarray) -> np.ndarray:
    """lgamma of finite x > 0."""
    t = _gamma_tables()
    out = np.empty_like(x)
    # lgamma(x) = lgamma(x + 1) - log x, with lgamma(x + 1) = x (x - 1) h(x + 1)
    _fill(out, x < 0.5, lambda v: v * (v - 1.0) * t.lgamma_a(v + 1.0) - np.log(v), x)
    _fill(out, (x >= 0.5) & (x < 3.0), lambda v: (v - 1.0) * (v - 2.0) * t.lgamma_a(v), x)
    _fill(out, (x >= 3.0) & (x < 8.0), lambda v: (v - 1.0) * (v - 2.0) * t.lgamma_b(v), x)

    def stirling(v: np.ndarray) -> np.ndarray:
        r = 1.0 / v
        return (v - 0.5) * np.log(v) - v + _HALF_LOG_2PI + r * _horner(r * r, _STIRLING)
    _fill(out, x >= 8.0, stirling, x)
    return out


def _cot_pi(x: np.ndarray) -> np.ndarray:
    """cot(pi x), with x reduced exactly to [-1/2, 1/2] first (pi x itself would lose
    the fraction of a large x)."""
    return 1.0 / np.tan(np.pi * (x - np.round(x)))


@_float64_kernel("lgamma")
def lgamma_array(x: np.ndarray) -> np.ndarray:
    """log |Gamma(x)| of a NumPy array: inf at 0, the negative integers and +-inf."""
    out = np.full_like(x, np.inf)
    _fill(out, (x > 0) & (x < np.inf), _lgamma_positive, x)

    def reflected(v: np.ndarray) -> np.ndarray:   # |Gamma(v)| = pi / |sin(pi v) Gamma(1 - v)|
        sin_pi = np.sin(np.pi * (v - np.round(v)))
        return _LOG_PI - np.log(np.abs(sin_pi)) - _lgamma_positive(1.0 - v)
    _fill(out, (x < 0) & (x != np.floor(x)), reflected, x)
    return np.where(np.isnan(x), x, out)


def _digamma_positive(x: np.ndarray) -> np.ndarray:
    """digamma of x > 0 (inf at inf)."""
    t = _gamma_tables()
    out = np.empty_like(x)

    def near_zero(v: np.ndarray) -> np.ndarray:   # (v - x0) h(v), x0 in two parts
        return ((v - t.x0_hi) - t.x0_lo) * t.digamma_a(v)
    _fill(out, x < 0.5, lambda v: near_zero(v + 1.0) - 1.0 / v, x)
    _fill(out, (x >= 0.5) & (x < 3.0), near_zero, x)
    _fill(out, (x >= 3.0) & (x < 10.0), t.digamma_b, x)

    def series(v: np.ndarray) -> np.ndarray:
        z = 1.0 / (v * v)
        return np.log(v) - 0.5 / v - z * _horner(z, _PSI_SERIES)
    _fill(out, x >= 10.0, series, x)
    return out


@functools.cache
def _cot_derivative(n: int) -> list:
    """Integer coefficients of P_n with d^n/dx^n cot(pi x) = pi^n P_n(cot(pi x)):
    P_0 = c, P_(k+1) = -(1 + c^2) P_k'."""
    p = [0, 1]
    for _ in range(n):
        d = [k * p[k] for k in range(1, len(p))] + [0, 0]      # P'
        p = [-(d[k] + (d[k - 2] if k >= 2 else 0)) for k in range(len(d))]   # -(1+c^2) P'
    while len(p) > 1 and p[-1] == 0:
        p.pop()
    return p


def _polygamma_reflected(n: int, x: np.ndarray, positive: Callable) -> np.ndarray:
    """psi^(n) at non-integer x < 0 from psi^(n)(1 - x) (`positive` computes it):
    psi^(n)(x) = (-1)^n psi^(n)(1 - x) - pi^(n+1) P_n(cot(pi x)), the n-th derivative
    of psi(1 - x) - psi(x) = pi cot(pi x)."""
    c = _cot_pi(x)
    return (-1) ** n * positive(1.0 - x) - math.pi ** (n + 1) * _horner(
        c, [float(v) for v in _cot_derivative(n)])


@_float64_kernel("digamma")
def digamma_array(x: np.ndarray) -> np.ndarray:
    """digamma (psi = Gamma'/Gamma) of a NumPy array, as PyTorch: -inf at +0, inf at -0,
    NaN at the negative integers and -inf."""
    out = np.full_like(x, np.nan)
    _fill(out, x > 0, _digamma_positive, x)
    _fill(out, (x < 0) & (x != np.floor(x)),
          lambda v: _polygamma_reflected(0, v, _digamma_positive), x)
    zero = x == 0
    out[zero] = np.copysign(np.inf, -x[zero])
    return out


def _hurwitz_zeta(s: int, x: np.ndarray, scale: float) -> np.ndarray:
    """scale * zeta(s, x), zeta(s, x) = sum_k (x + k)^-s for x > 0 and an integer s >= 2:
    the first terms summed until x + k >= s + 10, then the Euler-Maclaurin tail at
    a = x + k, a^(1-s) (1/(s-1) + 1/(2a) + sum_j B_2j/(2j)! s (s+1) ... (s+2j-2) a^-2j).
    a^(1-s) is applied in two halves around the scale, so that it does not underflow
    to a subnormal (losing digits) when the result does not."""
    lo = s + 10.0
    steps = np.where(x < lo, np.ceil(lo - x), 0.0)
    head = np.zeros_like(x)
    for k in range(int(steps.max(initial=0.0))):
        head += np.where(k < steps, (x + k) ** -s, 0.0)
    a = x + steps
    z = 1.0 / (a * a)
    half = a ** (0.5 * (1.0 - s))
    bracket = 1.0 / (s - 1) + 0.5 / a + z * _horner(z, _zeta_tail(s))
    return scale * head + half * (scale * bracket) * half


@functools.cache
def _zeta_tail(s: int) -> list:
    """B_2j / (2j)! s (s+1) ... (s+2j-2), j = 1..12: Euler-Maclaurin's tail for zeta(s, .)."""
    coefs, rising = [], Fraction(s)
    for j in range(1, 13):
        if j > 1:
            rising *= (s + 2 * j - 3) * (s + 2 * j - 2)
        coefs.append(float(_B[2 * j] * rising / math.factorial(2 * j)))
    return coefs


@_float64_kernel("polygamma")
def polygamma_array(x: np.ndarray, n: int) -> np.ndarray:
    """The n-th derivative of digamma of a NumPy array (n >= 1): (-1)^(n+1) n!
    zeta(n+1, x) for x > 0, the reflection formula for x < 0; (-1)^(n+1) inf at the
    non-positive integers (PyTorch's value), 0 at inf, NaN at -inf."""
    sign = float((-1) ** (n + 1))
    scale = sign * float(math.factorial(n))

    def positive(v: np.ndarray) -> np.ndarray:
        return _hurwitz_zeta(n + 1, v, scale)
    out = np.full_like(x, np.nan)
    _fill(out, (x > 0) & (x < np.inf), positive, x)
    _fill(out, (x < 0) & (x != np.floor(x)), lambda v: _polygamma_reflected(n, v, positive), x)
    out[(x <= 0) & (x == np.floor(x))] = sign * np.inf
    out[x == np.inf] = sign * 0.0
    out[x == -np.inf] = np.nan
    return out


class Polygamma(Op):
    """The n-th derivative of digamma;  d/dx = polygamma(n + 1, x)."""
    name = "Polygamma"
    keeps_shape = True

    @staticmethod
    def forward(ctx, x, n):
        ctx.n = n
        return polygamma_array(x, n) if n else digamma_array(x)

    @staticmethod
    def backward(ctx, g):
        return g * apply(Polygamma, ctx.inputs[0], n=ctx.n + 1)


lgamma = _unary("lgamma", lgamma_array, lambda ctx, g: g * digamma(ctx.inputs[0]),
                "log |Gamma(x)| (inf at the poles 0, -1, -2, ...);  d/dx = digamma(x).",
                methods=("lgamma",))
digamma = _unary("digamma", digamma_array,
                 lambda ctx, g: g * apply(Polygamma, ctx.inputs[0], n=1),
                 "digamma(x) = d/dx lgamma(x) (-inf at +0, NaN at the negative integers, "
                 "as PyTorch);  d/dx = polygamma(1, x).", methods=("digamma",))


@register()
def polygamma(n: int, input: Tensor) -> Tensor:
    """The n-th derivative of digamma, psi^(n)(x) = (-1)^(n+1) n! sum_k (x + k)^-(n+1)
    (n = 0: digamma itself);  d/dx = polygamma(n + 1, x), so to any order."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"polygamma(): argument 'n' (position 1) must be int, not "
                        f"{type(n).__name__}")
    if n < 0:
        raise RuntimeError(f"polygamma(n, x) does not support negative n (got n = {n}).")
    if not isinstance(input, Tensor) or input._data.dtype.kind not in "fc":
        input = _as_floating(input)
    return apply(Polygamma, input, n=int(n))


def _polygamma_method(self: Tensor, n: int) -> Tensor:
    """``x.polygamma(n)`` is ``polygamma(n, x)``, as in PyTorch."""
    return polygamma(n, self)


Tensor.polygamma = _polygamma_method


# ---- i0 (and i1, its derivative) ----------------------------------------------------------
# I_nu(x) = e^|x| A_nu(|x|) on [0, 5] (A_0 = e^-x I_0, A_1 = e^-x I_1(x)/x) and
# e^|x| B_nu(|x|) / sqrt|x| beyond (B_nu = sqrt(x) e^-x I_nu, smooth in 1/x, which tends to
# 1/sqrt(2 pi)); exp(|x|/2) twice, so that I_0 stays finite up to 713.98, where it
# overflows.  Node values from the power series in 40-digit decimals (all its terms are
# positive) and, beyond x = 50, Hankel's asymptotic series (error ~e^-2x).

def _series_i(nu: int, x: float) -> Decimal:
    """e^-x I_nu(x) = e^-x sum_k (x/2)^(2k+nu) / (k! (k+nu)!), 40-digit decimals."""
    with localcontext() as ctx:
        ctx.prec = 40
        h = Decimal(x) / 2
        term = h ** nu / math.factorial(nu)
        s, k = term, 0
        while term > s * Decimal("1e-38"):
            k += 1
            term = term * h * h / (k * (k + nu))
            s += term
        return s * (-Decimal(x)).exp()


def _scaled_i(nu: int, x: float) -> float:
    """sqrt(x) e^-x I_nu(x), x >= 5."""
    if x <= 50.0:
        return math.sqrt(x) * float(_series_i(nu, x))
    mu, s, term, k = 4 * nu * nu, 1.0, 1.0, 0
    while abs(term) > 1e-18:   # sum_k (-1)^k prod_(j<=k) (mu - (2j-1)^2) / (k! (8x)^k)
        k += 1
        term *= -(mu - (2 * k - 1) ** 2) / (k * 8.0 * x)
        s += term
    return s / math.sqrt(2 * math.pi)


@functools.cache
def _bessel_tables() -> tuple:
    small = [_Piece(lambda x: float(_series_i(0, x)), 0.0, 5.0, 26),
             _Piece(lambda x: float(_series_i(1, x)) / x if x else 0.5, 0.0, 5.0, 26)]
    large = [_Piece(functools.partial(_scaled_i, nu), 5.0, math.inf, 34, inverse=True)
             for nu in (0, 1)]
    return small, large


def _bessel_i(nu: int, x: np.ndarray) -> np.ndarray:
    small, large = _bessel_tables()
    a = np.abs(x)
    out = np.full_like(a, np.inf)   # (|x| = inf)
    _fill(out, a <= 5.0, lambda v: np.exp(v) * (small[nu](v) * (v if nu else 1.0)), a)

    def tail(v: np.ndarray) -> np.ndarray:
        half = np.exp(0.5 * v)
        return half * (large[nu](v) / np.sqrt(v)) * half
    _fill(out, (a > 5.0) & (a < np.inf), tail, a)
    out = np.where(np.isnan(x), x, out)
    return np.copysign(out, x) if nu else out


@_float64_kernel("i0")
def i0_array(x: np.ndarray) -> np.ndarray:
    """The modified Bessel function of the first kind of order 0 of a NumPy array."""
    return _bessel_i(0, x)


@_float64_kernel("i1")
def i1_array(x: np.ndarray) -> np.ndarray:
    """The modified Bessel function of the first kind of order 1 of a NumPy array."""
    return _bessel_i(1, x)


class I1(Op):
    """The modified Bessel function I_1 (i0's derivative, not a public op);
    d/dx = I_0(x) - I_1(x)/x."""
    name = "I1"
    keeps_shape = True

    @staticmethod
    def forward(ctx, x):
        return i1_array(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.inputs
        return g * (i0(x) - _i1_over_x(x))


def _i1_over_x(x: Tensor) -> Tensor:
    """I_1(x)/x, smooth and even: its Taylor series 1/2 + x^2/16 + x^4/384 near 0 (exact
    to float64 there, and differentiable at 0 to the fifth order), I_1(x)/x elsewhere."""
    small = np.abs(x.data) < 1e-3
    if not small.any():
        return apply(I1, x) / x
    safe = where(small, 1.0, x)   # (no 0/0, whose NaN would reach the gradient)
    x2 = x * x
    return where(small, x2 * (x2 / 384.0 + 1.0 / 16.0) + 0.5, apply(I1, safe) / safe)


i0 = _unary("i0", i0_array, lambda ctx, g: g * apply(I1, ctx.inputs[0]),
            "The modified Bessel function of the first kind of order 0, "
            "I_0(x) = sum_k (x^2/4)^k / (k!)^2;  d/dx = I_1(x).", methods=("i0",))


# ---- sinc, logaddexp2, xlog1py -------------------------------------------------------------

_SINC_TAYLOR = 2.0 ** -7   # |pi x| below: 1 - p^2/6 + p^4/120 - p^6/5040, exact to float64


@register("sinc")
def sinc(input: Tensor) -> Tensor:
    """The normalized sinc, sin(pi x) / (pi x) (1 at 0), of a floating input (integers in
    the default float dtype).  Near 0 its Taylor series, so that every derivative is
    right at 0 (sinc''(0) = -pi^2/3, where PyTorch's formula gives NaN)."""
    x = input if isinstance(input, Tensor) and input._data.dtype.kind in "fc" \
        else _as_floating(input)
    p = mul(x, math.pi)
    small = np.abs(p.data) < _SINC_TAYLOR
    if not small.any():
        return sin(p) / p
    safe = where(small, 1.0, p)   # (each branch sees only its own inputs: no 0/0, no
    tiny = where(small, p, 0.0)   # overflow of p^2, whose NaN would reach the gradient)
    p2 = tiny * tiny
    taylor = 1.0 - p2 / 6.0 * (1.0 - p2 / 20.0 * (1.0 - p2 / 42.0))
    return where(small, taylor, sin(safe) / safe)


class Logaddexp2(Op):
    """log2(2^a + 2^b) without overflow;  d/da = 2^a / (2^a + 2^b) = sigmoid((a-b) ln 2)."""
    name = "Logaddexp2"

    @staticmethod
    def forward(ctx, a, b):
        with np.errstate(invalid="ignore"):   # logaddexp2(inf, inf) = inf, silently
            return np.logaddexp2(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        need_a, need_b = ctx.needs_input_grad
        return (sum_to(g * sigmoid((a - b) * _LN2), shape_of(a)) if need_a else None,
                sum_to(g * sigmoid((b - a) * _LN2), shape_of(b)) if need_b else None)


@register("logaddexp2")
def logaddexp2(input: Any, other: Any) -> Tensor:
    """Elementwise log2(2^input + 2^other), broadcasting (floating tensors only)."""
    return apply(Logaddexp2, *_floating_pair("logaddexp2", input, other, integers=False))


class Xlog1py(Op):
    """x log(1 + y), 0 where x = 0 and y is not NaN (PyTorch);  d/dx = log1p(y) (0 where
    x = 0 and y <= -1, as in PyTorch),  d/dy = x / (1 + y)."""
    name = "Xlog1py"

    @staticmethod
    def forward(ctx, x, y):
        with np.errstate(divide="ignore", invalid="ignore"):
            out = x * np.log1p(y)
        return np.where((x == 0) & (y == y), out.dtype.type(0), out)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.inputs
        need_x, need_y = ctx.needs_input_grad
        gx = gy = None
        if need_x:
            xd, yd = (v.data if isinstance(v, Tensor) else v for v in (x, y))
            gx = sum_to(where((xd == 0) & (yd <= -1), 0.0, xlog1py(g, y)), shape_of(x))
        if need_y:
            gy = sum_to(g * x / (y + 1), shape_of(y))
        return gx, gy


@register()
def xlog1py(input: Any, other: Any) -> Tensor:
    """Elementwise input * log1p(other), 0 where input is 0 (unless other is NaN),
    broadcasting; integer inputs compute in the default float dtype (PyTorch's
    torch.special.xlog1py)."""
    return apply(Xlog1py, *_floating_pair("xlog1py", input, other, integers=True))
