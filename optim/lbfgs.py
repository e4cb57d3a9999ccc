"""L-BFGS: a quasi-Newton method that re-evaluates the model through a closure, with an
optional strong-Wolfe line search (PyTorch's algorithm, itself a port of minFunc).

All parameters form one flat vector: the gradient is gathered into it, the two-loop
recursion computes the direction from the last `history_size` curvature pairs
``(s, y)``, and ``p <- p + t * d`` is scattered back into the parameter arrays.  Like
PyTorch's, the state lives under the first parameter (``func_evals``, ``n_iter``, ``d``,
``t``, ``old_dirs``, ``old_stps``, ``ro``, ``H_diag``, ``prev_flat_grad``,
``prev_loss``, ``al``), so a state_dict moves between the two.
"""
from __future__ import annotations

import numbers
from typing import Any, Callable

import numpy as np

from autograd import Tensor, bump_version, enable_grad
from autograd.tensor import wrap

from .lr_scheduler import _check_positive_int
from .optimizer import Optimizer, ParamsT

__all__ = ["LBFGS"]

# State entries that are flat vectors, lists of them or 0-d values: not shaped like the
# parameter they are filed under, so they are loaded here rather than by the base class.
_FLAT_KEYS = frozenset({"d", "t", "old_dirs", "old_stps", "ro", "al", "H_diag",
                        "prev_flat_grad"})
_ERRSTATE = dict(divide="ignore", invalid="ignore", over="ignore")


class LBFGS(Optimizer):
    r"""L-BFGS (Nocedal, 1980; Liu & Nocedal, 1989), as PyTorch implements it.

    ``step(closure)`` runs up to `max_iter` iterations (and `max_eval` evaluations of
    `closure`, default ``max_iter * 5 // 4``).  Each iteration, with the flat gradient g::

        y = g - g_prev,  s = t_prev * d_prev;  keep (s, y, 1 / y's) if y's > 1e-10
        d = -H g          (two-loop recursion, H_0 = y's / y'y from the newest pair)
        t = lr            (first iteration: min(1, 1 / sum|g|) * lr)
        t = strong_wolfe(...)                       (line_search_fn="strong_wolfe")
        p <- p + t * d

    and stops early when ``max|g| <= tolerance_grad``, when ``g'd > -tolerance_change``,
    or when the step or the change in loss is below `tolerance_change`.  Only one
    parameter group is supported; the closure is required and must return the loss.
    """

    def __init__(self, params: ParamsT, lr: float = 1, max_iter: int = 20,
                 max_eval: int | None = None, tolerance_grad: float = 1e-7,
                 tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: str | None = None) -> None:
        _check_positive_int("LBFGS", "max_iter", max_iter)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        super().__init__(params, dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                                      tolerance_grad=tolerance_grad,
                                      tolerance_change=tolerance_change,
                                      history_size=history_size,
                                      line_search_fn=line_search_fn))

    def _check_options(self, options: dict[str, Any]) -> None:
        super()._check_options(options)
        for key in ("max_iter", "max_eval", "history_size"):
            if key in options:
                _check_positive_int("LBFGS", key, options[key])
        for key in ("tolerance_grad", "tolerance_change"):
            v = options.get(key, 0.0)
            if isinstance(v, bool) or not isinstance(v, numbers.Real):
                raise TypeError(f"LBFGS: {key} must be a number, got {v!r}")
        if options.get("line_search_fn") not in (None, "strong_wolfe"):
            raise RuntimeError(f"LBFGS: only 'strong_wolfe' is supported as line_search_fn "
                               f"(or None), got {options['line_search_fn']!r}")

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Only the constructor's one group: L-BFGS keeps one flat state vector."""
        if self.param_groups:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter "
                             "groups): give all parameters as one group")
        super().add_param_group(param_group)

    # ---- the flat vector view of the parameters -----------------------------------------
    @property
    def _params(self) -> list[Tensor]:
        return self.param_groups[0]["params"]

    def _gather_flat_grad(self) -> np.ndarray:
        """All gradients as one new vector (zeros for a parameter without one)."""
        return np.concatenate([np.zeros(p.data.size, p.data.dtype) if p.grad is None
                               else p.grad.data.reshape(-1) for p in self._params])

    def _add_grad(self, step_size: Any, update: np.ndarray) -> None:
        """``p <- p + step_size * update`` for the slice of `update` that is p."""
        offset = 0
        for p in self._params:
            d = p.data
            d += step_size * update[offset:offset + d.size].reshape(d.shape)
            offset += d.size
            bump_version(p)

    def _set_param(self, values: list[np.ndarray]) -> None:
        for p, v in zip(self._params, values):
            p.data[...] = v
            bump_version(p)

    def _directional_evaluate(self, closure: Callable[[], Any], x: list[np.ndarray],
                              t: Any, d: np.ndarray) -> tuple[float, np.ndarray]:
        """Loss and flat gradient at ``x + t * d``; the parameters are reset to x."""
        self._add_grad(t, d)
        with enable_grad():
            loss = float(closure())
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    # ---- the step ---------------------------------------------------------------------
    def step(self, closure: Callable[[], Any]) -> Any:  # type: ignore[override]
        """Run up to ``max_iter`` L-BFGS iterations; `closure` (required) zeroes the
        gradients, evaluates the model, calls ``backward()`` and returns the loss.
        Returns the loss of the first evaluation."""
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        history_size = group["history_size"]

        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        with enable_grad():
            orig_loss = closure()
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        if np.abs(flat_grad).max() <= tolerance_grad:
            return orig_loss

        d, t = _unwrap(state.get("d")), _unwrap(state.get("t"))
        old_dirs, old_stps = _unwrap(state.get("old_dirs")), _unwrap(state.get("old_stps"))
        ro, H_diag = _unwrap(state.get("ro")), _unwrap(state.get("H_diag"))
        al = _unwrap(state.get("al"))
        prev_flat_grad, prev_loss = _unwrap(state.get("prev_flat_grad")), state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1

            # ---- the direction: steepest descent at first, then the two-loop recursion
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1
            else:
                with np.errstate(**_ERRSTATE):
                    y = flat_grad - prev_flat_grad
                    s = d * t
                    ys = y.dot(s)
                    if ys > 1e-10:     # keep only pairs of positive curvature
                        if len(old_dirs) == history_size:
                            old_dirs.pop(0)
                            old_stps.pop(0)
                            ro.pop(0)
                        old_dirs.append(y)
                        old_stps.append(s)
                        ro.append(1.0 / ys)
                        H_diag = ys / y.dot(y)
                    if al is None:
                        al = [None] * history_size
                    q = -flat_grad
                    for i in range(len(old_dirs) - 1, -1, -1):
                        al[i] = old_stps[i].dot(q) * ro[i]
                        q += -al[i] * old_dirs[i]
                    d = r = q * H_diag
                    for i in range(len(old_dirs)):
                        be_i = old_dirs[i].dot(r) * ro[i]
                        r += (al[i] - be_i) * old_stps[i]

            if prev_flat_grad is None:
                prev_flat_grad = flat_grad.copy()
            else:
                prev_flat_grad[...] = flat_grad
            prev_loss = loss

            # ---- the step length
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / np.abs(flat_grad).sum()) * lr
            else:
                t = lr
            gtd = flat_grad.dot(d)
            if gtd > -tolerance_change:    # not a descent direction (any more)
                break

            ls_func_evals = 0
            if group["line_search_fn"] is not None:
                x_init = [p.data.copy() for p in self._params]

                def obj_func(x: list[np.ndarray], t: Any, d: np.ndarray) -> tuple:
                    return self._directional_evaluate(closure, x, t, d)

                loss, flat_grad, t, ls_func_evals = _strong_wolfe(
                    obj_func, x_init, t, d, loss, flat_grad, gtd,
                    max_ls=max_eval - current_evals)
                self._add_grad(t, d)
                opt_cond = np.abs(flat_grad).max() <= tolerance_grad
            else:
                self._add_grad(t, d)
                opt_cond = False
                if n_iter != max_iter:
                    # Not after the last iteration: the next step() evaluates anyway.
                    with enable_grad():
                        loss = float(closure())
                    flat_grad = self._gather_flat_grad()
                    opt_cond = np.abs(flat_grad).max() <= tolerance_grad
                    ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            # ---- stopping rules
            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if np.abs(d * t).max() <= tolerance_change:
                break
            if abs(loss - prev_loss) < tolerance_change:
                break

        state.update(d=_wrap(d), t=_wrap(t), old_dirs=_wrap(old_dirs),
                     old_stps=_wrap(old_stps), ro=_wrap(ro), H_diag=_wrap(H_diag),
                     prev_flat_grad=_wrap(prev_flat_grad), prev_loss=prev_loss)
        if al is not None:
            state["al"] = _wrap(al)
        return orig_loss

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Like the base class; the flat vectors and lists (PyTorch's layout, values
        Tensors or ndarrays) are copied and cast to the parameters' dtype."""
        plain = {k: {key: v for key, v in s.items() if key not in _FLAT_KEYS}
                 for k, s in state_dict["state"].items()}
        super().load_state_dict({"state": plain, "param_groups": state_dict["param_groups"]})
        index = {int(i): p for i, p in zip(state_dict["param_groups"][0]["params"],
                                           self._params)}
        for k, s in state_dict["state"].items():
            p = index[int(k)]
            self.state[p].update({key: _wrap(_unwrap(v), p.data.dtype)
                                  for key, v in s.items() if key in _FLAT_KEYS})


def _unwrap(value: Any) -> Any:
    """State values as NumPy: Tensors become their arrays (a copy: the step's in-place
    updates must not reach a state_dict the caller holds), lists element by element."""
    if isinstance(value, list):
        return [_unwrap(v) for v in value]
    if isinstance(value, Tensor):
        return np.array(value.data)
    return value


def _wrap(value: Any, dtype: Any = None) -> Any:
    """NumPy values as Tensors (of `dtype` when given), lists element by element;
    Python numbers and None are kept, as PyTorch keeps them."""
    if isinstance(value, list):
        return [_wrap(v, dtype) for v in value]
    if isinstance(value, (np.ndarray, np.generic)):
        return wrap(np.array(value, dtype=dtype))
    return value


@np.errstate(**_ERRSTATE)
def _cubic_interpolate(x1: Any, f1: Any, g1: Any, x2: Any, f2: Any, g2: Any,
                       bounds: tuple | None = None) -> Any:
    """The minimizer of the cubic through two points with their slopes, clamped to
    `bounds` (default: between the points); their midpoint when the cubic has none."""
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 ** 2 - g1 * g2
    if d2_square >= 0:
        d2 = np.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def _strong_wolfe(obj_func: Callable, x: list[np.ndarray], t: Any, d: np.ndarray, f: float,
                  g: np.ndarray, gtd: Any, c1: float = 1e-4, c2: float = 0.9,
                  tolerance_change: float = 1e-9, max_ls: int = 25) -> tuple:
    """A step length t along d satisfying the strong Wolfe conditions
    ``f(x + t d) <= f + c1 t g'd`` and ``|g(x + t d)'d| <= -c2 g'd``: bracket an
    interval that contains one, then zoom in by cubic interpolation (minFunc's
    lswolfe, as PyTorch ports it).  Returns ``(f_new, g_new, t, evaluations)``."""
    d_norm = np.abs(d).max()
    g = g.copy()
    f_new, g_new = obj_func(x, t, d)
    ls_func_evals = 1
    gtd_new = g_new.dot(d)

    # ---- bracketing
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        # extrapolate
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                               bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new.copy(), gtd_new
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]

    # ---- zoom: shrink the bracket until a point satisfies the conditions
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0],
                               bracket[1], bracket_f[1], bracket_gtd[1])
        # Too close to an end of the bracket (twice in a row, or outside it): move to
        # 10% of its length inside, so that the bracket keeps shrinking.
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                if abs(t - max(bracket)) < abs(t - min(bracket)):
                    t = max(bracket) - eps
                else:
                    t = min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1

        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            # no sufficient decrease, or not below the low end: the new high end
            bracket[high_pos], bracket_f[high_pos] = t, f_new
            bracket_g[high_pos], bracket_gtd[high_pos] = g_new.copy(), gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                # the old high end becomes the low end
                bracket[high_pos], bracket_f[high_pos] = bracket[low_pos], bracket_f[low_pos]
                bracket_g[high_pos] = bracket_g[low_pos]
                bracket_gtd[high_pos] = bracket_gtd[low_pos]
            bracket[low_pos], bracket_f[low_pos] = t, f_new
            bracket_g[low_pos], bracket_gtd[low_pos] = g_new.copy(), gtd_new

    t = bracket[low_pos]
    return bracket_f[low_pos], bracket_g[low_pos], t, ls_func_evals
