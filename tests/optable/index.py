"""Rows for autograd.ops.index: indexing, index_put, gather/scatter, masked_fill."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag

from . import Row, away_from, NONZERO, nonempty


def _index_for(shape, dim, seed=0, count=None):
    rng = np.random.default_rng(seed)
    size = list(shape)
    if count is not None:
        size[dim] = count
    return rng.integers(0, shape[dim], size=tuple(size))


ROWS = [
    Row("getitem", lambda x: x[..., ::-1][..., :2], lambda x: x[..., ::-1][..., :2],
        shapes=nonempty(), label="getitem_slices"),
    Row("getitem", lambda x: x[0, None], lambda x: x[0, None], shapes=nonempty(),
        label="getitem_int_none"),
    Row("getitem", lambda x: x[np.array([0, 0, -1])], lambda x: x[np.array([0, 0, -1])],
        shapes=nonempty(), label="getitem_repeated_int_array"),
    Row("getitem", lambda x: x[x.data > 0], lambda x: x[x > 0], domain=NONZERO,
        shapes=nonempty(), label="getitem_bool_mask"),
    Row("index_put", lambda x, v: ag.index_put(x, (np.array([0, 0]),), v, accumulate=True),
        lambda x, v: _index_add(x, v), arity=2,
        shapes=lambda: st.integers(1, 4).map(lambda n: [(n, 3), (3,)])),
    Row("index_put", lambda x, v: ag.index_put(x, (slice(0, 1),), v),
        lambda x, v: _index_set(x, v), arity=2,
        shapes=lambda: st.integers(1, 4).map(lambda n: [(n, 3), (3,)]), label="index_put_set"),
    Row("gather", lambda x: x.gather(-1, _index_for(x.shape, -1)),
        lambda x: np.take_along_axis(x, _index_for(x.shape, -1), -1), shapes=nonempty()),
    Row("scatter_add", lambda x, s: x.scatter_add(0, _index_for(x.shape, 0, 1), s),
        lambda x, s: _scatter_add(x, _index_for(x.shape, 0, 1), s), arity=2,
        shapes=lambda: hnp.array_shapes(min_dims=1, max_dims=3, max_side=4).map(
            lambda s: [s, s])),
    Row("index_select", lambda x: x.index_select(0, np.array([1, 0, 1]) % x.shape[0]),
        lambda x: x[np.array([1, 0, 1]) % x.shape[0]], shapes=nonempty()),
    Row("masked_fill", lambda x: x.masked_fill(x.data > 0.5, 0.0),
        lambda x: np.where(x > 0.5, 0.0, x), domain=away_from(0.5)),
]


def _index_add(x, v):
    out = x.copy()
    np.add.at(out, (np.array([0, 0]),), v)
    return out


def _index_set(x, v):
    out = x.copy()
    out[0:1] = v
    return out


def _scatter_add(x, idx, s):
    out = x.copy()
    grids = np.indices(idx.shape, sparse=True)
    np.add.at(out, (idx,) + tuple(grids[1:]), s)
    return out
