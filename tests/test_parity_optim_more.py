"""The second set of optim rules and schedules against torch.optim: random trajectories
over two param groups (parameters and every state entry after each step, in float32
and float64) with state_dicts moved both ways, trajectories on test_optim's problems,
L-BFGS's iterates on the Rosenbrock function with and without the strong-Wolfe line
search, every schedule's lr (and momentum) sequence, state_dicts of schedules moved
both ways, and the signatures."""
from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

import autograd as ag
import optim
import test_optim as T
from test_lr_scheduler import EPOCHS, make_optimizer
from test_optim_more import CONFIGS, SCHEDULES, STEPS, lr_sequence
from test_parity_optim import test_random_trajectory_and_state_match_pytorch as _random_run

F32, F64 = np.float32, np.float64
# name, constructor options, the second group's overrides, dtypes.  (In float64, ASGD's
# eta is rounded to float32 until a load casts it to float64, in PyTorch too; with
# lambd=0 and lrs that float32 holds exactly, the reloaded runs can still be compared
# with the uninterrupted one.)
RULES = [
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1), dict(lr=1.0, maximize=True),
     (F32, F64)),
    ("Adamax", dict(lr=0.01, betas=(0.5, 0.7), weight_decay=0.1),
     dict(lr=0.02, eps=1e-2, maximize=True), (F32, F64)),
    ("NAdam", dict(lr=0.01, betas=(0.5, 0.7), weight_decay=0.1, momentum_decay=0.01),
     dict(lr=0.02, decoupled_weight_decay=True, weight_decay=0.3, maximize=True), (F32, F64)),
    ("RAdam", dict(lr=0.01, betas=(0.5, 0.7), weight_decay=0.1),
     dict(lr=0.02, betas=(0.9, 0.999), decoupled_weight_decay=True, weight_decay=0.3,
          maximize=True), (F32, F64)),
    ("ASGD", dict(lr=0.05, lambd=0.1, alpha=0.5, t0=5, weight_decay=0.1),
     dict(lr=0.02, maximize=True), (F32,)),
    ("ASGD", dict(lr=2 ** -4, lambd=0.0, t0=5, weight_decay=0.1),
     dict(lr=2 ** -5, t0=0, maximize=True), (F64,)),
    ("Rprop", dict(lr=0.05, etas=(0.4, 1.5), step_sizes=(1e-3, 0.2)),
     dict(lr=0.02, maximize=True), (F32, F64)),
]
NEW = ["Adadelta", "Adamax", "NAdam", "RAdam", "ASGD", "Rprop", "LBFGS"]


@pytest.mark.parametrize("name,defaults,override,dtype", [
    pytest.param(n, d, o, t, id=f"{n}-{i}-{t.__name__}")
    for i, (n, d, o, ts) in enumerate(RULES) for t in ts])
def test_random_trajectory_and_state_match_pytorch(name, defaults, override, dtype):
    _random_run(name, defaults, override, dtype)


@pytest.mark.parametrize("prob,name,opts", [
    pytest.param(prob, name, opts, id=f"{prob}-{name}-{i}")
    for prob in T.PROBLEMS for i, (name, opts) in enumerate(CONFIGS)])
def test_trajectory_matches_pytorch(prob, name, opts):
    torch = pytest.importorskip("torch")
    problem = T.PROBLEMS[prob]
    T.assert_trajectories_close(T.run_ours(problem, name, opts, STEPS),
                                T.run_torch(torch, problem, name, opts, STEPS))


@pytest.mark.parametrize("name,opts", CONFIGS[1::3])
def test_resume_from_a_pytorch_optimizer_state(name, opts):
    T.test_resume_from_a_pytorch_optimizer_state(name, opts)


@pytest.mark.parametrize("name", ["NAdam", "ASGD", "Rprop", "Adadelta"])
def test_loaded_state_has_pytorchs_dtypes(name):
    """One PyTorch state_dict (float64 parameter, float32 0-d entries) loaded into both:
    every entry gets the same dtype (``step`` kept, the rest cast to the parameter's)."""
    torch = pytest.importorskip("torch")
    tp = torch.ones(3, dtype=torch.float64, requires_grad=True)
    topt = getattr(torch.optim, name)([tp], lr=0.1)
    for g in ([1.0, -2.0, 0.5], [0.5, 1.0, -1.0]):
        tp.grad = torch.tensor(g, dtype=torch.float64)
        topt.step()
    sd = topt.state_dict()
    p, tp2 = ag.ones(3, dtype=ag.float64, requires_grad=True), tp.detach().clone()
    opt = getattr(optim, name)([p], lr=0.1)
    opt.load_state_dict({"state": {k: {n: v.numpy().copy() for n, v in s.items()}
                                   for k, s in sd["state"].items()},
                         "param_groups": sd["param_groups"]})
    topt2 = getattr(torch.optim, name)([tp2.requires_grad_()], lr=0.1)
    topt2.load_state_dict(sd)
    theirs = topt2.state[tp2]
    assert sorted(opt.state[p]) == sorted(theirs)
    for key, v in opt.state[p].items():
        assert v.dtype == theirs[key].numpy().dtype, key
        np.testing.assert_array_equal(v.data, theirs[key].numpy(), err_msg=key)


def _signature(f) -> list:
    return [(p.name, p.kind, p.default) for p in inspect.signature(f).parameters.values()]


@pytest.mark.parametrize("name", NEW)
def test_signature_and_defaults_match_pytorch(name):
    """The same parameter names, order, kinds (positional or keyword-only) and
    defaults as torch.optim's, and each of our group options equals PyTorch's."""
    torch = pytest.importorskip("torch")
    assert _signature(getattr(optim, name)) == _signature(getattr(torch.optim, name))
    ours = getattr(optim, name)([ag.zeros(2, requires_grad=True)]).defaults
    theirs = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)]).defaults
    assert ours == {k: v for k, v in theirs.items()
                    if k not in ("foreach", "capturable", "differentiable")}


@pytest.mark.parametrize("name", ["MultiplicativeLR", "ConstantLR", "PolynomialLR",
                                  "CosineAnnealingWarmRestarts", "CyclicLR", "SequentialLR",
                                  "ChainedScheduler"])
def test_scheduler_signature_matches_pytorch(name):
    torch = pytest.importorskip("torch")
    assert _signature(getattr(optim.lr_scheduler, name)) == \
        _signature(getattr(torch.optim.lr_scheduler, name))


# ---- L-BFGS -------------------------------------------------------------------------------
def rosenbrock(x):
    """The 3-D Rosenbrock function (minimum 0 at (1, 1, 1)); works for both libraries."""
    return ((1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
            + (1 - x[1]) ** 2 + 100 * (x[2] - x[1] ** 2) ** 2)


def lbfgs_run(lib, x0, steps, state=None, **opts):
    """`steps` L-BFGS steps from x0 (optionally from a loaded state): after each, the
    iterate, the returned loss and the state's counters; and the optimizer."""
    torch_lib = lib is not optim
    x = (lib.tensor if torch_lib else ag.tensor)(x0.copy(), requires_grad=True)
    opt = lib.optim.LBFGS([x], **opts) if torch_lib else optim.LBFGS([x], **opts)
    if state is not None:
        opt.load_state_dict(state)

    def closure():
        opt.zero_grad()
        loss = rosenbrock(x)
        loss.backward()
        return loss
    out = []
    for _ in range(steps):
        loss = opt.step(closure)
        s = opt.state[x]
        arr = x.detach().numpy() if torch_lib else x.data
        out.append((arr.copy(), loss.item(), s["func_evals"], s["n_iter"]))
    return out, opt


LBFGS_CASES = [
    dict(lr=0.1, history_size=3, max_iter=7),
    dict(line_search_fn="strong_wolfe"),
    dict(line_search_fn="strong_wolfe", lr=0.1, history_size=3, max_iter=7),
    dict(line_search_fn="strong_wolfe", max_iter=5, max_eval=6, tolerance_change=1e-6),
]
X0 = np.array([-1.5, 2.0, 0.5])


@pytest.mark.parametrize("opts", LBFGS_CASES)
def test_lbfgs_iterates_match_pytorch_on_rosenbrock(opts):
    """Each step's iterate, loss and evaluation/iteration counts equal PyTorch's, and
    the state holds the same entries with the same values."""
    torch = pytest.importorskip("torch")
    ours, opt = lbfgs_run(optim, X0, 6, **opts)
    theirs, topt = lbfgs_run(torch, X0, 6, **opts)
    for step, ((x, f, evals, iters), (tx, tf, tevals, titers)) in enumerate(zip(ours, theirs)):
        # (rounding differences of the dot products grow along the path: to ~1e-8)
        np.testing.assert_allclose(x, tx, rtol=1e-7, atol=1e-12, err_msg=f"step {step}")
        assert f == pytest.approx(tf, rel=1e-7, abs=1e-12)
        assert (evals, iters) == (tevals, titers), step
    assert np.abs(ours[-1][0] - X0).max() > 0.5      # it really moved
    mine, ref = next(iter(opt.state.values())), next(iter(topt.state.values()))
    assert sorted(mine) == sorted(ref)
    for key in ("d", "prev_flat_grad", "H_diag", "t", "prev_loss", "old_dirs", "old_stps",
                "ro"):
        a, b = (np.array(_numpy(v[key]), dtype=float) for v in (mine, ref))
        # gradient differences cancel near the optimum: absolute error at their scale
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9 * np.abs(b).max(),
                                   err_msg=key)


def _numpy(v):
    """A state value (ours or PyTorch's) as NumPy, lists element by element."""
    if isinstance(v, list):
        return [_numpy(e) for e in v]
    if hasattr(v, "detach"):
        return v.detach().numpy().copy()
    if isinstance(v, ag.Tensor):
        return np.array(v.data)
    return v


def _torch_state(torch, v):
    if isinstance(v, list):
        return [_torch_state(torch, e) for e in v]
    if isinstance(v, ag.Tensor):
        return torch.tensor(np.array(v.data))
    return v


@pytest.mark.parametrize("opts", LBFGS_CASES[:2])
def test_lbfgs_state_dict_moves_both_ways(opts):
    """After 2 steps, our state_dict loaded into PyTorch's LBFGS and PyTorch's into
    ours both continue along PyTorch's uninterrupted trajectory."""
    torch = pytest.importorskip("torch")
    straight, _ = lbfgs_run(torch, X0, 4, **opts)
    first, opt = lbfgs_run(optim, X0, 2, **opts)
    tfirst, topt = lbfgs_run(torch, X0, 2, **opts)
    sd, tsd = opt.state_dict(), topt.state_dict()
    to_torch = {"state": {k: {n: _torch_state(torch, v) for n, v in s.items()}
                          for k, s in sd["state"].items()},
                "param_groups": sd["param_groups"]}
    to_ours = {"state": {k: {n: _numpy(v) for n, v in s.items()}
                         for k, s in tsd["state"].items()},
               "param_groups": tsd["param_groups"]}
    resumed, _ = lbfgs_run(optim, tfirst[-1][0], 2, state=to_ours, **opts)
    tresumed, _ = lbfgs_run(torch, first[-1][0], 2, state=to_torch, **opts)
    for a, b, ref in zip(resumed, tresumed, straight[2:]):
        np.testing.assert_allclose(a[0], ref[0], rtol=1e-9)
        np.testing.assert_allclose(b[0], ref[0], rtol=1e-9)
        assert a[2:] == b[2:] == ref[2:]


# ---- schedules ----------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["SGD", "Adam"])
@pytest.mark.parametrize("name", SCHEDULES)
def test_schedule_equals_pytorch(name, kind):
    """Every group's lr and momentum (or beta1) after each step, over 30 steps."""
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(lr_sequence(optim, name, kind),
                               lr_sequence(torch.optim, name, kind), rtol=1e-13, atol=0)


def _fractional_run(lib, T_mult):
    opt = make_optimizer(lib)
    sched = lib.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=T_mult,
                                                         eta_min=1e-3)
    out = []
    for e in list(np.arange(0, 25, 0.35)) + [None] * 5 + [7.5, 2.0, None]:
        opt.step()
        sched.step(None if e is None else float(e))
        out.append(list(sched.get_last_lr()) + [sched.T_cur, sched.T_i, sched.last_epoch])
    return out


@pytest.mark.parametrize("T_mult", [1, 3])
def test_cosine_warm_restarts_fractional_epochs_match_pytorch(T_mult):
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(_fractional_run(optim, T_mult),
                               _fractional_run(torch.optim, T_mult), rtol=1e-13, atol=0)


@pytest.mark.parametrize("name", ["ConstantLR", "PolynomialLR"])
def test_step_with_epoch_uses_the_closed_form_like_pytorch(name):
    torch = pytest.importorskip("torch")
    out = []
    for lib in (optim, torch.optim):
        opt = make_optimizer(lib)
        sched = SCHEDULES[name][0](lib.lr_scheduler, opt)
        opt.step()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # deprecated in both
            sched.step(3)
            sched.step()
            sched.step(20)
        out.append(sched.get_last_lr())
    assert out[0] == out[1]


@pytest.mark.parametrize("name", SCHEDULES)
def test_scheduler_state_dict_moves_both_ways(name):
    """After 10 steps each library's scheduler state (and the optimizer's groups) loads
    into the other's, and both continue as the uninterrupted schedule does."""
    torch = pytest.importorskip("torch")

    def run(lib, n, state=None, groups=None):
        opt = make_optimizer(lib)
        sched = SCHEDULES[name][0](lib.lr_scheduler, opt)
        if state is not None:
            opt.load_state_dict({"state": {}, "param_groups": groups})
            sched.load_state_dict(state)
        out = []
        for _ in range(n):
            opt.step()
            sched.step()
            out.append(list(sched.get_last_lr()))
        return out, opt, sched

    straight, _, _ = run(torch.optim, EPOCHS)
    _, opt, sched = run(optim, 10)
    _, topt, tsched = run(torch.optim, 10)
    ours, _, _ = run(optim, EPOCHS - 10, tsched.state_dict(),
                     topt.state_dict()["param_groups"])
    theirs, _, _ = run(torch.optim, EPOCHS - 10, sched.state_dict(),
                       opt.state_dict()["param_groups"])
    np.testing.assert_allclose(ours, straight[10:], rtol=1e-13)
    np.testing.assert_allclose(theirs, straight[10:], rtol=1e-13)
