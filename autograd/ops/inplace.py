"""In-place ops: add_ sub_ mul_ div_ clamp_ zero_ fill_ copy_, the random fills
uniform_ normal_ bernoulli_, ``t[idx] = v``, the augmented assignments (+= -= *= /=
//= %= **=) and the ``name_`` form of other ops (exp_, remainder_, addcmul_, ...:
`inplace_of`).

Every in-place change bumps the tensor's version counter (shared with its views), so
a node that saved the old value raises in backward instead of returning a wrong
gradient.  When the change must be recorded (grad mode on and the tensor or the
operand requires grad) the tensor's history is rebased onto the out-of-place op, as
PyTorch does; a leaf that requires grad, or a view of one, refuses in-place changes
outside no_grad.  A change through a view also rebases the view's base onto a
`CopySlices` node, and the base's other views rebuild their grad_fn when next used
(`graph.refresh_view`).
"""
from __future__ import annotations

from numbers import Number
from typing import Any, Callable

import numpy as np

from ..grad_mode import STATE
from ..graph import (EPOCH, REGISTRY, Op, ShapeError, apply, new_history, refresh_view,
                     view_chain, view_through)
from ..random import resolve
from ..tensor import Tensor, wrap
from .arith import add, div, mul, sub
from .convert import to
from .elementwise import clamp, where
from .index import index_put, normalize_index
from .shape import sum_to


class CastError(TypeError, RuntimeError):
    """The result's dtype can't be cast to the dtype of the tensor changed in place.
    NumPy raises TypeError and PyTorch RuntimeError here, so this is both."""


def bump_version(t: Tensor) -> None:
    """Mark `t`'s data (and its views') as changed in place."""
    EPOCH[0] += 1
    vc = t._version_counter()
    vc[0] += 1
    vc[1] = EPOCH[0]


def _inplace(t: Tensor, op: str, operands: tuple, fast: Callable[[np.ndarray], Any],
             slow: Callable[[Tensor], Tensor]) -> Tensor:
    """Apply an in-place op: `fast` mutates the array when nothing is recorded; otherwise
    `slow` computes the recorded out-of-place result from a snapshot of the old value."""
    enabled = STATE.enabled
    chain = None
    if enabled:
        vc = t._vc
        if vc is not None:   # t may be a view (views share a version counter)
            if len(vc) > 2:   # ... whose base's history changed
                refresh_view(t)
            if getattr(t, "_view", None) is not None:
                chain = view_chain(t)
                if "no_grad" in chain[2]:
                    raise RuntimeError(
                        f"{op}: a view (shape {tuple(t.shape)}) of a tensor that requires "
                        f"grad was created in no_grad mode and is being modified in place "
                        f"with grad mode enabled. This use is ambiguous and error-prone, so "
                        f"it is forbidden: make the view and change it both inside or both "
                        f"outside no_grad.")
    if not enabled or not (t._requires_grad or any(
            isinstance(o, Tensor) and o._requires_grad for o in operands)):
        try:
            fast(t.data)
        except (TypeError, ValueError) as e:
            raise _error(op, t, e) from None
        bump_version(t)
        return t
    return _recorded(t, op, slow, chain)


def _recorded(t: Tensor, op: str, slow: Callable[[Tensor], Tensor], chain: Any) -> Tensor:
    """`_inplace` when the change is recorded: `t` (and, for a view, its base: `chain`
    from `view_chain`) take the out-of-place result's history."""
    if t._requires_grad and t.grad_fn is None:
        raise RuntimeError(f"{op}: a leaf Variable that requires grad (shape "
                           f"{tuple(t.shape)}) is being used in an in-place operation. "
                           f"Wrap the update in `with autograd.no_grad():`, or use the "
                           f"out-of-place form.")
    if chain is not None:
        root, steps, kinds = chain
        if "multi" in kinds:
            raise RuntimeError(f"{op}: a view (shape {tuple(t.shape)}) that is an output of a "
                               f"function returning several views (split, chunk, unbind) is "
                               f"being modified in place; such outputs may not be. clone() "
                               f"the output first.")
        if root._requires_grad and root.grad_fn is None:
            raise RuntimeError(f"{op}: a view of a leaf Variable that requires grad (shape "
                               f"{tuple(root.shape)}) is being used in an in-place "
                               f"operation. Wrap the update in `with autograd.no_grad():`, "
                               f"or use the out-of-place form.")
    if not t.data.flags.writeable:
        raise _read_only(op, t)
    old = wrap(t.data.copy(), t.grad_fn)
    old._out_idx = t._out_idx
    result = slow(old)
    if result.shape != t.shape:
        raise ShapeError(f"{op}: output with shape {tuple(t.shape)} doesn't match the "
                         f"broadcast shape {tuple(result.shape)}")
    try:
        np.copyto(t.data, result.data)
    except TypeError as e:
        raise _error(op, t, e) from None
    if result._data.dtype != t._data.dtype and result.grad_fn is not None:
        # (float32 ``+=`` float64): t's gradient must reach the op cast back to the
        # op's own dtype, so its other operands get theirs in their dtypes
        result = to(result, t._data.dtype)
    had_vc = t._vc is not None
    bump_version(t)
    vc = t._vc
    node = result.grad_fn
    if node is not None:
        # The node saw `t` change only as its own output; an input it saved that shares
        # t's memory (``x *= x``) did change, and backward must say so.
        saved = node.__dict__.get("_inputs")
        if not saved or not any(isinstance(s, Tensor) and s._vc is vc for s in saved):
            node._epoch = EPOCH[0]
        if node.__dict__.get("_out") is not None:  # the saved output is now t's data
            node._out, node._out_vc = t.data, vc
    if chain is None:
        t.grad_fn, t._out_idx = node, result._out_idx
        t._requires_grad = result._requires_grad
        if had_vc:   # views of t may exist: their grad_fn is now stale
            new_history(vc)
        return t
    base = wrap(root.data, root.grad_fn)   # the base's history before the change
    base._out_idx = root._out_idx
    new = apply(CopySlices, base, result, steps=steps)   # (its data: equal to root's)
    root.grad_fn, root._out_idx = new.grad_fn, 0
    root._requires_grad = new._requires_grad
    new_history(vc)
    refresh_view(t)   # t: a view of the rebased base
    return t


def _read_only(op: str, t: Tensor) -> RuntimeError:
    d = t.data
    if any(s == 0 and n > 1 for s, n in zip(d.strides, d.shape)):
        return RuntimeError(f"{op}: unsupported operation: more than one element of the "
                            f"written-to tensor (shape {tuple(t.shape)}, an expanded "
                            f"tensor) refers to a single memory location. Please clone() "
                            f"the tensor before performing the operation.")
    return RuntimeError(f"{op}: the tensor's memory (shape {tuple(t.shape)}) is read-only. "
                        f"Please clone() the tensor before performing the operation.")


def _error(op: str, t: Tensor, e: Exception) -> Exception:
    """NumPy's error of an in-place change as PyTorch's: RuntimeError for a result dtype
    that can't be cast (also a TypeError), a shape mismatch (also a ValueError) or
    read-only memory."""
    if not t.data.flags.writeable:
        return _read_only(op, t)
    msg = f"{op}: {e} (tensor of shape {tuple(t.shape)}, dtype {t.dtype})"
    return CastError(msg) if isinstance(e, TypeError) else ShapeError(msg)


class CopySlices(Op):
    """The base of a view after an in-place change through the view: a copy of `base`
    with the view's elements replaced by `value`.  The old base's gradient is g outside
    the view's region; the new values' is the same view of g."""
    name = "CopySlices"
    save_inputs = False

    @staticmethod
    def forward(ctx, base, value, steps):
        out = np.array(base)
        pos = _positions(out.shape, steps)
        ctx.save(pos)
        ctx.steps = steps
        out.reshape(-1)[pos] = value
        return out

    @staticmethod
    def backward(ctx, g):
        need_base, need_value = ctx.needs_input_grad
        gb = gv = None
        if need_base:
            (pos,) = ctx.extra
            outside = np.ones(g.shape, dtype=bool)
            outside.reshape(-1)[pos] = False
            gb = where(outside, g, wrap(np.zeros((), dtype=g.dtype)))
        if need_value:
            gv = view_through(g, ctx.steps)
        return gb, gv


def _positions(shape: tuple, steps: list) -> np.ndarray:
    """The flat (C-order) positions, in an array of `shape`, of the elements of the view
    that `steps` make: found by viewing the positions themselves, so whatever the memory
    layout (a reshape that was a view of the base's memory may copy them: no matter)."""
    pos = np.arange(int(np.prod(shape))).reshape(shape)
    for cls, params in steps:
        pos = cls.forward(cls.__new__(cls), pos, **params)
    return pos


def _zeros_like(g: Tensor) -> Tensor:
    return wrap(np.zeros(g.shape, dtype=g.dtype))


class Fill(Op):
    """x's shape and dtype, every element `value` (a number or a 0-d tensor): fill_'s
    out-of-place form.  The old values get a zero gradient, the value the sum of g."""
    name = "Fill"
    save_inputs = False

    @staticmethod
    def forward(ctx, x, value):
        return np.full(np.shape(x), value, dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        need_x, need_value = ctx.needs_input_grad
        return _zeros_like(g) if need_x else None, g.sum() if need_value else None


class Copy(Op):
    """`src` broadcast to x's shape and cast to its dtype: copy_'s out-of-place form.
    The old values get a zero gradient, src g summed to its shape."""
    name = "Copy"
    save_inputs = False

    @staticmethod
    def forward(ctx, x, src):
        ctx.src_shape, ctx.src_dtype = np.shape(src), getattr(src, "dtype", None)
        out = np.empty(np.shape(x), dtype=x.dtype)
        np.copyto(out, src, casting="unsafe")
        return out

    @staticmethod
    def backward(ctx, g):
        need_x, need_src = ctx.needs_input_grad
        return (_zeros_like(g) if need_x else None,
                to(sum_to(g, ctx.src_shape), ctx.src_dtype) if need_src else None)


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


def div_(self: Tensor, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    """self /= other (rounded as `div`'s `rounding_mode` says), in place."""
    if rounding_mode is not None:
        return _computed_into(self, "div_", div, (other,), {"rounding_mode": rounding_mode})
    o = _value(other)
    return _inplace(self, "div_", (other,), lambda d: np.true_divide(d, o, out=d),
                    lambda old: div(old, other))


def clamp_(self: Tensor, min: Any = None, max: Any = None) -> Tensor:
    """Clamp to [min, max], in place."""
    if min is None and max is None:
        raise RuntimeError("clamp_: At least one of 'min' or 'max' must not be None")
    return _inplace(self, "clamp_", (min, max),
                    lambda d: np.clip(d, _value(min), _value(max), out=d),
                    lambda old: clamp(old, min, max))


def _fill(d: np.ndarray, value: Any) -> None:
    try:
        d.fill(value)
    except ValueError:
        if d.flags.writeable:
            raise
        # An expanded tensor: PyTorch fills the memory it views (every element gets the
        # value, so the overlap is harmless); truly read-only memory raises here.
        d = d[...]
        d.flags.writeable = True
        d.fill(value)


def fill_(self: Tensor, value: Any) -> Tensor:
    """Set every element to `value` (a number or a 0-d tensor), in place."""
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(f"fill_: fill_ only supports 0-dimension value tensor but "
                               f"got tensor with {value.ndim} dimensions.")
    elif not isinstance(value, (Number, np.generic)) and np.ndim(value) != 0:
        raise TypeError(f"fill_: value must be a number or a 0-dimensional tensor, got "
                        f"{type(value).__name__}")
    return _inplace(self, "fill_", (value,), lambda d: _fill(d, _value(value)),
                    lambda old: apply(Fill, old, value))


def zero_(self: Tensor) -> Tensor:
    """Set every element to 0, in place."""
    return fill_(self, 0)


def copy_(self: Tensor, src: Any) -> Tensor:
    """Copy `src` (broadcast to self's shape, cast to its dtype) into self, in place."""
    return _inplace(self, "copy_", (src,),
                    lambda d: np.copyto(d, _value(src), casting="unsafe"),
                    lambda old: apply(Copy, old, src))


# ---- random fills: new values independent of the old ones (whose gradient is zero) ----

def _random_fill(t: Tensor, op: str, values: np.ndarray) -> Tensor:
    """Store `values` (an array of t's shape) into t in place, recorded as `Copy`."""
    return _inplace(t, op, (), lambda d: np.copyto(d, values, casting="unsafe"),
                    lambda old: apply(Copy, old, values))


def _floating(t: Tensor, op: str) -> None:
    if t.dtype.kind != "f":
        raise NotImplementedError(f"{op}: not implemented for dtype {t.dtype} (it fills "
                                  f"floating tensors)")


def uniform_(self: Tensor, from_: float = 0.0, to: float = 1.0, *,
             generator: np.random.Generator | None = None) -> Tensor:
    """Fill with values drawn from U(from_, to), in place (from the generator seeded by
    ``manual_seed`` unless one is given)."""
    _floating(self, "uniform_")
    if from_ > to:
        raise RuntimeError(f"uniform_: expects a [from, to) range, but found from={from_} > "
                           f"to={to}")
    rng = resolve(generator, "uniform_")
    return _random_fill(self, "uniform_", rng.uniform(from_, to, self.shape))


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, *,
            generator: np.random.Generator | None = None) -> Tensor:
    """Fill with values drawn from N(mean, std^2), in place."""
    _floating(self, "normal_")
    if std < 0:
        raise RuntimeError(f"normal_: expects std >= 0.0, but found std {std}")
    rng = resolve(generator, "normal_")
    return _random_fill(self, "normal_", rng.normal(mean, std, self.shape))


def bernoulli_(self: Tensor, p: Any = 0.5, *,
               generator: np.random.Generator | None = None) -> Tensor:
    """Fill with 1 (probability `p`, a number or a tensor broadcasting to self's shape)
    or 0, in place; any dtype.  A tensor `p` is a constant here (PyTorch gives it a zero
    gradient)."""
    p = np.asarray(_value(p), dtype=np.float64)
    if not np.all((p >= 0) & (p <= 1)):   # (NaN fails too)
        raise RuntimeError(f"bernoulli_: expects p to be in [0, 1], but got p={p}")
    try:
        p = np.broadcast_to(p, self.shape)
    except ValueError:
        raise ShapeError(f"bernoulli_: p of shape {np.shape(p)} does not broadcast to the "
                         f"tensor's shape {tuple(self.shape)}") from None
    rng = resolve(generator, "bernoulli_")
    return _random_fill(self, "bernoulli_", rng.random(self.shape) < p)


def setitem(self: Tensor, index: Any, value: Any) -> None:
    """``self[index] = value``, recorded when grad is needed."""
    idx, _ = normalize_index(index, self.shape)

    def fast(d: np.ndarray) -> None:
        d[idx] = _value(value)
    _inplace(self, "setitem", (value,), fast, lambda old: index_put(old, index, value))


def _computed_into(t: Tensor, op: str, fn: Callable[..., Tensor], args: tuple,
                   kwargs: dict) -> Tensor:
    """``fn(t, *args, **kwargs)`` stored into t: t keeps its shape, and the result must
    cast to t's dtype without narrowing (an int tensor refuses exp_, as in PyTorch)."""
    def fast(d: np.ndarray) -> None:
        result = fn(wrap(d), *args, **kwargs)
        if result.shape != d.shape:   # (copyto would broadcast (1, 3) into (3,))
            raise ValueError(f"output with shape {d.shape} doesn't match the broadcast "
                             f"shape {tuple(result.shape)}")
        np.copyto(d, result._data, casting="same_kind")
    return _inplace(t, op, args + tuple(kwargs.values()), fast,
                    lambda old: fn(old, *args, **kwargs))


def inplace_of(name: str, fn: Callable[..., Tensor] | None = None) -> Callable[..., Tensor]:
    """Set on Tensor, and return, the in-place method ``name_`` of the out-of-place op
    `name` (`fn`, by default the registered op of that name): ``t.name_(*args)`` stores
    ``t.name(*args)`` into t and, when that is recorded, rebases t's history onto the
    op (with the checks of `_inplace`)."""
    op = name + "_"

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        # (looked up at call time: ops registered after this module, like erf, qualify)
        return _computed_into(self, op, fn or REGISTRY[name], args, kwargs)
    method.__name__ = method.__qualname__ = op
    method.__doc__ = f"`{name}` computed into the tensor itself, in place."
    setattr(Tensor, op, method)
    return method


for _fn in (add_, sub_, mul_, div_, clamp_, fill_, zero_, copy_, uniform_, normal_,
            bernoulli_):
    setattr(Tensor, _fn.__name__, _fn)
for _name in ("exp", "expm1", "exp2", "log", "log1p", "log2", "log10", "sqrt", "rsqrt",
              "reciprocal", "square", "sin", "cos", "tan", "sinh", "cosh", "tanh", "arctan",
              "atan", "asin", "arcsin", "acos", "arccos", "asinh", "arcsinh", "acosh",
              "arccosh", "atanh", "arctanh", "atan2", "arctan2", "hypot", "xlogy", "lerp",
              "logit", "nan_to_num", "sigmoid", "relu", "abs", "neg", "negative", "sign",
              "sgn", "floor", "ceil", "round", "trunc", "fix", "frac", "pow", "remainder",
              "fmod", "floor_divide", "addcmul", "addcdiv", "clamp_min", "clamp_max", "erf",
              "masked_fill", "masked_scatter", "index_put", "index_add", "index_copy",
              "index_fill", "scatter", "scatter_add", "tril", "triu", "cumsum", "cumprod"):
    inplace_of(_name)
Tensor.subtract_, Tensor.multiply_, Tensor.divide_, Tensor.true_divide_ = sub_, mul_, div_, div_
Tensor.clip_ = clamp_
Tensor.__setitem__ = setitem
Tensor.__iadd__ = add_
Tensor.__isub__ = sub_
Tensor.__imul__ = mul_
Tensor.__itruediv__ = div_
Tensor.__ifloordiv__ = Tensor.floor_divide_
Tensor.__imod__ = Tensor.remainder_
Tensor.__ipow__ = Tensor.pow_
