"""The global random generator behind rand/randn/randint, nn.init and dropout."""
from __future__ import annotations

import numpy as np

__all__ = ["manual_seed", "generator"]

_GEN = [np.random.default_rng()]


def manual_seed(seed: int) -> np.random.Generator:
    """Seed the generator used by every random function of the project."""
    _GEN[0] = np.random.default_rng(seed)
    return _GEN[0]


def generator() -> np.random.Generator:
    """The current global generator."""
    return _GEN[0]
