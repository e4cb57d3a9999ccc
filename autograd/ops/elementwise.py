"""Elementwise math: exp, log, trigonometric and activation functions, clamping,
maximum/minimum and where.

Kinks follow PyTorch: relu'(0) = 0, abs'(0) = 0, clamp passes the gradient where
min <= x <= max, and maximum/minimum split it evenly between tied inputs.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..graph import Op, apply, register
from ..tensor import Tensor, wrap
from ._util import as_tensor_arg, shape_of
from .shape import sum_to


def _unary(name: str, forward: Any, backward: Any, doc: str, *, save_output: bool = False,
           methods: tuple = ()) -> Any:
    """Define a one-input op class and its public function in one go."""
    cls = type(name.capitalize(), (Op,), {
        "name": name.capitalize(), "save_inputs": not save_output, "save_output": save_output,
        "forward": staticmethod(lambda ctx, x: forward(x)),
        "backward": staticmethod(backward), "__doc__": doc})

    def fn(input: Tensor) -> Tensor:
        return apply(cls, input)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return register(name, *methods)(fn)


def _x(ctx: Any) -> Tensor:
    return ctx.inputs[0]


exp = _unary("exp", np.exp, lambda ctx, g: g * ctx.output,
             "e^x;  d/dx = e^x.", save_output=True, methods=("exp",))
expm1 = _unary("expm1", np.expm1, lambda ctx, g: g * (ctx.output + 1),
               "e^x - 1, accurate near 0;  d/dx = e^x.", save_output=True, methods=("expm1",))
log = _unary("log", np.log, lambda ctx, g: g / _x(ctx),
             "Natural logarithm;  d/dx = 1/x.", methods=("log",))
log1p = _unary("log1p", np.log1p, lambda ctx, g: g / (_x(ctx) + 1),
               "log(1 + x), accurate near 0;  d/dx = 1/(1+x).", methods=("log1p",))
sqrt = _unary("sqrt", np.sqrt, lambda ctx, g: g / (ctx.output * 2),
              "Square root;  d/dx = 1/(2 sqrt x).", save_output=True, methods=("sqrt",))
sin = _unary("sin", np.sin, lambda ctx, g: g * cos(_x(ctx)),
             "Sine;  d/dx = cos x.", methods=("sin",))
cos = _unary("cos", np.cos, lambda ctx, g: -g * sin(_x(ctx)),
             "Cosine;  d/dx = -sin x.", methods=("cos",))
class TanhBackward(Op):
    """g (1 - y^2) for y = tanh(x), in one pass with one buffer (PyTorch's tanh_backward);
    d/dg = 1 - y^2,  d/dy = -2 g y."""
    name = "TanhBackward"

    @staticmethod
    def forward(ctx, g, y):
        if type(y) is not np.ndarray:
            return g * (1 - y * y)   # NumPy scalars: operators beat ufunc calls here
        out = np.multiply(y, y)
        if out.dtype != np.result_type(out, g):
            return g * (1 - out)    # a wider g: no reuse
        np.subtract(1, out, out=out)
        out *= g
        return out

    @staticmethod
    def backward(ctx, gg):
        g, y = ctx.inputs
        need_g, need_y = ctx.needs_input_grad
        return (apply(TanhBackward, gg, y) if need_g else None,
                gg * g * y * -2.0 if need_y else None)


tanh = _unary("tanh", np.tanh, lambda ctx, g: apply(TanhBackward, g, ctx.output),
              "Hyperbolic tangent;  d/dx = 1 - tanh^2 x.", save_output=True, methods=("tanh",))
arctan = _unary("arctan", np.arctan, lambda ctx, g: g / (_x(ctx) * _x(ctx) + 1),
                "Inverse tangent;  d/dx = 1/(1+x^2).", methods=("arctan", "atan"))
# The masks below are constants of the backward (relu'' = abs'' = 0), so they are
# computed on the arrays directly: one recorded op instead of two.
abs = _unary("abs", np.abs, lambda ctx, g: g * np.sign(_x(ctx)._data),
             "Absolute value;  d/dx = sign x (0 at 0).", methods=("abs", "__abs__"))
relu = _unary("relu", lambda x: np.maximum(x, 0), lambda ctx, g: g * (_x(ctx)._data > 0),
              "max(x, 0);  d/dx = 1 for x > 0 else 0.", methods=("relu",))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # 0.5 (1 + tanh(x/2)) is exact and never overflows, unlike 1/(1+e^-x) for x << 0.
    return 0.5 + 0.5 * np.tanh(0.5 * x)


sigmoid = _unary("sigmoid", _sigmoid,
                 lambda ctx, g: g * ctx.output * (1 - ctx.output),
                 "Logistic 1/(1+e^-x);  d/dx = s(1-s).", save_output=True,
                 methods=("sigmoid",))


class Sign(Op):
    """-1, 0 or 1 (no gradient, as API.md says)."""
    name = "Sign"
    differentiable = False
    save_inputs = False

    @staticmethod
    def forward(ctx, x):
        return np.sign(x)


@register("sign")
def sign(input: Tensor) -> Tensor:
    """The sign of each element: -1, 0 or 1 (not differentiated)."""
    return apply(Sign, input)


class Softplus(Op):
    """log(1 + e^(beta x)) / beta, linear above `threshold`;  d/dx = sigmoid(beta x)."""
    name = "Softplus"

    @staticmethod
    def forward(ctx, x, beta, threshold):
        bx = x * beta
        # max(bx, 0) + log1p(e^-|bx|) is the overflow-free form of log(1 + e^bx).
        soft = (np.maximum(bx, 0) + np.log1p(np.exp(-np.abs(bx)))) / beta
        linear = bx > threshold
        ctx.beta = beta
        ctx.save(linear)
        return np.where(linear, x, soft).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.inputs
        (linear,) = ctx.extra
        return g * where(linear, 1.0, sigmoid(x * ctx.beta))


@register("softplus")
def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """Smooth relu: log(1 + exp(beta x)) / beta (x itself where beta x > threshold)."""
    return apply(Softplus, input, beta=beta, threshold=threshold)


class Clamp(Op):
    """Limit to [min, max]; the gradient passes where min <= x <= max."""
    name = "Clamp"

    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.lo, ctx.hi = lo, hi
        return np.clip(x, lo, hi)

    @staticmethod
    def backward(ctx, g):
        x = ctx.inputs[0].data
        inside = np.ones(x.shape, dtype=bool)
        if ctx.lo is not None:
            inside &= x >= ctx.lo
        if ctx.hi is not None:
            inside &= x <= ctx.hi
        return g * inside


@register("clamp", "clip")
def clamp(input: Tensor, min: Any = None, max: Any = None) -> Tensor:
    """Clamp every element to [min, max] (either bound may be None; tensor bounds allowed)."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min or max must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = input
        if min is not None:
            out = maximum(out, min)
        if max is not None:
            out = minimum(out, max)
        return out
    return apply(Clamp, input, lo=min, hi=max)


clip = clamp


class Maximum(Op):
    """Elementwise max(a, b); ties give each side half the gradient (PyTorch)."""
    name = "Maximum"
    pick = staticmethod(np.greater)
    ufunc = staticmethod(np.maximum)

    @classmethod
    def forward(cls, ctx, a, b):
        return cls.ufunc(a, b)

    @classmethod
    def backward(cls, ctx, g):
        a, b = ctx.inputs
        ad = a.data if isinstance(a, Tensor) else a
        bd = b.data if isinstance(b, Tensor) else b
        wa = cls.pick(ad, bd) + 0.5 * np.equal(ad, bd)
        need_a, need_b = ctx.needs_input_grad
        return (sum_to(g * wa.astype(g.dtype), shape_of(a)) if need_a else None,
                sum_to(g * (1 - wa).astype(g.dtype), shape_of(b)) if need_b else None)


class Minimum(Maximum):
    """Elementwise min(a, b); ties give each side half the gradient (PyTorch)."""
    name = "Minimum"
    pick = staticmethod(np.less)
    ufunc = staticmethod(np.minimum)


@register("maximum")
def maximum(input: Any, other: Any) -> Tensor:
    """Elementwise maximum, broadcasting."""
    return apply(Maximum, input, as_tensor_arg(other))


@register("minimum")
def minimum(input: Any, other: Any) -> Tensor:
    """Elementwise minimum, broadcasting."""
    return apply(Minimum, input, as_tensor_arg(other))


class Where(Op):
    """cond ? a : b;  the gradient goes to the chosen side."""
    name = "Where"
    save_inputs = False

    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.shapes = (shape_of(a), shape_of(b))
        ctx.save(cond)
        return np.where(cond, a, b)

    @staticmethod
    def backward(ctx, g):
        _, need_a, need_b = ctx.needs_input_grad
        (cond,) = ctx.extra
        zero = wrap(np.zeros((), dtype=g.dtype))
        return (None,
                sum_to(where(cond, g, zero), ctx.shapes[0]) if need_a else None,
                sum_to(where(cond, zero, g), ctx.shapes[1]) if need_b else None)


@register("where")
def where(condition: Any, input: Any, other: Any) -> Tensor:
    """Elements of `input` where `condition` holds, else of `other` (broadcasting)."""
    cond = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        cond = cond.astype(bool)
    return apply(Where, cond, as_tensor_arg(input), as_tensor_arg(other))
