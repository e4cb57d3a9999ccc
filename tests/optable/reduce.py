"""Rows for autograd.ops.reduce: sums, means, variances, extrema, logsumexp,
products, cumulative sums, logical reductions, norms, sorting and scans."""
from __future__ import annotations

import numpy as np
from hypothesis.extra import numpy as hnp

import autograd as ag

from . import Row, away_from, dim_of, nonempty, distinct


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
