"""nn.utils: gradient clipping."""
from __future__ import annotations

import math
from typing import Iterable

import numpy as np

from autograd import Tensor, bump_version
from autograd.tensor import wrap

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _grads(parameters: Tensor | Iterable[Tensor]) -> list:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False) -> Tensor:
    """Scale the gradients in place so that their total norm (the `norm_type`-norm of
    all gradients concatenated; ``inf`` for the max-abs) is at most `max_norm`:
    ``g *= min(1, max_norm / (total + 1e-6))``.  Returns the total norm before
    clipping as a 0-d tensor.  A non-finite total raises with `error_if_nonfinite`."""
    grads = _grads(parameters)
    if not grads:
        return wrap(np.array(0.0, dtype=np.float32))
    norm_type = float(norm_type)
    # As PyTorch: the norm of the per-gradient norms (any p, including inf = max |g|).
    norms = [np.linalg.norm(g.data.ravel(), norm_type) if g.data.size else 0.0 for g in grads]
    total = float(np.linalg.norm(np.asarray(norms, dtype=np.float64), norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} for "
                           f"gradients from `parameters` is non-finite ({total}), so it "
                           f"cannot be clipped. To disable this error and scale the "
                           f"gradients by the non-finite norm anyway, set "
                           f"error_if_nonfinite=False")
    coef = float(max_norm) / (total + 1e-6)
    if not coef >= 1.0:  # as PyTorch, a nan total (nan coef) makes the gradients nan
        for g in grads:
            g.data *= np.asarray(coef, dtype=g.data.dtype)
            bump_version(g)
    return wrap(np.array(total, dtype=grads[0].data.dtype))


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient element to [-clip_value, clip_value] in place."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        np.clip(g.data, -clip_value, clip_value, out=g.data)
        bump_version(g)
