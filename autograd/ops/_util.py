"""Helpers shared by the op modules: argument aliases and axis normalization."""
from __future__ import annotations

import operator
from typing import Any

import numpy as np

from ..grad_mode import STATE
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
    """`dim` (None, int or sequence of ints) as a sorted tuple of non-negative axes, or
    None.  A 0-d tensor accepts dims 0 and -1 (both give (0,))."""
    if dim is None:
        return None
    n = max(ndim, 1)
    if type(dim) is int and -n <= dim < n:   # the common case
        return (dim % n,)
    if hasattr(dim, "__index__") or not hasattr(dim, "__iter__") or isinstance(dim, str):
        dims = (dim,)
    else:
        dims = tuple(dim)
    out = []
    for d in dims:
        d = _dim_index(op, d, "int or tuple of ints")
        if not -n <= d < n:
            raise IndexError(f"{op}: dimension out of range (expected to be in range of "
                             f"[{-n}, {n - 1}], but got {d})")
        out.append(d % n)
    if len(set(out)) != len(out):
        dup = next(a for a in out if out.count(a) > 1)
        raise RuntimeError(f"{op}: dim {dup} appears multiple times in the list of dims "
                           f"{dims}")
    return tuple(sorted(out))


def norm_axis(op: str, dim: Any, ndim: int) -> int:
    """One dimension index (an int, negative allowed), checked against `ndim`; a
    sequence raises TypeError as in PyTorch."""
    n = ndim or 1
    if type(dim) is int and -n <= dim < n:   # the common case
        return dim % n
    d = _dim_index(op, dim, "int")
    if not -n <= d < n:
        raise IndexError(f"{op}: dimension out of range (expected to be in range of "
                         f"[{-n}, {n - 1}], but got {d})")
    return d % n


def _dim_index(op: str, d: Any, expected: str) -> int:
    """`d` as an int: ints, NumPy integers and integer scalars pass; bools, floats,
    strings and sequences raise TypeError (PyTorch's argument parser does too)."""
    if not isinstance(d, bool):
        try:
            return operator.index(d)
        except TypeError:
            pass
    raise TypeError(f"{op}: argument 'dim' must be {expected}, not {type(d).__name__}")


def as_tensor_arg(x: Any, op: str = "operand") -> Any:
    """Tensors, Python scalars and arrays pass through; NumPy scalars become Python
    scalars (so, as in PyTorch, ``float32 tensor * np.float64(2)`` stays float32);
    anything else becomes an ndarray, which must hold numbers (else TypeError naming
    `op`)."""
    if type(x) in _AS_IS:           # the hot case, one lookup
        return x
    if isinstance(x, np.generic):   # before the float check: np.float64 is a float
        return x.item()
    if isinstance(x, (Tensor, int, float, bool, np.ndarray)):
        return x
    arr = np.asarray(x)
    if arr.dtype.kind not in "biufc":   # a string, an object, None in a list, ...
        raise TypeError(f"{op}: unsupported operand type {type(x).__name__!r} (expected "
                        f"a Tensor, a number or an array of numbers)")
    return arr


_AS_IS = frozenset((Tensor, float, int, bool, np.ndarray))


def shape_of(x: Any) -> tuple:
    """The shape of a Tensor, array or scalar operand (cheaper than np.shape, whose
    dispatch shows in hot paths)."""
    shape = getattr(x, "shape", None)
    return np.shape(x) if shape is None else shape


def share_version(out: Tensor, base: Tensor, cls: type, params: dict, multi: bool) -> None:
    """If `out` aliases base's memory (a reshape may have had to copy), make it share
    base's version counter, so in-place changes through either are seen by nodes that
    saved the other, and remember how it was made (``_view``, see graph.refresh_view):
    kind "" in grad mode ("multi" for one of several views made by one call), "no_grad"
    for a view made without history of a tensor that has some (in-place changes through
    it with grad mode on are refused); views of gradients in backward keep nothing."""
    b = out._data.base   # (NumPy gives a view the owner of the memory as its base)
    if b is None or (b is not base._data and b is not base._data.base):
        return
    vc = out._vc = base._version_counter()
    if out.grad_fn is not None or STATE.enabled:
        kind = "multi" if multi else ""
    elif base.requires_grad:
        kind = "no_grad"
    else:
        return
    out._view = (base, (cls, params), vc[2] if len(vc) > 2 else 0, kind)


def view_op(cls: type, input: Tensor, **params: Any) -> Any:
    """Apply the view-making op `cls` to `input`: the result (or each of a tuple of
    results) that aliases its data shares its version counter and remembers how it was
    made, so that an in-place change through it rebases `input`'s history (and an
    in-place change of `input` rebuilds the view's)."""
    input.data  # noqa: B018 - a 0-d input held as a NumPy scalar becomes an array to alias
    out = apply(cls, input, **params)
    if type(out) is tuple:
        for o in out:
            share_version(o, input, cls, params, True)
    else:
        share_version(out, input, cls, params, False)
    return out


def reduce_keep(ufunc: np.ufunc, x: np.ndarray, axes: Any) -> np.ndarray:
    """``ufunc.reduce(x, axis=axes, keepdims=True)``, faster over a short last axis of
    many rows (class scores, say): NumPy runs its inner loop once per row there (max over
    (128, 10) float32 takes 6.6 us), while over the leading axis of a transposed copy it
    runs once per column, vectorized across rows (2.1 us with the copy).  (Sums may then
    differ from NumPy's in the last bit: the terms are added in another order.)"""
    shape = x.shape
    n = shape[-1] if shape else 0
    if 2 <= n <= 16 and x.size >= 64 * n and type(x) is np.ndarray \
            and axes in ((x.ndim - 1,), x.ndim - 1) and x.flags.c_contiguous:
        cols = np.ascontiguousarray(x.reshape(-1, n).T)
        return ufunc.reduce(cols, axis=0).reshape(shape[:-1] + (1,))
    return ufunc.reduce(x, axis=axes, keepdims=True)


def finite_max(x: np.ndarray, axes: Any) -> np.ndarray:
    """max(x) over `axes` (kept) with the non-finite maxima (slices of -inf, inf or NaN)
    as 0: the shift that keeps exp(x - shift) from overflowing."""
    m = reduce_keep(np.maximum, x, axes)
    if np.count_nonzero(np.isfinite(m)) != m.size:   # (cheaper than np.where every time)
        m = np.where(np.isfinite(m), m, 0)
    return m
