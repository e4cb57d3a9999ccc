"""LPPool1d/2d, Unfold/Fold, ChannelShuffle and MaxUnpool1d/2d beyond the op table:
shapes, the fold/unfold adjoint pair and overlap counts, PyTorch's gradient rules and
errors, module reprs; with torch installed, outputs, input gradients, reprs and exception
types against PyTorch's (skipped without it)."""
from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
from nn import functional as F

RNG = np.random.default_rng(0)
X = RNG.standard_normal((2, 3, 7, 6))


def _overlap_count(hw, k, d, p, s):
    """How many unfold blocks read each input position (a direct count per tap)."""
    H, W = hw
    Ho = (H + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    Wo = (W + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    count = np.zeros((H, W))
    for i in range(Ho):
        for j in range(Wo):
            for a in range(k[0]):
                for b in range(k[1]):
                    r, c = i * s[0] + a * d[0] - p[0], j * s[1] + b * d[1] - p[1]
                    if 0 <= r < H and 0 <= c < W:
                        count[r, c] += 1
    return count


FOLD_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=(2, 3), dilation=(1, 2), padding=(1, 0), stride=(2, 1)),
    dict(kernel_size=3, padding=1, stride=2),
    dict(kernel_size=(3, 1), dilation=2, padding=(2, 0), stride=(1, 3)),
]


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


# ---- shapes, fold o unfold, adjointness -------------------------------------------------

@pytest.mark.parametrize("kw", FOLD_CASES)
def test_fold_of_unfold_is_x_times_the_overlap_count(kw):
    k, d = _pair(kw["kernel_size"]), _pair(kw.get("dilation", 1))
    p, s = _pair(kw.get("padding", 0)), _pair(kw.get("stride", 1))
    cols = F.unfold(ag.tensor(X), **kw)
    Ho = (7 + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    Wo = (6 + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    assert cols.shape == (2, 3 * k[0] * k[1], Ho * Wo)
    back = F.fold(cols, (7, 6), **kw)
    assert back.shape == X.shape
    np.testing.assert_allclose(back.data, X * _overlap_count((7, 6), k, d, p, s), rtol=1e-12)


@pytest.mark.parametrize("kw", FOLD_CASES)
def test_unfold_and_fold_are_adjoint(kw):
    x = ag.tensor(X)
    cols = F.unfold(x, **kw)
    y = RNG.standard_normal(cols.shape)
    lhs = float((cols.data * y).sum())
    rhs = float((X * F.fold(ag.tensor(y), (7, 6), **kw).data).sum())
    assert lhs == pytest.approx(rhs, rel=1e-12)
    # and the gradient of unfold is fold of the cotangent
    t = ag.tensor(X, requires_grad=True)
    (F.unfold(t, **kw) * ag.tensor(y)).sum().backward()
    np.testing.assert_allclose(t.grad.data, F.fold(ag.tensor(y), (7, 6), **kw).data,
                               rtol=1e-12)


def test_unbatched_unfold_and_fold_drop_the_batch_dim():
    cols = F.unfold(ag.tensor(X[0]), 2)
    assert cols.shape == (12, 30)
    np.testing.assert_array_equal(cols.data, F.unfold(ag.tensor(X), 2).data[0])
    assert F.fold(cols, (7, 6), 2).shape == (3, 7, 6)


def test_unfold_reads_block_taps_channel_major():
    x = np.arange(2 * 3 * 4, dtype=np.float64).reshape(1, 2, 3, 4)
    cols = F.unfold(ag.tensor(x), 2).data
    # column 0 is the top-left block: channel 0 taps (0,0),(0,1),(1,0),(1,1), then channel 1
    np.testing.assert_array_equal(cols[0, :, 0], [0, 1, 4, 5, 12, 13, 16, 17])
    np.testing.assert_array_equal(cols[0, 0], [0, 1, 2, 4, 5, 6])   # blocks row-major


def test_unfold_fold_modules_and_reprs():
    u, f = nn.Unfold(2, padding=1), nn.Fold((7, 6), 2, padding=1)
    assert repr(u) == "Unfold(kernel_size=2, dilation=1, padding=1, stride=1)"
    assert repr(f) == "Fold(output_size=(7, 6), kernel_size=2, dilation=1, padding=1, stride=1)"
    np.testing.assert_allclose(f(u(ag.tensor(X))).data,
                               X * _overlap_count((7, 6), (2, 2), (1, 1), (1, 1), (1, 1)))
    with pytest.raises(RuntimeError, match=r"Fold\(output_size=\(7, 6\).*sliding blocks"):
        f(ag.tensor(np.zeros((1, 12, 5))))


# ---- lp pooling -----------------------------------------------------------------------------

def test_lp_pool_shapes_and_norm_values():
    x = ag.tensor(X)
    assert F.lp_pool2d(x, 2, 2).shape == (2, 3, 3, 3)
    assert F.lp_pool2d(x, 2, 3, 2, ceil_mode=True).shape == (2, 3, 3, 3)
    assert F.lp_pool1d(ag.tensor(X[0]), 2, 3).shape == (3, 7, 2)
    # p = 2 over a 2x2 window is the window's Euclidean norm
    np.testing.assert_allclose(F.lp_pool2d(x, 2, 2).data[0, 0, 0, 0],
                               np.linalg.norm(X[0, 0, :2, :2]), rtol=1e-12)
    np.testing.assert_allclose(F.lp_pool2d(x, float("inf"), 2).data[0, 0, 0, 0],
                               np.abs(X[0, 0, :2, :2]).max())
    np.testing.assert_allclose(F.lp_pool2d(x, -float("inf"), 2).data[0, 0, 0, 0],
                               np.abs(X[0, 0, :2, :2]).min())


def test_lp_pool_gradient_is_zero_where_the_window_sum_is_zero():
    x = np.zeros((1, 1, 2, 4))
    x[0, 0, 0, 2] = 3.0
    t = ag.tensor(x, requires_grad=True)
    y = F.lp_pool2d(t, 2, 2)
    np.testing.assert_array_equal(y.data, [[[[0.0, 3.0]]]])
    y.sum().backward()
    want = np.zeros_like(x)
    want[0, 0, 0, 2] = 1.0
    np.testing.assert_array_equal(t.grad.data, want)   # no NaN from 0 ** (1/p - 1)


def test_lp_pool_ceil_mode_scales_a_cut_window_to_the_kernel_area():
    x = np.ones((1, 1, 1, 3))
    # windows [0, 2) and [2, 3): the second holds 1 element, scaled by 2/1 (PyTorch's rule)
    np.testing.assert_allclose(F.lp_pool1d(ag.tensor(x[0]), 1, 2, ceil_mode=True).data,
                               [[[2.0, 2.0]]])


def test_lp_pool_modules_and_reprs():
    assert repr(nn.LPPool2d(2, 3)) == \
        "LPPool2d(norm_type=2, kernel_size=3, stride=None, ceil_mode=False)"
    assert repr(nn.LPPool1d(1.5, 3, 2, True)) == \
        "LPPool1d(norm_type=1.5, kernel_size=3, stride=2, ceil_mode=True)"
    np.testing.assert_array_equal(nn.LPPool2d(2, 2)(ag.tensor(X)).data,
                                  F.lp_pool2d(ag.tensor(X), 2, 2).data)


# ---- channel shuffle --------------------------------------------------------------------

def test_channel_shuffle_interleaves_groups():
    x = ag.tensor(np.arange(6.0).reshape(1, 6, 1))
    np.testing.assert_array_equal(F.channel_shuffle(x, 2).data[0, :, 0], [0, 3, 1, 4, 2, 5])
    np.testing.assert_array_equal(nn.ChannelShuffle(3)(x).data[0, :, 0], [0, 2, 4, 1, 3, 5])
    assert repr(nn.ChannelShuffle(3)) == "ChannelShuffle(groups=3)"
    # shuffling by g then by C/g is the identity
    y = F.channel_shuffle(F.channel_shuffle(ag.tensor(X[:, :, :2].reshape(2, 6, 2, 3)), 2), 3)
    np.testing.assert_array_equal(y.data, X[:, :, :2].reshape(2, 6, 2, 3))


# ---- max unpooling -----------------------------------------------------------------------

def test_max_unpool_puts_the_maxima_back_in_place():
    xp = np.abs(X) + 0.1      # positive: the zeros put around the maxima never win
    y, idx = F.max_pool2d(ag.tensor(xp), 2, return_indices=True)
    up = F.max_unpool2d(y, idx, 2, output_size=(7, 6))
    assert up.shape == (2, 3, 7, 6)
    kept = up.data != 0
    assert kept.sum() == y.numel()
    np.testing.assert_array_equal(up.data[kept], xp[kept])
    np.testing.assert_array_equal(F.max_pool2d(up, 2).data, y.data)
    assert F.max_unpool2d(y, idx, 2).shape == (2, 3, 6, 6)   # the default size


def test_max_unpool_gradient_gathers_at_the_indices():
    y, idx = F.max_pool1d(ag.tensor(X[0, :, 0]), 2, return_indices=True)
    t = ag.tensor(y.data, requires_grad=True)
    u = RNG.standard_normal((3, 6))
    (nn.MaxUnpool1d(2)(t, idx) * ag.tensor(u)).sum().backward()
    np.testing.assert_array_equal(t.grad.data, np.take_along_axis(u, idx.data, 1))
    assert repr(nn.MaxUnpool2d(2)) == \
        "MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))"
    assert repr(nn.MaxUnpool1d(3, 2, 1)) == \
        "MaxUnpool1d(kernel_size=(3,), stride=(2,), padding=(1,))"


# ---- errors -----------------------------------------------------------------------------

COLS = RNG.standard_normal((2, 12, 30))
IDX = np.zeros((2, 3, 3, 3), np.int64)

# (function, args, kwargs, exception type, message pattern); each type is PyTorch's
BAD_CALLS = [
    ("fold", (COLS, (7, 7), 2), {}, RuntimeError, r"fold: .*sliding blocks 6 \* 6 = 36.*=30"),
    ("fold", (COLS, (7, 6), 3), {}, RuntimeError, r"fold: .*divisible by the product"),
    ("fold", (COLS[0, 0], (7, 6), 2), {}, RuntimeError, r"fold: Expected 2D or 3D"),
    ("fold", (COLS, (7, 6), 2), dict(stride=0), RuntimeError, r"fold: stride should be"),
    ("fold", (COLS, (7, 6, 1), 2), {}, RuntimeError, r"fold: output_size"),
    ("fold", (COLS, (7, 6), 2.5), {}, TypeError, r"fold: kernel_size"),
    ("unfold", (X, 8), {}, RuntimeError, r"unfold: .*sliding blocks as \(0, -1\)"),
    ("unfold", (X, 2), dict(padding=-1), RuntimeError, r"unfold: padding should be"),
    ("unfold", (X, 2), dict(dilation=0), RuntimeError, r"unfold: dilation should be"),
    ("unfold", (X, 0), {}, RuntimeError, r"unfold: kernel size should be"),
    ("unfold", (X[0, 0, 0],), dict(kernel_size=2), RuntimeError, r"unfold: Expected 3D or 4D"),
    ("channel_shuffle", (X, 2), {}, RuntimeError, r"channel_shuffle: .*Got 3 channels and 2"),
    ("channel_shuffle", (X, 0), {}, RuntimeError, r"channel_shuffle: .*must be positive"),
    ("channel_shuffle", (X[0, 0], 2), {}, RuntimeError, r"channel_shuffle expects input with"),
    ("channel_shuffle", (X, 1.0), {}, TypeError, r"channel_shuffle: argument 'groups'"),
    ("lp_pool2d", (X, 0, 2), {}, ZeroDivisionError, r"lp_pool2d: norm_type"),
    ("lp_pool2d", (X, 2, 8), {}, RuntimeError, r"lp_pool2d: .*Output size is too small"),
    ("lp_pool1d", (X[0], 0.0, 2), {}, ZeroDivisionError, r"lp_pool1d: norm_type"),
    ("max_unpool2d", (X[:, :, :3, :3], IDX[:, :, :2], 2), {}, RuntimeError,
     r"max_unpool2d: Expected shape of indices"),
    ("max_unpool2d", (X[:, :, :3, :3], IDX + 36, 2), {}, RuntimeError,
     r"max_unpool2d: Found an invalid max index: 36"),
    ("max_unpool2d", (X[:, :, :3, :3], IDX, 2), dict(output_size=(9, 6)), ValueError,
     r"max_unpool2d: invalid output_size"),
    ("max_unpool2d", (X[:, :, :3, :3], IDX, 2), dict(output_size=(6,)), ValueError,
     r"max_unpool2d: output_size should be a sequence containing 2 or 4"),
]


def _args(args, wrap):
    return [wrap(a) if isinstance(a, np.ndarray) else a for a in args]


@pytest.mark.parametrize("name, args, kwargs, exc, match", BAD_CALLS,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(BAD_CALLS)])
def test_bad_calls_raise_pytorchs_exception_type_naming_the_op(name, args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        getattr(F, name)(*_args(args, ag.tensor), **kwargs)


def test_lp_pool_refuses_a_non_numeric_norm_type_and_modules_name_themselves():
    with pytest.raises(TypeError, match="lp_pool2d: norm_type"):
        F.lp_pool2d(ag.tensor(X), "2", 2)
    with pytest.raises(ZeroDivisionError, match=r"LPPool2d\(norm_type=0.*norm_type"):
        nn.LPPool2d(0, 2)(ag.tensor(X))
    with pytest.raises(RuntimeError, match=r"channel_shuffle: .*3 channels and 2 groups"):
        nn.ChannelShuffle(2)(ag.tensor(X))


# ---- PyTorch parity ---------------------------------------------------------------------

@pytest.mark.parametrize("name, args, kwargs, exc, match", BAD_CALLS,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(BAD_CALLS)])
def test_pytorch_raises_the_same_type(name, args, kwargs, exc, match):
    torch = pytest.importorskip("torch")
    if name == "unfold" and np.ndim(args[0]) < 3:
        exc = IndexError   # (PyTorch's _pair indexes a missing dim: a documented difference)
    with pytest.raises(exc):
        getattr(torch.nn.functional, name)(*_args(args, torch.tensor), **kwargs)


def _parity(fn, tfn, x, rtol=1e-10):
    """Outputs and input gradients (for a random cotangent) of fn and torch's tfn."""
    torch = pytest.importorskip("torch")
    t = ag.tensor(x, requires_grad=True)
    tt = torch.tensor(x, requires_grad=True)
    y, yt = fn(t), tfn(tt)
    assert y.shape == tuple(yt.shape)
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=rtol, atol=1e-12)
    u = np.random.default_rng(1).standard_normal(y.shape)
    (y * ag.tensor(u)).sum().backward()
    (yt * torch.tensor(u)).sum().backward()
    np.testing.assert_allclose(t.grad.data, tt.grad.numpy(), rtol=rtol, atol=1e-12,
                               equal_nan=True)


LP_CASES = [(2, dict(kernel_size=2)), (3, dict(kernel_size=(3, 2), stride=(2, 1))),
            (1.5, dict(kernel_size=3, stride=2, ceil_mode=True)),
            (1, dict(kernel_size=2, stride=1)), (float("inf"), dict(kernel_size=3)),
            (-float("inf"), dict(kernel_size=2, ceil_mode=True)),
            (-1.0, dict(kernel_size=2))]


@pytest.mark.parametrize("p, kw", LP_CASES)
def test_lp_pool2d_matches_pytorch(p, kw):
    torch = pytest.importorskip("torch")
    x = np.abs(X) + 0.1 if p not in (1, 2) and np.isfinite(p) else X
    _parity(lambda t: F.lp_pool2d(t, p, **kw), lambda t: torch.nn.functional.lp_pool2d(t, p, **kw),
            x)
    _parity(lambda t: nn.LPPool2d(p, **kw)(t), lambda t: torch.nn.LPPool2d(p, **kw)(t), x[0])


@pytest.mark.parametrize("p, kw", LP_CASES)
def test_lp_pool1d_matches_pytorch(p, kw):
    torch = pytest.importorskip("torch")
    kw1 = {k: v[0] if isinstance(v, tuple) else v for k, v in kw.items()}
    x = (np.abs(X) + 0.1 if p not in (1, 2) and np.isfinite(p) else X)[:, :, 0]
    _parity(lambda t: F.lp_pool1d(t, p, **kw1),
            lambda t: torch.nn.functional.lp_pool1d(t, p, **kw1), x)
    assert repr(nn.LPPool1d(p, **kw1)) == repr(torch.nn.LPPool1d(p, **kw1))


def test_lp_pool_with_negative_inputs_and_zero_windows_matches_pytorch():
    torch = pytest.importorskip("torch")
    x = X.copy()
    x[0, 0, :2, :2] = 0.0       # a zero window: gradient 0, not NaN
    for p in (2, 3.0, 0.5):     # fractional powers of negative sums are NaN in both
        _parity(lambda t: F.lp_pool2d(t, p, 2),
                lambda t: torch.nn.functional.lp_pool2d(t, p, 2), x)


@pytest.mark.parametrize("kw", FOLD_CASES)
def test_unfold_and_fold_match_pytorch(kw):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    _parity(lambda t: F.unfold(t, **kw), lambda t: tf.unfold(t, **kw), X)
    _parity(lambda t: F.unfold(t, **kw), lambda t: tf.unfold(t, **kw), X[1])
    cols = tf.unfold(torch.tensor(X), **kw).numpy()
    _parity(lambda t: F.fold(t, (7, 6), **kw), lambda t: tf.fold(t, (7, 6), **kw), cols)
    _parity(lambda t: F.fold(F.unfold(t, **kw), (7, 6), **kw),
            lambda t: tf.fold(tf.unfold(t, **kw), (7, 6), **kw), X)
    assert repr(nn.Unfold(**kw)) == repr(torch.nn.Unfold(**kw))
    assert repr(nn.Fold((7, 6), **kw)) == repr(torch.nn.Fold((7, 6), **kw))


@pytest.mark.parametrize("groups, shape", [(2, (2, 6, 3, 2)), (3, (1, 6, 4)), (1, (2, 3, 2)),
                                           (4, (1, 8, 2, 2, 2))])
def test_channel_shuffle_matches_pytorch(groups, shape):
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal(shape)
    _parity(lambda t: F.channel_shuffle(t, groups),
            lambda t: torch.nn.functional.channel_shuffle(t, groups), x)
    assert repr(nn.ChannelShuffle(groups)) == repr(torch.nn.ChannelShuffle(groups))


@pytest.mark.parametrize("kw, shape, output_size", [
    (dict(kernel_size=2), (2, 3, 6, 6), None),
    (dict(kernel_size=3, stride=2, padding=1), (2, 3, 7, 7), None),
    (dict(kernel_size=2), (2, 3, 7, 6), (7, 6)),
    (dict(kernel_size=(2, 3), stride=(1, 2)), (3, 7, 7), (7, 7)),
])
def test_max_unpool2d_matches_pytorch(kw, shape, output_size):
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal(shape)
    y, idx = F.max_pool2d(ag.tensor(x), return_indices=True, **kw)
    _, tidx = torch.nn.functional.max_pool2d(torch.tensor(x), return_indices=True, **kw)
    np.testing.assert_array_equal(idx.data, tidx.numpy())
    _parity(lambda t: nn.MaxUnpool2d(**kw)(t, idx, output_size),
            lambda t: torch.nn.MaxUnpool2d(**kw)(t, tidx, output_size), y.data)
    assert repr(nn.MaxUnpool2d(**kw)) == repr(torch.nn.MaxUnpool2d(**kw))


def test_max_unpool1d_matches_pytorch():
    torch = pytest.importorskip("torch")
    x = X[:, :, 0, :5]
    y, idx = F.max_pool1d(ag.tensor(x), 3, 2, 1, return_indices=True)
    _, tidx = torch.nn.functional.max_pool1d(torch.tensor(x), 3, 2, 1, return_indices=True)
    _parity(lambda t: F.max_unpool1d(t, idx, 3, 2, 1),
            lambda t: torch.nn.functional.max_unpool1d(t, tidx, 3, 2, 1), y.data)
    assert repr(nn.MaxUnpool1d(3, 2, 1)) == repr(torch.nn.MaxUnpool1d(3, 2, 1))
