"""Arithmetic operators with NumPy broadcasting: + - * / ** // % and unary minus/plus,
div's rounding modes, remainder and fmod, addcmul and addcdiv, plus the comparisons
(and their aliases greater, less...), closeness tests (isclose, allclose, equal),
logical and bitwise operators, shifts, gcd and lcm (never differentiated).

Result dtypes follow PyTorch (`dtypes.result_type`, applied by `promote`): a float32
tensor times an int64 tensor or a 0-d float64 tensor stays float32, an int tensor with
a Python float becomes the default float dtype, true division of integers gives it too.
Gradients of broadcast operands are summed back to each operand's own shape
(`sum_to`), including 0-d and size-1 axes.
"""
from __future__ import annotations

from numbers import Number
from typing import Any, Callable

import numpy as np

from ..dtypes import get_default_dtype, result_type
from ..graph import Op, ShapeError, apply, register
from ..tensor import Tensor, wrap
from ._util import as_tensor_arg, shape_of
from .convert import to
from .shape import sum_to


def promote(*operands: Any, floating: bool = False, op: str = "operand") -> tuple[list, np.dtype]:
    """`operands` of an elementwise op (None kept), NumPy ones converted as
    `as_tensor_arg` does, tensors and arrays cast to PyTorch's result dtype (with
    `floating`, an integer or bool result becomes the default float dtype, as for true
    division); and that dtype.  Python numbers stay as they are: NumPy combines them
    without widening the result.  Casting a tensor that requires grad is recorded, so
    its gradient comes back in its own dtype.  `op` names the op in errors."""
    ops = [None if x is None else as_tensor_arg(x, op) for x in operands]
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
    (a, b), dtype = promote(a, b, floating=op == "div", op=op)
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
        # (apply, not `*`: the operands already have the result's dtype)
        return (_summed(apply(Mul, g, b), a) if need_a else None,
                _summed(apply(Mul, g, a), b) if need_b else None)


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
                # b a^(b-1) is 0 * inf or 0 * nan = nan at b = 0 for a = 0 or NaN, where
                # PyTorch's slope is 0.  (PyTorch zeroes it wherever b = 0, which also
                # zeroes d/db of it there, a wrong second derivative; only the NaN
                # points are masked here.)
                ga = g * b * a ** (b - 1)
                a_data = a.data if isinstance(a, Tensor) else a
                nan_at = ((a_data == 0) | np.isnan(a_data)) & \
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
def div(input: Any, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    """Elementwise division, broadcasting: true division (integers give the default float
    dtype), or with `rounding_mode` "trunc" ("floor") the quotient rounded toward zero
    (down) in the operands' dtype, whose gradient is 0 (`DivRounded`)."""
    if rounding_mode is not None:
        return _div_rounded(input, other, rounding_mode)
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
subtract = register("subtract", name="subtract")(sub)
multiply = register("multiply", name="multiply")(mul)
divide = register("divide", name="divide")(div)
true_divide = register("true_divide", name="true_divide")(div)
negative = register("negative", name="negative")(neg)


@register("positive", "__pos__")
def positive(input: Tensor) -> Tensor:
    """+input: input itself, as in PyTorch (refused for bool tensors)."""
    if input.dtype.kind == "b":
        raise RuntimeError("positive: The `+` operator, on a bool tensor is not supported.")
    return input


# ---- rounding division: div's rounding modes, floor_divide, remainder, fmod -----------
# Integer division by zero raises PyTorch's RuntimeError("ZeroDivisionError"); floating
# division by zero gives inf/NaN silently, as does integer overflow (INT_MIN // -1).

def _division_operands(op: str, kernel: str, a: Any, b: Any) -> list:
    """(a, b) in PyTorch's result dtype; bool refused as PyTorch's `kernel` refuses it."""
    ops, dtype = promote(a, b, op=op)
    if dtype.kind == "b":
        raise NotImplementedError(f"{op}: \"{kernel}_cpu\" not implemented for 'Bool'")
    return ops


def _divide(op: str, a: Any, b: Any, ints: Callable, floats: Callable) -> Any:
    """`ints(a, b)` or `floats(a, b)` by the operands' dtype, NumPy's warnings off."""
    with np.errstate(all="ignore"):
        if np.result_type(a, b).kind in "iu":
            if not np.all(b):
                raise RuntimeError(f"{op}: ZeroDivisionError (integer division by zero, "
                                   f"divisor shape {shape_of(b)})")
            return ints(a, b)
        return floats(a, b)


def _int_trunc_div(a: Any, b: Any) -> Any:
    return (a - np.fmod(a, b)) // b   # exact: a - fmod(a, b) is a multiple of b


def _float_trunc_div(a: Any, b: Any) -> Any:
    return np.trunc(a / b)


def _float_remainder(a: Any, b: Any) -> Any:
    # PyTorch's formula: fmod moved by b where the signs differ.  A zero result keeps
    # a's sign (NumPy's remainder gives it b's).
    m = np.fmod(a, b)
    return np.where((m != 0) & ((m < 0) != (b < 0)), m + b, m)


# (int kernel, float kernel) per rounding mode; NumPy's floating floor_divide is
# PyTorch's formula, signed zeros and infinities included.
_ROUNDED = {"trunc": (_int_trunc_div, _float_trunc_div),
            "floor": (np.floor_divide, np.floor_divide)}


class DivRounded(Op):
    """a / b rounded toward zero ("trunc") or down ("floor"): piecewise constant, so
    both gradients are 0 (zeros, as PyTorch's, so it stays connected to the graph)."""
    name = "Div"
    save_inputs = False

    @staticmethod
    def forward(ctx, a, b, mode):
        ctx.shapes = (shape_of(a), shape_of(b))
        return _divide("div", a, b, *_ROUNDED[mode])

    @staticmethod
    def backward(ctx, g):
        return tuple(wrap(np.zeros(s, g.dtype)) if need else None
                     for s, need in zip(ctx.shapes, ctx.needs_input_grad))


class FloorDivide(Op):
    """a // b (Python's).  Not differentiable in PyTorch: the result requires grad when
    an input does, and backward through it raises."""
    name = "FloorDivide"
    save_inputs = False

    @staticmethod
    def forward(ctx, a, b):
        return _divide("floor_divide", a, b, np.floor_divide, np.floor_divide)

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("floor_divide: derivative for aten::floor_divide is not "
                           "implemented (div(a, b, rounding_mode='floor') has gradient 0)")


def _remainder_grads(ctx: Any, g: Tensor, mode: str) -> tuple:
    """da = g,  db = -g q with q = a / b rounded by `mode` (its own gradient 0)."""
    a, b = ctx.inputs
    need_a, need_b = ctx.needs_input_grad
    return (_summed(g, a) if need_a else None,
            _summed(-g * apply(DivRounded, a, b, mode=mode), b) if need_b else None)


class Remainder(Op):
    """a - b floor(a / b): the sign of b (Python's %);  da = g,  db = -g floor(a / b)."""
    name = "Remainder"

    @staticmethod
    def forward(ctx, a, b):
        return _divide("remainder", a, b, np.remainder, _float_remainder)

    @staticmethod
    def backward(ctx, g):
        return _remainder_grads(ctx, g, "floor")


class Fmod(Op):
    """a - b trunc(a / b): the sign of a (C's fmod);  da = g,  db = -g trunc(a / b)."""
    name = "Fmod"

    @staticmethod
    def forward(ctx, a, b):
        return _divide("fmod", a, b, np.fmod, np.fmod)

    @staticmethod
    def backward(ctx, g):
        return _remainder_grads(ctx, g, "trunc")


def _div_rounded(input: Any, other: Any, rounding_mode: str) -> Tensor:
    if rounding_mode not in _ROUNDED:
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or "
                           f"'floor' but found {rounding_mode!r}")
    input, other = _division_operands("div", f"div_{rounding_mode}", input, other)
    return apply(DivRounded, input, other, mode=rounding_mode)


@register("floor_divide", "__floordiv__")
def floor_divide(input: Any, other: Any) -> Tensor:
    """input // other elementwise, rounded down (Python's //), broadcasting; integers
    stay integers.  Backward through it raises, as in PyTorch."""
    return apply(FloorDivide, *_division_operands("floor_divide", "div_floor", input, other))


@register("remainder", "__mod__")
def remainder(input: Any, other: Any) -> Tensor:
    """Elementwise remainder with the sign of the divisor (Python's %), broadcasting."""
    return apply(Remainder, *_division_operands("remainder", "remainder", input, other))


@register("fmod")
def fmod(input: Any, other: Any) -> Tensor:
    """Elementwise remainder with the sign of the dividend (C's fmod), broadcasting."""
    return apply(Fmod, *_division_operands("fmod", "fmod", input, other))


Tensor.__rfloordiv__ = lambda self, other: floor_divide(other, self)
Tensor.__rmod__ = lambda self, other: remainder(other, self)


# ---- fused multiply-add forms --------------------------------------------------------

def _addc_operands(op: str, *operands: Any) -> tuple[list, np.dtype]:
    """`promote` for addcmul/addcdiv, with the broadcast checked first so that an error
    names the op and all three shapes."""
    try:
        np.broadcast_shapes(*(shape_of(x) for x in operands))
    except ValueError as e:
        raise ShapeError(f"{op}: {e}") from None
    return promote(*operands, op=op)


@register("addcmul")
def addcmul(input: Any, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Tensor:
    """input + value * tensor1 * tensor2, broadcasting.  The result dtype is the
    tensors' (value is cast to it, as in PyTorch: an integer result truncates it)."""
    (input, tensor1, tensor2), dtype = _addc_operands("addcmul", input, tensor1, tensor2)
    if dtype.kind == "b":
        raise NotImplementedError("addcmul: \"addcmul_cpu_out\" not implemented for 'Bool'")
    if dtype.kind in "iu":
        value = int(value)
    return add(input, mul(tensor1 if value == 1 else mul(tensor1, value), tensor2))


@register("addcdiv")
def addcdiv(input: Any, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Tensor:
    """input + value * tensor1 / tensor2, broadcasting; refused when both tensor1 and
    tensor2 are integer (PyTorch's former integer division)."""
    if result_type(as_tensor_arg(tensor1), as_tensor_arg(tensor2)).kind in "biu":
        raise RuntimeError("addcdiv: Integer division with addcdiv is no longer supported. "
                           "Use (input + value * trunc(tensor1 / tensor2)).to(input.dtype) "
                           "for the former behavior, or (input + value * tensor1 / "
                           "tensor2) for true division.")
    (input, tensor1, tensor2), _ = _addc_operands("addcdiv", input, tensor1, tensor2)
    return add(input, div(tensor1 if value == 1 else mul(tensor1, value), tensor2))


# ---- closeness (no gradient) ----------------------------------------------------------

class IsClose(Op):
    """|a - b| <= atol + |rtol b| elementwise, or a == b (NaNs equal with equal_nan):
    PyTorch's formula in the operands' dtype, integer and bool errors in the default
    float dtype."""
    name = "IsClose"
    differentiable = False
    save_inputs = False

    @staticmethod
    def forward(ctx, a, b, rtol, atol, equal_nan):
        close = a == b
        floating = a.dtype.kind in "fc"
        if equal_nan and floating:
            close = close | (np.isnan(a) & np.isnan(b))
        if rtol == 0 and atol == 0:
            return close
        if not floating:
            f = get_default_dtype()
            if a.dtype.kind == "b":
                a, b = a.astype(f), b.astype(f)
            err, b = np.abs(a - b).astype(f), b.astype(f)
        else:
            with np.errstate(invalid="ignore"):   # inf - inf
                err = np.abs(a - b)
        return close | (np.isfinite(err) & (err <= atol + np.abs(rtol * b)))


def _two_tensors(op: str, input: Any, other: Any) -> None:
    for arg, x in (("input", input), ("other", other)):
        if not isinstance(x, Tensor):
            raise TypeError(f"{op}(): argument '{arg}' must be Tensor, not {type(x).__name__}")


def _closeness_args(op: str, input: Any, other: Any, rtol: float, atol: float) -> None:
    """PyTorch's checks: two tensors of one dtype, non-negative tolerances."""
    _two_tensors(op, input, other)
    if input.dtype != other.dtype:
        raise RuntimeError(f"{op}: {input.dtype} did not match {other.dtype} (input and "
                           f"other must have the same dtype)")
    for arg, tol in (("rtol", rtol), ("atol", atol)):
        if tol < 0:
            raise RuntimeError(f"{op}: {arg} must be greater than or equal to zero, but "
                               f"got {tol}")


@register("isclose", "isclose")
def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """Elementwise |input - other| <= atol + rtol |other| (boolean, broadcasting)."""
    _closeness_args("isclose", input, other, rtol, atol)
    return apply(IsClose, input, other, rtol=rtol, atol=atol, equal_nan=equal_nan)


@register("allclose", "allclose")
def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """Whether isclose holds for every element (a Python bool)."""
    _closeness_args("allclose", input, other, rtol, atol)
    return bool(np.all(apply(IsClose, input, other, rtol=rtol, atol=atol,
                             equal_nan=equal_nan)._data))


@register("equal", "equal")
def equal(input: Tensor, other: Tensor) -> bool:
    """Whether the two tensors have the same shape and elements (a Python bool; dtypes
    may differ, NaN equals nothing)."""
    _two_tensors("equal", input, other)
    return input.shape == other.shape and bool(np.array_equal(input._data, other._data))


# ---- comparisons, logical and bitwise operators (no gradient) -------------------------

def _comparison(name: str, ufunc: np.ufunc, dunder: str | None, doc: str) -> Any:
    cls = type(name.capitalize(), (Op,), {
        "name": name.capitalize(), "differentiable": False, "save_inputs": False,
        "forward": staticmethod(lambda ctx, a, b: ufunc(a, b)), "__doc__": doc})

    def fn(input: Any, other: Any) -> Tensor:
        if input is None or other is None:   # (NumPy would compare with an object)
            raise TypeError(f"{name}: expected a Tensor or a number, got None")
        # compared in PyTorch's promoted dtype (int64 vs float32 compares in float32)
        return apply(cls, *_operands(name, input, other))
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc + " (elementwise, boolean result, no gradient)"
    if dunder in ("__eq__", "__ne__"):
        setattr(Tensor, dunder, _equality(fn))
        dunder = None
    return register(name, *([dunder] if dunder else []))(fn)


_COMPARABLE = (Tensor, Number, np.generic, np.ndarray, list, tuple)


def _equality(fn: Callable) -> Callable:
    """``t == other`` / ``t != other``: for an operand that is no number, tensor or array
    (None, a string), NotImplemented, so that Python compares identities (False for ==),
    as PyTorch does."""
    def method(self: Tensor, other: Any) -> Any:
        return fn(self, other) if isinstance(other, _COMPARABLE) else NotImplemented
    method.__name__ = method.__qualname__ = f"__{fn.__name__}__"
    return method


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


def _bitwise(name: str, ufunc: np.ufunc, dunder: str | None, doc: str, *,
             kinds: str = "biu", kernel: str | None = None) -> Any:
    """A no-gradient op of two tensors of dtype kinds `kinds` (integers, and bools for the
    logical-on-bools bitwise ops), promoting as arithmetic does; other dtypes are refused
    as PyTorch's `kernel` (default: the op) refuses them."""
    cls = type(name.title().replace("_", ""), (Op,), {
        "name": name.title().replace("_", ""), "differentiable": False,
        "save_inputs": False, "forward": staticmethod(lambda ctx, a, b: ufunc(a, b)),
        "__doc__": doc})

    def fn(input: Any, other: Any) -> Tensor:
        (input, other), dtype = promote(input, other, op=name)
        if dtype.kind not in kinds:
            if kinds == "biu":
                raise _not_integral(name, dtype)
            raise NotImplementedError(f"{name}: \"{kernel or name}_cpu\" not implemented "
                                      f"for {dtype} (it takes integer tensors)")
        return apply(cls, input, other)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc + (" (elementwise on integer or bool tensors, no gradient)"
                        if kinds == "biu" else
                        " (elementwise on integer tensors, broadcasting, no gradient)")
    if dunder is None:
        return register(name)(fn)
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


# ---- comparison aliases; gcd, lcm and the shifts (integers only, no gradient) ----------

greater = register("greater", name="greater")(gt)
greater_equal = register("greater_equal", name="greater_equal")(ge)
less = register("less", name="less")(lt)
less_equal = register("less_equal", name="less_equal")(le)
not_equal = register("not_equal", name="not_equal")(ne)


gcd = _bitwise("gcd", np.gcd, None, "The greatest common divisor of |input| and |other| "
               "(0 when both are 0)", kinds="iu")
lcm = _bitwise("lcm", np.lcm, None, "The least common multiple of |input| and |other| "
               "(0 when either is 0)", kinds="iu")
# (NumPy, since 1.18, defines shift counts below 0 or of at least the bit width as
# PyTorch does: 0 for <<, the sign fill for >>; C leaves them undefined)
bitwise_left_shift = _bitwise(
    "bitwise_left_shift", np.left_shift, "__lshift__",
    "input << other: input times 2^other, wrapping (0 for counts < 0 or >= the bit width)",
    kinds="iu", kernel="lshift")
bitwise_right_shift = _bitwise(
    "bitwise_right_shift", np.right_shift, "__rshift__",
    "input >> other: input divided by 2^other, rounded down (the sign fill for counts < 0 "
    "or >= the bit width)", kinds="iu", kernel="rshift")
