"""Tensor creation: zeros, ones, full, empty, arange, linspace, eye, rand, randn,
randint, the *_like forms and the Tensor.new_* methods.  Float results use the default
dtype (float32); the new_* methods keep the tensor's dtype."""
from __future__ import annotations

import math
import operator
import warnings
from typing import Any

import numpy as np

from . import dtypes
from .random import generator
from .tensor import Tensor, check_device, tensor, wrap

__all__ = ["zeros", "ones", "full", "empty", "arange", "linspace", "eye", "rand", "randn",
           "randint", "zeros_like", "ones_like", "full_like", "empty_like", "rand_like",
           "randn_like"]


def _shape(size: tuple, op: str) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for i, s in enumerate(size):   # (int() would truncate 2.5; PyTorch refuses it)
        if isinstance(s, bool) or not hasattr(s, "__index__"):
            raise TypeError(f"{op}(): argument 'size' must be tuple of ints, but found "
                            f"element of type {type(s).__name__} at pos {i}")
    shape = tuple(operator.index(s) for s in size)
    if any(s < 0 for s in shape):   # (NumPy raises ValueError, PyTorch RuntimeError)
        raise RuntimeError(f"trying to create a tensor with negative dimension: "
                           f"{list(shape)}")
    return shape


def _make(data: np.ndarray, requires_grad: bool, op: str, device: Any) -> Tensor:
    """A new leaf holding `data`; `device` (PyTorch's argument) may only name the CPU."""
    check_device(op, device)
    t = wrap(data)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _float(dtype: Any) -> np.dtype:
    return dtypes.get_default_dtype() if dtype is None else np.dtype(dtype)


def zeros(*size: Any, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    """A tensor of zeros."""
    return _make(np.zeros(_shape(size, "zeros"), _float(dtype)), requires_grad, "zeros", device)


def ones(*size: Any, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    """A tensor of ones."""
    return _make(np.ones(_shape(size, "ones"), _float(dtype)), requires_grad, "ones", device)


def empty(*size: Any, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """An uninitialized tensor."""
    return _make(np.empty(_shape(size, "empty"), _float(dtype)), requires_grad, "empty", device)


def full(size: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False, *,
         device: Any = None) -> Tensor:
    """A tensor filled with `fill_value` (its dtype follows the value, like PyTorch)."""
    if dtype is None:
        dtype = dtypes.to_array(fill_value).dtype
    return _make(np.full(_shape((size,), "full"), fill_value, dtype), requires_grad, "full", device)


def arange(start: Any, end: Any = None, step: Any = 1, dtype: Any = None,
           requires_grad: bool = False, *, device: Any = None) -> Tensor:
    """Values from start to end (exclusive); int64 for ints, the default float otherwise.

    As in PyTorch, an integer dtype truncates start, end and step to integers first, and
    float values ``start + i * step`` are computed in float64, then rounded once."""
    if end is None:
        start, end = 0, start
    start, end, step = (v.item() if isinstance(v, Tensor) else v for v in (start, end, step))
    if dtype is None:
        is_int = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if is_int else dtypes.get_default_dtype()
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        raise NotImplementedError("arange: not implemented for dtype bool")
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"arange: unsupported range: {start} -> {end}")
    if dtype.kind in "iu":
        start, end, step = int(start), int(end), int(step)
        if step == 0:
            raise ValueError(f"arange: step must be nonzero (it truncates to 0 for dtype "
                             f"{dtype})")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise RuntimeError(f"arange: upper bound and lower bound inconsistent with step "
                           f"sign (start={start}, end={end}, step={step})")
    if dtype.kind in "iu":
        data = np.arange(start, end, step, dtype=np.int64)
    else:   # start + i * step in float64, as PyTorch computes it
        data = start + step * np.arange(math.ceil((end - start) / step), dtype=np.float64)
    return _make(data.astype(dtype, copy=False), requires_grad, "arange", device)


def linspace(start: float, end: float, steps: int, dtype: Any = None,
             requires_grad: bool = False, *, device: Any = None) -> Tensor:
    """`steps` evenly spaced values from start to end (inclusive)."""
    if steps < 0:   # (NumPy's ValueError; PyTorch's RuntimeError)
        raise RuntimeError(f"linspace: number of steps must be non-negative, got {steps}")
    return _make(np.linspace(start, end, steps, dtype=_float(dtype)), requires_grad,
                 "linspace", device)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False, *,
        device: Any = None) -> Tensor:
    """The identity matrix (n x m)."""
    for name, v in (("n", n), ("m", m)):
        if v is not None and v < 0:   # (NumPy's ValueError; PyTorch's RuntimeError)
            raise RuntimeError(f"eye: {name} must be greater or equal to 0, got {v}")
    return _make(np.eye(n, m, dtype=_float(dtype)), requires_grad, "eye", device)


def _sampled(dtype: Any, fn: str) -> np.dtype:
    """The dtype of random samples: floating only, as in PyTorch."""
    dtype = _float(dtype)
    if dtype.kind != "f":
        raise NotImplementedError(f"{fn}: not implemented for dtype {dtype} (only "
                                  f"floating dtypes)")
    return dtype


def rand(*size: Any, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1)."""
    dtype = _sampled(dtype, "rand")
    return _make(generator().random(_shape(size, "rand")).astype(dtype), requires_grad,
                 "rand", device)


def randn(*size: Any, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """Standard normal samples."""
    dtype = _sampled(dtype, "randn")
    return _make(generator().standard_normal(_shape(size, "randn")).astype(dtype),
                 requires_grad, "randn", device)


def randint(low: int = 0, high: Any = None, size: Any = None, dtype: Any = np.int64, *,
            device: Any = None) -> Tensor:
    """Integers uniform in [low, high) (or [0, low) when high is None) of shape `size`
    (0-d by default); ``randint(high, size)`` as in PyTorch.  Any dtype (in int64 first)."""
    if size is None and isinstance(high, (tuple, list)):   # randint(high, size)
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if low >= high:   # (NumPy's ValueError; PyTorch's RuntimeError and message)
        raise RuntimeError(f"randint: random_ expects 'from' to be less than 'to', but got "
                           f"from={low} >= to={high}")
    shape = _shape(() if size is None else (size,), "randint")
    data = generator().integers(low, high, size=shape)
    return _make(data.astype(dtype, copy=False), False, "randint", device)


def _like(fn: Any) -> Any:
    def like(input: Tensor, dtype: Any = None, requires_grad: bool = False, *,
             device: Any = None) -> Tensor:
        return fn(input.shape, dtype=input.dtype if dtype is None else dtype, device=device,
                  requires_grad=requires_grad)
    like.__name__ = fn.__name__ + "_like"
    like.__doc__ = f"{fn.__name__} with the shape (and dtype, unless given) of `input`."
    return like


zeros_like = _like(zeros)
ones_like = _like(ones)
empty_like = _like(empty)
rand_like = _like(rand)
randn_like = _like(randn)


def full_like(input: Tensor, fill_value: Any, dtype: Any = None,
              requires_grad: bool = False, *, device: Any = None) -> Tensor:
    """A tensor like `input` filled with `fill_value`."""
    return full(input.shape, fill_value, dtype=input.dtype if dtype is None else dtype,
                requires_grad=requires_grad, device=device)


# ---- Tensor.new_*: a new tensor with self's dtype (unless dtype is given) ---------------

def _new(fn: Any) -> Any:
    def new(self: Tensor, *size: Any, dtype: Any = None, device: Any = None,
            requires_grad: bool = False) -> Tensor:
        return fn(*size, dtype=self.dtype if dtype is None else dtype, device=device,
                  requires_grad=requires_grad)
    new.__name__ = "new_" + fn.__name__
    new.__doc__ = (f"{fn.__name__} of `size` with this tensor's dtype unless `dtype` is "
                   f"given (never connected to its graph).")
    return new


Tensor.new_zeros = _new(zeros)
Tensor.new_ones = _new(ones)
Tensor.new_empty = _new(empty)


def new_full(self: Tensor, size: Any, fill_value: Any, *, dtype: Any = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of `size` (a sequence) filled with `fill_value`, with this tensor's dtype
    unless `dtype` is given (a float value truncates into an integer dtype)."""
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"new_full: argument 'size' must be a tuple of ints, not "
                        f"{type(size).__name__}")
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return full(size, fill_value, dtype=self.dtype if dtype is None else dtype,
                requires_grad=requires_grad, device=device)


def new_tensor(self: Tensor, data: Any, *, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    """A new leaf holding a copy of `data`, with this tensor's dtype unless `dtype` is
    given (float data truncates into an integer dtype)."""
    if isinstance(data, Tensor):
        warnings.warn("new_tensor: to copy construct from a tensor, use "
                      "t.detach().clone() (or .requires_grad_(True) on that) rather than "
                      "x.new_tensor(t)", UserWarning, stacklevel=2)
        data = data.data
    return tensor(data, dtype=self.dtype if dtype is None else dtype,
                  requires_grad=requires_grad, device=device)


Tensor.new_full = new_full
Tensor.new_tensor = new_tensor
