"""Linear algebra: matmul (1-D, 2-D and broadcast-batched operands), its fixed-rank
forms mm, bmm, mv and dot, einsum, the products outer, inner, kron, cross and
tensordot, and cdist (decompositions and solvers are in decomp.py); the fused products
addmm, addmv, addr, baddbmm, addbmm (beta * input + alpha * product) and chain_matmul."""
from __future__ import annotations

import string
import warnings
from typing import Any

import numpy as np

from ..graph import Op, ShapeError, apply, register
from ..tensor import Tensor, wrap
from .elementwise import clamp_min, where
from .index import IndexShapeError
from .reduce import norm
from .shape import expand, permute, reshape, reshape_to, roll, sum_to, unsqueeze
from ._util import norm_axis


class Matmul(Op):
    """op(a) @ op(b), where op transposes the last two axes when `ta` / `tb` is set
    (backward's products, without transposed views as separate nodes).  With
    a' = op(a), b' = op(b):  da' = g b'^T,  db' = a'^T g  (1-D operands promoted,
    batch dims summed back)."""
    name = "Matmul"
    ta = tb = False

    @staticmethod
    def forward(ctx, a, b, ta=False, tb=False):
        if ta or tb:
            ctx.ta, ctx.tb = ta, tb
            a = a.swapaxes(-1, -2) if ta else a
            b = b.swapaxes(-1, -2) if tb else b
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        need_a, need_b = ctx.needs_input_grad
        ta, tb = ctx.ta, ctx.tb
        na, nb = a._data.ndim, b._data.ndim
        if na == 1 and nb == 1:
            return (g * b if need_a else None), (g * a if need_b else None)
        # (flagged products come from backward, where both operands are >= 2-D)
        a2 = unsqueeze(a, 0) if na == 1 else a
        b2 = unsqueeze(b, 1) if nb == 1 else b
        g2 = unsqueeze(g, -2) if na == 1 else g
        g2 = unsqueeze(g2, -1) if nb == 1 else g2
        exact = na == nb == 2   # (then the products have the operands' shapes)
        ga = gb = None   # (shapes are known to match: apply directly, lean reshapes)
        if need_a:   # da = op^-1(g b'^T): b' g^T when a is transposed
            ga = (apply(Matmul, b2, g2, ta=tb, tb=True) if ta
                  else apply(Matmul, g2, b2, tb=not tb))
            if not exact:
                ga = reshape_to(sum_to(ga, a2.shape), a.shape)
        if need_b:   # db = op^-1(a'^T g): g^T a' when b is transposed
            gb = (apply(Matmul, g2, a2, ta=True, tb=ta) if tb
                  else apply(Matmul, a2, g2, ta=not ta))
            if not exact:
                gb = reshape_to(sum_to(gb, b2.shape), b.shape)
        return ga, gb


@register("matmul", "__matmul__")
def matmul(input: Tensor, other: Any) -> Tensor:
    """Matrix product with NumPy/PyTorch semantics for 1-D, 2-D and batched operands."""
    if not isinstance(other, Tensor):
        other = wrap(np.asarray(other))
    sa, sb = input._data.shape, other._data.shape
    if not sa or not sb:
        raise RuntimeError(f"matmul: both arguments to matmul need to be at least 1D, but "
                           f"they are {len(sa)}D and {len(sb)}D")
    k_a = sa[-1]
    k_b = sb[0] if len(sb) == 1 else sb[-2]
    if k_a != k_b:
        raise ShapeError(f"matmul: shapes {tuple(input.shape)} and {tuple(other.shape)} "
                         f"cannot be multiplied ({k_a} != {k_b})")
    return apply(Matmul, input, other)


Tensor.__rmatmul__ = lambda self, other: matmul(wrap(np.asarray(other)), self)


def _fixed_rank(op: str, input: Tensor, other: Any, ranks: tuple) -> Tensor:
    """input @ other for the products whose operands have exactly `ranks` dimensions
    (no promotion of 1-D operands, no broadcasting of batch dimensions)."""
    if not isinstance(other, Tensor):
        other = wrap(np.asarray(other))
    if (input.ndim, other.ndim) != ranks:
        raise ShapeError(f"{op}: expected {ranks[0]}-D and {ranks[1]}-D tensors, got shapes "
                         f"{tuple(input.shape)} and {tuple(other.shape)}")
    k_b = other.shape[0] if other.ndim == 1 else other.shape[-2]
    if input.shape[-1] != k_b or input.shape[:-2] != other.shape[:-2]:
        raise ShapeError(f"{op}: shapes {tuple(input.shape)} and {tuple(other.shape)} "
                         f"cannot be multiplied")
    return apply(Matmul, input, other)


@register("mm")
def mm(input: Tensor, mat2: Any) -> Tensor:
    """Product of two matrices (2-D only; matmul broadcasts)."""
    return _fixed_rank("mm", input, mat2, (2, 2))


@register("bmm")
def bmm(input: Tensor, mat2: Any) -> Tensor:
    """Batched product of (b, n, k) and (b, k, m) tensors."""
    return _fixed_rank("bmm", input, mat2, (3, 3))


@register("mv")
def mv(input: Tensor, vec: Any) -> Tensor:
    """Product of an (n, k) matrix and a (k,) vector."""
    return _fixed_rank("mv", input, vec, (2, 1))


@register("dot")
def dot(input: Tensor, other: Any) -> Tensor:
    """Inner product of two 1-D tensors of the same length."""
    return _fixed_rank("dot", input, other, (1, 1))


def _parse(eq: str, shapes: list) -> tuple:
    """Input subscripts (with '...' expanded to letters) and the output subscript."""
    eq = eq.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    ins = lhs.split(",")
    if len(ins) != len(shapes):
        raise RuntimeError(f"einsum: {'fewer' if len(shapes) < len(ins) else 'more'} "
                           f"operands were provided ({len(shapes)}) than specified in the "
                           f"equation {eq!r} ({len(ins)})")
    bad = set(lhs.replace("...", "") + rhs.replace("...", "")) - set(string.ascii_letters + ",")
    if bad:
        raise RuntimeError(f"einsum: invalid subscript {min(bad)!r} in the equation {eq!r}; "
                           f"subscripts must be letters")
    if arrow:
        for c in rhs.replace("...", ""):
            if c not in lhs:
                raise RuntimeError(f"einsum: output subscript {c!r} does not appear in the "
                                   f"equation {eq!r} for any input operand")
            if rhs.count(c) > 1:
                raise RuntimeError(f"einsum: output subscript {c!r} appears more than once "
                                   f"in the output of the equation {eq!r}")
    free = [c for c in string.ascii_letters if c not in eq]
    ell_n = max((len(s) - (len(sub) - 3) for sub, s in zip(ins, shapes) if "..." in sub),
                default=0)
    ell = "".join(free[:ell_n])
    out_ins = []
    for sub, s in zip(ins, shapes):
        if "..." in sub:
            k = len(s) - (len(sub) - 3)
            sub = sub.replace("...", ell[ell_n - k:] if k else "")
        if len(sub) != len(s):
            raise ShapeError(f"einsum: subscript '{sub}' has {len(sub)} labels for an "
                             f"operand of shape {tuple(s)}")
        out_ins.append(sub)
    if arrow:
        out = rhs.replace("...", ell)
    else:
        letters = "".join(out_ins)
        out = ell + "".join(sorted(c for c in set(letters) if letters.count(c) == 1
                                   and c not in ell))
    return out_ins, out


class Einsum(Op):
    """Einstein summation;  the gradient for each operand is an einsum of the output
    gradient with the other operands over the operand's distinct labels, broadcast to
    the labels' full sizes, summed back where the operand had size 1, and written onto
    the diagonal when a label repeats in the operand ('ii->i')."""
    name = "Einsum"

    @staticmethod
    def forward(ctx, *xs, eq):
        ctx.subs, ctx.out = _parse(eq, [x.shape for x in xs])
        ctx.sizes = sizes = {}   # each label's size, size-1 operand dims broadcast
        for sub, x in zip(ctx.subs, xs):
            for c, n in zip(sub, np.shape(x)):
                if n != 1 or c not in sizes:
                    sizes[c] = n
        return np.einsum(",".join(ctx.subs) + "->" + ctx.out, *xs, optimize=len(xs) > 2)

    @staticmethod
    def backward(ctx, g):
        xs = ctx.inputs
        grads = []
        for i, (x, sub) in enumerate(zip(xs, ctx.subs)):
            if not ctx.needs_input_grad[i]:
                grads.append(None)
                continue
            labels = "".join(dict.fromkeys(sub))   # distinct, in order
            others = [s for j, s in enumerate(ctx.subs) if j != i]
            present = set(ctx.out).union(*others)
            kept = "".join(c for c in labels if c in present)
            operands = [g] + [t for j, t in enumerate(xs) if j != i]
            gi = einsum(",".join([ctx.out] + others) + "->" + kept, *operands)
            for pos, c in enumerate(labels):   # labels summed by this operand alone
                if c not in present:
                    gi = unsqueeze(gi, pos)
            gi = sum_to(expand(gi, tuple(ctx.sizes[c] for c in labels)),
                        tuple(x.shape[sub.index(c)] for c in labels))
            if labels != sub:
                gi = apply(DiagEmbed, gi, sub=sub, labels=labels, shape=tuple(x.shape))
            grads.append(gi)
        return tuple(grads)


class DiagEmbed(Op):
    """Zeros of `shape` with g written where the repeated labels of `sub` agree (g's
    dims are `labels`): the adjoint of einsum's diagonal `sub->labels`, which is its
    gradient in turn."""
    name = "DiagEmbed"
    save_inputs = False

    @staticmethod
    def forward(ctx, g, sub, labels, shape):
        ctx.eq = f"{sub}->{labels}"
        out = np.zeros(shape, dtype=g.dtype)
        np.einsum(ctx.eq, out)[...] = g   # (einsum's diagonal is a writeable view)
        return out

    @staticmethod
    def backward(ctx, gg):
        return einsum(ctx.eq, gg)


@register("einsum")
def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation over `operands` (NumPy/PyTorch subscripts, '...' allowed)."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    ts = [o if isinstance(o, Tensor) else wrap(np.asarray(o)) for o in operands]
    _parse(equation, [t.shape for t in ts])   # (its errors raised here name the op once)
    return apply(Einsum, *ts, eq=equation)


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else wrap(np.asarray(x))


def _same_dtype(op: str, a: Tensor, b: Tensor) -> None:
    """inner and cross, like PyTorch's, do not promote."""
    if a.dtype != b.dtype:
        raise RuntimeError(f"{op}: both inputs should have the same dtype, got {a.dtype} "
                           f"and {b.dtype}")
    if a.dtype == np.bool_:
        raise NotImplementedError(f"{op}: not implemented for bool tensors")


@register("outer")
def outer(input: Tensor, vec2: Any) -> Tensor:
    """The outer product of two vectors: out[i, j] = input[i] * vec2[j]."""
    vec2 = _as_tensor(vec2)
    for name, v in (("self", input), ("vec2", vec2)):
        if v.ndim != 1:
            raise RuntimeError(f"outer: expected 1-D argument {name}, but got {v.ndim}-D "
                               f"(shape {tuple(v.shape)})")
    return reshape(input, (input.shape[0], 1)) * vec2


@register("inner")
def inner(input: Tensor, other: Any) -> Tensor:
    """Products summed over the last dim of both: shape input.shape[:-1] +
    other.shape[:-1] (a 0-d operand multiplies)."""
    other = _as_tensor(other)
    if not input.ndim or not other.ndim:
        return input * other
    _same_dtype("inner", input, other)
    k = input.shape[-1]
    if other.shape[-1] != k:
        raise ShapeError(f"inner: the last dimension must match on both input tensors but "
                         f"got shapes {tuple(input.shape)} and {tuple(other.shape)}")
    lead_a, lead_b = input.shape[:-1], other.shape[:-1]
    a = reshape(input, (int(np.prod(lead_a)), k))
    b = reshape(other, (int(np.prod(lead_b)), k))
    return reshape_to(apply(Matmul, a, b, tb=True), lead_a + lead_b)


@register("kron")
def kron(input: Tensor, other: Any) -> Tensor:
    """The Kronecker product: shapes padded with leading ones to the same length, then
    out[i*m + j, ...] = input[i, ...] * other[j, ...] in every dim."""
    other = _as_tensor(other)
    nd = max(input.ndim, other.ndim)
    sa = (1,) * (nd - input.ndim) + tuple(input.shape)
    sb = (1,) * (nd - other.ndim) + tuple(other.shape)
    # (a0, 1, a1, 1, ...) * (1, b0, 1, b1, ...) -> (a0 * b0, a1 * b1, ...)
    a = reshape(input, tuple(x for n in sa for x in (n, 1)))
    b = reshape(other, tuple(x for n in sb for x in (1, n)))
    return reshape(a * b, tuple(m * n for m, n in zip(sa, sb)))


@register("cross")
def cross(input: Tensor, other: Any, dim: int | None = None) -> Tensor:
    """Cross products of the 3-vectors along `dim` (default: input's first dim of size
    3); the other dims broadcast.  c_i = a_{i+1} b_{i+2} - a_{i+2} b_{i+1}."""
    other = _as_tensor(other)
    if input.ndim != other.ndim:
        raise ShapeError(f"cross: inputs must have the same number of dimensions, got "
                         f"shapes {tuple(input.shape)} and {tuple(other.shape)}")
    if dim is None:
        warnings.warn("cross: using cross without specifying dim is deprecated (as in "
                      "PyTorch): pass dim explicitly; the default is the first dimension "
                      "of size 3", UserWarning, stacklevel=2)
        d = next((i for i, n in enumerate(input.shape) if n == 3), None)
        if d is None:
            raise ShapeError(f"cross: no dimension of size 3 in input (shape "
                             f"{tuple(input.shape)})")
    else:
        d = norm_axis("cross", dim, input.ndim)
    if not input.ndim or input.shape[d] != 3 or other.shape[d] != 3:
        raise ShapeError(f"cross: inputs dimension {dim if dim is not None else d} must have "
                         f"length 3, got shapes {tuple(input.shape)} and "
                         f"{tuple(other.shape)}")
    try:
        np.broadcast_shapes(input.shape, other.shape)
    except ValueError:
        raise ShapeError(f"cross: shapes {tuple(input.shape)} and {tuple(other.shape)} "
                         f"do not broadcast") from None
    _same_dtype("cross", input, other)
    return (roll(input, -1, d) * roll(other, -2, d)
            - roll(input, -2, d) * roll(other, -1, d))


def _tensordot_dims(a: Tensor, b: Tensor, dims: Any) -> tuple:
    """(a's contracted dims, b's) from tensordot's `dims`: a count (the last `dims` of a
    with the first of b) or a pair of dim lists."""
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, (tuple, list)):
        if len(dims) != 2:
            raise RuntimeError(f"tensordot: dims must be an int or a pair of dim lists, got "
                               f"{dims!r}")
        da, db = dims
        for d in (da, db):
            if not isinstance(d, (tuple, list)):
                raise TypeError(f"tensordot: argument 'dims' must be an int or a pair of "
                                f"tuples of ints, not a pair of {type(d).__name__}")
        if len(da) != len(db):
            raise RuntimeError(f"tensordot: both dimension lists should have same length, "
                               f"got {list(da)} and {list(db)}")
        return list(da), list(db)
    if isinstance(dims, bool) or not isinstance(dims, (int, np.integer)):
        raise TypeError(f"tensordot: argument 'dims' must be an int or a pair of dim lists, "
                        f"not {type(dims).__name__}")
    if dims < 0:
        raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
    if dims > min(a.ndim, b.ndim):
        raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims} "
                           f"(shapes {tuple(a.shape)} and {tuple(b.shape)})")
    return list(range(a.ndim - dims, a.ndim)), list(range(dims))


@register()
def tensordot(a: Tensor, b: Any, dims: Any = 2) -> Tensor:
    """Sum of products over the dims `dims` pairs up (a count: a's last `dims` with b's
    first): shape a's other dims + b's other dims.  A matmul of the two operands with
    those dims moved together and flattened."""
    b = _as_tensor(b)
    da, db = _tensordot_dims(a, b, dims)
    ca = [norm_axis("tensordot", d, a.ndim) for d in da]
    cb = [norm_axis("tensordot", d, b.ndim) for d in db]
    for c, d in ((ca, da), (cb, db)):
        if len(set(c)) != len(c):
            raise RuntimeError(f"tensordot: a dim appears multiple times in the list of dims "
                               f"{list(d)}")
    for x, y, i, j in zip(ca, cb, da, db):
        if a.shape[x] != b.shape[y]:
            raise ShapeError(f"tensordot: contracted dimensions need to match, but first has "
                             f"size {a.shape[x]} in dim {i} and second has size "
                             f"{b.shape[y]} in dim {j}")
    if a.dtype != b.dtype:
        raise RuntimeError(f"tensordot: both inputs should have same dtype, got {a.dtype} "
                           f"and {b.dtype}")
    fa = [d for d in range(a.ndim) if d not in ca]
    fb = [d for d in range(b.ndim) if d not in cb]
    sa = tuple(a.shape[d] for d in fa)
    sb = tuple(b.shape[d] for d in fb)
    k = int(np.prod([a.shape[d] for d in ca]))
    a2 = reshape(permute(a, tuple(fa + ca)), (int(np.prod(sa)), k))
    b2 = reshape(permute(b, tuple(cb + fb)), (k, int(np.prod(sb))))
    out_shape = sa + sb
    return reshape(apply(Matmul, a2, b2), out_shape)


_CDIST_MODES = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                "donot_use_mm_for_euclid_dist")


@register()
def cdist(x1: Tensor, x2: Any, p: float = 2.0,
          compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """The p-norm distances between the rows of x1 (..., P, M) and of x2 (..., R, M):
    shape (..., P, R), batch dims broadcast.  For p = 2 with more than 25 rows on a side
    (or `compute_mode` 'use_mm_for_euclid_dist') as PyTorch does,
    sqrt(|x|^2 - 2 x.y + |y|^2) through a matmul: faster, less accurate for close
    points.  The gradient at a zero distance is 0."""
    x2 = _as_tensor(x2)
    if compute_mode not in _CDIST_MODES:
        raise ValueError(f"cdist: {compute_mode} is not a valid value for compute_mode")
    for name, x in (("X1", x1), ("X2", x2)):
        if x.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: "
                               f"{x.ndim}D (shape {tuple(x.shape)})")
        if x.dtype.kind != "f":
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{x.dtype}")
    if x1.shape[-1] != x2.shape[-1]:
        raise ShapeError(f"cdist: X1 and X2 must have the same number of columns. X1: "
                         f"{x1.shape[-1]} X2: {x2.shape[-1]}")
    if x1.dtype != x2.dtype:
        raise RuntimeError(f"cdist: X1 and X2 must have the same dtype, got {x1.dtype} and "
                           f"{x2.dtype}")
    if p < 0:
        raise RuntimeError(f"cdist only supports non-negative p values, got {p}")
    try:
        np.broadcast_shapes(x1.shape[:-2], x2.shape[:-2])
    except ValueError:
        raise ShapeError(f"cdist: the batch dimensions of X1 {tuple(x1.shape)} and X2 "
                         f"{tuple(x2.shape)} do not broadcast") from None
    rows = max(x1.shape[-2], x2.shape[-2])
    if p == 2 and (compute_mode == _CDIST_MODES[1]
                   or (compute_mode == _CDIST_MODES[0] and rows > 25)):
        sq = (x1 * x1).sum(-1, keepdim=True) - 2 * (x1 @ x2.mT) + (x2 * x2).sum(-1).unsqueeze(-2)
        return clamp_min(sq, 1e-30).sqrt()   # (round-off can make sq slightly negative)
    return norm(unsqueeze(x1, -2) - unsqueeze(x2, -3), p, dim=-1)


# ---- fused products: beta * input + alpha * (product) --------------------------------------

def _same_dtypes(op: str, **tensors: Tensor) -> None:
    """The add* products, like PyTorch's, do not promote between their operands."""
    if len({t.dtype for t in tensors.values()}) > 1:
        names = ", ".join(tensors)
        dtypes = ", ".join(str(t.dtype) for t in tensors.values())
        raise RuntimeError(f"{op}: expected {names} to have the same dtype, but got {dtypes}")


def _scaled_sum(op: str, input: Tensor, product: Tensor, beta: Any, alpha: Any) -> Tensor:
    """beta * input + alpha * product, input broadcast to the product's shape.  As in
    PyTorch, beta = 0 ignores input (NaN and inf in it too; its gradient is then 0) and
    integer tensors take alpha and beta cast to their dtype."""
    shape = tuple(product.shape)
    if input.ndim > len(shape) or any(a not in (1, b) for a, b in
                                      zip(input.shape[::-1], shape[::-1])):
        raise ShapeError(f"{op}: the input of shape {tuple(input.shape)} does not broadcast "
                         f"to the product's shape {shape}")
    if product.dtype.kind not in "fc":
        alpha, beta = (np.array(v).astype(product.dtype).item() for v in (alpha, beta))
    out = product if alpha == 1 else product * alpha
    if beta == 0:
        if not input.requires_grad:
            return out
        return out + where(np.zeros(input.shape, bool), input, 0.0)   # (a zero gradient)
    return out + (input if beta == 1 else input * beta)


def _matrix(op: str, name: str, t: Any, ndim: int, error: type = RuntimeError) -> Tensor:
    t = _as_tensor(t)
    if t.ndim != ndim:
        raise error(f"{op}: {name} must be a {ndim}-D tensor, got {t.ndim}-D (shape "
                    f"{tuple(t.shape)})")
    return t


@register("addmm")
def addmm(input: Tensor, mat1: Any, mat2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """beta * input + alpha * (mat1 @ mat2), input broadcast to (n, m): the matrix
    product and the add, both differentiable (beta = 0 ignores input)."""
    input = _as_tensor(input)
    mat1, mat2 = _matrix("addmm", "mat1", mat1, 2), _matrix("addmm", "mat2", mat2, 2)
    if mat1.shape[1] != mat2.shape[0]:
        raise ShapeError(f"addmm: mat1 and mat2 shapes cannot be multiplied "
                         f"({mat1.shape[0]}x{mat1.shape[1]} and "
                         f"{mat2.shape[0]}x{mat2.shape[1]})")
    _same_dtypes("addmm", input=input, mat1=mat1, mat2=mat2)
    return _scaled_sum("addmm", input, apply(Matmul, mat1, mat2), beta, alpha)


@register("addmv")
def addmv(input: Tensor, mat: Any, vec: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """beta * input + alpha * (mat @ vec), input broadcast to (n,)."""
    input = _as_tensor(input)
    mat, vec = _matrix("addmv", "mat", mat, 2), _matrix("addmv", "vec", vec, 1)
    if mat.shape[1] != vec.shape[0]:
        raise ShapeError(f"addmv: size mismatch, got input ({tuple(input.shape)}), mat "
                         f"({mat.shape[0]}x{mat.shape[1]}), vec ({vec.shape[0]})")
    _same_dtypes("addmv", input=input, mat=mat, vec=vec)
    return _scaled_sum("addmv", input, apply(Matmul, mat, vec), beta, alpha)


@register("addr")
def addr(input: Tensor, vec1: Any, vec2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """beta * input + alpha * outer(vec1, vec2), input broadcast to (n, m); the operands
    promote to one dtype, as in PyTorch."""
    input = _as_tensor(input)
    vec1, vec2 = _matrix("addr", "vec1", vec1, 1), _matrix("addr", "vec2", vec2, 1)
    product = outer(vec1, vec2)
    if product.dtype != input.dtype:
        dtype = np.promote_types(product.dtype, input.dtype)
        input, product = input.to(dtype), product.to(dtype)
    return _scaled_sum("addr", input, product, beta, alpha)


def _batches(op: str, batch1: Any, batch2: Any) -> tuple:
    """The (b, n, k) and (b, k, m) operands of baddbmm and addbmm, checked."""
    # (PyTorch raises IndexError for a missing batch dimension: this error is both)
    b1 = _matrix(op, "batch1", batch1, 3, IndexShapeError)
    b2 = _matrix(op, "batch2", batch2, 3, IndexShapeError)
    if b1.shape[0] != b2.shape[0]:
        raise ShapeError(f"{op}: batch1 and batch2 must have same number of batches, got "
                         f"{b1.shape[0]} and {b2.shape[0]}")
    if b1.shape[2] != b2.shape[1]:
        raise ShapeError(f"{op}: incompatible matrix sizes for bmm ({b1.shape[1]}x"
                         f"{b1.shape[2]} and {b2.shape[1]}x{b2.shape[2]})")
    return b1, b2


@register("baddbmm")
def baddbmm(input: Tensor, batch1: Any, batch2: Any, *, beta: Any = 1,
            alpha: Any = 1) -> Tensor:
    """beta * input + alpha * bmm(batch1, batch2), input broadcast to (b, n, m)."""
    input = _as_tensor(input)
    b1, b2 = _batches("baddbmm", batch1, batch2)
    _same_dtypes("baddbmm", input=input, batch1=b1, batch2=b2)
    return _scaled_sum("baddbmm", input, apply(Matmul, b1, b2), beta, alpha)


@register("addbmm")
def addbmm(input: Tensor, batch1: Any, batch2: Any, *, beta: Any = 1,
           alpha: Any = 1) -> Tensor:
    """beta * input + alpha * sum_b batch1[b] @ batch2[b], input broadcast to (n, m): one
    (n, b k) @ (b k, m) product."""
    input = _as_tensor(input)
    b1, b2 = _batches("addbmm", batch1, batch2)
    _same_dtypes("addbmm", input=input, batch1=b1, batch2=b2)
    (b, n, k), m = b1.shape, b2.shape[2]
    product = apply(Matmul, reshape(permute(b1, (1, 0, 2)), (n, b * k)),
                    reshape(b2, (b * k, m)))
    return _scaled_sum("addbmm", input, product, beta, alpha)


@register()
def chain_matmul(*matrices: Any) -> Tensor:
    """The product of the 2-D `matrices`: ``linalg.multi_dot`` (the cheapest order), which
    PyTorch deprecates it for (and warns, as here); one matrix gives a copy."""
    warnings.warn("chain_matmul is deprecated and will be removed in a future PyTorch "
                  "release; use linalg.multi_dot instead, which accepts a list of two or "
                  "more tensors rather than multiple parameters.", UserWarning, stacklevel=2)
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    ms = [_matrix("chain_matmul", f"matrix {i}", t, 2) for i, t in enumerate(matrices)]
    if len(ms) == 1:
        return ms[0].clone()
    from ..linalg import multi_dot   # (autograd.linalg imports this module)
    return multi_dot(ms)
