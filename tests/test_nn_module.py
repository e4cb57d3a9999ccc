"""Module and containers: registration, traversal, modes, state, hooks, repr."""
from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import autograd as ag
import nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.norm = nn.BatchNorm1d(4)
        self.heads = nn.ModuleList([nn.Linear(4, 2), nn.Linear(4, 1)])
        self.extra = nn.ModuleDict({"proj": nn.Linear(4, 4)})
        self.scale = nn.Parameter(ag.ones(1))
        self.register_buffer("steps", ag.zeros(1), persistent=False)

    def forward(self, x):
        h = self.norm(self.fc(x)) * self.scale
        h = self.extra["proj"](h)
        return ag.cat([head(h) for head in self.heads], 1)


def test_registration_and_traversal_order():
    b = Block()
    names = [n for n, _ in b.named_parameters()]
    assert names == ["scale", "fc.weight", "fc.bias", "norm.weight", "norm.bias",
                     "heads.0.weight", "heads.0.bias", "heads.1.weight", "heads.1.bias",
                     "extra.proj.weight", "extra.proj.bias"]
    assert [n for n, _ in b.named_buffers()] == [
        "steps", "norm.running_mean", "norm.running_var", "norm.num_batches_tracked"]
    assert "steps" not in b.state_dict()                    # non-persistent
    assert [n for n, _ in b.named_children()] == ["fc", "norm", "heads", "extra"]
    assert [n for n, _ in b.named_modules()] == ["", "fc", "norm", "heads", "heads.0",
                                                 "heads.1", "extra", "extra.proj"]
    assert len(list(b.parameters(recurse=False))) == 1
    assert b(ag.randn(5, 3)).shape == (5, 3)


def test_pytorch_same_names_and_order():
    torch = pytest.importorskip("torch")

    class TBlock(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(3, 4)
            self.norm = torch.nn.BatchNorm1d(4)
            self.heads = torch.nn.ModuleList([torch.nn.Linear(4, 2), torch.nn.Linear(4, 1)])
            self.extra = torch.nn.ModuleDict({"proj": torch.nn.Linear(4, 4)})
            self.scale = torch.nn.Parameter(torch.ones(1))
            self.register_buffer("steps", torch.zeros(1), persistent=False)
    ours, theirs = Block(), TBlock()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert repr(ours.heads) == repr(theirs.heads)
    for kw in ({}, {"bias": False}, {"affine": False}, {"track_running_stats": False}):
        ob, tb = nn.BatchNorm1d(4, **kw), torch.nn.BatchNorm1d(4, **kw)
        assert repr(ob) == repr(tb) and list(ob.state_dict()) == list(tb.state_dict())
    assert repr(nn.LayerNorm(4)) == repr(torch.nn.LayerNorm(4))
    assert repr(nn.Embedding(5, 2, padding_idx=0)) == repr(torch.nn.Embedding(5, 2, padding_idx=0))
    assert repr(nn.Dropout(0.2)) == repr(torch.nn.Dropout(0.2))
    assert repr(nn.Flatten()) == repr(torch.nn.Flatten())


def test_assignment_type_checks():
    b = Block()
    with pytest.raises(TypeError, match="cannot assign int as child module 'fc'"):
        b.fc = 3
    b.fc = None
    assert "fc.weight" not in b.state_dict() and b.fc is None
    b.note = "plain attributes are fine"
    assert b.note.startswith("plain")


def test_shared_parameters_counted_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, lin)
    assert len(list(seq.parameters())) == 2
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_train_eval_apply_zero_grad():
    b = Block()
    assert all(m.training for m in b.modules())
    b.eval()
    assert not any(m.training for m in b.modules())
    b.train()
    seen = []
    b.apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Block" and seen.count("Linear") == 4
    b(ag.randn(4, 3)).sum().backward()
    assert all(p.grad is not None for p in b.parameters())
    b.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.data == 0) for p in b.parameters())
    b.zero_grad()
    assert all(p.grad is None for p in b.parameters())


def test_sequential_forms_and_indexing():
    a, b, c = nn.Linear(2, 3), nn.Linear(3, 3), nn.Linear(3, 1)
    s1 = nn.Sequential(a, b, c)
    s2 = nn.Sequential([a, b, c])
    s3 = nn.Sequential(OrderedDict([("inp", a), ("mid", b), ("out", c)]))
    x = ag.randn(4, 2)
    np.testing.assert_array_equal(s1(x).data, s2(x).data)
    np.testing.assert_array_equal(s1(x).data, s3(x).data)
    assert list(s3.state_dict())[:2] == ["inp.weight", "inp.bias"]
    assert len(s1) == 3 and s1[-1] is c and list(s1) == [a, b, c]
    assert isinstance(s1[1:], nn.Sequential) and len(s1[1:]) == 2
    s1.append(nn.Linear(1, 1))
    assert "3.weight" in s1.state_dict()


def test_module_list_and_dict():
    ml = nn.ModuleList()
    ml.append(nn.Linear(1, 1)).extend([nn.Linear(1, 2)])
    assert len(ml) == 2 and ml[1].out_features == 2
    ml[0] = nn.Linear(1, 3)
    assert ml[0].out_features == 3 and "0.weight" in ml.state_dict()
    md = nn.ModuleDict({"a": nn.Linear(1, 1)})
    md["b"] = nn.Linear(1, 2)
    assert list(md) == ["a", "b"] and "b" in md and len(md) == 2
    del md["a"]
    assert list(md.state_dict()) == ["b.weight", "b.bias"]


def test_forward_hooks():
    lin = nn.Linear(2, 2)
    h1 = lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    h2 = lin.register_forward_hook(lambda m, args, out: out + 1)
    out = lin(ag.randn(3, 2))
    np.testing.assert_allclose(out.data, np.broadcast_to(lin.bias.data + 1, (3, 2)), rtol=1e-6)
    h1.remove(), h2.remove()
    x = ag.randn(3, 2)
    np.testing.assert_allclose(lin(x).data, x.data @ lin.weight.data.T + lin.bias.data,
                               rtol=1e-6)


def test_repr_is_torch_like():
    model = nn.Sequential(nn.Linear(4, 3), nn.Dropout(0.1))
    assert repr(model) == ("Sequential(\n  (0): Linear(in_features=4, out_features=3, bias=True)\n"
                           "  (1): Dropout(p=0.1, inplace=False)\n)")
