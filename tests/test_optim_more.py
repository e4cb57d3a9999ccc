"""optim, second set of rules and schedules, without PyTorch: Adadelta, Adamax, NAdam,
RAdam, ASGD and Rprop against plain NumPy versions of PyTorch's documented algorithms;
L-BFGS against closed forms on quadratics; MultiplicativeLR, ConstantLR, PolynomialLR,
CosineAnnealingWarmRestarts, CyclicLR, SequentialLR and ChainedScheduler against their
closed forms written here; state_dict round trips and bad input (checked against
PyTorch's exception types too where it is installed)."""
from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest

import autograd as ag
import optim
import test_optim as T
from numeric import assert_raises_like_torch
from optim import lr_scheduler as S
from test_lr_scheduler import BASE, EPOCHS, make_optimizer
from test_parity_optim import test_step_on_inf_and_nan_gradients_is_silent as _silent_on_inf

STEPS = 20


# ---- the update rules, written plainly from PyTorch's documentation ----------------------
def reference_step(name: str, o: dict, params: list, grads: list, states: list, t: int) -> list:
    """One step of the documented algorithm for every parameter (t counts from 1); the
    same interface as test_optim's, which `run_reference` calls.  PyTorch keeps NAdam's
    mu_product and ASGD's eta and mu in float32 0-d tensors (the step counter's dtype),
    so they are rounded to float32 here too."""
    f32 = lambda v: float(np.float32(v))  # noqa: E731
    new = []
    for p, g, state in zip(params, grads, states):
        if o.get("maximize"):
            g = -g
        lr, wd = o["lr"], o.get("weight_decay", 0)
        if wd and o.get("decoupled_weight_decay"):
            p = p * (1 - lr * wd)
        elif wd:
            g = g + wd * p
        b1, b2 = o.get("betas", (0.9, 0.999))
        if name == "Adadelta":
            rho, eps = o.get("rho", 0.9), o.get("eps", 1e-6)
            state["v"] = rho * state.get("v", 0) + (1 - rho) * g * g
            dx = np.sqrt(state.get("u", 0) + eps) / np.sqrt(state["v"] + eps) * g
            state["u"] = rho * state.get("u", 0) + (1 - rho) * dx * dx
            p = p - lr * dx
        elif name == "Adamax":
            state["m"] = b1 * state.get("m", 0) + (1 - b1) * g
            state["u"] = np.maximum(b2 * state.get("u", 0), np.abs(g) + o.get("eps", 1e-8))
            p = p - lr / (1 - b1 ** t) * state["m"] / state["u"]
        elif name == "NAdam":
            psi = o.get("momentum_decay", 4e-3)
            mu, mu_next = (b1 * (1 - 0.5 * 0.96 ** (k * psi)) for k in (t, t + 1))
            state["prod"] = f32(np.float32(state.get("prod", 1.0)) * np.float32(mu))
            state["m"] = b1 * state.get("m", 0) + (1 - b1) * g
            state["v"] = b2 * state.get("v", 0) + (1 - b2) * g * g
            denom = np.sqrt(state["v"] / (1 - b2 ** t)) + o.get("eps", 1e-8)
            p = p - lr * (1 - mu) / (1 - state["prod"]) * g / denom \
                - lr * mu_next / (1 - state["prod"] * mu_next) * state["m"] / denom
        elif name == "RAdam":
            state["m"] = b1 * state.get("m", 0) + (1 - b1) * g
            state["v"] = b2 * state.get("v", 0) + (1 - b2) * g * g
            m_hat = state["m"] / (1 - b1 ** t)
            rho_inf = 2 / (1 - b2) - 1
            rho = rho_inf - 2 * t * b2 ** t / (1 - b2 ** t)
            if rho > 5:
                rect = math.sqrt((rho - 4) * (rho - 2) * rho_inf
                                 / ((rho_inf - 4) * (rho_inf - 2) * rho))
                adaptive = math.sqrt(1 - b2 ** t) / (np.sqrt(state["v"]) + o.get("eps", 1e-8))
                p = p - lr * m_hat * adaptive * rect
            else:
                p = p - lr * m_hat
        elif name == "ASGD":
            lambd, alpha, t0 = o.get("lambd", 1e-4), o.get("alpha", 0.75), o.get("t0", 1e6)
            eta, mu = state.get("eta", f32(lr)), state.get("mu", 1.0)
            p = p * (1 - lambd * eta) - eta * g
            state["ax"] = state.get("ax", 0) + mu * (p - state.get("ax", 0))
            state["eta"] = f32(lr / (1 + lambd * lr * t) ** alpha)
            state["mu"] = f32(1 / max(1, t - t0))
        elif name == "Rprop":
            etaminus, etaplus = o.get("etas", (0.5, 1.2))
            lo, hi = o.get("step_sizes", (1e-6, 50))
            prev = state.get("prev", np.zeros_like(p))
            s = np.sign(g * prev)
            factor = np.where(s > 0, etaplus, np.where(s < 0, etaminus, 1.0))
            state["size"] = np.clip(state.get("size", np.full_like(p, lr)) * factor, lo, hi)
            g = np.where(s < 0, 0.0, g)
            p = p - np.sign(g) * state["size"]
            state["prev"] = g
        new.append(p)
    return new


CONFIGS = [
    ("Adadelta", dict(lr=1.0)),
    ("Adadelta", dict(lr=0.5, rho=0.7, eps=1e-4, weight_decay=0.1)),
    ("Adadelta", dict(lr=2.0, maximize=True)),
    ("Adamax", dict(lr=0.05)),
    ("Adamax", dict(lr=0.05, betas=(0.8, 0.9), eps=1e-3, weight_decay=0.1)),
    ("Adamax", dict(lr=0.02, maximize=True)),
    ("NAdam", dict(lr=0.05)),
    ("NAdam", dict(lr=0.05, betas=(0.8, 0.95), momentum_decay=0.05, weight_decay=0.1)),
    ("NAdam", dict(lr=0.05, weight_decay=0.3, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict(lr=0.05)),
    ("RAdam", dict(lr=0.05, betas=(0.7, 0.8), weight_decay=0.1, eps=1e-4)),
    ("RAdam", dict(lr=0.05, weight_decay=0.3, decoupled_weight_decay=True, maximize=True)),
    ("ASGD", dict(lr=0.02)),
    ("ASGD", dict(lr=0.05, lambd=0.5, alpha=0.6, t0=5, weight_decay=0.1)),
    ("ASGD", dict(lr=0.02, t0=3, maximize=True)),
    ("Rprop", dict(lr=0.01)),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.1))),
    ("Rprop", dict(lr=0.02, maximize=True)),
]
CASES = [pytest.param(prob, name, opts, id=f"{prob}-{name}-{i}")
         for prob in T.PROBLEMS for i, (name, opts) in enumerate(CONFIGS)]


def run_reference(problem, name: str, opts: dict, steps: int, monkeypatch) -> list:
    """test_optim's reference runner, stepping with this module's `reference_step`."""
    monkeypatch.setattr(T, "reference_step", reference_step)
    return T.run_reference(problem, name, opts, steps)


@pytest.mark.parametrize("prob,name,opts", CASES)
def test_trajectory_matches_documented_algorithm(prob, name, opts, monkeypatch):
    problem = T.PROBLEMS[prob]
    ours = T.run_ours(problem, name, opts, STEPS)
    assert all(np.isfinite(p).all() for step in ours for p in step)
    # the parameters really move, so agreement is not trivial
    assert max(np.abs(p - q).max() for p, q in zip(ours[-1], problem.init)) > 1e-2
    T.assert_trajectories_close(ours, run_reference(problem, name, opts, STEPS, monkeypatch))


def test_asgd_averages_the_iterates_after_t0():
    """``ax`` is the parameter itself while mu = 1 / max(1, t - t0) is 1 (mu of step t
    weighs the iterate of step t + 1), then the running mean of the iterates: with
    t0=3, ax after step 8 is the mean of steps 5 to 8."""
    problem = T.PROBLEMS["quadratic"]
    x, Y = (ag.tensor(a, requires_grad=True) for a in problem.init)
    opt = optim.ASGD([x, Y], lr=0.05, t0=3)
    xs = []
    for _ in range(8):
        opt.zero_grad()
        problem.loss(x, Y).backward()
        opt.step()
        xs.append(x.data.copy())
        if len(xs) <= 5:
            np.testing.assert_array_equal(opt.state[x]["ax"].data, xs[-1])
    mean = np.mean(xs[4:], axis=0)
    np.testing.assert_allclose(opt.state[x]["ax"].data, mean, rtol=1e-6)
    assert not np.allclose(xs[-1], mean, rtol=1e-3)


def test_nadam_and_asgd_scalar_state_rounds_like_the_step_counter():
    """mu_product, eta and mu are 0-d tensors of the step counter's dtype (float32 by
    default), as in PyTorch, and the update uses their rounded values."""
    p = ag.tensor(np.ones(3), requires_grad=True)
    nadam, asgd = optim.NAdam([p], lr=0.1), optim.ASGD([p], lr=0.1, lambd=0.3)
    p.grad = ag.tensor(np.array([1.0, -2.0, 0.5]))
    for opt, keys in ((nadam, ("step", "mu_product")), (asgd, ("step", "eta", "mu"))):
        opt.step()
        opt.step()
        for key in keys:
            v = opt.state[p][key]
            assert v.shape == () and v.dtype == np.float32, (type(opt).__name__, key)
    mu = [0.9 * (1 - 0.5 * 0.96 ** (k * 4e-3)) for k in (1, 2)]
    assert nadam.state[p]["mu_product"].item() == float(np.float32(np.float32(mu[0]) * mu[1]))
    assert asgd.state[p]["eta"].item() == float(np.float32(0.1 / (1 + 0.3 * 0.1 * 2) ** 0.75))


def test_rprop_adapts_each_step_size_to_sign_changes():
    """By hand: a step size grows by etaplus while its gradient keeps its sign, shrinks
    by etaminus (and skips that step) when it flips, and stays within step_sizes."""
    p = ag.tensor(np.zeros(3), requires_grad=True)
    opt = optim.Rprop([p], lr=0.1, etas=(0.5, 2.0), step_sizes=(0.03, 0.3))
    grads = [[1.0, 1.0, 0.0], [2.0, -1.0, 0.0], [3.0, -1.0, 5.0], [4.0, 1.0, 0.0]]
    expected_sizes = [[0.1, 0.1, 0.1], [0.2, 0.05, 0.1], [0.3, 0.05, 0.1], [0.3, 0.03, 0.1]]
    moves = [[-0.1, -0.1, 0.0], [-0.2, 0.0, 0.0], [-0.3, 0.05, -0.1], [-0.3, 0.0, 0.0]]
    for g, size, move in zip(grads, expected_sizes, moves):
        before = p.data.copy()
        p.grad = ag.tensor(np.array(g))
        opt.step()
        np.testing.assert_allclose(opt.state[p]["step_size"].data, size, rtol=1e-15)
        np.testing.assert_allclose(p.data - before, move, rtol=1e-15, atol=1e-17)


# ---- L-BFGS -------------------------------------------------------------------------------
def _quadratic_closure(opt, x, A, b):
    def closure():
        opt.zero_grad()
        loss = 0.5 * (x @ (ag.tensor(A) @ x)) - ag.tensor(b) @ x
        loss.backward()
        return loss
    return closure


def _spd(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return q @ np.diag(np.linspace(0.5, 20.0, n)) @ q.T, rng.standard_normal(n)


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_first_iteration_is_a_scaled_gradient_step(line_search_fn):
    """Iteration 1 (max_iter=1) moves along -g by t = min(1, 1/sum|g|) * lr; without a
    line search that is the step, and the closure ran once."""
    A, b = _spd(4)
    x0 = np.ones(4)
    x = ag.tensor(x0.copy(), requires_grad=True)
    opt = optim.LBFGS([x], lr=0.5, max_iter=1, line_search_fn=line_search_fn)
    loss = opt.step(_quadratic_closure(opt, x, A, b))
    g = A @ x0 - b
    assert float(loss) == pytest.approx(0.5 * x0 @ A @ x0 - b @ x0, rel=1e-12)
    assert opt.state[x]["n_iter"] == 1
    if line_search_fn is None:
        assert opt.state[x]["func_evals"] == 1
        np.testing.assert_allclose(x.data, x0 - min(1.0, 1.0 / np.abs(g).sum()) * 0.5 * g,
                                   rtol=1e-13)
    else:
        # a strong-Wolfe step along -g: sufficient decrease and curvature hold
        assert opt.state[x]["func_evals"] >= 2
        t = float(opt.state[x]["t"])
        d = -g
        f = lambda z: 0.5 * z @ A @ z - b @ z  # noqa: E731
        assert f(x0 + t * d) <= f(x0) + 1e-4 * t * g @ d
        assert abs((A @ (x0 + t * d) - b) @ d) <= 0.9 * abs(g @ d)
        np.testing.assert_allclose(x.data, x0 + t * d, rtol=1e-13)


@pytest.mark.parametrize("line_search_fn,history_size", [(None, 100), ("strong_wolfe", 100),
                                                         ("strong_wolfe", 2)])
def test_lbfgs_solves_a_quadratic(line_search_fn, history_size):
    """On 1/2 x'Ax - b'x L-BFGS reaches A^-1 b (tolerance_change=0: no stopping on a
    small change of the loss); the step returns the first loss and the state counts
    iterations and evaluations."""
    A, b = _spd(6, seed=1)
    x = ag.tensor(np.zeros(6), requires_grad=True)
    opt = optim.LBFGS([x], max_iter=100, history_size=history_size,
                      line_search_fn=line_search_fn, tolerance_grad=1e-10,
                      tolerance_change=0.0)
    closure = _quadratic_closure(opt, x, A, b)
    assert float(opt.step(closure)) == 0.0     # the loss of the first evaluation
    np.testing.assert_allclose(x.data, np.linalg.solve(A, b), rtol=1e-7, atol=1e-7)
    state = opt.state[x]
    assert 6 < state["n_iter"] < 100 and state["func_evals"] >= state["n_iter"]
    # one curvature pair per iteration after the first, the oldest dropped past history_size
    assert 2 <= len(state["old_dirs"]) == len(state["ro"]) <= min(history_size,
                                                                 state["n_iter"] - 1)
    assert history_size == 100 or len(state["old_dirs"]) == history_size
    # within tolerance_grad of the optimum a step evaluates once, moves nothing and
    # returns what the closure returned
    opt.param_groups[0]["tolerance_grad"] = 1e-6
    evals, at, returned = state["func_evals"], x.data.copy(), []
    assert opt.step(lambda: returned.append(closure()) or returned[-1]) is returned[0]
    assert state["func_evals"] == evals + 1
    np.testing.assert_array_equal(x.data, at)


def test_lbfgs_stops_when_the_loss_stops_changing():
    """The step ends at the first iteration whose loss changed by less than
    tolerance_change (the losses are the closure's, recorded here: one evaluation per
    iterate without a line search).  On this problem the other stopping rules do not
    fire first, and an earlier change lies within 10x of the tolerance."""
    A, b = _spd(6, seed=9)
    x = ag.tensor(np.zeros(6), requires_grad=True)
    opt = optim.LBFGS([x], max_iter=50, tolerance_change=1e-3)
    closure, losses = _quadratic_closure(opt, x, A, b), []

    def recording():
        loss = closure()
        losses.append(float(loss))
        return loss
    opt.step(recording)
    state = opt.state[x]
    changes = np.abs(np.diff(losses))
    assert len(losses) == state["n_iter"] + 1 and state["n_iter"] < 50
    assert changes[-1] < 1e-3 and (changes[:-1] >= 1e-3).all()
    assert (changes[:-1] < 1e-2).any()
    assert np.abs(state["d"].data * float(state["t"])).max() > 1e-3


def test_lbfgs_load_casts_to_the_parameter_dtype():
    """Like PyTorch's, a state saved in float64 loads into a float32 L-BFGS as float32."""
    A, b = _spd(3)
    x = ag.tensor(np.ones(3), requires_grad=True)
    opt = optim.LBFGS([x], max_iter=3)
    opt.step(_quadratic_closure(opt, x, A, b))
    x32 = ag.tensor(np.ones(3, np.float32), requires_grad=True)
    opt32 = optim.LBFGS([x32], max_iter=3)
    opt32.load_state_dict(opt.state_dict())
    state = opt32.state[x32]
    assert state["d"].dtype == state["prev_flat_grad"].dtype == np.float32
    assert {v.dtype for v in state["old_dirs"] + state["old_stps"] + state["ro"]} == \
        {np.dtype(np.float32)}
    assert state["n_iter"] == opt.state[x]["n_iter"] > 1
    assert isinstance(state["prev_loss"], float)


def test_lbfgs_spreads_one_flat_vector_over_several_parameters():
    """Two parameters of different shapes (one without a gradient) are optimized as one
    vector: the result equals a run on the concatenated vector, and the frozen one
    does not move."""
    A, b = _spd(5, seed=2)
    a = ag.tensor(np.zeros((2, 2)), requires_grad=True)
    c = ag.tensor(np.zeros(1), requires_grad=True)
    frozen = ag.tensor(np.full(3, 7.0), requires_grad=True)
    opt = optim.LBFGS([a, c, frozen], line_search_fn="strong_wolfe", max_iter=8)

    def closure():
        opt.zero_grad()
        x = ag.cat([a.reshape(-1), c])
        loss = 0.5 * (x @ (ag.tensor(A) @ x)) - ag.tensor(b) @ x
        loss.backward()
        return loss
    opt.step(closure)
    flat = ag.tensor(np.zeros(5), requires_grad=True)
    ref = optim.LBFGS([flat], line_search_fn="strong_wolfe", max_iter=8)
    ref.step(_quadratic_closure(ref, flat, A, b))
    np.testing.assert_allclose(np.concatenate([a.data.ravel(), c.data]), flat.data, rtol=1e-12)
    assert frozen.data.tolist() == [7.0] * 3
    assert list(opt.state) == [a]     # the state lives under the first parameter


def test_lbfgs_state_dict_round_trip_continues_identically():
    A, b = _spd(4, seed=3)

    def make(x0):
        x = ag.tensor(x0.copy(), requires_grad=True)
        opt = optim.LBFGS([x], lr=0.8, max_iter=3, history_size=2)
        return x, opt, _quadratic_closure(opt, x, A, b)

    x, opt, closure = make(np.ones(4))
    for _ in range(2):
        opt.step(closure)
    x2, opt2, closure2 = make(x.data)
    opt2.load_state_dict(opt.state_dict())
    assert opt2.state[x2]["d"] is not opt.state[x]["d"]
    for _ in range(2):
        opt.step(closure)
        opt2.step(closure2)
    np.testing.assert_array_equal(x2.data, x.data)
    assert opt2.state[x2]["n_iter"] == opt.state[x]["n_iter"] > 6
    assert opt2.state[x2]["func_evals"] == opt.state[x]["func_evals"]


def test_lbfgs_keeps_float32():
    A, b = (a.astype(np.float32) for a in _spd(3))
    x = ag.tensor(np.ones(3, np.float32), requires_grad=True)
    opt = optim.LBFGS([x], line_search_fn="strong_wolfe", max_iter=4)
    closure = _quadratic_closure(opt, x, A, b)
    opt.step(closure)
    opt.step(closure)
    assert x.dtype == np.float32
    state = opt.state[x]
    assert state["d"].dtype == state["prev_flat_grad"].dtype == np.float32
    assert all(v.dtype == np.float32 for v in state["old_dirs"] + state["old_stps"])


# ---- every rule, briefly ------------------------------------------------------------------
ALL = {"Adadelta": dict(lr=30.0), "Adamax": dict(lr=0.05), "NAdam": dict(lr=0.05),
       "RAdam": dict(lr=0.05), "ASGD": dict(lr=0.05), "Rprop": dict(lr=0.05),
       "LBFGS": dict(lr=0.5, max_iter=2)}


@pytest.mark.parametrize("name", ALL)
def test_each_rule_lowers_a_quadratic(name):
    problem = T.PROBLEMS["quadratic"]
    params = [ag.tensor(a, requires_grad=True) for a in problem.init]
    opt = getattr(optim, name)(params, **ALL[name])

    def closure():
        opt.zero_grad()
        loss = problem.loss(*params)
        loss.backward()
        return loss
    first = float(closure())
    for _ in range(10):
        opt.step(closure)
    assert float(closure()) < 0.5 * first


@pytest.mark.parametrize("name,opts", [
    ("Adadelta", dict(lr=0.5, rho=0.7, weight_decay=0.1)), ("Adamax", dict(lr=0.05)),
    ("RAdam", dict(lr=0.05, decoupled_weight_decay=True, weight_decay=0.1)),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5))),
    # eta stays lr (exact in float32) and mu 1: see the test below for the others
    ("ASGD", dict(lr=2 ** -5, lambd=0.0))])
def test_optimizer_state_dict_round_trip_continues_identically(name, opts, tmp_path):
    T.test_state_dict_round_trip_continues_identically(name, opts, tmp_path)


@pytest.mark.parametrize("name,opts,keys", [
    ("NAdam", dict(lr=0.05), ["mu_product"]),
    ("ASGD", dict(lr=0.05, lambd=0.1, t0=2), ["eta", "mu"])])
def test_load_casts_scalar_state_to_the_parameter_dtype(name, opts, keys):
    """Like PyTorch's, load_state_dict casts every state entry but ``step`` to the
    parameter's dtype, so the float32 0-d entries continue in float64: the resumed
    run then differs from the uninterrupted one by float32 round-off only."""
    problem = T.PROBLEMS["quadratic"]
    straight = T.run_ours(problem, name, opts, 12)
    params = [ag.tensor(a, requires_grad=True) for a in problem.init]
    opt = getattr(optim, name)(params, **opts)
    for _ in range(6):
        opt.zero_grad()
        problem.loss(*params).backward()
        opt.step()
    opt.load_state_dict(opt.state_dict())
    for key in keys:
        assert opt.state[params[0]][key].dtype == np.float64
    assert opt.state[params[0]]["step"].dtype == np.float32
    for _ in range(6):
        opt.zero_grad()
        problem.loss(*params).backward()
        opt.step()
    for p, q in zip(params, straight[-1]):
        np.testing.assert_allclose(p.data, q, rtol=T.RTOL)
        assert not np.array_equal(p.data, q)


@pytest.mark.parametrize("name,opts", CONFIGS[::3])
def test_step_on_inf_and_nan_gradients_is_silent(name, opts):
    _silent_on_inf(name, opts)


@pytest.mark.parametrize("name", [n for n in ALL if n != "LBFGS"])
def test_float32_parameters_stay_float32(name):
    params = [ag.tensor(a.astype(np.float32), requires_grad=True)
              for a in T.PROBLEMS["quadratic"].init]
    opt = getattr(optim, name)(params, **ALL[name])
    for _ in range(3):
        opt.zero_grad()
        T.PROBLEMS["quadratic"].loss(*params).backward()
        opt.step()
    for p in params:
        assert p.dtype == np.float32
        for key, v in opt.state[p].items():
            if v.ndim:
                assert v.dtype == np.float32, (name, key)


@pytest.mark.parametrize("name", [n for n in ALL if n != "LBFGS"])
def test_implementation_switches_are_accepted_and_change_nothing(name):
    """foreach/capturable/differentiable=False are PyTorch's kernel choices: accepted
    and ignored; differentiable=True raises; like PyTorch, these rules take no
    ``fused``."""
    a, b = (ag.tensor([1.0, -2.0], requires_grad=True) for _ in range(2))
    cls = getattr(optim, name)
    plain = cls([a], lr=0.1)
    switched = cls([b], lr=0.1, foreach=True, capturable=False, differentiable=False)
    for _ in range(2):
        for opt, p in ((plain, a), (switched, b)):
            p.grad = ag.tensor([0.5, 0.25])
            opt.step()
    np.testing.assert_array_equal(a.data, b.data)
    assert a.data.tolist() != [1.0, -2.0]
    with pytest.raises(NotImplementedError, match="differentiable=True"):
        cls([b], lr=0.1, differentiable=True)
    with pytest.raises(TypeError, match="fused"):
        cls([b], lr=0.1, fused=True)


def _p():
    return [ag.zeros(2, requires_grad=True)]


def _tp(torch):
    return [torch.zeros(2, requires_grad=True)]


@pytest.mark.parametrize("name,opts,exc,match", [
    ("Adadelta", dict(lr=-1.0), ValueError, "learning rate"),
    ("Adadelta", dict(rho=1.5), ValueError, "rho"),
    ("Adadelta", dict(rho=-0.1), ValueError, "rho"),
    ("Adadelta", dict(eps=-1e-6), ValueError, "eps"),
    ("Adadelta", dict(weight_decay=-0.1), ValueError, "weight_decay"),
    ("Adamax", dict(betas=(1.0, 0.999)), ValueError, r"beta parameter at index 0"),
    ("Adamax", dict(eps=-1.0), ValueError, "eps"),
    ("Adamax", dict(betas=0.9), TypeError, "betas"),
    ("NAdam", dict(momentum_decay=-1e-3), ValueError, "momentum_decay"),
    ("NAdam", dict(betas=(0.9, 1.0)), ValueError, r"beta parameter at index 1"),
    ("NAdam", dict(betas=(0.9,)), IndexError, "betas"),
    ("RAdam", dict(betas=(0.9, -0.1)), ValueError, r"betas\[1\]"),
    ("RAdam", dict(weight_decay=-1.0), ValueError, "weight_decay"),
    ("RAdam", dict(lr=-1e-3), ValueError, "learning rate"),
    ("ASGD", dict(lr=-0.01), ValueError, "learning rate"),
    ("ASGD", dict(weight_decay=-0.01), ValueError, "weight_decay"),
    ("Rprop", dict(etas=(1.5, 2.0)), ValueError, "eta values"),
    ("Rprop", dict(etas=(0.5, 0.9)), ValueError, "eta values"),
    ("Rprop", dict(etas=0.5), TypeError, "etas"),
    ("Rprop", dict(lr=-0.1), ValueError, "learning rate"),
    ("LBFGS", dict(lr=-1.0), ValueError, "learning rate"),
])
def test_bad_hyper_parameters_raise_like_pytorch(name, opts, exc, match):
    assert_raises_like_torch(exc, match, lambda: getattr(optim, name)(_p(), **opts),
                             lambda torch: getattr(torch.optim, name)(_tp(torch), **opts))


def test_lbfgs_refuses_groups_and_bad_line_searches():
    def two_groups(lib, make):
        return lib.LBFGS([{"params": make()}, {"params": make(), "lr": 0.1}])
    assert_raises_like_torch(ValueError, "parameter groups", lambda: two_groups(optim, _p),
                             lambda torch: two_groups(torch.optim, lambda: _tp(torch)))
    opt = optim.LBFGS(_p())
    with pytest.raises(ValueError, match="parameter groups"):
        opt.add_param_group({"params": _p()})
    with pytest.raises(TypeError, match="closure"):
        opt.step()
    # PyTorch raises the same RuntimeError, but only at the first step
    with pytest.raises(RuntimeError, match="strong_wolfe"):
        optim.LBFGS(_p(), line_search_fn="wolfe")
    # PyTorch takes these and fails at the first step, or never stops early
    for key, bad, exc in (("max_iter", 0, ValueError), ("max_iter", 2.5, TypeError),
                          ("history_size", "10", TypeError), ("max_eval", -1, ValueError),
                          ("tolerance_grad", None, TypeError)):
        with pytest.raises(exc, match=key):
            optim.LBFGS(_p(), **{key: bad})


# ---- schedules ----------------------------------------------------------------------------
def _cawr(e: float, T_0: int, T_mult: int, eta: float, b: float) -> float:
    """SGDR by walking the restarts (T_0, T_0 T_mult, ...) up to epoch e."""
    start, length = 0, T_0
    while e >= start + length:
        start, length = start + length, length * T_mult
    return eta + (b - eta) * (1 + math.cos(math.pi * (e - start) / length)) / 2


def _triangle(e: int, up: int, down: int) -> float:
    """Where epoch e sits in a cycle of `up` rising and `down` falling iterations: 0 at
    the base, 1 at the peak."""
    c = e % (up + down)
    return c / up if c <= up else (up + down - c) / down


def _seq(b: float, e: int) -> float:
    if e < 5:
        return b * (0.1 + 0.9 * e / 5)
    if e < 12:
        return b * 0.9 ** (e - 5)
    return b * (1 + math.cos(math.pi * (e - 12) / 6)) / 2


# name -> (constructor(lib_scheduler_module, optimizer), closed form(base_lr, group, epoch))
SCHEDULES = {
    "MultiplicativeLR": (
        lambda L, o: L.MultiplicativeLR(o, [lambda e: 0.9, lambda e: 1 + 0.01 * e]),
        lambda b, i, e: b * (0.9 ** e if i == 0 else math.prod(1 + 0.01 * k
                                                               for k in range(1, e + 1)))),
    "ConstantLR": (lambda L, o: L.ConstantLR(o, factor=0.25, total_iters=7),
                   lambda b, i, e: b * (0.25 if e < 7 else 1.0)),
    "PolynomialLR": (lambda L, o: L.PolynomialLR(o, total_iters=12, power=2.0),
                     lambda b, i, e: b * (1 - min(e, 12) / 12) ** 2),
    "CosineAnnealingWarmRestarts": (
        lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=4, T_mult=2, eta_min=1e-3),
        lambda b, i, e: _cawr(e, 4, 2, 1e-3, b)),
    "CosineAnnealingWarmRestarts-constant": (
        lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=6),
        lambda b, i, e: _cawr(e, 6, 1, 0.0, b)),
    "CyclicLR": (
        lambda L, o: L.CyclicLR(o, base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=4,
                                step_size_down=6),
        lambda b, i, e: [0.01, 0.02][i] + (0.1 - [0.01, 0.02][i]) * _triangle(e, 4, 6)),
    "CyclicLR-triangular2": (
        lambda L, o: L.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3,
                                mode="triangular2"),
        lambda b, i, e: 0.01 + 0.09 * _triangle(e, 3, 3) / 2 ** (e // 6)),
    "CyclicLR-exp_range": (
        lambda L, o: L.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3,
                                mode="exp_range", gamma=0.95),
        lambda b, i, e: 0.01 + 0.09 * _triangle(e, 3, 3) * 0.95 ** e),
    "SequentialLR": (
        lambda L, o: L.SequentialLR(o, [L.LinearLR(o, start_factor=0.1, total_iters=5),
                                        L.ExponentialLR(o, gamma=0.9),
                                        L.CosineAnnealingLR(o, T_max=6)], milestones=[5, 12]),
        lambda b, i, e: _seq(b, e)),
    "ChainedScheduler": (
        lambda L, o: L.ChainedScheduler([L.ConstantLR(o, factor=0.5, total_iters=4),
                                         L.ExponentialLR(o, gamma=0.9)]),
        lambda b, i, e: b * (0.5 if e < 4 else 1.0) * 0.9 ** e),
}


def lr_sequence(lib, name: str, kind: str = "SGD") -> list[list[float]]:
    """get_last_lr() and each group's momentum (or beta1) after construction and after
    each of EPOCHS steps."""
    opt = make_optimizer(lib, kind)
    sched = SCHEDULES[name][0](lib.lr_scheduler, opt)
    key = "betas" if kind == "Adam" else "momentum"

    def row():
        assert list(sched.get_last_lr()) == [g["lr"] for g in opt.param_groups]
        return list(sched.get_last_lr()) + [np.ravel(g[key])[0] for g in opt.param_groups]
    seq = [row()]
    for _ in range(EPOCHS):
        opt.step()
        sched.step()
        seq.append(row())
    return seq


@pytest.mark.parametrize("name", SCHEDULES)
def test_schedule_equals_closed_form(name):
    closed = SCHEDULES[name][1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # correct use warns about nothing
        seq = np.array(lr_sequence(optim, name))[:, :2]
    expected = [[closed(b, i, e) for i, b in enumerate(BASE)] for e in range(EPOCHS + 1)]
    np.testing.assert_allclose(seq, expected, rtol=1e-12, atol=0)
    assert len({round(v, 12) for v in seq.ravel()}) > 3   # the lr really changes


@pytest.mark.parametrize("kind", ["SGD", "Adam"])
def test_cyclic_lr_cycles_momentum_or_beta1_against_the_lr(kind):
    """Momentum falls from max_momentum to base_momentum while the lr rises, and back;
    Adam's beta2 is left alone."""
    opt = make_optimizer(optim, kind)
    sched = S.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=4, step_size_down=6,
                       base_momentum=0.7, max_momentum=0.95)
    for e in range(EPOCHS + 1):
        g = opt.param_groups[1]
        mom = g["betas"][0] if kind == "Adam" else g["momentum"]
        assert mom == pytest.approx(0.95 - 0.25 * _triangle(e, 4, 6), rel=1e-12), e
        if kind == "Adam":
            assert g["betas"][1] == 0.999
        opt.step()
        sched.step()


@pytest.mark.parametrize("T_mult", [1, 2])
def test_cosine_warm_restarts_takes_fractional_epochs(T_mult):
    """step(epoch) with epoch = e + batch / batches, as SGDR is used per batch; then
    plain steps continue from the floored epoch."""
    opt = make_optimizer(optim)
    sched = S.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=T_mult, eta_min=1e-3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # no deprecation warning for this one
        for e in np.arange(0, 25, 0.35):
            opt.step()
            sched.step(float(e))
            assert sched.get_last_lr() == pytest.approx(
                [_cawr(e, 3, T_mult, 1e-3, b) for b in BASE], rel=1e-12), e
            assert sched.last_epoch == math.floor(e)
        sched.step()
    # epoch 24.85 (T_mult 2: T_cur 3.85 of T_i 24); a plain step adds one epoch
    assert sched.get_last_lr() == pytest.approx(
        [_cawr(25.85, 3, T_mult, 1e-3, b) for b in BASE], rel=1e-12)
    with pytest.raises(ValueError, match="non-negative"):
        sched.step(-1)


@pytest.mark.parametrize("name", ["ConstantLR", "PolynomialLR"])
def test_step_with_epoch_uses_the_closed_form(name):
    """step(epoch) (deprecated, as in PyTorch) jumps to the closed form of that epoch,
    including the ends of the phases."""
    opt = make_optimizer(optim)
    sched = SCHEDULES[name][0](S, opt)
    closed = SCHEDULES[name][1]
    opt.step()
    for e in (3, 7, 4, 12, 13, 0):
        with pytest.warns(UserWarning, match="deprecated"):
            sched.step(e)
        assert [g["lr"] for g in opt.param_groups] == pytest.approx(
            [closed(b, i, e) for i, b in enumerate(BASE)], rel=1e-12), e


def test_constant_lr_with_factor_zero_restores_the_base_lr():
    # (PyTorch divides by the factor at total_iters and raises ZeroDivisionError)
    opt = make_optimizer(optim)
    sched = S.ConstantLR(opt, factor=0.0, total_iters=2)
    lrs = []
    for _ in range(3):
        lrs.append(sched.get_last_lr())
        opt.step()
        sched.step()
    assert lrs + [sched.get_last_lr()] == [[0.0, 0.0], [0.0, 0.0], list(BASE), list(BASE)]


@pytest.mark.parametrize("name", SCHEDULES)
def test_schedule_state_dict_round_trip_continues_identically(name):
    def advance(opt, sched, n):
        out = []
        for _ in range(n):
            opt.step()
            sched.step()
            out.append(list(sched.get_last_lr()))
        return out

    opt = make_optimizer(optim)
    straight = advance(opt, SCHEDULES[name][0](S, opt), EPOCHS)
    opt = make_optimizer(optim)
    sched = SCHEDULES[name][0](S, opt)
    first = advance(opt, sched, 10)
    saved_sched = json.loads(json.dumps(sched.state_dict()))     # JSON-able
    saved_groups = json.loads(json.dumps(opt.state_dict()["param_groups"]))
    opt2 = make_optimizer(optim)
    sched2 = SCHEDULES[name][0](S, opt2)
    opt2.load_state_dict({"state": {}, "param_groups": saved_groups})
    sched2.load_state_dict(saved_sched)
    assert sched2.get_last_lr() == first[-1]
    assert first + advance(opt2, sched2, EPOCHS - 10) == straight


def test_callable_object_lambdas_and_scale_fns_are_saved():
    class Factor:
        def __init__(self, f):
            self.f = f

        def __call__(self, x):
            return self.f

    opt = make_optimizer(optim)
    mult = S.MultiplicativeLR(opt, [Factor(0.5), lambda e: 1.0])
    assert mult.state_dict()["lr_lambdas"] == [{"f": 0.5}, None]
    cyc = S.CyclicLR(make_optimizer(optim), 0.01, 0.1, scale_fn=Factor(0.25),
                     scale_mode="iterations")
    other = S.CyclicLR(make_optimizer(optim), 0.01, 0.1, scale_fn=Factor(1.0))
    other.load_state_dict(json.loads(json.dumps(cyc.state_dict())))
    assert other._scale_fn_custom.f == 0.25 and other.scale_mode == "iterations"
    assert S.CyclicLR(make_optimizer(optim), 0.01, 0.1, scale_fn=lambda x: 1.0
                      ).state_dict()["_scale_fn_custom"] is None


def test_sequential_lr_saves_its_schedulers():
    opt = make_optimizer(optim)
    sched = SCHEDULES["SequentialLR"][0](S, opt)
    sd = sched.state_dict()
    assert sd["_milestones"] == [5, 12] and len(sd["_schedulers"]) == 3
    assert sd["_schedulers"][1]["gamma"] == 0.9


def _two(lib, o):
    return [lib.lr_scheduler.ExponentialLR(o, gamma=0.9), lib.lr_scheduler.StepLR(o, 2)]


@pytest.mark.parametrize("make,exc,match", [
    (lambda L, o: L.lr_scheduler.MultiplicativeLR(o, 0.9), TypeError, "function"),
    (lambda L, o: L.lr_scheduler.MultiplicativeLR(o, [lambda e: 1.0]), ValueError,
     "lr_lambdas"),
    (lambda L, o: L.lr_scheduler.ConstantLR(o, factor=1.5), ValueError, "factor"),
    (lambda L, o: L.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=0), ValueError, "T_0"),
    (lambda L, o: L.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=2.5), ValueError, "T_0"),
    (lambda L, o: L.lr_scheduler.CosineAnnealingWarmRestarts(o, 5, T_mult=0), ValueError,
     "T_mult"),
    (lambda L, o: L.lr_scheduler.CosineAnnealingWarmRestarts(o, 5, eta_min="0"), ValueError,
     "eta_min"),
    (lambda L, o: L.lr_scheduler.CyclicLR(o, 0.01, 0.1, mode="sine"), ValueError, "mode"),
    (lambda L, o: L.lr_scheduler.CyclicLR(o, [0.01], 0.1), ValueError, "base_lr"),
    (lambda L, o: L.lr_scheduler.CyclicLR(o, 0.01, [0.1, 0.2, 0.3]), ValueError, "max_lr"),
    (lambda L, o: L.lr_scheduler.CyclicLR(o, 0.01, 0.1, base_momentum=[0.8]), ValueError,
     "base_momentum"),
    (lambda L, o: L.lr_scheduler.CyclicLR(L.Adagrad(o.param_groups[0]["params"]), 0.01, 0.1),
     ValueError, "momentum"),
    (lambda L, o: L.lr_scheduler.SequentialLR(o, [], []), ValueError, "at least one"),
    (lambda L, o: L.lr_scheduler.SequentialLR(o, _two(L, o), [3, 5]), ValueError,
     "milestone"),
    (lambda L, o: L.lr_scheduler.SequentialLR(o, [L.lr_scheduler.ReduceLROnPlateau(o)], []),
     ValueError, "ReduceLROnPlateau"),
    (lambda L, o: L.lr_scheduler.SequentialLR(o, [object()], []), TypeError, "optimizer"),
    (lambda L, o: L.lr_scheduler.SequentialLR(
        o, [L.lr_scheduler.StepLR(make_optimizer(L), 2)], []), ValueError, "same optimizer"),
    (lambda L, o: L.lr_scheduler.ChainedScheduler([]), ValueError, "at least one"),
    (lambda L, o: L.lr_scheduler.ChainedScheduler(
        [L.lr_scheduler.StepLR(o, 2), L.lr_scheduler.StepLR(make_optimizer(L), 2)]),
     ValueError, "same optimizer"),
])
def test_bad_scheduler_arguments_raise_like_pytorch(make, exc, match):
    assert_raises_like_torch(exc, match, lambda: make(optim, make_optimizer(optim)),
                             lambda torch: make(torch.optim, make_optimizer(torch.optim)))


@pytest.mark.parametrize("make,exc,match", [
    # PyTorch accepts these and fails later (ZeroDivisionError) or silently
    (lambda o: S.ConstantLR(o, total_iters=0), ValueError, "total_iters"),
    (lambda o: S.PolynomialLR(o, total_iters=0), ValueError, "total_iters"),
    (lambda o: S.PolynomialLR(o, total_iters=2.0), TypeError, "total_iters"),
    (lambda o: S.CyclicLR(o, 0.01, 0.1, step_size_up=0), ValueError, "step_size_up"),
    (lambda o: S.CyclicLR(o, 0.01, 0.1, step_size_down=-1), ValueError, "step_size_down"),
    (lambda o: S.CyclicLR(o, 0.01, 0.1, scale_fn=abs, scale_mode="epoch"), ValueError,
     "scale_mode"),
])
def test_bad_scheduler_arguments_pytorch_accepts_raise(make, exc, match):
    with pytest.raises(exc, match=match):
        make(make_optimizer(optim))
