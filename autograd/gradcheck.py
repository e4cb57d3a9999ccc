"""Gradient checking: backward against central finite differences, in float64.

For ``y = fn(*inputs)`` the analytic Jacobian J (one vector-Jacobian product per output
element, through the tape) is compared with the numeric one,

    J[:, j] ~ (fn(x + eps e_j) - fn(x - eps e_j)) / (2 eps),

element by element: an element passes when ``|analytic - numeric| <= atol + rtol |numeric|``
(torch.allclose's test), over the outputs that require grad.
Every floating input is upcast to float64 first, so float32 round-off (which swamps a
difference quotient at eps=1e-6) never shows up as a "wrong gradient".

``fast_mode=True`` compares one number per (output, input) pair instead, the random
projection ``u^T J v`` (u, v non-negative, unit norm): one backward per output and two
evaluations per input, whatever their sizes.  When a projection disagrees, the check
narrows it down to the worst input element (``u^T J e_j``, two evaluations per element)
when the input is small enough.

A failure is a `GradcheckReport`: per failing (output, input) pair, the worst element,
analytic vs numeric, absolute and relative error, how many elements failed, eps and
dtype - and a hint when the worst element sits at a kink (relu/abs at 0, max with
ties), where one-sided differences disagree and no gradient exists.  `gradcheck` raises
it as a `GradcheckError` (or returns False); `gradcheck_report` returns it, for tools
that build on the check.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from .engine import grad as _grad
from .grad_mode import enable_grad
from .tensor import Tensor, wrap

__all__ = ["gradcheck", "gradgradcheck", "gradcheck_report", "gradgradcheck_report",
           "GradcheckError", "GradcheckReport", "Mismatch"]

# fast mode narrows a failing projection down to one element only for inputs up to this
# size (it costs two evaluations of fn per element).
LOCATE_LIMIT = 2048


class GradcheckError(RuntimeError):
    """Raised by gradcheck/gradgradcheck on a mismatch; ``.report`` holds the details."""

    def __init__(self, report: GradcheckReport) -> None:
        super().__init__(str(report))
        self.report = report


@dataclass
class Mismatch:
    """One (output, input) Jacobian block that disagrees with finite differences.

    `out_index`/`in_index` locate the worst element (None where the values are random
    projections: fast mode projects outputs with a vector u, and inputs too when the
    input was too large to narrow down).  `left`/`right` are the one-sided difference
    quotients of the same element, `kink` tells that they disagree in a way no smooth
    function allows (the function has no derivative there).
    """

    output: int
    input: int
    output_name: str
    input_name: str
    out_index: tuple | None
    in_index: tuple | None
    analytic: float
    numeric: float
    allowed: float            # the tolerance this element had: atol + rtol |numeric|
    n_failed: int
    n_checked: int
    left: float = float("nan")
    right: float = float("nan")
    kink: bool = False

    @property
    def abs_err(self) -> float:
        """|analytic - numeric|."""
        return abs(self.analytic - self.numeric)

    @property
    def rel_err(self) -> float:
        """|analytic - numeric| / |numeric| (inf when numeric is 0)."""
        return self.abs_err / abs(self.numeric) if self.numeric else float("inf")

    def describe(self) -> str:
        """A few lines a person can act on."""
        if self.out_index is None and self.in_index is None:
            where = (f"u^T J v: {self.output_name} and {self.input_name} both projected "
                     f"on random vectors u, v ({self.input_name} too large to narrow down)")
        elif self.out_index is None:
            where = (f"d(u^T {self.output_name})/d {_elem(self.input_name, self.in_index)}"
                     f"  (u: a random weighting of the output's elements)")
        else:
            where = (f"d {_elem(self.output_name, self.out_index)} / "
                     f"d {_elem(self.input_name, self.in_index)}")
        lines = [f"{self.output_name} w.r.t. {self.input_name}: "
                 f"{self.n_failed} of {self.n_checked} checked values differ",
                 f"  worst: {where}",
                 f"    analytic (backward) {self.analytic: .10g}",
                 f"    numeric (finite diff) {self.numeric: .10g}",
                 f"    abs error {self.abs_err:.3g}, rel error {self.rel_err:.3g} "
                 f"(allowed abs error here {self.allowed:.3g})"]
        if self.kink:
            lines.append(
                f"  hint: the one-sided differences disagree here (left {self.left:.6g}, "
                f"right {self.right:.6g}): the function has a kink within eps of this point "
                f"(relu/abs at 0, max/min with ties, clamp at a bound), where no derivative "
                f"exists. Move the input away from the kink rather than fixing backward.")
        return "\n".join(lines)


@dataclass
class GradcheckReport:
    """The outcome of one check: ``ok``, the `Mismatch` list and notes on the setup."""

    what: str                  # "gradient" or "second derivative"
    eps: float
    atol: float
    rtol: float
    fast_mode: bool
    mismatches: list = field(default_factory=list)
    problems: list = field(default_factory=list)   # gradients of the wrong shape or dtype
    notes: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every checked value matched and every gradient had its input's
        shape and dtype."""
        return not self.mismatches and not self.problems

    def __str__(self) -> str:
        head = (f"{'gradgradcheck' if self.what != 'gradient' else 'gradcheck'}: the "
                f"{self.what} ")
        if self.ok:
            text = [head + "matches finite differences"]
        else:
            text = [f"{head}is wrong: {p}" for p in self.problems]
            if self.mismatches:
                text.append(head + f"does not match finite differences in "
                            f"{len(self.mismatches)} (output, input) pair(s)")
            text += [m.describe() for m in self.mismatches]
        mode = "random projections u^T J v" if self.fast_mode else "every Jacobian element"
        text.append(f"checked: {mode}, float64 central differences, eps={self.eps:g}, "
                    f"atol={self.atol:g}, rtol={self.rtol:g}")
        text += [f"note: {n}" for n in self.notes]
        return "\n".join(text)


def _elem(name: str, index: tuple | None) -> str:
    return name if not index else f"{name}[{', '.join(str(i) for i in index)}]"


def _as_tuple(x: Any) -> tuple:
    if isinstance(x, Tensor):
        return (x,)
    if isinstance(x, (tuple, list)):
        return tuple(x)
    return (x,)


def excess(err: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """err / allowed, each error in units of its tolerance (> 1: it fails), with
    torch.allclose's verdict where there is no tolerance: 0 for an exact match (so -0
    vs 0 passes with atol=0), inf for any other error or a NaN.  check_tape uses it too."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ex = np.where(allowed > 0, err / allowed, np.where(err <= allowed, 0.0, np.inf))
    return np.where(np.isnan(ex), np.inf, ex)


def _failures(a: np.ndarray, num: np.ndarray, allowed: np.ndarray) -> tuple:
    """(mask of failing elements, flat index of the worst one): the largest `excess`;
    among elements with no tolerance to scale by (or a NaN), the largest error."""
    err = np.abs(a - num)
    ex = excess(err, allowed)
    bad = ex > 1
    if not bad.any():
        return bad, -1
    hopeless = np.isinf(ex)
    key = np.where(hopeless, np.nan_to_num(err, nan=np.inf), -1.0) if hopeless.any() else ex
    return bad, int(np.argmax(key))


class _Check:
    """Evaluates `fn` around the inputs and builds the report (one instance per check)."""

    def __init__(self, fn: Callable, inputs: Sequence, eps: float, atol: float, rtol: float,
                 seed: int, input_names: Sequence[str] | None,
                 output_names: Sequence[str] | None, what: str, fast_mode: bool) -> None:
        self.fn, self.eps, self.atol, self.rtol = fn, eps, atol, rtol
        self.rng = np.random.default_rng(seed)
        self.report = GradcheckReport(what, eps, atol, rtol, fast_mode)
        self.inputs = _as_tuple(inputs)
        self.input_names = list(input_names or [f"input {i}" for i in range(len(self.inputs))])
        self.output_names = output_names
        self.arrays: list = []      # float64 arrays of floating tensors, else the value
        self.diff: list = []        # indices of the inputs checked (require grad)
        notes = self.report.notes
        for i, a in enumerate(self.inputs):
            if isinstance(a, Tensor) and a.dtype.kind == "f":
                if a.dtype != np.float64:
                    notes.append(f"{self.input_names[i]} ({a.dtype}) upcast to float64")
                self.arrays.append(np.array(a.data, dtype=np.float64))
                if a.requires_grad:
                    self.diff.append(i)
                else:
                    notes.append(f"{self.input_names[i]} does not require grad: not checked")
            else:
                self.arrays.append(a)
        if not self.diff:
            raise ValueError(f"gradcheck expects at least one input tensor to require "
                             f"gradient, but none of the {len(self.inputs)} inputs does")

    # ---- evaluating fn ---------------------------------------------------------------
    def args(self, arrays: list) -> list:
        """Fresh arguments: leaves (requiring grad as the originals did) for tensors."""
        out = []
        for a, orig in zip(arrays, self.inputs):
            if isinstance(orig, Tensor) and orig.dtype.kind == "f":
                t = wrap(a.copy())   # a copy: fn may change a constant input in place
                t.requires_grad = orig.requires_grad
                out.append(t)
            else:
                out.append(orig)
        return out

    def outputs(self, args: list) -> list:
        """The checked outputs of fn(*args), in order: those that require grad, or (as
        PyTorch does) every floating Tensor output when none does - their numeric
        gradient must then be zero."""
        outs = _as_tuple(self.fn(*args))
        if not hasattr(self, "out_pos"):
            floating = [k for k, o in enumerate(outs)
                        if isinstance(o, Tensor) and o.dtype.kind == "f"]
            if not floating:
                raise ValueError("gradcheck: the function returned no floating-point Tensor "
                                 "output, so there is no gradient to check")
            diff = [k for k in floating if outs[k].requires_grad]
            self.out_pos = diff or floating
            names = self.output_names or [f"output {k}" for k in range(len(outs))]
            skipped = [names[k] for k in floating if k not in self.out_pos]
            if skipped:
                self.report.notes.append(
                    f"{', '.join(skipped)} {'does' if len(skipped) == 1 else 'do'} not "
                    f"require grad: not checked")
            self.out_names = [names[k] for k in self.out_pos]
            self.out_shapes = [tuple(outs[k].shape) for k in self.out_pos]
            dtypes = {str(outs[k].dtype) for k in self.out_pos} - {"float64"}
            if dtypes:
                self.report.notes.append(
                    f"the function returns {'/'.join(sorted(dtypes))} although its inputs "
                    f"are float64: it computes in lower precision internally, so finite "
                    f"differences at eps={self.eps:g} are dominated by round-off")
        return [outs[k] for k in self.out_pos]

    def values(self, arrays: list) -> list:
        """fn's checked outputs at `arrays` as flat float64 copies."""
        outs = self.outputs(self.args(arrays))
        for name, o, shape in zip(self.out_names, outs, self.out_shapes):
            if o.shape != shape:
                raise ValueError(f"gradcheck: {name} has shape {tuple(o.shape)} at a shifted "
                                 f"point but {shape} at the point itself; finite differences "
                                 f"need output shapes that do not depend on the values")
        return [np.array(o.data, dtype=np.float64).ravel() for o in outs]

    def shifted(self, i: int, direction: np.ndarray, step: float) -> list:
        arrays = list(self.arrays)
        arrays[i] = self.arrays[i] + step * direction
        return self.values(arrays)

    def central(self, i: int, direction: np.ndarray) -> list:
        """(f(x + eps d) - f(x - eps d)) / 2 eps along `direction` of input i."""
        plus, minus = self.shifted(i, direction, self.eps), self.shifted(i, direction, -self.eps)
        return [(p - m) / (2 * self.eps) for p, m in zip(plus, minus)]

    def vjp(self, out: Tensor, leaves: list, u: np.ndarray) -> list:
        """u^T J for each leaf (flat float64; zeros where unused)."""
        if not out.requires_grad:
            return [np.zeros(t.data.size) for t in leaves]
        gs = _grad(out, leaves, wrap(u.astype(out.dtype).reshape(out.shape)),
                   retain_graph=True, allow_unused=True)
        for n, (g, t) in enumerate(zip(gs, leaves)):
            if g is not None and (g.shape != t.shape or g.dtype != t.dtype):
                problem = (f"the gradient of {self.input_names[self.diff[n]]} has shape "
                           f"{tuple(g.shape)} and dtype {g.dtype}, but the input has shape "
                           f"{tuple(t.shape)} and dtype {t.dtype}")
                if problem not in self.report.problems:
                    self.report.problems.append(problem)
        return [np.zeros(t.data.size) if g is None or g.data.size != t.data.size else
                np.array(g.data, dtype=np.float64).ravel() for g, t in zip(gs, leaves)]

    # ---- the two modes ---------------------------------------------------------------
    def run(self, fast_mode: bool) -> GradcheckReport:
        with enable_grad():
            args = self.args(self.arrays)
            outs = self.outputs(args)
            leaves = [args[i] for i in self.diff]
            if not any(o.requires_grad for o in outs):
                self.report.notes.append(
                    "no output requires grad: the numeric gradient must be zero")
            if fast_mode:
                self.fast(outs, leaves)
            else:
                self.full(outs, leaves)
        return self.report

    def full(self, outs: list, leaves: list) -> None:
        analytic = []   # analytic[k][n]: (out size, input size) block
        for o in outs:
            rows = [[] for _ in leaves]
            for r in range(o.data.size):
                e = np.zeros(o.data.size)
                e[r] = 1.0
                for n, g in enumerate(self.vjp(o, leaves, e)):
                    rows[n].append(g)
            analytic.append([np.array(b).reshape(o.data.size, t.data.size)
                             for b, t in zip(rows, leaves)])
        for n, i in enumerate(self.diff):
            size = self.arrays[i].size
            numeric = [np.empty((o.data.size, size)) for o in outs]
            for j in range(size):
                for k, col in enumerate(self.central(i, self.basis(i, j))):
                    numeric[k][:, j] = col
            for k, o in enumerate(outs):
                self.compare(k, n, analytic[k][n], numeric[k], o.shape)

    def compare(self, k: int, n: int, a: np.ndarray, num: np.ndarray,
                out_shape: tuple) -> None:
        allowed = self.atol + self.rtol * np.abs(num)
        bad, order = _failures(a, num, allowed)
        failed = int(bad.sum())
        if not failed:
            return
        r, j = np.unravel_index(order, a.shape)
        i = self.diff[n]
        w = np.zeros(a.shape[0])
        w[r] = 1.0
        self.add(k, n, np.unravel_index(r, out_shape),
                 np.unravel_index(j, self.arrays[i].shape), a[r, j], num[r, j],
                 allowed[r, j], failed, a.size, w, self.basis(i, j))

    def basis(self, i: int, j: int) -> np.ndarray:
        e = np.zeros(self.arrays[i].size)
        e[j] = 1.0
        return e.reshape(self.arrays[i].shape)

    def fast(self, outs: list, leaves: list) -> None:
        us = [self.unit(o.data.size) for o in outs]
        vs = [self.unit(self.arrays[i].size) for i in self.diff]
        uJ = [self.vjp(o, leaves, u) for o, u in zip(outs, us)]
        for n, i in enumerate(self.diff):
            Jv = self.central(i, vs[n].reshape(self.arrays[i].shape))
            for k in range(len(outs)):
                a, num = float(uJ[k][n] @ vs[n]), float(us[k] @ Jv[k])
                allowed = self.atol * us[k].sum() * vs[n].sum() + self.rtol * abs(num)
                if abs(a - num) <= allowed:
                    continue
                if self.arrays[i].size <= LOCATE_LIMIT:
                    self.locate(k, n, us[k], uJ[k][n], a, num, allowed)
                else:
                    self.add(k, n, None, None, a, num, allowed, 1, 1, us[k],
                             vs[n].reshape(self.arrays[i].shape))

    def unit(self, size: int) -> np.ndarray:
        v = self.rng.random(size)
        norm = np.linalg.norm(v)
        return v / norm if norm else v

    def locate(self, k: int, n: int, u: np.ndarray, uJ: np.ndarray, a: float, num: float,
               allowed: float) -> None:
        """Narrow a failing projection down to the worst input element: u^T J e_j."""
        i = self.diff[n]
        numeric = np.array([u @ self.central(i, self.basis(i, j))[k]
                            for j in range(self.arrays[i].size)])
        tol = self.atol * u.sum() + self.rtol * np.abs(numeric)
        bad, j = _failures(uJ, numeric, tol)
        failed = int(bad.sum())
        if not failed:   # only the projection disagrees (errors below the element tolerance)
            self.add(k, n, None, None, a, num, allowed, 1, 1, u, None)
            return
        self.add(k, n, None, np.unravel_index(j, self.arrays[i].shape), uJ[j], numeric[j],
                 tol[j], failed, uJ.size, u, self.basis(i, j))

    # ---- reporting ---------------------------------------------------------------------
    def add(self, k: int, n: int, out_index: Any, in_index: Any, a: float, num: float,
            allowed: float, failed: int, checked: int, w: np.ndarray,
            d: np.ndarray | None) -> None:
        i = self.diff[n]
        m = Mismatch(self.out_pos[k], i, self.out_names[k], self.input_names[i],
                     None if out_index is None else tuple(int(x) for x in out_index),
                     None if in_index is None else tuple(int(x) for x in in_index),
                     float(a), float(num), float(allowed), failed, checked)
        if d is not None:
            self.one_sided(m, k, i, w, d)
        self.report.mismatches.append(m)

    def one_sided(self, m: Mismatch, k: int, i: int, w: np.ndarray, d: np.ndarray) -> None:
        """Fill m.left/m.right and decide m.kink for the scalar <w, f_k> along d.

        For a smooth function the gap right - left between one-sided quotients is about
        step * f'', so it shrinks 4x when the step does; a kink within reach of the step
        keeps (or abruptly loses) a gap of order one.
        """
        f0 = w @ self.values(self.arrays)[k]

        def gap(step: float) -> tuple:
            plus = w @ self.shifted(i, d, step)[k]
            minus = w @ self.shifted(i, d, -step)[k]
            return (f0 - minus) / step, (plus - f0) / step
        left, right = gap(self.eps)
        left4, right4 = gap(self.eps / 4)
        m.left, m.right = float(left), float(right)
        tol = self.atol + self.rtol * max(abs(left), abs(right))
        m.kink = bool(abs((right4 - left4) - (right - left) / 4) > tol)


def gradcheck_report(fn: Callable, inputs: Any, *, eps: float = 1e-6, atol: float = 1e-5,
                     rtol: float = 1e-3, fast_mode: bool = False, seed: int = 0,
                     input_names: Sequence[str] | None = None,
                     output_names: Sequence[str] | None = None) -> GradcheckReport:
    """Run the check of `gradcheck` and return its `GradcheckReport` (never raises on a
    mismatch).  `seed` fixes fast mode's random projections."""
    return _Check(fn, inputs, eps, atol, rtol, seed, input_names, output_names,
                  "gradient", fast_mode).run(fast_mode)


def gradcheck(fn: Callable, inputs: Any, *, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True, fast_mode: bool = False,
              seed: int = 0, locate: bool = False) -> bool:
    """Check the gradients of `fn` at `inputs` against central finite differences.

    `inputs` is a Tensor or a tuple of arguments; tensors that require grad are checked
    (floating ones upcast to float64), others are passed through.  The outputs that
    require grad are checked (when none does, every floating output's numeric gradient
    must be zero): an element fails unless |analytic - numeric| <= atol + rtol |numeric|.
    Returns True, or raises `GradcheckError` whose message reports the worst element of
    each failing (output, input) pair (``raise_exception=False``: returns False).
    ``fast_mode`` compares random projections u^T J v instead of every element.
    ``locate=True``: on a failure, replay fn's tape op by op (autograd.check_tape) and
    add to the report which node's backward is wrong.
    """
    report = gradcheck_report(fn, inputs, eps=eps, atol=atol, rtol=rtol,
                              fast_mode=fast_mode, seed=seed)
    if locate and not report.ok:
        from .check_tape import locate as replay_tape
        replay_tape(report, fn, inputs, eps=eps, atol=atol, rtol=rtol, seed=seed)
    return _verdict(report, raise_exception)


def _verdict(report: GradcheckReport, raise_exception: bool) -> bool:
    if report.ok:
        return True
    if raise_exception:
        raise GradcheckError(report)
    return False


def gradgradcheck_report(fn: Callable, inputs: Any, grad_outputs: Any = None, *,
                         eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                         fast_mode: bool = False, seed: int = 0) -> GradcheckReport:
    """Run the check of `gradgradcheck` and return its `GradcheckReport`."""
    inputs = _as_tuple(inputs)
    xs = [wrap(np.array(a.data, dtype=np.float64)).requires_grad_(a.requires_grad)
          if isinstance(a, Tensor) and a.dtype.kind == "f" else a for a in inputs]
    diff = [i for i, a in enumerate(xs) if isinstance(a, Tensor) and a.requires_grad]
    if not diff:
        raise ValueError(f"gradgradcheck expects at least one input tensor to require "
                         f"gradient, but none of the {len(inputs)} inputs does")
    with enable_grad():
        outs = _as_tuple(fn(*xs))
    out_pos = [k for k, o in enumerate(outs) if isinstance(o, Tensor) and o.requires_grad]
    if not out_pos:
        raise ValueError("gradgradcheck: no output of the function requires grad")
    if grad_outputs is None:
        rng = np.random.default_rng(seed)
        gos = [wrap(rng.standard_normal(outs[k].shape)) for k in out_pos]
    else:
        gos = [wrap(np.array(g.data if isinstance(g, Tensor) else g, dtype=np.float64))
               for g in _as_tuple(grad_outputs)]
        if len(gos) != len(out_pos):
            raise ValueError(f"gradgradcheck: got {len(gos)} grad_outputs for "
                             f"{len(out_pos)} differentiable outputs")
    for g in gos:
        g.requires_grad = True
    n_in = len(xs)

    def first_derivative(*args: Any) -> tuple:
        # d/dx_i <fn(x), grad_outputs>, differentiable in x and in grad_outputs
        with enable_grad():
            ys = _as_tuple(fn(*args[:n_in]))
            return _grad([ys[k] for k in out_pos], [args[i] for i in diff], list(args[n_in:]),
                         create_graph=True, allow_unused=True, materialize_grads=True)

    names = [f"input {i}" for i in range(n_in)] + [f"grad_outputs[{k}]" for k in out_pos]
    report = _Check(first_derivative, tuple(xs) + tuple(gos), eps, atol, rtol, seed, names,
                    [f"grad of input {i}" for i in diff], "second derivative (double backward)",
                    fast_mode).run(fast_mode)
    report.notes.append("the first derivative checked is d<fn(x), grad_outputs>/dx")
    report.notes += [f"input {i} ({a.dtype}) upcast to float64" for i, a in enumerate(inputs)
                     if isinstance(a, Tensor) and a.dtype.kind == "f" and a.dtype != np.float64]
    return report


def gradgradcheck(fn: Callable, inputs: Any, grad_outputs: Any = None, *, eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True,
                  fast_mode: bool = False, seed: int = 0) -> bool:
    """Check second derivatives: gradcheck of x, v -> d<fn(x), v>/dx, the gradient
    computed with ``create_graph=True`` (so its own backward is the double backward).

    `grad_outputs` (one per differentiable output; random normal by default) is the v
    of the first derivative; it is checked as an input too.  Returns True, or raises
    `GradcheckError` (``raise_exception=False``: returns False).
    """
    report = gradgradcheck_report(fn, inputs, grad_outputs, eps=eps, atol=atol, rtol=rtol,
                                  fast_mode=fast_mode, seed=seed)
    return _verdict(report, raise_exception)
