"""Arithmetic operators with NumPy broadcasting: + - * / ** and unary minus, plus the
comparisons, logical and bitwise operators (never differentiated).

Result dtypes follow PyTorch (`dtypes.result_type`, applied by `promote`): a float32
tensor times an int64 tensor or a 0-d float64 tensor stays float32, an int tensor with
a Python float becomes the default float dtype, true division of integers gives it too.
Gradients of broadcast operands are summed back to each operand's own shape
(`sum_to`), including 0-d and size-1 axes.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..dtypes import get_default_dtype, result_type
from ..graph import Op, apply, register
from ..tensor import Tensor
from ._util import as_tensor_arg, shape_of
from .convert import to
from .shape import sum_to


def promote(*operands: Any, floating: bool = False) -> tuple[list, np.dtype]:
    """`operands` of an elementwise op (None kept), NumPy ones converted as
    `as_tensor_arg` does, tensors and arrays cast to PyTorch's result dtype (with
    `floating`, an integer or bool result becomes the default float dtype, as for true
    division); and that dtype.  Python numbers stay as they are: NumPy combines them
    without widening the result.  Casting a tensor that requires grad is recorded, so
    its gradient comes back in its own dtype."""
    ops = [None if x is None else as_tensor_arg(x) for x in operands]
    dtype = result_type(*ops)
    if floating and dtype.kind in "biu":
        dtype = get_default_dtype()
    numbers_only = True
    for i, x in enumerate(ops):
        if isinstance(x, Tensor):
            numbers_only = False
            if x._data.dtype != dtype:
                ops[i] = to(x, dtype)
        elif isinstance(x, np.ndarray):
            numbers_only = False
            if x.dtype != dtype:
                ops[i] = x.astype(dtype)
    if numbers_only:   # where(c, 1.0, 0.0): NumPy alone would make Python floats float64
        ops = [None if x is None else np.asarray(x, dtype) for x in ops]
    return ops, dtype


def _operands(op: str, a: Any, b: Any) -> tuple:
    """(a, b) ready for the arithmetic op `op`: a floating tensor with a Python number,
    a tensor or array of its own dtype or a bool array as they are (NumPy already gives
    PyTorch's dtype), any other pair through `promote` and the op's dtype rules."""
    if isinstance(a, Tensor):   # (Parameters too)
        d = a._data.dtype
        if d.kind in "fc":
            t = type(b)
            if t is float or t is int:
                return a, b
            if isinstance(b, Tensor):
                if b._data.dtype is d:
                    return a, b
            elif t is np.ndarray and (b.dtype is d or b.dtype.kind == "b"):
                return a, b
    if op == "sub" and any(type(x) is bool or getattr(x, "dtype", None) == np.bool_
                           for x in (a, b)):
        raise _bool_sub_error()
    (a, b), dtype = promote(a, b, floating=op == "div")
    if op == "pow":
        if dtype.kind == "b":
            raise NotImplementedError("pow: \"pow\" not implemented for 'Bool'")
        if dtype.kind in "iu" and type(b) is int and b < 0:
            raise RuntimeError(f"pow: Integers to negative integer powers are not allowed "
                               f"(exponent {b})")
    return a, b


def _bool_sub_error() -> RuntimeError:
    return RuntimeError("sub: Subtraction, the `-` operator, with a bool tensor is not "
                        "supported. If you are trying to invert a mask, use the `~` or "
                        "`logical_not()` operator instead.")


def _summed(g: Tensor, like: Tensor) -> Tensor:
    """`g` summed down to the shape of the input `like` (a Tensor that needs grad)."""
    shape = like._data.shape
    return g if g._data.shape == shape else sum_to(g, shape)


def _operand_shapes(a: Any, b: Any) -> tuple | None:
    """The two operands' shapes for a broadcasting op's backward; None when they are
    equal (so equal to the result's: nothing to sum back, and nothing kept)."""
    try:   # arrays and NumPy scalars (the hot case) have .shape; Python numbers do not
        sa, sb = a.shape, b.shape
    except AttributeError:
        sa, sb = shape_of(a), shape_of(b)
    return None if sa == sb else (sa, sb)


class Add(Op):
    """a + b."""
    name = "Add"
    save_inputs = False

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = _operand_shapes(a, b)
        return a + b

    @staticmethod
    def backward(ctx, g):
        need_a, need_b = ctx.needs_input_grad
        if ctx.shapes is None:
            return g if need_a else None, g if need_b else None
        return (sum_to(g, ctx.shapes[0]) if need_a else None,
                sum_to(g, ctx.shapes[1]) if need_b else None)


class Sub(Op):
    """a - b."""
    name = "Sub"
    save_inputs = False

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = _operand_shapes(a, b)
        try:
            return a - b
        except TypeError:
            if np.result_type(a, b) == np.bool_:   # NumPy refuses it too, as a TypeError
                raise _bool_sub_error() from None
            raise

    @staticmethod
    def backward(ctx, g):
        need_a, need_b = ctx.needs_input_grad
        if ctx.shapes is None:
            return g if need_a else None, -g if need_b else None
        return (sum_to(g, ctx.shapes[0]) if need_a else None,
                sum_to(-g, ctx.shapes[1]) if need_b else None)


class Mul(Op):
    """a * b;  da = g b,  db = g a."""
    name = "Mul"

    @staticmethod
    def forward(ctx, a, b):
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        need_a, need_b = ctx.needs_input_grad
        return (_summed(g * b, a) if need_a else None,
                _summed(g * a, b) if need_b else None)


class Div(Op):
    """a / b;  da = g / b,  db = -g a / b^2."""
    name = "Div"

    @staticmethod
    def forward(ctx, a, b):
        return a / b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        need_a, need_b = ctx.needs_input_grad
        ga = g / b
        return (_summed(ga, a) if need_a else None,
                _summed(-ga * a / b, b) if need_b else None)


class Pow(Op):
    """a ** b;  da = g b a^(b-1),  db = g a^b log(a) (0 where a = 0 and b >= 0, as PyTorch)."""
    name = "Pow"
    save_output = True

    @staticmethod
    def forward(ctx, a, b):
        try:
            return np.power(a, b)
        except ValueError:
            if np.result_type(a, b).kind in "iu":   # negative integer exponents
                return _int_power(a, b)
            raise

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        need_a, need_b = ctx.needs_input_grad
        ga = gb = None
        if need_a:
            if isinstance(b, (int, float)):
                ga = g * 0.0 if b == 0 else g * b * a ** (b - 1)
            else:
                # b a^(b-1) is 0 * inf = nan at a = b = 0, where PyTorch's slope is 0.
                # (PyTorch zeroes it wherever b = 0, which also zeroes d/db of it there,
                # a wrong second derivative; only the NaN points are masked here.)
                ga = g * b * a ** (b - 1)
                nan_at = ((a.data if isinstance(a, Tensor) else a) == 0) & \
                    ((b.data if isinstance(b, Tensor) else b) == 0)
                if nan_at.any():
                    ga = where(nan_at, 0.0, ga)
                ga = sum_to(ga, shape_of(a))
        if need_b:
            a_data = a.data if isinstance(a, Tensor) else np.asarray(a)
            b_data = b.data if isinstance(b, Tensor) else np.asarray(b)
            zero = (a_data == 0) & (b_data >= 0)
            safe_a = np.where(zero, 1, a_data).astype(g.dtype) if zero.any() else a
            log_a = log(safe_a) if isinstance(safe_a, Tensor) else \
                np.log(np.asarray(safe_a, dtype=g.dtype))
            gb = g * ctx.output * log_a
            if zero.any():
                gb = gb * ~zero
            gb = sum_to(gb, shape_of(b))
        return ga, gb


def _int_power(a: Any, b: Any) -> np.ndarray:
    """Integer a ** b with negative exponents as PyTorch computes them: 1 for a base of
    1, +-1 for -1 (by the exponent's parity), 0 (the truncated reciprocal) otherwise."""
    a, b = np.asarray(a), np.asarray(b)
    neg = b < 0
    out = np.power(a, np.where(neg, 0, b).astype(b.dtype))
    small = np.where(a == 1, 1, np.where(a == -1, np.where(b % 2 == 0, 1, -1), 0))
    return np.where(neg, small, out).astype(out.dtype)


def log(x: Tensor) -> Tensor:
    from .elementwise import log as _log  # elementwise imports this module
    return _log(x)


def where(condition: Any, input: Any, other: Any) -> Tensor:
    from .elementwise import where as _where  # elementwise imports this module
    return _where(condition, input, other)


class Neg(Op):
    """-x."""
    name = "Neg"
    save_inputs = False

    @staticmethod
    def forward(ctx, x):
        try:
            return np.negative(x)
        except TypeError:
            if x.dtype == np.bool_:
                raise RuntimeError("neg: Negation, the `-` operator, on a bool tensor is not "
                                   "supported. If you are trying to invert a mask, use the "
                                   "`~` or `logical_not()` operator instead.") from None
            raise

    @staticmethod
    def backward(ctx, g):
        return -g


# The public functions test the hot case inline (two tensors of one dtype) and leave
# everything else to `_operands`.

@register("add", "__add__")
def add(input: Any, other: Any, *, alpha: float = 1) -> Tensor:
    """input + alpha * other, broadcasting."""
    if alpha != 1:
        other = mul(other, alpha)
    if not isinstance(other, Tensor) or not isinstance(input, Tensor) \
            or input._data.dtype is not other._data.dtype:
        input, other = _operands("add", input, other)
    return apply(Add, input, other)


@register("sub", "__sub__")
def sub(input: Any, other: Any, *, alpha: float = 1) -> Tensor:
    """input - alpha * other, broadcasting."""
    if alpha != 1:
        other = mul(other, alpha)
    if not isinstance(other, Tensor) or not isinstance(input, Tensor) \
            or input._data.dtype is not other._data.dtype:
        input, other = _operands("sub", input, other)
    return apply(Sub, input, other)


@register("mul", "__mul__")
def mul(input: Any, other: Any) -> Tensor:
    """Elementwise product, broadcasting."""
    if not isinstance(other, Tensor) or not isinstance(input, Tensor) \
            or input._data.dtype is not other._data.dtype:
        input, other = _operands("mul", input, other)
    return apply(Mul, input, other)


@register("div", "__truediv__")
def div(input: Any, other: Any) -> Tensor:
    """Elementwise true division, broadcasting (integers give the default float dtype)."""
    input, other = _operands("div", input, other)
    return apply(Div, input, other)


@register("pow", "__pow__")
def pow(input: Any, exponent: Any) -> Tensor:
    """Elementwise power, broadcasting; the exponent may be a tensor or a number."""
    input, exponent = _operands("pow", input, exponent)
    return apply(Pow, input, exponent)


@register("neg", "__neg__")
def neg(input: Tensor) -> Tensor:
    """-input."""
    return apply(Neg, input)


def _reflected(cls: type, op: str) -> Any:
    def method(self: Tensor, other: Any) -> Tensor:
        self, other = _operands(op, self, other)
        return apply(cls, other, self)
    return method


Tensor.__radd__ = _reflected(Add, "add")
Tensor.__rsub__ = _reflected(Sub, "sub")
Tensor.__rmul__ = _reflected(Mul, "mul")
Tensor.__rtruediv__ = _reflected(Div, "div")
Tensor.__rpow__ = lambda self, other: pow(other, self)
Tensor.__pos__ = lambda self: self
Tensor.subtract = sub
Tensor.multiply = mul
Tensor.divide = div
Tensor.true_divide = div


# ---- comparisons, logical and bitwise operators (no gradient) -------------------------

def _comparison(name: str, ufunc: np.ufunc, dunder: str | None, doc: str) -> Any:
    cls = type(name.capitalize(), (Op,), {
        "name": name.capitalize(), "differentiable": False, "save_inputs": False,
        "forward": staticmethod(lambda ctx, a, b: ufunc(a, b)), "__doc__": doc})

    def fn(input: Any, other: Any) -> Tensor:
        # compared in PyTorch's promoted dtype (int64 vs float32 compares in float32)
        return apply(cls, *_operands(name, input, other))
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc + " (elementwise, boolean result, no gradient)"
    return register(name, *([dunder] if dunder else []))(fn)


eq = _comparison("eq", np.equal, "__eq__", "input == other")
ne = _comparison("ne", np.not_equal, "__ne__", "input != other")
lt = _comparison("lt", np.less, "__lt__", "input < other")
le = _comparison("le", np.less_equal, "__le__", "input <= other")
gt = _comparison("gt", np.greater, "__gt__", "input > other")
ge = _comparison("ge", np.greater_equal, "__ge__", "input >= other")
logical_and = _comparison("logical_and", np.logical_and, None, "input and other")
logical_or = _comparison("logical_or", np.logical_or, None, "input or other")
logical_xor = _comparison("logical_xor", np.logical_xor, None, "input xor other")


class LogicalNot(Op):
    """not x (boolean)."""
    name = "LogicalNot"
    differentiable = False
    save_inputs = False

    @staticmethod
    def forward(ctx, x):
        return np.logical_not(x) if x.dtype != np.bool_ else ~x


@register("logical_not")
def logical_not(input: Tensor) -> Tensor:
    """Elementwise logical not (boolean result, no gradient)."""
    return apply(LogicalNot, input)


def _not_integral(op: str, dtype: np.dtype) -> NotImplementedError:
    return NotImplementedError(f"{op}: \"{op}_cpu\" not implemented for dtype {dtype} "
                               f"(bitwise ops take integer and bool tensors)")


def _bitwise(name: str, ufunc: np.ufunc, dunder: str, doc: str) -> Any:
    """A bitwise op on integers, logical on bools, refused for floats (PyTorch)."""
    cls = type(name.title().replace("_", ""), (Op,), {
        "name": name.title().replace("_", ""), "differentiable": False,
        "save_inputs": False, "forward": staticmethod(lambda ctx, a, b: ufunc(a, b)),
        "__doc__": doc})

    def fn(input: Any, other: Any) -> Tensor:
        (input, other), dtype = promote(input, other)
        if dtype.kind not in "biu":
            raise _not_integral(name, dtype)
        return apply(cls, input, other)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc + " (elementwise on integer or bool tensors, no gradient)"
    setattr(Tensor, "__r" + dunder[2:], lambda self, other: fn(other, self))
    return register(name, dunder)(fn)


bitwise_and = _bitwise("bitwise_and", np.bitwise_and, "__and__", "input & other")
bitwise_or = _bitwise("bitwise_or", np.bitwise_or, "__or__", "input | other")
bitwise_xor = _bitwise("bitwise_xor", np.bitwise_xor, "__xor__", "input ^ other")


class BitwiseNot(Op):
    """~x: -x - 1 on integers, not x on bools."""
    name = "BitwiseNot"
    differentiable = False
    save_inputs = False

    @staticmethod
    def forward(ctx, x):
        return np.invert(x)


@register("bitwise_not")
def bitwise_not(input: Tensor) -> Tensor:
    """Elementwise ~input on integer or bool tensors (no gradient)."""
    if input.dtype.kind not in "biu":
        raise _not_integral("bitwise_not", input.dtype)
    return apply(BitwiseNot, input)


def _invert(self: Tensor) -> Tensor:
    if self._data.dtype.kind not in "biu":
        raise TypeError(f"~ (operator.invert) is only implemented on integer and Boolean-type "
                        f"tensors, got dtype {self._data.dtype}")
    return apply(BitwiseNot, self)


Tensor.__invert__ = _invert
