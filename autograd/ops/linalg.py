"""Linear algebra: matmul (1-D, 2-D and broadcast-batched operands), its fixed-rank
forms mm, bmm, mv and dot, einsum, and the products outer, inner, kron and cross."""
from __future__ import annotations

import string
import warnings
from typing import Any

import numpy as np

from ..graph import Op, ShapeError, apply, register
from ..tensor import Tensor, wrap
from .shape import expand, reshape, reshape_to, roll, sum_to, unsqueeze
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
