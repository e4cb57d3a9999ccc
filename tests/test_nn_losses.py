"""Losses (nn.functional and nn modules): edge values (all-ignored batch, large logits,
probabilities at 0 and 1, label smoothing with probabilities), bad input, and PyTorch
parity of the loss and of the gradients of input and target for every loss and every
option (skipped without PyTorch).  Gradients and double backward against finite
differences are in the op table (tests/optable/nn_losses.py)."""
from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

import autograd as ag
import nn
from nn import functional as F
from numeric import assert_raises_like_torch

REDUCTIONS = ["mean", "sum", "none"]


def _run(fn, *arrays, grad=None):
    """Call fn on tensors (float arrays require grad); return (loss, [grads])."""
    ts = [ag.tensor(a, requires_grad=a.dtype.kind == "f" and (grad is None or i in grad))
          for i, a in enumerate(arrays)]
    out = fn(*ts)
    u = np.random.default_rng(7).standard_normal(out.shape)
    (out * ag.tensor(u, dtype=out.dtype)).sum().backward()
    return out.data, [None if t.grad is None else t.grad.data for t in ts], u


def _torch_run(torch, fn, *arrays, u, grad=None):
    ts = [torch.tensor(a, requires_grad=a.dtype.kind == "f" and (grad is None or i in grad))
          for i, a in enumerate(arrays)]
    out = fn(*ts)
    (out * torch.tensor(u, dtype=out.dtype)).sum().backward()
    return out.detach().numpy(), [None if t.grad is None else t.grad.numpy() for t in ts]


def _assert_parity(torch, ours, theirs, *arrays, grad=None, tol=1e-12):
    out, grads, u = _run(ours, *arrays, grad=grad)
    tout, tgrads = _torch_run(torch, theirs, *arrays, u=u, grad=grad)
    assert out.shape == tout.shape
    np.testing.assert_allclose(out, tout, rtol=tol, atol=tol)
    for i, (g, tg) in enumerate(zip(grads, tgrads)):
        if tg is None:
            assert g is None or not g.any(), f"input {i}: PyTorch has no gradient"
        else:
            np.testing.assert_allclose(g, tg, rtol=tol, atol=tol, err_msg=f"gradient {i}")


# ---- edge values ----------------------------------------------------------------------

def test_all_ignored_batch_gives_nan_mean_and_zero_gradient():
    x = ag.randn(3, 4, requires_grad=True)
    t = ag.tensor([-100, -100, -100])
    for fn in (lambda: F.cross_entropy(x, t), lambda: F.cross_entropy(x, t, label_smoothing=0.2),
               lambda: F.nll_loss(x, t), lambda: F.cross_entropy(x, t, weight=ag.ones(4))):
        x.grad = None
        loss = fn()
        assert np.isnan(loss.item())
        loss.backward()
        np.testing.assert_array_equal(x.grad.data, 0.0)
    assert F.cross_entropy(x, t, reduction="sum").item() == 0.0
    np.testing.assert_array_equal(F.cross_entropy(x, t, reduction="none").data, 0.0)


def test_ignore_index_matches_dropping_the_positions():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 5))
    t = np.array([0, 3, 7, 4, 7, 1])
    w = np.linspace(0.5, 1.5, 5)
    kept = t != 7
    for kw in ({}, {"weight": w}, {"label_smoothing": 0.3}, {"weight": w, "label_smoothing": 0.1}):
        a = F.cross_entropy(ag.tensor(x), ag.tensor(t), ignore_index=7, **kw).item()
        b = F.cross_entropy(ag.tensor(x[kept]), ag.tensor(t[kept]), **kw).item()
        assert a == pytest.approx(b, rel=1e-12), kw


def test_cross_entropy_large_logits_stay_finite():
    x = ag.tensor([[1e4, -1e4, 0.0], [-1e30, 1e30, 5.0]], dtype=ag.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.cross_entropy(x, ag.tensor([1, 1]), reduction="none")
        loss.sum().backward()
    np.testing.assert_allclose(loss.data, [2e4, 0.0])
    np.testing.assert_allclose(x.grad.data, [[1, -1, 0], [0, 0, 0]], atol=1e-300)


def test_label_smoothing_with_probabilities_and_indices_agree():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 3))
    t = np.array([2, 0, 1, 1])
    onehot = np.eye(3)[t]
    for w in (None, np.array([0.2, 1.0, 3.0])):
        a = F.cross_entropy(ag.tensor(x), ag.tensor(t), weight=w, label_smoothing=0.25,
                            reduction="none").data
        b = F.cross_entropy(ag.tensor(x), ag.tensor(onehot), weight=w, label_smoothing=0.25,
                            reduction="none").data
        np.testing.assert_allclose(a, b, rtol=1e-12)
    # smoothing 1: the target no longer matters
    u = F.cross_entropy(ag.tensor(x), ag.tensor(t), label_smoothing=1.0).item()
    v = F.cross_entropy(ag.tensor(x), ag.tensor((t + 1) % 3), label_smoothing=1.0).item()
    assert u == pytest.approx(v, rel=1e-12)


def test_cross_entropy_single_sample_and_spatial_shapes():
    x = ag.randn(5)
    assert F.cross_entropy(x, ag.tensor(3), reduction="none").shape == ()
    assert F.cross_entropy(x, F.softmax(ag.randn(5), 0), reduction="none").shape == ()
    x4 = ag.randn(2, 3, 4, 5)
    t4 = ag.randint(0, 3, (2, 4, 5))
    assert F.cross_entropy(x4, t4, reduction="none").shape == (2, 4, 5)
    flat = F.cross_entropy(x4.permute(0, 2, 3, 1).reshape(-1, 3), t4.reshape(-1))
    assert F.cross_entropy(x4, t4).item() == pytest.approx(flat.item(), rel=1e-5)


def test_empty_batch_mean_is_nan():
    assert np.isnan(F.cross_entropy(ag.zeros(0, 3), ag.zeros(0, dtype=ag.int64)).item())
    assert np.isnan(F.mse_loss(ag.zeros(0), ag.zeros(0)).item())
    assert F.mse_loss(ag.zeros(0), ag.zeros(0), reduction="sum").item() == 0.0


def test_bce_clamps_logs_and_logits_form_is_stable():
    x = ag.tensor([0.0, 1.0, 0.0, 1.0], dtype=ag.float64, requires_grad=True)
    y = ag.tensor([1.0, 0.0, 0.0, 1.0], dtype=ag.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.binary_cross_entropy(x, y, reduction="none")
        loss.sum().backward()
    np.testing.assert_array_equal(loss.data, [100.0, 100.0, 0.0, 0.0])
    np.testing.assert_allclose(x.grad.data, [-1e12, 1e12, 0.0, 0.0])   # PyTorch's eps 1e-12
    z = ag.tensor([-1000.0, 1000.0, -40.0, 40.0], dtype=ag.float64, requires_grad=True)
    y = ag.tensor([1.0, 0.0, 0.0, 1.0], dtype=ag.float64)
    loss = F.binary_cross_entropy_with_logits(z, y, reduction="none")
    loss.sum().backward()
    np.testing.assert_allclose(loss.data, [1000.0, 1000.0, np.exp(-40.0), np.exp(-40.0)],
                               rtol=1e-12)
    np.testing.assert_allclose(z.grad.data, [-1.0, 1.0, np.exp(-40.0), -np.exp(-40.0)],
                               rtol=1e-12)


def test_modules_hold_options_and_weights_as_buffers():
    m = nn.CrossEntropyLoss(weight=[1.0, 2.0], ignore_index=0, label_smoothing=0.1)
    assert list(m.state_dict()) == ["weight"]
    assert list(nn.CrossEntropyLoss().state_dict()) == []
    assert list(nn.BCEWithLogitsLoss(pos_weight=ag.ones(2)).state_dict()) == ["pos_weight"]
    x = ag.randn(3, 2)
    t = ag.tensor([1, 0, 1])
    assert m(x, t).item() == pytest.approx(
        F.cross_entropy(x, t, weight=ag.tensor([1.0, 2.0]), ignore_index=0,
                        label_smoothing=0.1).item())
    assert nn.MSELoss(reduction="none")(x, x * 2).shape == (3, 2)
    assert nn.HuberLoss(delta=0.5)(x, x).item() == 0.0
    with pytest.warns(UserWarning, match="deprecated"):
        assert nn.L1Loss(size_average=False).reduction == "sum"


# ---- bad input -------------------------------------------------------------------------

BAD = [
    (RuntimeError, r"cross_entropy.*float.*\(3, 4\).*\(3,\)",
     lambda: F.cross_entropy(ag.randn(3, 4), ag.rand(3))),
    (RuntimeError, "cross_entropy.*dtype bool",
     lambda: F.cross_entropy(ag.randn(3, 4), ag.tensor([True, False, True]))),
    (ValueError, r"cross_entropy.*batch_size \(3\).*\(2\)",
     lambda: F.cross_entropy(ag.randn(3, 4), ag.tensor([1, 2]))),
    (RuntimeError, r"cross_entropy.*\(2, 4\).*\(2, 3, 4\).*\(2, 5\)",
     lambda: F.cross_entropy(ag.randn(2, 3, 4), ag.zeros(2, 5, dtype=ag.int64))),
    (IndexError, "cross_entropy: target 4 is out of bounds for 4 classes",
     lambda: F.cross_entropy(ag.randn(3, 4), ag.tensor([1, 2, 4]))),
    (IndexError, "nll_loss: target -1 is out of bounds",
     lambda: F.nll_loss(ag.randn(3, 4), ag.tensor([1, -1, 0]))),
    (RuntimeError, r"cross_entropy: weight.*4 classes.*\(3,\)",
     lambda: F.cross_entropy(ag.randn(3, 4), ag.tensor([1, 2, 3]), weight=ag.ones(3))),
    (RuntimeError, "label_smoothing must be between",
     lambda: F.cross_entropy(ag.randn(3, 4), ag.tensor([1, 2, 3]), label_smoothing=1.5)),
    (RuntimeError, "label_smoothing", lambda: nn.CrossEntropyLoss(label_smoothing=-0.1)),
    (ValueError, "'avg' is not a valid value for reduction",
     lambda: F.cross_entropy(ag.randn(3, 4), ag.tensor([1, 2, 3]), reduction="avg")),
    (ValueError, "MSELoss.*reduction", lambda: nn.MSELoss(reduction="max")),
    (RuntimeError, "cross_entropy.*floating point.*int64",
     lambda: F.cross_entropy(ag.ones(3, 4, dtype=ag.int64), ag.tensor([1, 2, 3]))),
    (RuntimeError, "cross_entropy.*0-d", lambda: F.cross_entropy(ag.tensor(1.0), ag.tensor(0))),
    (ValueError, r"nll_loss.*\(4,\).*0-d class index.*\(2,\)",
     lambda: F.nll_loss(ag.randn(4), ag.tensor([1, 2]))),
    (RuntimeError, r"mse_loss.*\(4,\).*\(3,\)", lambda: F.mse_loss(ag.randn(3), ag.randn(4))),
    (ValueError, r"binary_cross_entropy: target size \(3, 1\).*\(3,\)",
     lambda: F.binary_cross_entropy(ag.rand(3), ag.rand(3, 1))),
    (RuntimeError, "binary_cross_entropy: all elements of input should be between 0 and 1",
     lambda: F.binary_cross_entropy(ag.tensor([1.5]), ag.rand(1))),
    (ValueError, r"binary_cross_entropy_with_logits: target size \(3, 1\)",
     lambda: F.binary_cross_entropy_with_logits(ag.rand(3), ag.rand(3, 1))),
    (RuntimeError, "huber_loss: delta must be positive",
     lambda: F.huber_loss(ag.rand(3), ag.rand(3), delta=0.0)),
    (RuntimeError, "l1_loss.*bool", lambda: F.l1_loss(ag.rand(2), ag.tensor([True, False]))),
]


@pytest.mark.parametrize("exc, match, call", BAD, ids=[m[:40] for _, m, _ in BAD])
def test_bad_input_raises_a_clear_error(exc, match, call):
    with pytest.raises(exc, match=match):
        call()


def test_broadcasting_target_warns_like_pytorch():
    with pytest.warns(UserWarning, match=r"mse_loss.*\(2, 3\).*\(3,\)"):
        loss = F.mse_loss(ag.zeros(3), ag.ones(2, 3))
    assert loss.item() == 1.0


# ---- PyTorch parity ------------------------------------------------------------------------

def _index_cases():
    rng = np.random.default_rng(3)
    shapes = [(6, 5), (3, 4, 2, 3), (5,)]
    for shape in shapes:
        c = shape[1] if len(shape) > 1 else shape[0]
        x = rng.standard_normal(shape) * 2
        tshape = (shape[0],) + shape[2:] if len(shape) > 1 else ()
        t = rng.integers(0, c, tshape)
        if t.ndim:
            t.reshape(-1)[::4] = 2           # the ignored class appears in the batch
        yield shape, x, t, np.linspace(0.3, 2.0, c)


CE_OPTIONS = list(itertools.product(REDUCTIONS, [False, True], [-100, 2], [0.0, 0.15]))


@pytest.mark.parametrize("reduction, weighted, ignore_index, smoothing", CE_OPTIONS)
def test_cross_entropy_index_targets_match_pytorch(reduction, weighted, ignore_index, smoothing):
    torch = pytest.importorskip("torch")
    for _, x, t, w in _index_cases():
        kw = dict(reduction=reduction, ignore_index=ignore_index, label_smoothing=smoothing)
        _assert_parity(torch,
                       lambda a, b: F.cross_entropy(a, b, weight=w if weighted else None, **kw),
                       lambda a, b: torch.nn.functional.cross_entropy(
                           a, b, weight=torch.tensor(w) if weighted else None, **kw), x, t)


@pytest.mark.parametrize("reduction, weighted, smoothing",
                         list(itertools.product(REDUCTIONS, [False, True], [0.0, 0.3])))
def test_cross_entropy_probability_targets_match_pytorch(reduction, weighted, smoothing):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    for shape in [(6, 5), (3, 4, 2, 3), (5,)]:
        x = rng.standard_normal(shape)
        y = rng.random(shape)
        axis = 1 if len(shape) > 1 else 0
        y /= y.sum(axis, keepdims=True)
        w = np.linspace(0.5, 1.5, shape[axis])
        kw = dict(reduction=reduction, label_smoothing=smoothing)
        _assert_parity(torch,
                       lambda a, b: F.cross_entropy(a, b, weight=w if weighted else None, **kw),
                       lambda a, b: torch.nn.functional.cross_entropy(
                           a, b, weight=torch.tensor(w) if weighted else None, **kw), x, y)


@pytest.mark.parametrize("reduction, weighted, ignore_index",
                         list(itertools.product(REDUCTIONS, [False, True], [-100, 2])))
def test_nll_loss_matches_pytorch(reduction, weighted, ignore_index):
    torch = pytest.importorskip("torch")
    for _, x, t, w in _index_cases():
        kw = dict(reduction=reduction, ignore_index=ignore_index)
        _assert_parity(torch, lambda a, b: F.nll_loss(a, b, weight=w if weighted else None, **kw),
                       lambda a, b: torch.nn.functional.nll_loss(
                           a, b, weight=torch.tensor(w) if weighted else None, **kw), x, t)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_losses_match_pytorch(reduction):
    torch = pytest.importorskip("torch")
    tF = torch.nn.functional
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((4, 3)) * 2, rng.standard_normal((4, 3))
    y[0, 0] = x[0, 0]                                     # a zero difference (the L1 kink)
    for ours, theirs in [
            (lambda a, b: F.mse_loss(a, b, reduction=reduction),
             lambda a, b: tF.mse_loss(a, b, reduction=reduction)),
            (lambda a, b: F.l1_loss(a, b, reduction=reduction),
             lambda a, b: tF.l1_loss(a, b, reduction=reduction)),
            (lambda a, b: F.huber_loss(a, b, reduction=reduction),
             lambda a, b: tF.huber_loss(a, b, reduction=reduction)),
            (lambda a, b: F.huber_loss(a, b, reduction=reduction, delta=0.3),
             lambda a, b: tF.huber_loss(a, b, reduction=reduction, delta=0.3))]:
        _assert_parity(torch, ours, theirs, x, y)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_losses_match_pytorch(reduction, weighted):
    torch = pytest.importorskip("torch")
    tF = torch.nn.functional
    rng = np.random.default_rng(6)
    p = np.concatenate([rng.random(10), [0.0, 1.0]]).reshape(4, 3)
    y = np.concatenate([rng.random(10), [1.0, 0.0]]).reshape(4, 3)
    z = np.concatenate([rng.standard_normal(9) * 3, [-60.0, 60.0, 0.0]]).reshape(4, 3)
    w = rng.random((4, 3)) if weighted else None
    tw = None if w is None else torch.tensor(w)
    pw = np.array([0.5, 1.0, 4.0])
    _assert_parity(torch, lambda a, b: F.binary_cross_entropy(a, b, weight=w, reduction=reduction),
                   lambda a, b: tF.binary_cross_entropy(a, b, weight=tw, reduction=reduction),
                   p, y, tol=1e-9)
    for pos_weight in (None, pw):
        tpw = None if pos_weight is None else torch.tensor(pos_weight)
        _assert_parity(torch,
                       lambda a, b: F.binary_cross_entropy_with_logits(
                           a, b, weight=w, reduction=reduction, pos_weight=pos_weight),
                       lambda a, b: tF.binary_cross_entropy_with_logits(
                           a, b, weight=tw, reduction=reduction, pos_weight=tpw), z, y)


@pytest.mark.parametrize("name", ["MSELoss", "L1Loss", "HuberLoss", "CrossEntropyLoss",
                                  "NLLLoss", "BCELoss", "BCEWithLogitsLoss"])
def test_loss_modules_match_pytorch_in_float32(name):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    x = rng.standard_normal((5, 4)).astype(np.float32)
    target = {"CrossEntropyLoss": rng.integers(0, 4, 5), "NLLLoss": rng.integers(0, 4, 5)}.get(
        name, rng.random((5, 4)).astype(np.float32))
    if name == "BCELoss":
        x = 1 / (1 + np.exp(-x))
    ours, theirs = getattr(nn, name)(), getattr(torch.nn, name)()
    assert repr(ours) == repr(theirs)
    out, grads, u = _run(ours, x, target, grad={0})
    tout, tgrads = _torch_run(torch, theirs, x, target, u=u, grad={0})
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, tout, rtol=2e-6, atol=2e-6)
    np.testing.assert_allclose(grads[0], tgrads[0], rtol=2e-5, atol=2e-7)


def test_target_gradients_match_pytorch():
    """Losses that differentiate w.r.t. a float target do so like PyTorch."""
    torch = pytest.importorskip("torch")
    tF = torch.nn.functional
    rng = np.random.default_rng(9)
    x, y = rng.random((3, 4)), rng.random((3, 4))
    _assert_parity(torch, F.binary_cross_entropy, tF.binary_cross_entropy, x, y, tol=1e-10)
    _assert_parity(torch, F.mse_loss, tF.mse_loss, x, y)
    _assert_parity(torch, lambda a, b: F.cross_entropy(a, b, label_smoothing=0.2),
                   lambda a, b: tF.cross_entropy(a, b, label_smoothing=0.2), x, y)


@pytest.mark.parametrize("loss, want", [
    (F.mse_loss, np.float64), (F.l1_loss, np.float64),
    (F.binary_cross_entropy_with_logits, np.float64),
    (F.huber_loss, np.float32), (F.binary_cross_entropy, np.float32),
])
def test_float64_target_dtype_of_the_loss_follows_pytorch(loss, want):
    """mse/l1/bce-with-logits promote a float32 input with a float64 target (PyTorch);
    huber and bce keep the input's dtype.  An integer target takes the input's."""
    x = ag.tensor(np.array([0.25, 0.5, 0.75], np.float32), requires_grad=True)
    y = np.array([0.0, 1.0, 1.0])
    out = loss(x, ag.tensor(y))
    assert out.dtype == want
    out.backward()
    assert x.grad.dtype == np.float32
    assert loss(x, ag.tensor(y.astype(np.int64))).dtype == np.float32


# ---- smooth l1, kl, poisson, gaussian, margin and embedding losses --------------------------

def _quiet(fn):
    """fn with warnings ignored (kl_div's default reduction warns in both libraries)."""
    def call(*args):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(*args)
    return call


def _signs(rng, shape, others=()):
    return rng.choice(np.array([1, -1, *others]), size=shape)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("beta", [1.0, 0.5, 0.0])
def test_smooth_l1_loss_matches_pytorch(reduction, beta):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(10)
    x, y = rng.standard_normal((4, 3)) * 2, rng.standard_normal((4, 3))
    x[0, :3], y[0, :3] = [0.75, 0.5, -1.0], [0.25, 0.5, -0.5]   # |d| = 0.5, 0 and 0.5
    kw = dict(reduction=reduction, beta=beta)
    _assert_parity(torch, lambda a, b: F.smooth_l1_loss(a, b, **kw),
                   lambda a, b: torch.nn.functional.smooth_l1_loss(a, b, **kw), x, y)


@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_pytorch_with_zero_targets(reduction, log_target):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    for shape in [(4, 5), (2, 3, 4), (5,), ()]:
        x = np.log(rng.dirichlet(np.ones(5), size=20)).reshape(-1)[:int(np.prod(shape))]
        y = rng.random(shape)
        if not log_target:
            y.reshape(-1)[::3] = 0.0                  # (NaN target gradient there: both)
        kw = dict(reduction=reduction, log_target=log_target)
        _assert_parity(torch, _quiet(lambda a, b: F.kl_div(a, b, **kw)),
                       _quiet(lambda a, b: torch.nn.functional.kl_div(a, b, **kw)),
                       x.reshape(shape), np.log(y) if log_target else y)


def test_kl_div_zero_targets_contribute_nothing_and_keep_the_gradient_finite():
    x = ag.tensor([[-0.5, -1.0, -2.0]], dtype=ag.float64, requires_grad=True)
    y = ag.tensor([[0.0, 0.25, 0.75]], dtype=ag.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.kl_div(x, y, reduction="none")
        loss.sum().backward()
    assert loss.data[0, 0] == 0.0
    np.testing.assert_array_equal(x.grad.data, -y.data)


def test_kl_div_default_mean_warns_like_pytorch():
    x, y = ag.log(ag.full((2, 3), 1 / 3)), ag.full((2, 3), 1 / 3)
    with pytest.warns(UserWarning, match="kl_div.*'batchmean' divides only by the batch size"):
        F.kl_div(x, y)
    with pytest.warns(UserWarning, match="batchmean"):
        nn.KLDivLoss()(x, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for r in ("batchmean", "sum", "none"):
            F.kl_div(x, y, reduction=r)
            nn.KLDivLoss(reduction=r)(x, y)
    torch = pytest.importorskip("torch")
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        torch.nn.functional.kl_div(torch.zeros(2, 3), torch.ones(2, 3))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("log_input, full", list(itertools.product([True, False], repeat=2)))
def test_poisson_nll_loss_matches_pytorch(reduction, log_input, full):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(12)
    x = rng.standard_normal((4, 5)) if log_input else rng.random((4, 5)) * 3
    if not log_input:
        x[0, 0] = 0.0                                 # eps keeps log(x + eps) finite
    y = np.concatenate([[0.0, 0.0, 0.5, 1.0, 1.0 + 1e-9], rng.poisson(3.0, 15)]).reshape(4, 5)
    kw = dict(log_input=log_input, full=full, reduction=reduction)
    # (PyTorch's target gradient is NaN at y = 0 with `full`; ours is finite, see below)
    _assert_parity(torch, lambda a, b: F.poisson_nll_loss(a, b, **kw),
                   lambda a, b: torch.nn.functional.poisson_nll_loss(a, b, **kw), x, y,
                   grad={0} if full else None)


def test_poisson_full_loss_is_finite_at_zero_targets_gradients_included():
    x = ag.tensor([0.5, -1.0, 2.0, 0.0], dtype=ag.float64, requires_grad=True)
    y = ag.tensor([0.0, 0.0, 3.0, 1.0], dtype=ag.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.poisson_nll_loss(x, y, full=True, reduction="none")
        loss.sum().backward()
    stirling = 3 * np.log(3) - 3 + 0.5 * np.log(2 * np.pi * 3)
    np.testing.assert_allclose(loss.data, np.exp(x.data) - y.data * x.data + [0, 0, stirling, 0],
                               rtol=1e-15)
    # d/dy: -x, plus log y + 1/(2y) where y > 1 (the Stirling term is 0 elsewhere)
    np.testing.assert_allclose(y.grad.data, -x.data + [0, 0, np.log(3) + 1 / 6, 0], rtol=1e-15)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("var_shape", ["same", "row", "shared", "number"])
def test_gaussian_nll_loss_matches_pytorch(reduction, full, var_shape):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(13)
    x, y = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    var = {"same": rng.random((4, 3)) + 0.1, "row": rng.random(4) + 0.1,
           "shared": rng.random((4, 1)) + 0.1, "number": 0.7}[var_shape]
    if var_shape == "same":
        var[0, :2] = [0.0, 1e-8]                      # below eps: clamped, gradient kept
    kw = dict(full=full, reduction=reduction)
    if var_shape == "number":
        _assert_parity(torch, lambda a, b: F.gaussian_nll_loss(a, b, var, **kw),
                       lambda a, b: torch.nn.functional.gaussian_nll_loss(a, b, var, **kw), x, y)
    else:
        _assert_parity(torch, lambda a, b, v: F.gaussian_nll_loss(a, b, v, **kw),
                       lambda a, b, v: torch.nn.functional.gaussian_nll_loss(a, b, v, **kw),
                       x, y, var)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_soft_margin_loss_matches_pytorch(reduction):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(14)
    x = np.concatenate([rng.standard_normal(10) * 3, [40.0, -40.0]]).reshape(4, 3)
    y = _signs(rng, (4, 3)).astype(np.float64)
    # (PyTorch's soft_margin_loss is not differentiable in the target; ours is)
    _assert_parity(torch, lambda a, b: F.soft_margin_loss(a, b, reduction=reduction),
                   lambda a, b: torch.nn.functional.soft_margin_loss(a, b, reduction=reduction),
                   x, y, grad={0})


def test_soft_margin_loss_does_not_overflow():
    x = ag.tensor([1000.0, -1000.0], dtype=ag.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.soft_margin_loss(x, ag.tensor([-1, -1]), reduction="none")
        loss.sum().backward()
    np.testing.assert_array_equal(loss.data, [1000.0, 0.0])
    np.testing.assert_array_equal(x.grad.data, [1.0, 0.0])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_multilabel_soft_margin_loss_matches_pytorch(reduction, weighted):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(15)
    for shape in [(4, 3), (2, 3, 5), (4,)]:
        x = rng.standard_normal(shape) * 3
        y = (rng.random(shape) < 0.5).astype(np.float64)
        arrays = [x, y] + ([rng.random(shape[-1]) + 0.5] if weighted else [])
        _assert_parity(torch,
                       lambda a, b, *w: F.multilabel_soft_margin_loss(
                           a, b, *w, reduction=reduction),
                       lambda a, b, *w: torch.nn.functional.multilabel_soft_margin_loss(
                           a, b, *w, reduction=reduction), *arrays)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [1.0, 0.3])
def test_hinge_embedding_loss_matches_pytorch(reduction, margin):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(16)
    x = rng.random((4, 3)) * 2
    x[0, 0] = margin                                  # the hinge's kink
    y = _signs(rng, (4, 3), others=(0, 2))            # other targets get both terms
    y[0, 0] = -1
    kw = dict(margin=margin, reduction=reduction)
    _assert_parity(torch, lambda a, b: F.hinge_embedding_loss(a, b, **kw),
                   lambda a, b: torch.nn.functional.hinge_embedding_loss(a, b, **kw), x, y)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.5])
def test_margin_ranking_loss_matches_pytorch(reduction, margin):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(17)
    a, b = rng.standard_normal(6), rng.standard_normal(6)
    b[0] = a[0] + margin                              # the kink, for y = 1
    for y in (_signs(rng, 6), _signs(rng, 6).astype(np.float64) * rng.random(6)):
        y[0] = 1
        kw = dict(margin=margin, reduction=reduction)
        _assert_parity(torch, lambda p, q, t: F.margin_ranking_loss(p, q, t, **kw),
                       lambda p, q, t: torch.nn.functional.margin_ranking_loss(p, q, t, **kw),
                       a, b, y)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.4, -0.2])
def test_cosine_embedding_loss_matches_pytorch(reduction, margin):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(18)
    for shape in [(6, 4), (4,)]:
        # (norms well above 1e-6, where PyTorch's eps form and ours agree to 1e-13)
        x1, x2 = rng.standard_normal(shape) * 2, rng.standard_normal(shape) * 2
        y = _signs(rng, shape[:-1], others=(0,))      # 0: no contribution
        if len(shape) == 2:
            x2[1] = x1[1]                             # identical: cos = 1
            x2[2] = -3 * x1[2]                        # opposite: cos = -1
        kw = dict(margin=margin, reduction=reduction)
        _assert_parity(torch, lambda a, b, t: F.cosine_embedding_loss(a, b, t, **kw),
                       lambda a, b, t: torch.nn.functional.cosine_embedding_loss(a, b, t, **kw),
                       x1, x2, y)


def test_cosine_embedding_loss_at_a_zero_vector_matches_pytorch():
    torch = pytest.importorskip("torch")
    x1 = np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 2.0]])
    x2 = np.array([[1.0, -2.0, 2.0], [0.0, 0.0, 0.0]])
    for y in (np.array([1, 1]), np.array([-1, -1])):
        _assert_parity(torch, lambda a, b, t: F.cosine_embedding_loss(a, b, t, margin=-0.5),
                       lambda a, b, t: torch.nn.functional.cosine_embedding_loss(
                           a, b, t, margin=-0.5), x1, x2, y)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("p, margin", [(2.0, 1.0), (1.0, 0.5), (3.0, 2.0)])
def test_triplet_margin_loss_matches_pytorch(reduction, swap, p, margin):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(19)
    for shape in [(8, 3), (3,)]:
        a, pos, neg = (rng.standard_normal(shape) for _ in range(3))
        if len(shape) == 2:
            pos[0] = a[0]                             # d(a, p) = ||eps||: eps matters
            neg[1] = a[1] + 0.1                       # a near negative: swap matters
        kw = dict(margin=margin, p=p, swap=swap, reduction=reduction)
        _assert_parity(torch, lambda *t: F.triplet_margin_loss(*t, **kw),
                       lambda *t: torch.nn.functional.triplet_margin_loss(*t, **kw), a, pos, neg)


CASES = {   # module name: (kwargs, inputs as functions of an rng, indices that get grads)
    "SmoothL1Loss": (dict(beta=0.5), lambda r: [r.standard_normal((5, 4)),
                                                 r.standard_normal((5, 4))], {0, 1}),
    "KLDivLoss": (dict(reduction="batchmean", log_target=True),
                  lambda r: [np.log(r.dirichlet(np.ones(4), 5)),
                             np.log(r.dirichlet(np.ones(4), 5))], {0, 1}),
    "PoissonNLLLoss": (dict(log_input=False, full=True),
                       lambda r: [r.random((5, 4)) * 3, r.poisson(2.0, (5, 4)) * 1.0], {0}),
    "GaussianNLLLoss": (dict(full=True, eps=1e-3),
                        lambda r: [r.standard_normal((5, 4)), r.standard_normal((5, 4)),
                                   r.random((5, 1))], {0, 1, 2}),
    "SoftMarginLoss": ({}, lambda r: [r.standard_normal((5, 4)), _signs(r, (5, 4)) * 1.0], {0}),
    "MultiLabelSoftMarginLoss": (dict(reduction="sum"),
                                 lambda r: [r.standard_normal((5, 4)),
                                            (r.random((5, 4)) < 0.5) * 1.0], {0, 1}),
    "HingeEmbeddingLoss": (dict(margin=2.0), lambda r: [r.random((5, 4)) * 3,
                                                        _signs(r, (5, 4)) * 1.0], {0}),
    "MarginRankingLoss": (dict(margin=0.2), lambda r: [r.standard_normal(5),
                                                       r.standard_normal(5),
                                                       _signs(r, 5) * 1.0], {0, 1}),
    "CosineEmbeddingLoss": (dict(margin=0.1), lambda r: [r.standard_normal((5, 4)),
                                                         r.standard_normal((5, 4)),
                                                         _signs(r, 5) * 1.0], {0, 1}),
    "TripletMarginLoss": (dict(margin=0.5, p=1.0, swap=True),
                          lambda r: [r.standard_normal((5, 4)) for _ in range(3)], {0, 1, 2}),
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("defaults", [True, False])
def test_new_loss_modules_match_pytorch_in_float32(name, defaults):
    torch = pytest.importorskip("torch")
    kwargs, make, grad = CASES[name]
    kwargs = {} if defaults else kwargs
    arrays = [a.astype(np.float32) for a in make(np.random.default_rng(20))]
    ours, theirs = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(ours) == repr(theirs)
    out, grads, u = _quiet(lambda: _run(ours, *arrays, grad=grad))()
    tout, tgrads = _quiet(lambda: _torch_run(torch, theirs, *arrays, u=u, grad=grad))()
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, tout, rtol=2e-6, atol=2e-6)
    for i in grad:
        np.testing.assert_allclose(grads[i], tgrads[i], rtol=2e-5, atol=2e-7)


def test_new_loss_modules_keep_pytorchs_attributes_and_buffers():
    torch = pytest.importorskip("torch")
    for name, (kwargs, _, _) in CASES.items():
        ours, theirs = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
        for attr in ("reduction", "beta", "log_target", "log_input", "full", "eps", "margin",
                     "p", "swap"):
            assert getattr(ours, attr, None) == getattr(theirs, attr, None), (name, attr)
    w = np.array([1.0, 2.0, 0.5])
    m = nn.MultiLabelSoftMarginLoss(weight=w)
    assert list(m.state_dict()) == ["weight"]
    x, y = ag.randn(2, 3), ag.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    assert m(x, y).item() == pytest.approx(
        F.multilabel_soft_margin_loss(x, y, weight=w).item(), rel=1e-6)
    with pytest.warns(UserWarning, match="deprecated"):
        assert nn.SmoothL1Loss(reduce=False).reduction == "none"


@pytest.mark.filterwarnings("ignore:.*target size")   # (smooth_l1 broadcasting: tested below)
@pytest.mark.parametrize("fn, nargs", [
    (F.smooth_l1_loss, 2), (F.soft_margin_loss, 2), (F.kl_div, 2), (F.poisson_nll_loss, 2),
    (F.multilabel_soft_margin_loss, 2), (F.hinge_embedding_loss, 2),
    (F.gaussian_nll_loss, 3), (F.margin_ranking_loss, 3), (F.triplet_margin_loss, 3),
])
def test_new_losses_promote_dtypes_like_pytorch(fn, nargs):
    """Each loss's result dtype for float32/float64 inputs and targets, 0-d and integer
    targets included, is PyTorch's (some keep the input's dtype, some promote)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(21)
    for dts in [("f4", "f8", "f8"), ("f8", "f4", "f4"), ("f4", "i8", "f4"), ("f4", "f4", "f8")]:
        for tshape in [(3, 4), (), (4,)]:
            shapes = [(3, 4), tshape, (3, 4)][:nargs]
            arrays = [(rng.random(s) + 0.5).astype(d) for s, d in zip(shapes, dts)]
            kw = {"reduction": "sum"} if fn is F.kl_div else {}
            try:
                want = getattr(torch.nn.functional, fn.__name__)(
                    *[torch.tensor(a) for a in arrays], **kw).detach().numpy().dtype
            except RuntimeError:   # kl_div refuses integer targets: so do we
                with pytest.raises(RuntimeError):
                    fn(*[ag.tensor(a) for a in arrays], **kw)
                continue
            assert fn(*[ag.tensor(a) for a in arrays], **kw).dtype == want, (dts, tshape)


def test_only_smooth_l1_warns_about_a_broadcast_target():
    x, y = ag.zeros(2, 3), ag.ones(3)
    with pytest.warns(UserWarning, match=r"smooth_l1_loss.*\(3,\).*\(2, 3\)"):
        assert F.smooth_l1_loss(x, y).item() == 0.5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for fn in (F.soft_margin_loss, F.poisson_nll_loss, F.hinge_embedding_loss, F.kl_div):
            assert fn(x, y, reduction="none").shape == (2, 3)
        assert F.multilabel_soft_margin_loss(x, y, reduction="none").shape == (2,)


def test_deprecated_size_average_and_reduce_map_onto_reduction():
    x, y = ag.randn(2, 3), ag.randn(2, 3)
    with pytest.warns(UserWarning, match="deprecated"):
        assert F.smooth_l1_loss(x, y, reduce=False).shape == (2, 3)
    with pytest.warns(UserWarning, match="deprecated"):
        s = F.soft_margin_loss(x, y, size_average=False).item()
    assert s == pytest.approx(F.soft_margin_loss(x, y, reduction="sum").item())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # (the legacy arguments warn, 'mean' does not)
        k = F.kl_div(x, y.abs(), size_average=False).item()
    assert k == pytest.approx(F.kl_div(x, y.abs(), reduction="sum").item())


# Bad input: (exception, our message, a call taking (functional module, tensor maker)),
# run on ours and, when installed, on PyTorch, which must raise the same type.
NEW_BAD = [
    (RuntimeError, "smooth_l1_loss: beta must be non-negative, got -1.0",
     lambda f, t: f.smooth_l1_loss(t([1.0]), t([0.0]), beta=-1.0)),
    (ValueError, "smooth_l1_loss: 'avg' is not a valid value for reduction",
     lambda f, t: f.smooth_l1_loss(t([1.0]), t([0.0]), reduction="avg")),
    (RuntimeError, r"smooth_l1_loss.*\(3,\).*\(2,\)",
     lambda f, t: f.smooth_l1_loss(t([1.0, 2.0]), t([0.0, 1.0, 2.0]))),
    (RuntimeError, "kl_div: expected a floating point target, got dtype int64",
     lambda f, t: f.kl_div(t([[-1.0, -0.5]]), t([[1, 0]]), reduction="sum")),
    (RuntimeError, "kl_div: integral inputs not supported",
     lambda f, t: f.kl_div(t([[1, 0]]), t([[0.5, 0.5]]), reduction="sum")),
    (ValueError, "kl_div: 'avg' is not a valid value for reduction.*'batchmean'",
     lambda f, t: f.kl_div(t([-1.0]), t([1.0]), reduction="avg")),
    (ValueError, r"poisson_nll_loss: 'max' is not a valid",
     lambda f, t: f.poisson_nll_loss(t([1.0]), t([1.0]), reduction="max")),
    (RuntimeError, r"poisson_nll_loss.*\(3,\).*\(2,\)",
     lambda f, t: f.poisson_nll_loss(t([1.0, 2.0]), t([0.0, 1.0, 2.0]))),
    (ValueError, r"gaussian_nll_loss: var has negative entry/entries \(var shape \(2,\)\)",
     lambda f, t: f.gaussian_nll_loss(t([1.0, 2.0]), t([1.0, 2.0]), t([1.0, -1.0]))),
    (ValueError, "gaussian_nll_loss: var has negative",
     lambda f, t: f.gaussian_nll_loss(t([1.0, 2.0]), t([1.0, 2.0]), -0.5)),
    (ValueError, r"gaussian_nll_loss: var is of incorrect size \(3, 2\) for input of size "
                 r"\(3, 4\)",
     lambda f, t: f.gaussian_nll_loss(t([[0.0] * 4] * 3), t([[0.0] * 4] * 3), t([[1.0] * 2] * 3))),
    (ValueError, r"gaussian_nll_loss: var is of incorrect size \(\)",
     lambda f, t: f.gaussian_nll_loss(t([[0.0] * 4] * 3), t([[0.0] * 4] * 3), t(1.0))),
    (ValueError, r"gaussian_nll_loss: var is of incorrect size \(1, 1\)",
     lambda f, t: f.gaussian_nll_loss(t([[0.0] * 4] * 3), t([[0.0] * 4] * 3), t([[1.0]]))),
    (ValueError, "gaussian_nll_loss: 'x' is not a valid",
     lambda f, t: f.gaussian_nll_loss(t([1.0]), t([1.0]), t([1.0]), reduction="x")),
    (IndexError, "multilabel_soft_margin_loss: input must have at least 1 dimension",
     lambda f, t: f.multilabel_soft_margin_loss(t(1.0), t(1.0))),
    (RuntimeError, "multilabel_soft_margin_loss: expected a numeric target, got dtype bool",
     lambda f, t: f.multilabel_soft_margin_loss(t([1.0, 2.0]), t([True, False]))),
    (RuntimeError, r"soft_margin_loss.*\(3,\).*\(2,\)",
     lambda f, t: f.soft_margin_loss(t([1.0, 2.0]), t([1.0, -1.0, 1.0]))),
    (RuntimeError, r"hinge_embedding_loss.*\(3,\).*\(2,\)",
     lambda f, t: f.hinge_embedding_loss(t([1.0, 2.0]), t([1.0, -1.0, 1.0]))),
    (RuntimeError, r"margin_ranking_loss: all input tensors should have the same number of "
                   r"dimensions, got input1 \(2, 2\), input2 \(2, 2\), target \(2,\)",
     lambda f, t: f.margin_ranking_loss(t([[1.0, 2.0]] * 2), t([[1.0, 2.0]] * 2), t([1, -1]))),
    (RuntimeError, r"margin_ranking_loss: shapes do not broadcast: input1 \(2,\), input2 \(3,\)",
     lambda f, t: f.margin_ranking_loss(t([1.0, 2.0]), t([1.0, 2.0, 3.0]), t([1, -1]))),
    (RuntimeError, "margin_ranking_loss: expected a numeric target, got dtype bool",
     lambda f, t: f.margin_ranking_loss(t([1.0, 2.0]), t([1.0, 2.0]), t([True, False]))),
    (RuntimeError, r"cosine_embedding_loss: expected a 0-d or 1-d target.*\(2, 1\)",
     lambda f, t: f.cosine_embedding_loss(t([[1.0, 2.0]] * 2), t([[1.0, 2.0]] * 2),
                                          t([[1], [1]]))),
    (RuntimeError, r"cosine_embedding_loss: a 1-d target expects 2-d inputs, got input1 \(2,\)",
     lambda f, t: f.cosine_embedding_loss(t([1.0, 2.0]), t([1.0, 2.0]), t([1, 1]))),
    (RuntimeError, r"cosine_embedding_loss: a 0-d target expects 1-d inputs",
     lambda f, t: f.cosine_embedding_loss(t([[1.0, 2.0]] * 2), t([[1.0, 2.0]] * 2), t(1))),
    (RuntimeError, r"cosine_embedding_loss: shapes do not broadcast.*target \(3, 1\)",
     lambda f, t: f.cosine_embedding_loss(t([[1.0, 2.0]] * 2), t([[1.0, 2.0]] * 2),
                                          t([1, 1, -1]))),
    (RuntimeError, r"cosine_embedding_loss: shapes do not broadcast: input1 \(2, 2\), "
                   r"input2 \(2, 3\)",
     lambda f, t: f.cosine_embedding_loss(t([[1.0, 2.0]] * 2), t([[1.0, 2.0, 3.0]] * 2),
                                          t([1, 1]))),
    (ValueError, "triplet_margin_loss: margin must be greater than 0, got 0",
     lambda f, t: f.triplet_margin_loss(t([1.0]), t([1.0]), t([1.0]), margin=0)),
    (RuntimeError, r"triplet_margin_loss: the anchor, positive, and negative tensors.*"
                   r"anchor \(1,\), positive \(1, 1\), negative \(1,\)",
     lambda f, t: f.triplet_margin_loss(t([1.0]), t([[1.0]]), t([1.0]))),
]


@pytest.mark.parametrize("exc, match, call", NEW_BAD, ids=[m[:40] for _, m, _ in NEW_BAD])
def test_new_losses_bad_input_raises_pytorchs_exception_type(exc, match, call):
    assert_raises_like_torch(exc, match, lambda: call(F, ag.tensor),
                             lambda torch: call(torch.nn.functional, torch.tensor))


@pytest.mark.parametrize("make, exc", [
    (lambda m: m.TripletMarginLoss(margin=-1.0), ValueError),
    (lambda m: m.KLDivLoss(reduction="avg"), ValueError),
    (lambda m: m.GaussianNLLLoss(reduction="max"), ValueError),
])
def test_new_loss_modules_refuse_bad_options(make, exc):
    with pytest.raises(exc, match="Loss"):
        make(nn)
    assert nn.KLDivLoss(reduction="batchmean").reduction == "batchmean"


# ---- multi-class margin losses and the triplet loss with a distance function ------------

def _scores_with_kinks(rng, margin):
    """Scores (6, 5) and class targets; sample 0 has a hinge exactly at its kink
    (margin - x_y + x_1 = 0), where PyTorch passes no gradient."""
    x = rng.standard_normal((6, 5))
    y = np.array([0, 4, 2, 2, 1, 3])
    x[0, 0], x[0, 1] = 0.75, 0.75 - margin
    return x, y


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("margin", [1.0, 0.5])
@pytest.mark.parametrize("weighted", [False, True])
def test_multi_margin_loss_matches_pytorch(reduction, p, margin, weighted):
    torch = pytest.importorskip("torch")
    x, y = _scores_with_kinks(np.random.default_rng(23), margin)
    w = np.array([0.5, 2.0, 1.0, 3.0, 0.25]) if weighted else None
    kw = dict(p=p, margin=margin, reduction=reduction)
    tw = None if w is None else torch.tensor(w)
    for xs, ys in [(x, y), (x[1], y[1]), (x[2], y[2:3]), (x[:0], y[:0])]:
        if not len(xs) and reduction == "mean":
            continue   # (an empty batch: see below)
        _assert_parity(torch, lambda a, b: F.multi_margin_loss(a, b, weight=w, **kw),
                       lambda a, b: torch.nn.functional.multi_margin_loss(a, b, weight=tw, **kw),
                       xs, ys)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_margin_loss_matches_pytorch(reduction):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(24)
    x = rng.standard_normal((6, 5))
    y = np.array([[3, 0, -1, 1, 1],      # padding after the first -1 is ignored
                  [1, 2, 3, 4, -1],
                  [-1, 1, 2, 3, 4],      # nothing listed: no loss
                  [2, 2, -1, -1, -1],    # a class listed twice counts twice
                  [0, 1, 2, 3, 4],       # everything listed: no loss
                  [4, -1, 0, 0, 0]])
    x[1, 1], x[1, 0] = 0.5, -0.5         # 1 - (x_1 - x_0) = 0: at the kink
    for xs, ys in [(x, y), (x[0], y[0]), (x[:0], y[:0])]:
        if not len(xs) and reduction == "mean":
            continue
        _assert_parity(torch, lambda a, b: F.multilabel_margin_loss(a, b, reduction=reduction),
                       lambda a, b: torch.nn.functional.multilabel_margin_loss(
                           a, b, reduction=reduction), xs, ys)


def _distances(torch):
    """name -> (our distance function, PyTorch's) for triplet_margin_with_distance_loss."""
    tF = torch.nn.functional
    return {
        "default": (None, None),
        "cosine": (lambda u, v: 1.0 - F.cosine_similarity(u, v, dim=-1),
                   lambda u, v: 1.0 - tF.cosine_similarity(u, v, dim=-1)),
        "l1_module": (nn.PairwiseDistance(p=1.0), torch.nn.PairwiseDistance(p=1.0)),
    }


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("distance", ["default", "cosine", "l1_module"])
@pytest.mark.parametrize("margin", [1.0, 0.2])
def test_triplet_margin_with_distance_loss_matches_pytorch(reduction, swap, distance, margin):
    torch = pytest.importorskip("torch")
    ours, theirs = _distances(torch)[distance]
    rng = np.random.default_rng(25)
    for shape in [(8, 3), (3,)]:
        a, pos, neg = (rng.standard_normal(shape) for _ in range(3))
        if len(shape) == 2:
            neg[1] = a[1] + 0.1                       # a near negative: swap matters
        kw = dict(margin=margin, swap=swap, reduction=reduction)
        _assert_parity(torch, lambda *t: F.triplet_margin_with_distance_loss(
                           *t, distance_function=ours, **kw),
                       lambda *t: torch.nn.functional.triplet_margin_with_distance_loss(
                           *t, distance_function=theirs, **kw), a, pos, neg)


def test_multi_margin_loss_by_hand():
    """Sample scores [0.2, 0.5, -0.1], target 0, margin 1: hinges 1.3 and 0.7 (the
    target's own term left out), divided by C = 3; class weight 3 multiplies the p-th
    power, as PyTorch's kernel does."""
    x = ag.tensor([[0.2, 0.5, -0.1]], dtype=ag.float64, requires_grad=True)
    w = np.array([3.0, 1.0, 1.0])
    assert F.multi_margin_loss(x, [0]).item() == pytest.approx(2.0 / 3, rel=1e-14)
    loss = F.multi_margin_loss(x, [0], p=2, weight=w)
    assert loss.item() == pytest.approx(3 * (1.3 ** 2 + 0.7 ** 2) / 3, rel=1e-14)
    loss.backward()
    np.testing.assert_allclose(x.grad.data, [[-2 * (1.3 + 0.7), 2 * 1.3, 2 * 0.7]], rtol=1e-14)
    # margin 0.2: only class 1 is within the margin (0.2 - 0.2 + 0.5 > 0 > 0.2 - 0.2 - 0.1)
    assert F.multi_margin_loss(x, [0], margin=0.2, reduction="sum").item() == \
        pytest.approx(0.5 / 3, rel=1e-14)


def test_multilabel_margin_loss_by_hand_and_padding():
    """Scores [0.1, 0.2, 0.4, 0.3], classes {3, 0} listed: pairs (3, 1), (3, 2), (0, 1),
    (0, 2) give 1 - 0.3 + 0.2, 1 - 0.3 + 0.4, 1 - 0.1 + 0.2, 1 - 0.1 + 0.4, over C = 4."""
    x = ag.tensor([0.1, 0.2, 0.4, 0.3], dtype=ag.float64, requires_grad=True)
    want = (0.9 + 1.1 + 1.1 + 1.3) / 4
    loss = F.multilabel_margin_loss(x, [3, 0, -1, -1])
    assert loss.item() == pytest.approx(want, rel=1e-14)
    # what follows the first -1 is padding, whatever it holds
    assert F.multilabel_margin_loss(x, [3, 0, -1, 2]).item() == pytest.approx(want, rel=1e-14)
    loss.backward()
    np.testing.assert_allclose(x.grad.data, np.array([-2, 2, 2, -2]) / 4, rtol=1e-14)
    assert F.multilabel_margin_loss(x, [-1, 0, 1, 2]).item() == 0.0
    assert F.multilabel_margin_loss(x, [0, 1, 2, 3]).item() == 0.0


def test_triplet_margin_with_distance_loss_uses_the_distance_given():
    a, p, n = ag.tensor([[0.0, 0.0]]), ag.tensor([[3.0, 4.0]]), ag.tensor([[0.0, 6.0]])
    sq = lambda u, v: ((u - v) ** 2).sum(-1)   # noqa: E731
    # squared distances 25 (a, p), 36 (a, n), 13 (p, n)
    assert F.triplet_margin_with_distance_loss(a, p, n, distance_function=sq).item() == 0.0
    assert F.triplet_margin_with_distance_loss(
        a, p, n, distance_function=sq, swap=True).item() == pytest.approx(1 + 25 - 13)
    m = nn.TripletMarginWithDistanceLoss(distance_function=sq, margin=12.0)
    assert m(a, p, n).item() == pytest.approx(12 + 25 - 36)
    assert nn.TripletMarginWithDistanceLoss()(a, p, n).item() == pytest.approx(
        max(0.0, 1 + 5 - 6), abs=1e-5)


def test_margin_losses_of_an_empty_batch():
    """sum and none as PyTorch; the mean of no samples is nan, as every loss here
    (PyTorch 2.13 returns an uninitialized value for these two)."""
    x = ag.zeros(0, 4)
    for loss, t in ((F.multi_margin_loss, ag.zeros(0, dtype=ag.int64)),
                    (F.multilabel_margin_loss, ag.zeros(0, 4, dtype=ag.int64))):
        assert loss(x, t, reduction="sum").item() == 0.0
        assert loss(x, t, reduction="none").shape == (0,)
        assert np.isnan(loss(x, t).item())


def test_multi_margin_weight_gets_no_gradient_and_is_a_buffer():
    w = ag.tensor([1.0, 2.0, 0.5], requires_grad=True)
    x = ag.randn(4, 3)
    with pytest.raises(RuntimeError, match="multi_margin_loss: not differentiable.*weight"):
        F.multi_margin_loss(x, [0, 1, 2, 1], weight=w)
    m = nn.MultiMarginLoss(p=2, margin=0.5, weight=w.detach())
    assert list(m.state_dict()) == ["weight"] and (m.p, m.margin) == (2, 0.5)
    assert m(x, [0, 1, 2, 1]).item() == pytest.approx(
        F.multi_margin_loss(x, [0, 1, 2, 1], p=2, margin=0.5, weight=w.detach()).item())


MARGIN_CASES = {   # module name: (our kwargs, PyTorch's, inputs of an rng, grad indices)
    "MultiMarginLoss": (lambda nn_: dict(p=2, margin=0.5, weight=nn_.tensor(
                            np.array([1.0, 2.0, 0.5, 1.5], np.float32))),
                        lambda r: [r.standard_normal((5, 4)), r.integers(0, 4, 5)], {0}),
    "MultiLabelMarginLoss": (lambda nn_: dict(reduction="sum"),
                             lambda r: [r.standard_normal((5, 4)),
                                        np.array([[1, 2, -1, 0]] * 3 + [[0, 3, 2, 1]] * 2)],
                             {0}),
    "TripletMarginWithDistanceLoss": (
        lambda nn_: dict(distance_function=nn_.nn.PairwiseDistance(p=1.0), margin=0.5,
                         swap=True),
        lambda r: [r.standard_normal((5, 4)) for _ in range(3)], {0, 1, 2}),
}


@pytest.mark.parametrize("name", sorted(MARGIN_CASES))
@pytest.mark.parametrize("defaults", [True, False])
def test_margin_loss_modules_match_pytorch_in_float32(name, defaults):
    torch = pytest.importorskip("torch")

    class Ours:   # (our tensor constructor and nn, the way kwargs reach torch's)
        tensor, nn = staticmethod(ag.tensor), nn
    kwargs, make, grad = MARGIN_CASES[name]
    ours = getattr(nn, name)(**({} if defaults else kwargs(Ours)))
    theirs = getattr(torch.nn, name)(**({} if defaults else kwargs(torch)))
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for attr in ("reduction", "p", "margin", "swap"):
        assert getattr(ours, attr, None) == getattr(theirs, attr, None), attr
    arrays = [a.astype(np.float32) if a.dtype.kind == "f" else a
              for a in make(np.random.default_rng(26))]
    out, grads, u = _run(ours, *arrays, grad=grad)
    tout, tgrads = _torch_run(torch, theirs, *arrays, u=u, grad=grad)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, tout, rtol=2e-6, atol=2e-6)
    for i in grad:
        np.testing.assert_allclose(grads[i], tgrads[i], rtol=2e-5, atol=2e-7)


def test_triplet_with_distance_repr_with_a_function_matches_pytorch():
    torch = pytest.importorskip("torch")
    ours = nn.TripletMarginWithDistanceLoss(distance_function=lambda u, v: (u - v).abs())
    theirs = torch.nn.TripletMarginWithDistanceLoss(distance_function=lambda u, v: (u - v).abs())
    assert repr(ours) == repr(theirs) == "TripletMarginWithDistanceLoss()"


_X, _Y = [[0.1, 0.2, 0.3, 0.4]] * 3, [0, 3, 1]
_L = [[3, 0, -1, 1], [1, 2, 3, -1], [-1, 1, 2, 3]]
MARGIN_BAD = [
    (ValueError, "multi_margin_loss: only p == 1 and p == 2 supported, got p=3",
     lambda f, m, t: f.multi_margin_loss(t(_X), t(_Y), p=3)),
    (ValueError, "MultiMarginLoss: only p == 1 and p == 2 supported",
     lambda f, m, t: m.MultiMarginLoss(p=3)),
    (ValueError, r"multi_margin_loss: weight must be one-dimensional, got shape \(2, 2\)",
     lambda f, m, t: f.multi_margin_loss(t(_X), t(_Y), weight=t([[1.0, 1.0]] * 2))),
    (ValueError, "MultiMarginLoss: weight must be one-dimensional",
     lambda f, m, t: m.MultiMarginLoss(weight=t([[1.0, 1.0]] * 2))),
    (RuntimeError, r"multi_margin_loss: inconsistent weight size, expected 4 but got \(3,\)",
     lambda f, m, t: f.multi_margin_loss(t(_X), t(_Y), weight=t([1.0] * 3))),
    (RuntimeError, "multi_margin_loss: weight dtype float64 differs from the input dtype float32",
     lambda f, m, t: f.multi_margin_loss(t(_X), t(_Y), weight=t(np.ones(4)))),
    (RuntimeError, "multi_margin_loss: target out of range: 4 for 4 classes",
     lambda f, m, t: f.multi_margin_loss(t(_X), t([0, 4, 1]))),
    (RuntimeError, "multi_margin_loss: target out of range: -1",
     lambda f, m, t: f.multi_margin_loss(t(_X), t([0, -1, 1]))),
    (RuntimeError, "multi_margin_loss: expected an integer.*got dtype float32",
     lambda f, m, t: f.multi_margin_loss(t(_X), t([0.0, 3.0, 1.0]))),
    (RuntimeError, "multi_margin_loss: expected an integer.*got dtype bool",
     lambda f, m, t: f.multi_margin_loss(t(_X), t([True, False, True]))),
    (RuntimeError, r"multi_margin_loss: target tensor should be 1-D.*\(3,\), but got \(2,\)",
     lambda f, m, t: f.multi_margin_loss(t(_X), t([0, 1]))),
    (RuntimeError, r"multi_margin_loss: target tensor should be 1-D.*got \(3, 1\)",
     lambda f, m, t: f.multi_margin_loss(t(_X), t([[0], [3], [1]]))),
    (RuntimeError, r"multi_margin_loss: Expected non-empty vector or matrix.*\(1, 3, 4\)",
     lambda f, m, t: f.multi_margin_loss(t([_X]), t(_Y))),
    (RuntimeError, r"multi_margin_loss: Expected non-empty vector or matrix.*\(2, 0\)",
     lambda f, m, t: f.multi_margin_loss(t(np.ones((2, 0), np.float32)), t([0, 0]))),
    (NotImplementedError, "multi_margin_loss: expected a floating point input",
     lambda f, m, t: f.multi_margin_loss(t([[1, 2, 3]]), t([0]))),
    (ValueError, "multi_margin_loss: 'avg' is not a valid value for reduction",
     lambda f, m, t: f.multi_margin_loss(t(_X), t(_Y), reduction="avg")),
    (RuntimeError, "multilabel_margin_loss: argument #2 'target' is out of range: 4",
     lambda f, m, t: f.multilabel_margin_loss(t(_X), t([[4, 0, -1, 1]] * 3))),
    (RuntimeError, "multilabel_margin_loss: argument #2 'target' is out of range: -2",
     lambda f, m, t: f.multilabel_margin_loss(t(_X), t([[-2, 0, -1, 1]] * 3))),
    (RuntimeError, "multilabel_margin_loss: argument #2 'target' is out of range: 5",
     lambda f, m, t: f.multilabel_margin_loss(t(_X), t([[0, -1, 5, 1]] * 3))),
    (RuntimeError, "multilabel_margin_loss: expected an integer.*float32",
     lambda f, m, t: f.multilabel_margin_loss(t(_X), t(np.array(_L, np.float32)))),
    (RuntimeError, r"multilabel_margin_loss: inconsistent target size: \(3, 3\) for input of "
                   r"size: \(3, 4\)",
     lambda f, m, t: f.multilabel_margin_loss(t(_X), t([r[:3] for r in _L]))),
    (RuntimeError, r"multilabel_margin_loss: inconsistent target size: \(4,\)",
     lambda f, m, t: f.multilabel_margin_loss(t(_X), t(_L[0]))),
    (RuntimeError, r"multilabel_margin_loss: inconsistent target size: \(1, 4\) for input of "
                   r"size: \(4,\)",
     lambda f, m, t: f.multilabel_margin_loss(t(_X[0]), t(_L[:1]))),
    (RuntimeError, "multilabel_margin_loss: Expected non-empty vector or matrix",
     lambda f, m, t: f.multilabel_margin_loss(t([_X]), t([_L]))),
    (NotImplementedError, "multilabel_margin_loss: expected a floating point input",
     lambda f, m, t: f.multilabel_margin_loss(t(_L), t(_L))),
    (ValueError, "triplet_margin_with_distance_loss: margin must be greater than 0, got 0",
     lambda f, m, t: f.triplet_margin_with_distance_loss(t(_X), t(_X), t(_X), margin=0)),
    (ValueError, "TripletMarginWithDistanceLoss: expected margin to be greater than 0, got "
                 "-1.0 instead",
     lambda f, m, t: m.TripletMarginWithDistanceLoss(margin=-1.0)),
    (RuntimeError, r"triplet_margin_with_distance_loss: The anchor, positive, and negative.*"
                   r"anchor \(3, 4\), positive \(4,\), and negative \(3, 4\)",
     lambda f, m, t: f.triplet_margin_with_distance_loss(t(_X), t(_X[0]), t(_X))),
    (ValueError, "triplet_margin_with_distance_loss: 'x' is not a valid value for reduction",
     lambda f, m, t: f.triplet_margin_with_distance_loss(t(_X), t(_X), t(_X), reduction="x")),
    (TypeError, "positional argument",   # distance_function and the rest are keyword-only
     lambda f, m, t: f.triplet_margin_with_distance_loss(t(_X), t(_X), t(_X), None)),
    (TypeError, "positional argument",
     lambda f, m, t: m.TripletMarginWithDistanceLoss(None)),
]


@pytest.mark.parametrize("exc, match, call", MARGIN_BAD, ids=[m[:50] for _, m, _ in MARGIN_BAD])
def test_margin_losses_bad_input_raises_pytorchs_exception_type(exc, match, call):
    assert_raises_like_torch(exc, match, lambda: call(F, nn, ag.tensor),
                             lambda torch: call(torch.nn.functional, torch.nn, torch.tensor))
