"""autograd.linalg: PyTorch's torch.linalg, differentiable to any order.

    >>> import autograd as ag
    >>> A = ag.tensor([[4.0, 1.0], [1.0, 3.0]], requires_grad=True)
    >>> ag.linalg.det(A)                         # 11
    >>> L = ag.linalg.cholesky(A)                # A = L L^T
    >>> x = ag.linalg.solve(A, ag.tensor([1.0, 2.0]))
    >>> ag.linalg.eigvalsh(A).sum().backward()   # d trace / dA = I

The decompositions and solvers are ops of `autograd.ops.decomp` (NumPy's LAPACK forward,
backward in Tensor ops); the norms, cond, multi_dot and vecdot here are compositions of
ops.  Everything is batched over leading dims, in float32 and float64; a singular or
non-positive-definite matrix raises `LinAlgError` (a RuntimeError), as in PyTorch.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from .ops.decomp import (EighResult, LinAlgError, LstsqResult, QRResult, SlogdetResult,
                         SVDResult, check_float, check_matrix, check_same_dtype, det, eigh,
                         eigvalsh, inverse, linalg_cholesky, linalg_qr, linalg_svd, lstsq,
                         matrix_exp, matrix_power, matrix_rank, pinv, slogdet, solve,
                         solve_triangular, svdvals)
from .ops.elementwise import where
from .ops.linalg import cross as _cross
from .ops.linalg import matmul
from .ops.reduce import norm as _norm
from .ops.shape import diagonal as _diagonal
from .ops.shape import movedim, reshape, squeeze
from .ops._util import norm_axis
from .tensor import Tensor, wrap

__all__ = ["LinAlgError", "SlogdetResult", "QRResult", "EighResult", "SVDResult",
           "LstsqResult", "det", "slogdet", "inv", "solve", "solve_triangular", "cholesky",
           "lstsq", "pinv", "matrix_power", "matrix_exp", "qr", "eigh", "eigvalsh", "svd",
           "svdvals", "vector_norm", "matrix_norm", "norm", "cond", "matrix_rank",
           "multi_dot", "vecdot", "cross", "matmul", "diagonal"]

# torch.linalg's names for the ops whose top-level forms differ (or are deprecated)
inv = inverse
cholesky = linalg_cholesky
qr = linalg_qr
svd = linalg_svd


# ---- norms ------------------------------------------------------------------------------

def vector_norm(x: Tensor, ord: float = 2, dim: Any = None, keepdim: bool = False, *,
                dtype: Any = None) -> Tensor:
    """(sum |x|^ord)^(1/ord) over `dim` (all elements when None): ord inf (max |x|),
    -inf (min |x|), 0 (count of non-zeros) or any float; gradient 0 at the zero vector."""
    op = "linalg.vector_norm"
    if isinstance(ord, str) or not isinstance(ord, (int, float, np.number)):
        raise TypeError(f"{op}: argument 'ord' must be Number, not {type(ord).__name__}")
    if x.dtype.kind not in "fc" and dtype is None:
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. "
                           f"Got {x.dtype}")
    if math.isinf(ord) and x.numel() == 0:
        raise RuntimeError(f"{op} cannot compute the {ord} norm on an empty tensor because "
                           f"the operation does not have an identity")
    if dim is not None and not isinstance(dim, int) and len(dim) == 0:
        dim = None   # (PyTorch: dim=() is every dim)
    return _norm(x, ord, dim, keepdim, dtype=dtype)


_MATRIX_ORDS = ("fro", "nuc", 2, -2, 1, -1, math.inf, -math.inf)


def _two_dims(op: str, A: Tensor, dim: Any) -> tuple:
    if isinstance(dim, (int, np.integer)) or len(dim) != 2:
        raise RuntimeError(f"{op}: dim must be a 2-tuple. Got {dim}")
    d0, d1 = (norm_axis(op, d, A.ndim) for d in dim)
    if d0 == d1:
        raise RuntimeError(f"{op}: dims must be different. Got ({dim[0]}, {dim[1]})")
    return d0, d1


def matrix_norm(A: Tensor, ord: Any = "fro", dim: Sequence[int] = (-2, -1),
                keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """The matrix norm over the two dims `dim`: 'fro' (Frobenius), 'nuc' (sum of the
    singular values), 2 / -2 (largest / smallest singular value), 1 / -1 (max / min
    column sum of |A|), inf / -inf (max / min row sum of |A|)."""
    op = "linalg.matrix_norm"
    if A.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    if dtype is not None:
        A = A.to(dtype)
    check_float(op, A)
    d0, d1 = _two_dims(op, A, dim)
    if ord not in _MATRIX_ORDS:
        raise RuntimeError(f"{op}: Order {ord} not supported.")
    if ord == "fro":
        return _norm(A, 2, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        s = svdvals(movedim(A, (d0, d1), (-2, -1)))
        out = (s.sum(-1) if ord == "nuc" or not s.shape[-1]
               else s.amax(-1) if ord == 2 else s.amin(-1))
        if keepdim:
            for d in sorted((d0, d1)):
                out = out.unsqueeze(d)
        return out
    sum_dim, max_dim = (d0, d1) if ord in (1, -1) else (d1, d0)
    sums = abs(A).sum(sum_dim, keepdim=True)
    out = sums.amax(max_dim, keepdim=True) if ord > 0 else sums.amin(max_dim, keepdim=True)
    return out if keepdim else squeeze(out, (d0, d1))


def norm(A: Tensor, ord: Any = None, dim: Any = None, keepdim: bool = False, *,
         dtype: Any = None) -> Tensor:
    """A vector norm (`dim` an int or one dim, or None with a 1-D input or no `ord`) or
    a matrix norm (`dim` two dims, or None with a 2-D input and an `ord`)."""
    op = "linalg.norm"
    if dim is not None:
        dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
        if len(dims) == 1:
            return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)
        if len(dims) == 2:
            return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)
        raise RuntimeError(f"{op}: If dim is specified, it must be of length 1 or 2. Got "
                           f"{list(dims)}")
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if A.ndim not in (1, 2):
        raise RuntimeError(f"{op}: If dim is not specified but ord is, the input must be 1D "
                           f"or 2D. Got {A.ndim}D.")
    if A.ndim == 2 or isinstance(ord, str):
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    return vector_norm(A, ord, None, keepdim, dtype=dtype)


def _singular(a: np.ndarray) -> np.ndarray:
    """Which matrices of the batch LAPACK cannot invert (a loop, for the error path)."""
    flat = a.reshape((-1,) + a.shape[-2:])
    bad = np.zeros(len(flat), dtype=bool)
    for i, m in enumerate(flat):
        try:
            np.linalg.inv(m)
        except np.linalg.LinAlgError:
            bad[i] = True
    return bad.reshape(a.shape[:-2])


def cond(A: Tensor, p: Any = None) -> Tensor:
    """The condition number ||A||_p ||A^-1||_p: for p None or 2 (-2) through the
    singular values, s_max / s_min (s_min / s_max), for rectangular A too; for 'fro',
    'nuc', 1, -1, inf, -inf from the norms of A and its inverse, inf for a singular A."""
    op = "linalg.cond"
    if p is not None and p not in _MATRIX_ORDS:
        raise RuntimeError(f"{op} got an invalid norm type: {p}")
    check_matrix(op, A, square=p not in (None, 2, -2))
    if not A.numel():   # (PyTorch: 0 for empty matrices)
        return wrap(np.zeros(tuple(A.shape[:-2]), dtype=A.dtype))
    if p in (None, 2, -2):
        s = svdvals(A)
        big, small = s[..., 0], s[..., -1]
        return big / small if p != -2 else small / big
    singular = _singular(A.data)
    if not singular.any():
        return matrix_norm(A, p) * matrix_norm(inv(A), p)
    mask = singular[..., None, None]
    safe = where(mask, np.eye(A.shape[-1], dtype=A.dtype), A)
    return where(singular, np.array(np.inf, dtype=A.dtype),
                 matrix_norm(safe, p) * matrix_norm(inv(safe), p))


# ---- products ---------------------------------------------------------------------------

def _chain_order(sizes: list) -> list:
    """split[i][j]: where the cheapest product of matrices i..j splits (the classic
    dynamic program over the chain's sizes)."""
    n = len(sizes) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j], split[i][j] = min(
                (cost[i][k] + cost[k + 1][j] + sizes[i] * sizes[k + 1] * sizes[j + 1], k)
                for k in range(i, j))
    return split


def multi_dot(tensors: Sequence[Tensor]) -> Tensor:
    """The product of a chain of matrices in the cheapest order; the first may be a row
    vector and the last a column vector (1-D), whose dims the result then drops."""
    op = "multi_dot()"
    ts = list(tensors)
    if len(ts) < 2:
        raise RuntimeError(f"{op}: expected at least 2 tensors but got {len(ts)}")
    for i, t in enumerate(ts):
        end = "the first tensor" if i == 0 else "the last tensor" if i == len(ts) - 1 else None
        if end is not None and t.ndim not in (1, 2):
            raise RuntimeError(f"{op}: {end} must be 1D or 2D but got {t.ndim}D")
        if end is None and t.ndim != 2:
            raise RuntimeError(f"{op}: tensor {i} must be 2D but got {t.ndim}D")
        if t.dtype != ts[0].dtype:
            raise RuntimeError(f"{op}: all tensors must have the same dtype but tensor 0 is "
                               f"{ts[0].dtype} and tensor {i} {t.dtype}")
    row, col = ts[0].ndim == 1, ts[-1].ndim == 1
    if row:
        ts[0] = ts[0].unsqueeze(0)
    if col:
        ts[-1] = ts[-1].unsqueeze(-1)
    for i in range(len(ts) - 1):
        if ts[i].shape[1] != ts[i + 1].shape[0]:
            raise RuntimeError(f"{op}: tensors {i} and {i + 1} with shapes "
                               f"{list(tensors[i].shape)} and {list(tensors[i + 1].shape)} "
                               f"cannot be multiplied")
    split = _chain_order([t.shape[0] for t in ts] + [ts[-1].shape[1]])

    def product(i: int, j: int) -> Tensor:
        if i == j:
            return ts[i]
        k = split[i][j]
        return product(i, k) @ product(k + 1, j)

    out = product(0, len(ts) - 1)
    return reshape(out, tuple(out.shape[1 if row else 0:len(out.shape) - (1 if col else 0)]))


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """sum(x * y) along `dim`, the other dims broadcast (real inputs: no conjugation)."""
    op = "linalg.vecdot"
    check_float(op, x)
    check_same_dtype(op, x, y, "x and y")
    return (x * y).sum(dim)


def cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    """Cross products of the 3-vectors along `dim` (default the last), the other dims
    broadcast."""
    return _cross(input, other, dim=dim)


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """The diagonal `offset` of each matrix (dims `dim1`, `dim2`, by default the last two)."""
    return _diagonal(A, offset, dim1, dim2)

