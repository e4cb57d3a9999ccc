"""Reductions against PyTorch's rules: the gradients of std, var and prod at their
special points, `dim` forms (tuples, `()`, 0-d inputs, empty tensors), NaN in max/min,
exception types and result dtypes."""
import math
import warnings

import numpy as np
import pytest

import autograd as ag

NAN = float("nan")


def leaf(data, dtype=ag.float64):
    return ag.tensor(data, dtype=dtype, requires_grad=True)


def grad_and_hvp(f, x, v):
    """The gradient of f(x).sum() and its product with the Hessian along v."""
    (g,) = ag.grad(f(x).sum(), x, create_graph=True)
    if not g.requires_grad:   # a gradient constant in x
        return g.data, np.zeros(x.shape)
    (h,) = ag.grad((g * ag.tensor(v, dtype=x.dtype)).sum(), x, allow_unused=True)
    return g.data, (np.zeros(x.shape) if h is None else h.data)


# ---- 1. std: gradient 0 where the std is 0 (first and second order) -----------------

def test_std_gradient_is_zero_where_the_std_is_zero():
    g, h = grad_and_hvp(ag.std, leaf([3.0, 3.0, 3.0]), [1.0, -2.0, 0.5])
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(h, [0.0, 0.0, 0.0])


def test_std_gradient_with_a_constant_row_and_a_varying_one():
    x = leaf([[3.0, 3.0, 3.0], [1.0, 2.0, 4.0]])
    g, h = grad_and_hvp(lambda t: t.std(1), x, np.ones((2, 3)))
    row = np.array([1.0, 2.0, 4.0])
    s = math.sqrt(7 / 3)                     # its std; d std/dx = (x - mean) / (2 std)
    np.testing.assert_allclose(g, [[0.0, 0.0, 0.0], (row - 7 / 3) / (2 * s)], rtol=1e-12)
    # H 1 = d/dx sum(grad) = 0: the gradient of a std sums to 0 for any x
    np.testing.assert_allclose(h, np.zeros((2, 3)), atol=1e-15)


# ---- 2. var/std with N - correction <= 0 ---------------------------------------------

def test_var_of_one_element_is_nan_with_nan_gradient_and_a_warning():
    x = leaf([1.5])
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        v = x.var()
    v.backward()
    assert math.isnan(v.item()) and np.isnan(x.grad.data).all()


def test_var_with_correction_above_n_over_all_elements_has_inf_gradient():
    x = leaf([1.5, 2.5])
    with pytest.warns(UserWarning):
        v = ag.var(x, correction=3)
    v.backward()
    assert v.item() == math.inf
    np.testing.assert_array_equal(x.grad.data, [math.inf, math.inf])


def test_var_over_a_dim_with_n_equal_to_correction_has_infinite_gradient():
    x = leaf([[1.0, 2.0], [3.0, 5.0]])
    with pytest.warns(UserWarning):
        v = x.var(1, correction=2)
    v.sum().backward()
    np.testing.assert_array_equal(v.data, [math.inf, math.inf])
    np.testing.assert_array_equal(x.grad.data, [[-math.inf, math.inf], [-math.inf, math.inf]])


def test_std_with_no_degrees_of_freedom_has_nan_gradient():
    x = leaf([1.5, 2.5])
    with pytest.warns(UserWarning, match="std"):
        s = ag.std(x, correction=2)
    s.backward()
    assert s.item() == math.inf and np.isnan(x.grad.data).all()


def test_var_accepts_a_fractional_correction():
    x = ag.tensor([1.0, 2.0, 4.0], dtype=ag.float64)
    assert x.var(correction=0.5).item() == pytest.approx(np.var(x.data) * 3 / 2.5, rel=1e-12)


def test_var_rejects_unbiased_together_with_correction():
    with pytest.raises(TypeError):
        ag.tensor([1.0, 2.0]).var(unbiased=True, correction=1)


# ---- 3. prod: a differentiable backward with zeros -----------------------------------

def test_prod_hessian_with_two_zeros():
    # prod = x0 x1 x2 at (0, 0, 3): the Hessian is [[0, 3, 0], [3, 0, 0], [0, 0, 0]]
    g, h = grad_and_hvp(ag.prod, leaf([0.0, 0.0, 3.0]), [1.0, -0.68, 0.3])
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.0])
    np.testing.assert_allclose(h, [3 * -0.68, 3.0, 0.0], rtol=1e-15)


def test_prod_hessian_with_two_zeros_in_one_slice_of_a_dim():
    x = leaf([[0.0, 2.0, 0.0, 5.0], [1.0, 0.0, 3.0, 2.0]])
    v = np.array([[1.0, 2.0, 3.0, 4.0], [0.5, 1.0, -1.0, 2.0]])
    g, h = grad_and_hvp(lambda t: t.prod(1), x, v)
    np.testing.assert_array_equal(g, [[0.0, 0.0, 0.0, 0.0], [0.0, 6.0, 0.0, 0.0]])
    # H[i, j] = the product of the elements other than i and j: in row 0 (zeros at 0 and
    # 2) only H[0, 2] = H[2, 0] = 2 * 5; in row 1 (a zero at 1) H[1, j] = H[j, 1] for all j
    np.testing.assert_allclose(h, [[10 * 3.0, 0.0, 10 * 1.0, 0.0],
                                   [6 * 1.0, 6 * 0.5 + 2 * -1.0 + 3 * 2.0, 2 * 1.0, 3 * 1.0]],
                               rtol=1e-15)


def test_prod_with_three_zeros_has_zero_first_and_second_derivatives():
    g, h = grad_and_hvp(ag.prod, leaf([0.0, 2.0, 0.0, 0.0]), [1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(g, [0.0] * 4)
    np.testing.assert_array_equal(h, [0.0] * 4)


# ---- 4. dims that must be ints -------------------------------------------------------

@pytest.mark.parametrize("op", ["argmax", "argmin", "cumsum"])
@pytest.mark.parametrize("dim", [(1,), [1], True, 1.5])
def test_single_dim_ops_reject_sequences_and_non_ints(op, dim):
    x = ag.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    with pytest.raises(TypeError, match=op):
        getattr(x, op)(dim)


# ---- 5. dim=() reduces over everything -----------------------------------------------

@pytest.mark.parametrize("op, want", [
    ("sum", 15.0), ("mean", 2.5), ("var", 3.5), ("std", math.sqrt(3.5)), ("amax", 5.0),
    ("amin", 0.0), ("logsumexp", math.log(sum(math.exp(k) for k in range(6))))])
def test_empty_dim_tuple_reduces_everything(op, want):
    x = ag.tensor(np.arange(6.0).reshape(2, 3))
    assert getattr(x, op)(()).item() == pytest.approx(want, rel=1e-6)
    kept = getattr(x, op)(dim=[], keepdim=True)
    assert kept.shape == (1, 1) and kept.item() == pytest.approx(want, rel=1e-6)


def test_sum_over_empty_dim_tuple_gradient_covers_everything():
    x = leaf(np.arange(6.0).reshape(2, 3))
    x.mean(()).backward()
    np.testing.assert_array_equal(x.grad.data, np.full((2, 3), 1 / 6))


# ---- 6. 0-d inputs take dim 0 and -1 --------------------------------------------------

@pytest.mark.parametrize("op", ["sum", "mean", "max", "min", "amax", "amin", "logsumexp",
                                "prod", "argmax", "argmin", "cumsum"])
@pytest.mark.parametrize("dim", [0, -1])
def test_zero_d_input_reduces_over_dim_0(op, dim):
    x = ag.tensor(2.5)
    out = getattr(x, op)(dim)
    values = out[0] if op in ("max", "min") else out
    assert values.shape == ()
    assert values.item() == (0 if op.startswith("arg") else 2.5)
    if op in ("max", "min"):
        assert out[1].shape == () and out[1].item() == 0


@pytest.mark.parametrize("op", ["sum", "mean", "amax", "logsumexp", "var", "std"])
def test_zero_d_input_accepts_a_dim_tuple_and_keepdim(op):
    x = leaf(2.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)   # var/std: no degrees of freedom
        out = getattr(x, op)((0,), keepdim=True)
        out.backward()
    assert out.shape == () and x.grad.shape == ()
    if op in ("var", "std"):
        assert math.isnan(out.item()) and math.isnan(x.grad.item())
    else:
        assert out.item() == pytest.approx(2.5) and x.grad.item() == 1


@pytest.mark.parametrize("op", ["sum", "argmax", "cumsum", "amax"])
@pytest.mark.parametrize("dim", [1, -2, 5])
def test_zero_d_input_rejects_other_dims(op, dim):
    with pytest.raises(IndexError):
        getattr(ag.tensor(2.5), op)(dim)


def test_var_of_zero_d_input_warns_and_is_nan():
    with pytest.warns(UserWarning):
        assert math.isnan(ag.tensor(2.5).var(0).item())


# ---- 7. empty tensors ----------------------------------------------------------------

@pytest.mark.parametrize("op", ["max", "min"])
def test_max_of_empty_tensor_over_a_non_empty_dim_is_empty(op):
    values, indices = getattr(ag.zeros(0, 3), op)(1)
    assert values.shape == (0,) and indices.shape == (0,) and indices.dtype == ag.int64
    values, indices = getattr(ag.zeros(0, 3), op)(-1, keepdim=True)
    assert values.shape == (0, 1) and indices.shape == (0, 1)


@pytest.mark.parametrize("op", ["amax", "amin", "argmax", "argmin"])
def test_amax_and_argmax_of_empty_tensor_over_a_non_empty_dim_are_empty(op):
    assert getattr(ag.zeros(0, 3), op)(1).shape == (0,)
    assert getattr(ag.zeros(0, 3), op)(1, keepdim=True).shape == (0, 1)


def test_amax_of_empty_tensor_has_an_empty_gradient():
    x = leaf(np.zeros((0, 3)))
    x.amax(1).sum().backward()
    assert x.grad.shape == (0, 3)


@pytest.mark.parametrize("op", ["max", "min", "amax", "amin", "argmax", "argmin"])
def test_extremes_over_an_empty_dim_raise_index_error(op):
    with pytest.raises(IndexError, match="non-zero size"):
        getattr(ag.zeros(0, 3), op)(0)


@pytest.mark.parametrize("op, error", [("max", RuntimeError), ("amax", RuntimeError),
                                       ("min", RuntimeError), ("argmax", IndexError)])
def test_extremes_of_a_whole_empty_tensor_raise(op, error):
    with pytest.raises(error, match="numel"):
        getattr(ag.zeros(0, 3), op)()


def test_amax_over_several_dims_one_empty_raises_index_error():
    with pytest.raises(IndexError):
        ag.zeros(0, 3).amax((0, 1))


# ---- 8. NaN is the max and min -------------------------------------------------------

@pytest.mark.parametrize("op", ["max", "min"])
def test_max_over_all_sends_the_gradient_to_the_nan(op):
    x = leaf([1.0, NAN, 3.0])
    getattr(x, op)().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 1.0, 0.0])
    x = leaf([NAN, 2.0, NAN])
    getattr(x, op)().backward()
    np.testing.assert_array_equal(x.grad.data, [0.5, 0.0, 0.5])


def test_max_over_a_dim_sends_the_gradient_to_the_nan_of_each_slice():
    x = leaf([[1.0, NAN], [3.0, 2.0]])
    values, indices = x.max(1)
    values.sum().backward()
    np.testing.assert_array_equal(indices.data, [1, 0])
    np.testing.assert_array_equal(x.grad.data, [[0.0, 1.0], [1.0, 0.0]])


def test_amax_with_nan_keeps_pytorch_nan_gradient():
    x = leaf([[1.0, NAN], [3.0, 2.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        x.amax(1).sum().backward()
    assert np.isnan(x.grad.data[0]).all()
    np.testing.assert_array_equal(x.grad.data[1], [1.0, 0.0])


# ---- 9. exception types --------------------------------------------------------------

@pytest.mark.parametrize("op", ["sum", "mean", "var", "amax", "logsumexp"])
def test_duplicate_dims_raise_runtime_error(op):
    with pytest.raises(RuntimeError, match="appears multiple times"):
        getattr(ag.ones(2, 3), op)((1, -1))


@pytest.mark.parametrize("op", ["var", "std"])
@pytest.mark.parametrize("dtype", [ag.int64, ag.int32, ag.bool_, ag.uint8])
def test_var_and_std_of_integers_raise_runtime_error(op, dtype):
    with pytest.raises(RuntimeError, match="floating point"):
        getattr(ag.tensor([[1, 2], [3, 4]], dtype=dtype), op)()


@pytest.mark.parametrize("dim", ["a", ("a",), 1.5, True, (True,)])
def test_non_integer_dims_raise_type_error(dim):
    with pytest.raises(TypeError, match="sum"):
        ag.ones(2, 3).sum(dim)


# ---- 10. dtypes ----------------------------------------------------------------------

@pytest.mark.parametrize("op", ["sum", "prod"])
@pytest.mark.parametrize("dtype", [ag.uint8, ag.int32, ag.bool_])
def test_integer_sum_and_prod_are_int64(op, dtype):
    x = ag.tensor([[1, 1, 1], [1, 0, 1]], dtype=dtype)
    assert getattr(x, op)().dtype == ag.int64 and getattr(x, op)(1).dtype == ag.int64
    assert x.cumsum(1).dtype == ag.int64


def test_uint8_sum_does_not_wrap():
    x = ag.tensor([200, 200], dtype=ag.uint8)
    assert x.sum().item() == 400 and x.cumsum(0).data.tolist() == [200, 400]


def test_mean_prod_cumsum_take_a_dtype():
    x = ag.tensor([[1, 2, 4], [3, 3, 3]])
    m = x.mean(1, dtype=ag.float64)
    assert m.dtype == ag.float64 and m.data.tolist() == [7 / 3, 3.0]
    p = x.prod(1, dtype=ag.float32)
    assert p.dtype == ag.float32 and p.data.tolist() == [8.0, 27.0]
    c = ag.tensor([0.5, 1.5, 2.5]).cumsum(0, dtype=ag.int32)   # cast first, as PyTorch
    assert c.dtype == ag.int32 and c.data.tolist() == [0, 1, 3]
    s = ag.tensor([200, 200, 200]).sum(dtype=ag.uint8)         # wraps, as PyTorch
    assert s.dtype == ag.uint8 and s.item() == 600 % 256


def test_mean_rejects_an_integer_dtype():
    with pytest.raises(RuntimeError, match="dtype"):
        ag.ones(2).mean(dtype=ag.int64)


def test_dtype_argument_keeps_the_gradient_in_the_input_dtype():
    x = leaf([[1.0, 2.0], [3.0, 4.0]], dtype=ag.float32)
    x.prod(1, dtype=ag.float64).sum().backward()
    assert x.grad.dtype == ag.float32 and x.grad.data.tolist() == [[2.0, 1.0], [4.0, 3.0]]


@pytest.mark.parametrize("op", ["sum", "prod", "cumsum"])
def test_integer_dtype_on_a_tensor_requiring_grad_raises(op):
    x = leaf([1.0, 2.0], dtype=ag.float32)
    with pytest.raises(RuntimeError, match="requires grad"):
        getattr(x, op)(0, dtype=ag.int64)
    with ag.no_grad():
        assert getattr(x, op)(0, dtype=ag.int64).dtype == ag.int64


@pytest.mark.parametrize("data, dtype", [([0, 1, 2], ag.int64), ([True, False], ag.bool_),
                                         ([200, 3], ag.uint8)])
def test_logsumexp_of_integers_and_bools_is_float32(data, dtype):
    out = ag.tensor(data, dtype=dtype).logsumexp(0)
    assert out.dtype == ag.float32
    assert out.item() == pytest.approx(math.log(sum(math.exp(float(v)) for v in data)),
                                       rel=1e-6)


# ---- against PyTorch itself ----------------------------------------------------------

CASES = [
    # (label, data, function of (library, tensor) -> tensor)
    ("std_zero", [3.0, 3.0, 3.0], lambda m, t: t.std()),
    ("std_rows", [[3.0, 3.0, 3.0], [1.0, 2.0, 4.0]], lambda m, t: t.std(1)),
    ("std_corr3_dim", [[1.0, 2.0], [3.0, 5.0]], lambda m, t: t.std(1, correction=3)),
    ("var_one", [1.5], lambda m, t: t.var()),
    ("var_corr3", [1.5, 2.5], lambda m, t: t.var(correction=3)),
    ("var_corr2_dim", [[1.0, 2.0], [3.0, 5.0]], lambda m, t: t.var(1, correction=2)),
    ("var_corr3_dim", [[1.0, 2.0], [3.0, 5.0]], lambda m, t: t.var(1, correction=3)),
    ("var_equal_corr3", [1.5, 1.5], lambda m, t: t.var(0, correction=3)),
    ("prod_two_zeros", [0.0, 0.0, 3.0], lambda m, t: t.prod()),
    ("prod_dim_zeros", [[0.0, 2.0, 0.0], [1.0, 0.0, 3.0]], lambda m, t: t.prod(1)),
    ("prod_three_zeros", [0.0, 0.0, 0.0, 2.0], lambda m, t: t.prod(0)),
    ("max_nan", [1.0, NAN, 3.0], lambda m, t: t.max()),
    ("min_nan2", [NAN, 2.0, NAN], lambda m, t: t.min()),
    ("max_dim_nan", [[1.0, NAN], [3.0, 2.0]], lambda m, t: t.max(1)[0]),
    ("amax_nan", [[1.0, NAN], [3.0, 2.0]], lambda m, t: t.amax(1)),
    ("sum_empty_tuple", [[1.0, 2.0], [3.0, 4.0]], lambda m, t: t.sum(())),
    ("amin_empty_tuple", [[1.0, 2.0], [3.0, 0.5]], lambda m, t: t.amin((), keepdim=True)),
    ("mean_0d", 2.5, lambda m, t: t.mean(-1)),
    ("logsumexp_0d", 2.5, lambda m, t: t.logsumexp((0,))),
    ("cumsum_0d", 2.5, lambda m, t: t.cumsum(-1)),
    ("max_empty", np.zeros((0, 3)), lambda m, t: t.max(1)[0]),
    ("mean_dtype", [[1.0, 2.0], [3.0, 5.0]], lambda m, t: t.mean(0, dtype=m.float64)),
]


@pytest.mark.parametrize("label, data, fn", CASES, ids=[c[0] for c in CASES])
def test_value_gradient_and_hessian_match_pytorch(label, data, fn):
    torch = pytest.importorskip("torch")
    v = np.linspace(-1.0, 2.0, max(np.size(data), 1)).reshape(np.shape(data)) if np.size(data) \
        else np.zeros(np.shape(data))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = torch.tensor(np.asarray(data), dtype=torch.float64, requires_grad=True)
        ty = fn(torch, t)
        (tg,) = torch.autograd.grad(ty.sum(), t, create_graph=True)
        th = (torch.autograd.grad((tg * torch.tensor(v)).sum(), t)[0].numpy()
              if tg.requires_grad else np.zeros(np.shape(data)))   # a constant gradient
        x = leaf(data)
        y = fn(ag, x)
        g, h = grad_and_hvp(lambda z: fn(ag, z), x, v)
    assert y.shape == tuple(ty.shape) and y.dtype == np.dtype(str(ty.dtype)[6:])
    np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(g, tg.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(h, th, rtol=1e-12, atol=1e-15)


ERROR_CASES = [
    ("argmax_tuple", lambda m, t: t.argmax((1,))),
    ("cumsum_list", lambda m, t: t.cumsum([0])),
    ("sum_str", lambda m, t: t.sum("a")),
    ("sum_dup", lambda m, t: t.sum((0, -2))),
    ("var_int", lambda m, t: t.long().var()),
    ("max_empty_dim", lambda m, t: t[:0].max(0)),
    ("amax_empty_all", lambda m, t: t[:0].amax()),
    ("argmax_empty_all", lambda m, t: t[:0].argmax()),
    ("cumsum_0d_dim5", lambda m, t: t.sum().cumsum(5)),
    ("mean_int_dtype", lambda m, t: t.mean(dtype=m.int64)),
]


@pytest.mark.parametrize("label, fn", ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_exception_types_match_pytorch(label, fn):
    torch = pytest.importorskip("torch")
    data = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    with pytest.raises(Exception) as theirs:
        fn(torch, torch.tensor(data))
    with pytest.raises(Exception) as ours:
        fn(ag, ag.tensor(data))
    assert type(ours.value) is type(theirs.value), (ours.value, theirs.value)


# ---- 11. a short last axis of many rows: reduced through a transposed copy ----------

SHORT_ROWS = [(128, 10), (64, 2), (64, 16), (3, 40, 7), (128, 17), (8, 10)]


@pytest.mark.parametrize("shape", SHORT_ROWS, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.bool_])
@pytest.mark.parametrize("ufunc", [np.maximum, np.minimum, np.add])
def test_reduce_keep_matches_numpy_over_the_last_axis(shape, dtype, ufunc):
    from autograd.ops._util import reduce_keep
    x = (np.random.default_rng(0).standard_normal(shape) * 4).astype(dtype)
    for data in (x, x[..., ::-1], np.asfortranarray(x)):   # (copies and views alike)
        want = ufunc.reduce(data, axis=data.ndim - 1, keepdims=True)
        got = reduce_keep(ufunc, data, (data.ndim - 1,))
        assert got.shape == want.shape and got.dtype == want.dtype
        if ufunc is np.add and dtype in (np.float32, np.float64):
            # Another order of the terms: within the error bound of summing n of them.
            bound = shape[-1] * np.finfo(dtype).eps * np.abs(data).sum(-1, keepdims=True)
            assert np.all(np.abs(got - want) <= bound)
        else:
            np.testing.assert_array_equal(got, want)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")   # (NumPy's, on inf - inf and 0 / 0)
def test_short_last_axis_reductions_handle_ties_and_non_finite_rows():
    rng = np.random.default_rng(1)
    x = rng.integers(-3, 3, (256, 10)).astype(np.float64)   # many ties
    x[5] = -np.inf
    x[6, 3] = np.inf
    x[7, 2] = NAN
    t = leaf(x)
    expect_max = np.max(x, axis=1)
    np.testing.assert_array_equal(t.amax(1).data, expect_max)
    t.amax(1).sum().backward()
    hits = (x == expect_max[:, None]) | (np.isnan(x) & np.isnan(expect_max)[:, None])
    ok = ~np.isnan(expect_max)
    np.testing.assert_allclose(t.grad.data[ok], (hits / hits.sum(1, keepdims=True))[ok])
    safe = np.where(np.isfinite(expect_max), expect_max, 0)[:, None]
    lse = np.log(np.exp(x - safe).sum(1)) + safe[:, 0]
    np.testing.assert_allclose(ag.logsumexp(t, 1).data, lse)
    assert lse[5] == -np.inf and lse[6] == np.inf and np.isnan(lse[7])   # (PyTorch's)
    finite = np.isfinite(lse)
    for fn, want in [(ag.log_softmax, x - lse[:, None]), (ag.softmax, np.exp(x - lse[:, None]))]:
        got = fn(t, 1).data
        np.testing.assert_allclose(got[finite], want[finite], atol=1e-15)
        assert np.isnan(got[~finite]).all()   # (PyTorch's too, +inf rows included)
