"""nn layers: gradients vs finite differences (float64), PyTorch parity, Module
behaviour, and the errors for bad input."""
from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import autograd as ag
import nn
from nn import functional as F

RNG = np.random.default_rng(0)


def numeric_grad(scalar, arrays, eps=1e-6):
    """Central differences of scalar(*arrays) (float64 arrays) w.r.t. each array."""
    grads = []
    for i, a in enumerate(arrays):
        g = np.zeros_like(a)
        for j in range(a.size):
            vals = []
            for delta in (eps, -eps):
                xs = [b.copy() for b in arrays]
                xs[i].reshape(-1)[j] += delta
                with ag.no_grad():
                    vals.append(scalar(*[ag.tensor(x, dtype=ag.float64) for x in xs]).item())
            g.reshape(-1)[j] = (vals[0] - vals[1]) / (2 * eps)
        grads.append(g)
    return grads


# ---- gradients of whole layers vs finite differences ---------------------------------

def check_layer_grads(layer, x, *, int_input=False, atol=1e-6, rtol=1e-5):
    """d sum(layer(x) * u) / d(input and every parameter) vs central differences (float64)."""
    layer.double()
    names, params = zip(*layer.named_parameters()) if list(layer.parameters()) else ((), ())
    xt = ag.tensor(x) if int_input else ag.tensor(x, dtype=ag.float64, requires_grad=True)
    out = layer(xt)
    u = ag.tensor(RNG.standard_normal(out.shape))
    (out * u).sum().backward()

    def scalar(*arrays):
        k = 0 if int_input else 1
        with ag.no_grad():
            saved = [p.data for p in params]
            for p, a in zip(params, arrays[k:]):
                p.data = a.data
            try:
                return (layer(ag.tensor(x) if int_input else arrays[0]) * u).sum()
            finally:
                for p, s in zip(params, saved):
                    p.data = s

    arrays = ([] if int_input else [np.asarray(x, dtype=np.float64)]) + [p.data.copy()
                                                                        for p in params]
    numeric = numeric_grad(scalar, arrays)
    analytic = ([] if int_input else [xt.grad.data]) + [p.grad.data for p in params]
    labels = ([] if int_input else ["input"]) + list(names)
    for label, a, n in zip(labels, analytic, numeric):
        np.testing.assert_allclose(a, n, atol=atol, rtol=rtol,
                                   err_msg=f"{type(layer).__name__}: gradient of {label}")


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4), (4,)])
def test_linear_gradients(shape):
    check_layer_grads(nn.Linear(4, 3), RNG.standard_normal(shape))


def test_linear_without_bias_gradients():
    lin = nn.Linear(4, 2, bias=False)
    assert lin.bias is None and [n for n, _ in lin.named_parameters()] == ["weight"]
    check_layer_grads(lin, RNG.standard_normal((3, 4)))


@pytest.mark.parametrize("activation", [None, "relu", "tanh", "sigmoid", "softmax"])
def test_dense_gradients(activation):
    check_layer_grads(nn.Dense(3, activation=activation, input_dim=4),
                      RNG.standard_normal((5, 4)) + 0.01)


def test_layer_norm_gradients():
    ln = nn.LayerNorm((3, 4))
    with ag.no_grad():   # non-trivial affine parameters
        ln.weight.data[...] = RNG.standard_normal((3, 4))
        ln.bias.data[...] = RNG.standard_normal((3, 4))
    check_layer_grads(ln, RNG.standard_normal((2, 3, 4)))


@pytest.mark.parametrize("cls,shape", [(nn.BatchNorm1d, (5, 3)), (nn.BatchNorm1d, (4, 3, 2)),
                                       (nn.BatchNorm2d, (2, 3, 2, 2))])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradients(cls, shape, training):
    bn = cls(3)
    with ag.no_grad():
        bn.weight.data[...] = RNG.standard_normal(3)
        bn.bias.data[...] = RNG.standard_normal(3)
        bn.running_mean.data[...] = RNG.standard_normal(3)
        bn.running_var.data[...] = RNG.uniform(0.5, 2, 3)
    bn.train(training)
    check_layer_grads(bn, RNG.standard_normal(shape))


def test_embedding_gradients_accumulate_repeats():
    emb = nn.Embedding(5, 3)
    check_layer_grads(emb, np.array([[0, 2, 2], [4, 2, 1]]), int_input=True)
    assert np.allclose(emb.weight.grad.data[3], 0)  # an unused row gets zero


def test_embedding_padding_idx_row_is_zero_and_gets_no_gradient():
    emb = nn.Embedding(6, 2, padding_idx=-1)
    assert emb.padding_idx == 5
    assert np.all(emb.weight.data[5] == 0) and np.any(emb.weight.data[:5] != 0)
    with ag.no_grad():
        emb.weight.data[5] = 7.0    # a non-zero padding row is still looked up
    idx = np.array([[5, 1], [1, 5]])
    out = emb(idx)
    assert np.all(out.data[0, 0] == 7.0)
    (out * ag.tensor(np.arange(8.0, dtype=np.float32).reshape(2, 2, 2))).sum().backward()
    g = emb.weight.grad.data
    assert np.all(g[5] == 0)
    np.testing.assert_allclose(g[1], [2 + 4, 3 + 5])


def test_dropout_and_flatten_gradients():
    ag.manual_seed(3)
    drop = nn.Dropout(0.5)
    x = ag.tensor(RNG.standard_normal((4, 6)), requires_grad=True)
    out = drop(x)
    out.sum().backward()
    kept = out.data != 0
    np.testing.assert_allclose(x.grad.data, np.where(kept, 2.0, 0.0))
    np.testing.assert_allclose(out.data[kept], 2 * x.data[kept])
    check_layer_grads(nn.Flatten(), RNG.standard_normal((2, 3, 2)))
    check_layer_grads(nn.Flatten(0, 1), RNG.standard_normal((2, 3, 2)))


# ---- behaviour ------------------------------------------------------------------------

def test_dropout_train_eval_and_scaling():
    ag.manual_seed(0)
    drop = nn.Dropout(0.3)
    x = ag.ones(200, 100)
    y = drop(x).data
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.7)}
    assert abs((y == 0).mean() - 0.3) < 0.02
    assert abs(y.mean() - 1.0) < 0.03            # inverted scaling keeps the expectation
    assert drop.eval()(x) is x                   # eval: identity
    assert np.all(nn.Dropout(1.0)(x).data == 0)
    ag.manual_seed(5)
    a = F.dropout(x, 0.5).data
    ag.manual_seed(5)
    np.testing.assert_array_equal(a, F.dropout(x, 0.5).data)  # seeded by manual_seed


def test_linear_default_init_matches_pytorch_bounds():
    ag.manual_seed(0)
    lin = nn.Linear(400, 300)
    bound = 1 / np.sqrt(400)
    for p in (lin.weight, lin.bias):
        assert p.dtype == np.float32
        assert np.abs(p.data).max() <= bound
        assert np.abs(p.data).max() > 0.95 * bound   # uniform over the whole range
    assert abs(lin.weight.data.std() - bound / np.sqrt(3)) < 0.01 * bound


def test_batch_norm_running_stats_and_eval():
    bn = nn.BatchNorm1d(2, momentum=0.25)
    xs = [RNG.standard_normal((6, 2)) * [1, 3] + [2, -1] for _ in range(3)]
    rm, rv = np.zeros(2), np.ones(2)
    for x in xs:
        out = bn(ag.tensor(x, dtype=ag.float32))
        np.testing.assert_allclose(out.data.mean(0), 0, atol=1e-5)
        rm = 0.75 * rm + 0.25 * x.mean(0)
        rv = 0.75 * rv + 0.25 * x.var(0, ddof=1)
    np.testing.assert_allclose(bn.running_mean.data, rm, rtol=1e-5)
    np.testing.assert_allclose(bn.running_var.data, rv, rtol=1e-5)
    assert int(bn.num_batches_tracked) == 3
    bn.eval()
    x = RNG.standard_normal((3, 2))
    np.testing.assert_allclose(bn(ag.tensor(x, dtype=ag.float32)).data,
                               (x - rm) / np.sqrt(rv + 1e-5), rtol=1e-4, atol=1e-5)
    assert int(bn.num_batches_tracked) == 3      # eval does not count


def test_batch_norm_cumulative_average_and_untracked():
    bn = nn.BatchNorm2d(3, momentum=None)
    xs = [RNG.standard_normal((2, 3, 2, 2)) for _ in range(4)]
    for x in xs:
        bn(ag.tensor(x, dtype=ag.float32))
    want = np.mean([x.mean((0, 2, 3)) for x in xs], 0)
    np.testing.assert_allclose(bn.running_mean.data, want, rtol=1e-5, atol=1e-6)
    free = nn.BatchNorm1d(2, track_running_stats=False).eval()
    assert free.running_mean is None and "running_mean" not in free.state_dict()
    x = RNG.standard_normal((5, 2))
    np.testing.assert_allclose(free(ag.tensor(x, dtype=ag.float32)).data, (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5),
                               rtol=1e-4, atol=1e-5)  # batch statistics even in eval


def test_dense_keras_style_builds_on_first_call():
    model = nn.Sequential([nn.Dense(25, activation="relu"), nn.Dense(15, activation="relu"),
                           nn.Dense(10)])
    assert list(model.parameters()) == []
    out = model(RNG.standard_normal((4, 64)))    # float64 NumPy input is cast
    assert out.shape == (4, 10) and out.dtype == np.float32
    assert [(k, v.shape) for k, v in model.state_dict().items()] == [
        ("0.weight", (25, 64)), ("0.bias", (25,)), ("1.weight", (15, 25)), ("1.bias", (15,)),
        ("2.weight", (10, 15)), ("2.bias", (10,))]
    assert np.all(model[0].bias.data == 0)
    hidden = model[0](ag.tensor(RNG.standard_normal((3, 64)), dtype=ag.float32))
    assert hidden.data.min() >= 0                 # relu applied


def test_dense_activation_forms():
    x = ag.tensor(RNG.standard_normal((3, 4)), dtype=ag.float32)
    lin = nn.Dense(5, input_dim=4)
    z = lin(x).data
    for act, fn in [("sigmoid", lambda z: 1 / (1 + np.exp(-z))), ("tanh", np.tanh),
                    ("softmax", lambda z: np.exp(z) / np.exp(z).sum(-1, keepdims=True)),
                    ("linear", lambda z: z), (lambda t: t * 2, lambda z: 2 * z)]:
        d = nn.Dense(5, activation=act, input_dim=4)
        d.load_state_dict(lin.state_dict())
        np.testing.assert_allclose(d(x).data, fn(z), rtol=1e-5, atol=1e-6, err_msg=str(act))
    with pytest.raises(ValueError, match="Dense: unknown activation 'rleu'"):
        nn.Dense(3, activation="rleu")


def test_dense_loads_state_dict_before_first_call():
    src = nn.Dense(3, input_dim=4)
    dst = nn.Sequential(nn.Dense(3))
    dst.load_state_dict({"0." + k: v for k, v in src.state_dict().items()})
    x = ag.randn(2, 4)
    np.testing.assert_allclose(dst(x).data, src(x).data)


def test_module_registration_rules():
    lin = nn.Linear(2, 3)
    with pytest.raises(TypeError, match="cannot assign Tensor as parameter 'weight'"):
        lin.weight = ag.zeros(3, 2)
    lin.bias = None                               # allowed: the name stays registered
    assert "bias" not in lin.state_dict() and "bias" in lin._parameters
    lin.bias = nn.Parameter(ag.zeros(3))
    assert list(lin.state_dict()) == ["weight", "bias"]
    bn = nn.BatchNorm1d(2)
    with pytest.raises(TypeError, match="buffer 'running_mean'"):
        bn.running_mean = np.zeros(2)
    bn.running_mean = ag.ones(2)
    assert np.all(bn.state_dict()["running_mean"].data == 1)


def test_module_to_double_and_hooks():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    model.double()
    assert all(t.dtype == np.float64 for t in model.state_dict().values()
               if t.dtype.kind == "f")
    assert model[1].num_batches_tracked.dtype == np.int64
    calls = []
    h = model[0].register_forward_hook(lambda m, args, out: calls.append(out.shape))
    model(ag.randn(5, 3, dtype=ag.float64))
    h.remove()
    model(ag.randn(5, 3, dtype=ag.float64))
    assert calls == [(5, 4)]


# ---- bad input --------------------------------------------------------------------------

def test_linear_wrong_in_features_names_layer_and_shapes():
    with pytest.raises(ValueError, match=r"Linear\(in_features=4, out_features=3.*\(\*, 4\).*"
                                         r"\(2, 5\)"):
        nn.Linear(4, 3)(ag.randn(2, 5))
    with pytest.raises(RuntimeError, match="linear: input dtype float64 and weight dtype float32"):
        nn.Linear(4, 3)(ag.randn(2, 4, dtype=ag.float64))
    with pytest.raises(ValueError, match=r"linear: input of shape \(2, 5\).*weight of shape "
                                         r"\(3, 4\)"):
        F.linear(ag.randn(2, 5), ag.randn(3, 4))


_MIXED = [  # (layer, input shape, PyTorch's exception type, name in the message)
    (lambda: nn.Linear(3, 2, bias=False), (2, 3), RuntimeError, "weight"),
    (lambda: nn.Conv1d(2, 3, 3), (2, 2, 8), RuntimeError, "weight"),
    (lambda: nn.Conv2d(2, 3, 3), (2, 2, 5, 5), RuntimeError, "weight"),
    (lambda: nn.BatchNorm1d(3), (4, 3), RuntimeError, "running_mean"),
    (lambda: nn.BatchNorm2d(3, track_running_stats=False), (4, 3, 2, 2), RuntimeError,
     "weight"),
    (lambda: nn.LayerNorm(3), (4, 3), RuntimeError, "weight"),
    (lambda: nn.PReLU(), (4, 3), RuntimeError, "weight"),
    (lambda: nn.RNN(3, 4), (5, 2, 3), ValueError, "weight_ih_l0"),
    (lambda: nn.LSTM(3, 4, batch_first=True), (2, 5, 3), ValueError, "weight_ih_l0"),
    (lambda: nn.GRU(3, 4), (5, 3), ValueError, "weight_ih_l0"),
    (lambda: nn.RNNCell(3, 4), (2, 3), RuntimeError, "weight_ih"),
    (lambda: nn.LSTMCell(3, 4), (2, 3), RuntimeError, "weight_ih"),
    (lambda: nn.GRUCell(3, 4), (3,), RuntimeError, "weight_ih"),
]


@pytest.mark.parametrize("make, shape, error, name", _MIXED)
@pytest.mark.parametrize("model_dtype, input_dtype", [(ag.float32, ag.float64),
                                                      (ag.float64, ag.float32)])
def test_layers_refuse_an_input_of_another_dtype(make, shape, error, name, model_dtype,
                                                 input_dtype):
    # PyTorch raises rather than promote (a float64 batch into a float32 model would
    # otherwise make every activation float64 unnoticed); the type is PyTorch's.
    layer = make().to(model_dtype)
    x = ag.randn(*shape, dtype=input_dtype)
    with pytest.raises(error, match=f"input dtype {np.dtype(input_dtype)} and {name} dtype "
                                    f"{np.dtype(model_dtype)} differ"):
        layer(x)
    out = layer(x.to(model_dtype))   # the same input in the model's dtype is fine
    assert (out[0] if isinstance(out, tuple) else out).dtype == model_dtype


def test_recurrent_states_must_match_the_input_dtype():
    x = ag.randn(5, 2, 3)
    with pytest.raises(RuntimeError, match="LSTM: input dtype float32 and c_0 dtype float64"):
        nn.LSTM(3, 4)(x, (ag.zeros(1, 2, 4), ag.zeros(1, 2, 4, dtype=ag.float64)))
    with pytest.raises(RuntimeError, match="GRUCell: input dtype float32 and hx dtype float64"):
        nn.GRUCell(3, 4)(x[0], ag.zeros(2, 4, dtype=ag.float64))


def test_other_layers_reject_bad_input():
    dense = nn.Dense(3)
    dense(ag.randn(2, 4))
    with pytest.raises(ValueError, match=r"Dense\(units=3, in_features=4.*\(2, 6\)"):
        dense(ag.randn(2, 6))
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3.*3 channels.*\(4, 2\)"):
        nn.BatchNorm1d(3)(ag.randn(4, 2))
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3.*2D or 3D input, got 4D"):
        nn.BatchNorm1d(3)(ag.randn(2, 3, 2, 2))
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3.*4D input, got 3D"):
        nn.BatchNorm2d(3)(ag.randn(2, 3, 2))
    with pytest.raises(ValueError, match="more than 1 value per channel when training"):
        nn.BatchNorm1d(3)(ag.randn(1, 3))
    with pytest.raises(ValueError, match=r"LayerNorm\(\(4,\).*\(\*, 4\).*\(2, 3\)"):
        nn.LayerNorm(4)(ag.randn(2, 3))
    with pytest.raises(RuntimeError,
                       match=r"embedding: expected integer \(int64\) indices, got dtype float32"):
        nn.Embedding(4, 2)(ag.randn(3))
    with pytest.raises(IndexError, match="embedding: index 4 is out of range for 4 embeddings"):
        nn.Embedding(4, 2)(np.array([0, 4]))
    with pytest.raises(ValueError, match="probability has to be between 0 and 1, but got 1.5"):
        nn.Dropout(1.5)


def test_load_state_dict_lists_missing_unexpected_and_mismatched():
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    sd = model.state_dict()
    bad = OrderedDict(sd)
    del bad["1.bias"]
    bad["0.weight"] = ag.zeros(5, 3)
    bad["extra.weight"] = ag.zeros(1)
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict(bad)
    msg = str(info.value)
    assert "Error(s) in loading state_dict for Sequential" in msg
    assert 'Missing key(s) in state_dict: "1.bias"' in msg
    assert 'Unexpected key(s) in state_dict: "extra.weight"' in msg
    assert "size mismatch for 0.weight: copying a param with shape (5, 3) from checkpoint, " \
           "the shape in current model is (4, 3)" in msg
    before = model[0].weight.data.copy()
    assert np.array_equal(model[0].weight.data, before)   # nothing loaded on error
    del bad["0.weight"]
    bad["0.weight"] = sd["0.weight"]
    result = model.load_state_dict(bad, strict=False)
    assert result.missing_keys == ["1.bias"] and result.unexpected_keys == ["extra.weight"]


# ---- PyTorch parity ---------------------------------------------------------------------

def _to_torch(torch, module, tmod):
    tmod.load_state_dict({k: torch.from_numpy(np.array(v.data))
                          for k, v in module.state_dict().items()})
    return tmod


def _compare(torch, ours, theirs, x, *, int_input=False, atol=1e-5):
    xo = ag.tensor(x) if int_input else ag.tensor(x, requires_grad=True)
    xt = torch.tensor(x) if int_input else torch.tensor(x, requires_grad=True)
    out_o, out_t = ours(xo), theirs(xt)
    np.testing.assert_allclose(out_o.data, out_t.detach().numpy(), atol=atol, rtol=1e-4)
    u = RNG.standard_normal(out_o.shape).astype(out_o.dtype)
    (out_o * ag.tensor(u)).sum().backward()
    (out_t * torch.tensor(u)).sum().backward()
    if not int_input:
        np.testing.assert_allclose(xo.grad.data, xt.grad.numpy(), atol=atol, rtol=1e-4)
    tparams = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.data, tparams[name].grad.numpy(), atol=atol,
                                   rtol=1e-4, err_msg=name)


def test_pytorch_parity_linear_and_mlp():
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((6, 5)).astype(np.float32)
    lin = nn.Linear(5, 3)
    _compare(torch, lin, _to_torch(torch, lin, torch.nn.Linear(5, 3)), x)
    # a Dense with an activation against torch's Linear + Tanh (keys 2.* -> 3.*)
    mlp = nn.Sequential(nn.Linear(5, 8), nn.Dense(8, activation="tanh", input_dim=8),
                        nn.Linear(8, 2))
    tmlp = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Linear(8, 8), torch.nn.Tanh(),
                               torch.nn.Linear(8, 2))
    tmlp.load_state_dict({k.replace("2.", "3."): torch.from_numpy(np.array(v.data))
                          for k, v in mlp.state_dict().items()})
    xo, xt = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_o, out_t = mlp(xo), tmlp(xt)
    np.testing.assert_allclose(out_o.data, out_t.detach().numpy(), atol=1e-5)
    F.cross_entropy(out_o, np.arange(6) % 2).backward()
    torch.nn.functional.cross_entropy(out_t, torch.arange(6) % 2).backward()
    np.testing.assert_allclose(xo.grad.data, xt.grad.numpy(), atol=1e-6)
    tp = dict(tmlp.named_parameters())
    for k, p in mlp.named_parameters():
        np.testing.assert_allclose(p.grad.data, tp[k.replace("2.", "3.")].grad.numpy(),
                                   atol=1e-6, err_msg=k)
    x3 = RNG.standard_normal((2, 3, 5)).astype(np.float32)   # leading dims
    lin.zero_grad()
    _compare(torch, lin, _to_torch(torch, lin, torch.nn.Linear(5, 3)), x3)


def test_pytorch_parity_layer_norm_and_embedding():
    torch = pytest.importorskip("torch")
    ln = nn.LayerNorm((3, 4))
    with ag.no_grad():
        ln.weight.data[...] = RNG.standard_normal((3, 4))
        ln.bias.data[...] = RNG.standard_normal((3, 4))
    _compare(torch, ln, _to_torch(torch, ln, torch.nn.LayerNorm((3, 4))),
             RNG.standard_normal((2, 3, 4)).astype(np.float32))
    emb = nn.Embedding(7, 3, padding_idx=2)
    idx = np.array([[2, 0, 6], [6, 6, 2]])
    _compare(torch, emb, _to_torch(torch, emb, torch.nn.Embedding(7, 3, padding_idx=2)), idx,
             int_input=True)


@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("dims", [2, 3, 4])
def test_pytorch_parity_batch_norm(momentum, dims):
    torch = pytest.importorskip("torch")
    shape = {2: (6, 3), 3: (4, 3, 5), 4: (2, 3, 4, 5)}[dims]
    cls, tcls = ((nn.BatchNorm2d, torch.nn.BatchNorm2d) if dims == 4
                 else (nn.BatchNorm1d, torch.nn.BatchNorm1d))
    bn = cls(3, momentum=momentum)
    with ag.no_grad():
        bn.weight.data[...] = RNG.standard_normal(3)
        bn.bias.data[...] = RNG.standard_normal(3)
    tbn = _to_torch(torch, bn, tcls(3, momentum=momentum))
    for _ in range(3):   # training steps: outputs, gradients, running statistics
        _compare(torch, bn, tbn, (RNG.standard_normal(shape) * 2 + 1).astype(np.float32))
    for k, v in tbn.state_dict().items():
        np.testing.assert_allclose(bn.state_dict()[k].data, v.numpy(), rtol=1e-5, atol=1e-6,
                                   err_msg=k)
    bn.eval(), tbn.eval()
    _compare(torch, bn, tbn, RNG.standard_normal(shape).astype(np.float32))


def test_one_hot_pad_and_from_pretrained():
    oh = F.one_hot(np.array([[0, 3], [1, 1]]))
    assert oh.dtype == np.int64 and oh.shape == (2, 2, 4)
    np.testing.assert_array_equal(oh.data[0], [[1, 0, 0, 0], [0, 0, 0, 1]])
    assert F.one_hot(ag.tensor([2]), num_classes=5).tolist() == [[0, 0, 1, 0, 0]]
    with pytest.raises(RuntimeError, match="one_hot: class value 5 is out of range for "
                                         "num_classes=5"):
        F.one_hot(np.array([5]), 5)
    with pytest.raises(RuntimeError, match="one_hot: class values must be non-negative"):
        F.one_hot(np.array([-1]))
    with pytest.raises(RuntimeError, match="one_hot: can not infer the number of classes"):
        F.one_hot(np.zeros(0, np.int64))
    for nc in (-2, 0):   # an empty tensor needs num_classes > 0 (PyTorch: RuntimeError)
        with pytest.raises(RuntimeError, match=f"one_hot: can not infer.*got {nc}"):
            F.one_hot(ag.tensor([], dtype=ag.int64), num_classes=nc)
    assert F.one_hot(ag.tensor([], dtype=ag.int64), num_classes=3).shape == (0, 3)
    assert F.pad is ag.pad
    table = ag.tensor(np.arange(6.0, dtype=np.float32).reshape(3, 2))
    emb = nn.Embedding.from_pretrained(table)
    assert not emb.weight.requires_grad and emb.weight.data is not table.data
    np.testing.assert_array_equal(emb(np.array([2, 0])).data, [[4, 5], [0, 1]])
    with pytest.raises(IndexError, match="embedding: index -1 is out of range"):
        emb(np.array([-1]))


@pytest.mark.parametrize("make", [
    lambda **kw: nn.Linear(2, 3, **kw), lambda **kw: nn.Conv2d(1, 2, 3, **kw),
    lambda **kw: nn.LSTM(3, 4, **kw), lambda **kw: nn.GRUCell(3, 4, **kw),
    lambda **kw: nn.PReLU(**kw), lambda **kw: nn.LayerNorm(3, **kw),
    lambda **kw: nn.BatchNorm1d(3, **kw), lambda **kw: nn.Embedding(4, 2, **kw),
])
def test_layers_take_the_default_dtype_and_a_cpu_device(make):
    assert {p.dtype for p in make(device="cpu").parameters()} == {np.dtype(np.float32)}
    previous = ag.get_default_dtype()
    ag.set_default_dtype(np.float64)
    try:
        assert {p.dtype for p in make().parameters()} == {np.dtype(np.float64)}
    finally:
        ag.set_default_dtype(previous)
    with pytest.raises(RuntimeError, match="only device='cpu'"):
        make(device="cuda")
    model = make()
    assert model.to("cpu") is model and model.to(device="cpu") is model
    with pytest.raises(RuntimeError, match="Module.to: only device='cpu'"):
        model.to("cuda")


def test_dense_converted_before_its_first_call_builds_in_that_dtype():
    layer = nn.Dense(3).double()
    out = layer(ag.ones(2, 4, dtype=ag.float64))
    assert layer.weight.dtype == np.float64 and out.dtype == np.float64


# ---- bug-bash: behaviour matched to PyTorch -----------------------------------------------

def test_pad_value_none_pads_with_zero_and_widths_must_be_ints():
    x = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    np.testing.assert_array_equal(F.pad(ag.tensor(x), (1, 1), value=None).data,
                                  np.pad(x, ((0, 0), (1, 1))))
    np.testing.assert_array_equal(F.pad(ag.tensor(x), (np.int64(1), 0), value=None).data,
                                  np.pad(x, ((0, 0), (1, 0))))
    for bad in ((1.5, 1), (1.0, 1), (True, 1)):
        with pytest.raises(TypeError, match=f"pad: .*tuple of ints.*{type(bad[0]).__name__}"):
            F.pad(ag.tensor(x), bad)
    with pytest.raises(TypeError, match="pad: .*tuple of ints, not int"):
        F.pad(ag.tensor(x), 1)
    with pytest.raises(RuntimeError, match="'reflect' doesn't take in value"):
        F.pad(ag.tensor(x), (1, 1), mode="reflect", value=2.0)


def test_pad_matches_pytorch_for_value_none():
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((2, 3)).astype(np.float32)
    for mode in ("constant", "reflect", "replicate", "circular"):
        np.testing.assert_array_equal(
            F.pad(ag.tensor(x), (1, 2), mode=mode, value=None).data,
            torch.nn.functional.pad(torch.tensor(x), (1, 2), mode=mode, value=None).numpy())


def test_embedding_padding_idx_out_of_range_asserts():
    w = ag.tensor(np.ones((4, 2), dtype=np.float32), requires_grad=True)
    for padding_idx in (4, 7, -5):   # (not reduced modulo the rows)
        with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
            F.embedding(ag.tensor([0, 3]), w, padding_idx=padding_idx)
        with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
            nn.Embedding(4, 2, padding_idx=padding_idx)
    # A negative padding_idx in range counts from the end.
    F.embedding(ag.tensor([0, 3, 3]), w, padding_idx=-1).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [[1, 1], [0, 0], [0, 0], [0, 0]])
    assert nn.Embedding(5, 3, padding_idx=-5).padding_idx == 0


@pytest.mark.filterwarnings("ignore:nn.init. initializing a zero-element")
@pytest.mark.parametrize("shape_in,shape_out", [((0, 2), (4, 0)), ((3, 0), (4, 3)),
                                                ((0, 2), (2, 3, 0)), ((3, 0), (0, 3))])
def test_linear_with_an_empty_feature_dim_has_gradients(shape_in, shape_out):
    (in_f, out_f), x_shape = shape_in, shape_out
    lin = nn.Linear(in_f, out_f)
    x = ag.tensor(RNG.standard_normal(x_shape).astype(np.float32), requires_grad=True)
    for create_graph in (False, True):
        lin.zero_grad()
        x.grad = None
        out = lin(x)
        (out * ag.tensor(np.ones(out.shape, np.float32))).sum().backward(
            create_graph=create_graph)
        rows = x.data.reshape(int(np.prod(x_shape[:-1])), in_f)
        np.testing.assert_array_equal(lin.weight.grad.data,
                                      np.ones((rows.shape[0], out_f)).T @ rows)
        np.testing.assert_array_equal(lin.bias.grad.data, np.full(out_f, rows.shape[0]))
        np.testing.assert_array_equal(x.grad.data,
                                      np.ones(x_shape[:-1] + (out_f,)) @ lin.weight.data)


LINEAR_CASES = [((4, 3), (3,), None), ((2, 4, 3), (3,), ()), ((3,), (3,), ()),
                ((4, 3), (2, 3), (1,)), ((4, 3), (2, 3), ()), ((4, 3), (2, 3), (4, 1)),
                ((4, 3), (2, 3), (4, 2)), ((2, 4, 3), (2, 3), (4, 2)),
                ((2, 4, 3), (2, 3), (1, 1)), ((3,), (2, 3), (1,)), ((2, 4, 3), (1, 3), ())]


@pytest.mark.parametrize("xs,ws,bs", LINEAR_CASES)
def test_linear_one_dim_weight_and_broadcast_bias_match_pytorch(xs, ws, bs):
    torch = pytest.importorskip("torch")
    arrays = [RNG.standard_normal(s) for s in (xs, ws) + ((bs,) if bs is not None else ())]
    ours = [ag.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, tout = F.linear(*ours), torch.nn.functional.linear(*theirs)
    assert out.shape == tuple(tout.shape)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12, atol=1e-12)
    u = RNG.standard_normal(out.shape)
    # create_graph exercises the differentiable backward, plain backward the NumPy one.
    for create_graph in (False, True):
        grads = ag.grad((out * ag.tensor(u)).sum(), ours, create_graph=create_graph,
                        retain_graph=True)
        tgrads = torch.autograd.grad((tout * torch.tensor(u)).sum(), theirs, retain_graph=True)
        for g, tg in zip(grads, tgrads):
            assert g.shape == tuple(tg.shape)
            np.testing.assert_allclose(g.data, tg.numpy(), rtol=1e-12, atol=1e-12)


def test_linear_refuses_a_bias_that_does_not_broadcast_to_the_output():
    for x, w, b in (((4, 3), (2, 3), (3,)), ((3,), (2, 3), (4, 2)), ((4, 3), (2, 3), (2, 4, 2))):
        with pytest.raises(RuntimeError, match=r"linear: bias of shape .* does not broadcast"):
            F.linear(ag.ones(*x), ag.ones(*w), ag.ones(*b))
    with pytest.raises(RuntimeError, match="linear: input of shape"):
        F.linear(ag.ones(4, 3), ag.ones(2, 3, 1))


def test_batch_norm_running_stats_checks():
    x = ag.tensor(RNG.standard_normal((4, 3)).astype(np.float32))
    for stats in ((None, None), (ag.zeros(3), None), (None, ag.ones(3))):
        with pytest.raises(RuntimeError, match="batch_norm: running_(mean|var) must be defined "
                                               "in evaluation mode") as info:
            F.batch_norm(x, *stats, training=False)
        assert not isinstance(info.value, ValueError)
    for stats in ((ag.zeros(3), None), (None, ag.ones(3))):
        before = [None if s is None else s.data.copy() for s in stats]
        with pytest.raises(ValueError, match="running_mean and running_var must either both "
                                             "be None or neither be None"):
            F.batch_norm(x, *stats, training=True)
        for s, b in zip(stats, before):   # nothing updated
            assert s is None or np.array_equal(s.data, b)


@pytest.mark.parametrize("cls,shape", [(nn.BatchNorm1d, (0, 3)), (nn.BatchNorm1d, (0, 3, 4)),
                                       (nn.BatchNorm1d, (2, 3, 0)), (nn.BatchNorm2d, (0, 3, 2, 2))])
@pytest.mark.parametrize("momentum", [0.1, None])
def test_batch_norm_on_an_empty_batch_matches_pytorch(cls, shape, momentum):
    torch = pytest.importorskip("torch")
    bn = cls(3, momentum=momentum)
    tbn = getattr(torch.nn, cls.__name__)(3, momentum=momentum)
    warm = RNG.standard_normal(tuple(n or 5 for n in shape))
    bn(ag.tensor(warm.astype(np.float32)))   # non-trivial running stats first
    tbn(torch.tensor(warm.astype(np.float32)))
    x = ag.tensor(np.zeros(shape, np.float32), requires_grad=True)
    tx = torch.zeros(shape, requires_grad=True)
    out, tout = bn(x), tbn(tx)
    out.sum().backward()
    tout.sum().backward()
    assert out.shape == tuple(tout.shape) == shape and x.grad.shape == shape
    tsd = tbn.state_dict()
    for k, v in bn.state_dict().items():
        np.testing.assert_allclose(v.data, tsd[k].numpy(), rtol=1e-6, err_msg=k)
    np.testing.assert_array_equal(bn.weight.grad.data, tbn.weight.grad.numpy())
    np.testing.assert_array_equal(bn.bias.grad.data, tbn.bias.grad.numpy())


def test_batch_norm_state_dict_without_num_batches_tracked_loads():
    bn = nn.BatchNorm1d(3)
    bn.num_batches_tracked.data[...] = 4
    sd = {k: ag.tensor(RNG.standard_normal(3).astype(np.float32))
          for k in ("weight", "bias", "running_mean")}
    sd["running_var"] = ag.ones(3)
    result = bn.load_state_dict(sd)   # strict: an older file's keys
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert "num_batches_tracked" not in sd   # the caller's dict is left alone
    np.testing.assert_array_equal(bn.running_mean.data, sd["running_mean"].data)
    assert int(bn.num_batches_tracked.item()) == 4   # kept, as PyTorch does
    model = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3))
    full = model.state_dict()
    del full["1.num_batches_tracked"]
    model.load_state_dict(full)
    # With version metadata of PyTorch's version 2 (which has the key), it is missing.
    full = OrderedDict(full)
    full._metadata = {"1": {"version": 2}}
    with pytest.raises(RuntimeError, match=r'Missing key\(s\).*"1.num_batches_tracked"'):
        model.load_state_dict(full)


def test_batch_norm_state_dict_loading_matches_pytorch():
    torch = pytest.importorskip("torch")
    tsd = dict(torch.nn.BatchNorm1d(3).state_dict())
    del tsd["num_batches_tracked"]
    res = nn.BatchNorm1d(3).load_state_dict({k: ag.tensor(v.numpy()) for k, v in tsd.items()})
    tres = torch.nn.BatchNorm1d(3).load_state_dict(tsd)
    assert (res.missing_keys, res.unexpected_keys) == (tres.missing_keys,
                                                       tres.unexpected_keys)


def test_unflatten_splits_a_dim():
    x = RNG.standard_normal((2, 6, 3))
    for dim, sizes in ((1, (2, 3)), (1, [3, -1]), (-2, (-1, 2, 1)), (-1, (3, 1)), (0, (-1,))):
        d = dim % 3
        want = x.reshape(x.shape[:d] + tuple(s if s != -1 else -1 for s in sizes)
                         + x.shape[d + 1:])
        np.testing.assert_array_equal(nn.Unflatten(dim, sizes)(ag.tensor(x)).data, want)
    check_layer_grads(nn.Unflatten(1, (3, 2)), x)
    assert repr(nn.Unflatten(1, [2, 3])) == "Unflatten(dim=1, unflattened_size=[2, 3])"
    for sizes in ((4, 2), (-1, -1), (), (0, -1), (-2, -3)):
        with pytest.raises(RuntimeError, match=r"Unflatten\(dim=1.*\(6\)"):
            nn.Unflatten(1, sizes)(ag.tensor(x))
    with pytest.raises(IndexError, match=r"Unflatten\(dim=3.*out of range"):
        nn.Unflatten(3, (1, 3))(ag.tensor(x))
    with pytest.raises(TypeError, match="tuple of ints, but found element of type float"):
        nn.Unflatten(1, (2.0, 3))
    with pytest.raises(TypeError, match="tuple of ints, but found type int"):
        nn.Unflatten(1, 6)


@pytest.mark.parametrize("dim,sizes", [(1, (2, 3)), (1, [2, -1]), (-1, (3, 1)), (-3, (1, 2)),
                                       (1, (4, 2)), (1, (-1, -1)), (1, ()), (3, (1, 3)),
                                       (1, (0, -1))])
def test_unflatten_matches_pytorch(dim, sizes):
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((2, 6, 3))
    assert repr(nn.Unflatten(dim, sizes)) == repr(torch.nn.Unflatten(dim, sizes))
    try:
        want = torch.nn.Unflatten(dim, sizes)(torch.tensor(x)).numpy()
    except (RuntimeError, IndexError) as e:
        with pytest.raises(type(e)):
            nn.Unflatten(dim, sizes)(ag.tensor(x))
        return
    np.testing.assert_array_equal(nn.Unflatten(dim, sizes)(ag.tensor(x)).data, want)


EMBEDDING_OPTIONS = [dict(max_norm=1.0), dict(max_norm=1.5, norm_type=1.0),
                     dict(max_norm=0.5, norm_type=float("inf")), dict(scale_grad_by_freq=True),
                     dict(scale_grad_by_freq=True, padding_idx=2, max_norm=1.0),
                     dict(scale_grad_by_freq=True, sparse=False)]


@pytest.mark.parametrize("options", EMBEDDING_OPTIONS)
def test_embedding_max_norm_and_scale_grad_by_freq_match_pytorch(options):
    torch = pytest.importorskip("torch")
    table = (RNG.standard_normal((6, 3)) * 2).astype(np.float32)
    idx = np.array([[0, 2, 2], [5, 2, 1]])
    u = RNG.standard_normal((2, 3, 3)).astype(np.float32)
    for functional in (True, False):
        if functional:
            w = ag.tensor(table.copy(), requires_grad=True)
            tw = torch.tensor(table.copy(), requires_grad=True)
            out = F.embedding(ag.tensor(idx), w, **options)
            tout = torch.nn.functional.embedding(torch.tensor(idx), tw, **options)
        else:
            emb = nn.Embedding(6, 3, _weight=ag.tensor(table.copy()), **options)
            temb = torch.nn.Embedding(6, 3, _weight=torch.tensor(table.copy()), **options)
            assert repr(emb) == repr(temb)
            w, tw = emb.weight, temb.weight
            out, tout = emb(idx), temb(torch.tensor(idx))
        (out * ag.tensor(u)).sum().backward()
        (tout * torch.tensor(u)).sum().backward()
        np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(w.data, tw.detach().numpy(), rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(w.grad.data, tw.grad.numpy(), rtol=1e-6, atol=1e-7)


def test_embedding_max_norm_renormalizes_looked_up_rows_in_place():
    table = np.array([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]])
    w = ag.tensor(table.copy(), requires_grad=True)
    out = F.embedding(np.array([0, 1, 0]), w, max_norm=1.0)
    norms = np.linalg.norm(table, axis=1, keepdims=True)
    want = table * np.where(norms > 1.0, 1.0 / (norms + 1e-7), 1.0)
    want[2] = table[2]                        # row 2 is not looked up: unchanged
    np.testing.assert_allclose(w.data, want, rtol=1e-12)
    np.testing.assert_allclose(out.data, want[[0, 1, 0]], rtol=1e-12)
    # scale_grad_by_freq: row 0 occurs twice, so its summed gradient is halved.
    w = ag.tensor(table.copy(), requires_grad=True)
    F.embedding(np.array([0, 1, 0]), w, scale_grad_by_freq=True).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [[1, 1], [1, 1], [0, 0]])
    with pytest.raises(NotImplementedError, match="sparse=True"):
        nn.Embedding(3, 2, sparse=True)
    with pytest.raises(NotImplementedError, match="sparse=True"):
        F.embedding(np.array([0]), w, sparse=True)
