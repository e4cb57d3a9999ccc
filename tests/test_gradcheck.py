"""gradcheck / gradgradcheck: they pass on correct gradients, fail on wrong ones, and the
report names the output, the input and the worst element with the right values."""
import numpy as np
import pytest

import autograd as ag
import sys
from autograd import Function, GradcheckError, gradcheck, gradgradcheck
from autograd.gradcheck import gradcheck_report


def leaf(a, requires_grad=True, dtype=np.float64):
    return ag.tensor(np.asarray(a, dtype=dtype), requires_grad=requires_grad)


class WrongForSecondInput(Function):
    """f(a, b) = a * b**2 with d/db wrong (b instead of 2ab) only where b[1, 2] is."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        db = g * 2 * a * b
        mask = np.zeros(b.shape)
        mask[1, 2] = 1.0
        wrong = ag.tensor(mask)
        return g * b * b, db * (1 - wrong) + g * b * wrong


class CubeWrongSecondOrder(Function):
    """x^3 with a correct first derivative whose own derivative is wrong (x detached)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x * x.detach()


A = np.array([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]])
B = np.array([[1.2, -0.4, 0.9], [2.0, 0.6, 1.1]])


def test_passes_on_correct_gradients_with_several_inputs_and_outputs():
    def f(a, b, k):
        return ag.tanh(a * b) * k, (a @ b.T).sum(), ag.argmax(a)   # int output skipped
    assert gradcheck(f, (leaf(A), leaf(B), 3.0))
    assert gradgradcheck(f, (leaf(A), leaf(B), 3.0))
    assert gradcheck(f, (leaf(A), leaf(B), 3.0), fast_mode=True)


def test_wrong_backward_fails_and_report_names_input_and_element():
    a, b = leaf(A), leaf(B)
    with pytest.raises(GradcheckError) as info:
        gradcheck(WrongForSecondInput.apply, (a, b))
    report = info.value.report
    assert isinstance(info.value, RuntimeError)
    assert len(report.mismatches) == 1            # input 0's gradient is right
    m = report.mismatches[0]
    assert (m.output, m.input) == (0, 1)
    assert m.out_index == (1, 2) and m.in_index == (1, 2)
    np.testing.assert_allclose(m.analytic, B[1, 2])             # what backward returned
    np.testing.assert_allclose(m.numeric, 2 * A[1, 2] * B[1, 2], rtol=1e-6)
    np.testing.assert_allclose(m.abs_err, abs(B[1, 2] - 2 * A[1, 2] * B[1, 2]), rtol=1e-6)
    assert m.n_failed == 1 and m.n_checked == 36
    assert not m.kink
    text = str(info.value)
    for piece in ["output 0 w.r.t. input 1", "1 of 36", "d output 0[1, 2] / d input 1[1, 2]",
                  "eps=1e-06", "float64"]:
        assert piece in text, piece
    assert gradcheck(WrongForSecondInput.apply, (a, b), raise_exception=False) is False


def test_fast_mode_catches_and_locates_the_wrong_element():
    report = gradcheck_report(WrongForSecondInput.apply, (leaf(A), leaf(B)), fast_mode=True)
    assert not report.ok and report.fast_mode
    (m,) = report.mismatches
    assert m.input == 1 and m.in_index == (1, 2) and m.out_index is None
    assert "u^T" in str(report)


def test_fast_mode_too_large_to_locate(monkeypatch):
    monkeypatch.setattr(sys.modules["autograd.gradcheck"], "LOCATE_LIMIT", 3)
    report = gradcheck_report(WrongForSecondInput.apply, (leaf(A), leaf(B)), fast_mode=True)
    (m,) = report.mismatches
    assert m.in_index is None and m.out_index is None and m.input == 1
    assert "too large" in str(report)


def test_fast_mode_cost_does_not_grow_with_input_size():
    calls = []

    def f(x):
        calls.append(1)
        return ag.sin(x) * 2

    x = leaf(np.linspace(-1, 1, 5000))
    assert gradcheck(f, x, fast_mode=True)
    assert len(calls) == 3      # one recorded call for the backward, two shifted ones


def test_inputs_not_requiring_grad_are_skipped():
    # the gradient for b is wrong, but b does not require grad: nothing to report
    report = gradcheck_report(WrongForSecondInput.apply, (leaf(A), leaf(B, False)))
    assert report.ok
    assert any("input 1 does not require grad" in n for n in report.notes)
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        gradcheck(ag.sin, leaf(A, False))


def test_float32_inputs_are_upcast():
    x = leaf([0.3, -1.2, 2.0], dtype=np.float32)
    # in float32 a difference quotient at eps=1e-6 is mostly round-off; in float64 fine
    report = gradcheck_report(lambda t: ag.exp(t) * t, x)
    assert report.ok
    assert "input 0 (float32) upcast to float64" in str(report)


def test_function_computing_in_float32_is_flagged():
    def f(x):
        return ag.sin(x.to(ag.float32))
    report = gradcheck_report(f, leaf([0.3, 1.0]))
    assert any("float32" in n and "round-off" in n for n in report.notes)


def test_output_detached_from_the_tape_is_caught_when_no_output_requires_grad():
    report = gradcheck_report(lambda x: (x.detach() * 0, ag.tensor(x.data * 3)),
                              leaf([1.0, 2.0]))
    (m,) = report.mismatches
    assert m.output == 1 and m.analytic == 0.0 and m.numeric == pytest.approx(3.0)
    assert any("no output requires grad" in n for n in report.notes)


def test_only_outputs_that_require_grad_are_checked_as_torch_does():
    # torch checks only the differentiable outputs when there is one
    report = gradcheck_report(lambda x: (x * 2, ag.tensor(x.data * 3)), leaf([1.0, 2.0]))
    assert report.ok
    assert any("output 1 does not require grad: not checked" in n for n in report.notes)

    class SplitMarked(Function):
        @staticmethod
        def forward(ctx, x):
            z = x * 3
            ctx.mark_non_differentiable(z)
            return x * 2, z

        @staticmethod
        def backward(ctx, g, h):
            return g * 2

    x = leaf([[0.3, -1.2], [0.7, 2.0]])
    assert gradcheck(lambda x: (x.sin(), x.detach() * 2), (x,), raise_exception=False)
    assert gradcheck(SplitMarked.apply, (x,), raise_exception=False)
    assert gradgradcheck(lambda x: (x.sin(), x.detach() * 2), (x,), raise_exception=False)
    assert not gradcheck(lambda x: (x.detach() * 2,), (x,), raise_exception=False)
    assert gradcheck(lambda x: (x.detach() * 0,), (x,), raise_exception=False)

    torch = pytest.importorskip("torch")
    tx = torch.tensor(x.data, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: (x.sin(), x.detach() * 2), (tx,),
                                    raise_exception=False)
    assert not torch.autograd.gradcheck(lambda x: (x.detach() * 2,), (tx,),
                                        raise_exception=False)
    assert torch.autograd.gradcheck(lambda x: (x.detach() * 0,), (tx,),
                                    raise_exception=False)


def test_atol_zero_passes_exact_gradients_as_torch_allclose_does():
    # -0 analytic vs 0 numeric off the diagonal: |a - num| <= 0 holds, no 0/0
    x = leaf([[0.3, -1.2], [0.7, 2.0]])
    for fast in (False, True):
        assert gradcheck(ag.sin, (x,), atol=0, fast_mode=fast, raise_exception=False)
    assert gradgradcheck(ag.sin, (x,), atol=0, raise_exception=False)
    torch = pytest.importorskip("torch")
    assert torch.autograd.gradcheck(torch.sin, (torch.tensor(x.data, requires_grad=True),),
                                    atol=0, raise_exception=False)


def test_atol_zero_failure_counts_and_ranks_only_real_errors():
    class Skewed(Function):
        """c * x with backward off by d (per element): d = [0, 1e-2, 1e-1]."""

        @staticmethod
        def forward(ctx, x, c):
            return x * c

        @staticmethod
        def backward(ctx, g):
            return g * ag.tensor(np.array([2.0, 2.0, 2.0]) + [0.0, 1e-2, 1e-1]), None

    # off-diagonal elements are exactly 0 on both sides: they pass (no 0/0 "inf" error)
    report = gradcheck_report(Skewed.apply, (leaf([0.5, 1.0, 2.0]), 2.0), atol=0)
    (m,) = report.mismatches
    assert (m.out_index, m.in_index, m.n_failed) == ((2,), (2,), 2)
    assert m.analytic == pytest.approx(2.1) and m.numeric == pytest.approx(2.0)
    # a constant function: numeric exactly 0, so no tolerance at all; the largest
    # absolute error is the worst
    report = gradcheck_report(Skewed.apply, (leaf([0.5, 1.0, 2.0]), 0.0), atol=0)
    (m,) = report.mismatches
    assert (m.in_index, m.n_failed, m.numeric, m.allowed) == ((2,), 3, 0.0, 0.0)


def test_kink_is_hinted_and_wrong_smooth_gradient_is_not():
    report = gradcheck_report(ag.relu, leaf([0.0, 1.0, -1.0]))
    (m,) = report.mismatches
    assert m.in_index == (0,) and m.kink
    assert (m.left, m.right) == pytest.approx((0.0, 1.0))
    assert "kink" in str(report)
    # within eps of the kink (not at it) is a kink too
    assert gradcheck_report(ag.abs, leaf([3e-7, 1.0])).mismatches[0].kink
    report = gradcheck_report(WrongForSecondInput.apply, (leaf(A), leaf(B)))
    assert not report.mismatches[0].kink and "kink" not in str(report)


def test_several_failing_pairs_are_all_listed():
    class BothWrong(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g, g

    report = gradcheck_report(BothWrong.apply, (leaf([2.0, 3.0]), leaf([5.0, 7.0])))
    assert [(m.output, m.input) for m in report.mismatches] == [(0, 0), (0, 1)]
    assert "2 (output, input) pair(s)" in str(report)


def test_gradgradcheck_catches_a_wrong_double_backward():
    x = leaf([0.5, -1.5, 2.0])
    assert gradcheck(CubeWrongSecondOrder.apply, x)    # first order is right
    with pytest.raises(GradcheckError) as info:
        gradgradcheck(CubeWrongSecondOrder.apply, x)
    report = info.value.report
    m = report.mismatches[0]
    assert m.output_name == "grad of input 0" and m.input_name == "input 0"
    # d/dx (3 x * stop(x) g) = 3 g x instead of 6 g x: half the true value
    np.testing.assert_allclose(m.analytic, m.numeric / 2, rtol=1e-5)
    assert "second derivative" in str(info.value)
    assert not gradgradcheck(CubeWrongSecondOrder.apply, x, fast_mode=True,
                             raise_exception=False)


def test_gradgradcheck_with_given_grad_outputs_and_correct_function():
    x = leaf([0.5, -1.5, 2.0])
    assert gradgradcheck(lambda t: ag.sin(t) * t, x, leaf([1.0, 2.0, 3.0], False))
    with pytest.raises(ValueError, match="2 grad_outputs for 1"):
        gradgradcheck(ag.sin, x, (leaf([1.0, 2.0, 3.0]), leaf([1.0])))


def test_needs_a_floating_output():
    with pytest.raises(ValueError, match="no floating-point Tensor output"):
        gradcheck(lambda x: ag.argmax(x), leaf([1.0, 2.0]))


def test_gradient_of_wrong_shape_or_dtype_is_reported(monkeypatch):
    # grad() hands back whatever a backward produced, so gradcheck checks shape and dtype;
    # simulate an op whose backward returns float32 for a float64 input
    mod = sys.modules["autograd.gradcheck"]
    real = mod._grad

    def float32_grad(*args, **kwargs):
        return tuple(None if g is None else g.to(ag.float32) for g in real(*args, **kwargs))

    monkeypatch.setattr(mod, "_grad", float32_grad)
    report = gradcheck_report(lambda t: t * 2.0, leaf(np.ones((2, 3))))
    assert not report.ok and not report.mismatches
    assert report.problems == ["the gradient of input 0 has shape (2, 3) and dtype float32, "
                               "but the input has shape (2, 3) and dtype float64"]
    assert "gradient is wrong: the gradient of input 0" in str(report)


def test_value_dependent_output_shape_is_a_clear_error():
    with pytest.raises(ValueError, match="output 0 has shape \\(2,\\) at a shifted point but "
                                         "\\(1,\\)"):
        gradcheck(lambda x: x[x.data > 0], leaf([1.0, 0.0]))


def test_same_verdicts_as_torch_gradcheck():
    torch = pytest.importorskip("torch")

    class TorchWrong(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b * b

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            return g * b * b, g * b          # wrong for b everywhere

    class OursWrong(Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b * b

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            return g * b * b, g * b

    ta, tb = (torch.tensor(v, requires_grad=True) for v in (A, B))
    assert not torch.autograd.gradcheck(TorchWrong.apply, (ta, tb), raise_exception=False)
    assert not gradcheck(OursWrong.apply, (leaf(A), leaf(B)), raise_exception=False)
    assert torch.autograd.gradcheck(lambda a, b: torch.tanh(a * b), (ta, tb))
    assert gradcheck(lambda a, b: ag.tanh(a * b), (leaf(A), leaf(B)))
    # torch's fast mode and ours agree too
    assert not torch.autograd.gradcheck(TorchWrong.apply, (ta, tb), fast_mode=True,
                                        raise_exception=False)
    assert not gradcheck(OursWrong.apply, (leaf(A), leaf(B)), fast_mode=True,
                         raise_exception=False)
