"""PyTorch parity of the module system, containers, nn.init, nn.utils, nn.data and
nn.load (second audit pass): expected values are worked out by hand, and compared with
PyTorch where it is installed."""
import math

import numpy as np
import pytest

import autograd as ag
import nn


class Tagged(nn.Module):
    def __init__(self, tag):
        super().__init__()
        self.tag = tag

    def forward(self, x):
        return x


def tags(container):
    return [m.tag for m in container]


def keys(pairs):
    return [k for k, _ in pairs]


# ---- Module -------------------------------------------------------------------------
def test_register_names_are_validated_like_torch():
    m = nn.Linear(2, 2)
    for register, value in ((m.add_module, Tagged(0)), (m.register_module, Tagged(0)),
                            (m.register_buffer, ag.zeros(1)),
                            (m.register_parameter, nn.Parameter(ag.zeros(1)))):
        with pytest.raises(TypeError, match="name should be a string"):
            register(3, value)
        with pytest.raises(KeyError, match="contain"):
            register("a.b", value)
        with pytest.raises(KeyError, match="empty"):
            register("", value)
        with pytest.raises(KeyError, match="already exists"):
            register("forward", value)
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("weight", ag.zeros(1))   # a parameter of that name exists
    m.register_parameter("weight", None)           # re-registering the same kind is fine
    assert m.weight is None
    with pytest.raises(KeyError, match="contain"):
        nn.ModuleDict()["a.b"] = Tagged(0)


def test_plain_attributes_before_init_parameters_not():
    class Early(nn.Module):
        def __init__(self):
            self.flag = 1          # PyTorch allows this before Module.__init__
            super().__init__()

    assert Early().flag == 1

    class Bad(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(ag.zeros(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Bad()


def test_state_dict_prefix_is_prepended_verbatim():
    lin = nn.Linear(2, 2)
    assert list(lin.state_dict(prefix="x")) == ["xweight", "xbias"]
    assert list(lin.state_dict(prefix="x.")) == ["x.weight", "x.bias"]


def test_named_parameters_and_buffers_remove_duplicate():
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.BatchNorm1d(2)
            self.b = self.a
            self.p = nn.Parameter(ag.zeros(1))
            self.q = self.p

    t = Tied()
    assert keys(t.named_parameters()) == ["p", "a.weight", "a.bias"]
    assert keys(t.named_parameters(remove_duplicate=False)) == [
        "p", "q", "a.weight", "a.bias", "b.weight", "b.bias"]
    assert keys(t.named_buffers(remove_duplicate=False)) == [
        "a.running_mean", "a.running_var", "a.num_batches_tracked",
        "b.running_mean", "b.running_var", "b.num_batches_tracked"]


def test_get_submodule_parameter_buffer():
    net = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.BatchNorm1d(3)))
    assert net.get_submodule("") is net
    assert net.get_submodule("1.0") is net[1][0]
    assert net.get_parameter("0.weight") is net[0].weight
    assert net.get_buffer("1.0.running_mean") is net[1][0].running_mean
    with pytest.raises(AttributeError, match="has no attribute `5`"):
        net.get_submodule("5")
    with pytest.raises(AttributeError, match="is not an nn.Module"):
        net.get_submodule("0.weight")
    with pytest.raises(AttributeError, match="is not an nn.Parameter"):
        net.get_parameter("1.0.running_mean")
    with pytest.raises(AttributeError, match="is not a buffer"):
        net.get_buffer("0.weight")


def test_train_mode_must_be_bool():
    with pytest.raises(ValueError, match="boolean"):
        nn.Linear(1, 1).train("no")


def test_apply_visits_children_in_order_then_self():
    net = nn.Sequential(nn.Sequential(Tagged("a"), Tagged("b")), Tagged("c"))
    net[0].tag, net.tag = "s0", "root"
    seen = []
    assert net.apply(lambda m: seen.append(m.tag)) is net
    assert seen == ["a", "b", "s0", "c", "root"]


def test_half_type_cpu():
    lin = nn.Linear(2, 2)
    assert lin.half() is lin and lin.weight.dtype == np.float16
    assert lin.type(np.float64) is lin and lin.bias.dtype == np.float64
    assert lin.cpu() is lin


def test_load_state_dict_errors_and_return_value():
    lin = nn.Linear(2, 1)
    with pytest.raises(TypeError, match="dict-like"):
        lin.load_state_dict([("weight", ag.zeros(1, 2))])
    with pytest.raises(RuntimeError, match='parameter named "bias".*received NoneType'):
        lin.load_state_dict({"weight": ag.zeros(1, 2), "bias": None})
    ok = lin.load_state_dict(lin.state_dict())
    assert repr(ok) == "<All keys matched successfully>"
    r = lin.load_state_dict({"weight": ag.zeros(1, 2), "extra": ag.zeros(1)}, strict=False)
    assert repr(r) == "_IncompatibleKeys(missing_keys=['bias'], unexpected_keys=['extra'])"
    assert r.missing_keys == ["bias"] and tuple(r) == (["bias"], ["extra"])


def test_load_state_dict_assign_puts_the_given_tensors_in_place():
    lin = nn.Linear(2, 1)
    lin.bias.requires_grad_(False)
    w, b = ag.ones(1, 2, dtype=ag.float64), ag.full((1,), 5.0, dtype=ag.float64)
    lin.load_state_dict({"weight": w, "bias": b}, assign=True)
    assert isinstance(lin.weight, nn.Parameter) and lin.weight.dtype == np.float64
    assert np.shares_memory(lin.weight.data, w.data)
    assert lin.weight.requires_grad and not lin.bias.requires_grad   # kept from the module
    bn = nn.BatchNorm1d(1)
    rm = ag.full((1,), 3.0)
    bn.load_state_dict({**bn.state_dict(), "running_mean": rm}, assign=True)
    assert bn.running_mean is rm


def test_forward_hooks_with_kwargs_prepend_always_call():
    class Mul(nn.Module):
        def forward(self, x, y=1):
            return x * y

    m, log = Mul(), []
    m.register_forward_pre_hook(lambda mod, args, kw: (args, {"y": 3}), with_kwargs=True)
    m.register_forward_hook(lambda mod, args, kw, out: log.append((args, kw, out)),
                            with_kwargs=True)
    assert m(2, y=5) == 6 and log == [((2,), {"y": 3}, 6)]

    order = []
    m = Mul()
    m.register_forward_hook(lambda *a: order.append(1))
    m.register_forward_hook(lambda *a: order.append(2), prepend=True)
    m.register_forward_pre_hook(lambda *a: order.append(3))
    m.register_forward_pre_hook(lambda *a: order.append(4), prepend=True)
    m(1)
    assert order == [4, 3, 2, 1]

    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    b, seen = Boom(), []
    b.register_forward_hook(lambda mod, args, out: seen.append(out), always_call=True)
    b.register_forward_hook(lambda *a: seen.append("not always"))
    with pytest.raises(ValueError, match="boom"):
        b(1)
    assert seen == [None]

    m, seen = Mul(), []
    with m.register_forward_hook(lambda *a: seen.append(1)):
        m(1)
    m(1)
    assert seen == [1]


def test_pre_hook_with_kwargs_bad_return():
    m = Tagged(0)
    m.register_forward_pre_hook(lambda mod, args, kw: 5, with_kwargs=True)
    with pytest.raises(RuntimeError, match="new_args, new_kwargs"):
        m(1)


class TwoLines(nn.Module):
    def extra_repr(self):
        return "a=1\nb=2"


def test_repr_multiline_extra_repr_and_compressed_module_list():
    assert repr(TwoLines()) == "TwoLines(\n  a=1\n  b=2\n)"
    t = TwoLines()
    t.c = nn.ReLU()
    assert repr(t) == "TwoLines(\n  a=1\n  b=2\n  (c): ReLU()\n)"
    ml = nn.ModuleList([nn.ReLU(), nn.ReLU(), nn.Linear(1, 1), nn.ReLU()])
    assert repr(ml) == ("ModuleList(\n  (0-1): 2 x ReLU()\n"
                        "  (2): Linear(in_features=1, out_features=1, bias=True)\n"
                        "  (3): ReLU()\n)")
    assert repr(nn.ModuleList()) == "ModuleList()"


def test_repr_matches_torch():
    torch = pytest.importorskip("torch")

    def build(lib, extra):
        class E(lib.Module):
            def extra_repr(self):
                return extra

        e = E()
        e.inner = lib.ModuleList([lib.Linear(2, 2) for _ in range(3)] + [lib.Tanh()])
        e.seq = lib.Sequential(lib.ReLU(), E())
        return e

    for extra in ("", "k=1", "a=1\nb=2"):
        assert repr(build(nn, extra)) == repr(build(torch.nn, extra))


# ---- containers ---------------------------------------------------------------------
@pytest.mark.parametrize("cls", [nn.Sequential, nn.ModuleList])
def test_indexed_containers_list_methods(cls):
    def make():
        mods = [Tagged(i) for i in range(4)]
        return cls(*mods) if cls is nn.Sequential else cls(mods)

    c = make()
    with pytest.raises(IndexError):
        c[4]
    with pytest.raises(IndexError):
        c[-5]
    with pytest.raises(TypeError):
        c["a"]
    c[-1] = Tagged(9)
    assert tags(c) == [0, 1, 2, 9]
    del c[1]
    assert tags(c) == [0, 2, 9] and list(c._modules) == ["0", "1", "2"]
    del c[::2]
    assert tags(c) == [2] and list(c._modules) == ["0"]
    c = make()
    c.insert(-1, Tagged(7))
    assert tags(c) == [0, 1, 2, 7, 3] and list(c._modules) == ["0", "1", "2", "3", "4"]
    with pytest.raises(IndexError):
        c.insert(6, Tagged(8))
    assert c.pop(0).tag == 0 and tags(c) == [1, 2, 7, 3]
    popped = c.pop(slice(0, 2))
    assert isinstance(popped, cls) and tags(popped) == [1, 2] and tags(c) == [7, 3]
    assert c.extend(c) is c and tags(c) == [7, 3, 7, 3]
    assert not any(k.isdigit() for k in dir(c))
    c += make()
    assert len(c) == 8
    assert tags(make() + make()) == [0, 1, 2, 3] * 2


def test_sequential_operators():
    s = nn.Sequential(Tagged(0), Tagged(1))
    assert tags(s * 2) == [0, 1, 0, 1] and tags(2 * s) == [0, 1, 0, 1]
    with pytest.raises(ValueError):
        s * 0
    with pytest.raises(TypeError):
        s * 1.5
    with pytest.raises(ValueError):
        s + [Tagged(2)]
    s *= 2
    assert tags(s) == [0, 1, 0, 1] and (s[0] is s[2])
    assert s.insert(0, Tagged(5)) is s
    with pytest.raises(TypeError):
        s.insert(0, 3)


def test_module_list_add_accepts_any_iterable_and_insert_returns_none():
    ml = nn.ModuleList([Tagged(0)])
    assert tags(ml + [Tagged(1)]) == [0, 1]
    assert ml.insert(0, Tagged(2)) is None and tags(ml) == [2, 0]
    with pytest.raises(TypeError, match="iterable"):
        ml.extend(3)


def test_module_dict_methods():
    md = nn.ModuleDict([("a", Tagged(1)), ("b", Tagged(2))])
    assert md.pop("a").tag == 1 and list(md) == ["b"]
    with pytest.raises(KeyError):
        md.pop("zz")
    md.update(nn.ModuleDict({"c": Tagged(3)}))
    assert list(md) == ["b", "c"]
    md.clear()
    assert len(md) == 0 and list(md.state_dict()) == []
    with pytest.raises(TypeError, match="iterable"):
        md.update(3)
    with pytest.raises(ValueError, match="length 3"):
        md.update([("a", Tagged(0), 1)])
    with pytest.raises(TypeError, match="should be a string"):
        md[1] = Tagged(0)


def test_containers_match_torch():
    torch = pytest.importorskip("torch")

    def run(lib):
        def t(i):
            m = lib.Identity()
            m.tag = i
            return m

        s = lib.Sequential(*[t(i) for i in range(5)])
        del s[1:3]
        s.insert(1, t(9))
        s.append(t(8)).extend([t(7)])
        s[-2] = t(6)
        s.pop(0)
        ml = lib.ModuleList([t(i) for i in range(4)])
        del ml[-1]
        ml.insert(1, t(5))
        ml += [t(4)]
        return ([m.tag for m in s], list(s._modules), [m.tag for m in ml],
                list(ml._modules), [m.tag for m in s[::-1]])

    assert run(nn) == run(torch.nn)


# ---- init ---------------------------------------------------------------------------
def test_init_generator_argument_reproduces():
    for fn, shape in ((nn.init.uniform_, (3, 4)), (nn.init.normal_, (3, 4)),
                      (nn.init.xavier_uniform_, (3, 4)), (nn.init.xavier_normal_, (3, 4)),
                      (nn.init.kaiming_uniform_, (3, 4)), (nn.init.kaiming_normal_, (3, 4)),
                      (nn.init.orthogonal_, (3, 4)), (nn.init.trunc_normal_, (3, 4))):
        a = fn(ag.zeros(*shape), generator=np.random.default_rng(5))
        b = fn(ag.zeros(*shape), generator=np.random.default_rng(5))
        np.testing.assert_array_equal(a.data, b.data)
        assert np.any(a.data != 0)


def test_init_bad_arguments_raise_torch_types():
    with pytest.raises(NotImplementedError, match="floating"):
        nn.init.uniform_(ag.zeros(3, dtype=ag.int64))
    with pytest.raises(NotImplementedError, match="floating"):
        nn.init.kaiming_normal_(ag.zeros(3, 3, dtype=ag.int64))
    with pytest.raises(RuntimeError, match="from=3 > to=1"):
        nn.init.uniform_(ag.zeros(2), 3, 1)
    with pytest.raises(RuntimeError, match="std >= 0"):
        nn.init.normal_(ag.zeros(2), 0, -1)
    assert nn.init.ones_(ag.zeros(2, dtype=ag.int64)).tolist() == [1, 1]   # not random: fine


def test_trunc_normal_bounds_and_moments():
    ag.manual_seed(0)
    t = nn.init.trunc_normal_(ag.zeros(40000, dtype=ag.float64))
    assert t.data.min() >= -2 and t.data.max() <= 2
    # N(0,1) truncated to [-2, 2]: variance 1 - 4 phi(2) / (2 Phi(2) - 1)
    phi2 = math.exp(-2) / math.sqrt(2 * math.pi)
    var = 1 - 4 * phi2 / math.erf(2 / math.sqrt(2))
    assert abs(t.data.mean()) < 4 * math.sqrt(var / 40000)
    assert abs(t.data.var() - var) < 0.02
    narrow = nn.init.trunc_normal_(ag.zeros(20000, dtype=ag.float64), a=2.0, b=3.0)
    assert narrow.data.min() >= 2 and narrow.data.max() <= 3
    # density exp(-x^2/2) on [2, 3]: mean (phi(2) - phi(3)) / (Phi(3) - Phi(2))
    phi3 = math.exp(-4.5) / math.sqrt(2 * math.pi)
    mass = (math.erf(3 / math.sqrt(2)) - math.erf(2 / math.sqrt(2))) / 2
    assert abs(narrow.data.mean() - (phi2 - phi3) / mass) < 0.01


def test_eye_dirac_sparse():
    np.testing.assert_array_equal(nn.init.eye_(ag.zeros(2, 3)).data,
                                  [[1, 0, 0], [0, 1, 0]])
    d = nn.init.dirac_(ag.full((4, 2, 3), 7.0), groups=2).data
    expected = np.zeros((4, 2, 3))
    expected[0, 0, 1] = expected[1, 1, 1] = expected[2, 0, 1] = expected[3, 1, 1] = 1
    np.testing.assert_array_equal(d, expected)
    with pytest.raises(ValueError, match="divisible"):
        nn.init.dirac_(ag.zeros(3, 2, 3), groups=2)
    with pytest.raises(ValueError, match="2 dimensions"):
        nn.init.eye_(ag.zeros(3))
    s = nn.init.sparse_(ag.zeros(10, 6), sparsity=0.25).data
    assert ((s == 0).sum(axis=0) == 3).all()    # ceil(0.25 * 10) zeros per column


def test_init_matches_torch_exactly_where_deterministic():
    torch = pytest.importorskip("torch")
    for shape, groups in (((4, 2, 3), 2), ((6, 2, 3, 3), 3), ((2, 3, 2, 2, 2), 1)):
        np.testing.assert_array_equal(nn.init.dirac_(ag.zeros(*shape), groups).data,
                                      torch.nn.init.dirac_(torch.zeros(shape), groups).numpy())
    np.testing.assert_array_equal(nn.init.eye_(ag.zeros(3, 5)).data,
                                  torch.nn.init.eye_(torch.zeros(3, 5)).numpy())


# ---- utils --------------------------------------------------------------------------
def _params_with_grads(*grads):
    ps = []
    for g in grads:
        p = nn.Parameter(ag.zeros(*g.shape, dtype=g.dtype))
        p.grad = ag.tensor(g)
        ps.append(p)
    return ps


def test_clip_grad_norm_promotes_dtype_and_takes_foreach():
    ps = _params_with_grads(np.array([3.0, 4.0], np.float32), np.array([12.0]))
    total = nn.utils.clip_grad_norm_(ps, 1.0, foreach=None)
    assert total.dtype == np.float64 and total.item() == 13.0
    np.testing.assert_allclose(ps[1].grad.data, [12 / (13 + 1e-6)])
    nn.utils.clip_grad_value_(ps, 0.5, foreach=False)
    assert ps[1].grad.data.max() <= 0.5


def test_get_total_norm_and_clip_grads_with_norm():
    ps = _params_with_grads(np.array([3.0, -4.0]), np.array([0.0]))
    total = nn.utils.get_total_norm([p.grad for p in ps], norm_type=1.0)
    assert total.item() == 7.0
    assert nn.utils.get_total_norm([]).item() == 0.0
    nn.utils.clip_grads_with_norm_(ps, 3.5, total)
    np.testing.assert_allclose(ps[0].grad.data, [1.5, -2.0], rtol=1e-6)
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.get_total_norm([ag.tensor([np.inf])], error_if_nonfinite=True)


def test_parameters_to_vector_and_back():
    ps = [nn.Parameter(ag.tensor([[1.0, 2.0], [3.0, 4.0]])), nn.Parameter(ag.tensor([5.0]))]
    v = nn.utils.parameters_to_vector(ps)
    assert v.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]
    (v * ag.arange(5.0)).sum().backward()       # differentiable, like torch.cat
    assert ps[0].grad.tolist() == [[0.0, 1.0], [2.0, 3.0]] and ps[1].grad.tolist() == [4.0]
    nn.utils.vector_to_parameters(ag.arange(10.0, 15.0), ps)
    assert ps[0].tolist() == [[10.0, 11.0], [12.0, 13.0]] and ps[1].tolist() == [14.0]
    with pytest.raises(RuntimeError, match="5 elements"):
        nn.utils.vector_to_parameters(ag.arange(4.0), ps)
    with pytest.raises(TypeError):
        nn.utils.vector_to_parameters(np.arange(5.0), ps)


# ---- data ---------------------------------------------------------------------------
def test_dataloader_batch_size_none_yields_samples():
    ds = nn.data.TensorDataset(ag.tensor([[1.0, 2.0], [3.0, 4.0]]), ag.tensor([0, 1]))
    dl = nn.data.DataLoader(ds, batch_size=None)
    assert len(dl) == 2
    assert [(x.tolist(), y.item()) for x, y in dl] == [([1.0, 2.0], 0), ([3.0, 4.0], 1)]
    with pytest.raises(ValueError, match="drop_last"):
        nn.data.DataLoader(ds, batch_size=None, drop_last=True)
    with pytest.raises(ValueError, match="positive integer"):
        nn.data.DataLoader(ds, batch_size=True)


def test_dataloader_keeps_batches_of_a_grad_tensor_on_the_graph():
    w = ag.tensor([[1.0], [2.0], [3.0]], requires_grad=True)
    for ds in (nn.data.TensorDataset(w), w):
        w.grad = None
        batches = list(nn.data.DataLoader(ds, batch_size=2, shuffle=True, seed=0))
        firsts = [b[0] if isinstance(b, (tuple, list)) else b for b in batches]
        sum((f * f).sum() for f in firsts).backward()
        assert w.grad.tolist() == [[2.0], [4.0], [6.0]]


# ---- saving -------------------------------------------------------------------------
def test_load_of_a_bfloat16_file_names_the_problem(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file
    path = tmp_path / "bf16.safetensors"
    save_file({"w": torch.ones(2, dtype=torch.bfloat16)}, str(path))
    with pytest.raises(TypeError, match="float32"):
        nn.load(path)

