"""Grouping items into drawn vertices (collapse), edges between them, and the cap
(steps 3 and 4)."""
from __future__ import annotations

import numbers
from typing import Any

from ._collect import _Item, _n_out, _shape_of, _split

AUTO_COLLAPSE_LIMIT = 80    # collapse="auto" collapses modules above this many vertices


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


def _check_names(names: set, items: list) -> None:
    """A module named in `collapse` must have made some op of this graph."""
    present = {".".join(it.path[:k]) for it in items for k in range(1, len(it.path) + 1)}
    missing = sorted(n for n in names if n not in present)
    if missing:
        shown = sorted(present)
        listed = ", ".join(shown[:20]) + (", ..." if len(shown) > 20 else "")
        raise ValueError(f"draw_graph: collapse names modules that made no op of this graph: "
                         f"{', '.join(missing)} (modules in it: "
                         f"{listed or 'none; pass params=model'})")


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
