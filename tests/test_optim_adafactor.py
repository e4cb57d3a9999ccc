"""optim.Adafactor: the first step against its closed form (without PyTorch); random
trajectories against torch.optim.Adafactor over 0-, 1-, 2- and 3-D parameters in two
groups (parameters and every state entry after each step, float32 and float64, with
maximize, weight decay, both eps1 choices, clipping) with state_dicts moved both ways;
the signature and defaults; saving through nn.save; bad arguments and bad factored
state."""
from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import optim
import test_optim as T
import test_parity_optim as P
from numeric import assert_raises_like_torch
from test_parity_optim_more import test_loaded_state_has_pytorchs_dtypes as _loaded_dtypes
from test_parity_optim_more import test_signature_and_defaults_match_pytorch as _signature

F32, F64 = np.float32, np.float64


# ---- without PyTorch ----------------------------------------------------------------------
@pytest.mark.parametrize("maximize", [False, True])
def test_first_step_is_a_sign_step_scaled_by_the_parameter_rms(maximize):
    """At t = 1, w = 1 so V = g^2 exactly for a vector and, for a rank-1 |g| = a b^T, the
    factored V = (a^2 mean(b^2))(mean(a^2) b^2) / mean(a^2) mean(b^2) = g^2 too: u =
    sign(g), rms(u) = 1 (no clipping) and p <- p - max(eps2, rms(p)) * min(lr, 1) *
    sign(g), after the decay p *= 1 - lr * wd."""
    a, b = np.array([1.0, -2.0, 0.5]), np.array([3.0, 0.25, -1.0, 2.0])
    mat, vec = np.arange(12.0).reshape(3, 4) / 7 - 0.6, np.array([0.1, -0.2, 0.05])
    pm, pv = ag.tensor(mat.copy(), requires_grad=True), ag.tensor(vec.copy(), requires_grad=True)
    opt = optim.Adafactor([pm, pv], lr=0.2, weight_decay=0.5, maximize=maximize)
    g = np.outer(a, b)
    pm.grad, pv.grad = ag.tensor(g), ag.tensor(a)
    opt.step()
    sign = -1.0 if maximize else 1.0
    rms = lambda x: np.sqrt(np.mean(x * x))  # noqa: E731
    np.testing.assert_allclose(pm.data, mat * 0.9 - rms(mat) * 0.2 * sign * np.sign(g),
                               rtol=1e-13)
    np.testing.assert_allclose(pv.data, vec * 0.9 - rms(vec) * 0.2 * sign * np.sign(a),
                               rtol=1e-13)
    st = opt.state[pm]
    assert list(st) == ["step", "row_var", "col_var"]
    assert list(opt.state[pv]) == ["step", "variance"]
    np.testing.assert_allclose(st["row_var"].data, (g * g).mean(1, keepdims=True), rtol=1e-15)
    np.testing.assert_allclose(st["col_var"].data, (g * g).mean(0, keepdims=True), rtol=1e-15)
    np.testing.assert_array_equal(opt.state[pv]["variance"].data, a * a)


def test_small_parameters_step_by_eps2_and_large_updates_are_clipped():
    """A parameter of RMS below eps2 steps by eps2 * rho; when the gradient jumps
    100-fold, u = g / sqrt(V) has RMS 1 / sqrt(w) > d and is scaled down to RMS d."""
    s = np.array([1.0, -1.0, 1.0, 1.0])
    p = ag.tensor(np.zeros(4), requires_grad=True)
    opt = optim.Adafactor([p], lr=1.0, eps=(None, 0.01), d=1.25)
    p.grad = ag.tensor(s)
    opt.step()                                       # rho = 1, u = sign(g)
    np.testing.assert_allclose(p.data, -0.01 * s, rtol=1e-15)
    p.data[...] = 1.0                                # rms(p) = 1
    p.grad = ag.tensor(100 * s)
    opt.step()
    w = 2.0 ** -0.8                                  # V = (1 - w) + w * 100^2
    assert 100 / np.sqrt(1 - w + w * 1e4) > 1.25     # (so it is clipped)
    np.testing.assert_allclose(p.data, 1.0 - 2 ** -0.5 * 1.25 * s, rtol=1e-14)


def test_empty_parameter_is_left_alone():
    """(PyTorch's step raises ZeroDivisionError on a parameter with no elements.)"""
    p = ag.tensor(np.zeros((0, 3)), requires_grad=True)
    opt = optim.Adafactor([p])
    p.grad = ag.tensor(np.zeros((0, 3)))
    opt.step()
    assert float(opt.state[p]["step"].data) == 1.0
    assert opt.state[p]["col_var"].shape == (1, 3)


def test_state_dict_round_trip_continues_identically(tmp_path):
    """Through flatten_state_dict, nn.save and JSON, on an MLP (2-D and 1-D state)."""
    T.test_state_dict_round_trip_continues_identically(
        "Adafactor", dict(lr=0.05, weight_decay=0.1, eps=(1e-20, 1e-3)), tmp_path)


def test_step_on_inf_and_nan_gradients_is_silent():
    P.test_step_on_inf_and_nan_gradients_is_silent("Adafactor", dict(lr=0.1))


@pytest.mark.parametrize("dtype", [F32, F64], ids=["float32", "float64"])
def test_float32_stays_float32_and_eps1_follows_the_dtype(dtype):
    """eps1=None is finfo(dtype).eps: at t = 1, V = g^2 and a gradient of eps1 / 2
    gives u = g / max(|g|, eps1) = 1/2 (with the other dtype's eps1, 1 or ~0)."""
    p = ag.tensor(np.ones(3, dtype), requires_grad=True)
    opt = optim.Adafactor([p], lr=1.0)               # alpha = rms(p) * 1 = 1
    p.grad = ag.tensor(np.array([np.finfo(dtype).eps / 2, 0.0, 0.0], dtype))
    opt.step()
    assert p.dtype == dtype and opt.state[p]["variance"].dtype == dtype
    np.testing.assert_array_equal(p.data, [0.5, 1.0, 1.0])


# ---- against PyTorch ----------------------------------------------------------------------
SHAPE_SETS = {"2d-1d|0d-3d": [(3, 4), (5,), (), (2, 3, 4)],
              "unit-axes": [(1, 6), (1,), (4, 1, 3), (6, 1)]}
CONFIGS = [
    (dict(), dict(lr=0.05, beta2_decay=-0.5, eps=(1e-6, 1e-2), d=2.0, weight_decay=0.1,
                  maximize=True)),
    # lr = 0.5: rho = 1/sqrt(t) from t = 5 on
    (dict(lr=0.5, weight_decay=0.05, eps=(None, 0.1), d=1.2), dict(maximize=True, lr=0.02)),
]


@pytest.mark.parametrize("dtype", [F32, F64], ids=["float32", "float64"])
@pytest.mark.parametrize("shapes", SHAPE_SETS, ids=list(SHAPE_SETS))
@pytest.mark.parametrize("defaults,override", CONFIGS, ids=["config0", "config1"])
def test_random_trajectory_and_state_match_pytorch(defaults, override, shapes, dtype,
                                                   monkeypatch):
    """test_parity_optim's run (30 steps with missing and zero gradients, two groups,
    every state entry compared; then state_dicts moved both ways for 10 more steps) on
    these shapes."""
    monkeypatch.setattr(P, "SHAPES", SHAPE_SETS[shapes])
    P.test_random_trajectory_and_state_match_pytorch("Adafactor", defaults, override, dtype)


def test_signature_and_defaults_match_pytorch():
    _signature("Adafactor")


def test_loaded_pytorch_state_has_pytorchs_dtypes():
    _loaded_dtypes("Adafactor")


def test_pytorch_state_dict_of_a_3d_parameter_loads_with_its_factors():
    """PyTorch's row_var (2, 3, 1) and col_var (2, 1, 4) of a float32 parameter load
    into ours for a float64 one (cast to float64, and copied) and back into PyTorch's
    (which casts them to float64 too)."""
    torch = pytest.importorskip("torch")
    g = np.random.default_rng(2).standard_normal((2, 3, 4))
    tp = torch.ones(2, 3, 4, dtype=torch.float32, requires_grad=True)
    topt = torch.optim.Adafactor([tp])
    tp.grad = torch.tensor(g, dtype=torch.float32)
    topt.step()
    p = ag.ones(2, 3, 4, dtype=ag.float64, requires_grad=True)
    opt = optim.Adafactor([p])
    saved = {k: {n: v.numpy() for n, v in s.items()}
             for k, s in topt.state_dict()["state"].items()}
    opt.load_state_dict({"state": saved, "param_groups": topt.state_dict()["param_groups"]})
    assert list(opt.state[p]) == ["step", "row_var", "col_var"]
    for key in ("row_var", "col_var"):
        mine = opt.state[p][key]
        assert mine.dtype == np.float64 and mine.shape == topt.state[tp][key].shape
        np.testing.assert_array_equal(mine.data, topt.state[tp][key].numpy())
        assert not np.shares_memory(mine.data, saved[0][key])
    back = torch.optim.Adafactor([torch.ones(2, 3, 4, dtype=torch.float64,
                                             requires_grad=True)])
    back.load_state_dict({"state": {k: {n: torch.tensor(np.array(v.data)) for n, v in s.items()}
                                    for k, s in opt.state_dict()["state"].items()},
                          "param_groups": opt.state_dict()["param_groups"]})
    for key in ("row_var", "col_var"):
        theirs = next(iter(back.state.values()))[key]
        assert theirs.dtype == torch.float64
        np.testing.assert_array_equal(theirs.numpy(), opt.state[p][key].data)


# ---- bad input ----------------------------------------------------------------------------
def _p():
    return [ag.zeros(2, requires_grad=True)]


def _tp(torch):
    return [torch.zeros(2, requires_grad=True)]


@pytest.mark.parametrize("opts,exc,match", [
    (dict(lr=-1.0), ValueError, "learning rate"),
    (dict(lr="0.1"), TypeError, "lr"),
    (dict(beta2_decay=0.1), ValueError, "beta2_decay should be <= 0"),
    (dict(beta2_decay=None), TypeError, "beta2_decay"),
    (dict(eps=(-1e-30, 1e-3)), ValueError, "epsilon1"),
    (dict(eps=(None, -1e-3)), ValueError, "epsilon2"),
    (dict(eps=1e-3), TypeError, "eps"),
    (dict(eps=(1e-3,)), IndexError, "eps"),
    (dict(eps=(None, None)), TypeError, r"eps\[1\]"),
    (dict(eps=("a", 1e-3)), TypeError, r"eps\[0\]"),
    (dict(d=0.5), ValueError, "Clipping threshold d should be >= 1"),
    (dict(d=None), TypeError, "d=None"),
    (dict(weight_decay=-0.1), ValueError, "weight_decay"),
    (dict(weight_decay=None), TypeError, "weight_decay"),
])
def test_bad_hyper_parameters_raise_like_pytorch(opts, exc, match):
    assert_raises_like_torch(exc, match, lambda: optim.Adafactor(_p(), **opts),
                             lambda torch: torch.optim.Adafactor(_tp(torch), **opts))


def test_three_eps_values_raise_at_once():
    """PyTorch takes them and fails to unpack them at the first step."""
    def theirs(torch):
        ps = _tp(torch)
        opt = torch.optim.Adafactor(ps, eps=(None, 1e-3, 1.0))
        ps[0].grad = torch.ones(2)
        opt.step()
    assert_raises_like_torch(ValueError, "eps must be a pair",
                             lambda: optim.Adafactor(_p(), eps=(None, 1e-3, 1.0)), theirs)


def test_group_options_are_checked_and_switches_accepted():
    opt = optim.Adafactor(_p(), foreach=True)
    with pytest.raises(ValueError, match="Clipping threshold d"):
        opt.add_param_group({"params": _p(), "d": 0.0})
    with pytest.raises(TypeError, match="fused"):
        optim.Adafactor(_p(), fused=True)


@pytest.mark.parametrize("shape,key,bad", [((3, 4), "row_var", (1, 4)),
                                           ((3, 4), "col_var", (3, 4)),
                                           ((3,), "row_var", (3, 1))])
def test_loading_a_factor_of_the_wrong_shape_raises_and_loads_nothing(shape, key, bad):
    p = ag.ones(*shape, requires_grad=True)
    opt = optim.Adafactor([p])
    p.grad = ag.ones(*shape)
    opt.step()
    sd = opt.state_dict()
    state = {k: {n: np.array(v.data) for n, v in s.items()} for k, s in sd["state"].items()}
    state[0][key] = np.zeros(bad, np.float32)
    before = dict(opt.state[p])
    with pytest.raises(ValueError, match=rf"{key}.*{bad[0]}, {bad[1]}.*\(3"):
        opt.load_state_dict({"state": state, "param_groups": sd["param_groups"]})
    assert list(opt.state[p]) == list(before)
    assert all(opt.state[p][n] is v for n, v in before.items())
