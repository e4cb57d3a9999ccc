"""`Tensor`: an ndarray plus what the tape needs to differentiate through it.

Attributes: ``data`` (the ndarray), ``grad`` (a Tensor or None), ``requires_grad``,
``grad_fn`` (the node that produced it; None for leaves).  Ops are attached as
methods and operators by the op modules (see `graph.register`), so this file holds
only what every tensor has regardless of ops.
"""
from __future__ import annotations

from typing import Any, Callable, Iterator

import numbers
import weakref

import numpy as np

from . import dtypes

__all__ = ["Tensor", "tensor", "from_numpy", "wrap"]


class Tensor:
    """A multi-dimensional array that records operations for reverse-mode autodiff.

    As in PyTorch, the constructor always makes a tensor of the default float dtype:
    ``Tensor(data)`` from a sequence or ndarray (an ndarray of that dtype is shared, not
    copied), ``Tensor(*sizes)`` or ``Tensor(size=sizes)`` uninitialized, ``Tensor()``
    empty; ``Tensor(t)`` of a Tensor is an alias of `t` (same data, dtype and graph).
    Use `tensor(data, dtype, requires_grad)` to keep the data's dtype.
    """

    # Rarely-set attributes are class defaults (stored per instance only once set), so
    # making a tensor costs three stores.  The tape (graph.apply, the engine) reads and
    # writes the ``_requires_grad`` slot and ``_grad`` directly; the public properties
    # check what users assign, as PyTorch does.
    __slots__ = ("_data", "_requires_grad", "grad_fn", "__dict__", "__weakref__")
    _grad = None            # the accumulated gradient (a Tensor) of a leaf, or None
    _vc = None              # [version, epoch of last in-place change], made on first need
    _out_idx = 0            # which output of grad_fn this tensor is
    _hooks = None           # hooks of a leaf (non-leaf hooks live on the node)
    _retains_grad = False
    __array_priority__ = 1000  # make ndarray (op) Tensor defer to our reflected operators

    def __init__(self, *args: Any, size: Any = None) -> None:
        self.grad_fn = None
        self._requires_grad = False
        default = dtypes.get_default_dtype()
        if size is not None or all(isinstance(a, (int, np.integer)) and not isinstance(a, bool)
                                   for a in args):
            if size is not None and args:
                raise TypeError("Tensor(): give the sizes either positionally or as size=")
            shape = tuple(int(s) for s in (args if size is None else size))
            if any(s < 0 for s in shape):
                raise RuntimeError(f"Tensor(): trying to create a tensor with negative "
                                   f"dimension: {list(shape)}")
            self._data = np.empty(shape if args or size is not None else (0,), default)
            return
        if len(args) != 1:
            raise TypeError(f"Tensor(): expected sizes (ints) or a single data argument, got "
                            f"({', '.join(type(a).__name__ for a in args)})")
        data = args[0]
        if isinstance(data, Tensor):
            # PyTorch's alias is a view: the same data, version counter and history.
            src = data[...]
            self._data, self.grad_fn, self._requires_grad = (src._data, src.grad_fn,
                                                             src._requires_grad)
            self.__dict__.update(src.__dict__)
            return
        if isinstance(data, (bool, float, complex, np.generic)) or not (
                isinstance(data, (list, tuple, range, np.ndarray)) or hasattr(data, "__array__")):
            raise TypeError(f"Tensor(): data must be a sequence or an ndarray (got "
                            f"{type(data).__name__}); use tensor() for a scalar")
        self._data = dtypes.to_array(data, default)

    # ---- basic attributes -----------------------------------------------------------
    @property
    def data(self) -> np.ndarray:
        """The ndarray holding the values (shared, not copied)."""
        d = self._data
        if type(d) is not np.ndarray and isinstance(d, np.generic):
            # A 0-d op result is kept as a NumPy scalar, whose arithmetic is several
            # times cheaper than a 0-d array's (micrograd-style scalar graphs); it
            # becomes a 0-d array on first access, so in-place changes through
            # ``.data`` stick.
            d = self._data = np.array(d)
        return d

    @data.setter
    def data(self, value: Any) -> None:
        if isinstance(value, Tensor):
            value = value.data
        elif not isinstance(value, (np.ndarray, np.generic)):
            raise TypeError(f"data: expected a Tensor or an ndarray, got "
                            f"{type(value).__name__}")
        self._data = value

    @property
    def grad(self) -> Tensor | None:
        """The gradient accumulated by backward (a Tensor), or None."""
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"grad: assigned grad expected to be a Tensor or None but "
                                f"got grad of type {type(value).__name__}")
            if value is self:
                raise RuntimeError("grad: can't assign a tensor as its own grad")
            if value._data.shape != self._data.shape:
                raise RuntimeError(f"grad: attempting to assign a gradient of shape "
                                   f"{tuple(value.shape)} to a tensor of shape "
                                   f"{tuple(self.shape)}")
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(f"grad: attempting to assign a gradient of dtype "
                                   f"{value.dtype} to a tensor of dtype {self.dtype}")
        self._grad = value

    @property
    def requires_grad(self) -> bool:
        """Whether ops on this tensor are recorded so that gradients reach it."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self._set_requires_grad(value, "requires_grad")

    @property
    def shape(self) -> tuple:
        """The shape, a tuple of ints (PyTorch's torch.Size is a tuple too)."""
        return self._data.shape

    @property
    def ndim(self) -> int:
        """Number of dimensions (0 for a scalar)."""
        return self._data.ndim

    @property
    def dtype(self) -> np.dtype:
        """The NumPy dtype of the data."""
        return self._data.dtype

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded op (user-created, or requires_grad=False)."""
        return self.grad_fn is None

    @property
    def device(self) -> str:
        """Always "cpu"; present so PyTorch code that reads it keeps working."""
        return "cpu"

    @property
    def _version(self) -> int:
        """How many times the data was changed in place (shared with views)."""
        return 0 if self._vc is None else self._vc[0]

    def size(self, dim: int | None = None) -> Any:
        """The shape, or its length along `dim`."""
        shape = self._data.shape
        if dim is None:
            return shape
        n = len(shape)
        if not -n <= dim < n:
            raise IndexError(f"size: dimension out of range (expected to be in range of "
                             f"[{-n}, {n - 1}], but got {dim})" if n else
                             f"size: dimension specified as {dim} but tensor has no "
                             f"dimensions")
        return shape[dim]

    def dim(self) -> int:
        """Number of dimensions."""
        return self._data.ndim

    def numel(self) -> int:
        """Number of elements."""
        return self._data.size

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(f"item: a Tensor with {self._data.size} elements cannot be "
                               f"converted to Scalar (shape {tuple(self.shape)})")
        return self._data.item()

    def numpy(self) -> np.ndarray:
        """The data as an ndarray (shared memory).  Like PyTorch, refuses tensors that
        require grad: call ``.detach().numpy()``."""
        if self.requires_grad:
            raise RuntimeError("numpy: can't call numpy() on a tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        return self.data

    def tolist(self) -> Any:
        """The data as (nested) Python lists / a number."""
        return self._data.tolist()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if dtype is not None and np.dtype(dtype) != self.data.dtype:
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def is_floating_point(self) -> bool:
        """True for floating dtypes."""
        return self._data.dtype.kind == "f"

    def is_contiguous(self) -> bool:
        """True if the data is C-contiguous (row-major without gaps; a transposed,
        strided or expanded view is not)."""
        return self._data.flags.c_contiguous

    def type_as(self, other: Tensor) -> Tensor:
        """This tensor cast to `other`'s dtype (itself if it already has it)."""
        if not isinstance(other, Tensor):
            raise TypeError(f"type_as: argument 'other' must be Tensor, not "
                            f"{type(other).__name__}")
        return self.to(other.dtype)

    # ---- autograd attributes --------------------------------------------------------
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set requires_grad in place (only leaves; only floating dtypes may require grad)."""
        self._set_requires_grad(requires_grad, "requires_grad_")
        return self

    def _set_requires_grad(self, requires_grad: bool, what: str) -> None:
        # (A non-leaf always requires grad, so setting True there is a no-op.)
        if requires_grad and not dtypes.is_floating_point(self._data.dtype):
            raise RuntimeError(f"{what}: only tensors of floating point dtype can "
                               f"require gradients, got dtype {self._data.dtype}")
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError(f"{what}: you can only change requires_grad flags of "
                               f"leaf tensors; use detach() for a non-leaf.")
        self._requires_grad = bool(requires_grad)

    def detach(self) -> Tensor:
        """A new leaf sharing this data (and its version counter) that never requires grad."""
        t = wrap(self.data)
        t._vc = self._version_counter()
        return t

    def detach_(self) -> Tensor:
        """Detach in place: make this tensor a leaf that does not require grad."""
        self.grad_fn = None
        self._requires_grad = False
        return self

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` after backward."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad: can't retain_grad on a tensor that has "
                               "requires_grad=False")
        if self.grad_fn is not None and not self._retains_grad:
            self._retains_grad = True
            d = self.grad_fn.__dict__
            d.setdefault("_hooks", {})   # (the engine looks for both where _hooks is set)
            d.setdefault("_retained", {})[self._out_idx] = _weak(self)

    @property
    def retains_grad(self) -> bool:
        """True for a non-leaf tensor on which retain_grad() was called."""
        return self._retains_grad

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> Any:
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned
        tensor replaces the gradient.  Returns a handle with ``remove()``."""
        if not self.requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that "
                               "doesn't require gradient")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        else:
            hooks = self.grad_fn.__dict__.setdefault("_hooks", {}).setdefault(self._out_idx, [])
        hooks.append(hook)
        return _HookHandle(hooks, hook)

    def _version_counter(self) -> list:
        """This tensor's [version, epoch] counter, created on first need (views share it)."""
        vc = self._vc
        if vc is None:
            vc = self._vc = [0, 0]
        return vc

    # ---- Python protocol --------------------------------------------------------------
    __hash__ = object.__hash__

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __contains__(self, element: Any) -> bool:
        """``element in t``: whether some element of t equals `element` (a number, or a
        tensor broadcasting with t), as in PyTorch."""
        if not isinstance(element, (Tensor, numbers.Number)):
            raise RuntimeError(f"Tensor.__contains__ only supports Tensor or scalar, but "
                               f"you passed in a {type(element)}.")
        return bool((self == element).any())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with more than one value is "
                               f"ambiguous (shape {self.shape})")
        return bool(self._data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted "
                            "to an index")
        return int(self._data.item())

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(",
                               precision=4, floatmode="maxprec_equal")
        extras = []
        default = {dtypes.get_default_dtype(), dtypes.int64, dtypes.bool_}
        if self._data.dtype not in default:
            extras.append(f"dtype={self._data.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn={self.grad_fn!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body] + extras) + ")"

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0 and spec:
            return format(self._data.item(), spec)
        return repr(self)


def wrap(data: np.ndarray | np.generic, node: Any = None) -> Tensor:
    """A Tensor around `data` without copying; `node` makes it a recorded op's output.
    `data` may be a NumPy scalar (a 0-d result; see `Tensor.data`)."""
    t = _new(Tensor)
    t._data = data
    t.grad_fn = node
    t._requires_grad = node is not None
    return t


_new = Tensor.__new__


def check_device(op: str, device: Any) -> None:
    """Accept PyTorch's `device` argument when it names the CPU (None, "cpu", "cpu:0"):
    the only device there is.  Anything else raises RuntimeError naming `op`."""
    if device is not None and str(device) not in ("cpu", "cpu:0"):
        raise RuntimeError(f"{op}: only device='cpu' exists here, got device={device!r}")


def is_device_name(x: Any) -> bool:
    """Whether `x`, given where `to` takes a dtype or a device, is a device name ("cpu",
    "cuda:0") rather than a dtype (name)."""
    if not isinstance(x, str):
        return False
    try:
        np.dtype(x)
    except TypeError:
        return True
    return False


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False, *,
           device: Any = None) -> Tensor:
    """A new leaf tensor holding a copy of `data` (see the dtype policy in autograd.dtypes);
    `device` may only name the CPU."""
    check_device("tensor", device)
    t = wrap(dtypes.to_array(data, dtype, copy=True))
    if requires_grad:
        t.requires_grad_(True)
    return t


def from_numpy(a: np.ndarray) -> Tensor:
    """A tensor sharing memory with the ndarray `a` (its dtype kept)."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray, got {type(a).__name__}")
    return wrap(a)


class _HookHandle:
    """Returned by register_hook; ``remove()`` unregisters the hook."""

    def __init__(self, hooks: list, hook: Callable) -> None:
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


def _weak(t: Tensor) -> Any:
    return weakref.ref(t)

