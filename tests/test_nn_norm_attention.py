"""GroupNorm, RMSNorm, InstanceNorm1d/2d, ParameterList, ParameterDict,
scaled_dot_product_attention and MultiheadAttention: behaviour, and parity with PyTorch
where it is installed (the same state_dict gives the same outputs and gradients,
state_dicts load both ways with the same keys, reprs and exception types are
PyTorch's)."""
from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import autograd as ag
import nn
from nn import functional as F
from nn import (GroupNorm, InstanceNorm1d, InstanceNorm2d, MultiheadAttention, ParameterDict,
                ParameterList, RMSNorm)

RNG = np.random.default_rng(0)

# Our new modules by PyTorch's names, for building the same model with either library.
OURS = {"GroupNorm": GroupNorm, "RMSNorm": RMSNorm, "InstanceNorm1d": InstanceNorm1d,
        "InstanceNorm2d": InstanceNorm2d, "ParameterList": ParameterList,
        "ParameterDict": ParameterDict, "MultiheadAttention": MultiheadAttention}


def ours(name):
    return OURS.get(name) or getattr(nn, name)


def randomize(module, seed=1):
    """Non-trivial values in every floating parameter and buffer (variances positive)."""
    rng = np.random.default_rng(seed)
    with ag.no_grad():
        for name, t in list(module.named_parameters()) + list(module.named_buffers()):
            if t.dtype.kind == "f":
                vals = rng.standard_normal(t.shape)
                t.data[...] = np.abs(vals) + 0.5 if name.endswith("running_var") else vals


def torch_twin(torch, module, name, *args, **kwargs):
    """PyTorch's `name`(*args, **kwargs) in float64 holding `module`'s state_dict, after
    checking that both have the same keys and shapes."""
    twin = getattr(torch.nn, name)(*args, **kwargs).double()
    sd = module.state_dict()
    assert {k: tuple(v.shape) for k, v in sd.items()} == \
        {k: tuple(v.shape) for k, v in twin.state_dict().items()}
    twin.load_state_dict({k: torch.from_numpy(np.array(v.data)) for k, v in sd.items()})
    return twin


def assert_same_state(module, twin, atol=1e-12):
    theirs = twin.state_dict()
    assert list(module.state_dict()) == list(theirs)
    for k, v in module.state_dict().items():
        np.testing.assert_allclose(v.data, theirs[k].numpy(), atol=atol, rtol=0, err_msg=k)


def run_both(torch, module, twin, x_np, atol=1e-12, rtol=0.0):
    """Forward both on x_np, backward a random cotangent, and compare the outputs, the
    input's gradient and every parameter's."""
    x, tx = ag.tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
    out, tout = module(x), twin(tx)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), atol=atol, rtol=rtol)
    u = np.random.default_rng(2).standard_normal(out.shape).astype(x_np.dtype)
    (out * ag.tensor(u)).sum().backward()
    (tout * torch.tensor(u)).sum().backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), atol=atol, rtol=rtol)
    theirs = dict(twin.named_parameters())
    for n, p in module.named_parameters():
        np.testing.assert_allclose(p.grad.data, theirs[n].grad.numpy(), atol=atol, rtol=rtol,
                                   err_msg=n)
    module.zero_grad(), twin.zero_grad()


# ---- GroupNorm ------------------------------------------------------------------------

def test_group_norm_is_layer_norm_per_group():
    """Each group of channels normalizes like a LayerNorm over (channels, positions)."""
    x = ag.tensor(RNG.standard_normal((2, 6, 5)))
    gn = GroupNorm(3, 6).double()
    randomize(gn)
    out = gn(x).data
    for g in range(3):
        part = slice(2 * g, 2 * g + 2)
        want = F.layer_norm(x[:, part], (2, 5)).data
        want = want * gn.weight.data[part, None] + gn.bias.data[part, None]
        np.testing.assert_allclose(out[:, part], want, atol=1e-12)


def test_group_norm_defaults():
    gn = GroupNorm(2, 4)
    assert gn.weight.tolist() == [1] * 4 and gn.bias.tolist() == [0] * 4
    assert list(gn.state_dict()) == ["weight", "bias"] and gn.weight.dtype == np.float32
    assert list(GroupNorm(2, 4, affine=False).state_dict()) == []
    assert list(GroupNorm(2, 4, bias=False).state_dict()) == ["weight"]


@pytest.mark.parametrize("groups,channels,shape,kwargs", [
    (3, 6, (2, 6, 4), {}), (1, 4, (3, 4), {}), (4, 4, (2, 4, 3, 2), {}),
    (2, 4, (2, 4, 3, 3), dict(affine=False)), (2, 6, (1, 6, 5), dict(eps=1e-2, bias=False)),
], ids=str)
def test_group_norm_matches_torch(groups, channels, shape, kwargs):
    torch = pytest.importorskip("torch")
    gn = GroupNorm(groups, channels, **kwargs).double()
    randomize(gn)
    twin = torch_twin(torch, gn, "GroupNorm", groups, channels, **kwargs)
    for training in (True, False):   # batch statistics in both modes
        gn.train(training), twin.train(training)
        run_both(torch, gn, twin, RNG.standard_normal(shape))


# ---- RMSNorm --------------------------------------------------------------------------

def test_rms_norm_default_eps_is_the_computation_types():
    """eps=None: float32's machine epsilon for float32 (and float16) input, float64's
    for float64; visible on inputs whose mean square is of that order."""
    x = np.full((2, 3), 3e-4)
    for dt, eps in ((np.float32, np.finfo(np.float32).eps), (np.float64, np.finfo(np.float64).eps)):
        out = F.rms_norm(ag.tensor(x, dtype=dt), (3,))
        assert out.dtype == dt
        np.testing.assert_allclose(out.data, x / np.sqrt(x * x + eps), rtol=1e-6)
    rn = RMSNorm(3)
    assert rn.eps is None and rn.weight.tolist() == [1, 1, 1]
    assert RMSNorm(3, elementwise_affine=False).weight is None


@pytest.mark.parametrize("shape,normalized,kwargs", [
    ((2, 5), 5, {}), ((2, 3, 4), (3, 4), {}), ((4,), [4], dict(eps=1e-3)),
    ((2, 3, 4), (4,), dict(elementwise_affine=False)),
], ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rms_norm_matches_torch(shape, normalized, kwargs, dtype):
    torch = pytest.importorskip("torch")
    rn = RMSNorm(normalized, **kwargs, dtype=dtype)
    randomize(rn)
    twin = torch_twin(torch, rn, "RMSNorm", normalized, **kwargs)
    if dtype == np.float32:
        twin.float()
    # small inputs too, so that the default eps (which depends on the dtype) shows; the
    # gradients grow as 1 / scale, hence relative tolerances
    tol = dict(atol=1e-6, rtol=1e-5) if dtype == np.float32 else dict(atol=1e-12, rtol=1e-12)
    for scale in (1.0, 1e-4 if dtype == np.float32 else 1e-8):
        run_both(torch, rn, twin, (RNG.standard_normal(shape) * scale).astype(dtype), **tol)


# ---- InstanceNorm ---------------------------------------------------------------------

def test_instance_norm_defaults_and_keys():
    m = InstanceNorm1d(3)
    assert m.weight is None and m.running_mean is None and list(m.state_dict()) == []
    m = InstanceNorm2d(3, affine=True, track_running_stats=True)
    assert list(m.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                    "num_batches_tracked"]
    assert m.weight.tolist() == [1, 1, 1] and m.running_var.tolist() == [1, 1, 1]


def test_instance_norm_normalizes_each_instance():
    x = RNG.standard_normal((2, 3, 4, 5)) * 3 + 1
    out = InstanceNorm2d(3)(ag.tensor(x)).data
    np.testing.assert_allclose(out.mean((2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(out.var((2, 3)), 1 / (1 + 1e-5 / x.var((2, 3))), rtol=1e-9)


@pytest.mark.parametrize("name,shape", [("InstanceNorm1d", (3, 2, 5)),
                                        ("InstanceNorm1d", (2, 6)),   # unbatched
                                        ("InstanceNorm2d", (2, 2, 3, 4)),
                                        ("InstanceNorm2d", (2, 3, 3))])   # unbatched
@pytest.mark.parametrize("kwargs", [{}, dict(affine=True),
                                    dict(track_running_stats=True),
                                    dict(affine=True, track_running_stats=True, momentum=0.3),
                                    dict(track_running_stats=True, momentum=None)], ids=str)
def test_instance_norm_matches_torch_in_train_and_eval(name, shape, kwargs):
    """Three training steps (outputs, gradients, running statistics), then eval."""
    torch = pytest.importorskip("torch")
    c = shape[-2] if name == "InstanceNorm1d" else shape[-3]
    m = ours(name)(c, **kwargs).double()
    randomize(m)
    twin = torch_twin(torch, m, name, c, **kwargs)
    for step in range(3):
        run_both(torch, m, twin, RNG.standard_normal(shape) * (step + 1) + step)
        assert_same_state(m, twin)
    m.eval(), twin.eval()
    run_both(torch, m, twin, RNG.standard_normal(shape))
    assert_same_state(m, twin)


def test_instance_norm_channel_mismatch():
    x = ag.zeros(2, 4, 5)
    with pytest.raises(ValueError, match=r"InstanceNorm1d\(3.*4, 5\)"):
        InstanceNorm1d(3, affine=True)(x)
    with pytest.warns(UserWarning, match="does not match num_features"):
        assert InstanceNorm1d(3)(x).shape == (2, 4, 5)   # not used without affine


# ---- state_dicts and reprs ------------------------------------------------------------

NORMS = [("GroupNorm", (3, 6), {}), ("GroupNorm", (2, 4), dict(eps=1e-3, affine=False)),
         ("GroupNorm", (2, 4), dict(bias=False)),
         ("RMSNorm", (4,), {}), ("RMSNorm", ([2, 3],), dict(eps=1e-6, elementwise_affine=False)),
         ("InstanceNorm1d", (3,), {}),
         ("InstanceNorm2d", (3,), dict(affine=True, track_running_stats=True)),
         ("InstanceNorm1d", (3,), dict(track_running_stats=True, momentum=None))]


@pytest.mark.parametrize("name,args,kwargs", NORMS, ids=str)
def test_norm_reprs_and_state_dicts_match_torch_both_ways(name, args, kwargs):
    torch = pytest.importorskip("torch")
    m, twin = ours(name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(m) == repr(twin)
    with torch.no_grad():
        for t in list(twin.parameters()) + list(twin.buffers()):
            if t.is_floating_point():
                t.copy_(torch.rand(t.shape) + 0.5)
    tsd = twin.state_dict()
    m.load_state_dict({k: v.numpy() for k, v in tsd.items()})   # PyTorch's -> ours
    assert_same_state(m, twin, atol=0)
    randomize(m, seed=5)
    twin.load_state_dict({k: torch.from_numpy(np.array(v.data))
                          for k, v in m.state_dict().items()})   # ours -> PyTorch
    assert_same_state(m, twin, atol=0)


# ---- bad input: PyTorch's exception types ---------------------------------------------

# (id, a call taking the library's nn and a zeros(*shape, dtype=name) maker, PyTorch's
# exception type)
BAD = [
    ("groups_divide_channels", lambda nn_, z: nn_.GroupNorm(4, 6), ValueError),
    ("group_norm_channels", lambda nn_, z: nn_.functional.group_norm(z(2, 6, 3), 4), RuntimeError),
    ("group_norm_weight", lambda nn_, z: nn_.functional.group_norm(z(2, 6, 3), 3, z(5)),
     RuntimeError),
    ("group_norm_1d", lambda nn_, z: nn_.functional.group_norm(z(6), 3), RuntimeError),
    ("group_norm_one_value", lambda nn_, z: nn_.functional.group_norm(z(1, 3), 3), ValueError),
    ("group_norm_layer_channels", lambda nn_, z: nn_.GroupNorm(2, 4)(z(2, 6, 3)), RuntimeError),
    ("rms_norm_shape", lambda nn_, z: nn_.functional.rms_norm(z(2, 3), (4,)), RuntimeError),
    ("rms_norm_empty_shape", lambda nn_, z: nn_.functional.rms_norm(z(2, 3), ()), RuntimeError),
    ("rms_norm_weight", lambda nn_, z: nn_.functional.rms_norm(z(2, 3), (3,), z(4)),
     RuntimeError),
    ("rms_norm_layer", lambda nn_, z: nn_.RMSNorm(4)(z(2, 3)), RuntimeError),
    ("instance_norm_one_element",
     lambda nn_, z: nn_.functional.instance_norm(z(2, 3, 1)), ValueError),
    ("instance_norm_stats_pair",
     lambda nn_, z: nn_.functional.instance_norm(z(2, 3, 4), z(3), None), ValueError),
    ("instance_norm_no_stats",
     lambda nn_, z: nn_.functional.instance_norm(z(2, 3, 4), use_input_stats=False),
     RuntimeError),
    ("instance_norm_stats_shape",
     lambda nn_, z: nn_.functional.instance_norm(z(2, 3, 4), z(5), z(5)), RuntimeError),
    ("instance_norm_1d_rank", lambda nn_, z: nn_.InstanceNorm1d(3)(z(2, 3, 4, 5)), ValueError),
    ("instance_norm_2d_rank", lambda nn_, z: nn_.InstanceNorm2d(3)(z(3, 4)), ValueError),
    ("instance_norm_affine_channels",
     lambda nn_, z: nn_.InstanceNorm1d(3, affine=True)(z(2, 4, 5)), ValueError),
    ("parameter_list_index", lambda nn_, z: nn_.ParameterList([z(1)])[1], IndexError),
    ("parameter_list_str_index", lambda nn_, z: nn_.ParameterList([z(1)])["0"], TypeError),
    ("parameter_list_extend_tensor", lambda nn_, z: nn_.ParameterList().extend(z(2)), TypeError),
    ("parameter_list_call", lambda nn_, z: nn_.ParameterList()(), RuntimeError),
    ("parameter_dict_int_key", lambda nn_, z: nn_.ParameterDict({1: z(1)}), TypeError),
    ("parameter_dict_dotted_key", lambda nn_, z: nn_.ParameterDict({"a.b": z(1)}), KeyError),
    ("parameter_dict_missing_key", lambda nn_, z: nn_.ParameterDict()["a"], AttributeError),
    ("parameter_dict_pair_length", lambda nn_, z: nn_.ParameterDict([("a", z(1), 1)]),
     ValueError),
    ("parameter_dict_call", lambda nn_, z: nn_.ParameterDict()(z(1)), RuntimeError),
    ("mha_heads_divide", lambda nn_, z: nn_.MultiheadAttention(6, 4), AssertionError),
    ("mha_embed_dim", lambda nn_, z: nn_.MultiheadAttention(0, 2), ValueError),
    ("mha_attn_mask_2d", lambda nn_, z: _mha_bad(nn_, z, attn_mask=z(4, 4)), RuntimeError),
    ("mha_attn_mask_3d", lambda nn_, z: _mha_bad(nn_, z, attn_mask=z(3, 4, 5)), RuntimeError),
    ("mha_attn_mask_4d", lambda nn_, z: _mha_bad(nn_, z, attn_mask=z(1, 6, 4, 5)),
     AssertionError),
    ("mha_attn_mask_int", lambda nn_, z: _mha_bad(nn_, z, attn_mask=z(4, 5, dtype="int64")),
     AssertionError),
    ("mha_kpm_shape", lambda nn_, z: _mha_bad(nn_, z, key_padding_mask=z(3, 4)),
     AssertionError),
    ("mha_kpm_rank", lambda nn_, z: _mha_bad(nn_, z, key_padding_mask=z(5)), AssertionError),
    ("mha_query_rank", lambda nn_, z: _mha_bad(nn_, z, q=z(2, 4, 3, 8)), AssertionError),
    ("mha_key_rank", lambda nn_, z: _mha_bad(nn_, z, k=z(5, 8)), AssertionError),
    ("mha_key_value_shapes", lambda nn_, z: _mha_bad(nn_, z, v=z(6, 3, 8)), AssertionError),
    ("mha_embed_dim_of_query", lambda nn_, z: _mha_bad(nn_, z, q=z(4, 3, 6)), AssertionError),
    ("mha_causal_without_mask", lambda nn_, z: _mha_bad(nn_, z, is_causal=True), RuntimeError),
    ("sdpa_causal_and_mask", lambda nn_, z: _sdpa_bad(nn_, z, attn_mask=z(4, 6), is_causal=True),
     RuntimeError),
    ("sdpa_features", lambda nn_, z: _sdpa_bad(nn_, z, k=z(2, 6, 4)), RuntimeError),
    ("sdpa_lengths", lambda nn_, z: _sdpa_bad(nn_, z, v=z(2, 5, 3)), RuntimeError),
    ("sdpa_1d", lambda nn_, z: _sdpa_bad(nn_, z, q=z(5), k=z(5), v=z(5)), RuntimeError),
    ("sdpa_dtypes", lambda nn_, z: _sdpa_bad(nn_, z, v=z(2, 6, 3, dtype="float64")),
     RuntimeError),
    ("sdpa_mask_dtype", lambda nn_, z: _sdpa_bad(nn_, z, attn_mask=z(4, 6, dtype="int64")),
     RuntimeError),
    ("sdpa_mask_shape", lambda nn_, z: _sdpa_bad(nn_, z, attn_mask=z(5, 6)), RuntimeError),
    ("sdpa_gqa_heads", lambda nn_, z: _sdpa_bad(nn_, z, q=z(2, 3, 4, 5), k=z(2, 2, 6, 5),
                                                v=z(2, 2, 6, 3), enable_gqa=True),
     RuntimeError),
    ("sdpa_dropout_p", lambda nn_, z: _sdpa_bad(nn_, z, dropout_p=1.5), RuntimeError),
]


def _mha_bad(nn_, z, q=None, k=None, v=None, **kwargs):
    """MultiheadAttention(8, 2) on (L, N, E) = (4, 3, 8) queries and 5 keys, with one
    input or argument replaced."""
    q, k, v = (z(*s) if t is None else t for t, s in ((q, (4, 3, 8)), (k, (5, 3, 8)),
                                                     (v, (5, 3, 8))))
    return nn_.MultiheadAttention(8, 2)(q, k, v, **kwargs)


def _sdpa_bad(nn_, z, q=None, k=None, v=None, **kwargs):
    """scaled_dot_product_attention on (2, 4, 5) queries, (2, 6, 5) keys and (2, 6, 3)
    values, with one input or argument replaced."""
    q, k, v = (z(*s) if t is None else t for t, s in ((q, (2, 4, 5)), (k, (2, 6, 5)),
                                                     (v, (2, 6, 3))))
    return nn_.functional.scaled_dot_product_attention(q, k, v, **kwargs)


class _OurNN:
    """nn with the new classes, which nn/__init__.py does not export yet."""
    def __getattr__(self, name):
        return ours(name)


@pytest.mark.parametrize("call,exc", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_raises_pytorchs_exception_type(call, exc):
    with pytest.raises(exc):
        call(_OurNN(), lambda *s, dtype=None: ag.zeros(*s, dtype=dtype))


@pytest.mark.parametrize("call,exc", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_pytorch_raises_the_same_type(call, exc):
    torch = pytest.importorskip("torch")
    with pytest.raises(exc):
        call(torch.nn, lambda *s, dtype=None: torch.zeros(*s, dtype=dtype and getattr(torch, dtype)))


def test_errors_name_the_op_or_layer_and_shapes():
    with pytest.raises(RuntimeError, match=r"group_norm: .*\(2, 6, 3\) and num_groups=4"):
        F.group_norm(ag.zeros(2, 6, 3), 4)
    with pytest.raises(ValueError, match=r"GroupNorm: num_channels \(6\) .* num_groups \(4\)"):
        GroupNorm(4, 6)
    with pytest.raises(RuntimeError, match=r"GroupNorm\(2, 4.*\(N, 4, \*\).*\(2, 6, 3\)"):
        GroupNorm(2, 4)(ag.zeros(2, 6, 3))
    with pytest.raises(RuntimeError, match=r"RMSNorm\(\(4,\).*\(\*, 4\).*\(2, 3\)"):
        RMSNorm(4)(ag.zeros(2, 3))
    with pytest.raises(RuntimeError, match=r"instance_norm: running_mean of shape \(5,\)"):
        F.instance_norm(ag.zeros(2, 3, 4), ag.zeros(5), ag.ones(5))
    with pytest.raises(RuntimeError, match="rms_norm: input dtype float32 and weight dtype "
                                           "float64 differ"):
        F.rms_norm(ag.zeros(2, 3), (3,), ag.ones(3, dtype=ag.float64))


# ---- ParameterList and ParameterDict ----------------------------------------------------

def test_parameter_list_registers_tensors_under_positions():
    t = ag.ones(2)
    pl = ParameterList([t, nn.Parameter(ag.zeros(3)), "note"])
    assert isinstance(pl[0], nn.Parameter) and np.shares_memory(pl[0].data, t.data)
    assert pl[-1] == "note" and len(pl) == 3
    pl.append(ag.zeros(4)).extend([ag.zeros(1)])
    pl += [ag.zeros(5)]
    assert [k for k, _ in pl.named_parameters()] == ["0", "1", "3", "4", "5"]
    assert [tuple(p.shape) for p in pl.parameters()] == [(2,), (3,), (4,), (1,), (5,)]
    pl[1] = ag.ones(6)
    assert pl.state_dict()["1"].shape == (6,) and isinstance(pl[1], nn.Parameter)
    sub = pl[1::2]
    assert isinstance(sub, ParameterList) and list(sub.state_dict()) == ["0", "1", "2"]
    assert sub[0] is pl[1] and sub[1] is pl[3]
    assert [type(v).__name__ for v in pl] == ["Parameter"] * 2 + ["str"] + ["Parameter"] * 3
    assert not any(k.isdigit() for k in dir(pl))
    model = nn.Module()
    model.ps = pl
    assert list(model.state_dict()) == [f"ps.{i}" for i in (0, 1, 3, 4, 5)]


def test_parameter_list_trains():
    pl = ParameterList([ag.tensor([1.0, 2.0]), ag.tensor([3.0])])
    (pl[0].sum() * pl[1].sum()).backward()
    assert pl[0].grad.tolist() == [3.0, 3.0] and pl[1].grad.tolist() == [3.0]


def test_parameter_dict_methods():
    pd = ParameterDict({"b": ag.ones(2), "a": ag.zeros(3), "c": 7})   # a dict: keys sorted
    assert list(pd) == ["a", "b", "c"] and list(pd.state_dict()) == ["a", "b"]
    pd.update(OrderedDict([("z", ag.ones(1)), ("y", ag.ones(1))]))   # in order
    pd.update([("x", ag.ones(1))])
    assert list(pd.keys()) == ["a", "b", "c", "z", "y", "x"]
    assert isinstance(pd["a"], nn.Parameter) and pd["c"] == 7 and "z" in pd and len(pd) == 6
    assert [k for k, _ in pd.items()] == list(pd) and list(pd.values())[2] == 7
    assert pd.pop("z").shape == (1,) and "z" not in pd and "z" not in pd.state_dict()
    k, v = pd.popitem()
    assert k == "x" and list(pd)[-1] == "y"
    assert pd.get("nope", 3) == 3 and pd.setdefault("w", ag.ones(2)).shape == (2,)
    del pd["b"]
    assert list(pd.state_dict()) == ["a", "y", "w"] and list(reversed(pd))[0] == "w"
    pd["a"] = ag.full((2,), 5.0)     # replaced, keeping its place
    assert list(pd.state_dict()) == ["a", "y", "w"] and pd["a"].tolist() == [5.0, 5.0]
    both = ParameterDict({"q": ag.ones(1)}) | pd
    assert list(both) == ["q", "a", "c", "y", "w"] and both["a"] is pd["a"]
    copy = pd.copy()
    assert list(copy) == list(pd) and copy["y"] is pd["y"]
    pd.clear()
    assert len(pd) == 0 and list(pd.state_dict()) == []
    with pytest.raises(KeyError):
        pd["a"]


def _build_containers(lib, tensor):
    class Net(lib.Module):
        def __init__(self):
            super().__init__()
            self.pl = lib.ParameterList([tensor(np.ones((2, 3))), "x",
                                         tensor(np.zeros(3, np.float64)), tensor(np.ones(()))])
            self.pl.append(tensor(np.ones(4)))
            self.pd = lib.ParameterDict({"w": tensor(np.ones((2, 2))), "b": 3,
                                         "a": tensor(np.ones(1, np.float16))})
            self.pd.update([("z", tensor(np.ones(2)))])
            self.empty = lib.ParameterList()
            self.one = lib.ParameterList([tensor(np.ones(2))])
    return Net()


def test_parameter_containers_match_torch():
    torch = pytest.importorskip("torch")
    ours_net = _build_containers(_OurNN(), lambda a: ag.tensor(a))
    twin = _build_containers(torch.nn, lambda a: torch.tensor(a))
    assert repr(ours_net) == repr(twin)
    assert {k: tuple(v.shape) for k, v in ours_net.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in twin.state_dict().items()}
    assert list(ours_net.state_dict()) == list(twin.state_dict())
    assert [k for k, _ in ours_net.named_parameters()] == [k for k, _ in twin.named_parameters()]
    twin.load_state_dict({k: torch.from_numpy(np.array(v.data))
                          for k, v in ours_net.state_dict().items()})


# ---- scaled_dot_product_attention ---------------------------------------------------------

def _sdpa_case(case, rng):
    """(query, key, value, keyword arguments) as float64 arrays for one option."""
    q, k, v = (rng.standard_normal(s) for s in ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 2)))
    kw: dict = {}
    if case == "bool_mask":
        mask = rng.random((4, 6)) > 0.5
        mask[1] = False            # a query with nothing to attend to: zeros
        kw["attn_mask"] = mask
    elif case == "float_mask":
        kw["attn_mask"] = rng.standard_normal((3, 4, 6))
    elif case == "float_mask_inf":     # -inf drops a score; a row of them gives zeros
        mask = rng.standard_normal((4, 6))
        mask[rng.random((4, 6)) > 0.6] = -np.inf
        mask[2] = -np.inf
        kw["attn_mask"] = mask
    elif case == "causal":
        kw["is_causal"] = True
    elif case == "scale":
        kw["scale"] = 0.3
    elif case == "gqa":
        k, v = k[:, :1], v[:, :1]
        kw["enable_gqa"] = True
    elif case == "broadcast":
        q = q[0]                   # (3, 4, 5) against (2, 3, 6, 5)
    return q, k, v, kw


@pytest.mark.parametrize("case", ["plain", "bool_mask", "float_mask", "float_mask_inf", "causal",
                                  "scale", "gqa", "broadcast"])
def test_sdpa_matches_torch(case):
    """Outputs and the gradients of query, key, value (and a float mask)."""
    torch = pytest.importorskip("torch")
    q, k, v, kw = _sdpa_case(case, np.random.default_rng(3))
    arrays = {"query": q, "key": k, "value": v,
              **{n: a for n, a in kw.items() if isinstance(a, np.ndarray)}}
    scalars = {n: a for n, a in kw.items() if not isinstance(a, np.ndarray)}
    ours_in = {n: ag.tensor(a, requires_grad=a.dtype != bool) for n, a in arrays.items()}
    theirs_in = {n: torch.tensor(a, requires_grad=a.dtype != bool) for n, a in arrays.items()}
    out = F.scaled_dot_product_attention(**ours_in, **scalars)
    tout = torch.nn.functional.scaled_dot_product_attention(**theirs_in, **scalars)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), atol=1e-12)
    u = np.random.default_rng(4).standard_normal(out.shape)
    (out * ag.tensor(u)).sum().backward()
    (tout * torch.tensor(u)).sum().backward()
    for n, t in ours_in.items():
        if t.requires_grad:
            np.testing.assert_allclose(t.grad.data, theirs_in[n].grad.numpy(), atol=1e-12,
                                       err_msg=n)


# ---- MultiheadAttention ---------------------------------------------------------------

E, HEADS, L, S, N = 8, 2, 4, 5, 3

MHA_CONFIGS = [dict(), dict(bias=False), dict(batch_first=True), dict(kdim=5, vdim=3),
               dict(add_bias_kv=True), dict(add_zero_attn=True),
               dict(kdim=5, vdim=3, add_bias_kv=True, add_zero_attn=True, batch_first=True)]

MHA_CALLS = ["plain", "no_weights", "per_head", "kpm_bool", "kpm_float", "mask_bool_2d",
             "mask_float_3d", "kpm_and_mask", "causal", "causal_weights", "unbatched", "self"]


def _mha_call(config, call, rng):
    """(query, key, value, keyword arguments) as arrays for one way of calling."""
    kdim, vdim = config.get("kdim", E), config.get("vdim", E)

    def seq(t, d):
        if call == "unbatched":
            return rng.standard_normal((t, d))
        return rng.standard_normal((N, t, d) if config.get("batch_first") else (t, N, d))

    q, k, v = seq(L, E), seq(S, kdim), seq(S, vdim)
    kpm = np.zeros((N, S), bool)
    kpm[0, 1] = True
    kpm[1, [0, 3]] = True
    mask = np.zeros((L, S), bool)
    mask[0, 2] = True
    mask[2, :3] = True
    causal = np.triu(np.ones((L, S), bool), 1)
    kw = {"no_weights": dict(need_weights=False), "per_head": dict(average_attn_weights=False),
          "kpm_bool": dict(key_padding_mask=kpm),
          "kpm_float": dict(key_padding_mask=rng.standard_normal((N, S))),
          "mask_bool_2d": dict(attn_mask=mask),
          "mask_float_3d": dict(attn_mask=rng.standard_normal((N * HEADS, L, S))),
          "kpm_and_mask": dict(key_padding_mask=kpm, attn_mask=mask),
          "causal": dict(attn_mask=causal, is_causal=True, need_weights=False),
          "causal_weights": dict(attn_mask=causal, is_causal=True),
          "unbatched": dict(key_padding_mask=np.where(kpm[1], -np.inf, rng.random(S)),
                            attn_mask=rng.standard_normal((HEADS, L, S)))}.get(call, {})
    return q, k, v, kw


def _mha_pair(torch, config):
    m = MultiheadAttention(E, HEADS, **config).double()
    randomize(m)   # non-zero biases too
    return m, torch_twin(torch, m, "MultiheadAttention", E, HEADS, **config)


@pytest.mark.parametrize("call", MHA_CALLS)
@pytest.mark.parametrize("config", MHA_CONFIGS, ids=str)
def test_multihead_attention_matches_torch(config, call):
    """Output, attention weights, and the gradients of query, key, value and every
    parameter, for each constructor option and way of calling."""
    torch = pytest.importorskip("torch")
    if call == "self" and "kdim" in config:
        pytest.skip("self-attention needs kdim == vdim == embed_dim")
    m, twin = _mha_pair(torch, config)
    q, k, v, kw = _mha_call(config, call, np.random.default_rng(5))
    if call == "self":
        k = v = q
    tensors = [ag.tensor(a, requires_grad=True) for a in (q, k, v)]
    ttensors = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    if call == "self":
        tensors, ttensors = [tensors[0]] * 3, [ttensors[0]] * 3
    ours_kw = {n: ag.tensor(a) if isinstance(a, np.ndarray) else a for n, a in kw.items()}
    theirs_kw = {n: torch.tensor(a) if isinstance(a, np.ndarray) else a for n, a in kw.items()}
    out, w = m(*tensors, **ours_kw)
    tout, tw = twin(*ttensors, **theirs_kw)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), atol=1e-12)
    assert (w is None) == (tw is None)
    if w is not None:
        np.testing.assert_allclose(w.data, tw.detach().numpy(), atol=1e-12)
    u = np.random.default_rng(6).standard_normal(out.shape)
    loss = (out * ag.tensor(u)).sum() + (0 if w is None else (w * w).sum())
    tloss = (tout * torch.tensor(u)).sum() + (0 if tw is None else (tw * tw).sum())
    loss.backward()
    tloss.backward()
    for t, tt, name in zip(tensors, ttensors, ("query", "key", "value")):
        np.testing.assert_allclose(t.grad.data, tt.grad.numpy(), atol=1e-12, err_msg=name)
    theirs = dict(twin.named_parameters())
    for n, p in m.named_parameters():
        np.testing.assert_allclose(p.grad.data, theirs[n].grad.numpy(), atol=1e-12, err_msg=n)


@pytest.mark.parametrize("config", MHA_CONFIGS, ids=str)
def test_multihead_attention_state_dicts_port_both_ways(config):
    """PyTorch's freshly initialized state_dict in ours, then ours in PyTorch's: the same
    keys, shapes and outputs (in eval, with dropout)."""
    torch = pytest.importorskip("torch")
    twin = torch.nn.MultiheadAttention(E, HEADS, dropout=0.3, **config).double().eval()
    m = MultiheadAttention(E, HEADS, dropout=0.3, **config).double().eval()
    tsd = twin.state_dict()
    assert [(k, tuple(v.shape)) for k, v in m.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in tsd.items()]
    m.load_state_dict({k: v.numpy() for k, v in tsd.items()})
    q, k, v, _ = _mha_call(config, "plain", np.random.default_rng(7))
    for _ in range(2):
        out, w = m(ag.tensor(q), ag.tensor(k), ag.tensor(v))
        with torch.no_grad():
            tout, tw = twin(torch.tensor(q), torch.tensor(k), torch.tensor(v))
        np.testing.assert_allclose(out.data, tout.numpy(), atol=1e-12)
        np.testing.assert_allclose(w.data, tw.numpy(), atol=1e-12)
        randomize(m, seed=8)
        twin.load_state_dict({k: torch.from_numpy(np.array(v.data))
                              for k, v in m.state_dict().items()})


def test_multihead_attention_default_init():
    ag.manual_seed(0)
    m = MultiheadAttention(64, 4, add_bias_kv=True)
    bound = np.sqrt(6 / (64 + 3 * 64))   # Xavier-uniform of (3E, E)
    w = m.in_proj_weight.data
    assert w.shape == (192, 64) and np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert not m.in_proj_bias.data.any() and not m.out_proj.bias.data.any()
    lin = 1 / np.sqrt(64)                # out_proj keeps a Linear's init
    assert np.abs(m.out_proj.weight.data).max() <= lin
    assert np.abs(m.out_proj.weight.data).max() > 0.95 * lin
    both = np.concatenate([m.bias_k.data.ravel(), m.bias_v.data.ravel()])
    assert abs(both.std() - 1 / np.sqrt(64)) < 0.25 / np.sqrt(64)   # Xavier-normal (1, 1, E)
    sep = MultiheadAttention(6, 2, kdim=4, vdim=2, bias=False)
    assert sep.in_proj_weight is None and sep.in_proj_bias is None and sep.bias_k is None
    assert [tuple(p.shape) for p in sep.parameters()] == [(6, 6), (6, 4), (6, 2), (6, 6)]
    for p, fan_in in ((sep.q_proj_weight, 6), (sep.k_proj_weight, 4), (sep.v_proj_weight, 2)):
        assert np.abs(p.data).max() <= np.sqrt(6 / (6 + fan_in))


def test_multihead_attention_dropout_and_empty_rows():
    """Dropout acts on the weights in training only; a query whose keys are all padded
    gets zero weights (PyTorch: NaN with need_weights, zeros without)."""
    m = MultiheadAttention(4, 2, dropout=0.5).double()
    x = ag.tensor(RNG.standard_normal((3, 2, 4)))
    ag.manual_seed(0)
    out, w = m(x, x, x)
    assert np.any(w.data == 0) and not np.allclose(w.data.sum(-1), 1)
    m.eval()
    out, w = m(x, x, x)
    np.testing.assert_allclose(w.data.sum(-1), 1, rtol=1e-12)
    kpm = np.array([[False, True, False], [True, True, True]])
    out, w = m(x, x, x, key_padding_mask=ag.tensor(kpm))
    assert not np.isnan(out.data).any() and not w.data[1].any()
    np.testing.assert_allclose(out.data[:, 1], 0, atol=1e-15)   # out_proj's bias is zero


MHA_REPRS = [((8, 2), {}), ((8, 2), dict(bias=False, kdim=3, vdim=5)),
             ((4, 4), dict(add_bias_kv=True, add_zero_attn=True, batch_first=True))]


@pytest.mark.parametrize("args,kwargs", MHA_REPRS, ids=str)
def test_multihead_attention_repr_matches_torch(args, kwargs):
    torch = pytest.importorskip("torch")
    assert repr(MultiheadAttention(*args, **kwargs)) == \
        repr(torch.nn.MultiheadAttention(*args, **kwargs))


def test_attention_errors_name_the_op_or_layer_and_shapes():
    q, k, v = ag.zeros(2, 4, 5), ag.zeros(2, 6, 5), ag.zeros(2, 6, 3)
    with pytest.raises(RuntimeError, match=r"scaled_dot_product_attention: .*\(2, 4, 5\), "
                                           r"\(2, 6, 4\) and \(2, 6, 3\)"):
        F.scaled_dot_product_attention(q, ag.zeros(2, 6, 4), v)
    with pytest.raises(RuntimeError, match=r"scaled_dot_product_attention: attn_mask of shape "
                                           r"\(5, 6\) does not broadcast"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=ag.zeros(5, 6, dtype=ag.bool_))
    with pytest.raises(AssertionError, match="MultiheadAttention: embed_dim must be divisible "
                                             "by num_heads, got embed_dim=6 and num_heads=4"):
        MultiheadAttention(6, 4)
    with pytest.raises(RuntimeError, match=r"MultiheadAttention: the shape of the 2D attn_mask "
                                           r"is \(4, 4\), but should be \(4, 5\)"):
        _mha_bad(_OurNN(), ag.zeros, attn_mask=ag.zeros(4, 4))
    with pytest.raises(AssertionError, match=r"MultiheadAttention: expected key_padding_mask "
                                             r"of shape \(3, 5\), got \(3, 4\)"):
        _mha_bad(_OurNN(), ag.zeros, key_padding_mask=ag.zeros(3, 4))


def test_multi_head_attention_forward_static_kv_matches_torch():
    """static_k / static_v (N * H, S, E / H) stand in for the projected keys and values."""
    torch = pytest.importorskip("torch")
    m, twin = _mha_pair(torch, dict(add_zero_attn=True))
    rng = np.random.default_rng(9)
    q, k, v = (rng.standard_normal((L, N, E)) for _ in range(3))
    sk, sv = (rng.standard_normal((N * HEADS, 6, E // HEADS)) for _ in range(2))
    kpm = rng.random((N, 6)) > 0.7

    def run(lib, tensor, module):
        args = [tensor(a) for a in (q, k, v)] + [E, HEADS, module.in_proj_weight,
                                                 module.in_proj_bias, None, None, True, 0.0,
                                                 module.out_proj.weight, module.out_proj.bias]
        return lib.multi_head_attention_forward(
            *args, key_padding_mask=tensor(kpm), static_k=tensor(sk), static_v=tensor(sv))

    out, w = run(F, ag.tensor, m)
    tout, tw = run(torch.nn.functional, torch.tensor, twin)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(w.data, tw.detach().numpy(), atol=1e-12)


@pytest.mark.parametrize("make", [
    lambda: nn.LayerNorm(3), lambda: nn.LayerNorm(3, bias=False), lambda: nn.RMSNorm(3),
    lambda: nn.GroupNorm(1, 3), lambda: nn.BatchNorm1d(3), lambda: nn.BatchNorm2d(3),
    lambda: nn.InstanceNorm1d(3, affine=True, track_running_stats=True),
    lambda: nn.LayerNorm(3, elementwise_affine=False)])
def test_reset_parameters_restores_the_initial_state(make):
    m, fresh = make(), make()
    for t in m.state_dict().values():
        t.data[...] = 7
    m.reset_parameters()
    got, want = m.state_dict(), fresh.state_dict()
    assert list(got) == list(want)
    for k in want:
        np.testing.assert_array_equal(got[k].data, want[k].data, err_msg=k)
