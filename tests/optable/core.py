"""Rows for the engine's own ops (autograd.ops)."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag

from . import Row, away_from

POS = (0.1, 3.0)
NONZERO = away_from(0.0)


def _dim(x, d=-1):
    """A valid dim for x (None for 0-d)."""
    return d if x.ndim else None


def _np_dim(x, d=-1):
    return d if x.ndim else None


def _exact_ties(arrays):
    """Pairs closer than the finite-difference step become exact ties (gradient 1/2 each,
    which central differences reproduce); near-ties would straddle the kink."""
    a, b = arrays
    return [a, np.where(np.abs(a - b) < 0.05, a, b)]


def _distinct(arrays):
    """Values at least 0.1 apart (keeping their order), so no two elements are within a
    finite-difference step of a tie."""
    out = []
    for a in arrays:
        ranks = np.argsort(np.argsort(a.reshape(-1), kind="stable"), kind="stable")
        out.append((ranks * 0.2 - 1.0 + 0.05 * np.tanh(a.reshape(-1))).reshape(a.shape))
    return out


_n = st.integers(1, 4)   # one side of a linear-algebra operand


def _off_clamp_bounds(arrays):
    """x at least 0.05 from its bounds (lo < -0.5 < 0.5 < hi)."""
    x, lo, hi = arrays
    x = np.where(np.abs(x - lo) < 0.05, lo - 0.1, x)
    return [np.where(np.abs(x - hi) < 0.05, hi + 0.1, x), lo, hi]


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


def _cat_shapes(count):
    @st.composite
    def draw(d):
        base = list(d(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3)))
        out = []
        for _ in range(count):
            s = list(base)
            s[-1] = d(st.integers(1, 3))
            out.append(tuple(s))
        return out
    return draw()


def _nonempty(min_dims=1):
    return lambda: hnp.array_shapes(min_dims=min_dims, max_dims=3, min_side=1,
                                    max_side=4).map(lambda s: [s])


def _index_for(shape, dim, seed=0, count=None):
    rng = np.random.default_rng(seed)
    size = list(shape)
    if count is not None:
        size[dim] = count
    return rng.integers(0, shape[dim], size=tuple(size))


ROWS = [
    # ---- arithmetic ---------------------------------------------------------------
    Row("add", lambda a, b: a + b, np.add, arity=2),
    Row("add", lambda a, b: ag.add(a, b, alpha=2.5), lambda a, b: a + 2.5 * b, arity=2,
        label="add_alpha"),
    Row("sub", lambda a, b: a - b, np.subtract, arity=2),
    Row("mul", lambda a, b: a * b, np.multiply, arity=2),
    Row("div", lambda a, b: a / b, np.divide, arity=2, domain=[(-2, 2), POS]),
    Row("pow", lambda a, b: a ** b, np.power, arity=2, domain=[POS, (-2, 2)]),
    Row("pow", lambda a: a ** 3, lambda a: a ** 3, label="pow_scalar"),
    Row("pow", lambda a: 2.0 ** a, lambda a: 2.0 ** a, label="rpow"),
    Row("neg", lambda a: -a, np.negative),
    Row("add", lambda a: 3.0 - a * 2.0 / (a + 5.0), lambda a: 3.0 - a * 2.0 / (a + 5.0),
        label="scalar_operands"),
    # ---- elementwise --------------------------------------------------------------
    Row("exp", ag.exp, np.exp),
    Row("expm1", ag.expm1, np.expm1),
    Row("log", ag.log, np.log, domain=POS),
    Row("log1p", ag.log1p, np.log1p, domain=(-0.5, 3.0)),
    Row("sqrt", ag.sqrt, np.sqrt, domain=POS),
    Row("sin", ag.sin, np.sin),
    Row("cos", ag.cos, np.cos),
    Row("tanh", ag.tanh, np.tanh),
    Row("sigmoid", ag.sigmoid, lambda x: 1 / (1 + np.exp(-x)), domain=(-6, 6)),
    Row("relu", ag.relu, lambda x: np.maximum(x, 0), domain=NONZERO),
    Row("arctan", ag.arctan, np.arctan),
    Row("abs", ag.abs, np.abs, domain=NONZERO),
    Row("softplus", ag.softplus, lambda x: np.log1p(np.exp(x)), domain=(-5, 5)),
    Row("softplus", lambda x: ag.softplus(x, beta=2.0, threshold=3.0),
        lambda x: np.where(2 * x > 3, x, np.log1p(np.exp(2 * x)) / 2),
        domain=away_from(1.5, lo=-3, hi=3), label="softplus_beta_threshold"),
    Row("clamp", lambda x: ag.clamp(x, -0.5, 0.7), lambda x: np.clip(x, -0.5, 0.7),
        domain=away_from(-0.5, 0.7)),
    Row("clamp", lambda x: ag.clamp(x, min=0.3), lambda x: np.maximum(x, 0.3),
        domain=away_from(0.3), label="clamp_min"),
    Row("clip", lambda x: ag.clip(x, -0.5, 0.7), lambda x: np.clip(x, -0.5, 0.7),
        domain=away_from(-0.5, 0.7)),
    Row("clamp", lambda x, lo, hi: ag.clamp(x, lo, hi), np.clip, arity=3, shapes="same",
        domain=[(-2, 2), (-1.5, -0.5), (0.5, 1.5)], prepare=_off_clamp_bounds,
        label="clamp_tensor_bounds"),
    *[Row(n, lambda a, b, n=n: getattr(ag, n)((a * 4).long(), (b * 4).long()),
          lambda a, b, n=n: getattr(np, n)((a * 4).astype(np.int64), (b * 4).astype(np.int64)),
          arity=2, grad=False) for n in ("bitwise_and", "bitwise_or", "bitwise_xor")],
    Row("bitwise_not", lambda a: ag.bitwise_not((a * 4).long()),
        lambda a: np.invert((a * 4).astype(np.int64)), grad=False),
    Row("maximum", ag.maximum, np.maximum, arity=2, shapes="same", prepare=_exact_ties,
        order2=False),  # the gradient jumps at a tie: no second derivative there
    Row("maximum", ag.maximum, np.maximum, arity=2, domain=[NONZERO, (-0.01, 0.01)],
        label="maximum_broadcast"),
    Row("minimum", ag.minimum, np.minimum, arity=2, shapes="same", prepare=_exact_ties,
        order2=False),  # the gradient jumps at a tie: no second derivative there
    Row("minimum", ag.minimum, np.minimum, arity=2, domain=[NONZERO, (-0.01, 0.01)],
        label="minimum_broadcast"),
    Row("where", lambda a, b: ag.where(a > 0, a, b), lambda a, b: np.where(a > 0, a, b),
        arity=2, domain=NONZERO),
    Row("sign", ag.sign, np.sign, grad=False),
    # ---- comparisons and logic (no gradient) ---------------------------------------
    *[Row(n, getattr(ag, n), getattr(np, f), arity=2, grad=False) for n, f in [
        ("eq", "equal"), ("ne", "not_equal"), ("lt", "less"), ("le", "less_equal"),
        ("gt", "greater"), ("ge", "greater_equal")]],
    *[Row(n, lambda a, b, n=n: getattr(ag, n)(a > 0, b > 0),
          lambda a, b, n=n: getattr(np, n)(a > 0, b > 0), arity=2, grad=False)
      for n in ("logical_and", "logical_or", "logical_xor")],
    Row("logical_not", lambda a: ~(a > 0), lambda a: ~(a > 0), grad=False),
    # ---- reductions ---------------------------------------------------------------
    Row("sum", ag.sum, np.sum),
    Row("sum", lambda x: x.sum(_dim(x), keepdim=True),
        lambda x: np.sum(x, axis=_np_dim(x), keepdims=True), label="sum_dim_keepdim"),
    Row("sum", lambda x: x.sum(axis=(0, -1)) if x.ndim >= 2 else x.sum(),
        lambda x: x.sum(axis=(0, -1)) if x.ndim >= 2 else x.sum(), label="sum_tuple_dim"),
    Row("mean", ag.mean, np.mean),
    Row("mean", lambda x: x.mean(_dim(x, 0)), lambda x: x.mean(axis=_np_dim(x, 0)),
        label="mean_dim"),
    Row("var", ag.var, lambda x: np.var(x, ddof=1), shapes=lambda: hnp.array_shapes(
        min_dims=1, max_dims=3, min_side=2, max_side=4).map(lambda s: [s])),
    Row("var", lambda x: x.var(-1, unbiased=False, keepdim=True),
        lambda x: np.var(x, axis=-1, keepdims=True), shapes=_nonempty(), label="var_biased"),
    Row("std", lambda x: x.std(0), lambda x: np.std(x, axis=0, ddof=1), prepare=_distinct,
        shapes=lambda: hnp.array_shapes(min_dims=1, max_dims=3, min_side=2,
                                        max_side=4).map(lambda s: [s])),
    Row("max", ag.max, np.max, prepare=_distinct),
    Row("max", lambda x: x.max(dim=-1).values, lambda x: x.max(axis=-1), prepare=_distinct,
        shapes=_nonempty(), label="max_dim"),
    Row("min", ag.min, np.min, prepare=_distinct),
    Row("min", lambda x: x.min(0, keepdim=True)[0], lambda x: x.min(0, keepdims=True),
        prepare=_distinct, shapes=_nonempty(), label="min_dim"),
    Row("amax", lambda x: ag.amax(x, _dim(x)), lambda x: np.max(x, axis=_np_dim(x)),
        prepare=_distinct),
    Row("amin", lambda x: ag.amin(x, _dim(x)), lambda x: np.min(x, axis=_np_dim(x)),
        prepare=_distinct),
    Row("argmax", lambda x: ag.argmax(x), np.argmax, grad=False, prepare=_distinct),
    Row("argmin", lambda x: x.argmin(_dim(x)), lambda x: np.argmin(x, axis=_np_dim(x)),
        grad=False, prepare=_distinct),
    Row("logsumexp", lambda x: ag.logsumexp(x, _dim(x)),
        lambda x: np.log(np.sum(np.exp(x), axis=_np_dim(x)))),
    Row("prod", ag.prod, np.prod, domain=away_from(0.0, gap=0.2)),
    Row("prod", lambda x: x.prod(_dim(x), keepdim=True),
        lambda x: np.prod(x, axis=_np_dim(x), keepdims=True), label="prod_dim",
        domain=away_from(0.0, gap=0.2)),
    Row("cumsum", lambda x: ag.cumsum(x, -1 if x.ndim else 0),
        lambda x: np.cumsum(x, axis=-1) if x.ndim else x),
    # ---- shape --------------------------------------------------------------------
    Row("reshape", lambda x: x.reshape(-1), lambda x: x.reshape(-1)),
    Row("reshape", lambda x: x.view(x.shape[::-1]), lambda x: x.reshape(x.shape[::-1]),
        label="view"),
    Row("flatten", lambda x: x.flatten(), lambda x: x.reshape(-1)),
    Row("unflatten", lambda x: x.unflatten(0, (1, x.shape[0])),
        lambda x: x.reshape((1,) + x.shape), shapes=_nonempty()),
    Row("transpose", lambda x: x.transpose(0, -1), lambda x: np.swapaxes(x, 0, -1),
        shapes=_nonempty()),
    Row("permute", lambda x: x.permute(tuple(range(x.ndim - 1, -1, -1))), lambda x: x.T),
    Row("movedim", lambda x: x.movedim(0, -1), lambda x: np.moveaxis(x, 0, -1),
        shapes=_nonempty()),
    Row("squeeze", ag.squeeze, np.squeeze),
    Row("unsqueeze", lambda x: x.unsqueeze(0), lambda x: x[None]),
    Row("expand", lambda x: x.expand(2, *x.shape), lambda x: np.broadcast_to(x, (2,) + x.shape)),
    Row("broadcast_to", lambda a, b: ag.broadcast_to(a, np.broadcast_shapes(a.shape, b.shape)) * b,
        lambda a, b: np.broadcast_to(a, np.broadcast_shapes(a.shape, b.shape)) * b, arity=2),
    Row("sum_to_size", lambda a, b: (a * b).sum_to_size(a.shape),
        lambda a, b: _sum_to(a * b, a.shape), arity=2),
    Row("cat", lambda a, b: ag.cat([a, b], -1), lambda a, b: np.concatenate([a, b], -1),
        arity=2, shapes=lambda: _cat_shapes(2)),
    Row("stack", lambda a, b: ag.stack([a, b], 0), lambda a, b: np.stack([a, b]),
        arity=2, shapes="same"),
    Row("split", lambda x: x.split(2, -1), lambda x: tuple(np.split(x, range(2, x.shape[-1], 2), -1)),
        shapes=_nonempty()),
    Row("split", lambda x: x.split([1, x.shape[0] - 1], 0)[1] * 2,
        lambda x: x[1:] * 2, shapes=lambda: hnp.array_shapes(
            min_dims=1, max_dims=3, min_side=2, max_side=4).map(lambda s: [s]),
        label="split_sections_one_used"),
    Row("chunk", lambda x: x.chunk(2, 0), lambda x: _chunk(x, 2), shapes=_nonempty()),
    Row("unbind", lambda x: ag.stack(x.unbind(-1)[::-1], 0),
        lambda x: np.stack([x[..., i] for i in range(x.shape[-1])][::-1], 0), shapes=_nonempty()),
    Row("pad", lambda x: ag.pad(x, (1, 2)), lambda x: np.pad(x, [(0, 0)] * (x.ndim - 1) + [(1, 2)]),
        shapes=_nonempty()),
    Row("pad", lambda x: ag.pad(x, (1, 1), mode="reflect"),
        lambda x: np.pad(x, [(0, 0)] * (x.ndim - 1) + [(1, 1)], mode="reflect"),
        shapes=lambda: hnp.array_shapes(min_dims=1, max_dims=3, min_side=2,
                                        max_side=4).map(lambda s: [s]), label="pad_reflect"),
    Row("pad", lambda x: ag.pad(x, (2, 1), mode="replicate"),
        lambda x: np.pad(x, [(0, 0)] * (x.ndim - 1) + [(2, 1)], mode="edge"),
        shapes=_nonempty(), label="pad_replicate"),
    Row("flip", lambda x: x.flip(-1 if x.ndim else None), lambda x: np.flip(x, -1 if x.ndim else None)),
    Row("repeat", lambda x: x.repeat(2, *([1] * x.ndim)), lambda x: np.tile(x, (2,) + (1,) * x.ndim)),
    # ---- indexing -----------------------------------------------------------------
    Row("getitem", lambda x: x[..., ::-1][..., :2], lambda x: x[..., ::-1][..., :2],
        shapes=_nonempty(), label="getitem_slices"),
    Row("getitem", lambda x: x[0, None], lambda x: x[0, None], shapes=_nonempty(),
        label="getitem_int_none"),
    Row("getitem", lambda x: x[np.array([0, 0, -1])], lambda x: x[np.array([0, 0, -1])],
        shapes=_nonempty(), label="getitem_repeated_int_array"),
    Row("getitem", lambda x: x[x.data > 0], lambda x: x[x > 0], domain=NONZERO,
        shapes=_nonempty(), label="getitem_bool_mask"),
    Row("index_put", lambda x, v: ag.index_put(x, (np.array([0, 0]),), v, accumulate=True),
        lambda x, v: _index_add(x, v), arity=2,
        shapes=lambda: st.integers(1, 4).map(lambda n: [(n, 3), (3,)])),
    Row("index_put", lambda x, v: ag.index_put(x, (slice(0, 1),), v),
        lambda x, v: _index_set(x, v), arity=2,
        shapes=lambda: st.integers(1, 4).map(lambda n: [(n, 3), (3,)]), label="index_put_set"),
    Row("gather", lambda x: x.gather(-1, _index_for(x.shape, -1)),
        lambda x: np.take_along_axis(x, _index_for(x.shape, -1), -1), shapes=_nonempty()),
    Row("scatter_add", lambda x, s: x.scatter_add(0, _index_for(x.shape, 0, 1), s),
        lambda x, s: _scatter_add(x, _index_for(x.shape, 0, 1), s), arity=2,
        shapes=lambda: hnp.array_shapes(min_dims=1, max_dims=3, max_side=4).map(
            lambda s: [s, s])),
    Row("index_select", lambda x: x.index_select(0, np.array([1, 0, 1]) % x.shape[0]),
        lambda x: x[np.array([1, 0, 1]) % x.shape[0]], shapes=_nonempty()),
    Row("masked_fill", lambda x: x.masked_fill(x.data > 0.5, 0.0),
        lambda x: np.where(x > 0.5, 0.0, x), domain=away_from(0.5)),
    # ---- linear algebra -----------------------------------------------------------
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
    # ---- conversion ---------------------------------------------------------------
    Row("to", lambda x: x.to(ag.float64) * 2, lambda x: x.astype(np.float64) * 2),
    Row("clone", lambda x: x.clone() * x, lambda x: x * x),
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


def _sum_to(x, shape):
    lead = x.ndim - len(shape)
    x = x.sum(axis=tuple(range(lead)))
    return x.sum(axis=tuple(i for i, n in enumerate(shape) if n == 1), keepdims=True)


def _chunk(x, n):
    c = -(-x.shape[0] // n)
    return tuple(np.split(x, range(c, x.shape[0], c), 0))
