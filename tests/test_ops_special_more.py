"""The special functions (erfc, erfinv, lgamma, digamma, polygamma, i0, sinc, logaddexp2,
xlog1py) and the wider elementwise set (copysign, heaviside, deg2rad/rad2deg, float_power,
ldexp, frexp, nextafter, signbit, isneginf/isposinf/isreal, gcd, lcm, the shifts, the
comparison aliases, fliplr/flipud).

Accuracy is measured in ulps against references that do not share our code: the standard
library (math.erfc, math.lgamma away from lgamma's zeros, where CPython's own lgamma loses
digits), exact values (pi^2/6, zeta(3), Euler's gamma) and, when installed, mpmath at 30
digits.  Then PyTorch parity (skipped without it): values, dtypes, gradients to second
order, special points and errors."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import autograd as ag
from numeric import assert_raises_like_torch

T = ag.tensor
EULER_GAMMA = 0.57721566490153286061
ZETA3 = 1.2020569031595942854
DIGAMMA_ZERO = 1.4616321449683623413   # digamma's positive zero x0
TRIGAMMA_AT_ZERO = 0.96767224544762117043   # trigamma(x0)


def f64(values, requires_grad=False):
    return ag.tensor(values, dtype=ag.float64, requires_grad=requires_grad)


def ulps(got, want):
    """|got - want| in units of the last place of want (elementwise)."""
    want = np.asarray(want, dtype=np.float64)
    return np.abs(np.asarray(got, dtype=np.float64) - want) / np.spacing(np.abs(want))


def grad_of(fn, x, order=1):
    """The order-th derivative of sum(fn(x)) at the float64 values x."""
    x = f64(x, requires_grad=True)
    y = fn(x).sum()
    for k in range(order):
        (y,) = ag.grad(y, x, create_graph=k < order - 1)
        if k < order - 1:
            y = y.sum()
    return y.data


def mpmath_values(f, xs):
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 30
    return np.array([float(f(mp, mp.mpf(float(v)))) for v in xs])


# ---- accuracy ------------------------------------------------------------------------------

def test_erfc_is_within_a_few_ulps_of_math_erfc_far_into_the_tail():
    x = np.concatenate([np.linspace(-8, 26.5, 1501), np.geomspace(1e-300, 1.0, 40),
                        -np.geomspace(1e-300, 1.0, 40)])
    want = np.array([math.erfc(v) for v in x])
    assert ulps(ag.erfc(f64(x)).data, want).max() <= 8
    # where 1 - erf(x) is 0: erfc(10) = 2.1e-45, erfc(26) = 5.7e-296
    assert ulps(ag.erfc(f64([10.0, 26.0])).data, [math.erfc(10.0), math.erfc(26.0)]).max() <= 8
    # subnormal results, then 0
    tail = np.array([26.7, 27.0, 27.2, 27.3, 40.0, 1e300])
    got = ag.erfc(f64(tail)).data
    np.testing.assert_allclose(got, [math.erfc(v) for v in tail], rtol=1e-6, atol=1e-322)


def test_erfinv_inverts_erf_to_a_few_ulps_up_to_the_last_float_below_one():
    y = np.concatenate([np.linspace(-0.999, 0.999, 801), np.geomspace(1e-300, 0.4, 30),
                        1 - np.geomspace(2 ** -53, 0.4, 60)])
    x = ag.erfinv(f64(y)).data
    # erf is flat at large x (erf(5.86) is 1 - 1.1e-16): test 1 - y = erfc(x) there, where
    # an ulp of x moves erfc(x) by 2 x^2 ulps (its condition number)
    tail = y > 0.5
    assert ulps(np.array([math.erf(v) for v in x[~tail]]), y[~tail]).max() <= 8
    assert (ulps(np.array([math.erfc(v) for v in x[tail]]), 1 - y[tail])
            <= 4 * (1 + 2 * x[tail] ** 2)).all()
    want = mpmath_values(lambda mp, v: mp.erfinv(v), y)
    assert ulps(x, want).max() <= 8


def test_lgamma_is_within_a_few_ulps_of_math_lgamma():
    # away from lgamma's zeros 1 and 2, where CPython's own lgamma (a Lanczos sum) loses
    # digits; it is off by up to ~11 ulps even here (mpmath says), so the tolerance is 16
    x = np.concatenate([np.linspace(0.01, 0.6, 200), np.linspace(3.0, 200.0, 800),
                        np.geomspace(1e-300, 1e-2, 30), np.geomspace(200.0, 2e305, 30)])
    assert ulps(ag.lgamma(f64(x)).data, [math.lgamma(v) for v in x]).max() <= 16
    x = np.concatenate([np.linspace(0.01, 30.0, 600), np.geomspace(1e-300, 2e305, 60)])
    assert ulps(ag.lgamma(f64(x)).data, mpmath_values(lambda mp, v: mp.loggamma(v), x)).max() <= 8


def test_lgamma_keeps_its_relative_accuracy_at_its_zeros_1_and_2():
    x = np.concatenate([1 + np.geomspace(1e-15, 0.3, 40), 1 - np.geomspace(1e-15, 0.3, 40),
                        2 + np.geomspace(1e-15, 0.3, 40), 2 - np.geomspace(1e-15, 0.3, 40)])
    got = ag.lgamma(f64(x)).data
    # lgamma(1 + e) = -gamma e + O(e^2), lgamma(2 + e) = (1 - gamma) e + O(e^2)
    tiny = np.abs(x - np.round(x)) < 1e-9
    first = np.where(np.round(x) == 1, -EULER_GAMMA, 1 - EULER_GAMMA) * (x - np.round(x))
    np.testing.assert_allclose(got[tiny], first[tiny], rtol=1e-8)
    assert ulps(got, mpmath_values(lambda mp, v: mp.loggamma(v), x)).max() <= 8


def test_lgamma_and_digamma_of_negative_x_to_the_rounding_of_the_reflection():
    # lgamma(x) = log(pi / |sin(pi x)|) - lgamma(1 - x) cancels near lgamma's zeros at
    # x < 0 (-2.457..., -2.747...): the error is measured against the terms' size
    x = -np.linspace(0.013, 40.0, 1200)
    x = x[x != np.round(x)]
    log_term = np.abs(np.log(np.pi / np.abs(np.sin(np.pi * (x - np.round(x))))))
    lg_scale = log_term + np.abs([math.lgamma(1 - v) for v in x])
    got = ag.lgamma(f64(x)).data
    want = np.array([math.lgamma(v) for v in x])
    assert (np.abs(got - want) <= 8 * 2.2e-16 * lg_scale).all()
    want = mpmath_values(lambda mp, v: mp.digamma(v), x)
    psi_scale = np.abs(np.pi / np.tan(np.pi * x)) + np.abs(ag.digamma(f64(1 - x)).data)
    assert (np.abs(ag.digamma(f64(x)).data - want) <= 32 * 2.2e-16 * psi_scale).all()


def test_digamma_exact_values_and_relative_accuracy_at_its_zero():
    n = np.arange(1, 30)
    harmonic = np.cumsum(1.0 / n)
    np.testing.assert_allclose(ag.digamma(f64(n + 1.0)).data, harmonic - EULER_GAMMA,
                               rtol=1e-15)
    np.testing.assert_allclose(ag.digamma(f64([1.0, 0.5])).data,
                               [-EULER_GAMMA, -EULER_GAMMA - 2 * math.log(2)], rtol=1e-15)
    # near the zero x0: digamma(x0 + d) = trigamma(x0) d + O(d^2), d the distance from
    # x0 to the float x0 + e (x0 itself is not a float)
    e = np.geomspace(1e-14, 1e-9, 6)
    x = np.concatenate([DIGAMMA_ZERO + e, DIGAMMA_ZERO - e])
    d = (x - 1.4616321449683622) - 9.549995429965697e-17   # x0 = 1.46163...22 + 9.55e-17
    np.testing.assert_allclose(ag.digamma(f64(x)).data, TRIGAMMA_AT_ZERO * d, rtol=1e-8)
    x = np.concatenate([np.linspace(0.02, 30, 600), np.geomspace(1e-300, 1e300, 60),
                        DIGAMMA_ZERO + np.geomspace(1e-15, 0.3, 30),
                        DIGAMMA_ZERO - np.geomspace(1e-15, 0.3, 30)])
    assert ulps(ag.digamma(f64(x)).data, mpmath_values(lambda mp, v: mp.digamma(v), x)).max() <= 10


def test_polygamma_exact_values_and_accuracy_to_high_orders():
    pi = math.pi
    cases = [(1, 1.0, pi ** 2 / 6), (1, 0.5, pi ** 2 / 2), (1, -0.5, pi ** 2 / 2 + 4),
             (2, 1.0, -2 * ZETA3), (3, 1.0, pi ** 4 / 15), (1, 1e-8, 1e16 + pi ** 2 / 6),
             (1, 1e8, 1e-8 + 0.5e-16)]
    for n, x, want in cases:
        got = ag.polygamma(n, f64(x)).item()
        assert abs(got - want) <= 4 * np.spacing(abs(want)), (n, x, got, want)
    x = np.concatenate([np.linspace(0.01, 25, 120), np.geomspace(1e-50, 1e50, 30)])
    xneg = -np.linspace(0.03, 20, 120) - 0.001
    for n in (1, 2, 3, 6, 12):
        want = mpmath_values(lambda mp, v: mp.polygamma(n, v), x)
        got = ag.polygamma(n, f64(x)).data
        finite = np.isfinite(want)   # (n! x^-(n+1) overflows for the tiny x at large n)
        assert ulps(got[finite], want[finite]).max() <= 8, n
        np.testing.assert_array_equal(got[~finite], want[~finite])
        # at x < 0, the reflection's cot(pi x) polynomial: relative to the terms' size
        want = mpmath_values(lambda mp, v: mp.polygamma(n, v), xneg)
        got = ag.polygamma(n, f64(xneg)).data
        terms = math.factorial(n) * pi ** (n + 1) / np.abs(np.sin(pi * xneg)) ** (n + 1)
        assert (np.abs(got - want) <= 64 * 2.2e-16 * np.maximum(np.abs(want), terms)).all(), n


def test_i0_is_within_a_few_ulps_up_to_where_it_overflows():
    x = np.concatenate([np.linspace(-30, 30, 601), np.geomspace(1e-300, 713.9, 80)])
    want = mpmath_values(lambda mp, v: mp.besseli(0, v), x)
    assert ulps(ag.i0(f64(x)).data, want).max() <= 8
    np.testing.assert_allclose(ag.i0(f64(x[np.abs(x) < 700])).data, np.i0(x[np.abs(x) < 700]),
                               rtol=1e-14)
    assert ag.i0(f64(714.0)).item() == np.inf   # (I0(713.98) = 1.8e308)


# ---- special points, dtypes, shapes -------------------------------------------------------

SPECIAL_X = [0.0, -0.0, -1.0, -2.0, -2.5, 1.0, 2.0, np.inf, -np.inf, np.nan]


@pytest.mark.filterwarnings("ignore:invalid value encountered in sin")   # (sinc(inf))
def test_values_at_poles_zeros_and_infinities():
    x = f64(SPECIAL_X)
    inf, nan = np.inf, np.nan
    expect = {
        "lgamma": [inf, inf, inf, inf, math.lgamma(-2.5), 0.0, 0.0, inf, inf, nan],
        "digamma": [-inf, inf, nan, nan, None, -EULER_GAMMA, 1 - EULER_GAMMA, inf, nan, nan],
        "erfc": [1.0, 1.0, math.erfc(-1), math.erfc(-2), math.erfc(-2.5), math.erfc(1),
                 math.erfc(2), 0.0, 2.0, nan],
        "i0": [1.0, 1.0, None, None, None, None, None, inf, inf, nan],
        "sinc": [1.0, 1.0, None, None, None, None, None, nan, nan, nan],
    }
    for name, want in expect.items():
        got = getattr(ag, name)(x).data
        for g, w, v in zip(got, want, SPECIAL_X):
            if w is not None:
                np.testing.assert_allclose(g, w, rtol=1e-15, atol=1e-15,
                                           err_msg=f"{name}({v})")
    # polygamma(n): (-1)^(n+1) inf at the poles, 0 at inf, NaN at -inf
    for n in (1, 2, 3):
        got = ag.polygamma(n, f64([0.0, -0.0, -1.0, -7.0, np.inf, -np.inf, np.nan])).data
        s = (-1) ** (n + 1)
        np.testing.assert_array_equal(got, [s * inf] * 4 + [s * 0.0, nan, nan])
        assert np.signbit(got[4]) == (s < 0)
    y = ag.erfinv(f64([-1.0, 1.0, -1.5, 1.0 + 1e-15, np.nan, 0.0, -0.0, 5e-324]))
    np.testing.assert_array_equal(y.data[:5], [-inf, inf, nan, nan, nan])
    assert np.signbit(y.data[6]) and y.data[5] == 0 and y.data[7] == 5e-324
    # sinc at the integers: sin(pi n) / (pi n), as PyTorch computes it (not exactly 0)
    np.testing.assert_allclose(ag.sinc(f64([1.0, -2.0, 3.0])).data,
                               np.sin(np.pi * np.array([1.0, -2.0, 3.0])) /
                               (np.pi * np.array([1.0, -2.0, 3.0])), rtol=1e-15)


UNARY = ["erfc", "erfinv", "lgamma", "digamma", "i0", "sinc", "deg2rad", "rad2deg"]


@pytest.mark.parametrize("name", UNARY + ["polygamma"])
def test_dtypes_empty_and_zero_d_tensors(name):
    fn = (lambda x: ag.polygamma(2, x)) if name == "polygamma" else getattr(ag, name)
    for x in (T([1, 2, 3]), T([True, False])):          # integers and bools: float32
        assert fn(x).dtype == ag.float32, name
    for dtype in (ag.float16, ag.float32, ag.float64):
        x = T([0.25, 0.5], dtype=dtype)
        y = fn(x)
        assert y.dtype == dtype
        np.testing.assert_allclose(y.data, fn(f64([0.25, 0.5])).data.astype(dtype),
                                   rtol=1e-3 if dtype == ag.float16 else 1e-6)
    for shape in ((0,), (2, 0), ()):
        x = ag.zeros(shape, dtype=ag.float64)
        assert fn(x).shape == shape and fn(x).dtype == ag.float64
    assert fn(f64(0.3) * 1.0).shape == ()     # a 0-d result held as a NumPy scalar


def test_complex_input_is_refused():
    for name in ("erfc", "erfinv", "lgamma", "digamma", "i0"):
        with pytest.raises(NotImplementedError, match=f"{name}.*complex"):
            getattr(ag, name)(T(np.array([1 + 1j])))


def test_silent_at_poles_and_outside_domains():
    # (sinc and deg2rad are compositions of sin and mul, which warn as NumPy does)
    x = f64([-1.0, 0.0, 2.0, -np.inf, np.inf, np.nan, 1e300, -1e300])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in ("erfc", "erfinv", "lgamma", "digamma", "i0"):
            getattr(ag, name)(x)
        ag.sinc(f64([0.0, 1e-300, 1e300, -1e300]))
        ag.polygamma(3, x)
        ag.xlog1py(x, x)
        ag.logaddexp2(f64([np.inf]), f64([np.inf]))
        ag.erfinv(f64([2.0, -1.0]))


def test_methods_and_aliases():
    x = f64([0.3, 0.6])
    for name in UNARY + ["signbit", "isneginf", "isposinf", "isreal", "absolute", "flipud"]:
        np.testing.assert_array_equal(getattr(x, name)().data, getattr(ag, name)(x).data)
    np.testing.assert_array_equal(x.polygamma(2).data, ag.polygamma(2, x).data)
    np.testing.assert_array_equal(ag.polygamma(0, x).data, ag.digamma(x).data)
    for name in ("copysign", "logaddexp2", "nextafter", "float_power", "ldexp"):
        np.testing.assert_array_equal(getattr(x, name)(x).data, getattr(ag, name)(x, x).data)
    assert ag.absolute is ag.abs and ag.greater is ag.gt and ag.greater_equal is ag.ge
    assert ag.less is ag.lt and ag.less_equal is ag.le and ag.not_equal is ag.ne
    i = T([12, 18])
    assert i.gcd(T([8])).tolist() == [4, 2] and i.lcm(T([8])).tolist() == [24, 72]
    assert (i << 2).tolist() == [48, 72] and (i >> T([1, 2])).tolist() == [6, 4]
    assert (1 << T([3, 4])).tolist() == [8, 16] and (100 >> T([3, 4])).tolist() == [12, 6]
    assert i.bitwise_left_shift(1).tolist() == [24, 36]
    assert i.bitwise_right_shift(1).tolist() == [6, 9]


# ---- the elementwise set -----------------------------------------------------------------

def test_copysign_gradients_follow_pytorch_at_zeros():
    a, b = f64([0.0, -0.0, 1.5, -2.0, 3.0], True), f64([-1.0, 2.0, -0.0, 0.0, np.nan], True)
    out = ag.copysign(a, b)
    np.testing.assert_array_equal(out.data, [-0.0, 0.0, -1.5, 2.0, 3.0])
    assert np.signbit(out.data[0]) and not np.signbit(out.data[1])
    ga, gb = ag.grad(out.sum(), [a, b])
    np.testing.assert_array_equal(ga.data, [0.0, 0.0, -1.0, -1.0, 1.0])
    np.testing.assert_array_equal(gb.data, [0.0] * 5)
    assert ag.copysign(T([1, 2]), -1).dtype == ag.float32


def test_heaviside_values_dtypes_and_no_derivative():
    x = f64([-1.5, 0.0, -0.0, 2.0, np.nan], True)
    out = ag.heaviside(x, f64([0.5]))
    np.testing.assert_array_equal(out.data, [0.0, 0.5, 0.5, 1.0, 0.0])
    assert out.requires_grad
    with pytest.raises(RuntimeError, match="heaviside.*not implemented"):
        out.sum().backward()
    assert ag.heaviside(T([-3, 0, 4]), T([7])).tolist() == [0, 7, 1]
    assert ag.heaviside(T([True, False]), T([True, False])).tolist() == [True, False]


def test_float_power_is_double_precision_and_ldexp_scales_by_powers_of_two():
    x = T([2.0, 3.0], requires_grad=True)
    y = ag.float_power(x, 2)
    assert y.dtype == ag.float64 and y.tolist() == [4.0, 9.0]
    (g,) = ag.grad(y.sum(), x)
    assert g.dtype == ag.float32 and g.tolist() == [4.0, 6.0]   # back in x's dtype
    assert ag.float_power(T([2]), T([-1])).tolist() == [0.5]    # (integer pow would refuse)
    assert ag.float_power(2, f64([0.5])).dtype == ag.float64
    assert ag.float_power(T([1.0]), 2 + 0j).dtype == np.complex128
    assert ag.ldexp(T([1, 3]), T([3, -1])).tolist() == [8.0, 1.5]
    assert ag.ldexp(T([1, 3]), T([3, -1])).dtype == ag.float32
    # a floating input with integer exponents: exact, beyond the range of 2^other itself
    assert ag.ldexp(f64([1e-30, 5e-324]), T([1100, 1074])).tolist() == [1e-30 * 2.0 ** 100 *
                                                                        2.0 ** 1000, 1.0]
    assert ag.ldexp(T([1.5], dtype=ag.float16), T([3])).dtype == ag.float16
    x = T([[0.5], [-1.0]], requires_grad=True)
    (g,) = ag.grad(ag.ldexp(x, T([1, -3, 2])).sum(), x)
    assert g.dtype == ag.float32 and g.tolist() == [[6.125], [6.125]]
    x, e = f64([1.5, -2.0], True), f64([2.0, 3.0], True)
    gx, ge = ag.grad(ag.ldexp(x, e).sum(), [x, e])
    np.testing.assert_allclose(gx.data, [4.0, 8.0])
    np.testing.assert_allclose(ge.data, [6.0 * math.log(2), -16.0 * math.log(2)])


def test_frexp_mantissa_exponent_and_gradient():
    x = f64([3.0, -6.0, 0.0, 0.75, 5e-324, np.inf, np.nan], True)
    m, e = ag.frexp(x)
    assert e.dtype == ag.int32 and not e.requires_grad
    np.testing.assert_array_equal(m.data, [0.75, -0.75, 0.0, 0.75, 0.5, np.inf, np.nan])
    np.testing.assert_array_equal(e.data, [2, 3, 0, 0, -1073, 0, 0])
    assert ag.frexp(x).mantissa is not None and ag.frexp(x)._fields == ("mantissa", "exponent")
    (g,) = ag.grad(m[:4].sum(), x)
    np.testing.assert_array_equal(g.data[:4], [0.25, 0.125, 1.0, 1.0])
    m32, _ = ag.frexp(T([10.0]))
    assert m32.dtype == ag.float32 and m32.tolist() == [0.625]


def test_nextafter_steps_one_ulp_with_pytorch_gradients():
    a, b = f64([1.0, 1.0, 0.0, 2.0], True), f64([2.0, 0.0, 0.0, 2.0], True)
    out = ag.nextafter(a, b)
    np.testing.assert_array_equal(out.data, [1.0 + 2 ** -52, 1.0 - 2 ** -53, 0.0, 2.0])
    ga, gb = ag.grad(out.sum(), [a, b])
    np.testing.assert_array_equal(ga.data, [1.0, 1.0, 0.0, 0.0])
    np.testing.assert_array_equal(gb.data, [0.0] * 4)
    assert ag.nextafter(T([1.0]), T([2.0])).tolist() == [np.nextafter(np.float32(1), 2)]


def test_sign_and_infinity_tests():
    x = f64([-0.0, 0.0, -1.0, np.inf, -np.inf, np.nan, -np.nan])
    np.testing.assert_array_equal(ag.signbit(x).data, [1, 0, 1, 0, 1, 0, 1])
    np.testing.assert_array_equal(ag.isneginf(x).data, [0, 0, 0, 0, 1, 0, 0])
    np.testing.assert_array_equal(ag.isposinf(x).data, [0, 0, 0, 1, 0, 0, 0])
    assert ag.isreal(x).data.all() and ag.isreal(T([1, 2])).dtype == ag.bool_
    np.testing.assert_array_equal(ag.isreal(T(np.array([1 + 0j, 1j]))).data, [True, False])
    assert ag.signbit(T([-3, 0, 2])).tolist() == [True, False, False]
    for name in ("signbit", "isneginf", "isposinf"):
        assert not getattr(ag, name)(x.requires_grad_()).requires_grad


def test_gcd_lcm_and_shifts_follow_pytorch_on_edge_values():
    assert ag.gcd(T([-4, 0, 6, 0]), T([6, -6, 0, 0])).tolist() == [2, 6, 6, 0]
    assert ag.lcm(T([-4, 0, 6, -4]), T([6, -6, 0, -6])).tolist() == [12, 0, 0, 12]
    a = T([1, -8, 5, -1])
    assert ag.bitwise_left_shift(a, T([63, 65, 100, -3])).tolist() == [-2 ** 63, 0, 0, 0]
    assert ag.bitwise_right_shift(a, T([63, 65, 100, -3])).tolist() == [0, -1, 0, -1]
    assert (a << 2).tolist() == [4, -32, 20, -4] and (a >> 2).tolist() == [0, -2, 1, -1]
    i8 = T([1, -128], dtype=np.int8)
    assert (i8 << T([9, 1], dtype=np.int8)).tolist() == [0, 0]
    assert (i8 >> T([9, 9], dtype=np.int8)).tolist() == [0, -1]
    assert (i8 << 7).dtype == np.int8 and (i8 << 7).tolist() == [-128, 0]
    u8 = T([255], dtype=np.uint8)
    assert (u8 >> T([8], dtype=np.uint8)).tolist() == [0]
    assert (u8 << T([9])).dtype == ag.int64 and (u8 << T([9])).tolist() == [255 * 512]


def test_fliplr_flipud_and_their_gradients():
    x = f64(np.arange(6.0).reshape(2, 3), True)
    np.testing.assert_array_equal(ag.fliplr(x).data, [[2, 1, 0], [5, 4, 3]])
    np.testing.assert_array_equal(ag.flipud(x).data, [[3, 4, 5], [0, 1, 2]])
    w = f64(np.arange(6.0).reshape(2, 3))
    (g,) = ag.grad((ag.fliplr(x) * w).sum() + (ag.flipud(x) * w).sum(), x)
    np.testing.assert_array_equal(g.data, np.fliplr(w.data) + np.flipud(w.data))


# ---- gradients at special points ---------------------------------------------------------

def test_special_function_derivatives_at_special_points():
    pi = math.pi
    # sinc: all derivatives right at 0 (PyTorch gives NaN from the second on)
    np.testing.assert_allclose(grad_of(ag.sinc, [0.0]), [0.0], atol=1e-300)
    np.testing.assert_allclose(grad_of(ag.sinc, [0.0], 2), [-pi ** 2 / 3], rtol=1e-14)
    np.testing.assert_allclose(grad_of(ag.sinc, [0.0], 4), [pi ** 4 / 5], rtol=1e-14)
    # sinc'(x) = -pi^2 x / 3 + O(x^3) near 0, with no cancellation
    np.testing.assert_allclose(grad_of(ag.sinc, [1e-8, -3e-6]),
                               [-pi ** 2 / 3 * 1e-8, pi ** 2 / 3 * 3e-6], rtol=1e-10)
    # i0 = sum (x/2)^2k / k!^2: i0'(0) = 0, i0''(0) = 1/2, i0''''(0) = 3/8
    np.testing.assert_allclose(grad_of(ag.i0, [0.0], 2), [0.5], rtol=1e-15)
    np.testing.assert_allclose(grad_of(ag.i0, [0.0], 3), [0.0], atol=1e-300)
    np.testing.assert_allclose(grad_of(ag.i0, [0.0], 4), [0.375], rtol=1e-15)
    # lgamma' = digamma, digamma' = trigamma, polygamma(n)' = polygamma(n + 1)
    x = [0.3, 2.5, -1.5]
    np.testing.assert_allclose(grad_of(ag.lgamma, x), ag.digamma(f64(x)).data, rtol=1e-15)
    np.testing.assert_allclose(grad_of(ag.lgamma, x, 3), ag.polygamma(2, f64(x)).data,
                               rtol=1e-15)
    np.testing.assert_allclose(grad_of(lambda v: ag.polygamma(2, v), x, 2),
                               ag.polygamma(4, f64(x)).data, rtol=1e-15)
    # erfinv' = sqrt(pi)/2 exp(erfinv^2): inf at +-1; erfc' = -2/sqrt(pi) exp(-x^2)
    for y in (-1.0, 1.0):
        np.testing.assert_array_equal(grad_of(ag.erfinv, [y]), [np.inf])
    np.testing.assert_allclose(grad_of(ag.erfinv, [0.0]), [math.sqrt(pi) / 2], rtol=1e-15)
    np.testing.assert_allclose(grad_of(ag.erfc, [0.0, 3.0]),
                               -2 / math.sqrt(pi) * np.exp(-np.array([0.0, 9.0])), rtol=1e-15)
    # xlog1py's PyTorch gradients where x = 0
    a, b = f64([0.0, 0.0, 0.0, 2.0], True), f64([-1.0, -2.0, 3.0, -1.0], True)
    out = ag.xlog1py(a, b)
    np.testing.assert_array_equal(out.data, [0.0, 0.0, 0.0, -np.inf])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # (0/0 in backward, as PyTorch's)
        ga, gb = ag.grad(out.sum(), [a, b])
    np.testing.assert_array_equal(ga.data, [0.0, 0.0, math.log(4.0), -np.inf])
    np.testing.assert_array_equal(gb.data, [np.nan, -0.0, 0.0, np.inf])


# ---- errors ----------------------------------------------------------------------------

def test_errors():
    x = f64([0.5])
    with pytest.raises(TypeError, match="polygamma.*'n'.*int.*float"):
        ag.polygamma(1.5, x)
    with pytest.raises(RuntimeError, match="polygamma.*negative n"):
        ag.polygamma(-1, x)
    for name in ("logaddexp2", "nextafter"):
        with pytest.raises(NotImplementedError, match=name):
            getattr(ag, name)(T([1, 2]), T([3, 4]))
    for name, kernel in (("gcd", "gcd"), ("lcm", "lcm"), ("bitwise_left_shift", "lshift"),
                         ("bitwise_right_shift", "rshift")):
        for bad in (T([1.5]), T([True])):
            with pytest.raises(NotImplementedError, match=f"{name}.*{kernel}_cpu"):
                getattr(ag, name)(bad, bad)
    with pytest.raises(NotImplementedError, match="lshift_cpu.*float32"):
        T([1.5]) << 1
    with pytest.raises(RuntimeError, match="heaviside.*different dtypes.*float32.*float64"):
        ag.heaviside(T([1.0]), f64([0.5]))
    with pytest.raises(TypeError, match="heaviside.*'values' must be Tensor, not float"):
        ag.heaviside(T([1.0]), 0.5)
    with pytest.raises(RuntimeError, match="frexp.*floating.*int64"):
        ag.frexp(T([1, 2]))
    with pytest.raises(RuntimeError, match="fliplr.*>= 2-d.*\\(3,\\)"):
        ag.fliplr(T([1.0, 2.0, 3.0]))
    with pytest.raises(RuntimeError, match="flipud.*>= 1-d.*\\(\\)"):
        ag.flipud(T(1.0))


def test_errors_match_pytorch_types():
    cases = [
        (TypeError, "polygamma", lambda m: m.polygamma(1.5, m.tensor([0.5]))),
        (RuntimeError, "negative", lambda m: m.polygamma(-1, m.tensor([0.5]))),
        (NotImplementedError, "logaddexp2", lambda m: m.logaddexp2(m.tensor([1]), m.tensor([2]))),
        (NotImplementedError, "nextafter", lambda m: m.nextafter(m.tensor([1]), m.tensor([2]))),
        (NotImplementedError, "gcd_cpu", lambda m: m.gcd(m.tensor([1.5]), m.tensor([1.5]))),
        (NotImplementedError, "lcm_cpu", lambda m: m.lcm(m.tensor([True]), m.tensor([True]))),
        (NotImplementedError, "rshift_cpu",
         lambda m: m.bitwise_right_shift(m.tensor([1.5]), m.tensor([1]))),
        (RuntimeError, "different dtypes",
         lambda m: m.heaviside(m.tensor([1.0]), m.tensor([1], dtype=m.int64))),
        (RuntimeError, "floating", lambda m: m.frexp(m.tensor([1]))),
        (RuntimeError, "2-d", lambda m: m.fliplr(m.tensor([1.0]))),
        (RuntimeError, "1-d", lambda m: m.flipud(m.tensor(1.0))),
    ]
    for exc, match, call in cases:
        assert_raises_like_torch(exc, match, lambda: call(ag), call)


# ---- against PyTorch ---------------------------------------------------------------------

def _points():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(-6, 6, 40), rng.uniform(0, 30, 10),
                        [0.5, 1.0, 2.0, -0.5, -2.5, 1e-8, 1e-300, 700.0, np.nan]])
    return x


def _check_torch(torch, name, ours, theirs, args, rtol, atol=0.0, grad_rtol=None):
    """Values (float64 for floating arguments; integer ones as they are), then the first
    and second derivatives in the floating arguments."""
    floating = [np.asarray(a).dtype.kind == "f" for a in args]
    ts = [torch.tensor(a, requires_grad=f) for a, f in zip(args, floating)]
    gs = [f64(a, True) if f else T(a) for a, f in zip(args, floating)]
    want, got = theirs(*ts), ours(*gs)
    np.testing.assert_allclose(got.data, want.detach().numpy(), rtol=rtol, atol=atol,
                               err_msg=name)
    if grad_rtol is None:
        return
    ts = [t for t, f in zip(ts, floating) if f]
    gs = [g for g, f in zip(gs, floating) if f]
    tg = torch.autograd.grad(want.sum(), ts, create_graph=True)
    og = ag.grad(got.sum(), gs, create_graph=True)
    for a, b in zip(tg, og):
        np.testing.assert_allclose(b.data, a.detach().numpy(), rtol=grad_rtol, atol=atol,
                                   err_msg=f"{name}'")
    if not any(g.requires_grad for g in og):   # a constant slope (copysign, deg2rad...)
        th = torch.autograd.grad(sum(g.sum() for g in tg), ts, allow_unused=True) \
            if any(g.requires_grad for g in tg) else ()
        for h in th:   # (PyTorch may record it, and find 0)
            assert h is None or not np.nan_to_num(h.numpy()).any(), name
        return
    th = torch.autograd.grad(sum(g.sum() for g in tg), ts)
    oh = ag.grad(sum(g.sum() for g in og), gs)
    for a, b in zip(th, oh):
        np.testing.assert_allclose(b.data, a.numpy(), rtol=grad_rtol, atol=atol,
                                   err_msg=f"{name}''")


def test_special_functions_match_torch_in_float64():
    torch = pytest.importorskip("torch")
    x = _points()
    pos = np.abs(x) + 0.01
    off = np.where(x == np.round(x), x + 0.3, x)[:-2]   # off the poles (and 700, NaN)
    y = np.tanh(x / 3)
    check = lambda name, *a, **k: _check_torch(torch, name, getattr(ag, name),  # noqa: E731
                                               getattr(torch, name), a, **k)
    check("erfc", x, rtol=4e-15, grad_rtol=1e-14)
    check("erfinv", y, rtol=4e-15, grad_rtol=1e-13)
    # (lgamma's second derivative is trigamma: PyTorch's, ~1e-9 accurate, see below)
    check("lgamma", off, rtol=1e-13, atol=1e-15, grad_rtol=1e-8)
    check("i0", x[:-1], rtol=4e-15, grad_rtol=4e-15)   # (PyTorch's i0''(NaN) is 0.5)
    # (not at 0 or 1e-8, where PyTorch's formula for sinc' cancels: see above)
    check("sinc", x[:-4], rtol=1e-15, atol=1e-17, grad_rtol=1e-12)
    # (its second derivatives in a and b cancel in the sum: atol)
    check("logaddexp2", x, y * 5, rtol=1e-15, atol=1e-15, grad_rtol=1e-13)
    _check_torch(torch, "xlog1py", ag.xlog1py, torch.special.xlog1py, (x, pos), rtol=1e-15,
                 grad_rtol=1e-14)
    # PyTorch's digamma cancels near its zero 1.46 (absolute error ~1e-16), and its
    # trigamma (polygamma(1)) is a 3-term asymptotic series, accurate to ~1e-9 only
    _check_torch(torch, "digamma", ag.digamma, torch.digamma, (off,), rtol=1e-14,
                 atol=1e-15)
    _check_torch(torch, "polygamma1", lambda v: ag.polygamma(1, v),
                 lambda v: torch.polygamma(1, v), (off,), rtol=1e-8)
    for n in (2, 3, 5):
        _check_torch(torch, f"polygamma{n}", lambda v: ag.polygamma(n, v),
                     lambda v: torch.polygamma(n, v), (off,), rtol=1e-12)


def test_elementwise_set_matches_torch_in_float64():
    torch = pytest.importorskip("torch")
    x = _points()
    y = np.concatenate([-x[::-1][1:], [0.0]])
    check = lambda name, *a, **k: _check_torch(torch, name, getattr(ag, name),  # noqa: E731
                                               getattr(torch, name), a, **k)
    check("copysign", x, y, rtol=0, grad_rtol=0)
    check("deg2rad", x, rtol=1e-15, grad_rtol=1e-15)
    check("rad2deg", x, rtol=1e-15, grad_rtol=1e-15)
    check("nextafter", x, y, rtol=0, grad_rtol=0)
    check("ldexp", x, y * 3, rtol=1e-15, grad_rtol=1e-14)   # input * 2^other
    # integer exponents: exact values; the gradient 2^e (PyTorch's is pow(2, e) in integer
    # arithmetic, 0 for e < 0 or e >= 63: not compared)
    e = np.round(y * 80).astype(np.int64)
    check("ldexp", x, e, rtol=0)
    np.testing.assert_array_equal(grad_of(lambda v: ag.ldexp(v, T(e)), x), np.ldexp(1.0, e))
    check("float_power", np.abs(x) + 0.5, y / 3, rtol=1e-14, grad_rtol=1e-13)
    ours, theirs = ag.frexp(f64(x)), torch.frexp(torch.tensor(x))
    np.testing.assert_array_equal(ours.mantissa.data, theirs.mantissa.numpy())
    np.testing.assert_array_equal(ours.exponent.data, theirs.exponent.numpy())
    for name in ("signbit", "isneginf", "isposinf", "isreal"):
        z = np.concatenate([x, [np.inf, -np.inf, -0.0]])
        np.testing.assert_array_equal(getattr(ag, name)(f64(z)).data,
                                      getattr(torch, name)(torch.tensor(z)).numpy())


def test_float32_values_match_torch():
    torch = pytest.importorskip("torch")
    x = _points()[:-3].astype(np.float32)
    for name, arg in (("erfc", x), ("erfinv", np.tanh(x / 3)), ("lgamma", x),
                      ("digamma", x + 0.3), ("i0", x), ("sinc", x), ("deg2rad", x),
                      ("rad2deg", x)):
        want = getattr(torch, name)(torch.tensor(arg)).numpy()
        got = getattr(ag, name)(T(arg)).data
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, want, rtol=4e-6, atol=1e-6, err_msg=name)


@pytest.mark.filterwarnings("ignore:invalid value")   # (float_power(-1, 0.5) is NaN)
def test_dtypes_match_torch():
    torch = pytest.importorskip("torch")
    operands = [np.array([1, 2, 3]), np.array([True, False, True]),
                np.array([1.5, 2.5, 0.5], np.float32), np.array([-1, 2, 3], np.int8),
                np.array([0.5, 1.5, 2.0])]

    def outcome(fn):
        try:
            r = fn()
        except Exception as e:   # noqa: BLE001 - the exception type is what is compared
            return type(e).__mro__[:2]
        r = r[0] if isinstance(r, tuple) else r
        return str(r.dtype).replace("torch.", "").replace("bool_", "bool")

    unary = ["erfc", "erfinv", "lgamma", "digamma", "i0", "sinc", "deg2rad", "rad2deg",
             "signbit", "isneginf", "isposinf", "isreal", "frexp"]
    binary = ["copysign", "logaddexp2", "float_power", "ldexp", "nextafter", "gcd", "lcm",
              "bitwise_left_shift", "bitwise_right_shift", "heaviside", "greater", "less_equal",
              "not_equal"]
    for a in operands:
        for name in unary:
            ours, theirs = (outcome(lambda: getattr(m, name)(m.tensor(a))) for m in (ag, torch))
            assert ours == theirs, (name, a.dtype, ours, theirs)
        ours, theirs = (outcome(lambda: m.polygamma(1, m.tensor(a))) for m in (ag, torch))
        assert ours == theirs, ("polygamma", a.dtype)
        for b in operands:
            for name in binary:
                ours, theirs = (outcome(lambda: getattr(m, name)(m.tensor(a), m.tensor(b)))
                                for m in (ag, torch))
                # (both raise, or give one dtype; our message-bearing types may subclass)
                if isinstance(theirs, tuple):
                    assert isinstance(ours, tuple) and issubclass(ours[0], theirs[0]), \
                        (name, a.dtype, b.dtype, ours, theirs)
                else:
                    assert ours == theirs, (name, a.dtype, b.dtype, ours, theirs)
        ours, theirs = (outcome(lambda: m.special.xlog1py(m.tensor(a), m.tensor(a)))
                        if m is torch else outcome(lambda: ag.xlog1py(ag.tensor(a), ag.tensor(a)))
                        for m in (ag, torch))
        assert ours == theirs, ("xlog1py", a.dtype)


def test_shifts_match_torch_for_every_count():
    torch = pytest.importorskip("torch")
    for dtype in (np.int8, np.uint8, np.int32, np.int64):
        info = np.iinfo(dtype)
        a = np.array([info.min, -5 if info.min else 5, -1 if info.min else 128, 0, 1, 7,
                      info.max], dtype=dtype)
        bits = 8 * np.dtype(dtype).itemsize
        counts = np.arange(-2, bits + 3).astype(dtype if dtype != np.uint8 else np.int16)
        a2, c2 = np.broadcast_arrays(a[:, None], counts[None, :])
        for name in ("bitwise_left_shift", "bitwise_right_shift"):
            ours = getattr(ag, name)(T(a2.copy()), T(c2.copy()))
            theirs = getattr(torch, name)(torch.tensor(a2.copy()), torch.tensor(c2.copy()))
            assert str(ours.dtype) == str(theirs.dtype).replace("torch.", ""), (name, dtype)
            np.testing.assert_array_equal(ours.data, theirs.numpy(), err_msg=f"{name} {dtype}")
