"""Convolution beyond the op table: Hypothesis over every option (shapes, stride,
padding, dilation, groups, bias) against finite differences in float64, double
backward with the bias, PyTorch parity of outputs and gradients for every option, the
Conv1d/Conv2d modules (names, layouts, init, repr, state_dict from PyTorch) and errors."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd as ag
import nn
from nn import functional as F

from numeric import numeric_grad
from optable.nn_conv import np_conv2d


# ---- Hypothesis: every option against finite differences ----------------------------

@st.composite
def conv_cases(draw, max_side=4):
    """(x, w, b or None, kwargs) with x large enough for the dilated kernel."""
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    groups = draw(st.integers(1, 2))
    cg, og, n = draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = draw(st.sampled_from(["int", "tuple", "same", "valid"]))
    s = (1, 1) if padding == "same" else (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    p = {"int": draw(st.integers(0, 2)), "tuple": (draw(st.integers(0, 2)),
                                                   draw(st.integers(0, 1))),
         "same": "same", "valid": "valid"}[padding]
    pads = (p, p) if isinstance(p, int) else p if isinstance(p, tuple) else (0, 0)
    side = [max(dd * (kk - 1) + 1 - 2 * pp, 1) + draw(st.integers(0, max_side - 2))
            for kk, dd, pp in zip(k, d, pads)]
    x = rng.uniform(-1, 1, (n, groups * cg, *side))
    w = rng.uniform(-1, 1, (groups * og, cg, *k))
    b = rng.uniform(-1, 1, groups * og) if draw(st.booleans()) else None
    return x, w, b, dict(stride=s, padding=p, dilation=d, groups=groups)


def _loss(u, x, w, b, kw):
    """A scalar with nonzero second derivatives in x, w and b."""
    y = F.conv2d(x, w, b, **kw)
    return (ag.tanh(y) * ag.tensor(u)).sum()


@given(conv_cases())
def test_conv2d_gradients_match_finite_differences(case):
    x, w, b, kw = case
    arrays = [x, w] + ([b] if b is not None else [])
    want = np_conv2d(x, w, b, **kw)
    u = np.random.default_rng(0).standard_normal(want.shape)

    def scalar(*ts):
        return _loss(u, ts[0], ts[1], ts[2] if b is not None else None, kw)

    ts = [ag.tensor(a, requires_grad=True) for a in arrays]
    np.testing.assert_allclose(F.conv2d(*ts[:2], ts[2] if b is not None else None,
                                        **kw).data, want, rtol=1e-12, atol=1e-12)
    grads = ag.grad(scalar(*ts), ts)
    for i, (g, n) in enumerate(zip(grads, numeric_grad(scalar, arrays))):
        np.testing.assert_allclose(g.data, n, rtol=1e-5, atol=1e-7, err_msg=f"input {i} {kw}")


@settings(max_examples=10)
@given(conv_cases(max_side=3))
def test_conv2d_double_backward_matches_finite_differences(case):
    """A gradient penalty: d/d(x, w, b) of <dL/dx, v_x> + <dL/dw, v_w> with L through tanh."""
    x, w, b, kw = case
    if b is None:
        b = np.zeros(w.shape[0])
    rng = np.random.default_rng(1)
    u = rng.standard_normal(np_conv2d(x, w, b, **kw).shape)
    vx, vw = rng.standard_normal(x.shape), rng.standard_normal(w.shape)

    def penalty(xt, wt, bt):
        leaves = [t if t.requires_grad else t.detach().requires_grad_() for t in (xt, wt, bt)]
        with ag.enable_grad():
            gx, gw = ag.grad(_loss(u, *leaves, kw), leaves[:2], create_graph=xt.requires_grad)
        return (gx * ag.tensor(vx)).sum() + (gw * ag.tensor(vw)).sum()

    ts = [ag.tensor(a, requires_grad=True) for a in (x, w, b)]
    analytic = ag.grad(penalty(*ts), ts)
    for i, (g, n) in enumerate(zip(analytic, numeric_grad(penalty, [x, w, b]))):
        np.testing.assert_allclose(g.data, n, rtol=1e-4, atol=1e-6, err_msg=f"input {i} {kw}")


def test_conv2d_third_derivative_in_the_weight():
    """Any order works: d3/dw3 of sum(conv(x, w)^3) = 6 sum over the im2col products."""
    rng = np.random.default_rng(2)
    x = ag.tensor(rng.standard_normal((1, 2, 4, 4)))
    w = ag.tensor(rng.standard_normal((1, 2, 2, 2)), requires_grad=True)
    v = ag.tensor(rng.standard_normal(w.shape))
    (g1,) = ag.grad((F.conv2d(x, w, stride=2) ** 3).sum(), w, create_graph=True)
    (g2,) = ag.grad((g1 * v).sum(), w, create_graph=True)
    (g3,) = ag.grad((g2 * v).sum(), w)
    # f(w) = sum_i <c_i, w>^3 with c_i the windows, so d3f[v, v, .] = 6 sum_i <c_i, v>^2 c_i
    c = np.stack([x.data[0, :, i:i + 2, j:j + 2] for i in (0, 2) for j in (0, 2)])
    cv = np.tensordot(c, v.data[0], 3)
    want = 6 * np.tensordot(cv ** 2, c, 1)[None]
    np.testing.assert_allclose(g3.data, want, rtol=1e-10)


# ---- properties without PyTorch --------------------------------------------------------

def test_float32_in_float32_out_and_unbatched_matches_batched():
    rng = np.random.default_rng(3)
    x = ag.tensor(rng.standard_normal((3, 6, 5)).astype(np.float32))
    w = ag.tensor(rng.standard_normal((4, 3, 3, 3)).astype(np.float32))
    y = F.conv2d(x, w, padding=1)
    assert y.dtype == np.float32 and y.shape == (4, 6, 5)
    np.testing.assert_allclose(y.data, F.conv2d(x.unsqueeze(0), w, padding=1).data[0])


def test_input_modified_in_place_after_conv_makes_backward_raise():
    x = ag.randn(1, 2, 4, 4, requires_grad=True)
    w = ag.randn(3, 2, 3, 3, requires_grad=True)
    h = x * 1.0
    y = F.conv2d(h, w).sum()
    with ag.no_grad():
        h.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace|in-place"):
        y.backward()


def test_conv_output_feeds_flatten_and_linear_in_logical_order():
    """Conv returns a channel-major view; anything reading it sees (N, C, H, W) order."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 1, 3, 3))
    w = rng.standard_normal((2, 1, 1, 1))
    y = F.conv2d(ag.tensor(x), ag.tensor(w))
    want = np_conv2d(x, w)
    np.testing.assert_array_equal(y.flatten(1).data, want.reshape(2, -1))
    np.testing.assert_array_equal(np.asarray(y), want)


# ---- errors (PyTorch's exception types, messages naming the op or layer) -------------

@pytest.mark.parametrize("call, exc, match", [
    (lambda: F.conv2d(ag.randn(1, 4, 5, 5), ag.randn(2, 3, 3, 3)), RuntimeError,
     r"conv2d: .*weight of size \[2, 3, 3, 3\].*input\[1, 4, 5, 5\].*3 channels.*got 4"),
    (lambda: F.conv2d(ag.randn(1, 3, 2, 2), ag.randn(2, 3, 3, 3)), RuntimeError,
     r"conv2d: Calculated padded input size per channel: \(2 x 2\)\. Kernel size: \(3 x 3\)"),
    (lambda: F.conv2d(ag.randn(1, 4, 5, 5), ag.randn(3, 2, 3, 3), groups=2), RuntimeError,
     r"conv2d: Given groups=2, expected weight to be divisible by 2"),
    (lambda: F.conv2d(ag.randn(5, 5), ag.randn(2, 1, 3, 3)), RuntimeError,
     r"Expected 3D \(unbatched\) or 4D \(batched\) input to conv2d.*\[5, 5\]"),
    (lambda: F.conv1d(ag.randn(1, 2, 3, 4, 5), ag.randn(2, 2, 3)), RuntimeError,
     r"Expected 2D \(unbatched\) or 3D \(batched\) input to conv1d"),
    (lambda: F.conv2d(ag.randn(1, 1, 5, 5), ag.randn(1, 1, 3, 3), stride=2, padding="same"),
     RuntimeError, "padding='same' is not supported for strided"),
    (lambda: F.conv2d(ag.randn(1, 1, 5, 5), ag.randn(1, 1, 3, 3), padding="full"),
     RuntimeError, "Invalid padding string: 'full'"),
    (lambda: nn.Conv2d(1, 1, 3, stride=2, padding="same"), ValueError,
     "padding='same' is not supported for strided"),
    (lambda: F.conv2d(ag.randn(1, 1, 5, 5), ag.randn(2, 1, 3, 3), ag.randn(3)), RuntimeError,
     r"expected bias to be 1-dimensional with 2 elements.*\[3\]"),
    (lambda: nn.Conv2d(3, 4, 3, groups=2), ValueError, "in_channels must be divisible by groups"),
    (lambda: nn.Conv2d(4, 3, 3, groups=2), ValueError, "out_channels must be divisible by groups"),
    (lambda: nn.Conv2d(2, 4, 3)(ag.randn(1, 3, 5, 5)), RuntimeError,
     r"Conv2d\(2, 4, kernel_size=\(3, 3\).*expected input\[1, 3, 5, 5\] to have 2 channels"),
    (lambda: nn.Conv1d(2, 4, 5)(ag.randn(2, 3)), RuntimeError,
     r"Conv1d\(2, 4, kernel_size=\(5,\).*padded input size per channel: \(3\)\. Kernel size: "
     r"\(5\)"),
    (lambda: nn.Conv2d(1, 1, 3, padding_mode="mirror"), ValueError, "padding_mode"),
    (lambda: F.conv2d(ag.ones(1, 3, 5, 5), ag.zeros(4, 3, 0, 0)), RuntimeError,
     "conv2d: kernel size should be greater than zero, but got kernel_height: 0 "
     "kernel_width: 0"),
    (lambda: F.conv2d(ag.ones(1, 3, 5, 5), ag.zeros(4, 3, 2, 0), padding="same"),
     RuntimeError, "kernel_height: 2 kernel_width: 0"),
    (lambda: nn.Conv1d(3, 4, 0)(ag.ones(1, 3, 5)), RuntimeError,
     r"Conv1d\(3, 4, kernel_size=\(0,\).*kernel_height: 1 kernel_width: 0"),
    (lambda: F.conv_transpose2d(ag.ones(1, 3, 5, 5), ag.zeros(3, 4, 0, 2)), RuntimeError,
     "conv_transpose2d: kernel size should be greater than zero"),
])
def test_bad_input_raises_a_clear_error(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# ---- modules without PyTorch ----------------------------------------------------------

def test_conv2d_module_parameters_and_default_init():
    ag.manual_seed(0)
    m = nn.Conv2d(6, 8, (3, 2), groups=2)
    assert [(k, v.shape) for k, v in m.named_parameters()] == [("weight", (8, 3, 3, 2)),
                                                               ("bias", (8,))]
    bound = 1 / math.sqrt(3 * 3 * 2)
    for p in (m.weight, m.bias):
        assert p.dtype == np.float32
        assert np.abs(p.data).max() <= bound
    assert m.weight.data.std() > 0.8 * bound / math.sqrt(3)   # U(-b, b) has std b/sqrt(3)
    assert nn.Conv1d(2, 3, 4, bias=False).bias is None


# ---- PyTorch parity -------------------------------------------------------------------

CONV2D_OPTIONS = [
    dict(), dict(stride=2), dict(stride=(2, 3)), dict(padding=1), dict(padding=(2, 0)),
    dict(padding="same"), dict(padding="same", dilation=(2, 1)), dict(padding="valid"),
    dict(dilation=2), dict(groups=2), dict(groups=4, padding=1), dict(bias=False),
    dict(stride=2, padding=1, dilation=2, groups=2),
]


def _parity(torch, ours_fn, torch_fn, arrays, kw, rtol=1e-10, atol=1e-12):
    ts = [torch.tensor(a, requires_grad=True) if a is not None else None for a in arrays]
    os_ = [ag.tensor(a, requires_grad=True) if a is not None else None for a in arrays]
    ty, oy = torch_fn(*ts, **kw), ours_fn(*os_, **kw)
    assert oy.shape == tuple(ty.shape)
    np.testing.assert_allclose(oy.data, ty.detach().numpy(), rtol=rtol, atol=atol)
    u = np.random.default_rng(9).standard_normal(oy.shape)
    (ty * torch.tensor(u)).sum().backward()
    (oy * ag.tensor(u)).sum().backward()
    for i, (t, o) in enumerate(zip(ts, os_)):
        if t is not None:
            np.testing.assert_allclose(o.grad.data, t.grad.numpy(), rtol=rtol, atol=atol,
                                       err_msg=f"gradient {i} with {kw}")


@pytest.mark.parametrize("opts", CONV2D_OPTIONS, ids=str)
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
def test_conv2d_matches_pytorch(opts, batched):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    kw = dict(opts)
    bias = kw.pop("bias", True)
    groups = kw.get("groups", 1)
    x = rng.standard_normal(((2,) if batched else ()) + (4, 9, 8))
    w = rng.standard_normal((4, 4 // groups, 3, 2))
    b = rng.standard_normal(4) if bias else None
    _parity(torch, F.conv2d, torch.nn.functional.conv2d, [x, w, b], kw)


@pytest.mark.parametrize("opts", [dict(), dict(stride=2, padding=1), dict(padding="same",
                                  dilation=3), dict(groups=2, dilation=2), dict(bias=False)],
                         ids=str)
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
def test_conv1d_matches_pytorch(opts, batched):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    kw = dict(opts)
    bias = kw.pop("bias", True)
    x = rng.standard_normal(((3,) if batched else ()) + (4, 11))
    w = rng.standard_normal((6, 4 // kw.get("groups", 1), 3))
    _parity(torch, F.conv1d, torch.nn.functional.conv1d,
            [x, w, rng.standard_normal(6) if bias else None], kw)


@pytest.mark.parametrize("opts", [dict(), dict(stride=2, padding=1, output_padding=1),
                                  dict(stride=(1, 3), output_padding=(0, 2), groups=2),
                                  dict(dilation=2, padding=(1, 2))], ids=str)
def test_conv_transpose2d_matches_pytorch(opts):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    x, w, b = (rng.standard_normal((2, 4, 5, 4)), rng.standard_normal((4, 3, 3, 2)),
               rng.standard_normal(3 * opts.get("groups", 1)))
    _parity(torch, F.conv_transpose2d, torch.nn.functional.conv_transpose2d, [x, w, b], opts)


def test_double_backward_matches_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    kw = dict(stride=(2, 1), padding=1, dilation=(1, 2), groups=2)
    arrays = [rng.standard_normal((2, 4, 6, 7)), rng.standard_normal((6, 2, 3, 2)),
              rng.standard_normal(6)]
    results = []
    for lib, fn, grad in ((torch, torch.nn.functional.conv2d, torch.autograd.grad),
                          (ag, F.conv2d, ag.grad)):
        x, w, b = (lib.tensor(a, requires_grad=True) for a in arrays)
        loss = (lib.sigmoid(fn(x, w, b, **kw)) ** 2).sum()
        gx, gw = grad(loss, (x, w), create_graph=True)
        ((gx ** 2).sum() + (gw ** 2).sum()).backward()
        results.append([np.asarray(t.grad.detach() if lib is torch else t.grad)
                        for t in (x, w, b)])
    for i, (t, o) in enumerate(zip(*results)):
        np.testing.assert_allclose(o, t, rtol=1e-9, atol=1e-11, err_msg=f"input {i}")


@pytest.mark.parametrize("args, kwargs", [
    ((3, 8, 3), dict()), ((4, 8, (3, 2)), dict(stride=2, padding=(1, 0), bias=False)),
    ((4, 8, 3), dict(padding="same", dilation=2, groups=2)),
    ((2, 4, 3), dict(padding=1, padding_mode="reflect")),
    ((2, 4, 3), dict(padding=2, padding_mode="circular")),
    ((2, 4, 4), dict(padding="same", padding_mode="replicate")),
], ids=str)
def test_conv2d_module_matches_pytorch_state_dict_and_repr(args, kwargs):
    torch = pytest.importorskip("torch")
    tm = torch.nn.Conv2d(*args, **kwargs).double()
    m = nn.Conv2d(*args, **kwargs, dtype=ag.float64)
    assert repr(m) == repr(tm)
    m.load_state_dict({k: ag.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    x = np.random.default_rng(10).standard_normal((2, args[0], 7, 6))
    tx, ox = torch.tensor(x, requires_grad=True), ag.tensor(x, requires_grad=True)
    ty, oy = tm(tx), m(ox)
    np.testing.assert_allclose(oy.data, ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    ty.square().sum().backward()
    (oy ** 2).sum().backward()
    np.testing.assert_allclose(ox.grad.data, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    for (k, p), (_, tp) in zip(m.named_parameters(), tm.named_parameters()):
        np.testing.assert_allclose(p.grad.data, tp.grad.numpy(), rtol=1e-10, atol=1e-10,
                                   err_msg=k)


def test_conv1d_module_matches_pytorch():
    torch = pytest.importorskip("torch")
    tm = torch.nn.Conv1d(4, 6, 3, stride=2, padding=1, groups=2).double()
    m = nn.Conv1d(4, 6, 3, stride=2, padding=1, groups=2, dtype=ag.float64)
    assert repr(m) == repr(tm)
    m.load_state_dict({k: ag.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    x = np.random.default_rng(11).standard_normal((3, 4, 9))
    np.testing.assert_allclose(m(ag.tensor(x)).data, tm(torch.tensor(x)).detach().numpy(),
                               rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("call", [
    lambda F_, t: F_.conv2d(t.randn(1, 4, 5, 5), t.randn(2, 3, 3, 3)),
    lambda F_, t: F_.conv2d(t.randn(1, 3, 2, 2), t.randn(2, 3, 3, 3)),
    lambda F_, t: F_.conv2d(t.randn(1, 4, 5, 5), t.randn(3, 2, 3, 3), groups=2),
    lambda F_, t: F_.conv2d(t.randn(5, 5), t.randn(2, 1, 3, 3)),
    lambda F_, t: F_.conv2d(t.randn(1, 1, 5, 5), t.randn(1, 1, 3, 3), stride=2, padding="same"),
    lambda F_, t: F_.conv2d(t.randn(1, 1, 5, 5), t.randn(1, 1, 3, 3), padding="full"),
    lambda F_, t: F_.conv2d(t.randn(1, 1, 5, 5), t.randn(2, 1, 3, 3), t.randn(3)),
    lambda F_, t: F_.conv1d(t.randn(1, 2, 3, 4, 5), t.randn(2, 2, 3)),
    lambda F_, t: F_.conv2d(t.ones(1, 3, 5, 5), t.zeros(4, 3, 0, 0)),
    lambda F_, t: F_.conv2d(t.ones(1, 3, 1, 1), t.zeros(4, 3, 0, 2), padding=2),
    lambda F_, t: F_.conv1d(t.ones(1, 3, 5), t.zeros(4, 3, 0)),
    lambda F_, t: F_.conv_transpose2d(t.ones(1, 3, 5, 5), t.zeros(3, 4, 0, 0)),
])
def test_error_types_match_pytorch(call):
    torch = pytest.importorskip("torch")
    with pytest.raises(Exception) as theirs:
        call(torch.nn.functional, torch)
    with pytest.raises(theirs.type):
        call(F, ag)


def test_empty_batch_and_strided_or_broadcast_inputs():
    w = ag.randn(4, 3, 3, 3, dtype=ag.float64, requires_grad=True)
    x = ag.zeros(0, 3, 5, 5, dtype=ag.float64, requires_grad=True)
    y = F.conv2d(x, w, padding=1)
    assert y.shape == (0, 4, 5, 5)
    y.sum().backward()
    assert x.grad.shape == (0, 3, 5, 5) and not w.grad.data.any()
    base = np.random.default_rng(12).standard_normal((2, 3, 5, 5))
    for view in (base[:, :, ::-1], np.broadcast_to(base[:1, :, :1], (2, 3, 5, 5))):
        np.testing.assert_allclose(F.conv2d(ag.tensor(view), w, padding=1).data,
                                   np_conv2d(np.ascontiguousarray(view), w.data, padding=1),
                                   rtol=1e-12, atol=1e-12)


def test_buffer_pool_recycles_only_unreferenced_buffers():
    from nn.functional.conv import BufferPool
    pool = BufferPool(min_bytes=1024, max_bytes=4 * 8192)
    addr = lambda a: a.__array_interface__["data"][0]
    a = pool.empty((1024,), np.float64)
    first = addr(a)
    view = a.reshape(32, 32)[::2]          # a view of a view still pins the buffer
    del a
    assert addr(pool.empty((1024,), np.float64)) != first
    del view
    b = pool.empty((30, 30), np.float64)   # fits (7200 <= 8192 <= 2 * 7200): recycled
    assert addr(b) == first and b.shape == (30, 30) and b.flags.writeable
    assert pool.empty((100,), np.float64).base is None     # small: plain malloc
    held = [pool.empty((1024,), np.float64) for _ in range(5)]
    del held                               # now 6 idle 8 KB buffers, b's still in use
    pool.empty((4096,), np.float64)        # idle + new > max_bytes: the idle are dropped
    assert sorted(buf.nbytes for buf in pool._buffers) == [8192, 32768]
