"""autograd.linalg and the decompositions (autograd/ops/decomp.py): parity with PyTorch
2.13 (values and gradients w.r.t. every input, batched, float32 and float64), the
variants the op table leaves out (checked against finite differences in float64, first
and second order), degenerate inputs (singular, repeated eigenvalues, 0x0, 1x1),
identities that need no PyTorch, and the errors PyTorch raises."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import autograd as ag
from autograd import linalg as LA
from numeric import assert_raises_like_torch

F64 = ag.float64
INF = math.inf


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def _rng(seed=0):
    return np.random.default_rng(seed)


def _dominant(shape, seed=0):
    """Random matrices plus 2n I: invertible and well-conditioned."""
    a = _rng(seed).uniform(-1, 1, shape)
    return a + 2 * shape[-1] * np.eye(shape[-1])


def _spd(shape, seed=0):
    a = _rng(seed).standard_normal(shape)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def _lower(shape, seed=0):
    a = np.tril(_rng(seed).uniform(-1, 1, shape))
    i = np.arange(shape[-1])
    a[..., i, i] = np.abs(a[..., i, i]) + 1
    return a


def _spectrum(shape, values, seed=0):
    """Matrices with singular values `values` (rectangular or square)."""
    u, _, vh = np.linalg.svd(_rng(seed).standard_normal(shape), full_matrices=False)
    return (u * np.asarray(values, float)) @ vh


def _symmetric(shape, values, seed=0):
    q, _ = np.linalg.qr(_rng(seed).standard_normal(shape))
    return (q * np.asarray(values, float)) @ np.swapaxes(q, -1, -2)


def _randn(shape, seed=0):
    return _rng(seed).standard_normal(shape)


def _sym(m, a):
    return (a + a.mT) / 2


# ---- parity with PyTorch: one case per function and variant ----------------------------
# Each case is (id, f, arrays): f(module, *tensors) calls the same names on autograd and
# on torch, so the cases check the API as well as the values.  Outputs whose signs are
# arbitrary (eigenvectors, singular vectors) enter through sign-invariant functions.

def _svd_sq(m, a, full=False):
    u, s, vh = m.linalg.svd(a, full_matrices=full)
    return u * u, s, vh * vh


CASES = [
    ("det", lambda m, a: m.linalg.det(a), [_randn((2, 3, 3))]),
    ("det_method", lambda m, a: a.det(), [_randn((4, 4), 1)]),
    ("slogdet", lambda m, a: tuple(m.linalg.slogdet(a)), [_randn((2, 3, 3), 2)]),
    ("logdet", lambda m, a: m.logdet(a), [_spd((2, 3, 3))]),
    ("inv", lambda m, a: m.linalg.inv(a), [_dominant((2, 3, 3))]),
    ("inverse", lambda m, a: a.inverse(), [_dominant((3, 3), 1)]),
    ("solve", lambda m, a, b: m.linalg.solve(a, b), [_dominant((2, 3, 3)), _randn((2, 3, 2))]),
    ("solve_vector", lambda m, a, b: m.linalg.solve(a, b),
     [_dominant((2, 3, 3)), _randn((2, 3))]),
    ("solve_right_broadcast", lambda m, a, b: m.linalg.solve(a, b, left=False),
     [_dominant((3, 3)), _randn((2, 4, 3))]),
    ("solve_triangular", lambda m, a, b: m.linalg.solve_triangular(a, b, upper=True),
     [_dominant((2, 3, 3)), _randn((2, 3, 2))]),
    ("solve_triangular_right_unit",
     lambda m, a, b: m.linalg.solve_triangular(a, b, upper=False, left=False,
                                               unitriangular=True),
     [_randn((3, 3)), _randn((2, 2, 3))]),
    ("cholesky", lambda m, a: m.linalg.cholesky(_sym(m, a)), [_spd((2, 3, 3))]),
    ("cholesky_upper", lambda m, a: m.linalg.cholesky(_sym(m, a), upper=True),
     [_spd((3, 3))]),
    # (the factors through tril / triu: PyTorch's gradient of the factor is dense, ours
    # stays on the triangle read; test_one_triangle_ops_... pins the difference)
    ("cholesky_solve", lambda m, b, l: m.cholesky_solve(b, l.tril()),
     [_randn((2, 3, 2)), _lower((2, 3, 3))]),
    ("cholesky_solve_upper", lambda m, b, u: b.cholesky_solve(u.triu(), upper=True),
     [_randn((3, 2)), np.swapaxes(_lower((2, 3, 3)), -1, -2)]),
    ("cholesky_inverse", lambda m, l: m.cholesky_inverse(l.tril()), [_lower((2, 3, 3))]),
    ("cholesky_inverse_upper", lambda m, u: u.triu().cholesky_inverse(upper=True),
     [np.swapaxes(_lower((3, 3)), -1, -2)]),
    ("pinv_tall", lambda m, a: m.linalg.pinv(a), [_randn((2, 4, 3))]),
    ("pinv_wide", lambda m, a: m.linalg.pinv(a), [_randn((3, 4))]),
    ("pinv_hermitian", lambda m, a: m.linalg.pinv(_sym(m, a), hermitian=True),
     [_symmetric((3, 3), [3.0, -1.0, 2.0])]),
    ("pinverse", lambda m, a: a.pinverse(), [_randn((2, 2, 3))]),
    ("lstsq_tall", lambda m, a, b: m.linalg.lstsq(a, b).solution,
     [_randn((2, 4, 3)), _randn((2, 4, 2))]),
    ("lstsq_wide_vector", lambda m, a, b: m.linalg.lstsq(a, b).solution,
     [_randn((2, 4)), _randn((2,))]),
    ("lstsq_gelsd", lambda m, a, b: tuple(m.linalg.lstsq(a, b, driver="gelsd"))[:2],
     [_randn((2, 5, 3)), _randn((2, 5, 2))]),
    ("matrix_exp", lambda m, a: m.linalg.matrix_exp(a), [_randn((2, 3, 3))]),
    ("matrix_exp_large", lambda m, a: (4 * a).matrix_exp(), [_randn((3, 3), 1)]),
    ("matrix_power_3", lambda m, a: m.linalg.matrix_power(a, 3), [_randn((2, 3, 3))]),
    ("matrix_power_-2", lambda m, a: a.matrix_power(-2), [_dominant((3, 3))]),
    ("matrix_power_0", lambda m, a: m.matrix_power(a, 0) * a, [_randn((2, 3, 3))]),
    ("qr", lambda m, a: tuple(m.linalg.qr(a)), [_randn((2, 4, 3))]),
    ("qr_wide", lambda m, a: tuple(m.linalg.qr(a)), [_randn((2, 3, 4))]),
    ("qr_complete", lambda m, a: tuple(m.linalg.qr(a, mode="complete")),
     [_randn((3, 5)), ]),
    ("eigh", lambda m, a: (m.linalg.eigh(_sym(m, a))[0], m.linalg.eigh(_sym(m, a))[1] ** 2),
     [_symmetric((2, 3, 3), [-1.0, 0.5, 2.0])]),
    ("eigh_upper", lambda m, a: m.linalg.eigh(a.triu() + a.triu(1).mT,
                                              UPLO="U").eigenvectors ** 2,
     [np.triu(_symmetric((3, 3), [1.0, 2.0, 4.0]))]),
    ("eigvalsh", lambda m, a: m.linalg.eigvalsh(_sym(m, a)), [_randn((2, 3, 3))]),
    ("svd", lambda m, a: _svd_sq(m, a), [_spectrum((2, 4, 3), [3, 2, 1])]),
    ("svd_wide", lambda m, a: _svd_sq(m, a), [_spectrum((3, 5), [3, 2, 1])]),
    ("svd_full_square", lambda m, a: _svd_sq(m, a, True), [_spectrum((3, 3), [3, 2, 1])]),
    ("svd_top_level", lambda m, a: tuple(x * x for x in m.svd(a)),
     [_spectrum((2, 4, 3), [3, 2, 1])]),
    ("svdvals", lambda m, a: m.linalg.svdvals(a), [_randn((2, 3, 4))]),
    ("vector_norm", lambda m, x: m.linalg.vector_norm(x, 3, dim=(0, -1)), [_randn((2, 3, 4))]),
    ("vector_norm_inf", lambda m, x: m.linalg.vector_norm(x, -INF, dim=1, keepdim=True),
     [_randn((2, 3, 4))]),
    ("matrix_norm_fro", lambda m, a: m.linalg.matrix_norm(a), [_randn((2, 3, 4))]),
    ("matrix_norm_nuc", lambda m, a: m.linalg.matrix_norm(a, "nuc", dim=(0, 2), keepdim=True),
     [_randn((3, 2, 4))]),
    ("matrix_norm_2", lambda m, a: m.linalg.matrix_norm(a, 2), [_randn((2, 3, 4))]),
    ("matrix_norm_-2", lambda m, a: m.linalg.matrix_norm(a, -2), [_randn((2, 4, 3))]),
    ("matrix_norm_1", lambda m, a: m.linalg.matrix_norm(a, 1), [_randn((2, 3, 4))]),
    ("matrix_norm_-1", lambda m, a: m.linalg.matrix_norm(a, -1, dim=(2, 0)), [_randn((3, 2, 4))]),
    ("matrix_norm_inf", lambda m, a: m.linalg.matrix_norm(a, INF, keepdim=True),
     [_randn((2, 3, 4))]),
    ("matrix_norm_-inf", lambda m, a: m.linalg.matrix_norm(a, -INF), [_randn((2, 3, 4))]),
    ("norm", lambda m, a: m.linalg.norm(a), [_randn((2, 3, 4))]),
    ("norm_matrix_ord", lambda m, a: m.linalg.norm(a, 2), [_randn((3, 4))]),
    ("norm_vector_dim", lambda m, a: m.linalg.norm(a, 1, dim=-1), [_randn((3, 4))]),
    ("cond", lambda m, a: m.linalg.cond(a), [_randn((2, 3, 4))]),
    ("cond_-2", lambda m, a: m.linalg.cond(a, -2), [_randn((3, 3))]),
    ("multi_dot", lambda m, a, b, c, d: m.linalg.multi_dot([a, b, c, d]),
     [_randn((5,)), _randn((5, 2)), _randn((2, 6)), _randn((6, 3))]),
    ("vecdot", lambda m, x, y: m.linalg.vecdot(x, y), [_randn((2, 3)), _randn((3,))]),
    ("cross", lambda m, x, y: m.linalg.cross(x, y), [_randn((2, 3)), _randn((2, 3))]),
    ("tensordot", lambda m, a, b: m.tensordot(a, b, dims=([0, 2], [1, 0])),
     [_randn((2, 3, 4)), _randn((4, 2, 5))]),
    ("tensordot_count", lambda m, a, b: m.tensordot(a, b, dims=1),
     [_randn((2, 3)), _randn((3, 4))]),
    ("cdist", lambda m, a, b: m.cdist(a, b), [_randn((2, 3, 4)), _randn((5, 4), 1)]),
    ("cdist_mm", lambda m, a, b: m.cdist(a, b), [_randn((30, 4)), _randn((2, 5, 4), 1)]),
    ("cdist_p1", lambda m, a, b: m.cdist(a, b, p=1), [_randn((3, 4)), _randn((5, 4), 1)]),
    ("cdist_p3", lambda m, a, b: m.cdist(a, b, p=3), [_randn((3, 4)), _randn((5, 4), 1)]),
    ("cdist_pinf", lambda m, a, b: m.cdist(a, b, p=INF),
     [_randn((3, 4)), _randn((5, 4), 1)]),
]


def _as_tuple(x):
    return tuple(x) if isinstance(x, tuple) else (x,)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, f, arrays", CASES, ids=[c[0] for c in CASES])
def test_values_and_gradients_match_torch(torch, name, f, arrays, dtype):
    ours = [ag.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out, out_t = _as_tuple(f(ag, *ours)), _as_tuple(f(torch, *theirs))
    rtol, atol = (1e-4, 1e-4) if dtype == "float32" else (1e-9, 1e-10)
    assert len(out) == len(out_t)
    rng = _rng(7)
    us = [rng.standard_normal(tuple(o.shape)).astype(dtype) for o in out_t]
    for o, t in zip(out, out_t):
        assert o.dtype == np.dtype(dtype) and tuple(o.shape) == tuple(t.shape), name
        np.testing.assert_allclose(o.data, t.detach().numpy(), rtol=rtol, atol=atol,
                                   err_msg=name)
    pairs = [(o, u) for o, u in zip(out, us) if o.requires_grad]
    grads = ag.grad(sum((o * ag.tensor(u)).sum() for o, u in pairs), ours)
    grads_t = torch.autograd.grad(
        sum((t * torch.tensor(u)).sum() for t, u in zip(out_t, us) if t.requires_grad),
        theirs)
    for i, (g, gt) in enumerate(zip(grads, grads_t)):
        np.testing.assert_allclose(g.data, gt.numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"{name}: gradient of input {i}")


@pytest.mark.parametrize("p", ["fro", "nuc", 1, -1, INF, -INF])
def test_cond_through_the_inverse_matches_torch(torch, p):
    """(Values only: PyTorch 2.13's backward of these raises, an in-place error inside
    linalg.inv_ex; ours is checked against finite differences below.)"""
    a = np.stack([_randn((3, 3)), [[1.0, 0.0, 2.0], [3.0, 0.0, 4.0], [5.0, 0.0, 6.0]]])
    np.testing.assert_allclose(LA.cond(ag.tensor(a), p).data,
                               torch.linalg.cond(torch.tensor(a), p).numpy(), rtol=1e-10)


SINGULAR_3 = [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]]


def test_second_derivatives_match_torch(torch):
    """Hessian-vector products through inv, solve, eigh, svd and matrix_exp."""
    a = _dominant((2, 3, 3))
    b = _randn((2, 3, 2))
    u = _randn((2, 3, 2), 3)

    def f(m, x, y):
        s = m.linalg.solve(x, y) * m.tensor(u)
        e = m.linalg.eigvalsh(_sym(m, x)) ** 2
        return (s.sum() + e.sum() + m.linalg.svdvals(x).prod()
                + m.linalg.matrix_exp(x / 4).sum() + m.linalg.inv(x).pow(2).sum())

    x, y = ag.tensor(a, requires_grad=True), ag.tensor(b, requires_grad=True)
    xt, yt = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    gx, gy = ag.grad(f(ag, x, y), (x, y), create_graph=True)
    gxt, gyt = torch.autograd.grad(f(torch, xt, yt), (xt, yt), create_graph=True)
    v = _randn(a.shape, 4)
    hx, hy = ag.grad((gx * ag.tensor(v)).sum() + gy.sum(), (x, y))
    hxt, hyt = torch.autograd.grad((gxt * torch.tensor(v)).sum() + gyt.sum(), (xt, yt))
    np.testing.assert_allclose(hx.data, hxt.numpy(), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(hy.data, hyt.numpy(), rtol=1e-9, atol=1e-10)


def test_third_derivative_of_matrix_exp_and_det_match_torch(torch):
    a = _randn((2, 2)) / 2

    def third(grad, x, fn):
        (g,) = grad(fn(x).sum(), x, create_graph=True)
        (h,) = grad((g * g).sum(), x, create_graph=True)
        (k,) = grad(h.sum(), x)
        return k

    for fn in (lambda x: x.matrix_exp(), lambda x: x.det() ** 2):
        ours = third(ag.grad, ag.tensor(a, requires_grad=True), fn)
        theirs = third(torch.autograd.grad, torch.tensor(a, requires_grad=True), fn)
        np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-8, atol=1e-10)


# ---- variants left out of the op table: finite differences, first and second order ----

GRAD_VARIANTS = [
    ("solve_right_broadcast", lambda a, b: LA.solve(a, b, left=False),
     [_dominant((3, 3)), _randn((2, 2, 3))]),
    ("solve_vector", LA.solve, [_dominant((2, 3, 3)), _randn((2, 3))]),
    ("solve_triangular_right_unit_lower",
     lambda a, b: LA.solve_triangular(a, b, upper=False, left=False, unitriangular=True),
     [_randn((3, 3)), _randn((2, 3))]),
    ("cholesky_upper", lambda a: LA.cholesky(a, upper=True), [_spd((2, 3, 3))]),
    ("cholesky_solve_upper", lambda b, u: ag.cholesky_solve(b, u, upper=True),
     [_randn((3, 2)), np.swapaxes(_lower((2, 3, 3)), -1, -2) + np.tril(_randn((3, 3)), -1)]),
    ("cholesky_inverse_garbage_above", ag.cholesky_inverse,
     [_lower((3, 3)) + np.triu(_randn((3, 3)), 1)]),
    ("pinv_hermitian", lambda a: LA.pinv(a, hermitian=True),
     [_symmetric((3, 3), [3.0, -1.0, 2.0])]),
    ("pinv_wide", LA.pinv, [_randn((2, 3))]),
    ("lstsq_residuals", lambda a, b: LA.lstsq(a, b, driver="gelss")[:2],
     [_randn((5, 2)), _randn((5, 2), 1)]),
    ("lstsq_wide", lambda a, b: LA.lstsq(a, b).solution, [_randn((2, 3)), _randn((2, 2))]),
    ("matrix_exp_scaled", lambda a: LA.matrix_exp(6 * a), [_randn((3, 3))]),
    ("matrix_power_-2", lambda a: LA.matrix_power(a, -2), [_dominant((2, 3, 3))]),
    ("matrix_power_0", lambda a: LA.matrix_power(a, 0) * a, [_randn((3, 3))]),
    ("qr_wide", lambda a: tuple(LA.qr(a)), [_randn((2, 3))]),
    ("qr_complete_wide", lambda a: tuple(LA.qr(a, mode="complete")), [_randn((2, 3))]),
    ("qr_R_only_grad", lambda a: LA.qr(a).R, [_randn((3, 2))]),
    ("eigh_upper_vectors", lambda a: LA.eigh(a, UPLO="U")[1] ** 2,
     [_symmetric((3, 3), [0.0, 1.0, 3.0])]),
    ("svd_wide", lambda a: _svd_sq(ag, a), [_spectrum((2, 4), [2.0, 1.0])]),
    ("svd_full_square", lambda a: LA.svd(a)[0] @ LA.svd(a)[2],
     [_spectrum((3, 3), [3.0, 2.0, 1.0])]),
    ("svd_U_only", lambda a: LA.svd(a, full_matrices=False).U ** 2,
     [_spectrum((3, 2), [2.0, 1.0])]),
    ("svd_Vh_only", lambda a: LA.svd(a, full_matrices=False).Vh ** 2,
     [_spectrum((2, 3), [2.0, 1.0])]),
    ("matrix_norm_2", lambda a: LA.matrix_norm(a, 2), [_spectrum((3, 2), [2.0, 1.0])]),
    ("matrix_norm_1", lambda a: LA.matrix_norm(a, 1), [np.array([[1.0, -3.0], [2.0, 0.5]])]),
    ("matrix_norm_-inf", lambda a: LA.matrix_norm(a, -INF),
     [np.array([[1.0, -3.0], [2.0, 0.5]])]),
    ("vector_norm", lambda x: LA.vector_norm(x, 1.5, dim=0), [_randn((3, 2))]),
    ("norm_fro", lambda x: LA.norm(x, "fro"), [_randn((3, 2))]),
    ("cond", LA.cond, [_spectrum((2, 3, 3), [3.0, 2.0, 1.0])]),
    ("cond_fro", lambda a: LA.cond(a, "fro"), [_dominant((3, 3))]),
    ("multi_dot_matrices", lambda a, b, c: LA.multi_dot([a, b, c]),
     [_randn((2, 3)), _randn((3, 4)), _randn((4, 1))]),
    ("vecdot", lambda x, y: LA.vecdot(x, y, dim=0), [_randn((3, 2)), _randn((3, 1))]),
    ("tensordot_count", lambda a, b: ag.tensordot(a, b, dims=1), [_randn((2, 3)), _randn((3,))]),
    ("cdist_p1.5", lambda a, b: ag.cdist(a, b, p=1.5), [_randn((2, 3)), _randn((2, 4, 3)) + 3]),
    ("cdist_mm", lambda a, b: ag.cdist(a, b, compute_mode="use_mm_for_euclid_dist"),
     [_randn((2, 3)), _randn((4, 3)) + 3]),
]


@pytest.mark.parametrize("name, fn, arrays", GRAD_VARIANTS, ids=[c[0] for c in GRAD_VARIANTS])
def test_gradients_of_variants_match_finite_differences(name, fn, arrays):
    xs = [ag.tensor(a, dtype=F64, requires_grad=True) for a in arrays]
    assert ag.gradcheck(fn, xs)
    assert ag.gradgradcheck(fn, xs)


def _fold(g, upper):
    """A gradient w.r.t. a symmetric matrix as one w.r.t. the triangle it was read from."""
    tri = np.triu if upper else np.tril
    return tri(g + np.swapaxes(g, -1, -2)) - g * np.eye(g.shape[-1])


@pytest.mark.parametrize("name, f, upper", [
    ("cholesky", lambda m, a: m.linalg.cholesky(a), False),
    ("cholesky_upper", lambda m, a: m.linalg.cholesky(a, upper=True), True),
    ("eigh", lambda m, a: m.linalg.eigh(a)[1] ** 2, False),
    ("eigh_upper", lambda m, a: m.linalg.eigh(a, UPLO="U")[1] ** 2, True),
    ("eigvalsh", lambda m, a: m.linalg.eigvalsh(a) ** 2, False),
    ("pinv_hermitian", lambda m, a: m.linalg.pinv(a, hermitian=True), False),
])
def test_one_triangle_ops_fold_pytorchs_gradient_onto_the_triangle_they_read(
        torch, name, f, upper):
    """On a symmetric leaf, PyTorch's gradient is a symmetric S; ours is the derivative
    of what the op reads: S folded onto that triangle (the same on symmetric
    perturbations, so gradients upstream of a symmetric construction agree)."""
    a = _symmetric((2, 3, 3), [1.0, 2.5, 4.0])
    x, xt = ag.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    out = f(ag, x)
    u = _randn(tuple(out.shape), 5)
    (g,) = ag.grad((out * ag.tensor(u)).sum(), x)
    (gt,) = torch.autograd.grad((f(torch, xt) * torch.tensor(u)).sum(), xt)
    np.testing.assert_allclose(g.data, _fold(gt.numpy(), upper), atol=1e-10)
    assert not (np.triu(g.data, 1) if not upper else np.tril(g.data, -1)).any()


def test_cholesky_solve_gradient_stays_on_the_factors_triangle(torch):
    b, l = _randn((3, 2)), _lower((2, 3, 3))
    for upper, fac in ((False, l), (True, np.swapaxes(l, -1, -2))):
        x, xt = ag.tensor(fac, requires_grad=True), torch.tensor(fac, requires_grad=True)
        (g,) = ag.grad(ag.cholesky_solve(ag.tensor(b), x, upper=upper).sum(), x)
        (gt,) = torch.autograd.grad(torch.cholesky_solve(torch.tensor(b), xt, upper=upper)
                                    .sum(), xt)
        tri = np.triu if upper else np.tril
        np.testing.assert_allclose(g.data, tri(gt.numpy()), atol=1e-10)


# ---- degenerate inputs ------------------------------------------------------------------

def _grad(fn, a, create_graph=False):
    x = ag.tensor(a, dtype=F64, requires_grad=True)
    (g,) = ag.grad(fn(x).sum(), x, create_graph=create_graph)
    return x, g


def test_det_gradient_at_a_singular_matrix_is_the_adjugate():
    a = np.array(SINGULAR_3)   # rank 2
    cof = np.array([[4.0, 4.0, -4.0], [-2.0, -2.0, 2.0], [0.0, 0.0, 0.0]])  # cofactors
    _, g = _grad(LA.det, a)
    np.testing.assert_allclose(g.data, cof, atol=1e-12)
    # 2x2: the gradient of ad - bc is [[d, -c], [-b, a]], also where ad = bc
    _, g = _grad(LA.det, np.array([[1.0, 2.0], [2.0, 4.0]]))
    np.testing.assert_allclose(g.data, [[4.0, -2.0], [-2.0, 1.0]], atol=1e-12)


def test_det_gradient_in_a_batch_mixing_singular_and_invertible_matrices():
    s = np.array([[1.0, 2.0], [2.0, 4.0]])
    r = np.array([[2.0, 1.0], [0.5, 3.0]])
    x, g = _grad(LA.det, np.stack([s, r, s]), create_graph=True)
    adj = lambda m: np.array([[m[1, 1], -m[1, 0]], [-m[0, 1], m[0, 0]]])
    np.testing.assert_allclose(g.data, np.stack([adj(s), adj(r), adj(s)]), atol=1e-12)
    # d/dA sum(adj(A)^T) = [[1, -1], [-1, 1]] for every 2x2 matrix, singular or not
    (h,) = ag.grad(g.sum(), x)
    np.testing.assert_allclose(h.data, np.broadcast_to([[1.0, -1.0], [-1.0, 1.0]], (3, 2, 2)),
                               atol=1e-10)


def test_det_second_derivative_at_a_singular_matrix_matches_torch(torch):
    a = np.array(SINGULAR_3)
    x, g = _grad(LA.det, a, create_graph=True)
    (h,) = ag.grad(g.sum(), x)
    xt = torch.tensor(a, requires_grad=True)
    (gt,) = torch.autograd.grad(torch.linalg.det(xt), xt, create_graph=True)
    (ht,) = torch.autograd.grad(gt.sum(), xt)
    np.testing.assert_allclose(h.data, ht.numpy(), atol=1e-10)


def test_eigh_gradients_at_repeated_eigenvalues_follow_torch():
    """The eigenvalues' gradient exists (V diag(gL) V^T); the eigenvectors' divides by
    the eigenvalue gap, 0, and is not finite, as in PyTorch."""
    eye = np.eye(3)
    _, g = _grad(lambda a: LA.eigvalsh(a) ** 2, eye)
    np.testing.assert_allclose(g.data, 2 * eye, atol=1e-12)
    _, g = _grad(lambda a: LA.eigh(a).eigenvectors.abs(), eye)
    assert not np.isfinite(g.data[np.tril_indices(3)]).any()   # (the triangle read)
    np.testing.assert_array_equal(g.data[np.triu_indices(3, 1)], 0.0)


def test_svd_gradients_at_repeated_singular_values_follow_torch():
    eye = np.eye(3)
    _, g = _grad(LA.svdvals, eye)
    np.testing.assert_allclose(g.data, eye, atol=1e-12)
    _, g = _grad(lambda a: LA.svd(a)[0].abs(), eye)
    assert not np.isfinite(g.data).any()


def test_svd_full_matrices_of_a_rectangular_matrix_differentiates_its_first_k_vectors(torch):
    """PyTorch 2.13 narrows U and Vh to their first min(m, n) columns and rows (the
    others are arbitrary) and differentiates those."""
    a = _spectrum((4, 2), [2.0, 1.0])
    for wide in (False, True):
        x = a.T if wide else a
        ours = ag.tensor(x, requires_grad=True)
        theirs = torch.tensor(x, requires_grad=True)
        u, s, vh = LA.svd(ours)
        ut, st, vht = torch.linalg.svd(theirs)
        k = 2
        np.testing.assert_allclose(np.abs(u.data[:, :k]), np.abs(ut.detach().numpy()[:, :k]),
                                   atol=1e-12)
        (g,) = ag.grad((u[:, :k] ** 2).sum() + (vh[:k] ** 2 * 0.5).sum() + s.sum(), ours)
        (gt,) = torch.autograd.grad((ut[:, :k] ** 2).sum() + (vht[:k] ** 2 * 0.5).sum()
                                    + st.sum(), theirs)
        np.testing.assert_allclose(g.data, gt.numpy(), atol=1e-10)


def test_qr_has_no_gradient_in_mode_r_or_complete_tall(torch):
    a = ag.tensor(_randn((3, 2)), requires_grad=True)
    assert_raises_like_torch(RuntimeError, "not computed when mode='r'",
                             lambda: LA.qr(a, mode="r").R.sum().backward(),
                             lambda t: t.linalg.qr(t.tensor(_randn((3, 2)), requires_grad=True),
                                                   mode="r")[1].sum().backward())
    assert_raises_like_torch(RuntimeError, "mode='complete' and nrows > ncols",
                             lambda: LA.qr(a, mode="complete").Q.sum().backward(),
                             lambda t: t.linalg.qr(t.tensor(_randn((3, 2)), requires_grad=True),
                                                   mode="complete")[0].sum().backward())
    q, r = LA.qr(a, mode="r")
    assert q.shape == (0,) and r.shape == (2, 2)


def test_slogdet_and_logdet_at_singular_and_negative_determinants():
    s = np.array([[1.0, 2.0], [2.0, 4.0]])
    sign, logabs = LA.slogdet(ag.tensor(s))
    assert sign.item() == 0 and logabs.item() == -INF
    assert ag.logdet(ag.tensor(s)).item() == -INF
    x = ag.tensor(s, requires_grad=True)
    with pytest.raises(LA.LinAlgError, match="slogdet.*singular"):
        LA.slogdet(x).logabsdet.backward()
    # det < 0: logdet is nan, and its gradient 0 (PyTorch's)
    x, g = _grad(ag.logdet, np.diag([-1.0, 2.0, 3.0]))
    assert math.isnan(ag.logdet(x).item())
    np.testing.assert_array_equal(g.data, np.zeros((3, 3)))


def test_solve_triangular_with_a_zero_on_the_diagonal_gives_inf_and_nan_like_torch(torch):
    a, b = np.zeros((2, 2)), np.ones((2, 2))
    ours = LA.solve_triangular(ag.tensor(a), ag.tensor(b), upper=True).data
    theirs = torch.linalg.solve_triangular(torch.tensor(a), torch.tensor(b), upper=True)
    np.testing.assert_array_equal(ours, theirs.numpy())
    assert not np.isfinite(ours).any()


def test_singular_values_sign_output_and_inplace_change_of_a_saved_output():
    a = ag.tensor(_randn((3, 3)), requires_grad=True)
    sign, logabs = LA.slogdet(a)
    assert sign.requires_grad   # (as in PyTorch; its gradient is 0)
    w, v = LA.eigh(_sym(ag, a))
    loss = v.sum() + w.sum()   # (sums save nothing: only eigh's own check can fire)
    with ag.no_grad():
        v.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an in-place operation.*Eigh"):
        loss.backward()


@pytest.mark.parametrize("batch", [(), (0,), (2,)])
def test_empty_matrices(batch):
    z = ag.tensor(np.ones(batch + (0, 0)), dtype=F64, requires_grad=True)
    np.testing.assert_array_equal(LA.det(z).data, np.ones(batch))
    assert LA.inv(z).shape == batch + (0, 0)
    assert LA.cholesky(z).shape == batch + (0, 0)
    assert LA.matrix_exp(z).shape == batch + (0, 0)
    w, v = LA.eigh(z)
    assert w.shape == batch + (0,) and v.shape == batch + (0, 0)
    u, s, vh = LA.svd(ag.tensor(np.ones(batch + (0, 3)), dtype=F64))
    assert u.shape == batch + (0, 0) and s.shape == batch + (0,) and vh.shape == batch + (3, 3)
    assert LA.pinv(ag.tensor(np.ones(batch + (3, 0)), dtype=F64)).shape == batch + (0, 3)
    assert LA.solve(z, ag.tensor(np.ones(batch + (0, 2)), dtype=F64)).shape == batch + (0, 2)
    assert LA.cond(z).shape == batch
    (g,) = ag.grad(LA.det(z).sum(), z)
    assert g.shape == z.shape


def test_one_by_one_matrices():
    x = ag.tensor([[[-2.0]], [[0.5]]], dtype=F64, requires_grad=True)
    np.testing.assert_allclose(LA.det(x).data, [-2.0, 0.5])
    np.testing.assert_allclose(LA.inv(x).data[:, 0, 0], [-0.5, 2.0])
    np.testing.assert_allclose(LA.matrix_exp(x).data[:, 0, 0], np.exp([-2.0, 0.5]))
    np.testing.assert_allclose(LA.svdvals(x).data[:, 0], [2.0, 0.5])
    np.testing.assert_allclose(LA.eigvalsh(x).data[:, 0], [-2.0, 0.5])
    (g,) = ag.grad(LA.det(x).sum() + LA.svdvals(x).sum() + LA.matrix_exp(x).sum(), x)
    np.testing.assert_allclose(g.data[:, 0, 0], 1 + np.sign([-2.0, 0.5]) + np.exp([-2.0, 0.5]))
    # 0 is singular: det's gradient there is still 1
    _, g = _grad(LA.det, np.zeros((1, 1)))
    assert g.item() == 1.0


# ---- identities (no PyTorch needed) -------------------------------------------------------

def test_inverse_solve_and_triangular_identities():
    a = _dominant((2, 4, 4))
    A = ag.tensor(a)
    np.testing.assert_allclose((LA.inv(A) @ A).data, np.broadcast_to(np.eye(4), a.shape),
                               atol=1e-12)
    b = _randn((2, 4, 3))
    x = LA.solve(A, ag.tensor(b))
    np.testing.assert_allclose((A @ x).data, b, atol=1e-12)   # the residual
    x = LA.solve(A, ag.tensor(b.swapaxes(-1, -2)), left=False)
    np.testing.assert_allclose((x @ A).data, b.swapaxes(-1, -2), atol=1e-12)
    t = np.triu(a)
    np.testing.assert_allclose(LA.det(ag.tensor(t)).data, np.prod(np.diagonal(t, 0, -2, -1), -1),
                               rtol=1e-12)
    x = LA.solve_triangular(A, ag.tensor(b), upper=True)   # reads the upper triangle only
    np.testing.assert_allclose(t @ x.data, b, atol=1e-12)
    sign, logabs = LA.slogdet(A)
    np.testing.assert_allclose(sign.data * np.exp(logabs.data), np.linalg.det(a), rtol=1e-12)


def test_decompositions_reconstruct_their_input():
    a = _randn((2, 4, 3))
    A = ag.tensor(a)
    q, r = LA.qr(A)
    np.testing.assert_allclose((q.mT @ q).data, np.broadcast_to(np.eye(3), (2, 3, 3)), atol=1e-12)
    np.testing.assert_allclose((q @ r).data, a, atol=1e-12)
    assert np.allclose(r.data, np.triu(r.data))
    u, s, vh = LA.svd(A, full_matrices=False)
    np.testing.assert_allclose(((u * s.unsqueeze(-2)) @ vh).data, a, atol=1e-12)
    u, s, v = ag.svd(A)   # the older convention: V, not Vh
    np.testing.assert_allclose(((u * s.unsqueeze(-2)) @ v.mT).data, a, atol=1e-12)
    spd = _spd((2, 3, 3))
    L = LA.cholesky(ag.tensor(spd))
    np.testing.assert_allclose((L @ L.mT).data, spd, atol=1e-12)
    U = LA.cholesky(ag.tensor(spd), upper=True)
    np.testing.assert_allclose((U.mT @ U).data, spd, atol=1e-12)
    w, v = LA.eigh(ag.tensor(spd))
    np.testing.assert_allclose(((v * w.unsqueeze(-2)) @ v.mT).data, spd, atol=1e-12)
    assert np.all(np.diff(w.data, axis=-1) >= 0)


def test_cholesky_solve_and_inverse_use_the_factor():
    spd = _spd((2, 3, 3))
    b = _randn((2, 3, 2))
    L = LA.cholesky(ag.tensor(spd))
    np.testing.assert_allclose(ag.cholesky_solve(ag.tensor(b), L).data, np.linalg.solve(spd, b),
                               atol=1e-12)
    np.testing.assert_allclose(ag.cholesky_solve(ag.tensor(b), L.mT, upper=True).data,
                               np.linalg.solve(spd, b), atol=1e-12)
    np.testing.assert_allclose(ag.cholesky_inverse(L).data, np.linalg.inv(spd), atol=1e-12)


def test_pseudo_inverse_and_least_squares():
    a = _randn((2, 5, 3))
    P = LA.pinv(ag.tensor(a)).data
    np.testing.assert_allclose(a @ P @ a, a, atol=1e-12)   # Penrose's conditions
    np.testing.assert_allclose(P @ a @ P, P, atol=1e-12)
    np.testing.assert_allclose(a @ P, np.swapaxes(a @ P, -1, -2), atol=1e-12)
    b = _randn((2, 5, 2))
    sol, res, rank, sv = LA.lstsq(ag.tensor(a), ag.tensor(b), driver="gelsd")
    at = np.swapaxes(a, -1, -2)
    np.testing.assert_allclose(at @ (a @ sol.data - b), 0, atol=1e-12)   # normal equations
    np.testing.assert_allclose(res.data, ((a @ sol.data - b) ** 2).sum(-2), rtol=1e-12)
    np.testing.assert_array_equal(rank.data, [3, 3])
    np.testing.assert_allclose(sv.data, np.linalg.svd(a, compute_uv=False), rtol=1e-12)
    default = LA.lstsq(ag.tensor(a), ag.tensor(b))
    assert default.residuals.shape == (0,) and default.singular_values.shape == (0,)
    assert LA.lstsq(ag.tensor(a), ag.tensor(b), driver="gels").rank.shape == (0,)
    # a rank-deficient matrix: rank 1, and pinv drops the zero singular value
    ones = ag.tensor(np.ones((3, 2)))
    assert LA.lstsq(ones, ag.tensor(np.ones((3, 1)))).rank.item() == 1
    np.testing.assert_allclose(LA.pinv(ones).data, np.full((2, 3), 1 / 6), atol=1e-12)
    np.testing.assert_allclose(ag.pinverse(ag.tensor(np.diag([3.0, 0.2])), rcond=0.1).data,
                               np.diag([1 / 3, 0.0]))
    np.testing.assert_allclose(LA.pinv(ag.tensor(np.diag([3.0, 0.2])), atol=0.5).data,
                               np.diag([1 / 3, 0.0]))


def test_matrix_functions():
    d = np.diag([0.5, -1.0, 2.0])
    np.testing.assert_allclose(LA.matrix_exp(ag.tensor(d)).data, np.diag(np.exp([0.5, -1, 2])),
                               rtol=1e-14)
    a = _randn((2, 3, 3)) * 3   # (the scaling-and-squaring path)
    e, e_neg = LA.matrix_exp(ag.tensor(a)).data, LA.matrix_exp(ag.tensor(-a)).data
    np.testing.assert_allclose(e @ e_neg, np.broadcast_to(np.eye(3), a.shape), atol=1e-9)
    rot = np.array([[0.0, -np.pi / 2], [np.pi / 2, 0.0]])   # exp of a generator: a rotation
    np.testing.assert_allclose(LA.matrix_exp(ag.tensor(rot)).data, [[0, -1], [1, 0]], atol=1e-14)
    np.testing.assert_allclose(LA.matrix_power(ag.tensor(a), 5).data,
                               a @ a @ a @ a @ a, rtol=1e-12)
    np.testing.assert_allclose(LA.matrix_power(ag.tensor(a), -3).data,
                               np.linalg.matrix_power(a, -3), rtol=1e-9)
    np.testing.assert_array_equal(LA.matrix_power(ag.tensor(a), 0).data,
                                  np.broadcast_to(np.eye(3), a.shape))


def test_norms_condition_numbers_and_rank_match_numpy():
    a = _randn((2, 3, 4))
    for ord in ("fro", "nuc", 2, -2, 1, -1, INF, -INF):
        np.testing.assert_allclose(LA.matrix_norm(ag.tensor(a), ord).data,
                                   np.linalg.norm(a, ord, axis=(-2, -1)), rtol=1e-12)
    for ord in (0, 1, 2, 3.5, INF, -INF):
        np.testing.assert_allclose(LA.vector_norm(ag.tensor(a), ord, dim=-1).data,
                                   np.linalg.norm(a, ord, axis=-1), rtol=1e-12)
    np.testing.assert_allclose(LA.norm(ag.tensor(a)).data, np.linalg.norm(a.ravel()),
                               rtol=1e-12)
    sq = _randn((3, 3))
    for p in (None, 2, -2, "fro", "nuc", 1, -1, INF, -INF):
        np.testing.assert_allclose(LA.cond(ag.tensor(sq), p).data, np.linalg.cond(sq, p),
                                   rtol=1e-10)
    singular = np.array([[[1.0, 2.0], [2.0, 4.0]], [[2.0, 0.0], [0.0, 1.0]]])
    np.testing.assert_array_equal(LA.cond(ag.tensor(singular), 1).data, [INF, 2.0])
    r = _spectrum((2, 4, 3), [3.0, 1.0, 1e-16])
    np.testing.assert_array_equal(LA.matrix_rank(ag.tensor(r)).data, [2, 2])
    np.testing.assert_array_equal(LA.matrix_rank(ag.tensor(r), atol=2.0).data, [1, 1])
    assert LA.matrix_rank(ag.tensor(_symmetric((3, 3), [2.0, 0.0, -1.0])),
                          hermitian=True).item() == 2


def test_products_and_distances():
    a, b, c = _randn((2, 3)), _randn((3, 4)), _randn((4, 5))
    np.testing.assert_allclose(LA.multi_dot([ag.tensor(a), ag.tensor(b), ag.tensor(c)]).data,
                               a @ b @ c, rtol=1e-12)
    vecs = [ag.tensor(_randn((3,))), ag.tensor(b), ag.tensor(c), ag.tensor(_randn((5,)))]
    assert LA.multi_dot(vecs).shape == ()
    # the cheapest order: A (B C) costs 20 multiplications here, (A B) C 200
    a, b, c = (ag.tensor(_randn(s), requires_grad=True) for s in ((10, 1), (1, 10), (10, 1)))
    out = LA.multi_dot([a, b, c])
    assert out.grad_fn.next[0] is a and out.grad_fn.next[1] is not c
    x, y = _randn((2, 3, 4)), _randn((4, 3, 5))
    np.testing.assert_allclose(ag.tensordot(ag.tensor(x), ag.tensor(y), dims=([1, 2], [1, 0])).data,
                               np.tensordot(x, y, axes=([1, 2], [1, 0])), rtol=1e-12)
    np.testing.assert_allclose(ag.tensordot(ag.tensor(x), ag.tensor(y), dims=0).data,
                               np.tensordot(x, y, axes=0), rtol=1e-12)
    p, q = _randn((2, 3, 4)), _randn((5, 4), 1)
    want = np.sqrt(((p[:, :, None] - q[None, None]) ** 2).sum(-1))
    np.testing.assert_allclose(ag.cdist(ag.tensor(p), ag.tensor(q)).data, want, rtol=1e-12)
    np.testing.assert_allclose(ag.cdist(ag.tensor(p), ag.tensor(q),
                                        compute_mode="use_mm_for_euclid_dist").data,
                               want, rtol=1e-9)
    np.testing.assert_allclose(ag.cdist(ag.tensor(p), ag.tensor(q), p=0).data,
                               (p[:, :, None] != q[None, None]).sum(-1))
    # the gradient at a zero distance is 0
    z = ag.tensor(np.ones((1, 2)), dtype=F64, requires_grad=True)
    (g,) = ag.grad(ag.cdist(z, ag.tensor(np.ones((1, 2)))).sum(), z)
    np.testing.assert_array_equal(g.data, [[0.0, 0.0]])


# ---- namespace -------------------------------------------------------------------------------

def test_namespace_top_level_names_and_methods():
    for name in LA.__all__:
        assert hasattr(LA, name), name
    assert ag.linalg is LA and "linalg" in ag.__all__
    for name in ("det", "slogdet", "logdet", "inverse", "cholesky", "cholesky_solve",
                 "cholesky_inverse", "qr", "svd", "pinverse", "matrix_power", "matrix_exp",
                 "cdist", "tensordot"):
        assert callable(getattr(ag, name)), name
    t = ag.tensor(_dominant((3, 3)))
    for name in ("det", "logdet", "slogdet", "inverse", "cholesky", "cholesky_inverse",
                 "qr", "svd", "pinverse", "matrix_exp"):
        assert hasattr(t, name), name
    np.testing.assert_allclose(t.inverse().data, LA.inv(t).data)
    assert issubclass(LA.LinAlgError, RuntimeError)
    assert LA.slogdet(t)._fields == ("sign", "logabsdet")
    assert LA.eigh(t)._fields == ("eigenvalues", "eigenvectors")
    assert LA.svd(t)._fields == ("U", "S", "Vh") and ag.svd(t)._fields == ("U", "S", "V")
    assert LA.qr(t)._fields == ("Q", "R")
    assert LA.lstsq(t, t)._fields == ("solution", "residuals", "rank", "singular_values")


def test_deprecated_top_level_forms_warn_like_torch():
    a = ag.tensor(_spd((3, 3)))
    with pytest.warns(UserWarning, match="linalg.cholesky"):
        ag.cholesky(a)
    with pytest.warns(UserWarning, match="linalg.qr"):
        ag.qr(a, some=False)


# ---- errors -------------------------------------------------------------------------------

def _t(a, dtype="float64"):
    return ag.tensor(np.asarray(a, dtype=dtype))


SINGULAR = [[1.0, 2.0], [2.0, 4.0]]


def test_singular_matrices_raise_linalg_error_naming_the_op_and_element():
    batch = np.stack([np.eye(2), SINGULAR])
    assert_raises_like_torch(RuntimeError, r"linalg\.inv: The diagonal element 2 is zero",
                             lambda: LA.inv(_t(SINGULAR)),
                             lambda t: t.linalg.inv(t.tensor(SINGULAR)))
    with pytest.raises(LA.LinAlgError, match=r"linalg\.inv: \(Batch element 1\): .*singular"):
        LA.inv(_t(batch))
    assert_raises_like_torch(RuntimeError, r"linalg\.solve: \(Batch element 1\): The solver "
                             r"failed because the input matrix is singular",
                             lambda: LA.solve(_t(batch), _t(np.ones((2, 2, 1)))),
                             lambda t: t.linalg.solve(t.tensor(batch), t.ones(2, 2, 1).double()))
    pd = np.stack([np.eye(3), np.diag([1.0, 2.0, -1.0])])
    assert_raises_like_torch(RuntimeError, r"linalg\.cholesky: \(Batch element 1\): .*not "
                             r"positive-definite \(the leading minor of order 3",
                             lambda: LA.cholesky(_t(pd)),
                             lambda t: t.linalg.cholesky(t.tensor(pd)))
    with pytest.raises(LA.LinAlgError, match="diagonal element 2 is zero"):
        LA.matrix_power(_t(SINGULAR), -1)


@pytest.mark.parametrize("ours, theirs, match", [
    (lambda: LA.det(_t(np.ones((2, 3)))), lambda t: t.linalg.det(t.ones(2, 3)),
     r"linalg\.det: A must be batches of square matrices, but they are 2 by 3 matrices"),
    (lambda: LA.inv(_t(np.ones(3))), lambda t: t.linalg.inv(t.ones(3)),
     r"linalg\.inv: The input tensor A must have at least 2 dimensions"),
    (lambda: LA.eigh(_t(np.eye(2), "int64")),
     lambda t: t.linalg.eigh(t.eye(2, dtype=t.int64)),
     r"linalg\.eigh: Expected a floating point .* Got int64"),
    (lambda: LA.inv(_t(np.eye(2), "float16")),
     lambda t: t.linalg.inv(t.eye(2, dtype=t.half)), "Low precision dtypes not supported"),
    (lambda: LA.solve(_t(np.eye(2)), _t(np.ones(3))),
     lambda t: t.linalg.solve(t.eye(2).double(), t.ones(3).double()),
     r"equation AX = B \(2x2 and 3x1\)"),
    (lambda: LA.solve(_t(np.eye(2)), _t(np.ones(2)), left=False),
     lambda t: t.linalg.solve(t.eye(2).double(), t.ones(2).double(), left=False),
     r"equation XA = B \(2x2 and 2x1\)"),
    (lambda: LA.solve(_t(np.eye(2)), _t(np.ones(2), "float32")),
     lambda t: t.linalg.solve(t.eye(2).double(), t.ones(2)),
     "Expected A and B to have the same dtype"),
    (lambda: LA.solve_triangular(_t(np.eye(2)), _t(np.ones(2)), upper=True),
     lambda t: t.linalg.solve_triangular(t.eye(2), t.ones(2), upper=True),
     "B must have at least 2 dimensions"),
    (lambda: ag.cholesky_solve(_t(np.ones((2, 1))), _t(np.eye(3))),
     lambda t: t.cholesky_solve(t.ones(2, 1), t.eye(3)),
     "each A matrix is 3 by 3 but each b matrix is 2 by 1"),
    (lambda: ag.cholesky_inverse(_t(np.ones((2, 3)))),
     lambda t: t.cholesky_inverse(t.ones(2, 3)), "A must be batches of square matrices"),
    (lambda: LA.eigh(_t(np.eye(2)), UPLO="X"), lambda t: t.linalg.eigh(t.eye(2), UPLO="X"),
     "Expected UPLO argument to be 'L' or 'U', but got X"),
    (lambda: LA.qr(_t(np.eye(2)), mode="foo"), lambda t: t.linalg.qr(t.eye(2), mode="foo"),
     "unrecognized mode 'foo'"),
    (lambda: LA.svd(_t(np.ones(2))), lambda t: t.linalg.svdvals(t.ones(2)),
     "at least 2 dimensions"),
    (lambda: LA.lstsq(_t(np.ones((3, 2))), _t(np.ones((3, 1))), driver="foo"),
     lambda t: t.linalg.lstsq(t.ones(3, 2), t.ones(3, 1), driver="foo"),
     r"`driver` should be one of \(gels, gelsy, gelsd, gelss\)"),
    (lambda: LA.lstsq(_t(np.ones((3, 2))), _t(np.ones((2, 1)))),
     lambda t: t.linalg.lstsq(t.ones(3, 2), t.ones(2, 1)),
     r"input.size\(-2\) should match other.size\(-2\)"),
    (lambda: LA.pinv(_t(np.ones((2, 3))), hermitian=True),
     lambda t: t.linalg.pinv(t.ones(2, 3), hermitian=True), "square matrices"),
    (lambda: LA.matrix_norm(_t(np.ones((2, 2))), ord=3),
     lambda t: t.linalg.matrix_norm(t.ones(2, 2), ord=3), "Order 3 not supported"),
    (lambda: LA.matrix_norm(_t(np.ones((2, 2, 2))), dim=(0, 0)),
     lambda t: t.linalg.matrix_norm(t.ones(2, 2, 2), dim=(0, 0)), "dims must be different"),
    (lambda: LA.norm(_t(np.ones((2, 2, 2))), ord=2),
     lambda t: t.linalg.norm(t.ones(2, 2, 2), ord=2), "the input must be 1D or 2D. Got 3D"),
    (lambda: LA.norm(_t(np.ones((2, 2, 2))), dim=(0, 1, 2)),
     lambda t: t.linalg.norm(t.ones(2, 2, 2), dim=(0, 1, 2)), "must be of length 1 or 2"),
    (lambda: LA.vector_norm(_t(np.ones(0)), ord=INF),
     lambda t: t.linalg.vector_norm(t.ones(0), ord=INF), "does not have an identity"),
    (lambda: LA.cond(_t(np.eye(2)), 3), lambda t: t.linalg.cond(t.eye(2), 3),
     "invalid norm type: 3"),
    (lambda: LA.cond(_t(np.ones((2, 3))), "fro"), lambda t: t.linalg.cond(t.ones(2, 3), "fro"),
     "square matrices"),
    (lambda: LA.multi_dot([_t(np.ones((2, 2)))]),
     lambda t: t.linalg.multi_dot([t.ones(2, 2)]), "expected at least 2 tensors but got 1"),
    (lambda: LA.multi_dot([_t(np.ones((2, 2))), _t(np.ones((3, 2)))]),
     lambda t: t.linalg.multi_dot([t.ones(2, 2), t.ones(3, 2)]),
     r"tensors 0 and 1 with shapes \[2, 2\] and \[3, 2\] cannot be multiplied"),
    (lambda: LA.multi_dot([_t(np.ones((2, 2))), _t(np.ones(2)), _t(np.ones((2, 2)))]),
     lambda t: t.linalg.multi_dot([t.ones(2, 2), t.ones(2), t.ones(2, 2)]),
     "tensor 1 must be 2D but got 1D"),
    (lambda: ag.tensordot(_t(np.ones((2, 3))), _t(np.ones((2, 4))), dims=1),
     lambda t: t.tensordot(t.ones(2, 3), t.ones(2, 4), dims=1),
     "first has size 3 in dim 1 and second has size 2 in dim 0"),
    (lambda: ag.tensordot(_t(np.ones((2, 3))), _t(np.ones((3, 2))), dims=-1),
     lambda t: t.tensordot(t.ones(2, 3), t.ones(3, 2), dims=-1), "dims >= 0"),
    (lambda: ag.tensordot(_t(np.ones((2, 3))), _t(np.ones((3, 2))), dims=([1], [0, 1])),
     lambda t: t.tensordot(t.ones(2, 3), t.ones(3, 2), dims=([1], [0, 1])),
     "same length"),
    (lambda: ag.cdist(_t(np.ones((2, 3))), _t(np.ones((2, 4)))),
     lambda t: t.cdist(t.ones(2, 3), t.ones(2, 4)), "same number of columns"),
    (lambda: ag.cdist(_t(np.ones(3)), _t(np.ones((2, 3)))),
     lambda t: t.cdist(t.ones(3), t.ones(2, 3)), "at least 2D tensors, X1 got: 1D"),
    (lambda: ag.cdist(_t(np.ones((2, 3))), _t(np.ones((2, 3))), p=-1),
     lambda t: t.cdist(t.ones(2, 3), t.ones(2, 3), p=-1), "non-negative p values"),
])
def test_bad_arguments_raise_like_torch(ours, theirs, match):
    assert_raises_like_torch(RuntimeError, match, ours, theirs)


def test_bad_argument_types_raise_type_and_value_errors_like_torch():
    a = _t(np.eye(2))
    assert_raises_like_torch(TypeError, "argument 'n' must be int, not float",
                             lambda: LA.matrix_power(a, 1.5),
                             lambda t: t.linalg.matrix_power(t.eye(2), 1.5))
    assert_raises_like_torch(TypeError, "'ord' must be Number, not str",
                             lambda: LA.vector_norm(a, "fro"),
                             lambda t: t.linalg.vector_norm(t.eye(2), "fro"))
    assert_raises_like_torch(TypeError, "dims",
                             lambda: ag.tensordot(a, a, dims=(1, 0)),
                             lambda t: t.tensordot(t.eye(2), t.eye(2), dims=(1, 0)))
    assert_raises_like_torch(ValueError, "not a valid value for compute_mode",
                             lambda: ag.cdist(a, a, compute_mode="foo"),
                             lambda t: t.cdist(t.eye(2), t.eye(2), compute_mode="foo"))
    with pytest.raises(TypeError, match="solve_triangular.*upper"):
        LA.solve_triangular(a, a)   # (upper has no default, as in PyTorch)
