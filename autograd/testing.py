"""Property testing of gradients with Hypothesis.

Strategies that draw what a gradient test needs - shapes, broadcast-compatible shapes,
tensors with finite values in a chosen domain - and `check_gradients`, which runs
`gradcheck` (or `gradgradcheck`) on every drawn example:

    from autograd.testing import broadcastable_tensors, check_gradients, tensors
    check_gradients(MySoftplus.apply, tensors())                       # any shape
    check_gradients(MyPow.apply, broadcastable_tensors(2, domain=["positive", "real"]),
                    order=2)                                           # fn(a, b)

A strategy that draws a tuple supplies several arguments at once, so correlated inputs
(such as the shapes of `broadcastable_tensors`) are drawn together.

On a failure Hypothesis shrinks the example (smaller shapes, simpler values) and the
error shows the minimal inputs in full precision together with the gradcheck report.
Hypothesis is needed only when this module is imported.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
from hypothesis import HealthCheck, given, settings as _settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from .gradcheck import GradcheckError, gradcheck_report, gradgradcheck_report
from .tensor import Tensor, wrap

__all__ = ["shapes", "broadcastable_shapes", "floats", "away_from", "arrays", "tensors",
           "broadcastable_tensors", "check_gradients", "DOMAINS"]

# Named domains: bounded, finite, and kept away from the singular points of the usual
# functions (log, sqrt and 1/x at 0), so difference quotients stay meaningful.
DOMAINS: dict = {
    "real": (-3.0, 3.0),
    "positive": (0.1, 3.0),
    "negative": (-3.0, -0.1),
    "nonzero": lambda: away_from(0.0, gap=0.1),    # [-3, -0.1] U [0.1, 3]
    "unit": (-0.9, 0.9),           # inside (-1, 1): arcsin, atanh, correlations
    "probability": (0.05, 0.95),   # inside (0, 1): logit, binary cross-entropy
}


def shapes(*, min_dims: int = 0, max_dims: int = 3, min_side: int = 1,
           max_side: int = 4) -> st.SearchStrategy:
    """Array shapes (tuples), 0-d and size-1 axes included by default."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def broadcastable_shapes(n: int, *, min_dims: int = 0, max_dims: int = 3, min_side: int = 1,
                         max_side: int = 4) -> st.SearchStrategy:
    """Tuples of `n` mutually broadcastable shapes (size-1 axes and missing leading
    axes included), e.g. ``((3, 1), (4, 3, 2), ())``."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=n, min_dims=min_dims, max_dims=max_dims, min_side=min_side,
        max_side=max_side).map(lambda r: tuple(r.input_shapes))


def away_from(*points: float, gap: float = 0.05, lo: float = -3.0,
              hi: float = 3.0) -> st.SearchStrategy:
    """Floats in [lo, hi] at least `gap` from each of `points` (kinks such as relu at 0,
    clamp bounds): finite differences across a kink do not measure a derivative."""
    parts = [(lo, hi)]
    for p in points:   # cut (p - gap, p + gap) out of every remaining interval
        parts = [piece for a, b in parts for piece in ((a, min(b, p - gap)), (max(a, p + gap), b))
                 if piece[0] < piece[1]]
    if not parts:
        raise ValueError(f"away_from: nothing of [{lo}, {hi}] is {gap} away from {points}")
    return st.one_of(*[st.floats(a, b) for a, b in parts])


def floats(domain: Any = "real") -> st.SearchStrategy:
    """Finite floats in `domain`: a name of `DOMAINS`, a ``(lo, hi)`` pair, or a
    strategy (returned as is)."""
    if isinstance(domain, st.SearchStrategy):
        return domain
    if isinstance(domain, str):
        if domain not in DOMAINS:
            raise ValueError(f"floats: unknown domain {domain!r}; expected one of "
                             f"{sorted(DOMAINS)} or a (lo, hi) pair")
        domain = DOMAINS[domain]
        if callable(domain):
            return domain()
    lo, hi = domain
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def arrays(shape: Any = None, *, dtype: Any = np.float64, domain: Any = "real",
           elements: st.SearchStrategy | None = None,
           unique: bool = False) -> st.SearchStrategy:
    """ndarrays of `dtype` with finite values in `domain` (or drawn from `elements`);
    `shape` is a tuple, a strategy of tuples, or None for `shapes()`; `unique` draws
    distinct values (ops with ties, such as max)."""
    dtype = np.dtype(dtype)
    if shape is None:
        shape = shapes()
    elems = elements if elements is not None else floats(domain)
    if dtype.kind != "f":
        return hnp.arrays(dtype, shape, elements=elements, unique=unique)
    if dtype == np.float64:
        return hnp.arrays(dtype, shape, elements=elems, unique=unique)
    # draw in float64 and round: bounds such as 0.1 have no exact float32 value
    return hnp.arrays(np.float64, shape, elements=elems, unique=unique).map(
        lambda a: a.astype(dtype))


def tensors(shape: Any = None, *, dtype: Any = np.float64, domain: Any = "real",
            elements: st.SearchStrategy | None = None, requires_grad: bool = True,
            unique: bool = False) -> st.SearchStrategy:
    """Leaf Tensors with finite values: like `arrays`, and requiring grad by default
    (what a gradient test wants; non-floating dtypes never do)."""
    dt = np.dtype(dtype)
    return arrays(shape, dtype=dt, domain=domain, elements=elements, unique=unique).map(
        lambda a: _leaf(a, requires_grad and dt.kind == "f"))


def broadcastable_tensors(n: int, *, dtype: Any = np.float64, domain: Any = "real",
                          requires_grad: bool = True, min_dims: int = 0, max_dims: int = 3,
                          max_side: int = 4, unique: bool = False) -> st.SearchStrategy:
    """Tuples of `n` tensors whose shapes broadcast together; `domain` is one domain or
    a list with one per tensor."""
    domains = domain if isinstance(domain, list) else [domain] * n

    @st.composite
    def draw(d: Any) -> tuple:
        shps = d(broadcastable_shapes(n, min_dims=min_dims, max_dims=max_dims,
                                      max_side=max_side))
        return tuple(d(tensors(s, dtype=dtype, domain=dom, requires_grad=requires_grad,
                               unique=unique)) for s, dom in zip(shps, domains))
    return draw()


def _leaf(a: np.ndarray, requires_grad: bool) -> Tensor:
    t = wrap(a)
    t.requires_grad = requires_grad
    return t


def check_gradients(fn: Callable, *inputs: st.SearchStrategy, order: int = 1,
                    eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                    fast_mode: bool = False, max_examples: int | None = None,
                    settings: Any = None) -> None:
    """Property check: gradcheck (``order=1``) or gradgradcheck (``order=2``) of `fn` on
    every example the strategies draw; each strategy gives one argument, or several
    when it draws a tuple.

    Raises `GradcheckError` on the minimal failing example Hypothesis finds, with the
    inputs in full precision above the report.  Runs under the active Hypothesis
    profile without its deadline (a gradcheck is slow); a `hypothesis.settings` object
    replaces those settings, `max_examples` overrides the number of examples.
    """
    if order not in (1, 2):
        raise ValueError(f"check_gradients: order must be 1 or 2, got {order}")
    if not inputs:
        raise TypeError("check_gradients: give one strategy per argument of fn")
    report_fn = gradcheck_report if order == 1 else gradgradcheck_report

    @given(st.tuples(*inputs))
    def run(drawn: tuple) -> None:
        args = []
        for x in drawn:
            args.extend(x if type(x) is tuple else (x,))
        report = report_fn(fn, tuple(args), eps=eps, atol=atol, rtol=rtol,
                           fast_mode=fast_mode)
        if not report.ok:
            err = GradcheckError(report)
            err.args = (f"check_gradients: {_name(fn)} fails on\n"
                        f"{_show(args)}\n{report}",)
            raise err

    # a gradcheck takes far longer than Hypothesis's default 200 ms deadline allows
    opts: dict = {} if settings is not None else {
        "deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
    if max_examples is not None:
        opts["max_examples"] = max_examples
    _settings(settings, **opts)(run)()


def _name(fn: Callable) -> str:
    owner = getattr(fn, "__self__", None)   # MyFunction.apply is bound to its class
    if isinstance(owner, type):
        return f"{owner.__name__}.{fn.__name__}"
    return getattr(fn, "__qualname__", repr(fn))


def _show(args: Sequence) -> str:
    """The arguments in full precision (Tensor reprs round to 4 digits)."""
    lines = []
    for i, a in enumerate(args):
        if isinstance(a, Tensor):
            body = np.array2string(a.data, precision=17, separator=", ", floatmode="unique")
            lines.append(f"  input {i}: shape {tuple(a.shape)}, {a.dtype}"
                         f"{', requires grad' if a.requires_grad else ''}: {body}")
        else:
            lines.append(f"  input {i}: {a!r}")
    return "\n".join(lines)
