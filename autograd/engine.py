"""Reverse mode over the tape: `backward` and `grad`.

The algorithm (no recursion anywhere, so graphs of any depth work):

1. From the roots' nodes, walk the graph with an explicit stack and count, for every
   node, how many edges point at it (its consumers on the tape).
2. Seed the roots' gradients, then repeatedly take a node whose consumers have all
   delivered their gradients (count at zero), run its hooks, call its backward, and
   add the results into its inputs' pending gradients (or into leaves' ``.grad``).
   A node's pending gradient is summed before it runs, so every node runs once.  A
   leaf with hooks is counted like a node: its hooks run once, on its summed gradient.
3. Unless ``retain_graph``, each node frees its saved buffers right after it ran.

Backward runs with grad mode set to ``create_graph``: off in the common case, so the
Tensor ops inside backward functions record nothing; on for higher-order gradients,
so they build a graph of the backward itself.
"""
from __future__ import annotations

import sys
from sys import getrefcount
from typing import Any

import numpy as np

from .grad_mode import STATE
from .graph import Node, refresh_views
from .ops.inplace import bump_version
from .tensor import Tensor, wrap

__all__ = ["backward", "grad"]

# (3.14 leaves some references on the interpreter's stack uncounted)
_EXACT_REFCOUNTS = sys.implementation.name == "cpython" and sys.version_info < (3, 14)


def _as_tuple(x: Any) -> tuple:
    if x is None:
        return ()
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _root_grads(outputs: tuple, grad_outputs: tuple, create_graph: bool,
                fn: str = "backward") -> list:
    if grad_outputs and len(grad_outputs) != len(outputs):
        raise RuntimeError(f"backward: got {len(outputs)} tensors and {len(grad_outputs)} "
                           f"gradients")
    grads = []
    for i, out in enumerate(outputs):
        if not isinstance(out, Tensor):
            raise TypeError(f"backward: output {i} is a {type(out).__name__}, not a Tensor")
        if not out._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not "
                               f"have a grad_fn")
        g = grad_outputs[i] if grad_outputs else None
        if g is None:
            d = out._data
            if d.size != 1:
                raise RuntimeError(f"backward: grad can be implicitly created only for scalar "
                                   f"outputs; output {i} has shape {tuple(out.shape)}, so pass "
                                   f"gradient= (or grad_outputs=) of that shape")
            g = wrap(d.dtype.type(1) if d.ndim == 0 else np.ones(d.shape, d.dtype))
        else:
            if not isinstance(g, Tensor):   # PyTorch takes no numbers or arrays here
                what = "grad_tensors" if fn == "backward" else "grad_outputs"
                raise TypeError(f"{fn}: gradients can be either Tensors or None, but got "
                                f"{type(g).__name__} ({what}[{i}], for output {i} of "
                                f"shape {tuple(out.shape)})")
            if g.shape != out.shape:
                raise RuntimeError(f"backward: Mismatch in shape: grad_output[{i}] has a shape "
                                   f"of {tuple(g.shape)} and output[{i}] has a shape of "
                                   f"{tuple(out.shape)}")
            if not create_graph and g._requires_grad:
                g = g.detach()
        grads.append(g)
    return grads


def _edge_target(e: Any) -> tuple:
    """(node, index) of an edge to a node, or (None, None) for a leaf or no edge."""
    if type(e) is tuple:
        return e
    if isinstance(e, Node):
        return e, 0
    return None, None


def _count_dependencies(roots: list, hooked: dict) -> dict:
    """Per node, how many edges point at it; per leaf with hooks (into `hooked`) too."""
    deps: dict = {}
    stack = []
    for n in roots:
        if n not in deps:
            deps[n] = 0
            stack.append(n)
    while stack:
        node = stack.pop()
        for e in node.next:
            if e is None:
                continue
            target = e[0] if type(e) is tuple else e
            if isinstance(target, Node):
                c = deps.get(target)
                if c is None:
                    deps[target] = 1
                    stack.append(target)
                else:
                    deps[target] = c + 1
            elif target._hooks:
                hooked[target] = hooked.get(target, 0) + 1
    return deps


def _needed(deps: dict, roots: list, targets: set) -> set:
    """Nodes from which some target (leaf tensor id or (node, idx)) is reachable."""
    order = []  # a topological order, consumers first
    remaining = dict(deps)
    ready = [n for n in roots if remaining[n] == 0]
    seen = set()
    while ready:
        n = ready.pop()
        if n in seen:
            continue
        seen.add(n)
        order.append(n)
        for e in n.next:
            t, _ = _edge_target(e)
            if t is not None:
                remaining[t] -= 1
                if remaining[t] == 0:
                    ready.append(t)
    needed = set()
    for n in reversed(order):  # producers first
        for i, e in enumerate(n.next):
            t, idx = _edge_target(e)
            if (t is None and e is not None and id(e) in targets) or \
               (t is not None and ((t, idx) in targets or t in needed)):
                needed.add(n)
                break
    return needed


class _Run:
    """State of one backward pass."""

    def __init__(self, create_graph: bool, accumulate: bool, targets: Any = None) -> None:
        self.create_graph = create_graph
        self.accumulate = accumulate
        self.targets = targets      # what autograd.grad asks for (accumulate=False)
        self.grads: dict = {}       # node -> pending grad (or list for multi-output nodes)
        self.owned: set = set()     # ids of pending buffers this run allocated (safe to add into)
        self.given: set = set()     # ids of arrays handed to a .grad, or not the engine's own
        self.fresh: set = set()     # ids of .grad arrays only this run can have (add in place)
        self.hooked: dict = {}      # leaf with hooks -> edges still to deliver to it
        self.leaf_sums: dict = {}   # leaf with hooks -> its gradient summed so far
        self.captured: dict = {}    # id(leaf) or (node, idx) -> grad, for autograd.grad

    def add(self, node: Node, idx: int, g: Tensor) -> None:
        grads = self.grads
        if node.n_out != 1:
            slot = grads.get(node)
            if slot is None:
                slot = grads[node] = [None] * node.n_out
            slot[idx] = g if slot[idx] is None else self._sum(slot[idx], g)
            return
        old = grads.get(node)
        grads[node] = g if old is None else self._sum(old, g)

    def _sum(self, old: Tensor, g: Tensor) -> Tensor:
        if self.create_graph:
            return old + g   # recorded, so the sum is differentiable
        # Plain backward: add the arrays directly (nothing to record), into the pending
        # buffer when this run allocated it.
        owned = self.owned
        buf, d = old._data, g._data
        if id(old) in owned and type(buf) is np.ndarray and buf.shape == d.shape \
                and buf.dtype == d.dtype:
            np.add(buf, d, out=buf)
            return old
        s = wrap(buf + d)
        owned.add(id(s))
        return s

    def capture(self, t: Tensor, g: Tensor | None) -> None:
        """autograd.grad's delivery of `g` along one edge into leaf `t` (None: the edge
        carried nothing)."""
        if t._hooks:
            g = self._hooked_leaf(t, g)
            if g is None:
                return
        key = id(t)
        if key in self.targets:
            old = self.captured.get(key)
            self.captured[key] = g if old is None else self._sum(old, g)

    def _hooked_leaf(self, t: Tensor, g: Tensor | None) -> Tensor | None:
        """The gradient of leaf `t` after its hooks, once every edge into it delivered
        (None until then), as PyTorch runs them: once, on the sum."""
        if not self.accumulate and id(t) not in self.targets:
            return None   # autograd.grad does not reach leaves it was not asked for
        left = self.hooked.get(t)
        if left is not None:
            if g is not None:
                old = self.leaf_sums.get(t)
                self.leaf_sums[t] = g if old is None else self._sum(old, g)
            if left > 1:
                self.hooked[t] = left - 1
                return None
            del self.hooked[t]
            g = self.leaf_sums.pop(t, None)
            if g is None:
                return None
            self.owned.discard(id(g))
        elif g is None:
            return None
        return _call_hooks(t._hooks, g, self)

    def store(self, t: Tensor, g: Tensor | None, hooks: bool = True) -> None:
        """Accumulate `g` (from one edge; None: the edge carried nothing) into ``t.grad``
        as PyTorch's AccumulateGrad does, after t's hooks unless not `hooks`: the first
        gradient is stored (copied if it may be shared), later ones are added in place;
        with create_graph a differentiable copy, then out-of-place sums."""
        if hooks and t._hooks:
            g = self._hooked_leaf(t, g)
            if g is None:
                return
        data, have = g._data, t._data
        if data.shape != have.shape:
            raise RuntimeError(f"backward: the gradient computed for a tensor of shape "
                               f"{tuple(have.shape)} has shape {tuple(data.shape)}")
        if data.dtype != have.dtype:
            g = g.to(have.dtype)
            data = g._data
        old = t._grad
        if self.create_graph:
            t._grad = g.clone() if old is None else old + g
            return
        if old is None:
            if type(data) is np.ndarray:   # (a NumPy scalar is immutable: never shared)
                if data.base is not None or id(data) in self.given or not data.flags.writeable:
                    data = data.copy()
                self.given.add(id(data))
            t._grad = wrap(data)
            return
        buf = old._data
        if type(buf) is not np.ndarray:
            # A NumPy scalar has no array anyone can hold (see Tensor.data): replacing
            # it in the same Tensor is as good as in place.
            old._data = buf + data
            return
        if buf.shape != data.shape or buf.dtype != data.dtype:
            raise RuntimeError(f"backward: the existing .grad (shape {tuple(buf.shape)}, "
                               f"dtype {buf.dtype}) does not match the tensor (shape "
                               f"{tuple(data.shape)}, dtype {data.dtype}); reset it to None")
        key = id(buf)
        if key in self.given:
            # Stored by this run without a copy: the array may still be pending in
            # another edge, so sum into a new one (which only this run has).
            old._data = s = buf + data
            self.fresh.add(id(s))
        elif not buf.flags.writeable:   # (read-only, e.g. a broadcast view)
            t._grad = wrap(buf + data)
        else:
            if key not in self.fresh:     # a .grad from before: a node may have saved it
                bump_version(old)
                self.fresh.add(key)
            np.add(buf, data, out=buf)


def _call_hooks(hooks: list, g: Tensor, run: _Run) -> Tensor:
    """`g` after the tensor hooks `hooks` (each may return a replacement)."""
    for fn in list(hooks):
        r = fn(g)
        if r is None:
            continue
        name = getattr(fn, "__name__", repr(fn))
        if not isinstance(r, Tensor):
            raise TypeError(f"hook {name!r} returned a {type(r).__name__}; a tensor hook "
                            f"must return a Tensor or None")
        if r._data.shape != g._data.shape:
            raise RuntimeError(f"hook {name!r} has changed the shape of the gradient from "
                               f"{tuple(g.shape)} to {tuple(r.shape)}")
        if r._data.dtype != g._data.dtype:
            raise RuntimeError(f"hook {name!r} has changed the dtype of the gradient from "
                               f"{g.dtype} to {r.dtype}")
        run.given.add(id(r.data))   # the user's tensor: never added into in place
        g = r
    return g


def _run(roots: tuple, root_grads: list, retain_graph: bool, create_graph: bool,
         accumulate: bool, targets: Any = None) -> _Run:
    run = _Run(create_graph, accumulate, targets)
    for g in root_grads:
        run.given.add(id(g._data))
    root_nodes = [r.grad_fn for r in roots if r.grad_fn is not None]
    hooked = run.hooked
    deps = _count_dependencies(root_nodes, hooked) if root_nodes else {}
    for r in roots:
        if r.grad_fn is None and r._hooks:
            hooked[r] = hooked.get(r, 0) + 1
    leaf = run.store if accumulate else run.capture
    for r, g in zip(roots, root_grads):
        if r.grad_fn is None:
            leaf(r, g)
        else:
            run.add(r.grad_fn, r._out_idx, g)
    if not root_nodes:
        return run
    needed = _needed(deps, root_nodes, targets) if targets is not None else None
    ready = [n for n in dict.fromkeys(root_nodes) if deps[n] == 0]
    prev_mode = STATE.enabled
    anomaly = STATE.anomaly
    plain = not create_graph and not anomaly
    grads, owned, add = run.grads, run.owned, run.add
    # NumPy would warn about the inf/nan a kink produces (sqrt'(0)); PyTorch is silent,
    # and detect_anomaly() is the tool that reports them.
    try:
        STATE.enabled = create_graph
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            while ready:
                node = ready.pop()
                g = grads.pop(node, None)
                if plain and type(g) is Tensor and node._hooks is None and needed is None:
                    # What _call_node does, for the common case: one output with a
                    # gradient, nothing to tap or check.
                    if owned:
                        owned.discard(id(g))
                    if node.reuses_grad:
                        node.grad_free = _unshared(g)
                    in_grads = type(node).backward(node, g)
                    if type(in_grads) is not tuple:
                        in_grads = (in_grads,)
                    if not retain_graph:
                        node.release()
                else:
                    in_grads = _call_node(node, g, run, needed, anomaly, retain_graph)
                for e, g in zip(node.next, in_grads):
                    c = deps.get(e)   # (the edges to nodes are its keys)
                    if c is not None:
                        if g is not None:
                            old = grads.get(e)
                            grads[e] = g if old is None else run._sum(old, g)
                    elif type(e) is tuple:   # (an output of a multi-output node)
                        e, idx = e
                        if g is not None:
                            add(e, idx, g)
                        c = deps[e]
                    else:   # a leaf (counted in `hooked` if it has hooks: it must hear
                        # of every edge), or no edge
                        if e is not None and (g is not None or e._hooks):
                            leaf(e, g)
                        continue
                    deps[e] = c = c - 1
                    if not c:
                        ready.append(e)
                in_grads = g = None   # (so that `_unshared` sees only the next node's)
    finally:
        STATE.enabled = prev_mode
    return run


def _call_node(node: Node, g: Any, run: _Run, needed: set | None, anomaly: bool,
               retain_graph: bool) -> tuple:
    """Run `node`'s backward on its pending gradient `g` (a Tensor, a list of one per
    output for multi-output nodes, or None when no gradient reached it): after its
    tensor hooks and retain_grad copies, capturing what autograd.grad asks for.  Returns
    the gradients for its inputs, all None when it did not run (no gradient, or no
    target of autograd.grad depends on it)."""
    owned = run.owned
    # Forget the popped buffers in `owned`: once freed, their id() may be reused by an
    # unrelated (possibly read-only or shared) gradient, which _sum must not then add
    # into in place.
    if type(g) is list:   # a multi-output node's slots (see _Run.add)
        gs = tuple(g)
        for x in gs:
            owned.discard(id(x))
    else:
        gs = None if g is None else (g,)
        owned.discard(id(g))
    if gs is not None and node._hooks is not None:
        gs = _prepare(node, gs, run)
    if needed is not None and gs is not None:
        targets = run.targets
        for idx, x in enumerate(gs):
            if (node, idx) in targets and x is not None:
                run.captured[(node, idx)] = x
    if gs is None or (needed is not None and node not in needed):
        return (None,) * len(node.next)
    in_grads = type(node).backward(node, *gs)
    if type(in_grads) is not tuple:
        in_grads = (in_grads,)
    if anomaly:
        from .anomaly import check_backward
        check_backward(node, in_grads)
    if not retain_graph:
        node.release()
    return in_grads


def _unshared(g: Tensor) -> bool:
    """Whether `g`, a gradient `_run` popped for a node, and its array are referenced
    only there (the loop's `g`), so that the node's backward may overwrite the
    array (see Node.reuses_grad).  Reference counts are exact in CPython up to 3.13;
    elsewhere this says False.  A hook, a captured or retained gradient, a second
    consumer, a view or a .grad holding the array all count."""
    d = g._data
    return (_EXACT_REFCOUNTS and type(d) is np.ndarray and getrefcount(g) == 3
            and getrefcount(d) == 3 and d.base is None and d.flags.writeable)


def _prepare(node: Node, gs: tuple, run: _Run) -> tuple:
    """The output gradients for `node`'s backward after its tensors' hooks run and
    retain_grad tensors take their copy."""
    hooks = node._hooks
    if hooks:
        gs = list(gs)
        for idx, fns in hooks.items():
            if gs[idx] is not None:
                gs[idx] = _call_hooks(fns, gs[idx], run)
        gs = tuple(gs)
    retained = node._retained
    if retained:
        for idx, ref in retained.items():
            t = ref()
            g = gs[idx]
            if t is not None and g is not None:
                g = g if run.create_graph else wrap(g.data.copy())
                t._grad = g if t._grad is None else t._grad + g
    return gs


def backward(tensors: Any, grad_tensors: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False, inputs: Any = None) -> None:
    """Accumulate the gradients of `tensors` into the ``.grad`` of the leaves.

    `grad_tensors` gives d(loss)/d(tensor) for each non-scalar tensor.  The graph's saved
    buffers are freed unless ``retain_graph`` (default: `create_graph`).  With
    ``create_graph`` the gradients are themselves differentiable.  `inputs` limits the
    accumulation to those tensors (leaves or not).
    """
    outputs = _as_tuple(tensors)
    refresh_views(outputs)   # (a view whose base changed in place gets its new history)
    grads = _root_grads(outputs, _as_tuple(grad_tensors) if grad_tensors is not None else (),
                        create_graph)
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is None:
        _run(outputs, grads, retain_graph, create_graph, accumulate=True)
        return
    inputs = _as_tuple(inputs)
    run, keys = _capture(outputs, inputs, grads, retain_graph, create_graph, "backward")
    done = set()
    for t, k in zip(inputs, keys):
        g = run.captured.get(k)
        if g is not None and k not in done:
            done.add(k)
            run.store(t, g, hooks=False)   # (they ran when the gradient was captured)


def _tensor_backward(self: Tensor, gradient: Any = None, retain_graph: bool | None = None,
                     create_graph: bool = False, inputs: Any = None) -> None:
    """Accumulate d(self)/d(leaf) into each leaf's ``.grad`` (see autograd.backward)."""
    backward((self,), None if gradient is None else (gradient,), retain_graph,
             create_graph, inputs=inputs)


_tensor_backward.__name__ = _tensor_backward.__qualname__ = "backward"
Tensor.backward = _tensor_backward


def _capture(outputs: tuple, inputs: tuple, grads: list, retain_graph: bool,
             create_graph: bool, fn: str) -> tuple:
    """Run backward from `outputs` capturing the gradients of `inputs`: (run, keys), the
    gradient of inputs[i] being ``run.captured.get(keys[i])``."""
    if not inputs:
        raise RuntimeError(f"{fn}: the `inputs` argument cannot be empty")
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"{fn}: input {i} is a {type(t).__name__}, not a Tensor")
        if not t._requires_grad:
            raise RuntimeError(f"{fn}: input {i} (shape {tuple(t.shape)}) does not require "
                               f"grad")
    keys = [id(t) if t.grad_fn is None else (t.grad_fn, t._out_idx) for t in inputs]
    run = _run(outputs, grads, retain_graph, create_graph, accumulate=False,
               targets=set(keys))
    return run, keys


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None,
         retain_graph: bool | None = None, create_graph: bool = False,
         allow_unused: bool | None = None, materialize_grads: bool = False) -> tuple:
    """Return d(outputs)/d(inputs) as a tuple, without touching any ``.grad``.

    `inputs` may be leaves or intermediate tensors.  An input the outputs do not depend
    on raises unless ``allow_unused`` (then its gradient is None, or zeros with
    ``materialize_grads``, which implies ``allow_unused``).
    """
    if materialize_grads and allow_unused is False:
        raise ValueError("grad: expected allow_unused to be True or not passed when "
                         "materialize_grads=True, but got: allow_unused=False.")
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    refresh_views(outputs)
    refresh_views(inputs)
    grads = _root_grads(outputs, _as_tuple(grad_outputs) if grad_outputs is not None else (),
                        create_graph, "grad")
    if retain_graph is None:
        retain_graph = create_graph
    run, keys = _capture(outputs, inputs, grads, retain_graph, create_graph, "grad")
    result = []
    for i, (t, k) in enumerate(zip(inputs, keys)):
        g = run.captured.get(k)
        if g is None:
            if materialize_grads:
                g = wrap(np.zeros_like(t.data))
            elif not allow_unused:
                raise RuntimeError(f"grad: one of the differentiated Tensors (input {i}, shape "
                                   f"{tuple(t.shape)}) appears to not have been used in the "
                                   f"graph. Set allow_unused=True if this is the desired "
                                   f"behavior.")
        result.append(g)
    return tuple(result)
