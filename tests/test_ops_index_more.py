"""take, take_along_dim, scatter, index_add/copy/fill, masked_select/scatter,
nonzero/argwhere and the Tensor convenience methods (new_*, type_as, is_contiguous,
size, len/iter/in): dtypes, 0-d inputs, error types, and parity with PyTorch."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd as ag

T = ag.tensor
F64 = ag.float64


def arange(*shape, requires_grad=False):
    n = int(np.prod(shape))
    return T(np.arange(n, dtype=np.float64).reshape(shape), requires_grad=requires_grad)


def grads(out, *inputs, seed=0):
    """The gradients of <out, w> for a fixed random w."""
    w = np.random.default_rng(seed).standard_normal(out.shape)
    return ag.grad((out * T(w)).sum(), inputs, allow_unused=True)


# ---- values, dtypes and 0-d inputs --------------------------------------------------

def test_integer_and_bool_inputs_keep_their_dtype():
    i = ag.arange(6).reshape(2, 3)
    assert ag.take(i, T([0, -1])).dtype == np.int64
    assert ag.take_along_dim(i, T([[2], [0]]), dim=1).tolist() == [[2], [3]]
    assert ag.scatter(i, 1, T([[0]]), 7.9).tolist() == [[7, 1, 2], [3, 4, 5]]
    assert ag.index_fill(i, 0, T([1]), -2.7).tolist() == [[0, 1, 2], [-2, -2, -2]]
    # alpha is cast to the dtype first, as in PyTorch (1.5 is 1 for integers)
    assert ag.index_add(ag.zeros(2, dtype=ag.int64), 0, T([1]), T([3]),
                        alpha=1.5).tolist() == [0, 3]
    b = ag.index_add(ag.zeros(2, dtype=ag.bool_), 0, T([1, 1]), ag.ones(2, dtype=ag.bool_))
    assert b.dtype == np.bool_ and b.tolist() == [False, True]
    assert ag.masked_select(i, i > 3).tolist() == [4, 5]
    assert ag.masked_scatter(ag.arange(3), T([True, False, True]), T([7, 8])).tolist() \
        == [7, 1, 8]
    assert ag.nonzero(T([0.0, 1.5, -0.0, np.nan])).tolist() == [[1], [3]]
    assert ag.nonzero(i).dtype == np.int64


def test_zero_d_inputs():
    s = T(3.0)
    assert ag.take(s, T(0)).shape == ()
    assert ag.take_along_dim(s, T(0)).shape == (1,)   # dim=None flattens
    assert ag.scatter(T(1.0), 0, T(0), T(5.0)).item() == 5.0
    assert ag.scatter(T(1.0), 0, T([0]), T([5.0])).shape == ()
    assert ag.index_add(T(1.0), 0, T(0), T(2.0)).item() == 3.0
    assert ag.index_copy(T(1.0), 0, T([0]), T(2.0)).item() == 2.0
    assert ag.index_fill(T(1.0), -1, T(0), 2.0).item() == 2.0
    assert ag.masked_select(s, T(True)).tolist() == [3.0]
    assert ag.masked_select(s, T(False)).shape == (0,)
    assert ag.masked_scatter(s, T(True), T([7.0, 8.0])).shape == ()
    assert ag.nonzero(s).shape == (1, 0) and ag.argwhere(T(0.0)).shape == (0, 0)
    (idx,) = ag.nonzero(s, as_tuple=True)
    assert idx.tolist() == [0] and idx.dtype == np.int64
    assert ag.nonzero(T(0.0), as_tuple=True)[0].shape == (0,)


def test_nonzero_outputs_never_require_grad():
    x = arange(2, 3, requires_grad=True)
    assert not ag.nonzero(x).requires_grad and not ag.argwhere(x).requires_grad
    assert ag.nonzero(x).shape == (5, 2)


def test_where_with_the_condition_alone_is_nonzero_as_tuple():
    c = T([[0.0, 1.0], [2.0, 0.0]])
    rows, cols = ag.where(c)
    assert rows.tolist() == [0, 1] and cols.tolist() == [1, 0]
    assert [i.tolist() for i in ag.where(T(3.0))] == [[0]]
    with pytest.raises(TypeError, match="where"):
        ag.where(c, c)


def test_contiguous_copies_only_non_contiguous_data():
    x = arange(2, 3, requires_grad=True)
    assert x.contiguous() is x
    t = x.T.contiguous()
    assert t.is_contiguous() and t.tolist() == x.T.tolist()
    t.sum().backward()   # the copy stays connected to the graph
    assert x.grad.tolist() == [[1.0] * 3] * 2


# ---- gradients ------------------------------------------------------------------------

def test_scatter_gradients():
    x = arange(3, 4, requires_grad=True)
    src = arange(2, 4, requires_grad=True)
    idx = T([[2, 0, 1, 0]])   # (1, 4): only src's first row is used
    gx, gs = grads(ag.scatter(x, 0, idx, src), x, src)
    w = np.random.default_rng(0).standard_normal((3, 4))
    want_x = w.copy()
    want_x[idx.data[0], np.arange(4)] = 0.0
    np.testing.assert_allclose(gx.data, want_x)
    np.testing.assert_allclose(gs.data, np.vstack([w[idx.data[0], np.arange(4)],
                                                   np.zeros(4)]))
    (gv,) = grads(ag.scatter(x, 1, T([[3], [0]]), value=2.0), x)
    assert gv.data[0, 3] == 0 and gv.data[1, 0] == 0 and gv.data[2].all()


def test_index_fill_value_gradient_counts_each_slice_once():
    x = arange(2, 3, requires_grad=True)
    v = T(1.0, dtype=F64, requires_grad=True)
    out = ag.index_fill(x, 1, T([2, -1, 0]), v)   # 2 and -1 are the same column
    (gv,) = ag.grad(out.sum(), v)
    assert gv.item() == 4.0


def test_masked_scatter_gradient_zero_for_unused_source():
    x = arange(2, 3, requires_grad=True)
    src = arange(8, requires_grad=True)
    out = ag.masked_scatter(x, T([True, False, True]), src)   # mask broadcasts over rows
    gx, gs = ag.grad((out * arange(2, 3)).sum(), (x, src))
    np.testing.assert_array_equal(gx.data, [[0, 1, 0], [0, 4, 0]])
    np.testing.assert_array_equal(gs.data, [0, 2, 3, 5, 0, 0, 0, 0])


def test_take_along_dim_broadcast_gradient_sums_over_the_broadcast():
    x = arange(1, 4, requires_grad=True)
    out = ag.take_along_dim(x, T([[1], [1], [-1]]), dim=1)   # x broadcasts to (3, 4)
    assert out.tolist() == [[1.0], [1.0], [3.0]]
    (g,) = ag.grad(out.sum(), x)
    np.testing.assert_array_equal(g.data, [[0, 2, 0, 1]])


def test_second_order_through_index_add():
    x = arange(3, 2, requires_grad=True)
    s = arange(2, 2, requires_grad=True)
    out = ag.index_add(x, 0, T([0, 0]), s * s, alpha=3.0)
    (gs,) = ag.grad(out.sum(), s, create_graph=True)
    np.testing.assert_allclose(gs.data, 6 * s.data)
    (h,) = ag.grad(gs.sum(), s)
    np.testing.assert_allclose(h.data, np.full((2, 2), 6.0))


# ---- errors ---------------------------------------------------------------------------

X = ag.zeros(3, 4)
ERRORS = [
    (lambda: ag.take(X, T([12])), IndexError),
    (lambda: ag.take(X, T([-13])), IndexError),
    (lambda: ag.take(X, T([1], dtype=ag.int32)), RuntimeError),
    (lambda: ag.take(ag.zeros(0), T([0])), IndexError),
    (lambda: ag.take_along_dim(X, T([-1])), RuntimeError),
    (lambda: ag.take_along_dim(X, T([[4]]), dim=1), IndexError),
    (lambda: ag.take_along_dim(X, T([1]), dim=1), RuntimeError),
    (lambda: ag.take_along_dim(X, T([[1]], dtype=ag.int32), dim=1), RuntimeError),
    (lambda: ag.take_along_dim(X, ag.zeros(2, 1, dtype=ag.int64), dim=1), RuntimeError),
    (lambda: ag.take_along_dim(X, T([[0]]), dim=2), IndexError),
    (lambda: ag.take_along_dim(T(3.0), T(0), dim=0), IndexError),
    (lambda: ag.scatter(X, 1, T([[-1]]), 1.0), RuntimeError),
    (lambda: ag.scatter(X, 1, T([[4]]), 1.0), RuntimeError),
    (lambda: ag.scatter(X, 1, T([[1]]), ag.ones(1, 1, dtype=F64)), RuntimeError),
    (lambda: ag.scatter(X, 1, T([[1, 2]]), ag.ones(1, 1)), RuntimeError),
    (lambda: ag.scatter(X, 1, ag.zeros(4, 1, dtype=ag.int64), ag.ones(4, 1)), RuntimeError),
    (lambda: ag.scatter(X, 1, T([[3], [0]]), T(2.0)), RuntimeError),
    (lambda: ag.scatter(X, 1, T([[3], [0]])), TypeError),
    (lambda: ag.index_add(X, 1, T([-1]), ag.ones(3, 1)), RuntimeError),
    (lambda: ag.index_add(X, 1, T([1], dtype=np.int16), ag.ones(3, 1)), RuntimeError),
    (lambda: ag.index_add(X, 1, T([[1]]), ag.ones(3, 1)), IndexError),
    (lambda: ag.index_add(X, 1, T([1]), ag.ones(3, 2)), RuntimeError),
    (lambda: ag.index_add(X, 1, T([1]), ag.ones(1, 1)), RuntimeError),
    (lambda: ag.index_add(X, 1, T([1]), ag.ones(3, 1, dtype=F64)), RuntimeError),
    (lambda: ag.index_copy(X, 1, T([4]), ag.ones(3, 1)), IndexError),
    (lambda: ag.index_copy(X, 1, T([1], dtype=ag.int32), ag.ones(3, 1)), RuntimeError),
    (lambda: ag.index_copy(X, 1, T(1), ag.ones(3)), IndexError),
    (lambda: ag.index_copy(X, 1, T([1]), ag.ones(2, 1)), RuntimeError),
    (lambda: ag.index_fill(X, 1, T([-5]), 1.0), IndexError),
    (lambda: ag.index_fill(X, 1, T([1], dtype=ag.int32), 1.0), IndexError),
    (lambda: ag.index_fill(X, 1, T([[1]]), 1.0), RuntimeError),
    (lambda: ag.index_fill(X, 1, T([1]), T([3.0])), RuntimeError),
    (lambda: ag.index_fill(X, 2, T([1]), 1.0), IndexError),
    (lambda: ag.masked_select(X, ag.ones(3, 4, dtype=ag.uint8)), RuntimeError),
    (lambda: ag.masked_select(X, ag.ones(2, dtype=ag.bool_)), RuntimeError),
    (lambda: ag.masked_scatter(X, X > -1, ag.zeros(11)), RuntimeError),
    (lambda: ag.masked_scatter(X, X > -1, ag.zeros(12, dtype=F64)), RuntimeError),
    (lambda: ag.masked_scatter(X, ag.ones(3, 4, dtype=ag.uint8), ag.zeros(12)), RuntimeError),
    (lambda: X.new_full(2, 3.0), TypeError),
    (lambda: X.new_zeros(-1), RuntimeError),
    (lambda: ag.arange(3).new_ones(2, requires_grad=True), RuntimeError),
    (lambda: X.type_as(np.zeros(2)), TypeError),
    (lambda: X.size(2), IndexError),
    (lambda: T(1.0).size(0), IndexError),
    (lambda: len(T(1.0)), TypeError),
    (lambda: iter(T(1.0)), TypeError),
    (lambda: "a" in X, RuntimeError),
    (lambda: [1] in X, RuntimeError),
    (lambda: T([1.0, 2.0]) in ag.zeros(3), RuntimeError),
]


@pytest.mark.parametrize("call, error", ERRORS)
def test_errors_have_pytorch_types(call, error):
    with pytest.raises(error):
        call()


def test_error_messages_name_the_op_and_values():
    with pytest.raises(IndexError, match=r"take: index 12 .* size 12"):
        ag.take(X, T([12]))
    with pytest.raises(RuntimeError, match=r"index_add: source of shape \(3, 2\)"):
        ag.index_add(X, 1, T([1]), ag.ones(3, 2))


# ---- Tensor convenience methods -----------------------------------------------------

def test_new_methods_keep_dtype_and_do_not_require_grad():
    x = ag.ones(2, 3, dtype=F64, requires_grad=True)
    for t in (x.new_zeros(2, 1), x.new_zeros((2, 1)), x.new_ones([2, 1]), x.new_empty(2, 1),
              x.new_full((2, 1), 3)):
        assert t.dtype == np.float64 and t.shape == (2, 1) and not t.requires_grad
    assert x.new_zeros(()).shape == ()
    assert x.new_zeros(2, dtype=ag.int32).dtype == np.int32
    assert x.new_ones(2, requires_grad=True).requires_grad
    i = ag.arange(3)
    assert i.new_full((2,), 3.7).tolist() == [3, 3]
    assert i.new_tensor([1.5, 2]).tolist() == [1, 2]
    assert x.new_tensor(3).dtype == np.float64 and x.new_tensor(3).shape == ()
    assert x.new_tensor([1, 2], dtype=ag.int32).dtype == np.int32
    assert x.new_tensor([1.0], requires_grad=True).is_leaf
    with pytest.warns(UserWarning, match="new_tensor"):
        copy = x.new_tensor(x)
    assert not copy.requires_grad and not np.shares_memory(copy.data, x.data)


def test_type_as_is_contiguous_size_contains():
    x = arange(2, 3, requires_grad=True)
    i = ag.arange(3)
    assert i.type_as(x).dtype == np.float64
    assert x.type_as(x) is x
    assert x.type_as(T([1.0])).grad_fn is not None   # a differentiable cast
    assert x.is_contiguous() and T(1.0).is_contiguous() and (T(1.0) * 2).is_contiguous()
    assert not x.T.is_contiguous() and not ag.ones(4, 4)[:, ::2].is_contiguous()
    assert ag.ones(4, 4)[1:3].is_contiguous() and ag.ones(4, 1)[:, ::2].is_contiguous()
    assert not ag.ones(1, 4).expand(3, 4).is_contiguous()
    assert x.size() == (2, 3) and x.size(-1) == 3 and x.size(dim=0) == 2
    assert 2 in i and 5 not in i and 2.0 in i and T(2) in i and np.int64(1) in i
    assert True in T([1]) and 1 in T(1) and float("nan") not in T([np.nan])
    assert [r.tolist() for r in ag.arange(4).reshape(2, 2)] == [[0, 1], [2, 3]]


# ---- parity with PyTorch --------------------------------------------------------------

# (function of a module m ("autograd" or "torch") and a float64 input x requiring grad)
TORCH_CASES = {
    "take": lambda m, x: m.take(x, m.tensor([[-1, 0], [5, -12], [5, 5]])),
    "take_along_dim_none": lambda m, x: m.take_along_dim(x, m.tensor([[1, 5, 5]])),
    "take_along_dim_neg": lambda m, x: m.take_along_dim(x, m.tensor([[-1, 1, 1]]), dim=1),
    "take_along_dim_dim0": lambda m, x: m.take_along_dim(x, m.tensor([[1], [2]]), dim=0),
    "scatter_src": lambda m, x: m.scatter(x, 0, m.tensor([[2, 0, 1, 0]]),
                                          m.arange(1.0, 9.0, dtype=m.float64).reshape(2, 4)),
    "scatter_value": lambda m, x: x.scatter(1, m.tensor([[3], [0]]), value=7.5),
    "scatter_int32": lambda m, x: x.scatter(1, m.tensor([[3], [0]], dtype=m.int32), 1.5),
    "index_add": lambda m, x: x.index_add(1, m.tensor([0, 0, 3]), x[:, :3] * 2, alpha=-2),
    "index_add_int32": lambda m, x: x.index_add(0, m.tensor([1], dtype=m.int32), x[:1]),
    "index_copy": lambda m, x: x.index_copy(0, m.tensor([2, 0]), x[1:] * 3),
    "index_fill": lambda m, x: x.index_fill(1, m.tensor([0, -1]), -1.5),
    "index_fill_tensor": lambda m, x: x.index_fill(0, m.tensor(1), x[0, 0] * 2),
    "masked_select": lambda m, x: m.masked_select(x, x > 4),
    "masked_select_bcast": lambda m, x: x[:1].masked_select(
        m.tensor([[True], [False], [True]])),
    "masked_scatter": lambda m, x: x.masked_scatter(
        m.tensor([True, False, True, True]), m.arange(12.0, dtype=m.float64) * x[0, 1]),
}


@pytest.mark.parametrize("name", sorted(TORCH_CASES))
def test_values_and_gradients_match_torch(name):
    torch = pytest.importorskip("torch")
    fn = TORCH_CASES[name]
    data = np.arange(12.0).reshape(3, 4) - 5.5
    xa = T(data, dtype=F64, requires_grad=True)
    xt = torch.tensor(data, requires_grad=True)
    ya, yt = fn(ag, xa), fn(torch, xt)
    assert ya.shape == tuple(yt.shape) and str(ya.dtype) == str(yt.dtype).split(".")[1]
    np.testing.assert_array_equal(ya.data, yt.detach().numpy())
    w = np.random.default_rng(0).standard_normal(ya.shape)
    (ga,) = ag.grad((ya * T(w)).sum(), xa)
    (gt,) = torch.autograd.grad((yt * torch.tensor(w)).sum(), xt)
    np.testing.assert_allclose(ga.data, gt.numpy(), rtol=1e-12, atol=1e-12)


def test_nonzero_and_methods_match_torch():
    torch = pytest.importorskip("torch")
    for data in ([[0.0, 1.0, 0.0], [2.0, 0.0, -1.0]], 3.0, 0.0, [[]]):
        a, t = T(data), torch.tensor(data)
        np.testing.assert_array_equal(ag.nonzero(a).data, torch.nonzero(t).numpy())
        np.testing.assert_array_equal(ag.argwhere(a).data, torch.argwhere(t).numpy())
        for got, want in zip(ag.nonzero(a, as_tuple=True), torch.nonzero(t, as_tuple=True),
                             strict=True):
            np.testing.assert_array_equal(got.data, want.numpy())
    for make in (lambda m: m.ones(2, 3), lambda m: m.ones(2, 3).T,
                 lambda m: m.ones(4, 4)[:, ::2], lambda m: m.ones(1, 4).expand(3, 4)):
        assert make(ag).is_contiguous() == make(torch).is_contiguous()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for make in (lambda m: m.arange(3).new_full((2,), 3.7),
                     lambda m: m.arange(3).new_tensor([1.5, -2.5]),
                     lambda m: m.ones(2, dtype=m.float64).new_tensor([1, 2]),
                     lambda m: m.arange(3).type_as(m.ones(1))):
            a, t = make(ag), make(torch)
            assert a.tolist() == t.tolist() and str(a.dtype) == str(t.dtype).split(".")[1]
