"""Rows for autograd.ops.arith: arithmetic operators, comparisons, logic and bitwise ops."""
from __future__ import annotations

import numpy as np

import autograd as ag

from . import Row, POS


def _off_jumps(arrays):
    """b within 5% of +-1 and frac(a) in [0.3, 0.7], so that a / b (for every pair that
    broadcasting makes) stays 0.19 from an integer, where remainder, fmod and the
    rounded quotients jump; extra inputs (addcmul's) pass unchanged."""
    a, b, *rest = arrays
    fl = np.floor(a)
    return [fl + 0.3 + 0.4 * (a - fl), _near_one(b), *rest]


def _near_one(b):
    """Values in (-2, 2) mapped within 5% of +-1 (by sign)."""
    return np.where(b < 0, -1.0, 1.0) * (0.95 + 0.025 * np.abs(b))


def _near(arrays):
    """b: a itself, a moved within isclose's default tolerance, or moved beyond it."""
    a, b = arrays
    b = np.where(b > 0.7, a, np.where(b > -0.7, a * (1 + 3e-6), a * (1 + 1e-3) + 1e-4))
    return [a, b]


def _same_or_not(arrays):
    """b equal to a when a's first element is positive (equal's True case)."""
    a, b = arrays
    return [a, a.copy() if a.reshape(-1)[:1].sum() > 0 else b]

ROWS = [
    Row("add", lambda a, b: a + b, np.add, arity=2),
    Row("add", lambda a, b: ag.add(a, b, alpha=2.5), lambda a, b: a + 2.5 * b, arity=2,
        label="add_alpha"),
    Row("sub", lambda a, b: a - b, np.subtract, arity=2),
    Row("mul", lambda a, b: a * b, np.multiply, arity=2),
    Row("div", lambda a, b: a / b, np.divide, arity=2, domain=[(-2, 2), POS]),
    Row("pow", lambda a, b: a ** b, np.power, arity=2, domain=[POS, (-2, 2)]),
    Row("pow", lambda a: a ** 3, lambda a: a ** 3, label="pow_scalar"),
    Row("pow", lambda a: 2.0 ** a, lambda a: 2.0 ** a, label="rpow"),
    Row("neg", lambda a: -a, np.negative),
    Row("negative", ag.negative, np.negative),
    Row("positive", lambda a: +a, lambda a: +a),
    Row("subtract", lambda a, b: ag.subtract(a, b, alpha=2.0), lambda a, b: a - 2 * b,
        arity=2),
    Row("multiply", ag.multiply, np.multiply, arity=2),
    Row("divide", ag.divide, np.divide, arity=2, domain=[(-2, 2), POS]),
    Row("true_divide", ag.true_divide, np.divide, arity=2, domain=[(-2, 2), POS]),
    Row("remainder", lambda a, b: a % b, np.remainder, arity=2, prepare=_off_jumps),
    Row("remainder", lambda b: 2.5 % b, lambda b: np.remainder(np.float32(2.5), b),
        prepare=lambda xs: [_near_one(xs[0])], label="rmod"),
    Row("fmod", ag.fmod, np.fmod, arity=2, prepare=_off_jumps),
    Row("floor_divide", lambda a, b: a // b, np.floor_divide, arity=2, prepare=_off_jumps,
        grad=False),
    Row("div", lambda a, b: ag.div(a, b, rounding_mode="floor"), np.floor_divide, arity=2,
        prepare=_off_jumps, label="div_floor"),
    Row("div", lambda a, b: ag.div(a, b, rounding_mode="trunc"),
        lambda a, b: np.trunc(a / b), arity=2, prepare=_off_jumps, label="div_trunc"),
    Row("addcmul", ag.addcmul, lambda a, b, c: a + b * c, arity=3),
    Row("addcmul", lambda a, b, c: ag.addcmul(a, b, c, value=-0.5),
        lambda a, b, c: a + np.float32(-0.5) * b * c, arity=3, label="addcmul_value"),
    Row("addcdiv", lambda a, b, c: ag.addcdiv(a, b, c, value=2.0),
        lambda a, b, c: a + np.float32(2.0) * b / c, arity=3, domain=[(-2, 2), (-2, 2), POS]),
    Row("isclose", ag.isclose, np.isclose, arity=2, prepare=_near, grad=False),
    Row("allclose", lambda a, b: ag.tensor(ag.allclose(a, b)),
        lambda a, b: np.array(np.allclose(a, b)), arity=2, prepare=_near, grad=False),
    Row("equal", lambda a, b: ag.tensor(ag.equal(a, b)),
        lambda a, b: np.array(np.array_equal(a, b)), arity=2, shapes="same",
        prepare=_same_or_not, grad=False),
    Row("add", lambda a: 3.0 - a * 2.0 / (a + 5.0), lambda a: 3.0 - a * 2.0 / (a + 5.0),
        label="scalar_operands"),
    *[Row(n, lambda a, b, n=n: getattr(ag, n)((a * 4).long(), (b * 4).long()),
          lambda a, b, n=n: getattr(np, n)((a * 4).astype(np.int64), (b * 4).astype(np.int64)),
          arity=2, grad=False) for n in ("bitwise_and", "bitwise_or", "bitwise_xor")],
    Row("bitwise_not", lambda a: ag.bitwise_not((a * 4).long()),
        lambda a: np.invert((a * 4).astype(np.int64)), grad=False),
    *[Row(n, getattr(ag, n), getattr(np, f), arity=2, grad=False) for n, f in [
        ("eq", "equal"), ("ne", "not_equal"), ("lt", "less"), ("le", "less_equal"),
        ("gt", "greater"), ("ge", "greater_equal")]],
    *[Row(n, lambda a, b, n=n: getattr(ag, n)(a > 0, b > 0),
          lambda a, b, n=n: getattr(np, n)(a > 0, b > 0), arity=2, grad=False)
      for n in ("logical_and", "logical_or", "logical_xor")],
    Row("logical_not", lambda a: ~(a > 0), lambda a: ~(a > 0), grad=False),
    *[Row(n, getattr(ag, n), getattr(np, f), arity=2, grad=False) for n, f in [
        ("greater", "greater"), ("greater_equal", "greater_equal"), ("less", "less"),
        ("less_equal", "less_equal"), ("not_equal", "not_equal")]],
    *[Row(n, lambda a, b, n=n: getattr(ag, n)((a * 4).long(), (b * 4).long()),
          lambda a, b, n=n: getattr(np, n)((a * 4).astype(np.int64), (b * 4).astype(np.int64)),
          arity=2, grad=False) for n in ("gcd", "lcm")],
    # shift counts 0..4 here; counts outside [0, 64) are compared with PyTorch elsewhere
    *[Row(n, lambda a, b, n=n: getattr(ag, n)((a * 4).long(), (b * 2).long().abs()),
          lambda a, b, f=f: f((a * 4).astype(np.int64), np.abs((b * 2).astype(np.int64))),
          arity=2, grad=False)
      for n, f in (("bitwise_left_shift", np.left_shift),
                   ("bitwise_right_shift", np.right_shift))],
]

