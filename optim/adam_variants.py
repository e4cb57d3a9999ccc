"""Adam's relatives: Adamax (infinity norm), NAdam (Nesterov momentum) and RAdam
(rectified adaptive lr), PyTorch's algorithms with weight decay (decoupled for NAdam and
RAdam on request) and maximize."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd import Tensor
from autograd.tensor import wrap

from .adam import _pair, check_eps_betas
from .optimizer import Optimizer, ParamsT, _check_nonneg, check_implementation

__all__ = ["Adamax", "NAdam", "RAdam"]


class _AdamFamily(Optimizer):
    """Shared by the rules below: Adam's option checks and first-moment update."""

    def _check_options(self, options: dict[str, Any]) -> None:
        super()._check_options(options)
        check_eps_betas(self, options)

    def _new_state(self, p: Tensor, *extra: str) -> dict[str, Any]:
        """``step`` and zeroed ``exp_avg`` plus the named buffers, at the first step."""
        state = self.state[p]
        if not state:
            state["step"] = self._new_step()
            for key in ("exp_avg",) + extra:
                state[key] = wrap(np.zeros_like(p.data))
        return state

    def _decay_and_grad(self, d: np.ndarray, grad: np.ndarray,
                        group: dict[str, Any]) -> np.ndarray:
        """The gradient after weight decay: ``p *= 1 - lr * wd`` first when decoupled
        (AdamW style), else ``g + wd * p`` (and negated under ``maximize``)."""
        if group["weight_decay"] and group.get("decoupled_weight_decay"):
            d *= 1 - group["lr"] * group["weight_decay"]
        return self._effective_grad(d, grad, group)

    @staticmethod
    def _moments(m: np.ndarray, v: np.ndarray | None, g: np.ndarray, beta1: float,
                 beta2: float, out: np.ndarray) -> None:
        """``m <- lerp(m, g, 1 - beta1)`` and, if given, ``v <- beta2 v + (1 - beta2) g^2``
        (`out` is scratch)."""
        np.subtract(g, m, out=out)
        out *= 1 - beta1
        m += out
        if v is not None:
            v *= beta2
            np.multiply(g, g, out=out)
            out *= 1 - beta2
            v += out


class Adamax(_AdamFamily):
    r"""Adamax (Kingma & Ba, 2014, section 7): Adam with the infinity norm.

    Each step t = 1, 2, ... with gradient g (negated when ``maximize``)::

        g <- g + weight_decay * p                  (if weight_decay != 0)
        m <- beta1 * m + (1 - beta1) * g           (exp_avg)
        u <- max(beta2 * u, |g| + eps)             (exp_inf)
        p <- p - lr / (1 - beta1^t) * m / u

    State per parameter: ``step``, ``exp_avg``, ``exp_inf``.
    """

    def __init__(self, params: ParamsT, lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        check_implementation(self, dict(foreach=foreach, capturable=capturable,
                                        differentiable=differentiable))
        super().__init__(params, dict(lr=lr, betas=_pair(self, betas), eps=eps,
                                      weight_decay=weight_decay, maximize=maximize))

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        d = p.data
        state = self._new_state(p, "exp_inf")
        step = state["step"].data
        step += 1
        beta1, beta2 = group["betas"]
        g = self._effective_grad(d, grad, group)
        m, u = state["exp_avg"].data, state["exp_inf"].data
        out = self._scratch(d)
        self._moments(m, None, g, beta1, beta2, out)
        u *= beta2
        np.abs(g, out=out)
        out += group["eps"]
        np.maximum(u, out, out=u)
        np.divide(m, u, out=out)
        out *= group["lr"] / (1 - beta1 ** float(step))
        d -= out


class NAdam(_AdamFamily):
    r"""NAdam (Dozat, 2016): Adam with Nesterov momentum, as PyTorch implements it.

    Each step t = 1, 2, ... with gradient g (negated when ``maximize``)::

        p    <- p * (1 - lr * weight_decay)        (decoupled_weight_decay)
        g    <- g + weight_decay * p               (otherwise, if weight_decay != 0)
        mu_t  = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay))
        P_t   = mu_1 * ... * mu_t                  (mu_product)
        m    <- beta1 * m + (1 - beta1) * g;  v <- beta2 * v + (1 - beta2) * g * g
        s     = sqrt(v / (1 - beta2^t)) + eps
        p    <- p - lr * (1 - mu_t) / (1 - P_t) * g / s
                  - lr * mu_{t+1} / (1 - P_t * mu_{t+1}) * m / s

    State per parameter: ``step``, ``mu_product`` (a 0-d tensor of the step's dtype,
    like PyTorch's, so the product rounds as PyTorch's does), ``exp_avg``, ``exp_avg_sq``.
    """

    def __init__(self, params: ParamsT, lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        check_implementation(self, dict(foreach=foreach, capturable=capturable,
                                        differentiable=differentiable))
        super().__init__(params, dict(lr=lr, betas=_pair(self, betas), eps=eps,
                                      weight_decay=weight_decay,
                                      momentum_decay=momentum_decay,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize))

    def _check_options(self, options: dict[str, Any]) -> None:
        super()._check_options(options)
        _check_nonneg(self, options, "momentum_decay", "momentum_decay value")

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        d = p.data
        state = self.state[p]
        if not state:
            self._new_state(p, "exp_avg_sq")
            state["mu_product"] = self._new_step()
            state["mu_product"].data[()] = 1.0
        step_t = state["step"].data
        step_t += 1
        t = float(step_t)
        lr, (beta1, beta2) = group["lr"], group["betas"]
        g = self._decay_and_grad(d, grad, group)
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * group["momentum_decay"]))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * group["momentum_decay"]))
        prod = state["mu_product"].data
        prod *= mu                    # in the state's dtype, as PyTorch rounds it
        prod = float(prod)
        m, v = state["exp_avg"].data, state["exp_avg_sq"].data
        out, denom = self._scratch(d), self._scratch(d, 2)
        self._moments(m, v, g, beta1, beta2, out)
        np.divide(v, 1 - beta2 ** t, out=denom)
        np.sqrt(denom, out=denom)
        denom += group["eps"]
        np.divide(g, denom, out=out)
        out *= -lr * (1.0 - mu) / (1.0 - prod)
        d += out
        np.divide(m, denom, out=out)
        out *= -lr * mu_next / (1.0 - prod * mu_next)
        d += out


class RAdam(_AdamFamily):
    r"""RAdam (Liu et al., 2019): Adam with the variance of the adaptive lr rectified,
    as PyTorch implements it.

    Each step t = 1, 2, ... with gradient g (negated when ``maximize``)::

        p    <- p * (1 - lr * weight_decay)        (decoupled_weight_decay)
        g    <- g + weight_decay * p               (otherwise, if weight_decay != 0)
        m    <- beta1 * m + (1 - beta1) * g;  v <- beta2 * v + (1 - beta2) * g * g
        rho_inf = 2 / (1 - beta2) - 1;  rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
        r_t   = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
        p    <- p - lr * m / (1 - beta1^t) * sqrt(1 - beta2^t) / (sqrt(v) + eps) * r_t
                                                   (if rho_t > 5)
        p    <- p - lr * m / (1 - beta1^t)         (otherwise: plain momentum)

    State per parameter: ``step``, ``exp_avg``, ``exp_avg_sq``.
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False) -> None:
        check_implementation(self, dict(foreach=foreach, capturable=capturable,
                                        differentiable=differentiable))
        super().__init__(params, dict(lr=lr, betas=_pair(self, betas), eps=eps,
                                      weight_decay=weight_decay, maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        d = p.data
        state = self._new_state(p, "exp_avg_sq")
        step_t = state["step"].data
        step_t += 1
        t = float(step_t)
        lr, (beta1, beta2) = group["lr"], group["betas"]
        g = self._decay_and_grad(d, grad, group)
        m, v = state["exp_avg"].data, state["exp_avg_sq"].data
        out, adaptive = self._scratch(d), self._scratch(d, 2)
        self._moments(m, v, g, beta1, beta2, out)
        bc1, bc2 = 1 - beta1 ** t, 1 - beta2 ** t
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * beta2 ** t / bc2
        # PyTorch's order of operations: ((m / bc1) * lr) * adaptive * rect.
        np.divide(m, bc1, out=out)
        out *= lr
        if rho_t > 5.0:
            np.sqrt(v, out=adaptive)
            adaptive += group["eps"]
            np.divide(bc2 ** 0.5, adaptive, out=adaptive)
            out *= adaptive
            out *= math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                             / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        d -= out
