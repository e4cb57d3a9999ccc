"""Rprop: resilient backpropagation, per-coordinate step sizes adapted from the sign of
the gradient alone (PyTorch's algorithm, with maximize)."""
from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from autograd import Tensor
from autograd.tensor import wrap

from .optimizer import Optimizer, ParamsT, check_implementation

__all__ = ["Rprop"]


class Rprop(Optimizer):
    r"""Rprop (Riedmiller & Braun, 1993), as PyTorch implements it.

    Every coordinate has its own step size, starting at `lr`.  Each step with gradient
    g (negated when ``maximize``) and the previous step's kept gradient ``prev``::

        s    = sign(g * prev)
        size <- clamp(size * (etaplus if s > 0, etaminus if s < 0, 1 if s == 0),
                      *step_sizes)
        g    <- 0 where s < 0        (after a sign change, skip this coordinate once)
        p    <- p - sign(g) * size;  prev <- g

    State per parameter: ``step``, ``prev``, ``step_size``.
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2,
                 etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        check_implementation(self, dict(foreach=foreach, capturable=capturable,
                                        differentiable=differentiable))
        super().__init__(params, dict(lr=lr, etas=etas, step_sizes=step_sizes,
                                      maximize=maximize))

    def _check_options(self, options: dict[str, Any]) -> None:
        super()._check_options(options)
        if "etas" in options:
            minus, plus = _real_pair("etas", options["etas"])
            if not 0.0 < minus < 1.0 < plus:
                raise ValueError(f"Rprop: Invalid eta values: {minus}, {plus} (etas must "
                                 f"satisfy 0 < etaminus < 1 < etaplus)")
        if "step_sizes" in options:
            _real_pair("step_sizes", options["step_sizes"])

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        d = p.data
        state = self.state[p]
        if not state:
            state["step"] = self._new_step()
            state["prev"] = wrap(np.zeros_like(d))
            state["step_size"] = wrap(np.full_like(d, group["lr"]))
        step = state["step"].data
        step += 1
        g = grad
        if group["maximize"]:
            g = np.negative(grad, out=self._scratch(d, 1))
        etaminus, etaplus = group["etas"]
        prev, size = state["prev"].data, state["step_size"].data
        factor = self._scratch(d)
        np.multiply(g, prev, out=factor)
        np.sign(factor, out=factor)
        flipped = factor < 0
        # PyTorch's order of masked assignments (a NaN product keeps a NaN factor).
        np.copyto(factor, etaplus, where=factor > 0)
        np.copyto(factor, etaminus, where=flipped)
        np.copyto(factor, 1.0, where=factor == 0)
        size *= factor
        np.clip(size, *group["step_sizes"], out=size)
        prev[...] = g
        prev[flipped] = 0
        np.sign(prev, out=factor)
        factor *= size
        d -= factor


def _real_pair(key: str, value: Any) -> tuple[float, float]:
    """`value` as two real numbers: TypeError for a non-sequence or a non-number and
    IndexError for fewer than two (PyTorch's errors when it indexes them), ValueError
    for more."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        raise TypeError(f"Rprop: {key} must be a pair of floats, got {value!r}")
    if len(value) != 2:
        raise (IndexError if len(value) < 2 else ValueError)(
            f"Rprop: {key} must be a pair of floats, got {len(value)} values: {value!r}")
    for i, v in enumerate(value):
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise TypeError(f"Rprop: {key}[{i}] must be a float, got {v!r}")
    return float(value[0]), float(value[1])
