"""Rows for autograd.ops.shape: reshaping, transposing, broadcasting, joining,
splitting, padding."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag

from . import Row, dim_of, nonempty


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
