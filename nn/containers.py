"""Containers: Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict, with
PyTorch's list and dict methods."""
from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any, Iterator

import numpy as np

from autograd import Tensor

from .module import Module, Parameter

__all__ = ["Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"]


class _Indexed(Module):
    """What Sequential and ModuleList share: modules named "0", "1", ... addressed by
    position (negative positions count from the end), renumbered after a deletion."""

    def _key(self, idx: Any) -> str:
        """The name of the module at position `idx`."""
        n = len(self._modules)
        i = operator.index(idx)   # TypeError for str/float, as a Python list
        if not -n <= i < n:
            raise IndexError(f"{type(self).__name__}: index {i} is out of range for "
                             f"{n} modules")
        return list(self._modules)[i % n]

    def __getitem__(self, idx: Any) -> Any:
        if isinstance(idx, slice):
            return self._from_items(list(self._modules.items())[idx])
        return self._modules[self._key(idx)]

    def __setitem__(self, idx: Any, module: Module) -> None:
        setattr(self, self._key(idx), module)

    def __delitem__(self, idx: Any) -> None:
        keys = list(self._modules)[idx] if isinstance(idx, slice) else [self._key(idx)]
        for k in keys:
            del self._modules[k]
        mods = list(self._modules.values())
        self._modules.clear()
        self._modules.update((str(i), m) for i, m in enumerate(mods))

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __dir__(self) -> list:
        return [k for k in super().__dir__() if not k.isdigit()]

    def _from_items(self, items: list) -> _Indexed:
        raise NotImplementedError

    def append(self, module: Module) -> Any:
        """Add a module at the end; returns self."""
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> Any:
        """Append every module of an iterable; returns self."""
        if not isinstance(modules, Iterable):
            raise TypeError(f"{type(self).__name__}.extend should be called with an "
                            f"iterable, but got {type(modules).__name__}")
        for m in list(modules):   # a list: extending by self must not loop forever
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Insert `module` before position `index` (-len <= index <= len)."""
        if not isinstance(module, Module):
            raise TypeError(f"{type(self).__name__}.insert: {type(module).__name__} is not "
                            f"a Module subclass")
        n = len(self._modules)
        i = operator.index(index)
        if not -n <= i <= n:
            raise IndexError(f"{type(self).__name__}.insert: index {i} is out of range for "
                             f"{n} modules")
        mods = list(self._modules.values())
        mods.insert(i, module)
        self._modules.clear()
        self._modules.update((str(j), m) for j, m in enumerate(mods))

    def pop(self, key: int | slice) -> Module:
        """Remove the module (or the container of modules, for a slice) at `key` and
        return it."""
        v = self[key]
        del self[key]
        return v


class Sequential(_Indexed):
    """Modules called in order, each on the previous one's output.  Built from modules
    (named "0", "1", ...), a list of them (Keras style), or an OrderedDict of names."""

    def __init__(self, *args: Any) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, m in args[0].items():
                self.add_module(name, m)
            return
        if len(args) == 1 and isinstance(args[0], (list, tuple)):
            args = tuple(args[0])
        for i, m in enumerate(args):
            self.add_module(str(i), m)

    def forward(self, x: Any) -> Any:
        for m in self._modules.values():
            x = m(x)
        return x

    def _from_items(self, items: list) -> Sequential:
        return self.__class__(OrderedDict(items))

    def insert(self, index: int, module: Module) -> Sequential:
        """Insert `module` before position `index` (-len <= index <= len); returns self."""
        super().insert(index, module)
        return self

    def add(self, module: Module) -> Sequential:
        """Keras' name for append."""
        return self.append(module)

    def __add__(self, other: Any) -> Sequential:
        if not isinstance(other, Sequential):
            raise ValueError(f"Sequential +: add operator supports only objects of "
                             f"Sequential class, but {type(other).__name__} is given")
        return Sequential(*self, *other)

    def __iadd__(self, other: Any) -> Sequential:
        if not isinstance(other, Sequential):
            raise ValueError(f"Sequential +=: add operator supports only objects of "
                             f"Sequential class, but {type(other).__name__} is given")
        return self.extend(other)

    def _repeats(self, other: Any) -> int:
        if not isinstance(other, int) or isinstance(other, bool):
            raise TypeError(f"unsupported operand type(s) for *: 'Sequential' and "
                            f"'{type(other).__name__}'")
        if other <= 0:
            raise ValueError(f"Sequential *: non-positive multiplication factor {other}")
        return other

    def __mul__(self, other: Any) -> Sequential:
        """The same modules (shared, not copied) repeated `other` times."""
        return Sequential(*(list(self) * self._repeats(other)))

    def __rmul__(self, other: Any) -> Sequential:
        return self.__mul__(other)

    def __imul__(self, other: Any) -> Sequential:
        return self.extend(list(self) * (self._repeats(other) - 1))


class ModuleList(_Indexed):
    """A list of modules whose parameters are registered (named "0", "1", ...)."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _from_items(self, items: list) -> ModuleList:
        return self.__class__([m for _, m in items])

    def __add__(self, other: Iterable[Module]) -> ModuleList:
        return ModuleList(list(self) + list(other))

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def __repr__(self) -> str:
        """PyTorch's compressed form: runs of equal reprs shown once as ``(i-j): n x``."""
        reprs = [repr(m) for m in self]
        if not reprs:
            return f"{type(self).__name__}()"
        runs: list = []   # [start, end, repr]
        for i, r in enumerate(reprs):
            if runs and runs[-1][2] == r:
                runs[-1][1] = i
            else:
                runs.append([i, i, r])
        lines = [(f"({a}): {r}" if a == b else f"({a}-{b}): {b - a + 1} x {r}")
                 .replace("\n", "\n  ") for a, b, r in runs]
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """A dict of modules whose parameters are registered under their keys."""

    def __init__(self, modules: Any = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: str) -> bool:
        return key in self._modules

    def keys(self) -> Any:
        """The keys, in insertion order."""
        return self._modules.keys()

    def values(self) -> Any:
        """The modules, in insertion order."""
        return self._modules.values()

    def items(self) -> Any:
        """(key, module) pairs, in insertion order."""
        return self._modules.items()

    def pop(self, key: str) -> Module:
        """Remove `key` and return its module."""
        v = self[key]
        del self[key]
        return v

    def clear(self) -> None:
        """Remove every module."""
        self._modules.clear()

    def update(self, modules: Any) -> None:
        """Add (or replace) modules from a mapping or an iterable of (key, module)
        pairs, keeping their order."""
        if isinstance(modules, (Mapping, ModuleDict)):
            for k, m in modules.items():
                self[k] = m
            return
        if not isinstance(modules, Iterable):
            raise TypeError(f"ModuleDict.update should be called with an iterable of "
                            f"key/value pairs, but got {type(modules).__name__}")
        for j, pair in enumerate(modules):
            if not isinstance(pair, Iterable):
                raise TypeError(f"ModuleDict update sequence element #{j} should be "
                                f"Iterable; is {type(pair).__name__}")
            pair = tuple(pair)
            if len(pair) != 2:
                raise ValueError(f"ModuleDict update sequence element #{j} has length "
                                 f"{len(pair)}; 2 is required")
            self[pair[0]] = pair[1]


# ---- parameter containers -------------------------------------------------------------

def _as_parameter(value: Any) -> Any:
    """A Tensor put in a parameter container becomes a Parameter sharing its data, as in
    PyTorch; anything else is kept as it is (a plain attribute, not in state_dict)."""
    return Parameter(value) if isinstance(value, Tensor) and not isinstance(value, Parameter) \
        else value


# PyTorch's names for the dtypes in these containers' reprs, so that the reprs match.
_TORCH_DTYPE = {np.dtype(np.float16): ("float16", "HalfTensor"),
                np.dtype(np.float32): ("float32", "FloatTensor"),
                np.dtype(np.float64): ("float64", "DoubleTensor")}


def _entries_repr(items: Iterable, typename: bool) -> str:
    """PyTorch's extra_repr of ParameterList (dtype names, ``torch.float32``) and
    ParameterDict (tensor type names, ``torch.FloatTensor``): one line per entry."""
    lines = []
    for k, v in items:
        if isinstance(v, Tensor):
            name = _TORCH_DTYPE.get(v.dtype, (str(v.dtype),) * 2)[typename]
            kind = "Parameter" if isinstance(v, Parameter) else "Tensor"
            size = "x".join(map(str, v.shape))
            lines.append(f"  ({k}): {kind} containing: [torch.{name} of size {size}]")
        else:
            lines.append(f"  ({k}): Object of type: {type(v).__name__}")
    return "\n".join(lines)


class ParameterList(Module):
    """A list whose Tensors are registered as parameters named "0", "1", ... (so
    parameters() and state_dict() see them under PyTorch's keys); Tensors become
    Parameters, other values are stored as plain attributes.  Not callable."""

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        super().__init__()
        self._size = 0
        if values is not None:
            self.extend(values)

    def _name(self, idx: Any) -> str:
        """The attribute name of position `idx` (negative positions count from the end)."""
        i = operator.index(idx)   # TypeError for str/float, as a Python list
        if not -self._size <= i < self._size:
            raise IndexError(f"ParameterList: index {i} is out of range for {self._size} "
                             f"entries")
        return str(i % self._size)

    def __getitem__(self, idx: Any) -> Any:
        if isinstance(idx, slice):
            return ParameterList([self[i] for i in range(self._size)[idx]])
        return getattr(self, self._name(idx))

    def __setitem__(self, idx: Any, value: Any) -> None:
        setattr(self, self._name(idx), _as_parameter(value))

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[Any]:
        return (self[i] for i in range(self._size))

    def __iadd__(self, values: Iterable[Any]) -> ParameterList:
        return self.extend(values)

    def __dir__(self) -> list:
        return [k for k in super().__dir__() if not k.isdigit()]

    def append(self, value: Any) -> ParameterList:
        """Add `value` at the end; returns self."""
        self._size += 1
        self[self._size - 1] = value
        return self

    def extend(self, values: Iterable[Any]) -> ParameterList:
        """Append every value of an iterable (not a Tensor); returns self."""
        if not isinstance(values, Iterable) or isinstance(values, Tensor):
            raise TypeError(f"ParameterList.extend should be called with an iterable, but "
                            f"got {type(values).__name__}")
        for v in list(values):   # a list: extending by self must not loop forever
            self.append(v)
        return self

    def extra_repr(self) -> str:
        return _entries_repr(enumerate(self), typename=False)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("ParameterList should not be called.")


class MissingKeyError(KeyError, AttributeError):
    """A key a ParameterDict lacks: a dict raises KeyError, PyTorch's ParameterDict
    AttributeError, so this is both and code written for either catches it."""


class ParameterDict(Module):
    """An ordered dict whose Tensors are registered as parameters under their (str) keys
    (so parameters() and state_dict() see them); Tensors become Parameters, other values
    are stored as plain attributes.  update() from a plain dict adds its keys sorted,
    from an OrderedDict, a ParameterDict or (key, value) pairs in order, as PyTorch's
    does.  Not callable."""

    def __init__(self, parameters: Any = None) -> None:
        super().__init__()
        self._keys: dict = {}
        if parameters is not None:
            self.update(parameters)

    def _check_key(self, key: Any) -> str:
        if not isinstance(key, str):
            raise TypeError(f"ParameterDict: a key must be a string, got {key!r} of type "
                            f"{type(key).__name__}")
        return key

    def __getitem__(self, key: str) -> Any:
        if self._check_key(key) not in self._keys:
            raise MissingKeyError(key)
        return getattr(self, key)

    def __setitem__(self, key: str, value: Any) -> None:
        self._check_key(key)
        value = _as_parameter(value)
        if isinstance(value, Parameter):
            self._forget(key, keep=self._parameters)   # a plain value of that key goes
            self.register_parameter(key, value)        # (checks the name, as PyTorch)
        else:
            setattr(self, key, value)
        self._keys[key] = None

    def __delitem__(self, key: str) -> None:
        del self._keys[self._check_key(key)]
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __reversed__(self) -> Iterator[str]:
        return reversed(self._keys)

    def __contains__(self, key: Any) -> bool:
        return key in self._keys

    def keys(self) -> Any:
        """The keys, in insertion order."""
        return self._keys.keys()

    def values(self) -> Iterator[Any]:
        """The values, in insertion order."""
        return (self[k] for k in self._keys)

    def items(self) -> Iterator[tuple[str, Any]]:
        """(key, value) pairs, in insertion order."""
        return ((k, self[k]) for k in self._keys)

    def get(self, key: str, default: Any = None) -> Any:
        """The value of `key`, or `default` when absent."""
        return self[key] if key in self else default

    def setdefault(self, key: str, default: Any = None) -> Any:
        """The value of `key`, after inserting `default` under it when absent."""
        if key not in self:
            self[key] = default
        return self[key]

    def pop(self, key: str) -> Any:
        """Remove `key` and return its value."""
        v = self[key]
        del self[key]
        return v

    def popitem(self) -> tuple[str, Any]:
        """Remove and return the last inserted (key, value) pair."""
        if not self._keys:
            raise KeyError("popitem(): ParameterDict is empty")
        k = next(reversed(self._keys))
        return k, self.pop(k)

    def clear(self) -> None:
        """Remove every entry."""
        for k in list(self._keys):
            del self[k]

    def copy(self) -> ParameterDict:
        """A new ParameterDict holding the same values (not copies)."""
        return ParameterDict(OrderedDict(self.items()))

    def fromkeys(self, keys: Iterable[str], default: Any = None) -> ParameterDict:
        """A new ParameterDict with each of `keys` set to `default`."""
        return ParameterDict((k, default) for k in keys)

    def update(self, parameters: Any) -> None:
        """Add (or replace) entries from a mapping or an iterable of (key, value) pairs."""
        if isinstance(parameters, (OrderedDict, ParameterDict)):
            pairs: Iterable = parameters.items()
        elif isinstance(parameters, Mapping):
            pairs = sorted(parameters.items())
        elif isinstance(parameters, Iterable):
            pairs = parameters
        else:
            raise TypeError(f"ParameterDict.update should be called with an iterable of "
                            f"key/value pairs, but got {type(parameters).__name__}")
        for j, pair in enumerate(pairs):
            if not isinstance(pair, Iterable):
                raise TypeError(f"ParameterDict update sequence element #{j} should be "
                                f"Iterable; is {type(pair).__name__}")
            pair = tuple(pair)
            if len(pair) != 2:
                raise ValueError(f"ParameterDict update sequence element #{j} has length "
                                 f"{len(pair)}; 2 is required")
            self[pair[0]] = pair[1]

    def __or__(self, other: ParameterDict) -> ParameterDict:
        out = self.copy()
        out.update(other)
        return out

    def __ror__(self, other: ParameterDict) -> ParameterDict:
        out = other.copy()
        out.update(self)
        return out

    def __ior__(self, other: ParameterDict) -> ParameterDict:
        self.update(other)
        return self

    def extra_repr(self) -> str:
        return _entries_repr(self.items(), typename=True)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("ParameterDict should not be called.")
