"""Distances (nn.functional.normalize, cosine_similarity, pairwise_distance and the
nn.distance modules): PyTorch parity of values and gradients for every option, the eps
edge cases (zero vectors, identical inputs, norms below eps), module reprs and
attributes, and the exception types of bad input (skipped without PyTorch).  Gradients
and double backward against finite differences are in the op table
(tests/optable/nn_distance.py)."""
from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
from nn import distance
from nn import functional as F
from numeric import assert_raises_like_torch
from test_nn_losses import _assert_parity, _run, _torch_run


@pytest.mark.parametrize("p, dim", [(2.0, 1), (1.0, -1), (3.0, 0), (0.5, (0, 2)),
                                    (float("inf"), 1)])
def test_normalize_matches_pytorch(p, dim):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((3, 4, 2))
    _assert_parity(torch, lambda a: F.normalize(a, p=p, dim=dim),
                   lambda a: torch.nn.functional.normalize(a, p=p, dim=dim), x)


def test_normalize_keeps_zero_and_tiny_vectors_finite_like_pytorch():
    """A vector whose norm is below eps is divided by eps: 0 stays 0, with gradient
    1/eps; the clamp cuts the gradient through the norm, as PyTorch's clamp_min does."""
    torch = pytest.importorskip("torch")
    x = np.array([[0.0, 0.0, 0.0], [3e-13, -4e-13, 0.0], [3.0, 4.0, 0.0]])
    for eps in (1e-12, 0.5):
        _assert_parity(torch, lambda a: F.normalize(a, eps=eps),
                       lambda a: torch.nn.functional.normalize(a, eps=eps), x)
    out = F.normalize(ag.tensor(x)).data
    np.testing.assert_array_equal(out[0], 0.0)
    np.testing.assert_allclose(out[1:], [[0.3, -0.4, 0.0], [0.6, 0.8, 0.0]], rtol=1e-15)


@pytest.mark.parametrize("dim, eps", [(1, 1e-8), (-1, 1e-8), (0, 1e-8), (1, 2.0)])
def test_cosine_similarity_matches_pytorch(dim, eps):
    """eps = 2 clamps norms of ordinary vectors: the gradient still reaches them, since
    PyTorch clamps outside autograd."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    x1, x2 = rng.standard_normal((4, 3, 2)), rng.standard_normal((4, 3, 2))
    x2[0] = x1[0]                                     # identical: 1
    x2[1] = -2 * x1[1]                                # opposite: -1
    _assert_parity(torch, lambda a, b: F.cosine_similarity(a, b, dim, eps),
                   lambda a, b: torch.nn.functional.cosine_similarity(a, b, dim, eps), x1, x2)


def test_cosine_similarity_broadcasts_before_choosing_dim_like_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    for s1, s2, dim in [((3,), (2, 3), 1), ((2, 1, 4), (3, 4), -1), ((1, 3), (5, 3), 1)]:
        _assert_parity(torch, lambda a, b: F.cosine_similarity(a, b, dim),
                       lambda a, b: torch.nn.functional.cosine_similarity(a, b, dim),
                       rng.standard_normal(s1), rng.standard_normal(s2))


def test_cosine_similarity_of_zero_and_identical_vectors():
    torch = pytest.importorskip("torch")
    x1 = np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 3.0], [1e-9, 0.0, 0.0]])
    x2 = np.array([[1.0, -1.0, 2.0], [1.0, 2.0, 3.0], [0.0, 1e-9, 1e-9]])
    _assert_parity(torch, F.cosine_similarity, torch.nn.functional.cosine_similarity, x1, x2)
    out = F.cosine_similarity(ag.tensor(x1), ag.tensor(x1)).data
    np.testing.assert_allclose(out, [0.0, 1.0, 0.01], rtol=1e-15)   # |x| < eps: x.x / eps^2


def test_cosine_similarity_takes_an_integer_operand_like_pytorch():
    torch = pytest.importorskip("torch")
    x = np.array([[1.5, -2.0], [0.5, 3.0]], np.float32)
    i = np.array([[1, 2], [3, 4]])
    out = F.cosine_similarity(ag.tensor(x), ag.tensor(i))
    want = torch.nn.functional.cosine_similarity(torch.tensor(x), torch.tensor(i))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, want.numpy(), rtol=1e-6)


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 0.5, -1.0, 0.0, float("inf")])
@pytest.mark.parametrize("keepdim", [False, True])
def test_pairwise_distance_matches_pytorch(p, keepdim):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x1, x2 = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    x2[0] = x1[0]                                     # identical: ||eps||_p
    for a, b, eps in [(x1, x2, 1e-6), (x1, x2, 0.25), (x1[1], x2, 1e-6),
                      (x1[0, 0], x2[1, 1], 1e-6)]:
        _assert_parity(torch, lambda u, v: F.pairwise_distance(u, v, p, eps, keepdim),
                       lambda u, v: torch.nn.functional.pairwise_distance(u, v, p, eps, keepdim),
                       np.asarray(a), np.asarray(b))


def test_pairwise_distance_of_identical_inputs_is_the_norm_of_eps():
    x = ag.tensor(np.ones((2, 4)), requires_grad=True)
    d = F.pairwise_distance(x, x.detach())
    np.testing.assert_allclose(d.data, [2e-6, 2e-6], rtol=1e-9)   # ||(eps, eps, eps, eps)||
    d.sum().backward()
    np.testing.assert_allclose(x.grad.data, 0.5, rtol=1e-9)       # eps / ||eps||, finite


def test_numpy_style_aliases():
    x, y = ag.randn(3, 4), ag.randn(3, 4)
    np.testing.assert_array_equal(F.normalize(x, axis=0).data, F.normalize(x, dim=0).data)
    np.testing.assert_array_equal(F.cosine_similarity(x, y, axis=0).data,
                                  F.cosine_similarity(x, y, 0).data)
    assert F.pairwise_distance(x, y, keepdims=True).shape == (3, 1)


@pytest.mark.parametrize("name, kwargs, attrs", [
    ("PairwiseDistance", {}, dict(norm=2.0, eps=1e-6, keepdim=False)),
    ("PairwiseDistance", dict(p=1.0, eps=0.1, keepdim=True),
     dict(norm=1.0, eps=0.1, keepdim=True)),
    ("CosineSimilarity", {}, dict(dim=1, eps=1e-8)),
    ("CosineSimilarity", dict(dim=0, eps=0.5), dict(dim=0, eps=0.5)),
])
def test_distance_modules_match_pytorch_in_float32(name, kwargs, attrs):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(distance, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(ours) == repr(theirs)
    for k, v in attrs.items():
        assert getattr(ours, k) == getattr(theirs, k) == v
    assert list(ours.state_dict()) == list(theirs.state_dict()) == []
    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal((5, 4)).astype(np.float32) for _ in range(2)]
    out, grads, u = _run(ours, *arrays)
    tout, tgrads = _torch_run(torch, theirs, *arrays, u=u)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, tout, rtol=2e-6, atol=2e-6)
    for g, tg in zip(grads, tgrads):
        np.testing.assert_allclose(g, tg, rtol=2e-5, atol=2e-7)


# Bad input: (exception, our message, a call taking (functional module, tensor maker)),
# run on ours and, when installed, on PyTorch, which must raise the same type.
BAD = [
    (RuntimeError, "cosine_similarity: expected a floating point input, got dtypes int64 and "
                   "int64", lambda f, t: f.cosine_similarity(t([[1, 2]]), t([[3, 4]]))),
    (IndexError, r"dimension out of range \(expected to be in range of \[-1, 0\], but got 1\)",
     lambda f, t: f.cosine_similarity(t([1.0, 2.0]), t([3.0, 4.0]))),
    (RuntimeError, r"cosine_similarity: shapes do not broadcast: x1 \(2, 3\), x2 \(2, 4\)",
     lambda f, t: f.cosine_similarity(t([[1.0] * 3] * 2), t([[1.0] * 4] * 2))),
    (RuntimeError, r"pairwise_distance: shapes do not broadcast: x1 \(3,\), x2 \(2, 4\)",
     lambda f, t: f.pairwise_distance(t([1.0] * 3), t([[1.0] * 4] * 2))),
    (RuntimeError, "floating point", lambda f, t: f.normalize(t([[1, 2]]))),
    (IndexError, "dimension out of range", lambda f, t: f.normalize(t([1.0, 2.0]))),
]


@pytest.mark.parametrize("exc, match, call", BAD, ids=[m[:40] for _, m, _ in BAD])
def test_bad_input_raises_pytorchs_exception_type(exc, match, call):
    assert_raises_like_torch(exc, match, lambda: call(F, ag.tensor),
                             lambda torch: call(torch.nn.functional, torch.tensor))
