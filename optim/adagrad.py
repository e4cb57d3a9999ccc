"""Adagrad: per-coordinate learning rates from the sum of squared gradients
(PyTorch's algorithm, with lr_decay, weight decay and maximize)."""
from __future__ import annotations

from typing import Any

import numpy as np

from autograd import Tensor
from autograd.tensor import wrap

from .optimizer import Optimizer, ParamsT, _check_nonneg, check_implementation

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011), as PyTorch implements it.

    State ``sum`` starts at ``initial_accumulator_value`` (created with the optimizer,
    like PyTorch's).  Each step t = 1, 2, ... with gradient g (negated when ``maximize``)::

        g   <- g + weight_decay * p                         (if weight_decay != 0)
        clr  = lr / (1 + (t - 1) * lr_decay)
        sum <- sum + g * g
        p   <- p - clr * g / (sqrt(sum) + eps)

    Like PyTorch, every group's ``sum`` starts at the constructor's
    ``initial_accumulator_value`` (a group's own value is kept in the group but not
    used), and state that is missing (a group added later, a reset ``state``) is
    created at the parameter's first step.
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10, *, maximize: bool = False,
                 **implementation: Any) -> None:
        check_implementation(self, implementation)
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps,
                                      weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      maximize=maximize))
        # The constructor's groups only, like PyTorch: add_param_group's get their state
        # at their first step, so it is absent from state_dict until then.
        for group in self.param_groups:
            for p in group["params"]:
                self._new_state(p)

    def _check_options(self, options: dict[str, Any]) -> None:
        super()._check_options(options)
        _check_nonneg(self, options, "lr_decay", "lr_decay value")
        _check_nonneg(self, options, "initial_accumulator_value",
                      "initial_accumulator_value value")
        _check_nonneg(self, options, "eps", "epsilon value")

    def _new_state(self, p: Tensor) -> dict[str, Any]:
        state = self.state[p] = {
            "step": self._new_step(),
            "sum": wrap(np.full_like(p.data, self.defaults["initial_accumulator_value"]))}
        return state

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        d = p.data
        state = self.state[p] or self._new_state(p)
        step = state["step"].data
        step += 1
        g = self._effective_grad(d, grad, group)
        clr = group["lr"] / (1 + (float(step) - 1) * group["lr_decay"])
        acc = state["sum"].data
        out = self._scratch(d)
        np.multiply(g, g, out=out)
        acc += out
        np.sqrt(acc, out=out)
        out += group["eps"]
        np.divide(g, out, out=out)
        out *= clr
        d -= out
