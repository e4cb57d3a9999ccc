"""PyTorch parity of the elementwise and arithmetic ops: clamp's and pow's gradients at
their special points, sigmoid's precision, bitwise operators, result dtypes (type
promotion) and NaN conventions.  Expected values are derived by hand (they are what
PyTorch 2.13 gives); the tests marked so also compare against PyTorch when installed."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd as ag


def f64(values, requires_grad=True):
    return ag.tensor(values, dtype=ag.float64, requires_grad=requires_grad)


# ---- clamp with tensor bounds --------------------------------------------------------

# x inside, at either bound, beyond either bound, x == lo == hi, and lo > hi (where the
# result is hi whatever x is).
X = [-1.0, 0.0, 0.5, 1.0, 2.0, 0.5, 3.0, 0.75, -1.0, 0.5]
LO = [0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 1.0, 0.75, 1.0, 1.0]
HI = [1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.0, 0.75, 0.0, 0.0]
# x gets g where lo <= x <= hi; lo where x < lo < hi; hi where x > hi or hi < lo
GX = [0, 1, 1, 1, 0, 1, 0, 1, 0, 0]
GLO = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0]
GHI = [0, 0, 0, 0, 1, 0, 1, 0, 1, 1]


def test_clamp_with_a_tensor_bound_gives_x_the_whole_gradient_at_a_tie():
    x = ag.tensor([0.0, 0.5], requires_grad=True)
    ag.clamp(x, 0.0, ag.tensor([1.0, 0.5])).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 1.0])


def test_clamp_tensor_bounds_values_and_gradients():
    x, lo, hi = f64(X), f64(LO), f64(HI)
    y = ag.clamp(x, lo, hi)
    np.testing.assert_array_equal(y.data, np.minimum(np.maximum(X, LO), HI))
    gx, glo, ghi = ag.grad(y.sum(), (x, lo, hi))
    np.testing.assert_array_equal(gx.data, GX)
    np.testing.assert_array_equal(glo.data, GLO)
    np.testing.assert_array_equal(ghi.data, GHI)


def test_clamp_with_one_tensor_bound():
    x, lo, hi = f64(X), f64(LO), f64(HI)
    gx, glo = ag.grad(ag.clamp(x, min=lo).sum(), (x, lo))
    np.testing.assert_array_equal(gx.data, np.greater_equal(X, LO))
    np.testing.assert_array_equal(glo.data, np.less(X, LO))
    gx, ghi = ag.grad(ag.clamp(x, max=hi).sum(), (x, hi))
    np.testing.assert_array_equal(gx.data, np.less_equal(X, HI))
    np.testing.assert_array_equal(ghi.data, np.greater(X, HI))
    # a number for one bound, a tensor for the other
    (gx,) = ag.grad(ag.clamp(x, 0.0, hi).sum(), (x,))
    np.testing.assert_array_equal(gx.data, np.greater_equal(X, 0.0) & np.less_equal(X, HI))


def test_clamp_tensor_bounds_second_order():
    # The gradients are g masked: linear in g, so d(grad)/dg is the mask and d(grad)/dx 0.
    x, lo, hi = f64(X), f64(LO), f64(HI)
    u = f64(np.linspace(1.0, 2.0, len(X)))
    gx, glo, ghi = ag.grad((ag.clamp(x, lo, hi) * u).sum(), (x, lo, hi), create_graph=True)
    v, w, z = (np.arange(len(X)) + k for k in (1.0, 20.0, 40.0))
    total = (gx * ag.tensor(v)).sum() + (glo * ag.tensor(w)).sum() + (ghi * ag.tensor(z)).sum()
    du, dx = ag.grad(total, (u, x), allow_unused=True)
    np.testing.assert_array_equal(du.data, GX * v + GLO * w + GHI * z)
    assert dx is None or not dx.data.any()


def test_clamp_tensor_bounds_broadcast_and_sum_back():
    x = f64([[0.0, 2.0], [1.0, -3.0]])
    lo = f64([0.5, -1.0])
    y = ag.clamp(x, lo, 1.5)
    np.testing.assert_array_equal(y.data, [[0.5, 1.5], [1.0, -1.0]])
    gx, glo = ag.grad(y.sum(), (x, lo))
    np.testing.assert_array_equal(gx.data, [[0, 0], [1, 0]])
    np.testing.assert_array_equal(glo.data, [1, 1])


def test_clamp_tensor_bounds_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    xs, los, his = (np.round(rng.uniform(-2, 2, (3, 40)) * 2) / 2)   # many ties
    tx, tlo, thi = (torch.tensor(a, requires_grad=True) for a in (xs, los, his))
    torch.clamp(tx, tlo, thi).sum().backward()
    x, lo, hi = f64(xs), f64(los), f64(his)
    ag.clamp(x, lo, hi).sum().backward()
    for ours, theirs in ((x, tx), (lo, tlo), (hi, thi)):
        np.testing.assert_array_equal(ours.grad.data, theirs.grad.numpy())


def test_clip_is_a_module_level_alias_of_clamp():
    x = f64([-2.0, 0.25, 3.0])
    np.testing.assert_array_equal(ag.clip(x, -1.0, 1.0).data, [-1.0, 0.25, 1.0])
    assert ag.clip is ag.clamp and x.clip(max=0.0).data.max() == 0.0


# ---- pow -------------------------------------------------------------------------------

def test_pow_tensor_exponent_zero_at_base_zero_has_zero_gradient():
    x = ag.tensor([0.0, 1.0], requires_grad=True)
    (x ** ag.tensor([0.0, 0.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0])
    x = ag.tensor([0.0, 2.0, 0.0], requires_grad=True)
    ag.pow(x, np.array([0.0, 0.0, 1.0], dtype=np.float32)).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0, 1.0])


def test_pow_exponent_zero_keeps_the_mixed_second_derivative():
    # d/db (b x^(b-1)) at b = 0 is 1/x: only the 0 * inf point itself is masked.
    x, b = f64([2.0, 0.0]), f64([0.0, 0.0])
    (gx,) = ag.grad((x ** b).sum(), (x,), create_graph=True)
    np.testing.assert_array_equal(gx.data, [0.0, 0.0])
    (gb,) = ag.grad(gx.sum(), (b,))
    assert gb.data[0] == 0.5


def test_pow_tensor_exponent_zero_at_nan_base_has_zero_gradient():
    # d/dx x^0 is 0 even at a NaN base (PyTorch's convention), as the number exponent 0
    # already gives; b x^(b-1) alone would be 0 * nan there.
    nan = float("nan")
    x = f64([nan, 2.0, 0.0])
    (x ** f64([0.0, 0.0, 0.0], requires_grad=False)).sum().backward()
    y = f64([nan, 2.0, 0.0])
    (y ** 0.0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, y.grad.data)
    torch = pytest.importorskip("torch")
    tx = torch.tensor([nan, 2.0, 0.0, nan], dtype=torch.float64, requires_grad=True)
    (tx ** torch.tensor([0.0, 0.0, 0.0, 1.0], dtype=torch.float64)).sum().backward()
    x = f64([nan, 2.0, 0.0, nan])
    (x ** f64([0.0, 0.0, 0.0, 1.0], requires_grad=False)).sum().backward()
    np.testing.assert_array_equal(x.grad.data, tx.grad.numpy())


def test_integer_pow_follows_torch():
    with pytest.raises(RuntimeError, match="negative integer powers"):
        ag.tensor([1, 2, 3]) ** -1
    with pytest.raises(RuntimeError, match="negative integer powers"):
        ag.tensor([True, False]) ** -2
    # a tensor exponent may be negative: 1, +-1 for a base of -1, else 0
    out = ag.tensor([1, 2, -1, -1, 0, 3]) ** ag.tensor([-1, -1, -1, -2, -1, 2])
    assert out.dtype == ag.int64
    np.testing.assert_array_equal(out.data, [1, 0, -1, 1, 0, 9])
    np.testing.assert_array_equal((2 ** ag.tensor([-1, 3])).data, [0, 8])
    assert (ag.tensor([1, 2]) ** 2).dtype == ag.int64
    assert (ag.tensor([True, False]) ** 2).dtype == ag.int64
    assert (ag.tensor([1, 2]) ** 0.5).dtype == ag.float32
    assert (2.0 ** ag.tensor([1, 2])).dtype == ag.float32
    with pytest.raises(NotImplementedError):
        ag.tensor([True]) ** ag.tensor([True])


# ---- sigmoid ---------------------------------------------------------------------------

def test_sigmoid_is_accurate_for_large_negative_inputs():
    xs = np.array([-19.99, -30.0, -60.0, -88.0, -5.0, 0.0, 3.0, 20.0])
    want = 1 / (1 + np.exp(-xs))                       # float64: exact to float32
    with warnings.catch_warnings():
        warnings.simplefilter("error")                 # no overflow warning either
        got = ag.sigmoid(ag.tensor(xs.astype(np.float32))).data
        big = ag.sigmoid(ag.tensor([-100.0, -1e30, -np.inf, np.inf, np.nan])).data
        got64 = ag.sigmoid(ag.tensor([-40.0, -700.0, -800.0], dtype=ag.float64)).data
        scalar = ag.sigmoid(ag.tensor(-30.0) * 1.0)    # a 0-d result: a NumPy scalar
        overflow = ag.sigmoid(ag.tensor(-100.0) * 1.0)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=2e-7)
    np.testing.assert_array_equal(big, [0.0, 0.0, 0.0, 1.0, np.nan])
    np.testing.assert_allclose(got64, list(1 / (1 + np.exp([40.0, 700.0]))) + [0.0],
                               rtol=1e-15)
    assert scalar.dtype == ag.float32 and overflow.dtype == ag.float32
    assert scalar.item() == pytest.approx(9.357622968840175e-14, rel=2e-7)
    assert overflow.item() == 0.0


def test_sigmoid_float16_and_gradients():
    h = ag.sigmoid(ag.tensor([-12.0, 1.0], dtype=ag.float16))
    assert h.dtype == ag.float16
    np.testing.assert_allclose(h.data, np.float16(1 / (1 + np.exp([12.0, -1.0]))), rtol=1e-3)
    x = f64([-30.0, 0.0, 2.0])
    (g,) = ag.grad(ag.sigmoid(x).sum(), (x,), create_graph=True)
    s = 1 / (1 + np.exp(-x.data))
    np.testing.assert_allclose(g.data, s * (1 - s), rtol=1e-14)
    (h2,) = ag.grad(g.sum(), (x,))
    np.testing.assert_allclose(h2.data, s * (1 - s) * (1 - 2 * s), rtol=1e-14)


def test_sigmoid_matches_torch():
    torch = pytest.importorskip("torch")
    xs = np.linspace(-110, 30, 2001).astype(np.float32)
    np.testing.assert_allclose(ag.sigmoid(ag.tensor(xs)).data,
                               torch.sigmoid(torch.from_numpy(xs)).numpy(), rtol=3e-7, atol=0)


# ---- bitwise operators ------------------------------------------------------------------

def test_bitwise_operators_on_integers():
    t = ag.tensor([1, 2, 3, 6])
    np.testing.assert_array_equal((t & 1).data, [1, 0, 1, 0])
    np.testing.assert_array_equal((t | ag.tensor([8, 1, 1, 1])).data, [9, 3, 3, 7])
    np.testing.assert_array_equal((t ^ 3).data, [2, 1, 0, 5])
    np.testing.assert_array_equal((5 & t).data, [1, 0, 1, 4])
    np.testing.assert_array_equal((~ag.tensor([1, 2, -3])).data, [-2, -3, 2])
    np.testing.assert_array_equal(ag.bitwise_not(ag.tensor([0, 7])).data, [-1, -8])
    assert (t & 1).dtype == ag.int64
    u8 = ag.tensor(np.array([1, 2], dtype=np.uint8))
    assert (u8 & ag.tensor([3, 3])).dtype == ag.int64
    assert (~u8).dtype == ag.uint8


def test_bitwise_operators_on_bools_are_logical():
    a, b = ag.tensor([True, True, False, False]), ag.tensor([True, False, True, False])
    np.testing.assert_array_equal((a & b).data, [True, False, False, False])
    np.testing.assert_array_equal((a | b).data, [True, True, True, False])
    np.testing.assert_array_equal((a ^ b).data, [False, True, True, False])
    np.testing.assert_array_equal((~a).data, [False, False, True, True])
    assert (a & b).dtype == ag.bool_ and (a | True).dtype == ag.bool_
    out = ag.tensor([True, False]) ^ 2                # bool with int: int64, bitwise
    assert out.dtype == ag.int64
    np.testing.assert_array_equal(out.data, [3, 2])


def test_bitwise_operators_refuse_floats():
    x = ag.tensor([1.0, 2.0])
    for op in (lambda: x & 1, lambda: x | ag.tensor([1, 2]), lambda: 1 ^ x,
               lambda: ag.tensor([1]) & 1.5, lambda: ag.bitwise_not(x)):
        with pytest.raises(NotImplementedError, match="bitwise"):
            op()
    with pytest.raises(TypeError, match="integer and Boolean"):
        ~x


# ---- type promotion -----------------------------------------------------------------------

def _t(dtype, shape=(2,)):
    return ag.tensor(np.ones(shape, dtype=dtype))


PROMOTION = [
    # (a, b, result dtype of a + b)
    (_t(np.float32), _t(np.int64), np.float32),        # a higher category keeps its dtype
    (_t(np.float16), _t(np.int64), np.float16),
    (_t(np.int32), _t(np.int64), np.int64),            # within a category, as usual
    (_t(np.float32), _t(np.float64), np.float64),
    (_t(np.uint8), _t(np.int8), np.int16),
    (_t(np.bool_), _t(np.uint8), np.uint8),
    (_t(np.float32), _t(np.float64, ()), np.float32),  # 0-d: only a higher category counts
    (_t(np.int64), _t(np.float64, ()), np.float64),
    (_t(np.int32), _t(np.int64, ()), np.int32),
    (_t(np.uint8), _t(np.int64, ()), np.uint8),
    (_t(np.bool_), _t(np.int32, ()), np.int32),
    (_t(np.float16, ()), _t(np.float64, ()), np.float64),
    (_t(np.int64, ()), _t(np.float16, ()), np.float16),
    (_t(np.int64), 2.5, np.float32),                   # a Python float: the default float
    (_t(np.bool_), 2.5, np.float32),
    (_t(np.int64, ()), 2.5, np.float32),
    (_t(np.int32), 2, np.int32),
    (_t(np.bool_), 2, np.int64),
    (_t(np.float16), 2.5, np.float16),
    (_t(np.float32, ()), 2.5, np.float32),
]


@pytest.mark.parametrize("a, b, want", PROMOTION)
def test_binary_ops_promote_like_torch(a, b, want):
    for op in (lambda p, q: p + q, lambda p, q: q * p, lambda p, q: ag.maximum(p, q),
               lambda p, q: ag.minimum(q, p), lambda p, q: ag.where(True, p, q)):
        assert op(a, b).dtype == want


def test_where_of_two_numbers_gives_the_default_float():
    c = ag.tensor([True, False])
    out = ag.where(c, 1.0, 0.5)
    assert out.dtype == ag.float32
    np.testing.assert_array_equal(out.data, [1.0, 0.5])
    assert ag.where(c, 1, 0).dtype == ag.int64
    assert ag.where(c, ag.tensor([1, 2]), 0.5).dtype == ag.float32


def test_where_method_puts_the_tensor_in_the_chosen_slot():
    # x.where(cond, y) is where(cond, x, y) (PyTorch), not where(x, cond, y)
    xd, yd = np.array([1.0, 2.0, 3.0]), np.array([10.0, 20.0, 30.0])
    x, y = f64(xd), f64(yd)
    out = x.where(x > 1.5, y)
    np.testing.assert_array_equal(out.data, np.where(xd > 1.5, xd, yd))
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, xd > 1.5)
    np.testing.assert_array_equal(y.grad.data, xd <= 1.5)
    np.testing.assert_array_equal(x.where(x > 1.5, 0.0).data, np.where(xd > 1.5, xd, 0.0))


def test_where_refuses_a_condition_that_is_not_bool():
    a, b = ag.ones(2), ag.zeros(2)
    for cond in (ag.tensor([1.0, 0.0]), ag.tensor([1, 0]), np.array([1, 0])):
        with pytest.raises(RuntimeError, match="where.*boolean.*(float32|int64)"):
            ag.where(cond, a, b)
    with pytest.raises(RuntimeError, match="where.*boolean"):
        a.where(ag.tensor([1.0, 0.0]), b)
    # uint8, PyTorch's old boolean type, still selects, with a deprecation warning
    with pytest.warns(UserWarning, match="uint8"):
        out = ag.where(ag.tensor([1, 0], dtype=ag.uint8), a, b)
    np.testing.assert_array_equal(out.data, np.where([True, False], 1.0, 0.0))


def test_where_condition_dtypes_match_torch():
    torch = pytest.importorskip("torch")
    for dtype in ("bool", "uint8", "int64", "float32"):
        cond = np.array([1, 0, 1]).astype(dtype)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                want = torch.where(torch.tensor(cond), torch.ones(3), torch.zeros(3)).numpy()
        except RuntimeError:
            with pytest.raises(RuntimeError):
                ag.where(ag.tensor(cond), ag.ones(3), ag.zeros(3))
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = ag.where(ag.tensor(cond), ag.ones(3), ag.zeros(3))
        np.testing.assert_array_equal(got.data, want)


def test_promotion_matches_torch():
    torch = pytest.importorskip("torch")
    kinds = [np.bool_, np.uint8, np.int32, np.int64, np.float16, np.float32, np.float64]
    ops = [lambda m, a, b: a + b, lambda m, a, b: a * b, lambda m, a, b: a / b,
           lambda m, a, b: m.maximum(a, b), lambda m, a, b: m.where(a > 0, a, b),
           lambda m, a, b: m.clamp(a, b), lambda m, a, b: m.clamp(a, None, b)]
    for ka in kinds:
        for kb in kinds:
            for sa, sb in (((2,), (2,)), ((2,), ()), ((), (2,)), ((), ())):
                a, b = np.ones(sa, ka), np.ones(sb, kb)
                for op in ops:
                    try:
                        want = op(torch, torch.tensor(a), torch.tensor(b)).dtype
                    except RuntimeError:
                        continue
                    got = op(ag, ag.tensor(a), ag.tensor(b)).dtype
                    assert str(got) == str(want).replace("torch.", ""), (ka, sa, kb, sb)


def test_promotion_casts_are_recorded_so_gradients_keep_their_dtype():
    w = ag.tensor(0.5, dtype=ag.float64, requires_grad=True)     # 0-d float64
    x = ag.tensor([1.0, 2.0], requires_grad=True)                 # float32
    y = x * w
    assert y.dtype == ag.float32
    y.sum().backward()
    assert w.grad.dtype == ag.float64 and w.grad.item() == 3.0
    assert x.grad.dtype == ag.float32
    np.testing.assert_array_equal(x.grad.data, [0.5, 0.5])
    # a float32 tensor times an int64 one: float32, and the gradient flows
    x.grad = None
    (x * ag.tensor([3, 4])).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 4.0])


def test_true_division_of_integers_gives_the_default_float():
    assert (ag.tensor([1, 2]) / ag.tensor([2, 2])).dtype == ag.float32
    assert (ag.tensor([1, 2]) / 2).dtype == ag.float32
    assert (1 / ag.tensor([1, 2])).dtype == ag.float32
    assert (ag.tensor([True]) / ag.tensor([True])).dtype == ag.float32
    np.testing.assert_array_equal((ag.tensor([1, 3]) / 2).data, [0.5, 1.5])
    ag.set_default_dtype(ag.float64)
    try:
        assert (ag.tensor([1, 2]) / 2).dtype == ag.float64
        assert (ag.tensor([1, 2]) * 0.5).dtype == ag.float64
    finally:
        ag.set_default_dtype(ag.float32)


@pytest.mark.parametrize("fn", [ag.exp, ag.expm1, ag.log, ag.log1p, ag.sqrt, ag.sin, ag.cos,
                                ag.tanh, ag.arctan, ag.sigmoid])
def test_float_functions_of_integer_and_bool_tensors_give_the_default_float(fn):
    for data in ([1, 2], [True, False], np.array([1, 2], dtype=np.uint8)):
        with np.errstate(divide="ignore"):   # log(False)
            out = fn(ag.tensor(data))
            want = fn(ag.tensor(np.asarray(data, np.float32)))
        assert out.dtype == ag.float32
        np.testing.assert_array_equal(out.data, want.data)


def test_integer_and_sign_like_functions_keep_integers():
    assert ag.abs(ag.tensor([-1, 2])).dtype == ag.int64
    assert ag.relu(ag.tensor(np.array([-1, 2], dtype=np.int32))).dtype == ag.int32
    assert ag.sign(ag.tensor([-3, 0, 2])).dtype == ag.int64
    np.testing.assert_array_equal(ag.sign(ag.tensor([True, False])).data, [True, False])


def test_clamp_promotes_like_torch():
    assert ag.clamp(ag.tensor([1, 2, 3]), 0.5).dtype == ag.float32
    np.testing.assert_array_equal(ag.clamp(ag.tensor([1, 2, 3]), 0, 2).data, [1, 2, 2])
    assert ag.clamp(ag.tensor([1, 2, 3]), 0, 2).dtype == ag.int64
    assert ag.clamp(ag.tensor([1.0, 2.0]), ag.tensor(0.5, dtype=ag.float64)).dtype == ag.float32
    out = ag.clamp(ag.tensor([1, 2, 3]), max=ag.tensor(2.5, dtype=ag.float64))
    assert out.dtype == ag.float64
    np.testing.assert_array_equal(out.data, [1.0, 2.0, 2.5])


def test_bool_subtraction_and_negation_raise_runtime_error():
    b = ag.tensor([True, False])
    for op in (lambda: b - b, lambda: b - 1, lambda: 1 - b, lambda: ag.tensor([1.0]) - True,
               lambda: ag.tensor([1]) - b, lambda: b - 1.5, lambda: ag.sub(b, b)):
        with pytest.raises(RuntimeError, match="Subtraction.*bool"):
            op()
    with pytest.raises(RuntimeError, match="Negation.*bool"):
        -b
    np.testing.assert_array_equal((b + b).data, [True, False])   # add stays logical or
    assert (b * b).dtype == ag.bool_


# ---- NaN conventions ------------------------------------------------------------------------

def test_sign_of_nan_is_zero():
    np.testing.assert_array_equal(ag.sign(ag.tensor([np.nan, -2.0, 0.0, 3.0])).data,
                                  [0.0, -1.0, 0.0, 1.0])
    assert ag.sign(ag.tensor(np.nan) * 1.0).item() == 0.0


def test_maximum_and_minimum_give_nan_gradients_to_both_sides():
    for fn in (ag.maximum, ag.minimum):
        a = f64([np.nan, 1.0, np.nan, 1.0, 2.0])
        b = f64([1.0, np.nan, np.nan, 1.0, 1.0])
        ga, gb = ag.grad(fn(a, b).sum(), (a, b))
        wins = 1.0 if fn is ag.maximum else 0.0      # a = 2 beats b = 1 for maximum only
        np.testing.assert_array_equal(ga.data, [1.0, 1.0, 1.0, 0.5, wins])
        np.testing.assert_array_equal(gb.data, [1.0, 1.0, 1.0, 0.5, 1.0 - wins])


@pytest.mark.parametrize("dtype", [ag.float32, ag.float64])
def test_relu_passes_the_gradient_at_nan_and_abs_gives_zero(dtype):
    # PyTorch's relu masks where x <= 0 (so NaN passes g) and abs uses sgn (0 at NaN).
    x = ag.tensor([np.nan, -1.0, 0.0, 2.0], dtype=dtype, requires_grad=True)
    (gr,) = ag.grad(ag.relu(x).sum(), x)
    (ga,) = ag.grad(x.abs().sum(), x)
    np.testing.assert_array_equal(gr.data, [1.0, 0.0, 0.0, 1.0])
    np.testing.assert_array_equal(ga.data, [0.0, -1.0, 0.0, 1.0])
    assert gr.dtype == ga.dtype == dtype


def test_comparisons_compare_in_the_promoted_dtype():
    # PyTorch promotes before comparing: int64 with a float32 vector compares in float32,
    # and a 0-d float64 tensor leaves a float32 vector float32 (NumPy would use float64).
    big = ag.tensor([16777217])                  # not a float32 number: rounds to 2**24
    f32 = ag.tensor([16777216.0], dtype=ag.float32)
    assert (big == f32).tolist() == [True] and (f32 == big).tolist() == [True]
    assert (big > f32).tolist() == [False] and ag.ge(big, f32).tolist() == [True]
    tenth = ag.tensor([0.1], dtype=ag.float32)
    assert (tenth == ag.tensor(0.1, dtype=ag.float64)).tolist() == [True]
    assert (tenth == ag.tensor([0.1], dtype=ag.float64)).tolist() == [False]
    assert (big == 16777216.0).tolist() == [True]   # a Python float: the default float


def test_operands_that_are_no_numbers_raise_type_error_or_compare_unequal():
    x = ag.zeros(2)
    for other in ("a", b"a", None, object()):
        # == and != fall back to identity, as in PyTorch (and as for any Python object)
        assert (x == other) is False and (x != other) is True
        for op in (lambda: x + other, lambda: other + x, lambda: x * other,
                   lambda: x < other, lambda: ag.maximum(x, other), lambda: ag.eq(x, other)):
            with pytest.raises(TypeError):
                op()
    with pytest.raises(TypeError, match="add.*str"):
        ag.add(x, "a")
    torch = pytest.importorskip("torch")
    t = torch.zeros(2)
    for other in ("a", None):
        assert (t == other) is (x == other) and (t != other) is (x != other)
        with pytest.raises(TypeError):
            t + other


@pytest.mark.parametrize("values", [[-2, 0, 1, 2], [True, False]])
def test_softplus_refuses_integer_and_bool_input_instead_of_truncating(values):
    with pytest.raises(NotImplementedError, match="softplus: not implemented for dtype"):
        ag.softplus(ag.tensor(values))


@pytest.mark.parametrize("value", [None, 0.0])
def test_pad_value_none_pads_with_zero_and_widths_must_be_ints(value):
    x = ag.tensor([1.0, 2.0])
    np.testing.assert_array_equal(ag.pad(x, (1, 1), value=value).data, [0.0, 1.0, 2.0, 0.0])
    for bad in ((1.5, 1), (True, 0), 1):
        with pytest.raises(TypeError, match="pad: argument 'pad' must be a tuple of ints"):
            ag.pad(x, bad)
