"""Benchmarks: each `bench_*.py` module lists `WORKLOADS`; ``python -m benchmarks``
times them side by side and prints each time as a ratio to a hand-written NumPy
version of the same computation and, when PyTorch is installed, to PyTorch."""
from __future__ import annotations

import gc
import time
from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass
class Workload:
    """One timed computation in up to three implementations.

    setup() returns a dict with "ours" and "numpy" callables (no arguments) and, when
    PyTorch is importable, "torch"; optional "ops" (ops per call, to report ops/second)
    and "check" (called once; raises when the implementations disagree).
    """

    name: str
    setup: Callable[[], dict]
    repeat: int = 20
    targets: dict = field(default_factory=dict)   # e.g. {"numpy": 1.2, "torch": 1.3}
    note: str = ""


def try_torch() -> Any:
    """The torch module, or None when it is not installed."""
    try:
        import torch
        torch.set_num_threads(2)
        return torch
    except ImportError:
        return None


def best_times(impls: dict, repeat: int, rounds: int = 3) -> dict:
    """Each implementation's best (minimum) wall time over `repeat` runs.

    The runs are split into `rounds` rounds; in each, every implementation runs its
    share back to back after a warm-up call (two in the first round).  Within a round
    the implementations do not interleave, so one library's idle worker threads
    (OpenMP, OpenBLAS) do not spin against the next one's; across rounds they take
    turns, so a burst of machine noise cannot cover all of one implementation's runs.
    The minimum is the least noisy estimate of what a computation costs (`timeit`'s
    convention)."""
    rounds = max(1, min(rounds, repeat))
    best = {k: float("inf") for k in impls}
    for r in range(rounds):
        share = repeat // rounds + (r < repeat % rounds)
        for k, fn in impls.items():
            gc.collect()
            for _ in range(2 if r == 0 else 1):
                fn()
            for _ in range(share):
                t0 = time.perf_counter()
                fn()
                best[k] = min(best[k], time.perf_counter() - t0)
    return best
