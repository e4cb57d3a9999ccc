"""The dtype policy: which NumPy dtype a tensor built from Python data gets.

Python floats (and lists of them) become the default float dtype (float32 unless
`set_default_dtype` says otherwise), Python ints int64, bools bool; NumPy arrays and
scalars keep their dtype.  Only floating tensors may require grad.
"""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["float16", "float32", "float64", "int32", "int64", "uint8", "bool_",
           "set_default_dtype", "get_default_dtype", "is_floating_point", "to_array"]

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
        if arr.dtype == object or arr.dtype.kind in "USV":
            raise TypeError(f"tensor: cannot convert {type(data).__name__} data with "
                            f"non-numeric entries to a tensor")
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

