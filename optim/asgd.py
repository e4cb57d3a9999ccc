"""ASGD: stochastic gradient descent with a decaying step and Polyak-Ruppert averaging
of the iterates (PyTorch's algorithm, with weight decay and maximize)."""
from __future__ import annotations

from typing import Any

import numpy as np

from autograd import Tensor
from autograd.tensor import wrap

from .optimizer import Optimizer, ParamsT, check_implementation

__all__ = ["ASGD"]


class ASGD(Optimizer):
    r"""Averaged SGD (Polyak & Juditsky, 1992), as PyTorch implements it.

    State starts at ``eta = lr``, ``mu = 1``, ``ax = 0``.  Each step t = 1, 2, ... with
    gradient g (negated when ``maximize``)::

        g   <- g + weight_decay * p                     (if weight_decay != 0)
        p   <- p * (1 - lambd * eta) - eta * g
        ax  <- ax + mu * (p - ax)                       (ax <- p while mu == 1)
        eta <- lr / (1 + lambd * lr * t) ** alpha
        mu  <- 1 / max(1, t - t0)

    so ``ax`` averages the iterates from step ``t0`` on.  State per parameter: ``step``,
    ``eta``, ``mu`` (0-d tensors of the step's dtype, rounded as PyTorch's are), ``ax``.
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, lambd: float = 1e-4,
                 alpha: float = 0.75, t0: float = 1e6, weight_decay: float = 0,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        check_implementation(self, dict(foreach=foreach, capturable=capturable,
                                        differentiable=differentiable))
        super().__init__(params, dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0,
                                      weight_decay=weight_decay, maximize=maximize))

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        d = p.data
        state = self.state[p]
        lr, lambd = group["lr"], group["lambd"]
        if not state:
            state["step"] = self._new_step()
            state["eta"], state["mu"] = self._new_step(), self._new_step()
            state["eta"].data[()] = lr
            state["mu"].data[()] = 1.0
            state["ax"] = wrap(np.zeros_like(d))
        step_t, eta_t, mu_t = state["step"].data, state["eta"].data, state["mu"].data
        step_t += 1
        g = self._effective_grad(d, grad, group)
        eta, mu = float(eta_t), float(mu_t)
        ax, out = state["ax"].data, self._scratch(d)
        d *= 1 - lambd * eta
        np.multiply(g, -eta, out=out)
        d += out
        if mu != 1:
            np.subtract(d, ax, out=out)
            out *= mu
            ax += out
        else:
            ax[...] = d
        step = float(step_t)
        # Stored in the 0-d state arrays, so they round to its dtype as PyTorch's do.
        eta_t[()] = lr / ((1 + lambd * lr * step) ** group["alpha"])
        mu_t[()] = 1 / max(1, step - group["t0"])
