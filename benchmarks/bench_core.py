"""Engine workloads (issue: engine core): elementwise, raw-op MLP, scalar graph, deep chain."""
from __future__ import annotations

import tracemalloc

import numpy as np

import autograd as ag

from . import Workload, try_torch


# ---- elementwise: tanh(x * w + b).sum() on 1e6 float32 ------------------------------

def _elementwise():
    n = 1_000_000
    rng = np.random.default_rng(0)
    x_np, w_np, b_np = (rng.standard_normal(n).astype(np.float32) for _ in range(3))
    x = ag.tensor(x_np)
    w = ag.tensor(w_np, requires_grad=True)
    b = ag.tensor(b_np, requires_grad=True)

    def ours():
        w.grad = b.grad = None
        ag.tanh(x * w + b).sum().backward()
        return w.grad, b.grad

    def numpy():
        t = np.tanh(x_np * w_np + b_np)
        t.sum()
        gz = 1 - t * t
        return gz * x_np, gz

    impl = {"ours": ours, "numpy": numpy}
    torch = try_torch()
    if torch:
        tx = torch.from_numpy(x_np)
        tw = torch.from_numpy(w_np.copy()).requires_grad_()
        tb = torch.from_numpy(b_np.copy()).requires_grad_()

        def run_torch():
            tw.grad = tb.grad = None
            torch.tanh(tx * tw + tb).sum().backward()
        impl["torch"] = run_torch

    def check():
        gw, gb = ours()
        nw, nb = numpy()
        np.testing.assert_allclose(gw.data, nw, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(gb.data, nb, rtol=1e-5, atol=1e-6)
    impl["check"] = check
    return impl


# ---- MLP 784-256-256-10, batch 128, cross-entropy from logits with raw ops ----------

def mlp_params(seed: int = 0) -> list:
    """(in, out)-layout weights and biases for the 784-256-256-10 MLP."""
    rng = np.random.default_rng(seed)
    sizes = [784, 256, 256, 10]
    params = []
    for i, o in zip(sizes[:-1], sizes[1:]):
        params.append((rng.standard_normal((i, o)) / np.sqrt(i)).astype(np.float32))
        params.append(np.zeros(o, dtype=np.float32))
    return params


def mlp_numpy(x: np.ndarray, y: np.ndarray, params: list) -> list:
    """Forward and backward of the ReLU MLP with mean cross-entropy, by hand."""
    w1, b1, w2, b2, w3, b3 = params
    n = x.shape[0]
    h1 = np.maximum(x @ w1 + b1, 0)
    h2 = np.maximum(h1 @ w2 + b2, 0)
    z = h2 @ w3 + b3
    m = z.max(axis=1, keepdims=True)
    e = np.exp(z - m)
    s = e.sum(axis=1, keepdims=True)
    loss = (np.log(s) + m - z[np.arange(n), y][:, None]).mean()
    gz = e / s
    gz[np.arange(n), y] -= 1
    gz /= n
    gw3, gb3 = h2.T @ gz, gz.sum(0)
    gh2 = gz @ w3.T
    gh2 *= h2 > 0
    gw2, gb2 = h1.T @ gh2, gh2.sum(0)
    gh1 = gh2 @ w2.T
    gh1 *= h1 > 0
    gw1, gb1 = x.T @ gh1, gh1.sum(0)
    return [loss, gw1, gb1, gw2, gb2, gw3, gb3]


def _mlp():
    rng = np.random.default_rng(1)
    x_np = rng.standard_normal((128, 784)).astype(np.float32)
    y_np = rng.integers(0, 10, 128)
    params_np = mlp_params()
    params = [ag.tensor(p, requires_grad=True) for p in params_np]
    x, rows = ag.tensor(x_np), np.arange(128)

    def ours():
        w1, b1, w2, b2, w3, b3 = params
        for p in params:
            p.grad = None
        h1 = ag.relu(x @ w1 + b1)
        h2 = ag.relu(h1 @ w2 + b2)
        z = h2 @ w3 + b3
        loss = (ag.logsumexp(z, 1) - z[rows, y_np]).mean()
        loss.backward()
        return [loss] + [p.grad for p in params]

    impl = {"ours": ours, "numpy": lambda: mlp_numpy(x_np, y_np, params_np)}
    torch = try_torch()
    if torch:
        tp = [torch.from_numpy(p.copy()).requires_grad_() for p in params_np]
        tx, ty = torch.from_numpy(x_np), torch.from_numpy(y_np)

        def run_torch():
            w1, b1, w2, b2, w3, b3 = tp
            for p in tp:
                p.grad = None
            z = torch.relu(torch.relu(tx @ w1 + b1) @ w2 + b2) @ w3 + b3
            torch.nn.functional.cross_entropy(z, ty).backward()
        impl["torch"] = run_torch

    def check():
        got, want = ours(), impl["numpy"]()
        for g, w in zip(got, want):
            np.testing.assert_allclose(np.asarray(g.data), w, rtol=1e-4, atol=1e-5)
    impl["check"] = check
    return impl


# ---- scalar graph: micrograd-style MLP 2-16-16-1 on 0-d tensors --------------------

def _scalar_weights(seed: int = 0) -> list:
    rng = np.random.default_rng(seed)
    sizes = [2, 16, 16, 1]
    return [(rng.uniform(-1, 1, (o, i)), rng.uniform(-1, 1, o))
            for i, o in zip(sizes[:-1], sizes[1:])]


def _scalar_data(seed: int = 1) -> tuple:
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, (20, 2)), rng.choice([-1.0, 1.0], 20)


def _scalar_forward(make, tanh, weights, xs, ys):
    """Builds the loss from scalars: `make` wraps a float, `tanh` is the op."""
    params = [[[make(w) for w in row] for row in W] for W, _ in weights]
    biases = [[make(b) for b in B] for _, B in weights]
    loss = None
    for x, y in zip(xs, ys):
        act = [make(v) for v in x]
        for li, (W, B) in enumerate(zip(params, biases)):
            out = []
            for row, b in zip(W, B):
                s = b
                for w, a in zip(row, act):
                    s = s + w * a
                out.append(tanh(s) if li < len(params) - 1 else s)
            act = out
        d = act[0] - y
        loss = d * d if loss is None else loss + d * d
    return loss, params, biases


def _scalar_numpy(weights, xs, ys):
    """The same scalar computation on 0-d NumPy values with a hand-written backward."""
    Ws = [[[np.float64(w) for w in row] for row in W] for W, _ in weights]
    Bs = [[np.float64(b) for b in B] for _, B in weights]
    gW = [[[0.0] * len(row) for row in W] for W in Ws]
    gB = [[0.0] * len(B) for B in Bs]
    loss = 0.0
    for x, y in zip(xs, ys):
        acts = [[np.float64(v) for v in x]]
        for li, (W, B) in enumerate(zip(Ws, Bs)):
            out = []
            for row, b in zip(W, B):
                s = b
                for w, a in zip(row, acts[-1]):
                    s = s + w * a
                out.append(np.tanh(s) if li < len(Ws) - 1 else s)
            acts.append(out)
        d = acts[-1][0] - y
        loss = loss + d * d
        g = [2 * d]
        for li in range(len(Ws) - 1, -1, -1):
            if li < len(Ws) - 1:
                g = [gi * (1 - a * a) for gi, a in zip(g, acts[li + 1])]
            prev = [0.0] * len(acts[li])
            for j, (row, gj) in enumerate(zip(Ws[li], g)):
                gB[li][j] += gj
                for k, (w, a) in enumerate(zip(row, acts[li])):
                    gW[li][j][k] += gj * a
                    prev[k] += gj * w
            g = prev
    return loss, gW, gB


def _count_nodes(root) -> int:
    seen, stack = set(), [root.grad_fn]
    while stack:
        n = stack.pop()
        if n is None or n in seen or isinstance(n, ag.Tensor):
            continue
        seen.add(n)
        stack.extend(e[0] if isinstance(e, tuple) else e for e in n.next)
    return len(seen)


def _scalar_graph():
    weights = _scalar_weights()
    xs, ys = _scalar_data()

    def make(v):
        return ag.tensor(v, dtype=ag.float64, requires_grad=True)

    def ours():
        loss, params, biases = _scalar_forward(make, ag.tanh, weights, xs, ys)
        loss.backward()
        return loss, params, biases

    loss, _, _ = _scalar_forward(make, ag.tanh, weights, xs, ys)
    impl = {"ours": ours, "numpy": lambda: _scalar_numpy(weights, xs, ys),
            "ops": _count_nodes(loss)}
    torch = try_torch()
    if torch:
        def run_torch():
            loss, _, _ = _scalar_forward(
                lambda v: torch.tensor(float(v), dtype=torch.float64, requires_grad=True),
                torch.tanh, weights, xs, ys)
            loss.backward()
        impl["torch"] = run_torch

    def check():
        loss, params, biases = ours()
        nloss, gW, gB = _scalar_numpy(weights, xs, ys)
        assert abs(loss.item() - nloss) < 1e-9
        for P, G in zip(params, gW):
            np.testing.assert_allclose([[p.grad.item() for p in r] for r in P], G, rtol=1e-9)
        for P, G in zip(biases, gB):
            np.testing.assert_allclose([p.grad.item() for p in P], G, rtol=1e-9)
    impl["check"] = check
    return impl


# ---- deep chain: n chained ops on a 0-d tensor, backward ---------------------------

def _chain(n: int):
    def setup():
        c = 1.0000001

        def ours():
            x = ag.tensor(1.0, dtype=ag.float64, requires_grad=True)
            y = x
            for _ in range(n):
                y = y * c
            y.backward()
            return x.grad

        def numpy():
            v = np.float64(1.0)
            for _ in range(n):
                v = v * c
            g = np.float64(1.0)
            for _ in range(n):
                g = g * c
            return g

        tracemalloc.start()
        ours()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        impl = {"ours": ours, "numpy": numpy, "ops": n,
                "report": {"peak": f"{peak / 2**20:.0f} MiB"}}
        torch = try_torch()
        if torch:
            def run_torch():
                x = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
                y = x
                for _ in range(n):
                    y = y * c
                y.backward()
            impl["torch"] = run_torch
        impl["check"] = lambda: np.testing.assert_allclose(ours().item(), numpy(), rtol=1e-9)
        return impl
    return setup


WORKLOADS = [
    Workload("core: elementwise tanh(x*w+b) 1e6 f32 fwd+bwd", _elementwise, repeat=15,
             targets={"numpy": 1.2}),
    Workload("core: MLP 784-256-256-10 b128 raw ops fwd+bwd", _mlp, repeat=30,
             targets={"numpy": 1.15, "torch": 1.3}),
    Workload("core: scalar MLP 2-16-16-1 x20 0-d fwd+bwd", _scalar_graph, repeat=5),
    Workload("core: deep chain 1e5 ops 0-d fwd+bwd", _chain(100_000), repeat=3),
    Workload("core: deep chain 1e6 ops 0-d fwd+bwd", _chain(1_000_000), repeat=1),
]
