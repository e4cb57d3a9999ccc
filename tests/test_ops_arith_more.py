"""remainder, fmod, floor_divide, div's rounding modes, the arithmetic aliases, addcmul,
addcdiv, isclose/allclose/equal and the in-place ``name_`` methods: dtypes, edge values,
errors and gradients, then the same cases against PyTorch (skipped without it)."""
from __future__ import annotations

import numpy as np
import pytest

import autograd as ag

T = ag.tensor
INTS = T([-7, -3, 0, 3, 7])
DIVISORS = T([2, -2, 3, -3, 5])


def rg(data, dtype=ag.float64):
    return ag.tensor(data, dtype=dtype, requires_grad=True)


# ---- rounding division ---------------------------------------------------------------

def test_integer_results_follow_python_and_c_signs():
    assert (INTS % DIVISORS).tolist() == [1, -1, 0, 0, 2]                 # divisor's sign
    assert ag.fmod(INTS, DIVISORS).tolist() == [-1, -1, 0, 0, 2]          # dividend's sign
    assert (INTS // DIVISORS).tolist() == [-4, 1, 0, -1, 1]               # rounded down
    assert ag.div(INTS, DIVISORS, rounding_mode="trunc").tolist() == [-3, 1, 0, -1, 1]
    assert ag.div(INTS, DIVISORS, rounding_mode="floor").tolist() == [-4, 1, 0, -1, 1]
    assert (5 % DIVISORS).tolist() == [1, -1, 2, -1, 0]
    assert (7 // DIVISORS).tolist() == [3, -4, 2, -3, 1]
    for r in (INTS % DIVISORS, INTS // 2, ag.fmod(INTS, 2),
              ag.div(INTS, 2, rounding_mode="floor")):
        assert r.dtype == ag.int64


def test_result_dtypes():
    f = INTS.float()
    r = INTS % 2.5
    assert r.dtype == ag.float32 and r.tolist() == [0.5, 2.0, 0.0, 0.5, 2.0]
    assert (f // T(2, dtype=ag.float64)).dtype == ag.float32     # a 0-d operand stays behind
    assert (INTS // T(2.0, dtype=ag.float64)).dtype == ag.float64
    assert ((INTS > 0) % 2).dtype == ag.int64
    assert (INTS.to(ag.int32) % DIVISORS).dtype == ag.int64


def test_floating_division_by_zero_is_silent_and_integer_division_by_zero_raises():
    f = T([-7.0, 7.0, 0.0])
    assert np.isnan((f % 0.0).data).all() and np.isnan(ag.fmod(f, 0.0).data).all()
    np.testing.assert_array_equal((f // 0.0).data, [-np.inf, np.inf, np.nan])
    for op in (lambda: INTS % 0, lambda: INTS // T([1, 1, 0, 1, 1]),
               lambda: ag.fmod(INTS, False), lambda: ag.div(INTS, 0, rounding_mode="trunc"),
               lambda: 5 % INTS):
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            op()


def test_signed_zeros_and_infinities_as_pytorch():
    r = T([-0.0, 0.0, 4.0, -4.0]) % -2.0        # a zero keeps the dividend's sign
    assert np.signbit(r.data).tolist() == [True, False, False, True]
    np.testing.assert_array_equal((T([1.0, -1.0]) % float("inf")).data, [1.0, np.inf])


def test_bool_operands_and_bad_rounding_mode_are_refused():
    b = T([True, False])
    for op, kernel in ((ag.remainder, "remainder_cpu"), (ag.fmod, "fmod_cpu"),
                       (ag.floor_divide, "div_floor_cpu")):
        with pytest.raises(NotImplementedError, match=kernel):
            op(b, b)
    with pytest.raises(RuntimeError, match="rounding_mode"):
        ag.div(INTS, 2, rounding_mode="round")


def test_remainder_and_fmod_gradients_to_second_order():
    for op, q in ((ag.remainder, np.floor), (ag.fmod, np.trunc)):
        a, b = rg([[-3.5], [2.5]]), rg([2.0, -1.5, 0.8])
        ga, gb = ag.grad(op(a, b).sum(), (a, b), create_graph=True)
        assert ga.tolist() == [[3.0], [3.0]]
        np.testing.assert_allclose(gb.data, -q(a.data / b.data).sum(0))
        # the rounded quotient in db is piecewise constant: zero, connected, gradients
        assert [g.tolist() for g in ag.grad(gb.sum(), (a, b))] == [[[0.0], [0.0]], [0.0] * 3]


def test_rounded_div_has_zero_gradient_and_floor_divide_none():
    a, b = rg([-3.5, 2.5]), rg([2.0, -1.5])
    ga, gb = ag.grad(ag.div(a, b, rounding_mode="floor").sum(), (a, b))
    assert ga.tolist() == gb.tolist() == [0.0, 0.0]
    r = a // b
    assert r.requires_grad and r.tolist() == [-2.0, -2.0]
    with pytest.raises(RuntimeError, match="derivative for aten::floor_divide"):
        r.sum().backward()


# ---- aliases, positive, addcmul, addcdiv -------------------------------------------------

def test_aliases_are_the_same_ops():
    assert ag.true_divide is ag.div and ag.divide is ag.div and ag.negative is ag.neg
    assert ag.subtract is ag.sub and ag.multiply is ag.mul
    x = rg([1.0, 2.0])
    assert +x is x and ag.positive(x) is x
    with pytest.raises(RuntimeError, match="bool"):
        +T([True])


def test_addcmul_and_addcdiv():
    i = T([1, 2])
    r = ag.addcmul(i, i, T([3, 4]), value=2.5)     # an integer result truncates value
    assert r.dtype == ag.int64 and r.tolist() == [7, 18]
    assert ag.addcmul(i.float(), i, T([3, 4]), value=2.5).tolist() == [8.5, 22.0]
    assert ag.addcdiv(i, i.float(), T([4, 4]), value=2).tolist() == [1.5, 3.0]
    assert ag.addcmul(ag.ones((3, 1)), ag.ones(2), ag.ones((1, 1, 1))).shape == (1, 3, 2)
    with pytest.raises(RuntimeError, match="Integer division with addcdiv"):
        ag.addcdiv(i.float(), i, i)
    with pytest.raises(NotImplementedError, match="Bool"):
        ag.addcmul(T([True]), T([True]), T([True]))
    with pytest.raises(RuntimeError, match=r"addcmul: .*\(3,\).*\(2,\)"):
        ag.addcmul(ag.ones(3), ag.ones(2), ag.ones(1))


# ---- isclose, allclose, equal ---------------------------------------------------------

def test_closeness():
    a = T([1.0, float("nan"), float("inf"), -float("inf"), 1e-9, 2.0])
    b = T([1.0 + 1e-6, float("nan"), float("inf"), float("inf"), 0.0, 2.1])
    assert ag.isclose(a, b).tolist() == [True, False, True, False, True, False]
    assert ag.isclose(a, b, equal_nan=True).tolist()[1] is True
    assert ag.isclose(a, b, 0.1, 0).tolist() == [True, False, True, False, False, True]
    assert ag.isclose(T([1, 2]), T([1, 3]), rtol=0.5).tolist() == [True, True]
    assert ag.allclose(a[:1], b[:1]) is True and ag.allclose(a, b) is False
    assert ag.allclose(ag.ones((2, 1)), ag.ones(3)) is True
    with pytest.raises(RuntimeError, match="did not match"):
        ag.isclose(T([1, 2]), T([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="atol must be greater"):
        ag.allclose(a, a, atol=-1)
    with pytest.raises(TypeError, match="must be Tensor"):
        ag.isclose(a, 1.0)


def test_equal():
    assert ag.equal(ag.ones(2), ag.ones(2, dtype=ag.int64)) is True   # dtypes may differ
    assert ag.equal(ag.ones(2), ag.ones((2, 1))) is False             # shapes may not
    assert ag.equal(T([float("nan")]), T([float("nan")])) is False
    assert ag.equal(T(1.0), T(1.0) * 1) is True                        # NumPy-scalar data
    with pytest.raises(TypeError):
        ag.equal(ag.ones(2), 1.0)


# ---- in-place forms ------------------------------------------------------------------

def test_augmented_assignment_and_inplace_rounding_division():
    a = T([5, -7])
    a %= 3
    assert a.tolist() == [2, 2]
    a //= -2
    assert a.tolist() == [-1, -1] and a.dtype == ag.int64 and a._version == 2
    with pytest.raises(RuntimeError, match="floor_divide_"):
        a //= 2.5                        # a float result can't go into an int tensor
    with pytest.raises(RuntimeError, match="exp_"):
        a.exp_()
    f = T([7.0, -7.0])
    f.div_(2, rounding_mode="trunc")
    assert f.tolist() == [3.0, -3.0]
    f **= 2
    assert f.tolist() == [9.0, 9.0]
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        ag.ones(3).remainder_(ag.ones((1, 3)))


def test_inplace_methods_rebase_history_and_refuse_leaves():
    x = rg([0.5, 1.3])
    with pytest.raises(RuntimeError, match="leaf Variable"):
        x.exp_()
    y = x * 1.5
    y.remainder_(0.7).addcmul_(x, x, value=0.5).clamp_max_(1.5).sigmoid_()
    assert repr(y.grad_fn) == "<SigmoidBackward>"
    (g,) = ag.grad(y.sum(), x)
    z = x * 1.5
    want = ag.sigmoid(ag.clamp(ag.addcmul(z % 0.7, x, x, value=0.5), max=1.5))
    (w,) = ag.grad(want.sum(), x)
    np.testing.assert_allclose(g.data, w.data)


# ---- against PyTorch ------------------------------------------------------------------

DTYPES = ["int64", "int32", "float32", "float64", "bool"]
SCALARS = [2, -3, 2.5, -0.5, True, 0, 0.0]


def _pairs():
    """(name, our a, our b, torch a, torch b) over dtype pairs, 0-d operands and scalars."""
    import torch
    rng = np.random.default_rng(0)
    a = rng.integers(-9, 10, (3, 4)).astype(np.float64) + rng.choice([0.0, 0.5, 0.25], (3, 4))
    b = rng.integers(-4, 5, (4,)).astype(np.float64)
    b[0] = 0.0
    b_nz = np.where(b == 0, 3.0, b)
    out = []
    for da in DTYPES:
        for db in DTYPES:
            for bb in (b, b_nz, b_nz[:1].reshape(())):
                x, y = a.astype(da), bb.astype(db)
                out.append((f"{da}/{db}{bb.shape}", T(x), T(y), torch.tensor(x),
                            torch.tensor(y)))
        for s in SCALARS:
            x = a.astype(da)
            out.append((f"{da}/{s!r}", T(x), s, torch.tensor(x), s))
    return out


def _outcome(f):
    try:
        r = f()
    except Exception as e:   # noqa: BLE001 - the exception type is what is compared
        return type(e)
    if isinstance(r, bool):
        return r
    return str(r.dtype).replace("torch.", ""), np.asarray(r.detach().numpy()
                                                          if hasattr(r, "detach") else r.data)


def _same(ours, theirs, label):
    if isinstance(theirs, type):
        assert isinstance(ours, type) and issubclass(ours, theirs), (label, ours, theirs)
        return
    assert not isinstance(ours, type), (label, ours, theirs)
    if isinstance(theirs, bool):
        assert ours is theirs, label
        return
    assert ours[0] == theirs[0], (label, ours[0], theirs[0])
    # (exact but for the last bit of transcendental functions; NaN where PyTorch's)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-12, atol=0, err_msg=label)


def test_values_dtypes_and_errors_match_pytorch():
    torch = pytest.importorskip("torch")
    ops = {
        "remainder": (ag.remainder, torch.remainder),
        "fmod": (ag.fmod, torch.fmod),
        "floor_divide": (ag.floor_divide, torch.floor_divide),
        "div_floor": (lambda a, b: ag.div(a, b, rounding_mode="floor"),
                      lambda a, b: torch.div(a, b, rounding_mode="floor")),
        "div_trunc": (lambda a, b: ag.div(a, b, rounding_mode="trunc"),
                      lambda a, b: torch.div(a, b, rounding_mode="trunc")),
        "rmod": (lambda a, b: b % a, lambda a, b: b % a),
        "rfloordiv": (lambda a, b: b // a, lambda a, b: b // a),
        "true_divide": (ag.true_divide, torch.true_divide),
    }
    with np.errstate(all="ignore"):
        for label, a, b, ta, tb in _pairs():
            for name, (ours, theirs) in ops.items():
                _same(_outcome(lambda: ours(a, b)), _outcome(lambda: theirs(ta, tb)),
                      f"{name} {label}")
            if isinstance(b, ag.Tensor):
                for name in ("isclose", "allclose", "equal"):
                    _same(_outcome(lambda: getattr(ag, name)(a, b)),
                          _outcome(lambda: getattr(torch, name)(ta, tb)), f"{name} {label}")
                _same(_outcome(lambda: ag.addcmul(a, a, b, value=-1.5)),
                      _outcome(lambda: torch.addcmul(ta, ta, tb, value=-1.5)),
                      f"addcmul {label}")
                _same(_outcome(lambda: ag.addcdiv(a, a, b, value=2)),
                      _outcome(lambda: torch.addcdiv(ta, ta, tb, value=2)), f"addcdiv {label}")


INPLACE = ["exp", "expm1", "log", "log1p", "sqrt", "sin", "cos", "tanh", "arctan", "sigmoid",
           "relu", "abs", "neg", "negative", "erf",
           # the elementwise ops' in-place forms (autograd.ops.inplace lists them)
           "exp2", "log2", "log10", "rsqrt", "reciprocal", "square", "tan", "sinh", "cosh",
           "asin", "arcsin", "acos", "arccos", "asinh", "arcsinh", "acosh", "arccosh", "atanh",
           "arctanh", "atan", "floor", "ceil", "round", "trunc", "fix", "frac", "sgn", "sign",
           "nan_to_num", "logit"]
# recorded in-place gradients not compared: PyTorch has none for these in-place forms,
# and sign is not differentiated here (API.md), where PyTorch's gradient is 0
NO_INPLACE_GRAD = {"asinh", "arcsinh", "acosh", "arccosh", "atanh", "arctanh", "sign", "sgn"}
INPLACE_ARGS = [("pow", (2,)), ("remainder", (0.7,)), ("fmod", (-0.7,)),
                ("floor_divide", (0.7,)), ("clamp_min", (0.6,)), ("clamp_max", (0.6,)),
                ("true_divide", (3,)), ("divide", (3,)), ("subtract", (1,)), ("multiply", (3,))]


def test_inplace_methods_match_pytorch():
    torch = pytest.importorskip("torch")
    x0 = np.array([0.3, 1.2, 2.5])
    cases = [(n, ()) for n in INPLACE] + INPLACE_ARGS
    for name, args in cases:
        for dtype in ("float64", "int64"):
            x, tx = T(x0.astype(dtype)), torch.tensor(x0.astype(dtype))
            _same(_outcome(lambda: getattr(x, name + "_")(*args)),
                  _outcome(lambda: getattr(tx, name + "_")(*args)), f"{name}_ {dtype}")
        if name == "floor_divide" or name in NO_INPLACE_GRAD:
            continue
        # recorded: history rebased onto the op, gradient and second derivative
        res = []
        for lib, grad in ((ag, ag.grad), (torch, torch.autograd.grad)):
            leaf = lib.tensor(x0, requires_grad=True)
            y = leaf * 1.5
            getattr(y, name + "_")(*args)
            (g,) = grad(y.sum(), leaf, create_graph=True)
            res.append([y.detach().numpy() if lib is torch else y.data,
                        g.detach().numpy() if lib is torch else g.data])
        np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-12, err_msg=name)
        np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-12, err_msg=name)


def test_addc_and_remainder_gradients_match_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal((3, 1)), rng.standard_normal(4), rng.uniform(0.5, 2, (3, 4))]
    fns = [(lambda L, a, b, c: L.addcmul(a, b, c, value=0.5)),
           (lambda L, a, b, c: L.addcdiv(a, b, c, value=-2)),
           (lambda L, a, b, c: L.remainder(a * 3, c) * b),
           (lambda L, a, b, c: L.fmod(a * 3, -c) * b)]
    for k, fn in enumerate(fns):
        res = []
        for lib, grad in ((ag, ag.grad), (torch, torch.autograd.grad)):
            xs = [lib.tensor(v, requires_grad=True) for v in arrays]
            gs = grad((fn(lib, *xs) ** 2).sum(), xs, create_graph=True)
            hs = grad(sum((g * g).sum() for g in gs), xs)
            res.append([np.asarray(t.detach().numpy() if lib is torch else t.data)
                        for t in gs + hs])
        for ours, theirs in zip(*res):
            np.testing.assert_allclose(ours, theirs, rtol=1e-10, err_msg=str(k))
