"""`Optimizer`: the base of every update rule, with PyTorch's param groups and state_dict.

An optimizer holds ``param_groups`` (a list of dicts: ``"params"``, a list of leaf
tensors, plus that group's options, filled in from the constructor's defaults) and
``state`` (a dict from parameter to that parameter's buffers, e.g. Adam's ``exp_avg``).
`step()` walks every parameter that has a gradient and calls the subclass's `_update`,
which changes ``p.data`` in place with NumPy (recording is not involved: the arrays are
updated directly) and then bumps the parameter's version counter, so a graph that saved
the old value raises in backward instead of returning a wrong gradient.

``state_dict()`` has PyTorch's layout::

    {"state": {0: {"step": tensor(3.), "exp_avg": tensor(...), ...}, 1: {...}},
     "param_groups": [{"lr": 0.001, ..., "params": [0, 1]}, ...]}

with parameters replaced by their index in the order of the groups.  `flatten_state_dict`
splits it into a flat ``{name: ndarray}`` dict (what `nn.save` / safetensors store) and a
small JSON-able dict; `unflatten_state_dict` reverses it.
"""
from __future__ import annotations

import copy
import numbers
from collections import defaultdict
from typing import Any, Callable, Iterable

import numpy as np

from autograd import Tensor, bump_version, enable_grad, no_grad
from autograd.dtypes import get_default_dtype
from autograd.tensor import wrap

__all__ = ["Optimizer", "check_implementation", "flatten_state_dict", "unflatten_state_dict"]

ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]] | Iterable[tuple[str, Tensor]]


_IMPLEMENTATIONS = ("foreach", "fused", "capturable", "differentiable")


def check_implementation(opt: Any, options: dict[str, Any]) -> None:
    """Accept PyTorch's implementation switches (``foreach``, ``fused``, ``capturable``)
    so that code written for it ports unchanged: each picks how PyTorch computes the same
    update (one fused NumPy pass per parameter here), so they are ignored.
    ``differentiable=True`` (recording the step) is not supported."""
    name = type(opt).__name__
    for key, value in options.items():
        if key not in _IMPLEMENTATIONS:
            raise TypeError(f"{name}.__init__() got an unexpected keyword argument {key!r}")
        if key == "differentiable" and value:
            raise NotImplementedError(f"{name}: differentiable=True is not supported (the "
                                      f"update is not recorded on the tape)")


class Optimizer:
    """Base class of optimizers: ``Optimizer(params, defaults)``.

    `params` is an iterable of leaf floating tensors, of ``(name, tensor)`` pairs, or of
    dicts (param groups) each with a ``"params"`` entry and per-group options that
    override `defaults`.  Subclasses define `_update(p, grad, group)` and, for their
    options, `_check_options(options)`.
    """

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        name = type(self).__name__
        self._check_options(defaults)
        self.defaults = defaults
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        self._work: dict[tuple, np.ndarray] = {}   # scratch arrays, one per (shape, dtype, slot)
        if isinstance(params, Tensor):
            raise TypeError(f"{name}: params argument given to the optimizer should be an "
                            f"iterable of Tensors or dicts, but got Tensor")
        if isinstance(params, dict):
            raise TypeError(f"{name}: params should be an iterable of Tensors or of param "
                            f"group dicts, got a single dict (wrap it in a list)")
        _reject_sets(name, params)
        groups = list(params)
        if not groups:
            raise ValueError(f"{name}: optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ---- options ----------------------------------------------------------------------
    def _check_options(self, options: dict[str, Any]) -> None:
        """Raise ValueError for an invalid option value (subclasses extend it)."""
        _check_nonneg(self, options, "lr", "learning rate")
        _check_nonneg(self, options, "weight_decay", "weight_decay value")

    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        return "\n".join(lines) + "\n)"

    # ---- param groups -----------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters (a dict with ``"params"`` and optional options that
        override the defaults), e.g. to train layers that were frozen so far.

        Raises TypeError for a non-Tensor or non-floating parameter, ValueError for a
        non-leaf tensor, a parameter given twice, or an invalid option value.
        """
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}: param_group must be a dict, but got "
                            f"{type(param_group).__name__}")
        if "params" not in param_group:
            raise KeyError(f"{name}: a param group needs a 'params' entry")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        _reject_sets(name, params)
        params = list(params)
        group = {k: v for k, v in param_group.items() if k != "params"}
        names = [p[0] for p in params if isinstance(p, tuple)]
        if names:
            if len(names) != len(params):
                raise ValueError(f"{name}: all optimizer params should be with/without "
                                 f"names. Some param names are missing")
            group["param_names"] = names
            params = [p[1] for p in params]
        for i, p in enumerate(params):
            where = f"parameter {i} of group {len(self.param_groups)}"
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: optimizer can only optimize Tensors, but {where} "
                                f"is a {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"{name}: can't optimize a non-leaf Tensor ({where}, shape "
                                 f"{tuple(p.shape)}, grad_fn={p.grad_fn!r}); optimize the "
                                 f"leaf it was computed from, or .detach() it")
            if p.data.dtype.kind != "f":
                raise TypeError(f"{name}: can only optimize floating point tensors, but "
                                f"{where} has dtype {p.data.dtype}")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for i, p in enumerate(params):
            if id(p) in seen:
                raise ValueError(f"{name}: parameter {i} of the new group (shape "
                                 f"{tuple(p.shape)}) is given twice: some parameters "
                                 f"appear more than once in the parameter groups")
            seen.add(id(p))
        for key, default in self.defaults.items():
            group.setdefault(key, default)
        self._check_options(group)
        named = "param_names" in group
        if self.param_groups and named != ("param_names" in self.param_groups[0]):
            raise ValueError(f"{name}: all optimizer param groups should be with/without "
                             f"names")
        group["params"] = params
        # "params" first, like PyTorch's groups.
        self.param_groups.append({"params": group.pop("params"), **group})

    # ---- gradients and steps ----------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients: to None (default), or to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    # Like PyTorch: detach the gradient from any graph, then zero it.
                    p.grad.grad_fn = None
                    p.grad.requires_grad = False
                    p.grad.data.fill(0)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns ``closure()`` (which
        re-evaluates the model with recording on) when one is given."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        # An inf or NaN gradient makes NumPy warn mid-update; PyTorch's step is silent.
        with no_grad(), np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    g = p.grad.data
                    if g.shape != p.data.shape:
                        raise RuntimeError(f"{type(self).__name__}.step: the gradient of a "
                                           f"parameter of shape {tuple(p.shape)} has shape "
                                           f"{tuple(g.shape)}")
                    if not p.data.flags.writeable:
                        raise RuntimeError(f"{type(self).__name__}.step: a parameter of shape "
                                           f"{tuple(p.shape)} wraps a read-only array; give "
                                           f"it a writable copy (e.g. np.array(a))")
                    self._update(p, g, group)
                    bump_version(p)
        return loss

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        """Change ``p.data`` in place from its gradient array (subclasses define it)."""
        raise NotImplementedError(f"{type(self).__name__} does not define _update")

    def _scratch(self, like: np.ndarray, slot: int = 0) -> np.ndarray:
        """A reusable scratch array shaped like `like` (shared by all same-shaped
        parameters, since updates run one after another), so a step allocates nothing."""
        key = (like.shape, like.dtype, slot)
        buf = self._work.get(key)
        if buf is None:
            buf = self._work[key] = np.empty_like(like)
        return buf

    def _effective_grad(self, p: np.ndarray, g: np.ndarray, group: dict[str, Any]) -> np.ndarray:
        """The gradient the rules use: negated under ``maximize``, plus L2 weight decay
        (``g + weight_decay * p``) unless the rule decouples it.  Never modifies `g`."""
        wd = group["weight_decay"] if not group.get("decoupled_weight_decay") else 0
        if not group.get("maximize") and not wd:
            return g
        out = self._scratch(p, 1)
        if wd:
            np.multiply(p, wd, out=out)
            (np.subtract if group.get("maximize") else np.add)(out, g, out=out)
        else:
            np.negative(g, out=out)
        return out

    @staticmethod
    def _new_step() -> Tensor:
        """The step counter, a 0-d float tensor like PyTorch's (float64 when that is
        the default dtype, else float32)."""
        dtype = np.float64 if get_default_dtype() == np.float64 else np.float32
        return wrap(np.zeros((), dtype=dtype))

    # ---- saving -----------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state in PyTorch's layout: ``{"state": {index: {name: value}},
        "param_groups": [{option: value, ..., "params": [index, ...]}]}``.  Like
        PyTorch's, the state tensors are the live ones, not copies."""
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: s for p, s in self.state.items() if id(p) in index}
        return {"state": dict(sorted(state.items())), "param_groups": groups}

    def _state_shape(self, p: Tensor, key: str) -> tuple:
        """The shape of state array `key` of parameter `p` (its own, unless an optimizer
        keeps reduced statistics)."""
        return p.data.shape

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state saved by `state_dict` (values may be Tensors or ndarrays, e.g.
        after `unflatten_state_dict`).  The groups must have the same sizes; options come
        from the saved groups, state arrays are copied and cast to the parameter's dtype
        (except ``step``)."""
        name = type(self).__name__
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: loaded state dict has "
                             f"{len(saved_groups)} parameter groups, the optimizer has "
                             f"{len(self.param_groups)}")
        for i, (g, s) in enumerate(zip(self.param_groups, saved_groups)):
            if len(g["params"]) != len(s["params"]):
                raise ValueError(f"{name}.load_state_dict: loaded parameter group {i} has "
                                 f"{len(s['params'])} parameters, the optimizer's has "
                                 f"{len(g['params'])}")
        id_map = {int(k): p for g, s in zip(self.param_groups, saved_groups)
                  for k, p in zip(s["params"], g["params"])}
        state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        for k, values in state_dict["state"].items():
            p = id_map.get(int(k))
            if p is None:
                raise ValueError(f"{name}.load_state_dict: state for parameter {k}, which "
                                 f"is in no parameter group")
            state[p] = {key: _load_value(name, k, key, v, p, self._state_shape(p, key))
                        for key, v in values.items()}
        new_groups = []
        for g, s in zip(self.param_groups, saved_groups):
            s["params"] = g["params"]
            for key, v in s.items():
                # JSON turns tuples (Adam's betas) into lists; restore the group's type.
                if isinstance(v, list) and isinstance(g.get(key), tuple):
                    s[key] = tuple(v)
            if "param_names" in g and "param_names" not in s:
                s["param_names"] = g["param_names"]
            for key, default in self.defaults.items():   # saved by an older version
                s.setdefault(key, default)
            new_groups.append({"params": s.pop("params"), **s})
        for g in new_groups:
            self._check_options(g)
        self.state, self.param_groups = state, new_groups


def _reject_sets(name: str, params: Any) -> None:
    """TypeError for a set: its order, hence the state_dict indices, changes between runs."""
    if isinstance(params, (set, frozenset)):
        raise TypeError(f"{name}: optimizer parameters need to be organized in ordered "
                        f"collections, but the ordering of tensors in sets will change "
                        f"between runs. Please use a list instead.")


def _check_nonneg(opt: Any, options: dict[str, Any], key: str, what: str) -> None:
    """ValueError unless ``options[key]`` (when present) is a real number >= 0."""
    if key not in options:
        return
    v = options[key]
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError(f"{type(opt).__name__}: invalid {key}={v!r} (a number >= 0 expected)")
    if not v >= 0:   # (NaN too)
        raise ValueError(f"{type(opt).__name__}: Invalid {what}: {key}={v} (must be >= 0)")


def _load_value(name: str, index: Any, key: str, value: Any, p: Tensor, shape: tuple) -> Any:
    """A copy of one saved state value: arrays (of `shape`, when not 0-d) become Tensors
    of p's dtype, and a step counter saved as a plain number (older checkpoints) the usual
    0-d tensor."""
    if key == "step" and isinstance(value, numbers.Real):
        step = Optimizer._new_step()
        step.data[()] = value
        return step
    if isinstance(value, (Tensor, np.ndarray, np.generic)):
        arr = np.array(value.data if isinstance(value, Tensor) else value)  # a copy
        if key == "step":
            arr = arr.reshape(())   # a store may have made the 0-d counter 1-d
        else:
            if arr.ndim and arr.shape != shape:
                raise ValueError(f"{name}.load_state_dict: state {key!r} of parameter "
                                 f"{index} has shape {arr.shape}, not {shape} (the "
                                 f"parameter has shape {tuple(p.shape)})")
            arr = arr.astype(p.data.dtype, copy=False)
        return wrap(arr)
    return copy.deepcopy(value)


def flatten_state_dict(state_dict: dict[str, Any]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Split an optimizer state_dict into ``(arrays, meta)``: ``arrays`` maps
    ``"state.<index>.<name>"`` to ndarrays (store it with `nn.save` or safetensors),
    ``meta`` holds the param groups and any non-array state and survives `json.dumps`.

        >>> arrays, meta = flatten_state_dict(opt.state_dict())
        >>> opt2.load_state_dict(unflatten_state_dict(arrays, meta))
    """
    arrays: dict[str, np.ndarray] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for index, values in state_dict["state"].items():
        for key, v in values.items():
            if "." in key:
                raise ValueError(f"flatten_state_dict: state name {key!r} contains '.'")
            if isinstance(v, (Tensor, np.ndarray, np.generic)):
                # asarray keeps 0-d arrays 0-d (ascontiguousarray would make them 1-d).
                arrays[f"state.{index}.{key}"] = np.asarray(
                    v.data if isinstance(v, Tensor) else v, order="C")
            else:
                scalars.setdefault(str(index), {})[key] = v
    groups = [{k: list(v) if isinstance(v, tuple) else v for k, v in g.items()}
              for g in state_dict["param_groups"]]
    return arrays, {"param_groups": groups, "state": scalars}


def unflatten_state_dict(arrays: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
    """Rebuild the state_dict that `flatten_state_dict` split (arrays may be ndarrays or
    Tensors, as `nn.load` returns them)."""
    state: dict[int, dict[str, Any]] = {}
    for index, values in meta.get("state", {}).items():
        state.setdefault(int(index), {}).update(values)
    for name, v in arrays.items():
        head, index, key = name.split(".", 2)
        if head != "state":
            raise ValueError(f"unflatten_state_dict: unexpected array name {name!r} "
                             f"(expected 'state.<index>.<name>')")
        state.setdefault(int(index), {})[key] = np.asarray(v.data if isinstance(v, Tensor) else v)
    return {"state": dict(sorted(state.items())),
            "param_groups": copy.deepcopy(meta["param_groups"])}
