"""nn.functional: distances and normalization (see nn/functional/__init__.py).

Compositions of autograd ops, so gradients of every order come from the ops'.  The
cosine-embedding and triplet losses (nn/functional/loss.py) are built on these.
pdist gathers the row pairs (index_select) and takes autograd's norm of their
differences, whose gradient masks (0 at a zero distance, and for p < 1 at a zero
difference) are PyTorch's.
"""
from __future__ import annotations

from typing import Any

import numpy as np

import autograd as ag
from autograd import Tensor
from autograd.graph import ShapeError
from autograd.ops.index import index_select

__all__ = ["normalize", "cosine_similarity", "pairwise_distance", "pdist"]


def _broadcast_shape(op: str, **shapes: tuple) -> tuple:
    """The shape the named shapes broadcast to; ShapeError naming them if they don't."""
    try:
        return np.broadcast_shapes(*shapes.values())
    except ValueError:
        named = ", ".join(f"{k} {tuple(v)}" for k, v in shapes.items())
        raise ShapeError(f"{op}: shapes do not broadcast: {named}") from None


def _clamp_min_keeping_grad(x: Tensor, min: float) -> Tensor:
    """max(x, min) whose gradient is x's everywhere, clamped or not.  PyTorch clamps some
    denominators (cosine_similarity's norms, gaussian_nll_loss's var) in place under
    no_grad, so autograd never sees the clamp; adding the clamp's change as a constant
    does the same."""
    d = x.detach()
    return x + (ag.clamp(d, min=min) - d)


def normalize(input: Tensor, p: float = 2.0, dim: Any = 1, eps: float = 1e-12, *,
              axis: Any = None) -> Tensor:
    """Lp normalization along `dim` (an int or a tuple): v / max(||v||_p, eps), so a zero
    vector stays 0 (with gradient 1/eps, as in PyTorch)."""
    norm = ag.norm(input, p, dim if axis is None else axis, keepdim=True)
    return input / ag.clamp(norm, min=eps)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8, *,
                      axis: Any = None) -> Tensor:
    """Cosine of the angle between x1 and x2 along `dim` (after broadcasting them):
    sum((x1 / max(||x1||, eps)) (x2 / max(||x2||, eps))).

    Each vector is scaled by its norm before the product (PyTorch's form: the result
    stays in [-1, 1]); the norms are clamped outside autograd as PyTorch does, so the
    gradient reaches them even where clamped.  An integer operand takes the other's
    floating dtype; two integer operands raise RuntimeError, as in PyTorch."""
    op = "cosine_similarity"
    x1, x2 = (x if isinstance(x, Tensor) else ag.tensor(x) for x in (x1, x2))
    floats = [x.dtype for x in (x1, x2) if x.dtype.kind == "f"]
    if not floats:
        raise RuntimeError(f"{op}: expected a floating point input, got dtypes {x1.dtype} "
                           f"and {x2.dtype}")
    x1, x2 = (x if x.dtype.kind == "f" else x.to(floats[0]) for x in (x1, x2))
    shape = _broadcast_shape(op, x1=x1.shape, x2=x2.shape)
    # Broadcast first: `dim` counts the dims of the broadcast shape, as in PyTorch.
    x1, x2 = (x if x.shape == shape else x.broadcast_to(shape) for x in (x1, x2))
    dim = dim if axis is None else axis
    n1, n2 = (_clamp_min_keeping_grad(ag.norm(x, 2, dim, keepdim=True), eps) for x in (x1, x2))
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False, *, keepdims: Any = None) -> Tensor:
    """||x1 - x2 + eps||_p over the last dim (x1 and x2 broadcast).  PyTorch adds eps to
    the difference rather than clamping, which keeps the norm's gradient finite where
    x1 = x2."""
    _broadcast_shape("pairwise_distance", x1=np.shape(x1), x2=np.shape(x2))
    return ag.norm(x1 - x2 + eps, p, -1, keepdim=keepdim if keepdims is None else keepdims)


def pdist(input: Tensor, p: float = 2.0) -> Tensor:
    """The p-norm distances ||x_i - x_j||_p between every pair of rows i < j of input
    (N, M), in the order of the upper triangle read row by row: shape (N (N - 1) / 2,).
    p may be any value in [0, inf] (p = 0 counts the differing entries, p = inf takes
    the largest |difference|).  Gradients as PyTorch's: 0 at a zero distance; for
    p = inf each entry attaining the maximum gets the whole gradient (not a share)."""
    if not isinstance(input, Tensor):
        input = ag.tensor(input)
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D (shape "
                           f"{tuple(input.shape)})")
    if input.dtype.kind != "f":
        raise RuntimeError(f"pdist only supports floating-point dtypes, got {input.dtype}")
    if p < 0:
        raise RuntimeError(f"pdist only supports non-negative p values, got {p}")
    n, m = input.shape
    i, j = np.triu_indices(n, 1)
    diff = index_select(input, 0, i) - index_select(input, 0, j)
    if m == 0:   # (empty rows are at distance 0, for every p)
        return diff.sum(-1)
    if p != np.inf:
        return ag.norm(diff, p, -1)
    # max |d| whose gradient goes whole to every tied maximum (PyTorch's), where max
    # would split it: the constant max plus the (zero) excess of the tied entries.
    a = ag.abs(diff)
    top = a.data.max(-1, keepdims=True)
    return (ag.where(a.data == top, a - top, 0.0).sum(-1) + top[:, 0])
