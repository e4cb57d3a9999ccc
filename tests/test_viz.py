"""Graph pictures: `autograd.to_dot` / `autograd.draw_graph`.

The DOT text is parsed back with a small parser below and compared with the graph the
engine recorded, walked independently here: one DOT node per recorded node and per
leaf that requires grad, one DOT edge per dependency (non-None entry of ``node.next``).
"""
from __future__ import annotations

import html
import re
import shutil
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import autograd as ag
import nn
from autograd import viz
from autograd.grad_mode import STATE
from autograd.viz import _dot as vdot
from autograd.graph import Node

HAS_DOT = shutil.which("dot") is not None


# ---- a small DOT parser ----------------------------------------------------------------

def _tokens(src: str) -> list:
    """Identifiers, quoted strings, <HTML> strings (nested <>), punctuation, '->'."""
    out, i, n = [], 0, len(src)
    while i < n:
        c = src[i]
        if c.isspace():
            i += 1
        elif src.startswith("->", i):
            out.append("->")
            i += 2
        elif c in "{}[];,=":
            out.append(c)
            i += 1
        elif c == '"':
            j = i + 1
            while src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            out.append(("str", src[i + 1:j].replace('\\"', '"').replace("\\\\", "\\")))
            i = j + 1
        elif c == "<":
            depth, j = 0, i
            while True:
                if src[j] == "<":
                    depth += 1
                elif src[j] == ">":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            out.append(("html", src[i + 1:j]))
            i = j + 1
        else:
            m = re.match(r"[A-Za-z0-9_.]+", src[i:])
            assert m, f"unexpected character {src[i]!r} at {i}"
            out.append(m.group())
            i += len(m.group())
    return out


def _text(v) -> str:
    """An attribute value as plain text (HTML labels lose their tags)."""
    if isinstance(v, tuple) and v[0] == "html":
        text = html.unescape(re.sub(r"<[^>]*>", "", v[1].replace("<br/>", "\n")))
        return text.replace("\xa0", " ")
    return v[1] if isinstance(v, tuple) else v


class Dot:
    """nodes {id: {attr: text, "cluster": id}}, edges [(src, dst, attrs)],
    clusters {id: {"label": text, "parent": id}}."""

    def __init__(self, src: str) -> None:
        self.src = src
        self.nodes, self.edges, self.clusters = {}, [], {}
        toks = _tokens(src)
        assert toks[:3] == ["digraph", "computation_graph", "{"], toks[:3]
        stack, i = [None], 3
        while i < len(toks):
            t = toks[i]
            if t == "}":
                stack.pop()
                i += 1
            elif t == "subgraph":
                name = toks[i + 1]
                assert toks[i + 2] == "{"
                self.clusters[name] = {"parent": stack[-1], "label": ""}
                stack.append(name)
                i += 3
            elif t in ("graph", "node", "edge"):
                _, i = self._attrs(toks, i + 1)
            elif toks[i + 1] == "=":
                self.clusters[stack[-1]][t] = _text(toks[i + 2])
                i += 3
            elif toks[i + 1] == "->":
                attrs, j = self._attrs(toks, i + 3)
                self.edges.append((t, toks[i + 2], attrs))
                i = j
            else:
                attrs, i = self._attrs(toks, i + 1)
                assert t not in self.nodes, f"node {t} defined twice"
                attrs["cluster"] = stack[-1]
                self.nodes[t] = attrs
            while i < len(toks) and toks[i] == ";":
                i += 1
        assert stack == [], "unbalanced braces"

    @staticmethod
    def _attrs(toks: list, i: int) -> tuple[dict, int]:
        attrs = {}
        if i < len(toks) and toks[i] == "[":
            i += 1
            while toks[i] != "]":
                if toks[i] == ",":
                    i += 1
                    continue
                attrs[toks[i]] = _text(toks[i + 2])
                i += 3
            i += 1
        return attrs, i

    def labels(self) -> list:
        return [a.get("label", "") for a in self.nodes.values()]

    def node_with(self, text: str) -> dict:
        found = [a for a in self.nodes.values() if text in a.get("label", "")]
        assert len(found) == 1, f"{len(found)} nodes contain {text!r}: {self.labels()}"
        return found[0]

    def cluster_names(self) -> dict:
        """{qualified module name: parent module name or None}."""
        by_id = {k: v["label"].split(" · ")[0] for k, v in self.clusters.items()}
        return {by_id[k]: (by_id[v["parent"]] if v["parent"] else None)
                for k, v in self.clusters.items()}


def engine_counts(*roots) -> tuple[int, int]:
    """(recorded nodes + leaves that require grad, dependencies), walked independently."""
    nodes, leaves, n_edges = set(), set(), 0
    stack = []
    for r in roots:
        if r.grad_fn is None:
            leaves.add(id(r))
        elif r.grad_fn not in nodes:
            nodes.add(r.grad_fn)
            stack.append(r.grad_fn)
    while stack:
        node = stack.pop()
        for e in node.next:
            if e is None:
                continue
            n_edges += 1
            target = e[0] if isinstance(e, tuple) else e
            if isinstance(target, Node):
                if target not in nodes:
                    nodes.add(target)
                    stack.append(target)
            else:
                leaves.add(id(target))
    return len(nodes) + len(leaves), n_edges


def check_counts(dot: Dot, *roots) -> None:
    n_vertices, n_edges = engine_counts(*roots)
    assert len(dot.nodes) == n_vertices
    assert len(dot.edges) == n_edges
    for src, dst, _ in dot.edges:
        assert src in dot.nodes and dst in dot.nodes


# ---- small models built from autograd ops ----------------------------------------------

class Lin(nn.Module):
    """y = x W^T + b (our own, so these tests do not depend on nn.Linear)."""

    def __init__(self, n_in: int, n_out: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(ag.randn(n_out, n_in) * float(n_in ** -0.5))
        self.bias = nn.Parameter(ag.zeros(n_out))

    def forward(self, x):
        return x @ self.weight.T + self.bias


class Relu(nn.Module):
    def forward(self, x):
        return x.relu()


class Conv(nn.Module):
    """A valid 3x3 convolution written with slicing, stack and einsum."""

    def __init__(self, c_in: int, c_out: int, k: int = 3) -> None:
        super().__init__()
        self.k = k
        self.weight = nn.Parameter(ag.randn(c_out, c_in, k, k) * 0.2)
        self.bias = nn.Parameter(ag.zeros(c_out, 1, 1))

    def forward(self, x):
        k, (h, w) = self.k, x.shape[2:]
        patches = ag.stack([x[:, :, i:h - k + 1 + i, j:w - k + 1 + j]
                            for i in range(k) for j in range(k)], 2)
        wk = self.weight.reshape(self.weight.shape[0], self.weight.shape[1], k * k)
        return ag.einsum("nckhw,ock->nohw", patches, wk) + self.bias


class CNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(Conv(1, 4), Relu(), Conv(4, 4), Relu())
        self.head = Lin(4 * 2 * 2, 3)

    def forward(self, x):
        return self.head(self.features(x).reshape(x.shape[0], -1))


class Cell(nn.Module):
    """An LSTM cell: gates from two linear maps, chunked i, f, g, o."""

    def __init__(self, n_in: int, n_hidden: int) -> None:
        super().__init__()
        self.ih = Lin(n_in, 4 * n_hidden)
        self.hh = Lin(n_hidden, 4 * n_hidden)

    def forward(self, x, state):
        h, c = state
        i, f, g, o = ag.chunk(self.ih(x) + self.hh(h), 4, 1)
        c = f.sigmoid() * c + i.sigmoid() * g.tanh()
        return o.sigmoid() * c.tanh(), c


class RNN(nn.Module):
    def __init__(self, n_in: int, n_hidden: int) -> None:
        super().__init__()
        self.n_hidden = n_hidden
        self.cell = Cell(n_in, n_hidden)

    def forward(self, x):
        h = c = ag.zeros(x.shape[0], self.n_hidden)
        for t in range(x.shape[1]):
            h, c = self.cell(x[:, t], (h, c))
        return h


class Seq(nn.Module):
    def __init__(self, n_in: int = 3, n_hidden: int = 5) -> None:
        super().__init__()
        self.lstm = RNN(n_in, n_hidden)
        self.head = Lin(n_hidden, 2)

    def forward(self, x):
        return self.head(self.lstm(x))


def mlp():
    return nn.Sequential(Lin(4, 16), Relu(), Lin(16, 3))


@pytest.fixture(autouse=True)
def _seed():
    ag.manual_seed(0)


# ---- structure: one node per tape entry and leaf, one edge per dependency ---------------

def test_scalar_expression_micrograd_style():
    x = ag.tensor(2.0, requires_grad=True)
    b = ag.tensor(-1.0, requires_grad=True)
    y = x * x * x + x * b
    dot = Dot(ag.to_dot(y, params={"x": x, "b": b, "y": y}))
    check_counts(dot, y)
    assert "data 2" in dot.node_with("x\n")["label"]
    assert "data 6" in dot.node_with("y = Add")["label"]   # 8 - 2
    # a named intermediate gets its name and value even when no consumer saved it
    s = x * b
    n = s + x
    assert "s = Mul\nscalar float32\ndata -2" in "\n".join(
        Dot(ag.to_dot(n, params={"s": s})).labels())
    # x * x * x uses x three times and x * b once: four edges leave x
    x_id = next(k for k, a in dot.nodes.items() if a["label"].startswith("x\n"))
    assert sum(src == x_id for src, _, _ in dot.edges) == 4


def test_mlp_names_shapes_and_clusters():
    model = mlp()
    x = ag.randn(8, 4)
    out = model(x).sum()
    for params in (model, dict(model.named_parameters())):
        dot = Dot(ag.to_dot(out, params=params, collapse=False))
        check_counts(dot, out)
        for name, p in model.named_parameters():
            label = dot.node_with(name + "\n")["label"]
            assert f"{tuple(p.shape)} float32" in label
        assert "(8, 16) float32" in dot.node_with("Relu")["label"]
        names = dot.cluster_names()
        assert {"0", "2"} <= set(names)
        # each parameter sits in its module's cluster
        w0 = dot.node_with("0.weight")
        assert dot.clusters[w0["cluster"]]["label"] == "0 · Lin"
    # the model names parameter-free modules too
    assert set(Dot(ag.to_dot(out, params=model, collapse=False)).cluster_names()) == {
        "0", "1", "2"}


def test_an_op_whose_consumer_saved_only_its_own_output_keeps_its_shape():
    # relu saves its output, not its input: the Linear before it is known through it
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
    dot = Dot(ag.to_dot(model(ag.randn(8, 4)).sum(), params=model, collapse=False))
    labels = [a["label"] for a in dot.nodes.values() if a["label"].startswith("Linear")]
    assert "Linear\n(8, 16) float32" in labels, labels


def test_nested_clusters_follow_qualified_names():
    model = nn.Sequential()
    model.encoder = nn.Sequential(Lin(4, 8), Relu())
    model.decoder = nn.Sequential(Lin(8, 4))
    out = model(ag.randn(2, 4)).sum()
    dot = Dot(ag.to_dot(out, params=model, collapse=False))
    check_counts(dot, out)
    assert dot.cluster_names() == {"encoder": None, "encoder.0": "encoder",
                                   "encoder.1": "encoder", "decoder": None,
                                   "decoder.0": "decoder"}
    assert dot.node_with("encoder.0.weight")["cluster"] is not None


def test_cnn_like_graph():
    model = CNN()
    out = model(ag.randn(2, 1, 6, 6)).sum()
    dot = Dot(ag.to_dot(out, params=model, collapse=False))
    check_counts(dot, out)
    assert set(dot.cluster_names()) == {"features", "features.0", "features.1",
                                        "features.2", "features.3", "head"}
    assert "(4, 1, 3, 3) float32" in dot.node_with("features.0.weight")["label"]
    # the einsum's consumer (Add) keeps only its input shapes, not the tensors: no dtype
    assert "Einsum\n(2, 4, 4, 4)" in "\n".join(dot.labels())


def test_lstm_like_graph_and_collapse():
    model = Seq()
    out = model(ag.randn(2, 4, 3)).sum()
    full = Dot(ag.to_dot(out, params=model, collapse=False))
    check_counts(full, out)
    assert set(full.cluster_names()) == {"lstm", "lstm.cell", "lstm.cell.ih",
                                         "lstm.cell.hh", "head"}
    by_module = Dot(ag.to_dot(out, params=model, collapse=True))
    depth1 = Dot(ag.to_dot(out, params=model, collapse=1))
    assert len(depth1.nodes) < len(by_module.nodes) < len(full.nodes)
    # collapse=True: one box per module call (ih runs once per step, 4 steps), while the
    # cell's own gate ops stay visible in its cluster
    labels = by_module.labels()
    assert sum(lab.startswith("lstm.cell.ih · Lin\n3 ops") for lab in labels) == 4
    assert sum(lab.startswith("Sigmoid") for lab in labels) == 3 * 4
    # every step of the cell is one module: depth 1 leaves the lstm, the head and the sum
    assert len(depth1.nodes) == 3
    lstm = depth1.node_with("lstm · RNN")["label"]
    n_ops = sum(1 for a in full.nodes.values() if a["cluster"] is not None
                and full.clusters[a["cluster"]]["label"].startswith("lstm")
                and not a["label"].startswith("lstm."))
    assert f"{n_ops} ops" in lstm
    n_params = sum(p.numel() for p in model.lstm.parameters())
    assert f"{n_params:,} params" in lstm
    # edges out of a collapsed module carry the shape that flows along them
    assert any(e[2].get("label") == "(2, 5)" for e in depth1.edges)
    # collapsing by name
    named = Dot(ag.to_dot(out, params=model, collapse=["lstm.cell"]))
    assert len(depth1.nodes) < len(named.nodes) < len(by_module.nodes)
    assert "lstm.cell · Cell" in "\n".join(named.labels())


def test_auto_collapse_keeps_big_models_readable():
    model = nn.Sequential(*[nn.Sequential(Lin(8, 8), Relu(), Lin(8, 8), Relu())
                            for _ in range(12)])
    out = model(ag.randn(2, 8)).sum()
    full = Dot(ag.to_dot(out, collapse=False))
    assert len(full.nodes) > viz.AUTO_COLLAPSE_LIMIT
    auto = Dot(ag.to_dot(out, params=model))
    assert len(auto.nodes) <= viz.AUTO_COLLAPSE_LIMIT
    assert "modules collapsed to depth" in auto.src
    small = mlp()
    o2 = small(ag.randn(2, 4)).sum()
    assert "collapsed" not in ag.to_dot(o2, params=small)


def test_shared_subexpression_drawn_once():
    x = ag.randn(3, 4)
    w = ag.randn(4, 2, requires_grad=True)
    h = (x @ w).tanh()
    y = (h * h).sum() + h.sum()
    dot = Dot(ag.to_dot(y, params={"w": w, "h": h}))
    check_counts(dot, y)
    h_id = next(k for k, a in dot.nodes.items() if a["label"].startswith("h = Tanh"))
    assert sum(src == h_id for src, _, _ in dot.edges) == 3


def test_two_roots_and_nested_roots():
    model = mlp()
    out = model(ag.randn(5, 4))
    loss1, loss2 = out.sum(), (out * out).mean()
    dot = Dot(ag.to_dot(loss1, loss2, params=model, collapse=False))
    check_counts(dot, loss1, loss2)
    roots = [a for a in dot.nodes.values() if a["fillcolor"] == vdot._STYLE["root"][0]]
    assert len(roots) == 2
    assert ag.to_dot((loss1, [loss2]), params=model) == ag.to_dot(loss1, loss2, params=model)


def test_multi_output_edges_name_the_output():
    x = ag.randn(4, 3, requires_grad=True)
    a, b = ag.split(x, 2, 0)
    y = (a * b).sum()
    dot = Dot(ag.to_dot(y))
    check_counts(dot, y)
    assert sorted(e[2].get("label") for e in dot.edges if "label" in e[2]) == ["[0]", "[1]"]
    assert "2 × (2, 3) float32" in dot.node_with("Split")["label"]


# ---- big graphs ------------------------------------------------------------------------

def test_deep_graph_does_not_recurse_and_max_nodes_truncates():
    x = ag.tensor(1.0, requires_grad=True)
    y = x
    for i in range(100_000):
        y = y * 1.0
        if i == 19_999:
            mid = y
    dot = ag.to_dot(mid, collapse=False)
    assert dot.count(" -> ") == 20_000 and dot.count("Mul") == 20_000
    capped = Dot(ag.to_dot(y, max_nodes=50))
    assert len(capped.nodes) == 51   # 50 kept and the note
    note = capped.nodes["more"]["label"]
    assert "99,951 more nodes" in note and "max_nodes=50" in note
    assert "showing 50 of 100,001 nodes" in capped.src
    assert [e for e in capped.edges if e[0] == "more"]


# ---- gradients, NaN, saved buffers -----------------------------------------------------

def test_show_grads_norms_and_nan_highlight():
    x = ag.tensor([0.0, 1.0], requires_grad=True)
    w = ag.tensor([2.0, 3.0], requires_grad=True)
    y = ag.log(x) * w
    loss = (y * y).sum()
    dot = Dot(ag.to_dot(loss, params={"x": x, "w": w, "y": y}))
    log = dot.node_with("Log")
    assert log["color"] == vdot._RED and log["fillcolor"] == "#ffcccc"   # it starts here
    mul = dot.node_with("y = Mul")
    assert mul["color"] == vdot._RED and mul["fillcolor"] != "#ffcccc"   # passed on
    assert dot.node_with("w\n")["color"] != vdot._RED
    loss.backward(retain_graph=True)
    dot = Dot(ag.to_dot(loss, params={"x": x, "w": w}, show_grads=True))
    assert "NaN/inf in grad" in dot.node_with("x\n")["label"]        # dx = w / x = inf
    wl = dot.node_with("w\n")["label"]
    assert "|grad|" in wl
    # w.grad = log(x) = [-inf, 0]: its norm is inf and the leaf is red
    assert dot.node_with("w\n")["color"] == vdot._RED
    v = ag.tensor([3.0, 4.0], requires_grad=True)
    (v * 2.0).sum().backward()
    assert "|grad| 2.828" in Dot(ag.to_dot(v * 1.0, params={"v": v}, show_grads=True)
                                 ).node_with("v\n")["label"]   # |(2, 2)| = 2.828


def test_record_graph_keeps_shapes_values_and_modules_after_backward():
    model = nn.Sequential()
    model.encoder = nn.Sequential(Lin(4, 8), Relu())
    model.out = Lin(8, 1)
    with viz.record_graph():
        assert STATE.recorder is not None and STATE.tracing
        loss = ag.log(model(ag.randn(3, 4)).abs() * 0.0).sum()
    assert STATE.recorder is None and not STATE.tracing
    loss.backward()                           # frees every saved input
    dot = Dot(ag.to_dot(loss, collapse=False))   # no params: names from the stacks
    assert set(dot.cluster_names()) == {"encoder", "encoder.0", "encoder.1", "out"}
    assert "(3, 8) float32" in dot.node_with("Relu")["label"]
    assert dot.node_with("Log")["fillcolor"] == "#ffcccc"
    assert "data -inf" in dot.node_with("Sum")["label"]
    plain = model(ag.randn(3, 4)).sum()
    plain.backward()
    # without record_graph, backward freed the saved tensors: no dtype, no value
    assert "float32" not in Dot(ag.to_dot(plain, collapse=False)).node_with("Relu")["label"]


def test_record_graph_shows_every_intermediate_gradient():
    # micrograd's neuron: o = tanh(x1 w1 + x2 w2 + b), n = 0.8814, do/dn = 1 - o^2 = 0.5
    x1, w1 = ag.tensor(2.0, requires_grad=True), ag.tensor(-3.0, requires_grad=True)
    x2, w2 = ag.tensor(0.0, requires_grad=True), ag.tensor(1.0, requires_grad=True)
    b = ag.tensor(6.8813735870195432, requires_grad=True)
    with viz.record_graph():
        n = x1 * w1 + x2 * w2 + b
        o = ag.tanh(n)
    o.backward()
    assert float(x1.grad) == pytest.approx(-1.5) and float(w1.grad) == pytest.approx(1.0)
    dot = Dot(ag.to_dot(o, params=dict(x1=x1, w1=w1, x2=x2, w2=w2, b=b, n=n, o=o),
                        show_grads=True))
    assert "data 0.8814\ngrad 0.5" in dot.node_with("n = Add")["label"]
    assert "grad 1" in dot.node_with("o = Tanh")["label"]
    # x1 w1 = -6 and x1 w1 + x2 w2 = -6, both with gradient 0.5
    assert sum("data -6\ngrad 0.5" in lab for lab in dot.labels()) == 2
    assert "grad -1.5" in dot.node_with("x1\n")["label"]
    # non-scalar: the norm of the gradient each op received
    w = ag.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    with viz.record_graph():
        h = w * 3.0
        loss = (h * h).sum()
    loss.backward()
    assert np.allclose(w.grad.data, 18 * w.data)   # the probes leave gradients alone
    expected = np.linalg.norm(2 * 3.0 * w.data)    # d loss / d h = 2 h
    assert f"|grad| {expected:.4g}" in Dot(ag.to_dot(loss, params={"h": h}, show_grads=True)
                                           ).node_with("h = Mul")["label"]


def test_record_graph_summaries_are_exact_at_the_edges():
    from autograd.viz._record import _grad_summary, _out_meta
    assert _out_meta(np.array([1e30, 2.0], np.float32))[3]        # squares overflow: finite
    assert not _out_meta(np.array([1.0, np.inf], np.float32))[3]
    assert not _out_meta(np.array([np.nan, 1.0]))[3]
    assert _out_meta(np.array([1, 2]))[3] and _out_meta(np.array(2.5))[2:] == (2.5, True)
    assert _grad_summary(np.array([3.0, 4.0], np.float32)) == (None, 5.0, True)
    big = _grad_summary(np.array([1e30, 1e30], np.float32))
    assert big[2] and big[1] == pytest.approx(np.sqrt(2) * 1e30, rel=1e-6)
    assert _grad_summary(np.array(-2.0)) == (-2.0, 2.0, True)


def test_show_saved_bytes():
    a = ag.randn(3, 4, requires_grad=True)
    b = ag.randn(3, 4, requires_grad=True)
    y = (a * b).sum()
    dot = Dot(ag.to_dot(y, show_saved=True))
    assert "saved 96 B" in dot.node_with("Mul")["label"]   # two float32 (3, 4) inputs
    assert "saved 0 B" in dot.node_with("Sum")["label"]
    assert "saved for backward: 96 B" in dot.src
    y.backward()
    assert "saved: freed" in Dot(ag.to_dot(y, show_saved=True)).node_with("Mul")["label"]


# ---- arguments -------------------------------------------------------------------------

def test_bad_arguments():
    y = ag.randn(2, requires_grad=True).sum()
    with pytest.raises(ValueError, match="rankdir"):
        ag.to_dot(y, rankdir="XY")
    with pytest.raises(ValueError, match="max_nodes"):
        ag.to_dot(y, max_nodes=0)
    with pytest.raises(TypeError, match="roots must be Tensors"):
        ag.to_dot(y, 3)
    with pytest.raises(ValueError, match="collapse depth"):
        ag.to_dot(y, collapse=-1)
    with pytest.raises(TypeError, match="params"):
        ag.to_dot(y, params={"y": 1.0})
    model = mlp()
    out = model(ag.randn(2, 4)).sum()
    with pytest.raises(ValueError, match=r"no op of this graph: 3 \(modules in it: 0, 1, 2\)"):
        ag.to_dot(out, params=model, collapse=["0", "3"])
    assert len(Dot(ag.to_dot(out, params=model, collapse=np.int64(1))).nodes) == 4
    assert 'rankdir="LR"' in ag.to_dot(y, rankdir="LR")


def test_show_shapes_off_and_leaf_root():
    x = ag.randn(3, requires_grad=True)
    y = (x * 2.0).sum()
    assert "(3,)" in ag.to_dot(y) and "(3,)" not in ag.to_dot(y, show_shapes=False)
    dot = Dot(ag.to_dot(x, params={"x": x}))
    assert len(dot.nodes) == 1 and not dot.edges


# ---- rendering -------------------------------------------------------------------------

@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed")
def test_render_svg_and_png(tmp_path):
    model = CNN()
    out = model(ag.randn(2, 1, 6, 6)).sum()
    g = ag.draw_graph(out, params=model, collapse=False, show_saved=True)
    n_nodes = len(Dot(g.source).nodes)
    svg = g.render(tmp_path / "cnn", format="svg")
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg")
    groups = [e for e in root.iter() if e.get("class") == "node"]
    assert len(groups) == n_nodes
    png = g.render(tmp_path / "cnn", format="png")
    data = open(png, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed")
def test_jupyter_reprs():
    x = ag.randn(3, requires_grad=True)
    y = (x * 2.0).sum()
    bundle = y._repr_mimebundle_()
    assert bundle["text/plain"] == repr(y)
    assert "<svg" in bundle["image/svg+xml"] and "<details>" in bundle["text/html"]
    assert "<svg" in y._repr_svg_()
    assert x._repr_svg_() is None and set(x._repr_mimebundle_()) == {"text/plain"}
    assert "image/svg+xml" in ag.draw_graph(y)._repr_mimebundle_()
    # a text-only front end (terminal IPython) gets text without running Graphviz
    assert set(y._repr_mimebundle_(include=["text/plain"])) == {"text/plain"}
    assert set(y._repr_mimebundle_(exclude=["image/svg+xml", "text/html"])) == {"text/plain"}


def test_missing_dot_says_how_to_install(monkeypatch, tmp_path):
    y = (ag.randn(3, requires_grad=True) * 2.0).sum()
    monkeypatch.setenv("PATH", str(tmp_path))
    g = ag.draw_graph(y)
    with pytest.raises(viz.DotNotFoundError, match="apt-get install graphviz"):
        g.render(tmp_path / "g", format="svg")
    with pytest.raises(viz.DotNotFoundError, match="Graphviz"):
        g.pipe(format="svg")
    assert "Graphviz" in g._repr_mimebundle_()["text/plain"]
    assert set(y._repr_mimebundle_()) == {"text/plain"}
    assert ag.to_dot(y).startswith("digraph computation_graph {")


# ---- the real nn layers and custom Functions ---------------------------------------------

def test_real_nn_mlp_cnn_lstm():
    mlp_ = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    out = mlp_(ag.randn(3, 4)).sum()
    dot = Dot(ag.to_dot(out, params=mlp_, collapse=False))
    check_counts(dot, out)
    assert set(dot.cluster_names()) == {"0", "1", "2"}
    assert "(8, 4) float32" in dot.node_with("0.weight")["label"]

    cnn = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Linear(4 * 3 * 3, 3))
    out = cnn(ag.randn(2, 1, 6, 6)).sum()
    dot = Dot(ag.to_dot(out, params=dict(cnn.named_parameters()), collapse=False))
    check_counts(dot, out)
    assert {"0", "4"} <= set(dot.cluster_names())
    assert "(4, 1, 3, 3) float32" in dot.node_with("0.weight")["label"]
    assert len(Dot(ag.to_dot(out, params=cnn, collapse=True)).nodes) == 6   # 5 modules, sum

    class Model(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = nn.LSTM(3, 5, num_layers=2, batch_first=True)
            self.head = nn.Linear(5, 2)

        def forward(self, x):
            out, _ = self.lstm(x)
            return self.head(out[:, -1])

    model = Model()
    out = model(ag.randn(2, 6, 3)).sum()
    dot = Dot(ag.to_dot(out, params=model, collapse=False))
    check_counts(dot, out)
    assert set(dot.cluster_names()) == {"lstm", "head"}
    assert "(20, 3) float32" in dot.node_with("lstm.weight_ih_l0")["label"]
    collapsed = Dot(ag.to_dot(out, params=model, collapse=1))
    assert len(collapsed.nodes) == 4            # lstm, the last-step slice, head, sum
    assert any(lab.startswith("lstm · LSTM") for lab in collapsed.labels())


def test_custom_function_nodes():
    class Cube(ag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.data ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x * x

    x = ag.randn(3, requires_grad=True)
    with viz.record_graph():
        y = Cube.apply(x).sum()
    dot = Dot(ag.to_dot(y, params={"x": x}))
    check_counts(dot, y)
    assert "(3,) float32" in dot.node_with("Cube")["label"]


class Block(nn.Module):
    """A ResNet basic block (conv-bn-relu-conv-bn, shortcut, relu)."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut = nn.Sequential()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False),
                                          nn.BatchNorm2d(c_out))

    def forward(self, x):
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        return self.relu(out + self.shortcut(x))


def test_resnet_sized_graph_collapses_to_blocks():
    layers, c_in = [], 4
    for i, c in enumerate([4, 8, 16, 32]):
        layers.append(nn.Sequential(Block(c_in, c, 1 if i == 0 else 2), Block(c, c, 1)))
        c_in = c
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), *layers, nn.AdaptiveAvgPool2d(1),
                          nn.Flatten(), nn.Linear(32, 10))
    out = model(ag.randn(2, 3, 8, 8)).sum()
    n_full, _ = engine_counts(out)
    assert n_full > 2 * viz.AUTO_COLLAPSE_LIMIT
    auto = Dot(ag.to_dot(out, params=model))
    assert len(auto.nodes) <= viz.AUTO_COLLAPSE_LIMIT
    labels = "\n".join(auto.labels())
    # the depth chosen keeps each block's layers, and the residual Add of every block
    assert "1.0.conv1 · Conv2d" in labels and "4.1.bn2 · BatchNorm2d" in labels
    assert sum(lab.startswith("Add") for lab in auto.labels()) == 8
    # the ReLU module runs twice per block, apart: two boxes, not one with a cycle
    assert sum(lab.startswith("2.0.relu · ReLU") for lab in auto.labels()) == 2
    blocks = Dot(ag.to_dot(out, params=model, collapse=2))
    assert len(blocks.nodes) == 1 + 8 + 3 + 1   # stem conv, 8 blocks, pool/flatten/fc, sum
    if HAS_DOT:
        svg = ag.draw_graph(out, params=model).pipe(format="svg", encoding="utf-8")
        assert svg.count('class="node"') == len(auto.nodes)


def test_lstm_over_50_steps_stays_small():
    class CellLoop(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.cell = nn.LSTMCell(3, 4)
            self.head = nn.Linear(4, 1)

        def forward(self, x):
            h = c = ag.zeros(x.shape[0], 4)
            for t in range(x.shape[1]):
                h, c = self.cell(x[:, t], (h, c))
            return self.head(h)

    model = CellLoop()
    out = model(ag.randn(2, 50, 3)).sum()
    assert engine_counts(out)[0] > 100
    dot = Dot(ag.to_dot(out, params=model))
    assert len(dot.nodes) == 3                 # the cell (all 50 steps), the head, the sum
    cell = dot.node_with("cell · LSTMCell")["label"]
    assert f"{sum(p.numel() for p in model.cell.parameters()):,} params" in cell
    with viz.record_graph():   # knows each op's module call: the box counts the steps
        rec = model(ag.randn(2, 50, 3)).sum()
    assert "50 calls" in Dot(ag.to_dot(rec, params=model)).node_with("cell · ")["label"]
    assert "calls" not in cell
    model.zero_grad()
    out.backward(retain_graph=True)
    dot = Dot(ag.to_dot(out, params=model, show_grads=True))
    norm = np.sqrt(sum((p.grad.data.astype(np.float64) ** 2).sum()
                       for p in model.cell.parameters()))
    assert f"|grad params| {norm:.4g}" in dot.node_with("cell · LSTMCell")["label"]


def test_draw_graph_is_a_digraph_and_record_graph_nests():
    graphviz = pytest.importorskip("graphviz")
    y = (ag.randn(2, requires_grad=True) * 2.0).sum()
    g = ag.draw_graph(y)
    assert isinstance(g, graphviz.Digraph)
    ours, theirs = Dot(ag.to_dot(y)), Dot(g.source)
    assert ours.nodes == theirs.nodes and ours.edges == theirs.edges
    with viz.record_graph():
        with viz.record_graph():
            pass
        assert STATE.recorder is not None    # still recording in the outer block
        z = ag.randn(2, requires_grad=True).exp()
    assert STATE.recorder is None and "_viz" in z.grad_fn.__dict__


def test_collapse_keeps_a_shared_parameter_outside_both_modules():
    model = nn.Sequential(Lin(3, 3), Lin(3, 3))
    model[1].weight = model[0].weight                  # tied: one parameter, two modules
    out = model(ag.randn(2, 3)).sum()
    dot = Dot(ag.to_dot(out, params=model, collapse=True))
    # two module boxes (each with its own bias folded in), the shared weight, the sum
    assert len(dot.nodes) == 4
    w = next(k for k, a in dot.nodes.items() if a["label"].startswith("0.weight"))
    assert sorted(dot.nodes[d]["label"].split("\n")[0] for s, d, _ in dot.edges
                  if s == w) == ["0 · Lin", "1 · Lin"]
    assert "3 params" in dot.node_with("1 · Lin")["label"]    # only its bias


def test_names_are_escaped():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2.0).sum()
    name = 'w<1> & "b"'
    src = ag.to_dot(y, params={name: x})
    assert Dot(src).node_with(name)["label"].startswith(name)
    if HAS_DOT:
        assert "<svg" in ag.draw_graph(y, params={name: x}).pipe(format="svg", encoding="utf-8")


def test_record_graph_is_per_thread():
    import threading
    made = {}

    def worker():
        made["z"] = ag.randn(2, requires_grad=True).exp()

    with viz.record_graph():
        t = threading.Thread(target=worker)
        t.start()
        t.join()
        mine = ag.randn(2, requires_grad=True).exp()
    assert "_viz" in mine.grad_fn.__dict__ and "_viz" not in made["z"].grad_fn.__dict__
