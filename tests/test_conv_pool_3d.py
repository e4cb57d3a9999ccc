"""The 3-d convolution, pooling and normalization family (conv3d, conv_transpose3d,
max/avg/adaptive/lp pooling, max_unpool3d; Conv3d, ConvTranspose3d, the pooling
modules, BatchNorm3d, InstanceNorm3d).

With PyTorch (skipped when it is absent): the same float64 outputs, indices and
gradients for assorted stride/padding/dilation/groups/ceil_mode, batched and unbatched;
state_dicts moving both ways; equal reprs; PyTorch's exception types.  Without it:
first and second derivatives against finite differences, the messages of bad calls,
and max pooling's tie rule."""
from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
from autograd.gradcheck import gradcheck, gradgradcheck
from nn import functional as F

from optable.nn_conv import np_conv_transpose_nd, np_convnd, np_max_pool3d
from test_conv_pool_more import ATOL, RTOL, _parity

RNG = np.random.default_rng(3)


def _torch():
    return pytest.importorskip("torch")


def _rand(*shape):
    return RNG.standard_normal(shape)


# ---- functional parity with PyTorch -----------------------------------------------------

CONV3D = [
    ((2, 4, 5, 6, 7), (6, 2, 2, 3, 2), True, dict(stride=(1, 2, 1), padding=(1, 0, 2),
                                                  dilation=(2, 1, 1), groups=2)),
    ((1, 3, 4, 4, 4), (2, 3, 3, 3, 3), True, dict(stride=2, padding=1)),
    ((2, 2, 3, 5, 4), (4, 2, 2, 2, 3), False, dict(padding="same", dilation=(1, 2, 1))),
    ((2, 2, 3, 5, 4), (3, 2, 3, 1, 2), True, dict(padding="valid")),
    ((3, 4, 3, 4), (6, 1, 1, 2, 3), True, dict(groups=3, stride=(1, 1, 2))),   # unbatched
]


@pytest.mark.parametrize("xs, ws, bias, kw", CONV3D, ids=str)
def test_conv3d_matches_pytorch(xs, ws, bias, kw):
    torch = _torch()
    _parity(torch, F.conv3d, torch.nn.functional.conv3d,
            [_rand(*xs), _rand(*ws), _rand(ws[0]) if bias else None], kw)


CONV_T3D = [
    ((2, 4, 2, 3, 2), (4, 3, 2, 3, 2), dict(stride=(2, 1, 2), padding=(1, 0, 1),
                                            output_padding=(1, 0, 0), groups=2,
                                            dilation=(1, 2, 1))),
    ((1, 2, 3, 2, 2), (2, 2, 3, 3, 3), dict(stride=2, padding=1, output_padding=1)),
    ((3, 2, 2, 3), (3, 2, 1, 2, 2), dict(stride=(3, 1, 2), dilation=(1, 1, 3),
                                         output_padding=(2, 0, 1))),     # unbatched
]


@pytest.mark.parametrize("xs, ws, kw", CONV_T3D, ids=str)
@pytest.mark.parametrize("bias", [True, False])
def test_conv_transpose3d_matches_pytorch(xs, ws, kw, bias):
    torch = _torch()
    out_channels = ws[1] * kw.get("groups", 1)
    _parity(torch, F.conv_transpose3d, torch.nn.functional.conv_transpose3d,
            [_rand(*xs), _rand(*ws), _rand(out_channels) if bias else None], kw)


POOL_X = (2, 3, 5, 6, 7)


@pytest.mark.parametrize("shape, kw", [
    (POOL_X, dict(kernel_size=2)),
    (POOL_X, dict(kernel_size=(2, 3, 2), stride=(1, 2, 2), padding=(1, 1, 0),
                  dilation=(2, 1, 1), ceil_mode=True)),
    (POOL_X, dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ((3, 4, 5, 3), dict(kernel_size=(3, 2, 1), stride=1, dilation=(1, 2, 1))),  # unbatched
], ids=str)
def test_max_pool3d_matches_pytorch_with_indices(shape, kw):
    torch = _torch()
    _parity(torch, F.max_pool3d, torch.nn.functional.max_pool3d, [_rand(*shape)],
            dict(kw, return_indices=True), indices=True)


@pytest.mark.parametrize("shape, kw", [
    (POOL_X, dict(kernel_size=2)),
    (POOL_X, dict(kernel_size=(2, 3, 2), stride=(1, 2, 2), padding=(1, 1, 0), ceil_mode=True,
                  count_include_pad=False)),
    (POOL_X, dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    (POOL_X, dict(kernel_size=(3, 2, 3), stride=2, padding=1, divisor_override=5)),
    ((3, 4, 5, 3), dict(kernel_size=(3, 2, 1), stride=1, padding=(1, 0, 0))),   # unbatched
], ids=str)
def test_avg_pool3d_matches_pytorch(shape, kw):
    torch = _torch()
    _parity(torch, F.avg_pool3d, torch.nn.functional.avg_pool3d, [_rand(*shape)], kw)


@pytest.mark.parametrize("shape, size", [
    (POOL_X, (3, 4, 5)), (POOL_X, (2, None, 3)), (POOL_X, 1), (POOL_X, (7, 2, 9)),
    ((3, 4, 5, 3), (3, 2, 2)),
], ids=str)
def test_adaptive_pool3d_matches_pytorch(shape, size):
    torch = _torch()
    x = _rand(*shape)
    _parity(torch, F.adaptive_avg_pool3d, torch.nn.functional.adaptive_avg_pool3d, [x],
            dict(output_size=size))
    _parity(torch, F.adaptive_max_pool3d, torch.nn.functional.adaptive_max_pool3d, [x],
            dict(output_size=size, return_indices=True), indices=True)


@pytest.mark.parametrize("shape, kw", [
    (POOL_X, dict(norm_type=2, kernel_size=2)),
    (POOL_X, dict(norm_type=3, kernel_size=(2, 3, 2), stride=(1, 2, 2), ceil_mode=True)),
    ((3, 4, 5, 3), dict(norm_type=1.5, kernel_size=(2, 2, 1), stride=1)),      # unbatched
], ids=str)
def test_lp_pool3d_matches_pytorch(shape, kw):
    torch = _torch()
    x = np.abs(_rand(*shape)) + 0.1     # fractional powers of a negative number are NaN
    _parity(torch, F.lp_pool3d, torch.nn.functional.lp_pool3d, [x], kw)


@pytest.mark.parametrize("shape, kw, output_size", [
    ((2, 3, 4, 6, 2), dict(kernel_size=2), None),
    (POOL_X, dict(kernel_size=2), (5, 7, 7)),
    ((2, 3, 5, 5, 7), dict(kernel_size=3, stride=2, padding=1), None),
    ((3, 4, 5, 3), dict(kernel_size=(2, 2, 1), stride=(1, 2, 1)), (2, 3, 4, 5, 3)),
], ids=str)
def test_max_unpool3d_matches_pytorch(shape, kw, output_size):
    torch = _torch()
    pooled, idx = torch.nn.functional.max_pool3d(torch.tensor(_rand(*shape)),
                                                 return_indices=True, **kw)
    pooled, oidx = pooled.numpy(), ag.tensor(idx.numpy())
    _parity(torch, lambda x, **k: F.max_unpool3d(x, oidx, **k),
            lambda x, **k: torch.nn.functional.max_unpool3d(x, idx, **k), [pooled],
            dict(kw, output_size=output_size))


def test_max_pool3d_ties_go_to_the_first_maximum_as_in_pytorch():
    torch = _torch()
    x = RNG.integers(0, 2, (2, 2, 4, 5, 6)).astype(np.float64)    # ties in every window
    for kw in (dict(kernel_size=2), dict(kernel_size=3, stride=1, padding=1),
               dict(kernel_size=(2, 3, 3), stride=(2, 1, 2), dilation=(1, 2, 1))):
        _parity(torch, F.max_pool3d, torch.nn.functional.max_pool3d, [x],
                dict(kw, return_indices=True), indices=True)
    _parity(torch, F.adaptive_max_pool3d, torch.nn.functional.adaptive_max_pool3d, [x],
            dict(output_size=(3, 2, 4), return_indices=True), indices=True)


def test_max_pool3d_nan_and_minus_inf_follow_pytorchs_rule_next_to_the_padding():
    # Windows of -inf (the padding's value, which must not win) and NaN (the last wins).
    torch = _torch()
    x = _rand(2, 2, 3, 4, 5)
    x[0, 0, :, :, :2] = -np.inf
    x[1, 1, 1, 2, 3] = x[1, 1, 1, 2, 4] = np.nan
    x[1, 0] = -np.inf
    for kw in (dict(kernel_size=(1, 1, 3), stride=1, padding=(0, 0, 1)),
               dict(kernel_size=(3, 2, 2), stride=(1, 2, 2), padding=(1, 1, 1), ceil_mode=True)):
        ty, ti = torch.nn.functional.max_pool3d(torch.tensor(x), return_indices=True, **kw)
        oy, oi = F.max_pool3d(ag.tensor(x), return_indices=True, **kw)
        np.testing.assert_array_equal(oi.data, ti.numpy())
        np.testing.assert_array_equal(oy.data, ty.numpy())


# ---- without PyTorch: references, finite differences, empty batches ---------------------

def test_conv3d_and_its_transpose_against_the_loop_references():
    x, w, b = _rand(2, 4, 4, 5, 3), _rand(6, 2, 2, 3, 2), _rand(6)
    got = F.conv3d(ag.tensor(x), ag.tensor(w), ag.tensor(b), (1, 2, 1), (1, 0, 1), (2, 1, 1), 2)
    np.testing.assert_allclose(got.data, np_convnd(x, w, b, (1, 2, 1), (1, 0, 1), (2, 1, 1), 2),
                               rtol=1e-12, atol=1e-12)
    wt = _rand(4, 3, 2, 1, 3)
    got = F.conv_transpose3d(ag.tensor(x), ag.tensor(wt), None, 2, (0, 1, 1), (1, 0, 1), 2)
    np.testing.assert_allclose(got.data, np_conv_transpose_nd(x, wt, None, 2, (0, 1, 1),
                                                              (1, 0, 1), 2),
                               rtol=1e-12, atol=1e-12)


def test_conv3d_first_and_second_derivatives_match_finite_differences():
    x = ag.tensor(_rand(2, 2, 3, 4, 3), requires_grad=True)
    w = ag.tensor(_rand(4, 1, 2, 2, 2), requires_grad=True)
    b = ag.tensor(_rand(4), requires_grad=True)

    def conv(x, w, b):
        return F.conv3d(x, w, b, (1, 2, 1), (1, 0, 1), (1, 1, 2), 2)
    assert gradcheck(conv, (x, w, b))
    assert gradgradcheck(conv, (x, w, b))

    w = ag.tensor(_rand(2, 2, 2, 1, 2), requires_grad=True)

    def conv_t(x, w, b):
        return F.conv_transpose3d(x, w, b, 2, (1, 0, 0), (1, 0, 1), 2, (1, 2, 1))
    assert gradcheck(conv_t, (x, w, b))
    assert gradgradcheck(conv_t, (x, w, b))


def test_pool3d_second_derivatives_match_finite_differences():
    x = ag.tensor(RNG.permutation(2 * 2 * 4 * 4 * 3).reshape(2, 2, 4, 4, 3) / 10,
                  requires_grad=True)     # distinct values: no ties for the differences
    for fn in (lambda t: F.max_pool3d(t, (2, 3, 2), (1, 2, 1), (1, 1, 0), ceil_mode=True),
               lambda t: F.avg_pool3d(t, 3, 2, 1, ceil_mode=True, count_include_pad=False),
               lambda t: F.adaptive_max_pool3d(t, (3, 2, 2)),
               lambda t: F.adaptive_avg_pool3d(t, (3, None, 2)),
               lambda t: F.lp_pool3d(t + 0.5, 2, 2, ceil_mode=True)):
        assert gradcheck(fn, (x,))
        assert gradgradcheck(fn, (x,))


def test_max_pool3d_first_maximum_rule_without_torch():
    # Window (0, 0, 0) of a 2x2x2 pool holds two 1s: the first in (t, h, w) order wins.
    x = np.zeros((1, 1, 2, 2, 2))
    x[0, 0, 1, 0, 0] = x[0, 0, 0, 1, 1] = 1.0
    xt = ag.tensor(x, requires_grad=True)
    out, idx = F.max_pool3d(xt, 2, return_indices=True)
    assert idx.data.item() == 3     # (0*2 + 1)*2 + 1, before (1*2 + 0)*2 + 0 = 4
    out.sum().backward()
    assert xt.grad.data[0, 0, 0, 1, 1] == 1 and xt.grad.data.sum() == 1
    np.testing.assert_array_equal(
        F.max_pool3d(ag.tensor(x), 2, 1, 1, (1, 1, 1), True).data,
        np_max_pool3d(x, 2, 1, 1, 1, True))


def test_empty_batches_keep_working():
    x = ag.tensor(np.zeros((0, 2, 3, 4, 4)))
    assert F.conv3d(x, ag.tensor(_rand(3, 2, 2, 2, 2)), padding=1).shape == (0, 3, 4, 5, 5)
    assert F.conv_transpose3d(x, ag.tensor(_rand(2, 3, 2, 2, 2))).shape == (0, 3, 4, 5, 5)
    assert F.max_pool3d(x, 2).shape == (0, 2, 1, 2, 2)
    assert F.avg_pool3d(x, 2, padding=1).shape == (0, 2, 2, 3, 3)


# ---- errors -----------------------------------------------------------------------------

X5, W5 = _rand(1, 2, 3, 3, 3), _rand(2, 2, 1, 1, 1)
LONG = np.zeros((1, 2, 2, 2, 2), np.int64)

# (call on (F, nn, tensor-maker), exception type, what our message must say)
BAD_CALLS = [
    (lambda F_, nn_, t: F_.conv3d(t(X5), t(_rand(2, 2, 4, 4, 4))), RuntimeError,
     r"conv3d: Calculated padded input size per channel: \(3 x 3 x 3\)\. Kernel size: "
     r"\(4 x 4 x 4\)"),
    (lambda F_, nn_, t: F_.conv3d(t(X5), t(_rand(2, 3, 1, 1, 1))), RuntimeError,
     r"conv3d: .*expected input\[1, 2, 3, 3, 3\] to have 3 channels, but got 2"),
    (lambda F_, nn_, t: F_.conv3d(t(_rand(2, 3, 3)), t(W5)), RuntimeError,
     r"conv3d: Expected 4D \(unbatched\) or 5D \(batched\) input.*\[2, 3, 3\]"),
    (lambda F_, nn_, t: F_.conv3d(t(X5), t(W5), stride=(1, 2)), RuntimeError,
     r"conv3d: stride must be an int or a tuple of 3 ints"),
    (lambda F_, nn_, t: F_.conv3d(t(X5), t(W5), padding=(1.5, 1, 1)), TypeError,
     r"conv3d: padding must be"),
    (lambda F_, nn_, t: F_.conv3d(t(X5), t(_rand(2, 2, 0, 1, 1))), RuntimeError,
     r"conv3d: kernel size should be greater than zero, but got 0 x 1 x 1"),
    (lambda F_, nn_, t: F_.conv3d(t(X5), t(W5), t(_rand(3))), RuntimeError,
     r"conv3d: .*expected bias to be 1-dimensional with 2 elements"),
    (lambda F_, nn_, t: F_.conv_transpose3d(t(_rand(1, 2, 1, 1, 1)), t(W5), padding=1),
     RuntimeError, r"conv_transpose3d: Given input size per channel: \(1 x 1 x 1\)\. "
                   r"Calculated output size per channel: \(-1 x -1 x -1\)"),
    (lambda F_, nn_, t: F_.conv_transpose3d(t(_rand(1, 3, 1, 1, 1)), t(W5)), RuntimeError,
     r"conv_transpose3d: Given transposed=1, weight of size \[2, 2, 1, 1, 1\], expected "
     r"input\[1, 3, 1, 1, 1\] to have 2 channels"),
    (lambda F_, nn_, t: F_.conv_transpose3d(t(X5), t(W5), stride=2, output_padding=2),
     RuntimeError, r"conv_transpose3d: output padding must be smaller"),
    (lambda F_, nn_, t: F_.max_pool3d(t(_rand(1, 2, 1, 2, 3)), 2), RuntimeError,
     r"max_pool3d: Given input size: \(2x1x2x3\)\. Calculated output size: \(2x0x1x1\)"),
    (lambda F_, nn_, t: F_.max_pool3d(t(X5), 2, padding=2), RuntimeError,
     r"max_pool3d: pad should be at most half of kernel size"),
    (lambda F_, nn_, t: F_.max_pool3d(t(X5), (2, 2)), RuntimeError,
     r"max_pool3d: kernel_size must be an int or a tuple of 3 ints"),
    (lambda F_, nn_, t: F_.max_pool3d(t(_rand(3, 3, 3)), 2), RuntimeError,
     r"max_pool3d: Expected 4D \(unbatched\) or 5D"),
    (lambda F_, nn_, t: F_.max_pool3d(t(np.zeros((1, 0, 4, 4, 4))), 2), RuntimeError,
     r"max_pool3d: Expected 4D or 5D .*\[1, 0, 4, 4, 4\]"),
    (lambda F_, nn_, t: F_.avg_pool3d(t(X5), 2, divisor_override=0), RuntimeError,
     r"avg_pool3d: divisor must be not zero"),
    (lambda F_, nn_, t: F_.avg_pool3d(t(_rand(1, 2, 1, 2, 2)), 2, ceil_mode=True),
     RuntimeError, r"avg_pool3d: input image \(T: 1 H: 2 W: 2\) smaller than kernel size "
                   r"\(kT: 2 kH: 2 kW: 2\)"),
    (lambda F_, nn_, t: F_.avg_pool3d(t(_rand(1, 2, 3, 2, 3)), 3, padding=1), RuntimeError,
     r"avg_pool3d: input image \(T: 3 H: 2 W: 3\) smaller than kernel size"),
    (lambda F_, nn_, t: F_.lp_pool3d(t(_rand(2, 1, 2, 2)), 2, 2, ceil_mode=True),
     RuntimeError, r"lp_pool3d: input image \(T: 1 H: 2 W: 2\) smaller than kernel size"),
    (lambda F_, nn_, t: F_.adaptive_avg_pool3d(t(X5), (2, 2)), RuntimeError,
     r"adaptive_avg_pool3d: output_size must be an int or a tuple of 3"),
    (lambda F_, nn_, t: F_.adaptive_max_pool3d(t(X5), (2, 2.5, 2)), TypeError,
     r"adaptive_max_pool3d: output_size must be an int or a tuple of 3 ints or None"),
    (lambda F_, nn_, t: F_.adaptive_max_pool3d(t(_rand(3, 3, 3)), 2), RuntimeError,
     r"adaptive_max_pool3d: Expected 4D \(unbatched\) or 5D"),
    (lambda F_, nn_, t: F_.lp_pool3d(t(_rand(1, 2, 1, 3, 3)), 2, 2), RuntimeError,
     r"lp_pool3d: Given input size: \(2x1x3x3\)"),
    (lambda F_, nn_, t: F_.max_unpool3d(t(_rand(1, 2, 2, 2, 2)), t(LONG + 100), 2),
     RuntimeError, r"max_unpool3d: Found an invalid max index: 100 \(output volumes are of "
                   r"size 4x4x4\)"),
    (lambda F_, nn_, t: F_.max_unpool3d(t(_rand(1, 2, 2, 2, 2)), t(LONG), 2,
                                        output_size=(9, 9, 9)),
     ValueError, r"max_unpool3d: invalid output_size \"\(9, 9, 9\)\" \(dim 0 must be "
                 r"between 2 and 6\)"),
    (lambda F_, nn_, t: nn_.Conv3d(2, 4, 3)(t(np.zeros((1, 3, 4, 4, 4), np.float32))),
     RuntimeError,
     r"Conv3d\(2, 4, kernel_size=\(3, 3, 3\).*to have 2 channels, but got 3"),
    (lambda F_, nn_, t: nn_.ConvTranspose3d(2, 4, 2, stride=2)(t(X5), output_size=(9, 9, 9)),
     ValueError, r"ConvTranspose3d\(2, 4.*valid sizes range from \[6, 6, 6\] to \[7, 7, 7\]"),
    (lambda F_, nn_, t: nn_.BatchNorm3d(2)(t(_rand(2, 2, 3, 3))), ValueError,
     r"BatchNorm3d\(2, .*expected 5D input, got 4D input"),
    (lambda F_, nn_, t: nn_.InstanceNorm3d(2)(t(_rand(2, 2, 3))), ValueError,
     r"InstanceNorm3d\(2, .*expected 4D or 5D input, got 3D input"),
    (lambda F_, nn_, t: nn_.MaxPool3d(3)(t(_rand(1, 2, 2, 4, 4))), RuntimeError,
     r"MaxPool3d\(kernel_size=3, .*Output size is too small"),
]


@pytest.mark.parametrize("call, exc, match", BAD_CALLS)
def test_bad_calls_raise_pytorchs_exception_type_naming_the_op(call, exc, match):
    with pytest.raises(exc, match=match):
        call(F, nn, ag.tensor)


@pytest.mark.parametrize("call, exc, match", BAD_CALLS)
def test_pytorch_raises_the_same_exception_type(call, exc, match):
    torch = _torch()
    with pytest.raises(exc):
        call(torch.nn.functional, torch.nn, torch.tensor)


# ---- modules ----------------------------------------------------------------------------

def _load_from_torch(m, tm):
    m.load_state_dict({k: ag.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})


def _load_into_torch(torch, tm, m):
    tm.load_state_dict({k: torch.tensor(np.asarray(v.data)) for k, v in m.state_dict().items()})


def _module_parity(torch, m, tm, x, **call):
    """Equal reprs, outputs and gradients (of the input and every parameter)."""
    assert repr(m) == repr(tm)
    m.zero_grad(), tm.zero_grad()
    tx, ox = torch.tensor(x, requires_grad=True), ag.tensor(x, requires_grad=True)
    ty, oy = tm(tx, **call), m(ox, **call)
    np.testing.assert_allclose(oy.data, ty.detach().numpy(), rtol=RTOL, atol=ATOL)
    u = np.random.default_rng(4).standard_normal(oy.shape)
    (ty * torch.tensor(u)).sum().backward()
    (oy * ag.tensor(u)).sum().backward()
    np.testing.assert_allclose(ox.grad.data, tx.grad.numpy(), rtol=RTOL, atol=ATOL)
    for (k, p), (tk, tp) in zip(m.named_parameters(), tm.named_parameters(), strict=True):
        assert k == tk
        np.testing.assert_allclose(p.grad.data, tp.grad.numpy(), rtol=RTOL, atol=ATOL,
                                   err_msg=k)


@pytest.mark.parametrize("cls, args, kwargs, x_shape, call", [
    ("Conv3d", (4, 6, 3), dict(stride=(1, 2, 1), padding=1, groups=2), (2, 4, 4, 5, 4), {}),
    ("Conv3d", (2, 3, (2, 3, 1)), dict(padding="same", dilation=(2, 1, 1), bias=False),
     (2, 3, 4, 4), {}),
    ("Conv3d", (2, 3, 2), dict(padding=(1, 0, 2), padding_mode="circular"), (1, 2, 3, 4, 4),
     {}),
    ("Conv3d", (2, 3, 3), dict(padding=1, padding_mode="reflect"), (1, 2, 3, 4, 4), {}),
    ("ConvTranspose3d", (4, 6, (2, 3, 2)), dict(stride=2, padding=(1, 0, 0), groups=2,
                                                output_padding=(1, 0, 1)), (2, 4, 2, 3, 2), {}),
    ("ConvTranspose3d", (2, 3, 2), dict(stride=(2, 1, 3), dilation=(1, 2, 1)),
     (2, 2, 3, 2), dict(output_size=(5, 5, 6))),
], ids=str)
def test_conv3d_modules_match_pytorch_and_state_dicts_move_both_ways(cls, args, kwargs,
                                                                     x_shape, call):
    torch = _torch()
    tm = getattr(torch.nn, cls)(*args, **kwargs).double()
    m = getattr(nn, cls)(*args, **kwargs, dtype=ag.float64)
    assert {k: tuple(v.shape) for k, v in m.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in tm.state_dict().items()}
    _load_from_torch(m, tm)
    _module_parity(torch, m, tm, _rand(*x_shape), **call)
    ag.manual_seed(1)
    m2 = getattr(nn, cls)(*args, **kwargs, dtype=ag.float64)      # ours -> torch
    _load_into_torch(torch, tm, m2)
    _module_parity(torch, m2, tm, _rand(*x_shape), **call)


def test_conv3d_default_init_bounds_and_layout():
    ag.manual_seed(0)
    m = nn.Conv3d(4, 6, (2, 3, 1), groups=2)
    assert [(k, v.shape) for k, v in m.named_parameters()] == [("weight", (6, 2, 2, 3, 1)),
                                                               ("bias", (6,))]
    bound = 1 / np.sqrt(2 * 2 * 3 * 1)          # 1/sqrt(fan_in), fan_in = 2 * prod(kernel)
    assert 0.5 * bound < np.abs(m.weight.data).max() <= bound
    t = nn.ConvTranspose3d(4, 6, 2, groups=2)
    assert t.weight.shape == (4, 3, 2, 2, 2)
    bound = 1 / np.sqrt(3 * 8)
    assert 0.5 * bound < np.abs(t.bias.data).max() <= bound


@pytest.mark.parametrize("cls, args, kwargs, x_shape", [
    ("MaxPool3d", (2,), dict(), (2, 3, 4, 5, 6)),
    ("MaxPool3d", ((2, 3, 2), (1, 2, 1)), dict(padding=1, dilation=(1, 1, 2), ceil_mode=True),
     (3, 4, 5, 6)),
    ("AvgPool3d", (2,), dict(), (2, 3, 4, 5, 6)),
    ("AvgPool3d", (3, 2, 1), dict(ceil_mode=True, count_include_pad=False), (3, 4, 5, 6)),
    ("AvgPool3d", ((1, 2, 3),), dict(divisor_override=4), (2, 3, 4, 5, 6)),
    ("AdaptiveAvgPool3d", ((2, None, 3),), dict(), (2, 3, 4, 5, 6)),
    ("AdaptiveMaxPool3d", (3,), dict(), (3, 4, 5, 6)),
    ("LPPool3d", (2, 2), dict(), (2, 3, 4, 5, 6)),
    ("LPPool3d", (3, (2, 1, 2), (1, 1, 2)), dict(ceil_mode=True), (3, 4, 5, 6)),
], ids=str)
def test_pooling_modules_match_pytorch(cls, args, kwargs, x_shape):
    torch = _torch()
    x = np.abs(_rand(*x_shape)) + 0.1 if cls == "LPPool3d" else _rand(*x_shape)
    _module_parity(torch, getattr(nn, cls)(*args, **kwargs),
                   getattr(torch.nn, cls)(*args, **kwargs), x)


def test_pooling_modules_with_indices_and_unpooling_match_pytorch():
    torch = _torch()
    x = _rand(2, 3, 5, 6, 7)
    for ours, theirs in ((nn.MaxPool3d(2, return_indices=True),
                          torch.nn.MaxPool3d(2, return_indices=True)),
                         (nn.AdaptiveMaxPool3d((2, 3, 2), return_indices=True),
                          torch.nn.AdaptiveMaxPool3d((2, 3, 2), return_indices=True))):
        (oy, oi), (ty, ti) = ours(ag.tensor(x)), theirs(torch.tensor(x))
        np.testing.assert_array_equal(oi.data, ti.numpy())
        np.testing.assert_allclose(oy.data, ty.numpy(), rtol=RTOL, atol=ATOL)
    (oy, oi), (ty, ti) = (nn.MaxPool3d(2, return_indices=True)(ag.tensor(x)),
                          torch.nn.MaxPool3d(2, return_indices=True)(torch.tensor(x)))
    ours, theirs = nn.MaxUnpool3d(2), torch.nn.MaxUnpool3d(2)
    assert repr(ours) == repr(theirs)
    np.testing.assert_array_equal(ours(oy, oi, output_size=x.shape).data,
                                  theirs(ty, ti, output_size=x.shape).numpy())


@pytest.mark.parametrize("kwargs", [dict(), dict(momentum=None), dict(affine=False),
                                    dict(track_running_stats=False), dict(bias=False)], ids=str)
def test_batchnorm3d_matches_pytorch_in_training_and_eval(kwargs):
    torch = _torch()
    tm = torch.nn.BatchNorm3d(3, **kwargs).double()
    m = nn.BatchNorm3d(3, **kwargs, dtype=ag.float64)
    if m.weight is not None:     # non-trivial affine parameters, both ways
        m.weight.data[:] = _rand(3)
        _load_into_torch(torch, tm, m)
    for _ in range(2):
        _module_parity(torch, m, tm, _rand(2, 3, 2, 3, 4))
    for k, v in tm.state_dict().items():
        np.testing.assert_allclose(np.asarray(m.state_dict()[k].data), v.numpy(), rtol=RTOL,
                                   atol=ATOL, err_msg=k)
    m.eval(), tm.eval()
    _module_parity(torch, m, tm, _rand(2, 3, 2, 3, 4))
    m2 = nn.BatchNorm3d(3, **kwargs, dtype=ag.float64).eval()    # torch -> ours
    _load_from_torch(m2, tm)
    _module_parity(torch, m2, tm, _rand(1, 3, 2, 2, 2))


@pytest.mark.parametrize("kwargs", [dict(), dict(affine=True),
                                    dict(affine=True, track_running_stats=True)], ids=str)
@pytest.mark.parametrize("x_shape", [(2, 3, 2, 3, 4), (3, 2, 3, 4)], ids=str)
def test_instancenorm3d_matches_pytorch_batched_and_unbatched(kwargs, x_shape):
    torch = _torch()
    tm = torch.nn.InstanceNorm3d(3, **kwargs).double()
    m = nn.InstanceNorm3d(3, **kwargs, dtype=ag.float64)
    if m.weight is not None:
        m.weight.data[:] = _rand(3)
        m.bias.data[:] = _rand(3)
        _load_into_torch(torch, tm, m)
    _module_parity(torch, m, tm, _rand(*x_shape))
    assert m.state_dict().keys() == tm.state_dict().keys()
    for k, v in tm.state_dict().items():
        np.testing.assert_allclose(np.asarray(m.state_dict()[k].data), v.numpy(), rtol=RTOL,
                                   atol=ATOL, err_msg=k)
    m.eval(), tm.eval()
    _module_parity(torch, m, tm, _rand(*x_shape))


def test_graph_nodes_are_named_for_the_dims():
    """The ops serve 2-d and 3-d; a 3-d call's node says so (graphs and errors show it)."""
    x = ag.tensor(_rand(1, 2, 4, 4, 4), requires_grad=True)
    w = ag.tensor(_rand(3, 2, 2, 2, 2), requires_grad=True)
    y = F.conv3d(x, w)
    names = [y.grad_fn.name, F.max_pool3d(y, 2).grad_fn.name, F.avg_pool3d(y, 2).grad_fn.name]
    assert names == ["Conv3d", "MaxPool3d", "AvgPool3d"]
    (gx,) = ag.grad(y.sum(), x, create_graph=True)
    assert gx.grad_fn.name == "ConvTranspose3d" and repr(gx.grad_fn) == "<ConvTranspose3dBackward>"
    y2 = F.conv2d(x[:, :, 0], w[:, :, 0])
    assert [y2.grad_fn.name, F.max_pool2d(y2, 1).grad_fn.name] == ["Conv2d", "MaxPool2d"]
