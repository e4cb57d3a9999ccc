"""Finite-difference reference used by the generic op tests (float64, central differences)."""
from __future__ import annotations

from typing import Callable

import numpy as np

import autograd as ag


def as_tuple(out):
    return out if isinstance(out, tuple) else (out,)


def projected(fn: Callable, cotangents: list) -> Callable:
    """x -> sum_k <fn(x)_k, u_k>: a scalar whose gradient is the vector-Jacobian product."""
    def scalar(*xs):
        outs = as_tuple(fn(*xs))
        total = None
        for o, u in zip(outs, cotangents):
            term = (o * ag.tensor(u, dtype=o.dtype)).sum()
            total = term if total is None else total + term
        return total
    return scalar


def numeric_grad(scalar: Callable, arrays: list, eps: float = 1e-6) -> list:
    """Central differences of a scalar function of float64 arrays."""
    grads = []
    for i, a in enumerate(arrays):
        g = np.zeros_like(a)
        flat = g.reshape(-1)
        for j in range(a.size):
            def at(delta):
                xs = [b.copy() for b in arrays]
                xs[i].reshape(-1)[j] += delta
                with ag.no_grad():
                    return scalar(*[ag.tensor(x, dtype=ag.float64) for x in xs]).item()
            flat[j] = (at(eps) - at(-eps)) / (2 * eps)
        grads.append(g)
    return grads


def analytic_grad(scalar: Callable, arrays: list, create_graph: bool = False):
    xs = [ag.tensor(a, dtype=ag.float64, requires_grad=True) for a in arrays]
    out = scalar(*xs)
    grads = ag.grad(out, xs, allow_unused=True, create_graph=create_graph)
    return xs, [np.zeros_like(a) if g is None else g for g in grads]
