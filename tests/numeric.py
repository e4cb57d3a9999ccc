"""Helpers for gradient tests: scalar projections of an op, so that one gradcheck of a
scalar compares a whole vector-Jacobian (or Hessian-vector) product with finite
differences element by element, at the cost of finite differences alone; and checks
against PyTorch (gradients, exception types)."""
from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np
import pytest

import autograd as ag


def as_tuple(out):
    return out if isinstance(out, tuple) else (out,)


def _dot(ts, vs):
    """sum_k <t_k, v_k> over the tensors that exist (a float64 0 when none does)."""
    total = ag.tensor(0.0, dtype=ag.float64)
    for t, v in zip(ts, vs):
        if t is not None:
            total = total + (t * ag.tensor(v, dtype=t.dtype)).sum()
    return total


def projected(fn: Callable, cotangents: list) -> Callable:
    """x -> sum_k <fn(x)_k, u_k>: a scalar whose gradient is the vector-Jacobian product."""
    return lambda *xs: _dot(as_tuple(fn(*xs)), cotangents)


def grad_dot(scalar: Callable, vs: list) -> Callable:
    """x -> <grad scalar(x), v>, recorded: its gradient is the Hessian-vector product."""
    def h(*xs):
        gs = ag.grad(scalar(*xs), xs, allow_unused=True, create_graph=True)
        return _dot(gs, vs)
    return h


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


def assert_grads_match_torch(pairs, model, torch_model, atol: float = 1e-12) -> None:
    """Each (our tensor, PyTorch tensor) pair, and every parameter of `model` and its
    same-named one in `torch_model`, carry the same .grad."""
    for a, b in pairs:
        np.testing.assert_allclose(a.grad.data, b.grad.numpy(), atol=atol)
    theirs = dict(torch_model.named_parameters())
    for n, p in model.named_parameters():
        np.testing.assert_allclose(p.grad.data, theirs[n].grad.numpy(), atol=atol, err_msg=n)


def assert_raises_like_torch(exc: type, match: str, ours: Callable[[], Any],
                             theirs: Callable[[Any], Any], exact: bool = False) -> None:
    """`ours()` raises `exc` with a message matching `match` and, where PyTorch is
    installed, `theirs(torch)` raises `exc` too (its warnings silenced); `exact`: both
    raise that very type, not a subclass."""
    with pytest.raises(exc, match=match) as info:
        ours()
    assert not exact or type(info.value) is exc
    try:
        import torch
    except ImportError:
        return
    with pytest.raises(exc) as info, warnings.catch_warnings():
        warnings.simplefilter("ignore")   # (e.g. PyTorch's warning about a broadcast target)
        theirs(torch)
    assert not exact or type(info.value) is exc
