"""TransformerEncoderLayer, TransformerEncoder, TransformerDecoderLayer,
TransformerDecoder and Transformer: behaviour (shapes, dropout, masks, copies, errors,
gradients against finite differences), and parity with PyTorch where it is installed
(the same state_dict, loaded either way, gives the same outputs and gradients; the
state_dict keys, shapes, reprs and exception types are PyTorch's)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd as ag
import nn
from nn import functional as F

E, HEADS, FF, S, T, N = 8, 2, 16, 5, 4, 3   # d_model, nhead, feed-forward, lengths, batch


def randomize(module, seed=1, scale=0.5):
    """Non-trivial values in every parameter (LayerNorms and biases included)."""
    rng = np.random.default_rng(seed)
    with ag.no_grad():
        for p in module.parameters():
            p.data[...] = rng.standard_normal(p.shape) * scale


def quiet(make):
    """make(), without PyTorch's warning that its nested-tensor fast path is off."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="enable_nested_tensor")
        return make()


# ---- building the same model in both libraries --------------------------------------

KINDS = ["encoder_layer", "decoder_layer", "encoder", "decoder", "transformer"]


def make(lib, kind, dtype=None, **cfg):
    """`kind` from `lib` (nn or torch.nn): two layers per stack, with a final norm."""
    layer_cfg = dict(dim_feedforward=FF, **cfg)
    if dtype is not None:
        layer_cfg["dtype"] = dtype
    if kind == "encoder_layer":
        return lib.TransformerEncoderLayer(E, HEADS, **layer_cfg)
    if kind == "decoder_layer":
        return lib.TransformerDecoderLayer(E, HEADS, **layer_cfg)
    norm = lib.LayerNorm(E, **({"dtype": dtype} if dtype is not None else {}))
    if kind == "encoder":
        return quiet(lambda: lib.TransformerEncoder(lib.TransformerEncoderLayer(E, HEADS,
                                                                               **layer_cfg),
                                                    2, norm=norm))
    if kind == "decoder":
        return lib.TransformerDecoder(lib.TransformerDecoderLayer(E, HEADS, **layer_cfg), 2,
                                      norm=norm)
    return quiet(lambda: lib.Transformer(E, HEADS, 2, 2, **layer_cfg))


def shapes_of(state_dict):
    return [(k, tuple(v.shape)) for k, v in state_dict.items()]


def to_torch(torch, sd):
    return {k: torch.from_numpy(np.array(v.data)) for k, v in sd.items()}


def to_ours(sd):
    return {k: v.detach().numpy().copy() for k, v in sd.items()}


def pair(torch, kind, from_torch=True, dtype=np.float32, **cfg):
    """(ours, theirs) holding the same randomized values, in eval mode, after checking
    that the state_dict keys (in order) and shapes are equal."""
    tdtype = torch.float32 if dtype == np.float32 else torch.float64
    m, twin = make(nn, kind, dtype=dtype, **cfg), make(torch.nn, kind, dtype=tdtype, **cfg)
    assert shapes_of(m.state_dict()) == shapes_of(twin.state_dict())
    if from_torch:
        with torch.no_grad():
            for p in twin.parameters():
                p.normal_(0, 0.5)
        m.load_state_dict(to_ours(twin.state_dict()))
    else:
        randomize(m)
        twin.load_state_dict(to_torch(torch, m.state_dict()))
    return m.eval(), twin.eval()


# ---- inputs and masks -----------------------------------------------------------------

CASES = ["plain", "bool_masks", "float_masks", "padding", "causal", "causal_detected",
         "causal_and_padding", "per_head", "unbatched"]


def self_masks(case, length, rng, dtype):
    """(attn_mask, key_padding_mask, is_causal hint or None) for a sequence attending to
    itself; no query loses every key."""
    batch = () if case == "unbatched" else (N,)
    causal_bool = np.triu(np.ones((length, length), bool), 1)
    causal_float = np.where(causal_bool, -np.inf, 0.0).astype(dtype)
    pad = np.zeros(batch + (length,), bool)
    pad[..., -1] = True
    if batch:
        pad[1, 1] = True
    if case == "bool_masks":
        mask = rng.random((length, length)) < 0.4
        np.fill_diagonal(mask, False)
        return mask, None, None
    if case == "float_masks":
        mask = rng.standard_normal((length, length)).astype(dtype)
        mask[0, -1] = -np.inf
        return mask, rng.standard_normal(batch + (length,)).astype(dtype), None
    if case == "padding":
        return None, pad, None
    if case == "causal":
        return causal_float, None, True
    if case == "causal_detected":
        return causal_float, None, None
    if case == "causal_and_padding":
        return causal_bool, pad, True
    if case == "per_head":
        return rng.standard_normal((N * HEADS, length, length)).astype(dtype), None, None
    if case == "unbatched":   # a float padding mask, -inf at the padding
        return (rng.standard_normal((length, length)).astype(dtype),
                np.where(pad, -np.inf, 0.0).astype(dtype), None)
    return None, None, None


def cross_masks(case, rng, dtype):
    """(memory_mask (T, S), memory_key_padding_mask) for the decoder's attention to the
    memory."""
    batch = () if case == "unbatched" else (N,)
    pad = np.zeros(batch + (S,), bool)
    pad[..., 0] = True
    if case == "bool_masks":
        mask = rng.random((T, S)) < 0.4
        mask[:, 2] = False
        return mask, None
    if case == "float_masks":
        return rng.standard_normal((T, S)).astype(dtype), None
    if case in ("padding", "causal_and_padding", "unbatched"):
        return None, pad
    if case == "per_head":
        return rng.standard_normal((N * HEADS, T, S)).astype(dtype), None
    return None, None


def call_args(kind, case, batch_first, dtype=np.float32, seed=3):
    """(inputs as arrays, keyword arguments as arrays or flags) for calling `kind`."""
    rng = np.random.default_rng(seed)

    def seq(length):
        if case == "unbatched":
            return rng.standard_normal((length, E)).astype(dtype)
        return rng.standard_normal((N, length, E) if batch_first else (length, N, E)) \
            .astype(dtype)

    src, tgt = seq(S), seq(T)
    kw = {}
    if kind in ("encoder_layer", "encoder", "transformer"):
        mask, pad, hint = self_masks(case, S, rng, dtype)
        names = {"encoder_layer": ("src_mask", "is_causal"), "encoder": ("mask", "is_causal"),
                 "transformer": ("src_mask", "src_is_causal")}[kind]
        kw.update({names[0]: mask, "src_key_padding_mask": pad, names[1]: hint})
    if kind in ("decoder_layer", "decoder", "transformer"):
        mask, pad, hint = self_masks(case, T, rng, dtype)
        memory_mask, memory_pad = cross_masks(case, rng, dtype)
        kw.update(tgt_mask=mask, tgt_key_padding_mask=pad, tgt_is_causal=hint,
                  memory_mask=memory_mask, memory_key_padding_mask=memory_pad)
    kw = {k: v for k, v in kw.items() if v is not None}
    inputs = {"encoder_layer": [src], "encoder": [src], "decoder_layer": [tgt, src],
              "decoder": [tgt, src], "transformer": [src, tgt]}[kind]
    return inputs, kw


def convert(kw, to):
    return {k: to(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}


def assert_parity(torch, m, twin, inputs, kw, atol, rtol):
    """Same output, and same gradients of every input and parameter for a random
    cotangent."""
    xs = [ag.tensor(a, requires_grad=True) for a in inputs]
    txs = [torch.tensor(a, requires_grad=True) for a in inputs]
    out = m(*xs, **convert(kw, ag.tensor))
    tout = twin(*txs, **convert(kw, torch.tensor))
    assert out.shape == tuple(tout.shape) and out.dtype == inputs[0].dtype
    np.testing.assert_allclose(out.data, tout.detach().numpy(), atol=atol, rtol=rtol)
    u = np.random.default_rng(4).standard_normal(out.shape).astype(inputs[0].dtype)
    (out * ag.tensor(u)).sum().backward()
    (tout * torch.tensor(u)).sum().backward()
    for i, (x, tx) in enumerate(zip(xs, txs)):
        np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), atol=atol, rtol=rtol,
                                   err_msg=f"input {i}")
    theirs = dict(twin.named_parameters())
    assert [n for n, _ in m.named_parameters()] == list(theirs)
    for n, p in m.named_parameters():
        np.testing.assert_allclose(p.grad.data, theirs[n].grad.numpy(), atol=atol, rtol=rtol,
                                   err_msg=n)


# (norm_first, batch_first, activation): each value of each option twice
CONFIGS = [(False, False, "relu"), (True, False, "gelu"), (False, True, "gelu"),
           (True, True, "relu")]
F32 = dict(atol=2e-5, rtol=2e-4)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(map(str, c)))
@pytest.mark.parametrize("kind", KINDS)
def test_matches_torch(kind, config, case):
    """PyTorch's state_dict in ours: the same outputs and gradients (float32, eval)."""
    torch = pytest.importorskip("torch")
    norm_first, batch_first, activation = config
    m, twin = pair(torch, kind, norm_first=norm_first, batch_first=batch_first,
                   activation=activation)
    inputs, kw = call_args(kind, case, batch_first)
    assert_parity(torch, m, twin, inputs, kw, **F32)


@pytest.mark.parametrize("case", ["plain", "causal_and_padding", "float_masks"])
@pytest.mark.parametrize("kind", KINDS)
def test_matches_torch_in_float64(kind, case):
    """In float64 the two agree to round-off, which float32 tolerances could hide."""
    torch = pytest.importorskip("torch")
    m, twin = pair(torch, kind, from_torch=False, dtype=np.float64, norm_first=True)
    inputs, kw = call_args(kind, case, False, dtype=np.float64)
    assert_parity(torch, m, twin, inputs, kw, atol=1e-12, rtol=1e-10)


def set_dropout(module, p):
    if hasattr(module, "p"):
        module.p = p
    else:   # MultiheadAttention's, on the attention weights
        module.dropout = p


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("kind", KINDS)
def test_each_dropout_sits_where_pytorchs_does(kind, norm_first):
    """In training, with one dropout at p = 1 (which zeroes its input: no randomness)
    and the others at p = 0, ours and PyTorch's give the same output: each dropout acts
    at the same place (eval mode cannot tell)."""
    torch = pytest.importorskip("torch")
    m, twin = pair(torch, kind, norm_first=norm_first)
    m.train(), twin.train()
    names = [n for n, mod in m.named_modules()
             if isinstance(mod, (nn.Dropout, nn.MultiheadAttention))]
    theirs = dict(twin.named_modules())
    inputs, kw = call_args(kind, "padding", False)
    for name in names:
        for n in names:
            set_dropout(m.get_submodule(n), float(n == name))
            set_dropout(theirs[n], float(n == name))
        out = m(*map(ag.tensor, inputs), **convert(kw, ag.tensor))
        tout = twin(*map(torch.tensor, inputs), **convert(kw, torch.tensor))
        np.testing.assert_allclose(out.data, tout.detach().numpy(), err_msg=name, **F32)


@pytest.mark.parametrize("cfg", [dict(), dict(bias=False), dict(norm_first=True,
                                                                layer_norm_eps=1e-3)],
                         ids=str)
@pytest.mark.parametrize("kind", KINDS)
def test_state_dict_moves_both_ways(kind, cfg):
    """Ours into PyTorch and back: same keys, shapes and values, and the same output."""
    torch = pytest.importorskip("torch")
    m, twin = pair(torch, kind, from_torch=False, **cfg)
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(v.data, twin.state_dict()[k].numpy(), err_msg=k)
    back = make(nn, kind, **cfg)
    back.load_state_dict(to_ours(twin.state_dict()))
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(back.state_dict()[k].data, v.data, err_msg=k)
    inputs, kw = call_args(kind, "padding", False)
    assert_parity(torch, back.eval(), twin, inputs, kw, **F32)


def unshadow_module_activations(twin):
    """Undo a PyTorch bug: TransformerDecoderLayer.__setstate__ (run by deepcopy) puts
    F.relu in the copy's __dict__ when `activation` is a Module (which lives in
    _modules, not in that state), and it shadows the Module, so PyTorch's decoder stacks
    silently use relu (the encoder layer's was fixed in pytorch/pytorch#81832).  Ours
    keep the Module."""
    for mod in twin.modules():
        if type(mod).__name__ == "TransformerDecoderLayer" and "activation" in mod._modules:
            mod.__dict__.pop("activation", None)
    return twin


@pytest.mark.parametrize("kind", KINDS)
def test_callable_activation_matches_torch(kind):
    """A Module activation is a sub-module (its keys, if any, in the state_dict); a
    function is a plain attribute."""
    torch = pytest.importorskip("torch")
    for ours_act, their_act in ((nn.PReLU(), torch.nn.PReLU()), (F.silu, torch.nn.functional.silu)):
        m = make(nn, kind, activation=ours_act)
        twin = unshadow_module_activations(make(torch.nn, kind, activation=their_act))
        assert shapes_of(m.state_dict()) == shapes_of(twin.state_dict())
        randomize(m)
        twin.load_state_dict(to_torch(torch, m.state_dict()))
        inputs, kw = call_args(kind, "plain", False)
        assert_parity(torch, m.eval(), twin.eval(), inputs, kw, **F32)


@pytest.mark.parametrize("kind", KINDS)
def test_repr_matches_torch(kind):
    torch = pytest.importorskip("torch")
    assert repr(make(nn, kind, activation=nn.GELU())) == \
        repr(make(torch.nn, kind, activation=torch.nn.GELU()))


def test_default_constructors_match_torch():
    """PyTorch's defaults (d_model=512, 6 + 6 layers, dim_feedforward=2048, ...): same
    keys, shapes, hyper-parameters."""
    torch = pytest.importorskip("torch")
    m, twin = nn.Transformer(), quiet(torch.nn.Transformer)
    assert shapes_of(m.state_dict()) == shapes_of(twin.state_dict())
    for ours_layer, their_layer in ((m.encoder.layers[0], twin.encoder.layers[0]),
                                    (m.decoder.layers[5], twin.decoder.layers[5])):
        assert ours_layer.dropout.p == their_layer.dropout.p == 0.1
        assert ours_layer.norm1.eps == their_layer.norm1.eps
        assert ours_layer.norm_first is their_layer.norm_first is False
        assert ours_layer.self_attn.batch_first is their_layer.self_attn.batch_first
    assert (m.d_model, m.nhead, m.batch_first) == (twin.d_model, twin.nhead, twin.batch_first)


def test_initialization_statistics_match_torch():
    """Transformer re-initializes every matrix Xavier-uniform: the same bound as
    PyTorch's (largest |w| close to sqrt(6 / (fan_in + fan_out)))."""
    torch = pytest.importorskip("torch")
    m, twin = nn.Transformer(64, 4, 1, 1, 256), quiet(lambda: torch.nn.Transformer(64, 4, 1, 1,
                                                                                   256))
    theirs = dict(twin.named_parameters())
    for n, p in m.named_parameters():
        t = theirs[n].detach().numpy()
        if p.ndim > 1:   # Linear's own bound, 1 / sqrt(fan_in), is at most 0.92 of it
            bound = np.sqrt(6 / sum(p.shape))
            assert 0.97 * bound < np.abs(p.data).max() <= bound, n
            assert 0.97 * bound < np.abs(t).max() <= bound, n
        elif "norm" in n or "attn" in n:   # ones and zeros
            np.testing.assert_array_equal(p.data, t, err_msg=n)


def test_generate_square_subsequent_mask_matches_torch():
    torch = pytest.importorskip("torch")
    for dtype, tdtype in ((None, None), (np.float64, torch.float64)):
        ours = nn.Transformer.generate_square_subsequent_mask(4, dtype=dtype)
        theirs = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=tdtype)
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
        np.testing.assert_array_equal(ours.data, theirs.numpy())


# ---- behaviour (no PyTorch needed) ----------------------------------------------------

def test_generate_square_subsequent_mask():
    mask = nn.Transformer.generate_square_subsequent_mask(3)
    assert mask.dtype == np.float32 and not mask.requires_grad
    inf = np.inf
    assert mask.tolist() == [[0, -inf, -inf], [0, 0, -inf], [0, 0, 0]]


@pytest.mark.parametrize("batch_first", [False, True])
def test_output_shapes(batch_first):
    def seq(length, batched=True):
        if not batched:
            return ag.randn(length, E)
        return ag.randn(N, length, E) if batch_first else ag.randn(length, N, E)

    def shape(length, batched=True):
        return tuple(seq(length, batched).shape)

    kw = dict(dim_feedforward=FF, batch_first=batch_first)
    enc_layer = nn.TransformerEncoderLayer(E, HEADS, **kw)
    dec_layer = nn.TransformerDecoderLayer(E, HEADS, **kw)
    for batched in (True, False):
        src, tgt = seq(S, batched), seq(T, batched)
        assert enc_layer(src).shape == shape(S, batched)
        assert nn.TransformerEncoder(enc_layer, 3)(src).shape == shape(S, batched)
        assert dec_layer(tgt, src).shape == shape(T, batched)
        assert nn.TransformerDecoder(dec_layer, 3)(tgt, src).shape == shape(T, batched)
        assert nn.Transformer(E, HEADS, 1, 2, FF, batch_first=batch_first)(src, tgt).shape \
            == shape(T, batched)


def test_stack_state_dict_keys_are_pytorchs():
    """The names PyTorch documents (written out here), biases dropped with bias=False."""
    attn = ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
    ff = ["linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias"]

    def norms(k):
        return [f"norm{i}.{w}" for i in range(1, k + 1) for w in ("weight", "bias")]

    enc = [f"self_attn.{a}" for a in attn] + ff + norms(2)
    dec = [f"self_attn.{a}" for a in attn] + [f"multihead_attn.{a}" for a in attn] + ff + \
        norms(3)
    final = ["norm.weight", "norm.bias"]
    want = ([f"encoder.layers.{i}.{k}" for i in range(2) for k in enc]
            + [f"encoder.{k}" for k in final]
            + [f"decoder.layers.{i}.{k}" for i in range(3) for k in dec]
            + [f"decoder.{k}" for k in final])
    assert list(nn.Transformer(E, HEADS, 2, 3, FF).state_dict()) == want
    no_bias = nn.TransformerEncoderLayer(E, HEADS, FF, bias=False).state_dict()
    assert list(no_bias) == [k for k in enc if not k.endswith("bias")]
    sd = nn.TransformerDecoderLayer(E, HEADS, FF).state_dict()
    assert sd["self_attn.in_proj_weight"].shape == (3 * E, E)
    assert sd["linear1.weight"].shape == (FF, E) and sd["linear2.weight"].shape == (E, FF)


def test_stacks_hold_independent_copies_with_equal_values():
    layer = nn.TransformerEncoderLayer(E, HEADS, FF)
    stack = nn.TransformerEncoder(layer, 3, enable_nested_tensor=False)
    assert len(stack.layers) == stack.num_layers == 3 and stack.norm is None
    params = [dict(layer.named_parameters())] + [dict(m.named_parameters())
                                                 for m in stack.layers]
    for name, p in params[0].items():
        for other in params[1:]:
            assert other[name] is not p and not np.shares_memory(other[name].data, p.data)
            np.testing.assert_array_equal(other[name].data, p.data)
    with ag.no_grad():
        stack.layers[0].linear1.weight.fill_(0.0)
    assert np.all(stack.layers[1].linear1.weight.data == layer.linear1.weight.data)
    assert np.any(layer.linear1.weight.data != 0)
    assert len(list(stack.parameters())) == 3 * len(params[0])
    # a Module activation is copied along (PyTorch's decoder copies lose it, see
    # unshadow_module_activations)
    act = nn.PReLU()
    dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(E, HEADS, FF, activation=act), 2)
    for copied in dec.layers:
        assert isinstance(copied.activation, nn.PReLU) and copied.activation is not act
        assert copied.activation is copied._modules["activation"]


def test_train_mode_drops_and_eval_mode_does_not():
    ag.manual_seed(0)
    m = nn.Transformer(E, HEADS, 1, 1, FF, dropout=0.5)
    src, tgt = ag.randn(S, N, E), ag.randn(T, N, E)
    train = [m(src, tgt).data for _ in range(2)]
    m.eval()
    evals = [m(src, tgt).data for _ in range(2)]
    np.testing.assert_array_equal(evals[0], evals[1])
    assert not np.allclose(train[0], train[1]) and not np.allclose(train[0], evals[0])
    # with p = 0 training computes what evaluation does: dropout is the only difference
    for mod in m.modules():
        if isinstance(mod, nn.Dropout):
            mod.p = 0.0
        if isinstance(mod, nn.MultiheadAttention):
            mod.dropout = 0.0
    np.testing.assert_allclose(m.train()(src, tgt).data, evals[0], rtol=1e-6, atol=1e-6)


def test_gradients_reach_every_parameter():
    m = nn.Transformer(E, HEADS, 2, 2, FF, activation="gelu", norm_first=True,
                       batch_first=True)
    src = ag.randn(N, S, E, requires_grad=True)
    out = m(src, ag.randn(N, T, E), tgt_mask=nn.Transformer.generate_square_subsequent_mask(T))
    (out * ag.randn(*out.shape)).sum().backward()
    assert src.grad is not None and np.abs(src.grad.data).sum() > 0
    for name, p in m.named_parameters():
        assert p.grad is not None and p.grad.shape == p.shape, name
        assert np.abs(p.grad.data).sum() > 0, name


def _encoder_outputs(layer, src, **kw):
    with ag.no_grad():
        return layer(ag.tensor(src), **kw).data


def test_causal_mask_hides_the_future():
    """With the causal mask (or its hint) position i's output ignores positions > i;
    without it, it does not."""
    rng = np.random.default_rng(0)
    layer = nn.TransformerEncoderLayer(E, HEADS, FF, dropout=0.0)
    src = rng.standard_normal((S, N, E)).astype(np.float32)
    later = src.copy()
    later[3:] += 1.0
    mask = nn.Transformer.generate_square_subsequent_mask(S)
    for kw in (dict(src_mask=mask), dict(src_mask=mask, is_causal=True)):
        a, b = _encoder_outputs(layer, src, **kw), _encoder_outputs(layer, later, **kw)
        np.testing.assert_allclose(a[:3], b[:3], rtol=1e-6, atol=1e-6)
        assert not np.allclose(a[3:], b[3:])
    assert not np.allclose(_encoder_outputs(layer, src)[:3], _encoder_outputs(layer, later)[:3])
    dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(E, HEADS, FF, dropout=0.0), 2)
    memory = ag.tensor(rng.standard_normal((S, N, E)).astype(np.float32))
    tmask = nn.Transformer.generate_square_subsequent_mask(T)
    with ag.no_grad():
        a = dec(ag.tensor(src[:T]), memory, tgt_mask=tmask).data
        b = dec(ag.tensor(later[:T]), memory, tgt_mask=tmask).data
    np.testing.assert_allclose(a[:3], b[:3], rtol=1e-6, atol=1e-6)


def test_key_padding_mask_hides_padded_positions():
    """What a padded position holds does not reach the other positions, bool (True:
    padding) or float (-inf) alike."""
    rng = np.random.default_rng(1)
    layer = nn.TransformerEncoderLayer(E, HEADS, FF, dropout=0.0, batch_first=True)
    src = rng.standard_normal((N, S, E)).astype(np.float32)
    changed = src.copy()
    changed[:, -1] = 5.0
    pad = np.zeros((N, S), bool)
    pad[:, -1] = True
    for mask in (ag.tensor(pad), ag.tensor(np.where(pad, -np.inf, 0.0).astype(np.float32))):
        a = _encoder_outputs(layer, src, src_key_padding_mask=mask)
        b = _encoder_outputs(layer, changed, src_key_padding_mask=mask)
        np.testing.assert_allclose(a[:, :-1], b[:, :-1], rtol=1e-6, atol=1e-6)
    assert not np.allclose(_encoder_outputs(layer, src)[:, :-1],
                           _encoder_outputs(layer, changed)[:, :-1])


def test_norm_first_and_activation_change_the_computation():
    ag.manual_seed(0)
    src = ag.randn(S, N, E)
    base = nn.TransformerEncoderLayer(E, HEADS, FF).eval()
    randomize(base)
    outs = {}
    for name, kw in (("post", {}), ("pre", dict(norm_first=True)),
                     ("gelu", dict(activation="gelu")), ("F.gelu", dict(activation=F.gelu)),
                     ("GELU", dict(activation=nn.GELU()))):
        layer = nn.TransformerEncoderLayer(E, HEADS, FF, **kw).eval()
        layer.load_state_dict(base.state_dict())
        with ag.no_grad():
            outs[name] = layer(src).data
    np.testing.assert_array_equal(outs["gelu"], outs["F.gelu"])
    np.testing.assert_array_equal(outs["gelu"], outs["GELU"])
    assert not np.allclose(outs["post"], outs["pre"])
    assert not np.allclose(outs["post"], outs["gelu"])
    # post-norm ends in norm2: each position's features are normalized (weight 1, bias 0)
    with ag.no_grad():
        base.norm2.weight.fill_(1.0)
        base.norm2.bias.fill_(0.0)
        out = base(src).data
    np.testing.assert_allclose(out.mean(-1), 0, atol=1e-5)
    np.testing.assert_allclose(out.var(-1), 1, atol=1e-3)


def test_dtype_argument_and_double():
    layer = nn.TransformerDecoderLayer(E, HEADS, FF, dtype=np.float64)
    assert {p.dtype for p in layer.parameters()} == {np.dtype(np.float64)}
    m = nn.Transformer(E, HEADS, 1, 1, FF)
    assert {p.dtype for p in m.parameters()} == {np.dtype(np.float32)}
    out = m.double()(ag.randn(S, N, E, dtype=ag.float64), ag.randn(T, N, E, dtype=ag.float64))
    assert out.dtype == np.float64


def test_custom_encoder_and_decoder():
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(E, HEADS, FF), 1)
    dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(E, HEADS, FF), 1)
    m = nn.Transformer(E, HEADS, custom_encoder=enc, custom_decoder=dec)
    assert m.encoder is enc and m.decoder is dec
    assert not any(k.endswith(".norm.weight") for k in m.state_dict())


# ---- errors ---------------------------------------------------------------------------

def _zeros(lib):
    if lib is nn:
        return lambda *s: ag.zeros(*s)
    import torch
    return lambda *s: torch.zeros(*s)


BAD = [
    ("heads_do_not_divide", lambda lib, z: lib.TransformerEncoderLayer(6, 4), AssertionError),
    ("decoder_heads", lambda lib, z: lib.TransformerDecoderLayer(6, 4), AssertionError),
    ("zero_heads", lambda lib, z: lib.TransformerEncoderLayer(6, 0), ValueError),
    ("activation_name", lambda lib, z: lib.TransformerEncoderLayer(E, HEADS, FF,
                                                                   activation="tanh"),
     RuntimeError),
    ("transformer_activation", lambda lib, z: lib.Transformer(E, HEADS, 1, 1, FF,
                                                              activation="swish"),
     RuntimeError),
    ("src_features", lambda lib, z: lib.TransformerEncoderLayer(E, HEADS, FF)(z(S, N, 7)),
     AssertionError),
    ("src_features_norm_first",
     lambda lib, z: lib.TransformerEncoderLayer(E, HEADS, FF, norm_first=True)(z(S, N, 7)),
     RuntimeError),
    ("tgt_features", lambda lib, z: lib.TransformerDecoderLayer(E, HEADS, FF)(z(T, N, 7),
                                                                              z(S, N, E)),
     AssertionError),
    ("memory_features", lambda lib, z: lib.TransformerDecoderLayer(E, HEADS, FF)(z(T, N, E),
                                                                                 z(S, N, 7)),
     RuntimeError),
    ("memory_batch", lambda lib, z: lib.TransformerDecoderLayer(E, HEADS, FF)(z(T, N, E),
                                                                              z(S, 2, E)),
     RuntimeError),
    ("transformer_features", lambda lib, z: quiet(lambda: lib.Transformer(E, HEADS, 1, 1, FF))(
        z(S, N, 7), z(T, N, E)), RuntimeError),
    ("transformer_batch", lambda lib, z: quiet(lambda: lib.Transformer(E, HEADS, 1, 1, FF))(
        z(S, N, E), z(T, 2, E)), RuntimeError),
    ("src_mask_shape", lambda lib, z: lib.TransformerEncoderLayer(E, HEADS, FF)(
        z(S, N, E), src_mask=z(S - 1, S)), RuntimeError),
    ("is_causal_without_mask", lambda lib, z: lib.TransformerEncoderLayer(E, HEADS, FF)(
        z(S, N, E), is_causal=True), RuntimeError),
]


@pytest.mark.parametrize("call,exc", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_raises_pytorchs_exception_type(call, exc):
    with pytest.raises(exc):
        call(nn, _zeros(nn))


@pytest.mark.parametrize("call,exc", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_pytorch_raises_the_same_type(call, exc):
    torch = pytest.importorskip("torch")
    with pytest.raises(exc):
        call(torch.nn, _zeros(torch.nn))


def test_errors_name_the_layer_and_shapes():
    with pytest.raises(AssertionError, match="TransformerEncoderLayer: d_model must be "
                                             "divisible by nhead, got d_model=6 and nhead=4"):
        nn.TransformerEncoderLayer(6, 4)
    with pytest.raises(RuntimeError, match="TransformerDecoderLayer: activation should be "
                                           "relu/gelu, not tanh"):
        nn.TransformerDecoderLayer(E, HEADS, activation="tanh")
    with pytest.raises(TypeError, match="TransformerEncoderLayer: activation should be .* "
                                        "got int"):
        nn.TransformerEncoderLayer(E, HEADS, activation=3)
    with pytest.raises(AssertionError, match=r"TransformerEncoderLayer: expected src of shape "
                                             r"\(\*, 8\) .* got src of shape \(5, 3, 7\)"):
        nn.TransformerEncoderLayer(E, HEADS, FF)(ag.zeros(S, N, 7))
    with pytest.raises(RuntimeError, match=r"TransformerDecoderLayer: expected memory of shape "
                                           r"\(\*, 8\) .* got memory of shape \(5, 3, 7\)"):
        nn.TransformerDecoderLayer(E, HEADS, FF)(ag.zeros(T, N, E), ag.zeros(S, N, 7))
    with pytest.raises(RuntimeError, match=r"TransformerDecoderLayer: the batch sizes of tgt "
                                           r"and memory .* \(4, 3, 8\) .* \(5, 2, 8\)"):
        nn.TransformerDecoderLayer(E, HEADS, FF)(ag.zeros(T, N, E), ag.zeros(S, 2, E))
    m = nn.Transformer(E, HEADS, 1, 1, FF, batch_first=True)
    with pytest.raises(RuntimeError, match=r"Transformer: the batch number of src and tgt .* "
                                           r"src of shape \(3, 5, 8\) and tgt of shape "
                                           r"\(2, 4, 8\)"):
        m(ag.zeros(N, S, E), ag.zeros(2, T, E))
    with pytest.raises(RuntimeError, match=r"Transformer: the feature number .* d_model=8, "
                                           r"got src of shape \(3, 5, 8\) and tgt of shape "
                                           r"\(3, 4, 6\)"):
        m(ag.zeros(N, S, E), ag.zeros(N, T, 6))


# ---- gradients against finite differences ---------------------------------------------

def _with_parameters(module, fn, n_inputs=1):
    """(x_1..x_n, *params) -> fn(x_1..x_n) computed with `params` in place of the
    module's parameters (in named_parameters order), so that gradcheck, which passes
    fresh copies of its inputs, varies them too."""
    slots = [(module.get_submodule(n.rpartition(".")[0]), n.rpartition(".")[2])
             for n, _ in module.named_parameters()]

    def call(*args):
        saved = [owner._parameters[k] for owner, k in slots]
        for (owner, k), p in zip(slots, args[n_inputs:]):
            owner._parameters[k] = p
        try:
            return fn(*args[:n_inputs])
        finally:
            for (owner, k), p in zip(slots, saved):
                owner._parameters[k] = p
    return call


def _params(module):
    return tuple(ag.tensor(p.data.copy(), requires_grad=True) for p in module.parameters())


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_gradcheck(norm_first):
    """d output / d (input and every parameter) of a tiny float64 encoder layer, with a
    float mask and a key padding mask, against central differences."""
    rng = np.random.default_rng(7)
    layer = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, activation="gelu",
                                       norm_first=norm_first, dtype=np.float64).eval()
    randomize(layer, seed=8)
    mask = ag.tensor(rng.standard_normal((3, 3)))
    pad = ag.tensor(np.array([[0.0, 0.0, -np.inf], [0.0, 0.0, 0.0]]))
    fn = _with_parameters(layer, lambda x: layer(x, src_mask=mask, src_key_padding_mask=pad))
    x = ag.tensor(rng.standard_normal((3, 2, 4)), requires_grad=True)
    assert ag.gradcheck(fn, (x,) + _params(layer), atol=1e-6, rtol=1e-5)


def test_decoder_layer_gradcheck():
    """The same for a decoder layer (batch first, causal), through tgt and memory."""
    rng = np.random.default_rng(9)
    layer = nn.TransformerDecoderLayer(4, 2, 6, dropout=0.0, activation="gelu",
                                       batch_first=True, dtype=np.float64).eval()
    randomize(layer, seed=10)
    tmask = nn.Transformer.generate_square_subsequent_mask(2, dtype=np.float64)
    fn = _with_parameters(layer, lambda tgt, mem: layer(tgt, mem, tgt_mask=tmask), 2)
    tgt = ag.tensor(rng.standard_normal((2, 2, 4)), requires_grad=True)
    memory = ag.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    assert ag.gradcheck(fn, (tgt, memory) + _params(layer), atol=1e-6, rtol=1e-5)


def test_gradcheck_can_fail_here():
    """The check above notices a wrong gradient: here linear1.weight's is halved."""
    layer = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, dtype=np.float64).eval()
    fn = _with_parameters(layer, lambda x: layer(x))
    names = [n for n, _ in layer.named_parameters()]
    k = names.index("linear1.weight")

    def wrong(x, *params):
        w = params[k]
        params = params[:k] + (w.detach() + (w - w.detach()) * 0.5,) + params[k + 1:]
        return fn(x, *params)

    x = ag.tensor(np.random.default_rng(0).standard_normal((3, 2, 4)), requires_grad=True)
    assert not ag.gradcheck(wrong, (x,) + _params(layer), raise_exception=False)
