"""NumPy interoperability: NumPy ufuncs called on tensors dispatch to the recorded ops.

``np.exp(t)``, ``np.add(a, t)`` and ``ndarray + t`` return Tensors connected to the tape.
A ufunc without a recorded counterpart works on tensors that need no grad (the result is
an ndarray, as for any array-like) and raises a TypeError naming the ufunc otherwise, so a
NumPy call can never silently drop a gradient.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..graph import REGISTRY
from ..tensor import Tensor, tensor
from . import arith, elementwise, linalg

_UFUNCS = {
    np.add: arith.add, np.subtract: arith.sub, np.multiply: arith.mul,
    np.true_divide: arith.div, np.power: arith.pow, np.negative: arith.neg,
    np.matmul: linalg.matmul, np.equal: arith.eq, np.not_equal: arith.ne,
    np.less: arith.lt, np.less_equal: arith.le, np.greater: arith.gt,
    np.greater_equal: arith.ge, np.logical_and: arith.logical_and,
    np.logical_or: arith.logical_or, np.logical_xor: arith.logical_xor,
    np.logical_not: arith.logical_not, np.exp: elementwise.exp, np.expm1: elementwise.expm1,
    np.log: elementwise.log, np.log1p: elementwise.log1p, np.sqrt: elementwise.sqrt,
    np.sin: elementwise.sin, np.cos: elementwise.cos, np.tanh: elementwise.tanh,
    np.arctan: elementwise.arctan, np.absolute: elementwise.abs, np.sign: elementwise.sign,
    np.maximum: elementwise.maximum, np.minimum: elementwise.minimum,
    # the other operators, so that a NumPy scalar on the left (np.int64(7) % t) gives a
    # Tensor too
    np.floor_divide: arith.floor_divide, np.remainder: arith.remainder, np.fmod: arith.fmod,
    np.bitwise_and: arith.bitwise_and, np.bitwise_or: arith.bitwise_or,
    np.bitwise_xor: arith.bitwise_xor, np.invert: arith.bitwise_not,
    np.positive: arith.positive,
}
# The other ufuncs with a recorded op of the same meaning (np.reciprocal is left out: on
# integers NumPy's truncates, where the op, like PyTorch's, gives floats).
_UFUNCS.update({getattr(np, name): REGISTRY[op] for name, op in (
    ("tan", "tan"), ("sinh", "sinh"), ("cosh", "cosh"), ("arcsin", "asin"),
    ("arccos", "acos"), ("arcsinh", "asinh"), ("arccosh", "acosh"), ("arctanh", "atanh"),
    ("arctan2", "atan2"), ("hypot", "hypot"), ("floor", "floor"), ("ceil", "ceil"),
    ("trunc", "trunc"), ("exp2", "exp2"), ("log2", "log2"), ("log10", "log10"),
    ("square", "square"), ("logaddexp", "logaddexp"), ("logaddexp2", "logaddexp2"),
    ("fmax", "fmax"), ("fmin", "fmin"), ("copysign", "copysign"), ("deg2rad", "deg2rad"),
    ("rad2deg", "rad2deg"), ("float_power", "float_power"), ("ldexp", "ldexp"),
    ("frexp", "frexp"), ("nextafter", "nextafter"), ("signbit", "signbit"),
    ("isnan", "isnan"), ("isinf", "isinf"), ("isfinite", "isfinite"), ("gcd", "gcd"),
    ("lcm", "lcm"), ("left_shift", "bitwise_left_shift"),
    ("right_shift", "bitwise_right_shift"))})


def _array_ufunc(self: Tensor, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
    fn = _UFUNCS.get(ufunc)
    if fn is not None and method == "__call__" and not kwargs:
        if ufunc is np.matmul and not isinstance(inputs[0], Tensor):
            return fn(tensor(inputs[0]), inputs[1])
        return fn(*[x.item() if isinstance(x, np.generic) else x for x in inputs])
    if any(isinstance(x, Tensor) and x.requires_grad for x in inputs):
        raise TypeError(f"numpy.{ufunc.__name__}: no recorded counterpart for this NumPy "
                        f"call on a tensor that requires grad (it would drop the gradient); "
                        f"use the autograd op, or .detach() first")
    arrays = [x.data if isinstance(x, Tensor) else x for x in inputs]
    return getattr(ufunc, method)(*arrays, **kwargs)


Tensor.__array_ufunc__ = _array_ufunc
