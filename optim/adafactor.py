"""Adafactor: Adam-like steps with factored second moments (row and column averages
of g^2 instead of a full-size buffer) and a step size relative to the parameter's RMS,
PyTorch's algorithm with decoupled weight decay and maximize."""
from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from autograd import Tensor
from autograd.tensor import wrap

from .optimizer import Optimizer, ParamsT, _check_nonneg, check_implementation

__all__ = ["Adafactor"]

# The factored state of a >= 2-D parameter: its shape with the last (row_var) or the
# second-to-last (col_var) axis reduced to 1.
_FACTORS = {"row_var": -1, "col_var": -2}


class Adafactor(Optimizer):
    r"""Adafactor (Shazeer & Stern, 2018), as PyTorch implements it.

    Each step t = 1, 2, ... with gradient g (negated when ``maximize``), where
    ``rms(x) = ||x||_2 / sqrt(numel(x))`` and ``eps = (eps1, eps2)``::

        w     = t^beta2_decay                       (1 - beta2_t)
        alpha = max(eps2, rms(p)) * min(lr, 1 / sqrt(t))
        p    <- p * (1 - lr * weight_decay)
        for a >= 2-D p (factored over the last two axes, (..., m, n)):
            R <- lerp(R, mean(g^2, axis=-1), w)     (row_var, shape (..., m, 1))
            C <- lerp(C, mean(g^2, axis=-2), w)     (col_var, shape (..., 1, n))
            V  = R * C / max(mean(R, axis=-2), eps1)
        for a 0-/1-D p:
            V <- lerp(V, g^2, w)                    (variance)
        u  = g / max(sqrt(V), eps1)
        p <- p - alpha / max(1, rms(u) / d) * u

    ``eps1=None`` (the default) is the machine epsilon of the parameter's dtype.  `lr`
    only caps the relative step size and scales the weight decay; `d` clips the update's
    RMS.  State per parameter: ``step`` and ``row_var`` and ``col_var`` (>= 2-D) or
    ``variance`` (0-/1-D).
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, beta2_decay: float = -0.8,
                 eps: tuple[float | None, float] = (None, 1e-3), d: float = 1.0,
                 weight_decay: float = 0.0, *, foreach: bool | None = None,
                 maximize: bool = False) -> None:
        check_implementation(self, dict(foreach=foreach))
        super().__init__(params, dict(lr=lr, beta2_decay=beta2_decay, eps=_eps_pair(eps),
                                      d=d, weight_decay=weight_decay, maximize=maximize))

    def _check_options(self, options: dict[str, Any]) -> None:
        super()._check_options(options)
        if "eps" in options:
            eps1, eps2 = _eps_pair(options["eps"])
            if eps1 is not None:
                _check_nonneg(self, {"eps[0]": eps1}, "eps[0]", "epsilon1")
            _check_nonneg(self, {"eps[1]": eps2}, "eps[1]", "epsilon2")
        _check_bound(options, "beta2_decay", "beta2_decay", "<=", 0.0)
        _check_bound(options, "d", "Clipping threshold d", ">=", 1.0)

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        d = p.data
        state = self.state[p]
        factored = d.ndim > 1
        if not state:
            state["step"] = self._new_step()
            if factored:
                for key, axis in _FACTORS.items():
                    state[key] = wrap(np.zeros(_factor_shape(d.shape, axis), d.dtype))
            else:
                state["variance"] = wrap(np.zeros_like(d))
        step_t = state["step"].data
        step_t += 1
        if not d.size:   # nothing to update (PyTorch divides 0 by 0 here and raises)
            return
        t = float(step_t)
        lr, wd = group["lr"], group["weight_decay"]
        eps1, eps2 = group["eps"]
        if eps1 is None:
            eps1 = float(np.finfo(d.dtype).eps)
        weight = t ** group["beta2_decay"]
        # alpha from the parameter before the weight decay, like PyTorch.
        alpha = max(eps2, _rms(d)) * min(lr, 1 / t ** 0.5)
        if wd:
            d *= 1 - lr * wd
        g = grad
        if group["maximize"]:
            g = np.negative(grad, out=self._scratch(d, 1))
        u = np.square(g, out=self._scratch(d))
        if factored:
            row, col = state["row_var"].data, state["col_var"].data
            _lerp_(row, u.mean(axis=-1, keepdims=True), weight)
            _lerp_(col, u.mean(axis=-2, keepdims=True), weight)
            np.multiply(row, col, out=u)       # PyTorch's row_var @ col_var (an outer product)
            u /= np.maximum(row.mean(axis=-2, keepdims=True), eps1)
        else:
            var = state["variance"].data
            _lerp_(var, u, weight)
            np.copyto(u, var)
        # max(sqrt(V), eps1) as PyTorch computes it: rsqrt(max(V, eps1^2)) * g.
        np.maximum(u, eps1 * eps1, out=u)
        np.sqrt(u, out=u)
        np.reciprocal(u, out=u)
        u *= g
        u *= alpha / max(1.0, _rms(u) / group["d"])
        d -= u

    def _state_shape(self, p: Tensor, key: str) -> tuple:
        """A >= 2-D parameter's factors have its shape with one axis reduced to 1."""
        if key in _FACTORS and p.ndim > 1:
            return _factor_shape(p.data.shape, _FACTORS[key])
        return p.data.shape


def _rms(x: np.ndarray) -> float:
    """``||x||_2 / sqrt(numel(x))`` (the root mean square) as a Python float."""
    return float(np.linalg.norm(x.reshape(-1))) / x.size ** 0.5


def _lerp_(start: np.ndarray, end: np.ndarray, weight: float) -> None:
    """``start <- start + weight * (end - start)`` in place; `end` is used as scratch."""
    np.subtract(end, start, out=end)
    end *= weight
    start += end


def _factor_shape(shape: tuple[int, ...], axis: int) -> tuple[int, ...]:
    """`shape` with `axis` reduced to 1 (a factor's shape)."""
    out = list(shape)
    out[axis] = 1
    return tuple(out)


def _eps_pair(eps: Any) -> tuple[float | None, float]:
    """`eps` as ``(eps1 or None, eps2)``: TypeError for a non-sequence or a non-number
    and IndexError for fewer than two (PyTorch's errors when it indexes them),
    ValueError for more (PyTorch fails at the first step)."""
    if isinstance(eps, (str, bytes)) or not hasattr(eps, "__len__"):
        raise TypeError(f"Adafactor: eps must be a pair (eps1 or None, eps2), got {eps!r}")
    if len(eps) != 2:
        raise (IndexError if len(eps) < 2 else ValueError)(
            f"Adafactor: eps must be a pair (eps1 or None, eps2), got {len(eps)} values: "
            f"{eps!r}")
    for i, e in enumerate(eps):
        if not (i == 0 and e is None) and (isinstance(e, bool)
                                           or not isinstance(e, numbers.Real)):
            raise TypeError(f"Adafactor: eps[{i}] must be a float"
                            f"{' or None' if i == 0 else ''}, got {e!r}")
    return (None if eps[0] is None else float(eps[0])), float(eps[1])


def _check_bound(options: dict[str, Any], key: str, what: str, op: str,
                 bound: float) -> None:
    """TypeError unless ``options[key]`` (when present) is a real number, ValueError
    unless it is `op` (``"<="`` or ``">="``) `bound`."""
    if key not in options:
        return
    v = options[key]
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError(f"Adafactor: invalid {key}={v!r} (a number {op} {bound} expected)")
    if not (v <= bound if op == "<=" else v >= bound):   # (NaN too)
        raise ValueError(f"Adafactor: {what} should be {op} {bound:g} but is: {v}")
