"""Arithmetic operators with NumPy broadcasting: + - * / ** and unary minus, plus the
comparisons and logical operators (boolean results, never differentiated).

Gradients of broadcast operands are summed back to each operand's own shape
(`sum_to`), including 0-d and size-1 axes.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..graph import Op, apply, register
from ..tensor import Tensor
from ._util import as_tensor_arg, shape_of
from .shape import sum_to


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
        return a - b

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
        return np.power(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        need_a, need_b = ctx.needs_input_grad
        ga = gb = None
        if need_a:
            if isinstance(b, (int, float)):
                ga = g * 0.0 if b == 0 else g * b * a ** (b - 1)
            else:
                ga = sum_to(g * b * a ** (b - 1), shape_of(a))
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


def log(x: Tensor) -> Tensor:
    from .elementwise import log as _log  # elementwise imports this module
    return _log(x)


class Neg(Op):
    """-x."""
    name = "Neg"
    save_inputs = False

    @staticmethod
    def forward(ctx, x):
        return np.negative(x)

    @staticmethod
    def backward(ctx, g):
        return -g


@register("add", "__add__")
def add(input: Any, other: Any, *, alpha: float = 1) -> Tensor:
    """input + alpha * other, broadcasting."""
    if alpha != 1:
        other = mul(other, alpha)
    return apply(Add, input, other if type(other) is Tensor else as_tensor_arg(other))


@register("sub", "__sub__")
def sub(input: Any, other: Any, *, alpha: float = 1) -> Tensor:
    """input - alpha * other, broadcasting."""
    if alpha != 1:
        other = mul(other, alpha)
    return apply(Sub, input, other if type(other) is Tensor else as_tensor_arg(other))


@register("mul", "__mul__")
def mul(input: Any, other: Any) -> Tensor:
    """Elementwise product, broadcasting."""
    return apply(Mul, input, other if type(other) is Tensor else as_tensor_arg(other))


@register("div", "__truediv__")
def div(input: Any, other: Any) -> Tensor:
    """Elementwise true division, broadcasting."""
    return apply(Div, input, other if type(other) is Tensor else as_tensor_arg(other))


@register("pow", "__pow__")
def pow(input: Any, exponent: Any) -> Tensor:
    """Elementwise power, broadcasting; the exponent may be a tensor or a number."""
    return apply(Pow, input, as_tensor_arg(exponent))


@register("neg", "__neg__")
def neg(input: Tensor) -> Tensor:
    """-input."""
    return apply(Neg, input)


Tensor.__radd__ = lambda self, other: apply(Add, as_tensor_arg(other), self)
Tensor.__rsub__ = lambda self, other: apply(Sub, as_tensor_arg(other), self)
Tensor.__rmul__ = lambda self, other: apply(Mul, as_tensor_arg(other), self)
Tensor.__rtruediv__ = lambda self, other: apply(Div, as_tensor_arg(other), self)
Tensor.__rpow__ = lambda self, other: apply(Pow, as_tensor_arg(other), self)
Tensor.__pos__ = lambda self: self
Tensor.subtract = sub
Tensor.multiply = mul
Tensor.divide = div
Tensor.true_divide = div


# ---- comparisons and logical operators (boolean, no gradient) ------------------------

def _comparison(name: str, ufunc: np.ufunc, dunder: str, doc: str) -> Any:
    cls = type(name.capitalize(), (Op,), {
        "name": name.capitalize(), "differentiable": False, "save_inputs": False,
        "forward": staticmethod(lambda ctx, a, b: ufunc(a, b)), "__doc__": doc})

    def fn(input: Any, other: Any) -> Tensor:
        return apply(cls, input, as_tensor_arg(other))
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc + " (elementwise, boolean result, no gradient)"
    return register(name, dunder)(fn)


eq = _comparison("eq", np.equal, "__eq__", "input == other")
ne = _comparison("ne", np.not_equal, "__ne__", "input != other")
lt = _comparison("lt", np.less, "__lt__", "input < other")
le = _comparison("le", np.less_equal, "__le__", "input <= other")
gt = _comparison("gt", np.greater, "__gt__", "input > other")
ge = _comparison("ge", np.greater_equal, "__ge__", "input >= other")
logical_and = _comparison("logical_and", np.logical_and, "__and__", "input and other")
logical_or = _comparison("logical_or", np.logical_or, "__or__", "input or other")
logical_xor = _comparison("logical_xor", np.logical_xor, "__xor__", "input xor other")
Tensor.__rand__ = lambda self, other: logical_and(self, other)
Tensor.__ror__ = lambda self, other: logical_or(self, other)
Tensor.__rxor__ = lambda self, other: logical_xor(self, other)


class LogicalNot(Op):
    """not x (boolean)."""
    name = "LogicalNot"
    differentiable = False
    save_inputs = False

    @staticmethod
    def forward(ctx, x):
        return np.logical_not(x) if x.dtype != np.bool_ else ~x


@register("logical_not", "__invert__")
def logical_not(input: Tensor) -> Tensor:
    """Elementwise logical not (boolean result, no gradient)."""
    return apply(LogicalNot, input)
