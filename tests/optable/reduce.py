"""Rows for autograd.ops.reduce: sums, means, variances, extrema, logsumexp,
products, cumulative sums."""
from __future__ import annotations

import numpy as np
from hypothesis.extra import numpy as hnp

import autograd as ag

from . import Row, away_from, dim_of, nonempty, distinct

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
]
