"""`Parameter` and `Module`: the building blocks of models.

A Module registers Parameters, buffers and sub-modules by attribute assignment and
names them by their attribute paths (``encoder.0.weight``), exactly as PyTorch does, so
a state_dict moves between the two.  While a module's forward runs it is on the
graph's module stack, so every recorded node knows the module that made it (graph
pictures cluster by module).
"""
from __future__ import annotations

import itertools
import warnings
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, Callable, Iterator

import numpy as np

import autograd as ag
from autograd import Tensor, bump_version
from autograd.grad_mode import STATE
from autograd.tensor import check_device, is_device_name, wrap

__all__ = ["Parameter", "Module"]


def factory_dtype(layer: str, device: Any = None, dtype: Any = None) -> np.dtype:
    """The dtype of a new layer's parameters: `dtype`, else the default dtype.  `device`
    is PyTorch's factory argument; only the CPU exists here."""
    check_device(layer, device)
    return np.dtype(dtype) if dtype is not None else ag.get_default_dtype()


class Parameter(Tensor):
    """A leaf Tensor that a Module registers as trainable (requires_grad by default)."""

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.empty(0, dtype=np.float32)
        arr = data.data if isinstance(data, Tensor) else np.asarray(data)
        if arr.dtype.kind != "f":
            arr = arr.astype(np.float32)
        self.data = arr
        self.grad = None
        self.grad_fn = None
        self._vc = None
        self._out_idx = 0
        self._hooks = None
        self._retains_grad = False
        self.requires_grad = False
        self.requires_grad_(requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (Parameter, (self.data, self.requires_grad))


_HOOK_IDS = itertools.count()


class _Handle:
    """Returned by the hook registrations; ``remove()`` unregisters (also on leaving a
    ``with`` block)."""

    def __init__(self, hooks: dict, key: int, *flags: set) -> None:
        self._hooks, self._key, self._flags = hooks, key, flags

    def remove(self) -> None:
        self._hooks.pop(self._key, None)
        for f in self._flags:
            f.discard(self._key)

    def __enter__(self) -> _Handle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


class Module:
    """Base class of every layer and model: subclass it, assign sub-modules and
    Parameters in ``__init__``, and define ``forward``."""

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_hooks_with_kwargs", set())   # ids of hooks given kwargs
        object.__setattr__(self, "_hooks_always_call", set())   # ids run even if forward raises
        object.__setattr__(self, "training", True)

    # ---- registration -------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            # as PyTorch: plain attributes may be set before __init__, registered ones not
            if isinstance(value, (Parameter, Module)):
                raise AttributeError(f"cannot assign {type(value).__name__} {name!r} before "
                                     f"Module.__init__() call")
            object.__setattr__(self, name, value)
            return
        params, buffers, modules = self._parameters, self._buffers, self._modules
        if isinstance(value, Parameter):
            self._forget(name, keep=params)
            params[name] = value  # an existing name keeps its place (state_dict order)
        elif name in params:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as parameter {name!r} "
                                f"(nn.Parameter or None expected)")
            params[name] = None
        elif isinstance(value, Module):
            self._forget(name, keep=modules)
            modules[name] = value
        elif name in modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as child module "
                                f"{name!r} (nn.Module or None expected)")
            modules[name] = None
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {type(value).__name__} as buffer {name!r} "
                                f"(Tensor or None expected)")
            buffers[name] = value
        else:
            self._forget(name, keep=None)
            object.__setattr__(self, name, value)

    def _forget(self, name: str, keep: Any) -> None:
        """Drop `name` from every registry except `keep` and from the plain attributes."""
        for d in (self._parameters, self._buffers, self._modules):
            if d is not keep:
                d.pop(name, None)
        self.__dict__.pop(name, None)

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            if key in d and name in d[key]:
                return d[key][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for d in (self._parameters, self._buffers, self._modules):
            if name in d:
                del d[name]
                return
        object.__delattr__(self, name)

    def _check_name(self, kind: str, name: Any, registry: dict) -> None:
        """PyTorch's rules for a name given to register_*/add_module: a non-empty str
        without dots that is not already a different attribute."""
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
        if "." in name:
            raise KeyError(f'{kind} name can\'t contain ".", got: {name}')
        if name == "":
            raise KeyError(f'{kind} name can\'t be empty string ""')
        if name not in registry and hasattr(self, name):
            raise KeyError(f"attribute '{name}' already exists")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (None registers the name without a value)."""
        self._check_name("parameter", name, self.__dict__.get("_parameters", {}))
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: cannot assign {type(param).__name__} as "
                            f"parameter {name!r} (nn.Parameter or None expected)")
        self._forget(name, keep=self._parameters)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a buffer: state that is saved in the state_dict (unless not `persistent`)
        but not trained."""
        self._check_name("buffer", name, self.__dict__.get("_buffers", {}))
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer: cannot assign {type(tensor).__name__} as "
                            f"buffer {name!r} (Tensor or None expected)")
        self._forget(name, keep=self._buffers)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a sub-module under `name`."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {type(module).__name__} is not a Module subclass")
        self._check_name("module", name, self.__dict__.get("_modules", {}))
        self._forget(name, keep=self._modules)
        self._modules[name] = module

    register_module = add_module

    # ---- calling ------------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation; subclasses define it."""
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        d = self.__dict__
        if d["_forward_pre_hooks"] or d["_forward_hooks"]:
            return self._call_with_hooks(args, kwargs)
        prev = STATE.enter_module(self)
        try:
            return self.forward(*args, **kwargs)
        finally:
            STATE.exit_module(prev)

    def _call_with_hooks(self, args: tuple, kwargs: dict) -> Any:
        """__call__ with hooks, by PyTorch's rules: pre-hooks may replace the args (and
        kwargs), forward hooks the output; if anything raises, the ``always_call``
        forward hooks that have not run yet still run before the error propagates."""
        with_kwargs, always = self._hooks_with_kwargs, self._hooks_always_call
        out, called = None, set()
        try:
            for key, hook in list(self._forward_pre_hooks.items()):
                if key in with_kwargs:
                    r = hook(self, args, kwargs)
                    if r is not None:
                        if not (isinstance(r, tuple) and len(r) == 2):
                            raise RuntimeError(f"{type(self).__name__}: a forward pre-hook "
                                               f"with kwargs must return None or a tuple "
                                               f"(new_args, new_kwargs), got {r!r}")
                        args, kwargs = r
                else:
                    r = hook(self, args)
                    if r is not None:
                        args = r if isinstance(r, tuple) else (r,)
            prev = STATE.enter_module(self)
            try:
                out = self.forward(*args, **kwargs)
            finally:
                STATE.exit_module(prev)
            for key, hook in list(self._forward_hooks.items()):
                called.add(key)
                r = hook(self, args, kwargs, out) if key in with_kwargs else hook(self, args, out)
                if r is not None:
                    out = r
        except Exception:
            for key, hook in list(self._forward_hooks.items()):
                if key in always and key not in called:
                    try:
                        if key in with_kwargs:
                            hook(self, args, kwargs, out)
                        else:
                            hook(self, args, out)
                    except Exception as e:  # the first error is the one to report
                        warnings.warn(f"{type(self).__name__}: a forward hook with "
                                      f"always_call=True raised {e!r}, silenced because "
                                      f"another error was raised in forward")
            raise
        return out

    def register_forward_pre_hook(self, hook: Callable, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> _Handle:
        """``hook(module, args)`` runs before forward and may return new args; with
        `with_kwargs`, ``hook(module, args, kwargs)`` may return ``(args, kwargs)``.
        `prepend` runs it before the hooks already registered."""
        return self._add_hook(self._forward_pre_hooks, hook, prepend, with_kwargs, False)

    def register_forward_hook(self, hook: Callable, *, prepend: bool = False,
                              with_kwargs: bool = False, always_call: bool = False) -> _Handle:
        """``hook(module, args, output)`` (with `with_kwargs`: ``hook(module, args,
        kwargs, output)``) runs after forward and may return a new output.  `prepend`
        runs it before the hooks already registered; `always_call` runs it (with output
        None) even when forward raises."""
        return self._add_hook(self._forward_hooks, hook, prepend, with_kwargs, always_call)

    def _add_hook(self, hooks: OrderedDict, hook: Callable, prepend: bool, with_kwargs: bool,
                  always_call: bool) -> _Handle:
        key = next(_HOOK_IDS)
        hooks[key] = hook
        if prepend:
            hooks.move_to_end(key, last=False)
        if with_kwargs:
            self._hooks_with_kwargs.add(key)
        if always_call:
            self._hooks_always_call.add(key)
        return _Handle(hooks, key, self._hooks_with_kwargs, self._hooks_always_call)

    # ---- traversal ----------------------------------------------------------------
    def named_modules(self, memo: set | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """(qualified name, module) for this module and every descendant, depth first."""
        seen: set = set() if memo is None else memo
        stack = [(prefix, self)]
        while stack:
            name, mod = stack.pop()
            if remove_duplicate:
                if id(mod) in seen:
                    continue
                seen.add(id(mod))
            yield name, mod
            children = [(f"{name}.{k}" if name else k, m) for k, m in mod._modules.items()
                        if m is not None]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        """This module and every descendant."""
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) of the direct sub-modules."""
        seen = set()
        for k, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield k, m

    def children(self) -> Iterator[Module]:
        """The direct sub-modules."""
        for _, m in self.named_children():
            yield m

    def _named(self, attr: str, prefix: str, recurse: bool,
               remove_duplicate: bool) -> Iterator[tuple[str, Tensor]]:
        seen = set()
        mods = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse
                else [(prefix, self)])
        for mname, mod in mods:
            for k, t in getattr(mod, attr).items():
                if t is None or (remove_duplicate and id(t) in seen):
                    continue
                seen.add(id(t))
                yield (f"{mname}.{k}" if mname else k), t

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(qualified name, parameter), each shared parameter once unless not
        `remove_duplicate`."""
        return self._named("_parameters", prefix, recurse, remove_duplicate)  # type: ignore[return-value]

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter (each shared one once)."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        """(qualified name, buffer), each shared buffer once unless not `remove_duplicate`."""
        return self._named("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Every buffer."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn(m)`` on every sub-module and then on self, depth first with each
        module's children in order (PyTorch's post-order; a shared module is visited
        once per path)."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def get_submodule(self, target: str) -> Module:
        """The sub-module at the dotted path `target` ("" is self); AttributeError if
        there is none."""
        mod = self
        for item in target.split(".") if target else ():
            if not hasattr(mod, item):
                raise AttributeError(f"{type(mod).__name__} has no attribute `{item}`")
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return mod

    def _owner_of(self, target: str) -> tuple:
        """(sub-module, attribute name) for the dotted path `target`."""
        path, _, name = target.rpartition(".")
        mod = self.get_submodule(path)
        if not hasattr(mod, name):
            raise AttributeError(f"{type(mod).__name__} has no attribute `{name}`")
        return mod, name

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at the dotted path `target`; AttributeError if there is none."""
        mod, name = self._owner_of(target)
        param = getattr(mod, name)
        if not isinstance(param, Parameter):
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return param

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at the dotted path `target`; AttributeError if there is none."""
        mod, name = self._owner_of(target)
        if name not in mod._buffers:
            raise AttributeError(f"`{name}` is not a buffer")
        return mod._buffers[name]

    # ---- modes and gradients ------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode (dropout active, batch norm uses batch statistics)."""
        if not isinstance(mode, bool):
            raise ValueError(f"Module.train: training mode is expected to be boolean, got "
                             f"{mode!r}")
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Set evaluation mode (same as ``train(False)``)."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Set requires_grad on every parameter."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def to(self, *args: Any, dtype: Any = None, **kwargs: Any) -> Module:
        """Convert the floating parameters and buffers to `dtype` in place (a device
        argument may only name the CPU, as in Tensor.to)."""
        check_device("Module.to", kwargs.pop("device", None))
        for a in args:
            if is_device_name(a):
                check_device("Module.to", a)
            else:
                dtype = a
        if dtype is None:
            return self
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"Module.to: only floating dtypes are supported, got {dtype}")
        for m in self.modules():
            if "_dtype" in m.__dict__:   # a lazy layer (Dense) builds its parameters later
                m._dtype = dtype
            for d in (m._parameters, m._buffers):
                for t in d.values():
                    if t is not None and t.dtype.kind == "f" and t.dtype != dtype:
                        t.data = t.data.astype(dtype)
                        bump_version(t)   # a graph that saved t must not use the new data
                        if t.grad is not None:
                            t.grad = wrap(t.grad.data.astype(dtype))
        return self

    def double(self) -> Module:
        """Convert floating parameters and buffers to float64."""
        return self.to(np.float64)

    def float(self) -> Module:
        """Convert floating parameters and buffers to float32."""
        return self.to(np.float32)

    def half(self) -> Module:
        """Convert floating parameters and buffers to float16."""
        return self.to(np.float16)

    def type(self, dst_type: Any) -> Module:
        """Convert floating parameters and buffers to `dst_type`."""
        return self.to(dst_type)

    def cpu(self) -> Module:
        """A no-op returning self: only the CPU exists here."""
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's gradient (to None, or to zeros in place)."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad.data[...] = 0

    # ---- state --------------------------------------------------------------------
    def state_dict(self, destination: dict | None = None, prefix: str = "",
                   keep_vars: bool = False) -> OrderedDict:
        """Parameters and persistent buffers by qualified name (detached unless keep_vars)."""
        out = OrderedDict() if destination is None else destination
        # A module reachable by two paths is saved under both (PyTorch does the same).
        for mname, mod in self.named_modules(remove_duplicate=False):
            base = prefix + (f"{mname}." if mname else "")
            for k, p in mod._parameters.items():
                if p is not None:
                    out[base + k] = p if keep_vars else p.detach()
            for k, b in mod._buffers.items():
                if b is not None and k not in mod._non_persistent:
                    out[base + k] = b if keep_vars else b.detach()
        return out

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True,
                        assign: bool = False) -> _IncompatibleKeys:
        """Copy values (Tensors or ndarrays) into the parameters and buffers, converting
        to their dtypes; with `assign`, put the given tensors themselves in their place
        instead (keeping their dtypes; a parameter keeps its requires_grad).  Shape
        mismatches always raise; with `strict`, so do missing and unexpected keys; one
        RuntimeError lists every problem.  Returns (missing_keys, unexpected_keys).
        Lazy layers (Dense) are built from the shapes first, and layers fill in the
        entries older formats lacked (BatchNorm's num_batches_tracked), as PyTorch's
        _load_from_state_dict does."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"load_state_dict: expected state_dict to be dict-like, got "
                            f"{type(state_dict).__name__}")
        # A copy, which the hooks may complete (the caller's dict is left alone); the
        # version metadata of a PyTorch state_dict comes along.
        metadata = getattr(state_dict, "_metadata", None)
        state_dict = OrderedDict(state_dict)
        for mname, mod in self.named_modules():
            prefix = f"{mname}." if mname else ""
            if hasattr(mod, "_materialize"):
                mod._materialize(state_dict, prefix)
            if hasattr(mod, "_upgrade_state_dict"):
                version = (metadata or {}).get(mname, {}).get("version")
                mod._upgrade_state_dict(state_dict, prefix, version)
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        values, bad = {}, []
        for k, t in own.items():
            if k in state_dict:
                v = state_dict[k]
                if not isinstance(v, (Tensor, np.ndarray)):
                    bad.append(f'While copying the parameter named "{k}", expected a Tensor '
                               f"or ndarray from checkpoint but received {type(v).__name__}")
                elif v.shape != t.shape:
                    bad.append(f"size mismatch for {k}: copying a param with shape "
                               f"{tuple(v.shape)} from checkpoint, the shape in current "
                               f"model is {tuple(t.shape)}.")
                else:
                    values[k] = v
        errors = []
        if strict and missing:
            errors.append("Missing key(s) in state_dict: "
                          + ", ".join(f'"{k}"' for k in missing) + ". ")
        if strict and unexpected:
            errors.append("Unexpected key(s) in state_dict: "
                          + ", ".join(f'"{k}"' for k in unexpected) + ". ")
        errors.extend(bad)
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(errors))
        for k, v in values.items():
            t = own[k]
            if assign:
                path, _, name = k.rpartition(".")
                mod = self.get_submodule(path)
                if isinstance(t, Parameter):
                    param = v if isinstance(v, Parameter) else Parameter(v)
                    mod.register_parameter(name, param.requires_grad_(t.requires_grad))
                else:
                    mod._buffers[name] = v if isinstance(v, Tensor) else wrap(v)
            else:
                np.copyto(t.data, v.data if isinstance(v, Tensor) else v, casting="unsafe")
                bump_version(t)
        return _IncompatibleKeys(missing, unexpected)

    # ---- repr ---------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        children = [f"({name}): " + repr(mod).replace("\n", "\n  ")
                    for name, mod in self._modules.items()]
        head = f"{type(self).__name__}("
        if len(lines) == 1 and not children:
            return head + lines[0] + ")"
        lines += children
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"

    def __dir__(self) -> list:
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers)
                      | set(self._modules))


class _IncompatibleKeys(tuple):
    """(missing_keys, unexpected_keys), like PyTorch's return value."""

    def __new__(cls, missing: list, unexpected: list) -> _IncompatibleKeys:
        return super().__new__(cls, (missing, unexpected))

    @property
    def missing_keys(self) -> list:
        return self[0]

    @property
    def unexpected_keys(self) -> list:
        return self[1]

    def __repr__(self) -> str:
        if not self[0] and not self[1]:
            return "<All keys matched successfully>"
        return f"_IncompatibleKeys(missing_keys={self[0]!r}, unexpected_keys={self[1]!r})"

    __str__ = __repr__
