"""Elementwise math: exp, log, trigonometric, hyperbolic and activation functions,
rounding, clamping, maximum/minimum (fmax/fmin), atan2, hypot, logaddexp, xlogy, lerp,
nan_to_num, the isnan family (with signbit, isneginf, isposinf, isreal) and where;
copysign, heaviside, deg2rad/rad2deg, float_power, ldexp/frexp, nextafter, and
fliplr/flipud (flips, kept here as the shape module is another family's).

Kinks follow PyTorch: relu'(0) = 0, abs'(0) = 0, clamp passes the gradient where
min <= x <= max, and maximum/minimum split it evenly between tied inputs (and give it
to both where either is NaN).  Floating functions of integer or bool tensors compute in
the default float dtype; clamp, maximum, minimum and where promote their operands as
arithmetic does (`arith.promote`); floor, ceil, round and trunc keep integer dtypes.
Functions limited to a domain (log, sqrt, asin...) return inf/NaN outside it without
NumPy's warnings, as PyTorch does.
"""
from __future__ import annotations

import warnings
from collections import namedtuple
from typing import Any

import numpy as np

from ..dtypes import get_default_dtype
from ..graph import REGISTRY, Op, apply, register
from ..tensor import Tensor, wrap
from ._util import as_tensor_arg, shape_of
from .arith import Mul, mul, promote
from .arith import pow as _pow
from .convert import to
from .shape import flip, sum_to


def _unary(name: str, forward: Any, backward: Any, doc: str, *, save_output: bool = False,
           methods: tuple = (), floating: bool = True, reuses_grad: bool = False) -> Any:
    """Define a one-input op class and its public function in one go (`floating`: the
    result is floating, so integer and bool inputs compute in the default float dtype;
    `reuses_grad`: its backward uses `_times_grad`)."""
    cls = type(name.capitalize(), (Op,), {
        "name": name.capitalize(), "save_inputs": not save_output, "save_output": save_output,
        "keeps_shape": True, "reuses_grad": reuses_grad,
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


def _times_grad(ctx: Any, g: Tensor, mask: np.ndarray) -> Tensor:
    """g * mask (a bool or g-dtype array of g's shape) in the backward of a node whose
    class sets `reuses_grad`: written into g's buffer when plain backward handed g to
    this node alone (``ctx.grad_free``), since that buffer is still in cache and a new
    one is not; else a new product (recorded with create_graph).  The flag holds for
    this one call."""
    if ctx.grad_free:
        ctx.grad_free = False
        d = g._data
        np.multiply(d, mask, out=d)
        return g
    return apply(Mul, g, mask)


def _x(ctx: Any) -> Tensor:
    return ctx.inputs[0]


def _quiet(f: Any) -> Any:
    """`f` without NumPy's warnings for arguments outside its domain (log(0), sqrt(-1)):
    PyTorch returns inf/NaN silently.  (np.errstate costs ~1.6 us, so only the
    domain-limited functions pay it.)"""
    def quiet(x: Any) -> Any:
        with np.errstate(divide="ignore", invalid="ignore"):
            return f(x)
    return quiet


exp = _unary("exp", np.exp, lambda ctx, g: g * ctx.output,
             "e^x;  d/dx = e^x.", save_output=True, methods=("exp",))
expm1 = _unary("expm1", np.expm1, lambda ctx, g: g * (ctx.output + 1),
               "e^x - 1, accurate near 0;  d/dx = e^x.", save_output=True, methods=("expm1",))
log = _unary("log", _quiet(np.log), lambda ctx, g: g / _x(ctx),
             "Natural logarithm;  d/dx = 1/x.", methods=("log",))
log1p = _unary("log1p", _quiet(np.log1p), lambda ctx, g: g / (_x(ctx) + 1),
               "log(1 + x), accurate near 0;  d/dx = 1/(1+x).", methods=("log1p",))
sqrt = _unary("sqrt", _quiet(np.sqrt), lambda ctx, g: g / (ctx.output * 2),
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
atan = register(name="atan")(arctan)
_LN2 = float(np.log(2.0))
_LN10 = float(np.log(10.0))
log2 = _unary("log2", _quiet(np.log2), lambda ctx, g: g / (_x(ctx) * _LN2),
              "Base-2 logarithm;  d/dx = 1/(x ln 2).", methods=("log2",))
log10 = _unary("log10", _quiet(np.log10), lambda ctx, g: g / (_x(ctx) * _LN10),
               "Base-10 logarithm;  d/dx = 1/(x ln 10).", methods=("log10",))
exp2 = _unary("exp2", np.exp2, lambda ctx, g: g * ctx.output * _LN2,
              "2^x;  d/dx = 2^x ln 2.", save_output=True, methods=("exp2",))
rsqrt = _unary("rsqrt", _quiet(lambda x: 1 / np.sqrt(x)),
               lambda ctx, g: g * ctx.output * ctx.output * ctx.output * -0.5,
               "1/sqrt(x);  d/dx = -y^3/2.", save_output=True, methods=("rsqrt",))
reciprocal = _unary("reciprocal", _quiet(lambda x: 1 / x),
                    lambda ctx, g: -(g * ctx.output * ctx.output),
                    "1/x;  d/dx = -1/x^2.", save_output=True, methods=("reciprocal",))
tan = _unary("tan", _quiet(np.tan), lambda ctx, g: g * (ctx.output * ctx.output + 1),
             "Tangent;  d/dx = 1 + tan^2 x.", save_output=True, methods=("tan",))
sinh = _unary("sinh", np.sinh, lambda ctx, g: g * cosh(_x(ctx)),
              "Hyperbolic sine;  d/dx = cosh x.", methods=("sinh",))
cosh = _unary("cosh", np.cosh, lambda ctx, g: g * sinh(_x(ctx)),
              "Hyperbolic cosine;  d/dx = sinh x.", methods=("cosh",))
asin = _unary("asin", _quiet(np.arcsin), lambda ctx, g: g * rsqrt(1 - _x(ctx) * _x(ctx)),
              "Inverse sine;  d/dx = 1/sqrt(1-x^2).", methods=("asin", "arcsin"))
acos = _unary("acos", _quiet(np.arccos), lambda ctx, g: -g * rsqrt(1 - _x(ctx) * _x(ctx)),
              "Inverse cosine;  d/dx = -1/sqrt(1-x^2).", methods=("acos", "arccos"))
asinh = _unary("asinh", np.arcsinh, lambda ctx, g: g * rsqrt(_x(ctx) * _x(ctx) + 1),
               "Inverse hyperbolic sine;  d/dx = 1/sqrt(x^2+1).", methods=("asinh", "arcsinh"))
acosh = _unary("acosh", _quiet(np.arccosh), lambda ctx, g: g * rsqrt(_x(ctx) * _x(ctx) - 1),
               "Inverse hyperbolic cosine;  d/dx = 1/sqrt(x^2-1).",
               methods=("acosh", "arccosh"))
atanh = _unary("atanh", _quiet(np.arctanh), lambda ctx, g: g / (1 - _x(ctx) * _x(ctx)),
               "Inverse hyperbolic tangent;  d/dx = 1/(1-x^2).", methods=("atanh", "arctanh"))
arcsin = register(name="arcsin")(asin)
arccos = register(name="arccos")(acos)
arcsinh = register(name="arcsinh")(asinh)
arccosh = register(name="arccosh")(acosh)
arctanh = register(name="arctanh")(atanh)


def _torch_dtype_name(dtype: np.dtype) -> str:
    """PyTorch's name of a dtype in its "not implemented for 'Long'" errors."""
    return _TORCH_NAMES.get(np.dtype(dtype), str(dtype))


_TORCH_NAMES = {np.dtype(t): n for t, n in (
    (np.bool_, "Bool"), (np.uint8, "Byte"), (np.int8, "Char"), (np.int16, "Short"),
    (np.int32, "Int"), (np.int64, "Long"))}


def _not_implemented(op: str, dtype: np.dtype) -> NotImplementedError:
    return NotImplementedError(f"{op}: \"{op}\" not implemented for "
                               f"'{_torch_dtype_name(dtype)}'")


def _dtype_of(x: Any) -> np.dtype:
    """The dtype of a tensor, array or number operand."""
    x = as_tensor_arg(x)
    return x._data.dtype if isinstance(x, Tensor) else np.result_type(x)


class _Rounding(Op):
    """Base of floor, ceil, round, trunc: integer inputs come back as they are (PyTorch
    keeps their dtype; NumPy's ufuncs would make them float64).  Piecewise constant, so
    the gradient is 0, as in PyTorch."""
    save_inputs = False
    ufunc: Any = None

    @classmethod
    def forward(cls, ctx, x, decimals=0):
        if x.dtype.kind in "iu":
            return x.copy()
        if decimals:
            return np.round(x, decimals)
        return cls.ufunc(x)

    @staticmethod
    def backward(ctx, g):
        return wrap(np.zeros_like(g.data))


def _rounding(name: str, ufunc: np.ufunc, doc: str) -> Any:
    """A `_Rounding` op class and its public function (bool tensors refused)."""
    cls = type(name.capitalize(), (_Rounding,), {
        "name": name.capitalize(), "ufunc": staticmethod(ufunc), "__doc__": doc})

    def fn(input: Tensor) -> Tensor:
        if _dtype_of(input).kind == "b":
            raise _not_implemented(name, np.bool_)
        return apply(cls, input)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc + " (integer tensors unchanged; gradient 0)"
    return register(*((name, "fix") if name == "trunc" else (name,)))(fn)


floor = _rounding("floor", np.floor, "The largest integer <= x, elementwise")
ceil = _rounding("ceil", np.ceil, "The smallest integer >= x, elementwise")
trunc = _rounding("trunc", np.trunc, "x rounded toward 0, elementwise")
fix = register(name="fix")(trunc)
_Round = type("Round", (_Rounding,), {"name": "Round", "ufunc": staticmethod(np.rint)})


@register("round")
def round(input: Tensor, *, decimals: int = 0) -> Tensor:
    """x rounded to `decimals` decimal places (negative: to tens, hundreds...), halves to
    even; integer tensors unchanged (PyTorch refuses them with decimals); gradient 0."""
    dtype = _dtype_of(input)
    if dtype.kind == "b" or (decimals and dtype.kind in "iu"):
        raise _not_implemented("round", dtype)
    return apply(_Round, input, decimals=decimals)


class Frac(Op):
    """x - trunc(x), the fractional part with x's sign;  d/dx = 1."""
    name = "Frac"
    save_inputs = False

    @staticmethod
    def forward(ctx, x):
        with np.errstate(invalid="ignore"):   # frac(inf) = NaN, silently as in PyTorch
            return x - np.trunc(x)

    @staticmethod
    def backward(ctx, g):
        return g


@register("frac")
def frac(input: Tensor) -> Tensor:
    """The fractional part x - trunc(x) (floating tensors only);  d/dx = 1."""
    dtype = _dtype_of(input)
    if dtype.kind not in "fc":
        raise _not_implemented("frac", dtype)
    return apply(Frac, input)


@register("square")
def square(input: Tensor) -> Tensor:
    """x * x (an integer stays integer, a bool becomes int64, as in PyTorch);
    d/dx = 2x."""
    if _dtype_of(input).kind == "b":
        input = to(input, np.int64) if isinstance(input, Tensor) \
            else np.asarray(input, dtype=np.int64)
    return mul(input, input)


# The masks below are constants of the backward (relu'' = abs'' = 0), so they are
# computed on the arrays directly and multiplied in by one recorded op (bool or of g's
# dtype, they need no promotion).  At x = NaN they follow PyTorch: relu passes g (its
# mask is "not x <= 0", that is y = relu(x) != 0) and abs gives 0.


def _real_sign(x: np.ndarray) -> np.ndarray:
    """sign x with 0 at NaN (np.sign gives NaN there); x / |x| for complex x."""
    if x.dtype.kind == "c":
        return np.sign(x)
    return np.subtract(x > 0, x < 0, dtype=x.dtype)   # (as fast as np.sign for floats)


abs = _unary("abs", np.abs, lambda ctx, g: apply(Mul, g, _real_sign(_x(ctx)._data)),
             "Absolute value;  d/dx = sign x (0 at 0).", methods=("abs", "__abs__"),
             floating=False)
relu = _unary("relu", lambda x: np.maximum(x, 0),
              lambda ctx, g: _times_grad(ctx, g, ctx.output._data != 0),   # (y > 0 or NaN)
              "max(x, 0);  d/dx = 1 for x > 0 (and NaN) else 0.", methods=("relu",),
              floating=False, save_output=True, reuses_grad=True)


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


sgn = register("sgn", name="sgn")(sign)   # (PyTorch's sgn is sign for real tensors)


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
    """Smooth relu: log(1 + exp(beta x)) / beta (x itself where beta x > threshold), of a
    floating input (PyTorch refuses integers and bools)."""
    dt = _dtype_of(input)
    if dt.kind not in "fc":
        raise NotImplementedError(f"softplus: not implemented for dtype {dt}: a floating "
                                  f"input is needed (convert with .float())")
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
        raise RuntimeError("clamp: At least one of 'min' or 'max' must not be None")
    if not isinstance(input, Tensor) or input._data.dtype.kind not in "fc" \
            or type(min) not in _BOUNDS or type(max) not in _BOUNDS:
        (input, min, max), _ = promote(input, min, max, op="clamp")
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


def _promoting(name: str, cls: type, doc: str) -> Any:
    """The public function of the two-operand op `cls`, promoting as arithmetic does."""
    def fn(input: Any, other: Any) -> Tensor:
        (input, other), _ = promote(input, other, op=name)
        return apply(cls, input, other)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return register(name)(fn)


maximum = _promoting("maximum", Maximum, "Elementwise maximum, broadcasting.")
minimum = _promoting("minimum", Minimum, "Elementwise minimum, broadcasting.")


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


_NO_ARG = object()   # where(condition) alone


@register()
def where(condition: Any, input: Any = _NO_ARG, other: Any = _NO_ARG) -> Any:
    """Elements of `input` where the bool `condition` holds, else of `other`
    (broadcasting).  ``where(condition)`` alone is ``nonzero(condition, as_tuple=True)``."""
    if input is _NO_ARG or other is _NO_ARG:
        if input is not other:
            raise TypeError("where: expected condition, input and other, or condition alone")
        return REGISTRY["nonzero"](condition, as_tuple=True)   # (index.py imports this module)
    cond = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        # PyTorch refuses every other dtype, and still takes uint8 with a warning.
        if cond.dtype != np.uint8:
            raise RuntimeError(f"where expected condition to be a boolean tensor, but got "
                               f"a tensor with dtype {cond.dtype}")
        warnings.warn("where received a uint8 condition tensor. This behavior is "
                      "deprecated; use a boolean condition instead.", UserWarning,
                      stacklevel=2)
        cond = cond.astype(bool)
    if not isinstance(input, Tensor) or not isinstance(other, Tensor) \
            or input._data.dtype is not other._data.dtype:
        (input, other), _ = promote(input, other, op="where")
    return apply(Where, cond, input, other)


def _where_method(self: Tensor, condition: Any, other: Any) -> Tensor:
    """``x.where(condition, y)`` is ``where(condition, x, y)``, as in PyTorch."""
    return where(condition, self, other)


Tensor.where = _where_method


def _floating_pair(op: str, input: Any, other: Any, *, integers: bool) -> tuple:
    """(input, other) of a binary floating function promoted as PyTorch does: with
    `integers`, an integer or bool result computes in the default float dtype (atan2),
    else it is refused (hypot, logaddexp)."""
    (input, other), dtype = promote(input, other, floating=integers, op=op)
    if dtype.kind not in "fc":
        raise _not_implemented(op, dtype)
    return input, other


class Atan2(Op):
    """The angle of the point (b, a): arctan(a/b) in the right quadrant;
    d/da = b/(a^2+b^2),  d/db = -a/(a^2+b^2)."""
    name = "Atan2"

    @staticmethod
    def forward(ctx, a, b):
        return np.arctan2(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        need_a, need_b = ctx.needs_input_grad
        r = a * a + b * b
        s = g / r
        zero = r.data == 0
        if np.any(zero):   # at the origin PyTorch gives 0 rather than NaN
            s = where(zero, 0.0, s)
        return (sum_to(s * b, shape_of(a)) if need_a else None,
                sum_to(-(s * a), shape_of(b)) if need_b else None)


@register("atan2", "atan2", "arctan2")
def atan2(input: Any, other: Any) -> Tensor:
    """Elementwise atan2(input, other), the angle of (other, input), broadcasting;
    integer inputs compute in the default float dtype."""
    return apply(Atan2, *_floating_pair("atan2", input, other, integers=True))


arctan2 = register(name="arctan2")(atan2)


class Hypot(Op):
    """sqrt(a^2 + b^2) without overflow;  d/da = a/h,  d/db = b/h."""
    name = "Hypot"
    save_output = True

    @staticmethod
    def forward(ctx, a, b):
        return np.hypot(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        need_a, need_b = ctx.needs_input_grad
        s = g / ctx.output
        return (sum_to(s * a, shape_of(a)) if need_a else None,
                sum_to(s * b, shape_of(b)) if need_b else None)


@register("hypot")
def hypot(input: Any, other: Any) -> Tensor:
    """Elementwise sqrt(input^2 + other^2), broadcasting (floating tensors only)."""
    return apply(Hypot, *_floating_pair("hypot", input, other, integers=False))


class Logaddexp(Op):
    """log(e^a + e^b) without overflow;  d/da = sigmoid(a - b),  d/db = sigmoid(b - a)."""
    name = "Logaddexp"

    @staticmethod
    def forward(ctx, a, b):
        with np.errstate(invalid="ignore"):   # logaddexp(inf, inf) = inf, silently
            return np.logaddexp(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        need_a, need_b = ctx.needs_input_grad
        return (sum_to(g * sigmoid(a - b), shape_of(a)) if need_a else None,
                sum_to(g * sigmoid(b - a), shape_of(b)) if need_b else None)


@register("logaddexp")
def logaddexp(input: Any, other: Any) -> Tensor:
    """Elementwise log(exp(input) + exp(other)), broadcasting (floating tensors only)."""
    return apply(Logaddexp, *_floating_pair("logaddexp", input, other, integers=False))


class Xlogy(Op):
    """x log y, 0 where x = 0 and y is not NaN (PyTorch);  d/dx = log y (0 where x = 0
    and y <= 0, as in PyTorch, rather than -inf or NaN),  d/dy = x/y."""
    name = "Xlogy"

    @staticmethod
    def forward(ctx, x, y):
        with np.errstate(divide="ignore", invalid="ignore"):
            out = x * np.log(y)
        return np.where((x == 0) & (y == y), out.dtype.type(0), out)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.inputs
        need_x, need_y = ctx.needs_input_grad
        gx = gy = None
        if need_x:
            xd, yd = (v.data if isinstance(v, Tensor) else v for v in (x, y))
            gx = sum_to(where((xd == 0) & (yd <= 0), 0.0, xlogy(g, y)), shape_of(x))
        if need_y:
            gy = sum_to(g * x / y, shape_of(y))
        return gx, gy


@register("xlogy")
def xlogy(input: Any, other: Any) -> Tensor:
    """Elementwise input * log(other), 0 where input is 0 (unless other is NaN),
    broadcasting; integer inputs compute in the default float dtype."""
    return apply(Xlogy, *_floating_pair("xlogy", input, other, integers=True))


class Fmax(Op):
    """Elementwise max(a, b) ignoring NaN (NaN only where both are).  The gradient goes
    to a where a >= b or b is NaN, else to b (PyTorch: ties go to a)."""
    name = "Fmax"
    ufunc = staticmethod(np.fmax)
    wins = staticmethod(np.greater_equal)

    @classmethod
    def forward(cls, ctx, a, b):
        return cls.ufunc(a, b)

    @classmethod
    def backward(cls, ctx, g):
        a, b = ctx.inputs
        need_a, need_b = ctx.needs_input_grad
        ad, bd = (v.data if isinstance(v, Tensor) else v for v in (a, b))
        to_a = cls.wins(ad, bd) | np.isnan(bd)
        return (sum_to(where(to_a, g, 0.0), shape_of(a)) if need_a else None,
                sum_to(where(to_a, 0.0, g), shape_of(b)) if need_b else None)


class Fmin(Fmax):
    """Elementwise min(a, b) ignoring NaN.  The gradient goes to a where a <= b or b is
    NaN, else to b."""
    name = "Fmin"
    ufunc = staticmethod(np.fmin)
    wins = staticmethod(np.less_equal)


fmax = _promoting("fmax", Fmax, "Elementwise maximum that ignores NaN (NaN only where both "
                                  "are), broadcasting.")
fmin = _promoting("fmin", Fmin, "Elementwise minimum that ignores NaN (NaN only where both "
                                  "are), broadcasting.")


@register("lerp")
def lerp(input: Tensor, end: Tensor, weight: Any) -> Tensor:
    """input + weight (end - input), with weight a number or a (broadcast) tensor.
    PyTorch's form: end - (end - input)(1 - weight) where |weight| >= 1/2, so that
    weight 1 gives `end` exactly.  input and end must share a floating dtype."""
    a, b = _dtype_of(input), _dtype_of(end)
    if a.kind not in "fc":
        raise _not_implemented("lerp", a)
    if a != b:
        raise RuntimeError(f"lerp: expected dtype {a} for `end` but got dtype {b}")
    diff = end - input
    if not isinstance(weight, Tensor):
        return input + diff * weight if -0.5 < weight < 0.5 else end - diff * (1 - weight)
    return where(np.abs(weight.data) < 0.5, input + diff * weight,
                 end - diff * (1 - weight))


@register("clamp_min")
def clamp_min(input: Tensor, min: Any) -> Tensor:
    """max(input, min): clamp with a lower bound only."""
    return clamp(input, min=min)


@register("clamp_max")
def clamp_max(input: Tensor, max: Any) -> Tensor:
    """min(input, max): clamp with an upper bound only."""
    return clamp(input, max=max)


class NanToNum(Op):
    """NaN, +inf and -inf replaced by finite numbers;  d/dx = 1 where x is finite, else 0
    (PyTorch)."""
    name = "NanToNum"
    save_inputs = False

    @staticmethod
    def forward(ctx, x, nan, posinf, neginf):
        ctx.save(np.isfinite(x))
        return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, g):
        return apply(Mul, g, ctx.extra[0])


@register("nan_to_num")
def nan_to_num(input: Tensor, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Tensor:
    """NaN -> `nan`, +inf -> `posinf`, -inf -> `neginf` (default: the dtype's largest
    and lowest finite values); integer and bool tensors unchanged."""
    return apply(NanToNum, input, nan=nan, posinf=posinf, neginf=neginf)


def _predicate(name: str, ufunc: np.ufunc, doc: str) -> Any:
    """A no-gradient elementwise test with a bool result (isnan, isinf, isfinite)."""
    cls = type(name.capitalize(), (Op,), {
        "name": name.capitalize(), "differentiable": False, "save_inputs": False,
        "forward": staticmethod(lambda ctx, x: ufunc(x)), "__doc__": doc})

    def fn(input: Tensor) -> Tensor:
        return apply(cls, input)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc + " (bool result, no gradient)"
    return register(name)(fn)


isnan = _predicate("isnan", np.isnan, "Whether each element is NaN")
isinf = _predicate("isinf", np.isinf, "Whether each element is +inf or -inf")
isfinite = _predicate("isfinite", np.isfinite, "Whether each element is finite")


class Logit(Op):
    """log(z / (1 - z)) with z = x clamped to [eps, 1 - eps] when eps is given;
    d/dx = 1/(x (1 - x)), and as in PyTorch 0 outside [eps, 1 - eps], or NaN outside
    [0, 1] without eps."""
    name = "Logit"

    @staticmethod
    def forward(ctx, x, eps):
        ctx.eps = eps
        z = x if eps is None else np.clip(x, eps, 1 - eps)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(z / (1 - z))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.inputs
        d = g / (x * (1 - x))
        eps, xd = ctx.eps, x.data
        if eps is None:
            return where((xd < 0) | (xd > 1), np.nan, d)
        return where((xd < eps) | (xd > 1 - eps), 0.0, d)


@register("logit")
def logit(input: Tensor, eps: float | None = None) -> Tensor:
    """The log-odds log(x / (1 - x)), x first clamped to [eps, 1 - eps] if eps is given;
    integer inputs compute in the default float dtype."""
    if not isinstance(input, Tensor) or input._data.dtype.kind not in "fc":
        input = _as_floating(input)
    return apply(Logit, input, eps=eps)


# ---- copysign, heaviside, deg2rad/rad2deg, float_power, ldexp, frexp, nextafter, the
# sign and infinity tests, absolute, fliplr/flipud ---------------------------------------

class Copysign(Op):
    """|a| with the sign of b (signed zeros and NaNs included);  PyTorch's gradients:
    d/da = copysign(a, b) / a (0 where a = 0), d/db = 0 (b only picks a sign)."""
    name = "Copysign"

    @staticmethod
    def forward(ctx, a, b):
        return np.copysign(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        need_a, need_b = ctx.needs_input_grad
        ad, bd = (v.data if isinstance(v, Tensor) else np.asarray(v) for v in (a, b))
        ga = gb = None
        if need_a:
            with np.errstate(invalid="ignore"):   # (NaN at a = NaN or +-inf, as PyTorch)
                ratio = np.where(ad == 0, 0, np.copysign(ad, bd) / ad).astype(g.dtype)
            ga = sum_to(apply(Mul, g, ratio), shape_of(a))
        if need_b:
            gb = wrap(np.zeros(shape_of(b), g.dtype))
        return ga, gb


@register("copysign")
def copysign(input: Any, other: Any) -> Tensor:
    """Elementwise |input| with the sign of other (-0.0 counts as negative), broadcasting;
    integer and bool inputs compute in the default float dtype."""
    return apply(Copysign, *_floating_pair("copysign", input, other, integers=True))


class Heaviside(Op):
    """The step function: 0 where x < 0, `values` where x == 0, 1 where x > 0, and 0 where
    x is NaN (PyTorch's kernel).  Not differentiable in PyTorch: the result requires grad
    when an input does, and backward through it raises."""
    name = "Heaviside"
    save_inputs = False

    @staticmethod
    def forward(ctx, x, values):
        return np.where(x == 0, values, x > 0).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("heaviside: derivative for aten::heaviside is not implemented")


@register("heaviside")
def heaviside(input: Tensor, values: Tensor) -> Tensor:
    """Elementwise step function of input, `values` where input is 0 (broadcasting); the
    two tensors must have one (real) dtype, as in PyTorch."""
    for arg, v in (("input", input), ("values", values)):
        if not isinstance(v, Tensor):
            raise TypeError(f"heaviside(): argument '{arg}' must be Tensor, not "
                            f"{type(v).__name__}")
    if input.dtype != values.dtype:
        raise RuntimeError(f"heaviside is not yet implemented for tensors with different "
                           f"dtypes (input {input.dtype}, values {values.dtype})")
    if input.dtype.kind == "c":
        raise RuntimeError(f"heaviside is not yet implemented for complex tensors (dtype "
                           f"{input.dtype})")
    return apply(Heaviside, input, values)


_RAD_PER_DEG = np.pi / 180.0


@register("deg2rad")
def deg2rad(input: Tensor) -> Tensor:
    """Degrees to radians, x pi/180 (integers and bools in the default float dtype);
    d/dx = pi/180."""
    return mul(_as_floating(input), _RAD_PER_DEG)


@register("rad2deg")
def rad2deg(input: Tensor) -> Tensor:
    """Radians to degrees, x 180/pi (integers and bools in the default float dtype);
    d/dx = 180/pi."""
    return mul(_as_floating(input), 180.0 / np.pi)


def _cast(x: Any, dtype: np.dtype) -> Any:
    """A tensor (recorded, so its gradient comes back in its own dtype), array or
    number converted to `dtype`."""
    x = as_tensor_arg(x)
    if isinstance(x, Tensor):
        return x if x._data.dtype == dtype else to(x, dtype)
    return np.asarray(x, dtype)


@register("float_power")
def float_power(input: Any, exponent: Any) -> Tensor:
    """input ** exponent computed in double precision: the result is float64 (complex128
    if either operand is complex) whatever the operands' dtypes, as PyTorch's."""
    complex_ = any(_dtype_of(v).kind == "c" for v in (input, exponent))
    dtype = np.dtype(np.complex128 if complex_ else np.float64)
    return _pow(_cast(input, dtype), _cast(exponent, dtype))


class Ldexp(Op):
    """x 2^e for integer exponents e (a constant array), exact (subnormal results
    included);  d/dx = 2^e.  Also frexp's mantissa, x 2^-e, whose gradient in PyTorch is
    the same 2^-e."""
    name = "Ldexp"
    save_inputs = False

    @staticmethod
    def forward(ctx, x, e):
        ctx.shape = shape_of(x)
        ctx.save(e)
        return np.ldexp(x, e)

    @staticmethod
    def backward(ctx, g):
        (e,) = ctx.extra
        with np.errstate(over="ignore"):   # (2^e = inf beyond the dtype's range)
            scale = np.ldexp(np.ones((), g.dtype), e)
        return sum_to(apply(Mul, g, scale), ctx.shape), None


@register("ldexp")
def ldexp(input: Any, other: Any) -> Tensor:
    """input * 2^other.  As in PyTorch: a floating input with integer exponents is scaled
    exactly (ldexp(1e-30, 1100) = 1.4e301, though 2^1100 overflows), in input's dtype;
    otherwise it is input * pow(2, other), floating (integers give the default float
    dtype) and differentiable in both;  d/dinput = 2^other, d/dother = input 2^other ln 2.
    A bool `other` with a floating input is refused, as by PyTorch's kernel."""
    a, b = _dtype_of(input), _dtype_of(other)
    if a.kind == "f" and b.kind in "iub":
        if b.kind == "b":
            raise NotImplementedError("ldexp: \"ldexp_cpu_exp\" not implemented for 'Bool' "
                                      "(the exponent of a floating input must be a number)")
        return apply(Ldexp, input, other.data if isinstance(other, Tensor) else np.asarray(other))
    return mul(input, _pow(2.0, other))


FrexpResult = namedtuple("FrexpResult", ["mantissa", "exponent"])


@register("frexp")
def frexp(input: Tensor) -> FrexpResult:
    """(mantissa, exponent) with input = mantissa * 2^exponent and 0.5 <= |mantissa| < 1
    (0 for 0; inf and NaN keep their mantissa, exponent 0); the exponent is int32, the
    mantissa differentiable.  Floating tensors only."""
    dtype = _dtype_of(input)
    if dtype.kind != "f":
        raise RuntimeError(f"frexp: torch.frexp() only supports floating-point dtypes, "
                           f"got {dtype}")
    data = input.data if isinstance(input, Tensor) else np.asarray(input)
    e = np.asarray(np.frexp(data)[1])
    return FrexpResult(apply(Ldexp, input, -e), wrap(e))


class Nextafter(Op):
    """The next representable float after a toward b;  PyTorch's gradients: d/da = 1
    where a != b (else 0), d/db = 0."""
    name = "Nextafter"

    @staticmethod
    def forward(ctx, a, b):
        return np.nextafter(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        need_a, need_b = ctx.needs_input_grad
        ad, bd = (v.data if isinstance(v, Tensor) else np.asarray(v) for v in (a, b))
        return (sum_to(apply(Mul, g, ad != bd), shape_of(a)) if need_a else None,
                wrap(np.zeros(shape_of(b), g.dtype)) if need_b else None)


@register("nextafter")
def nextafter(input: Any, other: Any) -> Tensor:
    """Elementwise the next float after input toward other, broadcasting (floating
    tensors only)."""
    return apply(Nextafter, *_floating_pair("nextafter", input, other, integers=False))


signbit = _predicate("signbit", np.signbit, "Whether each element's sign bit is set "
                     "(true for -0.0 and negative NaNs; integers: x < 0)")
isneginf = _predicate("isneginf", np.isneginf, "Whether each element is -inf")
isposinf = _predicate("isposinf", np.isposinf, "Whether each element is +inf")
isreal = _predicate("isreal", np.isreal, "Whether each element is real (imaginary part 0; "
                    "true for every real tensor)")
absolute = register("absolute", name="absolute")(abs)


@register("fliplr")
def fliplr(input: Tensor) -> Tensor:
    """input reversed along dim 1 (left/right for a matrix); at least 2-d (a copy)."""
    if input.ndim < 2:
        raise RuntimeError(f"fliplr: Input must be >= 2-d (got shape {tuple(input.shape)})")
    return flip(input, 1)


@register("flipud")
def flipud(input: Tensor) -> Tensor:
    """input reversed along dim 0 (up/down for a matrix); at least 1-d (a copy)."""
    if input.ndim < 1:
        raise RuntimeError(f"flipud: Input must be >= 1-d (got shape {tuple(input.shape)})")
    return flip(input, 0)
