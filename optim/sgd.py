"""SGD: stochastic gradient descent with optional momentum, dampening, Nesterov
momentum, weight decay and maximize, exactly PyTorch's update."""
from __future__ import annotations

from typing import Any

import numpy as np

from autograd import Tensor
from autograd.tensor import wrap

from .optimizer import Optimizer, ParamsT, _check_nonneg, check_implementation

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent (PyTorch's algorithm).

    Each step, with gradient :math:`g_t` (negated when ``maximize``)::

        g_t <- g_t + weight_decay * p                       (if weight_decay != 0)
        b_t <- g_t                     at the first step    (if momentum != 0)
        b_t <- momentum * b_{t-1} + (1 - dampening) * g_t   afterwards
        g_t <- g_t + momentum * b_t    (nesterov)  or  g_t <- b_t
        p   <- p - lr * g_t

    State per parameter: ``momentum_buffer`` (only when momentum != 0).
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float = 0, nesterov: bool = False,
                 *, maximize: bool = False, **implementation: Any) -> None:
        check_implementation(self, implementation)
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    def _check_options(self, options: dict[str, Any]) -> None:
        super()._check_options(options)
        _check_nonneg(self, options, "momentum", "momentum value")
        if options.get("nesterov") and (options.get("momentum", 0) <= 0
                                        or options.get("dampening", 0) != 0):
            raise ValueError(f"SGD: Nesterov momentum requires a momentum and zero "
                             f"dampening (got nesterov=True, momentum="
                             f"{options.get('momentum', 0)}, dampening="
                             f"{options.get('dampening', 0)})")

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        d = p.data
        g = self._effective_grad(d, grad, group)
        momentum = group["momentum"]
        out = self._scratch(d)
        if momentum != 0:
            state = self.state[p]
            buf_t = state.get("momentum_buffer")
            if buf_t is None:
                buf = g.copy()
                state["momentum_buffer"] = wrap(buf)
            else:
                buf = buf_t.data
                buf *= momentum
                np.multiply(g, 1 - group["dampening"], out=out)
                buf += out
            if group["nesterov"]:
                np.multiply(buf, momentum, out=out)
                out += g
                g = out
            else:
                g = buf
        np.multiply(g, group["lr"], out=out)
        d -= out
