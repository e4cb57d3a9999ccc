"""GroupNorm, RMSNorm, InstanceNorm1d/2d, ParameterList, ParameterDict: behaviour, and
parity with PyTorch where it is installed (the same state_dict gives the same outputs
and gradients, state_dicts load both ways with the same keys, reprs and exception types
are PyTorch's)."""
from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import autograd as ag
import nn
from nn import functional as F
from nn.containers import ParameterDict, ParameterList
from nn.layers import GroupNorm, InstanceNorm1d, InstanceNorm2d, RMSNorm

RNG = np.random.default_rng(0)

# Our new modules by PyTorch's names, for building the same model with either library.
OURS = {"GroupNorm": GroupNorm, "RMSNorm": RMSNorm, "InstanceNorm1d": InstanceNorm1d,
        "InstanceNorm2d": InstanceNorm2d, "ParameterList": ParameterList,
        "ParameterDict": ParameterDict}


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

def _x(lib, *shape):
    return (ag if lib is nn else lib).zeros(*shape)


# (id, a call taking the library's nn and a zeros(*shape) maker, PyTorch's exception type)
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
]


class _OurNN:
    """nn with the new classes, which nn/__init__.py does not export yet."""
    def __getattr__(self, name):
        return ours(name)


@pytest.mark.parametrize("call,exc", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_raises_pytorchs_exception_type(call, exc):
    with pytest.raises(exc):
        call(_OurNN(), lambda *s: ag.zeros(*s))


@pytest.mark.parametrize("call,exc", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_pytorch_raises_the_same_type(call, exc):
    torch = pytest.importorskip("torch")
    with pytest.raises(exc):
        call(torch.nn, lambda *s: torch.zeros(*s))


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
