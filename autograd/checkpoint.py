"""Activation checkpointing, PyTorch's ``torch.utils.checkpoint``: trade compute for
memory by not keeping a block's intermediate activations between forward and backward.

    y = checkpoint(block, x, use_reentrant=False)   # block(x), intermediates dropped
    y.sum().backward()                              # block(x) runs again, then backward

How it sits on the tape: the forward of ``function`` is recorded while a graph
recorder (``STATE.recorder``) collects the nodes it makes.  Once the function returns,
the edges leaving the segment (the arguments, module weights and any other tensor the
function read) become the edges of one node, ``<CheckpointBackward>``, and the
segment's outputs are re-issued as that node's outputs; the segment's own nodes, and
everything they saved, are then garbage.  That node keeps only the arguments (and the
random generator state).  Its backward re-runs the function with grad mode on (on
detached copies of the arguments, so the recomputed graph ends at them), with the
generator state of the original forward, and takes the gradients at the same boundary
with `autograd.grad`: the same NumPy operations as without checkpointing, so the
gradients are equal to the bit.  With ``create_graph`` the recomputation runs on the
arguments themselves, so higher-order gradients go through a checkpoint too.

Both of PyTorch's variants share this implementation; ``use_reentrant=True`` (what
PyTorch 2.13 uses when the argument is not passed, with a warning) keeps the
observable differences of PyTorch's reentrant variant: no keyword arguments, no
``context_fn``/``debug``, no gradient at all (and a warning) when no tensor argument
requires grad, every floating output of a Tensor or top-level tuple requiring grad,
no determinism check, and a forward that keeps no saved buffer even while it runs (as
under no_grad), so that the function cannot differentiate inside.
"""
from __future__ import annotations

import contextlib
import warnings
from typing import Any, Callable, ContextManager, Iterator

import numpy as np

from .engine import grad as _grad
from .grad_mode import STATE, enable_grad, no_grad
from .graph import EPOCH, Node, _edge, _freed_error, _modified_error, _trace
from .random import _GEN
from .tensor import Tensor, wrap

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointError", "noop_context_fn"]

_DETERMINISM_CHECKS = ("default", "none")

_DEBUG_TIP = ("Tip: pass debug=True to checkpoint(...) to see the operations run during "
              "the original forward and the recomputation.")


class CheckpointError(RuntimeError):
    """The recomputation in backward did not do what the original forward did (see
    ``determinism_check``)."""


def noop_context_fn() -> tuple[ContextManager, ContextManager]:
    """The default ``context_fn``: no context around the forward or the recomputation."""
    return contextlib.nullcontext(), contextlib.nullcontext()


def _warn_use_reentrant(fn: str) -> None:
    warnings.warn(f"{fn}: the use_reentrant parameter should be passed explicitly. "
                  f"Starting in PyTorch 2.9, calling checkpoint without use_reentrant "
                  f"will raise an exception. use_reentrant=False is recommended, but if "
                  f"you need to preserve the current default behavior, you can pass "
                  f"use_reentrant=True. Refer to docs for more details on the "
                  f"differences between the two variants.", stacklevel=3)


def _map(fn: Callable[[Tensor], Any], obj: Any) -> Any:
    """`obj` with fn applied to every Tensor inside tuples, lists and dicts."""
    if isinstance(obj, Tensor):
        return fn(obj)
    if isinstance(obj, (tuple, list)):
        items = [_map(fn, o) for o in obj]
        if type(obj) is list:
            return items
        return type(obj)(*items) if hasattr(obj, "_fields") else type(obj)(items)
    if type(obj) is dict:
        return {k: _map(fn, v) for k, v in obj.items()}
    return obj


def _tensors(obj: Any) -> list:
    """The Tensors inside `obj` (nested tuples, lists, dicts), in order."""
    found: list = []
    _map(found.append, obj)
    return found


def _key(e: Any) -> Any:
    """The engine's name for the target of edge `e`: id of a leaf, (node, index) else
    (as `engine._capture` keys what autograd.grad asks for)."""
    if type(e) is tuple:
        return e
    if isinstance(e, Node):
        return (e, 0)
    return id(e)


class _Segment:
    """Context that collects the nodes recorded inside it (chaining to a recorder
    already installed).  `free`: drop each node's saved buffers at once (the forward
    then holds no more than under no_grad, but nothing inside may differentiate);
    `meta`: keep each node's output shapes and dtypes (determinism check); `names`:
    keep op names (debug)."""

    def __init__(self, free: bool, meta: bool, names: bool) -> None:
        self.free = free
        self.ids: set = set()
        self.meta: list | None = [] if meta else None
        self.names: list | None = [] if names else None

    def __enter__(self) -> _Segment:
        self.prev = STATE.recorder
        STATE.recorder = self._record
        return self

    def __exit__(self, *exc: object) -> None:
        STATE.recorder = self.prev

    def _record(self, node: Node, outs: tuple) -> None:
        self.ids.add(id(node))
        if self.meta is not None:
            self.meta.append((node.name, tuple(
                {"shape": tuple(o.shape), "dtype": str(o.dtype)} for o in outs
                if isinstance(o, Tensor))))
        if self.names is not None:
            self.names.append(f"{node.name}Backward")
        if self.prev is not None:
            self.prev(node, outs)
        if self.free:
            node.release()

    def boundary(self, roots: list) -> dict:
        """{engine key: edge} of the edges from the segment's nodes reachable from the
        tensors `roots` to outside it (leaves, earlier nodes); a root made outside the
        segment is itself on the boundary."""
        ids, found = self.ids, {}
        stack, seen = [], set()
        for t in roots:
            fn = t.grad_fn
            if fn is not None and id(fn) in ids:
                if id(fn) not in seen:
                    seen.add(id(fn))
                    stack.append(fn)
            else:
                e = _edge(t)
                found.setdefault(_key(e), e)
        while stack:
            for e in stack.pop().next:
                if e is None:
                    continue
                target = e[0] if type(e) is tuple else e
                if isinstance(target, Node) and id(target) in ids:
                    if id(target) not in seen:
                        seen.add(id(target))
                        stack.append(target)
                else:
                    found.setdefault(_key(e), e)
        return found


@contextlib.contextmanager
def _rng_as_in_forward(state: tuple | None) -> Iterator[None]:
    """Run the block with a generator in `state` (the forward's) as the global one; the
    caller's generator is left exactly as it was (nothing drawn from it)."""
    if state is None:
        yield
        return
    cls, bits = state
    gen = np.random.Generator(cls())
    gen.bit_generator.state = bits
    prev = _GEN[0]
    _GEN[0] = gen
    try:
        yield
    finally:
        _GEN[0] = prev


def _candidates(out: Any, reentrant: bool) -> list:
    """The tensors of `out` that may become outputs of the checkpoint node: for the
    reentrant variant only a Tensor or the Tensors of a top-level tuple (what a
    PyTorch Function returns), else every Tensor in nested tuples, lists and dicts."""
    if not reentrant:
        return _tensors(out)
    if isinstance(out, Tensor):
        return [out]
    return [o for o in out if isinstance(o, Tensor)] if type(out) is tuple else []


class _CheckpointBackward(Node):
    """The tape node of one checkpointed call: its edges are the segment's boundary,
    its backward recomputes the segment and differentiates it."""

    name = "Checkpoint"
    save_inputs = False

    _fn: Any
    _args: tuple | None
    _kwargs: dict
    _versions: list        # (argument index, tensor, version at the call)
    _rng: tuple | None
    _recompute_ctx: Any
    _picks: tuple          # per output, its position in `_candidates` of the result
    _keys: tuple           # per edge, its engine key
    _reentrant: bool
    _fwd_meta: list | None  # per forward node: (name, output shapes and dtypes)
    _ops: list | None      # forward op names (debug)

    def release(self) -> None:
        """Drop the arguments and the rest of the recipe (called by backward unless
        retain_graph)."""
        self._args = self._fwd_meta = self._ops = None
        self._kwargs = self._fn = self._rng = self._recompute_ctx = None
        self._versions = []

    def backward(self, *grads: Tensor | None) -> tuple:
        """Recompute the segment with grad on and return the gradients at its
        boundary."""
        args = self._args
        if args is None:
            raise _freed_error(self)
        for i, t, version in self._versions:
            if t._version != version:
                raise _modified_error(self, t, f"argument {i}")
        create_graph = STATE.enabled
        detached: dict = {}   # id(detached copy) -> key of the argument it stands for

        def detach(a: Tensor) -> Tensor:
            if not a._requires_grad:
                return a
            d = a.detach().requires_grad_(True)
            detached[id(d)] = _key(_edge(a))
            return d

        if not create_graph:   # (the recomputed graph then ends at the arguments)
            args = tuple(detach(a) if isinstance(a, Tensor) else a for a in args)
        debug = self._ops is not None
        with _rng_as_in_forward(self._rng), self._recompute_ctx, enable_grad(), \
                _Segment(False, self._fwd_meta is not None, debug) as seg:
            out = self._fn(*args, **self._kwargs)
        self._check_determinism(seg)
        found = _candidates(out, self._reentrant)
        roots, root_grads = [], []
        for pick, g in zip(self._picks, grads):
            r = found[pick] if pick < len(found) else None
            if not (isinstance(r, Tensor) and r._requires_grad):
                continue
            if g is None:
                if not self._reentrant:
                    continue
                g = wrap(np.zeros_like(r._data))   # (a Function's materialized grad)
            roots.append(r)
            root_grads.append(g)
        if not roots:
            if self._reentrant:
                raise RuntimeError("none of output has requires_grad=True, this "
                                   "checkpoint() is not necessary")
            return (None,) * len(self.next)
        keys, targets = [], []
        for key, e in seg.boundary(roots).items():
            if type(key) is tuple:   # an earlier node: a stand-in tensor names it
                t = wrap(np.empty(0), key[0])
                t._out_idx = key[1]
            else:
                t = e
                key = detached.get(key, key)
            keys.append(key)
            targets.append(t)
        gs = self._grad_at(roots, root_grads, targets, create_graph) if targets else ()
        total: dict = {}
        for key, g in zip(keys, gs):
            if g is not None:
                total[key] = g if key not in total else total[key] + g
        return tuple(total.get(k) for k in self._keys)

    @staticmethod
    def _grad_at(roots: list, root_grads: list, targets: list, create_graph: bool) -> tuple:
        """autograd.grad at `targets` with their hooks held back: the outer backward
        runs them once, when it delivers what this node returns."""
        owners = [t if t.grad_fn is None else t.grad_fn for t in targets]
        hooks = [o.__dict__.get("_hooks") for o in owners]
        for o, h in zip(owners, hooks):
            if h is not None:
                o._hooks = None
        try:
            return _grad(roots, targets, root_grads, retain_graph=create_graph,
                         create_graph=create_graph, allow_unused=True)
        finally:
            for o, h in zip(owners, hooks):
                if h is not None:
                    o._hooks = h

    def _check_determinism(self, seg: _Segment) -> None:
        """CheckpointError when the recomputation recorded other ops, or outputs of
        other shapes or dtypes, than the original forward."""
        saved, again = self._fwd_meta, seg.meta
        if saved is None or saved == again:
            return
        assert again is not None
        if len(saved) != len(again):
            msg = (f"checkpoint: a different number of operations was recorded during "
                   f"the original forward and the recomputation.\nNumber of operations "
                   f"recorded during forward: {len(saved)}\nNumber of operations recorded "
                   f"during recomputation: {len(again)}.")
        else:
            lines = "".join(f"operation at position {i} ({a[0]}):\nsaved metadata: {a[1]}\n"
                            f"recomputed metadata: {b[1]}\n"
                            for i, (a, b) in enumerate(zip(saved, again)) if a != b)
            msg = (f"checkpoint: Recomputed values for the following tensors have "
                   f"different metadata than during the forward pass.\n{lines}")
        if self._ops is not None:
            msg += ("\nOperations in the original forward:\n" + "\n".join(self._ops)
                    + "\n\nOperations in the recomputation:\n" + "\n".join(seg.names or ()))
        else:
            msg += "\n" + _DEBUG_TIP
        raise CheckpointError(msg)


_ContextFn = Callable[[], "tuple[ContextManager, ContextManager]"]


def checkpoint(function: Callable, *args: Any, use_reentrant: bool | None = None,
               context_fn: _ContextFn | None = noop_context_fn,
               determinism_check: str = "default", debug: bool = False,
               early_stop: bool = True, preserve_rng_state: bool = True,
               **kwargs: Any) -> Any:
    """``function(*args, **kwargs)`` without keeping its intermediate activations: they
    are recomputed in backward (``torch.utils.checkpoint.checkpoint``).

    Gradients reach the tensor arguments and every tensor the function reads (module
    weights) and equal those of the plain call.  ``preserve_rng_state``: the
    recomputation draws the same random numbers (dropout) as the forward did.
    ``use_reentrant`` should be given; when not, PyTorch 2.13 warns and uses True (as
    here), whose limits this keeps (see the module doc).  ``context_fn`` returns two
    context managers, entered around the forward and the recomputation;
    ``determinism_check`` is "default" (the recomputation must record the same ops with
    the same output shapes and dtypes, else CheckpointError) or "none"; ``debug`` adds
    both op lists to that error; ``early_stop`` is accepted (the recomputation always
    runs the whole function).
    """
    if use_reentrant is None:
        _warn_use_reentrant("checkpoint")
        use_reentrant = True
    if context_fn is None:
        context_fn = noop_context_fn
    if use_reentrant:
        if kwargs:
            raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
        if context_fn is not noop_context_fn or debug is not False:
            raise ValueError("Passing `context_fn` or `debug` is only supported when "
                             "use_reentrant=False.")
        if not any(isinstance(a, Tensor) and a._requires_grad for a in args):
            warnings.warn("None of the inputs have requires_grad=True. Gradients will be "
                          "None", stacklevel=2)
            with no_grad():
                return function(*args)
        forward_ctx: Any = contextlib.nullcontext()
        recompute_ctx: Any = contextlib.nullcontext()
    else:
        if debug and context_fn is not noop_context_fn:
            raise ValueError("debug=True is incompatible with non-default context_fn")
        if determinism_check not in _DETERMINISM_CHECKS:
            raise ValueError(f"determinism_check should be one of "
                             f"{list(_DETERMINISM_CHECKS)}, but got {determinism_check}")
        forward_ctx, recompute_ctx = context_fn()
    if not STATE.enabled:   # nothing is recorded, so nothing to save
        with forward_ctx:
            return function(*args, **kwargs)
    gen = _GEN[0]
    rng = (type(gen.bit_generator), gen.bit_generator.state) if preserve_rng_state else None
    versions = [(i, t, t._version) for i, a in enumerate(args) for t in _tensors(a)]
    check = not use_reentrant and determinism_check == "default"
    debug = bool(debug) and not use_reentrant
    # (the reentrant variant frees saved buffers at once, as its no_grad forward keeps
    # none; the other keeps them until the function returns: it may differentiate inside)
    with _Segment(use_reentrant, check, debug) as seg, forward_ctx:
        out = function(*args, **kwargs)
    return _connect(out, seg, function, args, kwargs, versions, rng, recompute_ctx,
                    use_reentrant)


def _connect(out: Any, seg: _Segment, function: Callable, args: tuple, kwargs: dict,
             versions: list, rng: tuple | None, recompute_ctx: Any, reentrant: bool) -> Any:
    """`out` with its tensors made by the segment re-issued as outputs of one
    checkpoint node whose edges are the segment's boundary."""
    picks, sources = [], []
    for i, t in enumerate(_candidates(out, reentrant)):
        fn = t.grad_fn
        mine = fn is not None and id(fn) in seg.ids
        if (t._data.dtype.kind in "fc" if reentrant else mine) and \
                all(t is not s for s in sources):
            picks.append(i)
            sources.append(t)
    made: dict = {}
    if sources:
        _record(sources, made, seg, function, args, kwargs, versions, rng, recompute_ctx,
                reentrant, tuple(picks))
    if not reentrant:
        return _map(lambda t: made.get(id(t), t), out) if made else out
    # The reentrant variant's forward ran under no_grad in PyTorch: what it returns
    # besides its output tensors does not require grad.
    def top(t: Any) -> Any:
        if isinstance(t, Tensor):
            return made.get(id(t), t.detach() if t._requires_grad else t)
        return _map(lambda u: u.detach() if u._requires_grad else u, t)
    return tuple(top(o) for o in out) if type(out) is tuple else top(out)


def _record(sources: list, made: dict, seg: _Segment, function: Callable, args: tuple,
            kwargs: dict, versions: list, rng: tuple | None, recompute_ctx: Any,
            reentrant: bool, picks: tuple) -> None:
    """Put the checkpoint node on the tape; `made` maps id(source) to its output."""
    node = _CheckpointBackward()
    node.name = "CheckpointFunction" if reentrant else "Checkpoint"
    bound = seg.boundary([t for t in sources if t._requires_grad])
    node.next = tuple(bound.values())
    node._keys = tuple(bound)
    node._fn, node._args, node._kwargs = function, args, kwargs
    node._versions, node._rng, node._recompute_ctx = versions, rng, recompute_ctx
    node._picks, node._reentrant = picks, reentrant
    node._fwd_meta, node._ops = seg.meta, seg.names
    node._epoch = EPOCH[0]
    if len(sources) != 1:
        node.n_out = len(sources)
    for i, t in enumerate(sources):
        r = made[id(t)] = wrap(t._data, node)
        r._out_idx = i
    if STATE.tracing:
        _trace(node, args, tuple(made.values()))


def checkpoint_sequential(functions: Any, segments: int, input: Tensor,
                          use_reentrant: bool | None = None, **kwargs: Any) -> Tensor:
    """Run `functions` (an nn.Sequential, or a list of modules or functions) in order on
    `input`, split into `segments` chunks of which all but the last are checkpointed
    (``torch.utils.checkpoint.checkpoint_sequential``; ``preserve_rng_state`` may be
    passed as a keyword)."""
    if use_reentrant is None:
        _warn_use_reentrant("checkpoint_sequential")
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if callable(getattr(functions, "children", None)):   # a container Module
        functions = list(functions.children())
    n = len(functions)
    if segments == 0:
        raise ZeroDivisionError(f"checkpoint_sequential: segments must be a positive "
                                f"number of chunks, got 0 (for {n} functions)")
    if segments < 0 or n // segments == 0:
        raise ValueError(f"checkpoint_sequential: segments must be between 1 and the "
                         f"number of functions ({n}), got {segments}")

    def run(start: int, end: int) -> Callable:
        def forward(x: Any) -> Any:
            for j in range(start, end + 1):
                x = functions[j](x)
            return x
        return forward

    size = n // segments
    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant,
                           preserve_rng_state=preserve)
    return run(end + 1, n - 1)(input)
