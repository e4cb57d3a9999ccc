"""`record_graph`: keep what a picture needs on every node recorded inside a block."""
from __future__ import annotations

import cmath
import math
from contextlib import contextmanager
from typing import Any, Iterator

import numpy as np

from ..grad_mode import STATE
from ..graph import Node
from ..tensor import Tensor

__all__ = ["record_graph"]


def _record_node(node: Node, outs: tuple) -> None:
    """The recorder `record_graph` installs: output summaries, the module stack, and a
    gradient probe on each output."""
    node._viz = (tuple([_out_meta(o.data) if isinstance(o, Tensor) else None
                        for o in outs]), STATE.modules)
    hooks = node.__dict__.setdefault("_hooks", {})
    for i, o in enumerate(outs):
        if isinstance(o, Tensor) and o.grad_fn is node:
            hooks.setdefault(i, []).insert(0, _GradProbe())


class _GradProbe:
    """A gradient hook that keeps only a summary of the gradient reaching its output:
    (value if one element, norm, all finite).  It holds no reference to the node, so
    it makes no reference cycle, and returns None, so the gradient passes unchanged."""

    __slots__ = ("summary",)

    def __init__(self) -> None:
        self.summary: tuple | None = None

    def __call__(self, g: Tensor) -> None:
        self.summary = _grad_summary(g.data)


def _grad_summary(a: np.ndarray) -> tuple:
    """(value of a one-element array or None, L2 norm, all finite)."""
    if a.size == 1:
        v = a.item()
        return v, abs(v), _isfinite(v)
    sq, finite = _sumsq(a)
    return None, math.sqrt(sq), finite


def _out_meta(a: np.ndarray) -> tuple:
    """(shape, dtype, value of a one-element array or None, all finite)."""
    if a.size == 1:
        v = a.item()
        return a.shape, a.dtype, v, a.dtype.kind not in "fc" or _isfinite(v)
    return a.shape, a.dtype, None, a.dtype.kind not in "fc" or _sumsq(a)[1]


def _isfinite(v: Any) -> bool:
    return cmath.isfinite(v) if isinstance(v, complex) else math.isfinite(v)


def _sumsq(a: np.ndarray) -> tuple[float, bool]:
    """(sum of squared magnitudes, all elements finite) in one BLAS call; the exact
    element check runs only when the sum is not finite (NaN, inf, or overflow)."""
    sq = float(np.vdot(a, a).real)
    if math.isfinite(sq):
        return sq, True
    finite = bool(np.isfinite(a).all())
    if finite:   # the squares overflowed a low-precision sum: redo it in double
        wide = a.astype(np.complex128 if a.dtype.kind == "c" else np.float64)
        sq = float(np.vdot(wide, wide).real)
    return sq, finite


@contextmanager
def record_graph() -> Iterator[None]:
    """Record, on every node made inside the block, its outputs' shapes and dtypes, the
    value of one-element outputs, whether they are finite, and the whole stack of
    modules running, so pictures drawn later (even after a backward freed the saved
    tensors) show them all and name every module.  Each node also gets a gradient hook
    that keeps the norm (the value, for one element) of the gradient the last backward
    sent to it, so ``show_grads`` shows every intermediate gradient, micrograd style.

    Costs a small tuple and a hook per op, a finiteness scan of each output, and a norm
    of each gradient in backward; nothing outside the block (the recorder is per thread)::

        with autograd.viz.record_graph():
            loss = model(x).sum()
        loss.backward()
        autograd.draw_graph(loss, params=model, show_grads=True)
    """
    prev = STATE.recorder
    STATE.recorder = _record_node
    try:
        yield
    finally:
        STATE.recorder = prev
