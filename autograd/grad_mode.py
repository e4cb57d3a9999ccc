"""Grad mode: whether operations are recorded on the tape.

The flag is thread-local, like PyTorch's: `no_grad()` in one thread does not
stop recording in another.  `no_grad`, `enable_grad` and `set_grad_enabled`
work both as context managers and as decorators.
"""
from __future__ import annotations

import functools
import inspect
import operator
import threading
from typing import Any, Callable, TypeVar

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled"]

F = TypeVar("F", bound=Callable[..., Any])


def _traced(name: str) -> property:
    """A per-thread flag that also keeps `tracing` up to date."""
    slot = "_" + name

    def set_(self: _State, value: Any) -> None:
        setattr(self, slot, value)
        self.tracing = bool(self._anomaly or self._sites or self._modules or self._recorder)
    return property(operator.attrgetter(slot), set_)


class _State(threading.local):
    # Class attributes are the per-thread defaults of threading.local subclasses.
    enabled = True      # record ops on the tape
    tracing = False     # any of the four below is set: recording has extra work to do
    _anomaly = False
    _sites = False
    _modules: tuple = ()
    _recorder = None
    anomaly = _traced("anomaly")  # anomaly mode: capture forward stacks, check backward
    sites = _traced("sites")      # capture the user's call site of every recorded op
    modules = _traced("modules")  # nn.Modules whose forward is running (graph clusters)
    recorder = _traced("recorder")  # called as recorder(node, outputs) for every new node

    def enter_module(self, module: Any) -> tuple:
        """Push `module` on the stack of running modules; returns what to restore."""
        prev = self._modules
        self._modules = prev + (module,)
        self.tracing = True
        return prev

    def exit_module(self, prev: tuple) -> None:
        """Restore the module stack `enter_module` returned."""
        self._modules = prev
        if not prev:
            self.tracing = bool(self._anomaly or self._sites or self._recorder)


STATE = _State()


def is_grad_enabled() -> bool:
    """True when operations on tensors that require grad are recorded."""
    return STATE.enabled


class _GradModeContext:
    """Base of the grad-mode context managers; also usable as a decorator."""

    _mode: bool

    def __enter__(self) -> None:
        self._prev = STATE.enabled
        STATE.enabled = self._mode

    def __exit__(self, *exc: object) -> None:
        STATE.enabled = self._prev

    def __call__(self, fn: F) -> F:
        mode = self._mode
        if inspect.isgeneratorfunction(fn):
            return _generator_wrapper(fn, mode)  # type: ignore[return-value]

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            prev = STATE.enabled
            STATE.enabled = mode
            try:
                return fn(*args, **kwargs)
            finally:
                STATE.enabled = prev

        return wrapper  # type: ignore[return-value]


def _generator_wrapper(fn: Callable, mode: bool) -> Callable:
    """Wrap generator function `fn` so that its code runs in grad mode `mode`, while
    the caller's mode holds between the items, as PyTorch does."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        gen = fn(*args, **kwargs)
        try:
            with set_grad_enabled(mode):
                response = gen.send(None)
            while True:
                try:
                    request = yield response
                except GeneratorExit:
                    with set_grad_enabled(mode):
                        gen.close()
                    raise
                except BaseException as e:
                    with set_grad_enabled(mode):
                        response = gen.throw(e)
                else:
                    with set_grad_enabled(mode):
                        response = gen.send(request)
        except StopIteration as e:
            return e.value

    return wrapper


class _NoParamDecorator(_GradModeContext):
    """Also a decorator without parentheses: ``@no_grad`` as well as ``@no_grad()``."""

    def __new__(cls, orig_func: Callable | None = None) -> Any:
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoParamDecorator):
    """Context manager / decorator that turns recording off: results need no grad."""

    _mode = False


class enable_grad(_NoParamDecorator):
    """Context manager / decorator that turns recording back on inside `no_grad`."""

    _mode = True


class set_grad_enabled(_GradModeContext):
    """Set grad mode to `mode`; takes effect at once, and as a context manager restores on exit."""

    def __init__(self, mode: bool) -> None:
        self._mode = bool(mode)
        self._prev = STATE.enabled
        STATE.enabled = self._mode

    def __enter__(self) -> None:  # the mode was already set in __init__
        pass

    def __call__(self, fn: F) -> F:
        STATE.enabled = self._prev  # as a decorator it must not change the mode now
        return super().__call__(fn)
