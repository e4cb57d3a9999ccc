"""Transposed 1-d/2-d convolution layers and the 1-d, adaptive and adaptive-max pooling:
the modules' parameters, default init and output_size without PyTorch, and with PyTorch
(skipped when it is absent) the same outputs and gradients for every option from the
same state_dict (both ways), equal reprs and PyTorch's exception types."""
from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag
import nn
from nn import ConvTranspose1d, ConvTranspose2d
from nn import functional as F

from optable.nn_conv import np_conv_transpose2d

RTOL, ATOL = 1e-10, 1e-12


def _torch():
    return pytest.importorskip("torch")


def _parity(torch, ours_fn, torch_fn, arrays, kw, indices=False):
    """Same outputs (and indices) and the same gradient of <u, out> for every input."""
    ts = [None if a is None else torch.tensor(a, requires_grad=True) for a in arrays]
    os_ = [None if a is None else ag.tensor(a, requires_grad=True) for a in arrays]
    ty, oy = torch_fn(*ts, **kw), ours_fn(*os_, **kw)
    if indices:
        np.testing.assert_array_equal(oy[1].data, ty[1].numpy())
        assert oy[1].dtype == np.int64
        ty, oy = ty[0], oy[0]
    assert oy.shape == tuple(ty.shape), kw
    np.testing.assert_allclose(oy.data, ty.detach().numpy(), rtol=RTOL, atol=ATOL)
    u = np.random.default_rng(9).standard_normal(oy.shape)
    (ty * torch.tensor(u)).sum().backward()
    (oy * ag.tensor(u)).sum().backward()
    for i, (t, o) in enumerate(zip(ts, os_)):
        if t is not None:
            np.testing.assert_allclose(o.grad.data, t.grad.numpy(), rtol=RTOL, atol=ATOL,
                                       err_msg=f"gradient {i} with {kw}")


def _same_exception_type(torch, call):
    """PyTorch raises; we raise the same type."""
    with pytest.raises(Exception) as theirs:
        call(torch.nn.functional, torch.nn, torch)
    with pytest.raises(theirs.type):
        call(F, nn, ag)


# ---- transposed convolution without PyTorch ---------------------------------------------

def test_conv_transpose_module_layout_and_default_init():
    ag.manual_seed(0)
    m = ConvTranspose2d(6, 8, (3, 2), groups=2)
    assert [(k, v.shape) for k, v in m.named_parameters()] == [("weight", (6, 4, 3, 2)),
                                                               ("bias", (8,))]
    bound = 1 / math.sqrt(4 * 3 * 2)          # fan_in = out_channels/groups * kernel
    for p in (m.weight, m.bias):
        assert p.dtype == np.float32
        assert np.abs(p.data).max() <= bound
    assert m.weight.data.std() > 0.8 * bound / math.sqrt(3)
    m1 = ConvTranspose1d(4, 6, 3, bias=False)
    assert m1.bias is None and m1.weight.shape == (4, 6, 3)


def test_conv_transpose_module_output_size_picks_the_output_padding():
    rng = np.random.default_rng(1)
    m = ConvTranspose2d(2, 3, 3, stride=(2, 3), padding=1, dtype=ag.float64)
    x = rng.standard_normal((1, 2, 4, 5))
    for size in [(7, 13), (8, 15), (1, 3, 8, 14)]:
        y = m(ag.tensor(x), output_size=size)
        extra = (size[-2] - 7, size[-1] - 13)
        want = np_conv_transpose2d(x, m.weight.data, m.bias.data, (2, 3), 1, extra)
        assert y.shape == want.shape == (1, 3) + tuple(size[-2:])
        np.testing.assert_allclose(y.data, want, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match=r"ConvTranspose2d\(2, 3.*valid sizes range from "
                                         r"\[7, 13\] to \[8, 15\]"):
        m(ag.tensor(x), output_size=(9, 13))
    with pytest.raises(ValueError, match="output_size must have 2 or 4 elements"):
        m(ag.tensor(x), output_size=(7,))


def test_conv_transpose1d_is_conv1d_input_gradient():
    """<conv1d(x, w), g> = <x, conv_transpose1d(g, w)>: the adjoint, whatever the options."""
    rng = np.random.default_rng(2)
    kw = dict(stride=2, padding=1, dilation=2, groups=2)
    x, w = rng.standard_normal((2, 4, 9)), rng.standard_normal((6, 2, 3))
    y = F.conv1d(ag.tensor(x), ag.tensor(w), **kw)
    g = rng.standard_normal(y.shape)
    back = F.conv_transpose1d(ag.tensor(g), ag.tensor(w), output_padding=0, **kw)
    assert back.shape == x.shape
    np.testing.assert_allclose((y.data * g).sum(), (x * back.data).sum(), rtol=1e-12)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: ConvTranspose1d(2, 4, 3, padding_mode="reflect"), ValueError, "zeros"),
    (lambda: ConvTranspose2d(3, 4, 3, groups=2), ValueError, "in_channels"),
    (lambda: ConvTranspose1d(2, 4, 3)(ag.randn(1, 3, 5)), RuntimeError,
     r"ConvTranspose1d\(2, 4.*to have 2 channels"),
    (lambda: F.conv_transpose1d(ag.randn(1, 2, 5), ag.randn(2, 3, 3, 3)), RuntimeError,
     "conv_transpose1d: weight should have 3 dimensions"),
    (lambda: F.conv_transpose1d(ag.randn(1, 2, 5), ag.randn(2, 3, 3), output_padding=1),
     RuntimeError, "conv_transpose1d: output padding must be smaller"),
    (lambda: F.conv_transpose1d(ag.randn(1, 2, 1), ag.randn(2, 3, 1), padding=1),
     RuntimeError, r"conv_transpose1d: Given input size per channel: \(1\)"),
])
def test_conv_transpose_bad_input_raises_naming_the_op(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# ---- transposed convolution: PyTorch parity ----------------------------------------------

TRANSPOSE_OPTIONS = [
    dict(), dict(stride=2), dict(stride=3, padding=1, output_padding=2), dict(padding=2),
    dict(groups=2), dict(dilation=2, output_padding=1, stride=2),
    dict(stride=2, padding=1, output_padding=1, groups=2, dilation=3), dict(bias=False),
]


@pytest.mark.parametrize("opts", TRANSPOSE_OPTIONS, ids=str)
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
def test_conv_transpose1d_matches_pytorch(opts, batched):
    torch = _torch()
    rng = np.random.default_rng(3)
    kw = dict(opts)
    bias = kw.pop("bias", True)
    groups = kw.get("groups", 1)
    x = rng.standard_normal(((2,) if batched else ()) + (4, 7))
    w = rng.standard_normal((4, 3, 3))
    b = rng.standard_normal(3 * groups) if bias else None
    _parity(torch, F.conv_transpose1d, torch.nn.functional.conv_transpose1d, [x, w, b], kw)


def _module_pair(torch, cls, args, kwargs, from_torch):
    """(ours, theirs) in float64 with the same state_dict, copied one way or the other."""
    theirs = getattr(torch.nn, cls)(*args, **kwargs).double()
    ours = getattr(nn, cls)(*args, **kwargs, dtype=ag.float64)
    if from_torch:
        ours.load_state_dict({k: ag.tensor(v.detach().numpy())
                              for k, v in theirs.state_dict().items()})
    else:
        theirs.load_state_dict({k: torch.tensor(v.data) for k, v in ours.state_dict().items()})
    return ours, theirs


@pytest.mark.parametrize("cls, args, kwargs, shape, output_size", [
    ("ConvTranspose2d", (3, 4, 3), dict(), (2, 3, 5, 4), None),
    ("ConvTranspose2d", (4, 6, (3, 2)), dict(stride=(2, 3), padding=(1, 0), groups=2),
     (2, 4, 5, 4), (9, 12)),
    ("ConvTranspose2d", (4, 6, 3), dict(stride=2, output_padding=1, dilation=2, bias=False),
     (2, 4, 4, 4), None),
    ("ConvTranspose2d", (2, 4, 2), dict(stride=3, padding=1), (2, 5, 4), (4, 13, 11)),
    ("ConvTranspose1d", (3, 4, 3), dict(), (2, 3, 6), None),
    ("ConvTranspose1d", (4, 6, 3), dict(stride=3, padding=1, output_padding=2, groups=2,
                                        dilation=2), (2, 4, 6), None),
    ("ConvTranspose1d", (4, 2, 2), dict(stride=4), (4, 5), [21]),
], ids=str)
@pytest.mark.parametrize("from_torch", [True, False], ids=["from_torch", "to_torch"])
def test_conv_transpose_modules_match_pytorch(cls, args, kwargs, shape, output_size,
                                              from_torch):
    torch = _torch()
    ours, theirs = _module_pair(torch, cls, args, kwargs, from_torch)
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(4).standard_normal(shape)
    tx, ox = torch.tensor(x, requires_grad=True), ag.tensor(x, requires_grad=True)
    ty, oy = theirs(tx, output_size=output_size), ours(ox, output_size=output_size)
    assert oy.shape == tuple(ty.shape)
    np.testing.assert_allclose(oy.data, ty.detach().numpy(), rtol=RTOL, atol=ATOL)
    ty.square().sum().backward()
    (oy ** 2).sum().backward()
    np.testing.assert_allclose(ox.grad.data, tx.grad.numpy(), rtol=RTOL, atol=ATOL)
    for (k, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.data, tp.grad.numpy(), rtol=RTOL, atol=1e-10,
                                   err_msg=k)


@pytest.mark.parametrize("call", [
    lambda F_, nn_, t: F_.conv_transpose1d(t.randn(1, 3, 5), t.randn(2, 4, 3)),
    lambda F_, nn_, t: F_.conv_transpose1d(t.randn(1, 2, 5), t.randn(2, 4, 3, 3)),
    lambda F_, nn_, t: F_.conv_transpose1d(t.randn(1, 2, 5), t.randn(2, 4, 3), stride=0),
    lambda F_, nn_, t: F_.conv_transpose1d(t.randn(1, 2, 5), t.randn(2, 4, 3),
                                           output_padding=2, stride=2),
    lambda F_, nn_, t: F_.conv_transpose1d(t.randn(1, 2, 1), t.randn(2, 4, 1), padding=1),
    lambda F_, nn_, t: F_.conv_transpose1d(t.randn(1, 2, 5), t.randn(2, 4, 3), groups=3),
    lambda F_, nn_, t: F_.conv_transpose1d(t.randn(1, 2, 5), t.randn(2, 4, 3), padding=1.5),
    lambda F_, nn_, t: F_.conv_transpose1d(t.randn(1, 2, 5), t.randn(2, 4, 3), t.randn(3)),
    lambda F_, nn_, t: F_.conv_transpose1d(t.randn(2, 5), t.randn(2, 4, 3), stride=(1, 1)),
    lambda F_, nn_, t: nn_.ConvTranspose1d(2, 4, 3, padding_mode="circular"),
    lambda F_, nn_, t: nn_.ConvTranspose2d(2, 3, 3, groups=2),
    lambda F_, nn_, t: nn_.ConvTranspose2d(2, 4, 3, groups=0),
    lambda F_, nn_, t: nn_.ConvTranspose2d(2, 4, 3, stride=2)(t.randn(1, 2, 4, 4),
                                                             output_size=(12, 9)),
    lambda F_, nn_, t: nn_.ConvTranspose1d(2, 4, 3)(t.randn(1, 2, 4), output_size=(1, 2)),
    lambda F_, nn_, t: nn_.ConvTranspose1d(2, 4, 3)(t.randn(1, 3, 4)),
])
def test_conv_transpose_error_types_match_pytorch(call):
    _same_exception_type(_torch(), call)


# ---- pooling without PyTorch --------------------------------------------------------------

def test_adaptive_max_pool_ties_and_overlaps_send_the_gradient_to_the_first_maximum():
    # L=3 to 2 windows: [0, 2) and [1, 3) share x[1]; each picks its first 5.
    x = ag.tensor([[[0.0, 5.0, 5.0]]], requires_grad=True)
    y, idx = F.adaptive_max_pool1d(x, 2, return_indices=True)
    y.sum().backward()
    assert idx.data.tolist() == [[[1, 1]]]
    assert x.grad.data.tolist() == [[[0.0, 2.0, 0.0]]]
    # 2-d, 3x3 to 2x2: windows rows/cols [0, 2) and [1, 3); all equal -> top-left of each.
    x2 = ag.tensor(np.ones((1, 3, 3)), requires_grad=True)
    y2, idx2 = F.adaptive_max_pool2d(x2, 2, return_indices=True)
    y2.sum().backward()
    assert idx2.data.tolist() == [[[0, 1], [3, 4]]]
    assert x2.grad.data.tolist() == [[[1, 1, 0], [1, 1, 0], [0, 0, 0]]]


def test_adaptive_max_pool_nan_wins_and_its_double_backward_is_a_gather():
    x = ag.tensor([[[1.0, np.nan, 3.0, np.nan, 2.0]]], requires_grad=True)
    y, idx = F.adaptive_max_pool1d(x, 1, return_indices=True)
    assert np.isnan(y.data).all() and idx.data.tolist() == [[[3]]]   # the last NaN
    z = ag.tensor(np.arange(12.0).reshape(1, 3, 4), requires_grad=True)
    (g,) = ag.grad((F.adaptive_max_pool2d(z, (2, 3)) ** 2).sum(), (z,), create_graph=True)
    g.sum().backward()     # d/dz sum(2 y scattered) = 2 per window at each window's max
    want = np.zeros((3, 4))
    for i, (r0, r1) in enumerate([(0, 2), (1, 3)]):
        for j, (c0, c1) in enumerate([(0, 2), (1, 3), (2, 4)]):
            want[r1 - 1, c1 - 1] += 2          # increasing values: the bottom-right wins
    np.testing.assert_array_equal(z.grad.data[0], want)


def test_avg_pool1d_and_adaptive_avg_pool1d_are_their_2d_forms_on_one_row():
    x = np.random.default_rng(5).standard_normal((2, 3, 7))
    np.testing.assert_allclose(F.avg_pool1d(ag.tensor(x), 3, 2, 1, True, False).data,
                               F.avg_pool2d(ag.tensor(x[:, :, None]), (1, 3), (1, 2), (0, 1),
                                            True, False).data[:, :, 0], rtol=1e-15)
    np.testing.assert_allclose(F.adaptive_avg_pool1d(ag.tensor(x), 4).data,
                               F.adaptive_avg_pool2d(ag.tensor(x[:, :, None]), (1, 4)).data[
                                   :, :, 0], rtol=1e-15)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: F.avg_pool1d(ag.randn(2, 3, 4), 2, padding=2), RuntimeError,
     "avg_pool1d: pad should be at most half"),
    (lambda: F.avg_pool1d(ag.randn(2, 3, 4), 5), RuntimeError,
     r"avg_pool1d: Given input size: \(3x4\)"),
    (lambda: F.adaptive_max_pool1d(ag.randn(2, 3, 4), (2, 2)), RuntimeError,
     "adaptive_max_pool1d: output_size"),
    (lambda: F.adaptive_max_pool2d(ag.randn(2, 0, 4, 4), 2), RuntimeError,
     "adaptive_max_pool2d"),
    (lambda: F.adaptive_avg_pool1d(ag.randn(2, 3, 4), None), TypeError,
     "adaptive_avg_pool1d: output_size"),
    (lambda: nn.AdaptiveMaxPool2d(2)(ag.randn(4, 4)), RuntimeError,
     r"AdaptiveMaxPool2d\(output_size=2\): .*Expected 3D"),
    (lambda: nn.AvgPool1d(2)(ag.randn(3)), RuntimeError, r"AvgPool1d\(kernel_size=\(2,\)"),
])
def test_pooling_bad_input_raises_naming_the_op(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# ---- pooling: PyTorch parity --------------------------------------------------------------

@pytest.mark.parametrize("opts", [
    dict(kernel_size=2), dict(kernel_size=3, stride=1, padding=1),
    dict(kernel_size=3, stride=1, padding=1, count_include_pad=False),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=(4,), stride=(3,), padding=(2,), ceil_mode=True, count_include_pad=False),
    dict(kernel_size=2, stride=3, ceil_mode=True)], ids=str)
@pytest.mark.parametrize("shape", [(2, 3, 9), (3, 8)], ids=str)
def test_avg_pool1d_matches_pytorch(opts, shape):
    torch = _torch()
    x = np.random.default_rng(6).standard_normal(shape)
    _parity(torch, F.avg_pool1d, torch.nn.functional.avg_pool1d, [x], opts)


@pytest.mark.parametrize("size", [1, 3, 4, 9, 13, (5,)], ids=str)
@pytest.mark.parametrize("shape", [(2, 3, 9), (3, 9)], ids=str)
def test_adaptive_avg_pool1d_matches_pytorch(size, shape):
    torch = _torch()
    x = np.random.default_rng(7).standard_normal(shape)
    _parity(torch, F.adaptive_avg_pool1d, torch.nn.functional.adaptive_avg_pool1d, [x],
            dict(output_size=size))


@pytest.mark.parametrize("size", [1, 3, 4, 9, 13, (5,)], ids=str)
@pytest.mark.parametrize("shape", [(2, 3, 9), (3, 9)], ids=str)
@pytest.mark.parametrize("return_indices", [False, True])
def test_adaptive_max_pool1d_matches_pytorch_with_ties(size, shape, return_indices):
    torch = _torch()
    x = np.round(np.random.default_rng(8).standard_normal(shape))   # many ties
    _parity(torch, F.adaptive_max_pool1d, torch.nn.functional.adaptive_max_pool1d, [x],
            dict(output_size=size, return_indices=return_indices), return_indices)


@pytest.mark.parametrize("size", [1, (2, 3), (3, None), (None, 4), (5, 4), 7], ids=str)
@pytest.mark.parametrize("shape", [(2, 3, 7, 6), (3, 5, 5)], ids=str)
@pytest.mark.parametrize("return_indices", [False, True])
def test_adaptive_max_pool2d_matches_pytorch_with_ties(size, shape, return_indices):
    torch = _torch()
    x = np.round(np.random.default_rng(9).standard_normal(shape))
    _parity(torch, F.adaptive_max_pool2d, torch.nn.functional.adaptive_max_pool2d, [x],
            dict(output_size=size, return_indices=return_indices), return_indices)


@pytest.mark.parametrize("name, size", [("adaptive_avg_pool1d", 0),
                                        ("adaptive_max_pool1d", 0),
                                        ("adaptive_max_pool2d", (0, 2))])
def test_adaptive_pooling_to_size_zero_is_empty_like_pytorch(name, size):
    """(PyTorch's backward refuses the empty output; ours gives a zero gradient.)"""
    torch = _torch()
    x = np.ones((2, 3, 4, 5)[:4 - name.endswith("1d")])
    ox = ag.tensor(x, requires_grad=True)
    oy = getattr(F, name)(ox, size)
    assert oy.shape == tuple(getattr(torch.nn.functional, name)(torch.tensor(x), size).shape)
    oy.sum().backward()
    assert ox.grad.shape == x.shape and not ox.grad.data.any()


@pytest.mark.parametrize("x, size", [
    (np.array([[[1.0, np.nan, 3.0, np.nan, 2.0, np.nan]]]), 2),
    (np.array([[[np.nan, np.nan, 1.0], [2.0, np.nan, np.nan]]]), 2),
    (np.array([[[-np.inf, -np.inf, -np.inf], [-np.inf, 1.0, -np.inf]]]), (2, 2)),
    (np.full((1, 2, 3), np.nan), (2, 2))], ids=str)
@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")   # (-inf * u).sum()
def test_adaptive_max_pool_nan_and_minus_inf_winners_match_pytorch(x, size):
    torch = _torch()
    if x.ndim == 3 and not isinstance(size, tuple):
        ours, theirs = F.adaptive_max_pool1d, torch.nn.functional.adaptive_max_pool1d
    else:
        ours, theirs = F.adaptive_max_pool2d, torch.nn.functional.adaptive_max_pool2d
    oy, oi = ours(ag.tensor(x, requires_grad=True), size, True)
    ty, ti = theirs(torch.tensor(x, requires_grad=True), size, True)
    np.testing.assert_array_equal(oy.data, ty.detach().numpy())
    np.testing.assert_array_equal(oi.data, ti.numpy())


def test_gradient_penalty_through_adaptive_and_1d_pooling_matches_pytorch():
    """Double backward through conv_transpose1d -> tanh -> adaptive max -> avg_pool1d ->
    adaptive avg, and conv_transpose2d -> adaptive_max_pool2d."""
    torch = _torch()
    rng = np.random.default_rng(10)
    arrays = [rng.standard_normal((2, 3, 7)), rng.standard_normal((3, 4, 3)),
              rng.standard_normal((2, 3, 4, 5)), rng.standard_normal((3, 2, 2, 3))]
    results = []
    for lib, f, grad in ((torch, torch.nn.functional, torch.autograd.grad),
                         (ag, F, ag.grad)):
        x, w, x2, w2 = (lib.tensor(a, requires_grad=True) for a in arrays)
        h = f.adaptive_max_pool1d(lib.tanh(f.conv_transpose1d(x, w, stride=2)), 6)
        h = f.adaptive_avg_pool1d(f.avg_pool1d(lib.tanh(h), 3, 1, 1), 4)
        h2 = f.adaptive_max_pool2d(lib.tanh(f.conv_transpose2d(x2, w2, stride=(2, 1))), (3, 4))
        out = (h ** 2).sum() + (h2 ** 3).sum()
        gx, gx2 = grad(out, (x, x2), create_graph=True)
        ((gx ** 2).sum() + (gx2 ** 2).sum()).backward()
        results.append([np.asarray(t.grad.detach() if lib is torch else t.grad)
                        for t in (x, w, x2, w2)])
    for i, (t, o) in enumerate(zip(*results)):
        np.testing.assert_allclose(o, t, rtol=1e-9, atol=1e-12, err_msg=f"input {i}")


@pytest.mark.parametrize("make, shape", [
    (lambda m: m.AvgPool1d(3), (2, 3, 9)), (lambda m: m.AvgPool1d((3,), 2, 1, True, False),
                                            (2, 3, 9)),
    (lambda m: m.AvgPool1d(2, count_include_pad=False), (3, 8)),
    (lambda m: m.AdaptiveAvgPool1d(4), (2, 3, 9)), (lambda m: m.AdaptiveAvgPool1d((1,)), (3, 9)),
    (lambda m: m.AdaptiveMaxPool1d(4), (2, 3, 9)),
    (lambda m: m.AdaptiveMaxPool1d(5, return_indices=True), (3, 9)),
    (lambda m: m.AdaptiveMaxPool2d((2, 3)), (2, 3, 9, 8)),
    (lambda m: m.AdaptiveMaxPool2d((None, 3), True), (3, 9, 8)),
], ids=str)
def test_pooling_modules_match_pytorch_outputs_and_repr(make, shape):
    torch = _torch()
    ours, theirs = make(nn), make(torch.nn)
    assert repr(ours) == repr(theirs)
    x = np.round(np.random.default_rng(11).standard_normal(shape), 1)
    oy, ty = ours(ag.tensor(x)), theirs(torch.tensor(x))
    if isinstance(ty, tuple):
        np.testing.assert_array_equal(oy[1].data, ty[1].numpy())
        oy, ty = oy[0], ty[0]
    np.testing.assert_allclose(oy.data, ty.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("call", [
    lambda F_, nn_, t: F_.avg_pool1d(t.randn(2, 3, 4), (2, 2)),
    lambda F_, nn_, t: F_.avg_pool1d(t.randn(2, 3, 4), 2, padding=2),
    lambda F_, nn_, t: F_.avg_pool1d(t.randn(2, 3, 4), 5),
    lambda F_, nn_, t: F_.avg_pool1d(t.randn(2, 3, 4), 2.5),
    lambda F_, nn_, t: F_.avg_pool1d(t.randn(2, 3, 4), 2, divisor_override=2),
    lambda F_, nn_, t: F_.avg_pool1d(t.randn(2, 3, 4, 4), 2),
    lambda F_, nn_, t: F_.avg_pool1d(t.randn(2, 3, 4), 2, stride=0),
    lambda F_, nn_, t: F_.adaptive_avg_pool1d(t.randn(2, 3, 4), -1),
    lambda F_, nn_, t: F_.adaptive_avg_pool1d(t.randn(2, 3, 4), 2.5),
    lambda F_, nn_, t: F_.adaptive_avg_pool1d(t.randn(2, 3, 4), (2, 2)),
    lambda F_, nn_, t: F_.adaptive_max_pool1d(t.randn(2, 3, 4), None),
    lambda F_, nn_, t: F_.adaptive_max_pool1d(t.randn(2, 3, 4), (2, 3)),
    lambda F_, nn_, t: F_.adaptive_max_pool1d(t.randn(2, 3, 4), 2.5),
    lambda F_, nn_, t: F_.adaptive_max_pool1d(t.randn(2, 0, 4), 2),
    lambda F_, nn_, t: F_.adaptive_max_pool2d(t.randn(1, 2, 3, 4), (2, 3, 4)),
    lambda F_, nn_, t: F_.adaptive_max_pool2d(t.randn(2, 2, 0, 3), 2),
    lambda F_, nn_, t: F_.adaptive_max_pool2d(t.randn(3, 4), 2),
    lambda F_, nn_, t: F_.adaptive_max_pool2d(t.randn(1, 2, 3, 4), -2),
    lambda F_, nn_, t: nn_.AdaptiveMaxPool1d(2)(t.randn(2, 3, 4, 5)),
    lambda F_, nn_, t: nn_.AvgPool1d(5)(t.randn(2, 3, 4)),
])
def test_pooling_error_types_match_pytorch(call):
    _same_exception_type(_torch(), call)
