"""In-place ops: add_ sub_ mul_ div_ clamp_ zero_ fill_ copy_, ``t[idx] = v`` and the
augmented assignments (+= -= *= /=).

Every in-place change bumps the tensor's version counter (shared with its views), so
a node that saved the old value raises in backward instead of returning a wrong
gradient.  When the change must be recorded (grad mode on and the tensor or the
operand requires grad) the tensor's history is rebased onto the out-of-place op, as
PyTorch does; a leaf that requires grad refuses in-place changes outside no_grad.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..grad_mode import STATE
from ..graph import EPOCH, builtin_error
from ..tensor import Tensor, wrap
from .arith import add, div, mul, sub
from .elementwise import clamp
from .index import index_put, normalize_index


def bump_version(t: Tensor) -> None:
    """Mark `t`'s data (and its views') as changed in place."""
    EPOCH[0] += 1
    vc = t._version_counter()
    vc[0] += 1
    vc[1] = EPOCH[0]


def _needs_record(t: Tensor, operands: tuple) -> bool:
    return STATE.enabled and (t.requires_grad or any(
        isinstance(o, Tensor) and o.requires_grad for o in operands))


def _inplace(t: Tensor, op: str, operands: tuple, fast: Callable[[np.ndarray], Any],
             slow: Callable[[Tensor], Tensor]) -> Tensor:
    """Apply an in-place op: `fast` mutates the array when nothing is recorded; otherwise
    `slow` computes the recorded out-of-place result from a snapshot of the old value."""
    if not _needs_record(t, operands):
        try:
            fast(t.data)
        except (TypeError, ValueError) as e:
            raise builtin_error(e, f"{op}: {e} (tensor of shape {tuple(t.shape)}, dtype "
                                   f"{t.dtype})") from None
        bump_version(t)
        return t
    if t.requires_grad and t.grad_fn is None:
        raise RuntimeError(f"{op}: a leaf Variable that requires grad (shape "
                           f"{tuple(t.shape)}) is being used in an in-place operation. "
                           f"Wrap the update in `with autograd.no_grad():`, or use the "
                           f"out-of-place form.")
    old = wrap(t.data.copy(), t.grad_fn)
    old.requires_grad, old._out_idx = t.requires_grad, t._out_idx
    result = slow(old)
    if result.shape != t.shape:
        raise RuntimeError(f"{op}: output with shape {tuple(t.shape)} doesn't match the "
                           f"broadcast shape {tuple(result.shape)}")
    np.copyto(t.data, result.data)
    bump_version(t)
    node = result.grad_fn
    t.grad_fn, t._out_idx, t.requires_grad = node, result._out_idx, result.requires_grad
    if node is not None:
        node._epoch = EPOCH[0]
        if node.__dict__.get("_out") is not None:  # the saved output is now t's data
            node._out, node._out_vc = t.data, t._vc
    return t


def _value(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


def add_(self: Tensor, other: Any, *, alpha: float = 1) -> Tensor:
    """self += alpha * other, in place."""
    o = _value(other)
    return _inplace(self, "add_", (other,),
                    lambda d: np.add(d, o if alpha == 1 else np.multiply(o, alpha), out=d),
                    lambda old: add(old, other, alpha=alpha))


def sub_(self: Tensor, other: Any, *, alpha: float = 1) -> Tensor:
    """self -= alpha * other, in place."""
    o = _value(other)
    return _inplace(self, "sub_", (other,),
                    lambda d: np.subtract(d, o if alpha == 1 else np.multiply(o, alpha), out=d),
                    lambda old: sub(old, other, alpha=alpha))


def mul_(self: Tensor, other: Any) -> Tensor:
    """self *= other, in place."""
    o = _value(other)
    return _inplace(self, "mul_", (other,), lambda d: np.multiply(d, o, out=d),
                    lambda old: mul(old, other))


def div_(self: Tensor, other: Any) -> Tensor:
    """self /= other, in place."""
    o = _value(other)
    return _inplace(self, "div_", (other,), lambda d: np.true_divide(d, o, out=d),
                    lambda old: div(old, other))


def clamp_(self: Tensor, min: Any = None, max: Any = None) -> Tensor:
    """Clamp to [min, max], in place."""
    return _inplace(self, "clamp_", (min, max),
                    lambda d: np.clip(d, _value(min), _value(max), out=d),
                    lambda old: clamp(old, min, max))


def fill_(self: Tensor, value: Any) -> Tensor:
    """Set every element to `value`, in place."""
    return _inplace(self, "fill_", (value,), lambda d: d.fill(_value(value)),
                    lambda old: old * 0 + value)


def zero_(self: Tensor) -> Tensor:
    """Set every element to 0, in place."""
    return fill_(self, 0)


def copy_(self: Tensor, src: Any) -> Tensor:
    """Copy `src` (broadcast to self's shape) into self, in place."""
    return _inplace(self, "copy_", (src,), lambda d: np.copyto(d, _value(src)),
                    lambda old: old * 0 + src)


def setitem(self: Tensor, index: Any, value: Any) -> None:
    """``self[index] = value``, recorded when grad is needed."""
    idx, _ = normalize_index(index)

    def fast(d: np.ndarray) -> None:
        d[idx] = _value(value)
    _inplace(self, "setitem", (value,), fast, lambda old: index_put(old, index, value))


for _fn in (add_, sub_, mul_, div_, clamp_, fill_, zero_, copy_):
    setattr(Tensor, _fn.__name__, _fn)
Tensor.clip_ = clamp_
Tensor.__setitem__ = setitem
Tensor.__iadd__ = add_
Tensor.__isub__ = sub_
Tensor.__imul__ = mul_
Tensor.__itruediv__ = div_
