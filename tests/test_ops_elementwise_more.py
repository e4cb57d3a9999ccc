"""PyTorch parity of the wider elementwise set (rounding, inverse trigonometric and
hyperbolic functions, atan2, hypot, logaddexp, xlogy, logit, lerp, fmax/fmin,
nan_to_num, isnan...): result dtypes for integer and bool inputs, refused dtypes,
gradients at special points, silence outside the domain.  Expected values are what
PyTorch 2.13 gives; `test_matches_torch` also compares against PyTorch when installed."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd as ag

FLOATING_UNARY = ["log2", "log10", "exp2", "rsqrt", "reciprocal", "tan", "sinh", "cosh",
                  "asin", "arcsin", "acos", "arccos", "atan", "asinh", "arcsinh", "acosh",
                  "arccosh", "atanh", "arctanh", "logit"]
ROUNDING = ["floor", "ceil", "round", "trunc", "fix"]
PREDICATES = ["isnan", "isinf", "isfinite"]
BINARY = ["atan2", "arctan2", "hypot", "logaddexp", "xlogy", "fmax", "fmin"]


def f64(values, requires_grad=True):
    return ag.tensor(values, dtype=ag.float64, requires_grad=requires_grad)


def grad_of(y, x):
    (g,) = ag.grad(y.sum(), x)
    return g.data


# ---- dtypes ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", FLOATING_UNARY)
def test_floating_functions_of_integers_and_bools_are_float32(name):
    for x in (ag.tensor([1, 2, 3]), ag.tensor([True, False])):
        assert getattr(ag, name)(x).dtype == ag.float32


@pytest.mark.parametrize("name", ROUNDING)
def test_rounding_keeps_integer_tensors_and_refuses_bools(name):
    x = ag.tensor([1, -2, 3], dtype=ag.int32)
    y = getattr(ag, name)(x)
    assert y.dtype == ag.int32
    np.testing.assert_array_equal(y.data, [1, -2, 3])
    with pytest.raises(NotImplementedError, match=name.replace("fix", "trunc")):
        getattr(ag, name)(ag.tensor([True]))


def test_round_halves_to_even_and_takes_decimals():
    np.testing.assert_array_equal(ag.round(ag.tensor([0.5, 1.5, 2.5, -0.5])).data,
                                  [0.0, 2.0, 2.0, -0.0])
    np.testing.assert_allclose(ag.round(f64([1.2345, -2.675]), decimals=2).data,
                               [1.23, -2.68])   # (-2.675 * 100 is -267.5 in float64)
    np.testing.assert_array_equal(ag.round(f64([1234.5, 15.0, 25.0]), decimals=-1).data,
                                  [1230.0, 20.0, 20.0])
    with pytest.raises(NotImplementedError, match="Long"):
        ag.round(ag.tensor([12]), decimals=1)


def test_frac_and_the_floating_only_binary_functions_refuse_integers():
    with pytest.raises(NotImplementedError, match="frac.*Long"):
        ag.frac(ag.tensor([1, 2]))
    for name in ("hypot", "logaddexp"):
        with pytest.raises(NotImplementedError, match=name):
            getattr(ag, name)(ag.tensor([1, 2]), ag.tensor([3, 4]))
    with pytest.raises(NotImplementedError, match="lerp"):
        ag.lerp(ag.tensor([1, 2]), ag.tensor([3, 4]), 0.5)
    with pytest.raises(RuntimeError, match="lerp.*float64"):
        ag.lerp(ag.tensor([1.0]), f64([2.0]), 0.5)


def test_square_nan_to_num_fmax_keep_integer_dtypes():
    assert ag.square(ag.tensor([True, False])).dtype == ag.int64
    assert ag.square(ag.tensor([3], dtype=ag.int32)).data.tolist() == [9]
    assert ag.nan_to_num(ag.tensor([1, 2])).dtype == ag.int64
    assert ag.fmax(ag.tensor([1, 5]), ag.tensor([3, 2])).data.tolist() == [3, 5]
    assert ag.atan2(ag.tensor([1]), ag.tensor([1])).dtype == ag.float32
    assert ag.xlogy(ag.tensor([True]), ag.tensor([2])).dtype == ag.float32
    assert ag.clamp_min(ag.tensor([1, 2]), 1.5).dtype == ag.float32
    assert ag.clamp_max(ag.tensor([1, 2]), 1).dtype == ag.int64


@pytest.mark.parametrize("name", PREDICATES)
def test_predicates_are_bool_without_gradient(name):
    x = f64([0.0, np.nan, np.inf, -np.inf])
    y = getattr(ag, name)(x)
    assert y.dtype == ag.bool_ and not y.requires_grad
    want = {"isnan": [0, 1, 0, 0], "isinf": [0, 0, 1, 1], "isfinite": [1, 0, 0, 0]}[name]
    np.testing.assert_array_equal(y.data, np.array(want, dtype=bool))
    assert getattr(ag, name)(ag.tensor([1, 2])).data.tolist() == [name == "isfinite"] * 2


# ---- values and gradients at special points ---------------------------------------------

def test_rounding_gradient_is_zero_and_frac_passes_it():
    x = f64([-1.5, 0.25, 2.75])
    for name in ROUNDING:
        np.testing.assert_array_equal(grad_of(getattr(ag, name)(x), x), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(grad_of(ag.frac(x), x), [1.0, 1.0, 1.0])
    np.testing.assert_allclose(ag.frac(x).data, [-0.5, 0.25, 0.75])


def test_xlogy_is_zero_where_x_is_zero_with_pytorch_gradients():
    x, y = f64([0.0, 0.0, 0.0, 2.0]), f64([0.0, -1.0, np.nan, 0.0])
    out = ag.xlogy(x, y)
    np.testing.assert_array_equal(out.data, [0.0, 0.0, np.nan, -np.inf])
    gx, gy = ag.grad(out.sum(), [x, y])
    np.testing.assert_array_equal(gx.data, [0.0, 0.0, np.nan, -np.inf])
    np.testing.assert_array_equal(gy.data, [np.nan, -0.0, np.nan, np.inf])


def test_atan2_gradient_is_zero_at_the_origin():
    a, b = f64([0.0, 1.0]), f64([0.0, 1.0])
    ga, gb = ag.grad(ag.atan2(a, b).sum(), [a, b])
    np.testing.assert_array_equal(ga.data, [0.0, 0.5])
    np.testing.assert_array_equal(gb.data, [0.0, -0.5])


def test_fmax_fmin_ignore_nan_and_give_ties_to_the_first_input():
    a, b = f64([np.nan, 1.0, 2.0]), f64([3.0, np.nan, 2.0])
    for fn in (ag.fmax, ag.fmin):
        out = fn(a, b)
        np.testing.assert_array_equal(out.data, [3.0, 1.0, 2.0])
        ga, gb = ag.grad(out.sum(), [a, b])
        np.testing.assert_array_equal(ga.data, [0.0, 1.0, 1.0])
        np.testing.assert_array_equal(gb.data, [1.0, 0.0, 0.0])


def test_logit_eps_clamps_and_zeroes_the_gradient_outside():
    x = f64([0.0, 0.05, 0.5, 1.0])
    y = ag.logit(x, eps=0.1)
    np.testing.assert_allclose(y.data, [np.log(1 / 9), np.log(1 / 9), 0.0, np.log(9)])
    np.testing.assert_allclose(grad_of(y, x), [0.0, 0.0, 4.0, 0.0])
    x = f64([-0.5, 0.5, 1.5])
    np.testing.assert_array_equal(grad_of(ag.logit(x), x), [np.nan, 4.0, np.nan])


def test_lerp_weight_one_gives_end_exactly_and_tensor_weights_broadcast():
    a, b = f64([0.1, -3.3]), f64([0.7, 2.9])
    np.testing.assert_array_equal(ag.lerp(a, b, 1.0).data, b.data)
    w = f64([[0.25], [0.75]])
    out = ag.lerp(a, b, w)
    assert out.shape == (2, 2)
    ga, gb, gw = ag.grad(out.sum(), [a, b, w])
    np.testing.assert_allclose(ga.data, [1.0, 1.0])
    np.testing.assert_allclose(gb.data, [1.0, 1.0])
    np.testing.assert_allclose(gw.data, [[0.6 + 6.2]] * 2)


def test_nan_to_num_defaults_and_gradient():
    x = ag.tensor([np.nan, np.inf, -np.inf, 1.5], requires_grad=True)
    y = ag.nan_to_num(x)
    big = np.finfo(np.float32).max
    np.testing.assert_array_equal(y.data, np.array([0.0, big, -big, 1.5], np.float32))
    np.testing.assert_array_equal(grad_of(y, x), [0.0, 0.0, 0.0, 1.0])
    y = ag.nan_to_num(x, nan=1.0, posinf=2.0, neginf=-3.0)
    np.testing.assert_array_equal(y.data, [1.0, 2.0, -3.0, 1.5])


def test_aliases_are_the_same_functions_and_methods():
    assert ag.arcsin is ag.asin and ag.atan is ag.arctan and ag.fix is ag.trunc
    assert ag.arctan2 is ag.atan2 and ag.sgn is ag.sign and ag.arctanh is ag.atanh
    x = ag.tensor([0.5])
    for m in ("asin", "arcsin", "acos", "arccos", "atan", "arctan", "asinh", "arcsinh",
              "atanh", "arctanh", "floor", "ceil", "fix", "frac", "rsqrt", "sgn"):
        np.testing.assert_array_equal(getattr(x, m)().data, getattr(ag, m)(x).data)
    assert x.atan2(x).shape == (1,) and x.arctan2(x).shape == (1,)


def test_domain_errors_are_silent_as_in_pytorch():
    x = ag.tensor([-1.0, 0.0, 2.0, np.inf])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in ["log", "log1p", "sqrt", "frac", *FLOATING_UNARY]:
            getattr(ag, name)(x)
        ag.logit(x, eps=0.1)
        ag.xlogy(x, x)
        ag.logaddexp(ag.tensor([np.inf]), ag.tensor([np.inf]))
        # 0-d inputs (held as NumPy scalars) too
        for name in ("log", "sqrt", "asin", "atanh", "rsqrt", "reciprocal"):
            getattr(ag, name)(ag.tensor(-1.0) * 1.0)


def test_second_derivatives_through_the_new_backwards():
    x = f64([0.3, -0.4])
    for fn, d2 in ((ag.asin, lambda v: v / (1 - v * v) ** 1.5),
                   (ag.atanh, lambda v: 2 * v / (1 - v * v) ** 2),
                   (ag.rsqrt, None), (ag.tan, lambda v: 2 * np.tan(v) / np.cos(v) ** 2)):
        v = x if fn is not ag.rsqrt else f64([0.3, 1.7])
        (g,) = ag.grad(fn(v).sum(), v, create_graph=True)
        (h,) = ag.grad(g.sum(), v)
        want = 0.75 * v.data ** -2.5 if d2 is None else d2(v.data)
        np.testing.assert_allclose(h.data, want, rtol=1e-12)


# ---- against PyTorch ---------------------------------------------------------------------

def test_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(-3, 3, 20), [0.0, 1.0, -1.0, 0.5, 2.5, np.nan]])
    y = np.concatenate([rng.uniform(-3, 3, 20), [0.0, 0.0, 2.0, -0.5, 2.5, 1.0]])
    pos = np.abs(x)

    def check(name, args, **kw):
        ts = [torch.tensor(a, requires_grad=True) for a in args]
        gs = [f64(a) for a in args]
        want, got = getattr(torch, name)(*ts, **kw), getattr(ag, name)(*gs, **kw)
        np.testing.assert_allclose(got.data, want.detach().numpy(), rtol=1e-12,
                                   err_msg=name)
        tg = torch.autograd.grad(want.sum(), ts)
        with warnings.catch_warnings():   # (finite-difference-free: 1/0 in backward)
            warnings.simplefilter("ignore")
            agg = ag.grad(got.sum(), gs)
        for a, b in zip(tg, agg):
            np.testing.assert_allclose(b.data, a.numpy(), rtol=1e-10, err_msg=name)

    for name in ["floor", "ceil", "round", "trunc", "fix", "frac", "square", "sinh",
                 "cosh", "tan", "exp2", "atan", "asinh", "nan_to_num"]:
        check(name, [x])
    for name in ["log2", "log10", "rsqrt", "reciprocal", "acosh", "arccosh"]:
        check(name, [pos + 0.01])
    for name in ["asin", "arcsin", "acos", "arccos", "atanh", "arctanh", "logit"]:
        check(name, [x / 3.5])
    check("logit", [x / 3.5], eps=0.2)
    check("round", [x], decimals=1)
    for name in ["atan2", "arctan2", "hypot", "logaddexp", "fmax", "fmin"]:
        check(name, [x, y])
    check("xlogy", [x, pos])
    check("lerp", [x, y, y / 3])
    check("clamp_min", [x], min=0.5)
    check("clamp_max", [x], max=0.5)
