"""Rows for autograd.ops.arith: arithmetic operators, comparisons, logic and bitwise ops."""
from __future__ import annotations

import numpy as np

import autograd as ag

from . import Row, POS

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
]
