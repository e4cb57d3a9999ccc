"""The global random generator behind rand/randn/randint, nn.init and dropout."""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["manual_seed", "generator", "resolve"]

_GEN = [np.random.default_rng()]


def manual_seed(seed: int) -> np.random.Generator:
    """Seed the generator used by every random function of the project."""
    _GEN[0] = np.random.default_rng(seed)
    return _GEN[0]


def generator() -> np.random.Generator:
    """The current global generator."""
    return _GEN[0]


def resolve(gen: Any, op: str) -> np.random.Generator:
    """The generator a random function named `op` draws from: `gen` when given (a
    numpy.random.Generator, as PyTorch's ``generator=`` arguments take theirs), else the
    global one."""
    if gen is None:
        return _GEN[0]
    if not isinstance(gen, np.random.Generator):
        raise TypeError(f"{op}: generator must be a numpy.random.Generator, got "
                        f"{type(gen).__name__}")
    return gen
