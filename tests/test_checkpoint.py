"""Activation checkpointing (autograd.checkpoint): gradients equal to the plain run and
to torch.utils.checkpoint (both variants), dropout seeing the same random numbers,
several outputs, kwargs and non-tensor arguments, autograd.grad, higher order, the
intermediates freed between forward and backward, and PyTorch's errors and warnings."""
import warnings
import weakref

import numpy as np
import pytest

import autograd as ag
import nn
from autograd.checkpoint import CheckpointError, checkpoint, checkpoint_sequential
from tests.numeric import assert_raises_like_torch

BOTH = pytest.mark.parametrize("reentrant", [True, False])


def f64(*shape, requires_grad=True, seed=0):
    a = np.random.default_rng(seed).standard_normal(shape)
    return ag.tensor(a, requires_grad=requires_grad)


def as_torch(torch, t, requires_grad=None):
    rg = t.requires_grad if requires_grad is None else requires_grad
    return torch.tensor(np.array(t.data)).requires_grad_(rg)


def torch_twin(torch, module, tmodule):
    """`tmodule` (float64) with `module`'s parameters."""
    tmodule = tmodule.double()
    tmodule.load_state_dict({k: torch.from_numpy(np.array(v.data))
                             for k, v in module.state_dict().items()})
    return tmodule


def grads(*tensors):
    """The .grad arrays (None where there is none), then reset."""
    out = [None if t.grad is None else t.grad.data.copy() for t in tensors]
    for t in tensors:
        t.grad = None
    return out


def assert_same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        if x is None or y is None:
            assert x is None and y is None
        else:
            np.testing.assert_array_equal(x, y)   # the same float ops: bit for bit


class MLP(nn.Module):
    """Linear - tanh - dropout - Linear; keeps the dropout mask of every call."""

    def __init__(self, p=0.4):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(3, 6).double(), nn.Linear(6, 2).double()
        self.drop = nn.Dropout(p)
        self.masks = []

    def forward(self, x):
        h = self.fc1(x).tanh()
        d = self.drop(h)
        self.masks.append(d.data != 0)   # (tanh of a random affine map is never 0)
        return self.fc2(d)


# ---- gradients: plain run, PyTorch ------------------------------------------------------

@BOTH
def test_mlp_with_dropout_equals_plain_run_and_torch(reentrant):
    torch = pytest.importorskip("torch")
    model, x = MLP(), f64(5, 3)
    params = list(model.parameters())
    ag.manual_seed(7)
    plain = model(x)
    (plain * plain).sum().backward()
    want = grads(x, *params)
    ag.manual_seed(7)
    y = checkpoint(model, x, use_reentrant=reentrant)
    assert repr(y.grad_fn) == ("<CheckpointFunctionBackward>" if reentrant
                               else "<CheckpointBackward>")
    (y * y).sum().backward()
    np.testing.assert_array_equal(y.data, plain.data)
    assert_same(grads(x, *params), want)
    fwd_mask, re_mask = model.masks[1:]
    np.testing.assert_array_equal(re_mask, fwd_mask)   # the recomputation's dropout
    np.testing.assert_array_equal(fwd_mask, model.masks[0])

    # PyTorch, with the same weights and the mask our dropout drew
    tm = torch_twin(torch, model, torch.nn.ModuleDict({"fc1": torch.nn.Linear(3, 6),
                                                       "fc2": torch.nn.Linear(6, 2)}))
    mask = torch.from_numpy(fwd_mask.astype(np.float64) / (1 - 0.4))
    tx = as_torch(torch, x)
    ty = torch.utils.checkpoint.checkpoint(
        lambda a: tm["fc2"](tm["fc1"](a).tanh() * mask), tx, use_reentrant=reentrant)
    (ty * ty).sum().backward()
    np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=1e-13, atol=1e-13)
    theirs = dict(tm.named_parameters())
    theirs = [tx.grad] + [theirs[k].grad for k, _ in model.named_parameters()]
    for a, b in zip(want, theirs):
        np.testing.assert_allclose(a, b.numpy(), rtol=1e-12, atol=1e-13)


def test_rng_state_preserved_and_the_callers_generator_untouched():
    model, x = MLP(p=0.5), f64(8, 3)
    ag.manual_seed(3)
    y = model(x)
    between = ag.rand(4).data
    y.sum().backward()
    want, after = grads(x), ag.rand(4).data
    ag.manual_seed(3)
    y = checkpoint(model, x, use_reentrant=False)
    np.testing.assert_array_equal(ag.rand(4).data, between)
    y.sum().backward()
    assert_same(grads(x), want)
    # the recomputation drew from a copy: the caller's generator goes on where it was
    np.testing.assert_array_equal(ag.rand(4).data, after)
    ag.manual_seed(3)
    checkpoint(model, x, use_reentrant=False, preserve_rng_state=False).sum().backward()
    assert not np.array_equal(model.masks[-1], model.masks[-2])   # new numbers
    assert not np.array_equal(grads(x)[0], want[0])


def test_several_outputs_kwargs_and_non_tensor_args_match_torch():
    torch = pytest.importorskip("torch")
    a, b, w = f64(4, seed=1), f64(4, seed=2), f64(4, seed=3)
    c = f64(4, requires_grad=False, seed=4)
    ta, tb, tw, tc = (as_torch(torch, t) for t in (a, b, w, c))

    def make(lib, w, c):
        def fn(x, y, scale, names, *, power=2, shift=None):
            u = (x * w).sin() * scale + shift
            return u ** power, (c * 2, names[0]), {"v": (y * x).exp(), "n": len(names)}
        return fn

    ours = checkpoint(make(ag, w, c), a, b, 1.5, ["k"], power=3, shift=b,
                      use_reentrant=False)
    theirs = torch.utils.checkpoint.checkpoint(make(torch, tw, tc), ta, tb, 1.5, ["k"],
                                               power=3, shift=tb, use_reentrant=False)
    u, (k, name), d = ours
    tu, (tk, tname), td = theirs
    assert (name, d["n"]) == (tname, td["n"]) == ("k", 1)
    assert (u.requires_grad, k.requires_grad, d["v"].requires_grad) == \
        (tu.requires_grad, tk.requires_grad, td["v"].requires_grad) == (True, False, True)
    (u.sum() + (d["v"] * u).sum()).backward()
    (tu.sum() + (td["v"] * tu).sum()).backward()
    for ours_t, theirs_t in ((a, ta), (b, tb), (w, tw)):
        np.testing.assert_allclose(ours_t.grad.data, theirs_t.grad.numpy(), rtol=1e-12)


def test_reentrant_tuple_outputs_and_positional_non_tensor_args_match_torch():
    torch = pytest.importorskip("torch")
    a, w = f64(3, seed=5), f64(3, seed=6)
    c = f64(3, requires_grad=False, seed=7)
    ta, tw, tc = (as_torch(torch, t) for t in (a, w, c))

    def make(w, c):
        return lambda x, k, tag: ((x * w).tanh() * k, c * 3, tag, [x * 2])

    y, z, tag, lst = checkpoint(make(w, c), a, 2.0, "t", use_reentrant=True)
    ty, tz, ttag, tlst = torch.utils.checkpoint.checkpoint(make(tw, tc), ta, 2.0, "t",
                                                           use_reentrant=True)
    assert tag == ttag == "t"
    # a Function's outputs: every floating tensor requires grad, nested ones do not
    assert (y.requires_grad, z.requires_grad, lst[0].requires_grad) == \
        (ty.requires_grad, tz.requires_grad, tlst[0].requires_grad) == (True, True, False)
    (y.sum() + z.sum()).backward()
    (ty.sum() + tz.sum()).backward()
    for ours_t, theirs_t in ((a, ta), (w, tw)):
        np.testing.assert_allclose(ours_t.grad.data, theirs_t.grad.numpy(), rtol=1e-12)
    # only an output that needs no grad is used: zeros (a Function's materialized
    # gradient for the other output), not an error
    a.grad = ta.grad = None
    checkpoint(make(w, c), a, 2.0, "t", use_reentrant=True)[1].sum().backward()
    torch.utils.checkpoint.checkpoint(make(tw, tc), ta, 2.0, "t",
                                      use_reentrant=True)[1].sum().backward()
    np.testing.assert_array_equal(a.grad.data, ta.grad.numpy())
    np.testing.assert_array_equal(a.grad.data, np.zeros(3))


@BOTH
def test_checkpoint_sequential_equals_plain_run_and_torch(reentrant):
    torch = pytest.importorskip("torch")
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 4), nn.Sigmoid(),
                          nn.Linear(4, 2)).double()
    tmodel = torch_twin(torch, model, torch.nn.Sequential(
        torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 4), torch.nn.Sigmoid(),
        torch.nn.Linear(4, 2)))
    params = list(model.parameters())
    x = f64(5, 3)
    model(x).pow(2).sum().backward()
    want = grads(x, *params)
    tx = as_torch(torch, x)
    for segments in (1, 2, 3):
        checkpoint_sequential(model, segments, x, use_reentrant=reentrant).pow(2).sum() \
            .backward()
        assert_same(grads(x, *params), want)
        torch.utils.checkpoint.checkpoint_sequential(
            tmodel, segments, tx, use_reentrant=reentrant).pow(2).sum().backward()
        theirs = [tx.grad] + [p.grad for p in tmodel.parameters()]
        for a, b in zip(want, theirs):
            np.testing.assert_allclose(a, b.numpy(), rtol=1e-12, atol=1e-14)
        tmodel.zero_grad()
        tx.grad = None
    # a list of functions works as well
    fns = [lambda t: t * 2, ag.sin, lambda t: t.exp()]
    y = checkpoint_sequential(fns, 2, x, use_reentrant=reentrant)
    np.testing.assert_array_equal(y.data, (x * 2).sin().exp().data)


@BOTH
def test_input_without_grad_matches_torch_for_parameters(reentrant):
    """The reentrant variant's known trap, kept: no tensor argument requiring grad means
    no gradient for the weights used inside either (and a warning)."""
    torch = pytest.importorskip("torch")
    lin = nn.Linear(3, 2).double()
    tlin = torch_twin(torch, lin, torch.nn.Linear(3, 2))
    x = f64(4, 3, requires_grad=False)
    with warnings.catch_warnings(record=True) as ours_w:
        warnings.simplefilter("always")
        y = checkpoint(lin, x, use_reentrant=reentrant)
    with warnings.catch_warnings(record=True) as theirs_w:
        warnings.simplefilter("always")
        ty = torch.utils.checkpoint.checkpoint(tlin, as_torch(torch, x),
                                               use_reentrant=reentrant)
    assert y.requires_grad == ty.requires_grad == (not reentrant)
    said = [str(w.message) for w in ours_w]
    assert len(said) == len(theirs_w) == int(reentrant)
    assert not reentrant or "None of the inputs have requires_grad=True" in said[0]
    if not reentrant:
        y.sum().backward()
        ty.sum().backward()
        np.testing.assert_allclose(lin.weight.grad.data, tlin.weight.grad.numpy(),
                                   rtol=1e-12)


# ---- autograd.grad, higher order, hooks, nesting -----------------------------------------

@BOTH
def test_autograd_grad_and_backward_inputs(reentrant):
    x, w = f64(4, seed=1), f64(4, seed=2)
    fn = lambda a: (a * w).sin() * a   # noqa: E731
    want = ag.grad(fn(x).sum(), (x, w))
    got = ag.grad(checkpoint(fn, x, use_reentrant=reentrant).sum(), (x, w))
    assert_same([g.data for g in got], [g.data for g in want])
    assert x.grad is None and w.grad is None
    checkpoint(fn, x, use_reentrant=reentrant).sum().backward(inputs=[w])
    assert x.grad is None
    np.testing.assert_array_equal(w.grad.data, want[1].data)


@BOTH
def test_second_order_through_a_checkpoint(reentrant):
    x, w = f64(3, seed=1), f64(3, seed=2)
    fn = lambda a, b: ((a * b).sin() * a).sum()   # noqa: E731
    want = ag.grad(ag.grad(fn(x, w), x, create_graph=True)[0].sum(), (x, w))
    y = checkpoint(fn, x, w, use_reentrant=reentrant)
    (gx,) = ag.grad(y, x, create_graph=True)
    got = ag.grad(gx.sum(), (x, w))
    for a, b in zip(got, want):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-13, atol=1e-15)
    ck = lambda a, b: checkpoint(fn, a, b, use_reentrant=False)   # noqa: E731
    assert ag.gradcheck(ck, (x, w)) and ag.gradgradcheck(ck, (x, w))


def test_second_order_matches_torch_non_reentrant():
    torch = pytest.importorskip("torch")
    x, w = f64(3, seed=3), f64(3, seed=4)
    tx, tw = as_torch(torch, x), as_torch(torch, w)
    (gx,) = ag.grad(checkpoint(lambda a: (a * w).exp().sum(), x, use_reentrant=False), x,
                    create_graph=True)
    (tgx,) = torch.autograd.grad(torch.utils.checkpoint.checkpoint(
        lambda a: (a * tw).exp().sum(), tx, use_reentrant=False), tx, create_graph=True)
    (gx * gx).sum().backward()
    (tgx * tgx).sum().backward()
    for a, b in ((x, tx), (w, tw)):
        np.testing.assert_allclose(a.grad.data, b.grad.numpy(), rtol=1e-12)


@BOTH
def test_hooks_run_once_and_nested_checkpoints(reentrant):
    x, w = f64(3, seed=1), f64(3, seed=2)
    calls = []
    w.register_hook(lambda g: calls.append(g.data.copy()))
    inner = lambda b: b.sin() * w   # noqa: E731
    y = checkpoint(lambda a: checkpoint(inner, a, use_reentrant=reentrant).exp(), x,
                   use_reentrant=reentrant)
    y.sum().backward()
    got = grads(x, w)
    inner(x).exp().sum().backward()
    assert_same(got, grads(x, w))
    assert len(calls) == 2   # once per backward, on the summed gradient
    np.testing.assert_array_equal(calls[0], calls[1])


def test_differentiating_inside_the_function_matches_torch():
    torch = pytest.importorskip("torch")

    def make(grad):
        def fn(a):
            (g,) = grad((a.sin() * a).sum(), a, create_graph=True)
            return (g * g).sum()
        return fn

    x = f64(3)
    tx = as_torch(torch, x)
    want = ag.grad(make(ag.grad)(x), x)[0].data
    checkpoint(make(ag.grad), x, use_reentrant=False).backward()
    np.testing.assert_array_equal(x.grad.data, want)
    torch.utils.checkpoint.checkpoint(make(torch.autograd.grad), tx, use_reentrant=False).backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-12)


def test_works_with_record_sites_anomaly_mode_and_check_tape():
    x, w = f64(3), f64(3, seed=1)
    with ag.record_sites(), ag.detect_anomaly():
        y = checkpoint(lambda a: (a * w).sin(), x * 2, use_reentrant=False).sum()
        y.backward(retain_graph=True)
    np.testing.assert_allclose(x.grad.data, 2 * w.data * np.cos(2 * x.data * w.data),
                               rtol=1e-14)
    assert ag.check_tape(y)


def test_identity_output_is_returned_as_is_like_torch():
    x = f64(3)
    assert checkpoint(lambda a: a, x, use_reentrant=False) is x
    y = checkpoint(lambda a: a, x, use_reentrant=True)   # a Function output
    assert y is not x and repr(y.grad_fn) == "<CheckpointFunctionBackward>"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.ones(3))


def test_context_fn_wraps_forward_and_recomputation():
    entered = []

    class Mark:
        def __init__(self, name):
            self.name = name

        def __enter__(self):
            entered.append(self.name)

        def __exit__(self, *exc):
            entered.append("/" + self.name)

    x = f64(3)
    y = checkpoint(lambda a: a.exp(), x, use_reentrant=False,
                   context_fn=lambda: (Mark("fwd"), Mark("re")))
    assert entered == ["fwd", "/fwd"]
    y.sum().backward()
    assert entered == ["fwd", "/fwd", "re", "/re"]


# ---- memory ------------------------------------------------------------------------------

@BOTH
def test_intermediates_are_not_kept_between_forward_and_backward(reentrant):
    x, w = f64(4, 3), f64(3, 3, seed=1)
    refs = []

    def block(a):
        h = (a @ w).tanh()
        h2 = (h @ w).exp()
        refs.extend(weakref.ref(o) for o in (h, h.data, h2.data, h2.grad_fn))
        return (h2 * h).sum(-1)

    y = block(x)   # the control: without checkpoint the graph keeps them
    assert all(r() is not None for r in refs)
    y.sum().backward()
    want = grads(x, w)
    del y
    refs.clear()
    y = checkpoint(block, x, use_reentrant=reentrant)
    assert len(refs) == 4 and all(r() is None for r in refs)
    y.sum().backward(retain_graph=True)   # recomputed ones go too, even retaining
    assert len(refs) == 8 and all(r() is None for r in refs)
    assert_same(grads(x, w), want)
    y.sum().backward()   # retained: a second backward recomputes again
    assert len(refs) == 12 and all(r() is None for r in refs)


# ---- errors and warnings -----------------------------------------------------------------

def test_use_reentrant_not_passed_warns_and_is_reentrant_like_torch():
    torch = pytest.importorskip("torch")
    x = f64(3)
    with pytest.warns(UserWarning, match="use_reentrant parameter should be passed"):
        y = checkpoint(ag.sin, x)
    with pytest.warns(UserWarning, match="use_reentrant parameter should be passed"):
        ty = torch.utils.checkpoint.checkpoint(torch.sin, as_torch(torch, x))
    assert repr(y.grad_fn) == "<CheckpointFunctionBackward>"
    assert type(ty.grad_fn).__name__ == "CheckpointFunctionBackward"
    with pytest.warns(UserWarning, match="checkpoint_sequential: the use_reentrant"):
        checkpoint_sequential([ag.sin], 1, x)


def test_bad_arguments_raise_like_torch():
    x = f64(3)

    def both(exc, match, **kw):
        assert_raises_like_torch(
            exc, match, lambda: checkpoint(lambda a, **k: a * 2, x, **kw),
            lambda torch: torch.utils.checkpoint.checkpoint(
                lambda a, **k: a * 2, torch.ones(3, requires_grad=True), **kw))

    both(ValueError, "Unexpected keyword arguments: s", s=2, use_reentrant=True)
    both(ValueError, "context_fn.*only supported when use_reentrant=False",
         use_reentrant=True, context_fn=lambda: (None, None))
    both(ValueError, "context_fn.*only supported when use_reentrant=False",
         use_reentrant=True, debug=True)
    both(ValueError, r"determinism_check should be one of \['default', 'none'\], but got "
         "always", use_reentrant=False, determinism_check="always")
    both(ValueError, "debug=True is incompatible with non-default context_fn",
         use_reentrant=False, debug=True, context_fn=lambda: (None, None))
    fns = [lambda t: t * 2] * 3
    for segments, exc, match in ((0, ZeroDivisionError, "segments must be a positive"),
                                 (4, ValueError, r"between 1 and the number of functions "
                                                 r"\(3\), got 4")):
        assert_raises_like_torch(
            exc, match,
            lambda s=segments: checkpoint_sequential(fns, s, x, use_reentrant=False),
            lambda torch, s=segments: torch.utils.checkpoint.checkpoint_sequential(
                fns, s, torch.ones(3, requires_grad=True), use_reentrant=False))
    assert_raises_like_torch(
        ValueError, "Unexpected keyword arguments: extra",
        lambda: checkpoint_sequential(fns, 1, x, use_reentrant=False, extra=1),
        lambda torch: torch.utils.checkpoint.checkpoint_sequential(
            fns, 1, torch.ones(3), use_reentrant=False, extra=1))


@BOTH
def test_backward_twice_needs_retain_graph(reentrant):
    x = f64(3)
    y = checkpoint(ag.exp, x, use_reentrant=reentrant).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()
    x.grad = None
    y = checkpoint(ag.exp, x, use_reentrant=reentrant).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad.data, 2 * np.exp(x.data))


@BOTH
def test_argument_modified_in_place_after_the_call_raises(reentrant):
    x = f64(3)
    h = x * 1
    y = checkpoint(ag.sin, h, use_reentrant=reentrant)
    h.mul_(2)
    assert_raises_like_torch(
        RuntimeError, r"modified by an in-place operation: argument 0 of "
                      r"Checkpoint(Function)?Backward, a tensor of shape \(3,\)",
        lambda: y.sum().backward(),
        lambda torch: _torch_modified_after(torch, reentrant))


def _torch_modified_after(torch, reentrant):
    h = torch.ones(3, requires_grad=True) * 1
    y = torch.utils.checkpoint.checkpoint(torch.sin, h, use_reentrant=reentrant)
    h.mul_(2)
    y.sum().backward()


def test_reentrant_without_any_recomputed_output_needing_grad_raises_like_torch():
    c = f64(3, requires_grad=False)
    assert_raises_like_torch(
        RuntimeError, "none of output has requires_grad=True",
        lambda: checkpoint(lambda a: c * 2, f64(3), use_reentrant=True).sum().backward(),
        lambda torch: torch.utils.checkpoint.checkpoint(
            lambda a: torch.ones(3) * 2, torch.ones(3, requires_grad=True),
            use_reentrant=True).sum().backward())


def _nondeterministic(x, w, grow):
    """A function whose recomputation sees other shapes (or does more ops) than its
    first call."""
    n = [0]

    def fn(a):
        n[0] += 1
        k = n[0] + 1
        out = (a[:k] * w[:k]).sin()
        if grow and n[0] > 1:
            out = out * 1.0
        return out.sum()
    return fn


def test_nondeterministic_recomputation_raises_checkpoint_error_like_torch():
    torch = pytest.importorskip("torch")
    x, w = f64(4), f64(4, seed=1)
    y = checkpoint(_nondeterministic(x, w, False), x, use_reentrant=False)
    with pytest.raises(CheckpointError, match=r"different metadata than during the "
                       r"forward pass.\noperation at position 0 \(GetItem\):\nsaved "
                       r"metadata: \(\{'shape': \(2,\), 'dtype': 'float64'\},\)") as info:
        y.backward()
    assert isinstance(info.value, RuntimeError) and "debug=True" in str(info.value)
    tx, tw = torch.ones(4, requires_grad=True), torch.ones(4)
    with pytest.raises(torch.utils.checkpoint.CheckpointError, match="different metadata"):
        torch.utils.checkpoint.checkpoint(_nondeterministic(tx, tw, False), tx,
                                          use_reentrant=False).backward()
    y = checkpoint(_nondeterministic(x, w, True), x, use_reentrant=False, debug=True)
    with pytest.raises(CheckpointError, match=r"a different number of operations") as info:
        y.backward()
    assert "Operations in the recomputation:\nGetItemBackward" in str(info.value)
    assert str(info.value).endswith("SinBackward\nMulBackward\nSumBackward")
    # not checked when asked not to, nor in the reentrant variant (as in PyTorch)
    for kw in ({"use_reentrant": False, "determinism_check": "none"},
               {"use_reentrant": True}):
        checkpoint(_nondeterministic(x, w, False), x, **kw).backward()
