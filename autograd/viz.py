"""Computation-graph pictures: `to_dot` (DOT text, no Graphviz needed) and `draw_graph`
(a ``graphviz.Digraph`` that renders inline in Jupyter and with ``.render()``).

The pipeline, iterative throughout so that graphs of 1e5+ nodes neither recurse nor
take long (only Graphviz's own layout of a huge graph does; `max_nodes` and
`collapse` keep the picture small):

1. **Collect.** From the roots' nodes walk ``node.next`` with an explicit stack.  Each
   recorded node and each leaf tensor that requires grad becomes one vertex; each
   dependency (a non-None entry of ``next``) one edge, so ``x * x`` draws two edges.
   Nodes do not store their output's shape, so what a vertex shows comes from the
   tensors the graph still reaches: the roots, the inputs a consumer saved for backward
   (they are the producer's outputs), saved outputs, tensors kept by ``retain_grad``,
   and whatever `record_graph` stored.  After a backward without ``retain_graph`` the
   saved tensors are freed; draw before backward, or record under `record_graph`.
2. **Name.** Leaves (and any tensor) take their names from ``params``; nodes made while
   an ``nn.Module``'s forward ran carry that module (``node._module``), and its
   qualified name (``encoder.0``) comes from the model passed as ``params``, from
   the module stacks `record_graph` keeps, or from the parameter names.
3. **Group.** One Graphviz cluster per module, nested by qualified name.  With
   ``collapse`` each module (or each module at a depth) becomes one vertex and the
   parameters used only inside it fold into it; an RNN cell called at every step is one
   module, so its 50 steps become one vertex.
4. **Cap.** With ``max_nodes`` the vertices nearest the roots are kept and a note says
   how many were left out.
5. **Emit** DOT text with HTML labels.
"""
from __future__ import annotations

import html
import numbers
import shutil
import sys
import threading
from contextlib import contextmanager
from typing import Any, Iterable, Iterator

import numpy as np

from . import graph as _graph
from .grad_mode import STATE
from .graph import Node
from .tensor import Tensor

__all__ = ["to_dot", "draw_graph", "record_graph", "GraphPicture", "DotNotFoundError"]

AUTO_COLLAPSE_LIMIT = 80    # collapse="auto" collapses modules above this many vertices
REPR_MAX_NODES = 300        # cap for the Jupyter picture of a tensor

_FONT = "Helvetica,Arial,sans-serif"
_GRAY = "#5f6368"
_RED = "#d62728"
_STYLE = {  # fill, border
    "op": ("#dce8f7", "#5b7fa6"),
    "param": ("#d8efd3", "#4f8a4b"),
    "input": ("#eeeeee", "#8a8a8a"),
    "root": ("#fde3b8", "#b5762b"),
    "group": ("#e6def4", "#6d5a96"),
}
_CLUSTER_FILLS = ("#f6f8fb", "#eef2f7", "#e6ecf3")
_INSTALL_HINT = ("Graphviz's `dot` program is needed to render graph pictures but was not "
                 "found on PATH. Install Graphviz: `apt-get install graphviz` (Debian/Ubuntu), "
                 "`brew install graphviz` (macOS), `conda install graphviz`, or see "
                 "https://graphviz.org/download/. `autograd.to_dot(...)` gives the DOT text "
                 "without it.")


# ---- recording mode ------------------------------------------------------------------

_RECORD = _graph.record     # the engine's own, captured at import
_rec_lock = threading.Lock()
_rec_users = [0]
_rec_mods: list = []        # modules whose `record` global is swapped while recording
_rec_local = threading.local()


def _recording_record(node: Node, args: tuple, outs: tuple) -> None:
    _RECORD(node, args, outs)
    if getattr(_rec_local, "on", False):
        node._viz = (tuple([_out_meta(o.data) if isinstance(o, Tensor) else None
                            for o in outs]), STATE.modules)


def _out_meta(a: np.ndarray) -> tuple:
    """(shape, dtype, value of a one-element array or None, all finite)."""
    floating = a.dtype.kind in "fc"
    return (a.shape, a.dtype, a.item() if a.size == 1 else None,
            bool(np.isfinite(a).all()) if floating else True)


@contextmanager
def record_graph() -> Iterator[None]:
    """Record, on every node made inside the block, its outputs' shapes and dtypes, the
    value of one-element outputs, whether they are finite, and the whole stack of
    modules running, so pictures drawn later (even after a backward freed the saved
    tensors) show them all and name every module.

    Costs one small tuple per op plus a finiteness scan of each output; nothing outside
    the block (the hook is installed only while some thread is inside one)::

        with autograd.viz.record_graph():
            loss = model(x).sum()
        loss.backward()
        autograd.draw_graph(loss, params=model, show_grads=True)
    """
    with _rec_lock:
        if _rec_users[0] == 0:
            # apply() (and autograd.Function, which imported it) look `record` up in their
            # module at every call, so swapping those globals reaches every op; they are
            # restored when the last user leaves.
            _rec_mods[:] = [m for name, m in list(sys.modules.items())
                            if name.split(".")[0] == "autograd"
                            and getattr(m, "record", None) is _RECORD]
            for m in _rec_mods:
                m.record = _recording_record
        _rec_users[0] += 1
    prev = getattr(_rec_local, "on", False)
    _rec_local.on = True
    try:
        yield
    finally:
        _rec_local.on = prev
        with _rec_lock:
            _rec_users[0] -= 1
            if _rec_users[0] == 0:
                for m in _rec_mods:
                    m.record = _RECORD
                _rec_mods.clear()


# ---- 1. collect ----------------------------------------------------------------------

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
        key = r if r.grad_fn is None else r.grad_fn
        it = items.get(key if r.grad_fn is not None else id(r)) or get(key, r.grad_fn is None)
        it.root = True
        it.see(r._out_idx, r)
    while stack:
        node = stack.pop()
        it = items[node]
        d = node.__dict__
        saved = d.get("_inputs")
        hints = _shape_hints(d, len(node.next)) if (
            "shapes" in d or "in_shape" in d or "_in_meta" in d) else None
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


def _shape_hints(d: dict, n: int) -> list:
    """(shape, dtype or None) of each input, from what a node keeps anyway: custom
    Function nodes their ``_in_meta``; ops that do not save their inputs, by the ops'
    convention, ``ctx.shapes`` (one per input) or ``ctx.in_shape`` (input 0)."""
    hints: list = [None] * n
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


# ---- 3. group ------------------------------------------------------------------------

class _Vertex:
    """One drawn vertex: a raw item, or a collapsed module (`members`)."""

    __slots__ = ("id", "item", "members", "folded", "path", "cpath", "root")

    def __init__(self, item: _Item | None, path: tuple, cpath: tuple = ()) -> None:
        self.id = ""
        self.item = item
        self.members: list = []  # collapsed: the op items
        self.folded: list = []   # collapsed: the parameter leaves folded in
        self.path = path         # cluster it is drawn in
        self.cpath = cpath       # collapsed: the module's own path
        self.root = bool(item and item.root)


def _collapse_key(spec: Any) -> Any:
    """A function path -> the collapsed module's path (or None), from `collapse`."""
    if spec is None or spec is False or spec == 0:
        return None
    if spec is True:
        return lambda p: p or None
    if isinstance(spec, numbers.Integral):
        spec = int(spec)
        if spec < 0:
            raise ValueError(f"draw_graph: collapse depth must be >= 0, got {spec}")
        return lambda p: p[:spec] or None
    names = {spec} if isinstance(spec, str) else set(spec)
    if not all(isinstance(n, str) for n in names):
        raise TypeError(f"draw_graph: collapse must be a bool, a depth, 'auto', or module "
                        f"names; got {spec!r}")
    targets = {_split(n) for n in names}

    def key(p: tuple) -> tuple | None:
        for k in range(1, len(p) + 1):
            if p[:k] in targets:
                return p[:k]
        return None
    return key


def _group(items: list, key: Any) -> tuple[list, dict]:
    """Vertices and {id(item): vertex} for collapse function `key` (None: no collapse).

    The ops of one collapsed module become one vertex per connected piece (joined by
    edges inside the module): a cell called at every step of a loop feeds itself, so
    all steps are one vertex, while a ReLU module used twice apart is two.  A module's
    own ops stay separate when its sub-modules are collapsed on their own."""
    keys: dict = {}
    if key is not None:
        for it in items:
            if not it.leaf:
                g = key(it.path)
                if g is not None:
                    keys[id(it)] = g
    inner = {g[:i] for g in set(keys.values()) for i in range(1, len(g))}
    keys = {k: g for k, g in keys.items() if g not in inner}
    parent: dict = {k: k for k in keys}

    def find(k: int) -> int:
        while parent[k] != k:
            parent[k] = k = parent[parent[k]]
        return k

    for it in items:
        g = keys.get(id(it))
        if g is not None:
            for src, _ in it.inputs:
                if keys.get(id(src)) == g:
                    parent[find(id(src))] = find(id(it))
    where: dict = {}
    verts: list = []
    groups: dict = {}
    leaves = []
    for it in items:
        if it.leaf:
            leaves.append(it)
            continue
        g = keys.get(id(it))
        if g is None:
            v = _Vertex(it, it.path)
            verts.append(v)
        else:
            v = groups.get(find(id(it)))
            if v is None:
                v = groups[find(id(it))] = _Vertex(None, g[:-1], g)
                verts.append(v)
            v.members.append(it)
            v.root = v.root or it.root
        where[id(it)] = v
    for it in leaves:
        v = None
        if it.owner is not None and it.consumers and not it.root:
            homes = {id(where[id(c)]) for c in it.consumers}
            home = where[id(it.consumers[0])]
            # a parameter folds into its module's vertex when only that module uses it
            if (len(homes) == 1 and home.item is None
                    and it.owner[:len(home.cpath)] == home.cpath):
                home.folded.append(it)
                v = home
        if v is None:
            v = _Vertex(it, it.path)
            verts.append(v)
        where[id(it)] = v
    verts.sort(key=lambda v: v.item.order if v.item else v.members[0].order)
    return verts, where


def _auto_depth(items: list) -> int | None:
    """The deepest collapse depth that brings the picture under the limit."""
    if len(items) <= AUTO_COLLAPSE_LIMIT:
        return None
    depth = max((len(it.path) for it in items), default=0)
    for d in range(depth, 0, -1):
        verts, _ = _group(items, _collapse_key(d))
        if len(verts) <= AUTO_COLLAPSE_LIMIT:
            return d
    return 1 if depth else None


# ---- 4. edges and the cap ------------------------------------------------------------

def _edges(items: list, where: dict) -> list:
    """(src vertex, dst vertex, label, count): every dependency between raw vertices;
    between collapsed ones, one edge per pair (self-loops inside a module dropped)."""
    out = []
    merged: dict = {}
    for it in items:
        dst = where[id(it)]
        for src_it, idx in it.inputs:
            src = where[id(src_it)]
            if src.item is not None and dst.item is not None:
                label = f"[{idx}]" if _n_out(src_it) > 1 else ""
                out.append([src, dst, label, 1])
                continue
            if src is dst:
                continue
            label = _shape_of(src_it, idx) if src.item is None else ""
            e = merged.get((id(src), id(dst)))
            if e is None:
                e = merged[(id(src), id(dst))] = [src, dst, label, 0]
                out.append(e)
            elif e[2] != label:
                e[2] = ""
            e[3] += 1
    return out


def _cap(verts: list, edges: list, max_nodes: int) -> tuple[list, list, int, set]:
    """Keep the `max_nodes` vertices nearest the roots (breadth first along inputs)."""
    ins: dict = {}
    for e in edges:
        ins.setdefault(id(e[1]), []).append(e[0])
    kept: dict = {}
    queue = [v for v in reversed(verts) if v.root]
    head = 0
    while head < len(queue) and len(kept) < max_nodes:
        v = queue[head]
        head += 1
        if id(v) in kept:
            continue
        kept[id(v)] = v
        queue.extend(ins.get(id(v), ()))
    frontier = set()
    for e in edges:
        if id(e[1]) in kept and id(e[0]) not in kept:
            frontier.add(id(e[1]))
    verts2 = [v for v in verts if id(v) in kept]
    edges2 = [e for e in edges if id(e[0]) in kept and id(e[1]) in kept]
    return verts2, edges2, len(verts) - len(verts2), frontier


# ---- 5. labels -----------------------------------------------------------------------

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


_DTYPE_NAMES: dict = {}


def _dtype_name(dt: np.dtype) -> str:
    name = _DTYPE_NAMES.get(dt)
    if name is None:
        name = _DTYPE_NAMES[dt] = str(dt)
    return name


def _fmt_num(v: Any) -> str:
    if isinstance(v, complex):
        return f"{v:.4g}"
    return f"{float(v):.4g}" if v is not None else "?"


def _fmt_bytes(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return ""  # pragma: no cover


def _esc(s: str) -> str:
    return html.escape(str(s), quote=True)


def _grad_of(it: _Item) -> np.ndarray | None:
    for t in it.tensors.values():
        if t.grad is not None:
            return t.grad.data
    return None


def _finite(a: np.ndarray) -> bool:
    return a.dtype.kind not in "fc" or bool(np.isfinite(a).all())


def _saved_arrays(node: Node) -> list | None:
    """The arrays `node` keeps for backward, or None once backward freed them."""
    d = node.__dict__
    ctx = d.get("_ctx")
    if ctx is not None and hasattr(ctx, "_saved"):   # an autograd.Function node
        if getattr(ctx, "_freed", False):
            return None
        entries = [e[1] if type(e) is tuple else e for e in ctx._saved or ()]
        return [e.data if isinstance(e, Tensor) else e for e in entries
                if isinstance(e, (Tensor, np.ndarray))]
    inputs = d.get("_inputs")
    if inputs is None and d.get("_out") is None and "_extra" not in d:
        return None
    arrays = [t.data if isinstance(t, Tensor) else t for t in inputs or ()]
    arrays.append(d.get("_out"))
    arrays.extend(d.get("_extra") or ())
    return [a for a in arrays if isinstance(a, np.ndarray)]


def _item_state(it: _Item) -> tuple[str | None, bool]:
    """('value' / 'grad' / None: where a NaN or inf is) and whether it started here."""
    if _bad_value(it):
        upstream_bad = any(_bad_value(src) for src, _ in it.inputs)
        return "value", not upstream_bad
    g = _grad_of(it)
    if g is not None and not _finite(g):
        return "grad", True
    return None, False


def _bad_value(it: _Item) -> bool:
    return any(not m[3] for m in (_meta(it, i) for i in range(_n_out(it))) if m)


class _Opts:
    def __init__(self, show_shapes: bool, show_grads: bool, show_saved: bool) -> None:
        self.show_shapes = show_shapes
        self.show_grads = show_grads
        self.show_saved = show_saved


def _small(text: str, color: str = _GRAY) -> str:
    return f'<font point-size="9" color="{color}">{_esc(text)}</font>'


def _item_label(it: _Item, o: _Opts) -> tuple[str, dict]:
    lines = []
    if it.leaf:
        t = it.obj
        default = "parameter" if type(t).__name__ == "Parameter" else "leaf"
        title = f"<b>{_esc(it.name or default)}</b>"
        kind = "param" if it.name or default == "parameter" else "input"
    else:
        op = getattr(it.obj, "name", type(it.obj).__name__)
        title = (f"<b>{_esc(it.name)}</b> = {_esc(op)}" if it.name else f"<b>{_esc(op)}</b>")
        kind = "root" if it.root else "op"
    lines.append(title)
    n = _n_out(it)
    metas = [_meta(it, i) for i in range(n)]
    if o.show_shapes:
        known = [m for m in metas if m is not None]
        if len(known) == 1 and n == 1:
            m = known[0]
            lines.append(_small(_fmt_shape(m[0]) if m[1] is None else
                                f"{_fmt_shape(m[0])} {_dtype_name(m[1])}"))
        elif known:
            shapes = {_fmt_shape(m[0]) for m in known}
            dtypes = {_dtype_name(m[1]) for m in known if m[1] is not None}
            s = " ".join(sorted(shapes)[:3]) if len(shapes) > 1 else \
                f"{n} × {shapes.pop()}"
            lines.append(_small(" ".join([s] + sorted(dtypes))))
    m0 = metas[0]
    if m0 is not None and m0[2] is not None:
        lines.append(f"data {_esc(_fmt_num(m0[2]))}")
    if o.show_grads:
        g = _grad_of(it)
        if g is not None:
            lines.append(f"grad {_esc(_fmt_num(g.item()))}" if g.size == 1 else
                         f"|grad| {_esc(_fmt_num(np.linalg.norm(g.ravel())))}")
    if o.show_saved and not it.leaf:
        arrays = _saved_arrays(it.obj)
        lines.append(_small("saved: freed" if arrays is None else
                            f"saved {_fmt_bytes(sum(a.nbytes for a in arrays))}"))
    bad, origin = _item_state(it)
    attrs = _style(kind)
    if it.root and it.leaf:
        attrs["penwidth"] = "2"
    if bad:
        lines.append(_small(f"NaN/inf in {bad}", _RED))
        attrs.update(color=_RED, penwidth="2.5")
        if origin:
            attrs["fillcolor"] = "#ffcccc"
    return "<br/>".join(lines), attrs


def _group_label(v: _Vertex, classes: dict, o: _Opts) -> tuple[str, dict]:
    qn = ".".join(v.cpath)
    cls = classes.get(qn, "")
    lines = [f"<b>{_esc(qn)}</b>" + (f" · {_esc(cls)}" if cls and cls != qn else "")]
    n_params = sum(it.obj.data.size for it in v.folded)
    info = f"{len(v.members)} op{'s' if len(v.members) != 1 else ''}"
    if v.folded:
        info += f" · {n_params:,} params"
    lines.append(_small(info))
    if v.root and o.show_shapes:
        roots = [it for it in v.members if it.root]
        shapes = sorted({_shape_of(it) for it in roots} - {""})
        if shapes:
            lines.append(_small("out " + " ".join(shapes[:3])))
    if o.show_grads:
        gs = [g for g in (_grad_of(it) for it in v.folded) if g is not None]
        if gs:
            norm = float(np.sqrt(sum(float(np.vdot(g, g).real) for g in gs)))
            lines.append(f"|grad params| {_esc(_fmt_num(norm))}")
    if o.show_saved:
        arrays = [a for it in v.members for a in (_saved_arrays(it.obj) or ())]
        lines.append(_small(f"saved {_fmt_bytes(sum(a.nbytes for a in arrays))}"))
    attrs = _style("group")
    attrs["shape"] = "box3d"
    attrs["style"] = "filled"
    if v.root:
        attrs["penwidth"] = "2"
    states = [_item_state(it)[0] for it in v.members + v.folded]
    bad = next((s for s in states if s), None)
    if bad:
        lines.append(_small(f"NaN/inf in {bad}", _RED))
        attrs.update(color=_RED, penwidth="2.5", fillcolor="#ffcccc")
    return "<br/>".join(lines), attrs


def _style(kind: str) -> dict:
    fill, border = _STYLE[kind]
    return {"fillcolor": fill, "color": border}


# ---- 5. emit -------------------------------------------------------------------------

def _attrs(d: dict) -> str:
    parts = []
    for k, v in d.items():
        if k == "label" and v.startswith("<"):
            parts.append(f"{k}={v}")
        else:
            parts.append(f'{k}="{_quote(v)}"')
    return " [" + " ".join(parts) + "]"


def _quote(s: str) -> str:
    return str(s).replace("\\", "\\\\").replace('"', '\\"')


class _Built:
    """The DOT pieces: graph/node/edge attributes and the body lines."""

    def __init__(self, graph_attr: dict, node_attr: dict, edge_attr: dict, body: list) -> None:
        self.graph_attr, self.node_attr, self.edge_attr, self.body = (graph_attr, node_attr,
                                                                      edge_attr, body)

    def source(self) -> str:
        head = ["digraph {"]
        for kw, d in (("graph", self.graph_attr), ("node", self.node_attr),
                      ("edge", self.edge_attr)):
            head.append(f"\t{kw}" + _attrs(d))
        return "\n".join(head) + "\n" + "".join(self.body) + "}\n"


def _build(roots: tuple, params: Any, show_shapes: bool, show_grads: bool, show_saved: bool,
           rankdir: str, max_nodes: int | None, collapse: Any) -> _Built:
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise ValueError(f"draw_graph: rankdir must be 'TB', 'LR', 'BT' or 'RL', got "
                         f"{rankdir!r}")
    if max_nodes is not None and (not isinstance(max_nodes, int) or max_nodes < 1):
        raise ValueError(f"draw_graph: max_nodes must be a positive int or None, got "
                         f"{max_nodes!r}")
    tensors = _flatten(roots)
    model, pnames, named = _params(params)
    items = _collect(tensors)
    mnames = _name_modules(items, model, pnames)
    _assign_paths(items, mnames, pnames, named)
    classes = {qn: type(m).__name__ for qn, m in mnames.values()}
    notes = []
    if isinstance(collapse, str) and collapse == "auto":
        depth = _auto_depth(items)
        key = _collapse_key(depth)
        if depth is not None:
            notes.append(f"{len(items):,} nodes: modules collapsed to depth {depth} "
                         f"(collapse=False draws every op)")
    else:
        key = _collapse_key(collapse)
        if isinstance(collapse, (str, list, tuple, set, frozenset)):
            _check_names({collapse} if isinstance(collapse, str) else set(collapse), items)
    verts, where = _group(items, key)
    edges = _edges(items, where)
    dropped, frontier = 0, set()
    if max_nodes is not None and len(verts) > max_nodes:
        verts, edges, dropped, frontier = _cap(verts, edges, max_nodes)
        notes.append(f"showing {len(verts):,} of {len(verts) + dropped:,} nodes "
                     f"(max_nodes={max_nodes})")
    o = _Opts(show_shapes, show_grads, show_saved)
    if show_saved:
        seen_buf: dict = {}
        for it in items:
            if not it.leaf:
                for a in _saved_arrays(it.obj) or ():
                    base = a if a.base is None else a.base
                    seen_buf[id(base)] = getattr(base, "nbytes", a.nbytes)
        notes.append(f"saved for backward: {_fmt_bytes(sum(seen_buf.values()))} "
                     f"(shared buffers counted once)")

    for i, v in enumerate(verts):
        v.id = f"n{i}"
    lines_of: dict = {(): []}  # cluster path -> node lines
    for v in verts:
        if v.item is not None:
            label, attrs = _item_label(v.item, o)
        else:
            label, attrs = _group_label(v, classes, o)
        for k in range(1, len(v.path) + 1):
            lines_of.setdefault(v.path[:k], [])
        lines_of[v.path].append(f"\t{v.id}" + _attrs({"label": f"<{label}>", **attrs}) + "\n")

    body = _clusters(lines_of, classes)
    for src, dst, label, count in edges:
        attrs = {}
        if label:
            attrs["label"] = label
        if count > 1:
            attrs["penwidth"] = f"{min(1 + 0.4 * count, 4):.1f}"
        if not (src.item is not None and src.item.leaf):
            attrs["weight"] = "4"   # keep the main data path straight; leaves hang off it
        body.append(f"\t{src.id} -> {dst.id}" + (_attrs(attrs) if attrs else "") + "\n")
    if dropped:
        body.append("\tmore" + _attrs({
            "label": f"<⋯ {dropped:,} more nodes<br/>{_small(f'max_nodes={max_nodes}')}>",
            "shape": "note", "style": "dashed", "color": _GRAY, "fontcolor": _GRAY}) + "\n")
        for v in verts:
            if id(v) in frontier:
                body.append(f"\tmore -> {v.id}" + _attrs({"style": "dashed",
                                                          "color": _GRAY}) + "\n")
    graph_attr = {"rankdir": rankdir, "fontname": _FONT, "fontsize": "11",
                  "nodesep": "0.25", "ranksep": "0.35", "labelloc": "b", "labeljust": "l"}
    if notes:
        graph_attr["label"] = "<" + "<br/>".join(_small(n) for n in notes) + ">"
    node_attr = {"shape": "box", "style": "rounded,filled", "fontname": _FONT,
                 "fontsize": "11", "margin": "0.12,0.05", "height": "0.3"}
    edge_attr = {"color": "#7a7a7a", "arrowsize": "0.6", "fontname": _FONT,
                 "fontsize": "9", "fontcolor": _GRAY}
    return _Built(graph_attr, node_attr, edge_attr, body)


def _check_names(names: set, items: list) -> None:
    """A module named in `collapse` must have made some op of this graph."""
    present = {".".join(it.path[:k]) for it in items for k in range(1, len(it.path) + 1)}
    missing = sorted(n for n in names if n not in present)
    if missing:
        raise ValueError(f"draw_graph: collapse names modules that made no op of this graph: "
                         f"{', '.join(missing)} (modules in it: "
                         f"{', '.join(sorted(present)) or 'none; pass params=model'})")


def _clusters(lines_of: dict, classes: dict) -> list:
    """Node lines nested in one `subgraph cluster_k` per module path (iteratively)."""
    children: dict = {}
    for p in sorted(lines_of, key=lambda p: (len(p), p)):
        if p:
            children.setdefault(p[:-1], []).append(p)
    body: list = []
    counter = 0
    stack: list = [("open", ())]
    while stack:
        what, p = stack.pop()
        if what == "close":
            body.append("\t}\n")
            continue
        if p:
            qn = ".".join(p)
            cls = classes.get(qn, "")
            label = f"<b>{_esc(qn)}</b>" + (f" · {_esc(cls)}" if cls and cls != qn else "")
            fill = _CLUSTER_FILLS[(len(p) - 1) % len(_CLUSTER_FILLS)]
            body.append(f"\tsubgraph cluster_{counter} {{\n")
            for k, v in {"label": f"<{label}>", "style": "rounded,filled", "fillcolor": fill,
                         "color": "#b8c2cc", "fontsize": "10", "labeljust": "l",
                         "labelloc": "t"}.items():
                body.append(f"\t{k}={v}\n" if k == "label" else f'\t{k}="{v}"\n')
            counter += 1
            stack.append(("close", p))
        body.extend(lines_of[p])
        for c in reversed(children.get(p, ())):
            stack.append(("open", c))
    return body


# ---- public API ----------------------------------------------------------------------

def to_dot(*roots: Any, params: Any = None, show_shapes: bool = True, show_grads: bool = False,
           show_saved: bool = False, rankdir: str = "TB", max_nodes: int | None = None,
           collapse: Any = "auto") -> str:
    """The DOT text of the graph that produced `roots` (see `draw_graph` for the
    arguments).  Needs neither Graphviz nor the ``graphviz`` package."""
    return _build(roots, params, show_shapes, show_grads, show_saved, rankdir, max_nodes,
                  collapse).source()


def draw_graph(*roots: Any, params: Any = None, show_shapes: bool = True,
               show_grads: bool = False, show_saved: bool = False, rankdir: str = "TB",
               max_nodes: int | None = None, collapse: Any = "auto") -> GraphPicture:
    """A picture of the computation graph that produced `roots` (Tensors, or tuples,
    lists or dicts of them), as a ``graphviz.Digraph``: displays inline in Jupyter,
    ``.render(path, format="svg")`` writes a file, ``.source`` is the DOT text.

    - One box per recorded op (its name and output shape and dtype; for one-element
      tensors the value, micrograd style) and per leaf that requires grad; one arrow per
      dependency, from input to consumer.
    - ``params``: names for leaves (and any tensor): ``dict(model.named_parameters())``,
      ``{"x": x, "w": w}``, or the model itself (which also names every module).
    - Ops made inside an ``nn.Module``'s forward are grouped in one cluster per module.
      ``collapse``: ``True`` draws each module as one box, an int ``d`` each module at
      depth ``d`` (``1``: the model's children), a name or list of names those modules,
      ``False`` every op; ``"auto"`` (default) collapses as deep as keeps the picture
      under ~80 boxes.  Parameters used only inside a collapsed module fold into it.
    - ``show_grads`` (after backward): gradient norms (values for one-element tensors).
      Any tensor holding NaN or inf is drawn red, and filled where it first appears.
    - ``show_saved``: the bytes each op keeps for backward, and the deduplicated total.
    - ``max_nodes``: keep that many boxes nearest the roots and say how many are left out.

    Shapes come from tensors the graph still holds; a backward without
    ``retain_graph`` frees them, so draw before it or record under
    `autograd.viz.record_graph`.  Rendering needs Graphviz's ``dot`` program.
    """
    import graphviz
    built = _build(roots, params, show_shapes, show_grads, show_saved, rankdir, max_nodes,
                   collapse)
    g = _picture_class(graphviz)(graph_attr=built.graph_attr, node_attr=built.node_attr,
                                 edge_attr=built.edge_attr)
    g.body.extend(built.body)
    return g


class DotNotFoundError(RuntimeError):
    """Graphviz's `dot` program is missing (rendering needs it; `to_dot` does not)."""


_PICTURE: list = []


def _picture_class(graphviz: Any) -> type:
    """GraphPicture, made on first use so importing autograd does not import graphviz."""
    if _PICTURE:
        return _PICTURE[0]

    class GraphPicture(graphviz.Digraph):
        """A graphviz.Digraph whose rendering errors say how to install Graphviz."""

        def render(self, *args: Any, **kwargs: Any) -> Any:
            with _explain_missing_dot(graphviz):
                return super().render(*args, **kwargs)

        def pipe(self, *args: Any, **kwargs: Any) -> Any:
            with _explain_missing_dot(graphviz):
                return super().pipe(*args, **kwargs)

        def view(self, *args: Any, **kwargs: Any) -> Any:
            with _explain_missing_dot(graphviz):
                return super().view(*args, **kwargs)

        def _repr_mimebundle_(self, include: Any = None, exclude: Any = None,
                              **kwargs: Any) -> dict:
            try:
                return super()._repr_mimebundle_(include, exclude, **kwargs)
            except DotNotFoundError as e:
                return {"text/plain": f"{e}\n\n{self.source}"}

    GraphPicture.__qualname__ = "GraphPicture"
    GraphPicture.__module__ = __name__
    globals()["GraphPicture"] = GraphPicture
    _PICTURE.append(GraphPicture)
    return GraphPicture


@contextmanager
def _explain_missing_dot(graphviz: Any) -> Iterator[None]:
    try:
        yield
    except graphviz.ExecutableNotFound as e:
        raise DotNotFoundError(_INSTALL_HINT) from e


def __getattr__(name: str) -> Any:
    if name == "GraphPicture":
        import graphviz
        return _picture_class(graphviz)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ---- Jupyter: a tensor shows its value and, one click away, the graph that made it -----

def _tensor_svg(self: Tensor) -> str | None:
    """The SVG picture of the graph that produced this tensor (None for leaves or when
    Graphviz is missing)."""
    if self.grad_fn is None or shutil.which("dot") is None:
        return None
    try:
        return draw_graph(self, max_nodes=REPR_MAX_NODES).pipe(format="svg", encoding="utf-8")
    except Exception:  # a display hook must never break printing the tensor
        return None


def _tensor_mimebundle(self: Tensor, include: Any = None, exclude: Any = None) -> dict:
    text = repr(self)
    bundle = {"text/plain": text}
    svg = _tensor_svg(self)
    if svg is not None:
        bundle["image/svg+xml"] = svg
        bundle["text/html"] = (f"<pre>{_esc(text)}</pre><details><summary>computation graph"
                               f"</summary>{svg}</details>")
    return bundle


Tensor._repr_svg_ = _tensor_svg
Tensor._repr_mimebundle_ = _tensor_mimebundle
