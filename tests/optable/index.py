"""Rows for autograd.ops.index: indexing, index_put, take, gather/scatter, index_add/copy/
fill, masked_fill/select/scatter, nonzero/argwhere."""
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
    # take: negative and repeated flat indices (-n is 0 again)
    Row("take", lambda x: ag.take(x, _flat_index(x)),
        lambda x: x.reshape(-1)[_flat_index(x)], shapes=nonempty(0)),
    # dim=None: like gather on the flat input, so no negative indices
    Row("take_along_dim", lambda x: ag.take_along_dim(x, _flat_index(x) % x.numel()),
        lambda x: x.reshape(-1)[_flat_index(x) % x.size].reshape(-1),
        shapes=nonempty(0), label="take_along_dim_flat"),
    # indices (1, ..., 1, 3) with negatives broadcast against the input's other dims
    Row("take_along_dim", lambda x: ag.take_along_dim(x, _last_index(x), dim=-1),
        lambda x: np.take_along_axis(x, np.broadcast_to(
            _last_index(x) % x.shape[-1], x.shape[:-1] + (3,)), -1),
        shapes=nonempty(), label="take_along_dim_broadcast"),
    Row("scatter", lambda x, s: x.scatter(0, _perm_index(x.shape), s),
        lambda x, s: _put_along(x, _perm_index(x.shape), s[:_perm_index(x.shape).shape[0]]),
        arity=2, shapes=lambda: _same_shape_pairs()),
    Row("scatter", lambda x: x.scatter(0, _perm_index(x.shape), value=0.5),
        lambda x: _put_along(x, _perm_index(x.shape), np.float32(0.5)), shapes=nonempty(),
        label="scatter_value"),
    Row("index_add", lambda x, s: x.index_add(0, _rows(x.shape), s, alpha=2.0),
        lambda x, s: _add_rows(x, _rows(x.shape), 2 * s), arity=2,
        shapes=lambda: _source_pairs(3)),
    Row("index_copy", lambda x, s: x.index_copy(0, _unique_rows(x.shape), s),
        lambda x, s: _set_rows(x, _unique_rows(x.shape), s), arity=2,
        shapes=lambda: _source_pairs(None)),
    Row("index_fill", lambda x: x.index_fill(-1, np.array([-1, 0, -1]), -0.5),
        lambda x: _set_last(x, np.float32(-0.5)), shapes=nonempty()),
    Row("index_fill", lambda x, v: x.index_fill(-1, np.array([-1, 0, -1]), v),
        lambda x, v: _set_last(x, v), arity=2,
        shapes=lambda: hnp.array_shapes(min_dims=1, max_dims=3, max_side=4).map(
            lambda s: [s, ()]), label="index_fill_tensor_value"),
    Row("masked_select", lambda x: ag.masked_select(x, x.data > 0), lambda x: x[x > 0],
        domain=NONZERO, shapes=nonempty(0)),
    # a mask with one more leading dim than the input: the input broadcasts
    Row("masked_select", lambda x: x.masked_select(_pattern((2,) + x.shape)),
        lambda x: np.broadcast_to(x, (2,) + x.shape)[_pattern((2,) + x.shape)],
        shapes=nonempty(0), label="masked_select_broadcast"),
    Row("masked_scatter", lambda x, s: x.masked_scatter(_pattern(x.shape), s),
        lambda x, s: _set_masked(x, _pattern(x.shape), s), arity=2,
        shapes=lambda: hnp.array_shapes(min_dims=0, max_dims=3, max_side=4).map(
            lambda s: [s, (int(np.prod(s)) + 1,)])),
    Row("nonzero", lambda x: ag.nonzero(x > 0), lambda x: np.argwhere(x > 0),
        domain=NONZERO, grad=False),
    Row("nonzero", lambda x: ag.nonzero(x > 0, as_tuple=True),
        lambda x: tuple(np.nonzero(np.atleast_1d(x > 0))), domain=NONZERO, grad=False,
        label="nonzero_as_tuple"),
    Row("argwhere", lambda x: x.argwhere(), lambda x: np.argwhere(x), grad=False),
]


def _flat_index(x):
    n = int(np.prod(x.shape))
    return np.array([[0, -1], [n // 2, -n]])


def _last_index(x):
    n = x.shape[-1]
    return np.array([-n, n - 1, -1]).reshape((1,) * (x.ndim - 1) + (3,))


def _perm_index(shape):
    """Distinct rows per column along dim 0 (scatter's result is unspecified for
    repeats): each column's own permutation, cut to all but one row."""
    rng = np.random.default_rng(0)
    return np.argsort(rng.random(shape), axis=0)[:max(shape[0] - 1, 1)]


def _put_along(x, idx, v):
    out = x.copy()
    np.put_along_axis(out, idx, v, 0)
    return out


def _same_shape_pairs():
    return hnp.array_shapes(min_dims=1, max_dims=3, max_side=4).map(lambda s: [s, s])


def _source_pairs(count):
    """(input shape, source shape): `count` rows of source (all rows but one if None)."""
    return hnp.array_shapes(min_dims=1, max_dims=3, max_side=4).map(
        lambda s: [s, (count or max(s[0] - 1, 1),) + s[1:]])


def _rows(shape):
    return np.array([0, shape[0] - 1, 0])


def _unique_rows(shape):
    return np.arange(shape[0])[::-1][:max(shape[0] - 1, 1)].copy()


def _add_rows(x, idx, s):
    out = x.copy()
    np.add.at(out, idx, s)
    return out


def _set_rows(x, idx, s):
    out = x.copy()
    out[idx] = s
    return out


def _set_last(x, v):
    out = x.copy()
    out[..., [0, -1]] = v
    return out


def _pattern(shape):
    return np.arange(int(np.prod(shape))).reshape(shape) % 3 != 1


def _set_masked(x, mask, s):
    out = x.copy()
    out[mask] = s[:np.count_nonzero(mask)]
    return out


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


# ---- counting, searching, selecting and writing slices -----------------------------------

def _counts_of(x):
    """Non-negative ints drawn from x (one per element of the flattened x)."""
    return (np.abs(x.reshape(-1)) * 2).astype(np.int64)


def _sorted_and_values(n_rows=None):
    """A `shapes` callable: a sorted sequence (1-D, or `n_rows` rows) and values."""
    return lambda: st.tuples(st.integers(1, 4), st.integers(0, 4)).map(
        lambda t: [(t[0],), (t[1],)] if n_rows is None else [(n_rows, t[0]), (n_rows, t[1])])


def _search_rows(seq, v, side="left"):
    return np.stack([np.searchsorted(s, w, side) for s, w in zip(seq, v)])


def _written(x, index, v):
    out = x.copy()
    out[index] = v
    return out


ROWS += [
    Row("bincount", lambda w: ag.bincount(np.arange(w.shape[0]) % 3, w, minlength=4),
        lambda w: np.bincount(np.arange(w.shape[0]) % 3, w, minlength=4).astype(w.dtype),
        shapes=lambda: st.integers(1, 6).map(lambda n: [(n,)])),
    Row("bincount", lambda x: ag.bincount(_counts_of(x.data)),
        lambda x: np.bincount(_counts_of(x)).astype(np.int64), grad=False,
        label="bincount_counts"),
    Row("searchsorted", lambda s, v: ag.searchsorted(ag.sort(s).values, v),
        lambda s, v: np.searchsorted(np.sort(s), v), grad=False, shapes=_sorted_and_values()),
    Row("searchsorted", lambda s, v: ag.searchsorted(ag.sort(s).values, v, side="right",
                                                     out_int32=True),
        lambda s, v: _search_rows(np.sort(s), v, "right").astype(np.int32), grad=False,
        shapes=_sorted_and_values(3), domain=(-1.0, 1.0), prepare=lambda a: [
            np.round(x * 2) / 2 for x in a], label="searchsorted_rows_right"),
    Row("bucketize", lambda v, b: ag.bucketize(v, ag.sort(b).values, right=True),
        lambda v, b: np.searchsorted(np.sort(b), v, "right"), grad=False,
        shapes=lambda: _sorted_and_values()().map(lambda s: s[::-1])),
    Row("select", lambda x: x.select(-1, -1), lambda x: x[..., -1], shapes=nonempty()),
    Row("select_scatter", lambda x, s: x.select_scatter(s, 0, -1),
        lambda x, s: _written(x, -1, s), arity=2,
        shapes=lambda: hnp.array_shapes(min_dims=1, max_dims=3, max_side=4).map(
            lambda s: [s, s[1:]])),
    Row("slice_scatter", lambda x, s: ag.slice_scatter(x, s, -1, 1, None, 2),
        lambda x, s: _written(x, (Ellipsis, slice(1, None, 2)), s), arity=2,
        shapes=lambda: hnp.array_shapes(min_dims=1, max_dims=3, max_side=4).map(
            lambda s: [s, s[:-1] + (len(range(1, s[-1], 2)),)])),
    Row("diagonal_scatter", lambda x, s: x.diagonal_scatter(s, 1),
        lambda x, s: _written(x, _diagonal_index(x.shape, 1), s), arity=2,
        shapes=lambda: st.tuples(st.integers(1, 4), st.integers(1, 4)).map(
            lambda t: [t, (max(min(t[0], t[1] - 1), 0),)])),
]


def _diagonal_index(shape, offset):
    n = max(min(shape[0], shape[1] - offset), 0)
    return np.arange(n), np.arange(n) + offset
