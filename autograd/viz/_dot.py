"""Labels, styles and the DOT text (step 5)."""
from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..graph import Node
from ..tensor import Tensor
from ._collect import (_Item, _assign_paths, _bad_value, _collect, _flatten,
                       _fmt_shape, _grad_info, _meta, _n_out, _name_modules, _params,
                       _shape_of)
from ._group import (_Vertex, _auto_depth, _cap, _check_names, _collapse_key, _edges,
                     _group)

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


def _esc(s: Any) -> str:
    """Escaped for a Graphviz HTML label (html.escape's job; its import costs ~10 ms)."""
    return (str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


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
    inputs, out, extra = node._inputs, node._out, node._extra
    if inputs is None and out is None and extra is None:
        return None
    arrays = [t._data if isinstance(t, Tensor) else t for t in inputs or ()]
    arrays.append(out)
    arrays.extend(extra or ())
    return [a for a in arrays if isinstance(a, (np.ndarray, np.generic))]


def _item_state(it: _Item) -> tuple[str | None, bool]:
    """('value' / 'grad' / None: where a NaN or inf is) and whether it started here."""
    if _bad_value(it):
        upstream_bad = any(_bad_value(src) for src, _ in it.inputs)
        return "value", not upstream_bad
    g = _grad_info(it)
    if g is not None and not g[2]:
        return "grad", True
    return None, False


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
        title = (f"<b>{_esc(it.name)} = {_esc(op)}</b>" if it.name else f"<b>{_esc(op)}</b>")
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
        g = _grad_info(it)
        if g is not None:
            lines.append(f"grad {_esc(_fmt_num(g[0]))}" if g[0] is not None else
                         f"|grad| {_esc(_fmt_num(g[1]))}")
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
    lines = [f"<b>{_esc(_module_title(qn, cls))}</b>"]
    n_params = sum(it.obj.data.size for it in v.folded)
    info = f"{len(v.members)} op{'s' if len(v.members) != 1 else ''}"
    # record_graph keeps each op's module stack, a new tuple per module call: the
    # distinct stacks of the module's own ops count its calls (an RNN cell's steps)
    calls = len({id(it.stack) for it in v.members if it.stack and it.path == v.cpath})
    if calls > 1:
        info += f" · {calls} calls"
    if v.folded:
        info += f" · {n_params:,} params"
    lines.append(_small(info))
    if v.root and o.show_shapes:
        roots = [it for it in v.members if it.root]
        shapes = sorted({_shape_of(it) for it in roots} - {""})
        if shapes:
            lines.append(_small("out " + " ".join(shapes[:3])))
    if o.show_grads:
        gs = [g for g in (_grad_info(it) for it in v.folded) if g is not None]
        if gs:
            norm = float(np.sqrt(sum(g[1] ** 2 for g in gs)))
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


def _module_title(qn: str, cls: str) -> str:
    # one text run per line: SVG viewers measure fonts differently from Graphviz, and a
    # bold run followed by a plain one on the same line can overlap it
    return f"{qn} · {cls}" if cls and cls != qn else qn


def _style(kind: str) -> dict:
    fill, border = _STYLE[kind]
    return {"fillcolor": fill, "color": border}


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
        head = ["digraph computation_graph {"]
        for kw, d in (("graph", self.graph_attr), ("node", self.node_attr),
                      ("edge", self.edge_attr)):
            head.append(f"\t{kw}" + _attrs(d))
        return "\n".join(head) + "\n" + "".join(self.body) + "}\n"


def _build(roots: tuple, params: Any, show_shapes: bool, show_grads: bool, show_saved: bool,
           rankdir: str, max_nodes: int | None, collapse: Any) -> _Built:
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise ValueError(f"draw_graph: rankdir must be 'TB', 'LR', 'BT' or 'RL', got "
                         f"{rankdir!r}")
    if max_nodes is not None and (not isinstance(max_nodes, numbers.Integral)
                                  or isinstance(max_nodes, bool) or max_nodes < 1):
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


def _clusters(lines_of: dict, classes: dict) -> list:
    """Node lines nested in one `subgraph cluster_k` per module path (iteratively)."""
    children: dict = {}
    for p in lines_of:   # first-use order (parents come before their children)
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
            label = f"<b>{_esc(_module_title(qn, cls))}</b>"
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
