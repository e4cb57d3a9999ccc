"""Rows for autograd.ops.reduce: sums, means, variances, extrema, logsumexp,
products, cumulative sums, logical reductions, norms, sorting and scans."""
from __future__ import annotations

import numpy as np
from hypothesis.extra import numpy as hnp

import autograd as ag

from . import NONZERO, Row, away_from, dim_of, nonempty, distinct


def distinct_abs(arrays: list) -> list:
    """Positive values at least 0.1 apart, so |x| has no near-ties either."""
    return [a + 1.5 for a in distinct(arrays)]


def zeros_every_third(arrays: list) -> list:
    """Exact zeros at every third element (several per slice)."""
    return [np.where(np.arange(a.size).reshape(a.shape) % 3 == 1, 0.0, a) for a in arrays]


def last(x: np.ndarray, f) -> np.ndarray:
    """f(x, axis=-1) of a NumPy scan or sort, with a 0-d x read as one element."""
    return f(x, axis=-1) if x.ndim else f(x.reshape(1), axis=-1).reshape(())


def lower_median(x: np.ndarray, axis: int | None = None) -> np.ndarray:
    if axis is None:
        return np.sort(x, axis=None)[(x.size - 1) // 2]
    return np.take(np.sort(x, axis=axis), (x.shape[axis] - 1) // 2, axis=axis)


VAR_SHAPES = lambda: hnp.array_shapes(min_dims=1, max_dims=3, min_side=2,  # noqa: E731
                                      max_side=4).map(lambda s: [s])

ROWS = [
    Row("sum", ag.sum, np.sum),
    Row("sum", lambda x: x.sum(dim_of(x), keepdim=True),
        lambda x: np.sum(x, axis=dim_of(x), keepdims=True), label="sum_dim_keepdim"),
    Row("sum", lambda x: x.sum(axis=(0, -1)) if x.ndim >= 2 else x.sum(),
        lambda x: x.sum(axis=(0, -1)) if x.ndim >= 2 else x.sum(), label="sum_tuple_dim"),
    Row("mean", ag.mean, np.mean),
    Row("mean", lambda x: x.mean(dim_of(x, 0)), lambda x: x.mean(axis=dim_of(x, 0)),
        label="mean_dim"),
    Row("var", ag.var, lambda x: np.var(x, ddof=1), shapes=lambda: hnp.array_shapes(
        min_dims=1, max_dims=3, min_side=2, max_side=4).map(lambda s: [s])),
    Row("var", lambda x: x.var(-1, unbiased=False, keepdim=True),
        lambda x: np.var(x, axis=-1, keepdims=True), shapes=nonempty(), label="var_biased"),
    Row("std", lambda x: x.std(0), lambda x: np.std(x, axis=0, ddof=1), prepare=distinct,
        shapes=lambda: hnp.array_shapes(min_dims=1, max_dims=3, min_side=2,
                                        max_side=4).map(lambda s: [s])),
    Row("max", ag.max, np.max, prepare=distinct),
    Row("max", lambda x: x.max(dim=-1).values, lambda x: x.max(axis=-1), prepare=distinct,
        shapes=nonempty(), label="max_dim"),
    Row("min", ag.min, np.min, prepare=distinct),
    Row("min", lambda x: x.min(0, keepdim=True)[0], lambda x: x.min(0, keepdims=True),
        prepare=distinct, shapes=nonempty(), label="min_dim"),
    Row("amax", lambda x: ag.amax(x, dim_of(x)), lambda x: np.max(x, axis=dim_of(x)),
        prepare=distinct),
    Row("amin", lambda x: ag.amin(x, dim_of(x)), lambda x: np.min(x, axis=dim_of(x)),
        prepare=distinct),
    Row("argmax", lambda x: ag.argmax(x), np.argmax, grad=False, prepare=distinct),
    Row("argmin", lambda x: x.argmin(dim_of(x)), lambda x: np.argmin(x, axis=dim_of(x)),
        grad=False, prepare=distinct),
    Row("logsumexp", lambda x: ag.logsumexp(x, dim_of(x)),
        lambda x: np.log(np.sum(np.exp(x), axis=dim_of(x)))),
    Row("prod", ag.prod, np.prod, domain=away_from(0.0, gap=0.2)),
    Row("prod", lambda x: x.prod(dim_of(x), keepdim=True),
        lambda x: np.prod(x, axis=dim_of(x), keepdims=True), label="prod_dim",
        domain=away_from(0.0, gap=0.2)),
    Row("cumsum", lambda x: ag.cumsum(x, -1 if x.ndim else 0),
        lambda x: np.cumsum(x, axis=-1) if x.ndim else x),
    Row("any", ag.any, np.any, grad=False, domain=(-1.0, 1.0)),
    Row("any", lambda x: (x > 0).any(dim_of(x), keepdim=True),
        lambda x: np.any(x > 0, axis=dim_of(x), keepdims=True), grad=False, label="any_dim"),
    Row("all", lambda x: (x > 0).all(axis=(0, -1)) if x.ndim >= 2 else (x > 0).all(),
        lambda x: np.all(x > 0, axis=(0, -1) if x.ndim >= 2 else None), grad=False),
    Row("count_nonzero", lambda x: ag.count_nonzero(x > 0, dim_of(x)),
        lambda x: np.asarray(np.count_nonzero(x > 0, axis=dim_of(x)), np.int64), grad=False),
    Row("norm", ag.norm, lambda x: np.sqrt(np.sum(x * x)), domain=away_from(0.0, gap=0.2)),
    Row("norm", lambda x: x.norm(1, dim_of(x), keepdim=True),
        lambda x: np.sum(np.abs(x), axis=dim_of(x), keepdims=True),
        domain=away_from(0.0, gap=0.2), label="norm_p1_dim"),
    Row("norm", lambda x: ag.norm(x, 3.0, dim_of(x)),
        lambda x: np.sum(np.abs(x) ** 3, axis=dim_of(x)) ** (1 / 3),
        domain=away_from(0.0, gap=0.2), label="norm_p3"),
    Row("norm", lambda x: ag.norm(x, 0.5), lambda x: np.sum(np.abs(x) ** 0.5) ** 2,
        domain=away_from(0.0, gap=0.2), label="norm_p0.5"),
    Row("norm", lambda x: ag.norm(x, float("inf"), dim_of(x)),
        lambda x: np.max(np.abs(x), axis=dim_of(x)), prepare=distinct_abs,
        shapes=nonempty(), label="norm_inf"),
    Row("norm", lambda x: ag.norm(-x, -float("inf")), lambda x: np.min(np.abs(x)),
        prepare=distinct_abs, shapes=nonempty(), label="norm_neg_inf"),
    Row("nansum", lambda x: ag.nansum(x, dim_of(x)), lambda x: np.nansum(x, axis=dim_of(x))),
    Row("nanmean", ag.nanmean, np.nanmean, shapes=nonempty(0)),
    Row("var_mean", lambda x: ag.var_mean(x, 0),
        lambda x: (np.var(x, axis=0, ddof=1), np.mean(x, axis=0)), shapes=VAR_SHAPES),
    Row("std_mean", lambda x: ag.std_mean(x, -1, keepdim=True, correction=0),
        lambda x: (np.std(x, axis=-1, keepdims=True), np.mean(x, axis=-1, keepdims=True)),
        prepare=distinct, shapes=VAR_SHAPES),
    Row("aminmax", lambda x: tuple(ag.aminmax(x, dim=dim_of(x))),
        lambda x: (np.min(x, axis=dim_of(x)), np.max(x, axis=dim_of(x))),
        prepare=distinct, shapes=nonempty(0)),
    Row("sort", lambda x: ag.sort(x).values, lambda x: last(x, np.sort), prepare=distinct),
    Row("sort", lambda x: x.sort(0, descending=True)[0],
        lambda x: -np.sort(-x, axis=0) if x.ndim else x, prepare=distinct,
        label="sort_descending"),
    Row("argsort", lambda x: ag.argsort(x), lambda x: last(x, np.argsort), grad=False,
        prepare=distinct),
    Row("topk", lambda x: ag.topk(x, min(2, x.shape[-1]) if x.ndim else 1).values,
        lambda x: -np.sort(-x, axis=-1)[..., :2] if x.ndim else x, prepare=distinct),
    Row("topk", lambda x: x.topk(1, 0, largest=False)[0],
        lambda x: np.sort(x, axis=0)[:1] if x.ndim else x, prepare=distinct,
        shapes=nonempty(), label="topk_smallest"),
    Row("median", ag.median, lower_median, prepare=distinct, shapes=nonempty(0)),
    Row("median", lambda x: x.median(-1).values, lambda x: lower_median(x, -1),
        prepare=distinct, shapes=nonempty(), label="median_dim"),
    Row("cumprod", lambda x: ag.cumprod(x, -1), lambda x: last(x, np.cumprod),
        domain=away_from(0.0, gap=0.2)),
    Row("cumprod", lambda x: ag.cumprod(x, 0), lambda x: np.cumprod(x, axis=0),
        prepare=zeros_every_third, shapes=nonempty(), domain=away_from(0.0, gap=0.2),
        label="cumprod_zeros"),
    Row("logcumsumexp", lambda x: ag.logcumsumexp(x, -1),
        lambda x: last(x, np.logaddexp.accumulate)),
    Row("cummax", lambda x: ag.cummax(x, -1).values,
        lambda x: last(x, np.maximum.accumulate), prepare=distinct),
    Row("cummin", lambda x: ag.cummin(x, 0)[0],
        lambda x: np.minimum.accumulate(x, axis=0) if x.ndim else x, prepare=distinct),
]


# ---- quantiles, selection by rank, sets, differences, covariances -------------------------

def nan_in_column_1(arrays: list) -> list:
    """NaN at index 1 of the last dim (when there is one): no slice along it, and no
    tensor, is all NaN."""
    out = []
    for a in arrays:
        a = a.copy()
        if a.ndim and a.shape[-1] > 1:
            a[..., 1] = np.nan
        out.append(a)
    return out


def safe_q(arrays: list) -> list:
    """The quantile levels (the last input) within 0.02 of 0.1, 0.25, 0.4, 0.6, 0.75,
    0.9: away from k / (n - 1) for slices of up to 4 elements, where the interpolation
    switches elements (a kink in q)."""
    centers = np.array([0.1, 0.25, 0.4, 0.6, 0.75, 0.9])
    q = arrays[-1]
    return arrays[:-1] + [centers[np.arange(q.size) % 6].reshape(q.shape) + 0.02 * np.tanh(q)]


def wiggled(arrays: list) -> list:
    """Plus a fixed non-linear pattern: rows neither constant nor perfectly correlated
    (where corrcoef's clip to [-1, 1] is a kink)."""
    return [a + np.sin(1.7 * np.arange(a.size)).reshape(a.shape) for a in arrays]


def coarse(arrays: list) -> list:
    """Values rounded to halves: repeats for the set ops and mode."""
    return [np.round(a * 2) / 2 for a in arrays]


def lower_nanmedian(x: np.ndarray, axis: int | None = None) -> np.ndarray:
    if axis is None:
        v = np.sort(x[~np.isnan(x)])
        return v[(v.size - 1) // 2]
    s = np.sort(x, axis=axis)   # (NaNs last)
    k = (np.sum(~np.isnan(x), axis=axis, keepdims=True) - 1) // 2
    return np.take_along_axis(s, k, axis).squeeze(axis)


def mode_last(x: np.ndarray) -> tuple:
    """(values, indices) of the mode along the last dim: the smallest most frequent
    value and its last position."""
    flat = x.reshape(-1, x.shape[-1])
    vals, idx = [], []
    for row in flat:
        u, counts = np.unique(row, return_counts=True)
        v = u[np.argmax(counts)]
        vals.append(v)
        idx.append(np.flatnonzero(row == v)[-1])
    return (np.array(vals, x.dtype).reshape(x.shape[:-1]),
            np.array(idx, np.int64).reshape(x.shape[:-1]))


def unique_consecutive_ref(x: np.ndarray) -> tuple:
    flat = x.reshape(-1)
    new = np.r_[True, flat[1:] != flat[:-1]]
    starts = np.flatnonzero(new)
    return flat[new], (np.cumsum(new) - 1).reshape(x.shape), np.diff(np.r_[starts, flat.size])


def _matrices(min_rows=1, min_cols=2, max_side=4):
    return lambda: hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=max_side).map(
        lambda s: [(max(s[0], min_rows), max(s[1], min_cols))])


def _with_levels(count):
    """A `shapes` callable: a non-empty input and a 1-D tensor of `count` levels."""
    return lambda: hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4).map(
        lambda s: [s, (count,)])


ROWS += [
    Row("quantile", lambda x: ag.quantile(x, 0.3, dim_of(x)),
        lambda x: np.quantile(x, np.float32(0.3), axis=dim_of(x)), prepare=distinct,
        shapes=nonempty(0)),
    # a tensor of levels: a new first dim, and a gradient for the levels too
    Row("quantile", lambda x, q: ag.quantile(x, q, 0, keepdim=True),
        lambda x, q: np.quantile(x, q, axis=0, keepdims=True), arity=2,
        prepare=lambda a: safe_q(distinct(a[:1]) + a[1:]), shapes=_with_levels(3),
        label="quantile_tensor_q"),
    Row("quantile", lambda x: x.quantile(0.6, -1, interpolation="midpoint"),
        lambda x: np.quantile(x, np.float32(0.6), axis=-1, method="midpoint"),
        prepare=distinct, shapes=nonempty(), label="quantile_midpoint"),
    Row("quantile", lambda x: ag.quantile(x, 0.45, interpolation="nearest"),
        lambda x: np.quantile(x, np.float32(0.45), method="nearest"), prepare=distinct,
        shapes=nonempty(0), label="quantile_nearest"),
    # (NaN inputs: forward only here; the node-by-node replay of test_check_tape cannot
    # difference them. Their gradients are compared with PyTorch's in
    # test_ops_sets_shapes.py)
    Row("nanquantile", lambda x: ag.nanquantile(x, 0.7),
        lambda x: np.nanquantile(x, np.float32(0.7)), prepare=distinct, shapes=nonempty(0)),
    Row("nanquantile", lambda x: x.nanquantile(0.25, -1, interpolation="higher"),
        lambda x: np.nanquantile(x, np.float32(0.25), axis=-1, method="higher"),
        prepare=lambda a: nan_in_column_1(distinct(a)), shapes=nonempty(), grad=False,
        label="nanquantile_higher_nan"),
    Row("nanmedian", ag.nanmedian, lower_nanmedian, prepare=distinct, shapes=nonempty(0)),
    Row("nanmedian", lambda x: x.nanmedian(-1).values, lambda x: lower_nanmedian(x, -1),
        prepare=lambda a: nan_in_column_1(distinct(a)), shapes=nonempty(), grad=False,
        label="nanmedian_dim_nan"),
    Row("kthvalue", lambda x: x.kthvalue((x.shape[-1] + 1) // 2).values,
        lambda x: np.sort(x, -1)[..., (x.shape[-1] - 1) // 2], prepare=distinct,
        shapes=nonempty()),
    # distinct values: the mode is the smallest one (and smooth in it)
    Row("mode", lambda x: ag.mode(x, 0, keepdim=True).values,
        lambda x: np.min(x, axis=0, keepdims=True), prepare=distinct, shapes=nonempty()),
    Row("mode", lambda x: tuple(x.mode()), mode_last, prepare=coarse, shapes=nonempty(),
        grad=False, label="mode_ties"),
    Row("unique", lambda x: ag.unique(x, return_inverse=True, return_counts=True),
        lambda x: np.unique(x, return_inverse=True, return_counts=True),
        prepare=coarse, grad=False),
    Row("unique_consecutive",
        lambda x: ag.unique_consecutive(x, return_inverse=True, return_counts=True),
        unique_consecutive_ref, prepare=coarse, grad=False),
    # (values near an inner edge are binned by PyTorch's rounding: tested against it)
    Row("histc", lambda x: ag.histc(x, 4, -2, 2),
        lambda x: np.histogram(x, 4, (-2, 2))[0].astype(x.dtype), grad=False,
        domain=away_from(-1.0, 0.0, 1.0, gap=0.01)),
    Row("diff", lambda x: ag.diff(x), lambda x: np.diff(x), shapes=nonempty()),
    Row("diff", lambda x, p: ag.diff(x, 2, 0, prepend=p), lambda x, p: np.diff(x, 2, 0, prepend=p),
        arity=2, shapes=lambda: hnp.array_shapes(min_dims=1, max_dims=3, max_side=4).map(
            lambda s: [s, (1,) + s[1:]]), label="diff_prepend"),
    Row("cov", ag.cov, lambda x: np.cov(x).astype(x.dtype), shapes=_matrices()),
    Row("cov", lambda x, w: ag.cov(x, correction=0, fweights=np.array([2, 1, 3, 1])[:x.shape[1]],
                                   aweights=w),
        lambda x, w: np.cov(x, ddof=0, fweights=np.array([2, 1, 3, 1])[:x.shape[1]],
                            aweights=w).astype(x.dtype), arity=2,
        shapes=lambda: _matrices()().map(lambda s: s + [(s[0][1],)]),
        domain=[(-2.0, 2.0), (0.5, 2.0)], label="cov_weights"),
    Row("corrcoef", ag.corrcoef, lambda x: np.corrcoef(x).astype(x.dtype), prepare=wiggled,
        shapes=_matrices(min_cols=3)),
    Row("dist", lambda a, b: ag.dist(a, b), lambda a, b: np.sqrt(np.sum((a - b) ** 2)),
        arity=2, domain=[(-2.0, -0.2), (0.2, 2.0)]),
    Row("dist", lambda a, b: a.dist(b, 3), lambda a, b: np.sum(np.abs(a - b) ** 3) ** (1 / 3),
        arity=2, domain=[(-2.0, -0.2), (0.2, 2.0)], label="dist_p3"),
    Row("renorm", lambda x: ag.renorm(x, 2, 0, 1.2345), lambda x: _renorm(x, 2, 0, 1.2345),
        shapes=nonempty(2)),
    Row("renorm", lambda x: x.renorm(1, -1, 2.345), lambda x: _renorm(x, 1, -1, 2.345),
        shapes=nonempty(2), domain=NONZERO, label="renorm_p1"),
]


def _renorm(x, p, dim, maxnorm):
    axes = tuple(i for i in range(x.ndim) if i != dim % x.ndim)
    n = np.sum(np.abs(x) ** p, axis=axes, keepdims=True) ** (1 / p)
    return x * np.where(n > maxnorm, maxnorm / (n + 1e-7), 1.0).astype(x.dtype)
