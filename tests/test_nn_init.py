"""nn.init: distributions, gains, fans, seeding, and in-place semantics."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import autograd as ag
import nn
from nn import init


def test_calculate_gain_matches_pytorch_table():
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("conv2d") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01 ** 2)))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="unsupported nonlinearity 'foo'"):
        init.calculate_gain("foo")


def test_uniform_normal_constant():
    ag.manual_seed(0)
    t = ag.empty(200, 300)
    assert init.uniform_(t, -2, 3) is t
    assert t.data.min() >= -2 and t.data.max() <= 3 and abs(t.data.mean() - 0.5) < 0.05
    init.normal_(t, 1.5, 0.5)
    assert abs(t.data.mean() - 1.5) < 0.01 and abs(t.data.std() - 0.5) < 0.01
    assert t.dtype == np.float32
    init.constant_(t, 0.25)
    assert np.all(t.data == 0.25)
    init.ones_(t)
    assert np.all(t.data == 1)
    init.zeros_(t)
    assert np.all(t.data == 0)


@pytest.mark.parametrize("shape", [(300, 200), (64, 32, 3, 3)])
def test_xavier_and_kaiming_spreads(shape):
    ag.manual_seed(1)
    t = ag.empty(*shape)
    rf = int(np.prod(shape[2:]))
    fan_in, fan_out = shape[1] * rf, shape[0] * rf
    xavier_std = math.sqrt(2 / (fan_in + fan_out))
    init.xavier_uniform_(t, gain=2.0)
    bound = 2.0 * math.sqrt(3) * xavier_std
    assert t.data.max() <= bound and t.data.max() > 0.98 * bound
    init.xavier_normal_(t)
    assert t.data.std() == pytest.approx(xavier_std, rel=0.03)
    init.kaiming_uniform_(t, a=math.sqrt(5))   # PyTorch's Linear/Conv default
    bound = math.sqrt(3) * math.sqrt(2 / 6) / math.sqrt(fan_in)   # = 1/sqrt(fan_in)
    assert bound == pytest.approx(1 / math.sqrt(fan_in))
    assert t.data.max() <= bound and t.data.max() > 0.98 * bound
    init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu")
    assert t.data.std() == pytest.approx(math.sqrt(2 / fan_out), rel=0.03)


def test_orthogonal():
    ag.manual_seed(2)
    for shape in [(4, 6), (6, 4), (3, 2, 2)]:
        t = ag.empty(*shape)
        init.orthogonal_(t, gain=2.0)
        q = t.data.reshape(shape[0], -1) / 2.0
        gram = q @ q.T if q.shape[0] <= q.shape[1] else q.T @ q
        np.testing.assert_allclose(gram, np.eye(gram.shape[0]), atol=1e-5)
    with pytest.raises(ValueError, match="orthogonal_: only tensors with 2 or more dimensions"):
        init.orthogonal_(ag.empty(3))


def test_seeded_by_manual_seed():
    ag.manual_seed(42)
    a = nn.Linear(5, 4).weight.data.copy()
    ag.manual_seed(42)
    b = nn.Linear(5, 4).weight.data.copy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, nn.Linear(5, 4).weight.data)


def test_fan_errors_and_zero_element_warning():
    with pytest.raises(ValueError, match=r"fewer than 2 dimensions \(shape \(5,\)\)"):
        init.xavier_uniform_(ag.empty(5))
    with pytest.raises(ValueError, match="mode 'fan_avg' not supported"):
        init.kaiming_uniform_(ag.empty(2, 2), mode="fan_avg")
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        init.kaiming_uniform_(ag.empty(0, 3))
    assert any("zero-element" in str(x.message) for x in w)


def test_init_runs_under_no_grad_and_bumps_version():
    p = nn.Parameter(ag.ones(3, 2))   # a leaf that requires grad: allowed, as in PyTorch
    v = p._version
    out = (p * p).sum()               # saves p for backward
    init.normal_(p)
    assert p._version == v + 1 and p.grad_fn is None and p.requires_grad
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        out.backward()
