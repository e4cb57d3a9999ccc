"""nn.functional's gumbel_softmax, pdist, the in-place activations (relu_, elu_, ...),
affine_grid, grid_sample and the deprecated upsample aliases: PyTorch parity in float64
of outputs, gradients (both of grid_sample's) and double backward; the in-place
semantics (same object returned, version bump, leaf refusal); statistical checks of the
Gumbel noise; and the errors and warnings for bad input."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd as ag
from autograd.gradcheck import gradcheck, gradgradcheck
from nn import functional as F
from numeric import assert_raises_like_torch

RNG = np.random.default_rng(0)


def _torch():
    return pytest.importorskip("torch")


def _grads(out, inputs, u, **kw):
    """The gradients of <out, u> in `inputs` (ours)."""
    return ag.grad((out * ag.tensor(u)).sum(), inputs, **kw)


def _close(got, want, tol=1e-12):
    np.testing.assert_allclose(np.asarray(got.data if isinstance(got, ag.Tensor) else got),
                               want.detach().numpy(), rtol=tol, atol=tol)


# ---- gumbel_softmax ----------------------------------------------------------------------

def test_gumbel_softmax_is_the_softmax_of_the_logits_plus_seeded_gumbel_noise():
    logits = RNG.standard_normal((3, 5))
    ag.manual_seed(3)
    got = F.gumbel_softmax(ag.tensor(logits), tau=0.7)
    # the generator behind manual_seed(3): Exp(1) draws E, Gumbel noise -log E
    g = -np.log(np.random.default_rng(3).standard_exponential((3, 5)))
    z = (logits + g) / 0.7
    want = np.exp(z - z.max(-1, keepdims=True))
    np.testing.assert_allclose(got.data, want / want.sum(-1, keepdims=True), rtol=1e-12)
    ag.manual_seed(3)   # the same seed, the same sample
    np.testing.assert_array_equal(F.gumbel_softmax(ag.tensor(logits), tau=0.7).data, got.data)


@pytest.mark.parametrize("shape,dim", [((4, 3), -1), ((4, 3), 0), ((2, 3, 4), 1), ((5,), 0)])
def test_gumbel_softmax_shapes_dims_and_dtypes(shape, dim):
    for dtype in (np.float32, np.float64):
        x = ag.tensor(RNG.standard_normal(shape).astype(dtype))
        soft = F.gumbel_softmax(x, dim=dim)
        hard = F.gumbel_softmax(x, hard=True, dim=dim)
        for y in (soft, hard):
            assert y.shape == x.shape and y.dtype == dtype
            np.testing.assert_allclose(y.data.sum(dim), 1, rtol=1e-6)
        assert ((hard.data == 0) | (hard.data == 1)).all()
        assert (hard.data.sum(dim) == 1).all()


def test_gumbel_softmax_hard_is_one_hot_at_the_soft_argmax_with_the_soft_gradient():
    logits = RNG.standard_normal((6, 4))
    u = RNG.standard_normal((6, 4))
    x1, x2 = (ag.tensor(logits, requires_grad=True) for _ in range(2))
    ag.manual_seed(11)
    soft = F.gumbel_softmax(x1, tau=0.5)
    ag.manual_seed(11)
    hard = F.gumbel_softmax(x2, tau=0.5, hard=True)
    want = np.eye(4)[soft.data.argmax(-1)]
    np.testing.assert_allclose(hard.data, want, atol=1e-15)
    (g1,), (g2,) = _grads(soft, [x1], u), _grads(hard, [x2], u)
    np.testing.assert_allclose(g2.data, g1.data, rtol=1e-12, atol=1e-15)
    assert np.abs(g1.data).max() > 0


def test_gumbel_softmax_statistics():
    # Two equal logits at tau = 1: y_0 = sigmoid(g_0 - g_1), g_0 - g_1 ~ Logistic(0, 1),
    # so y_0 ~ U(0, 1): mean 1/2, variance 1/12 (n = 20000: 5 standard errors below).
    ag.manual_seed(0)
    n = 20000
    y0 = F.gumbel_softmax(ag.zeros(n, 2, dtype=ag.float64)).data[:, 0]
    assert abs(y0.mean() - 0.5) < 5 * np.sqrt(1 / 12 / n)
    assert abs(y0.var() - 1 / 12) < 5 * np.sqrt(1 / 180 / n)
    assert abs(np.mean(y0 < 0.25) - 0.25) < 5 * np.sqrt(0.25 * 0.75 / n)
    # Gumbel-max: hard samples pick class k with probability softmax(logits)_k.
    logits = np.log(np.array([0.1, 0.2, 0.3, 0.4]))
    hard = F.gumbel_softmax(ag.tensor(np.tile(logits, (n, 1))), tau=0.3, hard=True).data
    freq = hard.mean(0)
    p = np.exp(logits)
    assert np.all(np.abs(freq - p) < 5 * np.sqrt(p * (1 - p) / n)), freq


def test_gumbel_softmax_errors_and_warnings():
    with pytest.warns(UserWarning, match="eps.*deprecated"):
        F.gumbel_softmax(ag.zeros(2, 3), eps=1e-5)
    with pytest.raises(NotImplementedError, match="gumbel_softmax.*Long"):
        F.gumbel_softmax(ag.tensor([[1, 2]]))
    with pytest.raises(IndexError, match="gumbel_softmax|softmax"):
        F.gumbel_softmax(ag.zeros(2, 3), dim=2)


# ---- pdist ----------------------------------------------------------------------------------

PDIST_INPUTS = [
    # duplicated rows (zero distances), ties in |difference| (p = inf), zero differences
    np.array([[0., 1., 2.], [0., 1., 2.], [1., -1, 3.], [2, 2, 2.], [1, 0, 1]]),
    RNG.standard_normal((5, 4)),
    np.round(RNG.standard_normal((6, 3))),
    np.zeros((1, 3)),
    np.zeros((3, 0)),
]


@pytest.mark.parametrize("p", [0, 0.5, 1, 1.5, 2, 3, np.inf])
def test_pdist_matches_torch(p):
    torch = _torch()
    for x in PDIST_INPUTS:
        xo, xt = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        got, want = F.pdist(xo, p), torch.nn.functional.pdist(xt, p)
        _close(got, want)
        u = RNG.standard_normal(tuple(want.shape))
        (g,) = _grads(got, [xo], u)
        (gt,) = torch.autograd.grad((want * torch.tensor(u)).sum(), xt)
        _close(g, gt)


def test_pdist_order_dtype_empty_and_double_backward():
    x = RNG.standard_normal((4, 3)).astype(np.float32)
    got = F.pdist(ag.tensor(x), 3)
    i, j = np.triu_indices(4, 1)
    want = (np.abs(x[i].astype(np.float64) - x[j]) ** 3).sum(-1) ** (1 / 3)
    assert got.dtype == np.float32 and got.shape == (6,)
    np.testing.assert_allclose(got.data, want, rtol=1e-6)
    empty = ag.zeros(0, 2, requires_grad=True)
    assert F.pdist(empty).shape == (0,) and F.pdist(empty, np.inf).shape == (0,)
    x64 = ag.tensor(RNG.standard_normal((4, 3)), requires_grad=True)
    for p in (1.5, 2, 3):   # (PyTorch's pdist has no double backward; ours does)
        assert gradcheck(lambda t: F.pdist(t, p), (x64,))
        assert gradgradcheck(lambda t: F.pdist(t, p), (x64,))


def test_pdist_errors():
    assert_raises_like_torch(RuntimeError, "pdist only supports 2D tensors, got: 1D",
                             lambda: F.pdist(ag.zeros(3)),
                             lambda torch: torch.pdist(torch.zeros(3)))
    assert_raises_like_torch(RuntimeError, "pdist only supports 2D tensors, got: 3D",
                             lambda: F.pdist(ag.zeros(3, 2, 1)),
                             lambda torch: torch.pdist(torch.zeros(3, 2, 1)))
    assert_raises_like_torch(RuntimeError, "pdist only supports floating-point dtypes",
                             lambda: F.pdist(ag.tensor([[1, 2], [3, 4]])),
                             lambda torch: torch.pdist(torch.tensor([[1, 2], [3, 4]])))
    assert_raises_like_torch(RuntimeError, "non-negative p values, got -1",
                             lambda: F.pdist(ag.zeros(3, 2), -1),
                             lambda torch: torch.pdist(torch.zeros(3, 2), -1))


# ---- in-place activations ------------------------------------------------------------------

INPLACE = [("relu_", ()), ("elu_", (0.5,)), ("leaky_relu_", (0.2,)),
           ("hardtanh_", (-0.5, 0.6)), ("threshold_", (0.1, 20.0)), ("celu_", (2.0,)),
           ("selu_", ()), ("rrelu_", (0.1, 0.3)), ("hardtanh_", (1.0, 0.0))]
POINTS = np.array([-1.5, -0.2, 0.0, 0.1, 0.7, 2.5])


@pytest.mark.parametrize("name,args", INPLACE, ids=[f"{n}{a}" for n, a in INPLACE])
def test_inplace_activation_matches_torch(name, args):
    torch = _torch()
    a = ag.tensor(POINTS, requires_grad=True)
    b = a * 1.0
    version = b._version
    assert getattr(F, name)(b, *args) is b
    assert b._version == version + 1
    at = torch.tensor(POINTS, requires_grad=True)
    bt = at * 1.0
    getattr(torch.nn.functional, name)(bt, *args)
    _close(b, bt)
    u = RNG.standard_normal(POINTS.shape)
    (b * ag.tensor(u)).sum().backward()
    (bt * torch.tensor(u)).sum().backward()
    _close(a.grad, at.grad)
    # a tensor that needs no grad changes in place too, integers as PyTorch's
    c = ag.tensor(POINTS)
    getattr(F, name)(c, *args)
    _close(c, getattr(torch.nn.functional, name)(torch.tensor(POINTS), *args))
    if name in ("relu_", "hardtanh_", "threshold_"):
        ints = np.array([-2, 0, 1, 3])
        ci = ag.tensor(ints)
        getattr(F, name)(ci, *args)
        np.testing.assert_array_equal(
            ci.data, getattr(torch.nn.functional, name)(torch.tensor(ints), *args).numpy())


@pytest.mark.parametrize("name,args", INPLACE[:8], ids=[n for n, _ in INPLACE[:8]])
def test_inplace_activation_errors(name, args):
    fn = getattr(F, name)
    assert_raises_like_torch(
        RuntimeError, f"{name}: a leaf Variable that requires grad",
        lambda: fn(ag.tensor(POINTS, requires_grad=True), *args),
        lambda torch: getattr(torch.nn.functional, name)(
            torch.tensor(POINTS, requires_grad=True), *args))
    assert_raises_like_torch(
        RuntimeError if name in ("relu_", "hardtanh_") else NotImplementedError,
        "Bool", lambda: fn(ag.tensor([True, False]), *args),
        lambda torch: getattr(torch.nn.functional, name)(torch.tensor([True, False]), *args))
    # under no_grad a leaf may change
    leaf = ag.tensor(POINTS, requires_grad=True)
    with ag.no_grad():
        fn(leaf, *args)
    assert not np.array_equal(leaf.data, POINTS) or name == "threshold_"


def test_inplace_activation_invalidates_saved_tensors():
    a = ag.tensor(POINTS, requires_grad=True)
    b = a * 1.0
    c = ag.sin(b)   # saves b
    F.relu_(b)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        c.sum().backward()


NEGATIVE = [("leaky_relu_", (-0.2,)), ("elu_", (-1.0,)), ("celu_", (-1.0,)),
            ("rrelu_", (-0.3, -0.1, False))]


@pytest.mark.parametrize("name,args", NEGATIVE, ids=[n for n, _ in NEGATIVE])
def test_inplace_negative_slope_refuses_backward_like_torch(name, args):
    a = ag.tensor(POINTS, requires_grad=True)
    b = a * 1.0
    getattr(F, name)(b, *args)   # (the forward is fine, as in PyTorch)
    with pytest.raises(RuntimeError, match="In-place .* negative slope which is not supported"):
        b.sum().backward()
    getattr(F, name)(ag.tensor(POINTS), *args)   # nothing recorded: nothing refused
    torch = _torch()
    bt = torch.tensor(POINTS, requires_grad=True) * 1.0
    getattr(torch.nn.functional, name)(bt, *args)
    with pytest.raises(RuntimeError, match="negative slope which is not supported"):
        bt.sum().backward()


def test_rrelu_inplace_training_draws_slopes_once():
    a = ag.tensor(POINTS, requires_grad=True)
    b = a * 1.0
    ag.manual_seed(5)
    F.rrelu_(b, 0.1, 0.3, training=True)
    neg = POINTS <= 0
    slopes = np.where(neg, b.data / np.where(POINTS == 0, 1, POINTS), 1)
    assert np.all((slopes[neg & (POINTS < 0)] >= 0.1) & (slopes[neg & (POINTS < 0)] <= 0.3))
    np.testing.assert_array_equal(b.data[~neg], POINTS[~neg])
    b.sum().backward()
    np.testing.assert_allclose(a.grad.data[POINTS < 0], slopes[POINTS < 0], rtol=1e-12)
    assert 0.1 <= a.grad.data[POINTS == 0][0] <= 0.3   # (the slope at 0 too, as PyTorch)


# ---- affine_grid ----------------------------------------------------------------------------

@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 1, 1, 3), (2, 1, 3, 1), (2, 3, 2, 3, 4),
                                  (1, 1, 1, 2, 3)])
@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid_matches_torch(size, align_corners):
    torch = _torch()
    k = len(size) - 2
    for dtype in (np.float32, np.float64):
        theta = RNG.standard_normal((size[0], k, k + 1)).astype(dtype)
        to, tt = ag.tensor(theta, requires_grad=True), torch.tensor(theta, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # (unit-size grids with align_corners warn)
            got = F.affine_grid(to, size, align_corners)
            want = torch.nn.functional.affine_grid(tt, size, align_corners)
        assert got.dtype == dtype and got.shape == tuple(want.shape)
        _close(got, want, 1e-12 if dtype == np.float64 else 1e-6)
        if dtype == np.float64:
            u = RNG.standard_normal(got.shape)
            (g,) = _grads(got, [to], u)
            (gt,) = torch.autograd.grad((want * torch.tensor(u)).sum(), tt)
            _close(g, gt)


def test_affine_grid_identity_is_exact_pixel_centres():
    # align_corners=False: pixel i of n sits at (2 i + 1)/n - 1
    eye = ag.tensor(np.eye(2, 3, dtype=np.float32)[None])
    grid = F.affine_grid(eye, (1, 1, 3, 4), align_corners=False).data
    np.testing.assert_allclose(grid[0, 0, :, 0], (2 * np.arange(4) + 1) / 4 - 1, rtol=1e-6)
    np.testing.assert_allclose(grid[0, :, 0, 1], (2 * np.arange(3) + 1) / 3 - 1, rtol=1e-6)
    grid = F.affine_grid(eye, (1, 1, 3, 4), align_corners=True).data
    np.testing.assert_allclose(grid[0, 0, :, 0], np.linspace(-1, 1, 4), rtol=1e-6)


def test_affine_grid_errors_and_warnings():
    theta = ag.zeros(2, 2, 3)
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        F.affine_grid(theta, (2, 1, 3, 4))
    with pytest.warns(UserWarning, match="unit-size grids when align_corners=True"):
        F.affine_grid(theta, (2, 1, 1, 4), align_corners=True)
    for exc, match, size, th, th_t in [
            (ValueError, "non-zero, positive output size", (2, 3, 0, 5), (2, 2, 3), None),
            (NotImplementedError, "only supports 4D and 5D sizes", (2, 3, 4), (2, 2, 3), None),
            (ValueError, "Nx2x3 for size", (2, 3, 4, 5), (2, 3, 3), None),
            (ValueError, "Nx3x4 for size", (2, 3, 4, 5, 6), (2, 2, 3), None),
            (ValueError, "floating point type", (2, 3, 4, 5), (2, 2, 3), "int"),
            (RuntimeError, "theta holds 2 matrices", (3, 3, 4, 5), (2, 2, 3), None)]:
        dt = np.int64 if th_t else np.float32
        assert_raises_like_torch(
            exc, match,
            lambda: F.affine_grid(ag.tensor(np.zeros(th, dt)), size, False),
            lambda torch: torch.nn.functional.affine_grid(
                torch.tensor(np.zeros(th, dt)), size, False))


# ---- grid_sample ----------------------------------------------------------------------------

def _grid_cases():
    out = []
    for mode in ("bilinear", "nearest", "bicubic"):
        for pad in ("zeros", "border", "reflection"):
            for ac in (False, True):
                out.append((4, mode, pad, ac))
                if mode != "bicubic":
                    out.append((5, mode, pad, ac))
    return out


def _grid_data(nd, spatial=None):
    spatial = spatial or ((3, 4) if nd == 4 else (2, 3, 4))
    x = RNG.standard_normal((2, 2) + tuple(spatial))
    # points inside, near and beyond the borders (beyond twice the image: reflections)
    g = RNG.uniform(-2.6, 2.6, (2, 3, 2, nd - 2) if nd == 4 else (2, 2, 2, 2, 3))
    return x, g


@pytest.mark.parametrize("nd,mode,pad,align", _grid_cases())
def test_grid_sample_matches_torch_with_both_gradients_and_double_backward(nd, mode, pad,
                                                                           align):
    torch = _torch()
    for spatial in (None, (1, 5) if nd == 4 else (1, 2, 1)):   # (one-pixel dims too)
        x, g = _grid_data(nd, spatial)
        xo, go = ag.tensor(x, requires_grad=True), ag.tensor(g, requires_grad=True)
        xt, gt = torch.tensor(x, requires_grad=True), torch.tensor(g, requires_grad=True)
        got = F.grid_sample(xo, go, mode, pad, align)
        want = torch.nn.functional.grid_sample(xt, gt, mode, pad, align)
        _close(got, want)
        u = RNG.standard_normal(got.shape)
        ours = _grads(got, [xo, go], u, create_graph=True)
        theirs = torch.autograd.grad((want * torch.tensor(u)).sum(), (xt, gt),
                                     create_graph=True)
        for a, b in zip(ours, theirs):
            _close(a, b)
        v = [RNG.standard_normal(x.shape), RNG.standard_normal(g.shape)]
        s = sum((a * ag.tensor(w)).sum() for a, w in zip(ours, v))
        st = sum((b * torch.tensor(w)).sum() for b, w in zip(theirs, v))
        ours2 = ag.grad(s, [xo, go], allow_unused=True) if s.requires_grad else (None, None)
        theirs2 = torch.autograd.grad(st, (xt, gt), allow_unused=True)
        for a, b, shape in zip(ours2, theirs2, (x.shape, g.shape)):
            # (None: no dependence, a zero gradient; nearest's grid has none)
            np.testing.assert_allclose(np.zeros(shape) if a is None else a.data,
                                       np.zeros(shape) if b is None else b.numpy(),
                                       rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
def test_grid_sample_float32_matches_torch(mode):
    torch = _torch()
    x = RNG.standard_normal((2, 3, 5, 6)).astype(np.float32)
    g = RNG.uniform(-1.3, 1.3, (2, 4, 5, 2)).astype(np.float32)
    for pad in ("zeros", "border", "reflection"):
        got = F.grid_sample(ag.tensor(x), ag.tensor(g), mode, pad, False)
        want = torch.nn.functional.grid_sample(torch.tensor(x), torch.tensor(g), mode, pad,
                                               False)
        assert got.dtype == np.float32
        np.testing.assert_allclose(got.data, want.numpy(), rtol=1e-5, atol=1e-5)


def test_grid_sample_properties_without_torch():
    x = RNG.standard_normal((2, 3, 4, 5))
    eye = ag.tensor(np.tile(np.eye(2, 3), (2, 1, 1)))
    for mode in ("bilinear", "nearest", "bicubic"):
        # the identity grid at the pixel centres reads every pixel back
        for align in (False, True):
            grid = F.affine_grid(eye, (2, 3, 4, 5), align_corners=align)
            out = F.grid_sample(ag.tensor(x), grid, mode, "zeros", align)
            np.testing.assert_allclose(out.data, x, atol=1e-12)
    # far off, infinite and NaN points read zeros (zeros padding), the border pixel (border)
    far = ag.tensor(np.array([[[[5.0, -1.0], [np.inf, 0.0], [np.nan, 0.0]]]] * 2))
    out = F.grid_sample(ag.tensor(x), far, "bilinear", "zeros", True)
    np.testing.assert_array_equal(out.data, 0)
    out = F.grid_sample(ag.tensor(x), far[:, :, :1], "bilinear", "border", True)
    np.testing.assert_allclose(out.data[..., 0, 0], x[:, :, 0, 4], rtol=1e-12)
    # border padding: a point clamped onto the border has no gradient in the grid
    g = ag.tensor(np.array([[[[1.0, 0.3], [1.7, -0.2]]]] * 2), requires_grad=True)
    out = F.grid_sample(ag.tensor(x), g, "bilinear", "border", True)
    (gg,) = ag.grad(out.sum(), [g])
    np.testing.assert_array_equal(gg.data[..., 0], 0)
    assert np.all(gg.data[..., 1] != 0)


def test_grid_sample_empty_shapes():
    for x, g, shape in [((0, 3, 4, 5), (0, 2, 3, 2), (0, 3, 2, 3)),
                        ((2, 0, 4, 5), (2, 2, 3, 2), (2, 0, 2, 3)),
                        ((2, 3, 4, 5), (2, 0, 3, 2), (2, 3, 0, 3))]:
        out = F.grid_sample(ag.zeros(*x), ag.zeros(*g), align_corners=False)
        assert out.shape == shape


def test_grid_sample_errors_and_warnings():
    x, g = ag.zeros(2, 3, 4, 5), ag.zeros(2, 6, 7, 2)
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        F.grid_sample(x, g)

    def both(exc, match, xs, gs, mode="bilinear", pad="zeros", xdt=np.float32,
             gdt=np.float32):
        assert_raises_like_torch(
            exc, match,
            lambda: F.grid_sample(ag.tensor(np.zeros(xs, xdt)), ag.tensor(np.zeros(gs, gdt)),
                                  mode, pad, False),
            lambda torch: torch.nn.functional.grid_sample(
                torch.tensor(np.zeros(xs, xdt)), torch.tensor(np.zeros(gs, gdt)), mode, pad,
                False))
    both(ValueError, "expected mode to be 'bilinear', 'nearest' or 'bicubic', but got: "
         "'linear'", (2, 3, 4, 5), (2, 6, 7, 2), mode="linear")
    both(ValueError, "expected padding_mode to be 'zeros', 'border', or 'reflection'",
         (2, 3, 4, 5), (2, 6, 7, 2), pad="circular")
    both(RuntimeError, r"same batch size.*\[2, 3, 4, 5\].*\[1, 6, 7, 2\]", (2, 3, 4, 5),
         (1, 6, 7, 2))
    both(RuntimeError, "expected grid to have size 2 in last dimension", (2, 3, 4, 5),
         (2, 6, 7, 3))
    both(RuntimeError, "4D or 5D input and grid with same number of dimensions",
         (2, 3, 4, 5), (2, 6, 7, 1, 2))
    both(RuntimeError, "4D or 5D input", (2, 3, 4), (2, 6, 1))
    both(RuntimeError, "non-empty spatial dimensions.*dimension 2 being empty",
         (2, 3, 0, 5), (2, 6, 7, 2))
    both(RuntimeError, "bicubic interpolation only supports 4D input", (2, 3, 4, 5, 6),
         (2, 1, 6, 7, 3), mode="bicubic")
    both(RuntimeError, "dtype|Double", (2, 3, 4, 5), (2, 6, 7, 2), gdt=np.float64)
    both(NotImplementedError, "int64|Long", (2, 3, 4, 5), (2, 6, 7, 2), xdt=np.int64,
         gdt=np.int64)


# ---- upsample -------------------------------------------------------------------------------

def test_upsample_aliases_warn_and_equal_interpolate():
    x = ag.tensor(RNG.standard_normal((1, 2, 3, 4)))
    cases = [(lambda: F.upsample(x, scale_factor=2, mode="bilinear", align_corners=False),
              F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False),
              "upsample` is deprecated"),
             (lambda: F.upsample(x, size=(5, 7)), F.interpolate(x, size=(5, 7)),
              "upsample` is deprecated"),
             (lambda: F.upsample_nearest(x, scale_factor=2),
              F.interpolate(x, scale_factor=2, mode="nearest"), "upsample_nearest` is depr"),
             (lambda: F.upsample_bilinear(x, size=(5, 6)),
              F.interpolate(x, size=(5, 6), mode="bilinear", align_corners=True),
              "upsample_bilinear` is deprecated")]
    for call, want, match in cases:
        with pytest.warns(UserWarning, match=match):
            got = call()
        np.testing.assert_array_equal(got.data, want.data)
    # (upsample_bilinear is align_corners=True: not the default bilinear)
    with pytest.warns(UserWarning):
        got = F.upsample_bilinear(x, size=(5, 6))
    assert not np.allclose(got.data, F.interpolate(x, size=(5, 6), mode="bilinear",
                                                   align_corners=False).data)
