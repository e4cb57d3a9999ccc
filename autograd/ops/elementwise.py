"""Elementwise math: exp, log, trigonometric and activation functions, clamping,
maximum/minimum and where.

Kinks follow PyTorch: relu'(0) = 0, abs'(0) = 0, clamp passes the gradient where
min <= x <= max, and maximum/minimum split it evenly between tied inputs (and give it
to both where either is NaN).  Floating functions of integer or bool tensors compute in
the default float dtype; clamp, maximum, minimum and where promote their operands as
arithmetic does (`arith.promote`).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..dtypes import get_default_dtype
from ..graph import Op, apply, register
from ..tensor import Tensor, wrap
from ._util import as_tensor_arg, shape_of
from .arith import Mul, promote
from .convert import to
from .shape import sum_to


def _unary(name: str, forward: Any, backward: Any, doc: str, *, save_output: bool = False,
           methods: tuple = (), floating: bool = True) -> Any:
    """Define a one-input op class and its public function in one go (`floating`: the
    result is floating, so integer and bool inputs compute in the default float dtype)."""
    cls = type(name.capitalize(), (Op,), {
        "name": name.capitalize(), "save_inputs": not save_output, "save_output": save_output,
        "forward": staticmethod(lambda ctx, x: forward(x)),
        "backward": staticmethod(backward), "__doc__": doc})

    if floating:
        def fn(input: Tensor) -> Tensor:
            if not isinstance(input, Tensor) or input._data.dtype.kind not in "fc":
                input = _as_floating(input)
            return apply(cls, input)
    else:
        def fn(input: Tensor) -> Tensor:
            return apply(cls, input)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return register(name, *methods)(fn)


def _as_floating(x: Any) -> Any:
    """`x` for a floating function: integer and bool tensors and arrays in the default
    float dtype (PyTorch's exp(int tensor) is float32; NumPy's would be float64, or
    float16 for bools)."""
    x = as_tensor_arg(x)
    if isinstance(x, (bool, int, float)):
        return np.asarray(x, dtype=get_default_dtype())
    dtype = getattr(x, "dtype", None)
    if dtype is None or dtype.kind in "fc":
        return x
    if isinstance(x, Tensor):
        return to(x, get_default_dtype())
    return x.astype(get_default_dtype())


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
# computed on the arrays directly and multiplied in by one recorded op (bool or of g's
# dtype, they need no promotion).  At x = NaN they follow PyTorch: relu passes g (its
# mask is "not x <= 0") and abs gives 0.


def _relu_mask(x: np.ndarray) -> np.ndarray:
    m = np.less_equal(x, 0)
    return np.logical_not(m, out=m) if type(m) is np.ndarray else ~m   # (0-d: np.bool_)


def _real_sign(x: np.ndarray) -> np.ndarray:
    """sign x with 0 at NaN (np.sign gives NaN there); x / |x| for complex x."""
    if x.dtype.kind == "c":
        return np.sign(x)
    return np.subtract(x > 0, x < 0, dtype=x.dtype)   # (as fast as np.sign for floats)


abs = _unary("abs", np.abs, lambda ctx, g: apply(Mul, g, _real_sign(_x(ctx)._data)),
             "Absolute value;  d/dx = sign x (0 at 0).", methods=("abs", "__abs__"),
             floating=False)
relu = _unary("relu", lambda x: np.maximum(x, 0),
              lambda ctx, g: apply(Mul, g, _relu_mask(_x(ctx)._data)),
              "max(x, 0);  d/dx = 1 for x > 0 (and NaN) else 0.", methods=("relu",),
              floating=False)


def _exp_max(dtype: Any) -> np.floating:
    """The largest real of `dtype`'s precision whose exp is finite."""
    real = np.finfo(dtype).dtype.type
    with np.errstate(over="ignore"):
        v = np.log(np.finfo(real).max).astype(real)
        return v if np.isfinite(np.exp(v)) else np.nextafter(v, real(0))


# exp(-x) beyond these overflows (to inf, which gives sigmoid's correct 0); float16
# computes in float32, as PyTorch does.
_EXP_MAX = {np.dtype(t): _exp_max(t)
            for t in (np.float32, np.float64, np.complex64, np.complex128)}


def _sigmoid(x: Any) -> Any:
    """1 / (1 + e^-x), PyTorch's formula: relatively accurate everywhere (unlike
    0.5 + 0.5 tanh(x/2), which cancels for x << 0), and about twice as fast.  Where
    e^-x would overflow the input becomes inf first, so exp returns inf without
    NumPy's overflow warning (np.errstate costs more than the whole op on small
    inputs)."""
    limit = _EXP_MAX.get(x.dtype)
    if limit is None:   # float16
        return _sigmoid(x.astype(np.float32)).astype(x.dtype)
    t = np.negative(x)
    if type(t) is not np.ndarray:   # a 0-d tensor's NumPy scalar
        return 1 / (1 + np.exp(t if t.real <= limit else t.dtype.type(np.inf)))
    if t.size and np.fmax.reduce(t.real, axis=None) > limit:   # fmax: NaN-blind
        t[t.real > limit] = np.inf
    np.exp(t, out=t)
    t += 1
    return np.divide(1, t, out=t)


sigmoid = _unary("sigmoid", _sigmoid,
                 lambda ctx, g: g * ctx.output * (1 - ctx.output),
                 "Logistic 1/(1+e^-x);  d/dx = s(1-s).", save_output=True,
                 methods=("sigmoid",))


class Sign(Op):
    """-1, 0 or 1 (0 for NaN; bools unchanged), no gradient, as API.md says."""
    name = "Sign"
    differentiable = False
    save_inputs = False

    @staticmethod
    def forward(ctx, x):
        if x.dtype == np.bool_:
            return x.copy()
        s = np.sign(x)
        return np.where(s != s, 0, s) if s.dtype.kind == "f" else s


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
    """min(max(x, lo), hi), either bound None or a (broadcast) tensor.  Gradients as
    PyTorch's: x gets g where lo <= x <= hi; lo where x < lo < hi; hi where x > hi or
    hi < lo (the result is hi then).  A NaN anywhere gives the result NaN and no input
    the gradient."""
    name = "Clamp"

    @staticmethod
    def forward(ctx, x, lo, hi):
        return np.clip(x, lo, hi)

    @staticmethod
    def backward(ctx, g):
        x, lo, hi = ctx.inputs
        xd, lod, hid = (v.data if isinstance(v, Tensor) else v for v in (x, lo, hi))
        need_x, need_lo, need_hi = ctx.needs_input_grad
        gx = glo = ghi = None
        if need_x:
            inside = (xd <= hid if lo is None else xd >= lod if hi is None
                      else (xd >= lod) & (xd <= hid))
            gx = sum_to(where(inside, g, 0.0), shape_of(x))
        if need_lo:
            below = xd < lod if hi is None else (xd < lod) & (lod < hid)
            glo = sum_to(where(below, g, 0.0), shape_of(lo))
        if need_hi:
            above = xd > hid if lo is None else (xd > hid) | (hid < lod)
            ghi = sum_to(where(above, g, 0.0), shape_of(hi))
        return gx, glo, ghi


@register("clamp")
def clamp(input: Tensor, min: Any = None, max: Any = None) -> Tensor:
    """Clamp every element to [min, max] (either bound may be None; numbers or tensors,
    which broadcast).  The result dtype is PyTorch's: clamp(int tensor, 0.5) is float."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min or max must not be None")
    if not isinstance(input, Tensor) or input._data.dtype.kind not in "fc" \
            or type(min) not in _BOUNDS or type(max) not in _BOUNDS:
        (input, min, max), _ = promote(input, min, max)
    return apply(Clamp, input, min, max)


# Bounds that leave a floating input's dtype as it is (the common case: no promotion).
_BOUNDS = frozenset((float, int, type(None)))


clip = register("clip", name="clip")(clamp)


class Maximum(Op):
    """Elementwise max(a, b); ties give each side half the gradient, and where either is
    NaN (so is the result) both get all of it (PyTorch)."""
    name = "Maximum"
    loses = staticmethod(np.less)
    ufunc = staticmethod(np.maximum)

    @classmethod
    def forward(cls, ctx, a, b):
        return cls.ufunc(a, b)

    @classmethod
    def backward(cls, ctx, g):
        a, b = ctx.inputs
        ad = a.data if isinstance(a, Tensor) else a
        bd = b.data if isinstance(b, Tensor) else b
        tie = 0.5 * np.equal(ad, bd)
        need_a, need_b = ctx.needs_input_grad
        return (sum_to(g * (1 - tie - cls.loses(ad, bd)).astype(g.dtype), shape_of(a))
                if need_a else None,
                sum_to(g * (1 - tie - cls.loses(bd, ad)).astype(g.dtype), shape_of(b))
                if need_b else None)


class Minimum(Maximum):
    """Elementwise min(a, b); ties give each side half the gradient, and where either is
    NaN both get all of it (PyTorch)."""
    name = "Minimum"
    loses = staticmethod(np.greater)
    ufunc = staticmethod(np.minimum)


@register("maximum")
def maximum(input: Any, other: Any) -> Tensor:
    """Elementwise maximum, broadcasting."""
    (input, other), _ = promote(input, other)
    return apply(Maximum, input, other)


@register("minimum")
def minimum(input: Any, other: Any) -> Tensor:
    """Elementwise minimum, broadcasting."""
    (input, other), _ = promote(input, other)
    return apply(Minimum, input, other)


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
    if not isinstance(input, Tensor) or not isinstance(other, Tensor) \
            or input._data.dtype is not other._data.dtype:
        (input, other), _ = promote(input, other)
    return apply(Where, cond, input, other)
