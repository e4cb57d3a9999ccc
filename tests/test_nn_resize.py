"""Resampling, pixel shuffle, padding layers and channel dropout: PyTorch parity of
outputs and gradients for every mode and option, reprs, the errors for bad input, and
the structure of channel dropout and the statistics of alpha dropout."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd as ag
import nn
from nn import functional as F
from numeric import assert_raises_like_torch

RNG = np.random.default_rng(0)

SIZES = [1, 2, 3, 5, 7, 8, 13]
SCALES = [0.5, 0.7, 1.0, 1.2, 1.5, 2.0, 2.1, 2.5, 3.0, 1 / 3, 0.34]


def _cases():
    """(mode, rank, kwargs) over sizes, scale factors (with and without
    recompute_scale_factor) and align_corners both ways."""
    out = []
    for mode, rank in (("nearest", 3), ("nearest", 4), ("nearest", 5), ("nearest-exact", 3),
                       ("nearest-exact", 4), ("linear", 3), ("bilinear", 4)):
        acs = [None] if mode.startswith("nearest") else [False, True]
        for ac in acs:
            opts = [dict(size=s) for s in SIZES] + [dict(scale_factor=s) for s in SCALES]
            opts += [dict(scale_factor=s, recompute_scale_factor=True) for s in (0.7, 1.2, 2.5)]
            opts += [dict(size=(3, 5, 2)[: rank - 2]), dict(scale_factor=(1.5, 0.5, 2)[: rank - 2])]
            out += [(mode, rank, dict(o, align_corners=ac)) for o in opts]
    return out


def _input(rank, n, dtype):
    return RNG.standard_normal((2, 3) + (n,) * (rank - 2)).astype(dtype)


def _pytorch_backward_differs(mode, n_in, n_out, kw) -> bool:
    """PyTorch's nearest backward takes its out == in and out == 2 in shortcuts even
    when a scale_factor is given, which its 1-D and 3-D forwards do not: there its
    gradient is not the derivative of its output (ours is, checked against finite
    differences in the op table and in test_nearest_gradient_is_the_derivative_of_the_output)."""
    scaled = kw.get("scale_factor") is not None and not kw.get("recompute_scale_factor")
    return mode == "nearest" and scaled and len(n_in) != 2 and any(o in (i, 2 * i) for i, o in zip(n_in, n_out))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 2, 3, 4, 6])
def test_interpolate_matches_pytorch(dtype, n):
    torch = pytest.importorskip("torch")
    for mode, rank, kw in _cases():
        if rank == 5 and n > 4:
            continue
        x = _input(rank, n, dtype)
        xt = torch.tensor(x, requires_grad=True)
        try:
            want = torch.nn.functional.interpolate(xt, mode=mode, **kw)
        except RuntimeError:   # (a size that rounds to 0: checked in the error tests)
            continue
        xo = ag.tensor(x, requires_grad=True)
        got = F.interpolate(xo, mode=mode, **kw)
        where = f"{mode} {x.shape} {kw}"
        assert got.shape == tuple(want.shape) and got.dtype == x.dtype, where
        tol = dict(rtol=1e-6, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(got.data, want.detach().numpy(), err_msg=where, **tol)
        if _pytorch_backward_differs(mode, x.shape[2:], want.shape[2:], kw):
            continue
        u = RNG.standard_normal(want.shape).astype(dtype)
        (want * torch.tensor(u)).sum().backward()
        (got * u).sum().backward()
        # (float32 gradients sum up to 13^3 terms, in another order than PyTorch's)
        gtol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else tol
        np.testing.assert_allclose(xo.grad.data, xt.grad.numpy(), err_msg=where, **gtol)


def test_nearest_indices_are_pytorchs_float32_ones():
    """Non-integer scales whose floors sit on float32 rounding boundaries: the indices
    (not just the values up to a tolerance) are PyTorch's."""
    torch = pytest.importorskip("torch")
    x = np.arange(40, dtype=np.float64).reshape(1, 1, 40)
    for mode in ("nearest", "nearest-exact"):
        for s in (1 / 3, 2 / 3, 0.1, 0.3, 1.1, 2.1, 2.9, 3.3, 10 / 7):
            got = F.interpolate(ag.tensor(x), scale_factor=s, mode=mode).data
            want = torch.nn.functional.interpolate(torch.tensor(x), scale_factor=s,
                                                   mode=mode).numpy()
            np.testing.assert_array_equal(got, want, err_msg=f"{mode} scale {s}")


def test_nearest_gradient_is_the_derivative_of_the_output():
    """Where PyTorch's nearest backward disagrees with its forward (a scale factor with
    out == in or 2 in), ours routes each output's gradient to the element it copies."""
    x = ag.tensor(np.zeros((1, 1, 6)), requires_grad=True)
    y = F.interpolate(x, scale_factor=2.1)   # out = 12 = 2 in, src = floor(i / 2.1)
    g = np.arange(12.0)
    y.backward(ag.tensor(g[None, None]))
    src = np.minimum(np.floor(np.arange(12) / 2.1), 5).astype(int)
    np.testing.assert_array_equal(x.grad.data[0, 0], np.bincount(src, weights=g, minlength=6))


def test_interpolate_double_backward_matches_pytorch():
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((1, 2, 3, 4))
    xo, xt = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yo = (F.interpolate(xo, size=(5, 3), mode="bilinear") ** 3).sum()
    yt = (torch.nn.functional.interpolate(xt, size=(5, 3), mode="bilinear") ** 3).sum()
    (go,) = ag.grad(yo, xo, create_graph=True)
    (gt,) = torch.autograd.grad(yt, xt, create_graph=True)
    (go * go).sum().backward()
    (gt * gt).sum().backward()
    np.testing.assert_allclose(xo.grad.data, xt.grad.numpy(), rtol=1e-10)


def _module_pairs(torch):
    tn = torch.nn
    return [
        (nn.Upsample(scale_factor=2), tn.Upsample(scale_factor=2)),
        (nn.Upsample(size=(3, 5), mode="bilinear", align_corners=True),
         tn.Upsample(size=(3, 5), mode="bilinear", align_corners=True)),
        (nn.Upsample(scale_factor=(1.5, 2)), tn.Upsample(scale_factor=(1.5, 2))),
        (nn.UpsamplingNearest2d(size=4), tn.UpsamplingNearest2d(size=4)),
        (nn.UpsamplingNearest2d(scale_factor=1.5), tn.UpsamplingNearest2d(scale_factor=1.5)),
        (nn.UpsamplingBilinear2d(scale_factor=2.5), tn.UpsamplingBilinear2d(scale_factor=2.5)),
        (nn.PixelShuffle(2), tn.PixelShuffle(2)),
        (nn.PixelUnshuffle(2), tn.PixelUnshuffle(2)),
        (nn.ZeroPad1d(2), tn.ZeroPad1d(2)),
        (nn.ZeroPad2d((1, 0, 2, 1)), tn.ZeroPad2d((1, 0, 2, 1))),
        (nn.ConstantPad1d((2, 1), 1.5), tn.ConstantPad1d((2, 1), 1.5)),
        (nn.ConstantPad2d(1, -2), tn.ConstantPad2d(1, -2)),
        (nn.ReflectionPad1d((2, 1)), tn.ReflectionPad1d((2, 1))),
        (nn.ReflectionPad2d(2), tn.ReflectionPad2d(2)),
        (nn.ReplicationPad1d(3), tn.ReplicationPad1d(3)),
        (nn.ReplicationPad2d((0, 2, 3, 1)), tn.ReplicationPad2d((0, 2, 3, 1))),
        (nn.CircularPad1d((1, 2)), tn.CircularPad1d((1, 2))),
        (nn.CircularPad2d(2), tn.CircularPad2d(2)),
        (nn.Dropout1d(0.3), tn.Dropout1d(0.3)),
        (nn.Dropout2d(), tn.Dropout2d()),
        (nn.Dropout3d(0.3), tn.Dropout3d(0.3)),
        (nn.AlphaDropout(), tn.AlphaDropout()),
        (nn.FeatureAlphaDropout(0.2, inplace=True), tn.FeatureAlphaDropout(0.2, inplace=True)),
    ]


def test_module_reprs_equal_pytorchs():
    torch = pytest.importorskip("torch")
    for ours, theirs in _module_pairs(torch):
        assert repr(ours) == repr(theirs)


def test_modules_match_pytorch_outputs_and_gradients():
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((2, 4, 4, 6))
    for ours, theirs in _module_pairs(torch):
        if "Dropout" in repr(ours):
            continue
        inputs = [x[0, :, 0], x[:, :, 0]] if "1d" in repr(ours) else [x[0], x]
        for a in inputs:
            if isinstance(ours, nn.Upsample) and a.ndim != 4:
                continue
            xo, xt = ag.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
            got, want = ours(xo), theirs(xt)
            np.testing.assert_allclose(got.data, want.detach().numpy(), rtol=1e-12, atol=1e-12,
                                       err_msg=repr(ours))
            u = RNG.standard_normal(want.shape)
            (got * u).sum().backward()
            (want * torch.tensor(u)).sum().backward()
            np.testing.assert_allclose(xo.grad.data, xt.grad.numpy(), rtol=1e-12, atol=1e-12,
                                       err_msg=repr(ours))


@pytest.mark.parametrize("r, shape", [(2, (1, 8, 2, 3)), (3, (9, 2, 2)), (2, (2, 1, 4, 1, 1)),
                                      (1, (2, 3, 2))])
def test_pixel_shuffle_matches_pytorch(r, shape):
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal(shape)
    got = F.pixel_shuffle(ag.tensor(x), r)
    want = torch.nn.functional.pixel_shuffle(torch.tensor(x), r)
    np.testing.assert_array_equal(got.data, want.numpy())
    back = F.pixel_unshuffle(got, r)
    np.testing.assert_array_equal(back.data, torch.nn.functional.pixel_unshuffle(want, r).numpy())
    np.testing.assert_array_equal(back.data, x)



@pytest.mark.parametrize("exc, match, ours, theirs", [
    (NotImplementedError, "3D, 4D and 5D", lambda: F.interpolate(ag.ones(1, 4), scale_factor=2),
     lambda t: t.nn.functional.interpolate(t.ones(1, 4), scale_factor=2)),
    (NotImplementedError, "needs 4D", lambda: F.interpolate(ag.ones(1, 1, 4), 3, mode="bilinear"),
     lambda t: t.nn.functional.interpolate(t.ones(1, 1, 4), 3, mode="bilinear")),
    (NotImplementedError, "needs 3D", lambda: F.interpolate(ag.ones(1, 1, 4, 4), 3, mode="linear"),
     lambda t: t.nn.functional.interpolate(t.ones(1, 1, 4, 4), 3, mode="linear")),
    (NotImplementedError, "got foo", lambda: F.interpolate(ag.ones(1, 1, 4), 3, mode="foo"),
     lambda t: t.nn.functional.interpolate(t.ones(1, 1, 4), 3, mode="foo")),
    (ValueError, "align_corners",
     lambda: F.interpolate(ag.ones(1, 1, 4), 3, align_corners=True),
     lambda t: t.nn.functional.interpolate(t.ones(1, 1, 4), 3, align_corners=True)),
    (ValueError, "only one of", lambda: F.interpolate(ag.ones(1, 1, 4), 3, 2.0),
     lambda t: t.nn.functional.interpolate(t.ones(1, 1, 4), 3, 2.0)),
    (ValueError, "either size", lambda: F.interpolate(ag.ones(1, 1, 4)),
     lambda t: t.nn.functional.interpolate(t.ones(1, 1, 4))),
    (ValueError, "spatial dimensions", lambda: F.interpolate(ag.ones(1, 1, 4), (2, 3)),
     lambda t: t.nn.functional.interpolate(t.ones(1, 1, 4), (2, 3))),
    (ValueError, "spatial dimensions",
     lambda: F.interpolate(ag.ones(1, 1, 4), scale_factor=(2, 3)),
     lambda t: t.nn.functional.interpolate(t.ones(1, 1, 4), scale_factor=(2, 3))),
    (TypeError, "size", lambda: F.interpolate(ag.ones(1, 1, 4), (2.0,)),
     lambda t: t.nn.functional.interpolate(t.ones(1, 1, 4), (2.0,))),
    (ValueError, "recompute_scale_factor",
     lambda: F.interpolate(ag.ones(1, 1, 4), 3, recompute_scale_factor=True),
     lambda t: t.nn.functional.interpolate(t.ones(1, 1, 4), 3, recompute_scale_factor=True)),
    (ValueError, "nti-alias",
     lambda: F.interpolate(ag.ones(1, 1, 4), 3, mode="linear", antialias=True),
     lambda t: t.nn.functional.interpolate(t.ones(1, 1, 4), 3, mode="linear", antialias=True)),
    (RuntimeError, r"greater than 0.*\(W: 0\)",
     lambda: F.interpolate(ag.ones(1, 1, 4), scale_factor=0.1),
     lambda t: t.nn.functional.interpolate(t.ones(1, 1, 4), scale_factor=0.1)),
    (RuntimeError, r"greater than 0.*\(H: 4, W: 4\)",
     lambda: F.interpolate(ag.ones(1, 1, 4, 4), -1),
     lambda t: t.nn.functional.interpolate(t.ones(1, 1, 4, 4), -1)),
    (RuntimeError, "greater than 0", lambda: F.interpolate(ag.ones(1, 1, 0), 3),
     lambda t: t.nn.functional.interpolate(t.ones(1, 1, 0), 3)),
    (RuntimeError, "non-empty", lambda: F.interpolate(ag.ones(1, 0, 4, 4), 3, mode="bilinear"),
     lambda t: t.nn.functional.interpolate(t.ones(1, 0, 4, 4), 3, mode="bilinear")),
    (NotImplementedError, "dtype", lambda: F.interpolate(ag.tensor(np.ones((1, 1, 4), int)), 3),
     lambda t: t.nn.functional.interpolate(t.ones(1, 1, 4, dtype=t.int64), 3)),
    (RuntimeError, "divisible by the square", lambda: F.pixel_shuffle(ag.ones(3, 2, 2), 2),
     lambda t: t.nn.functional.pixel_shuffle(t.ones(3, 2, 2), 2)),
    (RuntimeError, "at least 3 dimensions", lambda: F.pixel_shuffle(ag.ones(4, 2), 2),
     lambda t: t.nn.functional.pixel_shuffle(t.ones(4, 2), 2)),
    (RuntimeError, "positive", lambda: F.pixel_shuffle(ag.ones(4, 2, 2), 0),
     lambda t: t.nn.functional.pixel_shuffle(t.ones(4, 2, 2), 0)),
    (TypeError, "must be int", lambda: F.pixel_shuffle(ag.ones(4, 2, 2), 2.0),
     lambda t: t.nn.functional.pixel_shuffle(t.ones(4, 2, 2), 2.0)),
    (RuntimeError, "height", lambda: F.pixel_unshuffle(ag.ones(2, 3, 4), 2),
     lambda t: t.nn.functional.pixel_unshuffle(t.ones(2, 3, 4), 2)),
    (RuntimeError, "width", lambda: F.pixel_unshuffle(ag.ones(2, 4, 3), 2),
     lambda t: t.nn.functional.pixel_unshuffle(t.ones(2, 4, 3), 2)),
    (RuntimeError, "positive", lambda: F.pixel_unshuffle(ag.ones(2, 4, 4), -1),
     lambda t: t.nn.functional.pixel_unshuffle(t.ones(2, 4, 4), -1)),
    (ValueError, "probability", lambda: F.dropout2d(ag.ones(2, 3, 4, 4), 1.5),
     lambda t: t.nn.functional.dropout2d(t.ones(2, 3, 4, 4), 1.5)),
    (ValueError, "probability", lambda: nn.Dropout1d(-0.1),
     lambda t: t.nn.Dropout1d(-0.1)),
    (RuntimeError, "2D or 3D", lambda: F.dropout1d(ag.ones(4), 0.5),
     lambda t: t.nn.functional.dropout1d(t.ones(4), 0.5)),
    (RuntimeError, "2D or 3D", lambda: F.dropout1d(ag.ones(2, 3, 4, 4), 0.5),
     lambda t: t.nn.functional.dropout1d(t.ones(2, 3, 4, 4), 0.5)),
    (RuntimeError, "at least 2 dimensions", lambda: F.dropout2d(ag.ones(4), 0.5),
     lambda t: t.nn.functional.dropout2d(t.ones(4), 0.5)),
    (ValueError, "expected 2D or 3D input", lambda: nn.CircularPad1d(1)(ag.ones(4)),
     lambda t: t.nn.CircularPad1d(1)(t.ones(4))),
    (ValueError, "expected 3D or 4D input", lambda: nn.CircularPad2d(1)(ag.ones(2, 2, 3, 3, 3)),
     lambda t: t.nn.CircularPad2d(1)(t.ones(2, 2, 3, 3, 3))),
    (NotImplementedError, "not supported", lambda: nn.ReflectionPad1d(1)(ag.ones(4)),
     lambda t: t.nn.ReflectionPad1d(1)(t.ones(4))),
    (NotImplementedError, "not supported", lambda: nn.ReplicationPad2d(1)(ag.ones(3, 3)),
     lambda t: t.nn.ReplicationPad2d(1)(t.ones(3, 3))),
])
def test_bad_input_raises_like_pytorch(exc, match, ours, theirs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_raises_like_torch(exc, match, ours, theirs)


# ---- channel dropout ------------------------------------------------------------------

@pytest.mark.parametrize("fn, shape, channel_dims", [
    (F.dropout2d, (8, 16, 3, 4), 2), (F.dropout2d, (16, 5, 6), 2),
    (F.dropout1d, (8, 16, 5), 2), (F.dropout1d, (64, 5), 1),
    (F.dropout3d, (8, 16, 2, 3, 2), 2), (F.dropout3d, (64, 2, 1, 3), 1),
    (F.dropout3d, (128,), 1)])
def test_channel_dropout_zeroes_whole_channels_and_scales(fn, shape, channel_dims):
    ag.manual_seed(3)
    x = RNG.uniform(1.0, 2.0, shape)   # no zeros of its own
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = fn(ag.tensor(x), 0.25).data
    flat = out.reshape(shape[:channel_dims] + (-1,))
    zeroed = (flat == 0).all(-1)
    kept = np.isclose(flat, x.reshape(flat.shape) / 0.75, rtol=1e-12).all(-1)
    assert (zeroed | kept).all()   # every channel entirely dropped or entirely scaled
    assert 0.1 < zeroed.mean() < 0.4 and zeroed.any() and kept.any()


def test_channel_dropout_is_seeded_and_identity_when_not_training():
    x = ag.tensor(RNG.standard_normal((4, 6, 3, 3)))
    ag.manual_seed(5)
    a = F.dropout2d(x, 0.5).data
    ag.manual_seed(5)
    np.testing.assert_array_equal(F.dropout2d(x, 0.5).data, a)
    assert F.dropout2d(x, 0.5, training=False) is x
    layer = nn.Dropout2d(0.5).eval()
    assert layer(x) is x
    assert (F.dropout2d(x, 1.0).data == 0).all()


def test_channel_dropout_gradient_is_the_mask():
    x = ag.tensor(RNG.standard_normal((3, 5, 2, 2)), requires_grad=True)
    ag.manual_seed(1)
    y = F.dropout2d(x, 0.4)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, np.where(y.data == 0, 0.0, 1 / 0.6))


@pytest.mark.parametrize("ndim, n_warnings", [(2, 1), (3, 1), (4, 0), (5, 1)])
def test_dropout2d_warns_like_pytorch(ndim, n_warnings):
    """A 3-D input warns that it is read as (N, C, L); ranks other than 3 and 4 warn that
    they are deprecated; PyTorch warns the same number of times."""
    x = np.ones((2,) * ndim)
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        F.dropout2d(ag.tensor(x), 0.5)
    assert len(ours) == n_warnings and all("dropout2d" in str(w.message) for w in ours)
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        torch.nn.functional.dropout2d(torch.tensor(x), 0.5)
    assert len(theirs) == n_warnings


def test_inplace_channel_dropout_modifies_the_input():
    x = ag.tensor(RNG.uniform(1.0, 2.0, (2, 3, 4)))
    ag.manual_seed(0)
    y = nn.Dropout1d(0.5, inplace=True)(x)
    assert y is x and ((x.data == 0).all(-1) | (x.data != 0).all(-1)).all()


# ---- dropout3d and alpha dropout ------------------------------------------------------------

# SELU's constants (Klambauer et al. 2017): alpha dropout sets dropped units to
# alpha' = -scale * alpha, then maps every unit by a x + b with keep probability q:
# a = (q + alpha'^2 q (1 - q))^(-1/2), b = -a (1 - q) alpha' (the paper's section 4).
_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772848, 1.0507009873554804934
_ALPHA_PRIME = -_SELU_SCALE * _SELU_ALPHA


def _alpha_affine(p):
    q = 1.0 - p
    a = (q + _ALPHA_PRIME ** 2 * q * (1 - q)) ** -0.5
    return a, -a * (1 - q) * _ALPHA_PRIME


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_alpha_dropout_keeps_mean_and_variance_of_standard_normal_input(p):
    ag.manual_seed(12)
    x = np.random.default_rng(13).standard_normal((400, 1000))
    out = F.alpha_dropout(ag.tensor(x), p, training=True).data
    # (a wrong scale or shift moves these by far more: e.g. plain 1/(1-p) scaling, or b
    # without its p, gives a variance or mean off by > 0.1 at every p here)
    assert abs(out.mean()) < 0.01
    assert abs(out.var() - 1.0) < 0.015
    a, b = _alpha_affine(p)
    dropped = np.isclose(out, a * _ALPHA_PRIME + b, rtol=0, atol=1e-12)
    assert abs(dropped.mean() - p) < 0.005
    np.testing.assert_allclose(out[~dropped], a * x[~dropped] + b, rtol=0, atol=1e-12)


@pytest.mark.parametrize("shape", [(50, 40, 3, 4), (2000, 30)])
def test_feature_alpha_dropout_drops_whole_channels_and_keeps_the_statistics(shape):
    p = 0.3
    ag.manual_seed(14)
    x = np.random.default_rng(15).standard_normal(shape)
    out = F.feature_alpha_dropout(ag.tensor(x), p, training=True).data
    a, b = _alpha_affine(p)
    flat, xf = out.reshape(shape[:2] + (-1,)), x.reshape(shape[:2] + (-1,))
    dropped = np.isclose(flat, a * _ALPHA_PRIME + b, rtol=0, atol=1e-12).all(-1)
    kept = np.isclose(flat, a * xf + b, rtol=0, atol=1e-12).all(-1)
    assert (dropped ^ kept).all()        # one draw per (sample, channel)
    assert abs(dropped.mean() - p) < 0.02
    assert abs(out.mean()) < 0.02 and abs(out.var() - 1.0) < 0.03


def test_alpha_dropout_gradient_is_the_scale_where_kept():
    p = 0.4
    a, _ = _alpha_affine(p)
    for fn, shape in ((F.alpha_dropout, (6, 7)), (F.feature_alpha_dropout, (6, 7, 3))):
        x = ag.tensor(np.random.default_rng(16).standard_normal(shape), requires_grad=True)
        ag.manual_seed(17)
        y = fn(x, p, training=True)
        u = np.random.default_rng(18).standard_normal(shape)
        (y * ag.tensor(u)).sum().backward()
        kept = ~np.isclose(y.data, a * _ALPHA_PRIME + _alpha_affine(p)[1], rtol=0, atol=1e-12)
        assert kept.any() and not kept.all()
        np.testing.assert_allclose(x.grad.data, np.where(kept, a * u, 0.0), rtol=1e-12)


def test_dropout_variants_are_the_identity_when_not_training():
    x = ag.tensor(np.random.default_rng(19).standard_normal((2, 3, 2, 2, 2)))
    assert F.alpha_dropout(x, 0.5) is x                # (PyTorch's default: training=False)
    assert F.feature_alpha_dropout(x, 0.5) is x
    assert F.alpha_dropout(x, 0.0, training=True) is x
    assert F.dropout3d(x, 0.5, training=False) is x
    assert F.dropout3d(x, 0.0) is x
    for layer in (nn.AlphaDropout(0.5), nn.FeatureAlphaDropout(0.5), nn.Dropout3d(0.5)):
        assert layer.eval()(x) is x
        assert layer.train()(x) is not x


def test_alpha_dropout_everything_dropped_gives_zeros_as_pytorch():
    x = ag.tensor(np.random.default_rng(20).standard_normal((3, 4)))
    assert (F.alpha_dropout(x, 1.0, training=True).data == 0).all()
    assert (F.feature_alpha_dropout(x, 1.0, training=True).data == 0).all()
    torch = pytest.importorskip("torch")
    assert (torch.nn.functional.alpha_dropout(torch.tensor(x.data), 1.0, True) == 0).all()


def test_alpha_dropout_is_seeded_and_inplace_only_in_the_function():
    x = np.random.default_rng(21).standard_normal((5, 6))
    ag.manual_seed(6)
    a = F.alpha_dropout(ag.tensor(x), 0.5, True).data
    ag.manual_seed(6)
    np.testing.assert_array_equal(F.alpha_dropout(ag.tensor(x), 0.5, True).data, a)
    t = ag.tensor(x.copy())
    ag.manual_seed(6)
    assert F.alpha_dropout(t, 0.5, True, inplace=True) is t
    np.testing.assert_array_equal(t.data, a)
    t = ag.tensor(x.copy())
    y = nn.AlphaDropout(0.5, inplace=True)(t)   # PyTorch's module never passes inplace on
    assert y is not t and np.array_equal(t.data, x)


@pytest.mark.parametrize("p", [0.25, 0.6])
def test_alpha_dropout_values_match_pytorchs(p):
    """Our dropped value and affine map of the kept values are PyTorch's (read off its
    output: the masks differ, the values they produce do not)."""
    torch = pytest.importorskip("torch")
    x = np.linspace(-2.0, 2.0, 4001)
    torch.manual_seed(0)
    for ours, theirs, shape in ((F.alpha_dropout, torch.nn.functional.alpha_dropout, (4001,)),
                                (F.feature_alpha_dropout,
                                 torch.nn.functional.feature_alpha_dropout, (4001, 1))):
        ag.manual_seed(1)
        got = ours(ag.tensor(x.reshape(shape)), p, True).data.reshape(-1)
        want = theirs(torch.tensor(x.reshape(shape)), p, True).numpy().reshape(-1)
        for out in (got, want):
            values, counts = np.unique(out, return_counts=True)
            assert counts.max() > 0.1 * p * len(x)          # the dropped value repeats
        drop_ours = np.unique(got, return_counts=True)
        drop_theirs = np.unique(want, return_counts=True)
        d_ours = drop_ours[0][drop_ours[1].argmax()]
        d_theirs = drop_theirs[0][drop_theirs[1].argmax()]
        np.testing.assert_allclose(d_ours, d_theirs, rtol=1e-12)
        for out, d in ((got, d_ours), (want, d_theirs)):
            kept = out != d
            slope, shift = np.polyfit(x[kept], out[kept], 1)
            np.testing.assert_allclose(out[kept], slope * x[kept] + shift, atol=1e-12)
            if out is got:
                ours_fit = (slope, shift)
        np.testing.assert_allclose(ours_fit, (slope, shift), rtol=1e-10)


def test_alpha_dropout_module_in_eval_mode_matches_pytorch():
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((3, 4, 5))
    for ours, theirs in ((nn.AlphaDropout(0.4), torch.nn.AlphaDropout(0.4)),
                         (nn.FeatureAlphaDropout(0.4), torch.nn.FeatureAlphaDropout(0.4)),
                         (nn.Dropout3d(0.4), torch.nn.Dropout3d(0.4))):
        xo, xt = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # (dropout3d of a 3-D input warns)
            got, want = ours.eval()(xo), theirs.eval()(xt)
        np.testing.assert_array_equal(got.data, want.detach().numpy())
        u = RNG.standard_normal(x.shape)
        (got * ag.tensor(u)).sum().backward()
        (want * torch.tensor(u)).sum().backward()
        np.testing.assert_array_equal(xo.grad.data, xt.grad.numpy())


@pytest.mark.parametrize("ndim, n_warnings", [(1, 1), (2, 1), (3, 1), (4, 0), (5, 0), (6, 1)])
def test_dropout3d_warns_like_pytorch(ndim, n_warnings):
    x = np.ones((2,) * ndim)
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        F.dropout3d(ag.tensor(x), 0.5)
    assert len(ours) == n_warnings and all("dropout3d" in str(w.message) for w in ours)
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        torch.nn.functional.dropout3d(torch.tensor(x), 0.5)
    assert len(theirs) == n_warnings


@pytest.mark.parametrize("exc, match, ours, theirs", [
    (ValueError, "alpha_dropout: dropout probability has to be between 0 and 1, but got 1.5",
     lambda: F.alpha_dropout(ag.ones(3), 1.5, True),
     lambda t: t.nn.functional.alpha_dropout(t.ones(3), 1.5, True)),
    (ValueError, "alpha_dropout: dropout probability.*-0.5",   # (checked in eval mode too)
     lambda: F.alpha_dropout(ag.ones(3), -0.5),
     lambda t: t.nn.functional.alpha_dropout(t.ones(3), -0.5)),
    (ValueError, "feature_alpha_dropout: dropout probability",
     lambda: F.feature_alpha_dropout(ag.ones(2, 3), 2.0, True),
     lambda t: t.nn.functional.feature_alpha_dropout(t.ones(2, 3), 2.0, True)),
    (ValueError, "dropout3d: dropout probability",
     lambda: F.dropout3d(ag.ones(2, 3, 2, 2, 2), 1.5),
     lambda t: t.nn.functional.dropout3d(t.ones(2, 3, 2, 2, 2), 1.5)),
    (ValueError, "AlphaDropout: dropout probability", lambda: nn.AlphaDropout(-0.1),
     lambda t: t.nn.AlphaDropout(-0.1)),
    (ValueError, "FeatureAlphaDropout: dropout probability", lambda: nn.FeatureAlphaDropout(1.1),
     lambda t: t.nn.FeatureAlphaDropout(1.1)),
    (ValueError, "Dropout3d: dropout probability", lambda: nn.Dropout3d(1.1),
     lambda t: t.nn.Dropout3d(1.1)),
    (RuntimeError, r"feature_alpha_dropout: Feature dropout requires at least 2 dimensions.*"
                   r"\(4,\)",
     lambda: F.feature_alpha_dropout(ag.ones(4), 0.5, True),
     lambda t: t.nn.functional.feature_alpha_dropout(t.ones(4), 0.5, True)),
    (RuntimeError, "feature_alpha_dropout: Feature dropout requires at least 2 dimensions",
     lambda: nn.FeatureAlphaDropout()(ag.tensor(1.0)),
     lambda t: t.nn.FeatureAlphaDropout()(t.tensor(1.0))),
    (RuntimeError, "dropout3d: Feature dropout requires at least 2 dimensions",
     lambda: F.dropout3d(ag.tensor(1.0), 0.5),
     lambda t: t.nn.functional.dropout3d(t.tensor(1.0), 0.5)),
    (RuntimeError, "alpha_dropout: .*int64",
     lambda: F.alpha_dropout(ag.tensor([1, 2]), 0.5, True),
     lambda t: t.nn.functional.alpha_dropout(t.tensor([1, 2]), 0.5, True)),
])
def test_dropout_variants_bad_input_raise_like_pytorch(exc, match, ours, theirs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_raises_like_torch(exc, match, ours, theirs)
