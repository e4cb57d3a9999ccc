"""detect_anomaly: a NaN/inf made in backward names the op and the user's forward line;
outside anomaly mode nothing is captured or checked."""
import threading

import numpy as np
import pytest

import autograd as ag
from autograd import Function


def leaf(*values):
    return ag.tensor(np.array(values, dtype=np.float64), requires_grad=True)


def test_sqrt_at_zero_names_the_op_and_the_forward_line():
    x = leaf(0.0, 4.0)
    with ag.detect_anomaly():
        y = ag.sqrt(x).sum()   # the line the error must show
        with pytest.raises(RuntimeError) as info, np.errstate(divide="ignore"):
            y.backward()
    msg = str(info.value)
    assert "Function 'SqrtBackward' returned inf values in its 0th output" in msg
    assert "first at index (0,)" in msg
    assert "y = ag.sqrt(x).sum()   # the line the error must show" in msg
    assert __file__ in msg


def test_log_of_zero_shows_the_input_value():
    def model(x):
        return ag.log(x * 1.0)      # inside a helper: the error shows both frames

    x = leaf(2.0, 0.0)
    with ag.detect_anomaly():
        with np.errstate(divide="ignore"):
            y = model(x).sum()
        with pytest.raises(RuntimeError) as info, np.errstate(divide="ignore"):
            y.backward()
    msg = str(info.value)
    assert "'LogBackward' returned inf" in msg and "index (1,) where the input is 0.0" in msg
    assert "return ag.log(x * 1.0)" in msg and "y = model(x).sum()" in msg


def test_first_bad_node_is_named_not_a_later_one():
    x = leaf(-1.0)
    with ag.detect_anomaly():
        y = ag.exp(ag.sqrt(x * 0.0) * 2.0)   # nan/inf appears at sqrt, then propagates
        with pytest.raises(RuntimeError, match="SqrtBackward"), np.errstate(all="ignore"):
            y.backward()


def test_custom_function_is_named():
    class Inverse(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return 1 / x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return -g / (x * x)

    x = leaf(0.0)
    with ag.detect_anomaly(), np.errstate(divide="ignore"):
        y = Inverse.apply(x)
        with pytest.raises(RuntimeError, match="'InverseBackward' returned (nan|inf).*of Inverse,"):
            y.backward()


def test_outside_anomaly_mode_nothing_is_captured_or_checked():
    x = leaf(0.0)
    y = ag.sqrt(x)
    assert "stack" not in y.grad_fn.metadata()
    with np.errstate(divide="ignore"):
        y.backward()
    assert np.isinf(x.grad.data).all()   # no error: anomaly mode was off


def test_check_nan_false_keeps_stacks_only():
    x = leaf(0.0)
    with ag.detect_anomaly(check_nan=False):
        assert ag.is_anomaly_enabled()
        assert not ag.anomaly.is_anomaly_check_nan_enabled()
        y = ag.sqrt(x)
        with np.errstate(divide="ignore"):
            y.backward()
    assert y.grad_fn.metadata()["stack"]
    assert not ag.is_anomaly_enabled()


def test_set_detect_anomaly_acts_at_once_and_restores():
    assert not ag.is_anomaly_enabled()
    guard = ag.set_detect_anomaly(True)
    assert ag.is_anomaly_enabled()
    with guard:
        with ag.set_detect_anomaly(False):
            assert not ag.is_anomaly_enabled()
        assert ag.is_anomaly_enabled()
    assert not ag.is_anomaly_enabled()


def test_decorator_and_thread_locality():
    seen = []

    @ag.detect_anomaly()
    def run():
        seen.append(ag.is_anomaly_enabled())
        other = threading.Thread(target=lambda: seen.append(ag.is_anomaly_enabled()))
        other.start()
        other.join()

    run()
    assert seen == [True, False] and not ag.is_anomaly_enabled()


def test_error_in_a_custom_backward_shows_its_forward_line_in_anomaly_mode():
    class Broken(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g[:1]          # wrong shape

    x = ag.tensor(np.ones((2, 3)), requires_grad=True)
    with ag.detect_anomaly():
        y = Broken.apply(x).sum()   # the call the note must show
        with pytest.raises(ValueError) as info:
            y.backward()
    notes = "\n".join(getattr(info.value, "__notes__", []))
    assert "BrokenBackward" in notes and "y = Broken.apply(x).sum()" in notes
    with pytest.raises(ValueError) as info:
        Broken.apply(x).sum().backward()
    assert not getattr(info.value, "__notes__", [])   # outside anomaly mode: no note
