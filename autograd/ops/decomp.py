"""Matrix decompositions and solvers: det, slogdet, inv, solve, solve_triangular,
cholesky, cholesky_solve, pinv, matrix_exp, qr, eigh and svd (the differentiable core of
`autograd.linalg`), plus the top-level names PyTorch also has (det, inverse, logdet,
cholesky, qr, svd, pinverse, matrix_power, ...).

Every op is batched over leading dims and computes with NumPy's LAPACK routines; its
backward is written with Tensor ops, mostly the ops of this module (solve's gradient is
a solve, inv's a product with the saved inverse, matrix_exp's a matrix_exp of a block
matrix), so gradients of any order follow.  The gradient formulas are PyTorch's
(FunctionsManual.cpp), degenerate cases included: at repeated eigenvalues or singular
values the gradients of the vectors divide by zero (inf/nan), det's gradient at a
singular matrix is the adjugate (through the SVD).  Decompositions with several outputs
keep them for backward (`_Decomposition`), as PyTorch saves them.

One deliberate difference: an op that reads one triangle of a matrix (cholesky, eigh,
pinv with hermitian=True, the factor of cholesky_solve) returns the derivative of what
it reads, so the entries it ignores get 0.  PyTorch returns its symmetric gradient S
(dense for cholesky_solve's factor); ours is S folded onto the triangle read,
tril(S + S^T) - diag(S) (`_fold`).  The two agree on every symmetric perturbation, so
the gradients of anything that builds the matrix symmetrically (X X^T, (B + B^T) / 2)
are PyTorch's exactly; and ours matches finite differences of the forward, node by node.
"""
from __future__ import annotations

import warnings
from collections import namedtuple
from typing import Any, Callable

import numpy as np

from ..grad_mode import STATE
from ..graph import Op, ShapeError, _modified_error, apply, register
from ..tensor import Tensor, wrap
from .convert import clone
from .elementwise import where
from .linalg import _as_tensor
from .reduce import cumprod
from .shape import cat, diag_embed, flip, reshape, sum_to, tril, triu, unsqueeze

SlogdetResult = namedtuple("SlogdetResult", ["sign", "logabsdet"])
QRResult = namedtuple("QRResult", ["Q", "R"])
EighResult = namedtuple("EighResult", ["eigenvalues", "eigenvectors"])
SVDResult = namedtuple("SVDResult", ["U", "S", "Vh"])     # linalg.svd
SvdResult = namedtuple("SvdResult", ["U", "S", "V"])      # torch.svd's older convention
LstsqResult = namedtuple("LstsqResult", ["solution", "residuals", "rank", "singular_values"])


class LinAlgError(RuntimeError):
    """A matrix the operation cannot handle (singular, not positive-definite, no
    convergence): PyTorch's torch.linalg.LinAlgError, a RuntimeError."""


# ---- argument checks (PyTorch's wording) ---------------------------------------------

def check_matrix(op: str, A: Any, name: str = "A", square: bool = True) -> Tensor:
    """`A` as a batch of float32/float64 matrices (square ones if `square`), else the
    error PyTorch raises."""
    if not isinstance(A, Tensor):
        raise TypeError(f"{op}: expected a Tensor as {name}, got {type(A).__name__}")
    if A.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor {name} must have at least 2 dimensions.")
    check_float(op, A)
    if square and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{op}: {name} must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    return A


def check_float(op: str, A: Tensor) -> None:
    """float32 or float64: LAPACK has no float16 (PyTorch's message), and complex inputs
    are not supported here."""
    kind = A.dtype.kind
    if kind not in "fc":
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. "
                           f"Got {A.dtype}")
    if A.dtype == np.float16:
        raise RuntimeError(f"{op}: Low precision dtypes not supported. Got {A.dtype}")
    if kind == "c":
        raise NotImplementedError(f"{op}: complex tensors are not supported")


def check_same_dtype(op: str, A: Tensor, B: Tensor, names: str = "A and B") -> None:
    """A and B of one dtype (the solvers do not promote, as in PyTorch)."""
    if A.dtype != B.dtype:
        a, b = names.split(" and ")
        raise RuntimeError(f"{op}: Expected {names} to have the same dtype, but found {a} of "
                           f"type {A.dtype} and {b} of type {B.dtype} instead")


def is_vector_rhs(A: Tensor, B: Tensor) -> bool:
    """PyTorch's rule for a vector right-hand side: B is 1-D, or has A's batch shape
    with one vector per matrix."""
    return B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))


def broadcast_batch(op: str, A: Tensor, B: Tensor) -> tuple:
    """The broadcast batch shape of A and B (their dims before the last two)."""
    try:
        return np.broadcast_shapes(A.shape[:-2], B.shape[:-2])
    except ValueError:
        raise ShapeError(f"{op}: the batch dimensions of A {tuple(A.shape)} and B "
                         f"{tuple(B.shape)} do not broadcast") from None


# ---- LAPACK failures as PyTorch reports them -------------------------------------------

def _lapack(op: str, fn: Callable, a: np.ndarray, *args: Any,
            why: Callable[[np.ndarray], str], **kwargs: Any) -> Any:
    """fn(a, *args), a NumPy failure raised as LinAlgError naming the op, the batch
    element at fault and the reason `why(its matrix)`, as PyTorch words it."""
    try:
        return fn(a, *args, **kwargs)
    except np.linalg.LinAlgError:
        pass
    arrays = (a,) + args
    batch = np.broadcast_shapes(*(x.shape[:-2] for x in arrays))
    flat = [np.broadcast_to(x, batch + x.shape[-2:]).reshape((-1,) + x.shape[-2:])
            for x in arrays]
    bad = 0
    for i in range(flat[0].shape[0]):   # (the error path only: the first failing matrix)
        try:
            fn(*(x[i] for x in flat), **kwargs)
        except np.linalg.LinAlgError:
            bad = i
            break
    where_ = f"(Batch element {bad}): " if batch else ""
    raise LinAlgError(f"{op}: {where_}{why(flat[0][bad])}")


def _zero_pivot(m: np.ndarray) -> int:
    """The 1-based index of the first zero pivot of m's LU factorization with partial
    pivoting (what LAPACK's getrf reports), 0 if there is none."""
    u = np.array(m, dtype=np.float64)
    for j in range(u.shape[0]):
        p = j + int(np.argmax(np.abs(u[j:, j])))
        if u[p, j] == 0:
            return j + 1
        u[[j, p]] = u[[p, j]]
        u[j + 1:, j:] -= np.outer(u[j + 1:, j] / u[j, j], u[j, j:])
    return 0


def _singular_inv(m: np.ndarray) -> str:
    k = _zero_pivot(m)
    elem = f"The diagonal element {k} is zero, the" if k else "The"
    return f"{elem} inversion could not be completed because the input matrix is singular."


def _singular_solve(m: np.ndarray) -> str:
    return "The solver failed because the input matrix is singular."


def _not_positive_definite(m: np.ndarray) -> str:
    k = next((k for k in range(1, m.shape[0] + 1)
              if not _cholesky_ok(m[:k, :k])), m.shape[0])
    return (f"The factorization could not be completed because the input is not "
            f"positive-definite (the leading minor of order {k} is not positive-definite).")


def _cholesky_ok(m: np.ndarray) -> bool:
    try:
        np.linalg.cholesky(m)
        return True
    except np.linalg.LinAlgError:
        return False


def _no_convergence(what: str) -> Callable[[np.ndarray], str]:
    def why(m: np.ndarray) -> str:
        if not np.isfinite(m).all():
            return ("The algorithm failed to converge because the input matrix contained "
                    "non-finite values.")
        return (f"The algorithm failed to converge because the input matrix is "
                f"ill-conditioned or has too many repeated {what}.")
    return why


# ---- small Tensor helpers for the backward formulas -----------------------------------

def _eye_like(a: Any) -> np.ndarray:
    """The identity matrix of a's size (its last dim) and dtype."""
    return np.eye(a.shape[-1], dtype=a.dtype)


def _bmat(v: Tensor, shape: tuple) -> Tensor:
    """A batch of scalars `v` as (..., 1, 1), to scale matrices."""
    return reshape(v, tuple(shape) + (1, 1))


def _skew(x: Tensor) -> Tensor:
    return x - x.mT


def _fold(g: Tensor, upper: bool) -> Tensor:
    """The gradient g of a function of the symmetric matrix made from A's lower (upper)
    triangle, as a gradient w.r.t. A: g_ij + g_ji below (above) the diagonal, g_ii on it,
    0 on the other side (which the function never reads)."""
    return (triu if upper else tril)(g + g.mT) - diag_embed(g.diagonal(0, -2, -1))


def _prod_others(s: Tensor) -> Tensor:
    """Along the last dim, the product of all the other elements (zeros allowed):
    exclusive running products from both ends (PyTorch's prod_safe_zeros_backward)."""
    one = wrap(np.ones(tuple(s.shape[:-1]) + (1,), dtype=s.dtype))
    before = cumprod(cat([one, s[..., :-1]], -1), -1)
    after = flip(cumprod(flip(cat([s[..., 1:], one], -1), -1), -1), -1)
    return before * after


class _Decomposition(Op):
    """An op with several outputs that its backward needs (eigh's L and V, ...):
    forward keeps their arrays with `save` (freed with the graph, like PyTorch's saved
    outputs) and `outputs()` gives them back as outputs of this node, so the backward is
    differentiable again; the public functions record the outputs' version counters
    (`_keep_versions`), so a backward after an in-place change of one raises."""
    save_inputs = False
    _out_vcs: tuple = ()

    def outputs(self) -> list:
        """The saved outputs as tensors of this node (plain ones when not recording)."""
        arrays = self.extra
        for i, vc in enumerate(self._out_vcs):
            if vc[1] > self._epoch:
                t = wrap(arrays[i])
                t._vc = vc
                raise _modified_error(self, t, f"output {i}")
        if not STATE.enabled:
            return [wrap(a) for a in arrays]
        outs = []
        for i, a in enumerate(arrays):
            t = wrap(a, self)
            t._out_idx = i
            outs.append(t)
        return outs


def _keep_versions(outs: tuple) -> tuple:
    """Have the node that made `outs` remember their version counters."""
    node = outs[0].grad_fn
    if node is not None:
        node._out_vcs = tuple(o._version_counter() for o in outs)
    return outs


# ---- determinants -----------------------------------------------------------------------

class Det(Op):
    """det(A).  d det = det(A) tr(A^-1 dA), so gA = g det(A) A^-T; where |det| < 100 eps
    (singular or nearly) the adjugate comes from the SVD instead,
    gA = g det(U) det(Vh) U diag(prod_{j != i} s_j) Vh, which needs no inverse."""
    name = "Det"
    save_output = True

    @staticmethod
    def forward(ctx, a):
        return np.linalg.det(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.inputs
        if not a._data.size:
            return wrap(np.zeros(a.shape, dtype=a.dtype))
        det = ctx.output
        singular = np.abs(det.data) < 100 * np.finfo(a.dtype).eps
        if not singular.any():
            return _det_grad(a, g, det)
        if singular.all():
            return _det_grad_singular(a, g)
        # (each formula on its own matrices; the others get harmless stand-ins, so
        # neither branch puts inf or nan into the other's gradient)
        mask = np.reshape(singular, singular.shape + (1, 1))
        spread = np.diag(np.arange(1, a.shape[-1] + 1)).astype(a.dtype)   # distinct s
        return where(mask, _det_grad_singular(where(mask, a, spread), g),
                     _det_grad(where(mask, _eye_like(a), a), g, det))


def _det_grad(a: Tensor, g: Tensor, det: Tensor) -> Tensor:
    return _bmat(g * det, det.shape) * inverse(a).mT


def _det_grad_singular(a: Tensor, g: Tensor) -> Tensor:
    u, s, vh = apply(Svd, a, full_matrices=False)
    alpha = apply(Det, u) * apply(Det, vh) * g
    d = _prod_others(s) * unsqueeze(alpha, -1)
    return (u * unsqueeze(d, -2)) @ vh


@register("det")
def det(A: Tensor) -> Tensor:
    """The determinant of each matrix in the last two dims (batched)."""
    return apply(Det, check_matrix("linalg.det", A))


class Slogdet(_Decomposition):
    """(sign, log|det A|).  g_logabsdet A^-T is the gradient (sign has none); at a
    singular matrix (log|det| = -inf) there is none, and backward raises."""
    name = "Slogdet"
    save_inputs = True

    @staticmethod
    def forward(ctx, a):
        sign, logabs = np.linalg.slogdet(a)
        ctx.save(sign, logabs)
        return sign, logabs

    @staticmethod
    def backward(ctx, g_sign, g_logabs):
        if g_logabs is None:
            return None
        (a,) = ctx.inputs
        sign = ctx.outputs()[0].data
        if not np.all(sign != 0):
            raise LinAlgError(f"linalg.slogdet: cannot differentiate log|det| at a singular "
                              f"matrix (input shape {tuple(a.shape)}), where it is -inf")
        return _bmat(g_logabs, g_logabs.shape) * inverse(a).mT


@register("slogdet")
def slogdet(A: Tensor) -> SlogdetResult:
    """(sign, logabsdet) of det(A): det = sign * exp(logabsdet), (0, -inf) for a singular
    matrix; accurate where det itself would under- or overflow."""
    return SlogdetResult(*_keep_versions(apply(Slogdet, check_matrix("linalg.slogdet", A))))


@register("logdet")
def logdet(A: Tensor) -> Tensor:
    """log(det(A)): nan where det < 0, -inf where det = 0 (as in PyTorch)."""
    sign, logabs = slogdet(check_matrix("logdet", A))
    return where(sign.data < 0, np.array(np.nan, dtype=logabs.dtype), logabs)


# ---- inverse and solvers ------------------------------------------------------------------

class Inv(Op):
    """A^-1.  d(A^-1) = -A^-1 dA A^-1, so gA = -A^-T g A^-T (from the saved inverse, so
    the backward is differentiable again)."""
    name = "Inv"
    save_inputs = False
    save_output = True

    @staticmethod
    def forward(ctx, a):
        return _lapack("linalg.inv", np.linalg.inv, a, why=_singular_inv)

    @staticmethod
    def backward(ctx, g):
        inv_t = ctx.output.mT
        return -(inv_t @ g @ inv_t)


@register("inverse")
def inverse(A: Tensor) -> Tensor:
    """The inverse of each square matrix; a singular one raises LinAlgError."""
    return apply(Inv, check_matrix("linalg.inv", A))


def _solve_arrays(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # Both broadcast to full batch dims first: NumPy < 2 reads a b with one dim less
    # than a as a stack of vectors.
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    return np.linalg.solve(np.broadcast_to(a, batch + a.shape[-2:]),
                           np.broadcast_to(b, batch + b.shape[-2:]))


class Solve(Op):
    """X = A^-1 B for B of shape (..., n, k), batch dims broadcast.  gB = A^-T g (a solve
    again), gA = -gB X^T, each summed over the dims it was broadcast along."""
    name = "Solve"
    save_output = True

    @staticmethod
    def forward(ctx, a, b):
        return _lapack("linalg.solve", _solve_arrays, a, b, why=_singular_solve)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        need_a, need_b = ctx.needs_input_grad
        gb = apply(Solve, a.mT, g)
        ga = sum_to(-(gb @ ctx.output.mT), tuple(a.shape)) if need_a else None
        return ga, (sum_to(gb, tuple(b.shape)) if need_b else None)


def solve(A: Tensor, B: Any, *, left: bool = True) -> Tensor:
    """The solution X of A X = B (X A = B when not `left`) for square A; B is a batch
    of matrices, or of vectors (1-D, or A's batch shape and one vector per matrix).
    Batch dims broadcast; a singular A raises LinAlgError."""
    op = "linalg.solve"
    check_matrix(op, A)
    B = _as_tensor(B)
    if B.ndim == 0:
        raise RuntimeError(f"{op}: The input tensor B must have at least 2 dimensions.")
    check_same_dtype(op, A, B)
    vector = is_vector_rhs(A, B)
    B2 = unsqueeze(B, -1) if vector else B
    n = A.shape[-1]
    if (B2.shape[-2] if left else B2.shape[-1]) != n:
        eq = "AX = B" if left else "XA = B"
        raise ShapeError(f"{op}: Incompatible shapes of A and B for the equation {eq} "
                         f"({n}x{n} and {B2.shape[-2]}x{B2.shape[-1]})")
    broadcast_batch(op, A, B2)
    X = apply(Solve, A, B2) if left else apply(Solve, A.mT, B2.mT).mT
    return X[..., 0] if vector else X


def _triangular(a: np.ndarray, upper: bool, unit: bool) -> np.ndarray:
    t = np.triu(a) if upper else np.tril(a)
    if unit:
        i = np.arange(a.shape[-1])
        t[..., i, i] = 1
    return t


def _substitute(t: np.ndarray, b: np.ndarray, upper: bool) -> np.ndarray:
    """Back (upper) or forward substitution, giving inf/nan at zero diagonal elements
    as LAPACK's trsm does, for the singular triangular systems LU refuses."""
    batch = np.broadcast_shapes(t.shape[:-2], b.shape[:-2])
    t = np.broadcast_to(t, batch + t.shape[-2:])
    x = np.zeros(batch + b.shape[-2:], dtype=np.result_type(t, b))
    n = t.shape[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        for i in (range(n - 1, -1, -1) if upper else range(n)):   # (a loop over rows)
            r = b[..., i, :] - np.einsum("...j,...jk->...k", t[..., i, :], x)
            x[..., i, :] = r / t[..., i, i, None]
    return x


def _solve_triangular(a: np.ndarray, b: np.ndarray, upper: bool, left: bool,
                      unit: bool) -> np.ndarray:
    t = _triangular(a, upper, unit)
    if not left:   # X A = B  <=>  A^T X^T = B^T, A^T of the other triangle
        t, b, upper = t.swapaxes(-1, -2), b.swapaxes(-1, -2), not upper
    try:
        x = _solve_arrays(t, b)
    except np.linalg.LinAlgError:
        x = _substitute(t, b, upper)
    return x if left else x.swapaxes(-1, -2)


class SolveTriangular(Op):
    """X with A X = B (X A = B when not `left`), reading only A's upper or lower triangle
    (and taking its diagonal as ones when `unitriangular`).  gB = A^-T g (a triangular
    solve with the other triangle), gA = -gB X^T (left) or -X^T gB, projected onto the
    triangle that was read."""
    name = "SolveTriangular"
    save_output = True

    @staticmethod
    def forward(ctx, a, b, upper, left, unitriangular):
        ctx.how = (upper, left, unitriangular)
        return _solve_triangular(a, b, upper, left, unitriangular)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        upper, left, unit = ctx.how
        need_a, need_b = ctx.needs_input_grad
        gb = apply(SolveTriangular, a.mT, g, upper=not upper, left=left,
                   unitriangular=unit)
        ga = None
        if need_a:
            x_t = ctx.output.mT
            ga = -(gb @ x_t) if left else -(x_t @ gb)
            ga = sum_to(triu(ga, int(unit)) if upper else tril(ga, -int(unit)),
                        tuple(a.shape))
        return ga, (sum_to(gb, tuple(b.shape)) if need_b else None)


def solve_triangular(A: Tensor, B: Tensor, *, upper: bool, left: bool = True,
                     unitriangular: bool = False) -> Tensor:
    """The solution X of A X = B (X A = B when not `left`) for triangular A: only its
    upper (`upper`) or lower triangle is read, its diagonal taken as ones if
    `unitriangular`.  Batch dims broadcast; a zero on the diagonal gives inf/nan, as
    in PyTorch (no error)."""
    op = "linalg.solve_triangular"
    check_matrix(op, A)
    B = _as_tensor(B)
    if B.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor B must have at least 2 dimensions.")
    check_same_dtype(op, A, B)
    n = A.shape[-1]
    if (B.shape[-2] if left else B.shape[-1]) != n:
        eq = "AX = B" if left else "XA = B"
        raise ShapeError(f"{op}: Incompatible shapes of A and B for the equation {eq} "
                         f"({n}x{n} and {B.shape[-2]}x{B.shape[-1]})")
    broadcast_batch(op, A, B)
    return apply(SolveTriangular, A, B, upper=bool(upper), left=bool(left),
                 unitriangular=bool(unitriangular))


# ---- Cholesky -------------------------------------------------------------------------------

class Cholesky(Op):
    """L with A = L L^T (U = L^T with A = U^T U when `upper`), reading A's lower (upper)
    triangle.  PyTorch's symmetric gradient, with P = tril(L^T gL),
    S = L^-T (P + tril(P, -1)^T) / 2 L^-1 (two triangular solves), folded onto that
    triangle (`_fold`)."""
    name = "Cholesky"
    save_inputs = False
    save_output = True

    @staticmethod
    def forward(ctx, a, upper):
        ctx.upper = upper
        # (the upper factor as the transposed lower one of A^T: NumPy < 2 has no `upper`)
        l = _lapack("linalg.cholesky", np.linalg.cholesky, a.swapaxes(-1, -2) if upper else a,
                    why=_not_positive_definite)
        return l.swapaxes(-1, -2) if upper else l

    @staticmethod
    def backward(ctx, g):
        L = ctx.output
        if ctx.upper:
            L, g = L.mT, g.mT
        p = tril(L.mT @ g)
        p = 0.5 * (p + tril(p, -1).mT)
        ga = solve_triangular(L.mT, p, upper=True)
        return _fold(solve_triangular(L, ga, upper=False, left=False), ctx.upper)


def linalg_cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """The Cholesky factor L (A = L L^T) of symmetric positive-definite matrices, or
    U = L^T when `upper`; only A's lower (upper) triangle is read.  A matrix that is not
    positive-definite raises LinAlgError."""
    return apply(Cholesky, check_matrix("linalg.cholesky", A), upper=bool(upper))


@register("cholesky")
def cholesky(input: Tensor, upper: bool = False) -> Tensor:
    """Deprecated in PyTorch (and warns, as there) for `autograd.linalg.cholesky`: the
    Cholesky factor L, or U = L^T when `upper`."""
    warnings.warn("cholesky is deprecated in favor of linalg.cholesky (as in PyTorch): "
                  "L = cholesky(A) is linalg.cholesky(A), and cholesky(A, upper=True) is "
                  "linalg.cholesky(A).mT", UserWarning, stacklevel=2)
    return linalg_cholesky(input, upper=upper)


class CholeskySolve(Op):
    """X = (L L^T)^-1 B from the Cholesky factor L (or U with U^T U), reading only its
    triangle.  PyTorch's gradient: gB = (L L^T)^-1 g, gL = -(C L) with
    C = gB X^T + X gB^T (-(U C) for an upper factor), here restricted to the triangle
    read (PyTorch's is dense)."""
    name = "CholeskySolve"
    save_output = True

    @staticmethod
    def forward(ctx, b, l, upper):
        ctx.upper = upper
        if upper:   # A = U^T U: solve U^T Y = B, then U X = Y
            y = _solve_triangular(l.swapaxes(-1, -2), b, False, True, False)
            return _solve_triangular(l, y, True, True, False)
        y = _solve_triangular(l, b, False, True, False)
        return _solve_triangular(l.swapaxes(-1, -2), y, True, True, False)

    @staticmethod
    def backward(ctx, g):
        b, l = ctx.inputs
        need_b, need_l = ctx.needs_input_grad
        gb = apply(CholeskySolve, g, l, upper=ctx.upper)
        gl = None
        if need_l:
            c = gb @ ctx.output.mT
            c = c + c.mT
            gl = (-triu(triu(l) @ c) if ctx.upper else -tril(c @ tril(l)))
            gl = sum_to(gl, tuple(l.shape))
        return (sum_to(gb, tuple(b.shape)) if need_b else None), gl


@register("cholesky_solve")
def cholesky_solve(input: Tensor, input2: Tensor, upper: bool = False) -> Tensor:
    """The solution X of A X = B from A's Cholesky factor: ``cholesky_solve(B, L)`` with
    A = L L^T (A = U^T U when `upper`); batch dims broadcast."""
    B, L = input, _as_tensor(input2)
    if B.ndim < 2:
        raise RuntimeError(f"cholesky_solve: b should have at least 2 dimensions, but has "
                           f"{B.ndim} dimensions instead")
    check_matrix("cholesky_solve", L)
    check_float("cholesky_solve", B)
    check_same_dtype("cholesky_solve", B, L, "b and A")
    n = L.shape[-1]
    if B.shape[-2] != n:
        raise ShapeError(f"cholesky_solve: Incompatible matrix sizes for cholesky_solve: each "
                         f"A matrix is {n} by {n} but each b matrix is {B.shape[-2]} by "
                         f"{B.shape[-1]}")
    broadcast_batch("cholesky_solve", L, B)
    return apply(CholeskySolve, B, L, upper=bool(upper))


@register("cholesky_inverse")
def cholesky_inverse(input: Tensor, upper: bool = False) -> Tensor:
    """(L L^T)^-1 from the Cholesky factor L (or (U^T U)^-1 when `upper`)."""
    L = check_matrix("cholesky_inverse", input)
    eye = wrap(np.broadcast_to(_eye_like(L), tuple(L.shape)))
    return apply(CholeskySolve, eye, L, upper=bool(upper))


# ---- pseudo-inverse, least squares ----------------------------------------------------------

def _tolerances(a: np.ndarray, atol: Any, rtol: Any) -> tuple:
    """PyTorch's defaults: rtol = eps * max(m, n) unless only a positive atol is given."""
    if rtol is None:
        positive_atol = atol is not None and np.all(np.asarray(_data(atol)) > 0)
        rtol = 0.0 if positive_atol else np.finfo(a.dtype).eps * max(a.shape[-2:])
    return (0.0 if atol is None else _data(atol)), _data(rtol)


def _data(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


def _cutoff(top: np.ndarray, atol: Any, rtol: Any) -> np.ndarray:
    """max(atol, rtol * largest singular value), per matrix, as (..., 1)."""
    atol = np.asarray(atol)[..., None] if np.ndim(atol) else atol
    rtol = np.asarray(rtol)[..., None] if np.ndim(rtol) else rtol
    return np.maximum(atol, rtol * top)


def _rank(s: np.ndarray, atol: Any, rtol: Any) -> np.ndarray:
    """How many singular values of each matrix (s: (..., k)) exceed
    max(atol, rtol * their largest), int64."""
    if not s.shape[-1]:
        return np.zeros(s.shape[:-1], dtype=np.int64)
    return (s > _cutoff(s.max(-1, keepdims=True), atol, rtol)).sum(-1).astype(np.int64)


def matrix_rank(A: Tensor, *, atol: Any = None, rtol: Any = None,
                hermitian: bool = False) -> Tensor:
    """The number of singular values above max(atol, rtol * s_max), with pinv's
    tolerances, as int64; `hermitian` uses the eigenvalues of a symmetric A (its lower
    triangle).  No gradient."""
    check_matrix("linalg.matrix_rank", A, square=bool(hermitian))
    a = A.data
    if hermitian:
        s = np.abs(np.linalg.eigvalsh(a))
    else:
        s = _lapack("linalg.matrix_rank", np.linalg.svd, a, compute_uv=False,
                    why=_no_convergence("singular values"))
    return wrap(_rank(s, *_tolerances(a, atol, rtol)))


class Pinv(Op):
    """The Moore-Penrose pseudo-inverse, through the SVD (the eigendecomposition when
    `hermitian`, from A's lower triangle), singular values up to max(atol, rtol * s_max)
    dropped.  PyTorch's gradient (of a constant-rank pseudo-inverse), from A and the
    saved A^+ (folded onto the lower triangle when `hermitian`)."""
    name = "Pinv"
    save_output = True

    @staticmethod
    def forward(ctx, a, atol, rtol, hermitian):
        ctx.hermitian = hermitian
        m, n = a.shape[-2:]
        if not a.size:
            return np.zeros(a.shape[:-2] + (n, m), dtype=a.dtype)
        atol, rtol = _tolerances(a, atol, rtol)
        if hermitian:
            w, v = np.linalg.eigh(a)
            cut = _cutoff(np.abs(w).max(-1, keepdims=True), atol, rtol)
            with np.errstate(divide="ignore"):
                w_inv = np.where(np.abs(w) > cut, 1 / w, 0).astype(a.dtype)
            return (v * w_inv[..., None, :]) @ v.swapaxes(-1, -2)
        u, s, vh = _lapack("linalg.pinv", np.linalg.svd, a, full_matrices=False,
                           why=_no_convergence("singular values"))
        cut = _cutoff(s[..., :1], atol, rtol)
        with np.errstate(divide="ignore"):
            s_inv = np.where(s > cut, 1 / s, 0).astype(a.dtype)
        return (vh.swapaxes(-1, -2) * s_inv[..., None, :]) @ u.swapaxes(-1, -2)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.inputs
        p = ctx.output
        m, n = a.shape[-2:]
        p_t, g_t = p.mT, g.mT
        if m <= n:   # (the products of the smallest matrices)
            k = g_t @ p
            kp_t = k @ p_t
            ga = -(p @ k).mT + kp_t - (a @ p) @ kp_t + (p_t @ p) @ (g_t - k @ a)
        else:
            k = p @ g_t
            p_tk = p_t @ k
            ga = -(k @ p).mT + (g_t - a @ k) @ p @ p_t + p_tk - p_tk @ p @ a
        return _fold(ga, False) if ctx.hermitian else ga


def pinv(A: Tensor, *, atol: Any = None, rtol: Any = None, hermitian: bool = False) -> Tensor:
    """The pseudo-inverse A^+ (n x m for an m x n A), singular values at most
    max(atol, rtol * s_max) treated as zero (rtol defaults to eps * max(m, n), or 0 when
    only a positive atol is given); `hermitian` uses the faster eigendecomposition of a
    symmetric A (its lower triangle)."""
    check_matrix("linalg.pinv", A, square=bool(hermitian))
    return apply(Pinv, A, atol=atol, rtol=rtol, hermitian=bool(hermitian))


@register("pinverse")
def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    """The pseudo-inverse, singular values at most rcond * s_max dropped
    (``linalg.pinv(input, rtol=rcond)``)."""
    return pinv(input, rtol=rcond)


_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def lstsq(A: Tensor, B: Tensor, rcond: float | None = None, *,
          driver: str | None = None) -> LstsqResult:
    """The least-squares solution X minimizing ||A X - B||_F (the minimum-norm one for
    a wide A), as (solution, residuals, rank, singular_values) like PyTorch's: residuals
    (the squared residual of each column) when m > n, A is full-rank and the driver is
    not 'gelsy' (the default); rank except for 'gels'; singular values for 'gelsd' and
    'gelss'; the others are empty.  The solution is pinv(A) B with rtol = rcond
    (default eps * max(m, n)), differentiable like PyTorch's."""
    op = "linalg.lstsq"
    check_matrix(op, A, square=False)
    B = _as_tensor(B)
    if B.ndim < 1:
        raise RuntimeError(f"{op}: other must have at least 1 dimension.")
    check_same_dtype(op, A, B, "input and other")
    driver = "gelsy" if driver is None else driver
    if driver not in _DRIVERS:
        raise RuntimeError(f"{op}: parameter `driver` should be one of "
                           f"({', '.join(_DRIVERS)})")
    vector = is_vector_rhs(A, B)
    B2 = unsqueeze(B, -1) if vector else B
    m, n = A.shape[-2:]
    if B2.shape[-2] != m:
        raise ShapeError(f"{op}: input.size(-2) should match other.size(-2) (shapes "
                         f"{tuple(A.shape)} and {tuple(B.shape)})")
    broadcast_batch(op, A, B2)
    rtol = np.finfo(A.dtype).eps * max(m, n) if rcond is None or rcond < 0 else rcond
    X = pinv(A, rtol=rtol) @ B2
    empty = wrap(np.zeros(0, dtype=A.dtype))
    s = _lapack(op, np.linalg.svd, A.data, compute_uv=False,
                why=_no_convergence("singular values"))
    rank = _rank(s, 0.0, rtol)
    residuals = empty
    if m > n and driver != "gelsy" and np.all(rank == n):
        residuals = ((A @ X - B2) ** 2).sum(-2)
    return LstsqResult(X[..., 0] if vector else X, residuals,
                       wrap(np.zeros(0, np.int64)) if driver == "gels"
                       else wrap(rank),
                       wrap(s) if driver in ("gelsd", "gelss") else empty)


# ---- matrix functions -------------------------------------------------------------------------

# Padé (13, 13) coefficients and the 1-norm bound for it (Higham 2005, "The scaling and
# squaring method for the matrix exponential revisited")
_PADE13 = (64764752532480000., 32382376266240000., 7771770303897600., 1187353796428800.,
           129060195264000., 10559470521600., 670442572800., 33522128640., 1323241920.,
           40840800., 960960., 16380., 182., 1.)
_THETA13 = 5.371920351148152


def _expm(a: np.ndarray) -> np.ndarray:
    """exp(A) of a batch of matrices: each scaled by 2^-s into the Padé approximant's
    range, the approximant r = (V - U)^-1 (V + U) evaluated, then squared s times."""
    if not a.size:
        return a.copy()
    norm = np.abs(a).sum(-2).max(-1)   # the 1-norm of each matrix
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.ceil(np.log2(norm / _THETA13))
    s = np.where(np.isfinite(s) & (s > 0), s, 0).astype(np.int64)
    x = a * (0.5 ** s)[..., None, None].astype(a.dtype)
    b = _PADE13
    eye = np.eye(a.shape[-1], dtype=a.dtype)
    x2 = x @ x
    x4 = x2 @ x2
    x6 = x4 @ x2
    u = x @ (x6 @ (b[13] * x6 + b[11] * x4 + b[9] * x2)
             + b[7] * x6 + b[5] * x4 + b[3] * x2 + b[1] * eye)
    v = x6 @ (b[12] * x6 + b[10] * x4 + b[8] * x2) + b[6] * x6 + b[4] * x4 + b[2] * x2 \
        + b[0] * eye
    r = _solve_arrays(v - u, v + u)
    for k in range(int(s.max(initial=0))):   # (a loop over squarings, log2 of the norm)
        r = np.where((s > k)[..., None, None], r @ r, r)
    return r.astype(a.dtype, copy=False)


class MatrixExp(Op):
    """exp(A) = sum A^k / k!.  Its adjoint derivative at A applied to g is the top-right
    block of exp([[A^T, g], [0, A^T]]) (Mathias 1996), a matrix_exp again, so every order
    is differentiable."""
    name = "MatrixExp"

    @staticmethod
    def forward(ctx, a):
        return _expm(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.inputs
        n = a.shape[-1]
        a_t = a.mT
        zero = wrap(np.zeros(tuple(a.shape), dtype=a.dtype))
        block = cat([cat([a_t, g], -1), cat([zero, a_t], -1)], -2)
        return apply(MatrixExp, block)[..., :n, n:]


@register("matrix_exp")
def matrix_exp(A: Tensor) -> Tensor:
    """The matrix exponential exp(A) = sum_k A^k / k! of each square matrix (Padé
    approximation with scaling and squaring)."""
    return apply(MatrixExp, check_matrix("linalg.matrix_exp", A))


@register("matrix_power")
def matrix_power(A: Tensor, n: int) -> Tensor:
    """A^n for an integer n by repeated squaring: the identity for n = 0 (gradient 0),
    inv(A)^-n for n < 0."""
    op = "linalg.matrix_power"
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"{op}: argument 'n' must be int, not {type(n).__name__}")
    check_matrix(op, A)
    if n == 0:   # (still a function of A, with gradient 0, as in PyTorch)
        ones = np.ones(tuple(A.shape), dtype=bool)
        return where(ones, np.broadcast_to(_eye_like(A), tuple(A.shape)), A)
    x = inverse(A) if n < 0 else A
    n = abs(int(n))
    result = None
    while n:   # (over the bits of n)
        if n & 1:
            result = x if result is None else result @ x
        n >>= 1
        if n:
            x = x @ x
    return clone(result) if result is A else result   # (a new tensor, as in PyTorch)


# ---- QR, eigh, SVD ------------------------------------------------------------------------------

_QR_MODES = ("reduced", "complete", "r")


class Qr(_Decomposition):
    """A = Q R, Q with orthonormal columns, R upper triangular (LAPACK's signs).
    PyTorch's gradient, with M = gR R^T - Q^T gQ: for m >= n,
    gA = (gQ + Q sym(triu(M))) R^-T, sym(X) = X + X^T - diag(X); for m < n,
    gA = [Q tril(M^T - M) R1^-T, 0] + Q gR (R1: R's first m columns).  mode='r', and
    mode='complete' with m > n, have no gradient (backward raises, as in PyTorch)."""
    name = "Qr"

    @staticmethod
    def forward(ctx, a, mode):
        ctx.mode = mode
        if mode == "r":
            q = np.zeros(0, dtype=a.dtype)
            r = np.asarray(np.linalg.qr(a, mode="r"), dtype=a.dtype)
        else:
            q, r = np.linalg.qr(a, mode=mode)
        ctx.save(q, r)
        return q, r

    @staticmethod
    def backward(ctx, gq, gr):
        if ctx.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not "
                               "computed when mode='r'. Please use linalg.qr(A, "
                               "mode='reduced') if you are going to differentiate through "
                               "linalg.qr.")
        q, r = ctx.outputs()
        m, n = q.shape[-2], r.shape[-1]
        if ctx.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when "
                               "mode='complete' and nrows > ncols.")
        if gq is None:
            ga = gr @ r.mT
        else:
            ga = -(q.mT @ gq) if gr is None else gr @ r.mT - q.mT @ gq
        if m >= n:
            t = triu(ga)
            t = t + t.mT - diag_embed(t.diagonal(0, -2, -1))
            ga = q @ t
            if gq is not None:
                ga = ga + gq
            return solve_triangular(r.mT, ga, upper=False, left=False)
        t = tril(ga.mT - ga)   # (PyTorch's trilImInvAdjSkew(-ga), real case)
        ga = solve_triangular(r[..., :m].mT, q @ t, upper=False, left=False)
        ga = cat([ga, wrap(np.zeros(tuple(ga.shape[:-1]) + (n - m,), dtype=ga.dtype))], -1)
        return ga if gr is None else ga + q @ gr


def linalg_qr(A: Tensor, mode: str = "reduced") -> QRResult:
    """A = Q R with Q's columns orthonormal and R upper triangular: mode 'reduced'
    (Q m x k, R k x n, k = min(m, n)), 'complete' (Q m x m, R m x n) or 'r' (R only, Q
    empty)."""
    if mode not in _QR_MODES:
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           f"'reduced' (default), 'r', or 'complete'")
    check_matrix("linalg.qr", A, square=False)
    return QRResult(*_keep_versions(apply(Qr, A, mode=mode)))


@register("qr")
def qr(input: Tensor, some: bool = True) -> QRResult:
    """Deprecated in PyTorch (and warns, as there) for `autograd.linalg.qr`: the reduced
    QR decomposition, or the complete one when not `some`."""
    warnings.warn("qr is deprecated in favor of linalg.qr (as in PyTorch): Q, R = qr(A, "
                  "some) is linalg.qr(A, 'reduced' if some else 'complete')", UserWarning,
                  stacklevel=2)
    return linalg_qr(input, "reduced" if some else "complete")


class Eigh(_Decomposition):
    """A = V diag(L) V^T of a symmetric A from its lower ('L') or upper triangle,
    eigenvalues ascending.  PyTorch's gradient, V (diag(gL) + skew(V^T gV) / 2 / E) V^T
    with E_ij = L_j - L_i (1 on the diagonal), folded onto the triangle read: inf/nan at
    repeated eigenvalues when the eigenvectors get a gradient, as in PyTorch."""
    name = "Eigh"

    @staticmethod
    def forward(ctx, a, uplo):
        ctx.upper = uplo == "U"
        w, v = np.linalg.eigh(a, UPLO=uplo)
        ctx.save(w, v)
        return w, v

    @staticmethod
    def backward(ctx, gl, gv):
        w, v = ctx.outputs()
        if gv is None:
            return _fold((v * unsqueeze(gl, -2)) @ v.mT, ctx.upper)
        e = unsqueeze(w, -2) - unsqueeze(w, -1) + _eye_like(w)
        with np.errstate(divide="ignore", invalid="ignore"):   # (PyTorch's inf/nan)
            inner = 0.5 * _skew(v.mT @ gv) / e
            if gl is not None:
                inner = inner + diag_embed(gl)
            return _fold(v @ inner @ v.mT, ctx.upper)


def eigh(A: Tensor, UPLO: str = "L") -> EighResult:
    """(eigenvalues ascending, eigenvectors as columns) of symmetric matrices, read from
    the lower ('L') or upper ('U') triangle.  Each eigenvector's sign is arbitrary."""
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    check_matrix("linalg.eigh", A)
    return EighResult(*_keep_versions(apply(Eigh, A, uplo=UPLO)))


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:
    """The eigenvalues (ascending) of symmetric matrices; their gradient
    V diag(gL) V^T is defined at repeated eigenvalues too."""
    return eigh(A, UPLO).eigenvalues


class Svd(_Decomposition):
    """A = U diag(S) Vh, S descending.  PyTorch's gradient (for distinct, and for a
    rectangular A non-zero, singular values): with E_jk = S_k^2 - S_j^2 (1 on the
    diagonal), gA = U [skew(U^T gU) S / E + S skew(Vh gVh^T) / E + diag(gS)] Vh plus the
    terms of the complement of U (m > n) or of V (m < n); with full_matrices only the
    first k = min(m, n) columns of U and rows of Vh count, as in PyTorch 2.13."""
    name = "Svd"

    @staticmethod
    def forward(ctx, a, full_matrices):
        ctx.full = full_matrices
        u, s, vh = _lapack("linalg.svd", np.linalg.svd, a, full_matrices=full_matrices,
                           why=_no_convergence("singular values"))
        ctx.save(u, s, vh)
        return u, s, vh

    @staticmethod
    def backward(ctx, gu, gs, gvh):
        u, s, vh = ctx.outputs()
        m, n, k = u.shape[-2], vh.shape[-1], s.shape[-1]
        if ctx.full and m != n:
            u, vh = u[..., :k], vh[..., :k, :]
            gu = None if gu is None else gu[..., :k]
            gvh = None if gvh is None else gvh[..., :k, :]
        if gu is None and gvh is None:   # svdvals: U diag(gS) Vh
            return u @ (unsqueeze(gs, -1) * vh) if m >= n else (u * unsqueeze(gs, -2)) @ vh
        s2 = s * s
        e = unsqueeze(s2, -2) - unsqueeze(s2, -1) + _eye_like(s)
        with np.errstate(divide="ignore", invalid="ignore"):   # (PyTorch's inf/nan)
            if gvh is None:
                inner = _skew(u.mT @ gu) / e * unsqueeze(s, -2)
            elif gu is None:
                inner = unsqueeze(s, -1) * (_skew(vh @ gvh.mT) / e)
            else:
                inner = (_skew(u.mT @ gu) * unsqueeze(s, -2)
                         + unsqueeze(s, -1) * _skew(vh @ gvh.mT)) / e
            if gs is not None:
                inner = inner + diag_embed(gs)
            if m > n and gu is not None:   # + (I - U U^T) gU S^-1, then times Vh
                gu_s = gu / unsqueeze(s, -2)
                return (u @ inner + gu_s - u @ (u.mT @ gu_s)) @ vh
            if m < n and gvh is not None:  # + S^-1 gVh (I - V V^T), after U
                s_gvh = gvh / unsqueeze(s, -1)
                return u @ (inner @ vh + s_gvh - (s_gvh @ vh.mT) @ vh)
        return u @ (inner @ vh) if m >= n else (u @ inner) @ vh


def linalg_svd(A: Tensor, full_matrices: bool = True) -> SVDResult:
    """A = U diag(S) Vh with S descending: U m x m and Vh n x n (`full_matrices`), or
    m x k and k x n (k = min(m, n)).  Singular vectors are defined up to a joint sign."""
    check_matrix("linalg.svd", A, square=False)
    return SVDResult(*_keep_versions(apply(Svd, A, full_matrices=bool(full_matrices))))


def svdvals(A: Tensor) -> Tensor:
    """The singular values (descending); their gradient U diag(gS) Vh is defined at
    repeated singular values too."""
    return linalg_svd(A, full_matrices=False).S


@register("svd")
def svd(input: Tensor, some: bool = True, compute_uv: bool = True) -> SvdResult:
    """PyTorch's older SVD: (U, S, V) with A = U diag(S) V^T (V, not Vh), reduced when
    `some`; without `compute_uv`, U and V are zero matrices of the full shapes."""
    if compute_uv:
        U, S, Vh = linalg_svd(input, full_matrices=not some)
        return SvdResult(U, S, Vh.mT)
    S = svdvals(input)
    m, n = input.shape[-2:]
    batch = tuple(input.shape[:-2])
    return SvdResult(wrap(np.zeros(batch + (m, m), dtype=input.dtype)), S,
                     wrap(np.zeros(batch + (n, n), dtype=input.dtype)))
