"""interpolate's trilinear, bicubic, area and antialiased (bilinear, bicubic, lanczos)
modes, 5-D nearest, and the 3-d padding layers: PyTorch parity of outputs, gradients and
double backward over sizes, scale factors and align_corners; the errors for bad input;
and torch-free properties of the kernels (block means, Keys' and Pillow's weights, what
each mode reproduces exactly)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd as ag
import nn
from nn import functional as F
from numeric import assert_raises_like_torch
from optable.nn_resize import _np_resize

RNG = np.random.default_rng(0)

SIZES = [1, 2, 3, 5, 8, 13]
SCALES = [0.5, 0.7, 1.0, 1.2, 2.0, 2.5, 1 / 3]

# (mode, rank, antialias, align_corners values)
MODES = [("trilinear", 5, False, (False, True)), ("bicubic", 4, False, (False, True)),
         ("bilinear", 4, True, (False, True)), ("bicubic", 4, True, (False, True)),
         ("lanczos", 4, True, (None,)), ("area", 3, False, (None,)),
         ("area", 4, False, (None,)), ("area", 5, False, (None,)),
         ("nearest", 5, False, (None,)), ("nearest-exact", 5, False, (None,))]


def _options(rank):
    """Sizes and scale factors, up and down, with and without recompute_scale_factor, and
    per-dim ones that go up along one dim and down along another."""
    sizes = SIZES if rank < 5 else SIZES[:5]   # (5-D: keep the outputs small)
    out = [dict(size=s) for s in sizes] + [dict(scale_factor=s) for s in SCALES]
    out += [dict(scale_factor=s, recompute_scale_factor=True) for s in (0.7, 2.5)]
    out += [dict(size=(3, 7, 2)[: rank - 2]), dict(scale_factor=(1.5, 0.5, 2.0)[: rank - 2])]
    return out


def _spatial(rank, n):
    """Unequal sides, so that a mix-up of dims shows."""
    return (n, n + 1, max(n - 1, 1))[: rank - 2]


def _tolerances(dtype):
    if dtype == np.float64:
        return dict(rtol=1e-12, atol=1e-12), dict(rtol=1e-12, atol=1e-12)
    # (float32 gradients sum many terms, in another order than PyTorch's)
    return dict(rtol=1e-6, atol=1e-6), dict(rtol=1e-5, atol=1e-5)


def _compare(torch, x, where, grads=True, **kw):
    """Forward and (with `grads`) input gradient of interpolate(x, **kw) against
    PyTorch's."""
    xt = torch.tensor(x, requires_grad=True)
    want = torch.nn.functional.interpolate(xt, **kw)
    xo = ag.tensor(x, requires_grad=True)
    got = F.interpolate(xo, **kw)
    tol, gtol = _tolerances(x.dtype)
    assert got.shape == tuple(want.shape) and got.dtype == x.dtype, where
    np.testing.assert_allclose(got.data, want.detach().numpy(), err_msg=where, **tol)
    if not grads:
        return
    u = RNG.standard_normal(want.shape).astype(x.dtype)
    (want * torch.tensor(u)).sum().backward()
    (got * u).sum().backward()
    np.testing.assert_allclose(xo.grad.data, xt.grad.numpy(), err_msg=where, **gtol)


def _out_sizes(n_in, kw):
    if kw.get("size") is not None:
        return list(np.broadcast_to(kw["size"], len(n_in)))
    return [int(n * s) for n, s in zip(n_in, np.broadcast_to(kw["scale_factor"], len(n_in)))]


def _pytorch_aa_width_1_bug(n_in, kw) -> bool:
    """PyTorch's antialiased kernel gives every output row the first one's values when
    the output width is 1 and the height changes (see
    test_antialiased_width_1_is_the_two_passes_of_pytorch)."""
    n_out = _out_sizes(n_in, kw)
    return n_out[-1] == 1 and n_out[0] != n_in[0]


def _pytorch_backward_differs(n_in, kw) -> bool:
    """Where PyTorch's backward is not the derivative of its forward (ours is: see
    test_gradients_are_the_derivatives_of_the_outputs), given a scale_factor that is
    not recomputed: nearest on 5-D input takes out == in and out == 2 in shortcuts its
    forward does not (see test_nn_resize); bicubic's backward copies when no size changes while
    its forward resamples with the scale; the antialiased forward skips a dim whose size
    is kept while its backward resamples it with the scale."""
    if kw.get("scale_factor") is None or kw.get("recompute_scale_factor"):
        return False
    scales = np.broadcast_to(kw["scale_factor"], len(n_in))
    n_out = _out_sizes(n_in, kw)
    kept = [o == n and s != 1 for n, o, s in zip(n_in, n_out, scales)]
    if kw["mode"] == "nearest":
        return any(o in (n, 2 * n) for n, o in zip(n_in, n_out))
    if kw.get("antialias"):
        return any(kept)
    return kw["mode"] == "bicubic" and n_out == list(n_in) and any(kept)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode, rank, antialias, acs", MODES,
                         ids=[f"{m}{r}d{'_aa' if a else ''}" for m, r, a, _ in MODES])
def test_interpolate_matches_pytorch(mode, rank, antialias, acs, dtype):
    torch = pytest.importorskip("torch")
    for n in ((1, 2, 3, 4, 6) if rank < 5 else (1, 2, 3)):
        x = RNG.standard_normal((2, 3) + _spatial(rank, n)).astype(dtype)
        for ac in acs:
            for opt in _options(rank):
                kw = dict(opt, mode=mode, align_corners=ac, antialias=antialias)
                if 0 in _out_sizes(x.shape[2:], kw):
                    continue   # (an output size of 0: the error tests)
                if antialias and _pytorch_aa_width_1_bug(x.shape[2:], kw):
                    continue
                _compare(torch, x, f"{x.shape} {kw}",
                         not _pytorch_backward_differs(x.shape[2:], kw), **kw)


@pytest.mark.parametrize("mode, antialias", [("bicubic", False), ("bilinear", True),
                                             ("bicubic", True), ("lanczos", True),
                                             ("area", False)])
@pytest.mark.parametrize("shape, size", [((37, 50), (5, 7)), ((11, 3), (40, 29)),
                                         ((64, 9), (3, 9)), ((7, 100), (100, 7))])
def test_large_ratios_match_pytorch(mode, antialias, shape, size):
    """Wide antialiasing windows (up to ~30 taps) and long outputs, in float32: the window
    bounds and the weights' normalisation are PyTorch's."""
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((1, 2) + shape).astype(np.float32)
    _compare(torch, x, f"{mode} {shape} -> {size}", size=size, mode=mode,
             antialias=antialias)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic", "lanczos"])
def test_antialiased_width_1_is_the_two_passes_of_pytorch(mode):
    """Resampled to a width of 1 with a new height, PyTorch's antialiased kernel repeats
    its first output row; ours equals PyTorch's own two single-dim passes (the width
    first, as its separable kernel orders them; the height as a width, transposed, to
    stay clear of the bug)."""
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((2, 3, 4, 5))
    got = F.interpolate(ag.tensor(x), size=(6, 1), mode=mode, antialias=True).data
    interp = torch.nn.functional.interpolate
    cols = interp(torch.tensor(x), size=(4, 1), mode=mode, antialias=True).transpose(2, 3)
    want = interp(cols, size=(1, 6), mode=mode, antialias=True).transpose(2, 3).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert np.ptp(got[0, 0, :, 0]) > 0.1   # (not the repeated row)


@pytest.mark.parametrize("mode, antialias, rank", [
    ("bicubic", False, 4), ("trilinear", False, 5), ("bicubic", True, 4),
    ("lanczos", True, 4), ("area", False, 5)])
def test_double_backward_matches_pytorch(mode, antialias, rank):
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((1, 2) + (4, 5, 3)[: rank - 2])
    size = (3, 7, 2)[: rank - 2]
    xo, xt = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yo = (F.interpolate(xo, size, mode=mode, antialias=antialias) ** 3).sum()
    yt = (torch.nn.functional.interpolate(xt, size, mode=mode, antialias=antialias) ** 3).sum()
    (go,) = ag.grad(yo, xo, create_graph=True)
    (gt,) = torch.autograd.grad(yt, xt, create_graph=True)
    (go * go).sum().backward()
    (gt * gt).sum().backward()
    np.testing.assert_allclose(xo.grad.data, xt.grad.numpy(), rtol=1e-10)


# ---- torch-free properties ------------------------------------------------------------

@pytest.mark.parametrize("shape, k", [((2, 3, 12), (3,)), ((2, 3, 6, 8), (2, 4)),
                                      ((1, 2, 4, 6, 9), (2, 3, 3))])
def test_area_of_an_integer_factor_is_the_block_mean(shape, k):
    x = RNG.standard_normal(shape)
    out = [n // f for n, f in zip(shape[2:], k)]
    xo = ag.tensor(x, requires_grad=True)
    y = F.interpolate(xo, size=out, mode="area")
    blocks = x.reshape(shape[:2] + tuple(v for o, f in zip(out, k) for v in (o, f)))
    want = blocks.mean(axis=tuple(range(3, blocks.ndim, 2)))
    np.testing.assert_allclose(y.data, want, rtol=1e-12, atol=1e-15)
    # its gradient spreads each output's share evenly over its block
    u = RNG.standard_normal(y.shape)
    (y * u).sum().backward()
    spread = u
    for d, f in enumerate(k):
        spread = np.repeat(spread, f, axis=2 + d)
    np.testing.assert_allclose(xo.grad.data, spread / np.prod(k), rtol=1e-12)


def test_area_of_empty_channels_is_empty_in_1d_and_2d():
    """As PyTorch's pooling: no channels give no output (its 3-d pooling raises, as
    ours: see the error tests)."""
    assert F.interpolate(ag.ones(1, 0, 4), 3, mode="area").shape == (1, 0, 3)
    assert F.interpolate(ag.ones(2, 0, 4, 4), 3, mode="area").shape == (2, 0, 3, 3)


def test_area_to_an_empty_output_is_empty_and_gets_no_gradient():
    xo = ag.tensor(RNG.standard_normal((1, 2, 3, 4, 5)), requires_grad=True)
    y = F.interpolate(xo, size=(0, 2, 2), mode="area")
    assert y.shape == (1, 2, 0, 2, 2)
    y.sum().backward()
    np.testing.assert_array_equal(xo.grad.data, np.zeros((1, 2, 3, 4, 5)))


# Keys' kernel with PyTorch's a = -0.75 at the half-way point: W(1/2) and W(3/2).
_W_HALF = ((-0.75 + 2) * 0.125 - (-0.75 + 3) * 0.25 + 1)              # 0.59375
_W_ONE_HALF = -0.75 * (1.5 ** 3 - 5 * 1.5 ** 2 + 8 * 1.5 - 4)         # -0.09375


def test_bicubic_weights_are_keys_kernel_with_a_minus_three_quarters():
    """An impulse upsampled from 5 to 9 with aligned corners: outputs on input pixels copy
    them, outputs half-way get W(1/2) from the two neighbours and W(3/2) from the next
    ones out, the border taps repeating the edge pixel."""
    x = np.zeros((1, 1, 1, 5))
    x[..., 2] = 1.0
    got = F.interpolate(ag.tensor(x), size=(1, 9), mode="bicubic", align_corners=True)
    want = [0, _W_ONE_HALF, 0, _W_HALF, 1, _W_HALF, 0, _W_ONE_HALF, 0]
    np.testing.assert_allclose(got.data[0, 0, 0], want, rtol=1e-14, atol=1e-15)
    # the edge pixel stands in for the taps past the border: out[1] (src 1/2) reads
    # x[-1] = x[0], x[0], x[1], x[2]
    x = np.zeros((1, 1, 1, 5))
    x[..., 0] = 1.0
    got = F.interpolate(ag.tensor(x), size=(1, 9), mode="bicubic", align_corners=True)
    assert got.data[0, 0, 0, 1] == pytest.approx(_W_ONE_HALF + _W_HALF, rel=1e-14)


@pytest.mark.parametrize("size, align_corners", [((7, 9), False), ((4, 13), False),
                                                 ((13, 9), True), ((2, 5), True)])
def test_bicubic_reproduces_constants(size, align_corners):
    x = np.full((1, 2, 5, 5), 2.5)
    got = F.interpolate(ag.tensor(x), size=size, mode="bicubic", align_corners=align_corners)
    np.testing.assert_allclose(got.data, 2.5, rtol=1e-14)


def test_bicubic_reproduces_a_ramp_half_way_between_pixels_away_from_the_borders():
    """With aligned corners and 2n - 1 outputs every output sits on a pixel or half-way;
    there Keys' kernel (any a) is exact for linear data once its 4 taps are all inside.
    (Elsewhere a = -0.75 is not exact for ramps: only a = -1/2 is, see the next test.)"""
    n = 7
    h, w = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    x = (2.0 * h - 3.0 * w + 1.0)[None, None]
    got = F.interpolate(ag.tensor(x), size=(2 * n - 1,) * 2, mode="bicubic",
                        align_corners=True).data[0, 0]
    src = np.arange(2 * n - 1) / 2
    inside = (np.floor(src) >= 1) & (np.floor(src) + 2 <= n - 1)
    want = 2.0 * src[:, None] - 3.0 * src[None, :] + 1.0
    np.testing.assert_allclose(got[np.ix_(inside, inside)], want[np.ix_(inside, inside)],
                               rtol=1e-13, atol=1e-13)
    assert inside.sum() >= 6


def test_antialiased_bicubic_upsampling_reproduces_quadratics_away_from_the_borders():
    """Upsampling, the antialiased bicubic is Keys' kernel with a = -1/2 (Pillow's), which
    is exact for quadratics wherever its 4 taps lie inside."""
    n, m = 8, 19
    x = (np.arange(n) ** 2 - 3.0 * np.arange(n))[None, None, None, :]
    got = F.interpolate(ag.tensor(x), size=(1, m), mode="bicubic", antialias=True).data
    src = (np.arange(m) + 0.5) * n / m - 0.5
    inside = (np.floor(src) >= 1) & (np.floor(src) + 2 <= n - 1)
    np.testing.assert_allclose(got[0, 0, 0, inside], (src ** 2 - 3.0 * src)[inside],
                               rtol=1e-12, atol=1e-12)
    assert inside.sum() >= 10


def test_antialiased_bilinear_halving_is_the_1_3_3_1_filter():
    """Downsampling by 2, the antialiased tent is stretched to 4 pixels: weights
    (1, 3, 3, 1)/8 around each output, renormalised where the window leaves the input."""
    x = RNG.standard_normal((1, 1, 1, 10))
    got = F.interpolate(ag.tensor(x), size=(1, 5), mode="bilinear", antialias=True).data
    r = x[0, 0, 0]
    want = np.convolve(np.pad(r, 1), [1, 3, 3, 1], mode="valid")[::2] / 8
    want[0] = (3 * r[0] + 3 * r[1] + r[2]) / 7
    want[-1] = (r[-3] + 3 * r[-2] + 3 * r[-1]) / 7
    np.testing.assert_allclose(got[0, 0, 0], want, rtol=1e-13)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic", "lanczos"])
@pytest.mark.parametrize("size", [(2, 3), (9, 11), (1, 1)])
def test_antialiased_modes_keep_constants(mode, size):
    x = np.full((1, 1, 5, 6), -1.25)
    got = F.interpolate(ag.tensor(x), size=size, mode=mode, antialias=True)
    np.testing.assert_allclose(got.data, -1.25, rtol=1e-14)


@pytest.mark.parametrize("mode, antialias", [("bicubic", False), ("bilinear", True),
                                             ("bicubic", True), ("lanczos", True)])
def test_a_kept_size_with_a_scale_factor_is_resampled_by_bicubic_only(mode, antialias):
    """(3, 4) * 1.2 keeps (3, 4): PyTorch's bicubic forward still resamples with the
    scale 1/1.2, its antialiased one copies (the op table's independent reference)."""
    x = RNG.standard_normal((1, 2, 3, 4))
    got = F.interpolate(ag.tensor(x), scale_factor=1.2, mode=mode, antialias=antialias)
    want = _np_resize(x, scales=[1.2, 1.2], mode=mode, antialias=antialias)
    np.testing.assert_allclose(got.data, want, rtol=1e-12, atol=1e-12)
    assert antialias or np.abs(got.data - x).max() > 0.1


@pytest.mark.parametrize("kw", [dict(scale_factor=1.2, mode="bicubic"),
                                dict(scale_factor=(1.2, 0.5), mode="bilinear", antialias=True),
                                dict(scale_factor=(2.0, 1.2), mode="lanczos", antialias=True)])
def test_gradients_are_the_derivatives_of_the_outputs(kw):
    """A kept size with a scale_factor, where PyTorch's backward is not the derivative of
    its forward: ours is (finite differences in float64)."""
    x = ag.tensor(RNG.standard_normal((1, 2, 3, 4)), requires_grad=True)
    assert ag.gradcheck(lambda t: F.interpolate(t, **kw), (x,), atol=1e-8, rtol=1e-6)


def test_trilinear_is_linear_along_each_dim_in_turn():
    x = RNG.standard_normal((2, 2, 3, 4, 5))
    got = F.interpolate(ag.tensor(x), size=(5, 2, 7), mode="trilinear").data
    want = ag.tensor(x)
    for d, n in ((4, 7), (3, 2), (2, 5)):   # linear along one dim, the others as batch
        moved = np.moveaxis(want.data, d, -1)
        flat = F.interpolate(ag.tensor(moved.reshape(-1, 1, moved.shape[-1])), size=n,
                             mode="linear").data
        want = ag.tensor(np.moveaxis(flat.reshape(moved.shape[:-1] + (n,)), -1, d))
    np.testing.assert_allclose(got, want.data, rtol=1e-13, atol=1e-14)


# ---- errors ---------------------------------------------------------------------------

def _interp(t, shape, *args, dtype=None, **kw):
    fn = F.interpolate if t is ag else t.nn.functional.interpolate
    x = t.ones(*shape) if dtype is None else t.ones(*shape, dtype=dtype)
    return fn(x, *args, **kw)


@pytest.mark.parametrize("exc, match, call", [
    (NotImplementedError, "needs 5D", lambda t: _interp(t, (1, 1, 4), 3, mode="trilinear")),
    (NotImplementedError, "needs 5D",
     lambda t: _interp(t, (1, 1, 4, 4), 3, mode="trilinear")),
    (NotImplementedError, "got bicubic", lambda t: _interp(t, (1, 1, 4), 3, mode="bicubic")),
    (NotImplementedError, "got bicubic",
     lambda t: _interp(t, (1, 1, 2, 2, 2), 3, mode="bicubic")),
    (NotImplementedError, "got lanczos", lambda t: _interp(t, (1, 1, 4), 3, mode="lanczos")),
    (ValueError, "requires antialias",
     lambda t: _interp(t, (1, 1, 4, 4), 3, mode="lanczos")),
    (ValueError, "align_corners",
     lambda t: _interp(t, (1, 1, 4, 4), 3, mode="lanczos", align_corners=True,
                       antialias=True)),
    (ValueError, "align_corners",
     lambda t: _interp(t, (1, 1, 4, 4), 3, mode="area", align_corners=False)),
    (ValueError, "align_corners",
     lambda t: _interp(t, (1, 1, 2, 2, 2), 3, align_corners=True)),
    (ValueError, "nti-alias",
     lambda t: _interp(t, (1, 1, 2, 2, 2), 3, mode="trilinear", antialias=True)),
    (ValueError, "nti-alias", lambda t: _interp(t, (1, 1, 4, 4), 3, mode="area",
                                                antialias=True)),
    (ValueError, "nti-alias", lambda t: _interp(t, (1, 1, 4), 3, mode="lanczos",
                                                antialias=True)),
    (NotImplementedError, "dtype",
     lambda t: _interp(t, (1, 1, 4, 4), 3, mode="bicubic", dtype=t.int64)),
    (NotImplementedError, "dtype",
     lambda t: _interp(t, (1, 1, 4, 4), 3, mode="area", dtype=t.int64)),
    (RuntimeError, "non-empty", lambda t: _interp(t, (1, 0, 2, 2, 2), 3, mode="area")),
    (RuntimeError, "non-empty", lambda t: _interp(t, (1, 0, 4, 4), 3, mode="bicubic",
                                                  antialias=True)),
    (RuntimeError, "non-negative", lambda t: _interp(t, (1, 1, 4, 4), (-1, 2), mode="area")),
    (RuntimeError, r"greater than 0.*\(D: 2, H: 2, W: 0\)",
     lambda t: _interp(t, (1, 1, 2, 2, 2), (2, 2, 0), mode="trilinear")),
    (RuntimeError, r"greater than 0.*\(H: 0, W: 0\)",
     lambda t: _interp(t, (1, 1, 4, 4), scale_factor=0.1, mode="bicubic", antialias=True)),
])
def test_bad_input_raises_like_pytorch(exc, match, call):
    assert_raises_like_torch(exc, match, lambda: call(ag), call)


# ---- modules ----------------------------------------------------------------------------

def _module_pairs(torch):
    tn = torch.nn
    return [
        (nn.ZeroPad3d(1), tn.ZeroPad3d(1)),
        (nn.ZeroPad3d((1, 2, 0, 1, 2, 0)), tn.ZeroPad3d((1, 2, 0, 1, 2, 0))),
        (nn.ConstantPad3d(2, 1.5), tn.ConstantPad3d(2, 1.5)),
        (nn.ConstantPad3d((1, 0, 2, 0, 0, 1), -1), tn.ConstantPad3d((1, 0, 2, 0, 0, 1), -1)),
        (nn.ReflectionPad3d(1), tn.ReflectionPad3d(1)),
        (nn.ReflectionPad3d((2, 0, 1, 2, 0, 1)), tn.ReflectionPad3d((2, 0, 1, 2, 0, 1))),
        (nn.ReplicationPad3d((1, 2, 0, 1, 3, 0)), tn.ReplicationPad3d((1, 2, 0, 1, 3, 0))),
        (nn.CircularPad3d(2), tn.CircularPad3d(2)),
        (nn.CircularPad3d((0, 1, 2, 1, 1, 2)), tn.CircularPad3d((0, 1, 2, 1, 1, 2))),
        (nn.Upsample(scale_factor=1.5, mode="trilinear"),
         tn.Upsample(scale_factor=1.5, mode="trilinear")),
        (nn.Upsample(size=(2, 5, 4), mode="trilinear", align_corners=True),
         tn.Upsample(size=(2, 5, 4), mode="trilinear", align_corners=True)),
        (nn.Upsample(scale_factor=(2, 0.5, 1), mode="nearest"),
         tn.Upsample(scale_factor=(2, 0.5, 1), mode="nearest")),
        (nn.Upsample(size=(2, 5, 3), mode="area"), tn.Upsample(size=(2, 5, 3), mode="area")),
        (nn.Upsample(scale_factor=2.5, mode="bicubic"),
         tn.Upsample(scale_factor=2.5, mode="bicubic")),
        (nn.Upsample(size=(3, 7), mode="bicubic", align_corners=True),
         tn.Upsample(size=(3, 7), mode="bicubic", align_corners=True)),
    ]


def test_module_reprs_equal_pytorchs():
    torch = pytest.importorskip("torch")
    for ours, theirs in _module_pairs(torch):
        assert repr(ours) == repr(theirs)


def test_modules_match_pytorch_outputs_and_gradients():
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((2, 3, 3, 4, 5))
    for ours, theirs in _module_pairs(torch):
        up = isinstance(ours, nn.Upsample)
        if up and "bicubic" in repr(ours):
            inputs = [x[:, :, 0]]
        else:
            inputs = [x] if up else [x[0], x]   # (the pads take unbatched input too)
        for a in inputs:
            xo, xt = ag.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
            got, want = ours(xo), theirs(xt)
            np.testing.assert_allclose(got.data, want.detach().numpy(), rtol=1e-12,
                                       atol=1e-12, err_msg=repr(ours))
            u = RNG.standard_normal(want.shape)
            (got * u).sum().backward()
            (want * torch.tensor(u)).sum().backward()
            np.testing.assert_allclose(xo.grad.data, xt.grad.numpy(), rtol=1e-12,
                                       atol=1e-12, err_msg=repr(ours))


@pytest.mark.parametrize("exc, match, ours, theirs", [
    (NotImplementedError, "not supported", lambda: nn.ReflectionPad3d(1)(ag.ones(3, 3, 3)),
     lambda t: t.nn.ReflectionPad3d(1)(t.ones(3, 3, 3))),
    (NotImplementedError, "not supported",
     lambda: nn.ReplicationPad3d(1)(ag.ones(1, 1, 1, 3, 3, 3)),
     lambda t: t.nn.ReplicationPad3d(1)(t.ones(1, 1, 1, 3, 3, 3))),
    (ValueError, "expected 4D or 5D input", lambda: nn.CircularPad3d(1)(ag.ones(3, 3, 3)),
     lambda t: t.nn.CircularPad3d(1)(t.ones(3, 3, 3))),
    (RuntimeError, "reflect padding", lambda: nn.ReflectionPad3d(3)(ag.ones(1, 1, 3, 4, 4)),
     lambda t: t.nn.ReflectionPad3d(3)(t.ones(1, 1, 3, 4, 4))),
    (RuntimeError, "wrap around", lambda: nn.CircularPad3d(4)(ag.ones(1, 1, 3, 3, 3)),
     lambda t: t.nn.CircularPad3d(4)(t.ones(1, 1, 3, 3, 3))),
    (NotImplementedError, "got bicubic",
     lambda: nn.Upsample(scale_factor=2, mode="bicubic")(ag.ones(1, 1, 2, 2, 2)),
     lambda t: t.nn.Upsample(scale_factor=2, mode="bicubic")(t.ones(1, 1, 2, 2, 2))),
])
def test_bad_module_input_raises_like_pytorch(exc, match, ours, theirs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_raises_like_torch(exc, match, ours, theirs)


@pytest.mark.parametrize("layer, np_mode", [
    (nn.ZeroPad3d(2), "constant"), (nn.ConstantPad3d((1, 0, 2, 1, 0, 3), 2.5), "constant"),
    (nn.ReflectionPad3d((2, 1, 0, 2, 1, 0)), "reflect"),
    (nn.ReplicationPad3d((0, 3, 1, 0, 2, 1)), "edge"),
    (nn.CircularPad3d((1, 2, 2, 0, 0, 1)), "wrap")])
def test_3d_padding_layers_pad_the_last_three_dims_as_np_pad(layer, np_mode):
    p = layer.padding
    widths = [(p[4], p[5]), (p[2], p[3]), (p[0], p[1])]
    kw = {"constant_values": layer.value} if np_mode == "constant" else {}
    for shape in ((2, 3, 3, 4, 5), (3, 4, 3, 3)):   # batched and unbatched
        x = RNG.standard_normal(shape)
        want = np.pad(x, [(0, 0)] * (x.ndim - 3) + widths, mode=np_mode, **kw)
        np.testing.assert_array_equal(layer(ag.tensor(x)).data, want)


def test_constant_pad_takes_any_rank():
    """Constant padding (ZeroPad3d, ConstantPad3d, F.pad) pads the last dims of an input
    of any rank, as PyTorch's."""
    x = RNG.standard_normal((2, 1, 2, 3, 2, 2))
    got = nn.ConstantPad3d((1, 0, 0, 2, 1, 1), 0.5)(ag.tensor(x)).data
    want = np.pad(x, [(0, 0)] * 3 + [(1, 1), (0, 2), (1, 0)], constant_values=0.5)
    np.testing.assert_array_equal(got, want)
    got = F.pad(ag.tensor(x), (1, 1) * 5).data
    np.testing.assert_array_equal(got, np.pad(x, [(0, 0)] + [(1, 1)] * 5))
