"""Semantics of the tape and of backward/grad: accumulation, retain_graph, freed buffers,
hooks, grad modes, in-place checks, dtype policy, deep graphs and bad input."""
from __future__ import annotations

import gc
import threading
import weakref

import numpy as np
import pytest

import autograd as ag
from autograd.graph import ShapeError
from autograd.ops import interop


def leaf(*shape, dtype=ag.float64):
    return ag.randn(*shape, dtype=dtype, requires_grad=True)


# ---- backward and accumulation -------------------------------------------------------

def test_scalar_chain_rule_and_accumulation():
    x = ag.tensor(2.0, requires_grad=True)
    (x * x * x + ag.tensor(3.0) * x).backward()
    assert x.grad.item() == pytest.approx(15.0)   # 3x^2 + 3
    (x * x).backward()                             # accumulates into .grad
    assert x.grad.item() == pytest.approx(19.0)
    assert isinstance(x.grad, ag.Tensor) and not x.grad.requires_grad


def test_backward_accumulates_only_into_leaves():
    x = leaf(3)
    y = x * 2
    (y * y).sum().backward()
    assert y.grad is None and y.grad_fn is not None
    np.testing.assert_allclose(x.grad.data, 8 * x.data)


def test_broadcast_gradients_summed_to_input_shapes():
    a, b, c = leaf(2, 1, 3), leaf(4, 1), leaf()
    (a * b + c).sum().backward()
    assert a.grad.shape == (2, 1, 3) and b.grad.shape == (4, 1) and c.grad.shape == ()
    np.testing.assert_allclose(a.grad.data, np.broadcast_to(b.data.sum(), (2, 1, 3)))
    np.testing.assert_allclose(b.grad.data, np.full((4, 1), a.data.sum()))
    assert c.grad.item() == 2 * 4 * 3


def test_shared_gradient_buffers_are_not_aliased_between_leaves():
    a, b = leaf(3), leaf(3)
    (a + b).sum().backward()          # add's backward hands the same gradient to both
    a.grad.data[:] = 7
    np.testing.assert_allclose(b.grad.data, 1.0)


def test_user_gradient_is_not_aliased():
    x = leaf(3)
    g = ag.ones(3, dtype=ag.float64)
    x.backward(g)
    g.data[:] = 5
    np.testing.assert_allclose(x.grad.data, 1.0)


def test_non_scalar_root_needs_gradient():
    x = leaf(3)
    with pytest.raises(RuntimeError, match="scalar outputs"):
        (x * 2).backward()
    (x * 2).backward(ag.tensor([1.0, 2.0, 3.0], dtype=ag.float64))
    np.testing.assert_allclose(x.grad.data, [2.0, 4.0, 6.0])
    with pytest.raises(RuntimeError, match="shape"):
        (x * 2).backward(ag.ones(4))


def test_backward_of_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        ag.ones(3).sum().backward()


def test_second_backward_through_freed_graph_suggests_retain_graph():
    x = leaf(3)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_retain_graph_allows_second_backward():
    x = leaf(3)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.data.copy()
    y.backward()
    np.testing.assert_allclose(x.grad.data, 2 * first)


def test_saved_buffers_are_freed_after_backward():
    x = leaf(1000)
    h = x.exp()
    y = (h * h).sum()
    ref = weakref.ref(h.data)
    node = y.grad_fn
    del h
    gc.collect()
    assert ref() is not None          # the graph keeps what backward needs
    y.backward()
    gc.collect()
    assert ref() is None              # ...and frees it afterwards
    assert node is not None


def test_grad_returns_tuple_and_leaves_grad_untouched():
    x, w = leaf(3), leaf(3)
    y = (x * w).sum()
    gx, gw = ag.grad(y, (x, w))
    np.testing.assert_allclose(gx.data, w.data)
    np.testing.assert_allclose(gw.data, x.data)
    assert x.grad is None and w.grad is None


def test_grad_of_intermediate_and_allow_unused():
    x, unused = leaf(3), leaf(2)
    h = x * 3
    y = (h * h).sum()
    (gh,) = ag.grad(y, h, retain_graph=True)
    np.testing.assert_allclose(gh.data, 2 * h.data)
    with pytest.raises(RuntimeError, match="allow_unused"):
        ag.grad(y, [x, unused], retain_graph=True)
    gx, gu = ag.grad(y, [x, unused], allow_unused=True)
    assert gu is None
    np.testing.assert_allclose(gx.data, 18 * x.data)


def test_grad_with_several_outputs_and_grad_outputs():
    x = leaf(3)
    y1, y2 = x * 2, x * x
    (g,) = ag.grad([y1, y2], x, grad_outputs=[ag.ones(3, dtype=ag.float64),
                                               ag.full((3,), 2.0, dtype=ag.float64)])
    np.testing.assert_allclose(g.data, 2 + 4 * x.data)


def test_higher_order_derivatives():
    x = ag.tensor(1.3, dtype=ag.float64, requires_grad=True)
    y = x ** 4
    (d1,) = ag.grad(y, x, create_graph=True)
    (d2,) = ag.grad(d1, x, create_graph=True)
    (d3,) = ag.grad(d2, x, create_graph=True)
    (d4,) = ag.grad(d3, x)
    assert [d.item() for d in (d1, d2, d3, d4)] == pytest.approx(
        [4 * 1.3 ** 3, 12 * 1.3 ** 2, 24 * 1.3, 24])


def test_create_graph_backward_makes_differentiable_grad():
    x = leaf(3)
    (x ** 3).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    (g2,) = ag.grad(x.grad.sum(), x)
    np.testing.assert_allclose(g2.data, 6 * x.data)


def test_backward_with_inputs_accumulates_only_there():
    a, b = leaf(2), leaf(2)
    (a * b).sum().backward(inputs=[a])
    assert b.grad is None
    np.testing.assert_allclose(a.grad.data, b.data)


def test_grad_accumulates_in_place_like_pytorch():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    (x * 2).sum().backward()
    g0 = x.grad
    (x * 3).sum().backward()
    assert x.grad is g0 and g0.data.tolist() == [5.0, 5.0]
    (x * 4).sum().backward(inputs=[x])
    assert x.grad is g0 and g0.data.tolist() == [9.0, 9.0]
    s = ag.tensor(2.0, requires_grad=True)           # a 0-d gradient
    (s * s).backward()
    g0 = s.grad
    (s * 3).backward()
    assert s.grad is g0 and g0.item() == 7.0
    u = ag.ones(2)                                   # a gradient the user assigned
    x.grad = u
    (x * 2).sum().backward()
    assert x.grad is u and u.data.tolist() == [3.0, 3.0]


def test_accumulation_out_of_place_with_create_graph_or_read_only_grad():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    (x * 2).sum().backward(create_graph=True)
    g0 = x.grad
    (x * 3).sum().backward(create_graph=True)
    assert x.grad is not g0 and g0.data.tolist() == [2.0, 2.0]
    assert x.grad.data.tolist() == [5.0, 5.0]
    x.grad = ag.ones(1).expand(2)                    # a read-only broadcast view
    (x * 2).sum().backward()
    assert x.grad.data.tolist() == [3.0, 3.0]


def test_first_create_graph_gradient_is_a_copy():
    a, b = leaf(2), leaf(2)
    (a + b).sum().backward(create_graph=True)       # add hands one gradient to both
    assert a.grad is not b.grad
    (a * 1).sum().backward()
    assert a.grad.data.tolist() == [2.0, 2.0] and b.grad.data.tolist() == [1.0, 1.0]


def test_in_place_accumulation_leaves_pending_gradients_alone():
    # x.grad first takes an array that still flows on to q's nodes; adding the later
    # edges into it in place would corrupt their gradients.
    x = ag.tensor([1.0, 2.0], dtype=ag.float64, requires_grad=True)
    w = ag.tensor([0.5, -1.5], dtype=ag.float64)
    q = x + (x + (x + x))
    ((x + x).sum() + (q * w).sum() + q.sum()).backward()
    assert x.grad.data.tolist() == (6 + 4 * w.data).tolist()


def _address_probe(seen: dict, key: str, fresh: bool):
    """A Function passing its gradient on (in a new buffer when `fresh`) that records
    the data address of the gradient it returns in seen[key]."""
    class Probe(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            out = g * 2 if fresh else g
            seen[key] = out.data.ctypes.data
            return out

    return Probe


def test_relu_backward_reuses_a_gradient_buffer_only_it_holds():
    # Plain backward hands relu a gradient nothing else references: relu masks it in
    # place (a new buffer would not be in cache) ...
    seen = {}   # x -> Probe -> relu -> Fresh -> loss
    Probe, Fresh = _address_probe(seen, "out", False), _address_probe(seen, "in", True)
    x = ag.tensor([-1.0, 2.0, 3.0], dtype=ag.float64, requires_grad=True)
    Fresh.apply(ag.relu(Probe.apply(x))).sum().backward()
    assert seen["out"] == seen["in"]
    assert x.grad.data.tolist() == [0.0, 2.0, 2.0]
    # ... but not when building a graph of the backward.
    x.grad = None
    (gx,) = ag.grad(Fresh.apply(ag.relu(Probe.apply(x))).sum(), x, create_graph=True)
    assert seen["out"] != seen["in"] and gx.data.tolist() == [0.0, 2.0, 2.0]


def test_relu_backward_leaves_shared_gradients_alone():
    x = ag.tensor([-1.0, 2.0], dtype=ag.float64, requires_grad=True)
    w = ag.tensor([3.0, 5.0], dtype=ag.float64)
    # add hands one gradient array to both relus: masking it for one would corrupt
    # the other's.
    ((ag.relu(x) + ag.relu(-x)) * w).sum().backward()
    assert x.grad.data.tolist() == [-3.0, 5.0]
    # The gradient of relu's output that a hook keeps, a retained .grad and
    # autograd.grad's captured one stay as they were delivered.
    kept = []
    r = ag.relu(x * w)
    r.register_hook(lambda g: kept.append((g, g.data.copy())))
    (r * w).sum().backward()
    np.testing.assert_array_equal(kept[0][0].data, kept[0][1])
    r = ag.relu(x * w)
    r.retain_grad()
    (r * w).sum().backward()
    assert r.grad.data.tolist() == [3.0, 5.0]
    r = ag.relu(x * w)
    gr, gx = ag.grad((r * w).sum(), (r, x), retain_graph=True)
    assert gr.data.tolist() == [3.0, 5.0] and gx.data.tolist() == [0.0, 25.0]
    # The permission is for one call: the node's backward called again later (here by
    # hand) leaves its caller's gradient alone.
    (r * w).sum().backward(retain_graph=True)
    g = ag.tensor([7.0, 7.0], dtype=ag.float64)
    assert type(r.grad_fn).backward(r.grad_fn, g).data.tolist() == [0.0, 7.0]
    assert g.data.tolist() == [7.0, 7.0]


def test_accumulating_into_a_saved_grad_bumps_its_version():
    x = leaf(2)
    (x * 2).sum().backward()
    y = (x.grad * x).sum()                           # saves x.grad for backward
    (x * 3).sum().backward()                         # changes x.grad in place
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward()


def test_backward_inputs_must_not_be_empty():
    x = leaf(2)
    with pytest.raises(RuntimeError, match="inputs.*cannot be empty"):
        (x * 2).sum().backward(inputs=[])
    with pytest.raises(RuntimeError, match="inputs.*cannot be empty"):
        ag.grad((x * 2).sum(), [])


def test_gradient_count_must_match_outputs():
    x = leaf(2)
    with pytest.raises(RuntimeError, match="2 tensors and 1 gradients"):
        ag.backward([x.sum(), (x * 2).sum()], [ag.tensor(1.0, dtype=ag.float64)])
    with pytest.raises(RuntimeError, match="2 tensors and 1 gradients"):
        ag.grad([x.sum(), (x * 2).sum()], x, [ag.tensor(1.0, dtype=ag.float64)])


def test_materialize_grads_refuses_allow_unused_false():
    x, y = leaf(2), leaf(2)
    with pytest.raises(ValueError, match="allow_unused"):
        ag.grad((x * 2).sum(), (x, y), allow_unused=False, materialize_grads=True)
    gx, gy = ag.grad((x * 2).sum(), (x, y), materialize_grads=True)
    assert gx.data.tolist() == [2.0, 2.0] and gy.data.tolist() == [0.0, 0.0]


# ---- hooks ---------------------------------------------------------------------

def test_leaf_and_intermediate_hooks_can_replace_gradients():
    x = leaf(3)
    seen = []
    h = x * 2
    h.register_hook(lambda g: seen.append(g.data.copy()) or g * 10)
    handle = x.register_hook(lambda g: g + 1)
    h.sum().backward()
    np.testing.assert_allclose(seen[0], 1.0)
    np.testing.assert_allclose(x.grad.data, 21.0)
    handle.remove()
    x.grad = None
    (x * 2).sum().backward()
    np.testing.assert_allclose(x.grad.data, 2.0)


def test_leaf_hook_runs_once_on_the_summed_gradient():
    x = ag.tensor([1.0, -2.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.data.tolist()) or g.clamp(-1, 1))
    (x * x * 3).sum().backward()                     # two edges into x: 3x each
    assert seen == [[6.0, -12.0]] and x.grad.data.tolist() == [1.0, -1.0]
    seen.clear()
    (gx,) = ag.grad((x * x * 3).sum(), x)
    assert seen == [[6.0, -12.0]] and gx.data.tolist() == [1.0, -1.0]
    seen.clear()
    x.grad = None
    ag.backward([x, x * 2], [ag.ones(2), ag.ones(2)])    # x is a root and an input
    assert seen == [[3.0, 3.0]] and x.grad.data.tolist() == [1.0, 1.0]


def test_hooks_of_leaves_not_asked_for_do_not_run():
    x, y = leaf(2), leaf(2)
    seen = []
    y.register_hook(lambda g: seen.append(g))
    (x * y).sum().backward(inputs=[x])
    ag.grad((x * y).sum(), x)
    assert seen == [] and y.grad is None


@pytest.mark.parametrize("make", [lambda x: x, lambda x: x * 1], ids=["leaf", "non-leaf"])
def test_hook_must_keep_the_gradient_shape_and_dtype(make):
    for bad, err, match in [(lambda g: g.to(ag.float32), RuntimeError, "dtype"),
                            (lambda g: ag.zeros(3, dtype=ag.float64), RuntimeError, "shape"),
                            (lambda g: g.data, TypeError, "ndarray")]:
        x = leaf(2)
        t = make(x)
        t.register_hook(bad)
        with pytest.raises(err, match=match):
            (t * 2).sum().backward()


def test_retain_grad():
    x = leaf(3)
    h = x * 2
    h.retain_grad()
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad.data, 2 * h.data)


def test_hook_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        ag.ones(2).register_hook(lambda g: g)


# ---- grad modes ---------------------------------------------------------------

def test_no_grad_enable_grad_and_set_grad_enabled():
    x = leaf(2)
    with ag.no_grad():
        assert not (x * 2).requires_grad
        with ag.enable_grad():
            assert (x * 2).requires_grad
    with ag.set_grad_enabled(False):
        assert not ag.is_grad_enabled()
    assert ag.is_grad_enabled()
    ag.set_grad_enabled(False)
    assert not (x * 2).requires_grad
    ag.set_grad_enabled(True)

    @ag.no_grad()
    def f(t):
        return t * 2

    assert not f(x).requires_grad and ag.is_grad_enabled()


def test_grad_mode_decorators_without_parentheses_and_on_generators():
    x = leaf(2)

    @ag.no_grad
    def f(t):
        return t * 2

    @ag.enable_grad
    def g(t):
        return t * 2

    assert not f(x).requires_grad and f.__name__ == "f"
    with ag.no_grad():
        assert g(x).requires_grad

    @ag.no_grad()
    def gen(t):
        for _ in range(2):
            yield (t * 2).requires_grad
        return "done"

    it = gen(x)
    assert next(it) is False and ag.is_grad_enabled()    # the caller's mode in between
    assert next(it) is False
    with pytest.raises(StopIteration, match="done"):
        next(it)


def test_grad_mode_is_thread_local():
    x = leaf(2)
    results = {}
    started, release = threading.Event(), threading.Event()

    def worker():
        started.set()
        release.wait()
        results["worker"] = (x * 2).requires_grad

    t = threading.Thread(target=worker)
    t.start()
    started.wait()
    with ag.no_grad():
        release.set()
        t.join()
        results["main"] = (x * 2).requires_grad
    assert results == {"worker": True, "main": False}


# ---- in-place ------------------------------------------------------------------

def test_inplace_on_leaf_requiring_grad_raises_outside_no_grad():
    w = leaf(3)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w.add_(1)
    with pytest.raises(RuntimeError, match="leaf"):
        w[0] = 2.0
    with ag.no_grad():
        w.mul_(2)
        w -= 1
        w[0] = 5.0
    assert w.data[0] == 5.0 and w.is_leaf


def test_modified_saved_tensor_raises_naming_the_op():
    x = leaf(3)
    h = x * 1
    y = (h.exp()).sum()          # exp saves its output
    z = (h * h).sum()            # mul saves h
    h.add_(1)
    with pytest.raises(RuntimeError, match="MulBackward.*modified by an in-place|in-place.*MulBackward"):
        z.backward()
    e = h.exp()
    e.mul_(2)
    with pytest.raises(RuntimeError, match="ExpBackward"):
        e.sum().backward()
    y.backward()  # exp's saved output is not h, so this one is fine


def test_relu_saves_its_output_as_pytorch_does():
    """relu's backward reads its output (so the pre-activation is freed after the
    forward): changing that output in place must raise, as in PyTorch."""
    x = leaf(3)
    r = ag.relu(x * 1)
    r.add_(1)
    with pytest.raises(RuntimeError, match="ReluBackward"):
        r.sum().backward()


def test_version_counter_is_shared_with_views():
    x = leaf(2, 3)
    base = x * 1
    y = (base * base).sum()
    view = base[0]
    with ag.no_grad():
        view.fill_(0.0)
    assert base._version == 1
    with pytest.raises(RuntimeError, match="in-place"):
        y.backward()


@pytest.mark.parametrize("make, shape", [
    (lambda: ag.arange(3.0), (2, 3)),                             # contiguous
    (lambda: ag.arange(3.0).reshape(3, 1), (2, 3, 4)),            # size-1 axis
    (lambda: ag.tensor(5.0), (2, 2)),                             # 0-d
    (lambda: ag.arange(12.0).reshape(3, 4)[:, 1:2], (2, 3, 5)),   # strided column
    (lambda: ag.arange(6.0).reshape(2, 3).T, (4, 3, 2)),          # transposed
    (lambda: ag.arange(8.0)[2:5], (1, 3)),                        # offset slice
    (lambda: ag.zeros(0, 1), (2, 0, 3)),                          # empty
])
def test_expand_is_a_read_only_view_sharing_the_version(make, shape):
    base = make()
    data = base.data.copy()
    out = base.expand(*shape)
    np.testing.assert_array_equal(out.data, np.broadcast_to(data, shape))
    assert out.numel() == 0 or np.shares_memory(out.data, base.data)
    assert not out.data.flags.writeable
    with ag.no_grad():
        base.add_(1.0)
    assert out._version == base._version
    np.testing.assert_array_equal(out.data, np.broadcast_to(data + 1, shape))


def test_inplace_on_non_leaf_is_recorded():
    x = leaf(3)
    h = x * 2
    h.mul_(x)                # h = 2x * x
    h.add_(1)
    h.sum().backward()
    np.testing.assert_allclose(x.grad.data, 4 * x.data)


def test_setitem_is_recorded():
    x, v = leaf(4), leaf()
    h = x * 1
    h[1:3] = v * 3
    (h * h).sum().backward()
    want_x = 2 * x.data
    want_x[1:3] = 0
    np.testing.assert_allclose(x.grad.data, want_x)
    assert v.grad.item() == pytest.approx(2 * 2 * 9 * v.item())


def test_optimizer_style_update_then_stale_graph_raises():
    w = leaf(3)
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    with ag.no_grad():
        w -= 0.1 * w.grad
    with pytest.raises(RuntimeError, match="in-place"):
        loss.backward()


# ---- kinks and ties follow PyTorch -----------------------------------------------

def test_relu_abs_clamp_at_kinks():
    x = ag.tensor([0.0, -1.0, 2.0], dtype=ag.float64, requires_grad=True)
    (ag.relu(x) + ag.abs(x) + ag.clamp(x, -1.0, 2.0)).sum().backward()
    np.testing.assert_allclose(x.grad.data, [0 + 0 + 1, 0 - 1 + 1, 1 + 1 + 1])


def test_max_min_ties_split_evenly():
    x = ag.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], dtype=ag.float64, requires_grad=True)
    x.max().backward()
    np.testing.assert_allclose(x.grad.data, [[0, 0.5, 0.5], [0, 0, 0]])
    x.grad = None
    vals, idx = x.max(dim=1)
    assert idx.tolist() == [1, 0] and idx.dtype == np.int64
    vals.sum().backward()
    np.testing.assert_allclose(x.grad.data, [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    a = ag.tensor(1.0, requires_grad=True)
    b = ag.tensor(1.0, requires_grad=True)
    ag.maximum(a, b).backward()
    assert a.grad.item() == b.grad.item() == 0.5


def test_var_std_unbiased_by_default():
    x = ag.tensor([1.0, 2.0, 4.0], dtype=ag.float64)
    assert x.var().item() == pytest.approx(np.var(x.data, ddof=1))
    assert x.std(unbiased=False).item() == pytest.approx(np.std(x.data))
    assert x.var(ddof=0).item() == pytest.approx(np.var(x.data))


def test_prod_gradient_with_zeros():
    x = ag.tensor([2.0, 0.0, 3.0], dtype=ag.float64, requires_grad=True)
    x.prod().backward()
    np.testing.assert_allclose(x.grad.data, [0.0, 6.0, 0.0])
    y = ag.tensor([0.0, 0.0, 3.0], dtype=ag.float64, requires_grad=True)
    y.prod().backward()
    np.testing.assert_allclose(y.grad.data, [0.0, 0.0, 0.0])


def test_getitem_repeated_indices_accumulate():
    x = leaf(3)
    x[np.array([0, 0, 2])].sum().backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 0.0, 1.0])


# ---- dtypes and conversions ------------------------------------------------------

def test_dtype_policy():
    assert ag.tensor(1.0).dtype == ag.float32
    assert ag.tensor([1, 2]).dtype == ag.int64
    assert ag.tensor(True).dtype == ag.bool_
    assert ag.tensor(np.zeros(2, dtype=np.float64)).dtype == ag.float64
    assert ag.tensor([1.5, 2]).dtype == ag.float32
    x = ag.tensor([1.0, 2.0], dtype=ag.float64, requires_grad=True)
    y = (x * 2.0 + 1).sum()
    assert y.dtype == ag.float64
    y.backward()
    assert x.grad.dtype == ag.float64
    f = ag.tensor([1.0, 2.0], requires_grad=True)
    (f * 2.0).sum().backward()
    assert (f * 2.0).dtype == ag.float32 and f.grad.dtype == ag.float32


def test_explicit_float64_keeps_python_floats_exact():
    # Python floats are doubles: dtype=float64 must not round them through float32.
    assert ag.tensor(0.1, dtype=ag.float64).item() == 0.1
    assert ag.tensor([0.1, 1e-10], dtype=ag.float64).data.tolist() == [0.1, 1e-10]
    assert ag.full((2,), 0.1, dtype=ag.float64).data.tolist() == [0.1, 0.1]
    assert ag.tensor(0.1).item() == float(np.float32(0.1))   # the float32 default
    assert ag.tensor([2**40 + 1], dtype=ag.int64).item() == 2**40 + 1
    with pytest.raises(TypeError, match="non-numeric"):
        ag.tensor(["a"], dtype=ag.float64)


def test_only_floating_tensors_require_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        ag.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        ag.tensor([1, 2]).requires_grad_()
    x = leaf(3)
    assert not (x > 0).requires_grad and (x > 0).dtype == ag.bool_
    assert not x.argmax().requires_grad


def test_attribute_assignments_are_checked_like_pytorch():
    x = ag.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"shape \(3,\)"):
        x.grad = ag.zeros(3)
    with pytest.raises(RuntimeError, match="dtype float64"):
        x.grad = ag.zeros(2, dtype=ag.float64)
    with pytest.raises(TypeError, match="ndarray"):
        x.grad = np.zeros(2, dtype=np.float32)
    with pytest.raises(RuntimeError, match="own grad"):
        x.grad = x
    x.grad = ag.ones(2)
    x.grad = None
    with pytest.raises(RuntimeError, match="floating point"):
        ag.zeros(2, dtype=ag.int64).requires_grad = True
    with pytest.raises(RuntimeError, match="leaf"):
        (x * 2).requires_grad = False
    x.requires_grad = False
    assert not x.requires_grad and not (x * 2).requires_grad
    p = ag.zeros(2, requires_grad=True)
    p.data = ag.ones(3)                              # a Tensor: its array is stored
    assert type(p.data) is np.ndarray and p.data.tolist() == [1.0, 1.0, 1.0]
    assert p.requires_grad
    with pytest.raises(TypeError, match="list"):
        p.data = [1.0]


def test_tensor_constructor_follows_pytorch():
    assert ag.Tensor([1, 2]).dtype == ag.float32
    assert ag.Tensor(np.zeros(2, dtype=np.int64)).dtype == ag.float32
    assert ag.Tensor((2, 3)).data.tolist() == [2.0, 3.0]      # a tuple is data
    t = ag.Tensor(2, 3)                                       # ints are sizes
    assert t.shape == (2, 3) and t.dtype == ag.float32 and not t.requires_grad
    assert ag.Tensor(size=(4,)).shape == (4,) and ag.Tensor().shape == (0,)
    a = np.ones(2, dtype=np.float32)
    ag.Tensor(a).data[0] = 5                                  # the default dtype: shared
    assert a[0] == 5
    x = leaf(2)
    y = ag.Tensor(x)                                          # an alias in the graph
    assert y.dtype == ag.float64 and np.shares_memory(y.data, x.data)
    (y * 3).sum().backward()
    assert x.grad.data.tolist() == [3.0, 3.0]
    with pytest.raises(TypeError, match="sequence"):
        ag.Tensor(2.0)
    with pytest.raises(RuntimeError, match="negative"):
        ag.Tensor(-1)


def test_python_ints_out_of_range_raise_instead_of_wrapping():
    big = 2 ** 63
    for data in ([big], [big, 1], big, [-big - 1], [[1], [big]], [True, big], [2 ** 70]):
        with pytest.raises(ValueError, match="tensor: Overflow"):
            ag.tensor(data)
    with pytest.raises(ValueError, match="Overflow"):
        ag.tensor([big], dtype=ag.int64)
    assert ag.tensor([-big]).tolist() == [-big]   # (int64's own minimum)
    # a float in the data, or a floating dtype, makes a float tensor of such ints
    assert ag.tensor([1.5, big]).tolist() == [1.5, float(np.float32(big))]
    assert ag.tensor([big, 1], dtype=ag.float64).tolist() == [float(big), 1.0]
    # Python numbers beyond an explicit integer dtype raise; arrays convert as NumPy does
    for data, dtype in (([255, 256], ag.uint8), ([2 ** 31], ag.int32), ([300.0], ag.uint8),
                        ([-0.5], ag.uint8), ([float("nan")], ag.int64), (-129, np.int8)):
        with pytest.raises(RuntimeError, match=f"cannot be converted to type {np.dtype(dtype)}"):
            ag.tensor(data, dtype=dtype)
    assert ag.tensor(np.array([255, 256]), dtype=ag.uint8).tolist() == \
        np.array([255, 256]).astype(np.uint8).tolist()


def test_tensor_overflow_errors_match_torch():
    torch = pytest.importorskip("torch")
    cases = [([2 ** 63], None), ([2 ** 63, 1], None), ([-2 ** 63 - 1], None),
             ([2 ** 63], "float32"), ([1.5, 2 ** 63], None), ([255, 256], "uint8"),
             ([-1, -255], "uint8"), ([-256], "uint8"), ([2 ** 31], "int32"),
             ([127.5], "int8"), ([-128], "int8"), ([2 ** 64], "int64")]
    for data, dtype in cases:
        try:
            want = torch.tensor(data, dtype=getattr(torch, dtype) if dtype else None)
        except (ValueError, RuntimeError) as e:
            with pytest.raises(type(e)):
                ag.tensor(data, dtype=dtype)
            continue
        got = ag.tensor(data, dtype=dtype)
        assert got.tolist() == want.tolist() and \
            str(got.dtype) == str(want.dtype).replace("torch.", ""), data


def test_creation_sizes_must_be_ints():
    for call in (lambda: ag.zeros(2.5), lambda: ag.ones((2, 2.0)), lambda: ag.zeros(True),
                 lambda: ag.rand(2.5), lambda: ag.full((1.5,), 0), lambda: ag.randint(3, (2.5,))):
        with pytest.raises(TypeError, match="must be tuple of ints.*float|bool"):
            call()
    assert ag.zeros(np.int64(2)).shape == (2,) and ag.zeros(ag.tensor(2)).shape == (2,)


def test_randint_takes_high_and_size_alone():
    ag.manual_seed(0)
    x = ag.randint(5, (300,))
    assert x.shape == (300,) and x.dtype == ag.int64
    assert set(x.tolist()) == set(range(5))
    assert ag.randint(2, 4, [2, 2]).shape == (2, 2) and ag.randint(3, size=(4,)).shape == (4,)
    assert ag.randint(high=3, size=(4,)).max().item() < 3
    assert ag.randint(5, (2,), dtype=ag.float32).dtype == ag.float32
    with pytest.raises(RuntimeError, match="randint.*from=5 >= to=3"):
        ag.randint(5, 3, (2,))
    torch = pytest.importorskip("torch")
    assert torch.randint(5, (3,)).shape == ag.randint(5, (3,)).shape


def test_item_and_conversions_need_one_element():
    for t in (ag.zeros(2), ag.zeros(0)):
        with pytest.raises(RuntimeError, match=f"{t.numel()} elements"):
            t.item()
        with pytest.raises(RuntimeError):
            float(t)


def test_arange_follows_pytorch():
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        ag.arange(0, 5, 0)
    for args in [(0, 5, -1), (5, 0, 1)]:
        with pytest.raises(RuntimeError, match="inconsistent with step sign"):
            ag.arange(*args)
    with pytest.raises(RuntimeError, match="unsupported range"):
        ag.arange(0, float("inf"))
    assert ag.arange(0, 0, -1).shape == (0,)
    # An integer dtype truncates start, end and step first (0.5 -> 0: an error).
    with pytest.raises(ValueError, match="step must be nonzero"):
        ag.arange(0, 5, 0.5, dtype=ag.int64)
    assert ag.arange(0.5, 5, 1.5, dtype=ag.int64).data.tolist() == [0, 1, 2, 3, 4]
    assert ag.arange(5, 0.5, -1.5, dtype=ag.int64).data.tolist() == [5, 4, 3, 2, 1]
    # Float values are computed in float64 and rounded once (no float32 drift).
    want = (-1 + np.arange(20) * 0.1).astype(np.float32)
    got = ag.arange(-1, 1, 0.1)
    assert got.dtype == ag.float32 and np.array_equal(got.data, want)
    assert abs(got.data[10]) < 1e-15


def test_random_samples_need_a_floating_dtype():
    for fn in (lambda: ag.rand(2, dtype=ag.int64), lambda: ag.randn(2, dtype=ag.int64),
               lambda: ag.rand_like(ag.zeros(2, dtype=ag.int64)),
               lambda: ag.randn_like(ag.zeros(2, dtype=ag.int64))):
        with pytest.raises(NotImplementedError, match="int64"):
            fn()


def test_numpy_interop_and_repr():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    assert np.asarray(x.detach()).tolist() == [1.0, 2.0]
    assert np.asarray(x).shape == (2,)
    assert "grad_fn=<MulBackward>" in repr(x * 2)
    assert "requires_grad=True" in repr(x)
    with pytest.raises(RuntimeError, match="detach"):
        x.numpy()
    a = np.ones(2, dtype=np.float32)
    assert isinstance(a + x, ag.Tensor) and (a + x).requires_grad
    shared = ag.from_numpy(a)
    a[0] = 5
    assert shared.data[0] == 5
    assert ag.tensor(3.5).item() == 3.5 and isinstance(ag.tensor(3.5).item(), float)


def test_numpy_aliases():
    x = ag.tensor(np.arange(6.0).reshape(2, 3))
    assert x.sum(axis=1, keepdims=True).shape == (2, 1)
    assert x.mean(dim=0, keepdim=False).shape == (3,)
    assert ag.cat([x, x], axis=1).shape == (2, 6)


# ---- deep graphs ----------------------------------------------------------------

def test_deep_chain_is_iterative_and_frees_memory():
    x = ag.tensor(1.0, dtype=ag.float64, requires_grad=True)
    y = x
    for _ in range(200_000):
        y = y * 1.000001
    y.backward()
    assert x.grad.item() == pytest.approx(1.000001 ** 200_000)
    ref = weakref.ref(y.grad_fn)
    del y
    gc.collect()
    assert ref() is None


# ---- bad input -------------------------------------------------------------------

def test_broadcast_mismatch_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"add.*\(2, 3\).*\(4,\)"):
        ag.ones(2, 3) + ag.ones(4)
    with pytest.raises(RuntimeError):   # PyTorch's type works too
        ag.ones(2, 3) * ag.ones(4)


def test_matmul_mismatch():
    with pytest.raises(ValueError, match=r"matmul.*\(2, 3\).*\(4, 5\)"):
        ag.ones(2, 3) @ ag.ones(4, 5)
    with pytest.raises(RuntimeError, match="at least 1D"):
        ag.matmul(ag.tensor(1.0), ag.ones(2))


def test_index_out_of_range():
    with pytest.raises(IndexError, match="getitem.*out of bounds"):
        ag.ones(3)[5]
    with pytest.raises(IndexError, match="gather.*out of bounds"):
        ag.ones(2, 3).gather(1, np.array([[0, 3], [1, 1]]))


def test_reshape_and_cat_errors():
    with pytest.raises(ValueError, match="reshape"):
        ag.ones(2, 3).reshape(4)
    with pytest.raises(ValueError, match="cat.*must match"):
        ag.cat([ag.ones(2, 3), ag.ones(3, 3)], 1)
    with pytest.raises(IndexError, match="dimension out of range"):
        ag.ones(2, 3).sum(5)


@pytest.mark.parametrize("call, error, words", [
    (lambda: ag.stack([]), RuntimeError, "stack.*non-empty"),
    (lambda: ag.einsum("ij,jk", ag.zeros(2, 3)), RuntimeError, "^einsum: fewer operands"),
    (lambda: ag.einsum("ij", ag.zeros(2, 3), ag.zeros(2, 3)), RuntimeError,
     "^einsum: more operands"),
    (lambda: ag.einsum("ij->k", ag.zeros(2, 3)), RuntimeError, "^einsum: output subscript 'k'"),
    (lambda: ag.einsum("ij->ii", ag.zeros(2, 3)), RuntimeError, "^einsum: output.*more than once"),
    (lambda: ag.einsum("i#", ag.zeros(2, 3)), RuntimeError, "^einsum: invalid subscript '#'"),
    (lambda: ag.einsum("ijk", ag.zeros(2, 3)), ShapeError, "^einsum: subscript 'ijk'"),
    (lambda: ag.zeros(2).clamp(), RuntimeError, "clamp.*min.*max"),
    (lambda: ag.clamp(ag.zeros(2)), RuntimeError, "clamp.*min.*max"),
    (lambda: ag.linspace(0, 1, -1), RuntimeError, "linspace.*non-negative.*-1"),
    (lambda: ag.eye(-1), RuntimeError, "eye: n .*-1"),
    (lambda: ag.eye(2, -3), RuntimeError, "eye: m .*-3"),
    (lambda: ag.zeros(2, 3).expand(-1, -1, 3), ShapeError, "expand.*-1.*leading"),
    (lambda: ag.zeros(3).expand(2, -2), ShapeError, "expand.*-2"),
])
def test_bad_arguments_raise_pytorch_types(call, error, words):
    with pytest.raises(error, match=words) as info:
        call()
    assert isinstance(info.value, RuntimeError)
    assert "einsum: einsum" not in str(info.value)


def test_bad_argument_types_match_torch():
    torch = pytest.importorskip("torch")
    cases = [lambda m: m.stack([]), lambda m: m.cat([]), lambda m: m.einsum("ij,jk", m.zeros(2, 3)),
             lambda m: m.einsum("ij->k", m.zeros(2, 3)), lambda m: m.zeros(2).clamp(),
             lambda m: m.linspace(0, 1, -1), lambda m: m.eye(-1),
             lambda m: m.zeros(2, 3).expand(-1, -1, 3)]
    for case in cases:
        with pytest.raises(Exception) as want:
            case(torch)
        with pytest.raises(type(want.value)):
            case(ag)


def test_numpy_ufuncs_dispatch_to_recorded_ops():
    x = ag.tensor([1.0, 2.0], dtype=ag.float64, requires_grad=True)
    a = np.array([3.0, 4.0])
    y = np.exp(x) + a * x + np.maximum(x, a)
    assert isinstance(y, ag.Tensor) and y.requires_grad
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, np.exp(x.data) + a)
    with pytest.raises(TypeError, match="numpy.cbrt.*requires grad"):
        np.cbrt(x)
    np.testing.assert_allclose(np.cbrt(x.detach() ** 3), [1.0, 2.0])


@pytest.mark.parametrize("ufunc", sorted(
    set(interop._UFUNCS) - {np.matmul, np.frexp}, key=lambda u: u.__name__))
def test_every_mapped_numpy_ufunc_gives_numpys_values_on_the_tape(ufunc):
    # Values as NumPy computes them on the arrays; a floating result of a tensor that
    # requires grad is recorded (its gradient is the op's, checked in the op table).
    ints = ufunc in (np.gcd, np.lcm, np.left_shift, np.right_shift, np.bitwise_and,
                     np.bitwise_or, np.bitwise_xor, np.invert)
    if ints:
        x, other = ag.tensor([12, 7]), np.array([8, 2])
    else:
        x = ag.tensor([0.25, 0.75], dtype=ag.float64, requires_grad=True)
        other = np.array([2, 3]) if ufunc is np.ldexp else np.array([0.5, -1.5])
    args = (x, other) if ufunc.nin == 2 else (x,)
    with np.errstate(all="ignore"):
        got = ufunc(*args)
        want = ufunc(*[a.data if isinstance(a, ag.Tensor) else a for a in args])
    assert isinstance(got, ag.Tensor)
    np.testing.assert_allclose(got.data.astype(np.float64), want.astype(np.float64))
    differentiable = want.dtype.kind == "f" and ufunc is not np.sign   # (API.md: no grad)
    assert got.requires_grad == (x.requires_grad and differentiable)


def test_numpy_frexp_on_a_tensor_gives_mantissa_and_exponent_tensors():
    x = ag.tensor([0.75, 12.0], dtype=ag.float64, requires_grad=True)
    m, e = np.frexp(x)
    want_m, want_e = np.frexp(x.data)
    np.testing.assert_array_equal(m.data, want_m)
    np.testing.assert_array_equal(e.data, want_e)
    m.sum().backward()
    np.testing.assert_array_equal(x.grad.data, 2.0 ** -want_e)


def test_numpy_scalar_on_the_left_of_an_operator_gives_a_tensor():
    x = ag.tensor([2.0, 3.0], dtype=ag.float64, requires_grad=True)
    xd = x.detach().data
    for y, want in ((np.float64(7.0) // x, 7.0 // xd), (np.float64(7.0) % x, 7.0 % xd)):
        assert isinstance(y, ag.Tensor) and y.requires_grad
        np.testing.assert_array_equal(y.data, want)
    ints = ag.tensor([2, 3])
    for op in (lambda a, b: a % b, lambda a, b: a // b, lambda a, b: a & b,
               lambda a, b: a | b, lambda a, b: a ^ b):
        y = op(np.int64(7), ints)
        assert isinstance(y, ag.Tensor) and y.dtype == ag.int64
        np.testing.assert_array_equal(y.data, op(np.int64(7), ints.data))
    assert isinstance(np.fmod(np.float64(7.0), x), ag.Tensor)
    assert isinstance(np.invert(ints), ag.Tensor)
    (np.float64(7.0) % x).sum().backward()   # remainder's gradient: d/db (a - b floor(a/b))
    np.testing.assert_array_equal(x.grad.data, -np.floor(7.0 / xd))


def test_numpy_scalars_do_not_promote_like_python_numbers():
    x = ag.ones(2)
    for y in (x * np.float64(0.5), np.float64(0.5) * x, x + np.float64(1), x ** np.int64(2)):
        assert y.dtype == ag.float32


def test_inplace_casting_error_names_the_op():
    with pytest.raises(TypeError, match="add_.*int64"):
        ag.ones(2, dtype=ag.int64).add_(ag.tensor([0.5, 0.5]))


@pytest.mark.parametrize("shapes", [((3, 4), (4, 5)), ((2, 3, 4), (4, 5)), ((4,), (4, 2)),
                                    ((3, 4), (4,)), ((2, 1, 3, 4), (5, 4, 2))])
def test_matmul_third_order(shapes):
    # Matmul's backward multiplies by transposed operands (its ta/tb flags); their own
    # backward, which covers the four flag combinations, runs at third order.
    rng = np.random.default_rng(0)
    a, b = (ag.tensor(rng.standard_normal(s), dtype=ag.float64, requires_grad=True)
            for s in shapes)

    def second(a, b):
        y = a @ b
        ga, gb = ag.grad((y * y * y).sum(), (a, b), create_graph=True)
        return (ga * ga).sum() + (gb * gb * gb).sum()

    assert ag.gradgradcheck(second, (a, b))


CREATORS = {
    "tensor": lambda **kw: ag.tensor([1.0, 2.0], **kw), "zeros": lambda **kw: ag.zeros(2, **kw),
    "ones": lambda **kw: ag.ones(2, **kw), "empty": lambda **kw: ag.empty(2, **kw),
    "full": lambda **kw: ag.full((2,), 3.0, **kw), "arange": lambda **kw: ag.arange(3, **kw),
    "linspace": lambda **kw: ag.linspace(0, 1, 3, **kw), "eye": lambda **kw: ag.eye(2, **kw),
    "rand": lambda **kw: ag.rand(2, **kw), "randn": lambda **kw: ag.randn(2, **kw),
    "randint": lambda **kw: ag.randint(3, (2,), **kw),
    "zeros_like": lambda **kw: ag.zeros_like(ag.ones(2), **kw),
    "full_like": lambda **kw: ag.full_like(ag.ones(2), 2.0, **kw),
    "new_zeros": lambda **kw: ag.ones(2).new_zeros(3, **kw),
    "new_full": lambda **kw: ag.ones(2).new_full((3,), 1.0, **kw),
    "new_tensor": lambda **kw: ag.ones(2).new_tensor([1.0], **kw),
}


@pytest.mark.parametrize("name", sorted(CREATORS))
def test_creation_takes_device_cpu_and_refuses_others(name):
    # PyTorch code passes device= everywhere; only the CPU exists here (README)
    assert CREATORS[name](device="cpu").device == "cpu"
    with pytest.raises(RuntimeError, match="only device='cpu' exists here, got device='cuda'"):
        CREATORS[name](device="cuda")


def test_to_takes_a_cpu_device_and_refuses_others():
    t = ag.ones(2)
    assert t.to("cpu") is t and t.to(device="cpu") is t
    assert t.to("cpu", ag.float64).dtype == np.float64 and t.to("float64").dtype == np.float64
    for call in (lambda: t.to("cuda"), lambda: t.to(device="cuda:0"),
                 lambda: t.to("cuda", ag.float64)):
        with pytest.raises(RuntimeError, match="to: only device='cpu' exists here"):
            call()
