"""optim.lr_scheduler: each schedule's learning rates over 30 epochs against its closed
form (written here from the documented formulas) and against torch.optim.lr_scheduler
(when installed); chaining, state_dict round trips, warnings and bad input."""
from __future__ import annotations

import json
import math
import warnings
from bisect import bisect_right

import numpy as np
import pytest

import autograd as ag
import optim
from optim import lr_scheduler as S

EPOCHS = 30
BASE = (0.1, 0.05)   # the two param groups' initial learning rates


def make_optimizer(lib, kind: str = "SGD"):
    """An optimizer with two groups; `lib` is optim or torch.optim."""
    if lib is optim:
        params = [ag.zeros(2, requires_grad=True), ag.zeros(3, requires_grad=True)]
    else:
        import torch
        params = [torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)]
    groups = [{"params": [params[0]], "lr": BASE[0]}, {"params": [params[1]], "lr": BASE[1]}]
    if kind == "Adam":
        return lib.Adam(groups)
    return lib.SGD(groups, momentum=0.9)


def cos_anneal(start, end, pct):
    return end + (start - end) * (1 + math.cos(math.pi * pct)) / 2


def one_cycle(e, max_lr, total, pct_start=0.3, div=25.0, final_div=1e4, linear=False,
              three_phase=False, momenta=(0.95, 0.85)):
    """(lr, momentum) of the 1cycle policy at step e, from the paper's / PyTorch's docs."""
    anneal = (lambda a, b, x: a + (b - a) * x) if linear else cos_anneal
    lo, hi = max_lr / div, max_lr
    m_hi, m_lo = momenta
    up = pct_start * total - 1
    if three_phase:
        ends = [up, 2 * pct_start * total - 2, total - 1]
        lrs = [(lo, hi), (hi, lo), (lo, lo / final_div)]
        moms = [(m_hi, m_lo), (m_lo, m_hi), (m_hi, m_hi)]
    else:
        ends = [up, total - 1]
        lrs = [(lo, hi), (hi, lo / final_div)]
        moms = [(m_hi, m_lo), (m_lo, m_hi)]
    start = 0.0
    for i, end in enumerate(ends):
        if e <= end or i == len(ends) - 1:
            x = (e - start) / (end - start)
            return anneal(*lrs[i], x), anneal(*moms[i], x)
        start = end


def closed_cosine(b, e, T=10, eta=1e-3):
    return eta + (b - eta) * (1 + math.cos(math.pi * e / T)) / 2


def closed_linear(b, e, s=0.25, f=0.9, n=8):
    return b * (s + (f - s) * min(e, n) / n)


# name -> (constructor(lib_scheduler_module, optimizer), closed form(base_lr, group, epoch))
SCHEDULES = {
    "StepLR": (lambda L, o: L.StepLR(o, step_size=7, gamma=0.5),
               lambda b, i, e: b * 0.5 ** (e // 7)),
    "MultiStepLR": (lambda L, o: L.MultiStepLR(o, milestones=[12, 5, 20, 12], gamma=0.3),
                    lambda b, i, e: b * 0.3 ** bisect_right([5, 12, 12, 20], e)),
    "ExponentialLR": (lambda L, o: L.ExponentialLR(o, gamma=0.9),
                      lambda b, i, e: b * 0.9 ** e),
    "CosineAnnealingLR": (lambda L, o: L.CosineAnnealingLR(o, T_max=10, eta_min=1e-3),
                          lambda b, i, e: closed_cosine(b, e)),
    "LambdaLR": (lambda L, o: L.LambdaLR(o, lambda e: 1.0 / (1 + 0.5 * e)),
                 lambda b, i, e: b / (1 + 0.5 * e)),
    "LambdaLR-per-group": (lambda L, o: L.LambdaLR(o, [lambda e: 0.95 ** e,
                                                       lambda e: 1 + (e % 3)]),
                           lambda b, i, e: b * (0.95 ** e if i == 0 else 1 + e % 3)),
    "LinearLR": (lambda L, o: L.LinearLR(o, start_factor=0.25, end_factor=0.9, total_iters=8),
                 lambda b, i, e: closed_linear(b, e)),
    "LinearLR-decay": (lambda L, o: L.LinearLR(o, start_factor=1.0, end_factor=0.1,
                                               total_iters=12),
                       lambda b, i, e: closed_linear(b, e, 1.0, 0.1, 12)),
    "OneCycleLR": (lambda L, o: L.OneCycleLR(o, max_lr=[1.0, 0.4], total_steps=EPOCHS + 1),
                   lambda b, i, e: one_cycle(e, [1.0, 0.4][i], EPOCHS + 1)[0]),
    "OneCycleLR-linear-3phase": (
        lambda L, o: L.OneCycleLR(o, max_lr=0.8, epochs=EPOCHS + 1, steps_per_epoch=1,
                                  pct_start=0.25, anneal_strategy="linear", three_phase=True,
                                  div_factor=10.0, final_div_factor=100.0),
        lambda b, i, e: one_cycle(e, 0.8, EPOCHS + 1, 0.25, 10.0, 100.0, linear=True,
                                  three_phase=True)[0]),
}


def lr_sequence(lib, name: str, kind: str = "SGD") -> list[list[float]]:
    """get_last_lr() after construction and after each of EPOCHS steps."""
    opt = make_optimizer(lib, kind)
    sched = SCHEDULES[name][0](lib.lr_scheduler, opt)
    seq = [list(sched.get_last_lr())]
    for _ in range(EPOCHS):
        opt.step()
        sched.step()
        seq.append(list(sched.get_last_lr()))
        assert seq[-1] == [g["lr"] for g in opt.param_groups]
    return seq


@pytest.mark.parametrize("name", SCHEDULES)
def test_schedule_equals_closed_form(name):
    closed = SCHEDULES[name][1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # correct use warns about nothing
        seq = lr_sequence(optim, name)
    expected = [[closed(b, i, e) for i, b in enumerate(BASE)] for e in range(EPOCHS + 1)]
    np.testing.assert_allclose(seq, expected, rtol=1e-12, atol=0)
    assert len({round(v, 12) for row in seq for v in row}) > 3   # the lr really changes


@pytest.mark.parametrize("name", SCHEDULES)
def test_schedule_equals_pytorch(name):
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(lr_sequence(optim, name), lr_sequence(torch.optim, name),
                               rtol=1e-13, atol=0)


@pytest.mark.parametrize("name", SCHEDULES)
def test_step_with_epoch_uses_the_closed_form(name):
    opt = make_optimizer(optim)
    sched = SCHEDULES[name][0](S, opt)
    closed = SCHEDULES[name][1]
    opt.step()
    with pytest.warns(UserWarning, match="deprecated"):
        sched.step(13)
    # (LambdaLR and OneCycleLR are not chainable: their get_lr is the closed form.)
    np.testing.assert_allclose(sched.get_last_lr(), [closed(b, i, 13) for i, b in enumerate(BASE)],
                               rtol=1e-12)


def _real_step_lrs(lib):
    """StepLR(step_size=2.5): the chained lrs over 12 epochs, then step(13)'s."""
    opt = make_optimizer(lib)
    sched = lib.lr_scheduler.StepLR(opt, step_size=2.5, gamma=0.5)
    lrs = []
    for _ in range(12):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    with pytest.warns(UserWarning, match="deprecated"):
        sched.step(13)
    return lrs, sched.get_last_lr()[0]


def test_step_lr_takes_a_real_step_size():
    # Chained, the lr decays at the epochs that 2.5 divides (5, 10); the closed form
    # used by step(epoch) counts epoch // 2.5 decays.  Both as PyTorch.
    lrs, at13 = _real_step_lrs(optim)
    assert lrs == [BASE[0] * 0.5 ** (e // 5) for e in range(1, 13)]
    assert at13 == pytest.approx(BASE[0] * 0.5 ** (13 // 2.5), rel=1e-12)


def test_step_lr_real_step_size_matches_pytorch():
    torch = pytest.importorskip("torch")
    assert _real_step_lrs(optim) == _real_step_lrs(torch.optim)


def test_one_cycle_cycles_momentum_and_beta1():
    for kind in ("SGD", "Adam"):
        opt = make_optimizer(optim, kind)
        sched = S.OneCycleLR(opt, max_lr=1.0, total_steps=EPOCHS + 1)
        for e in range(EPOCHS + 1):
            mom = one_cycle(e, 1.0, EPOCHS + 1)[1]
            got = (opt.param_groups[0]["betas"][0] if kind == "Adam"
                   else opt.param_groups[0]["momentum"])
            assert got == pytest.approx(mom, rel=1e-12), (kind, e)
            if kind == "Adam":
                assert opt.param_groups[0]["betas"][1] == 0.999
            if e < EPOCHS:
                opt.step()
                sched.step()
        sched.step()       # step == total_steps is still allowed, as in PyTorch
        with pytest.raises(ValueError, match="total steps"):
            sched.step()


def test_chained_schedulers_multiply():
    def run(lib):
        opt = make_optimizer(lib)
        a = lib.lr_scheduler.ExponentialLR(opt, gamma=0.9)
        b = lib.lr_scheduler.MultiStepLR(opt, milestones=[5, 10], gamma=0.5)
        seq = []
        for _ in range(EPOCHS):
            opt.step()
            a.step()
            b.step()
            seq.append(list(b.get_last_lr()))
        return seq
    expected = [[base * 0.9 ** e * 0.5 ** bisect_right([5, 10], e) for base in BASE]
                for e in range(1, EPOCHS + 1)]
    ours = run(optim)
    np.testing.assert_allclose(ours, expected, rtol=1e-12)
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(ours, run(torch.optim), rtol=1e-13)


# ---- ReduceLROnPlateau --------------------------------------------------------------------
PLATEAU_METRICS = [1.0, 0.95, 0.95, 0.95, 0.5, 0.49, 0.48, 0.47, 0.46, 0.3] + [0.3] * 20


def plateau_sequence(lib, metrics=PLATEAU_METRICS, **kw):
    opt = make_optimizer(lib)
    sched = lib.lr_scheduler.ReduceLROnPlateau(opt, **kw)
    seq = []
    for m in metrics:
        opt.step()
        sched.step(m)
        seq.append(list(sched.get_last_lr()))
    return seq


PLATEAU = dict(factor=0.5, patience=2, threshold=0.1, cooldown=1, min_lr=0.02)


def test_reduce_on_plateau_by_hand():
    # Derived by hand: improvements need a < 0.9 * best; 3 bad epochs in a row reduce
    # (patience 2), then one cooldown epoch; min_lr 0.02 floors both groups.
    g0 = [0.1] * 3 + [0.05] * 4 + [0.025] * 5 + [0.02] * 18
    g1 = [0.05] * 3 + [0.025] * 4 + [0.02] * 23
    np.testing.assert_allclose(plateau_sequence(optim, **PLATEAU), np.stack([g0, g1], 1),
                               rtol=1e-15)


@pytest.mark.parametrize("kw", [
    PLATEAU,
    dict(mode="max", factor=0.3, patience=1, threshold=0.05, threshold_mode="abs",
         min_lr=[0.0, 0.01]),
    dict(patience=0, cooldown=2, threshold_mode="abs", threshold=0.0, eps=0.02),
])
def test_reduce_on_plateau_equals_pytorch(kw):
    torch = pytest.importorskip("torch")
    metrics = PLATEAU_METRICS[:15] + [0.5, 0.6, 0.7, 0.8, 0.81, 0.9, 0.5, 0.95, 0.96, 0.97]
    ours = plateau_sequence(optim, metrics, **kw)
    assert len({tuple(r) for r in ours}) > 1
    np.testing.assert_allclose(ours, plateau_sequence(torch.optim, metrics, **kw), rtol=1e-15)


# ---- state_dict ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(SCHEDULES) + ["ReduceLROnPlateau"])
def test_state_dict_round_trip_continues_identically(name):
    def make(opt):
        if name == "ReduceLROnPlateau":
            return S.ReduceLROnPlateau(opt, **PLATEAU)
        return SCHEDULES[name][0](S, opt)

    def advance(opt, sched, epochs):
        out = []
        for e in epochs:
            opt.step()
            sched.step(PLATEAU_METRICS[e]) if name == "ReduceLROnPlateau" else sched.step()
            out.append(list(sched.get_last_lr()))
        return out

    opt = make_optimizer(optim)
    straight = advance(opt, make(opt), range(EPOCHS))

    opt = make_optimizer(optim)
    sched = make(opt)
    first = advance(opt, sched, range(10))
    saved_sched = json.loads(json.dumps(sched.state_dict()))     # JSON-able
    arrays, meta = optim.flatten_state_dict(opt.state_dict())
    saved_opt = optim.unflatten_state_dict(arrays, json.loads(json.dumps(meta)))

    opt2 = make_optimizer(optim)
    sched2 = make(opt2)             # PyTorch's order: scheduler, then optimizer state
    opt2.load_state_dict(saved_opt)
    sched2.load_state_dict(saved_sched)
    assert sched2.get_last_lr() == first[-1]
    rest = advance(opt2, sched2, range(10, EPOCHS))
    assert first + rest == straight


def test_lambda_state_dict_saves_callable_objects_only():
    class Warmup:
        def __init__(self, n):
            self.n = n

        def __call__(self, e):
            return min(1.0, (e + 1) / self.n)

    opt = make_optimizer(optim)
    sched = S.LambdaLR(opt, [Warmup(4), lambda e: 1.0])
    sd = sched.state_dict()
    assert sd["lr_lambdas"] == [{"n": 4}, None]
    other = S.LambdaLR(make_optimizer(optim), [Warmup(10), lambda e: 1.0])
    other.load_state_dict(sd)
    assert other.lr_lambdas[0].n == 4


# ---- warnings and bad input ---------------------------------------------------------------
def test_scheduler_step_before_optimizer_step_warns():
    opt = make_optimizer(optim)
    sched = S.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match="before `optimizer.step"):
        sched.step()


def test_resuming_without_initial_lr_raises():
    with pytest.raises(KeyError, match="initial_lr"):
        S.StepLR(make_optimizer(optim), step_size=2, last_epoch=5)


@pytest.mark.parametrize("make,exc,match", [
    (lambda o: S.StepLR("not an optimizer", 3), TypeError, "Optimizer"),
    (lambda o: S.StepLR(o, step_size=0), ValueError, "step_size"),
    (lambda o: S.StepLR(o, step_size=-2.5), ValueError, "step_size"),
    (lambda o: S.StepLR(o, step_size=float("nan")), ValueError, "step_size"),
    (lambda o: S.StepLR(o, step_size="2"), TypeError, "step_size"),
    (lambda o: S.StepLR(o, step_size=True), TypeError, "step_size"),
    (lambda o: S.LinearLR(o, start_factor=0.0), ValueError, "start_factor"),
    (lambda o: S.LinearLR(o, end_factor=1.5), ValueError, "end_factor"),
    (lambda o: S.CosineAnnealingLR(o, T_max=0), ValueError, "T_max"),
    (lambda o: S.LambdaLR(o, [lambda e: 1.0]), ValueError, "lr_lambdas"),
    (lambda o: S.OneCycleLR(o, max_lr=0.1), ValueError, "total_steps"),
    (lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=0), ValueError, "total_steps"),
    (lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=10, pct_start=1.5), ValueError,
     "pct_start"),
    (lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=10, anneal_strategy="exp"),
     ValueError, "anneal_strategy"),
    (lambda o: S.OneCycleLR(o, max_lr=[0.1], total_steps=10), ValueError, "max_lr"),
    (lambda o: S.ReduceLROnPlateau(o, factor=1.0), ValueError, "factor"),
    (lambda o: S.ReduceLROnPlateau(o, mode="lowest"), ValueError, "mode"),
    (lambda o: S.ReduceLROnPlateau(o, threshold_mode="pct"), ValueError, "threshold"),
    (lambda o: S.ReduceLROnPlateau(o, min_lr=[0.1]), ValueError, "min_lr"),
])
def test_bad_scheduler_arguments_raise(make, exc, match):
    with pytest.raises(exc, match=match):
        make(make_optimizer(optim))


def test_one_cycle_needs_momentum():
    opt = optim.Adagrad([ag.zeros(2, requires_grad=True)])
    with pytest.raises(ValueError, match="momentum"):
        S.OneCycleLR(opt, max_lr=0.1, total_steps=10)
    S.OneCycleLR(opt, max_lr=0.1, total_steps=10, cycle_momentum=False)


def test_no_warning_for_an_optimizer_whose_step_is_overridden():
    class Halving(optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, {"lr": 0.1})

        def step(self, closure=None):   # a user's own rule, not calling super().step
            for g in self.param_groups:
                for p in g["params"]:
                    p.data *= 0.5

    p = ag.ones(2, requires_grad=True)
    opt = Halving([p])
    sched = S.ExponentialLR(opt, gamma=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        sched.step()
    assert p.data.tolist() == [0.5, 0.5] and sched.get_last_lr() == [0.05]


def test_older_base_class_name_can_be_subclassed():
    class Halving(S._LRScheduler):
        def get_lr(self):
            return [g["lr"] * 0.5 for g in self.optimizer.param_groups]

    opt = optim.SGD([ag.zeros(1, requires_grad=True)], lr=1.0)
    sched = Halving(opt)
    opt.step()
    sched.step()
    assert sched.get_last_lr() == [0.25]   # get_lr also ran at construction (PyTorch)
