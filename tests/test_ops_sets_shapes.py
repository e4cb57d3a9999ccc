"""Quantiles, selection by rank, sets, histograms, searches, differences, covariances,
splitting and stacking, grids, diagonals, sliding windows and the fused products beyond
the op table: agreement with PyTorch (values, dtypes, index outputs, gradients), edge
cases (empty and 0-d inputs, NaNs, ties), views, and errors (type and message)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd as ag

from numeric import assert_raises_like_torch

NAN = float("nan")
RNG = np.random.default_rng(7)
X = RNG.standard_normal((3, 4, 5))                  # distinct values
XN = X.copy()
XN[0, 1, 2] = XN[2, 0, 0] = XN[1, 3, 4] = NAN       # one NaN per slice along any dim
TIES = np.round(RNG.standard_normal((3, 8)))        # many repeats
M = RNG.standard_normal((4, 6))


def t64(values, requires_grad=False):
    return ag.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


def _tuple(out):
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def _dtype_name(t) -> str:
    return str(t.dtype).replace("torch.", "")


def parity(fn, *arrays, grad=True, rtol=1e-12):
    """fn(module, *tensors) with module autograd and torch on the same arrays (floating
    ones require grad): the outputs agree in shape, dtype and value (NaN where
    PyTorch's is), and so do the gradients of a random weighted sum of the floating
    outputs with respect to every floating input.  float32 results may differ in the last
    bit (PyTorch's kernels fuse multiply-adds), so they are compared to 1e-6."""
    torch = pytest.importorskip("torch")
    ours = [ag.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    theirs = [torch.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        oa, ot = _tuple(fn(ag, *ours)), _tuple(fn(torch, *theirs))
    assert len(oa) == len(ot)
    for u, v in zip(oa, ot):
        assert tuple(u.shape) == tuple(v.shape), (u.shape, v.shape)
        assert str(u.dtype) == _dtype_name(v), (u.dtype, v.dtype)
        np.testing.assert_allclose(u.data, v.detach().numpy(), atol=1e-300, equal_nan=True,
                                   rtol=rtol if u.dtype != np.float32 else max(rtol, 1e-6))
    pairs = [(u, v) for u, v in zip(oa, ot) if v.requires_grad]
    inputs = [(a, b) for a, b in zip(ours, theirs) if b.requires_grad]
    if not (grad and pairs and inputs):
        return
    ws = [RNG.standard_normal(tuple(v.shape)) for _, v in pairs]
    ga = ag.grad(sum((u * ag.tensor(w)).sum() for (u, _), w in zip(pairs, ws)),
                 [a for a, _ in inputs], allow_unused=True)
    gt = torch.autograd.grad(sum((v * torch.tensor(w)).sum() for (_, v), w in zip(pairs, ws)),
                             [b for _, b in inputs], allow_unused=True)
    for (a, b), p, q in zip(inputs, ga, gt):   # (None: not connected, a zero gradient)
        p, q = (np.zeros(a.shape) if g is None else np.asarray(g) for g in (p, q))
        np.testing.assert_allclose(p, q, rtol=rtol if a.dtype != np.float32 else 1e-6,
                                   atol=1e-12)


# ---- quantiles, medians, k-th values, modes --------------------------------------------

@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantile_matches_torch(interpolation):
    torch = pytest.importorskip("torch")
    q = np.array([0.0, 0.1, 0.25, 0.5, 0.9, 1.0])
    for data in (X, XN):
        # (which of several NaNs of a slice gets the gradient is up to PyTorch's sort)
        parity(lambda m, x: m.quantile(x, 0.37, interpolation=interpolation), data,
               grad=data is X)
        parity(lambda m, x: m.quantile(x, 0.6, 1, True, interpolation=interpolation), data)
        parity(lambda m, x, q: m.quantile(x, q, -1, interpolation=interpolation), data, q)
        parity(lambda m, x, q: x.nanquantile(q, 2, keepdim=True, interpolation=interpolation),
               data, q)
    # float32: ranks and weights are computed in float32, as PyTorch computes them (to
    # the last bit but for its fused multiply-adds)
    x32 = X.astype(np.float32)
    got = ag.quantile(ag.tensor(x32), ag.tensor(q.astype(np.float32)), 1,
                      interpolation=interpolation)
    want = torch.quantile(torch.tensor(x32), torch.tensor(q.astype(np.float32)), 1,
                          interpolation=interpolation)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got.data, want.numpy(), rtol=2.4e-7, atol=1.2e-7)


def test_quantile_gradient_of_q_and_nan_slices():
    # d/dq of the linear interpolation: (hi - lo)(n - 1), as in PyTorch
    x = t64([3.0, 1.0, 2.0, 5.0], requires_grad=True)
    q = t64(0.3, requires_grad=True)
    gx, gq = ag.grad(ag.quantile(x, q), (x, q))
    assert gq.item() == pytest.approx(3.0) and gx.tolist() == pytest.approx([0.0, 0.1, 0.9, 0.0])
    assert ag.quantile(x, q, interpolation="nearest").requires_grad
    assert ag.grad(ag.quantile(x, q, interpolation="lower"), q, allow_unused=True) == (None,)
    # second order through the levels: d2/dq dx
    (gq2,) = ag.grad(ag.grad(ag.quantile(x, q), x, create_graph=True)[0][2], q)
    assert gq2.item() == pytest.approx(3.0)
    # a slice holding NaN: NaN, its gradient at its first NaN; all NaN for nanquantile too
    y = t64([[1.0, NAN, 2.0, NAN], [NAN, NAN, NAN, NAN]], requires_grad=True)
    out = ag.quantile(y, 0.5, 1)
    assert np.isnan(out.data).all()
    (g,) = ag.grad(out.sum(), y)
    assert g.tolist() == [[0.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]]
    out = ag.nanquantile(y, 0.5, 1)
    assert out[0].item() == 1.5 and np.isnan(out[1].item())
    assert ag.grad(out[0], y)[0].tolist() == [[0.5, 0.0, 0.5, 0.0], [0.0] * 4]
    assert ag.nanquantile(t64(NAN), 0.5).shape == ()


def test_quantile_shapes():
    x = ag.tensor(X)
    q = ag.tensor(np.array([0.2, 0.8]))
    assert ag.quantile(x, 0.5).shape == ()
    assert ag.quantile(x, 0.5, keepdim=True).shape == (1, 1, 1)
    assert ag.quantile(x, q, keepdim=True).shape == (2, 1, 1, 1)
    assert ag.quantile(x, q, dim=1).shape == (2, 3, 5)
    assert x.quantile(q, axis=-1, keepdims=True).shape == (2, 3, 4, 1)
    assert ag.quantile(x, ag.tensor(np.zeros(0)), 0).shape == (0, 4, 5)
    assert ag.quantile(t64(2.0), q, 0, keepdim=True).tolist() == [2.0, 2.0]
    assert ag.quantile(x, ag.tensor(np.array(0.5)), 1).shape == (3, 5)   # a 0-d q


def test_medians_kthvalue_mode_match_torch():
    parity(lambda m, x: m.nanmedian(x), XN)
    parity(lambda m, x: m.nanmedian(x, 1), XN)
    parity(lambda m, x: x.nanmedian(-1, keepdim=True), XN)
    parity(lambda m, x: m.nanmedian(x), X)
    parity(lambda m, x: m.median(x, 2), XN)   # (refactored onto the shared selection)
    parity(lambda m, x: m.kthvalue(x, 2, 1, True), XN)
    parity(lambda m, x: x.kthvalue(5), X)
    parity(lambda m, x: m.kthvalue(x, 1, 0), X)
    # mode: the smallest most frequent value, at its last occurrence (PyTorch's, for
    # slices it sorts stably: up to 16 elements)
    parity(lambda m, x: m.mode(x), TIES)
    parity(lambda m, x: m.mode(x, 0, keepdim=True), TIES)
    parity(lambda m, x: m.mode(x), TIES.astype(np.int64))
    parity(lambda m, x: m.mode(x > 0, 1), TIES)


def test_rank_selection_edge_cases():
    s = t64(2.5, requires_grad=True)
    for out in (ag.kthvalue(s, 1), ag.mode(s), ag.nanmedian(s, 0), ag.mode(s, 0, True)):
        assert out.values.shape == out.indices.shape == () and out.indices.item() == 0
        assert ag.grad(out.values, s)[0].item() == 1.0
    assert ag.nanmedian(s).item() == 2.5
    e = ag.zeros((0, 3))
    assert ag.kthvalue(e, 1, 1).values.shape == (0,) and ag.mode(e, 1).indices.shape == (0,)
    assert np.isnan(ag.nanmedian(ag.zeros(0)).item())
    # all NaN: NaN, at index 0 (PyTorch's index there comes out of its selection
    # algorithm's internals: 0, 2, 3, 5, ... by length)
    nan = ag.nanmedian(t64([[NAN, NAN, NAN, NAN], [NAN, 1.0, 3.0, NAN]]), 1)
    assert np.isnan(nan.values[0].item()) and nan.indices.tolist() == [0, 1]
    # ties go to the first in the stable order; mode's NaNs are all distinct (NaN != NaN)
    x = t64([[1.0, 2.0, 1.0, 2.0, 1.0]], requires_grad=True)
    assert ag.kthvalue(x, 2).indices.tolist() == [2]
    assert ag.nanmedian(x, 1).indices.tolist() == [4] and ag.median(x).item() == 1.0
    assert ag.mode(x).values.tolist() == [1.0] and ag.mode(x).indices.tolist() == [4]
    assert ag.mode(t64([NAN, NAN, 1.0])).values.item() == 1.0
    assert ag.grad(ag.mode(x).values.sum(), x)[0].tolist() == [[0.0, 0.0, 0.0, 0.0, 1.0]]
    # nanmedian of everything splits the gradient among the elements equal to it
    y = t64([2.0, NAN, 2.0, 5.0, 1.0], requires_grad=True)
    assert ag.grad(ag.nanmedian(y), y)[0].tolist() == [0.5, 0.0, 0.5, 0.0, 0.0]
    z = t64([NAN, 3.0, NAN], requires_grad=True)
    assert ag.grad(ag.nanmedian(z * 0 + NAN), z)[0].tolist() == [0.0, 0.0, 0.0]
    z = t64([NAN, NAN], requires_grad=True)
    assert ag.grad(ag.nanmedian(z), z)[0].tolist() == [0.5, 0.5]   # (among the NaNs)


# ---- sets, counts, histograms, searches ---------------------------------------------------

def test_unique_and_unique_consecutive_match_torch():
    u = np.array([[2.0, NAN, 1.0], [NAN, 2.0, 2.0]])
    for flags in [{}, dict(return_inverse=True), dict(return_counts=True),
                  dict(return_inverse=True, return_counts=True)]:
        parity(lambda m, x: m.unique(x, **flags), u, grad=False)
        parity(lambda m, x: m.unique_consecutive(x, **flags), TIES, grad=False)
    rows = np.array([[1, 2], [0, 1], [1, 2], [1, 2]])
    both = dict(return_inverse=True, return_counts=True)
    parity(lambda m, x: m.unique(x, dim=0, **both), rows, grad=False)
    parity(lambda m, x: x.unique(sorted=False, dim=1, **both), rows.T, grad=False)
    parity(lambda m, x: m.unique(x, dim=0, **both), np.array([[1.0, NAN], [1.0, NAN]]),
           grad=False)
    parity(lambda m, x: m.unique_consecutive(x, dim=0, **both), rows, grad=False)
    parity(lambda m, x: m.unique(x, **both), np.array([True, False, True]), grad=False)
    parity(lambda m, x: m.unique(x, **both), np.array(3.0), grad=False)
    parity(lambda m, x: m.unique_consecutive(x, **both), np.array(3.0), grad=False)
    parity(lambda m, x: m.unique(x, **both), np.zeros((0, 2)), grad=False)
    parity(lambda m, x: m.unique(x, dim=1, **both), np.zeros((2, 0)), grad=False)
    parity(lambda m, x: m.unique_consecutive(x, dim=0, **both), np.zeros((0, 3)), grad=False)
    x = t64([1.0, 2.0], requires_grad=True)
    assert not ag.unique(x).requires_grad   # (not differentiable: see the README)


def test_bincount_and_histc_match_torch():
    i = RNG.integers(0, 6, 20)
    parity(lambda m, i: m.bincount(i), i, grad=False)
    parity(lambda m, i: i.bincount(minlength=9), i.astype(np.int32), grad=False)
    parity(lambda m, i: m.bincount(i), i.astype(np.uint8), grad=False)
    for w in (RNG.standard_normal(20), RNG.standard_normal(20).astype(np.float32),
              RNG.integers(0, 5, 20)):
        parity(lambda m, i, w: m.bincount(i, w, 8), i, w, grad=False)
    parity(lambda m, i, w: m.bincount(i, w, 3), np.zeros(0, np.int64), np.zeros(0),
           grad=False)   # (PyTorch: int64 zeros even with weights)
    h = np.concatenate([RNG.standard_normal(40), [-3.0, 3.0, 0.5, 1.0]]).astype(np.float32)
    for args in [(7,), (4, -1, 1), (3, 0.5, 0.5), (10, -3, 3)]:
        parity(lambda m, x: m.histc(x, *args), h, grad=False)
        parity(lambda m, x: m.histc(x, *args), h.astype(np.float64), grad=False)
    parity(lambda m, x: m.histc(x, 5, -1, 2), np.append(h, NAN), grad=False)   # NaN: left out
    e = np.linspace(-1.3, 2.7, 12).astype(np.float32)   # elements on the bin edges
    for bins in (1, 5, 11, 33):
        parity(lambda m, x: m.histc(x, bins, -1.3, 2.7), e, grad=False)
    parity(lambda m, x: x.histc(4), np.array([2.0, 2.0]), grad=False)
    parity(lambda m, x: m.histc(x, 3), np.zeros(0, np.float32), grad=False)
    assert not ag.histc(t64([1.0, 2.0], requires_grad=True)).requires_grad


def test_bincount_weights_are_differentiable():
    # (an extension: PyTorch's bincount has no gradient)
    idx = np.array([2, 0, 2, 2, 4])
    w = t64([0.5, -1.0, 2.0, 3.0, 1.5], requires_grad=True)
    out = ag.bincount(idx, w)
    assert out.tolist() == [-1.0, 0.0, 5.5, 0.0, 1.5]
    (g,) = ag.grad((out * t64([1.0, 2.0, 3.0, 4.0, 5.0])).sum(), w)
    assert g.tolist() == [3.0, 1.0, 3.0, 3.0, 5.0]
    assert ag.gradcheck(lambda w: ag.bincount(idx, w, minlength=7), (w,))


def test_searchsorted_and_bucketize_match_torch():
    seq = np.sort(RNG.standard_normal((2, 3, 6)), -1)
    v = RNG.standard_normal((2, 3, 4))
    v[0, 0, :2] = seq[0, 0, 2], seq[0, 0, 5]
    for kw in [{}, dict(right=True), dict(side="right"), dict(side="left", out_int32=True)]:
        parity(lambda m, s, v: m.searchsorted(s, v, **kw), seq, v, grad=False)
        parity(lambda m, s, v: m.searchsorted(s[0, 0], v, **kw), seq, v, grad=False)
        parity(lambda m, s, v: m.bucketize(v, s[1, 2], right=kw.get("right", False)), seq, v,
               grad=False)
    order = RNG.permutation(6)
    parity(lambda m, s, o, v: m.searchsorted(s, v, sorter=o), seq[0, 0, order],
           np.argsort(order), v, grad=False)
    parity(lambda m, s: m.searchsorted(s, 0.25), seq[1, 1], grad=False)   # a number: 0-d
    parity(lambda m, s: m.bucketize(0.25, s), seq[1, 1], grad=False)
    parity(lambda m, s, v: m.searchsorted(s, v), np.array([1, 3, 5]), np.array([2.5, 3.0]),
           grad=False)
    parity(lambda m, s, v: m.searchsorted(s, v), np.zeros(0), np.array([1.0]), grad=False)
    parity(lambda m, s, v: m.searchsorted(s, v), seq, np.zeros((2, 3, 0)), grad=False)


# ---- differences, covariances, distances, renorm ---------------------------------------------

def test_diff_cov_corrcoef_dist_renorm_match_torch():
    parity(lambda m, x: m.diff(x), X)
    parity(lambda m, x: x.diff(2, 0), X)
    parity(lambda m, x, p, a: m.diff(x, 1, 1, prepend=p, append=a), X, X[:, :2], X[:, :1])
    parity(lambda m, x, p: m.diff(x, dim=1, prepend=p), X, X[:, :1].astype(np.int64))
    parity(lambda m, x: m.diff(x, 9), M)
    parity(lambda m, x: m.diff(x, 0), M)
    parity(lambda m, x: m.diff(x > 0), M)
    parity(lambda m, x: m.diff(x), np.array([1, 4, 2], np.uint8))
    parity(lambda m, x: m.cov(x), M)
    parity(lambda m, x: m.cov(x), M[0])
    parity(lambda m, x: m.cov(x, correction=0), M.T)
    fw, aw = np.array([1, 2, 0, 3, 1, 1]), np.abs(RNG.standard_normal(6)) + 0.1
    parity(lambda m, x, f, a: m.cov(x, fweights=f, aweights=a), M, fw, aw)
    parity(lambda m, x, f: m.cov(x, correction=2, fweights=f), M, fw)
    parity(lambda m, x, a: x.cov(correction=3, aweights=a), M, aw)
    parity(lambda m, x: m.cov(x), np.array([[1, 2, 4], [2, 1, 0]]))   # int: float32
    parity(lambda m, x, a: m.cov(x, aweights=a), np.array([[1, 2, 4]]), aw[:3])
    parity(lambda m, x: m.cov(x), np.zeros((0, 3)))
    parity(lambda m, x: m.cov(x, correction=6), M, grad=False)   # no degrees of freedom: inf
    parity(lambda m, x: m.corrcoef(x), M)
    parity(lambda m, x: x.corrcoef(), M[:1])
    parity(lambda m, x: m.corrcoef(x), np.array([[1, 2, 4], [2, 1, 0]]))
    parity(lambda m, x: m.corrcoef(x), np.array([[1.0, 1.0, 1.0], [2.0, 1.0, 0.0]]),
           grad=False)
    for p in (2, 1, 3.5, 0, float("inf"), -1):   # (PyTorch's backward for p = 0 raises)
        parity(lambda m, a, b: m.dist(a, b, p), M, M[0] + 0.5, grad=p != 0)
    a = t64(M, requires_grad=True)
    assert ag.grad(ag.dist(a, t64(M[0]), 0), a)[0].data.tolist() == np.zeros((4, 6)).tolist()
    parity(lambda m, a, b: a.dist(b), M.astype(np.float32), M[1])
    for p, dim, maxnorm in [(2, 0, 1.0), (1, 1, 1.5), (float("inf"), 1, 1.0), (3, -1, 0.5)]:
        parity(lambda m, x: m.renorm(x, p, dim, maxnorm), M)
    parity(lambda m, x: x.renorm(2, 1, 2.0), X)


def test_cov_warns_without_degrees_of_freedom():
    with pytest.warns(UserWarning, match="degrees of freedom"):
        out = ag.cov(t64([[1.0, 2.0]]), correction=2)
    assert out.item() == float("inf")
    with pytest.warns(UserWarning, match="degrees of freedom"):
        assert np.isnan(ag.cov(t64(2.0)).item())


# ---- splitting, stacking, grids ----------------------------------------------------------------

def test_splits_match_torch_and_are_views():
    for spec in (3, 1, 7, [1, 4], [4, 1], [-2], [10, -10], (2, 2), []):
        parity(lambda m, x: m.tensor_split(x, spec, 1), M)
    parity(lambda m, x, i: m.tensor_split(x, i, dim=-1), M, np.array([1, 3]))
    parity(lambda m, x, i: x.tensor_split(i), M, np.array(3))
    parity(lambda m, x: x.tensor_split(indices=[1]), M)
    parity(lambda m, x: x.tensor_split(sections=3), M)
    parity(lambda m, x: m.hsplit(x, 2), M)
    parity(lambda m, x: x.hsplit([1, 5]), M[0])
    parity(lambda m, x: m.vsplit(x, [3]), M)
    parity(lambda m, x: x.dsplit(5), X)
    parity(lambda m, x: x.split_with_sizes([2, 0, 2], 1), X)
    x = ag.tensor(M)
    for pieces in (ag.tensor_split(x, 3, 1), ag.tensor_split(x, [4, 1], 1), x.hsplit(3)):
        assert all(np.shares_memory(p.data, x.data) for p in pieces if p.numel())
    assert ag.tensor_split(ag.zeros((0, 2)), 2)[1].shape == (0, 2)


def test_stacks_and_atleast_match_torch():
    for m_shapes in [((), ()), ((3,), (2,)), ((2, 3), (2, 1)), ((2, 3, 1), (2, 1, 1))]:
        a, b = (RNG.standard_normal(s) for s in m_shapes)
        parity(lambda m, a, b: m.hstack([a, b]), a, b)
    for shapes in [((), ()), ((3,), (3,)), ((2, 3), (3,)), ((1, 2, 3), (1, 2, 3))]:
        a, b = (RNG.standard_normal(s) for s in shapes)
        parity(lambda m, a, b: m.vstack([a, b]), a, b)
        parity(lambda m, a, b: m.row_stack((a, b)), a, b)
    for shapes in [((), ()), ((3,), (3,)), ((2, 3), (2, 3)), ((2, 3, 1), (2, 3, 4))]:
        a, b = (RNG.standard_normal(s) for s in shapes)
        parity(lambda m, a, b: m.dstack([a, b]), a, b)
    parity(lambda m, a, b, c: m.column_stack([a, b, c]), M[:, 0], M[:, :2], np.ones(4))
    parity(lambda m, a, b: m.column_stack([a, b]), np.array(1.0), np.array(2.0))
    parity(lambda m, a, b: m.hstack([a, b]), np.array([1]), M[0])   # promoted
    for fn in ("atleast_1d", "atleast_2d", "atleast_3d"):
        parity(lambda m, a, b, c, d: getattr(m, fn)(a, b, c, d), np.array(1.0), M[0], M, X)
        parity(lambda m, a: getattr(m, fn)(a), np.array(1.0))
        parity(lambda m, a, b: getattr(m, fn)([a, b]), M[0], np.array(1.0))
    x = ag.tensor(M[0])
    assert ag.atleast_1d(x) is x and np.shares_memory(ag.atleast_3d(x).data, x.data)
    assert ag.atleast_2d() == ()


def test_grids_combinations_block_diag_match_torch():
    a, b, c = M[0], M[1, :3], M[2, :2]
    parity(lambda m, a, b: m.meshgrid(a, b, indexing="ij"), a, b)
    parity(lambda m, a, b, c: m.meshgrid([a, b, c], indexing="xy"), a, b, c)
    parity(lambda m, a, b: m.meshgrid(a, b, indexing="xy"), np.array(2.0), b)
    parity(lambda m, a: m.meshgrid(a, indexing="xy"), a)
    with pytest.warns(UserWarning, match="indexing"):
        assert ag.meshgrid(ag.tensor(a), ag.tensor(b))[0].shape == (6, 3)
    ta, tb = ag.tensor(a), ag.tensor(b)
    assert all(np.shares_memory(g.data, t.data)
               for g, t in zip(ag.meshgrid(ta, tb, indexing="xy"), (ta, tb)))   # (views)
    parity(lambda m, a, b, c: m.cartesian_prod(a, b, c), a, b, c)
    parity(lambda m, a: m.cartesian_prod(a), a)
    for r, rep in [(2, False), (3, False), (3, True), (1, False), (0, False), (7, False)]:
        parity(lambda m, a: m.combinations(a, r, with_replacement=rep), a)
    parity(lambda m, a: m.combinations(a), np.zeros(0))
    parity(lambda m, a: m.combinations(a, 2), np.array([1, 5, 3]))
    parity(lambda m, a, b, c: m.block_diag(a, b, c), np.array(1.0), M[0, :2], M[:2, :3])
    parity(lambda m, a, b: m.block_diag(a, b), np.array([1, 2]), M[:2, :1])
    parity(lambda m, a, b: m.block_diag(a, b), np.zeros((0, 2)), M[:1, :1])
    # an empty vector is an empty row: PyTorch 2.13's backward forgets that row and
    # gives the next block the gradient of the row above it
    parity(lambda m, a, b: m.block_diag(a, b), np.zeros(0), M[:1, :1], grad=False)
    b = t64([[5.0]], requires_grad=True)
    out = ag.block_diag(ag.zeros(0, dtype=ag.float64), b)
    assert out.tolist() == [[0.0], [5.0]]
    assert ag.grad((out * t64([[1.0], [2.0]])).sum(), b)[0].tolist() == [[2.0]]
    parity(lambda m: m.block_diag())


# ---- diagonals, selections, slice writes, windows, vander ----------------------------------------

def test_diagonals_and_slice_writes_match_torch():
    parity(lambda m, x: m.diag_embed(x), M)
    parity(lambda m, x: x.diag_embed(1, 0, 2), M)
    parity(lambda m, x: m.diag_embed(x, -2, 2, 0), X)
    parity(lambda m, x: m.diag_embed(x, 0, -1, 1), X)
    parity(lambda m, x: x.diagflat(-1), M[:2, :2])
    parity(lambda m, x: m.diagflat(x, 2), np.array(3.0))
    parity(lambda m, x: m.diag_embed(x), np.arange(6).reshape(2, 3))
    parity(lambda m, x: x.select(1, -2), M)
    parity(lambda m, x: m.select(x, 0, 2), M[0])
    parity(lambda m, x, s: x.select_scatter(s, 1, 2), M, M[:, 0].copy())
    parity(lambda m, x, s: m.select_scatter(x, s, 0, -1), M, M[0].astype(np.int64))
    parity(lambda m, x, s: x.slice_scatter(s, 1, 1, None, 2), M, M[:, :3].copy())
    parity(lambda m, x, s: m.slice_scatter(x, s, 0, -3, -1), M, M[:2].copy())
    parity(lambda m, x, s: m.slice_scatter(x, s), M, M[::-1].copy())
    parity(lambda m, x, s: x.diagonal_scatter(s, 1), M, M[0, :4].copy())
    parity(lambda m, x, s: m.diagonal_scatter(x, s, -1, 1, 0), M, M[0, :4].copy())
    parity(lambda m, x, s: m.diagonal_scatter(x, s, 0, 0, 2), X, X[0, :, :3].copy())
    x = ag.tensor(M)
    assert np.shares_memory(x.select(1, 0).data, x.data)
    assert x.select(0, ag.tensor(1)).tolist() == M[1].tolist()


@pytest.mark.parametrize("args", [(1, 3, 1), (1, 2, 2), (0, 2, 1), (1, 6, 3), (1, 0, 2),
                                  (-1, 3, 5), (0, 4, 1)])
def test_unfold_matches_torch(args):
    parity(lambda m, x: x.unfold(*args), M)


def test_unfold_gradient_adds_overlaps_and_the_view_tracks_writes():
    torch = pytest.importorskip("torch")
    parity(lambda m, x: x.unfold(0, 1, 1), np.array(2.5))
    parity(lambda m, x: x.unfold(2, 3, 1).unfold(1, 2, 1), X)
    v = t64([1.0, 2.0, 3.0, 4.0, 5.0], requires_grad=True)
    (g,) = ag.grad(v.unfold(0, 3, 1).sum(), v)
    assert g.tolist() == [1.0, 2.0, 3.0, 2.0, 1.0]
    assert ag.gradgradcheck(lambda v: v.unfold(0, 3, 2) ** 2, (v,))
    # a view: non-overlapping windows are writeable (through to the base, recorded) ...
    base = t64([0.0, 1.0, 2.0, 3.0, 4.0], requires_grad=True)
    y = base * 1
    w = y.unfold(0, 2, 2)
    assert np.shares_memory(w.data, y.data)
    w.mul_(10.0)
    assert y.tolist() == [0.0, 10.0, 20.0, 30.0, 4.0]
    (g,) = ag.grad((y * y).sum(), base)
    tb = torch.tensor([0.0, 1.0, 2.0, 3.0, 4.0], dtype=torch.float64, requires_grad=True)
    ty = tb * 1
    ty.unfold(0, 2, 2).mul_(10.0)
    (ty * ty).sum().backward()
    np.testing.assert_allclose(g.data, tb.grad.numpy())
    # ... overlapping ones are not (elements share memory)
    with pytest.raises(RuntimeError, match="clone"):
        ag.tensor(M).unfold(1, 3, 1).add_(1.0)
    # the windows share the base's version counter: changing it refuses the backward
    z = t64([1.0, 2.0, 3.0], requires_grad=True) * 1
    p = (z.unfold(0, 2, 1) ** 2).sum()
    z.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        p.backward()
    # windows of a broadcast of a transposed matrix (zero and non-unit strides)
    e = ag.tensor(M).T.expand(2, 6, 4)
    want = np.lib.stride_tricks.sliding_window_view(np.broadcast_to(M.T, (2, 6, 4)), 2, 2)
    np.testing.assert_array_equal(e.unfold(2, 2, 1).data, want)
    assert np.shares_memory(e.unfold(1, 3, 2).data, e.data)


def test_vander_matches_torch_and_its_gradient_is_exact_at_zero():
    for args in [(), (4,), (1,), (0,), (5, True)]:
        parity(lambda m, x: m.vander(x, *args), np.array([0.0, 2.0, -1.5]), grad=False)
    parity(lambda m, x: m.vander(x, 3), np.array([1, 2, 3], np.int32), grad=False)
    parity(lambda m, x: m.vander(x, 3), np.array([True, False]), grad=False)
    parity(lambda m, x: m.vander(x), np.zeros(0), grad=False)
    # (PyTorch 2.13's backward of vander raises an in-place error: finite differences)
    x = t64([0.0, 1.5, -2.0], requires_grad=True)
    assert ag.gradcheck(lambda x: ag.vander(x, 4), (x,))
    assert ag.gradgradcheck(lambda x: ag.vander(x, 4, increasing=True), (x,))
    (g,) = ag.grad(ag.vander(x, 4)[0].sum(), x)   # d/dx (x^3 + x^2 + x + 1) at 0
    assert g.tolist() == [1.0, 0.0, 0.0]


# ---- fused products --------------------------------------------------------------------------

def test_fused_products_match_torch():
    a, b, v = RNG.standard_normal((3, 4)), RNG.standard_normal((4, 2)), RNG.standard_normal(4)
    b1, b2 = RNG.standard_normal((5, 3, 4)), RNG.standard_normal((5, 4, 2))
    for kw in [{}, dict(beta=0.5, alpha=-2.0), dict(beta=0), dict(alpha=0)]:
        for inp in (RNG.standard_normal((3, 2)), RNG.standard_normal(2), np.array(1.5)):
            parity(lambda m, i, x, y: m.addmm(i, x, y, **kw), inp, a, b)
            parity(lambda m, i, x, y: i.addbmm(x, y, **kw), inp, b1, b2)
            parity(lambda m, i, x, y: m.baddbmm(i, x, y, **kw), inp, b1, b2)
        parity(lambda m, i, x, y: i.addmv(x, y, **kw), RNG.standard_normal(3), a, v)
        parity(lambda m, i, x, y: m.addr(i, x, y, **kw), a, a[:, 0].copy(), v)
    parity(lambda m, i, x, y: m.addmm(i, x, y, alpha=2, beta=3), np.ones((3, 2), np.int64),
           a.astype(np.int64), b.astype(np.int64))
    parity(lambda m, i, x, y: m.addmm(i, x, y, alpha=0.5), np.ones((3, 2), np.int64),
           a.astype(np.int64), b.astype(np.int64))   # (alpha cast to the int dtype: 0)
    parity(lambda m, i, x, y: m.addr(i, x, y), np.ones((3, 4), np.int64), a[:, 0], v)
    parity(lambda m, x, y, z: m.chain_matmul(x, y, z), a, b, b.T.copy())
    parity(lambda m, x: m.chain_matmul(x), a)


def test_beta_zero_ignores_the_input():
    i = t64([NAN, float("inf")], requires_grad=True)
    a, b = t64(np.ones((3, 4))), t64(np.ones((4, 2)))
    out = ag.addmm(i, a, b, beta=0)
    assert out.tolist() == [[4.0, 4.0]] * 3
    (g,) = ag.grad(out.sum(), i)   # as in PyTorch: zeros, not unused
    assert g.tolist() == [0.0, 0.0]
    assert not ag.addmm(t64([NAN, NAN]), a, b, beta=0).requires_grad


# ---- errors --------------------------------------------------------------------------------------

F32 = ag.tensor(M.astype(np.float32))
I64 = ag.tensor(np.arange(6))


def _t(torch, a):
    return torch.tensor(np.asarray(a))


ERRORS = [
    (RuntimeError, r"quantile\(\) input tensor must be either float or double",
     lambda: ag.quantile(I64, 0.5), lambda torch: torch.quantile(_t(torch, [1, 2]), 0.5)),
    (RuntimeError, r"quantile\(\) q must be in the range \[0, 1\] but got 1.5",
     lambda: ag.quantile(F32, 1.5), lambda torch: torch.quantile(torch.ones(2), 1.5)),
    (RuntimeError, r"nanquantile\(\) q values must be in the range \[0, 1\]",
     lambda: ag.nanquantile(F32, ag.tensor(np.float32([0.5, -0.1]))),
     lambda torch: torch.nanquantile(torch.ones(2), torch.tensor([0.5, -0.1]))),
    (TypeError, r"quantile\(\): argument 'q' must be a float or a Tensor, not list",
     lambda: ag.quantile(F32, [0.5]), lambda torch: torch.quantile(torch.ones(2), [0.5])),
    (RuntimeError, r"q tensor must be same dtype",
     lambda: ag.quantile(F32, ag.tensor(np.array([0.5]))),
     lambda torch: torch.quantile(torch.ones(2), torch.tensor([0.5], dtype=torch.float64))),
    (RuntimeError, r"q must be a scalar or 1D tensor",
     lambda: ag.quantile(F32, ag.tensor(np.full((2, 2), 0.5, np.float32))),
     lambda torch: torch.quantile(torch.ones(2), torch.full((2, 2), 0.5))),
    (RuntimeError, r"quantile\(\) input tensor must be non-empty",
     lambda: ag.quantile(ag.zeros((2, 0)), 0.5, 0),
     lambda torch: torch.quantile(torch.zeros(2, 0), 0.5, 0)),
    (RuntimeError, r"interpolation must be one of linear, lower, higher, midpoint or nearest",
     lambda: ag.quantile(F32, 0.5, interpolation="cubic"),
     lambda torch: torch.quantile(torch.ones(2), 0.5, interpolation="cubic")),
    (IndexError, r"quantile: dimension out of range",
     lambda: ag.quantile(F32, 0.5, 2), lambda torch: torch.quantile(torch.ones(2, 2), 0.5, 2)),
    (RuntimeError, r"kthvalue\(\): selected number k out of range for dimension 1",
     lambda: ag.kthvalue(F32, 7, 1), lambda torch: torch.kthvalue(torch.ones(4, 6), 7, 1)),
    (RuntimeError, r"kthvalue\(\): selected number k out of range",
     lambda: F32.kthvalue(0), lambda torch: torch.ones(3).kthvalue(0)),
    (IndexError, r"kthvalue\(\): Expected reduction dim 1 to have non-zero size",
     lambda: ag.kthvalue(ag.zeros((2, 0)), 1), lambda torch: torch.kthvalue(torch.zeros(2, 0), 1)),
    (IndexError, r"mode\(\): Expected reduction dim 0 to have non-zero size",
     lambda: ag.mode(ag.zeros(0)), lambda torch: torch.mode(torch.zeros(0))),
    (IndexError, r"nanmedian\(\): Expected reduction dim 0",
     lambda: ag.nanmedian(ag.zeros((0, 2)), 0), lambda torch: torch.nanmedian(torch.zeros(0, 2), 0)),
    (IndexError, r"unique: dimension specified as 0 but tensor has no dimensions",
     lambda: ag.unique(ag.tensor(1.0), dim=0), lambda torch: torch.unique(torch.tensor(1.0), dim=0)),
    (RuntimeError, r"unique: there are 0 sized dimensions, and they aren't selected",
     lambda: ag.unique(ag.zeros((0, 2)), dim=1), lambda torch: torch.unique(torch.zeros(0, 2), dim=1)),
    (RuntimeError, r"unique_consecutive: there are 0 sized dimensions",
     lambda: ag.unique_consecutive(ag.zeros((0, 3)), dim=1),
     lambda torch: torch.unique_consecutive(torch.zeros(0, 3), dim=1)),
    (RuntimeError, r"bincount only supports 1-d non-negative integral inputs",
     lambda: ag.bincount(ag.tensor([1, -1])), lambda torch: torch.bincount(torch.tensor([1, -1]))),
    (RuntimeError, r"bincount only supports 1-d non-negative integral inputs",
     lambda: ag.bincount(ag.tensor([[1]])), lambda torch: torch.bincount(torch.tensor([[1]]))),
    (NotImplementedError, r"bincount: not implemented for dtype float32",
     lambda: ag.bincount(F32[0]), lambda torch: torch.bincount(torch.ones(2))),
    (RuntimeError, r"weights should be 1-d and have the same length as input",
     lambda: ag.bincount(I64, ag.ones(2)),
     lambda torch: torch.bincount(torch.arange(3), torch.ones(2))),
    (RuntimeError, r"minlength should be >= 0",
     lambda: ag.bincount(I64, minlength=-1), lambda torch: torch.bincount(torch.arange(3), minlength=-1)),
    (NotImplementedError, r"histc: not implemented for dtype int64",
     lambda: ag.histc(I64), lambda torch: torch.histc(torch.arange(3))),
    (RuntimeError, r"histc: bins must be > 0, but got 0",
     lambda: ag.histc(F32, 0), lambda torch: torch.histc(torch.ones(2), 0)),
    (RuntimeError, r"histc: max must be larger than min",
     lambda: ag.histc(F32, 3, 2, 1), lambda torch: torch.histc(torch.ones(2), 3, 2, 1)),
    (RuntimeError, r"histc: range of \[nan, nan\] is not finite",
     lambda: ag.histc(ag.tensor([1.0, NAN])), lambda torch: torch.histc(torch.tensor([1.0, NAN]))),
    (RuntimeError, r"searchsorted: boundaries tensor should be 1 dimension or the first N-1",
     lambda: ag.searchsorted(ag.ones((2, 3)), ag.ones((1, 2))),
     lambda torch: torch.searchsorted(torch.ones(2, 3), torch.ones(1, 2))),
    (RuntimeError, r"searchsorted: input value can be a scalar only when boundaries tensor "
                   r"dimension is 1",
     lambda: ag.searchsorted(ag.ones((2, 3)), 1.0),
     lambda torch: torch.searchsorted(torch.ones(2, 3), 1.0)),
    (RuntimeError, r"searchsorted: boundaries tensor should have positive dimension",
     lambda: ag.searchsorted(ag.tensor(1.0), ag.ones(2)),
     lambda torch: torch.searchsorted(torch.tensor(1.0), torch.ones(2))),
    (RuntimeError, r"searchsorted: side and right can't be set to opposites",
     lambda: ag.searchsorted(ag.ones(3), ag.ones(2), right=True, side="left"),
     lambda torch: torch.searchsorted(torch.ones(3), torch.ones(2), right=True, side="left")),
    (RuntimeError, r"searchsorted: side can only be 'left' or 'right' but got middle",
     lambda: ag.searchsorted(ag.ones(3), ag.ones(2), side="middle"),
     lambda torch: torch.searchsorted(torch.ones(3), torch.ones(2), side="middle")),
    (RuntimeError, r"searchsorted: sorter must be a tensor of long dtype",
     lambda: ag.searchsorted(ag.ones(3), ag.ones(2), sorter=np.arange(3, dtype=np.int32)),
     lambda torch: torch.searchsorted(torch.ones(3), torch.ones(2),
                                      sorter=torch.arange(3, dtype=torch.int32))),
    (RuntimeError, r"searchsorted: boundary and sorter must have the same size",
     lambda: ag.searchsorted(ag.ones(3), ag.ones(2), sorter=ag.arange(2)),
     lambda torch: torch.searchsorted(torch.ones(3), torch.ones(2), sorter=torch.arange(2))),
    (RuntimeError, r"searchsorted: sorter index out of range",
     lambda: ag.searchsorted(ag.ones(3), ag.ones(2), sorter=ag.tensor([0, 1, 3])),
     lambda torch: torch.searchsorted(torch.ones(3), torch.ones(2), sorter=torch.tensor([0, 1, 3]))),
    (RuntimeError, r"bucketize: boundaries tensor must be 1 dimension, but got dim\(2\)",
     lambda: ag.bucketize(ag.ones(2), ag.ones((2, 2))),
     lambda torch: torch.bucketize(torch.ones(2), torch.ones(2, 2))),
    (RuntimeError, r"diff expects input to be at least one-dimensional",
     lambda: ag.diff(ag.tensor(1.0)), lambda torch: torch.diff(torch.tensor(1.0))),
    (RuntimeError, r"diff: order must be non-negative but got -1",
     lambda: ag.diff(F32, -1), lambda torch: torch.diff(torch.ones(2), -1)),
    (RuntimeError, r"diff expects prepend or append to be the same dimension as input",
     lambda: ag.diff(F32, prepend=ag.zeros(1)),
     lambda torch: torch.diff(torch.ones(4, 6), prepend=torch.zeros(1))),
    (RuntimeError, r"diff expects the shape of tensor to prepend or append to match that of "
                   r"input except along the differencing dimension; input.size\(0\) = 4",
     lambda: ag.diff(F32, append=ag.zeros((3, 1))),
     lambda torch: torch.diff(torch.ones(4, 6), append=torch.zeros(3, 1))),
    (TypeError, r"diff\(\): argument 'prepend' must be Tensor, not float",
     lambda: ag.diff(F32, prepend=0.0), lambda torch: torch.diff(torch.ones(2), prepend=0.0)),
    (RuntimeError, r"cov\(\): expected input to have two or fewer dimensions but got an "
                   r"input with 3 dimensions",
     lambda: ag.cov(ag.zeros((2, 2, 2))), lambda torch: torch.cov(torch.zeros(2, 2, 2))),
    (RuntimeError, r"cov\(\): bool dtype is not supported",
     lambda: ag.cov(ag.tensor([True])), lambda torch: torch.cov(torch.tensor([True]))),
    (TypeError, r"cov\(\): argument 'correction' must be int, not float",
     lambda: ag.cov(F32, correction=0.5), lambda torch: torch.cov(torch.ones(2), correction=0.5)),
    (RuntimeError, r"cov\(\): expected fweights to have integral dtype",
     lambda: ag.cov(F32, fweights=ag.ones(6)),
     lambda torch: torch.cov(torch.ones(4, 6), fweights=torch.ones(6))),
    (RuntimeError, r"cov\(\): expected aweights to have floating point dtype",
     lambda: ag.cov(F32, aweights=ag.tensor(np.ones(6, np.int64))),
     lambda torch: torch.cov(torch.ones(4, 6), aweights=torch.ones(6, dtype=torch.long))),
    (RuntimeError, r"cov\(\): expected fweights to have the same numel as there are "
                   r"observations in the input but got 5 != 6",
     lambda: ag.cov(F32, fweights=ag.arange(5)),
     lambda torch: torch.cov(torch.ones(4, 6), fweights=torch.arange(5))),
    (RuntimeError, r"cov\(\): expected aweights to have one or fewer dimensions",
     lambda: ag.cov(F32, aweights=ag.ones((1, 6))),
     lambda torch: torch.cov(torch.ones(4, 6), aweights=torch.ones(1, 6))),
    (RuntimeError, r"cov\(\): fweights cannot be negative",
     lambda: ag.cov(F32, fweights=ag.tensor([1, -1, 1, 1, 1, 1])),
     lambda torch: torch.cov(torch.ones(4, 6), fweights=torch.tensor([1, -1, 1, 1, 1, 1]))),
    (RuntimeError, r"cov\(\): weights sum to zero",
     lambda: ag.cov(F32, fweights=ag.zeros(6, dtype=ag.int64)),
     lambda torch: torch.cov(torch.ones(4, 6), fweights=torch.zeros(6, dtype=torch.long))),
    (RuntimeError, r"dist: input dtype should be either floating point or complex",
     lambda: ag.dist(I64, I64), lambda torch: torch.dist(torch.arange(3), torch.arange(3))),
    (RuntimeError, r"renorm: non-positive-norm not supported",
     lambda: ag.renorm(F32, 0, 0, 1.0), lambda torch: torch.renorm(torch.ones(2, 2), 0, 0, 1.0)),
    (RuntimeError, r"renorm: expected maxnorm to be >= 0 but got -1",
     lambda: ag.renorm(F32, 2, 0, -1), lambda torch: torch.renorm(torch.ones(2, 2), 2, 0, -1)),
    (RuntimeError, r"renorm: input needs at least 2 dimensions, got 1 dimensions",
     lambda: ag.renorm(F32[0], 2, 0, 1.0), lambda torch: torch.renorm(torch.ones(2), 2, 0, 1.0)),
    (RuntimeError, r"renorm: expected a floating point tensor",
     lambda: ag.renorm(ag.ones((2, 2), dtype=ag.int64), 2, 0, 1.0),
     lambda torch: torch.renorm(torch.ones(2, 2, dtype=torch.long), 2, 0, 1.0)),
    (IndexError, r"renorm: dimension out of range",
     lambda: ag.renorm(F32, 2, 2, 1.0), lambda torch: torch.renorm(torch.ones(2, 2), 2, 2, 1.0)),
    (RuntimeError, r"tensor_split expected at least a 1-dimensional tensor, but got a tensor "
                   r"with 0 dims",
     lambda: ag.tensor_split(ag.tensor(1.0), 2), lambda torch: torch.tensor_split(torch.tensor(1.0), 2)),
    (RuntimeError, r"tensor_split: number of sections must be larger than 0, got 0",
     lambda: ag.tensor_split(F32, 0), lambda torch: torch.tensor_split(torch.ones(2), 0)),
    (RuntimeError, r"tensor_split expected tensor_indices_or_sections to have dtype of long",
     lambda: ag.tensor_split(F32, ag.tensor([1.0])),
     lambda torch: torch.tensor_split(torch.ones(2), torch.tensor([1.0]))),
    (RuntimeError, r"tensor_split expected tensor_indices_or_sections to be a zero-dimensional "
                   r"or one-dimensional tensor, but got a tensor with 2 dims",
     lambda: ag.tensor_split(F32, ag.tensor([[1]])),
     lambda torch: torch.tensor_split(torch.ones(2), torch.tensor([[1]]))),
    (TypeError, r"tensor_split: expected an int, a sequence of ints or an int64 tensor",
     lambda: ag.tensor_split(F32, 1.5), lambda torch: torch.tensor_split(torch.ones(2), 1.5)),
    (RuntimeError, r"hsplit attempted to split along dimension 1, but the size of the "
                   r"dimension 6 is not divisible by the split_size 4!",
     lambda: ag.hsplit(F32, 4), lambda torch: torch.hsplit(torch.ones(4, 6), 4)),
    (RuntimeError, r"hsplit requires a tensor with at least 1 dimension, but got a tensor "
                   r"with 0 dimensions!",
     lambda: ag.hsplit(ag.tensor(1.0), 1), lambda torch: torch.hsplit(torch.tensor(1.0), 1)),
    (RuntimeError, r"vsplit requires a tensor with at least 2 dimension",
     lambda: ag.vsplit(F32[0], 1), lambda torch: torch.vsplit(torch.ones(2), 1)),
    (RuntimeError, r"dsplit requires a tensor with at least 3 dimension",
     lambda: ag.dsplit(F32, 1), lambda torch: torch.dsplit(torch.ones(2, 2), 1)),
    (RuntimeError, r"vsplit attempted to split along dimension 0, but the size of the "
                   r"dimension 4 is not divisible by the split_size 0!",
     lambda: ag.vsplit(F32, 0), lambda torch: torch.vsplit(torch.ones(4, 6), 0)),
    (RuntimeError, r"split_with_sizes expects split_sizes to sum exactly to 4 \(input "
                   r"tensor's size at dimension 0\), but got split_sizes=\[1, 2\]",
     lambda: F32.split_with_sizes([1, 2]), lambda torch: torch.ones(4, 6).split_with_sizes([1, 2])),
    (RuntimeError, r"split_with_sizes expects split_sizes have only non-negative entries",
     lambda: F32.split_with_sizes([5, -1]), lambda torch: torch.ones(4, 6).split_with_sizes([5, -1])),
    (RuntimeError, r"hstack: expected a non-empty sequence of tensors",
     lambda: ag.hstack([]), lambda torch: torch.hstack([])),
    (RuntimeError, r"column_stack: expected a non-empty sequence of tensors",
     lambda: ag.column_stack([]), lambda torch: torch.column_stack([])),
    (RuntimeError, r"meshgrid expects a non-empty TensorList",
     lambda: ag.meshgrid(indexing="ij"), lambda torch: torch.meshgrid(indexing="ij")),
    (RuntimeError, r"meshgrid: Expected 0D or 1D tensor in the tensor list but got shape "
                   r"\(4, 6\)",
     lambda: ag.meshgrid(F32, indexing="ij"), lambda torch: torch.meshgrid(torch.ones(2, 2), indexing="ij")),
    (RuntimeError, r"meshgrid expects all tensors to have the same dtype",
     lambda: ag.meshgrid(I64, F32[0], indexing="ij"),
     lambda torch: torch.meshgrid(torch.arange(2), torch.ones(2), indexing="ij")),
    (RuntimeError, r'meshgrid: indexing must be one of "xy" or "ij", but received: xx',
     lambda: ag.meshgrid(I64, indexing="xx"), lambda torch: torch.meshgrid(torch.ones(2), indexing="xx")),
    (RuntimeError, r"cartesian_prod: Expect a 1D vector, but got shape \[4, 6\]",
     lambda: ag.cartesian_prod(F32, F32[0]),
     lambda torch: torch.cartesian_prod(torch.ones(2, 2), torch.ones(2))),
    (RuntimeError, r"combinations: Expect a 1D vector, but got shape \[4, 6\]",
     lambda: ag.combinations(F32), lambda torch: torch.combinations(torch.ones(2, 2))),
    (RuntimeError, r"combinations: Expect a non-negative number, but got -1",
     lambda: ag.combinations(I64, -1), lambda torch: torch.combinations(torch.ones(2), -1)),
    (RuntimeError, r"block_diag: Input tensors must have 2 or fewer dimensions. Input 1 has 3",
     lambda: ag.block_diag(F32, ag.zeros((1, 1, 1))),
     lambda torch: torch.block_diag(torch.ones(1), torch.zeros(1, 1, 1))),
    (RuntimeError, r"diag_embed: diagonal dimensions cannot be identical 1, 1",
     lambda: ag.diag_embed(F32, 0, 1, 1), lambda torch: torch.diag_embed(torch.ones(2, 2), 0, 1, 1)),
    (IndexError, r"diag_embed: dimension out of range",
     lambda: ag.diag_embed(F32, 0, 0, 3), lambda torch: torch.diag_embed(torch.ones(2, 2), 0, 0, 3)),
    (IndexError, r"select: select\(\): index 6 out of range for tensor of size \[4, 6\] at "
                 r"dimension 1",
     lambda: F32.select(1, 6), lambda torch: torch.ones(4, 6).select(1, 6)),
    (IndexError, r"select: select\(\) cannot be applied to a 0-dim tensor",
     lambda: ag.tensor(1.0).select(0, 0), lambda torch: torch.tensor(1.0).select(0, 0)),
    (RuntimeError, r"select_scatter: expected src to have a size equal to the slice of self. "
                   r"src size = \[1\], slice size = \[6\]",
     lambda: F32.select_scatter(ag.ones(1), 0, 1),
     lambda torch: torch.ones(4, 6).select_scatter(torch.ones(1), 0, 1)),
    (RuntimeError, r"slice_scatter: expected src to have a size equal to the slice of self. "
                   r"src size = \[4, 2\], slice size = \[4, 3\]",
     lambda: F32.slice_scatter(ag.ones((4, 2)), 1, 0, None, 2),
     lambda torch: torch.ones(4, 6).slice_scatter(torch.ones(4, 2), 1, 0, None, 2)),
    (RuntimeError, r"slice_scatter: slice step must be positive",
     lambda: F32.slice_scatter(ag.ones((4, 6)), 1, None, None, 0),
     lambda torch: torch.ones(4, 6).slice_scatter(torch.ones(4, 6), 1, None, None, 0)),
    (IndexError, r"slice_scatter: slice\(\) cannot be applied to a 0-dim tensor",
     lambda: ag.slice_scatter(ag.tensor(1.0), ag.tensor(2.0)),
     lambda torch: torch.slice_scatter(torch.tensor(1.0), torch.tensor(2.0))),
    (RuntimeError, r"diagonal_scatter: expected src to have a size equal to the slice of "
                   r"self. src size = \[3\], slice size = \[4\]",
     lambda: F32.diagonal_scatter(ag.ones(3)),
     lambda torch: torch.ones(4, 6).diagonal_scatter(torch.ones(3))),
    (RuntimeError, r"unfold: maximum size for tensor at dimension 1 is 6 but size is 7",
     lambda: F32.unfold(1, 7, 1), lambda torch: torch.ones(4, 6).unfold(1, 7, 1)),
    (RuntimeError, r"unfold: step is 0 but must be > 0",
     lambda: F32.unfold(1, 2, 0), lambda torch: torch.ones(4, 6).unfold(1, 2, 0)),
    (RuntimeError, r"unfold: size is -1 but must be >= 0",
     lambda: F32.unfold(1, -1, 1), lambda torch: torch.ones(4, 6).unfold(1, -1, 1)),
    (IndexError, r"unfold: dimension out of range",
     lambda: F32.unfold(2, 1, 1), lambda torch: torch.ones(4, 6).unfold(2, 1, 1)),
    (RuntimeError, r"vander: x must be a one-dimensional tensor",
     lambda: ag.vander(F32), lambda torch: torch.vander(torch.ones(2, 2))),
    (RuntimeError, r"vander: N must be non-negative",
     lambda: ag.vander(I64, -1), lambda torch: torch.vander(torch.ones(2), -1)),
    (RuntimeError, r"addmm: mat1 must be a 2-D tensor, got 1-D",
     lambda: ag.addmm(F32, F32[0], F32), lambda torch: torch.addmm(torch.ones(2), torch.ones(3),
                                                                   torch.ones(3, 2))),
    (RuntimeError, r"addmm: mat1 and mat2 shapes cannot be multiplied \(4x6 and 4x6\)",
     lambda: ag.addmm(F32, F32, F32),
     lambda torch: torch.addmm(torch.ones(4, 6), torch.ones(4, 6), torch.ones(4, 6))),
    (RuntimeError, r"addmm: expected input, mat1, mat2 to have the same dtype, but got "
                   r"float64, float32, float32",
     lambda: ag.addmm(ag.ones(6, dtype=ag.float64), F32[:, :4].T, F32[:, :4]),
     lambda torch: torch.addmm(torch.ones(4, dtype=torch.float64), torch.ones(4, 6),
                               torch.ones(6, 4))),
    (RuntimeError, r"addmm: the input of shape \(5,\) does not broadcast to the product's "
                   r"shape \(4, 4\)",
     lambda: ag.addmm(ag.ones(5), F32, F32.T),
     lambda torch: torch.addmm(torch.ones(5), torch.ones(4, 6), torch.ones(6, 4))),
    (RuntimeError, r"addmv: size mismatch",
     lambda: ag.addmv(ag.ones(4), F32, ag.ones(4)),
     lambda torch: torch.addmv(torch.ones(4), torch.ones(4, 6), torch.ones(4))),
    (RuntimeError, r"addmv: vec must be a 1-D tensor",
     lambda: ag.addmv(ag.ones(4), F32, ag.ones((6, 1))),
     lambda torch: torch.addmv(torch.ones(4), torch.ones(4, 6), torch.ones(6, 1))),
    (RuntimeError, r"addr: vec1 must be a 1-D tensor, got 2-D",
     lambda: ag.addr(F32, F32, F32[0]),
     lambda torch: torch.addr(torch.ones(4, 6), torch.ones(4, 1), torch.ones(6))),
    (IndexError, r"baddbmm: batch1 must be a 3-D tensor, got 2-D",
     lambda: ag.baddbmm(F32, F32, F32), lambda torch: torch.baddbmm(torch.ones(1, 4), torch.ones(2, 3),
                                                                    torch.ones(3, 4))),
    (RuntimeError, r"addbmm: batch1 and batch2 must have same number of batches, got 2 and 3",
     lambda: ag.addbmm(F32, ag.ones((2, 4, 3)), ag.ones((3, 3, 6))),
     lambda torch: torch.addbmm(torch.ones(4, 6), torch.ones(2, 4, 3), torch.ones(3, 3, 6))),
    (RuntimeError, r"baddbmm: incompatible matrix sizes for bmm",
     lambda: ag.baddbmm(F32, ag.ones((2, 4, 3)), ag.ones((2, 4, 6))),
     lambda torch: torch.baddbmm(torch.ones(4, 6), torch.ones(2, 4, 3), torch.ones(2, 4, 6))),
    (RuntimeError, r"chain_matmul\(\): Expected one or more matrices",
     lambda: ag.chain_matmul(), lambda torch: torch.chain_matmul()),
    (RuntimeError, r"chain_matmul: matrix 1 must be a 2-D tensor, got 1-D",
     lambda: ag.chain_matmul(F32, F32[0]), lambda torch: torch.chain_matmul(torch.ones(4, 6),
                                                                            torch.ones(6))),
    (RuntimeError, r"multi_dot\(\): tensors 0 and 1 with shapes \[4, 6\] and \[4, 6\] cannot "
                   r"be multiplied",
     lambda: ag.chain_matmul(F32, F32),
     lambda torch: torch.chain_matmul(torch.ones(4, 6), torch.ones(4, 6))),
]


@pytest.mark.parametrize("exc, match, ours, theirs", ERRORS,
                         ids=[e[1][:40] for e in ERRORS])
def test_errors_like_torch(exc, match, ours, theirs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # (meshgrid's and chain_matmul's own warnings)
        assert_raises_like_torch(exc, match, ours, theirs)
