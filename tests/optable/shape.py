"""Rows for autograd.ops.shape: reshaping, transposing, broadcasting, joining,
splitting, padding."""
from __future__ import annotations

import itertools

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag

from . import NONZERO, Row, dim_of, nonempty


def _of_rank(n):
    """A `shapes` callable: one input of exactly n dims (sides 1..4)."""
    return lambda: hnp.array_shapes(min_dims=n, max_dims=n, max_side=4).map(lambda s: [s])


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


ROWS = [
    Row("reshape", lambda x: x.reshape(-1), lambda x: x.reshape(-1)),
    Row("reshape", lambda x: x.view(x.shape[::-1]), lambda x: x.reshape(x.shape[::-1]),
        label="view"),
    Row("flatten", lambda x: x.flatten(), lambda x: x.reshape(-1)),
    Row("unflatten", lambda x: x.unflatten(0, (1, x.shape[0])),
        lambda x: x.reshape((1,) + x.shape), shapes=nonempty()),
    Row("transpose", lambda x: x.transpose(0, -1), lambda x: np.swapaxes(x, 0, -1),
        shapes=nonempty()),
    Row("permute", lambda x: x.permute(tuple(range(x.ndim - 1, -1, -1))), lambda x: x.T),
    Row("movedim", lambda x: x.movedim(0, -1), lambda x: np.moveaxis(x, 0, -1),
        shapes=nonempty()),
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
        shapes=nonempty()),
    Row("split", lambda x: x.split([1, x.shape[0] - 1], 0)[1] * 2,
        lambda x: x[1:] * 2, shapes=lambda: hnp.array_shapes(
            min_dims=1, max_dims=3, min_side=2, max_side=4).map(lambda s: [s]),
        label="split_sections_one_used"),
    Row("chunk", lambda x: x.chunk(2, 0), lambda x: _chunk(x, 2), shapes=nonempty()),
    Row("unbind", lambda x: ag.stack(x.unbind(-1)[::-1], 0),
        lambda x: np.stack([x[..., i] for i in range(x.shape[-1])][::-1], 0), shapes=nonempty()),
    Row("pad", lambda x: ag.pad(x, (1, 2)), lambda x: np.pad(x, [(0, 0)] * (x.ndim - 1) + [(1, 2)]),
        shapes=nonempty()),
    Row("pad", lambda x: ag.pad(x, (1, 1), mode="reflect"),
        lambda x: np.pad(x, [(0, 0)] * (x.ndim - 1) + [(1, 1)], mode="reflect"),
        shapes=lambda: hnp.array_shapes(min_dims=1, max_dims=3, min_side=2,
                                        max_side=4).map(lambda s: [s]), label="pad_reflect"),
    Row("pad", lambda x: ag.pad(x, (2, 1), mode="replicate"),
        lambda x: np.pad(x, [(0, 0)] * (x.ndim - 1) + [(2, 1)], mode="edge"),
        shapes=nonempty(), label="pad_replicate"),
    Row("flip", lambda x: x.flip(-1 if x.ndim else None), lambda x: np.flip(x, -1 if x.ndim else None)),
    Row("repeat", lambda x: x.repeat(2, *([1] * x.ndim)), lambda x: np.tile(x, (2,) + (1,) * x.ndim)),
    Row("tile", lambda x: x.tile((2,)), lambda x: np.tile(x, (2,))),
    Row("roll", lambda x: x.roll(2, dim_of(x)), lambda x: np.roll(x, 2, dim_of(x))),
    Row("roll", lambda x: ag.roll(x, -1), lambda x: np.roll(x, -1), label="roll_flattened"),
    Row("roll", lambda x: x.roll((1, -1), (0, -1)), lambda x: np.roll(x, (1, -1), (0, -1)),
        shapes=nonempty(), label="roll_two_dims"),
    Row("tril", lambda x: x.tril(), np.tril, shapes=nonempty(2)),
    Row("triu", lambda x: ag.triu(x, -1), lambda x: np.triu(x, -1), shapes=nonempty(2)),
    Row("diag", lambda x: ag.diag(x, 1), lambda x: np.diag(x, 1), shapes=_of_rank(1)),
    Row("diag", lambda x: x.diag(-1), lambda x: np.diag(x, -1), shapes=_of_rank(2),
        label="diag_of_matrix"),
    Row("diagonal", lambda x: x.diagonal(), np.diagonal, shapes=nonempty(2)),
    Row("diagonal", lambda x: ag.diagonal(x, 1, -1, 0) * 2,
        lambda x: np.diagonal(x, 1, -1, 0) * 2, shapes=_of_rank(3), label="diagonal_offset"),
    Row("trace", lambda x: x.trace(), np.trace, shapes=_of_rank(2)),
    Row("narrow", lambda x: x.narrow(-1, -1, 1), lambda x: x[..., -1:], shapes=nonempty()),
    Row("repeat_interleave", lambda x: x.repeat_interleave(2), lambda x: np.repeat(x, 2)),
    Row("repeat_interleave", lambda x: x.repeat_interleave(3, -1), lambda x: np.repeat(x, 3, -1),
        shapes=nonempty(), label="repeat_interleave_dim"),
    Row("repeat_interleave",
        lambda x: x.repeat_interleave(ag.tensor(np.arange(x.shape[0]) % 3), 0),
        lambda x: np.repeat(x, np.arange(x.shape[0]) % 3, 0), shapes=nonempty(),
        label="repeat_interleave_counts"),
    Row("swapaxes", lambda x: ag.swapaxes(x, 0, -1), lambda x: np.swapaxes(x, 0, -1),
        shapes=nonempty()),
    Row("swapdims", lambda x: x.swapdims(-1, 0), lambda x: np.swapaxes(x, 0, -1),
        shapes=nonempty()),
    Row("moveaxis", lambda x: x.moveaxis(-1, 0), lambda x: np.moveaxis(x, -1, 0),
        shapes=nonempty()),
    Row("ravel", lambda x: x.transpose(0, -1).ravel() if x.ndim else x.ravel(),
        lambda x: np.swapaxes(x, 0, -1).ravel() if x.ndim else x.ravel()),
    Row("t", lambda x: x.t(), lambda x: x.T, shapes=lambda: hnp.array_shapes(
        min_dims=0, max_dims=2, max_side=4).map(lambda s: [s])),
    Row("rot90", lambda x: x.rot90(), np.rot90, shapes=nonempty(2)),
    Row("rot90", lambda x: ag.rot90(x, -1, (-1, 0)), lambda x: np.rot90(x, -1, (-1, 0)),
        shapes=nonempty(2), label="rot90_clockwise"),
]


def _sum_to(x, shape):
    lead = x.ndim - len(shape)
    x = x.sum(axis=tuple(range(lead)))
    return x.sum(axis=tuple(i for i, n in enumerate(shape) if n == 1), keepdims=True)


def _chunk(x, n):
    c = -(-x.shape[0] // n)
    return tuple(np.split(x, range(c, x.shape[0], c), 0))


# ---- sections, stacks, grids, diagonals, windows ---------------------------------------------

def _rank_at_least(n, max_dims=3):
    return lambda: hnp.array_shapes(min_dims=n, max_dims=max_dims, max_side=4).map(
        lambda s: [s])


def _vectors(count, min_side=1):
    return lambda: st.lists(st.integers(min_side, 4), min_size=count, max_size=count).map(
        lambda ns: [(n,) for n in ns])


def _sections(x, sections, axis):
    """np.array_split with PyTorch's tensor_split rule (NumPy's is the same)."""
    return tuple(np.array_split(x, sections, axis))


def _stack_pair():
    """Two shapes that hstack, vstack and dstack accept: 0-d to 3-d, equal but for the
    joined dim."""
    @st.composite
    def draw(d):
        base = d(hnp.array_shapes(min_dims=0, max_dims=3, max_side=3))
        return [base, base]
    return draw()


def _windows(x, dim, size, step):
    return np.moveaxis(np.lib.stride_tricks.sliding_window_view(x, size, axis=dim)[
        (slice(None),) * (dim % x.ndim) + (slice(None, None, step),)], -1, -1)


def _block_diag(*xs):
    blocks = [np.atleast_2d(x) for x in xs]
    out = np.zeros((sum(b.shape[0] for b in blocks), sum(b.shape[1] for b in blocks)),
                   np.result_type(*xs))
    r = c = 0
    for b in blocks:
        out[r:r + b.shape[0], c:c + b.shape[1]] = b
        r, c = r + b.shape[0], c + b.shape[1]
    return out


def _diag_embed_last(x, offset):
    """diag_embed(x, offset) in the last two dims, from np.diag per row."""
    flat = x.reshape(-1, x.shape[-1])
    return np.stack([np.diag(r, offset) for r in flat]).reshape(
        x.shape[:-1] + (x.shape[-1] + abs(offset),) * 2)


ROWS += [
    Row("tensor_split", lambda x: x.tensor_split(3, -1), lambda x: _sections(x, 3, -1),
        shapes=nonempty()),
    # decreasing and negative indices: overlapping and empty pieces
    Row("tensor_split", lambda x: ag.tensor_split(x, [2, 1, -1], 0),
        lambda x: (x[:2], x[2:1], x[1:-1], x[-1:]), shapes=nonempty(),
        label="tensor_split_indices"),
    Row("hsplit", lambda x: x.hsplit([1]), lambda x: tuple(np.hsplit(x, [1])),
        shapes=nonempty()),
    Row("vsplit", lambda x: ag.vsplit(x, 1), lambda x: tuple(np.vsplit(x, 1)),
        shapes=_rank_at_least(2)),
    Row("dsplit", lambda x: x.dsplit([0, 2]), lambda x: tuple(np.dsplit(x, [0, 2])),
        shapes=_rank_at_least(3)),
    Row("split_with_sizes", lambda x: x.split_with_sizes([x.shape[-1] - 1, 0, 1], -1),
        lambda x: (x[..., :-1], x[..., :0], x[..., -1:]), shapes=nonempty()),
    Row("hstack", lambda a, b: ag.hstack([a, b]), lambda a, b: np.hstack([a, b]), arity=2,
        shapes=_stack_pair),
    Row("vstack", lambda a, b: ag.vstack((a, b)), lambda a, b: np.vstack([a, b]), arity=2,
        shapes=_stack_pair),
    Row("row_stack", lambda a, b: ag.row_stack([a, b]), lambda a, b: np.vstack([a, b]),
        arity=2, shapes=_stack_pair),
    Row("dstack", lambda a, b: ag.dstack([a, b]), lambda a, b: np.dstack([a, b]), arity=2,
        shapes=_stack_pair),
    Row("column_stack", lambda a, b: ag.column_stack([a, b]),
        lambda a, b: np.column_stack([a, b]), arity=2, shapes=lambda: st.integers(1, 3).map(
            lambda n: [(n,), (n, 2)])),
    Row("atleast_1d", lambda x: ag.atleast_1d(x), np.atleast_1d),
    Row("atleast_2d", lambda a, b: ag.atleast_2d(a, b), lambda a, b: tuple(np.atleast_2d(a, b)),
        arity=2),
    Row("atleast_3d", lambda x: ag.atleast_3d([x])[0] * 2, lambda x: np.atleast_3d(x) * 2),
    Row("meshgrid", lambda a, b: ag.meshgrid(a, b, indexing="ij"),
        lambda a, b: tuple(np.meshgrid(a, b, indexing="ij")), arity=2, shapes=_vectors(2)),
    Row("meshgrid", lambda a, b, c: ag.meshgrid([a, b, c], indexing="xy"),
        lambda a, b, c: tuple(np.meshgrid(a, b, c, indexing="xy")), arity=3,
        shapes=_vectors(3), label="meshgrid_xy"),
    Row("cartesian_prod", lambda a, b: ag.cartesian_prod(a, b),
        lambda a, b: np.stack([g.reshape(-1) for g in np.meshgrid(a, b, indexing="ij")], 1),
        arity=2, shapes=_vectors(2)),
    Row("combinations", lambda x: ag.combinations(x, 2),
        lambda x: np.array(list(itertools.combinations(x, 2)), x.dtype).reshape(-1, 2),
        shapes=_vectors(1)),
    Row("combinations", lambda x: ag.combinations(x, 3, with_replacement=True),
        lambda x: np.array(list(itertools.combinations_with_replacement(x, 3)),
                           x.dtype).reshape(-1, 3),
        shapes=_vectors(1), label="combinations_with_replacement"),
    Row("block_diag", lambda a, b, c: ag.block_diag(a, b, c), _block_diag, arity=3,
        shapes=lambda: st.tuples(*[hnp.array_shapes(min_dims=0, max_dims=2, max_side=3)] * 3).map(
            list)),
    Row("diag_embed", lambda x: ag.diag_embed(x, -1), lambda x: _diag_embed_last(x, -1),
        shapes=nonempty()),
    Row("diag_embed", lambda x: x.diag_embed(1, 0, -1) * 1,
        lambda x: np.moveaxis(_diag_embed_last(x, 1), -2, 0), shapes=nonempty(),
        label="diag_embed_dims"),
    Row("diagflat", lambda x: x.diagflat(1), lambda x: np.diagflat(x, 1)),
    # Tensor.unfold, a method only (the registered `unfold` is F.unfold, in nn_conv.py)
    Row("Tensor.unfold", lambda x: x.unfold(-1, 2, 1) if x.ndim else x.unfold(0, 1, 1),
        lambda x: _windows(x, -1, 2, 1) if x.ndim else x.reshape(1),
        shapes=lambda: hnp.array_shapes(min_dims=0, max_dims=3, min_side=2, max_side=4).map(
            lambda s: [s])),
    # overlapping windows (step < size < 2 step) and a dimension not the last
    Row("Tensor.unfold", lambda x: x.unfold(0, 3, 2), lambda x: _windows(x, 0, 3, 2),
        shapes=lambda: hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4).map(
            lambda s: [(s[0] + 3,) + s[1:]]), label="Tensor.unfold_overlapping"),
    # (a cumulative product, whose gradient divides by x: tiny x underflows; x = 0 is
    # exact, see test_ops_sets_shapes.py)
    Row("vander", lambda x: ag.vander(x, 4), lambda x: np.vander(x, 4).astype(x.dtype),
        shapes=_vectors(1), domain=NONZERO),
    Row("vander", lambda x: ag.vander(x, increasing=True),
        lambda x: np.vander(x, increasing=True).astype(x.dtype), shapes=_vectors(1),
        domain=NONZERO, label="vander_increasing"),
]
