"""optim against torch.optim, second pass: random trajectories with zero and missing
gradients over several param groups (parameters and every state entry after each step),
Adagrad's state for groups added later, schedulers on an optimizer that gained a group,
integer arguments of schedulers, and silent steps on inf/NaN gradients."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd as ag
import optim
from optim import lr_scheduler as S

SHAPES = [(3, 4), (5,), (), (0, 3)]
RULES = [
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.1),
     dict(lr=0.02, momentum=0.5, dampening=0, nesterov=True, maximize=True)),
    ("Adagrad", dict(lr=0.05, lr_decay=0.1, initial_accumulator_value=0.5, eps=1e-3),
     dict(lr=0.02, weight_decay=0.1, maximize=True)),
    ("RMSprop", dict(lr=0.01, alpha=0.5, momentum=0.9, centered=True),
     dict(lr=0.02, weight_decay=0.1, maximize=True, centered=False)),
    ("Adam", dict(lr=0.01, betas=(0.5, 0.7), amsgrad=True, weight_decay=0.1),
     dict(lr=0.02, eps=1e-2, maximize=True, amsgrad=False)),
    ("AdamW", dict(lr=0.01, amsgrad=True), dict(lr=0.02, weight_decay=0.5, maximize=True)),
]


def _gradients(rng: np.random.Generator, dtype: type, steps: int) -> list:
    """Per step, per parameter: None (no gradient this step), zeros, or normal values."""
    out = []
    for _ in range(steps):
        row = []
        for shape in SHAPES:
            r = rng.random()
            row.append(None if r < 0.15 else
                       rng.standard_normal(shape).astype(dtype) * (r >= 0.3))
        out.append(row)
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,defaults,override", RULES)
def test_random_trajectory_and_state_match_pytorch(name, defaults, override, dtype):
    """30 steps over two groups with their own options; after every step the parameters
    and every state entry (values, dtypes) equal torch's; then each optimizer's
    state_dict, loaded into a fresh optimizer of the other library, continues both
    along the same trajectory."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    inits = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    grads = _gradients(rng, dtype, 40)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-14)

    def make(lib, arrays):
        if lib == "ours":
            ps = [ag.tensor(a.copy(), requires_grad=True) for a in arrays]
            cls = getattr(optim, name)
        else:
            ps = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
            cls = getattr(torch.optim, name)
        return ps, cls([dict(params=ps[:2]), dict(params=ps[2:], **override)], **defaults)

    def step(lib, ps, opt, row):
        for p, g in zip(ps, row):
            p.grad = None if g is None else (ag.tensor(g.copy()) if lib == "ours"
                                             else torch.tensor(g.copy()))
        opt.step()

    ours, opt = make("ours", inits)
    theirs, topt = make("torch", inits)
    for t, row in enumerate(grads[:30]):
        step("ours", ours, opt, row)
        step("torch", theirs, topt, row)
        for i, (p, q) in enumerate(zip(ours, theirs)):
            assert p.data.dtype == q.detach().numpy().dtype
            np.testing.assert_allclose(p.data, q.detach().numpy(), **tol,
                                       err_msg=f"step {t}, parameter {i}")
            mine, ref = opt.state.get(p, {}), topt.state.get(q, {})
            assert sorted(mine) == sorted(ref), (t, i)
            for key in ref:
                a, b = mine[key].data, ref[key].numpy()
                assert a.dtype == b.dtype and a.shape == b.shape, (t, i, key)
                np.testing.assert_allclose(a, b, **tol, err_msg=f"step {t}, {i}, {key}")

    to_torch = {"state": {k: {n: torch.tensor(np.array(v.data)) for n, v in s.items()}
                          for k, s in opt.state_dict()["state"].items()},
                "param_groups": opt.state_dict()["param_groups"]}
    to_ours = {"state": {k: {n: v.numpy().copy() for n, v in s.items()}
                         for k, s in topt.state_dict()["state"].items()},
               "param_groups": topt.state_dict()["param_groups"]}
    ours2, opt2 = make("ours", [q.detach().numpy() for q in theirs])
    theirs2, topt2 = make("torch", [p.data for p in ours])
    opt2.load_state_dict(to_ours)
    topt2.load_state_dict(to_torch)
    for row in grads[30:]:
        step("ours", ours2, opt2, row)
        step("torch", theirs2, topt2, row)
        step("torch", theirs, topt, row)
    for p, q, ref in zip(ours2, theirs2, theirs):
        np.testing.assert_allclose(p.data, ref.detach().numpy(), **tol)
        np.testing.assert_allclose(q.detach().numpy(), ref.detach().numpy(), **tol)


def test_adagrad_group_added_later_gets_state_at_its_first_step():
    """Like PyTorch: the constructor's parameters have state at once, a group added
    later only from its first step, starting at the constructor's
    initial_accumulator_value (not the group's)."""
    a = ag.tensor(np.ones(2), requires_grad=True)
    b = ag.tensor(np.array([1.0, 2.0]), requires_grad=True)
    opt = optim.Adagrad([a], lr=0.5, initial_accumulator_value=1.0)
    opt.add_param_group(dict(params=[b], initial_accumulator_value=3.0))
    assert list(opt.state_dict()["state"]) == [0]
    b.grad = ag.tensor(np.array([0.0, 3.0]))
    opt.step()
    assert list(opt.state_dict()["state"]) == [0, 1]
    assert float(opt.state[b]["step"].data) == 1.0
    np.testing.assert_array_equal(opt.state[b]["sum"].data, [1.0, 10.0])
    # p - lr * g / (sqrt(sum) + eps) with sum = 1 + g^2
    np.testing.assert_allclose(b.data, [1.0, 2.0 - 0.5 * 3.0 / (np.sqrt(10.0) + 1e-10)],
                               rtol=1e-15)


def test_adagrad_state_dict_after_add_param_group_matches_pytorch():
    torch = pytest.importorskip("torch")
    dicts = []
    for lib, make, cls in ((ag, lambda: ag.tensor(np.ones(3), requires_grad=True),
                            optim.Adagrad),
                           (torch, lambda: torch.ones(3, dtype=torch.float64,
                                                      requires_grad=True),
                            torch.optim.Adagrad)):
        opt = cls([make()], initial_accumulator_value=0.25)
        opt.add_param_group(dict(params=[make(), make()], lr=0.1))
        dicts.append({k: sorted(v) for k, v in opt.state_dict()["state"].items()})
    assert dicts[0] == dicts[1] == {0: ["step", "sum"]}


def _sgd(n_groups: int = 1) -> optim.SGD:
    return optim.SGD([dict(params=[ag.tensor(np.ones(2), requires_grad=True)], lr=0.1)
                      for _ in range(n_groups)], lr=0.1, momentum=0.9)


@pytest.mark.parametrize("make", [
    lambda o: S.LambdaLR(o, lambda e: 0.5 ** e),
    lambda o: S.CosineAnnealingLR(o, T_max=5),
])
def test_scheduler_raises_when_a_group_was_added_after_it(make):
    """A schedule computed from base_lrs has no value for a group added after the
    scheduler: PyTorch raises ValueError (not leaving that group's lr silently
    unscheduled)."""
    opt = _sgd()
    sched = make(opt)
    opt.add_param_group(dict(params=[ag.tensor(np.ones(2), requires_grad=True)], lr=0.2))
    opt.step()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # step(epoch) is deprecated
        with pytest.raises(ValueError, match=r"1 learning rates for 2 param groups"):
            sched.step(epoch=3) if isinstance(sched, S.CosineAnnealingLR) else sched.step()


def test_chainable_step_schedules_a_group_added_later():
    """StepLR's chainable form scales every group's current lr, the added one too."""
    opt = _sgd()
    sched = S.StepLR(opt, step_size=1, gamma=0.5)
    opt.add_param_group(dict(params=[ag.tensor(np.ones(2), requires_grad=True)], lr=0.2))
    opt.step()
    sched.step()
    assert sched.get_last_lr() == [0.05, 0.1]


@pytest.mark.parametrize("make,key,lr,bads", [
    # (StepLR takes any positive real step_size, as PyTorch: 2.0 acts as 2.)
    (lambda o, v: S.StepLR(o, step_size=v, gamma=0.5), "step_size", 0.05, ("2", None, True)),
    (lambda o, v: S.LinearLR(o, start_factor=0.25, total_iters=v), "total_iters", 0.1,
     ("2", 2.0, None, True)),
])
def test_integer_scheduler_arguments(make, key, lr, bads):
    """NumPy integers are integers (PyTorch accepts them); a non-integer is a
    TypeError and a non-positive integer a ValueError."""
    for size in (np.int64(2),) + (() if 2.0 in bads else (2.0,)):
        opt = _sgd()
        sched = make(opt, size)
        for _ in range(2):
            opt.step()
            sched.step()
        assert sched.get_last_lr() == [lr]
    for bad in bads:
        with pytest.raises(TypeError, match=key):
            make(_sgd(), bad)
    with pytest.raises(ValueError, match=key):
        make(_sgd(), np.int32(0))


@pytest.mark.parametrize("name,opts", [(n, d) for n, d, _ in RULES])
def test_step_on_inf_and_nan_gradients_is_silent(name, opts):
    """inf/NaN gradients give inf/NaN parameters without NumPy warnings (PyTorch's
    step is silent too)."""
    p = ag.tensor(np.ones(4, np.float32), requires_grad=True)
    opt = getattr(optim, name)([p], **opts)
    p.grad = ag.tensor(np.array([np.inf, -np.inf, np.nan, 3e38], np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        opt.step()
    assert np.isnan(p.data[2])


def test_sgd_step_on_inf_and_nan_gradients_by_hand():
    p = ag.tensor(np.ones(3), requires_grad=True)
    opt = optim.SGD([p], lr=0.5, weight_decay=1.0)
    p.grad = ag.tensor(np.array([np.inf, np.nan, 1.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
    np.testing.assert_array_equal(p.data, [-np.inf, np.nan, 0.0])


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adagrad, optim.RMSprop, optim.Adam,
                                 optim.AdamW])
def test_pytorch_implementation_switches_are_accepted_and_change_nothing(cls):
    # torch code passes foreach=/fused=/capturable=; they only pick PyTorch's kernels.
    a, b = (ag.tensor([1.0, -2.0], requires_grad=True) for _ in range(2))
    plain = cls([a], lr=0.1)
    switched = cls([b], lr=0.1, foreach=True, fused=True, capturable=False,
                   differentiable=False)
    for opt, p in ((plain, a), (switched, b)):
        p.grad = ag.tensor([0.5, 0.25])
        opt.step()
    np.testing.assert_array_equal(a.data, b.data)
    with pytest.raises(NotImplementedError, match="differentiable=True"):
        cls([b], lr=0.1, differentiable=True)
    with pytest.raises(TypeError, match="unexpected keyword argument 'fast'"):
        cls([b], lr=0.1, fast=True)
