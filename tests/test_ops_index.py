"""PyTorch parity of indexing, shape and linear-algebra ops: where advanced-index
dimensions land, views versus copies, argument validation and error types, einsum's
gradients over diagonals and size-1 broadcasting."""
from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
from autograd.ops.index import normalize_index

F64 = ag.float64


def arange(*shape, requires_grad=False):
    n = int(np.prod(shape))
    return ag.tensor(np.arange(n, dtype=np.float64).reshape(shape), requires_grad=requires_grad)


# ---- where advanced-index dimensions land -------------------------------------------

# (index, the same selection as an int select followed by the rest): PyTorch applies
# plain ints first, so they never move the array-indexed dims to the front.
SEPARATED = [
    ((0, slice(None), [1, 2]), lambda a: a[0][:, [1, 2]]),
    ((0, None, [1, 2]), lambda a: a[0][None, [1, 2]]),
    ((0, Ellipsis, [1, 2]), lambda a: a[0][..., [1, 2]]),
    ((0, slice(None), [[1], [2]]), lambda a: a[0][:, [[1], [2]]]),
    ((-1, slice(None), np.array([True, False, True, True])), lambda a: a[-1][:, [0, 2, 3]]),
    ((0, slice(None), True), lambda a: a[0][:, None]),
    ((slice(None), 1, None, [0, 3]), lambda a: a[:, 1][:, None, [0, 3]]),
]


@pytest.mark.parametrize("index, ref", SEPARATED)
def test_int_and_array_separated_by_a_slice_keep_torch_layout(index, ref):
    x = arange(2, 3, 4, requires_grad=True)
    y = x[index]
    want = ref(x.data)
    assert y.shape == want.shape
    np.testing.assert_array_equal(y.data, want)
    g = np.arange(1.0, y.numel() + 1).reshape(y.shape)
    y.backward(ag.tensor(g))
    want_grad = np.zeros(24)   # g scattered to the positions the reference selects
    np.add.at(want_grad, ref(np.arange(24).reshape(2, 3, 4)).reshape(-1), g.reshape(-1))
    np.testing.assert_array_equal(x.grad.data, want_grad.reshape(2, 3, 4))


def test_separated_int_and_array_shapes_and_assignment():
    assert ag.zeros(2, 3, 4)[0, :, [1, 2]].shape == (3, 2)
    assert ag.zeros(2, 3, 4)[:, 0, [1, 2]].shape == (2, 2)   # adjacent: in place
    t = ag.zeros(1, 2, 3)
    out = ag.index_put(t, (0, slice(None), [1, 2]), ag.tensor([[1.0, 2.0], [3.0, 4.0]]))
    np.testing.assert_array_equal(out.data, [[[0, 1, 2], [0, 3, 4]]])
    leaf = ag.zeros(1, 2, 3, requires_grad=True)
    v = ag.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    x = ag.index_put(leaf, (0, slice(None), [1, 2]), v)
    (x * ag.tensor([[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]])).sum().backward()
    np.testing.assert_array_equal(v.grad.data, [[2, 3], [5, 6]])
    np.testing.assert_array_equal(leaf.grad.data, [[[1, 0, 0], [4, 0, 0]]])
    # the index normalize_index gives setitem writes where PyTorch does
    d = np.zeros((1, 2, 3))
    idx, _ = normalize_index((0, slice(None), [1, 2]), d.shape)
    d[idx] = [[1, 2], [3, 4]]
    np.testing.assert_array_equal(d, [[[0, 1, 2], [0, 3, 4]]])


def test_separated_index_second_derivative():
    x = arange(2, 3, 4).to(F64).requires_grad_()
    assert ag.gradgradcheck(lambda t: (t[0, :, [1, 2]] ** 3).sum(), (x,))


def test_plain_indices_are_unchanged():
    x = arange(3, 4)
    np.testing.assert_array_equal(x[1].data, [4, 5, 6, 7])
    np.testing.assert_array_equal(x[1:3, [0, 2]].data, [[4, 6], [8, 10]])
    np.testing.assert_array_equal(x[[0, 2], [1, 3]].data, [1, 11])
    np.testing.assert_array_equal(x[[2, 0]].data, [[8, 9, 10, 11], [0, 1, 2, 3]])


def test_indexing_matches_torch_over_many_combinations():
    torch = pytest.importorskip("torch")
    import itertools
    import warnings
    a = np.random.default_rng(0).standard_normal((2, 3, 4))
    entries = [0, -1, slice(None), slice(1, None, 2), None, Ellipsis, [1, 0], True]
    for k in (1, 2, 3):
        for index in itertools.product(entries, repeat=k):
            if index.count(Ellipsis) > 1:
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    want = torch.tensor(a)[index].numpy()
                except IndexError:
                    with pytest.raises(IndexError):
                        ag.tensor(a)[index]
                    continue
            got = ag.tensor(a)[index]
            assert got.shape == want.shape, index
            np.testing.assert_array_equal(got.data, want, err_msg=str(index))


def test_nested_list_index_is_a_tuple_like_torch():
    x = arange(2, 3)
    with pytest.warns(UserWarning, match="tuple"):
        y = x[[[0, 1], [1, 0]]]
    np.testing.assert_array_equal(y.data, [1, 3])   # x[0, 1], x[1, 0]
    with pytest.warns(UserWarning):
        np.testing.assert_array_equal(x[[0, slice(None)]].data, [0, 1, 2])
    np.testing.assert_array_equal(x[[1, 0]].data, [[3, 4, 5], [0, 1, 2]])   # plain: rows


def test_uint8_index_is_a_mask_with_a_warning_like_torch():
    x = arange(2, 3, requires_grad=True)
    m = np.array([1, 0], dtype=np.uint8)
    for index in (ag.tensor(m), m):
        with pytest.warns(UserWarning, match="uint8"):
            y = x[index]
        np.testing.assert_array_equal(y.data, x.data[m.astype(bool)])
    with pytest.warns(UserWarning, match="uint8"):
        x[ag.tensor(m)].sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.repeat(m.astype(bool), 3).reshape(2, 3))
    z = ag.zeros(2, 3)
    with pytest.warns(UserWarning, match="uint8"):
        z[ag.tensor([0, 1], dtype=ag.uint8)] = 7.0
    np.testing.assert_array_equal(z.data, [[0, 0, 0], [7, 7, 7]])
    # a uint8 0-d tensor too is a mask (x[True] adds a dim), and int lists stay indices
    with pytest.warns(UserWarning):
        assert x[ag.tensor(1, dtype=ag.uint8)].shape == (1, 2, 3)
    np.testing.assert_array_equal(x[[1, 0]].data, x.data[[1, 0]])
    torch = pytest.importorskip("torch")
    with pytest.warns(UserWarning):
        want = torch.arange(4)[torch.tensor([1, 0, 1, 1], dtype=torch.uint8)]
    with pytest.warns(UserWarning):
        got = ag.arange(4)[ag.tensor([1, 0, 1, 1], dtype=ag.uint8)]
    np.testing.assert_array_equal(got.data, want.numpy())


def test_empty_list_index_selects_nothing():
    y = arange(2, 3)[[]]
    assert y.shape == (0, 3) and y.dtype == F64


def test_full_integer_index_is_a_writable_view():
    x = ag.arange(3.0)
    v = x[1]
    assert v.shape == ()
    v.fill_(9)
    np.testing.assert_array_equal(x.data, [0, 9, 2])
    assert x._version == v._version == 1
    m = arange(2, 3)
    m[1, 2].fill_(7)
    assert m.data[1, 2] == 7


def test_assigned_value_with_extra_leading_dims_backward():
    x = ag.zeros(2, 3, requires_grad=True)
    v = ag.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    y = ag.index_put(x, 1, v)
    (y * arange(2, 3)).sum().backward()
    assert v.grad.shape == (1, 3)
    np.testing.assert_array_equal(v.grad.data, [[3, 4, 5]])
    np.testing.assert_array_equal(x.grad.data, [[0, 1, 2], [0, 0, 0]])


# ---- gather / index_select / masked_fill ----------------------------------------------

def test_gather_and_index_select_reject_negative_indices():
    x = arange(2, 3)
    with pytest.raises(RuntimeError, match="gather.*-1.*out of bounds"):
        x.gather(1, np.array([[-1], [0]]))
    with pytest.raises(RuntimeError, match="index_select.*-1.*out of bounds"):
        x.index_select(1, np.array([-1]))
    with pytest.raises(IndexError, match="index_select.*3.*out of bounds"):   # both types
        x.index_select(1, np.array([3]))
    with pytest.raises(RuntimeError, match="scatter_add.*-1"):
        x.scatter_add(1, np.array([[-1], [0]]), ag.ones(2, 1))


def test_index_select_rejects_bool_and_float_index():
    x = arange(2, 3)
    with pytest.raises(RuntimeError, match="index_select.*bool"):
        x.index_select(1, np.array([True, False, True]))
    with pytest.raises(RuntimeError, match="index_select.*float"):
        x.index_select(1, np.array([1.0]))
    with pytest.raises(RuntimeError, match="gather.*int16"):
        x.gather(1, np.array([[1], [0]], dtype=np.int16))


def test_gather_and_index_select_on_0d():
    s = ag.tensor(5.0, requires_grad=True)
    y = s.gather(0, np.array([0, 0]))
    np.testing.assert_array_equal(y.data, [5, 5])
    y.sum().backward()
    assert s.grad.item() == 2
    assert ag.arange(3.0).gather(0, np.array(1)).shape == ()
    assert ag.tensor(5.0).index_select(0, np.array([0])).item() == 5
    with pytest.raises(IndexError):
        ag.tensor(5.0).index_select(0, np.array([1]))


@pytest.mark.parametrize("data, value, want", [
    ([1, 1, 1], 2.5, [2, 1, 2]),
    ([1, 1, 1], -2.5, [-2, 1, -2]),
    ([True, False, False], 0, [False, False, False]),
    ([True, False, False], 2, [True, False, True]),
])
def test_masked_fill_keeps_the_input_dtype(data, value, want):
    x = ag.tensor(data)
    y = x.masked_fill(np.array([True, False, True]), value)
    assert y.dtype == x.dtype
    np.testing.assert_array_equal(y.data, want)


def test_masked_fill_casts_a_tensor_value_and_passes_its_gradient():
    x = ag.ones(3, requires_grad=True)
    v = ag.tensor(2.0, dtype=F64, requires_grad=True)
    y = x.masked_fill(np.array([True, False, True]), v)
    assert y.dtype == ag.float32
    y.sum().backward()
    assert v.grad.dtype == F64 and v.grad.item() == 2
    np.testing.assert_array_equal(x.grad.data, [0, 1, 0])
    with pytest.raises(RuntimeError, match="masked_fill.*boolean"):
        x.masked_fill(np.array([1, 0, 1]), 0.0)


# ---- copies versus views ------------------------------------------------------------

def test_flip_and_repeat_return_copies():
    x = ag.arange(4.0)
    x.flip(0)[0] = 100
    x.repeat(1)[0] = 100
    np.testing.assert_array_equal(x.data, [0, 1, 2, 3])
    y = ag.ones(1).repeat(3)
    y[0] = 5   # (a broadcast view would be read-only)
    np.testing.assert_array_equal(y.data, [5, 1, 1])


def test_repeat_gradient():
    x = arange(2, 1).to(F64).requires_grad_()
    y = x.repeat(2, 3, 1)
    assert y.shape == (2, 6, 1)
    (y * arange(2, 6, 1)).sum().backward()
    w = np.arange(12).reshape(2, 3, 2)   # the weight each copy of x[i, 0] gets
    np.testing.assert_array_equal(x.grad.data[:, 0], w.sum(axis=(0, 1)))
    assert ag.gradgradcheck(lambda t: (t.repeat(2, 2) ** 3).sum(), (x,))


def test_view_raises_where_a_copy_is_needed():
    x = arange(2, 3)
    with pytest.raises(RuntimeError, match="view size is not compatible.*reshape"):
        x.T.view(6)
    with pytest.raises(RuntimeError, match=r"view.*size 6.*\(4,\)"):
        x.view(4)
    v = x.view(3, 2)
    assert np.shares_memory(v.data, x.data)
    assert x.T.view(3, 2).shape == (3, 2)
    assert x.T.reshape(6).shape == (6,)


# ---- validation ---------------------------------------------------------------------

@pytest.mark.parametrize("call, error, match", [
    (lambda: ag.zeros(2, 2, 2).repeat(-1, 1, 1), RuntimeError, "repeat.*non-negative"),
    (lambda: ag.zeros(2, 2).repeat(2), RuntimeError, "repeat.*smaller"),
    (lambda: ag.zeros(12).reshape(-5, 12), RuntimeError, "reshape.*-5"),
    (lambda: ag.zeros(12).reshape(-1, -1), RuntimeError, "only one dimension"),
    (lambda: ag.pad(ag.zeros(1, 1, 3), (3, 0), mode="reflect"), RuntimeError, "reflect"),
    (lambda: ag.pad(ag.zeros(1, 1, 3), (4, 0), mode="circular"), RuntimeError, "wrap"),
    (lambda: ag.pad(ag.zeros(2, 3), (1,)), RuntimeError, "even"),
    (lambda: ag.pad(ag.zeros(2, 3), (-2, -2)), RuntimeError, "negative size"),
    (lambda: ag.pad(ag.zeros(2, 3), (1, 1), mode="mirror"), NotImplementedError, "mirror"),
    (lambda: ag.zeros(3, 2).mm(ag.zeros(2)), RuntimeError, "mm.*2-D"),
    (lambda: ag.zeros(2, 3).mm(ag.zeros(2, 2)), RuntimeError, "mm.*cannot be multiplied"),
    (lambda: ag.zeros(2, 3).bmm(ag.zeros(3, 2)), RuntimeError, "bmm.*3-D"),
    (lambda: ag.zeros(2, 2, 3).bmm(ag.zeros(3, 3, 2)), RuntimeError, "bmm.*multiplied"),
    (lambda: ag.zeros(2, 3).mv(ag.zeros(2)), RuntimeError, "mv"),
    (lambda: ag.zeros(3).dot(ag.zeros(2)), RuntimeError, "dot"),
    (lambda: ag.zeros(3).transpose(0, -2), IndexError, "transpose.*-2"),
    (lambda: ag.tensor(1.0).flatten(0, 1), IndexError, "flatten"),
    (lambda: ag.zeros(2, 2).flatten(1, 0), RuntimeError, "flatten.*start_dim"),
    (lambda: ag.tensor(1.0).permute(), TypeError, "permute"),
    (lambda: ag.zeros(2, 2).permute(0), RuntimeError, "permute.*number of dims"),
    (lambda: ag.zeros(2, 2).permute(0, 0), RuntimeError, "permute.*duplicate"),
    (lambda: ag.tensor(1.0).split(1), RuntimeError, "split.*1-dimensional"),
    (lambda: ag.tensor(1.0).chunk(1), RuntimeError, "chunk.*1-dimensional"),
    (lambda: ag.zeros(4).chunk(0), RuntimeError, "chunk.*greater than 0"),
    (lambda: ag.zeros(4).split(0), RuntimeError, "split.*split_size"),
    (lambda: ag.zeros(4).split(-1), RuntimeError, "split.*split_size"),
    (lambda: ag.zeros(4).split([5, -1]), RuntimeError, "split.*non-negative"),
    (lambda: ag.zeros(4).split([1, 2]), RuntimeError, "split.*sum"),
    (lambda: ag.cat([ag.tensor(1.0), ag.tensor(2.0)]), RuntimeError, "cat.*zero-dim"),
    (lambda: ag.tensor(1.0).unbind(), IndexError, "unbind"),
    (lambda: ag.ones(3, 2).expand_as(ag.zeros(2, 3, 4)), RuntimeError, "expand"),
])
def test_bad_arguments_raise_like_torch(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_0d_and_empty_edge_cases():
    assert [p.shape for p in ag.zeros(0, 3).chunk(2)] == [(0, 3), (0, 3)]
    assert [p.shape for p in ag.zeros(3, 0).chunk(3, 1)] == [(3, 0)] * 3
    assert [p.shape for p in ag.zeros(0).split(0)] == [(0,)]
    assert ag.zeros(3).transpose(0, -1).shape == (3,)
    assert ag.tensor(1.0).transpose(0, -1).shape == ()
    assert ag.tensor(1.0).flatten(0, -1).shape == (1,)
    assert ag.tensor(1.0).permute(()).shape == ()


# ---- small additions ------------------------------------------------------------------

def test_expand_as_flip_args_and_0d_flip():
    assert ag.ones(3, 1).expand_as(ag.zeros(2, 3, 4)).shape == (2, 3, 4)
    x = arange(2, 2)
    np.testing.assert_array_equal(x.flip(0, 1).data, [[3, 2], [1, 0]])
    np.testing.assert_array_equal(x.flip((0, 1)).data, [[3, 2], [1, 0]])
    assert ag.tensor(1.0).flip(0).item() == 1


def test_pad_negative_widths_crop():
    x = arange(2, 3, requires_grad=True)
    y = ag.pad(x, (-1, 1))
    np.testing.assert_array_equal(y.data, [[1, 2, 0], [4, 5, 0]])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0, 1, 1], [0, 1, 1]])
    assert ag.pad(x, (-3, 0)).shape == (2, 0)
    r = ag.pad(arange(1, 1, 4), (-2, 2), mode="reflect")   # reflects about the input
    np.testing.assert_array_equal(r.data, [[[2, 3, 2, 1]]])


def test_pad_modes_match_torch():
    torch = pytest.importorskip("torch")
    import itertools
    a = np.arange(8.0).reshape(1, 2, 4)
    for mode in ("constant", "reflect", "replicate"):
        for lo, hi in itertools.product(range(-3, 5), repeat=2):
            try:
                want = torch.nn.functional.pad(torch.tensor(a), (lo, hi), mode=mode).numpy()
            except RuntimeError:
                with pytest.raises(RuntimeError):
                    ag.pad(ag.tensor(a), (lo, hi), mode=mode)
                continue
            np.testing.assert_array_equal(ag.pad(ag.tensor(a), (lo, hi), mode=mode).data,
                                          want, err_msg=f"{mode} {(lo, hi)}")


def test_mv_and_dot():
    a, v = arange(2, 3, requires_grad=True), ag.tensor([1.0, 2.0, 3.0], dtype=F64,
                                                       requires_grad=True)
    y = a.mv(v)
    np.testing.assert_array_equal(y.data, [8, 26])
    y.sum().backward()
    np.testing.assert_array_equal(v.grad.data, [3, 5, 7])
    np.testing.assert_array_equal(a.grad.data, [[1, 2, 3], [1, 2, 3]])
    assert ag.dot(v, v).item() == 14
    assert ag.mm(arange(2, 3), arange(3, 1)).shape == (2, 1)
    assert ag.bmm(arange(2, 1, 3), arange(2, 3, 2)).shape == (2, 1, 2)


# ---- einsum gradients -------------------------------------------------------------------

def test_einsum_trace_and_diagonal_gradients():
    a = arange(3, 3, requires_grad=True)
    ag.einsum("ii", a).backward()
    np.testing.assert_array_equal(a.grad.data, np.eye(3))
    a.grad = None
    ag.einsum("ii->i", a).backward(ag.tensor([1.0, 2.0, 3.0], dtype=F64))
    np.testing.assert_array_equal(a.grad.data, np.diag([1.0, 2.0, 3.0]))
    b = arange(2, 3, 3, requires_grad=True)
    ag.einsum("bii->b", b).backward(ag.tensor([1.0, 2.0], dtype=F64))
    np.testing.assert_array_equal(b.grad.data, [np.eye(3), 2 * np.eye(3)])


@pytest.mark.parametrize("eq, shapes", [
    ("ii", [(3, 3)]), ("ii->i", [(3, 3)]), ("bii->b", [(2, 3, 3)]), ("iij->ij", [(2, 2, 3)]),
    ("ii,i->", [(3, 3), (3,)]), ("ij,j->i", [(2, 3), (1,)]), ("ij,kj->ik", [(1, 3), (2, 1)]),
    ("...ij,...jk->...ik", [(1, 2, 3), (4, 3, 2)]),
])
def test_einsum_gradients_first_and_second_order(eq, shapes):
    rng = np.random.default_rng(0)
    xs = tuple(ag.tensor(rng.standard_normal(s), dtype=F64, requires_grad=True)
               for s in shapes)
    f = lambda *ts: (ag.einsum(eq, *ts) ** 2).sum()   # noqa: E731
    assert ag.gradcheck(f, xs)
    assert ag.gradgradcheck(f, xs)


def test_einsum_size_one_broadcast_gradient_values():
    a = arange(2, 3, requires_grad=True)
    b = ag.tensor([2.0], dtype=F64, requires_grad=True)
    ag.einsum("ij,j->i", a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.data, np.full((2, 3), 2.0))
    np.testing.assert_array_equal(b.grad.data, [15.0])


def test_recorded_assignment_with_a_list_index_writes_rows():
    leaf = ag.zeros(3, 2, requires_grad=True)
    x = leaf * 1
    x[[0, 2]] = ag.ones(2, 2)
    np.testing.assert_array_equal(x.data, [[1, 1], [0, 0], [1, 1]])


def test_movedim_takes_sequences_of_dims():
    x = ag.tensor(np.arange(120.0).reshape(2, 3, 4, 5))
    np.testing.assert_array_equal(ag.movedim(x, (3, 0), (0, 1)).data,
                                  np.moveaxis(x.data, (3, 0), (0, 1)))
    np.testing.assert_array_equal(x.movedim(-1, 0).data, np.moveaxis(x.data, -1, 0))
    with pytest.raises(RuntimeError, match="movedim"):
        ag.movedim(x, (0, 1), (2,))
    with pytest.raises(RuntimeError, match="repeated dim"):
        ag.movedim(x, (0, 0), (1, 2))
