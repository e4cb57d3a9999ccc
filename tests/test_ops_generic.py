"""Generic property tests over the op table (tests/optable): forward vs NumPy (float32),
gradient vs central finite differences (float64), and double backward vs finite
differences of the gradient, on Hypothesis-drawn shapes including 0-d and size-1 axes."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag

from autograd.gradcheck import gradcheck_report
from numeric import as_tuple, grad_dot, projected
from optable import rows

ROWS = rows()
GRAD_ROWS = [r for r in ROWS if r.grad]
ORDER2_ROWS = [r for r in GRAD_ROWS if r.order2]


def ids(row):
    return row.label


def leaves(arrays):
    return tuple(ag.tensor(a, dtype=ag.float64, requires_grad=True) for a in arrays)


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
        # <fn(x), u> for a random u: gradcheck compares u^T J with finite differences
        # element by element (and the gradients' shapes and float64 dtype)
        scalar = projected(row.fn, cotangents(row.fn, arrays))
        report = gradcheck_report(scalar, leaves(arrays), atol=row.atol, rtol=row.rtol)
        assert report.ok, f"{row.label}:\n{report}"
    check()


@pytest.mark.parametrize("row", ORDER2_ROWS, ids=ids)
def test_second_derivative_matches_finite_differences(row):
    @given(row.inputs())
    def check(arrays):
        # <grad <fn(x), u>, v>: its gradient, through the double backward, is H v
        scalar = projected(row.fn, cotangents(row.fn, arrays))
        rng = np.random.default_rng(1)
        h = grad_dot(scalar, [rng.standard_normal(a.shape) for a in arrays])
        report = gradcheck_report(h, leaves(arrays), atol=max(row.atol, 1e-4),
                                  rtol=max(row.rtol, 1e-4))
        assert report.ok, f"{row.label} (second derivative):\n{report}"
    check()


SCALAR_ROWS = [r for r in GRAD_ROWS if r.shapes in ("broadcast", "same")]


def zero_d_inputs(row):
    """Strategy of the row's inputs, all 0-d."""
    @st.composite
    def draw(d):
        return [d(hnp.arrays(np.float64, (), elements=row.elements(i)))
                for i in range(row.arity)]
    return draw() if row.prepare is None else draw().map(row.prepare)


@pytest.mark.parametrize("row", SCALAR_ROWS, ids=ids)
def test_numpy_scalar_data_gives_the_same_results(row):
    """A 0-d op result is held as a NumPy scalar, not a 0-d array (see Tensor.data):
    every op fed such tensors must give the values, gradients and second derivatives
    it gives for 0-d arrays."""
    @given(zero_d_inputs(row))
    def check(arrays):
        def run(as_scalars):
            xs = leaves(arrays)
            # x * 1.0 is an op result, hence held as a NumPy scalar
            ins = [x * 1.0 if as_scalars else x for x in xs]
            assert all(isinstance(i._data, np.generic) == as_scalars for i in ins)
            outs = as_tuple(row.fn(*ins))
            total = sum((o * (k + 1.5)).sum() for k, o in enumerate(outs) if o.requires_grad)
            gs = ag.grad(total, xs, allow_unused=True, create_graph=row.order2)
            hs = ()
            if row.order2 and any(g is not None and g.requires_grad for g in gs):
                hs = ag.grad(sum(g.sum() for g in gs if g is not None), xs, allow_unused=True)
            return [o.data for o in outs] + [g.data for g in gs + hs if g is not None]
        for got, want in zip(run(True), run(False), strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-300,
                                       err_msg=row.label)
    check()


def test_every_registered_op_has_a_row():
    covered = {r.name for r in ROWS}
    missing = sorted(set(ag.REGISTRY) - covered)
    assert not missing, f"registered ops without a row in tests/optable: {missing}"
