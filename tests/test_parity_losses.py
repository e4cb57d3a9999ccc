"""Losses against PyTorch 2.13, second pass: the options and edge cases the first audit
missed.  Each test pins a behaviour PyTorch has (values derived by hand, or compared
with torch when it is installed): per-element weights of the regression losses,
differentiable class weights of probability targets, dtype promotion with a wider or
0-d target, and the exception types for bad weights, targets and inputs."""
from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
from nn import functional as F


def _logsoftmax(x: np.ndarray, axis: int = 1) -> np.ndarray:
    z = x - x.max(axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis, keepdims=True))


# ---- regression losses: weight, bool targets, promotion ---------------------------------

def test_regression_losses_take_a_per_element_weight():
    x = ag.tensor([[1.0, 2.0], [3.0, -1.0]], dtype=ag.float64, requires_grad=True)
    y = np.array([[0.0, 0.0], [1.0, 0.5]])
    w = ag.tensor([[1.0, 0.5], [2.0, 0.0]], dtype=ag.float64, requires_grad=True)
    # mse: weighted squares [1, 2, 8, 0]; the mean divides by sum(w) = 3.5
    loss = F.mse_loss(x, y, weight=w)
    assert loss.item() == pytest.approx(11.0 / 3.5, rel=1e-15)
    gx, gw = ag.grad(loss, [x, w])
    np.testing.assert_allclose(gx.data, 2 * w.data * (x.data - y) / 3.5, rtol=1e-15)
    np.testing.assert_allclose(gw.data, ((x.data - y) ** 2 - 11.0 / 3.5) / 3.5, rtol=1e-14)
    assert F.l1_loss(x, y, weight=w, reduction="sum").item() == 1.0 + 1.0 + 4.0
    np.testing.assert_array_equal(F.l1_loss(x, y, weight=w, reduction="none").data,
                                  [[1.0, 1.0], [4.0, 0.0]])
    # huber (delta 1): [0.5, 1.5, 1.5, 1.0] weighted [0.5, 0.75, 3, 0]; its mean divides
    # by the element count, not by the weights (PyTorch's huber_loss)
    assert F.huber_loss(x, y, weight=w).item() == pytest.approx(4.25 / 4, rel=1e-15)
    assert F.huber_loss(x, y, weight=w, reduction="sum").item() == pytest.approx(4.25)


@pytest.mark.parametrize("loss", [F.mse_loss, F.l1_loss, F.huber_loss])
def test_regression_weight_must_have_the_input_shape(loss):
    with pytest.raises(ValueError, match=r"weight \(3,\), input \(2, 3\)"):
        loss(ag.zeros(2, 3), ag.zeros(2, 3), weight=ag.ones(3))


def test_mse_and_huber_take_a_bool_target_and_l1_does_not():
    x = ag.tensor([0.5, 0.25, 2.0])
    t = ag.tensor([True, False, True])
    assert F.mse_loss(x, t).item() == pytest.approx((0.25 + 0.0625 + 1.0) / 3)
    assert F.huber_loss(x, t, reduction="sum").item() == pytest.approx(0.125 + 0.03125 + 0.5)
    assert F.mse_loss(x, t).dtype == np.float32
    with pytest.raises(RuntimeError, match="l1_loss.*bool"):
        F.l1_loss(x, t)


def test_a_wider_0d_target_or_input_promotes_the_loss():
    """PyTorch broadcasts before promoting, so a 0-d float64 operand is not 'weak'."""
    x = ag.tensor(np.array([[0.5, 1.5, 2.5]], np.float32), requires_grad=True)
    y = ag.tensor(np.array(1.0))
    for loss, want in ((F.mse_loss, 2.75 / 3), (F.l1_loss, 2.5 / 3)):
        with pytest.warns(UserWarning, match="different to the input size"):
            out = loss(x, y)
        assert out.dtype == np.float64
        assert out.item() == pytest.approx(want, rel=1e-15)
        (gx,) = ag.grad(out, [x])
        assert gx.dtype == np.float32
    with pytest.warns(UserWarning, match="different to the input size"):
        assert F.mse_loss(ag.tensor(np.array(1.0)), x.detach()).dtype == np.float64


def test_integer_input_raises_not_implemented_like_pytorch():
    i = ag.tensor([[1, 2], [0, 1]])
    for call in (lambda: F.mse_loss(i, i), lambda: F.huber_loss(i, i),
                 lambda: F.cross_entropy(i, ag.tensor([0, 1])),
                 lambda: F.nll_loss(i, ag.tensor([0, 1])),
                 lambda: F.binary_cross_entropy_with_logits(i, i)):
        with pytest.raises(NotImplementedError, match="floating point input.*int64"):
            call()


# ---- cross entropy and nll --------------------------------------------------------------

def test_probability_targets_refuse_ignore_index():
    x, y = ag.randn(2, 3), ag.full((2, 3), 1 / 3)
    with pytest.raises(RuntimeError, match=r"cross_entropy: ignore_index \(1\) is not supported"):
        F.cross_entropy(x, y, ignore_index=1)
    with pytest.raises(RuntimeError, match="ignore_index"):
        nn.CrossEntropyLoss(ignore_index=0)(x, y)
    F.cross_entropy(x, y, ignore_index=-100)     # the default is fine


def test_probability_targets_differentiate_the_class_weight():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((3, 4)), rng.random((3, 4))
    w = ag.tensor(np.array([0.5, 1.0, 2.0, 0.25]), requires_grad=True)
    loss = F.cross_entropy(ag.tensor(x), ag.tensor(y), weight=w)
    (gw,) = ag.grad(loss, [w])
    np.testing.assert_allclose(gw.data, -(y * _logsoftmax(x)).mean(0), rtol=1e-14)


def test_index_targets_refuse_a_weight_requiring_grad_or_of_another_dtype():
    x = ag.randn(3, 4, requires_grad=True)
    t = ag.tensor([0, 3, 1])
    w = ag.ones(4, requires_grad=True)
    for fn in (F.cross_entropy, F.nll_loss):
        with pytest.raises(RuntimeError, match="not differentiable with respect to the weight"):
            fn(x, t, weight=w)
        with ag.no_grad():
            assert fn(x, t, weight=w).item() == pytest.approx(fn(x, t).item())
        with pytest.raises(RuntimeError, match="weight dtype float64 differs from the input "
                                               "dtype float32"):
            fn(x, t, weight=ag.ones(4, dtype=ag.float64))
    # an array or list weight takes the input's dtype (PyTorch takes only tensors)
    assert F.cross_entropy(x, t, weight=np.ones(4)).dtype == np.float32


def test_a_wider_probability_target_or_weight_promotes_the_loss():
    rng = np.random.default_rng(1)
    x32 = rng.standard_normal((2, 3)).astype(np.float32)
    y = rng.random((2, 3))
    want = -(y * _logsoftmax(x32.astype(np.float64))).sum(1).mean()
    out = F.cross_entropy(ag.tensor(x32), ag.tensor(y))
    assert out.dtype == np.float64
    assert out.item() == pytest.approx(want, rel=1e-6)   # float32 log-softmax inside
    w = ag.tensor(np.ones(3))
    assert F.cross_entropy(ag.tensor(x32), ag.tensor(y.astype(np.float32)), weight=w).dtype \
        == np.float64


def test_one_sample_takes_a_target_of_shape_1():
    x = ag.tensor([0.5, -1.0, 2.0, 0.0], dtype=ag.float64, requires_grad=True)
    for fn in (F.cross_entropy, F.nll_loss):
        a = fn(x, ag.tensor([2]), reduction="none")
        b = fn(x, ag.tensor(2), reduction="none")
        assert a.shape == () and a.item() == b.item()
        (g,) = ag.grad(fn(x, ag.tensor([2])), [x])
        (h,) = ag.grad(fn(x, ag.tensor(2)), [x])
        np.testing.assert_array_equal(g.data, h.data)
    with pytest.raises(ValueError, match=r"one sample.*\(2,\)"):
        F.cross_entropy(x, ag.tensor([2, 1]))


def test_0d_input_raises_the_types_of_both_libraries():
    """PyTorch raises RuntimeError from cross_entropy, ValueError from nll_loss."""
    with pytest.raises(ValueError, match="nll_loss.*0-d"):
        F.nll_loss(ag.tensor(1.0), ag.tensor(0))
    with pytest.raises(RuntimeError, match="cross_entropy.*0-d"):
        F.cross_entropy(ag.tensor(1.0), ag.tensor(0))


# ---- binary cross entropy -----------------------------------------------------------------

def test_bce_refuses_a_target_outside_0_1():
    for y in (1.5, -0.25):
        with pytest.raises(RuntimeError, match="all elements of target should be between 0 "
                                               "and 1"):
            F.binary_cross_entropy(ag.tensor([0.5, 0.5]), ag.tensor([0.0, y]))


@pytest.mark.parametrize("name, shape", [("weight", (2, 3, 4)), ("weight", (5,)),
                                         ("pos_weight", (2, 1, 1)), ("pos_weight", (3,))])
def test_bce_weights_must_broadcast_to_the_input_without_enlarging_it(name, shape):
    x, y = ag.zeros(3, 4), ag.ones(3, 4)
    if name == "weight":
        with pytest.raises(RuntimeError, match=rf"binary_cross_entropy: weight of shape "
                                               rf"{re_shape(shape)} does not broadcast"):
            F.binary_cross_entropy(x + 0.5, y, weight=ag.ones(*shape))
    with pytest.raises(RuntimeError, match=rf"with_logits: {name} of shape {re_shape(shape)}"):
        F.binary_cross_entropy_with_logits(x, y, **{name: ag.ones(*shape)})


def re_shape(shape: tuple) -> str:
    return str(shape).replace("(", r"\(").replace(")", r"\)")


def test_bce_weights_take_the_dtype_of_the_loss():
    x = ag.tensor(np.array([0.25, 0.75], np.float32), requires_grad=True)
    y = ag.tensor(np.array([0.0, 1.0], np.float32))
    w64 = ag.tensor(np.array([1.0, 3.0]))
    out = F.binary_cross_entropy(x, y, weight=w64)
    assert out.dtype == np.float32
    assert out.item() == pytest.approx(-(np.log(0.75) + 3 * np.log(0.75)) / 2, rel=1e-6)
    assert F.binary_cross_entropy_with_logits(x, y, weight=w64).dtype == np.float32
    assert F.binary_cross_entropy_with_logits(x, y, pos_weight=w64).dtype == np.float32


# ---- PyTorch parity of the new paths (values, gradients, second derivatives) -------------

def _parity(torch, ours, theirs, arrays, grad, tol=1e-12):
    ts = [ag.tensor(a, requires_grad=i in grad) for i, a in enumerate(arrays)]
    tt = [torch.tensor(a, requires_grad=i in grad) for i, a in enumerate(arrays)]
    out, tout = ours(*ts), theirs(*tt)
    assert out.dtype == tout.detach().numpy().dtype and out.shape == tuple(tout.shape)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=tol, atol=tol)
    u = np.random.default_rng(2).standard_normal(out.shape)
    g = ag.grad((out * ag.tensor(u)).sum(), [ts[i] for i in grad], create_graph=True)
    tg = torch.autograd.grad((tout * torch.tensor(u)).sum(), [tt[i] for i in grad],
                             create_graph=True)
    for a, b in zip(g, tg):
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=tol, atol=tol)
    vs = [np.random.default_rng(3 + i).standard_normal(arrays[i].shape) for i in grad]
    h = ag.grad(sum((a * ag.tensor(v)).sum() for a, v in zip(g, vs)), [ts[i] for i in grad],
                allow_unused=True)
    th = torch.autograd.grad(sum((b * torch.tensor(v)).sum() for b, v in zip(tg, vs)),
                             [tt[i] for i in grad], allow_unused=True)
    for a, b in zip(h, th):
        a = np.zeros_like(b.numpy()) if a is None else a.data
        np.testing.assert_allclose(a, b.numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
def test_weighted_regression_matches_pytorch(name, reduction):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    x, y, w = rng.standard_normal((3, 4)) * 2, rng.standard_normal((3, 4)), rng.random((3, 4))
    _parity(torch, lambda a, b, c: getattr(F, name)(a, b, reduction=reduction, weight=c),
            lambda a, b, c: getattr(torch.nn.functional, name)(a, b, reduction=reduction,
                                                               weight=c),
            [x, y, w], grad=(0, 1, 2))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 2), (3,)])
def test_probability_cross_entropy_with_weight_gradient_matches_pytorch(shape, reduction):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal(shape), rng.random(shape)
    w = rng.random(shape[1] if len(shape) > 1 else shape[0]) + 0.5
    kw = dict(reduction=reduction, label_smoothing=0.1)
    _parity(torch, lambda a, b, c: F.cross_entropy(a, b, weight=c, **kw),
            lambda a, b, c: torch.nn.functional.cross_entropy(a, b, weight=c, **kw),
            [x, y, w], grad=(0, 1, 2))
