"""Collecting the graph from its roots, and naming what is in it (steps 1 and 2)."""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from ..graph import Node
from ..tensor import Tensor
from ._record import _GradProbe, _grad_summary, _out_meta


class _Item:
    """One vertex of the raw graph: a recorded node or a leaf tensor."""

    __slots__ = ("obj", "leaf", "inputs", "consumers", "tensors", "meta", "hints", "module",
                 "stack", "root", "name", "path", "owner", "order")

    def __init__(self, obj: Any, leaf: bool) -> None:
        self.obj = obj
        self.leaf = leaf
        self.inputs: list = []        # (source _Item, output index), in input order
        self.consumers: list = []     # _Items that use this one
        self.tensors: dict = {}       # output index -> a Tensor holding that output
        self.meta: dict = {}          # output index -> (shape, dtype, value, finite)
        self.hints: dict = {}         # output index -> (shape, dtype or None), no value
        self.module = None
        self.stack: tuple = ()
        self.root = False
        self.name: str | None = None  # the user's name (params)
        self.path: tuple = ()         # qualified module name, split at dots
        self.owner: tuple | None = None  # leaves: path of the module owning the parameter
        self.order = 0

    def see(self, idx: int, t: Any) -> None:
        if isinstance(t, Tensor) and idx not in self.tensors:
            self.tensors[idx] = t


def _flatten(roots: tuple) -> list:
    """The Tensors in `roots`, which may nest tuples, lists and dicts (LSTM outputs)."""
    out, stack = [], [roots]
    while stack:
        x = stack.pop()
        if isinstance(x, Tensor):
            out.append(x)
        elif isinstance(x, dict):
            stack.extend(reversed(list(x.values())))
        elif isinstance(x, (tuple, list)):
            stack.extend(reversed(x))
        else:
            raise TypeError(f"draw_graph: roots must be Tensors (or tuples/lists/dicts of "
                            f"them), got {type(x).__name__}")
    if not out:
        raise ValueError("draw_graph: no tensor given to draw")
    return out


def _collect(roots: list) -> list:
    """All items reachable from `roots`, producers first."""
    items: dict = {}   # node, or id(leaf tensor) -> _Item (leaves stay alive in .obj)
    stack = []

    def get(obj: Any, leaf: bool) -> _Item:
        it = items[id(obj) if leaf else obj] = _Item(obj, leaf)
        if leaf:
            it.tensors[0] = obj
        else:
            stack.append(obj)
        return it

    for r in roots:
        if r.grad_fn is None:
            it = items.get(id(r)) or get(r, True)
        else:
            it = items.get(r.grad_fn) or get(r.grad_fn, False)
        it.root = True
        it.see(r._out_idx, r)
    while stack:
        node = stack.pop()
        it = items[node]
        d = node.__dict__
        saved = d.get("_inputs")
        hints = _shape_hints(d, len(node.next), type(node).keeps_shape) if (
            "shapes" in d or "in_shape" in d or "_in_meta" in d or "_out" in d) else None
        for pos, e in enumerate(node.next):
            if e is None:
                continue
            idx = 0
            if type(e) is tuple:
                e, idx = e
            if isinstance(e, Node):
                src = items.get(e) or get(e, False)
            else:
                src = items.get(id(e)) or get(e, True)
            it.inputs.append((src, idx))
            src.consumers.append(it)
            if saved and pos < len(saved):
                t = saved[pos]
                # the consumer saved the very tensor the producer made: its shape, value
                if isinstance(t, Tensor) and (t is src.obj or t.grad_fn is src.obj):
                    src.see(idx, t)
            if hints is not None and hints[pos] is not None:
                src.hints.setdefault(idx, hints[pos])
        for idx, ref in (d.get("_retained") or {}).items():
            it.see(idx, ref())
        if d.get("_out") is not None:
            it.meta.setdefault(0, _out_meta(d["_out"]))
        for idx, m in enumerate(d.get("_out_meta") or ()):   # autograd.Function nodes
            if m is not None:
                it.hints[idx] = m
        viz = d.get("_viz")
        if viz is not None:
            for idx, m in enumerate(viz[0]):
                if m is not None:
                    it.meta[idx] = m
            it.stack = viz[1]
        it.module = d.get("_module")
    return _toposort(list(items.values()))


def _shape_hints(d: dict, n: int, keeps_shape: bool) -> list:
    """(shape, dtype or None) of each input, from what a node keeps anyway: custom
    Function nodes their ``_in_meta``; ops that do not save their inputs, by the ops'
    convention, ``ctx.shapes`` (one per input) or ``ctx.in_shape`` (input 0), or, for
    an elementwise op that saved its output instead (relu), that output's."""
    hints: list = [None] * n
    out = d.get("_out")
    if keeps_shape and n == 1 and out is not None:
        hints[0] = (out.shape, out.dtype)
    for key in ("_in_meta", "shapes"):
        entries = d.get(key)
        if isinstance(entries, (tuple, list)) and len(entries) == n:
            for i, e in enumerate(entries):
                if key == "shapes" and isinstance(e, tuple):
                    hints[i] = (e, None)
                elif key == "_in_meta" and isinstance(e, tuple) and len(e) == 2:
                    hints[i] = e
    in_shape = d.get("in_shape")
    if n and hints[0] is None and isinstance(in_shape, tuple):
        hints[0] = (in_shape, None)
    return hints


def _toposort(items: list) -> list:
    """Producers first (Kahn's algorithm on consumer counts, from the outputs down)."""
    pending = {id(it): len(it.consumers) for it in items}
    ready = [it for it in reversed(items) if pending[id(it)] == 0]
    order = []
    while ready:
        it = ready.pop()
        order.append(it)
        for src, _ in reversed(it.inputs):
            c = pending[id(src)] - 1
            pending[id(src)] = c
            if c == 0:
                ready.append(src)
    order.reverse()
    for i, it in enumerate(order):
        it.order = i
    return order


# ---- what an item holds -------------------------------------------------------------

def _n_out(it: _Item) -> int:
    return 1 if it.leaf else getattr(it.obj, "n_out", 1)


def _array(it: _Item, idx: int = 0) -> np.ndarray | None:
    t = it.tensors.get(idx)
    if t is not None:
        return t.data
    if idx == 0 and not it.leaf:
        out = it.obj.__dict__.get("_out")
        if out is not None:
            return out
    return None


def _meta(it: _Item, idx: int = 0) -> tuple | None:
    """(shape, dtype, value, finite) of output `idx`, or None if the graph lost it."""
    m = it.meta.get(idx)
    if m is not None:
        return m
    a = _array(it, idx)
    if a is None:
        hint = it.hints.get(idx)
        return None if hint is None else (hint[0], hint[1], None, True)
    m = it.meta[idx] = _out_meta(a)
    return m


def _shape_of(it: _Item, idx: int = 0) -> str:
    m = _meta(it, idx)
    return "" if m is None else _fmt_shape(m[0])


def _fmt_shape(shape: tuple) -> str:
    return "scalar" if shape == () else str(tuple(shape))


def _grad_info(it: _Item) -> tuple | None:
    """(value if one element, norm, all finite) of the gradient of the item's tensor:
    a leaf's or retained tensor's ``.grad``, else what `record_graph`'s probe saw."""
    for t in it.tensors.values():
        if t.grad is not None:
            return _grad_summary(t.grad.data)
    if not it.leaf:
        for fns in (it.obj.__dict__.get("_hooks") or {}).values():
            for fn in fns:
                if isinstance(fn, _GradProbe) and fn.summary is not None:
                    return fn.summary
    return None


def _bad_value(it: _Item) -> bool:
    return any(not m[3] for m in (_meta(it, i) for i in range(_n_out(it))) if m)


# ---- 2. name -------------------------------------------------------------------------

def _params(params: Any) -> tuple[Any, dict, list]:
    """(model or None, {id(tensor): name}, the named tensors) from a Module, a mapping or
    (name, tensor) pairs."""
    if params is None:
        return None, {}, []
    model = params if hasattr(params, "named_modules") and hasattr(
        params, "named_parameters") else None
    if model is not None:
        pairs: Iterable = model.named_parameters()
    elif hasattr(params, "items"):
        pairs = params.items()
    else:
        pairs = params
    names, tensors = {}, []
    for pair in pairs:
        try:
            name, t = pair
        except (TypeError, ValueError):
            raise TypeError(f"draw_graph: params must be a Module, a mapping name -> Tensor or "
                            f"(name, Tensor) pairs; got an element {pair!r}") from None
        if not isinstance(t, Tensor):
            raise TypeError(f"draw_graph: params[{name!r}] is a {type(t).__name__}, not a "
                            f"Tensor")
        if id(t) not in names:
            names[id(t)] = str(name)
            tensors.append(t)
    return model, names, tensors


def _name_modules(items: list, model: Any, pnames: dict) -> dict:
    """{id(module): (qualified name, module)} for every module the graph touches."""
    names: dict = {}
    taken: set = set()

    def add_tree(root: Any, prefix: str) -> None:
        for qn, m in root.named_modules(prefix=prefix):
            if id(m) not in names:
                names[id(m)] = (qn, m)
                taken.add(qn)

    if model is not None:
        add_tree(model, "")
    seen: dict = {}
    stack_roots: dict = {}
    for it in items:
        if it.stack:
            stack_roots.setdefault(id(it.stack[0]), it.stack[0])
        if it.module is not None:
            seen.setdefault(id(it.module), it.module)
    fresh = [m for k, m in stack_roots.items() if k not in names]
    if len(fresh) == 1 and model is None and len(stack_roots) == 1:
        add_tree(fresh[0], "")
        fresh = []
    for m in fresh + [m for k, m in seen.items() if k not in names]:
        if id(m) in names:
            continue
        prefix = _prefix_from_params(m, pnames)
        if prefix is None:
            base = type(m).__name__
            prefix, k = base, 1
            while prefix in taken:
                k += 1
                prefix = f"{base}_{k}"
        add_tree(m, prefix)
    return names


def _prefix_from_params(m: Any, pnames: dict) -> str | None:
    for k, p in getattr(m, "_parameters", {}).items():
        qn = pnames.get(id(p))
        if qn is None:
            continue
        if qn == k:
            return ""
        if qn.endswith("." + k):
            return qn[: -len(k) - 1]
    return None


def _assign_paths(items: list, mnames: dict, pnames: dict, named: list) -> None:
    """Each item's module path and the user's names; leaves' owning modules."""
    by_node = {it.obj: it for it in items if not it.leaf}
    for t in named:   # a named intermediate tensor: its node gets the name and its data
        it = by_node.get(t.grad_fn)
        if it is not None:
            it.see(t._out_idx, t)
            if it.name is None:
                it.name = pnames[id(t)]
    owned = {}
    for qn, m in mnames.values():
        for p in getattr(m, "_parameters", {}).values():
            if p is not None:
                owned.setdefault(id(p), qn)
    known = {qn for qn, _ in mnames.values()}
    for it in items:
        if it.leaf:
            t = it.obj
            it.name = pnames.get(id(t))
            qn = owned.get(id(t))
            if qn is None and it.name and "." in it.name:
                qn = it.name.rsplit(".", 1)[0]
                qn = qn if qn in known else None
            it.owner = _split(qn) if qn is not None else None
            it.path = it.owner or ()
        else:
            mod = it.stack[-1] if it.stack else it.module
            if mod is not None and id(mod) in mnames:
                it.path = _split(mnames[id(mod)][0])


def _split(qn: str) -> tuple:
    return tuple(qn.split(".")) if qn else ()
