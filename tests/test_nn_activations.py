"""Activations (nn.functional and nn modules) and the erf op: accuracy, edge values
(large |x|, zeros, -inf), documented conventions, bad input, and PyTorch parity of
outputs and gradients for every activation and option (skipped without PyTorch).
Gradients and double backward against finite differences are in the op table
(tests/optable/nn_activations.py)."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import autograd as ag
import nn
from nn import functional as F
from numeric import assert_raises_like_torch


EDGE = np.array([-1e4, -800.0, -50.0, -20.0, -3.0, -1.0, -1e-8, 0.0, 1e-8, 1.0, 3.0, 20.0,
                 50.0, 800.0, 1e4])


def _grad(fn, x, u=None):
    """(output, d<output, u>/dx) of fn at the float64 array x."""
    t = ag.tensor(x, requires_grad=True)
    out = fn(t)
    u = np.ones(out.shape) if u is None else u
    (out * ag.tensor(u, dtype=out.dtype)).sum().backward()
    return out.data, t.grad.data


# ---- erf --------------------------------------------------------------------------------

def test_erf_matches_math_erf_to_a_few_ulps():
    x = np.concatenate([np.linspace(-7, 7, 20001), np.logspace(-300, 1, 301),
                        -np.logspace(-300, 1, 301)])
    want = np.array([math.erf(v) for v in x])
    got = ag.erf(ag.tensor(x)).data
    assert np.max(np.abs(got - want)) < 2e-15
    tiny = np.abs(x) < 1
    np.testing.assert_allclose(got[tiny], want[tiny], rtol=2e-15, atol=0)  # tiny x too


def test_erf_special_values_and_dtypes():
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 6.0, -6.0, 30.0])
    got = ag.erf(ag.tensor(x)).data
    np.testing.assert_array_equal(got[1:], [1.0, -1.0, 0.0, -0.0, 1.0, -1.0, 1.0])
    assert np.isnan(got[0]) and np.signbit(got[4])
    assert ag.erf(ag.tensor([0.5, 2.0])).dtype == np.float32
    assert ag.tensor(0.5, dtype=ag.float64).erf().shape == ()
    _, g = _grad(ag.erf, np.array([0.0, 1.0, -2.0, 30.0]))
    np.testing.assert_allclose(g, 2 / math.sqrt(math.pi) * np.exp(-np.array([0.0, 1, 4, 900])))


# ---- edge values -----------------------------------------------------------------------

STABLE = {
    "sigmoid": F.sigmoid, "softplus": F.softplus, "silu": F.silu, "gelu": F.gelu,
    "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"), "elu": F.elu, "tanh": F.tanh,
    "softsign": F.softsign, "isru": F.isru, "arctan": F.arctan, "leaky_relu": F.leaky_relu,
    "log_softmax": lambda x: F.log_softmax(x, 0), "softmax": lambda x: F.softmax(x, 0),
    "relu6": F.relu6, "hardtanh": F.hardtanh, "hardsigmoid": F.hardsigmoid,
    "hardswish": F.hardswish, "selu": F.selu, "celu": lambda x: F.celu(x, 0.5),
    "mish": F.mish, "logsigmoid": F.logsigmoid, "softmin": lambda x: F.softmin(x, 0),
    "glu": lambda x: F.glu(ag.stack([x, -x]), 0),   # large values in both halves
    "threshold": lambda x: F.threshold(x, 1.0, -2.0), "softshrink": F.softshrink,
    "hardshrink": F.hardshrink, "tanhshrink": F.tanhshrink,
}


@pytest.mark.parametrize("name", sorted(STABLE))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_large_inputs_give_finite_values_and_gradients(name, dtype):
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # no overflow / invalid-value warnings either
        out, g = _grad(STABLE[name], EDGE.astype(dtype))
    assert out.dtype == dtype
    assert np.isfinite(out).all(), f"{name}: {out}"
    assert np.isfinite(g).all(), f"{name}: {g}"


def test_stable_forms_at_large_inputs():
    x = np.array([-800.0, 800.0])
    np.testing.assert_array_equal(F.sigmoid(ag.tensor(x)).data, [0.0, 1.0])
    np.testing.assert_array_equal(F.softplus(ag.tensor(x)).data, [0.0, 800.0])
    # log_softmax keeps the log of an underflowing probability exact
    np.testing.assert_allclose(F.log_softmax(ag.tensor([0.0, 1000.0]), 0).data, [-1000.0, 0.0])
    np.testing.assert_allclose(F.softmax(ag.tensor([1000.0, 1000.0]), 0).data, [0.5, 0.5])
    np.testing.assert_array_equal(F.mish(ag.tensor(x)).data, [0.0, 800.0])
    alpha, scale = 1.6732632423543772, 1.0507009873554805   # SELU's (Klambauer et al.)
    np.testing.assert_array_equal(F.selu(ag.tensor(x)).data, [-alpha * scale, 800 * scale])


def test_logsigmoid_is_exact_where_softplus_would_go_linear():
    # log sigmoid(x) = x - log1p(e^x) for x < 0: -21 - 7.6e-10, not -21
    x = np.array([-40.0, -30.0, -21.0, -5.0, 0.0, 5.0, 21.0, 40.0])
    want = np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))
    out, g = _grad(F.logsigmoid, x)
    np.testing.assert_allclose(out, want, rtol=1e-15, atol=0)
    np.testing.assert_allclose(g, 1 / (1 + np.exp(x)), rtol=1e-15, atol=0)   # sigmoid(-x)


def test_softmax_handles_masked_entries():
    x = np.array([[0.0, -np.inf, 1.0], [2.0, 2.0, -np.inf]])
    y = F.softmax(ag.tensor(x), 1).data
    np.testing.assert_allclose(y, [[1 / (1 + math.e), 0, math.e / (1 + math.e)], [0.5, 0.5, 0]])
    assert np.isneginf(F.log_softmax(ag.tensor(x), -1).data[0, 1])


def test_softmax_shapes_and_aliases():
    x = ag.randn(2, 3, 4)
    for d in range(-3, 3):
        np.testing.assert_allclose(x.softmax(d).sum(d).data, 1.0, rtol=1e-6)
    np.testing.assert_array_equal(F.softmax(x, axis=1).data, F.softmax(x, dim=1).data)
    assert F.softmax(ag.tensor(3.0), 0).item() == 1.0
    assert F.log_softmax(ag.tensor(3.0), 0).item() == 0.0
    assert F.softmax(ag.zeros(2, 0), 1).shape == (2, 0)
    assert F.log_softmax(x, 1, dtype=ag.float64).dtype == np.float64
    with pytest.warns(UserWarning, match="Implicit dimension"):
        y = F.softmax(ag.randn(2, 3))
    np.testing.assert_allclose(y.sum(1).data, 1.0, rtol=1e-6)   # 2-d: dim 1, as PyTorch


def test_conventions_at_zero():
    x = np.array([-1.0, 0.0, 1.0])
    assert _grad(F.relu, x)[1].tolist() == [0.0, 0.0, 1.0]
    assert _grad(lambda t: F.leaky_relu(t, 0.1), x)[1].tolist() == [0.1, 0.1, 1.0]
    np.testing.assert_allclose(_grad(lambda t: F.elu(t, 2.0), x)[1], [2 * math.exp(-1), 2, 1])
    assert _grad(F.softsign, x)[1][1] == 1.0


def test_hardsigmoid_and_celu_gradients_are_exact():
    # (PyTorch's float64 backward of these two is only float32-accurate; see test_matches_pytorch)
    x = np.array([-5.0, -2.9, -1.0, -1e-3, 0.0, 0.7, 2.9, 5.0])
    _, g = _grad(F.hardsigmoid, x)
    np.testing.assert_array_equal(g, np.where(np.abs(x) < 3, 1 / 6, 0.0))
    _, g = _grad(lambda t: F.celu(t, 0.7), x)
    # (expm1's backward forms e^x as expm1(x) + 1: exact to an ulp of 1, not of e^x)
    np.testing.assert_allclose(g, np.where(x > 0, 1.0, np.exp(x / 0.7)), rtol=1e-15, atol=2e-16)


@pytest.mark.parametrize("call", [
    lambda x, i: F.relu6(x, inplace=i), lambda x, i: F.hardtanh(x, inplace=i),
    lambda x, i: F.hardsigmoid(x, inplace=i), lambda x, i: F.hardswish(x, inplace=i),
    lambda x, i: F.selu(x, inplace=i), lambda x, i: F.celu(x, 2.0, inplace=i),
    lambda x, i: F.mish(x, inplace=i), lambda x, i: F.threshold(x, 0.1, 9.0, inplace=i),
    lambda x, i: nn.ReLU6(inplace=i)(x), lambda x, i: nn.Hardtanh(inplace=i)(x),
    lambda x, i: nn.Hardsigmoid(inplace=i)(x), lambda x, i: nn.Hardswish(inplace=i)(x),
    lambda x, i: nn.SELU(inplace=i)(x), lambda x, i: nn.CELU(2.0, inplace=i)(x),
    lambda x, i: nn.Mish(inplace=i)(x), lambda x, i: nn.Threshold(0.1, 9.0, inplace=i)(x)])
def test_inplace_is_accepted_and_returns_a_new_tensor(call):
    x = ag.tensor([-4.0, -1.0, 0.05, 0.5, 4.0, 7.0])
    before = x.data.copy()
    out = call(x, True)
    assert out is not x and not np.shares_memory(out.data, x.data)
    np.testing.assert_array_equal(x.data, before)
    np.testing.assert_array_equal(out.data, call(x, False).data)


def test_binary_step_threshold_and_zero_gradient():
    x = np.array([-2.0, -1e-30, -0.0, 0.0, 1e-30, 3.0, np.nan])
    out, g = _grad(F.binary_step, x)
    np.testing.assert_array_equal(out, [0, 0, 1, 1, 1, 1, 0])   # step(0) = 1
    np.testing.assert_array_equal(g, np.zeros_like(x))
    assert nn.BinaryStep()(ag.tensor([0.5], dtype=ag.float64)).dtype == np.float64


def test_identity_and_module_attributes():
    x = ag.randn(3)
    assert nn.Identity(54, unused="x")(x) is x
    assert F.identity(x) is x
    m = nn.PReLU(4, init=0.1)
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    assert m.weight.shape == (4,) and np.allclose(m.weight.data, 0.1)
    assert repr(nn.Sequential(nn.ReLU(), nn.Softmax(dim=1))).count("Softmax(dim=1)") == 1


def test_prelu_learns_per_channel_slopes():
    m = nn.PReLU(3)
    x = ag.tensor(-np.ones((2, 3, 4)), dtype=ag.float32)
    m(x).sum().backward()
    np.testing.assert_allclose(m.weight.grad.data, [-8.0, -8.0, -8.0])


# ---- bad input -------------------------------------------------------------------------

def test_bad_input_errors():
    with pytest.raises(RuntimeError, match=r"prelu.*\(2, 3\)"):
        F.prelu(ag.randn(2, 3), ag.ones(2))
    with pytest.raises(RuntimeError, match="prelu"):
        F.prelu(ag.randn(3), ag.ones(3))     # a 1-d input has one channel
    with pytest.raises(RuntimeError, match="approximate"):
        F.gelu(ag.randn(3), approximate="fast")
    with pytest.raises(RuntimeError, match="approximate"):
        nn.GELU("fast")
    with pytest.raises(RuntimeError, match="softmax.*int64"):
        F.softmax(ag.tensor([1, 2]), 0)
    with pytest.raises(IndexError, match="log_softmax"):
        F.log_softmax(ag.randn(2, 3), 2)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin"):
        F.softmin(ag.randn(2, 3))


def _t(lib, values):
    return lib.tensor(np.asarray(values, dtype=np.float32))


# name -> (exception type, what the message names, call(F, nn-like module, lib)); each
# also runs through PyTorch, which must raise the same type
BAD_CALLS = {
    "hardtanh_min_above_max": (ValueError, r"hardtanh.*min_val=2\.0",
                               lambda F, M, lib: F.hardtanh(_t(lib, [0.0]), 2.0, 1.0)),
    "Hardtanh_min_above_max": (AssertionError, r"Hardtanh.*\(1\.0\).*\(2\.0\)",
                               lambda F, M, lib: M.Hardtanh(2.0, 1.0)),
    "Hardtanh_equal_bounds": (AssertionError, "Hardtanh",
                              lambda F, M, lib: M.Hardtanh(1.0, 1.0)),
    "glu_odd": (RuntimeError, r"glu.*dimension 1 is size 3",
                lambda F, M, lib: F.glu(_t(lib, np.ones((2, 3))))),
    "GLU_odd_dim0": (RuntimeError, r"glu.*dimension 0 is size 3",
                     lambda F, M, lib: M.GLU(0)(_t(lib, np.ones((3, 2))))),
    "glu_scalar": (RuntimeError, "glu does not support scalars",
                   lambda F, M, lib: F.glu(_t(lib, 1.0))),
    "glu_dim": (IndexError, r"glu.*\[-2, 1\].*got 2",
                lambda F, M, lib: F.glu(_t(lib, np.ones((2, 2))), 2)),
    "softshrink_negative": (RuntimeError, r"softshrink.*-0\.5",
                            lambda F, M, lib: F.softshrink(_t(lib, [1.0]), -0.5)),
    "softshrink_nan": (RuntimeError, "softshrink.*nan",
                       lambda F, M, lib: F.softshrink(_t(lib, [1.0]), math.nan)),
    "softshrink_beyond_float32": (RuntimeError, r"softshrink.*1e\+300",
                                  lambda F, M, lib: F.softshrink(_t(lib, [1.0]), 1e300)),
    "Softshrink_negative": (RuntimeError, "softshrink",
                            lambda F, M, lib: M.Softshrink(-1.0)(_t(lib, [1.0]))),
    "celu_zero_alpha": (RuntimeError, "celu.*alpha cannot be 0",
                        lambda F, M, lib: F.celu(_t(lib, [1.0]), 0.0)),
    "softmin_dim": (IndexError, "softmin", lambda F, M, lib: F.softmin(_t(lib, [[1.0]]), 2)),
}


@pytest.mark.parametrize("case", sorted(BAD_CALLS))
def test_bad_arguments_raise_pytorchs_exception_type(case):
    kind, message, call = BAD_CALLS[case]
    assert_raises_like_torch(kind, message, lambda: call(F, nn, ag),
                             lambda torch: call(torch.nn.functional, torch.nn, torch), exact=True)


def test_arguments_pytorch_accepts():
    x = ag.tensor([-2.0, -0.5, 0.0, 0.5, 2.0])
    np.testing.assert_array_equal(F.hardshrink(x, -1.0).data, x.data)   # nothing to shrink
    np.testing.assert_array_equal(F.hardtanh(x, 0.5, 0.5).data, np.full(5, 0.5))
    np.testing.assert_array_equal(F.glu(ag.zeros(0, 4)).shape, (0, 2))
    np.testing.assert_allclose(F.celu(x, -2.0).data, np.where(x.data > 0, x.data,
                               -2.0 * np.expm1(x.data / -2.0)), rtol=1e-6)
    with pytest.warns(FutureWarning, match="min_value"):
        m = nn.Hardtanh(min_value=-3.0)
    assert (m.min_val, m.max_val) == (-3.0, 1.0)


# ---- PyTorch parity ----------------------------------------------------------------------

def _pairs(torch):
    tF = torch.nn.functional
    w = np.array([0.25, -0.5, 1.5])
    return {
        "ReLU": (nn.ReLU(), torch.nn.ReLU()),
        "LeakyReLU": (nn.LeakyReLU(0.2), torch.nn.LeakyReLU(0.2)),
        "ELU": (nn.ELU(alpha=0.7), torch.nn.ELU(alpha=0.7)),
        "GELU": (nn.GELU(), torch.nn.GELU()),
        "GELU_tanh": (nn.GELU("tanh"), torch.nn.GELU("tanh")),
        "SiLU": (nn.SiLU(), torch.nn.SiLU()),
        "Sigmoid": (nn.Sigmoid(), torch.nn.Sigmoid()),
        "Tanh": (nn.Tanh(), torch.nn.Tanh()),
        "Softmax": (nn.Softmax(dim=1), torch.nn.Softmax(dim=1)),
        "Softmax_last": (nn.Softmax(dim=-1), torch.nn.Softmax(dim=-1)),
        "LogSoftmax": (nn.LogSoftmax(dim=1), torch.nn.LogSoftmax(dim=1)),
        "LogSoftmax_0": (nn.LogSoftmax(dim=0), torch.nn.LogSoftmax(dim=0)),
        "Softsign": (nn.Softsign(), torch.nn.Softsign()),
        "Softplus": (nn.Softplus(), torch.nn.Softplus()),
        "Softplus_beta": (nn.Softplus(beta=2.0, threshold=3.0),
                          torch.nn.Softplus(beta=2.0, threshold=3.0)),
        "Identity": (nn.Identity(), torch.nn.Identity()),
        "ArcTan": (nn.ArcTan(), torch.atan),
        "ISRU": (nn.ISRU(alpha=0.3), lambda x: x / torch.sqrt(1 + 0.3 * x * x)),
        "PReLU_shared": (_prelu(nn.PReLU(), [0.3]), _tprelu(torch, [0.3])),
        "PReLU_channels": (_prelu(nn.PReLU(3), w), _tprelu(torch, w)),
        "ReLU6": (nn.ReLU6(), torch.nn.ReLU6()),
        "Hardtanh": (nn.Hardtanh(), torch.nn.Hardtanh()),
        "Hardtanh_3": (nn.Hardtanh(-3.0, 3.0), torch.nn.Hardtanh(-3.0, 3.0)),
        "Hardsigmoid": (nn.Hardsigmoid(), torch.nn.Hardsigmoid()),
        "Hardswish": (nn.Hardswish(), torch.nn.Hardswish()),
        "SELU": (nn.SELU(), torch.nn.SELU()),
        "CELU": (nn.CELU(), torch.nn.CELU()),
        "CELU_alpha": (nn.CELU(0.7), torch.nn.CELU(0.7)),
        "Mish": (nn.Mish(), torch.nn.Mish()),
        "LogSigmoid": (nn.LogSigmoid(), torch.nn.LogSigmoid()),
        "Softmin": (nn.Softmin(dim=1), torch.nn.Softmin(dim=1)),
        "Softmin_0": (nn.Softmin(0), torch.nn.Softmin(0)),
        "GLU_0": (nn.GLU(0), torch.nn.GLU(0)),
        "GLU_last": (lambda x: nn.GLU()(x.T), lambda x: torch.nn.GLU()(x.T)),
        "Threshold": (nn.Threshold(1.0, -2.0), torch.nn.Threshold(1.0, -2.0)),
        "Softshrink": (nn.Softshrink(), torch.nn.Softshrink()),
        "Softshrink_1": (nn.Softshrink(1.0), torch.nn.Softshrink(1.0)),
        "Hardshrink": (nn.Hardshrink(), torch.nn.Hardshrink()),
        "Hardshrink_1": (nn.Hardshrink(1.0), torch.nn.Hardshrink(1.0)),
        "Tanhshrink": (nn.Tanhshrink(), torch.nn.Tanhshrink()),
        "F.relu6": (F.relu6, tF.relu6),
        "F.hardtanh": (lambda x: F.hardtanh(x, -1.0, 3.0), lambda x: tF.hardtanh(x, -1.0, 3.0)),
        "F.hardsigmoid": (F.hardsigmoid, tF.hardsigmoid),
        "F.hardswish": (F.hardswish, tF.hardswish),
        "F.selu": (F.selu, tF.selu),
        "F.celu": (lambda x: F.celu(x, 1.5), lambda x: tF.celu(x, 1.5)),
        "F.mish": (F.mish, tF.mish),
        "F.logsigmoid": (F.logsigmoid, tF.logsigmoid),
        "F.softmin": (lambda x: F.softmin(x, -1), lambda x: tF.softmin(x, -1)),
        "F.glu": (lambda x: F.glu(x, 0), lambda x: tF.glu(x, 0)),
        "F.threshold": (lambda x: F.threshold(x, -3.0, 5.0), lambda x: tF.threshold(x, -3.0, 5.0)),
        "F.softshrink": (lambda x: F.softshrink(x, 3.0), lambda x: tF.softshrink(x, 3.0)),
        "F.hardshrink": (lambda x: F.hardshrink(x, 3.0), lambda x: tF.hardshrink(x, 3.0)),
        "F.tanhshrink": (F.tanhshrink, tF.tanhshrink),
        "F.leaky_relu": (lambda x: F.leaky_relu(x, 0.05), lambda x: tF.leaky_relu(x, 0.05)),
        "F.softmax_dtype": (lambda x: F.softmax(x, 0), lambda x: tF.softmax(x, 0)),
        "method_log_softmax": (lambda x: x.log_softmax(-1), lambda x: x.log_softmax(-1)),
    }


def _prelu(m, w):
    m.weight.data[...] = w
    return m


def _tprelu(torch, w):
    m = torch.nn.PReLU(len(w))
    with torch.no_grad():
        m.weight[:] = torch.tensor(w)
    return m.double()


PAIR_NAMES = ["ReLU", "LeakyReLU", "ELU", "GELU", "GELU_tanh", "SiLU", "Sigmoid", "Tanh",
              "Softmax", "Softmax_last", "LogSoftmax", "LogSoftmax_0", "Softsign", "Softplus",
              "Softplus_beta", "Identity", "ArcTan", "ISRU", "PReLU_shared", "PReLU_channels",
              "F.leaky_relu", "F.softmax_dtype", "method_log_softmax"]
NEW_PAIR_NAMES = ["ReLU6", "Hardtanh", "Hardtanh_3", "Hardsigmoid", "Hardswish", "SELU", "CELU",
                  "CELU_alpha", "Mish", "LogSigmoid", "Softmin", "Softmin_0", "GLU_0", "GLU_last",
                  "Threshold", "Softshrink", "Softshrink_1", "Hardshrink", "Hardshrink_1",
                  "Tanhshrink", "F.relu6", "F.hardtanh", "F.hardsigmoid", "F.hardswish", "F.selu",
                  "F.celu", "F.mish", "F.logsigmoid", "F.softmin", "F.glu", "F.threshold",
                  "F.softshrink", "F.hardshrink", "F.tanhshrink"]
# PyTorch's float64 backward of these computes a coefficient in float32 (hardsigmoid's 1/6,
# celu's 1/alpha), so it is float32-accurate only; test_hardsigmoid_and_celu_gradients_are_exact
# holds ours to the exact derivative instead.
TORCH_FLOAT32_GRADS = {"Hardsigmoid", "F.hardsigmoid", "CELU_alpha", "F.celu", "hardsigmoid"}
TOL = {"float64": dict(rtol=1e-12, atol=1e-12), "float32": dict(rtol=2e-6, atol=2e-6)}


@pytest.mark.parametrize("name", PAIR_NAMES + NEW_PAIR_NAMES)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_matches_pytorch(name, dtype):
    torch = pytest.importorskip("torch")
    ours, theirs = _pairs(torch)[name]
    rng = np.random.default_rng(0)
    # (EDGE's 0, +-1 and +-3 are kinks of many of the options above)
    x = np.concatenate([rng.standard_normal(12) * 3, EDGE[2:-2], [1.4, 1.6, -1.5]])
    x = x[: 3 * (len(x) // 3)].reshape(-1, 3).astype(dtype)   # (N, 3): dim 1 has 3 channels
    if dtype == "float32" and isinstance(theirs, torch.nn.Module):
        theirs = theirs.float()
    if isinstance(ours, nn.PReLU):       # the slopes in the input's precision, as .double()
        ours.weight.data = ours.weight.data.astype(dtype)
    tx = torch.tensor(x, requires_grad=True)
    tout = theirs(tx)
    u = rng.standard_normal(tuple(tout.shape)).astype(dtype)   # (GLU halves the shape)
    out, g = _grad(ours, x, u)
    (tout * torch.tensor(u)).sum().backward()
    tol = TOL[dtype]
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_allclose(out, tout.detach().numpy(), **tol)
    np.testing.assert_allclose(g, tx.grad.numpy(),
                               **(TOL["float32"] if name in TORCH_FLOAT32_GRADS else tol))
    if isinstance(ours, nn.PReLU):
        np.testing.assert_allclose(ours.weight.grad.data, theirs.weight.grad.numpy(), **tol)


# name -> (ours, PyTorch's, the kinks, where PyTorch picks one one-sided derivative)
def _kinks(torch):
    tF = torch.nn.functional
    return {
        "relu6": (F.relu6, tF.relu6, [0.0, 6.0]),
        "hardtanh": (lambda x: F.hardtanh(x, -2.0, 1.5), lambda x: tF.hardtanh(x, -2.0, 1.5),
                     [-2.0, 1.5]),
        "hardtanh_equal_bounds": (lambda x: F.hardtanh(x, 1.0, 1.0),
                                  lambda x: tF.hardtanh(x, 1.0, 1.0), [1.0]),
        "hardsigmoid": (F.hardsigmoid, tF.hardsigmoid, [-3.0, 3.0]),
        "hardswish": (F.hardswish, tF.hardswish, [-3.0, 3.0]),
        "selu": (F.selu, tF.selu, [0.0]),
        "celu": (lambda x: F.celu(x, 2.0), lambda x: tF.celu(x, 2.0), [0.0]),
        "threshold": (lambda x: F.threshold(x, 0.25, 4.0), lambda x: tF.threshold(x, 0.25, 4.0),
                      [0.25]),
        "softshrink": (lambda x: F.softshrink(x, 0.25), lambda x: tF.softshrink(x, 0.25),
                       [-0.25, 0.25]),
        "softshrink_0": (lambda x: F.softshrink(x, 0.0), lambda x: tF.softshrink(x, 0.0), [0.0]),
        "hardshrink": (lambda x: F.hardshrink(x, 0.25), lambda x: tF.hardshrink(x, 0.25),
                       [-0.25, 0.25]),
        "hardshrink_0": (lambda x: F.hardshrink(x, 0.0), lambda x: tF.hardshrink(x, 0.0), [0.0]),
    }


@pytest.mark.parametrize("name", ["relu6", "hardtanh", "hardtanh_equal_bounds", "hardsigmoid",
                                  "hardswish", "selu", "celu", "threshold", "softshrink",
                                  "softshrink_0", "hardshrink", "hardshrink_0"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_values_and_gradients_at_kinks_match_pytorch(name, dtype):
    torch = pytest.importorskip("torch")
    ours, theirs, kinks = _kinks(torch)[name]
    x = np.array([v + d for v in kinks for d in (0.0, -1e-3, 1e-3)], dtype=dtype)
    out, g = _grad(ours, x)
    tx = torch.tensor(x, requires_grad=True)
    tout = theirs(tx)
    tout.sum().backward()
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_allclose(out, tout.detach().numpy(), **TOL[dtype])
    np.testing.assert_allclose(g, tx.grad.numpy(),
                               **(TOL["float32"] if name in TORCH_FLOAT32_GRADS else TOL[dtype]))


def test_softmin_dtype_matches_pytorch():
    torch = pytest.importorskip("torch")
    x = np.array([[-1, 0, 3], [2, 2, 7]])
    for values in (x, x.astype(np.float32)):
        got = F.softmin(ag.tensor(values), 1, dtype=ag.float64)
        want = torch.nn.functional.softmin(torch.tensor(values), 1, dtype=torch.float64)
        assert got.dtype == np.float64
        np.testing.assert_allclose(got.data, want.numpy(), rtol=1e-12)


def test_binary_step_matches_pytorch_heaviside():
    torch = pytest.importorskip("torch")
    x = np.array([-1.0, -0.0, 0.0, 2.0])
    one = torch.tensor(1.0, dtype=torch.float64)
    np.testing.assert_array_equal(F.binary_step(ag.tensor(x)).data,
                                  torch.heaviside(torch.tensor(x), one).numpy())


def test_erf_matches_pytorch():
    torch = pytest.importorskip("torch")
    x = np.linspace(-6.5, 6.5, 10001)
    np.testing.assert_allclose(ag.erf(ag.tensor(x)).data, torch.erf(torch.tensor(x)).numpy(),
                               rtol=0, atol=2e-15)


@pytest.mark.parametrize("make", ["ReLU()", "ReLU(inplace=True)", "LeakyReLU()", "PReLU(3)",
                                  "ELU()", "GELU('tanh')", "Softmax(dim=1)", "LogSoftmax()",
                                  "Softplus()", "SiLU()", "Identity()", "Sigmoid()",
                                  "ReLU6()", "ReLU6(inplace=True)", "Hardtanh()",
                                  "Hardtanh(-2.5, 3, True)", "Hardsigmoid(inplace=True)",
                                  "Hardswish()", "SELU()", "SELU(inplace=True)", "CELU()",
                                  "CELU(0.5, inplace=True)", "Mish(True)", "LogSigmoid()",
                                  "Softmin()", "Softmin(dim=1)", "GLU()", "GLU(0)",
                                  "Threshold(0.1, 20)", "Threshold(0.1, 20.0, inplace=True)",
                                  "Softshrink()", "Softshrink(1)", "Hardshrink(0.25)",
                                  "Tanhshrink()"])
def test_repr_and_state_dict_keys_match_pytorch(make):
    torch = pytest.importorskip("torch")
    ours, theirs = eval("nn." + make), eval("torch.nn." + make, {"torch": torch})
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    if isinstance(ours, nn.PReLU):   # a PyTorch state_dict loads as is
        ours.load_state_dict({k: ag.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
        np.testing.assert_array_equal(ours.weight.data, theirs.weight.detach().numpy())


# ---- integer and bool inputs, as PyTorch's kernels treat them ----------------------------

NON_FLOAT = {   # name -> F form; each refuses int64 and bool with NotImplementedError
    "leaky_relu": F.leaky_relu, "elu": F.elu, "gelu": F.gelu,
    "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"), "silu": F.silu,
    "softplus": F.softplus, "softmax": lambda x: F.softmax(x, 0),
    "log_softmax": lambda x: F.log_softmax(x, 0),
    "prelu": lambda x: F.prelu(x, ag.tensor([1], dtype=x.dtype)),
    "hardsigmoid": F.hardsigmoid, "hardswish": F.hardswish, "selu": F.selu, "celu": F.celu,
    "mish": F.mish, "logsigmoid": F.logsigmoid, "glu": lambda x: F.glu(x, 0),
    "softshrink": F.softshrink, "hardshrink": F.hardshrink,
}


@pytest.mark.parametrize("name", sorted(NON_FLOAT))
@pytest.mark.parametrize("values", [[-2, 0, 1, 2], [True, False, True, False]])
def test_floating_only_activations_refuse_integer_and_bool_input(name, values):
    x = ag.tensor(values)
    dtype_name = "Long" if x.dtype == np.int64 else "Bool"
    with pytest.raises(NotImplementedError, match=f"not implemented for '{dtype_name}'"):
        NON_FLOAT[name](x)
    module = {"leaky_relu": nn.LeakyReLU(), "gelu": nn.GELU(), "silu": nn.SiLU(),
              "elu": nn.ELU(), "softplus": nn.Softplus(), "hardsigmoid": nn.Hardsigmoid(),
              "hardswish": nn.Hardswish(), "selu": nn.SELU(), "celu": nn.CELU(), "mish": nn.Mish(),
              "logsigmoid": nn.LogSigmoid(), "glu": nn.GLU(0), "softshrink": nn.Softshrink(),
              "hardshrink": nn.Hardshrink()}.get(name)
    if module is not None:
        with pytest.raises(NotImplementedError, match=name):
            module(x)


def test_activations_that_take_integers_keep_or_promote_them():
    x = ag.tensor([-2, 0, 1, 2])
    r = F.relu(x)
    assert r.dtype == np.int64 and r.tolist() == [0, 0, 1, 2]
    for fn, want in ((F.sigmoid, 1 / (1 + np.exp(-x.data))), (F.tanh, np.tanh(x.data)),
                     (F.softsign, x.data / (1 + np.abs(x.data)))):
        out = fn(x)
        assert out.dtype == np.float32
        np.testing.assert_allclose(out.data, want, rtol=1e-6)
    assert F.softmax(x, 0, dtype=ag.float64).dtype == np.float64   # dtype casts first
    with pytest.raises(RuntimeError, match="Boolean inputs not supported for relu"):
        F.relu(ag.tensor([True, False]))
    with pytest.raises(NotImplementedError, match="'Bool'"):
        F.softsign(ag.tensor([True, False]))
    # clamps and thresholds truncate their float arguments to the integer dtype
    assert F.hardtanh(x, -1.5, 1.7).tolist() == [-1, 0, 1, 1]
    assert F.relu6(x * 4).tolist() == [0, 0, 4, 6]
    assert F.threshold(x, 0.5, -3.5).tolist() == [-3, -3, 1, 2]
    assert F.threshold(x, 0.5, -3.5).dtype == np.int64
    t = F.tanhshrink(x)
    assert t.dtype == np.float32
    np.testing.assert_allclose(t.data, x.data - np.tanh(x.data), rtol=1e-6)
    for fn in (F.relu6, F.hardtanh, F.tanhshrink, lambda b: F.softmin(b, 0)):
        with pytest.raises(RuntimeError, match="Boolean inputs not supported"):
            fn(ag.tensor([True, False]))
    with pytest.raises(NotImplementedError, match="threshold.*'Bool'"):
        F.threshold(ag.tensor([True, False]), 0.5, 1.0)


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "elu", "gelu", "silu", "sigmoid",
                                  "tanh", "softmax", "log_softmax", "softsign", "softplus",
                                  "prelu", "relu6", "hardtanh", "hardsigmoid", "hardswish",
                                  "selu", "celu", "mish", "logsigmoid", "softmin", "glu",
                                  "threshold", "softshrink", "hardshrink", "tanhshrink"])
@pytest.mark.parametrize("values", [[-2, 0, 1, 2], [True, False, True, False]])
def test_integer_and_bool_inputs_match_pytorch(name, values):
    torch = pytest.importorskip("torch")
    args = {"softmax": (0,), "log_softmax": (0,), "softmin": (0,), "glu": (0,),
            "hardtanh": (-1.5, 1.7), "threshold": (-0.5, 7.9)}.get(name, ())

    def call(lib, mod, x):
        if name == "prelu":
            return getattr(mod, name)(x, lib.tensor([1], dtype=x.dtype))
        return getattr(mod, name)(x, *args)
    try:
        want = call(torch, torch.nn.functional, torch.tensor(values))
    except (NotImplementedError, RuntimeError) as e:
        with pytest.raises(type(e)) as info:
            call(ag, F, ag.tensor(values))
        assert type(info.value) is type(e)
        return
    got = call(ag, F, ag.tensor(values))
    assert str(got.dtype) == str(want.dtype).replace("torch.", "")
    np.testing.assert_allclose(got.data, want.numpy(), rtol=1e-6)


# ---- RReLU and Softmax2d ------------------------------------------------------------------

def test_rrelu_training_draws_uniform_slopes_and_differentiates_with_them():
    ag.manual_seed(11)
    x = ag.tensor(-np.linspace(0.5, 3.0, 4000).reshape(40, 100), requires_grad=True)
    y = F.rrelu(x, 0.1, 0.3, training=True)
    slopes = y.data / x.data                       # every input is negative
    assert ((slopes >= 0.1) & (slopes <= 0.3)).all()
    # U(0.1, 0.3): mean 0.2, standard deviation 0.2 / sqrt(12), the whole range used
    assert abs(slopes.mean() - 0.2) < 0.005
    assert abs(slopes.std() - 0.2 / math.sqrt(12)) < 0.003
    assert slopes.min() < 0.105 and slopes.max() > 0.295
    u = np.random.default_rng(3).standard_normal(x.shape)
    (y * ag.tensor(u)).sum().backward()
    np.testing.assert_allclose(x.grad.data, u * slopes, rtol=1e-12)   # d/dx (a x) = a


def test_rrelu_training_keeps_positive_inputs_and_is_seeded():
    x = ag.tensor(np.array([[-2.0, 0.0, 3.0], [1e-3, -1e-3, 5.0]], np.float32),
                  requires_grad=True)
    ag.manual_seed(4)
    y = F.rrelu(x, training=True)
    assert y.dtype == np.float32
    pos = x.data > 0
    np.testing.assert_array_equal(y.data[pos], x.data[pos])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data[pos], 1.0)
    # at x = 0 the output is 0 and, as PyTorch's, the gradient a slope of the range
    assert y.data[0, 1] == 0 and 1 / 8 <= x.grad.data[0, 1] <= 1 / 3
    ag.manual_seed(4)
    np.testing.assert_array_equal(F.rrelu(x, training=True).data, y.data)
    m = nn.RReLU()
    ag.manual_seed(4)
    np.testing.assert_array_equal(m(x).data, y.data)   # a module in training mode draws
    assert not np.array_equal(F.rrelu(x, training=True).data, y.data)   # fresh draws


def test_rrelu_eval_uses_the_mean_slope():
    x = np.array([-3.0, -0.5, 0.0, 0.25, 2.0])
    want = np.where(x > 0, x, 0.2 * x)
    out, g = _grad(nn.RReLU(0.1, 0.3).eval(), x)
    np.testing.assert_allclose(out, want, rtol=1e-15)
    np.testing.assert_allclose(g, np.where(x > 0, 1.0, 0.2), rtol=1e-15)
    np.testing.assert_allclose(F.rrelu(ag.tensor(x), 0.1, 0.3).data, want, rtol=1e-15)


def test_softmax2d_normalizes_over_channels_at_each_position():
    x = np.random.default_rng(2).standard_normal((2, 3, 4, 5))
    out = nn.Softmax2d()(ag.tensor(x)).data
    e = np.exp(x)
    np.testing.assert_allclose(out, e / e.sum(1, keepdims=True), rtol=1e-13)
    np.testing.assert_allclose(nn.Softmax2d()(ag.tensor(x[0])).data, out[0], rtol=1e-15)


NEW_BAD_CALLS = {
    "rrelu_lower_above_upper": (RuntimeError, r"rrelu: Lower bound.*lower=0\.5 and upper=0\.1",
                                lambda F, M, lib: F.rrelu(_t(lib, [1.0]), 0.5, 0.1)),
    "rrelu_training_lower_above_upper": (
        RuntimeError, "rrelu: Lower bound",
        lambda F, M, lib: F.rrelu(_t(lib, [1.0]), 0.5, 0.1, training=True)),
    "RReLU_lower_above_upper": (RuntimeError, "rrelu: Lower bound",
                                lambda F, M, lib: M.RReLU(0.5, 0.1)(_t(lib, [1.0]))),
    "rrelu_long": (NotImplementedError, "rrelu.*'Long'",
                   lambda F, M, lib: F.rrelu(lib.tensor([1, -2]))),
    "rrelu_long_training": (NotImplementedError, "rrelu.*'Long'",
                            lambda F, M, lib: F.rrelu(lib.tensor([1, -2]), training=True)),
    "rrelu_bool": (NotImplementedError, "rrelu.*'Bool'",
                   lambda F, M, lib: F.rrelu(lib.tensor([True]))),
    "Softmax2d_2d": (ValueError, r"Softmax2d: expected input to be 3D or 4D, got 2D.*\(2, 3\)",
                     lambda F, M, lib: M.Softmax2d()(_t(lib, np.ones((2, 3))))),
    "Softmax2d_5d": (ValueError, "Softmax2d: expected input to be 3D or 4D, got 5D",
                     lambda F, M, lib: M.Softmax2d()(_t(lib, np.ones((1, 2, 2, 2, 2))))),
}


@pytest.mark.parametrize("case", sorted(NEW_BAD_CALLS))
def test_rrelu_and_softmax2d_bad_arguments_raise_pytorchs_exception_type(case):
    kind, message, call = NEW_BAD_CALLS[case]
    assert_raises_like_torch(kind, message, lambda: call(F, nn, ag),
                             lambda torch: call(torch.nn.functional, torch.nn, torch), exact=True)


@pytest.mark.parametrize("name", ["RReLU", "RReLU_bounds", "F.rrelu", "F.rrelu_bounds",
                                  "Softmax2d", "Softmax2d_unbatched"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_rrelu_eval_and_softmax2d_match_pytorch(name, dtype):
    torch = pytest.importorskip("torch")
    tF = torch.nn.functional
    ours, theirs = {
        "RReLU": (nn.RReLU().eval(), torch.nn.RReLU().eval()),
        "RReLU_bounds": (nn.RReLU(0.05, 0.6).eval(), torch.nn.RReLU(0.05, 0.6).eval()),
        "F.rrelu": (F.rrelu, tF.rrelu),
        "F.rrelu_bounds": (lambda x: F.rrelu(x, 0.2, 0.2, training=False),
                           lambda x: tF.rrelu(x, 0.2, 0.2, training=False)),
        "Softmax2d": (nn.Softmax2d(), torch.nn.Softmax2d()),
        "Softmax2d_unbatched": (lambda x: nn.Softmax2d()(x[0]),
                                lambda x: torch.nn.Softmax2d()(x[0])),
    }[name]
    rng = np.random.default_rng(8)
    x = np.concatenate([EDGE[3:-3], [0.0, -0.0], rng.standard_normal(49) * 3])
    x = x.reshape(2, 3, 2, 5).astype(dtype)
    tx = torch.tensor(x, requires_grad=True)
    tout = theirs(tx)
    u = rng.standard_normal(tuple(tout.shape)).astype(dtype)
    out, g = _grad(ours, x, u)
    (tout * torch.tensor(u)).sum().backward()
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_allclose(out, tout.detach().numpy(), **TOL[dtype])
    np.testing.assert_allclose(g, tx.grad.numpy(), **TOL[dtype])


@pytest.mark.parametrize("make", ["RReLU()", "RReLU(0.1, 0.3)", "RReLU(0.1, 0.3, inplace=True)",
                                  "RReLU(lower=0, upper=1)", "Softmax2d()"])
def test_rrelu_and_softmax2d_repr_match_pytorch(make):
    torch = pytest.importorskip("torch")
    ours, theirs = eval("nn." + make), eval("torch.nn." + make, {"torch": torch})
    assert repr(ours) == repr(theirs)
    if isinstance(ours, nn.RReLU):
        assert (ours.lower, ours.upper, ours.inplace) == (theirs.lower, theirs.upper,
                                                           theirs.inplace)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == []
