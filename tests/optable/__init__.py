"""The op test table: one `Row` per public differentiable op.

The generic tests in ``tests/test_ops_generic.py`` run every row: the forward in
float32 against a NumPy reference, the gradient against central finite differences in
float64, and the second derivative (double backward) against finite differences of the
gradient, over Hypothesis-drawn shapes (broadcasting, 0-d and size-1 axes included).
Adding an op means adding its row to its family's module (named like the op
module: ``arith.py`` for ``autograd/ops/arith.py``); a meta-test fails when a
registered op has none.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograd import testing

MAX_SIDE = 4
MAX_DIMS = 3


@dataclass
class Row:
    """How to test one op.

    fn:      callable on Tensors (and returning a Tensor or a tuple of Tensors)
    ref:     the same computation on float32 ndarrays (None: no forward comparison)
    arity:   how many tensor inputs fn takes
    shapes:  "broadcast" (mutually broadcastable), "same", or a callable returning a
             strategy of a list of shapes (one per input)
    domain:  (lo, hi) for every input, a list of those per input, or an element strategy
    unique:  draw distinct values (ops with ties, such as max)
    prepare: maps the drawn list of arrays before use (e.g. to make near-ties exact)
    grad:    the op is differentiable (False: forward check only)
    order2:  check the second derivative too
    """

    name: str
    fn: Callable[..., Any]
    ref: Callable[..., Any] | None = None
    arity: int = 1
    shapes: Any = "broadcast"
    domain: Any = (-2.0, 2.0)
    unique: bool = False
    prepare: Callable[[list], list] | None = None
    grad: bool = True
    order2: bool = True
    atol: float = 1e-5
    rtol: float = 1e-4
    label: str = ""
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.label = self.label or self.name

    def shape_strategy(self) -> st.SearchStrategy:
        if callable(self.shapes):
            return self.shapes()
        if self.shapes == "same":
            return testing.shapes(max_dims=MAX_DIMS, max_side=MAX_SIDE).map(
                lambda s: [s] * self.arity)
        return testing.broadcastable_shapes(self.arity, max_dims=MAX_DIMS,
                                            max_side=MAX_SIDE).map(list)

    def elements(self, i: int) -> st.SearchStrategy:
        dom = self.domain[i] if isinstance(self.domain, list) else self.domain
        if isinstance(dom, st.SearchStrategy):
            return dom
        lo, hi = dom
        return st.floats(lo, hi, allow_nan=False, allow_infinity=False)

    def inputs(self) -> st.SearchStrategy:
        """Strategy of a list of float64 arrays, one per input."""
        @st.composite
        def draw(d: Any) -> list:
            shapes = d(self.shape_strategy())
            return [d(hnp.arrays(np.float64, s, elements=self.elements(i),
                                 unique=self.unique)) for i, s in enumerate(shapes)]
        return draw() if self.prepare is None else draw().map(self.prepare)


def away_from(*points: float, gap: float = 0.05, lo: float = -2.0,
              hi: float = 2.0) -> st.SearchStrategy:
    """Floats in [lo, hi] at least `gap` from each of `points` (kinks, clamp bounds):
    autograd.testing's strategy with the table's default range."""
    return testing.away_from(*points, gap=gap, lo=lo, hi=hi)


# ---- domains and shapes several families use ------------------------------------
POS = (0.1, 3.0)
NONZERO = away_from(0.0)


def dim_of(x: Any, d: int = -1) -> int | None:
    """A valid dim for x (None for 0-d)."""
    return d if x.ndim else None


def nonempty(min_dims: int = 1) -> Callable[[], st.SearchStrategy]:
    """A `shapes` callable: one input of at least `min_dims` dims, no zero-size axis."""
    return lambda: hnp.array_shapes(min_dims=min_dims, max_dims=3, min_side=1,
                                    max_side=4).map(lambda s: [s])


def distinct(arrays: list) -> list:
    """Values at least 0.1 apart (keeping their order), so no two elements are within a
    finite-difference step of a tie."""
    out = []
    for a in arrays:
        ranks = np.argsort(np.argsort(a.reshape(-1), kind="stable"), kind="stable")
        out.append((ranks * 0.2 - 1.0 + 0.05 * np.tanh(a.reshape(-1))).reshape(a.shape))
    return out


def rows() -> list:
    """Every row of every family module (one per op module: arith, elementwise, ..., nn_*)."""
    import importlib
    import pkgutil
    out = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        out.extend(importlib.import_module(f"{__name__}.{info.name}").ROWS)
    return out
