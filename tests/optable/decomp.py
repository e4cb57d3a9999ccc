"""Rows for autograd.ops.decomp (det, inverse, solvers, cholesky, qr, eigh, svd, pinv,
matrix_exp, ...), the torch.linalg namespace built on them (autograd.linalg), and
tensordot and cdist (autograd/ops/linalg.py).

Inputs are batches of small matrices, made well-posed by `prepare` (finite differences
need a neighbourhood where the function is smooth): diagonally dominant for inverses
and solves, symmetric positive-definite for Cholesky, spectra set to well-separated
values for eigh and svd (whose vector gradients divide by eigenvalue gaps), full rank
for qr, pinv and lstsq.  Ops that read one triangle (cholesky, eigh, the factor of
cholesky_solve) take the matrix as is: their gradient is the derivative of what they
read, 0 on the other triangle.  Eigenvectors and singular vectors have arbitrary signs:
their rows use sign-invariant functions of them (squares)."""
from __future__ import annotations

import warnings

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag
from autograd import linalg as LA

from . import Row


def _sizes(max_side: int = 3) -> st.SearchStrategy:
    """(batch shape, n, m, k): no batch dim or one of size 1-2, and three matrix sides."""
    side = st.integers(1, max_side)
    return st.tuples(hnp.array_shapes(min_dims=0, max_dims=1, min_side=1, max_side=2),
                     side, side, side)


def shapes_of(*makers, max_side: int = 3):
    """A `shapes` callable: each maker maps (batch, n, m, k) to one input's shape."""
    return lambda: _sizes(max_side).map(lambda t: [f(*t) for f in makers])


SQ = shapes_of(lambda b, n, m, k: b + (n, n))
SQ_RHS = shapes_of(lambda b, n, m, k: b + (n, n), lambda b, n, m, k: b + (n, k))
RECT = shapes_of(lambda b, n, m, k: b + (m, n))
RECT_RHS = shapes_of(lambda b, n, m, k: b + (m, n), lambda b, n, m, k: b + (m, k))


# ---- prepare: well-posed inputs ------------------------------------------------------

def _eye(x):
    return np.eye(x.shape[-1])


def _dominant(x):
    """Diagonally dominant (entries in (-2, 2)): invertible, well-conditioned."""
    return x + (2 * x.shape[-1] + 1) * _eye(x)


def _first(f):
    return lambda arrays: [f(arrays[0])] + list(arrays[1:])


def _second(f):
    return lambda arrays: [arrays[0], f(arrays[1])] + list(arrays[2:])


def _singular_values(x, values):
    u, _, vh = np.linalg.svd(x, full_matrices=False)
    return (u * values) @ vh


def _spread(x):
    """The same singular vectors, singular values 2k, ..., 4, 2: distinct, away from 0."""
    return _singular_values(x, 2.0 * np.arange(min(x.shape[-2:]), 0, -1))


def _rank_deficient(x):
    """Singular values 2(n-1), ..., 2, 0: singular, the others distinct."""
    return _singular_values(x, 2.0 * np.arange(x.shape[-1] - 1, -1, -1))


def _eig_spread(x):
    """A symmetric matrix with eigenvalues 0, 1.5, 3, ... and x's symmetric part's
    eigenvectors."""
    _, v = np.linalg.eigh(_sym(x))
    return (v * (1.5 * np.arange(x.shape[-1]))) @ np.swapaxes(v, -1, -2)


def _spd(x):
    return x @ np.swapaxes(x, -1, -2) + x.shape[-1] * _eye(x)


def _lower_factor(x):
    """Lower triangular with a diagonal >= 1 (a Cholesky factor)."""
    n = x.shape[-1]
    i = np.arange(n)
    out = np.tril(x)
    out[..., i, i] = np.abs(out[..., i, i]) + 1
    return out


def _full_rank(x):
    """x plus 2 max(m, n) + 1 on the leading diagonal: full rank (dominant leading block)."""
    m, n = x.shape[-2:]
    return x + (2 * max(m, n) + 1) * np.eye(m, n)


def _generic(x):
    """Full rank, and no column below the diagonal exactly zero: LAPACK's QR reflects
    such a column or not, so its signs jump there (a fixed dense part keeps them apart)."""
    m, n = x.shape[-2:]
    i, j = np.indices((m, n))
    return _full_rank(0.1 * x) + 0.5 + 0.3 * np.cos(i + 2 * j)


def _sym(x):
    return (x + np.swapaxes(x, -1, -2)) / 2


def _quiet(fn):
    """fn without PyTorch's deprecation warnings (cholesky, qr)."""
    def run(*args):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return fn(*args)
    return run


def _expm_taylor(a):
    """exp(a) by its Taylor series in float64 after scaling to norm <= 1/2 (a reference
    written apart from the Padé approximant of the implementation)."""
    x = a.astype(np.float64)
    s = max(0, int(np.ceil(np.log2(max(np.abs(x).sum(-2).max(initial=0), 1e-300) / 0.5))))
    x = x / 2.0 ** s
    term = np.broadcast_to(np.eye(a.shape[-1]), x.shape).copy()
    out = term.copy()
    for k in range(1, 30):
        term = term @ x / k
        out = out + term
    for _ in range(s):
        out = out @ out
    return out.astype(a.dtype)


def _np_svd_sq(full):
    def ref(a):
        u, s, vh = np.linalg.svd(a, full_matrices=full)
        return u * u, s, vh * vh
    return ref


def _ag_svd_sq(a):
    u, s, vh = LA.svd(a, full_matrices=False)
    return u * u, s, vh * vh


def _np_nuclear_norm(a):
    return np.linalg.svd(a, compute_uv=False).sum(-1)


def _apart(arrays):
    """x2 shifted by 5: every coordinate difference is at least 1 (cdist's norms are
    smooth there)."""
    return [arrays[0], arrays[1] + 5.0]


def _chain():
    """A row vector, two matrices and a column vector that chain."""
    return lambda: _sizes().map(lambda t: [(t[1],), (t[1], t[2]), (t[2], t[3]), (t[3],)])


def _np_multi_dot(*xs):
    return np.linalg.multi_dot(list(xs))


ROWS = [
    # one row per registered op, and per linalg function with a backward of its own;
    # variants (left=False, upper, unitriangular, hermitian, residuals, other norms)
    # are checked on fixed inputs in tests/test_linalg.py
    Row("det", ag.det, np.linalg.det, shapes=SQ, prepare=_first(_dominant)),
    Row("det", lambda a: a.det(), np.linalg.det, shapes=SQ, prepare=_first(_rank_deficient),
        label="det_singular"),
    Row("slogdet", ag.slogdet, lambda a: tuple(np.linalg.slogdet(a)), shapes=SQ,
        prepare=_first(_dominant)),
    Row("logdet", lambda a: a.logdet(), lambda a: np.linalg.slogdet(a)[1], shapes=SQ,
        prepare=_first(_dominant)),
    Row("inverse", ag.inverse, np.linalg.inv, shapes=SQ, prepare=_first(_dominant)),
    Row("linalg.solve", LA.solve, np.linalg.solve, arity=2, shapes=SQ_RHS,
        prepare=_first(_dominant)),
    Row("linalg.solve_triangular",
        lambda a, b: LA.solve_triangular(a, b, upper=True),
        lambda a, b: np.linalg.solve(np.triu(a), b), arity=2, shapes=SQ_RHS,
        prepare=_first(_dominant)),
    Row("cholesky", _quiet(ag.cholesky), np.linalg.cholesky, shapes=SQ, prepare=_first(_spd)),
    Row("cholesky_solve", ag.cholesky_solve,
        lambda b, l: np.linalg.solve(l @ np.swapaxes(l, -1, -2), b), arity=2,
        shapes=shapes_of(lambda b, n, m, k: b + (n, k), lambda b, n, m, k: b + (n, n)),
        prepare=_second(_lower_factor)),
    Row("cholesky_inverse", ag.cholesky_inverse,
        lambda l: np.linalg.inv(l @ np.swapaxes(l, -1, -2)), shapes=SQ,
        prepare=_first(_lower_factor)),
    Row("pinverse", ag.pinverse, np.linalg.pinv, shapes=RECT, prepare=_first(_full_rank)),
    Row("linalg.lstsq", lambda a, b: LA.lstsq(a, b).solution,
        lambda a, b: np.linalg.pinv(a) @ b, arity=2, shapes=RECT_RHS,
        prepare=_first(_full_rank)),
    Row("matrix_exp", ag.matrix_exp, _expm_taylor, shapes=SQ, domain=(-1.5, 1.5)),
    Row("matrix_power", lambda a: ag.matrix_power(a, 3),
        lambda a: np.linalg.matrix_power(a, 3), shapes=SQ),
    Row("qr", _quiet(ag.qr), lambda a: tuple(np.linalg.qr(a)), shapes=RECT,
        prepare=_first(_generic)),
    Row("linalg.eigh", lambda a: (LA.eigh(a)[0], LA.eigh(a)[1] ** 2),
        lambda a: (np.linalg.eigh(a)[0], np.linalg.eigh(a)[1] ** 2),
        shapes=SQ, prepare=_first(_eig_spread)),
    Row("linalg.eigvalsh", LA.eigvalsh, np.linalg.eigvalsh, shapes=SQ,
        prepare=_first(_eig_spread)),
    Row("linalg.svd", _ag_svd_sq, _np_svd_sq(False), shapes=RECT, prepare=_first(_spread)),
    Row("svd", lambda a: tuple(x * x for x in ag.svd(a)),
        lambda a: tuple(x * x for x in _np_svd_uv(a)), shapes=RECT, prepare=_first(_spread)),
    Row("linalg.svdvals", LA.svdvals, lambda a: np.linalg.svd(a, compute_uv=False),
        shapes=RECT, prepare=_first(_spread)),
    Row("linalg.matrix_norm", lambda a: LA.matrix_norm(a, "nuc"), _np_nuclear_norm,
        shapes=RECT, prepare=_first(_spread), label="linalg.matrix_norm_nuc"),
    Row("linalg.multi_dot", lambda *xs: LA.multi_dot(xs), _np_multi_dot, arity=4,
        shapes=_chain()),
    Row("tensordot", lambda a, b: ag.tensordot(a, b, dims=([1, 2], [0, 1])),
        lambda a, b: np.tensordot(a, b, axes=([1, 2], [0, 1])), arity=2,
        shapes=lambda: st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3),
                                 st.integers(1, 2)).map(
            lambda t: [(t[3], t[0], t[1]), (t[0], t[1], t[2])])),
    Row("cdist", ag.cdist, lambda a, b: _np_cdist(a, b, 2), arity=2,
        shapes=shapes_of(lambda b, n, m, k: b + (n, k), lambda b, n, m, k: (m, k)),
        prepare=_apart),
]


def _np_svd_uv(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return u, s, np.swapaxes(vh, -1, -2)


def _np_cdist(a, b, p):
    d = np.abs(a[..., :, None, :] - b[..., None, :, :])
    return (d ** p).sum(-1) ** (1 / p)
