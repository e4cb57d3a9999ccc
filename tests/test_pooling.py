"""Pooling beyond the op table: Hypothesis over every option against finite differences
(float64), the arg-max rule for ties, double backward through the scatter/gather pair,
PyTorch parity (outputs, indices, gradients) for every option, modules and errors."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd as ag
import nn
from nn import functional as F

from autograd.graph import apply
from nn.functional.pooling import MaxPool2d, MaxPoolGather, _pool_geometry
from numeric import numeric_grad
from optable.nn_conv import _windows, np_avg_pool2d, np_max_pool2d


@st.composite
def pool_cases(draw, kind):
    """(x, kwargs) for max_pool2d or avg_pool2d with every option drawn; max-pool
    inputs are distinct multiples of 0.01, so no window holds a (near-)tie."""
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) if kind == "max" else (1, 1)
    p = tuple(draw(st.integers(0, kk // 2)) for kk in k)
    side = [dd * (kk - 1) + 1 + draw(st.integers(0, 3)) for kk, dd in zip(k, d)]
    shape = draw(st.sampled_from([(1, 2), (2, 1), (2,)])) + tuple(side)
    seed = draw(st.integers(0, 2 ** 16))
    rng = np.random.default_rng(seed)
    x = rng.permutation(np.arange(np.prod(shape)) - 40).reshape(shape) * 0.01
    kw = dict(kernel_size=k, stride=s, padding=p, ceil_mode=draw(st.booleans()))
    if kind == "max":
        kw["dilation"] = d
    else:
        kw["count_include_pad"] = draw(st.booleans())
    return x, kw


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pooling_gradients_match_finite_differences(kind):
    fn, ref = (F.max_pool2d, np_max_pool2d) if kind == "max" else (F.avg_pool2d, np_avg_pool2d)

    @given(pool_cases(kind))
    def check(case):
        x, kw = case
        want = ref(x, **kw)
        got = fn(ag.tensor(x), **kw)
        np.testing.assert_allclose(got.data, want, rtol=1e-12, atol=1e-15, err_msg=str(kw))
        u = np.random.default_rng(0).standard_normal(want.shape)

        def scalar(t):
            return (fn(t, **kw) * ag.tensor(u)).sum()
        t = ag.tensor(x, requires_grad=True)
        (g,) = ag.grad(scalar(t), t)
        np.testing.assert_allclose(g.data, numeric_grad(scalar, [x], eps=1e-4)[0], rtol=1e-6,
                                   atol=1e-8, err_msg=str(kw))
    check()


def test_max_pool_ties_send_the_gradient_to_the_first_maximum():
    x = ag.tensor(np.array([[[[1.0, 1.0, 0.0],
                              [1.0, 1.0, 2.0],
                              [2.0, 0.0, 2.0]]]]), requires_grad=True)
    y, idx = F.max_pool2d(x, 2, 1, return_indices=True)
    np.testing.assert_array_equal(idx.data[0, 0], [[0, 5], [6, 5]])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data[0, 0], [[1, 0, 0], [0, 0, 2], [1, 0, 0]])


def test_max_pool_propagates_nan_like_pytorch():
    x = ag.tensor(np.array([[[[1.0, np.nan], [3.0, 0.0]]]]))
    assert np.isnan(F.max_pool2d(x, 2).item())


def _torch_rule_winners(x, kernel_size, stride, padding, dilation, ceil_mode):
    """Each window's winning flat index h*W + w by PyTorch's rule, window by window:
    among the taps inside the input, in row-major order, the first that is greater than
    the maximum so far (which starts at -inf) or is NaN."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = (
        (v, v) if isinstance(v, int) else v for v in (kernel_size, stride, padding, dilation))
    H, W = x.shape[-2:]
    rows = _windows(H, kh, sh, ph, dh, ceil_mode)
    cols = _windows(W, kw, sw, pw, dw, ceil_mode)
    idx = np.empty(x.shape[:-2] + (len(rows), len(cols)), np.int64)
    for lead in np.ndindex(*x.shape[:-2]):
        for i, r in enumerate(rows):
            for j, c in enumerate(cols):
                taps = [(r + a * dh) * W + c + b * dw for a in range(kh) for b in range(kw)
                        if 0 <= r + a * dh < H and 0 <= c + b * dw < W]
                best, win = -np.inf, taps[0]
                for t in taps:
                    v = x[lead].flat[t]
                    if v > best or np.isnan(v):
                        best, win = v, t
                idx[lead + (i, j)] = win
    return idx


@st.composite
def nan_inf_pool_cases(draw):
    """max_pool2d inputs of NaN, -inf, inf and tied values with padding, where the
    running-maximum rule must neither stop at a NaN nor let the padding win; no window
    lies wholly in the padding (PyTorch's index is undefined there)."""
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    kw = dict(kernel_size=k, stride=(draw(st.integers(1, 2)), draw(st.integers(1, 2))),
              padding=tuple(draw(st.integers(0, kk // 2)) for kk in k),
              dilation=(draw(st.integers(1, 2)), draw(st.integers(1, 2))),
              ceil_mode=draw(st.booleans()))
    side = [dd * (kk - 1) + 1 + draw(st.integers(0, 3)) for kk, dd in zip(k, kw["dilation"])]
    values = st.sampled_from([np.nan, -np.inf, np.inf, 0.0, 1.0, -1.0])
    x = np.array(draw(st.lists(values, min_size=2 * side[0] * side[1],
                               max_size=2 * side[0] * side[1]))).reshape([1, 2] + side)
    return x, kw


@settings(max_examples=60)
@given(nan_inf_pool_cases())
def test_max_pool_winner_is_pytorchs_with_nan_inf_and_padding(case):
    x, kw = case
    want = _torch_rule_winners(x, **kw)
    t = ag.tensor(x, requires_grad=True)
    y, idx = F.max_pool2d(t, return_indices=True, **kw)
    np.testing.assert_array_equal(idx.data, want, err_msg=str(kw))
    np.testing.assert_array_equal(y.data, np.take_along_axis(
        x.reshape(2, -1), want.reshape(2, -1), 1).reshape(want.shape))
    y.backward(ag.ones(y.shape, dtype=y.dtype))
    grad = np.zeros(x.size)
    np.add.at(grad, (want + np.arange(2).reshape(1, 2, 1, 1) * x[0, 0].size).ravel(), 1)
    np.testing.assert_array_equal(t.grad.data, grad.reshape(x.shape), err_msg=str(kw))


def test_max_pool_double_backward_is_a_gather():
    """d/dg <maxpool'(x)^T g, v> = v at each window's winner (the gather)."""
    rng = np.random.default_rng(1)
    x = ag.tensor(rng.permutation(50).reshape(1, 2, 5, 5) * 0.1, requires_grad=True)
    g = ag.tensor(rng.standard_normal((1, 2, 3, 3)), requires_grad=True)
    v = rng.standard_normal((1, 2, 5, 5))
    y, idx = F.max_pool2d(x, 3, 2, 1, return_indices=True)
    (gx,) = ag.grad(y, x, grad_outputs=g, create_graph=True)
    (gg,) = ag.grad((gx * ag.tensor(v)).sum(), g, create_graph=True)
    want = np.take_along_axis(v.reshape(1, 2, -1), idx.data.reshape(1, 2, -1), 2)
    np.testing.assert_array_equal(gg.data, want.reshape(1, 2, 3, 3))


def test_max_pool_gather_backward_is_the_scatter():
    """Third order: the gather (max pooling's second derivative) differentiates into the
    scatter, which adds at every winner (windows overlap here: repeats accumulate)."""
    rng = np.random.default_rng(2)
    x = ag.tensor(rng.permutation(50).reshape(1, 2, 5, 5) * 0.1)
    geo = _pool_geometry("max_pool2d", x.shape, 3, 1, 1, 1, False)
    _, win = apply(MaxPool2d, x, geo=geo)
    v = ag.tensor(rng.standard_normal((1, 2, 5, 5)), requires_grad=True)
    u = rng.standard_normal((1, 2, 5, 5))
    (back,) = ag.grad((apply(MaxPoolGather, v, win.data, geo=geo) * ag.tensor(u)).sum(), v)
    _, idx = F.max_pool2d(x, 3, 1, 1, return_indices=True)
    want = np.zeros((1, 2, 25))
    for c in range(2):
        np.add.at(want[0, c], idx.data[0, c].ravel(), u[0, c].ravel())
    np.testing.assert_allclose(back.data, want.reshape(1, 2, 5, 5))


@settings(max_examples=10)
@given(pool_cases("avg"))
def test_avg_pool_double_backward_is_avg_pool(case):
    """avg_pool is linear: the gradient of <A^T g, v> with respect to g is A v."""
    x, kw = case
    g = ag.tensor(np.ones(np_avg_pool2d(x, **kw).shape), requires_grad=True)
    xt = ag.tensor(x, requires_grad=True)
    (gx,) = ag.grad(F.avg_pool2d(xt, **kw), xt, grad_outputs=g, create_graph=True)
    v = np.random.default_rng(2).standard_normal(x.shape)
    (gg,) = ag.grad((gx * ag.tensor(v)).sum(), g)
    np.testing.assert_allclose(gg.data, np_avg_pool2d(v, **kw), rtol=1e-12, atol=1e-14)


def test_adaptive_avg_pool_global_and_unbatched():
    x = np.arange(2 * 3 * 4, dtype=np.float64).reshape(2, 3, 4)
    np.testing.assert_allclose(F.adaptive_avg_pool2d(ag.tensor(x), 1).data,
                               x.mean((1, 2), keepdims=True))
    np.testing.assert_allclose(F.adaptive_avg_pool2d(ag.tensor(x), (None, 2)).data,
                               x.reshape(2, 3, 2, 2).mean(3))


def test_pooling_keeps_float32():
    x = ag.randn(2, 3, 6, 6)
    for y in (F.max_pool2d(x, 2), F.avg_pool2d(x, 3, 1, 1), F.adaptive_avg_pool2d(x, 4),
              F.max_pool1d(x[0], 2)):
        assert y.dtype == np.float32


@pytest.mark.parametrize("call, match", [
    (lambda: F.max_pool2d(ag.randn(1, 2, 4, 4), 2, padding=2),
     r"max_pool2d: pad should be at most half of kernel size"),
    (lambda: F.max_pool2d(ag.randn(1, 1, 9, 9), 3, padding=2, dilation=2),
     r"max_pool2d: pad should be at most half of kernel size"),   # (not of the dilated span)
    (lambda: F.max_pool1d(ag.randn(1, 9, 9), 2, padding=2, dilation=3),
     r"max_pool1d: pad should be at most half of kernel size"),
    (lambda: F.max_pool2d(ag.randn(1, 2, 4, 4), 5),
     r"max_pool2d: Given input size: \(2x4x4\)\. Calculated output size: \(2x0x0\)\. Output "
     r"size is too small"),
    (lambda: F.max_pool2d(ag.randn(4, 4), 2), r"Expected 3D \(unbatched\) or 4D"),
    (lambda: F.max_pool2d(ag.randn(1, 4, 4), 2, stride=0), "stride should not be zero"),
    (lambda: F.avg_pool2d(ag.randn(1, 2, 4, 4), 2, padding=2), "pad should be at most half"),
    (lambda: F.max_pool1d(ag.randn(2, 3, 4), 5), r"max_pool1d: Given input size: \(3x4\)"),
    (lambda: nn.MaxPool2d(3)(ag.randn(2, 2, 2)),
     r"MaxPool2d\(kernel_size=3, .*Output size is too small"),
    (lambda: nn.AvgPool2d(2)(ag.randn(2, 2)), r"AvgPool2d\(kernel_size=2.*Expected 3D"),
])
def test_bad_input_raises_runtime_error_naming_the_op(call, match):
    with pytest.raises(RuntimeError, match=match):
        call()


# ---- PyTorch parity -------------------------------------------------------------------

def _parity(torch, ours_fn, torch_fn, x, kw, indices=False):
    tx, ox = torch.tensor(x, requires_grad=True), ag.tensor(x, requires_grad=True)
    ty, oy = torch_fn(tx, **kw), ours_fn(ox, **kw)
    if indices:
        np.testing.assert_array_equal(oy[1].data, ty[1].numpy())
        assert oy[1].dtype == np.int64
        ty, oy = ty[0], oy[0]
    assert oy.shape == tuple(ty.shape), kw
    np.testing.assert_allclose(oy.data, ty.detach().numpy(), rtol=1e-12, atol=1e-14)
    u = np.random.default_rng(3).standard_normal(oy.shape)
    (ty * torch.tensor(u)).sum().backward()
    (oy * ag.tensor(u)).sum().backward()
    np.testing.assert_allclose(ox.grad.data, tx.grad.numpy(), rtol=1e-12, atol=1e-14,
                               err_msg=str(kw))


MAX2D = [dict(kernel_size=2), dict(kernel_size=3, stride=1, padding=1),
         dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2)),
         dict(kernel_size=3, stride=2, ceil_mode=True),
         dict(kernel_size=2, stride=2, padding=1, ceil_mode=True),
         dict(kernel_size=3, stride=2, padding=1, dilation=2)]


@pytest.mark.parametrize("opts", MAX2D, ids=str)
@pytest.mark.parametrize("shape", [(2, 3, 7, 6), (3, 5, 5)], ids=str)
@pytest.mark.parametrize("return_indices", [False, True])
def test_max_pool2d_matches_pytorch_with_ties(opts, shape, return_indices):
    torch = pytest.importorskip("torch")
    x = np.round(np.random.default_rng(4).standard_normal(shape))   # many ties
    _parity(torch, F.max_pool2d, torch.nn.functional.max_pool2d, x,
            dict(opts, return_indices=return_indices), return_indices)


@pytest.mark.parametrize("opts", [dict(kernel_size=2), dict(kernel_size=3, stride=1, padding=1),
                                  dict(kernel_size=3, stride=2, dilation=2, ceil_mode=True)],
                         ids=str)
@pytest.mark.parametrize("shape", [(2, 3, 9), (3, 8)], ids=str)
def test_max_pool1d_matches_pytorch_with_ties(opts, shape):
    torch = pytest.importorskip("torch")
    x = np.round(np.random.default_rng(5).standard_normal(shape))
    _parity(torch, F.max_pool1d, torch.nn.functional.max_pool1d, x,
            dict(opts, return_indices=True), True)


@pytest.mark.parametrize("opts", [
    dict(kernel_size=2), dict(kernel_size=3, stride=1, padding=1),
    dict(kernel_size=3, stride=1, padding=1, count_include_pad=False),
    dict(kernel_size=(3, 2), stride=(2, 3), padding=(1, 1), ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    dict(kernel_size=2, divisor_override=3)], ids=str)
@pytest.mark.parametrize("shape", [(2, 3, 7, 6), (3, 5, 5)], ids=str)
def test_avg_pool2d_matches_pytorch(opts, shape):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(6).standard_normal(shape)
    _parity(torch, F.avg_pool2d, torch.nn.functional.avg_pool2d, x, opts)


@pytest.mark.parametrize("size", [1, (2, 3), (3, None), (5, 4), 7], ids=str)
@pytest.mark.parametrize("shape", [(2, 3, 7, 6), (3, 5, 5)], ids=str)
def test_adaptive_avg_pool2d_matches_pytorch(size, shape):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(7).standard_normal(shape)
    _parity(torch, F.adaptive_avg_pool2d, torch.nn.functional.adaptive_avg_pool2d, x,
            dict(output_size=size))


@pytest.mark.parametrize("x, kw", [
    (np.array([[[1.0, np.nan, 3.0, np.nan, 2.0]]]), dict(kernel_size=5)),
    (np.array([[[[np.nan, 5.0], [np.nan, 2.0]]]]), dict(kernel_size=2, stride=2, padding=1)),
    (np.full((1, 1, 2, 2), -np.inf), dict(kernel_size=2, stride=2, padding=1))], ids=str)
@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")   # (-inf * u).sum()
def test_nan_and_minus_inf_winners_match_pytorch(x, kw):
    torch = pytest.importorskip("torch")
    ours, theirs = (F.max_pool1d, torch.nn.functional.max_pool1d) if x.ndim == 3 else \
        (F.max_pool2d, torch.nn.functional.max_pool2d)
    _parity(torch, ours, theirs, x, dict(kw, return_indices=True), True)


def test_nan_matches_pytorch():
    torch = pytest.importorskip("torch")
    x = np.array([[[[1.0, np.nan, 2.0, 0.5], [3.0, 0.0, -1.0, 4.0]]]])
    np.testing.assert_array_equal(F.max_pool2d(ag.tensor(x), 2).data,
                                  torch.nn.functional.max_pool2d(torch.tensor(x), 2).numpy())


@pytest.mark.parametrize("make", [
    lambda m: m.MaxPool2d(2), lambda m: m.MaxPool2d(3, 2, 1, 2, ceil_mode=True),
    lambda m: m.MaxPool1d(3, 1, 1), lambda m: m.AvgPool2d(3, 2, 1),
    lambda m: m.AvgPool2d((2, 3), count_include_pad=False), lambda m: m.AdaptiveAvgPool2d((2, 3)),
    lambda m: m.AdaptiveAvgPool2d(1)])
def test_modules_match_pytorch_outputs_and_repr(make):
    torch = pytest.importorskip("torch")
    ours, theirs = make(nn), make(torch.nn)
    assert repr(ours) == repr(theirs)
    shape = (2, 3, 9) if isinstance(ours, nn.MaxPool1d) else (2, 3, 9, 8)
    x = np.random.default_rng(8).standard_normal(shape)
    np.testing.assert_allclose(ours(ag.tensor(x)).data, theirs(torch.tensor(x)).numpy(),
                               rtol=1e-12)


def test_max_pool_module_return_indices_and_error_types_match_pytorch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(9).standard_normal((1, 2, 6, 6))
    y, idx = nn.MaxPool2d(2, return_indices=True)(ag.tensor(x))
    ty, tidx = torch.nn.MaxPool2d(2, return_indices=True)(torch.tensor(x))
    np.testing.assert_array_equal(idx.data, tidx.numpy())
    for call in (lambda f, t: f.max_pool2d(t.randn(1, 2, 4, 4), 2, padding=2),
                 lambda f, t: f.max_pool2d(t.randn(1, 2, 4, 4), 5),
                 lambda f, t: f.avg_pool2d(t.randn(1, 2, 4, 4), 5)):
        with pytest.raises(Exception) as theirs:
            call(torch.nn.functional, torch)
        with pytest.raises(theirs.type):
            call(F, ag)


def test_gradient_penalty_through_conv_and_pooling_matches_pytorch():
    """Double backward through conv -> tanh -> max_pool -> conv -> avg_pool -> adaptive."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(10)
    arrays = [rng.standard_normal((2, 3, 9, 8)), rng.standard_normal((4, 3, 3, 3)),
              rng.standard_normal((5, 4, 2, 2))]
    results = []
    for lib, f, grad in ((torch, torch.nn.functional, torch.autograd.grad),
                         (ag, F, ag.grad)):
        x, w1, w2 = (lib.tensor(a, requires_grad=True) for a in arrays)
        h = f.max_pool2d(lib.tanh(f.conv2d(x, w1, padding=1)), 3, 2, 1)
        h = f.avg_pool2d(lib.tanh(f.conv2d(h, w2)), 2, 1, ceil_mode=True)
        out = f.adaptive_avg_pool2d(h, (2, 1)).sum()
        (gx,) = grad(out, (x,), create_graph=True)
        (gx ** 2).sum().backward()
        results.append([np.asarray(t.grad.detach() if lib is torch else t.grad)
                        for t in (x, w1, w2)])
    for i, (t, o) in enumerate(zip(*results)):
        np.testing.assert_allclose(o, t, rtol=1e-9, atol=1e-12, err_msg=f"input {i}")
