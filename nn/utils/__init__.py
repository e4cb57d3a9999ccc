"""nn.utils: gradient clipping and flattening parameters to one vector.

Packed and padded sequences for the recurrent layers are in the `nn.utils.rnn` submodule."""
from __future__ import annotations

import math
from typing import Iterable

import numpy as np

import autograd as ag
from autograd import Tensor, bump_version
from autograd.tensor import wrap

from . import rnn  # noqa: F401  (nn.utils.rnn, as torch.nn.utils.rnn)

__all__ = ["clip_grad_norm_", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_",
           "parameters_to_vector", "vector_to_parameters"]


def _listed(tensors: Tensor | Iterable[Tensor]) -> list:
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _grads(parameters: Tensor | Iterable[Tensor]) -> list:
    return [p.grad for p in _listed(parameters) if p.grad is not None]


def get_total_norm(tensors: Tensor | Iterable[Tensor], norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """The `norm_type`-norm of all `tensors` concatenated (``inf``: the max-abs), as a
    0-d tensor of their promoted dtype (0.0 for no tensors).  A non-finite total raises
    RuntimeError with `error_if_nonfinite`.  `foreach` is accepted for PyTorch's
    signature (there is one implementation)."""
    ts = [t for t in _listed(tensors) if t is not None]
    if not ts:
        return wrap(np.array(0.0, dtype=np.float32))
    norm_type = float(norm_type)
    # As PyTorch: the norm of the per-tensor norms (any p, including inf = max |g|).
    norms = [np.linalg.norm(t.data.ravel(), norm_type) if t.data.size else 0.0 for t in ts]
    total = float(np.linalg.norm(np.asarray(norms, dtype=np.float64), norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} for "
                           f"gradients from `parameters` is non-finite ({total}), so it "
                           f"cannot be clipped. To disable this error and scale the "
                           f"gradients by the non-finite norm anyway, set "
                           f"error_if_nonfinite=False")
    return wrap(np.array(total, dtype=np.result_type(*(t.dtype for t in ts))))


def clip_grads_with_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                          total_norm: Tensor | float, foreach: bool | None = None) -> None:
    """Scale the gradients in place by ``min(1, max_norm / (total_norm + 1e-6))``."""
    total = float(total_norm.item() if isinstance(total_norm, Tensor) else total_norm)
    coef = float(max_norm) / (total + 1e-6)
    if not coef >= 1.0:  # as PyTorch, a nan total (nan coef) makes the gradients nan
        for g in _grads(parameters):
            g.data *= np.asarray(coef, dtype=g.data.dtype)
            bump_version(g)


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach: bool | None = None) -> Tensor:
    """Scale the gradients in place so that their total norm (the `norm_type`-norm of
    all gradients concatenated; ``inf`` for the max-abs) is at most `max_norm`:
    ``g *= min(1, max_norm / (total + 1e-6))``.  Returns the total norm before
    clipping as a 0-d tensor.  A non-finite total raises with `error_if_nonfinite`."""
    parameters = _listed(parameters)   # a generator must survive two passes
    total = get_total_norm(_grads(parameters), norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total)
    return total


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float,
                     foreach: bool | None = None) -> None:
    """Clamp every gradient element to [-clip_value, clip_value] in place."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        np.clip(g.data, -clip_value, clip_value, out=g.data)
        bump_version(g)


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and concatenated into one 1-D tensor (differentiable)."""
    return ag.cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Set the parameters' data from consecutive slices of the 1-D `vec` (the inverse
    of `parameters_to_vector`); as in PyTorch, each parameter then views `vec`'s data."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected a Tensor, but got "
                        f"{type(vec).__name__}")
    params = list(parameters)
    need = sum(p.data.size for p in params)
    if vec.ndim != 1 or vec.shape[0] != need:
        raise ag.ShapeError(f"vector_to_parameters: vec of shape {tuple(vec.shape)} does not "
                            f"hold the {need} elements of the parameters")
    start = 0
    for p in params:
        n = p.data.size
        p.data = vec.data[start:start + n].reshape(p.shape)
        bump_version(p)
        start += n
