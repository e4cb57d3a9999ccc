"""Recurrent layers (nn/recurrent.py): gradients against finite differences in float64
for every option that changes the math, second derivatives, variable lengths, dropout,
initialization, bad input, and parity with PyTorch (same state_dict -> same outputs,
final states and gradients) when it is installed."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import autograd as ag
import nn
from numeric import assert_grads_match_torch

MODES = ["RNN_TANH", "RNN_RELU", "LSTM", "GRU"]
I, H, T, B = 2, 2, 3, 2


def make(mode: str, input_size: int = I, hidden_size: int = H, dtype=np.float64, **kw):
    if mode.startswith("RNN"):
        return nn.RNN(input_size, hidden_size, nonlinearity=mode[4:].lower(), dtype=dtype, **kw)
    return getattr(nn, mode)(input_size, hidden_size, dtype=dtype, **kw)


def n_states(model) -> int:
    return 2 if isinstance(model, (nn.LSTM, nn.LSTMCell)) else 1


def flat(out):
    """(output, h_n) or (output, (h_n, c_n)) as a flat tuple of tensors."""
    y, st = out
    return (y,) + (tuple(st) if isinstance(st, tuple) else (st,))


def projected(fn):
    """() -> scalar: a fixed random projection of every output tensor of fn()."""
    def loss():
        out = fn()
        outs = out if isinstance(out, tuple) else (out,)
        rng = np.random.default_rng(0)
        return sum((o * ag.tensor(rng.standard_normal(o.shape))).sum() for o in outs)
    return loss


def assert_grads_match_fd(loss, targets, atol=1e-7, rtol=1e-5, eps=1e-6):
    """Each (name, tensor)'s gradient of loss() vs central differences, in float64."""
    for _, t in targets:
        t.grad = None
    loss().backward()
    with ag.no_grad():
        for name, t in targets:
            assert t.grad is not None, f"no gradient reached {name}"
            num = np.zeros_like(t.data)
            data, flat_num = t.data.reshape(-1), num.reshape(-1)
            for j in range(t.data.size):
                old = data[j]
                data[j] = old + eps
                up = loss().item()
                data[j] = old - eps
                down = loss().item()
                data[j] = old
                flat_num[j] = (up - down) / (2 * eps)
            np.testing.assert_allclose(t.grad.data, num, atol=atol, rtol=rtol,
                                       err_msg=f"gradient of {name}")


def state_targets(hx) -> list:
    states = hx if isinstance(hx, tuple) else (() if hx is None else (hx,))
    return [(f"hx[{j}]", h) for j, h in enumerate(states)]


def check_grads(model, x, hx=None, lengths=None):
    """Every gradient (input, initial states, parameters) vs central differences."""
    loss = projected(lambda: flat(model(x, hx, lengths=lengths)))
    assert_grads_match_fd(loss, [("x", x)] + state_targets(hx)
                          + list(model.named_parameters()))


def rand(*shape, seed=0, requires_grad=True):
    return ag.tensor(np.random.default_rng(seed).standard_normal(shape), dtype=ag.float64,
                     requires_grad=requires_grad)


def initial_state(model, batch, seed=1, unbatched=False):
    k = model.num_layers * (2 if model.bidirectional else 1)
    shape = (k, model.hidden_size) if unbatched else (k, batch, model.hidden_size)
    states = tuple(rand(*shape, seed=seed + j) for j in range(n_states(model)))
    return states if n_states(model) == 2 else states[0]


# ---- gradients vs finite differences ---------------------------------------------------

OPTION_SETS = {
    "plain": dict(),
    "2layers_bidir_hx": dict(num_layers=2, bidirectional=True, hx=True),
    "batch_first_nobias_hx": dict(batch_first=True, bias=False, hx=True),
    "2layers_bidir_lengths_hx": dict(num_layers=2, bidirectional=True, hx=True,
                                     lengths=[3, 1]),
    "lengths_with_zero": dict(batch_first=True, lengths=[0, 2]),
    "unbatched_bidir_hx": dict(bidirectional=True, hx=True, unbatched=True),
}


@pytest.mark.parametrize("opts", list(OPTION_SETS), ids=str)
@pytest.mark.parametrize("mode", MODES)
def test_gradients_match_finite_differences(mode, opts):
    o = dict(OPTION_SETS[opts])
    use_hx, lengths = o.pop("hx", False), o.pop("lengths", None)
    unbatched = o.pop("unbatched", False)
    ag.manual_seed(3)
    model = make(mode, **o)
    if unbatched:
        x = rand(T, I)
    else:
        x = rand(B, T, I) if model.batch_first else rand(T, B, I)
    hx = initial_state(model, B, unbatched=unbatched) if use_hx else None
    check_grads(model, x, hx, lengths)


@pytest.mark.parametrize("cell", ["RNNCell", "RNNCell_relu", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("bias", [True, False])
def test_cell_gradients_match_finite_differences(cell, batched, bias):
    ag.manual_seed(4)
    kw = {"nonlinearity": "relu"} if cell.endswith("relu") else {}
    model = getattr(nn, cell.split("_")[0])(I, H, bias=bias, dtype=np.float64, **kw)
    x = rand(B, I) if batched else rand(I)
    shape = (B, H) if batched else (H,)
    hx = tuple(rand(*shape, seed=5 + j) for j in range(n_states(model)))
    hx = hx if len(hx) == 2 else hx[0]
    loss = projected(lambda: model(x, hx))
    assert_grads_match_fd(loss, [("x", x)] + state_targets(hx)
                          + list(model.named_parameters()))


@pytest.mark.parametrize("mode", MODES)
def test_second_derivative_matches_finite_differences(mode):
    """d/dtheta <dL/dtheta, v> through the recorded backward vs differences of the
    first-order gradient (which takes the NumPy path of the fused steps)."""
    ag.manual_seed(5)
    model = make(mode, num_layers=2, bidirectional=True)
    x = rand(T, B, I, requires_grad=False)
    params = [p for _, p in model.named_parameters()]
    vs = [np.random.default_rng(9 + i).standard_normal(p.shape) for i, p in enumerate(params)]
    cot = np.random.default_rng(7).standard_normal((T, B, 2 * H))

    def grad_dot_v(create_graph):
        y, _ = model(x)
        gs = ag.grad((y * y * ag.tensor(cot)).sum(), params, create_graph=create_graph)
        return sum((g * ag.tensor(v)).sum() for g, v in zip(gs, vs))

    hv = ag.grad(grad_dot_v(True), params)
    eps = 1e-6
    pick = np.random.default_rng(1)
    for (name, p), analytic in zip(model.named_parameters(), hv):
        # a sample of each parameter's elements keeps the test fast
        for j in pick.choice(p.data.size, size=min(p.data.size, 6), replace=False):
            vals = []
            for d in (eps, -eps):
                p.data.reshape(-1)[j] += d
                vals.append(grad_dot_v(False).item())
                p.data.reshape(-1)[j] -= d
            np.testing.assert_allclose(analytic.data.reshape(-1)[j],
                                       (vals[0] - vals[1]) / (2 * eps), atol=1e-6, rtol=1e-4,
                                       err_msg=f"{mode}: second derivative, {name}[{j}]")


# ---- semantics ------------------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_lengths_match_running_each_sequence_alone(mode, bidirectional):
    """A padded batch with lengths gives, per sequence, the outputs and final state of
    that sequence run alone; padded outputs are zero, padding values are ignored."""
    ag.manual_seed(6)
    model = make(mode, num_layers=2, bidirectional=bidirectional)
    lengths = [4, 2, 0, 3]
    x = rand(4, 4, I, requires_grad=True)                  # (T, B, I)
    out, st = model(x, lengths=lengths)
    states = st if isinstance(st, tuple) else (st,)
    for b, n in enumerate(lengths):
        if n == 0:
            np.testing.assert_array_equal(out.data[:, b], 0)
            for s in states:
                np.testing.assert_array_equal(s.data[:, b], 0)
            continue
        alone, st1 = model(x[:n, b])                          # unbatched (n, I)
        np.testing.assert_allclose(out.data[:n, b], alone.data, atol=1e-12)
        np.testing.assert_array_equal(out.data[n:, b], 0)
        for s, s1 in zip(states, st1 if isinstance(st1, tuple) else (st1,)):
            np.testing.assert_allclose(s.data[:, b], s1.data, atol=1e-12)
    # The padding neither changes anything nor receives gradient.
    sum(s.sum() for s in states).backward()
    mask = np.arange(4)[:, None] < np.array(lengths)[None, :]
    np.testing.assert_array_equal(x.grad.data[~mask], 0)
    assert np.abs(x.grad.data[mask]).sum() > 0
    x2 = ag.tensor(np.where(mask[..., None], x.data, 123.0))
    out2, _ = model(x2, lengths=lengths)
    np.testing.assert_allclose(out2.data, out.data, atol=1e-12)


@pytest.mark.parametrize("mode", MODES)
def test_unbatched_equals_batch_of_one(mode):
    ag.manual_seed(7)
    model = make(mode, num_layers=2, bidirectional=True, batch_first=True)
    x = rand(T, I)
    hx = initial_state(model, 1, unbatched=True)
    out, st = model(x, hx)
    hx3 = tuple(h.unsqueeze(1) for h in hx) if isinstance(hx, tuple) else hx.unsqueeze(1)
    out3, st3 = model(x.unsqueeze(0), hx3)
    assert out.shape == (T, 2 * H)
    np.testing.assert_allclose(out.data, out3.data[0], atol=1e-14)
    for s, s3 in zip(flat((out, st))[1:], flat((out3, st3))[1:]):
        assert s.shape == (4, H)
        np.testing.assert_allclose(s.data, s3.data[:, 0], atol=1e-14)


def test_output_shapes_and_layouts():
    ag.manual_seed(8)
    lstm = nn.LSTM(3, 5, num_layers=2, bidirectional=True, batch_first=True)
    y, (h, c) = lstm(ag.randn(4, 7, 3))
    assert y.shape == (4, 7, 10) and h.shape == (4, 4, 5) and c.shape == (4, 4, 5)
    assert y.dtype == np.float32 and h.dtype == np.float32
    # output's last step (forward half) and first step (backward half) are h_n's top layer
    np.testing.assert_array_equal(y.data[:, -1, :5], h.data[2])
    np.testing.assert_array_equal(y.data[:, 0, 5:], h.data[3])
    gru = nn.GRU(3, 5)
    y, h = gru(ag.randn(7, 4, 3))
    assert y.shape == (7, 4, 5) and h.shape == (1, 4, 5)
    np.testing.assert_array_equal(y.data[-1], h.data[0])


@pytest.mark.parametrize("bias", [True, False])
def test_cell_states_are_contiguous_so_view_works(bias):
    """The states a step returns are C-contiguous, so that view() works as in PyTorch
    (its recurrent product is computed transposed, as OpenBLAS runs that faster)."""
    ag.manual_seed(9)
    x, h0 = ag.randn(4, 3), ag.randn(4, 5)
    h, c = nn.LSTMCell(3, 5, bias=bias)(x, (h0, ag.randn(4, 5)))
    g = nn.GRUCell(3, 5, bias=bias)(x, h0)
    for t in (h, c, g):
        assert t.data.flags.c_contiguous
        assert t.view(20).shape == (20,)


def test_state_dict_names_shapes_and_init():
    ag.manual_seed(9)
    m = nn.GRU(3, 16, num_layers=2, bidirectional=True)
    sd = m.state_dict()
    names = [f"{w}_l{k}{s}" for k in range(2) for s in ("", "_reverse")
             for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    assert list(sd) == names
    assert sd["weight_ih_l0"].shape == (48, 3) and sd["weight_ih_l1"].shape == (48, 32)
    assert sd["weight_hh_l1_reverse"].shape == (48, 16) and sd["bias_hh_l0"].shape == (48,)
    assert list(nn.LSTM(2, 3, bias=False).state_dict()) == ["weight_ih_l0", "weight_hh_l0"]
    assert list(nn.LSTMCell(2, 3).state_dict()) == ["weight_ih", "weight_hh", "bias_ih",
                                                    "bias_hh"]
    # uniform(-1/sqrt(H), 1/sqrt(H)): inside the bounds, spread over them, mean ~0
    vals = np.concatenate([v.data.ravel() for v in sd.values()])
    k = 1 / np.sqrt(16)
    assert np.abs(vals).max() <= k and np.abs(vals).max() > 0.95 * k
    assert abs(vals.std() - k / np.sqrt(3)) < 0.02 * k and abs(vals.mean()) < 0.05 * k
    assert m.weight_ih_l0.dtype == np.float32


def test_reset_and_seed_reproducible():
    ag.manual_seed(10)
    a = nn.LSTM(3, 4).state_dict()
    ag.manual_seed(10)
    b = nn.LSTM(3, 4).state_dict()
    for k in a:
        np.testing.assert_array_equal(a[k].data, b[k].data)


def test_dropout_between_layers_only_in_training():
    ag.manual_seed(11)
    m = nn.GRU(3, 4, num_layers=3, dropout=0.5)
    x = ag.randn(5, 2, 3)
    m.eval()
    y_eval, h_eval = m(x)
    y_eval2, _ = m(x)
    np.testing.assert_array_equal(y_eval.data, y_eval2.data)
    ref = nn.GRU(3, 4, num_layers=3)
    ref.load_state_dict(m.state_dict())
    np.testing.assert_allclose(ref(x)[0].data, y_eval.data, atol=1e-7)
    m.train()
    y1, h1 = m(x)
    y2, _ = m(x)
    assert not np.allclose(y1.data, y_eval.data) and not np.allclose(y1.data, y2.data)
    # the first layer has no dropout before it: its final state is the same
    np.testing.assert_allclose(h1.data[0], h_eval.data[0], atol=1e-7)
    m1 = nn.LSTM(3, 4, num_layers=2, dropout=1.0)   # everything into layer 2 dropped
    _, (h, _) = m1(x)
    top = nn.LSTM(4, 4)                               # layer 2 alone, on a zero input
    top.load_state_dict({k.replace("_l1", "_l0"): v for k, v in m1.state_dict().items()
                         if k.endswith("_l1")})
    np.testing.assert_allclose(h.data[1], top(ag.zeros(5, 2, 4))[1][0].data[0], atol=1e-6)


def test_dropout_warning_and_repr():
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        nn.LSTM(3, 4, dropout=0.2)
    assert repr(nn.RNN(10, 20, nonlinearity="relu")) == "RNN(10, 20)"
    assert repr(nn.LSTM(3, 4, 2, bias=False, batch_first=True, dropout=0.5,
                        bidirectional=True)) == ("LSTM(3, 4, num_layers=2, bias=False, "
                                                 "batch_first=True, dropout=0.5, "
                                                 "bidirectional=True)")
    assert repr(nn.RNNCell(3, 4, bias=False, nonlinearity="relu")) == \
        "RNNCell(3, 4, bias=False, nonlinearity=relu)"
    assert repr(nn.GRUCell(3, 4)) == "GRUCell(3, 4)"


def test_no_grad_and_partial_outputs():
    ag.manual_seed(12)
    m = nn.LSTM(3, 4)
    x = ag.randn(5, 2, 3)
    with ag.no_grad():
        y, (h, c) = m(x)
    assert not y.requires_grad and not h.requires_grad
    _, (h, c) = m(x)
    c.sum().backward()                     # only c_n used: h's gradients arrive as None
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad()
    y, _ = m(x)
    y[2].sum().backward()                  # later steps get no gradient at all
    assert np.abs(m.weight_hh_l0.grad.data).sum() > 0


def test_retain_graph_second_backward_is_the_same():
    ag.manual_seed(13)
    m = nn.LSTM(3, 4, num_layers=2, dtype=np.float64)
    _, (h, _) = m(ag.randn(4, 2, 3, dtype=ag.float64))
    loss = (h * h).sum()
    loss.backward(retain_graph=True)
    first = {n: p.grad.data.copy() for n, p in m.named_parameters()}
    m.zero_grad()
    loss.backward()
    for n, p in m.named_parameters():
        np.testing.assert_allclose(p.grad.data, first[n], err_msg=n)


# ---- bad input ------------------------------------------------------------------------

def test_bad_input_errors():
    m = nn.LSTM(3, 4, num_layers=2)
    with pytest.raises(ValueError, match=r"LSTM: Expected input to be 2D or 3D, got 1D"):
        m(ag.randn(3))
    with pytest.raises(RuntimeError, match=r"LSTM: input.size\(-1\) must be equal to "
                                           r"input_size. Expected 3, got 5 \(input shape "
                                           r"\(2, 6, 5\)\)"):
        m(ag.randn(2, 6, 5))
    with pytest.raises(ValueError, match=r"Expected 3, got 5"):
        m(ag.randn(2, 6, 5))
    x = ag.randn(5, 2, 3)
    with pytest.raises(RuntimeError, match=r"LSTM: Expected hidden\[0\] size \(2, 2, 4\), "
                                           r"got \[2, 2, 5\]"):
        m(x, (ag.zeros(2, 2, 5), ag.zeros(2, 2, 4)))
    with pytest.raises(RuntimeError, match=r"Expected hidden\[1\] size \(2, 2, 4\), got "
                                           r"\[1, 2, 4\]"):
        m(x, (ag.zeros(2, 2, 4), ag.zeros(1, 2, 4)))
    with pytest.raises(RuntimeError, match=r"batched 3-D input, hx should also be 3-D but "
                                           r"got 2-D"):
        m(x, (ag.zeros(2, 4), ag.zeros(2, 4)))
    with pytest.raises(RuntimeError, match=r"unbatched 2-D input, hx should also be 2-D"):
        m(ag.randn(5, 3), (ag.zeros(2, 1, 4), ag.zeros(2, 1, 4)))
    with pytest.raises(TypeError, match=r"LSTM: hx must be a tuple \(h_0, c_0\)"):
        m(x, ag.zeros(2, 2, 4))
    with pytest.raises(RuntimeError, match=r"LSTM: Expected sequence length to be larger "
                                           r"than 0 \(input shape \(2, 0, 3\)\)"):
        nn.LSTM(3, 4, batch_first=True)(ag.zeros(2, 0, 3))
    y, (h, _) = m(ag.zeros(5, 0, 3))                 # an empty batch is fine
    assert y.shape == (5, 0, 4) and h.shape == (2, 0, 4)
    g = nn.GRU(3, 4)
    with pytest.raises(RuntimeError, match=r"GRU: Expected hidden size \(1, 2, 4\), got "
                                           r"\[1, 3, 4\]"):
        g(x, ag.zeros(1, 3, 4))
    with pytest.raises(ValueError, match=r"GRU: input dtype int64 and weight_ih_l0 dtype "
                                         r"float32 differ"):
        g(ag.tensor(np.zeros((5, 2, 3), dtype=np.int64)))
    with pytest.raises(TypeError, match=r"GRU: input must be a Tensor"):
        g(np.zeros((5, 2, 3)))


def test_bad_lengths_errors():
    m = nn.GRU(3, 4, batch_first=True)
    x = ag.randn(2, 5, 3)
    with pytest.raises(ValueError, match=r"GRU: lengths must hold one length per sequence, "
                                         r"shape \(2,\), got shape \(3,\)"):
        m(x, lengths=[1, 2, 3])
    with pytest.raises(ValueError, match=r"GRU: lengths must lie in \[0, 5\].*\[6, 2\]"):
        m(x, lengths=[6, 2])
    with pytest.raises(ValueError, match=r"lengths must lie in"):
        m(x, lengths=[-1, 2])
    with pytest.raises(TypeError, match=r"GRU: lengths must be integers, got dtype float"):
        m(x, lengths=[1.5, 2.0])
    y, _ = m(ag.randn(5, 3), lengths=3)       # unbatched: one length
    np.testing.assert_array_equal(y.data[3:], 0)


def test_bad_cell_input_errors():
    c = nn.LSTMCell(3, 4)
    with pytest.raises(ValueError, match=r"LSTMCell: Expected input to be 1D or 2D, got 3D"):
        c(ag.randn(2, 2, 3))
    with pytest.raises(RuntimeError, match=r"LSTMCell: input has inconsistent input_size: "
                                           r"got 5 expected 3"):
        c(ag.randn(2, 5))
    with pytest.raises(RuntimeError, match=r"GRUCell: Expected hidden of shape \(2, 4\) for "
                                           r"input of shape \(2, 3\), got \(3, 4\)"):
        nn.GRUCell(3, 4)(ag.randn(2, 3), ag.zeros(3, 4))
    with pytest.raises(RuntimeError, match=r"LSTMCell: Expected hidden\[1\] of shape \(4,\)"):
        c(ag.randn(3), (ag.zeros(4), ag.zeros(1, 4)))
    with pytest.raises(RuntimeError, match=r"lstm_step: expected gates_x \(..., 4\*H\)"):
        nn.functional.lstm_step(ag.zeros(2, 7), ag.zeros(2, 2), ag.zeros(2, 2), ag.zeros(8, 2))
    with pytest.raises(RuntimeError, match=r"gru_step: bias_hh must have shape \(6,\)"):
        nn.functional.gru_step(ag.zeros(2, 6), ag.zeros(2, 2), ag.zeros(6, 2), ag.zeros(5))


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="Unknown nonlinearity 'sigmoid'"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="Unknown nonlinearity"):
        nn.RNNCell(3, 4, nonlinearity="gelu")
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        nn.GRU(3, 4, num_layers=2, dropout=1.5)
    with pytest.raises(ValueError, match="GRU: hidden_size must be a positive int"):
        nn.GRU(3, 0)
    with pytest.raises(ValueError, match="LSTM: num_layers must be a positive int"):
        nn.LSTM(3, 4, num_layers=0)
    with pytest.raises(ValueError, match="LSTMCell: input_size must be a positive int"):
        nn.LSTMCell(-1, 4)
    for make in (lambda: nn.GRU(3, 4, proj_size=2), lambda: nn.RNN(3, 4, proj_size=0),
                 lambda: nn.GRU(3, 4, proj_size=None), lambda: nn.RNN(3, 4, proj_size=-1)):
        with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM"):
            make()


@pytest.mark.parametrize("cls,proj_size", [("GRU", 2), ("RNN", 0), ("GRU", 0), ("LSTM", 4)])
def test_proj_size_errors_match_pytorch(cls, proj_size):
    torch = pytest.importorskip("torch")
    with pytest.raises(Exception) as theirs:
        getattr(torch.nn, cls)(3, 4, proj_size=proj_size)
    with pytest.raises(theirs.type):
        getattr(nn, cls)(3, 4, proj_size=proj_size)


# ---- PyTorch parity -------------------------------------------------------------------

def torch_model(torch, ours):
    """The PyTorch module with our configuration and our state_dict."""
    if isinstance(ours, nn.RNNBase):
        kw = dict(num_layers=ours.num_layers, bias=ours.bias, batch_first=ours.batch_first,
                  bidirectional=ours.bidirectional)
        if isinstance(ours, nn.RNN):
            kw["nonlinearity"] = ours.nonlinearity
        tm = getattr(torch.nn, type(ours).__name__)(ours.input_size, ours.hidden_size, **kw)
    else:
        kw = {"nonlinearity": ours.nonlinearity} if isinstance(ours, nn.RNNCell) else {}
        tm = getattr(torch.nn, type(ours).__name__)(ours.input_size, ours.hidden_size,
                                                    bias=ours.bias, **kw)
    if next(ours.parameters()).dtype == np.float64:
        tm = tm.double()
    tm.load_state_dict({k: torch.from_numpy(v.data.copy()) for k, v in ours.state_dict().items()})
    return tm


def compare_run(torch, ours, x_np, hx_np=None, lengths=None, atol=1e-10, rtol=1e-8):
    """Same outputs, final states and gradients (input, states, parameters)."""
    tm = torch_model(torch, ours)
    tdt = torch.float64 if x_np.dtype == np.float64 else torch.float32
    x = ag.tensor(x_np, requires_grad=True)
    tx = torch.tensor(x_np, dtype=tdt, requires_grad=True)
    hx = thx = None
    if hx_np is not None:
        hx = tuple(ag.tensor(h, requires_grad=True) for h in hx_np)
        thx = tuple(torch.tensor(h, dtype=tdt, requires_grad=True) for h in hx_np)
        if len(hx) == 1:
            hx, thx = hx[0], thx[0]
    if lengths is None:
        outs = flat(ours(x, hx))
        touts = flat(tm(tx, thx))
    else:
        outs = flat(ours(x, hx, lengths=lengths))
        packed = torch.nn.utils.rnn.pack_padded_sequence(
            tx, torch.tensor(lengths), batch_first=ours.batch_first, enforce_sorted=False)
        ty, tst = tm(packed, thx)
        ty, _ = torch.nn.utils.rnn.pad_packed_sequence(ty, batch_first=ours.batch_first,
                                                       total_length=x_np.shape[
                                                           1 if ours.batch_first else 0])
        touts = flat((ty, tst))
    rng = np.random.default_rng(0)
    loss, tloss = 0, 0
    for o, to in zip(outs, touts):
        assert o.shape == tuple(to.shape)
        np.testing.assert_allclose(o.data, to.detach().numpy(), atol=atol, rtol=rtol)
        u = rng.standard_normal(o.shape)
        loss = loss + (o * ag.tensor(u, dtype=o.dtype)).sum()
        tloss = tloss + (to * torch.tensor(u, dtype=to.dtype)).sum()
    loss.backward()
    tloss.backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), atol=atol, rtol=rtol)
    if hx is not None:
        for h, th in zip(hx if isinstance(hx, tuple) else (hx,),
                         thx if isinstance(thx, tuple) else (thx,)):
            np.testing.assert_allclose(h.grad.data, th.grad.numpy(), atol=atol, rtol=rtol)
    tparams = dict(tm.named_parameters())
    for n, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.data, tparams[n].grad.numpy(), atol=atol, rtol=rtol,
                                   err_msg=n)


@pytest.mark.parametrize("layers,bidir,batch_first,bias,use_hx",
                         list(itertools.product([1, 2], [False, True], [False, True],
                                                [True, False], [False, True])))
@pytest.mark.parametrize("mode", MODES)
def test_torch_parity(mode, layers, bidir, batch_first, bias, use_hx):
    torch = pytest.importorskip("torch")
    ag.manual_seed(20)
    ours = make(mode, 3, 4, num_layers=layers, bidirectional=bidir, batch_first=batch_first,
                bias=bias)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 5, 3) if batch_first else (5, 2, 3))
    hx = None
    if use_hx:
        k = layers * (2 if bidir else 1)
        hx = tuple(rng.standard_normal((k, 2, 4)) for _ in range(n_states(ours)))
    compare_run(torch, ours, x, hx)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("bidir", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_torch_parity_lengths(mode, bidir, batch_first):
    torch = pytest.importorskip("torch")
    ag.manual_seed(21)
    ours = make(mode, 3, 4, num_layers=2, bidirectional=bidir, batch_first=batch_first)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 6, 3) if batch_first else (6, 3, 3))
    hx = tuple(rng.standard_normal((4 if bidir else 2, 3, 4)) for _ in range(n_states(ours)))
    compare_run(torch, ours, x, hx, lengths=[2, 6, 4])


@pytest.mark.parametrize("mode", MODES)
def test_torch_parity_unbatched_and_float32(mode):
    torch = pytest.importorskip("torch")
    ag.manual_seed(22)
    ours = make(mode, 3, 4, num_layers=2, bidirectional=True)
    rng = np.random.default_rng(3)
    hx = tuple(rng.standard_normal((4, 4)) for _ in range(n_states(ours)))
    compare_run(torch, ours, rng.standard_normal((5, 3)), hx)
    ours32 = make(mode, 3, 4, num_layers=2, bidirectional=True, dtype=None)
    compare_run(torch, ours32, rng.standard_normal((5, 2, 3)).astype(np.float32),
                atol=2e-6, rtol=1e-5)


@pytest.mark.parametrize("cell", ["RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("bias", [True, False])
def test_torch_parity_cells(cell, batched, bias):
    torch = pytest.importorskip("torch")
    ag.manual_seed(23)
    ours = getattr(nn, cell)(3, 4, bias=bias, dtype=np.float64)
    tm = torch_model(torch, ours)
    rng = np.random.default_rng(4)
    lead = (2,) if batched else ()
    x_np = rng.standard_normal(lead + (3,))
    hx_np = [rng.standard_normal(lead + (4,)) for _ in range(n_states(ours))]
    x, tx = ag.tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
    hx = [ag.tensor(h, requires_grad=True) for h in hx_np]
    thx = [torch.tensor(h, requires_grad=True) for h in hx_np]
    out = ours(x, tuple(hx) if len(hx) == 2 else hx[0])
    tout = tm(tx, tuple(thx) if len(thx) == 2 else thx[0])
    outs = out if isinstance(out, tuple) else (out,)
    touts = tout if isinstance(tout, tuple) else (tout,)
    loss, tloss = 0, 0
    for k, (o, to) in enumerate(zip(outs, touts)):
        np.testing.assert_allclose(o.data, to.detach().numpy(), atol=1e-12)
        loss = loss + o.sum() * (k + 1)
        tloss = tloss + to.sum() * (k + 1)
    loss.backward()
    tloss.backward()
    assert_grads_match_torch([(x, tx)] + list(zip(hx, thx)), ours, tm)


def test_torch_state_dict_round_trip():
    """PyTorch's state_dict loads into ours and ours into PyTorch, same outputs."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    tm = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    ours = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    ours.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    x = np.random.default_rng(5).standard_normal((6, 2, 3)).astype(np.float32)
    y, (h, c) = ours(ag.tensor(x))
    ty, (th, tc) = tm(torch.from_numpy(x))
    for a, b in [(y, ty), (h, th), (c, tc)]:
        np.testing.assert_allclose(a.data, b.detach().numpy(), atol=2e-6)
    tm2 = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    tm2.load_state_dict({k: torch.from_numpy(v.data.copy()) for k, v in ours.state_dict().items()})
    np.testing.assert_allclose(tm2(torch.from_numpy(x))[0].detach().numpy(), y.data, atol=2e-6)
