"""Adam and AdamW (PyTorch's algorithms, with amsgrad, weight decay and maximize)."""
from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from autograd import Tensor
from autograd.tensor import wrap

from .optimizer import Optimizer, ParamsT, _check_nonneg, check_implementation

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2014), as PyTorch implements it.

    Each step t = 1, 2, ... with gradient g (negated when ``maximize``)::

        p  <- p * (1 - lr * weight_decay)          (decoupled_weight_decay: AdamW)
        g  <- g + weight_decay * p                 (otherwise, if weight_decay != 0)
        m  <- beta1 * m + (1 - beta1) * g          (exp_avg)
        v  <- beta2 * v + (1 - beta2) * g * g      (exp_avg_sq)
        vm <- max(vm, v)                           (amsgrad: max_exp_avg_sq; v <- vm below)
        p  <- p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    State per parameter: ``step``, ``exp_avg``, ``exp_avg_sq``, ``max_exp_avg_sq``
    (amsgrad).
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, maximize: bool = False,
                 decoupled_weight_decay: bool = False, **implementation: Any) -> None:
        check_implementation(self, implementation)
        super().__init__(params, dict(lr=lr, betas=_pair(self, betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _check_options(self, options: dict[str, Any]) -> None:
        super()._check_options(options)
        check_eps_betas(self, options)

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        d = p.data
        state = self.state[p]
        if not state:
            state["step"] = self._new_step()
            state["exp_avg"] = wrap(np.zeros_like(d))
            state["exp_avg_sq"] = wrap(np.zeros_like(d))
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = wrap(np.zeros_like(d))
        step_t = state["step"].data
        step_t += 1
        step = float(step_t)
        lr, wd = group["lr"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        if wd and group["decoupled_weight_decay"]:
            d *= 1 - lr * wd
        g = self._effective_grad(d, grad, group)
        m, v = state["exp_avg"].data, state["exp_avg_sq"].data
        out = self._scratch(d)
        np.subtract(g, m, out=out)            # m.lerp_(g, 1 - beta1)
        out *= 1 - beta1
        m += out
        v *= beta2
        np.multiply(g, g, out=out)
        out *= 1 - beta2
        v += out
        if group["amsgrad"]:
            vmax = state["max_exp_avg_sq"].data
            np.maximum(vmax, v, out=vmax)
            v = vmax
        np.sqrt(v, out=out)
        out /= math.sqrt(1 - beta2 ** step)
        out += group["eps"]
        np.divide(m, out, out=out)
        out *= lr / (1 - beta1 ** step)
        d -= out


class AdamW(Adam):
    r"""AdamW (Loshchilov & Hutter, 2017): Adam with decoupled weight decay,
    ``p <- p * (1 - lr * weight_decay)`` before the Adam step; the decay does not enter
    the moment estimates.  ``weight_decay`` defaults to 1e-2, as in PyTorch."""

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, **implementation: Any) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True, **implementation)


def check_eps_betas(opt: Any, options: dict[str, Any]) -> None:
    """The Adam family's checks: eps >= 0 and each beta in [0, 1)."""
    _check_nonneg(opt, options, "eps", "epsilon value")
    if "betas" in options:
        for i, b in enumerate(_pair(opt, options["betas"])):
            if not 0.0 <= b < 1.0:
                raise ValueError(f"{type(opt).__name__}: Invalid beta parameter at "
                                 f"index {i}: betas[{i}]={b} (must be in [0, 1))")


def _pair(opt: Any, betas: Any) -> tuple[float, float]:
    """`betas` as a tuple of two floats; TypeError for non-numbers and IndexError for
    fewer than two (PyTorch's errors), ValueError for more."""
    name = type(opt).__name__
    if isinstance(betas, (str, bytes)) or not hasattr(betas, "__len__"):
        raise TypeError(f"{name}: betas must be a pair of floats, got {betas!r}")
    if len(betas) != 2:
        raise (IndexError if len(betas) < 2 else ValueError)(
            f"{name}: betas must be a pair of floats, got {len(betas)} values: {betas!r}")
    for i, b in enumerate(betas):
        if isinstance(b, bool) or not isinstance(b, numbers.Real):
            raise TypeError(f"{name}: betas[{i}] must be a float, got {b!r}")
    return float(betas[0]), float(betas[1])
