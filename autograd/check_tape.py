"""Tape replay: find the op whose backward is wrong, and the line that called it.

A black-box gradient check says "the gradient of f is wrong"; `check_tape` says which
node of the graph is.  It walks the graph that produced the roots (iteratively) and,
for every node, replays that one call on its own inputs in float64 and checks the
node's backward against finite differences of the node's forward:

* a random cotangent u (one per differentiable output, entries of magnitude 0.5..1.5
  and random sign) goes through the node's backward: ``g_i = u^T J_i`` per input i;
* per element (small inputs): ``g_i[j]`` against the central difference
  ``u . (y(x + eps e_j) - y(x - eps e_j)) / (2 eps)``, two forward calls per element;
  an element fails when ``|analytic - numeric| > atol + rtol |numeric|``;
* by projection (large inputs, ``fast_mode``): ``g_i . v`` for a random v against the
  directional difference along v (two forward calls per input), narrowed down to the
  worst element when it fails and the input is small enough.

Differences are divided by the step actually taken (``x + eps`` rounds when |x| is
large), and the backward is run both ways the engine runs it: plain (grad mode off,
where fused ops take NumPy fast paths) and recorded (``create_graph=True``, the
differentiable Tensor-op path); a failure says which one disagrees.  The fused LSTM
steps leave dW_hh to the input-projection node in their plain backward, so for them
(`_RECORDED_ONLY`) only the self-contained recorded path is checked.

The replayed forward is the op's own (``apply(cls, *inputs, **params)`` for built-in
ops, ``F.apply`` for a custom `Function`), so a wrong rule in one op class, or in a
user's Function deep inside a model, is named directly - with the user's source line
that created the node.  To replay a built-in op the call's keyword parameters are
needed, and the source line is the user's stack: both are kept only for ops recorded
inside ``with record_sites():`` (the engine's `apply` keeps ``(args, params)`` on the
node while the flag is on; nothing is kept, and nothing costs, outside it).

Kinks.  Where the function has no derivative (relu/abs at 0, clamp at a bound, max
with ties) the one-sided quotients ``left = u.(y(x) - y(x - eps e))/eps`` and
``right = u.(y(x + eps e) - y(x))/eps`` disagree.  For a smooth function their gap is
about eps * f'' and shrinks 4x with the step; at a kink it keeps its size (or vanishes
abruptly when the kink leaves the step's reach) - the test Chainer's check_backward
uses to skip non-differentiable points.  Such a node is reported as a kink, with a hint
to move the input, never as a wrong backward; a node with kinks and no other mismatch
passes.

Complex step.  For ops that are analytic and accept complex input (built-in ones are
listed in `_COMPLEX_STEP`, kept here so the op modules stay untouched; any op or
Function class may declare ``complex_step = True``, or False to opt out)
``method="complex_step"`` takes ``Im(u . y(x + i h e_j)) / h`` with h = 1e-20: no
subtraction, so the derivative is exact to round-off (~1e-15 relative) instead of
~1e-9; other ops fall back to central differences.
"""
from __future__ import annotations

import inspect
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import numpy as np

from . import graph as _graph
from .function import BackwardFunction
from .grad_mode import STATE, enable_grad, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, GradcheckReport, excess as _excess
from .graph import Node, Op
from .tensor import Tensor, wrap

__all__ = ["check_tape", "check_tape_report", "record_sites", "TapeReport", "NodeResult",
           "TapeCheckError"]

# Inputs up to this many elements are checked element by element in fast_mode="auto";
# larger ones by a random projection.
AUTO_ELEMENTS = 32
# A failing projection is narrowed down to its worst element for inputs up to this size
# (two forward calls per element).
LOCATE_LIMIT = 4096
# At most this many kink candidates per input get the eps/4 confirmation.
KINK_CONFIRM = 8
COMPLEX_H = 1e-20
# The two ways the engine runs a backward: plain (grad mode off; ops may take NumPy
# fast paths) and recorded (create_graph=True; the differentiable Tensor-op path).
# Both are checked against the same finite differences.
PATHS = ("backward", "recorded backward (create_graph=True)")

# Built-in ops whose forward is analytic and runs on complex arrays (tested in
# tests/test_check_tape.py against central differences): (module, op name).
_COMPLEX_STEP = {
    ("autograd.ops.arith", n) for n in ("Add", "Sub", "Mul", "Div", "Neg", "Pow")} | {
    ("autograd.ops.elementwise", n) for n in (
        "Exp", "Expm1", "Log", "Log1p", "Sqrt", "Sin", "Cos", "Tanh", "Arctan", "Sigmoid",
        "Where")} | {
    ("autograd.ops.linalg", "Matmul"), ("autograd.ops.linalg", "Einsum"),
    ("autograd.ops.reduce", "Sum"), ("autograd.ops.reduce", "Mean"),
    ("autograd.ops.reduce", "Cumsum")} | {
    ("autograd.ops.shape", n) for n in (
        "Expand", "SumTo", "Reshape", "Permute", "Cat", "Split", "Flip")} | {
    ("autograd.ops.index", "GetItem")}

# Ops whose plain backward hands part of its work to another node (the LSTM steps
# leave dW_hh to the input projection, which computes it for all steps in one matmul),
# so only their recorded backward, which is self-contained, can be checked node by node.
_RECORDED_ONLY = {("nn.functional.recurrent", "LSTMStep"),
                  ("nn.functional.recurrent", "RecurrentInput")}

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_INTERNAL = tuple(os.path.join(_ROOT, p) + os.sep for p in ("autograd", "nn", "optim"))


@contextmanager
def record_sites() -> Iterator[None]:
    """Inside the block every recorded op keeps what `check_tape` needs to replay it
    (its arguments and keyword parameters) and the user's stack at the call.  Outside
    it nothing is kept (normal runs pay nothing)::

        with autograd.record_sites():
            loss = model(x)
        autograd.check_tape(loss)
    """
    prev = STATE.sites
    STATE.sites = True
    try:
        yield
    finally:
        STATE.sites = prev


# ---- the report ---------------------------------------------------------------------

@dataclass
class NodeResult:
    """The check of one node.  `status` is "ok", "wrong" (backward disagrees with finite
    differences of the node's own forward), "kink" (it disagrees only where one-sided
    differences do: no derivative exists there) or "skipped" (`reason` says why).

    For "wrong"/"kink" the worst value: input `input`, element `in_index` (None for a
    random projection of a large input), `analytic` vs `numeric`, the tolerance
    `allowed` there and how many of `n_checked` values failed.  `max_err` is the largest
    |analytic - numeric| over everything checked; `values` maps each input checked
    element by element to its (analytic, numeric) arrays of u^T J.
    """

    index: int
    op: str
    status: str = "ok"
    reason: str = ""
    filename: str | None = None
    lineno: int | None = None
    code: str = ""
    module: str | None = None
    input_shapes: tuple = ()
    method: str = "central"
    path: str = PATHS[0]
    input: int | None = None
    in_index: tuple | None = None
    analytic: float = float("nan")
    numeric: float = float("nan")
    allowed: float = float("nan")
    n_failed: int = 0
    n_checked: int = 0
    n_kinks: int = 0
    left: float = float("nan")
    right: float = float("nan")
    max_err: float = 0.0
    values: dict = field(default_factory=dict, repr=False)

    @property
    def site(self) -> str:
        """'file.py:42: code' of the user's line that created the node, or ''."""
        if self.filename is None:
            return ""
        where = f"{os.path.basename(self.filename)}:{self.lineno}"
        return f"{where}: {self.code}" if self.code else where

    def title(self) -> str:
        """'node 17, MyGelu.backward (input shapes (4, 8)), model.py:42: y = ...'."""
        shapes = ", ".join(str(s) for s in self.input_shapes)
        text = f"node {self.index}, {self.op}.backward (input shapes {shapes})"
        if self.module:
            text += f" in {self.module}"
        return text + (f", created at {self.site}" if self.site else "")

    def describe(self) -> str:
        """A few lines a person can act on."""
        if self.status == "skipped":
            return f"{self.title()}: not checked: {self.reason}"
        if self.status == "ok":
            return f"{self.title()}: matches (largest error {self.max_err:.3g})"
        if self.reason:   # wrong on its face: nothing numeric to compare
            return f"{self.title()}\n  {self.reason}"
        if self.in_index is None:
            elem = f"input {self.input} projected on a random v (too large to narrow down)"
        else:
            elem = f"input {self.input}, element {self.in_index}"
        numeric = "complex step" if self.method == "complex_step" else "finite diff"
        values = [f"    {'analytic (backward)':22} {self.analytic: .10g}",
                  f"    {f'numeric ({numeric})':22} {self.numeric: .10g}"]
        if self.status == "wrong":
            return "\n".join(
                [self.title(),
                 f"  {self.path}: {self.n_failed} of {self.n_checked} checked values of "
                 f"u^T J differ (u: a random cotangent); worst: {elem}"] + values +
                [f"    abs error {abs(self.analytic - self.numeric):.3g} (allowed here "
                 f"{self.allowed:.3g})"] +
                ([f"  (and {self.n_kinks} value(s) at kinks)"] if self.n_kinks else []))
        return "\n".join(
            [self.title(),
             f"  kink: {self.n_kinks} of {self.n_checked} checked values sit where the op "
             f"has no derivative (relu/abs at 0, clamp at a bound, max/min with ties); "
             f"worst: {elem}",
             f"    one-sided differences: left {self.left:.6g}, right {self.right:.6g}"]
            + values +
            ["  hint: backward returns a convention there, not a wrong value. Move the input "
             "off the kink (or perturb it slightly) to check this op."])


@dataclass
class TapeReport:
    """The outcome of `check_tape`: one `NodeResult` per node (forward order)."""

    results: list
    eps: float
    atol: float
    rtol: float
    method: str
    seconds: float = 0.0

    @property
    def failures(self) -> list:
        """Nodes whose backward disagrees with their own forward."""
        return [r for r in self.results if r.status == "wrong"]

    @property
    def kinks(self) -> list:
        """Nodes evaluated at a point where they have no derivative."""
        return [r for r in self.results if r.status == "kink"]

    @property
    def skipped(self) -> list:
        """Nodes that could not be replayed (see their `reason`)."""
        return [r for r in self.results if r.status == "skipped"]

    @property
    def ok(self) -> bool:
        """True when no node's backward is wrong (kinks and skipped nodes do not fail)."""
        return not self.failures

    def __str__(self) -> str:
        checked = len(self.results) - len(self.skipped)
        head = (f"check_tape: {len(self.failures)} of {checked} node(s) checked have a "
                f"backward that disagrees with their own forward" if self.failures else
                f"check_tape: every one of the {checked} node(s) checked has a backward "
                f"that matches its own forward")
        text = [head]
        text += [r.describe() for r in self.failures]
        if self.kinks:
            text.append(f"{len(self.kinks)} node(s) sit at a kink (not counted as wrong):")
            text += [r.describe() for r in self.kinks]
        if self.skipped:
            text.append(f"{len(self.skipped)} node(s) not checked:")
            text += ["  " + r.describe() for r in self.skipped[:10]]
            if len(self.skipped) > 10:
                text.append(f"  ... and {len(self.skipped) - 10} more")
        text.append(f"checked: each node's backward on a random cotangent against "
                    f"{'complex-step' if self.method == 'complex_step' else 'central'} "
                    f"differences of its forward, float64, eps={self.eps:g}, "
                    f"atol={self.atol:g}, rtol={self.rtol:g}, in {self.seconds:.2f} s")
        return "\n".join(text)


class TapeCheckError(GradcheckError):
    """Raised by `check_tape` when some node's backward is wrong; ``.report`` is the
    `TapeReport`."""


# ---- walking the graph ----------------------------------------------------------------

def _target(e: Any) -> Node | None:
    if type(e) is tuple:
        return e[0]
    return e if isinstance(e, Node) else None


def _nodes(roots: tuple) -> list:
    """Every node behind `roots`, producers before consumers (no recursion)."""
    starts = [r.grad_fn for r in roots if isinstance(r, Tensor) and r.grad_fn is not None]
    consumers: dict = {}
    stack = list(dict.fromkeys(starts))
    for n in stack:
        consumers[n] = 0
    while stack:
        for e in stack.pop().next:
            t = _target(e)
            if t is not None:
                if t not in consumers:
                    consumers[t] = 0
                    stack.append(t)
                consumers[t] += 1
    ready = [n for n in dict.fromkeys(starts) if consumers[n] == 0]
    order = []
    while ready:
        n = ready.pop()
        order.append(n)
        for e in n.next:
            t = _target(e)
            if t is not None:
                consumers[t] -= 1
                if consumers[t] == 0:
                    ready.append(t)
    order.reverse()
    return order


def _user_frame(node: Node) -> Any:
    """The innermost frame of the recorded stack outside autograd/nn/optim."""
    stack = node.__dict__.get("_meta", {}).get("stack") or ()
    for fs in reversed(stack):
        if not os.path.abspath(fs.filename).startswith(_INTERNAL):
            return fs
    return None


# ---- replaying one node -----------------------------------------------------------------

_SIGNATURE_OK: dict = {}


def _positional_only(cls: type) -> bool:
    """True when `cls.forward` takes only positional arrays (no parameters to lose)."""
    ok = _SIGNATURE_OK.get(cls)
    if ok is None:
        try:
            ps = list(inspect.signature(cls.forward).parameters.values())[1:]
            ok = all(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                     and p.default is p.empty for p in ps)
        except (TypeError, ValueError):
            ok = False
        _SIGNATURE_OK[cls] = ok
    return ok


def _float64_params(params: dict) -> dict:
    """The call's parameters for a float64 replay: a floating dtype parameter (Cast's
    target, say) becomes float64, or the replayed output would be rounded to float32
    and finite differences would measure that rounding."""
    out = {}
    for k, v in params.items():
        if isinstance(v, (np.dtype, type)):
            try:
                if np.dtype(v).kind == "f":
                    v = np.dtype(np.float64)
            except TypeError:
                pass
        out[k] = v
    return out


def _fresh(params: dict) -> dict:
    # forwards may append to list parameters (batch_norm's stats sink): each replay
    # gets its own copy so the many evaluations neither grow nor alias them
    return {k: (type(v)(v) if isinstance(v, (list, dict, set)) else v)
            for k, v in params.items()}


class _Skip(Exception):
    """The node cannot be replayed; the message says why."""


class _Replay:
    """One node's call, re-run on float64 copies of its inputs."""

    def __init__(self, node: Node) -> None:
        cls = type(node)
        saved = node.__dict__.get("_replay")
        if isinstance(node, BackwardFunction):
            args = node.__dict__.get("_inputs")
            if args is None:
                raise _Skip("custom Function recorded outside record_sites() (or its "
                            "inputs were freed by a backward)")
            fn = node._fn
            self.call: Callable = fn.apply
            self.cls: type = fn
        elif isinstance(node, Op):
            if saved is not None:
                args, params = saved[0], _float64_params(saved[1])
            else:
                args = node.__dict__.get("_inputs")
                if args is None:
                    raise _Skip("its inputs were freed by a backward (check before "
                                "backward, or record inside record_sites())")
                if not args or len(args) != len(node.next) or not _positional_only(cls):
                    raise _Skip("recorded outside record_sites(): its call cannot be "
                                "replayed")
                params = {}
            self.call = lambda *a: _graph.apply(cls, *a, **_fresh(params))
            self.cls = cls
        else:
            raise _Skip(f"{type(node).__name__} is not an op with a forward")
        for i, a in enumerate(args):
            if isinstance(a, Tensor) and a._vc is not None and a._vc[1] > node._epoch:
                raise _Skip(f"input {i} was modified in place after the op ran, so its "
                            f"values at the time are gone")
        self.args = args
        self.diff = [i for i, need in enumerate(node.needs_input_grad) if need]
        self.arrays = [np.array(a.data, dtype=np.float64)
                       if isinstance(a, Tensor) and a.dtype.kind == "f" else None
                       for a in args]
        self.complex_ok = bool(getattr(self.cls, "complex_step", (
            self.cls.__module__, getattr(self.cls, "name", "")) in _COMPLEX_STEP))

    def _args(self, i: int | None = None, x: np.ndarray | None = None,
              leaves: bool = False) -> list:
        out = []
        for k, (a, arr) in enumerate(zip(self.args, self.arrays)):
            if arr is None:
                out.append(a)
                continue
            t = wrap(x if k == i else arr.copy())
            if leaves and k in self.diff:
                t.requires_grad = True
            out.append(t)
        return out

    def outputs(self, i: int | None = None, x: np.ndarray | None = None) -> list:
        """The differentiable outputs' arrays with input i replaced by x (no recording)."""
        with no_grad():
            outs = self.call(*self._args(i, x))
        outs = outs if type(outs) is tuple else (outs,)
        return [outs[k].data for k in self.out_pos]

    def analytic(self, rng: np.random.Generator) -> tuple:
        """(y0, us, grads): the outputs, random cotangents u, and u^T J for every input
        checked from each backward path: ``grads[path][i]`` (flat float64).  Each path
        runs on a fresh replay, so a backward that consumes or reuses its saved buffers
        cannot disturb the other."""
        paths = (PATHS[1:] if (self.cls.__module__, getattr(self.cls, "name", ""))
                 in _RECORDED_ONLY else PATHS)
        us: list = []
        grads = {}
        for path in paths:
            with enable_grad():
                outs = self.call(*self._args(leaves=True))
            outs = outs if type(outs) is tuple else (outs,)
            if not us:
                self.out_pos = [k for k, o in enumerate(outs)
                                if isinstance(o, Tensor) and o.grad_fn is not None]
                if not self.out_pos:
                    raise _Skip("the replayed call produced no differentiable output")
                us = [rng.uniform(0.5, 1.5, outs[k].shape)
                      * rng.choice((-1.0, 1.0), outs[k].shape) for k in self.out_pos]
                y0 = [outs[k].data for k in self.out_pos]
            fresh = outs[self.out_pos[0]].grad_fn
            gs = [None] * fresh.n_out
            for k, u in zip(self.out_pos, us):
                gs[outs[k]._out_idx] = wrap(u.astype(outs[k].dtype))
            grads[path] = self._backward(fresh, gs, path)
        return y0, us, grads

    def _backward(self, fresh: Node, gs: list, path: str) -> dict:
        """u^T J per checked input from `fresh`'s backward, run as `path` runs it."""
        try:
            with set_grad_enabled(path == PATHS[1]):
                in_grads = type(fresh).backward(fresh, *gs)
        except Exception as e:   # a backward that raises on its own forward's output is wrong
            raise _Wrong(None, path, f"raised {type(e).__name__}: {e}") from None
        if type(in_grads) is not tuple:
            in_grads = (in_grads,)
        grads = {}
        for i in self.diff:
            g = in_grads[i] if i < len(in_grads) else None
            if g is None:
                grads[i] = np.zeros(self.arrays[i].size)
                continue
            g = np.asarray(g.data if isinstance(g, Tensor) else g, dtype=np.float64)
            if g.shape != self.arrays[i].shape:
                raise _Wrong(i, path, f"returned a gradient of shape {g.shape} for input "
                                      f"{i} of shape {self.arrays[i].shape}")
            grads[i] = g.ravel()
        return grads


class _Wrong(Exception):
    """backward failed on its face (raised, or returned a gradient of the wrong shape)."""

    def __init__(self, i: int | None, path: str, msg: str) -> None:
        super().__init__(f"{path} {msg}")
        self.input, self.path = i, path


# ---- checking one node ------------------------------------------------------------------

class _NodeCheck:
    """Compares one node's backward with differences of its forward, input by input."""

    def __init__(self, rep: _Replay, result: NodeResult, eps: float, atol: float,
                 rtol: float, fast_mode: Any, method: str, rng: np.random.Generator) -> None:
        self.rep, self.r, self.eps, self.atol, self.rtol = rep, result, eps, atol, rtol
        self.fast_mode, self.rng = fast_mode, rng
        self.want_complex = method == "complex_step" and rep.complex_ok
        self.complex = False

    def run(self) -> None:
        rep, r = self.rep, self.r
        y0, self.us, grads = rep.analytic(self.rng)
        again = rep.outputs()
        if not all(np.allclose(a, b, rtol=1e-10, atol=0, equal_nan=True)
                   for a, b in zip(y0, again)):
            raise _Skip("its forward gives different results on the same input (random?)")
        self.y0 = [np.asarray(y, dtype=np.float64) for y in y0]
        verdicts, methods = [], set()
        for i in rep.diff:
            self.complex = self.want_complex and self.accepts_complex(i)
            methods.add("complex_step" if self.complex else "central")
            by_element = (self.fast_mode is False or
                          (self.fast_mode == "auto" and rep.arrays[i].size <= AUTO_ELEMENTS))
            analytic = {p: g[i] for p, g in grads.items()}
            verdicts.append(self.elements(i, analytic) if by_element
                            else self.projection(i, analytic))
        r.method = "complex_step" if methods == {"complex_step"} else "central"
        wrong = [v for v in verdicts if v["status"] == "wrong"]
        kinks = [v for v in verdicts if v["status"] == "kink"]
        pick = max(wrong, key=lambda v: v["excess"]) if wrong else \
            max(kinks, key=lambda v: v["excess"]) if kinks else None
        r.n_checked = sum(v["checked"] for v in verdicts)
        r.n_kinks = sum(v["kinks"] for v in verdicts)
        r.max_err = max((v["max_err"] for v in verdicts), default=0.0)
        if pick is None:
            return
        r.status = "wrong" if wrong else "kink"
        r.n_failed = sum(v["failed"] for v in verdicts)
        for key in ("input", "in_index", "analytic", "numeric", "allowed", "left", "right",
                    "path"):
            setattr(r, key, pick[key])

    def accepts_complex(self, i: int) -> bool:
        """Whether the forward carries an imaginary part of input i through to every
        output (else central differences are used for that input)."""
        try:
            ys = self.rep.outputs(i, self.rep.arrays[i] + 1j * COMPLEX_H)
        except Exception:
            return False
        return all(np.iscomplexobj(y) for y in ys)

    # -- derivatives of u . y along a direction d of input i
    def quotient(self, i: int, d: np.ndarray, step: float) -> float:
        """u . (y(x + step d) - y(x)) / step.  The difference is taken before projecting
        (exact zeros where outputs did not move), and divided by the step actually taken:
        x + step d rounds, by up to 1% of eps for |x| ~ 1e8, and that rounding would
        otherwise show up as a "wrong" derivative even of a permutation."""
        x = self.rep.arrays[i]
        moved = x + step * d
        taken = float(np.vdot(moved - x, d) / np.vdot(d, d))
        ys = self.rep.outputs(i, moved)
        return float(sum(np.sum(u * (np.asarray(y, dtype=np.float64) - y0))
                         for u, y, y0 in zip(self.us, ys, self.y0))) / taken

    def complex_derivative(self, i: int, d: np.ndarray) -> float:
        """Im(u . y(x + i h d)) / h: no subtraction, so no cancellation."""
        ys = self.rep.outputs(i, self.rep.arrays[i] + 1j * COMPLEX_H * d)
        return float(sum(np.sum(u * np.imag(y)) for u, y in zip(self.us, ys))) / COMPLEX_H

    def quotients(self, i: int, d: np.ndarray, step: float) -> tuple:
        """(left, right) one-sided difference quotients along d."""
        return self.quotient(i, d, -step), self.quotient(i, d, step)

    def is_kink(self, i: int, d: np.ndarray, left: float, right: float, tol: float) -> bool:
        """Smooth: right - left ~ eps f'' shrinks 4x with the step; a kink does not."""
        l4, r4 = self.quotients(i, d, self.eps / 4)
        return abs((r4 - l4) - (right - left) / 4) > tol

    # -- the two modes
    def elements(self, i: int, analytic: dict) -> dict:
        """Check u^T J e_j for every element j of input i, for each backward path."""
        x = self.rep.arrays[i]
        n = x.size
        num, left, right = np.empty(n), np.full(n, np.nan), np.full(n, np.nan)
        e = np.zeros(n)
        for j in range(n):   # finite differences: two forward calls per element
            e[j] = 1.0
            if self.complex:
                num[j] = self.complex_derivative(i, e.reshape(x.shape))
            else:
                left[j], right[j] = self.quotients(i, e.reshape(x.shape), self.eps)
            e[j] = 0.0
        if not self.complex:
            num[:] = (left + right) / 2
        allowed = self.atol + self.rtol * np.abs(num)
        excess = {p: _excess(np.abs(a - num), allowed) for p, a in analytic.items()}
        worst = np.max(list(excess.values()), axis=0)
        fail = worst > 1
        kink = np.zeros(n, dtype=bool)
        if not self.complex:
            tol = self.atol + self.rtol * np.maximum(np.abs(left), np.abs(right))
            cand = np.abs(right - left) > tol
            # confirm the candidates most likely to matter: failing ones first
            order = sorted(np.flatnonzero(cand), key=lambda j: (not fail[j], -worst[j]))
            for j in order[:KINK_CONFIRM]:
                e[j] = 1.0
                kink[j] = self.is_kink(i, e.reshape(x.shape), left[j], right[j], tol[j])
                e[j] = 0.0
            if kink.any():   # unconfirmed candidates beyond the cap count as kinks too
                kink[order[KINK_CONFIRM:]] = True
        self.r.values[i] = (analytic[next(iter(analytic))], num)
        wrong = fail & ~kink
        out = {"input": i, "checked": n, "failed": int(fail.sum()), "kinks": int(kink.sum()),
               "max_err": max(float(np.max(np.abs(a - num), initial=0.0))
                              for a in analytic.values()),
               "status": "wrong" if wrong.any() else "kink" if kink.any() else "ok"}
        if out["status"] == "ok":
            return out
        pool = wrong if wrong.any() else kink
        j = int(np.flatnonzero(pool)[np.argmax(worst[pool])])
        path = max(excess, key=lambda p: excess[p][j])
        out.update(in_index=tuple(int(k) for k in np.unravel_index(j, x.shape)),
                   analytic=float(analytic[path][j]), numeric=float(num[j]),
                   allowed=float(allowed[j]), left=float(left[j]), right=float(right[j]),
                   excess=float(worst[j]), path=path)
        return out

    def projection(self, i: int, analytic: dict) -> dict:
        """Check u^T J v for a random v, for each backward path; narrow a failure down
        to its worst element when input i is small enough."""
        x = self.rep.arrays[i]
        v = self.rng.uniform(0.5, 1.5, x.shape) * self.rng.choice((-1.0, 1.0), x.shape)
        if self.complex:
            num = self.complex_derivative(i, v)
            left = right = float("nan")
        else:
            left, right = self.quotients(i, v, self.eps)
            num = (left + right) / 2
        errs = {}
        for p, a in analytic.items():
            av = float(a @ v.ravel())
            # u^T J v sums x.size terms: each may carry an atol-sized error of either sign
            allowed = (self.atol * np.sqrt(x.size)
                       + self.rtol * max(abs(num), float(np.linalg.norm(a * v.ravel()))))
            errs[p] = (float(_excess(np.abs(av - num), np.float64(allowed))), av, allowed)
        path = max(errs, key=lambda p: errs[p][0])
        excess, av, allowed = errs[path]
        out = {"input": i, "checked": 1, "failed": 0, "kinks": 0,
               "max_err": max(abs(e[1] - num) for e in errs.values()), "status": "ok"}
        kink = False
        if not self.complex:
            tol = self.atol * np.sqrt(x.size) + self.rtol * max(abs(left), abs(right))
            kink = abs(right - left) > tol and self.is_kink(i, v, left, right, tol)
        if excess <= 1 and not kink:
            return out
        if x.size <= LOCATE_LIMIT:   # name the element (and sort kinks from wrong values)
            return self.elements(i, analytic)
        out.update(status="kink" if kink else "wrong", failed=int(excess > 1),
                   kinks=int(kink), in_index=None, analytic=av, numeric=num,
                   allowed=allowed, left=left, right=right, excess=excess, path=path)
        return out


# ---- the public entry points ----------------------------------------------------------------

def check_tape_report(*roots: Tensor, eps: float = 1e-6, atol: float = 1e-5,
                      rtol: float = 1e-3, fast_mode: bool | str = "auto",
                      method: str = "central", seed: int = 0) -> TapeReport:
    """Run the check of `check_tape` and return its `TapeReport` (never raises on a
    wrong backward)."""
    if method not in ("central", "complex_step"):
        raise ValueError(f"check_tape: method must be 'central' or 'complex_step', got "
                         f"{method!r}")
    if fast_mode not in (True, False, "auto"):
        raise ValueError(f"check_tape: fast_mode must be True, False or 'auto', got "
                         f"{fast_mode!r}")
    start = time.perf_counter()
    nodes = _nodes(roots)
    if not nodes:
        raise ValueError("check_tape: none of the roots was produced by a recorded op (pass "
                         "tensors computed from inputs that require grad)")
    rng = np.random.default_rng(seed)
    results = []
    for index, node in enumerate(nodes):
        r = NodeResult(index, node.name)
        fs = _user_frame(node)
        if fs is not None:
            r.filename, r.lineno, r.code = fs.filename, fs.lineno, (fs.line or "").strip()
        if node._module is not None:
            r.module = type(node._module).__name__
        try:
            rep = _Replay(node)
            r.input_shapes = tuple(np.shape(a.data) if isinstance(a, Tensor) else
                                   type(a).__name__ for a in rep.args)
            _NodeCheck(rep, r, eps, atol, rtol, fast_mode, method, rng).run()
        except _Skip as e:
            r.status, r.reason = "skipped", str(e)
        except _Wrong as e:
            r.status, r.input, r.path, r.reason = "wrong", e.input, e.path, str(e)
        except Exception as e:   # the replayed forward failed: report, check the rest
            r.status, r.reason = "skipped", f"replaying it raised {type(e).__name__}: {e}"
        results.append(r)
    return TapeReport(results, eps, atol, rtol, method, time.perf_counter() - start)


def check_tape(*roots: Tensor, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
               fast_mode: bool | str = "auto", method: str = "central",
               raise_exception: bool = True, seed: int = 0) -> TapeReport:
    """Check the backward of every node of the graph that produced `roots` against
    finite differences of that node's own forward, and name the nodes that disagree.

    Record the forward inside ``with autograd.record_sites():`` so that every op can be
    replayed and its source line shown.  Each node is re-run on its own inputs upcast
    to float64; its backward on a random cotangent u gives ``u^T J``, compared with
    central differences (``method="complex_step"``: complex-step derivatives for ops
    that support them) element by element for inputs up to 32 elements and by a
    random projection ``u^T J v`` above (``fast_mode=True``: always projections;
    ``False``: always every element).  Points where the op has no derivative (relu at
    0, ...) are reported as kinks, not as wrong.

    Returns the `TapeReport`; raises `TapeCheckError` (a `GradcheckError`) naming the
    wrong nodes unless ``raise_exception=False``.
    """
    report = check_tape_report(*roots, eps=eps, atol=atol, rtol=rtol, fast_mode=fast_mode,
                               method=method, seed=seed)
    if raise_exception and not report.ok:
        raise TapeCheckError(report)
    return report


def locate(report: GradcheckReport, fn: Callable, inputs: Any, *, eps: float,
           atol: float, rtol: float, seed: int = 0) -> TapeReport | None:
    """gradcheck(locate=True): replay fn's tape at `inputs` (float64) and add to the
    failed gradcheck `report` which node the mismatch comes from.  The `TapeReport` is
    also kept as ``report.tape``."""
    xs = inputs if isinstance(inputs, (tuple, list)) else (inputs,)
    args = [wrap(np.array(a.data, dtype=np.float64)).requires_grad_(a.requires_grad)
            if isinstance(a, Tensor) and a.dtype.kind == "f" else a for a in xs]
    with record_sites(), enable_grad():
        outs = fn(*args)
    outs = outs if isinstance(outs, (tuple, list)) else (outs,)
    try:
        tape = check_tape_report(*[o for o in outs if isinstance(o, Tensor)], eps=eps,
                                 atol=atol, rtol=rtol, seed=seed)
    except ValueError as e:   # nothing on the tape: the black-box report stands alone
        report.notes.append(f"tape replay: nothing to replay ({e})")
        return None
    report.tape = tape
    bad = tape.failures
    if bad:
        lines = [f"tape replay: the mismatch comes from {r.title()}" for r in bad]
        lines += ["  " + line for r in bad for line in r.describe().splitlines()[1:]]
    elif tape.kinks:
        lines = [f"tape replay: no op's backward is wrong, but {r.title()} is evaluated "
                 f"at a kink (no derivative there): move the input" for r in tape.kinks]
    else:
        lines = [f"tape replay: each of the {len(tape.results) - len(tape.skipped)} "
                 f"node(s) checked has a backward that matches its own forward, so the "
                 f"mismatch is not in one op's backward (look for values fn computes "
                 f"outside the tape: .data, .numpy(), NumPy calls)"]
        if tape.skipped:
            lines.append(f"  ({len(tape.skipped)} node(s) could not be replayed)")
    report.notes.append("\n".join(lines))
    return tape
