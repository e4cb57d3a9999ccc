"""Helpers shared by the op modules: argument aliases and axis normalization."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..graph import apply
from ..tensor import Tensor


def pick(name: str, torch_value: Any, numpy_value: Any, default: Any = None) -> Any:
    """Resolve a PyTorch-named argument and its NumPy alias (`dim`/`axis`, ...)."""
    if torch_value is not None and numpy_value is not None and torch_value != numpy_value:
        raise TypeError(f"{name}: got both a PyTorch-style and a NumPy-style value "
                        f"({torch_value!r} and {numpy_value!r})")
    if torch_value is not None:
        return torch_value
    if numpy_value is not None:
        return numpy_value
    return default


def norm_axes(op: str, dim: Any, ndim: int) -> tuple | None:
    """`dim` (None, int or sequence) as a sorted tuple of non-negative axes, or None."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    out = []
    for d in dims:
        d = int(d)
        lo = -max(ndim, 1)
        if not lo <= d < max(ndim, 1):
            raise IndexError(f"{op}: dimension out of range (expected to be in range of "
                             f"[{lo}, {max(ndim, 1) - 1}], but got {d})")
        out.append(d % max(ndim, 1) if ndim else 0)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: dim {dims} appears multiple times in the list of dims")
    return tuple(sorted(out))


def norm_axis(op: str, dim: int, ndim: int) -> int:
    """One dimension index, negative allowed, checked against `ndim`."""
    n = ndim or 1
    if type(dim) is int and -n <= dim < n:   # the common case, without norm_axes' lists
        return dim % n
    return norm_axes(op, dim, ndim)[0]  # type: ignore[index]


def as_tensor_arg(x: Any) -> Any:
    """Tensors, Python scalars and arrays pass through; NumPy scalars become Python
    scalars (so, as in PyTorch, ``float32 tensor * np.float64(2)`` stays float32);
    anything else becomes an ndarray."""
    if type(x) in _AS_IS:           # the hot case, one lookup
        return x
    if isinstance(x, np.generic):   # before the float check: np.float64 is a float
        return x.item()
    if isinstance(x, (Tensor, int, float, bool, np.ndarray)):
        return x
    return np.asarray(x)


_AS_IS = frozenset((Tensor, float, int, bool, np.ndarray))


def shape_of(x: Any) -> tuple:
    """The shape of a Tensor, array or scalar operand (cheaper than np.shape, whose
    dispatch shows in hot paths)."""
    shape = getattr(x, "shape", None)
    return np.shape(x) if shape is None else shape


def share_version(out: Tensor, base: Tensor) -> Tensor:
    """Make a view share its base's version counter, so in-place changes through
    either are seen by nodes that saved the other."""
    if out._data.base is not None:  # a view (of the input: these ops make no other)
        out._vc = base._version_counter()
    return out


def view_op(cls: type, input: Tensor, **params: Any) -> Any:
    """Apply the view-making op `cls` to `input`: the result (or each of a tuple of
    results) aliases its data and shares its version counter."""
    input.data  # noqa: B018 - a 0-d input held as a NumPy scalar becomes an array to alias
    out = apply(cls, input, **params)
    if type(out) is tuple:
        for o in out:
            share_version(o, input)
        return out
    return share_version(out, input)
