"""nn.utils: gradient clipping."""
from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag
import nn
from nn.utils import clip_grad_norm_, clip_grad_value_


def _params(*grads):
    ps = []
    for g in grads:
        p = nn.Parameter(ag.zeros(*np.shape(g)))
        p.grad = ag.tensor(np.asarray(g, dtype=np.float32))
        ps.append(p)
    return ps


def test_clip_grad_norm_scales_to_max_norm():
    ps = _params([3.0, 0.0], [[4.0]])
    total = clip_grad_norm_(ps, max_norm=1.0)
    assert float(total) == pytest.approx(5.0)
    np.testing.assert_allclose(ps[0].grad.data, [0.6, 0.0], rtol=1e-5)
    np.testing.assert_allclose(ps[1].grad.data, [[0.8]], rtol=1e-5)
    ps = _params([3.0, 0.0], [[4.0]])
    assert float(clip_grad_norm_(ps, max_norm=10.0)) == pytest.approx(5.0)
    np.testing.assert_array_equal(ps[0].grad.data, [3.0, 0.0])   # below: unchanged


def test_clip_grad_norm_other_norms_and_single_tensor():
    ps = _params([3.0, -7.0], [2.0])
    assert float(clip_grad_norm_(ps, 100, norm_type=math.inf)) == 7.0
    assert float(clip_grad_norm_(ps, 100, norm_type=1)) == pytest.approx(12.0)
    (p,) = _params([[1.0, 1.0], [1.0, 1.0]])
    assert float(clip_grad_norm_(p, 1.0)) == pytest.approx(2.0)
    np.testing.assert_allclose(p.grad.data, 0.5, rtol=1e-5)
    assert float(clip_grad_norm_([nn.Parameter(ag.zeros(2))], 1.0)) == 0.0   # no grads


def test_clip_grad_norm_nonfinite():
    ps = _params([np.inf, 1.0])
    with pytest.raises(RuntimeError, match="total norm of order 2.0 .* is non-finite"):
        clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)
    ps = _params([np.nan, 1.0])
    assert math.isnan(float(clip_grad_norm_(ps, 1.0)))
    assert np.isnan(ps[0].grad.data).all() and np.isnan(ps[0].grad.data[1])


def test_clip_grad_value():
    ps = _params([-3.0, 0.5, 2.0])
    clip_grad_value_(ps, 1.0)
    np.testing.assert_array_equal(ps[0].grad.data, [-1.0, 0.5, 1.0])


def test_clipping_a_real_model_gradient():
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 1))
    (model(ag.randn(5, 3)) * 100).sum().backward()
    before = math.sqrt(sum(float((p.grad.data.astype(np.float64) ** 2).sum())
                           for p in model.parameters()))
    total = clip_grad_norm_(model.parameters(), 0.5)
    assert float(total) == pytest.approx(before, rel=1e-5)
    after = math.sqrt(sum(float((p.grad.data.astype(np.float64) ** 2).sum())
                          for p in model.parameters()))
    assert after == pytest.approx(0.5, rel=1e-4)
