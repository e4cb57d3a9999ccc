"""RMSprop: gradients scaled by a running root-mean-square (PyTorch's algorithm, with
momentum, the centered variant, weight decay and maximize)."""
from __future__ import annotations

from typing import Any

import numpy as np

from autograd import Tensor
from autograd.tensor import wrap

from .optimizer import Optimizer, ParamsT, _check_nonneg, check_implementation

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop (Hinton's lecture 6e), as PyTorch implements it.

    Each step with gradient g (negated when ``maximize``)::

        g  <- g + weight_decay * p                               (if weight_decay != 0)
        v  <- alpha * v + (1 - alpha) * g * g                    (square_avg)
        a  <- alpha * a + (1 - alpha) * g;  s = sqrt(v - a * a)  (centered; grad_avg)
        s  =  sqrt(v)                                            (otherwise)
        b  <- momentum * b + g / (s + eps);  p <- p - lr * b     (momentum > 0)
        p  <- p - lr * g / (s + eps)                             (otherwise)

    State per parameter: ``step``, ``square_avg``, ``momentum_buffer`` (momentum > 0),
    ``grad_avg`` (centered).
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0,
                 centered: bool = False, *, maximize: bool = False,
                 **implementation: Any) -> None:
        check_implementation(self, implementation)
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps,
                                      centered=centered, weight_decay=weight_decay,
                                      maximize=maximize))

    def _check_options(self, options: dict[str, Any]) -> None:
        super()._check_options(options)
        _check_nonneg(self, options, "eps", "epsilon value")
        _check_nonneg(self, options, "momentum", "momentum value")
        _check_nonneg(self, options, "alpha", "alpha value")

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        d = p.data
        state = self.state[p]
        if not state:
            state["step"] = self._new_step()
            state["square_avg"] = wrap(np.zeros_like(d))
            if group["momentum"] > 0:
                state["momentum_buffer"] = wrap(np.zeros_like(d))
            if group["centered"]:
                state["grad_avg"] = wrap(np.zeros_like(d))
        step = state["step"].data
        step += 1
        g = self._effective_grad(d, grad, group)
        alpha = group["alpha"]
        v = state["square_avg"].data
        out = self._scratch(d)
        v *= alpha
        np.multiply(g, g, out=out)
        out *= 1 - alpha
        v += out
        if group["centered"]:
            a = state["grad_avg"].data
            np.subtract(g, a, out=out)        # a.lerp_(g, 1 - alpha)
            out *= 1 - alpha
            a += out
            np.multiply(a, a, out=out)
            np.subtract(v, out, out=out)
            np.sqrt(out, out=out)
        else:
            np.sqrt(v, out=out)
        out += group["eps"]
        np.divide(g, out, out=out)
        if group["momentum"] > 0:
            buf = state["momentum_buffer"].data
            buf *= group["momentum"]
            buf += out
            np.multiply(buf, group["lr"], out=out)
        else:
            out *= group["lr"]
        d -= out
