"""Rows for autograd.ops.linalg: matmul and its named forms, einsum."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag
from autograd import testing

from . import Row


_n = st.integers(1, 4)   # one side of a linear-algebra operand


def _matmul_shapes():
    @st.composite
    def draw(d):
        n, k, m = (d(st.integers(1, 4)) for _ in range(3))
        kind = d(st.sampled_from(["mm", "mv", "vm", "vv", "batched", "bcast"]))
        if kind == "mm":
            return [(n, k), (k, m)]
        if kind == "mv":
            return [(n, k), (k,)]
        if kind == "vm":
            return [(k,), (k, m)]
        if kind == "vv":
            return [(k,), (k,)]
        b = d(st.integers(1, 3))
        if kind == "batched":
            return [(b, n, k), (b, k, m)]
        return [(b, 1, n, k), (1, 2, k, m)]  # batch dims broadcast against each other
    return draw()


def _inner_shapes():
    @st.composite
    def draw(d):
        k = d(_n)
        return [d(hnp.array_shapes(min_dims=0, max_dims=2, max_side=3)) + (k,),
                d(hnp.array_shapes(min_dims=0, max_dims=2, max_side=3)) + (k,)]
    return draw()


ROWS = [
    Row("matmul", lambda a, b: a @ b, np.matmul, arity=2, shapes=_matmul_shapes, atol=1e-4),
    Row("mm", lambda a, b: a.mm(b), np.matmul, arity=2, atol=1e-4, shapes=lambda: st.tuples(
        _n, _n, _n).map(lambda t: [(t[0], t[1]), (t[1], t[2])])),
    Row("bmm", lambda a, b: ag.bmm(a, b), np.matmul, arity=2, atol=1e-4, shapes=lambda: st.tuples(
        _n, _n, _n, _n).map(lambda t: [(t[0], t[1], t[2]), (t[0], t[2], t[3])])),
    Row("mv", lambda a, b: a.mv(b), np.matmul, arity=2, atol=1e-4, shapes=lambda: st.tuples(
        _n, _n).map(lambda t: [(t[0], t[1]), (t[1],)])),
    Row("dot", lambda a, b: ag.dot(a, b), np.dot, arity=2, atol=1e-4,
        shapes=lambda: _n.map(lambda n: [(n,), (n,)])),
    Row("einsum", lambda a, b: ag.einsum("...ij,jk->...ik", a, b),
        lambda a, b: np.einsum("...ij,jk->...ik", a, b), arity=2,
        shapes=lambda: st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3),
                                 st.integers(0, 2)).map(
            lambda t: [(2,) * t[3] + (t[0], t[1]), (t[1], t[2])]), atol=1e-4),
    Row("einsum", lambda a, b: ag.einsum("ij,ij->i", a, b), lambda a, b: np.einsum("ij,ij->i", a, b),
        arity=2, shapes=lambda: hnp.array_shapes(min_dims=2, max_dims=2, max_side=4).map(
            lambda s: [s, s]), label="einsum_rowdot"),
    Row("einsum", lambda a: ag.einsum("ijk->j", a), lambda a: np.einsum("ijk->j", a),
        shapes=lambda: hnp.array_shapes(min_dims=3, max_dims=3, max_side=3).map(lambda s: [s]),
        label="einsum_reduce"),
    Row("einsum", lambda a: ag.einsum("bii->bi", a), lambda a: np.einsum("bii->bi", a),
        shapes=lambda: st.tuples(_n, _n).map(lambda t: [(t[0], t[1], t[1])]),
        label="einsum_diagonal"),
    Row("outer", lambda a, b: ag.outer(a, b), np.outer, arity=2,
        shapes=lambda: st.tuples(_n, _n).map(lambda t: [(t[0],), (t[1],)])),
    Row("inner", lambda a, b: a.inner(b), np.inner, arity=2, atol=1e-4, shapes=_inner_shapes),
    Row("kron", lambda a, b: ag.kron(a, b), np.kron, arity=2),
    Row("cross", lambda a, b: ag.cross(a, b, dim=-1), lambda a, b: np.cross(a, b, axis=-1),
        arity=2, shapes=lambda: testing.broadcastable_shapes(2, max_dims=2, max_side=3).map(
            lambda ss: [(1,) * (max(map(len, ss)) - len(s)) + s + (3,) for s in ss])),
]
