"""Rows for nn.functional's distances (nn/functional/distance.py).  The NumPy references
follow PyTorch's documented formulas, written apart from our implementation; inputs are
kept from the points where a norm is not differentiable (zero vectors, x1 = x2)."""
from __future__ import annotations

import numpy as np
from hypothesis.extra import numpy as hnp

from autograd import testing
from nn import functional as F

from . import NONZERO, Row, distinct, nonempty

APART = [(0.1, 2.0), (-2.0, -0.1)]   # x1 - x2 >= 0.2 everywhere


def _norm(x, p, axis, keepdims=False):
    return (np.abs(x) ** p).sum(axis, keepdims=keepdims) ** (1 / p)


def _np_normalize(x, p=2, dim=1, eps=1e-12):
    return x / np.maximum(_norm(x, p, dim, keepdims=True), np.float32(eps))


def _np_cosine(a, b, dim=1, eps=1e-8):
    a, b = np.broadcast_arrays(a, b)
    return (a * b).sum(dim) / np.maximum(_norm(a, 2, dim) * _norm(b, 2, dim), np.float32(eps))


def _np_pairwise(a, b, p=2, eps=1e-6, keepdim=False):
    d = a - b + np.float32(eps)
    if d.ndim == 0:
        return np.abs(d)
    return _norm(d, p, -1, keepdims=keepdim)


def _np_pdist(x, p=2.0):
    """||x_i - x_j||_p for i < j, row by row through the upper triangle."""
    n = x.shape[0]
    out = [_norm(x[i] - x[j], p, -1) for i in range(n) for j in range(i + 1, n)]
    return np.array(out, dtype=x.dtype).reshape(-1)


def _rows():
    """One (N, M) input: N in 1..4 (N = 1 has no pairs), M in 1..3."""
    return hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=4).map(
        lambda s: [(s[0], min(s[1], 3))])


def _pairs(min_dims):
    """Two shapes of at least `min_dims` dims that broadcast together."""
    return lambda: testing.broadcastable_shapes(2, min_dims=min_dims, max_dims=3,
                                                max_side=4).map(list)


def _same(min_dims):
    return lambda: hnp.array_shapes(min_dims=min_dims, max_dims=3, min_side=1,
                                    max_side=4).map(lambda s: [s, s])


ROWS = [
    Row("F.normalize", F.normalize, _np_normalize, shapes=nonempty(2), domain=NONZERO),
    Row("F.normalize", lambda x: F.normalize(x, p=1, dim=-1),
        lambda x: _np_normalize(x, 1, -1), shapes=nonempty(1), domain=NONZERO,
        label="F.normalize_p1"),
    Row("F.normalize", lambda x: F.normalize(x, p=3, dim=(0, 1)),
        lambda x: _np_normalize(x, 3, (0, 1)), shapes=nonempty(2), domain=NONZERO,
        label="F.normalize_p3_two_dims"),
    Row("F.normalize", lambda x: F.normalize(x, dim=0), lambda x: _np_normalize(x, dim=0),
        domain=NONZERO, label="F.normalize_dim0"),
    Row("F.cosine_similarity", F.cosine_similarity, _np_cosine, arity=2, shapes=_same(2),
        domain=NONZERO),
    Row("F.cosine_similarity", lambda a, b: F.cosine_similarity(a, b, dim=-1),
        lambda a, b: _np_cosine(a, b, -1), arity=2, shapes=_pairs(1), domain=NONZERO,
        label="F.cosine_similarity_broadcast"),
    Row("F.pairwise_distance", F.pairwise_distance, _np_pairwise, arity=2, domain=APART),
    Row("F.pairwise_distance", lambda a, b: F.pairwise_distance(a, b, p=1, keepdim=True),
        lambda a, b: _np_pairwise(a, b, 1, keepdim=True), arity=2, domain=APART,
        label="F.pairwise_distance_p1_keepdim"),
    Row("F.pairwise_distance", lambda a, b: F.pairwise_distance(a, b, p=3, eps=0.0),
        lambda a, b: _np_pairwise(a, b, 3, 0.0), arity=2, domain=APART,
        label="F.pairwise_distance_p3"),
    Row("F.pairwise_distance", lambda a, b: F.pairwise_distance(a, b, p=-1.5),
        lambda a, b: _np_pairwise(a, b, -1.5), arity=2, domain=APART,
        label="F.pairwise_distance_negative_p"),
    # (distinct: entries 0.1 apart, so no difference is within a step of 0, a kink)
    Row("F.pdist", F.pdist, _np_pdist, shapes=_rows, prepare=distinct),
    Row("F.pdist", lambda x: F.pdist(x, 1), lambda x: _np_pdist(x, 1), shapes=_rows,
        prepare=distinct, label="F.pdist_p1"),
    Row("F.pdist", lambda x: F.pdist(x, 3), lambda x: _np_pdist(x, 3), shapes=_rows,
        prepare=distinct, label="F.pdist_p3"),
    Row("F.pdist", lambda x: F.pdist(x, 0.5), lambda x: _np_pdist(x, 0.5), shapes=_rows,
        prepare=distinct, label="F.pdist_p05"),
]
