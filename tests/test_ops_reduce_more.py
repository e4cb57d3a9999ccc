"""Semantics of the reductions, sorts and scans beyond the op table: dtypes of integer
and bool inputs, dim/keepdim forms, named results, errors, gradients at the special
points (zero vectors, zeros in products, ties), and agreement with PyTorch."""
from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag

NAN = float("nan")


def t64(values, requires_grad=False):
    return ag.tensor(values, dtype=ag.float64, requires_grad=requires_grad)


# ---- dtypes and forms -----------------------------------------------------------------

def test_any_all_give_bool_and_keep_uint8():
    x = ag.tensor([[1.0, 0.0, 3.0], [0.0, 0.0, 2.0]])
    assert ag.any(x).dtype == np.bool_ and bool(ag.any(x).item())
    assert ag.all(x, dim=1).tolist() == [False, False]
    assert x.any(axis=(0, 1), keepdims=True).shape == (1, 1)
    u = ag.tensor(np.array([1, 2], np.uint8))
    assert ag.all(u).dtype == np.uint8 and ag.all(u).item() == 1
    assert ag.any(ag.zeros(0)).item() is False and ag.all(ag.zeros(0)).item() is True
    assert ag.all(ag.zeros((0, 3)), 1).shape == (0,)


def test_any_all_over_no_dims_reduce_nothing():
    # dim=() keeps every element (PyTorch), unlike sum and amax, where () means all dims
    xd = np.array([[1.0, 0.0, 3.0], [0.0, 0.0, 2.0]])
    x = ag.tensor(xd)
    for op in (ag.any, ag.all):
        for keep in (False, True):
            out = op(x, dim=(), keepdim=keep)
            assert out.dtype == np.bool_
            np.testing.assert_array_equal(out.data, xd != 0)
        np.testing.assert_array_equal(op(x, axis=[]).data, xd != 0)
    u = ag.tensor(np.array([3, 0], np.uint8)).all(dim=())
    assert u.dtype == np.uint8 and u.tolist() == [1, 0]
    assert ag.sum(x, dim=()).shape == ()   # (unchanged: all dims)
    torch = pytest.importorskip("torch")
    for name in ("any", "all"):
        for keep in (False, True):
            want = getattr(torch.tensor(xd), name)(dim=(), keepdim=keep)
            np.testing.assert_array_equal(getattr(x, name)(dim=(), keepdim=keep).data,
                                          want.numpy())


def test_count_nonzero():
    x = ag.tensor([[1.0, 0.0, 3.0], [0.0, 0.0, 2.0]])
    assert ag.count_nonzero(x).dtype == np.int64 and ag.count_nonzero(x).item() == 3
    assert x.count_nonzero(1).tolist() == [2, 1]
    assert ag.count_nonzero(x, dim=(0, 1)).item() == 3
    assert ag.count_nonzero(ag.tensor(3.0), 0).item() == 1


def test_integer_inputs():
    i = ag.tensor([3, 1, 2])
    assert ag.nansum(i).dtype == np.int64 and ag.nansum(i).item() == 6
    assert ag.cumprod(i, 0).tolist() == [3, 3, 6]
    assert ag.cumprod(ag.tensor([True, True]), 0).dtype == np.int64
    assert ag.sort(i).values.tolist() == [1, 2, 3]
    assert ag.median(i).item() == 2 and ag.median(i).dtype == np.int64
    assert ag.aminmax(i, dim=0).max.item() == 3
    assert ag.cummax(i, 0).indices.dtype == np.int64
    assert ag.topk(i, 2, sorted=False).values.tolist() == [3, 2]


def test_named_results_and_keepdim():
    x = t64([[4.0, 1.0, 3.0], [2.0, 5.0, 0.0]])
    mm = ag.aminmax(x, dim=1, keepdim=True)
    assert mm.min.tolist() == [[1.0], [0.0]] and mm.max.tolist() == [[4.0], [5.0]]
    med = ag.median(x, 1, keepdim=True)
    assert med.values.tolist() == [[3.0], [2.0]] and med.indices.tolist() == [[2], [0]]
    v, i = ag.topk(x, 2, dim=0, largest=False)
    assert v.tolist() == [[2.0, 1.0, 0.0], [4.0, 5.0, 3.0]] and i.tolist() == [[1, 0, 1],
                                                                            [0, 1, 0]]
    std, mean = ag.std_mean(x, 1)
    np.testing.assert_allclose(std.data, np.std(x.data, 1, ddof=1))
    var, mean = ag.var_mean(x, axis=0, keepdims=True, correction=0)
    assert var.shape == mean.shape == (1, 3)


def test_zero_d_inputs():
    s = t64(2.0, requires_grad=True)
    for out in (ag.sort(s).values, ag.topk(s, 1).values, ag.cummax(s, 0).values,
                ag.median(s, 0).values, ag.cumprod(s, 0), ag.logcumsumexp(s, 0),
                ag.norm(s), ag.nanmean(s)):
        assert out.shape == ()
        (g,) = ag.grad(out, s)
        assert g.item() == 1.0


def test_sort_nan_and_stability():
    x = ag.tensor([3.0, 1.0, NAN, 1.0, 2.0])
    assert ag.sort(x).indices.tolist() == [1, 3, 4, 0, 2]
    assert ag.sort(x, descending=True).indices.tolist() == [2, 0, 4, 1, 3]
    assert ag.argsort(x, descending=True).tolist() == [2, 0, 4, 1, 3]
    assert ag.topk(x, 2).indices.tolist() == [2, 0]
    assert math.isnan(ag.median(x).item()) and ag.median(x, 0).indices.item() == 2


# ---- errors ---------------------------------------------------------------------------

@pytest.mark.parametrize("call, error", [
    (lambda: ag.norm(ag.tensor([1, 2])), RuntimeError),
    (lambda: ag.norm(ag.ones(2), p="abc"), RuntimeError),
    (lambda: ag.norm(ag.zeros(0), p=float("inf")), RuntimeError),
    (lambda: ag.nanmean(ag.tensor([1, 2])), RuntimeError),
    (lambda: ag.var_mean(ag.tensor([1, 2])), RuntimeError),
    (lambda: ag.topk(ag.ones(3), 4), RuntimeError),
    (lambda: ag.topk(ag.ones(3), -1), RuntimeError),
    (lambda: ag.median(ag.zeros((0, 3)), 0), IndexError),
    (lambda: ag.aminmax(ag.zeros(0)), RuntimeError),
    (lambda: ag.aminmax(ag.ones((2, 2)), dim=(0, 1)), TypeError),
    (lambda: ag.logcumsumexp(ag.tensor([1, 2]), 0), NotImplementedError),
    (lambda: ag.cumprod(ag.ones(2)), TypeError),
    (lambda: ag.sort(ag.ones(2), 1), IndexError),
])
def test_errors(call, error):
    with pytest.raises(error, match=r"norm|nanmean|var_mean|topk|median|aminmax|"
                                    r"logcumsumexp|cumprod|sort"):
        call()


# ---- gradients at the special points ---------------------------------------------------

@pytest.mark.parametrize("p", [2, 1, 3, 0.5, -1, 0, float("inf"), -float("inf"), "fro"])
def test_norm_gradient_is_zero_at_the_zero_vector(p):
    x = t64([0.0, 0.0, 0.0], requires_grad=True)
    (g,) = ag.grad(ag.norm(x, p), x)
    assert g.tolist() == [0.0, 0.0, 0.0]


def test_nan_skipping_gradients():
    x = t64([1.0, NAN, 3.0], requires_grad=True)
    assert ag.grad(ag.nansum(x), x)[0].tolist() == [1.0, 0.0, 1.0]
    assert ag.grad(ag.nanmean(x), x)[0].tolist() == [0.5, 0.0, 0.5]
    assert math.isnan(ag.nanmean(ag.tensor([NAN])).item())


def test_ties_split_like_torch():
    x = t64([2.0, 1.0, 2.0, 3.0], requires_grad=True)
    assert ag.grad(ag.median(x), x)[0].tolist() == [0.5, 0.0, 0.5, 0.0]
    y = t64([1.0, 3.0, 3.0], requires_grad=True)
    mn, mx = ag.aminmax(y)
    assert ag.grad(mx * 2 + mn, y)[0].tolist() == [1.0, 1.0, 1.0]


def test_selection_gradients_scatter():
    x = t64([[3.0, 1.0, 2.0]], requires_grad=True)
    w = t64([[10.0, 20.0, 30.0]])
    assert ag.grad((ag.sort(x, descending=True).values * w).sum(), x)[0].tolist() == \
        [[10.0, 30.0, 20.0]]
    assert ag.grad(ag.topk(x, 2).values.sum(), x)[0].tolist() == [[1.0, 0.0, 1.0]]
    assert ag.grad((ag.cummax(x, 1).values * w).sum(), x)[0].tolist() == \
        [[60.0, 0.0, 0.0]]


def test_cumprod_with_zeros_second_order():
    # d2/dx_i dx_k of sum_j w_j cumprod(x)_j, exact also with two zeros (PyTorch's values)
    x = t64([2.0, 0.0, 3.0, 0.0, 5.0], requires_grad=True)
    w = t64([1.0, 2.0, 3.0, 4.0, 5.0])
    h = ag.functional.hessian(lambda v: (ag.cumprod(v, 0) * w).sum(), x).data
    assert h[1].tolist() == [11.0, 0.0, 6.0, 174.0, 0.0] and h[3, 1] == 174.0
    (g,) = ag.grad((ag.cumprod(x, 0) * w).sum(), x)
    assert g.tolist() == [1.0, 22.0, 0.0, 0.0, 0.0]


def test_logcumsumexp_is_stable():
    x = t64([-1000.0, 0.0, 1000.0], requires_grad=True)
    out = ag.logcumsumexp(x, 0)
    np.testing.assert_allclose(out.data, [-1000.0, 0.0, 1000.0])
    (g,) = ag.grad((out * t64([1.0, -2.0, 3.0])).sum(), x)
    np.testing.assert_allclose(g.data, [1.0, -2.0, 3.0])


# ---- against PyTorch -------------------------------------------------------------------

def _both(fn_ag, fn_torch, x, torch, grad=True):
    """Values (and gradients of a weighted sum of the floating outputs) of both."""
    a = t64(x, requires_grad=grad)
    b = torch.tensor(x, dtype=torch.float64, requires_grad=grad)
    oa, ob = fn_ag(a), fn_torch(b)
    oa, ob = (oa, ob) if isinstance(oa, tuple) else ((oa,), (ob,))
    for u, v in zip(oa, ob):
        np.testing.assert_allclose(u.data, v.detach().numpy(), rtol=1e-10, atol=1e-12)
    if grad:
        floats = [(u, v) for u, v in zip(oa, ob) if v.dtype.is_floating_point]
        rng = np.random.default_rng(0)
        ws = [rng.standard_normal(v.shape) for _, v in floats]
        (ga,) = ag.grad(sum((u * t64(w)).sum() for (u, _), w in zip(floats, ws)), a)
        (gb,) = torch.autograd.grad(sum((v * torch.tensor(w)).sum()
                                        for (_, v), w in zip(floats, ws)), b,
                                    allow_unused=True)   # (norm p=0: no graph, grad 0)
        gb = np.zeros(x.shape) if gb is None else gb.numpy()
        np.testing.assert_allclose(ga.data, gb, rtol=1e-10, atol=1e-12)


def test_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4, 5))
    x0 = x.copy()   # zeros: one or two in a slice (no ties for the sorting ops on x)
    x0[0, 1, 2] = x0[1, :2, 3] = x0[2, 2, 1:3] = 0.0
    inf = float("inf")
    both = [
        ("norm", {}), ("norm", dict(p=1, dim=1)), ("norm", dict(p=3.0, dim=(0, 2))),
        ("norm", dict(p=inf, dim=-1, keepdim=True)), ("norm", dict(p=-inf)),
        ("norm", dict(p=0.5, dim=2)), ("norm", dict(p=-1.5, dim=0)), ("norm", dict(p=0)),
        ("norm", dict(p="fro", dim=(1, 2))),
        ("nansum", dict(dim=1)), ("nanmean", dict(dim=(0, 2), keepdim=True)),
        ("cumprod", dict(dim=1)), ("cumprod", dict(dim=2)), ("logcumsumexp", dict(dim=2)),
    ]
    distinct = [
        ("var_mean", dict(dim=1)), ("std_mean", dict(dim=(0, 1), correction=0)),
        ("aminmax", {}), ("aminmax", dict(dim=1, keepdim=True)),
        ("sort", dict(dim=1)), ("sort", dict(dim=0, descending=True)),
        ("topk", dict(k=3)), ("topk", dict(k=2, dim=0, largest=False)),
        ("median", {}), ("median", dict(dim=1)), ("median", dict(dim=2, keepdim=True)),
        ("cummax", dict(dim=0)), ("cummin", dict(dim=2)),
    ]
    for data, cases in ((x, both + distinct), (x0, both)):
        for name, kw in cases:
            _both(lambda t: getattr(ag, name)(t, **kw),
                  lambda t: getattr(torch, name)(t, **kw), data, torch)
    for data, name, kw in [(x0, "any", dict(dim=1)), (x0, "all", {}),
                           (x0, "count_nonzero", dict(dim=2)),
                           (x, "argsort", dict(dim=1, descending=True))]:
        _both(lambda t: getattr(ag, name)(t, **kw),
              lambda t: getattr(torch, name)(t, **kw), data, torch, grad=False)
