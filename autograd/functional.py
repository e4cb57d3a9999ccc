"""Function transforms with PyTorch's signatures: `vjp`, `jvp`, `jacobian`, `hessian`,
`hvp`, `vhp` (``torch.autograd.functional``).

Each takes ``func`` and ``inputs`` (a Tensor or a tuple of Tensors) and returns results
shaped like PyTorch's: a Tensor where PyTorch gives a Tensor, a tuple where inputs or
outputs were tuples.  The inputs are used through detached copies, so nothing
accumulates into their ``.grad``; with ``create_graph=True`` the results are
differentiable with respect to the original inputs.  ``strict=True`` raises when an
output does not depend on an input instead of returning zeros.

Forward-mode products use the double-vjp trick: for u -> g(u) = J^T u (linear in u,
recorded with create_graph), ``J v = d<g(u), v>/du``; so ``jvp`` costs two backward
passes and needs no forward-mode engine.  ``jacobian`` runs one vector-Jacobian product
per output element over a single recorded forward (the engine has no batched
backward; ``vectorize`` is accepted for compatibility and changes nothing).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .engine import grad as _grad
from .grad_mode import STATE, enable_grad, set_grad_enabled
from .tensor import Tensor, wrap

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


def _tuple(x: Any, what: str, fn: str) -> tuple:
    """(was it a tuple, the Tensors as a tuple); TypeError for anything else, a list
    included (as PyTorch: a list is not a tuple of Tensors there)."""
    is_tuple = isinstance(x, tuple)
    xs = x if is_tuple else (x,)
    for i, t in enumerate(xs):
        if not isinstance(t, Tensor):
            at = f"the value at index {i}" if is_tuple else f"the given {what}"
            raise TypeError(f"{fn}: the {what} must be either a Tensor or a tuple of "
                            f"Tensors, but {at} has type {type(t).__name__}")
    return is_tuple, xs


def _prep(xs: tuple, create_graph: bool, fn: str, need_grad: bool = True) -> tuple:
    """Inputs to differentiate at: the originals when the result must stay connected to
    them (create_graph), else detached copies, so nothing accumulates into user leaves."""
    out = []
    for i, x in enumerate(xs):
        if create_graph and x.requires_grad:
            out.append(x)
            continue
        if need_grad:
            _check_float(x, i, fn)
        d = x.detach()
        d.requires_grad = need_grad
        out.append(d)
    return tuple(out)


def _check_float(x: Tensor, i: int, fn: str) -> None:
    # RuntimeError, as PyTorch's requires_grad_() raises on an integer input
    if x.dtype.kind not in "fc":
        raise RuntimeError(f"{fn}: input {i} has dtype {x.dtype}; only Tensors of floating "
                           f"point dtype can require gradients")


def _check_v(v: Any, ref: tuple, ref_is_tuple: bool, fn: str, create_graph: bool) -> tuple:
    _, vs = _tuple(v, "v", fn)
    if len(vs) != len(ref):
        raise RuntimeError(f"{fn}: v is a tuple of invalid length: should be {len(ref)} but "
                           f"got {len(vs)}" if ref_is_tuple else
                           f"{fn}: the given v should contain a single Tensor")
    for i, (a, b) in enumerate(zip(vs, ref)):
        if a.shape != b.shape:
            where = f"entry {i} of " if ref_is_tuple else ""
            raise RuntimeError(f"{fn}: {where}v has invalid size: should be "
                               f"{tuple(b.shape)} but got {tuple(a.shape)}")
    return _prep(vs, create_graph, fn, need_grad=False)


def _outputs(func: Callable, xs: tuple, fn: str, strict: bool) -> tuple:
    is_tuple, outs = _tuple(func(*xs), "outputs of the user-provided function", fn)
    if strict:
        for i, o in enumerate(outs):
            if not o.requires_grad:
                raise RuntimeError(f"{fn}: output {i} of the user-provided function does "
                                   f"not require gradients. The outputs must be computed "
                                   f"in a differentiable manner from the input when "
                                   f"running in strict mode.")
    return is_tuple, outs


def _single_output(func: Callable, xs: tuple, fn: str, strict: bool) -> Tensor:
    is_tuple, outs = _outputs(func, xs, fn, strict)
    if is_tuple or len(outs) != 1:
        raise RuntimeError(f"{fn}: the function should return a single Tensor")
    if outs[0].data.size != 1:
        raise RuntimeError(f"{fn}: the Tensor returned by the function should contain a "
                           f"single element, got shape {tuple(outs[0].shape)}")
    return outs[0]


def _vjps(outs: tuple, xs: tuple, gos: Any, create_graph: bool,
          retain_graph: bool | None = None) -> tuple:
    """grad(outs, xs, gos) over the outputs that require grad (None where unused)."""
    keep = [k for k, o in enumerate(outs) if o.requires_grad]
    if not keep:
        return (None,) * len(xs)
    gos = None if gos is None else [gos[k] for k in keep]
    return _grad([outs[k] for k in keep], xs, gos, retain_graph=retain_graph,
                 create_graph=create_graph, allow_unused=True)


def _fill(grads: tuple, refs: tuple, strict: bool, create_graph: bool, msg: str) -> tuple:
    """Zeros for None (independent) results; strict mode raises instead."""
    out = []
    for i, (g, r) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                raise RuntimeError(msg.format(i=i) + " This is not allowed in strict mode.")
            g = wrap(np.zeros(r.shape, dtype=r.dtype))
        elif strict and create_graph and not g.requires_grad:
            raise RuntimeError(msg.format(i=i) + " This is not allowed in strict mode when "
                               "create_graph=True.")
        out.append(g)
    return tuple(out)


def _post(ts: tuple, create_graph: bool) -> tuple:
    return ts if create_graph else tuple(t.detach() for t in ts)


def _unpack(res: tuple, is_tuple: bool) -> Any:
    return res if is_tuple else res[0]


def vjp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """``(func(inputs), v^T J)``: the vector-Jacobian product, shaped like the inputs.

    `v` is shaped like the outputs; it may be omitted when the output has one element.
    """
    with enable_grad():
        in_tuple, xs = _tuple(inputs, "inputs", "vjp")
        xs = _prep(xs, create_graph, "vjp")
        out_tuple, outs = _outputs(func, xs, "vjp", strict)
        if v is not None:
            vs = _check_v(v, outs, out_tuple, "vjp", create_graph)
        elif len(outs) != 1 or outs[0].data.size != 1:
            raise RuntimeError("vjp: the vector v can only be None if the user-provided "
                               "function returns a single Tensor with a single element")
        else:
            vs = None
    with set_grad_enabled(create_graph or STATE.enabled):
        res = _fill(_vjps(outs, xs, vs, create_graph), xs, strict, create_graph,
                    "vjp: the output of the user-provided function is independent of "
                    "input {i}.")
    return _unpack(_post(outs, create_graph), out_tuple), _unpack(_post(res, create_graph),
                                                                  in_tuple)



def _grad_of_connected(outs: tuple, wrt: tuple, vs: Any, create_graph: bool) -> tuple:
    """d(sum_i <outs_i, vs_i>)/d(wrt), over the outputs still connected to the graph (the
    double-vjp trick: `outs` are linear in `wrt`); all None when none is."""
    keep = [i for i, o in enumerate(outs) if o is not None and o.requires_grad]
    if not keep:
        return (None,) * len(wrt)
    vsel = None if vs is None else [vs[i] for i in keep]
    return _grad([outs[i] for i in keep], wrt, vsel, create_graph=create_graph,
                 allow_unused=True)


def jvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """``(func(inputs), J v)``: the Jacobian-vector product, shaped like the outputs.

    `v` is shaped like the inputs (omit it for a single one-element input).  Computed
    with the double-vjp trick: J v = d<J^T u, v>/du.
    """
    with enable_grad():
        in_tuple, xs = _tuple(inputs, "inputs", "jvp")
        xs = _prep(xs, create_graph, "jvp")
        if v is not None:
            vs = _check_v(v, xs, in_tuple, "jvp", create_graph)
        elif len(xs) != 1 or xs[0].data.size != 1:
            raise RuntimeError("jvp: the vector v can only be None if the input to the "
                               "user-provided function is a single Tensor with a single "
                               "element")
        else:
            vs = None
        out_tuple, outs = _outputs(func, xs, "jvp", strict)
        us = tuple(wrap(np.zeros(o.shape, dtype=o.dtype)).requires_grad_() for o in outs)
        g_in = _vjps(outs, xs, us, create_graph=True)      # J^T u, linear in u
        if strict:
            for i, g in enumerate(g_in):
                if g is None or not g.requires_grad:
                    raise RuntimeError(f"jvp: the gradient with respect to input {i} is "
                                       f"independent of the inputs of the user-provided "
                                       f"function. This is not allowed in strict mode.")
    with set_grad_enabled(create_graph or STATE.enabled):
        res = _grad_of_connected(g_in, us, vs, create_graph)
        res = _fill(res, outs, strict, create_graph,
                    "jvp: the gradient with respect to the input is independent of entry "
                    "{i} in the grad_outputs when using the double backward trick to "
                    "compute forward mode gradients.")
    return _unpack(_post(outs, create_graph), out_tuple), _unpack(_post(res, create_graph),
                                                                  out_tuple)


def jacobian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:
    """The Jacobian of `func` at `inputs`: for output k and input i a Tensor of shape
    ``outputs[k].shape + inputs[i].shape``, nested like PyTorch's result (a Tensor for
    one input and one output, a tuple over inputs and/or outputs otherwise)."""
    if strategy != "reverse-mode":
        raise NotImplementedError(f"jacobian: strategy={strategy!r} needs forward-mode "
                                  f"AD, which this engine does not have; use the default "
                                  f"'reverse-mode' (or jvp for Jacobian-vector products)")
    with enable_grad():
        in_tuple, xs = _tuple(inputs, "inputs", "jacobian")
        xs = _prep(xs, create_graph, "jacobian")
        out_tuple, outs = _outputs(func, xs, "jacobian", strict)
        result = []
        for k, o in enumerate(outs):
            m = o.data.size
            # An output that does not require grad has a zero Jacobian (rows of None).
            rows: list = [[] if o.requires_grad else [None] * m for _ in xs]
            for r in range(m if o.requires_grad else 0):
                e = np.zeros(m, dtype=o.dtype)
                e[r] = 1
                with set_grad_enabled(create_graph):
                    gs = _grad(o, xs, wrap(e.reshape(o.shape)), retain_graph=True,
                               create_graph=create_graph, allow_unused=True)
                for i, g in enumerate(gs):
                    if g is None:
                        if strict:
                            raise RuntimeError(f"jacobian: output {k} of the user-provided "
                                               f"function is independent of input {i}. "
                                               f"This is not allowed in strict mode.")
                    elif strict and create_graph and not g.requires_grad:
                        raise RuntimeError(f"jacobian: the jacobian of the user-provided "
                                           f"function is independent of input {i}. This is "
                                           f"not allowed in strict mode when "
                                           f"create_graph=True.")
                    rows[i].append(g)
            result.append(tuple(_assemble(rw, o, x, create_graph) for rw, x in zip(rows, xs)))
    res = tuple(result)
    if not in_tuple:
        res = tuple(r[0] for r in res)
    return res if out_tuple else res[0]


def _assemble(rows: list, out: Tensor, x: Tensor, create_graph: bool) -> Tensor:
    """Stack one output's gradient rows (None: zero) into out.shape + x.shape."""
    shape = tuple(out.shape) + tuple(x.shape)
    if create_graph and any(g is not None and g.requires_grad for g in rows):
        from .ops.shape import stack
        zero = wrap(np.zeros(x.shape, dtype=x.dtype))
        return stack([zero if g is None else g for g in rows], 0).reshape(shape)
    jac = np.zeros((len(rows),) + tuple(x.shape), dtype=x.dtype)
    for r, g in enumerate(rows):
        if g is not None:
            jac[r] = g.data
    return wrap(jac.reshape(shape))


def hessian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """The Hessian of a scalar function: for inputs i, j a Tensor of shape
    ``inputs[i].shape + inputs[j].shape`` (a Tensor for one input, else a tuple of
    tuples), the Jacobian of the gradient."""
    in_tuple, xs = _tuple(inputs, "inputs", "hessian")
    for i, x in enumerate(xs):   # (else the error would name the inner jacobian)
        _check_float(x, i, "hessian")

    def scalar(*a: Tensor) -> Tensor:
        return _single_output(func, a, "hessian", strict).reshape(())

    def gradient(*a: Tensor) -> tuple:
        jac = jacobian(scalar, a, create_graph=True)
        if strict:
            for i, g in enumerate(jac):
                if not g.requires_grad:
                    raise RuntimeError(f"hessian: the jacobian of the user-provided function "
                                       f"with respect to input {i} is independent of the "
                                       f"input. This is not allowed in strict mode.")
        return jac

    res = jacobian(gradient, xs, create_graph=create_graph, strict=strict,
                   strategy=outer_jacobian_strategy)
    return res if in_tuple else res[0][0]


def vhp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """``(func(inputs), v^T H)`` for a scalar function (H its Hessian)."""
    with enable_grad():
        in_tuple, xs = _tuple(inputs, "inputs", "vhp")
        xs = _prep(xs, create_graph, "vhp")
        vs = _hessian_v(v, xs, in_tuple, "vhp", create_graph)
        out = _single_output(func, xs, "vhp", strict)
        jac = _first_derivative(out, xs, strict, "vhp")
    with set_grad_enabled(create_graph or STATE.enabled):
        res = _fill(_vjps(jac, xs, vs, create_graph), xs, strict, create_graph,
                    "vhp: the hessian of the user-provided function is independent of input "
                    "{i}.")
    return _post((out,), create_graph)[0], _unpack(_post(res, create_graph), in_tuple)


def hvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """``(func(inputs), H v)`` for a scalar function, by the double-backward trick
    (equal to `vhp` when H is symmetric, i.e. for twice continuously differentiable
    functions)."""
    with enable_grad():
        in_tuple, xs = _tuple(inputs, "inputs", "hvp")
        xs = _prep(xs, create_graph, "hvp")
        vs = _hessian_v(v, xs, in_tuple, "hvp", create_graph)
        out = _single_output(func, xs, "hvp", strict)
        jac = _first_derivative(out, xs, strict, "hvp")
        ws = tuple(wrap(np.zeros(x.shape, dtype=x.dtype)).requires_grad_() for x in xs)
        back = _vjps(jac, xs, ws, create_graph=True)         # H^T w, linear in w
    with set_grad_enabled(create_graph or STATE.enabled):
        res = _grad_of_connected(back, ws, vs, create_graph)
        res = _fill(res, xs, strict, create_graph,
                    "hvp: the hessian of the user-provided function is independent of entry "
                    "{i} in the grad_jacobian.")
    return _post((out,), create_graph)[0], _unpack(_post(res, create_graph), in_tuple)


def _hessian_v(v: Any, xs: tuple, in_tuple: bool, fn: str, create_graph: bool) -> Any:
    if v is not None:
        return _check_v(v, xs, in_tuple, fn, create_graph)
    if len(xs) != 1 or xs[0].data.size != 1:
        raise RuntimeError(f"{fn}: the vector v can only be None if the input to the "
                           f"user-provided function is a single Tensor with a single "
                           f"element")
    return None


def _first_derivative(out: Tensor, xs: tuple, strict: bool, fn: str) -> tuple:
    """The gradient of `out`, recorded (create_graph) so it can be differentiated again;
    zeros (no graph) where `out` does not depend on an input."""
    gs = _vjps((out,), xs, None, create_graph=True)
    if strict:
        for i, g in enumerate(gs):
            if g is None or not g.requires_grad:
                raise RuntimeError(f"{fn}: the jacobian of the user-provided function with "
                                   f"respect to input {i} is independent of the input. This "
                                   f"is not allowed in strict mode.")
    return tuple(wrap(np.zeros(x.shape, dtype=x.dtype)) if g is None else g
                 for g, x in zip(gs, xs))
