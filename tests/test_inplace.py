"""In-place ops against PyTorch's semantics: version errors, the values of fill_/zero_/
copy_, changes through views reaching the base's history (and back), refused cases and
error types."""
from __future__ import annotations

import numpy as np
import pytest

import autograd as ag

T = ag.tensor


def rg(data, dtype=ag.float32):
    return ag.tensor(data, dtype=dtype, requires_grad=True)


def grads(*ts):
    return [None if t.grad is None else t.grad.data.tolist() for t in ts]


# ---- the op's own node sees its saved operand change (x *= x) -------------------------

@pytest.mark.parametrize("change", [
    lambda x: x.__imul__(x),
    lambda x: x.mul_(x),
    lambda x: x.div_(x),
    lambda x: x.mul_(x.detach()),     # shares the version counter
    lambda x: x.clamp_(x.detach()),
    lambda x: x[1].mul_(x[0]),        # through views of the same base
])
def test_inplace_op_whose_saved_operand_is_changed_raises(change):
    a = rg([[1.0, 2.0], [3.0, 4.0]])
    x = a * 1
    change(x)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        x.sum().backward()


def test_inplace_op_that_saves_nothing_of_its_operand_is_fine():
    a = rg([1.0, 2.0])
    x = a * 1
    x.add_(x)
    x.sum().backward()
    assert grads(a) == [[2.0, 2.0]]


# ---- fill_, zero_, copy_ forget the old values -----------------------------------------

def test_zero_fill_copy_drop_inf_and_nan_of_the_old_values():
    a, b, v = rg([0.0, 1.0]), rg([3.0]), rg(2.0)
    with np.errstate(divide="ignore"):
        x, y, z = a.log(), a.log(), a.log()
    x.zero_()
    y.fill_(v)
    z.copy_(b * 2)
    assert x.data.tolist() == [0.0, 0.0]
    assert y.data.tolist() == [2.0, 2.0]
    assert z.data.tolist() == [6.0, 6.0]
    (x + y + z).sum().backward()
    # PyTorch: zeros reach the old values (0 * 1/a: nan at a=0), g.sum() the fill value,
    # g summed to its shape the source of copy_.
    np.testing.assert_array_equal(a.grad.data, [np.nan, 0.0])
    assert grads(b, v) == [[4.0], 2.0]
    assert repr(x.grad_fn) == "<FillBackward>" and repr(z.grad_fn) == "<CopyBackward>"


def test_copy_and_fill_cast_like_pytorch():
    t = ag.ones(2, dtype=ag.int64)
    t.copy_(T([1.5, 2.7]))
    assert t.data.tolist() == [1, 2] and t.dtype == ag.int64
    t.fill_(3.9)
    assert t.data.tolist() == [3, 3]


@pytest.mark.parametrize("change", [
    lambda b, a: b[1:].copy_(a), lambda b, a: b[:2].copy_(a),
    lambda b, a: b.__setitem__(0, a[1]), lambda b, a: b.__setitem__(slice(1, 3), a),
    lambda b, a: b[:2].__iadd__(a), lambda b, a: b.__setitem__(slice(1, 3), a + 1)])
def test_gradient_through_an_in_place_cast_has_the_source_dtype(change):
    # float64 values written into a float32 tensor: ag.grad (which, unlike .grad, does
    # not cast to the leaf's dtype) gives the source's dtype, with backward's values
    a = rg([1.5, 2.5], ag.float64)
    b = ag.ones(3, dtype=ag.float32)
    change(b, a)
    (g,) = ag.grad((b * b).sum(), a)
    assert g.dtype == ag.float64
    b = ag.ones(3, dtype=ag.float32)
    change(b, a)
    (b * b).sum().backward()
    np.testing.assert_array_equal(g.data, a.grad.data)


def test_gradient_through_an_in_place_cast_matches_pytorch():
    torch = pytest.importorskip("torch")
    for lib, grad in ((ag, ag.grad), (torch, torch.autograd.grad)):
        a = lib.tensor([1.5, 2.5], dtype=lib.float64, requires_grad=True)
        outs = []
        for change in (lambda b: b.copy_(a), lambda b: b.__setitem__(0, a[0]),
                       lambda b: b.__iadd__(a), lambda b: b.__imul__(a)):
            b = lib.ones(2, dtype=lib.float32)
            change(b)
            (g,) = grad((b * b).sum(), a)
            outs.append((str(g.dtype).replace("torch.", ""), g.tolist()))
        if lib is ag:
            ours = outs
    assert ours == outs


def test_copy_source_gradient_second_order():
    def f(a, b):
        x = a * a
        x.copy_(b * b)
        return (x * x).sum()
    a, b = rg([1.0, 2.0], ag.float64), rg([0.5], ag.float64)
    assert ag.gradcheck(f, (a, b)) and ag.gradgradcheck(f, (a, b))


# ---- in-place changes through a view reach the base ------------------------------------

def test_mul_through_a_row_view():
    a, b = rg([[1.0, 2.0], [3.0, 4.0]]), rg([10.0, 20.0])
    x = a * 1
    x[0].mul_(b)
    x.sum().backward()
    assert grads(a, b) == [[[10.0, 20.0], [1.0, 1.0]], [1.0, 2.0]]
    assert x.data.tolist() == [[10.0, 40.0], [3.0, 4.0]]


def test_add_through_a_view_of_a_transpose():
    a, b = rg([[1.0, 2.0], [3.0, 4.0]]), rg([10.0, 20.0])
    x = a * 1
    x.T[1].add_(b)
    (x * x).sum().backward()
    want_a = 2 * np.array([[1.0, 12.0], [3.0, 24.0]])
    np.testing.assert_array_equal(a.grad.data, want_a)
    assert grads(b) == [[24.0, 48.0]]


def test_copy_through_a_reshape_then_a_slice():
    a, b = rg([[1.0, 2.0], [3.0, 4.0]]), rg([10.0, 20.0, 30.0, 40.0])
    x = a * 1
    x.view(-1)[:4].copy_(b)
    (x * x).sum().backward()
    assert grads(a, b) == [[[0.0, 0.0], [0.0, 0.0]], [20.0, 40.0, 60.0, 80.0]]


def test_setitem_on_a_view_of_a_view():
    a, c = rg([[1.0, 2.0], [3.0, 4.0]]), rg([10.0, 20.0])
    x = a * 1
    x[0][:2] = c
    (x * x).sum().backward()
    assert grads(a, c) == [[[0.0, 0.0], [6.0, 8.0]], [20.0, 40.0]]


def test_base_that_needs_no_grad_gets_history_from_its_view():
    base, b = ag.zeros(2, 2), rg([1.0, 2.0])
    base[1].add_(b)
    assert base.requires_grad and repr(base.grad_fn) == "<CopySlicesBackward>"
    (base * T([[1.0, 1.0], [3.0, 5.0]])).sum().backward()
    assert grads(b) == [[3.0, 5.0]]


def test_view_of_a_view_changed_in_place_rebases_the_root():
    a = rg([[1.0, 2.0], [3.0, 4.0]])
    x = a * 1
    v = x[0]
    w = v[1:]
    w.mul_(5)
    (x * x).sum().backward()
    assert grads(a) == [[[2.0, 100.0], [6.0, 8.0]]]


@pytest.mark.parametrize("change", [
    lambda x, b: x[0].mul_(b),
    lambda x, b: x.T[1].add_(b),
    lambda x, b: x.flatten()[1:3].copy_(b),
    lambda x, b: x[:, 1].__setitem__(slice(None), b * b),
    lambda x, b: x.unsqueeze(0)[0, 1].div_(b),
])
def test_changes_through_views_gradcheck_to_second_order(change):
    def f(a, b):
        x = a * a
        change(x, b)
        return (x * x * x).sum()
    a = rg([[1.0, 2.0], [3.0, 0.5]], ag.float64)
    b = rg([0.7, 1.3], ag.float64)
    assert ag.gradcheck(f, (a, b)) and ag.gradgradcheck(f, (a, b))


def test_nodes_of_changes_through_views_replay_under_check_tape():
    a, b = rg([[1.0, 2.0], [3.0, 4.0]], ag.float64), rg([1.5, 2.5], ag.float64)
    with ag.record_sites():
        x = a * a
        x[0].mul_(b)
        x.T[1][:1].add_(b[:1])
        x.reshape(-1)[1:3].div_(b)
        x[1].zero_()
        loss = (x * x).sum()
    report = ag.check_tape(loss, raise_exception=False)
    checked = [r.op for r in report.results if r.status == "ok"]
    assert checked.count("CopySlices") == 4 and not report.failures


# ---- a view follows an in-place change of its base -------------------------------------

def test_view_made_before_its_base_changed_follows_the_new_history():
    a = rg([1.0, 2.0])
    x = a * 1
    v = x[:1]
    x.mul_(3)
    v.sum().backward()
    assert grads(a) == [[3.0, 0.0]]


def test_view_of_overwritten_entries_sends_no_gradient_to_the_old_values():
    a, b = rg([1.0, 2.0]), rg(5.0)
    x = a * 1
    v = x[1:]
    x[1] = b
    v.sum().backward()
    assert grads(a, b) == [[0.0, 0.0], 1.0]


def test_view_follows_a_change_through_a_sibling_view():
    a, b = rg([[1.0, 2.0], [3.0, 4.0]]), rg([10.0, 20.0])
    x = a * 1
    col = x[:, 0]
    x[0].mul_(b)
    (col * T([1.0, 5.0])).sum().backward()
    assert grads(a, b) == [[[10.0, 0.0], [5.0, 0.0]], [1.0, 0.0]]


def test_view_of_a_base_without_grad_requires_grad_once_the_base_does():
    base, b = ag.zeros(2, 2), rg([1.0, 2.0])
    v = base[:, 0]
    base[0].add_(b)
    (v * T([1.0, 5.0])).sum().backward()
    assert grads(b) == [[1.0, 0.0]]


def test_view_follows_second_order():
    def f(a):
        x = a * 1
        v = x[1:]
        x.mul_(a)
        return (v * v * v).sum()
    assert ag.gradgradcheck(f, (rg([1.0, 2.0, 3.0], ag.float64),))


def test_output_of_split_used_after_its_base_changed_raises():
    a = rg([1.0, 2.0])
    x = a * 1
    s = x.split(1)
    x.mul_(3)
    with pytest.raises(RuntimeError, match="several views"):
        s[0].sum()


# ---- refused in-place changes of views -------------------------------------------------

def test_view_of_a_leaf_that_requires_grad_refuses_in_place_changes():
    a = rg([1.0, 2.0])
    for change in (lambda: a[:1].add_(1), lambda: a.view(1, 2).mul_(2),
                   lambda: a[:1].__setitem__(0, 5.0)):
        with pytest.raises(RuntimeError, match="view of a leaf Variable that requires grad"):
            change()
    assert a.data.tolist() == [1.0, 2.0] and a.is_leaf
    with ag.no_grad():
        a[:1].add_(1)
    assert a.data.tolist() == [2.0, 2.0] and a.is_leaf
    a.detach()[:1].add_(1)    # a detached view is no view of the leaf's history
    assert a.data.tolist() == [3.0, 2.0]


def test_view_made_under_no_grad_refuses_in_place_changes_with_grad_enabled():
    a = rg([1.0, 2.0, 3.0])
    x = a * 1
    with ag.no_grad():
        v = x[:2]
    with pytest.raises(RuntimeError, match="created in no_grad mode"):
        v.mul_(2)
    with pytest.raises(RuntimeError, match="created in no_grad mode"):
        v[:1].mul_(2)         # a view of it too
    assert x.data.tolist() == [1.0, 2.0, 3.0]
    plain = ag.ones(2)        # no history to get wrong: allowed, as in PyTorch
    with ag.no_grad():
        pv = plain[:1]
    pv.mul_(3)
    assert plain.data.tolist() == [3.0, 1.0]


def test_outputs_of_split_refuse_recorded_in_place_changes():
    x = ag.ones(2)
    x.split(1)[0].mul_(3)     # nothing recorded: allowed
    assert x.data.tolist() == [3.0, 1.0]
    with pytest.raises(RuntimeError, match="several views"):
        x.split(1)[0].mul_(rg(2.0))
    h = rg([1.0, 2.0]) * 1
    with pytest.raises(RuntimeError, match="several views"):
        h.unbind(0)[1].add_(1)


# ---- copying reshapes do not share the version -----------------------------------------

def test_reshape_that_copies_does_not_share_the_version():
    a = rg([[1.0, 2.0], [3.0, 4.0]])
    x = a * 1
    z = (x * x).sum()
    y = x.T.reshape(-1)       # not contiguous: a copy
    y.add_(1)
    assert x._version == 0 and x.data.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    z.backward()
    assert grads(a) == [[[2.0, 4.0], [6.0, 8.0]]]
    r = x.reshape(-1)         # a view: shares it
    r.add_(1)
    assert x._version == r._version == 1 and x.data.tolist() == [[2.0, 3.0], [4.0, 5.0]]


# ---- errors of PyTorch's types ---------------------------------------------------------

def test_clamp_without_bounds_raises():
    with pytest.raises(RuntimeError, match="clamp_.*min.*max"):
        ag.ones(2).clamp_()


@pytest.mark.parametrize("change", [
    lambda: ag.ones(2, dtype=ag.int64).add_(1.5),
    lambda: ag.ones(2, dtype=ag.int64).div_(2),
    lambda: ag.ones(2, dtype=ag.bool_).add_(1),
    lambda: ag.ones(2, dtype=ag.int64).add_(rg([0.5, 0.5])),    # recorded path
])
def test_result_that_cannot_be_cast_raises_runtime_error(change):
    with pytest.raises(RuntimeError, match="int64|bool"):
        change()


@pytest.mark.parametrize("change", [
    lambda t: t.add_(1),
    lambda t: t.__setitem__(0, 1.0),
    lambda t: t.copy_(ag.ones(2, 3)),
    lambda t: t.mul_(rg(2.0)),
])
def test_in_place_change_of_an_expanded_tensor_raises(change):
    with pytest.raises(RuntimeError, match="single memory location"):
        change(ag.ones(3).expand(2, 3))


def test_fill_and_zero_of_an_expanded_tensor_write_its_memory():
    base = ag.ones(3)
    base.expand(2, 3).fill_(4.0)
    assert base.data.tolist() == [4.0, 4.0, 4.0]
    base.expand(2, 3).zero_()
    assert base.data.tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(RuntimeError, match="single memory location"):
        (rg([1.0, 2.0, 3.0]) * 1).expand(2, 3).zero_()   # recorded: refused


@pytest.mark.parametrize("change", [
    lambda: ag.ones(3).__iadd__(ag.ones(2, 3)),
    lambda: (rg([1.0, 2.0, 3.0]) * 1).__iadd__(ag.ones(2, 3)),
    lambda: ag.ones(3).copy_(ag.ones(2)),
    lambda: ag.ones(3).copy_(ag.ones(2, 3)),
    lambda: ag.ones(3).__setitem__(slice(0, 2), ag.ones(3)),
    lambda: ag.ones(3).fill_(ag.ones(1)),
])
def test_shape_mismatch_raises_runtime_error(change):
    with pytest.raises(RuntimeError):
        change()


def test_fill_value_must_be_a_number_or_0d():
    with pytest.raises(RuntimeError, match="0-dimension value tensor"):
        ag.ones(3).fill_(ag.ones(2))
    with pytest.raises(TypeError, match="fill_"):
        ag.ones(3).fill_([1.0])


# ---- the same scenarios in PyTorch ---------------------------------------------------

SCENARIOS = {
    "row_mul": lambda lib, a, b: _row_mul(a, b),
    "view_chain": lambda lib, a, b: _chain(a, b),
    "stale_view": lambda lib, a, b: _stale(a, b),
    "setitem_sibling": lambda lib, a, b: _sibling(a, b),
    "zero_": lambda lib, a, b: _fill_zero(a, b),
    "scalar_views": lambda lib, a, b: _scalar_views(a, b),
}


def _scalar_views(a, b):
    x = a * 1
    x[0, 1].mul_(b[0])
    x[1][0] = b[1] * b[2]
    return (x * x).sum()


def _row_mul(a, b):
    x = a * 1
    x[0].mul_(b[:2])
    return x.sum()


def _chain(a, b):
    x = a * a
    x.T[1][:2].add_(b[:2] * b[:2])
    x.reshape(-1)[1:3].mul_(b[2:])
    return (x * x).sum()


def _stale(a, b):
    x = a * 1
    v = x[1]
    x.mul_(b[:2])
    x[0, 1] = b[3]
    return (v * v).sum() + x.sum()


def _sibling(a, b):
    x = a * 2
    col, row = x[:, 1], x[0]
    row[:] = b[:2]
    return (col * col * b[2]).sum()


def _fill_zero(a, b):
    x = a.log()
    x[1].zero_()
    x[0].fill_(b[0])
    return (x * b[1]).sum()


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_matches_pytorch(name):
    torch = pytest.importorskip("torch")
    a0 = np.array([[1.0, 2.0], [3.0, 4.0]])
    b0 = np.array([0.5, 1.5, 2.5, 3.5])
    out = []
    for lib, make in ((ag, lambda d: ag.tensor(d, requires_grad=True)),
                      (torch, lambda d: torch.tensor(d, requires_grad=True))):
        a, b = make(a0), make(b0)
        loss = SCENARIOS[name](lib, a, b)
        loss.backward()
        out.append([np.asarray(loss.detach().numpy() if lib is torch else loss.data)] +
                   [np.zeros_like(t.data if lib is ag else t.detach().numpy())
                    if t.grad is None else
                    np.asarray(t.grad.data if lib is ag else t.grad.numpy()) for t in (a, b)])
    for ours, theirs in zip(*out):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_backward_and_grad_called_on_a_stale_view_use_its_new_history():
    a = ag.tensor([1.0, 2.0], dtype=ag.float64, requires_grad=True)
    x = a * 1
    v = x[:1]
    x.mul_(3)
    v.backward(ag.ones(1, dtype=ag.float64), retain_graph=True)
    np.testing.assert_array_equal(a.grad.data, [3.0, 0.0])
    (g,) = ag.grad(v, a, ag.ones(1, dtype=ag.float64))
    np.testing.assert_array_equal(g.data, [3.0, 0.0])


def test_masked_fill_and_scatter_in_place_rebase_history():
    x = rg([1.0, 2.0, 3.0], ag.float64)
    y = x * 2
    assert y.masked_fill_(T([True, False, False]), 0.5) is y
    y.scatter_(0, T([2]), T([9.0], dtype=ag.float64)).index_add_(0, T([1]), y[:1])
    assert y.tolist() == [0.5, 4.5, 9.0]
    y.sum().backward()   # y0 and y2 were overwritten by constants: only x1 (times 2) left
    assert grads(x) == [[0.0, 2.0, 0.0]]


INDEX_INPLACE = {   # name: its arguments, built with `T` (our tensor or torch's)
    "masked_fill": lambda T, x: (T(x > 0.3), 0.5),
    "masked_scatter": lambda T, x: (T(x > 0.3), T(np.arange(12.0).reshape(3, 4))),
    "index_add": lambda T, x: (0, T(np.array([2, 0])), T(np.ones((2, 4)))),
    "index_copy": lambda T, x: (0, T(np.array([2, 0])), T(np.ones((2, 4)))),
    "index_fill": lambda T, x: (1, T(np.array([2, 0])), -1.0),
    "index_put": lambda T, x: ((T(np.array([2, 0])),), T(np.ones(4)), True),
    "scatter": lambda T, x: (1, T(np.array([[0, 1], [2, 3], [1, 0]])), T(np.full((3, 2), 7.0))),
    "scatter_add": lambda T, x: (1, T(np.array([[0, 0], [2, 3], [1, 0]])),
                                 T(np.full((3, 2), 7.0))),
    "tril": lambda T, x: (0,), "triu": lambda T, x: (1,),
    "cumsum": lambda T, x: (1,), "cumprod": lambda T, x: (0,),
}


@pytest.mark.parametrize("name", sorted(INDEX_INPLACE))
def test_indexing_and_scan_in_place_forms_match_pytorch(name):
    torch = pytest.importorskip("torch")
    x0 = np.random.default_rng(0).standard_normal((3, 4))
    w = np.arange(12.0).reshape(3, 4)
    got = []
    for lib, grad in ((ag, ag.grad), (torch, torch.autograd.grad)):
        leaf = lib.tensor(x0, requires_grad=True)
        y = leaf * 1.5
        assert getattr(y, name + "_")(*INDEX_INPLACE[name](lib.tensor, x0)) is y
        (g,) = grad((y * lib.tensor(w)).sum(), leaf)
        got.append([np.asarray(t.detach().numpy() if lib is torch else t.data) for t in (y, g)])
    for ours, theirs in zip(*got):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


# ---- random fills: uniform_ normal_ bernoulli_ ----------------------------------------

def test_random_fills_draw_from_the_seeded_or_given_generator():
    ag.manual_seed(3)
    u = ag.empty(4, 5).uniform_(-2, 3)
    n = ag.empty(4, 5, dtype=ag.float64).normal_(1.5, 0.5)
    b = ag.zeros(4, 5, dtype=ag.int64).bernoulli_(0.3)
    rng = np.random.default_rng(3)   # what manual_seed(3) makes: the same stream
    np.testing.assert_array_equal(u.data, rng.uniform(-2, 3, (4, 5)).astype(np.float32))
    np.testing.assert_array_equal(n.data, rng.normal(1.5, 0.5, (4, 5)))
    np.testing.assert_array_equal(b.data, rng.random((4, 5)) < 0.3)
    assert u.dtype == np.float32 and n.dtype == np.float64 and b.dtype == np.int64
    mine = ag.empty(3).uniform_(generator=np.random.default_rng(7))
    np.testing.assert_array_equal(mine.data, np.random.default_rng(7).uniform(0, 1, 3)
                                  .astype(np.float32))


def test_random_fills_follow_their_distributions():
    ag.manual_seed(0)
    u = ag.empty(100_000, dtype=ag.float64).uniform_(-1, 3)
    assert u.data.min() >= -1 and u.data.max() < 3 and abs(u.data.mean() - 1) < 0.02
    n = ag.empty(100_000, dtype=ag.float64).normal_(5, 2)
    assert abs(n.data.mean() - 5) < 0.03 and abs(n.data.std() - 2) < 0.03
    p = ag.tensor([0.0, 0.25, 1.0], dtype=ag.float64)
    b = ag.empty(40_000, 3, dtype=ag.float64).bernoulli_(p)
    assert set(np.unique(b.data)) <= {0.0, 1.0}
    np.testing.assert_allclose(b.data.mean(0), [0, 0.25, 1], atol=0.01)


def test_random_fills_are_in_place_ops():
    """Same tensor returned and version bumped; a leaf that requires grad refuses outside
    no_grad; in a graph the old values get a zero gradient (as in PyTorch) and a node
    that saved the tensor refuses to backward."""
    for fill in (lambda t: t.uniform_(), lambda t: t.normal_(), lambda t: t.bernoulli_()):
        w = rg([1.0, 2.0, 3.0])
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            fill(w)
        with ag.no_grad():
            assert fill(w) is w and w._version == 1
        x = rg([1.0, 2.0, 3.0])
        y = x * 2
        assert fill(y) is y
        y.sum().backward()
        assert x.grad.data.tolist() == [0.0, 0.0, 0.0]
        s = x * 1
        z = (s * s).sum()
        fill(s)
        with pytest.raises(RuntimeError, match="modified by an in-place operation"):
            z.backward()


@pytest.mark.parametrize("call, exc, words", [
    (lambda: ag.zeros(3, dtype=ag.int64).uniform_(), NotImplementedError, "uniform_.*int64"),
    (lambda: ag.zeros(3, dtype=ag.int64).normal_(), NotImplementedError, "normal_.*int64"),
    (lambda: ag.zeros(3).uniform_(2, 1), RuntimeError, "from=2 > to=1"),
    (lambda: ag.zeros(3).normal_(0, -1), RuntimeError, "std >= 0.0"),
    (lambda: ag.zeros(3).bernoulli_(1.5), RuntimeError, r"p to be in \[0, 1\]"),
    (lambda: ag.zeros(3).bernoulli_(float("nan")), RuntimeError, r"p to be in \[0, 1\]"),
    (lambda: ag.zeros(3).bernoulli_(ag.tensor([0.5, 0.5])), ValueError,
     r"bernoulli_.*\(2,\).*\(3,\)"),
    (lambda: ag.zeros(3).normal_(generator=7), TypeError, "normal_: generator"),
])
def test_random_fills_bad_input(call, exc, words):
    with pytest.raises(exc, match=words):
        call()
