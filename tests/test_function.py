"""Custom autograd.Function: forward/backward, ctx, several inputs and outputs,
double backward, version checks, freed buffers, errors naming the Function, no leaks."""
import gc
import weakref

import numpy as np
import pytest

import autograd as ag
from autograd import Function, once_differentiable


def f64(*values, requires_grad=True):
    return ag.tensor(np.array(values, dtype=np.float64), requires_grad=requires_grad)


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x * x


class Exp(Function):
    """Saves its output (the classic source of reference cycles)."""

    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        ctx.y_attr = y   # an output kept on ctx outside save_for_backward
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y


def torch_cube(torch):
    """PyTorch's version of the Cube Function used here."""
    class TorchCube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x ** 2
    return TorchCube


def test_forward_backward_and_repr():
    x = f64(1.0, -2.0, 0.5)
    y = Cube.apply(x)
    assert repr(y.grad_fn) == "<CubeBackward>"
    assert type(y.grad_fn).__name__ == "CubeBackward"
    np.testing.assert_allclose(y.data, x.data ** 3)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, 3 * x.data ** 2)


def test_double_backward_through_custom_function():
    x = f64(1.0, -2.0, 0.5)
    (g,) = ag.grad(Cube.apply(x).sum(), x, create_graph=True)
    (h,) = ag.grad(g.sum(), x)
    np.testing.assert_allclose(h.data, 6 * x.data)
    # a saved output is connected to the node again, so e^x differentiates forever
    x = f64(0.3, -1.0)
    (g,) = ag.grad(Exp.apply(x).sum(), x, create_graph=True)
    (h,) = ag.grad(g.sum(), x, create_graph=True)
    (k,) = ag.grad(h.sum(), x)
    np.testing.assert_allclose(k.data, np.exp(x.data))


def test_several_inputs_outputs_constants_and_kwargs():
    class AffineSplit(Function):
        @staticmethod
        def forward(ctx, a, b, scale, *, shift=0.0):
            ctx.save_for_backward(a, b)
            ctx.scale = scale
            return a * b * scale + shift, a - b

        @staticmethod
        def backward(ctx, g1, g2):
            a, b = ctx.saved_tensors
            return g1 * b * ctx.scale + g2, g1 * a * ctx.scale - g2, None

    a, b = f64(1.0, 2.0), f64(3.0, -1.0)
    p, q = AffineSplit.apply(a, b, 2.0, shift=1.0)
    np.testing.assert_allclose(p.data, [7.0, -3.0])
    assert p.grad_fn is q.grad_fn and p._out_idx == 0 and q._out_idx == 1
    (p.sum() + 3 * q.sum()).backward()
    np.testing.assert_allclose(a.grad.data, 2 * b.data + 3)
    np.testing.assert_allclose(b.grad.data, 2 * a.data - 3)
    assert ag.gradcheck(lambda a, b: AffineSplit.apply(a, b, 2.0), (a, b))


def test_needs_input_grad_and_forward_runs_without_recording():
    seen = {}

    class Probe(Function):
        @staticmethod
        def forward(ctx, x, y, n):
            seen["needs"] = ctx.needs_input_grad
            seen["grad_mode"] = ag.is_grad_enabled()
            seen["x_out"] = (x * 2).requires_grad
            return x * y * n

        @staticmethod
        def backward(ctx, g):
            return g, None, None

    out = Probe.apply(f64(1.0), f64(2.0, requires_grad=False), 3)
    assert seen == {"needs": (True, False, False), "grad_mode": False, "x_out": False}
    assert out.grad_fn.needs_input_grad == (True, False, False)
    with ag.no_grad():
        out = Probe.apply(f64(1.0), f64(2.0), 3)
    assert out.grad_fn is None and not out.requires_grad
    assert seen["needs"] == (True, True, False)   # each input's requires_grad, as torch


def test_needs_input_grad_under_no_grad_matches_torch():
    torch = pytest.importorskip("torch")
    seen = []

    def probe(base):
        class Probe(base):
            @staticmethod
            def forward(ctx, x, y):
                seen.append(tuple(ctx.needs_input_grad))
                return x * y

            @staticmethod
            def backward(ctx, g):
                return g, g
        return Probe

    with ag.no_grad():
        probe(Function).apply(f64(1.0), f64(2.0, requires_grad=False))
    with torch.no_grad():
        probe(torch.autograd.Function).apply(torch.ones(1, requires_grad=True), torch.ones(1))
    assert seen == [(True, False), (True, False)]


def test_unused_output_gets_zeros_or_none():
    got = {}

    class Two(Function):
        @staticmethod
        def forward(ctx, x, materialize):
            ctx.set_materialize_grads(materialize)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            got["g2"] = g2
            return g1 * 2 + (0 if g2 is None else g2 * 3), None

    x = f64(1.0, 2.0)
    Two.apply(x, True)[0].sum().backward()
    np.testing.assert_array_equal(got["g2"].data, [0.0, 0.0])
    np.testing.assert_allclose(x.grad.data, [2.0, 2.0])
    Two.apply(x, False)[0].sum().backward()
    assert got["g2"] is None


def test_non_differentiable_outputs():
    class ArgMaxAndMax(Function):
        @staticmethod
        def forward(ctx, x):
            i = np.argmax(x.data)
            ctx.i, ctx.shape = i, x.shape
            mask = ag.tensor((x.data == x.data.max()).astype(np.float64))
            ctx.mark_non_differentiable(mask)
            return x.data.max(), ag.tensor(i), mask

        @staticmethod
        def backward(ctx, g, g_idx, g_mask):
            assert g_idx is None or g_idx.dtype.kind == "i" or g_idx.data.sum() == 0
            out = ag.zeros(ctx.shape, dtype=ag.float64)
            out[ctx.i] = g
            return out

    x = f64(1.0, 5.0, 2.0)
    m, i, mask = ArgMaxAndMax.apply(x)
    assert m.requires_grad and not i.requires_grad and not mask.requires_grad
    assert i.item() == 1 and m.item() == 5.0   # forward may return plain ndarrays/scalars
    m.backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 1.0, 0.0])


def test_backward_may_return_ndarrays_and_broadcast_shapes_are_summed():
    class AddBias(Function):
        @staticmethod
        def forward(ctx, x, b):
            return x.data + b.data

        @staticmethod
        def backward(ctx, g):
            return g.data, g.data    # (2, 3) for b of shape (3,): summed, as PyTorch does

    x = ag.tensor(np.ones((2, 3)), requires_grad=True)
    b = ag.tensor(np.zeros(3), requires_grad=True)
    AddBias.apply(x, b).sum().backward()
    np.testing.assert_array_equal(b.grad.data, [2.0, 2.0, 2.0])
    assert b.grad.shape == (3,)


def test_gradient_cast_to_input_dtype():
    class Half(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 0.5

        @staticmethod
        def backward(ctx, g):
            return g.to(ag.float64) * 0.5

    x = ag.tensor([1.0, 2.0], requires_grad=True)   # float32
    Half.apply(x).sum().backward()
    assert x.grad.dtype == np.float32


def test_wrong_number_of_gradients_names_the_function():
    class TooFew(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(RuntimeError, match=r"TooFewBackward.*incorrect number of gradients "
                                           r"\(expected 2.*got 1\)"):
        TooFew.apply(f64(1.0), f64(2.0)).backward()

    class ExtraNones(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2, None, None      # trailing Nones are dropped, as in PyTorch

    x = f64(1.0)
    ExtraNones.apply(x).backward()
    assert x.grad.item() == 2.0


def test_wrong_gradient_shape_names_function_input_and_both_shapes():
    class BadShape(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return g, g[:1]

    x, y = ag.tensor(np.ones((2, 3)), requires_grad=True), ag.tensor(np.ones((2, 3)),
                                                                      requires_grad=True)
    with pytest.raises(ValueError, match=r"BadShapeBackward.*input 1.*\(1, 3\).*\(2, 3\)"):
        BadShape.apply(x, y).sum().backward()
    with pytest.raises(RuntimeError):   # ShapeError is also a RuntimeError, like PyTorch's
        BadShape.apply(x, y).sum().backward()


def test_gradient_for_a_non_tensor_input_is_an_error():
    class Scale(Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g * 2, g

    with pytest.raises(RuntimeError, match="ScaleBackward.*input 1.*not a Tensor.*float"):
        Scale.apply(f64(1.0), 2.0).backward()


def test_backward_returning_a_non_tensor_raises_runtime_error_as_torch():
    def returning(base, make):
        class Ret(base):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return make(g)
        return Ret

    makes = {"str": lambda g: "oops", "list": lambda g: [g * 2], "float": lambda g: 2.0,
             "int": lambda g: 2}
    for name, make in makes.items():
        for x in (f64(1.0).reshape(()), f64(1.0, 2.0)):
            with pytest.raises(RuntimeError, match=rf"RetBackward returned a {name} as the "
                                                   rf"gradient for input 0: expected "
                                                   rf"Variable or None \(got {name}\)"):
                returning(Function, make).apply(x).sum().backward()
            assert x.grad is None
    torch = pytest.importorskip("torch")
    for name, make in makes.items():
        x = torch.tensor(1.0, requires_grad=True)
        with pytest.raises(RuntimeError, match=rf"expected Variable or None \(got {name}\)"):
            returning(torch.autograd.Function, make).apply(x).backward()


def test_grad_fn_saved_tensors_as_torch():
    x = f64(1.0, 2.0)
    y = Cube.apply(x)
    (s,) = y.grad_fn.saved_tensors
    assert s is x
    z = Exp.apply(x)               # a saved output comes back connected to the node
    (s,) = z.grad_fn.saved_tensors
    np.testing.assert_allclose(s.data, z.data)
    assert s.grad_fn is z.grad_fn
    y.sum().backward()
    with pytest.raises(RuntimeError, match="CubeBackward.*retain_graph=True"):
        y.grad_fn.saved_tensors
    torch = pytest.importorskip("torch")

    TorchCube = torch_cube(torch)

    tx = torch.ones(2, requires_grad=True)
    ty = TorchCube.apply(tx)
    assert ty.grad_fn.saved_tensors[0] is tx
    ty.sum().backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        ty.grad_fn.saved_tensors


def test_saved_input_modified_in_place_raises():
    x = f64(1.0, 2.0)
    h = x * 1           # a non-leaf, so it may be changed in place
    y = Cube.apply(h)
    with ag.no_grad():
        h.mul_(2)
    with pytest.raises(RuntimeError, match=r"modified by an in-place operation.*saved tensor 0"
                                           r".*CubeBackward"):
        y.sum().backward()


def test_saved_output_modified_in_place_raises():
    y = Exp.apply(f64(1.0, 2.0))
    with ag.no_grad():
        y.add_(1)
    with pytest.raises(RuntimeError, match=r"output 0\) of ExpBackward"):
        y.sum().backward()


def test_second_backward_after_release_suggests_retain_graph():
    x = f64(1.0, 2.0)
    y = Cube.apply(x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.data, 2 * 3 * x.data ** 2)
    with pytest.raises(RuntimeError, match="CubeBackward.*retain_graph=True"):
        y.backward()


def test_no_reference_cycle_through_saved_outputs():
    gc.collect()
    gc.disable()
    try:
        x = f64(1.0, 2.0)
        y = Exp.apply(x)
        node, out = weakref.ref(y.grad_fn), weakref.ref(y)
        ctx = weakref.ref(y.grad_fn._ctx)
        y.sum().backward(retain_graph=True)
        del y
        # freed by reference counting alone: no cycle node -> ctx -> output -> node
        assert node() is None and out() is None and ctx() is None
    finally:
        gc.enable()


def test_once_differentiable_raises_on_double_backward():
    class NumpySin(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return np.sin(x.data)

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g.data * np.cos(x.data)

    x = f64(0.0, 1.0)
    (g,) = ag.grad(NumpySin.apply(x).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.data, np.cos(x.data))
    with pytest.raises(RuntimeError, match="differentiate twice.*NumpySinBackward"):
        ag.grad(g.sum(), x)


def test_setup_context_style():
    class Square(Function):
        @staticmethod
        def forward(x):
            return x * x

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = f64(3.0)
    Square.apply(x).backward()
    assert x.grad.item() == 6.0


def test_function_is_not_instantiated():
    with pytest.raises(RuntimeError, match="apply"):
        Cube()


def test_save_for_backward_rejects_non_tensors():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, 3)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(TypeError, match="argument 1 is a int"):
        Bad.apply(f64(1.0))


class Double_(Function):
    """Doubles its input in place (declared with mark_dirty)."""

    @staticmethod
    def forward(ctx, x):
        ctx.mark_dirty(x)
        ctx.save_for_backward(x)
        x.mul_(2)
        return x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 2


def test_mark_dirty_rebases_the_input_in_place():
    a = f64(1.0, 2.0)
    b = a * 1
    out = Double_.apply(b)
    assert out is b and b.grad_fn is not None and type(b.grad_fn).__name__ == "Double_Backward"
    assert b._version == 2                       # mul_ and mark_dirty, as in PyTorch
    assert b.data.tolist() == [2.0, 4.0]
    (b * b).sum().backward()                     # through the saved (dirty) input
    assert a.grad.data.tolist() == [8.0, 16.0]   # d(4a^2)/da
    c = f64(1.0, requires_grad=False)
    assert Double_.apply(c) is c and c._version == 2 and c.grad_fn is None


def test_mark_dirty_errors():
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        Double_.apply(f64(1.0))

    class NotReturned(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.mark_dirty(x)
            x.add_(1)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(RuntimeError, match="dirty.*not returned"):
        NotReturned.apply(f64(1.0) * 1)
    with pytest.raises(RuntimeError, match="mark_dirty.*view"):
        Double_.apply((f64(1.0, 2.0) * 1)[:1])
    a = f64(1.0)
    b = a * 3
    y = b * b                                    # saves b
    Double_.apply(b)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward()


def test_mark_dirty_matches_torch():
    torch = pytest.importorskip("torch")

    class TorchDouble_(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.mark_dirty(x)
            return x.mul_(2)

        @staticmethod
        def backward(ctx, g):
            return g * 2

    ta = torch.tensor([1.0, -2.0], dtype=torch.float64, requires_grad=True)
    tb = ta * 3
    TorchDouble_.apply(tb)
    (tb ** 3).sum().backward()
    a = f64(1.0, -2.0)
    b = a * 3
    Double_.apply(b)
    (b ** 3).sum().backward()
    np.testing.assert_allclose(b.data, tb.detach().numpy())
    np.testing.assert_allclose(a.grad.data, ta.grad.numpy())


def test_matches_torch_custom_function():
    torch = pytest.importorskip("torch")

    TorchCube = torch_cube(torch)

    a = np.array([0.5, -1.5, 2.0])
    tx = torch.tensor(a, requires_grad=True)
    (tg,) = torch.autograd.grad(TorchCube.apply(tx).sum(), tx, create_graph=True)
    (th,) = torch.autograd.grad((tg * tg).sum(), tx)
    x = f64(*a)
    (g,) = ag.grad(Cube.apply(x).sum(), x, create_graph=True)
    (h,) = ag.grad((g * g).sum(), x)
    np.testing.assert_allclose(g.data, tg.detach().numpy())
    np.testing.assert_allclose(h.data, th.numpy())
