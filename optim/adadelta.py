"""Adadelta: per-coordinate steps from running averages of squared gradients and
squared updates (PyTorch's algorithm, with weight decay and maximize)."""
from __future__ import annotations

from typing import Any

import numpy as np

from autograd import Tensor
from autograd.tensor import wrap

from .optimizer import Optimizer, ParamsT, _check_nonneg, check_implementation

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012), as PyTorch implements it.

    Each step with gradient g (negated when ``maximize``)::

        g  <- g + weight_decay * p                       (if weight_decay != 0)
        v  <- rho * v + (1 - rho) * g * g                (square_avg)
        dx  = sqrt(u + eps) / sqrt(v + eps) * g
        u  <- rho * u + (1 - rho) * dx * dx              (acc_delta)
        p  <- p - lr * dx

    State per parameter: ``step``, ``square_avg``, ``acc_delta``.
    """

    def __init__(self, params: ParamsT, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 capturable: bool = False, maximize: bool = False,
                 differentiable: bool = False) -> None:
        check_implementation(self, dict(foreach=foreach, capturable=capturable,
                                        differentiable=differentiable))
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize))

    def _check_options(self, options: dict[str, Any]) -> None:
        super()._check_options(options)
        _check_nonneg(self, options, "eps", "epsilon value")
        _check_nonneg(self, options, "rho", "rho value")
        if options.get("rho", 0) > 1:
            raise ValueError(f"Adadelta: Invalid rho value: rho={options['rho']} (must be "
                             f"in [0, 1])")

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        d = p.data
        state = self.state[p]
        if not state:
            state["step"] = self._new_step()
            state["square_avg"] = wrap(np.zeros_like(d))
            state["acc_delta"] = wrap(np.zeros_like(d))
        step = state["step"].data
        step += 1
        g = self._effective_grad(d, grad, group)
        rho, eps = group["rho"], group["eps"]
        v, u = state["square_avg"].data, state["acc_delta"].data
        out, std = self._scratch(d), self._scratch(d, 2)
        v *= rho
        np.multiply(g, g, out=out)
        out *= 1 - rho
        v += out
        np.add(v, eps, out=std)
        np.sqrt(std, out=std)
        np.add(u, eps, out=out)
        np.sqrt(out, out=out)
        out /= std
        out *= g                      # out is the update dx
        u *= rho
        np.multiply(out, out, out=std)
        std *= 1 - rho
        u += std
        out *= group["lr"]
        d -= out
