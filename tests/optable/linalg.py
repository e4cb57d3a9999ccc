"""Rows for autograd.ops.linalg: matmul and its named forms, einsum."""
from __future__ import annotations

import warnings

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


# ---- fused products ------------------------------------------------------------------------

def _addmm_shapes():
    """(input broadcasting to (n, m), mat1 (n, k), mat2 (k, m))."""
    @st.composite
    def draw(d):
        n, k, m = (d(_n) for _ in range(3))
        inp = d(st.sampled_from([(n, m), (m,), (1, m), (n, 1), ()]))
        return [inp, (n, k), (k, m)]
    return draw()


def _baddbmm_shapes():
    @st.composite
    def draw(d):
        b, n, k, m = (d(_n) for _ in range(4))
        inp = d(st.sampled_from([(b, n, m), (n, m), (1, 1, m), ()]))
        return [inp, (b, n, k), (b, k, m)]
    return draw()


def _quiet(fn, *args):
    """fn(*args) without its deprecation warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return fn(*args)


def _addbmm_shapes():
    return _baddbmm_shapes().map(lambda s: [s[0][-2:], s[1], s[2]])


ROWS += [
    Row("addmm", lambda i, a, b: ag.addmm(i, a, b, beta=0.5, alpha=-2.0),
        lambda i, a, b: 0.5 * i + -2.0 * (a @ b), arity=3, shapes=_addmm_shapes, atol=1e-4),
    Row("addmv", lambda i, a, v: i.addmv(a, v, alpha=3.0),
        lambda i, a, v: i + 3.0 * (a @ v), arity=3, atol=1e-4,
        shapes=lambda: st.tuples(_n, _n, st.booleans()).map(
            lambda t: [(t[0],) if t[2] else (), (t[0], t[1]), (t[1],)])),
    Row("addr", lambda i, a, b: ag.addr(i, a, b, beta=-1.0),
        lambda i, a, b: -i + np.outer(a, b), arity=3,
        shapes=lambda: st.tuples(_n, _n).map(lambda t: [(t[0], t[1]), (t[0],), (t[1],)])),
    Row("baddbmm", lambda i, a, b: i.baddbmm(a, b, beta=2.0, alpha=0.5),
        lambda i, a, b: 2.0 * i + 0.5 * (a @ b), arity=3, shapes=_baddbmm_shapes, atol=1e-4),
    Row("addbmm", lambda i, a, b: ag.addbmm(i, a, b),
        lambda i, a, b: i + np.einsum("bnk,bkm->nm", a, b), arity=3, shapes=_addbmm_shapes,
        atol=1e-4),
    Row("chain_matmul", lambda a, b, c: _quiet(ag.chain_matmul, a, b, c),
        lambda a, b, c: a @ b @ c, arity=3, atol=1e-4, shapes=lambda: st.tuples(
            _n, _n, _n, _n).map(lambda t: [(t[0], t[1]), (t[1], t[2]), (t[2], t[3])])),
]
