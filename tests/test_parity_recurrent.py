"""Recurrent layers against PyTorch, second pass: LSTM's proj_size (shapes, names,
values, first and second derivatives, variable lengths) and PyTorch's exception types
for bad constructor arguments, non-float inputs and a wrong-length LSTM state tuple."""
from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
from numeric import assert_grads_match_torch

I, H, P, T, B = 3, 4, 2, 3, 2


def rand(*shape, seed=0):
    return ag.tensor(np.random.default_rng(seed).standard_normal(shape), dtype=ag.float64,
                     requires_grad=True)


# ---- LSTM proj_size ----------------------------------------------------------------------

def test_proj_size_parameters_and_shapes():
    ag.manual_seed(0)
    m = nn.LSTM(I, H, num_layers=2, bidirectional=True, proj_size=P)
    sd = m.state_dict()
    names = [f"{w}_l{k}{s}" for k in range(2) for s in ("", "_reverse")
             for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")]
    assert list(sd) == names
    assert sd["weight_ih_l0"].shape == (4 * H, I) and sd["weight_ih_l1"].shape == (4 * H, 2 * P)
    assert sd["weight_hh_l1_reverse"].shape == (4 * H, P)
    assert sd["weight_hr_l0"].shape == (P, H)
    vals = np.concatenate([v.data.ravel() for v in sd.values()])
    assert np.abs(vals).max() <= 1 / np.sqrt(H)
    assert [[p.shape for p in w] for w in nn.LSTM(I, H, bias=False, proj_size=P).all_weights] \
        == [[(4 * H, I), (4 * H, P), (P, H)]]
    assert m.proj_size == P and nn.GRU(I, H).proj_size == 0 and nn.RNN(I, H).proj_size == 0
    assert repr(m) == f"LSTM({I}, {H}, proj_size={P}, num_layers=2, bidirectional=True)"
    y, (h, c) = m(ag.randn(T, B, I))
    assert y.shape == (T, B, 2 * P) and h.shape == (4, B, P) and c.shape == (4, B, H)
    y, (h, c) = m(ag.randn(T, I))
    assert y.shape == (T, 2 * P) and h.shape == (4, P) and c.shape == (4, H)


def test_proj_size_equals_cells_with_projection():
    """One layer with proj_size is LSTMCell steps whose h is projected by weight_hr."""
    ag.manual_seed(1)
    m = nn.LSTM(I, H, proj_size=P, dtype=np.float64)
    cell = nn.LSTMCell(I, H, dtype=np.float64)
    x, h0, c0 = rand(T, B, I), rand(1, B, P, seed=1), rand(1, B, H, seed=2)
    y, (h_n, c_n) = m(x, (h0, c0))
    # LSTMCell's weight_hh is (4H, H): give it weight_hh_l0 (4H, P) through a zero-padded h
    w_hh = np.zeros((4 * H, H))
    w_hh[:, :P] = m.weight_hh_l0.data
    cell.load_state_dict({"weight_ih": m.weight_ih_l0.data, "weight_hh": w_hh,
                          "bias_ih": m.bias_ih_l0.data, "bias_hh": m.bias_hh_l0.data})
    h, c = h0.data[0], c0.data[0]
    for t in range(T):
        hp = np.zeros((B, H))
        hp[:, :P] = h
        h_full, c_t = cell(ag.tensor(x.data[t]), (ag.tensor(hp), ag.tensor(c)))
        h, c = h_full.data @ m.weight_hr_l0.data.T, c_t.data
        np.testing.assert_allclose(y.data[t], h, atol=1e-14)
    np.testing.assert_allclose(h_n.data[0], h, atol=1e-14)
    np.testing.assert_allclose(c_n.data[0], c, atol=1e-14)


def test_proj_size_bad_arguments_and_states():
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        nn.LSTM(I, H, proj_size=H)
    with pytest.raises(ValueError, match="LSTM: proj_size must be a non-negative int, got -1"):
        nn.LSTM(I, H, proj_size=-1)
    with pytest.raises(TypeError, match="LSTM: proj_size should be of type int"):
        nn.LSTM(I, H, proj_size=1.5)
    m = nn.LSTM(I, H, num_layers=2, proj_size=P)
    x = ag.zeros(T, B, I)
    with pytest.raises(RuntimeError, match=r"LSTM: Expected hidden\[0\] size \(2, 2, 2\), "
                                           r"got \[2, 2, 4\]"):
        m(x, (ag.zeros(2, B, H), ag.zeros(2, B, H)))
    with pytest.raises(RuntimeError, match=r"LSTM: Expected hidden\[1\] size \(2, 2, 4\), "
                                           r"got \[2, 2, 2\]"):
        m(x, (ag.zeros(2, B, P), ag.zeros(2, B, P)))


def _torch_pair(torch, **kw):
    ours = nn.LSTM(I, H, proj_size=P, dtype=np.float64, **kw)
    tm = torch.nn.LSTM(I, H, proj_size=P, **kw).double()
    assert list(tm.state_dict()) == list(ours.state_dict())
    tm.load_state_dict({k: torch.from_numpy(v.data.copy()) for k, v in ours.state_dict().items()})
    return ours, tm


@pytest.mark.parametrize("kw", [
    dict(),
    dict(num_layers=2, bidirectional=True, hx=True),
    dict(batch_first=True, bias=False, hx=True),
    dict(num_layers=2, bidirectional=True, lengths=[3, 1]),
    dict(bidirectional=True, unbatched=True, hx=True),
], ids=str)
def test_proj_size_matches_torch(kw):
    """Outputs, final states and the gradients of input, states and every parameter."""
    torch = pytest.importorskip("torch")
    kw = dict(kw)
    use_hx, lengths, unbatched = kw.pop("hx", False), kw.pop("lengths", None), \
        kw.pop("unbatched", False)
    ag.manual_seed(2)
    ours, tm = _torch_pair(torch, **kw)
    k = ours.num_layers * (2 if ours.bidirectional else 1)
    rng = np.random.default_rng(3)
    x_np = rng.standard_normal((T, I) if unbatched else
                               (B, T, I) if ours.batch_first else (T, B, I))
    lead = (k,) if unbatched else (k, B)
    hx_np = [rng.standard_normal(lead + (w,)) for w in (P, H)] if use_hx else []
    x, tx = ag.tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
    hx = [ag.tensor(h, requires_grad=True) for h in hx_np]
    thx = [torch.tensor(h, requires_grad=True) for h in hx_np]
    if lengths is None:
        y, (h, c) = ours(x, tuple(hx) or None)
        ty, (th, tc) = tm(tx, tuple(thx) or None)
    else:
        y, (h, c) = ours(x, tuple(hx) or None, lengths=lengths)
        packed = torch.nn.utils.rnn.pack_padded_sequence(
            tx, torch.tensor(lengths), batch_first=ours.batch_first, enforce_sorted=False)
        ty, (th, tc) = tm(packed, tuple(thx) or None)
        ty, _ = torch.nn.utils.rnn.pad_packed_sequence(ty, batch_first=ours.batch_first,
                                                       total_length=T)
    loss, tloss = 0, 0
    for o, to in zip((y, h, c), (ty, th, tc)):
        assert o.shape == tuple(to.shape)
        np.testing.assert_allclose(o.data, to.detach().numpy(), atol=1e-12)
        u = rng.standard_normal(o.shape)
        loss = loss + (o * ag.tensor(u)).sum()
        tloss = tloss + (to * torch.tensor(u)).sum()
    loss.backward()
    tloss.backward()
    assert_grads_match_torch([(x, tx)] + list(zip(hx, thx)), ours, tm)


def test_proj_size_second_derivative_matches_torch():
    torch = pytest.importorskip("torch")
    ag.manual_seed(4)
    ours, tm = _torch_pair(torch, num_layers=2, bidirectional=True)
    rng = np.random.default_rng(5)
    x_np = rng.standard_normal((T, B, I))
    u = rng.standard_normal((T, B, 2 * P))
    v = rng.standard_normal((T, B, I))
    x, tx = ag.tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
    y, _ = ours(x)
    ty, _ = tm(tx)
    (g,) = ag.grad((y * y * ag.tensor(u)).sum(), [x], create_graph=True)
    (tg,) = torch.autograd.grad((ty * ty * torch.tensor(u)).sum(), [tx], create_graph=True)
    np.testing.assert_allclose(g.data, tg.detach().numpy(), atol=1e-12)
    params = [p for _, p in ours.named_parameters()]
    tparams = dict(tm.named_parameters())
    g2 = ag.grad((g * ag.tensor(v)).sum(), [x] + params)
    tg2 = torch.autograd.grad((tg * torch.tensor(v)).sum(),
                              [tx] + [tparams[n] for n, _ in ours.named_parameters()])
    for a, b in zip(g2, tg2):
        np.testing.assert_allclose(a.data, b.numpy(), atol=1e-11)


# ---- exception types ---------------------------------------------------------------------

@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
def test_constructor_exception_types(cls):
    name = cls.__name__
    with pytest.raises(TypeError, match=f"{name}: input_size should be of type int"):
        cls(3.0, 4)
    with pytest.raises(TypeError, match=f"{name}: hidden_size should be of type int"):
        cls(3, 4.0)
    with pytest.raises(TypeError, match=f"{name}: num_layers should be of type int"):
        cls(3, 4, num_layers=2.0)
    with pytest.raises(TypeError, match=f"{name}: bias should be of type bool"):
        cls(3, 4, bias=1)
    with pytest.raises(TypeError, match=f"{name}: batch_first should be of type bool"):
        cls(3, 4, batch_first=0)
    with pytest.raises(ValueError, match=f"{name}: hidden_size must be a positive int"):
        cls(3, 0)
    assert cls(3, 4, num_layers=2, dropout=np.float32(0.5)).dropout == 0.5


def test_cell_constructor_exception_types():
    with pytest.raises(TypeError, match="GRUCell: hidden_size should be of type int"):
        nn.GRUCell(3, 4.0)


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
def test_integer_input_is_a_dtype_mismatch(cls):
    """As PyTorch: a layer's input must have its weights' dtype (ValueError for the
    multi-step layers, RuntimeError for the cells)."""
    x = ag.tensor(np.zeros((T, B, I), np.int64))
    with pytest.raises(ValueError, match=f"{cls.__name__}: input dtype int64 and "
                                         f"weight_ih_l0 dtype float32 differ"):
        cls(I, H)(x)


@pytest.mark.parametrize("cls", [nn.RNNCell, nn.LSTMCell, nn.GRUCell])
def test_cell_integer_input_is_a_dtype_mismatch(cls):
    x = ag.tensor(np.zeros((B, I), np.int64))
    with pytest.raises(RuntimeError, match=f"{cls.__name__}: input dtype int64 and "
                                           f"weight_ih dtype float32 differ"):
        cls(I, H)(x)


def test_lstm_state_tuple_of_wrong_length():
    """PyTorch raises RuntimeError for a tuple of other than two states (and TypeError
    for a state that is not a tuple at all)."""
    m, cell = nn.LSTM(I, H), nn.LSTMCell(I, H)
    h = ag.zeros(1, B, H)
    with pytest.raises(RuntimeError, match=r"LSTM: hx must be a tuple of two tensors "
                                           r"\(h_0, c_0\), got 3"):
        m(ag.zeros(T, B, I), (h, h, h))
    with pytest.raises(RuntimeError, match=r"LSTMCell: hx must be a tuple of two tensors "
                                           r"\(h_0, c_0\), got 1"):
        cell(ag.zeros(B, I), (ag.zeros(B, H),))
    with pytest.raises(TypeError, match=r"LSTMCell: hx must be a tuple \(h_0, c_0\), got "
                                        r"Tensor"):
        cell(ag.zeros(B, I), ag.zeros(B, H))
