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


@pytest.mark.parametrize("name", PAIR_NAMES)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_matches_pytorch(name, dtype):
    torch = pytest.importorskip("torch")
    ours, theirs = _pairs(torch)[name]
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.standard_normal(12) * 3, EDGE[2:-2], [1.4, 1.6, -1.5]])
    x = x[: 3 * (len(x) // 3)].reshape(-1, 3).astype(dtype)   # (N, 3): dim 1 has 3 channels
    u = rng.standard_normal(x.shape).astype(dtype)
    if dtype == "float32" and isinstance(theirs, torch.nn.Module):
        theirs = theirs.float()
    if isinstance(ours, nn.PReLU):       # the slopes in the input's precision, as .double()
        ours.weight.data = ours.weight.data.astype(dtype)
    out, g = _grad(ours, x, u)
    tx = torch.tensor(x, requires_grad=True)
    tout = theirs(tx)
    (tout * torch.tensor(u)).sum().backward()
    tol = dict(rtol=1e-12, atol=1e-12) if dtype == "float64" else dict(rtol=2e-6, atol=2e-6)
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_allclose(out, tout.detach().numpy(), **tol)
    np.testing.assert_allclose(g, tx.grad.numpy(), **tol)
    if isinstance(ours, nn.PReLU):
        np.testing.assert_allclose(ours.weight.grad.data, theirs.weight.grad.numpy(), **tol)


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
                                  "Softplus()", "SiLU()", "Identity()", "Sigmoid()"])
def test_repr_and_state_dict_keys_match_pytorch(make):
    torch = pytest.importorskip("torch")
    ours, theirs = eval("nn." + make), eval("torch.nn." + make)
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
}


@pytest.mark.parametrize("name", sorted(NON_FLOAT))
@pytest.mark.parametrize("values", [[-2, 0, 1, 2], [True, False, True, False]])
def test_floating_only_activations_refuse_integer_and_bool_input(name, values):
    x = ag.tensor(values)
    dtype_name = "Long" if x.dtype == np.int64 else "Bool"
    with pytest.raises(NotImplementedError, match=f"not implemented for '{dtype_name}'"):
        NON_FLOAT[name](x)
    module = {"leaky_relu": nn.LeakyReLU(), "gelu": nn.GELU(), "silu": nn.SiLU(),
              "elu": nn.ELU(), "softplus": nn.Softplus()}.get(name)
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


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "elu", "gelu", "silu", "sigmoid",
                                  "tanh", "softmax", "log_softmax", "softsign", "softplus",
                                  "prelu"])
@pytest.mark.parametrize("values", [[-2, 0, 1, 2], [True, False, True, False]])
def test_integer_and_bool_inputs_match_pytorch(name, values):
    torch = pytest.importorskip("torch")
    args = (0,) if "softmax" in name else ()

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
