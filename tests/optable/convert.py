"""Rows for autograd.ops.convert: dtype conversion and clone."""
from __future__ import annotations

import numpy as np

import autograd as ag

from . import Row

ROWS = [
    Row("to", lambda x: x.to(ag.float64) * 2, lambda x: x.astype(np.float64) * 2),
    Row("clone", lambda x: x.clone() * x, lambda x: x * x),
]
