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
