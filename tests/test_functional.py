"""autograd.functional against closed forms, and against torch.autograd.functional."""
import numpy as np
import pytest

import autograd as ag
from autograd.functional import hessian, hvp, jacobian, jvp, vhp, vjp

RNG = np.random.default_rng(7)
A = RNG.standard_normal((3, 4))
S = RNG.standard_normal((4, 4))
X = RNG.standard_normal(4)
V4 = RNG.standard_normal(4)
V3 = RNG.standard_normal(3)


def t(a, requires_grad=False):
    return ag.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def linear(x):
    return t(A) @ x


def quadratic(x):
    return x @ (t(S) @ x)          # x^T S x: gradient (S + S^T) x, Hessian S + S^T


def nonlinear(x):
    return ag.sin(t(A) @ x) * (x * x).sum()


def test_jacobian_of_linear_map_is_its_matrix():
    J = jacobian(linear, t(X))
    assert J.shape == (3, 4) and not J.requires_grad
    np.testing.assert_allclose(J.data, A, atol=1e-12)


def test_hessian_of_quadratic_form():
    H = hessian(quadratic, t(X))
    np.testing.assert_allclose(H.data, S + S.T, atol=1e-12)


def test_jvp_is_J_v_and_vjp_is_v_J():
    x = t(X)
    J = jacobian(nonlinear, x).data
    out, jv = jvp(nonlinear, x, t(V4))
    np.testing.assert_allclose(out.data, nonlinear(t(X)).data)
    np.testing.assert_allclose(jv.data, J @ V4, atol=1e-12)
    out, vj = vjp(nonlinear, x, t(V3))
    np.testing.assert_allclose(vj.data, V3 @ J, atol=1e-12)
    assert x.grad is None   # nothing accumulates into the caller's tensors


def test_hvp_and_vhp_of_quadratic():
    out, hv = hvp(quadratic, t(X), t(V4))
    np.testing.assert_allclose(out.data, X @ S @ X)
    np.testing.assert_allclose(hv.data, (S + S.T) @ V4, atol=1e-12)
    _, vh = vhp(quadratic, t(X), t(V4))
    np.testing.assert_allclose(vh.data, V4 @ (S + S.T), atol=1e-12)


def test_tuple_inputs_and_outputs_are_nested_like_pytorch():
    a, b = t([1.0, 2.0]), t([3.0, -1.0, 0.5])

    def f(a, b):
        return a[:, None] * b, (a * a).sum()

    (Jab, Jbb), (Jsa, Jsb) = jacobian(f, (a, b))
    assert Jab.shape == (2, 3, 2) and Jbb.shape == (2, 3, 3)
    assert Jsa.shape == (2,) and Jsb.shape == (3,)
    np.testing.assert_allclose(Jsa.data, 2 * a.data)
    np.testing.assert_array_equal(Jsb.data, 0.0)                # independent: zeros
    np.testing.assert_allclose(Jab.data[1, 2, 1], b.data[2])
    H = hessian(lambda a, b: (a * a).sum() * b.sum(), (a, b))
    assert [[h.shape for h in row] for row in H] == [[(2, 2), (2, 3)], [(3, 2), (3, 3)]]
    np.testing.assert_allclose(H[0][0].data, 2 * b.data.sum() * np.eye(2))
    np.testing.assert_allclose(H[0][1].data, np.repeat(2 * a.data[:, None], 3, 1))
    outs, jvs = jvp(f, (a, b), (t([1.0, 0.0]), t([0.0, 0.0, 1.0])))
    np.testing.assert_allclose(jvs[1].data, 2 * a.data[0])
    _, vjs = vjp(f, (a, b), (t(np.ones((2, 3))), t(1.0)))
    np.testing.assert_allclose(vjs[0].data, b.data.sum() + 2 * a.data)


def test_create_graph_results_are_differentiable():
    x = t(X, requires_grad=True)
    J = jacobian(lambda x: x ** 3, x, create_graph=True)
    assert J.requires_grad
    (g,) = ag.grad(J.sum(), x)
    np.testing.assert_allclose(g.data, 6 * X)
    _, jv = jvp(lambda x: x ** 3, x, t(V4), create_graph=True)
    (g,) = ag.grad(jv.sum(), x)
    np.testing.assert_allclose(g.data, 6 * X * V4)
    _, hv = hvp(lambda x: (x ** 3).sum(), x, t(V4), create_graph=True)
    (g,) = ag.grad(hv.sum(), x)
    np.testing.assert_allclose(g.data, 6 * V4)


def test_strict_mode_raises_on_independence():
    a, b = t([1.0, 2.0]), t([3.0])
    with pytest.raises(RuntimeError, match="independent of input 1.*strict"):
        jacobian(lambda a, b: a * 2, (a, b), strict=True)
    with pytest.raises(RuntimeError, match="does not require gradients"):
        vjp(lambda a: ag.tensor([1.0]), a, t([1.0]), strict=True)
    with pytest.raises(RuntimeError, match="input 0 is independent of the input.*strict"):
        hessian(lambda a: a.sum(), a, strict=True)  # linear: its gradient is constant


def test_outputs_that_do_not_require_grad_give_zero_blocks():
    x, y, c = t([1.0, 2.0]), t([3.0, 4.0, 5.0]), t([1.0, 2.0, 3.0])
    for J, shape in [(jacobian(lambda a: c * 1, x), (3, 2)),
                     (jacobian(lambda a: (a ** 2).detach(), x), (2, 2)),
                     (jacobian(lambda a: c * 1, x, create_graph=True), (3, 2)),
                     (hessian(lambda a: a.sum(), x), (2, 2))]:
        assert J.shape == shape and J.dtype == ag.float64 and not J.data.any()
    J = jacobian(lambda a: (a * 2, c), x)
    assert J[0].data.tolist() == [[2.0, 0.0], [0.0, 2.0]] and J[1].shape == (3, 2)
    assert not J[1].data.any()
    (hxx, hxy), (hyx, hyy) = hessian(lambda a, b: (a * a).sum(), (x, y))
    assert hxx.data.tolist() == [[2.0, 0.0], [0.0, 2.0]]
    assert hxy.shape == (2, 3) and hyx.shape == (3, 2) and hyy.shape == (3, 3)
    assert not (hxy.data.any() or hyx.data.any() or hyy.data.any())


def test_argument_errors():
    x = t(X)
    with pytest.raises(TypeError, match="jacobian: the inputs must be either a Tensor"):
        jacobian(linear, [X])
    with pytest.raises(RuntimeError,
                       match=r"v has invalid size: should be \(3,\) but got \(4,\)"):
        vjp(linear, x, t(V4))
    with pytest.raises(RuntimeError, match="v can only be None"):
        vjp(linear, x)
    with pytest.raises(RuntimeError, match="single element"):
        hessian(linear, x)
    with pytest.raises(NotImplementedError, match="forward-mode"):
        jacobian(linear, x, strategy="forward-mode")


def test_integer_inputs_raise_runtime_error_as_torch():
    a = ag.tensor([1, 2])
    calls = {
        "jacobian": lambda m, x: m.jacobian(lambda u: u * 2, x),
        "hessian": lambda m, x: m.hessian(lambda u: u.sum(), x),
        "vjp": lambda m, x: m.vjp(lambda u: u * 2, x, x),
        "jvp": lambda m, x: m.jvp(lambda u: u * 2, x, x),
        "hvp": lambda m, x: m.hvp(lambda u: u.sum(), x, x),
        "vhp": lambda m, x: m.vhp(lambda u: u.sum(), x, x),
    }
    import autograd.functional as ours
    for name, call in calls.items():
        with pytest.raises(RuntimeError, match=rf"{name}: input 0 has dtype int64; only "
                                               rf"Tensors of floating point dtype"):
            call(ours, a)
    torch = pytest.importorskip("torch")
    for call in calls.values():
        with pytest.raises(RuntimeError, match="only Tensors of floating point dtype"):
            call(torch.autograd.functional, torch.tensor([1, 2]))


def test_lists_are_not_tuples_of_tensors_as_in_torch():
    x = t(X)
    two = lambda p, q: p * q  # noqa: E731
    cases = [
        (lambda m, x: m.jacobian(two, [x, x]), "jacobian: the inputs"),
        (lambda m, x: m.jacobian(lambda p: [p * 2], x),
         "jacobian: the outputs of the user-provided function"),
        (lambda m, x: m.hessian(lambda p, q: (p * q).sum(), [x, x]), "hessian: the inputs"),
        (lambda m, x: m.vjp(lambda p: p * 2, x, [x]), "vjp: the v"),
        (lambda m, x: m.vjp(lambda p: [p * 2], x, x), "vjp: the outputs"),
        (lambda m, x: m.jvp(lambda p: p * 2, [x], [x]), "jvp: the inputs"),
    ]
    import autograd.functional as ours
    for call, msg in cases:
        with pytest.raises(TypeError, match=msg + ".*must be either a Tensor or a tuple of "
                                                  "Tensors.*has type list"):
            call(ours, x)
    torch = pytest.importorskip("torch")
    for call, _ in cases:
        with pytest.raises(TypeError, match="must be either a Tensor or a tuple of Tensors"):
            call(torch.autograd.functional, torch.tensor(X))


def test_grad_outputs_must_be_tensors_as_in_torch():
    # (autograd.grad/backward, the engine under these transforms)
    x = t(X, requires_grad=True)
    for go in ([1.0], [np.float64(1.0)], [np.ones(())]):
        with pytest.raises(TypeError, match=r"grad: gradients can be either Tensors or None, "
                                            r"but got (float|float64|ndarray) \(grad_outputs"):
            ag.grad((x * 2).sum(), x, grad_outputs=go)
    with pytest.raises(TypeError, match=r"backward: gradients can be either Tensors or None, "
                                        r"but got float \(grad_tensors\[0\]"):
        ag.backward([(x * 2).sum()], [1.0])
    with pytest.raises(TypeError, match="got ndarray"):
        (x * 2).backward(np.ones(4))
    assert x.grad is None
    (g,) = ag.grad((x * 2).sum(), x, grad_outputs=[ag.tensor(3.0, dtype=ag.float64)])
    np.testing.assert_allclose(g.data, 6.0)
    torch = pytest.importorskip("torch")
    tx = torch.tensor(X, requires_grad=True)
    for go in ([1.0], [np.ones(())]):
        with pytest.raises(TypeError, match="gradients can be either Tensors or None"):
            torch.autograd.grad((tx * 2).sum(), tx, grad_outputs=go)
    with pytest.raises(TypeError, match="gradients can be either Tensors or None"):
        torch.autograd.backward([(tx * 2).sum()], [1.0])


def test_matches_torch_functional():
    torch = pytest.importorskip("torch")
    TF = torch.autograd.functional

    def ours(a, b):
        return ag.tanh(a[:, None] * b).sum(-1) * a, (ag.sin(a).sum() * b ** 2)

    def theirs(a, b):
        return torch.tanh(a[:, None] * b).sum(-1) * a, (torch.sin(a).sum() * b ** 2)

    def scalar_ours(a, b):
        return (ag.exp(a[:, None] * b) * b).sum()

    def scalar_theirs(a, b):
        return (torch.exp(a[:, None] * b) * b).sum()

    a, b = RNG.standard_normal(3), RNG.standard_normal(2)
    xs, txs = (t(a), t(b)), (torch.tensor(a), torch.tensor(b))

    def same(x, y):
        if isinstance(y, tuple):
            assert isinstance(x, tuple) and len(x) == len(y)
            for p, q in zip(x, y):
                same(p, q)
        else:
            np.testing.assert_allclose(x.data, y.detach().numpy(), rtol=1e-10, atol=1e-12)

    same(jacobian(ours, xs), TF.jacobian(theirs, txs))
    same(jacobian(lambda a: ours(a, xs[1])[0], xs[0]),
         TF.jacobian(lambda a: theirs(a, txs[1])[0], txs[0]))
    same(hessian(scalar_ours, xs), TF.hessian(scalar_theirs, txs))
    vin = (RNG.standard_normal(3), RNG.standard_normal(2))
    vout = (RNG.standard_normal(3), RNG.standard_normal(2))
    tv = lambda vs: tuple(torch.tensor(v) for v in vs)  # noqa: E731
    ov = lambda vs: tuple(t(v) for v in vs)  # noqa: E731
    same(vjp(ours, xs, ov(vout)), TF.vjp(theirs, txs, tv(vout)))
    same(jvp(ours, xs, ov(vin)), TF.jvp(theirs, txs, tv(vin)))
    same(hvp(scalar_ours, xs, ov(vin)), TF.hvp(scalar_theirs, txs, tv(vin)))
    same(vhp(scalar_ours, xs, ov(vin)), TF.vhp(scalar_theirs, txs, tv(vin)))
