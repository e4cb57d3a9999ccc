"""The tape: nodes recorded as the program runs, and the registry of ops.

Every differentiable operation is an `Op` subclass with two static methods side by
side: `forward(ctx, *arrays, **params)` computes the result with NumPy, and
`backward(ctx, *grads)` returns one gradient per input written with Tensor
operations, so that with ``create_graph=True`` the backward is itself recorded and
can be differentiated again.

Calling an op goes through `apply`: when grad mode is on and some input requires
grad, a node (an instance of the op class, which doubles as the ``ctx``) is put on
the tape.  A node keeps

* ``next``: one edge per input: ``None`` (no grad needed), the leaf `Tensor` that
  accumulates, the producing node, or ``(node, output_index)`` for multi-output nodes;
* the buffers it saved for backward (its input tensors and/or its output array),
  which backward frees unless ``retain_graph`` is set;
* the in-place epoch at recording time: a saved tensor modified in place after that
  epoch makes backward raise instead of returning a wrong gradient.

Nodes point to nodes, never to intermediate tensors, so a tensor the program drops is
freed unless a node saved it.
"""
from __future__ import annotations

import sys
import traceback
from typing import Any, Callable

import numpy as np

from .grad_mode import STATE
from .tensor import Tensor, wrap

_new = Tensor.__new__
_new_node = object.__new__   # (ops define no __new__ or __init__: `apply` sets what they need)
_ndarray = np.ndarray

__all__ = ["Node", "Op", "apply", "register", "REGISTRY", "ShapeError"]


class ShapeError(ValueError, RuntimeError):
    """Incompatible shapes.  NumPy raises ValueError and PyTorch RuntimeError here, so
    this is both: code written for either catches it."""


# In-place epoch: bumped by every in-place change of a tensor's data.  A node records
# the epoch it was made in; only when the epoch has moved since does backward look at
# the saved tensors' own modification marks (the common case costs one comparison).
EPOCH = [0]

_NOT_SAVED = ()


class Node:
    """A recorded operation.  Subclasses set `name`; instances are made by `apply`."""

    name = "Node"
    n_out = 1                 # outputs per call (multi-output nodes override per instance)
    save_inputs = True        # keep the input tensors for backward
    save_output = False       # keep the output array for backward
    differentiable = True     # False: outputs never require grad (comparisons, argmax)
    view = False              # the output may alias the input's memory (gets 0-d arrays as is)
    keeps_shape = False       # one input, whose shape and dtype the output has (for graphs)
    reuses_grad = False       # backward may write into its output gradient (see engine)
    grad_free = False         # set by plain backward for one call: the gradient is this node's

    next: tuple
    _inputs: Any = _NOT_SAVED  # the input tensors (save_inputs ops); None once freed
    _extra = None             # arrays kept by `save`
    _out = None               # the saved output array (save_output ops)
    _out_vc = None            # the output's version counter at save time
    _module = None            # the nn.Module whose forward recorded this node
    _hooks = None             # {output index: [hook, ...]} from Tensor.register_hook
    _retained = None          # {output index: weakref to a tensor that retains its grad}
    #                           (set with _hooks, maybe {}: the engine tests only _hooks)

    def backward(self, *grads: Tensor) -> tuple:  # pragma: no cover - abstract
        raise NotImplementedError(f"{self.name} has no backward")

    @property
    def needs_input_grad(self) -> tuple:
        """Per input: whether it needs a gradient (derived from the edges when asked,
        which keeps recording, the hot path, one tuple lighter)."""
        edges = self.next
        if len(edges) == 2:   # (binary ops, the common case: no comprehension)
            return edges[0] is not None, edges[1] is not None
        return tuple([e is not None for e in edges])

    # ---- saved buffers -------------------------------------------------------------
    @property
    def inputs(self) -> tuple:
        """The input tensors (constants as given), checked against in-place changes."""
        saved = self._inputs
        if saved is None:
            raise _freed_error(self)
        if EPOCH[0] != self._epoch:
            for i, t in enumerate(saved):
                if isinstance(t, Tensor) and t._vc is not None and t._vc[1] > self._epoch:
                    raise _modified_error(self, t, f"input {i}")
        return saved

    @property
    def output(self) -> Tensor:
        """The (first) output as a Tensor connected to this node, checked like `inputs`."""
        data = self._out
        if data is None:
            raise _freed_error(self)
        vc = self._out_vc
        if vc is not None and vc[1] > self._epoch:
            out = wrap(data)
            out._vc = vc   # (the error reports its version)
            raise _modified_error(self, out, "its output")
        return wrap(data, self) if STATE.enabled else wrap(data)

    def save(self, *arrays: Any) -> None:
        """Keep intermediate arrays (masks, indices) for backward; freed with the rest."""
        self._extra = arrays

    @property
    def extra(self) -> tuple:
        """The arrays kept by `save`."""
        extra = self._extra
        if extra is None:
            raise _freed_error(self)
        return extra

    def release(self) -> None:
        """Free the buffers saved for backward (called by backward unless retain_graph)."""
        # A node that saved nothing stays usable: a second backward through it is fine.
        if self._inputs is not _NOT_SAVED or self._out is not None or self._extra is not None:
            self._inputs = None
            self._out = self._extra = None

    @property
    def next_functions(self) -> tuple:
        """PyTorch-style ((node_or_leaf, output_index), ...) for graph walkers."""
        out = []
        for e in self.next:
            if type(e) is tuple:
                out.append(e)
            else:
                out.append((e, 0))
        return tuple(out)

    def __repr__(self) -> str:
        return f"<{self.name}Backward>"

    def metadata(self) -> dict:
        """Where the node was created (filled in anomaly/site-recording mode)."""
        return self.__dict__.setdefault("_meta", {})


def _freed_error(node: Node) -> RuntimeError:
    return RuntimeError(
        f"Trying to backward through the graph a second time (or to use saved tensors after "
        f"they were freed): {node.name}Backward's saved buffers were freed by the first "
        f"backward. Specify retain_graph=True the first time you call backward() or "
        f"autograd.grad() if you need to backward through the graph again.")


def _modified_error(node: Node, t: Tensor, which: str) -> RuntimeError:
    return RuntimeError(
        f"one of the tensors needed for gradient computation has been modified by an "
        f"in-place operation: {which} of {node.name}Backward, a tensor of shape "
        f"{tuple(t.shape)} and dtype {t.dtype}, was saved for backward and then modified "
        f"(it is now at version {t._version}). Use an out-of-place operation, or clone() "
        f"the tensor before changing it.")


class Op(Node):
    """Base class of the built-in ops.  Subclasses define `forward` and `backward`
    as static methods; `apply(cls, ...)` calls them."""

    forward: Callable[..., Any]


_PKG = __file__.rsplit("/", 1)[0]


def _site() -> list:
    """The user's stack (frames outside this package) at the current op call, as
    FrameSummary objects whose source lines are read only when shown."""
    frames = []
    f = sys._getframe(1)
    while f is not None:
        code = f.f_code
        if not code.co_filename.startswith(_PKG):
            frames.append(traceback.FrameSummary(code.co_filename, f.f_lineno, code.co_name,
                                                 lookup_line=False))
        f = f.f_back
    frames.reverse()
    return frames


def record(node: Node, args: tuple, outs: tuple) -> None:
    """Wire `node` into the tape: one edge per input in `args`, outputs `outs` (Tensors).

    Custom Functions record through here; `apply`, the hot path, does the same inline."""
    refresh_views(args)
    node.next = tuple([_edge(a) if isinstance(a, Tensor) and a._requires_grad else None
                       for a in args])
    node._epoch = EPOCH[0]
    if STATE.tracing:
        _trace(node, args, outs)


def _trace(node: Node, args: tuple, outs: tuple, params: dict | None = None) -> None:
    """What recording does in tracing mode: the running module, the user's stack,
    the call itself (for check_tape's replay of an op) and the graph recorder."""
    st = STATE
    if st._modules:
        node._module = st._modules[-1]
    if st._anomaly or st._sites:
        node.metadata()["stack"] = _site()
    if st._sites and params is not None:
        node._replay = (args, params)
    if st._recorder is not None:
        st._recorder(node, outs)


def _edge(t: Tensor) -> Any:
    """The edge to a tensor that requires grad: the tensor itself for a leaf (which
    accumulates), else the node that made it, with the output index if it made several."""
    fn = t.grad_fn
    return t if fn is None else fn if fn.n_out == 1 else (fn, t._out_idx)


def apply(cls: type, *args: Any, **params: Any) -> Tensor:
    """Run op `cls` on `args` (Tensors or constants); record it when grad is needed."""
    st = STATE
    datas = []
    edges = None
    needs = False
    if st.enabled and cls.differentiable:
        edges = []
        for a in args:
            if isinstance(a, Tensor):
                vc = a._vc
                if vc is not None and len(vc) > 2:   # its view family's history changed
                    refresh_view(a)
                d = a._data
                if type(d) is _ndarray and not d.ndim and not cls.view:
                    d = d[()]   # as a NumPy scalar: several times cheaper arithmetic
                datas.append(d)
                if a._requires_grad:
                    needs = True
                    fn = a.grad_fn   # the edge (`_edge`, inlined)
                    edges.append(a if fn is None else fn if fn.n_out == 1 else (fn, a._out_idx))
                    continue
            else:
                datas.append(a)
            edges.append(None)
    else:   # nothing is recorded (no_grad, or plain backward): data only
        for a in args:
            if isinstance(a, Tensor):
                a = a._data
                if type(a) is _ndarray and not a.ndim and not cls.view:
                    a = a[()]
            datas.append(a)
    ctx = _new_node(cls)
    try:
        out = cls.forward(ctx, *datas, **params) if params else cls.forward(ctx, *datas)
    except (ValueError, IndexError, TypeError, np.linalg.LinAlgError) as e:
        raise _forward_error(cls, e, args) from None
    if type(out) is not _ndarray and not isinstance(out, np.generic):
        if type(out) is tuple:
            return _multi_output(ctx, args, params, out, needs, edges)
        out = np.asarray(out)
    result = _new(Tensor)   # wrap(), inlined: this is the hottest path
    result._data = out
    if not needs or out.dtype.kind not in "fc":
        result.grad_fn = None
        result._requires_grad = False
        return result
    result.grad_fn = ctx
    result._requires_grad = True
    if cls.save_inputs:
        ctx._inputs = args
    if cls.save_output:
        ctx._out = out
        ctx._out_vc = result._vc = [0, 0]
    ctx.next = tuple(edges)   # `record`, inlined
    ctx._epoch = EPOCH[0]
    if st.tracing:
        _trace(ctx, args, (result,), params)
    return result


def _multi_output(ctx: Node, args: tuple, params: dict, outs: tuple, record_it: bool,
                  edges: list) -> tuple:
    """Finish `apply` for an op whose forward returned a tuple of arrays."""
    outs = tuple(o if type(o) is np.ndarray or isinstance(o, np.generic) else np.asarray(o)
                 for o in outs)
    if not record_it:
        return tuple(wrap(o) for o in outs)
    ctx.n_out = len(outs)
    results = []
    for i, o in enumerate(outs):
        t = wrap(o, ctx if o.dtype.kind in "fc" else None)
        t._out_idx = i
        results.append(t)
    if type(ctx).save_inputs:
        ctx._inputs = args
    ctx.next = tuple(edges)
    ctx._epoch = EPOCH[0]
    if STATE.tracing:
        _trace(ctx, args, tuple(results), params)
    return tuple(results)


# ---- views: their grad_fn rebuilt after an in-place change of their family ----------
# A view made by `ops._util.view_op` in grad mode (or of a tensor requiring grad under
# no_grad) remembers ``_view = (parent, (cls, params), generation, kind)``, kind being ""
# (grad mode), "no_grad" or "multi" (one of several views made by one call, like split's).
# The tensors sharing one version counter are a view family; a recorded in-place change
# in a family gives it a new history generation, kept as a third slot of the counter.  So
# `apply` spots a view made before the change with one test per input (the slot exists)
# and rebuilds its grad_fn from its base's new history, as PyTorch does.

def new_history(vc: list) -> None:
    """Mark that a tensor of the view family sharing version counter `vc` got a new
    grad_fn in place, so views made before must rebuild theirs."""
    if len(vc) > 2:
        vc[2] += 1
    else:
        vc.append(1)


def view_chain(t: Tensor) -> tuple:
    """(the base that is not a view, the [(cls, params), ...] making `t` from it, the set
    of the non-empty kinds met on the way) of a view `t`."""
    steps, kinds = [], set()
    info = getattr(t, "_view", None)
    while info is not None:
        t, step, _, kind = info
        steps.append(step)
        if kind:
            kinds.add(kind)
        info = getattr(t, "_view", None)
    steps.reverse()
    return t, steps, kinds


def view_through(t: Tensor, steps: list) -> Tensor:
    """The view of `t` that `steps` (from `view_chain`) make, recorded."""
    for cls, params in steps:
        t = apply(cls, t, **params)
    return t


def refresh_view(t: Tensor) -> None:
    """Rebuild the grad_fn of `t`, if it is a view, from its base's current history when
    an in-place change in its family came after the view's grad_fn was set."""
    info = getattr(t, "_view", None)
    if info is None or info[2] == t._vc[2]:
        return
    root, steps, kinds = view_chain(t)
    if "multi" in kinds:
        raise RuntimeError(
            f"{info[1][0].name.lower()}: a view (shape {tuple(t.shape)}) made from an output "
            f"of a function that returns several views (split, chunk, unbind) is used after "
            f"its base or another view of its base was modified in place, so its gradient "
            f"is unknown. clone() the outputs, or make the views after the change.")
    t._view = (info[0], info[1], t._vc[2], info[3])
    if "no_grad" in kinds:   # a view made without history stays without
        return
    st = STATE
    prev, st.enabled = st.enabled, True   # (its history, whatever the mode it is used in)
    try:
        fresh = view_through(root, steps)
    finally:
        st.enabled = prev
    t.grad_fn, t._out_idx = fresh.grad_fn, fresh._out_idx
    t._requires_grad = fresh._requires_grad


def refresh_views(tensors: Any) -> None:
    """`refresh_view` each Tensor of `tensors` whose view family's history changed (for
    code that reads their grad_fn or requires_grad outside `apply`)."""
    for t in tensors:
        if isinstance(t, Tensor) and t._vc is not None and len(t._vc) > 2:
            refresh_view(t)


def _forward_error(cls: type, e: Exception, args: tuple) -> Exception:
    shapes = ", ".join(str(tuple(a.shape)) if isinstance(a, (Tensor, np.ndarray))
                       else type(a).__name__ for a in args)
    msg = f"{cls.name.lower()}: {e} (input shapes: {shapes})"
    if isinstance(e, ValueError) and ("broadcast" in str(e) or "mismatch" in str(e)
                                      or "shape" in str(e)):
        return ShapeError(msg)
    return builtin_error(e, msg)


def builtin_error(e: Exception, msg: str) -> Exception:
    """`msg` as an exception of e's nearest built-in class: NumPy's own subclasses
    (UFuncTypeError, ...) take other constructor arguments, and the built-in type is what
    callers catch anyway."""
    builtin = next(c for c in type(e).__mro__ if c.__module__ == "builtins")
    return builtin(msg)


# ---- registry of public ops ---------------------------------------------------------

REGISTRY: dict[str, Callable] = {}


def register(*method_names: str, name: str | None = None) -> Callable[[Callable], Callable]:
    """Register a public op function and attach it to Tensor under `method_names`.

    The function's first parameter is the tensor, so it works unchanged as a method.
    Every registered name must have a row in the tests' op table (a meta-test checks).
    """
    def deco(fn: Callable) -> Callable:
        REGISTRY[name or fn.__name__] = fn
        for m in method_names:
            setattr(Tensor, m, fn)
        return fn
    return deco
