"""`record_graph`: keep what a picture needs on every node recorded inside a block."""
from __future__ import annotations

import cmath
import math
import sys
import threading
from contextlib import contextmanager
from typing import Any, Iterator

import numpy as np

from .. import graph as _graph
from ..grad_mode import STATE
from ..graph import Node
from ..tensor import Tensor

__all__ = ["record_graph"]

_RECORD = _graph.record     # the engine's own, captured at import
_rec_lock = threading.Lock()
_rec_users = [0]
_rec_mods: list = []        # modules whose `record` global is swapped while recording
_rec_local = threading.local()


def _recording_record(node: Node, args: tuple, outs: tuple, edges: list | None = None) -> None:
    _RECORD(node, args, outs, edges)
    if getattr(_rec_local, "on", False):
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
    of each gradient in backward; nothing outside the block (the swap is in place only
    while some thread is inside one)::

        with autograd.viz.record_graph():
            loss = model(x).sum()
        loss.backward()
        autograd.draw_graph(loss, params=model, show_grads=True)
    """
    with _rec_lock:
        if _rec_users[0] == 0:
            # apply() (and autograd.Function, which imported it) look `record` up in their
            # module at every call, so swapping those globals reaches every op; they are
            # restored when the last user leaves.
            _rec_mods[:] = [m for name, m in list(sys.modules.items())
                            if name.split(".")[0] == "autograd"
                            and getattr(m, "record", None) is _RECORD]
            for m in _rec_mods:
                m.record = _recording_record
        _rec_users[0] += 1
    prev = getattr(_rec_local, "on", False)
    _rec_local.on = True
    try:
        yield
    finally:
        _rec_local.on = prev
        with _rec_lock:
            _rec_users[0] -= 1
            if _rec_users[0] == 0:
                for m in _rec_mods:
                    m.record = _RECORD
                _rec_mods.clear()
