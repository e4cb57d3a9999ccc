"""`record_graph`: keep what a picture needs on every node recorded inside a block."""
from __future__ import annotations

import sys
import threading
from contextlib import contextmanager
from typing import Iterator

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


def _recording_record(node: Node, args: tuple, outs: tuple) -> None:
    _RECORD(node, args, outs)
    if getattr(_rec_local, "on", False):
        node._viz = (tuple([_out_meta(o.data) if isinstance(o, Tensor) else None
                            for o in outs]), STATE.modules)


def _out_meta(a: np.ndarray) -> tuple:
    """(shape, dtype, value of a one-element array or None, all finite)."""
    floating = a.dtype.kind in "fc"
    return (a.shape, a.dtype, a.item() if a.size == 1 else None,
            bool(np.isfinite(a).all()) if floating else True)


@contextmanager
def record_graph() -> Iterator[None]:
    """Record, on every node made inside the block, its outputs' shapes and dtypes, the
    value of one-element outputs, whether they are finite, and the whole stack of
    modules running, so pictures drawn later (even after a backward freed the saved
    tensors) show them all and name every module.

    Costs one small tuple per op plus a finiteness scan of each output; nothing outside
    the block (the hook is installed only while some thread is inside one)::

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
