"""Anomaly mode: find the op whose backward produced NaN or inf.

Inside ``detect_anomaly()`` every recorded op keeps the user's stack at its forward
call, and every backward result is checked for non-finite values.  Outside it nothing
is captured or checked, so normal runs pay nothing.
"""
from __future__ import annotations

import traceback
from typing import Any

import numpy as np

from .grad_mode import STATE

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled"]


class detect_anomaly:
    """Context manager (and decorator) turning anomaly mode on; `check_nan=False` keeps
    only the forward stacks."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan

    def __enter__(self) -> None:
        self._prev = STATE.anomaly
        STATE.anomaly = True
        self._prev_check = getattr(STATE, "check_nan", True)
        STATE.check_nan = self.check_nan

    def __exit__(self, *exc: object) -> None:
        STATE.anomaly = self._prev
        STATE.check_nan = self._prev_check

    def __call__(self, fn: Any) -> Any:
        import functools

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)
        return wrapper


class set_detect_anomaly:
    """Turn anomaly mode on or off at once (like PyTorch); as a context manager it
    restores the previous mode on exit."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self._prev = STATE.anomaly
        self._prev_check = getattr(STATE, "check_nan", True)
        STATE.anomaly = bool(mode)
        STATE.check_nan = check_nan

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        STATE.anomaly = self._prev
        STATE.check_nan = self._prev_check


def is_anomaly_enabled() -> bool:
    """True inside detect_anomaly()."""
    return STATE.anomaly


def is_anomaly_check_nan_enabled() -> bool:
    """True when anomaly mode also checks backward results for NaN/inf."""
    return STATE.anomaly and getattr(STATE, "check_nan", True)


def forward_site(node: Any) -> str:
    """The user's source lines that created `node` in forward (if anomaly mode caught them)."""
    stack = node.__dict__.get("_meta", {}).get("stack")
    if not stack:
        return "(no forward trace: the op was recorded outside detect_anomaly())"
    return "".join(traceback.format_list(stack[-5:]))


def check_backward(node: Any, grads: tuple) -> None:
    """Raise if `node`'s backward returned NaN or inf (anomaly mode only).

    The engine calls this right after each node's backward, so the first node whose
    gradient is not finite is the one named, not one further down the graph.
    """
    if not getattr(STATE, "check_nan", True):
        return
    for i, g in enumerate(grads):
        if g is None:
            continue
        data = np.asarray(g.data)
        if data.dtype.kind in "fc" and not np.isfinite(data).all():
            what = "nan" if np.isnan(data).any() else "inf"
            # built-in ops are called by their lower-case function, custom Functions by class
            op = node.name if "_ctx" in node.__dict__ else node.name.lower()
            raise RuntimeError(
                f"Function '{node.name}Backward' returned {what} values in its {i}th output "
                f"(the gradient for input {i} of {op}, shape "
                f"{tuple(data.shape)}){_where(node, i, data)}.\n"
                f"The forward call that created this op (most recent call last):\n"
                f"{forward_site(node)}")


def _where(node: Any, i: int, data: np.ndarray) -> str:
    """', first at index (j,) where input i is v', when the node still has its inputs."""
    idx = tuple(int(k) for k in np.argwhere(~np.isfinite(data))[0])
    text = f", first at index {idx}" if idx else ""
    try:
        x = node.inputs[i]
    except Exception:   # the op saved no inputs (or they are gone): the index must do
        return text
    if getattr(x, "shape", None) == data.shape:
        text += f" where the input is {np.asarray(x.data)[idx].item()!r}"
    return text
