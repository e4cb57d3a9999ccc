"""Benchmarks: each `bench_*.py` module lists `WORKLOADS`; ``python -m benchmarks``
times them side by side and prints each time as a ratio to a hand-written NumPy
version of the same computation and, when PyTorch is installed, to PyTorch."""
from __future__ import annotations

import gc
import math
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


def best_times(impls: dict, repeat: int, rounds: int = 10, budget: float = 0.25) -> dict:
    """Each implementation's best (minimum) wall time over at least `repeat` runs.

    The minimum is the least noisy estimate of what a computation costs (`timeit`'s
    convention), but only once it has seen enough runs: this VM's noise comes in bursts
    longer than a few dozen runs of a millisecond computation (the best of 30 such runs
    varied by a fifth between processes).  So quick workloads run as many times as fill
    about `budget` seconds at the slowest implementation's pace, every implementation
    the same number of times (more runs give a lower minimum).

    Each implementation first runs twice (a warm-up and a timed run that sets the pace),
    then the other runs are split into `rounds` rounds; in each, every implementation
    runs its share back to back after a warm-up call.  Within a round the implementations
    do not interleave, so one library's idle worker threads (OpenMP, OpenBLAS) do not
    spin against the next one's; across rounds they take turns, so a burst of machine
    noise cannot cover all of one implementation's runs."""
    best = {}
    for k, fn in impls.items():
        gc.collect()
        fn()
        t0 = time.perf_counter()
        fn()
        best[k] = time.perf_counter() - t0
    left = max(repeat, math.ceil(budget / max(best.values()))) - 1
    rounds = max(1, min(rounds, left))
    for r in range(rounds if left else 0):
        share = left // rounds + (r < left % rounds)
        for k, fn in impls.items():
            gc.collect()
            fn()
            for _ in range(share):
                t0 = time.perf_counter()
                fn()
                best[k] = min(best[k], time.perf_counter() - t0)
    return best
