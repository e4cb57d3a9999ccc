"""Custom differentiable operations: subclass `Function`, as in PyTorch.

    class Cube(autograd.Function):
        @staticmethod
        def forward(ctx, x):               # x: Tensor; runs with recording off
            ctx.save_for_backward(x)
            return x * x * x
        @staticmethod
        def backward(ctx, g):              # one gradient per forward input
            (x,) = ctx.saved_tensors
            return g * 3 * x * x           # Tensor ops: differentiable again

    y = Cube.apply(x)

How it sits on the tape: every Function class gets its own node class
(``CubeBackward``, a `graph.Node` subclass, shown as ``<CubeBackward>``), and
``apply`` records one node per call with `graph.record`, exactly like a built-in op.
The ``ctx`` handed to forward and backward is a separate `FunctionCtx` that the node
owns; it refers back to the node only weakly, so nothing a user puts on ``ctx`` can
form a reference cycle with the graph.  Saved outputs are kept as arrays (not as the
returned Tensors, whose ``grad_fn`` is the node), and rebuilt when backward reads
``ctx.saved_tensors`` - the reference-cycle leak PyTorch users hit does not exist here.

What the node checks for the user: ``saved_tensors`` raises when a saved tensor was
changed in place after forward (the same epoch/version mechanism as built-in ops) or
after the buffers were freed by a first backward; the gradients backward returns must
be one per forward input, and each must have its input's shape (or a shape that input
broadcasts to, which is then summed down, as PyTorch does) - otherwise the error names
the Function, the input index and both shapes.
"""
from __future__ import annotations

import functools
import warnings
import weakref
from types import SimpleNamespace
from typing import Any, Callable

import numpy as np

from .grad_mode import STATE
from .graph import (EPOCH, Node, ShapeError, _freed_error, _modified_error, record,
                     refresh_views)
from .ops.inplace import bump_version
from .ops.shape import sum_to
from .tensor import Tensor, wrap

__all__ = ["Function", "FunctionCtx", "BackwardFunction", "once_differentiable"]


class FunctionCtx:
    """The ``ctx`` of a custom `Function`: what forward leaves for backward.

    ``ctx.save_for_backward(*tensors)`` / ``ctx.saved_tensors``, ``ctx.needs_input_grad``
    (one bool per forward input), ``ctx.mark_non_differentiable(*outputs)``,
    ``ctx.mark_dirty(*inputs)``, ``ctx.set_materialize_grads(False)``; any other
    attribute may be set freely.
    """

    def __init__(self, needs_input_grad: tuple) -> None:
        self.needs_input_grad = needs_input_grad
        self.materialize_grads = True
        self._to_save: tuple | None = None   # as given to save_for_backward in forward
        self._saved: tuple | None = None     # resolved entries once the node is recorded
        self._freed = False
        self._non_differentiable: tuple = ()
        self._dirty: tuple = ()
        self._node_ref: Any = None           # weakref to the node (no cycle)
        self._name = "Function"
        self._epoch = 0

    def save_for_backward(self, *tensors: Tensor | None) -> None:
        """Keep `tensors` (inputs, outputs or intermediates; None allowed) for backward."""
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save Tensors or None, but "
                                f"argument {i} is a {type(t).__name__} (store other "
                                f"values as ctx attributes)")
        self._to_save = tensors

    @property
    def saved_tensors(self) -> tuple:
        """The tensors given to save_for_backward; raises if one was modified in place
        since forward, or if a previous backward freed them (see ``retain_graph``)."""
        entries = self._saved
        if entries is None:
            if self._freed:
                raise _freed_error(self._node())
            return tuple(self._to_save or ())
        node = self._node_ref()
        check = EPOCH[0] != self._epoch
        out = []
        for e in entries:
            if type(e) is not tuple:   # an input or another tensor, kept as it is
                if check and e is not None and e._vc is not None and e._vc[1] > self._epoch:
                    raise _modified_error(self._node(), e, f"saved tensor {len(out)}")
                out.append(e)
                continue
            idx, data, vc = e          # a saved output: rebuilt, connected to the node
            t = wrap(data, node if STATE.enabled else None)
            t._out_idx, t._vc = idx, vc
            if check and vc[1] > self._epoch:
                raise _modified_error(self._node(), t,
                                      f"saved tensor {len(out)} (output {idx})")
            out.append(t)
        return tuple(out)

    def _node(self) -> Any:
        """The node (for error messages), or a stand-in carrying its name."""
        node = self._node_ref() if self._node_ref is not None else None
        return node if node is not None else SimpleNamespace(name=self._name)

    def mark_non_differentiable(self, *outputs: Tensor) -> None:
        """Declare forward outputs that get no gradient (indices, masks)."""
        self._non_differentiable = self._non_differentiable + outputs

    def mark_dirty(self, *tensors: Tensor) -> None:
        """Declare inputs that forward modified in place; forward must return them.
        Each returned one is the input object itself, its history moved onto this call
        (and its version bumped), as for a built-in in-place op."""
        self._dirty = self._dirty + tensors

    def set_materialize_grads(self, value: bool) -> None:
        """With True (the default) backward receives zeros, not None, for outputs that
        got no gradient."""
        self.materialize_grads = bool(value)


class BackwardFunction(Node):
    """The tape node of one `Function.apply` call; each Function class has its own
    subclass named ``<Function>Backward``.  The engine calls its `backward`."""

    _fn: type                 # the Function subclass
    _ctx: FunctionCtx
    _in_meta: tuple           # per forward input: (shape, dtype) of a Tensor, else its type
    _out_meta: tuple          # per output: (shape, dtype) of a Tensor, else None

    def backward(self, *grads: Tensor | None) -> tuple:
        """Call the user's backward on the output gradients and check what it returns."""
        ctx = self._ctx
        if ctx.materialize_grads and any(g is None for g in grads):
            grads = tuple(wrap(np.zeros(*m)) if g is None and m is not None else g
                          for g, m in zip(grads, self._out_meta))
        fn = self._fn.backward
        create_graph = STATE.enabled
        once = create_graph and getattr(fn, "_once_differentiable", False)
        try:
            if once:
                STATE.enabled = False
                try:
                    result = fn(ctx, *grads)
                finally:
                    STATE.enabled = True
            else:
                result = fn(ctx, *grads)
            return self._check_grads(result, grads, create_graph, once)
        except Exception as e:
            if STATE.anomaly:   # say where the failing call was made, as PyTorch does
                from .anomaly import forward_site
                e.add_note(f"(in {self.name}Backward; the forward call that created it, "
                           f"most recent call last:)\n{forward_site(self)}")
            raise

    def _check_grads(self, result: Any, grads: tuple, create_graph: bool,
                     once: bool) -> tuple:
        name = f"{self.name}Backward"
        if type(result) is not tuple:
            result = (result,)
        n = len(self._in_meta)
        if len(result) != n:
            if len(result) > n and all(r is None for r in result[n:]):
                result = result[:n]
            else:
                raise RuntimeError(f"function {name} returned an incorrect number of "
                                   f"gradients (expected {n}, one per forward input; got "
                                   f"{len(result)})")
        out = []
        for i, (g, meta) in enumerate(zip(result, self._in_meta)):
            if g is None:
                out.append(None)
                continue
            if type(meta) is not tuple:
                raise RuntimeError(f"function {name} returned a gradient different than "
                                   f"None for input {i}, but that forward input was not a "
                                   f"Tensor (it was a {meta.__name__})")
            off_graph = not isinstance(g, Tensor)
            if off_graph and not isinstance(g, (np.ndarray, np.generic)):
                # no list or Python number: PyTorch's RuntimeError (NumPy arrays are ours)
                raise RuntimeError(f"function {name} returned a {type(g).__name__} as the "
                                   f"gradient for input {i}: expected Variable or None (got "
                                   f"{type(g).__name__}); return a Tensor, an ndarray or "
                                   f"None")
            if not self.needs_input_grad[i]:
                out.append(None)      # PyTorch ignores gradients nobody asked for
                continue
            shape, dtype = meta
            if off_graph:
                if g.dtype.kind not in "biufc":
                    raise RuntimeError(f"function {name} returned an ndarray of dtype "
                                       f"{g.dtype} as the gradient for input {i}; expected "
                                       f"a numeric array")
                g = wrap(np.asarray(g, dtype=dtype))
            if g.shape != shape:
                try:
                    ok = np.broadcast_shapes(shape, g.shape) == g.shape
                except ValueError:
                    ok = False
                if not ok:
                    raise ShapeError(f"function {name} returned an invalid gradient for "
                                     f"input {i}: got shape {tuple(g.shape)}, but input {i} "
                                     f"has shape {shape} (expected that shape or one it "
                                     f"broadcasts to)")
                g = sum_to(g, shape)
            if g.dtype != dtype:
                g = g.to(dtype)
            if once or (create_graph and off_graph):
                g = self._not_twice_differentiable(g, grads)
            out.append(g)
        return tuple(out)

    def _not_twice_differentiable(self, g: Tensor, grads: tuple) -> Tensor:
        """`g` was computed off the tape: give it a node that raises if a higher-order
        gradient tries to go through it (instead of silently returning zeros)."""
        deps = [t for t in grads if isinstance(t, Tensor) and t.requires_grad]
        if self._ctx._saved:
            deps += [t for t in self._ctx.saved_tensors if t is not None and t.requires_grad]
        if not deps:
            return g
        node = _NotTwiceDifferentiable()
        node.name = f"{self.name}Backward"
        out = wrap(g.data, node)
        record(node, tuple(deps), (out,))
        return out

    @property
    def saved_tensors(self) -> tuple:
        """What forward saved (``grad_fn.saved_tensors``, as in PyTorch); raises once a
        backward without retain_graph freed it."""
        return self._ctx.saved_tensors

    def release(self) -> None:
        """Drop the saved tensors (the engine calls this after backward)."""
        ctx = self._ctx
        if ctx._saved is not None:
            ctx._saved = None
            ctx._freed = True
        self.__dict__.pop("_inputs", None)


class _NotTwiceDifferentiable(Node):
    """Stands in for the backward of a gradient that was computed outside the tape."""

    save_inputs = False

    def backward(self, *grads: Tensor) -> tuple:
        raise RuntimeError(
            f"trying to differentiate twice through function {self.name}: its backward "
            f"is marked @once_differentiable or returned NumPy arrays, so its own "
            f"gradient is unknown. Write the backward with Tensor operations to allow "
            f"higher-order gradients.")


def once_differentiable(backward: Callable) -> Callable:
    """Decorator for a Function's backward that is not itself differentiable (written
    with NumPy, say): it runs with recording off, and a higher-order gradient through
    it raises instead of silently treating it as constant."""
    @functools.wraps(backward)
    def wrapper(ctx: FunctionCtx, *grads: Any) -> Any:
        return backward(ctx, *grads)
    wrapper._once_differentiable = True  # type: ignore[attr-defined]
    return wrapper


class Function:
    """Base class of user-defined differentiable operations (see the module doc).

    Subclasses define ``forward(ctx, *args, **kwargs)`` and ``backward(ctx, *grads)`` as
    static methods (or ``forward(*args)`` plus ``setup_context(ctx, inputs, output)``,
    PyTorch's newer style) and are called through ``apply``.  forward receives the
    arguments as given (Tensors, other values) with recording off, and returns a Tensor,
    an ndarray, or a tuple of them (other values pass through).  backward receives one
    gradient per output and returns one per positional forward input (None for
    non-Tensor inputs or where no gradient is needed, see ``ctx.needs_input_grad``).
    """

    _backward_cls: type

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._backward_cls = type(f"{cls.__name__}Backward", (BackwardFunction,),
                                 {"name": cls.__name__, "_fn": cls,
                                  "__module__": cls.__module__,
                                  "__doc__": f"Tape node of {cls.__name__}.apply."})

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any, **kwargs: Any) -> Any:
        """Compute the outputs (recording is off); override."""
        raise NotImplementedError("You must implement the forward function for a custom "
                                  "autograd.Function.")

    @staticmethod
    def setup_context(ctx: FunctionCtx, inputs: tuple, output: Any) -> None:
        """Optional: fill ctx from the inputs and output when forward takes no ctx."""
        raise NotImplementedError

    @staticmethod
    def backward(ctx: FunctionCtx, *grads: Any) -> Any:
        """Return one gradient per forward input; override."""
        raise NotImplementedError("You must implement the backward function for a custom "
                                  "autograd.Function.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError(f"{type(self).__name__}: custom Functions are not instantiated; "
                           f"call {type(self).__name__}.apply(...) instead.")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Run forward on `args` and, when some Tensor input requires grad (and grad mode
        is on), record a node whose backward is this class's backward."""
        refresh_views(args)
        record_it = STATE.enabled and any(
            isinstance(a, Tensor) and a.requires_grad for a in args)
        # per input its requires_grad, even under no_grad (as PyTorch reports it)
        ctx = FunctionCtx(tuple(isinstance(a, Tensor) and a.requires_grad for a in args))
        prev = STATE.enabled
        STATE.enabled = False
        try:
            if cls.setup_context is Function.setup_context:
                result = cls.forward(ctx, *args, **kwargs)
            else:
                result = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, result)
        finally:
            STATE.enabled = prev
        multi = type(result) is tuple
        outs = result if multi else (result,)
        dirty = _dirty_inputs(ctx, args, outs, record_it)
        if not record_it:
            for t in dirty:
                bump_version(t)
            outs = tuple(wrap(np.asarray(o)) if isinstance(o, (np.ndarray, np.generic))
                         else o for o in outs)
            return outs if multi else outs[0]
        return _record(cls, ctx, args, outs, multi, dirty)


def _dirty_inputs(ctx: FunctionCtx, args: tuple, outs: tuple, record_it: bool) -> list:
    """The inputs given to ctx.mark_dirty, checked as PyTorch checks them."""
    dirty = []
    for t in ctx._dirty:
        if not any(t is o for o in outs):
            raise RuntimeError("Some elements marked as dirty during the forward method were "
                               "not returned as output. The inputs that are modified "
                               "inplace must all be outputs of the Function.")
        if not any(t is a for a in args):
            warnings.warn("ctx.mark_dirty() received a tensor that was not an input. Only "
                          "input Tensors that have been mutated should be passed to "
                          "ctx.mark_dirty().", stacklevel=3)
            continue
        if record_it and t.grad_fn is None and t._requires_grad:
            raise RuntimeError(f"a leaf Variable that requires grad (shape "
                               f"{tuple(t.shape)}) has been used in an in-place operation "
                               f"(ctx.mark_dirty)")
        if record_it and getattr(t, "_view", None) is not None:
            # Its base's history would have to be rebased too (as built-in in-place ops
            # do); refused rather than giving the base a wrong gradient.
            raise RuntimeError(f"mark_dirty: input (shape {tuple(t.shape)}) is a view; a "
                               f"custom Function may only modify non-view tensors in place "
                               f"here. clone() it first.")
        dirty.append(t)
    return dirty


def _record(cls: type, ctx: FunctionCtx, args: tuple, outs: tuple, multi: bool,
            dirty: list) -> Any:
    """Wire one Function call into the tape: node, outputs, saved tensors."""
    node = cls._backward_cls.__new__(cls._backward_cls)
    node._ctx = ctx
    node._in_meta = tuple((a.shape, a.dtype) if isinstance(a, Tensor) else type(a)
                          for a in args)
    ctx._node_ref = weakref.ref(node)
    ctx._name = cls.__name__
    non_diff = {id(t) for t in ctx._non_differentiable}
    dirty_ids = {id(t) for t in dirty}
    results, out_meta, out_ids, rebase = [], [], {}, []
    for i, o in enumerate(outs):
        if isinstance(o, (Tensor, np.ndarray, np.generic)):
            data = o.data if isinstance(o, Tensor) else np.asarray(o)
            diff = data.dtype.kind in "fc" and id(o) not in non_diff
            if id(o) in dirty_ids:
                t = o                  # rebased once the node has its input edges
                rebase.append((t, i, diff))
            else:
                t = wrap(data, node if diff else None)
                t._out_idx = i
            out_ids[id(o)] = (i, t)
            out_meta.append((data.shape, data.dtype))
        else:
            t = o                      # a non-Tensor output passes through
            out_meta.append(None)
        results.append(t)
    if len(outs) != 1:
        node.n_out = len(outs)
    node._out_meta = tuple(out_meta)
    if ctx._to_save is not None:
        ctx._saved = tuple(_saved_entry(t, args, out_ids) for t in ctx._to_save)
        ctx._to_save = None
    if STATE.sites:                    # tape-replay checks need the inputs themselves
        node._inputs = args
    record(node, args, tuple(results))
    for t, i, diff in rebase:
        bump_version(t)
        t.grad_fn, t._requires_grad, t._out_idx = (node if diff else None), diff, i
    if rebase:   # the changes above are this call's own, not a later in-place change
        node._epoch = EPOCH[0]
    ctx._epoch = node._epoch
    return tuple(results) if multi else results[0]


def _saved_entry(t: Tensor | None, args: tuple, out_ids: dict) -> Any:
    """How one saved tensor is kept: inputs and other tensors as they are, outputs as
    (index, array, version counter) so the node does not hold a Tensor pointing back at
    itself."""
    if t is None or any(t is a for a in args):
        return t
    hit = out_ids.get(id(t))
    if hit is None:
        return t
    i, out = hit
    if out.grad_fn is None:            # a non-differentiable output: a plain tensor
        return out
    out._vc = vc = [0, 0]
    return (i, out.data, vc)
