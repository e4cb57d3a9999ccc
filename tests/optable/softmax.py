"""Rows for autograd.ops.softmax: softmax and log_softmax (functions and methods)."""
from __future__ import annotations

import numpy as np

import autograd as ag

from . import Row


def _np_log_softmax(x, axis):
    z = x - x.max(axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis, keepdims=True))


def _last(x):
    return -1 if x.ndim else 0


ROWS = [
    Row("softmax", lambda x: ag.softmax(x, _last(x)),
        lambda x: np.exp(_np_log_softmax(x, _last(x) if x.ndim else None)),
        domain=(-5.0, 5.0)),
    Row("softmax", lambda x: x.softmax(0), lambda x: np.exp(_np_log_softmax(x, 0)) if x.ndim
        else np.ones_like(x), domain=(-5.0, 5.0), label="softmax_method_dim0"),
    Row("log_softmax", lambda x: ag.log_softmax(x, _last(x)),
        lambda x: _np_log_softmax(x, _last(x) if x.ndim else None), domain=(-5.0, 5.0)),
    Row("log_softmax", lambda x: x.log_softmax(dim=0),
        lambda x: _np_log_softmax(x, 0) if x.ndim else np.zeros_like(x), domain=(-5.0, 5.0),
        label="log_softmax_method_dim0"),
]
