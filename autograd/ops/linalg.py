"""Linear algebra: matmul (1-D, 2-D and broadcast-batched operands) and einsum."""
from __future__ import annotations

import string
from typing import Any

import numpy as np

from ..graph import Op, ShapeError, apply, register
from ..tensor import Tensor, wrap
from .shape import expand, reshape_to, sum_to, unsqueeze


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
        if a.ndim == 1 and b.ndim == 1:
            return (g * b if need_a else None), (g * a if need_b else None)
        # (flagged products come from backward, where both operands are >= 2-D)
        a2 = unsqueeze(a, 0) if a.ndim == 1 else a
        b2 = unsqueeze(b, 1) if b.ndim == 1 else b
        g2 = unsqueeze(g, -2) if a.ndim == 1 else g
        g2 = unsqueeze(g2, -1) if b.ndim == 1 else g2
        ga = gb = None   # (shapes are known to match: apply directly, lean reshapes)
        if need_a:   # da = op^-1(g b'^T): b' g^T when a is transposed
            ga = (apply(Matmul, b2, g2, ta=tb, tb=True) if ta
                  else apply(Matmul, g2, b2, tb=not tb))
            ga = reshape_to(sum_to(ga, a2.shape), a.shape)
        if need_b:   # db = op^-1(a'^T g): g^T a' when b is transposed
            gb = (apply(Matmul, g2, a2, ta=True, tb=ta) if tb
                  else apply(Matmul, a2, g2, ta=not ta))
            gb = reshape_to(sum_to(gb, b2.shape), b.shape)
        return ga, gb


@register("matmul", "__matmul__")
def matmul(input: Tensor, other: Any) -> Tensor:
    """Matrix product with NumPy/PyTorch semantics for 1-D, 2-D and batched operands."""
    if not isinstance(other, Tensor):
        other = wrap(np.asarray(other))
    if input.ndim == 0 or other.ndim == 0:
        raise RuntimeError(f"matmul: both arguments to matmul need to be at least 1D, but "
                           f"they are {input.ndim}D and {other.ndim}D")
    k_a = input.shape[-1]
    k_b = other.shape[0] if other.ndim == 1 else other.shape[-2]
    if k_a != k_b:
        raise ShapeError(f"matmul: shapes {tuple(input.shape)} and {tuple(other.shape)} "
                         f"cannot be multiplied ({k_a} != {k_b})")
    return apply(Matmul, input, other)


Tensor.__rmatmul__ = lambda self, other: matmul(wrap(np.asarray(other)), self)
Tensor.mm = matmul
Tensor.bmm = matmul


def _parse(eq: str, shapes: list) -> tuple:
    """Input subscripts (with '...' expanded to letters) and the output subscript."""
    eq = eq.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    ins = lhs.split(",")
    if len(ins) != len(shapes):
        raise ValueError(f"einsum: {len(ins)} subscripts for {len(shapes)} operands")
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
            raise ValueError(f"einsum: subscript '{sub}' has {len(sub)} labels for an "
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
    gradient with the other operands."""
    name = "Einsum"

    @staticmethod
    def forward(ctx, *xs, eq):
        ctx.subs, ctx.out = _parse(eq, [x.shape for x in xs])
        return np.einsum(",".join(ctx.subs) + "->" + ctx.out, *xs, optimize=len(xs) > 2)

    @staticmethod
    def backward(ctx, g):
        xs = ctx.inputs
        grads = []
        for i, (x, sub) in enumerate(zip(xs, ctx.subs)):
            if not ctx.needs_input_grad[i]:
                grads.append(None)
                continue
            if len(set(sub)) != len(sub):
                raise NotImplementedError(
                    f"einsum: the gradient for operand {i} with a repeated subscript "
                    f"('{sub}', a diagonal) is not supported; take the diagonal explicitly")
            others = [s for j, s in enumerate(ctx.subs) if j != i]
            present = set(ctx.out).union(*others)
            kept = "".join(c for c in sub if c in present)
            operands = [g] + [t for j, t in enumerate(xs) if j != i]
            gi = einsum(",".join([ctx.out] + others) + "->" + kept, *operands)
            if kept != sub:  # labels summed away by this operand alone: broadcast back
                for pos, c in enumerate(sub):
                    if c not in present:
                        gi = unsqueeze(gi, pos)
                gi = expand(gi, x.shape)
            grads.append(sum_to(gi, tuple(x.shape)))
        return tuple(grads)


@register("einsum")
def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation over `operands` (NumPy/PyTorch subscripts, '...' allowed)."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    ts = [o if isinstance(o, Tensor) else wrap(np.asarray(o)) for o in operands]
    return apply(Einsum, *ts, eq=equation)
