"""The dtype policy: which NumPy dtype a tensor built from Python data gets.

Python floats (and lists of them) become the default float dtype (float32 unless
`set_default_dtype` says otherwise), Python ints int64, bools bool; NumPy arrays and
scalars keep their dtype.  Only floating tensors may require grad.
"""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["float16", "float32", "float64", "int32", "int64", "uint8", "bool_",
           "set_default_dtype", "get_default_dtype", "is_floating_point", "to_array",
           "result_type"]

float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(np.bool_)

_default = [float32]


def set_default_dtype(dtype: Any) -> None:
    """Set the dtype that Python floats become (float32 or float64)."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: only floating dtypes are supported, got {dtype}")
    _default[0] = dtype


def get_default_dtype() -> np.dtype:
    """The dtype Python floats become (float32 unless changed)."""
    return _default[0]


def is_floating_point(dtype: np.dtype) -> bool:
    """True for floating (and complex, which only the complex-step checker uses) dtypes."""
    return dtype.kind in "fc"


# PyTorch's categories: bool < integer < floating < complex.
_CATEGORY = {"b": 0, "i": 1, "u": 1, "f": 2, "c": 3}


def _promote(a: np.dtype | None, b: np.dtype) -> np.dtype:
    """Promotion between two operands of one class (dimensioned tensors, 0-d tensors or
    Python scalars): within a category (or floating with complex) NumPy's table, which
    agrees with PyTorch's there; across categories the higher one's dtype."""
    if a is None or a is b:
        return b
    ca, cb = _CATEGORY[a.kind], _CATEGORY[b.kind]
    if ca == cb or ca >= 2 and cb >= 2:
        return np.promote_types(a, b)
    return a if ca > cb else b


def _combine(higher: np.dtype | None, lower: np.dtype | None) -> np.dtype | None:
    """A lower-priority class of operands counts only when its category is higher
    (PyTorch's combine_categories)."""
    if lower is None:
        return higher
    if higher is None:
        return lower
    ch, cl = _CATEGORY[higher.kind], _CATEGORY[lower.kind]
    if ch >= cl:
        return higher
    if ch == 2:   # a floating tensor with a complex operand: its complex counterpart
        return np.promote_types(higher, np.complex64)
    return lower


def result_type(*operands: Any) -> np.dtype:
    """The dtype PyTorch gives an elementwise op on `operands` (Tensors, arrays, NumPy
    scalars as 0-d tensors, Python numbers; None is skipped).

    Dimensioned operands promote among themselves, a higher category winning outright
    (float32 with int64 is float32); 0-d tensors, then Python numbers, count only when
    their category is higher than everything before them (a 0-d float64 leaves a float32
    vector float32 but makes an int vector float64); a Python float is the default float
    dtype.
    """
    dim = zero = scalar = None
    for x in operands:
        t = type(x)
        if t is float:
            scalar = _promote(scalar, _default[0])
        elif t is int:
            scalar = _promote(scalar, int64)
        elif t is bool:
            scalar = _promote(scalar, bool_)
        elif t is complex:
            scalar = _promote(scalar, np.promote_types(_default[0], np.complex64))
        elif x is not None:
            if x.ndim:
                dim = _promote(dim, x.dtype)
            else:
                zero = _promote(zero, x.dtype)
    out = _combine(_combine(dim, zero), scalar)
    if out is None:
        raise TypeError("result_type: no operand has a dtype")
    return out


def to_array(data: Any, dtype: Any = None, copy: bool = False) -> np.ndarray:
    """Convert Python or NumPy data to an ndarray following the dtype policy."""
    if isinstance(data, (np.ndarray, np.generic)):
        arr = np.asarray(data)
    elif hasattr(data, "__array__") and not isinstance(data, (list, tuple)):
        arr = np.asarray(data)
    else:
        try:
            arr = np.array(data)
        except ValueError as e:  # ragged nesting
            raise ValueError(f"tensor: cannot build a tensor from ragged data: {e}") from None
        if arr.dtype == object or arr.dtype == np.uint64 or arr.dtype == np.float64 and \
                np.abs(arr).max(initial=0) >= 2.0 ** 63:
            arr = _beyond_int64(data, arr, dtype)
        if arr.dtype.kind in "OUSV":
            raise TypeError(f"tensor: cannot convert {type(data).__name__} data with "
                            f"non-numeric entries to a tensor")
        if dtype is not None and np.dtype(dtype).kind in "iu" and arr.dtype.kind in "iuf":
            _check_range(arr, np.dtype(dtype))
            with np.errstate(over="ignore"):   # (the ints down to -max it lets wrap)
                return arr.astype(dtype)
        if dtype is None:   # (an explicit dtype converts from what Python gave, exactly)
            if arr.dtype == np.float64:
                arr = arr.astype(_default[0])
            elif arr.dtype.kind in "iu" and arr.dtype != np.int64:
                arr = arr.astype(np.int64)
        copy = False  # np.array already copied
    if dtype is not None:
        dtype = np.dtype(dtype)
        if arr.dtype != dtype:
            return arr.astype(dtype)
    return arr.copy() if copy else arr



_NUMBER_TYPES = (int, float, bool, complex, np.number, np.bool_)


def _beyond_int64(data: Any, arr: np.ndarray, dtype: Any) -> np.ndarray:
    """`arr` (NumPy's reading of the Python `data`) when it may hold an int outside int64,
    which NumPy widens to uint64, float64 or object: as in PyTorch, such an int raises
    unless a float in the data or a floating or bool `dtype` makes the tensor non-integer
    (an object array of such numbers then becomes float64, or complex128)."""
    flat = np.array(data, dtype=object).ravel()
    kinds = set(map(type, flat))   # (C-level iteration; this path is rare)
    if not all(issubclass(k, _NUMBER_TYPES) for k in kinds):
        return arr   # strings, None, ...: the caller reports them
    if all(issubclass(k, (int, np.integer, np.bool_)) for k in kinds):
        value = flat[np.argmax(np.abs(flat.astype(np.float64)))]
        if -2 ** 63 <= value < 2 ** 63:
            return arr
        if dtype is None or np.dtype(dtype).kind in "iu":
            raise ValueError(f"tensor: Overflow when unpacking long long: {value} is "
                             f"outside the int64 range")
    if arr.dtype != object:
        return arr
    complex_ = any(issubclass(k, (complex, np.complexfloating)) for k in kinds)
    return flat.astype(np.complex128 if complex_ else np.float64).reshape(arr.shape)


def _check_range(arr: np.ndarray, dtype: np.dtype) -> None:
    """Raise as PyTorch does when Python numbers do not fit the integer `dtype` (an
    unsigned one takes ints down to -max, wrapping them, but no negative float)."""
    if not arr.size:
        return
    info = np.iinfo(dtype)
    lo = (-info.max if arr.dtype.kind in "iu" else 0) if info.min == 0 else info.min
    low, high = arr.min(), arr.max()
    if not (low >= lo and high <= info.max):   # (NaN fails both)
        raise RuntimeError(f"tensor: value cannot be converted to type {dtype} without "
                           f"overflow (values from {low} to {high})")
