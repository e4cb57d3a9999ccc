"""Generic property tests over the op table (tests/optable): forward vs NumPy (float32),
gradient vs central finite differences (float64), and double backward vs finite
differences of the gradient, on Hypothesis-drawn shapes including 0-d and size-1 axes."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

import autograd as ag

from numeric import analytic_grad, as_tuple, numeric_grad, projected
from optable import rows

ROWS = rows()
GRAD_ROWS = [r for r in ROWS if r.grad]
ORDER2_ROWS = [r for r in GRAD_ROWS if r.order2]


def ids(row):
    return row.label


def cotangents(fn, arrays, seed=0):
    with ag.no_grad():
        outs = as_tuple(fn(*[ag.tensor(a, dtype=ag.float64) for a in arrays]))
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(o.shape) for o in outs]


@pytest.mark.parametrize("row", [r for r in ROWS if r.ref is not None], ids=ids)
def test_forward_matches_numpy_float32(row):
    @given(row.inputs())
    def check(arrays):
        arrays32 = [a.astype(np.float32) for a in arrays]
        got = as_tuple(row.fn(*[ag.tensor(a) for a in arrays32]))
        want = row.ref(*arrays32)
        want = want if isinstance(want, tuple) else (want,)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            w = np.asarray(w)
            assert g.shape == w.shape, f"{row.label}: shape {g.shape} != numpy {w.shape}"
            if w.dtype.kind == "f":
                assert g.dtype == w.dtype, f"{row.label}: dtype {g.dtype}, numpy {w.dtype}"
                np.testing.assert_allclose(g.data, w, rtol=2e-5, atol=2e-6)
            else:
                np.testing.assert_array_equal(g.data, w)
    check()


@pytest.mark.parametrize("row", GRAD_ROWS, ids=ids)
def test_gradient_matches_finite_differences(row):
    @given(row.inputs())
    def check(arrays):
        scalar = projected(row.fn, cotangents(row.fn, arrays))
        _, analytic = analytic_grad(scalar, arrays)
        numeric = numeric_grad(scalar, arrays)
        for i, (a, n) in enumerate(zip(analytic, numeric)):
            a = a.data if isinstance(a, ag.Tensor) else a
            assert a.shape == n.shape, f"{row.label}: grad {i} shape {a.shape} != {n.shape}"
            assert a.dtype == np.float64
            np.testing.assert_allclose(a, n, rtol=row.rtol, atol=row.atol,
                                       err_msg=f"{row.label}: gradient of input {i}")
    check()


@pytest.mark.parametrize("row", ORDER2_ROWS, ids=ids)
def test_second_derivative_matches_finite_differences(row):
    @given(row.inputs())
    def check(arrays):
        scalar = projected(row.fn, cotangents(row.fn, arrays))
        rng = np.random.default_rng(1)
        vs = [rng.standard_normal(a.shape) for a in arrays]

        def grad_dot_v(*xs):
            # <grad scalar(x), v>, differentiable when the inputs require grad
            xs_req = [x if x.requires_grad else x.detach().requires_grad_() for x in xs]
            with ag.enable_grad():
                gs = ag.grad(scalar(*xs_req), xs_req, allow_unused=True,
                             create_graph=ag.is_grad_enabled() and xs[0].requires_grad)
            total = None
            for g, v in zip(gs, vs):
                if g is None:
                    continue
                term = (g * ag.tensor(v, dtype=ag.float64)).sum()
                total = term if total is None else total + term
            return total if total is not None else ag.tensor(0.0, dtype=ag.float64)

        xs = [ag.tensor(a, dtype=ag.float64, requires_grad=True) for a in arrays]
        h = grad_dot_v(*xs)
        if not h.requires_grad:   # a linear op: the second derivative is zero
            analytic = [np.zeros_like(a) for a in arrays]
        else:
            analytic = [np.zeros_like(a) if g is None else g.data
                        for g in ag.grad(h, xs, allow_unused=True)]
        numeric = numeric_grad(grad_dot_v, arrays)
        for i, (a, n) in enumerate(zip(analytic, numeric)):
            np.testing.assert_allclose(a, n, rtol=max(row.rtol, 1e-4), atol=max(row.atol, 1e-4),
                                       err_msg=f"{row.label}: second derivative, input {i}")
    check()


def test_every_registered_op_has_a_row():
    covered = {r.name for r in ROWS}
    missing = sorted(set(ag.REGISTRY) - covered)
    assert not missing, f"registered ops without a row in tests/optable: {missing}"
