"""Semantics of the shape and linear-algebra ops beyond the op table: dtypes of integer
and bool inputs, views (shared memory, version counters), argument forms, errors, and
agreement with PyTorch (skipped without it)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd as ag

X = np.arange(12.0, dtype=np.float32).reshape(3, 4)
B3 = np.arange(24.0, dtype=np.float32).reshape(2, 3, 4)


def test_integer_and_bool_inputs_keep_their_dtypes():
    xi = ag.tensor(np.arange(12).reshape(3, 4))
    for out in (xi.roll(1), xi.tril(), xi.triu(1), xi.diagonal(), xi.diag(), xi.narrow(0, 1, 1),
                xi.tile((2,)), xi.repeat_interleave(2, 0), xi.rot90(), xi.t(), xi.ravel()):
        assert out.dtype == np.int64
    assert ag.tensor(np.ones((2, 2), np.int32)).trace().dtype == np.int64   # like sum
    assert ag.diag(ag.tensor([True, False])).dtype == np.bool_
    assert ag.tril(ag.tensor(np.ones((2, 2), bool))).dtype == np.bool_
    assert ag.outer(ag.tensor([1, 2]), ag.tensor([True, False])).dtype == np.int64
    assert ag.kron(ag.tensor([1, 2]), ag.tensor([True, False])).tolist() == [1, 0, 2, 0]
    assert ag.cross(ag.tensor([1, 2, 3]), ag.tensor([4, 5, 6]), dim=0).tolist() == [-3, 6, -3]
    assert ag.inner(ag.tensor([1, 2]), ag.tensor([3, 4])).item() == 11


def test_diagonal_and_narrow_are_views_that_track_in_place_changes():
    x = ag.tensor(X.copy())
    d, n = x.diagonal(), x.narrow(1, 1, 2)
    assert np.shares_memory(d.data, x.data) and np.shares_memory(n.data, x.data)
    d.mul_(0)   # through the view: the base sees it
    assert x.data[1, 1] == 0 and x._version == d._version == n._version == 1
    leaf = ag.tensor(X.astype(np.float64), requires_grad=True)
    y = leaf * 1
    y.diagonal(1).add_(1.0)   # recorded: y's history goes through CopySlices
    (y * y).sum().backward()
    want = 2 * X.astype(np.float64)
    want[np.arange(3), np.arange(1, 4)] += 2
    np.testing.assert_allclose(leaf.grad.data, want)
    y = leaf * 1
    p = y * y
    y.narrow(0, 0, 1).zero_()
    with pytest.raises(RuntimeError, match="modified by an in-place"):
        p.sum().backward()


def test_diag_of_a_matrix_and_rot90_copy():
    x = ag.tensor(X.copy())
    assert not np.shares_memory(ag.diag(x).data, x.data)
    assert not np.shares_memory(x.rot90(4).data, x.data)


def test_argument_forms():
    x = ag.tensor(X)
    np.testing.assert_array_equal(x.roll(1).data, np.roll(X, 1))
    np.testing.assert_array_equal(ag.roll(x, (1, 2), (0, 1)).data, np.roll(X, (1, 2), (0, 1)))
    np.testing.assert_array_equal(x.tile(2, 1).data, np.tile(X, (2, 1)))
    np.testing.assert_array_equal(ag.tile(x, ()).data, X)
    np.testing.assert_array_equal(x.narrow(1, ag.tensor(1), 2).data, X[:, 1:3])
    np.testing.assert_array_equal(x.narrow(1, 4, 0).data, X[:, 4:])
    assert x.view_as(ag.zeros(4, 3)).shape == (4, 3)
    assert x.t().reshape_as(ag.zeros(12)).shape == (12,)
    assert x.expand_as(ag.zeros(2, 3, 4)).shape == (2, 3, 4)
    assert ag.ravel(ag.tensor(2.0)).shape == (1,)
    assert ag.t(ag.tensor([1.0, 2.0])).shape == (2,)
    assert ag.moveaxis(ag.tensor(B3), (0, 1), (2, 0)).shape == (3, 4, 2)


def test_repeat_interleave_forms_and_gradient():
    x = ag.tensor(X.astype(np.float64), requires_grad=True)
    out = x.repeat_interleave(ag.tensor([2, 0, 1]), dim=0)
    np.testing.assert_array_equal(out.data, np.repeat(X, [2, 0, 1], 0))
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.repeat([[2.0], [0.0], [1.0]], 4, 1))
    assert x.repeat_interleave(ag.tensor(2), 1).shape == (3, 8)
    assert x.repeat_interleave(ag.tensor([3]), 1).shape == (3, 12)
    assert x.repeat_interleave(2, 0, output_size=6).shape == (6, 4)
    assert ag.repeat_interleave(ag.tensor([2, 0, 3])).tolist() == [0, 0, 2, 2, 2]
    empty = ag.zeros(0, 2).repeat_interleave(ag.tensor(np.zeros(0, np.int64)), 0)
    assert empty.shape == (0, 2)


def test_errors():
    x, v, z = ag.tensor(X), ag.tensor([1.0, 2.0, 3.0]), ag.tensor(1.0)
    cases = [
        (RuntimeError, lambda: x.roll((1, 2), 0)), (RuntimeError, lambda: x.roll(())),
        (IndexError, lambda: z.roll(1, 0)), (TypeError, lambda: x.roll(1.5)),
        (IndexError, lambda: x.roll(1, 2)),
        (RuntimeError, lambda: v.tril()), (RuntimeError, lambda: z.triu()),
        (RuntimeError, lambda: ag.diag(z)), (RuntimeError, lambda: ag.diag(ag.tensor(B3))),
        (RuntimeError, lambda: x.diagonal(0, 1, -1)), (IndexError, lambda: x.diagonal(0, 0, 2)),
        (IndexError, lambda: v.diagonal()),
        (RuntimeError, lambda: v.trace()), (NotImplementedError, lambda: (x > 1).trace()),
        (RuntimeError, lambda: z.narrow(0, 0, 1)), (RuntimeError, lambda: x.narrow(1, 3, 2)),
        (IndexError, lambda: x.narrow(1, 5, 0)), (RuntimeError, lambda: x.narrow(1, 0, -1)),
        (RuntimeError, lambda: x.tile((-1,))),
        (RuntimeError, lambda: x.repeat_interleave(-1, 0)),
        (RuntimeError, lambda: x.repeat_interleave(ag.tensor([1, 2]), 0)),
        (RuntimeError, lambda: x.repeat_interleave(ag.tensor([1, -1, 1]), 0)),
        (RuntimeError, lambda: x.repeat_interleave(ag.tensor([[1, 1, 1]]), 0)),
        (NotImplementedError, lambda: x.repeat_interleave(ag.tensor([1.0, 1, 1]), 0)),
        (RuntimeError, lambda: x.repeat_interleave(2, 0, output_size=5)),
        (RuntimeError, lambda: ag.t(ag.tensor(B3))),
        (RuntimeError, lambda: x.rot90(1, (0, 0))), (RuntimeError, lambda: x.rot90(1, (0,))),
        (RuntimeError, lambda: v.rot90()), (IndexError, lambda: x.rot90(1, (0, 2))),
        (RuntimeError, lambda: ag.outer(x, v)), (RuntimeError, lambda: ag.outer(z, v)),
        (RuntimeError, lambda: ag.inner(x, v)), (RuntimeError, lambda: ag.inner(x, x.long())),
        (NotImplementedError, lambda: ag.inner(x > 1, x > 2)),
        (RuntimeError, lambda: ag.cross(x, v, dim=1)), (RuntimeError, lambda: ag.cross(x, x, 1)),
        (RuntimeError, lambda: ag.cross(ag.ones(2, 3), ag.ones(4, 3), 1)),
        (RuntimeError, lambda: ag.cross(ag.ones(2, 4), ag.ones(2, 4), dim=None)),
        (RuntimeError, lambda: ag.cross(ag.tensor([1, 2, 3]), v, 0)),
        (NotImplementedError, lambda: ag.cross(v > 1, v > 2, 0)),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for exc, fn in cases:
            with pytest.raises(exc):
                fn()


def test_cross_without_dim_warns_and_takes_the_first_dim_of_size_3():
    a, b = np.arange(12.0).reshape(3, 4), np.arange(12.0).reshape(3, 4) ** 2
    with pytest.warns(UserWarning, match="dim"):
        out = ag.cross(ag.tensor(a), ag.tensor(b))
    np.testing.assert_allclose(out.data, np.cross(a, b, axis=0))


def test_cat_and_stack_promote_like_pytorch():
    # NumPy would give float64 for int64 with float32, and float64 for int64 with float16
    pairs = [(np.int64, np.float32, np.float32), (np.int64, np.float16, np.float16),
             (np.uint8, np.int32, np.int32), (np.bool_, np.uint8, np.uint8),
             (np.float32, np.float64, np.float64), (np.int32, np.bool_, np.int32)]
    for a, b, want in pairs:
        x, y = ag.tensor(np.ones(2, a)), ag.tensor(np.zeros(1, b))
        assert ag.cat([x, y]).dtype == want, (a, b)
        assert ag.stack([x[:1], y]).dtype == want, (a, b)
        assert ag.dtypes.result_type(x, y) == want
    # the cast is recorded: each input's gradient comes back in its own dtype
    p, q = ag.tensor([1.0], requires_grad=True), ag.tensor([2.0], dtype=ag.float64,
                                                             requires_grad=True)
    ag.cat([p, q]).sum().backward()
    assert p.grad.dtype == ag.float32 and q.grad.dtype == ag.float64
    torch = pytest.importorskip("torch")
    kinds = [np.bool_, np.uint8, np.int32, np.int64, np.float16, np.float32, np.float64]
    for a in kinds:
        for b in kinds:
            x, y = np.ones(2, a), np.zeros(1, b)
            want = torch.cat([torch.tensor(x), torch.tensor(y)]).dtype
            assert str(ag.cat([ag.tensor(x), ag.tensor(y)]).dtype) == \
                str(want).replace("torch.", ""), (a, b)
            want = torch.stack([torch.tensor(x[:1]), torch.tensor(y)]).dtype
            assert str(ag.stack([ag.tensor(x[:1]), ag.tensor(y)]).dtype) == \
                str(want).replace("torch.", ""), (a, b)


def test_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((4, 3))
    c, e = rng.standard_normal((2, 1, 3)), rng.standard_normal((1, 5, 3))
    cases = [
        lambda m, x, y: m.roll(x, (1, -2), (0, 2)), lambda m, x, y: m.roll(x, 5),
        lambda m, x, y: m.tril(x, -1), lambda m, x, y: m.triu(x, 2),
        lambda m, x, y: m.diagonal(x, -1, 2, 1), lambda m, x, y: m.diag(y, 1),
        lambda m, x, y: m.diag(m.diagonal(x, 0, 0, 2), -2), lambda m, x, y: m.trace(y),
        lambda m, x, y: m.narrow(x, -1, -3, 2), lambda m, x, y: m.tile(y, (2, 1, 3)),
        lambda m, x, y: m.repeat_interleave(x, 3), lambda m, x, y: m.repeat_interleave(y, 2, -1),
        lambda m, x, y: m.swapdims(x, 0, 2), lambda m, x, y: m.rot90(x, 3, (2, 0)),
        lambda m, x, y: m.rot90(y, -2), lambda m, x, y: m.outer(y[0], x[0, 0]),
        lambda m, x, y: m.inner(x, y.T), lambda m, x, y: m.kron(x, y),
        lambda m, x, y: m.cross(x[..., :3], y[None, 1:, :], dim=-1),
    ]
    for i, f in enumerate(cases):
        ours = [ag.tensor(t, requires_grad=True) for t in (a, b)]
        theirs = [torch.tensor(t, requires_grad=True) for t in (a, b)]
        out_a, out_t = f(ag, *ours), f(torch, *theirs)
        np.testing.assert_allclose(out_a.data, out_t.detach().numpy(), atol=1e-12,
                                   err_msg=f"case {i}")
        w = rng.standard_normal(out_t.shape)
        ga = ag.grad((out_a * ag.tensor(w)).sum(), ours, allow_unused=True)
        gt = torch.autograd.grad((out_t * torch.tensor(w)).sum(), theirs, allow_unused=True)
        for p, q in zip(ga, gt):
            assert (p is None) == (q is None), f"case {i}"
            if p is not None:
                np.testing.assert_allclose(p.data, q.numpy(), atol=1e-12, err_msg=f"case {i}")
    out = ag.cross(ag.tensor(c), ag.tensor(e), dim=2)
    want = torch.cross(torch.tensor(c), torch.tensor(e), dim=2)
    np.testing.assert_allclose(out.data, want.numpy(), atol=1e-12)
