"""MLP 784-256-256-10 with ReLU, batch 128, forward + backward of the mean cross
entropy: nn.Linear + F.cross_entropy against a hand-written NumPy version of the same
computation and against PyTorch (same weights, same data)."""
from __future__ import annotations

import numpy as np

from . import Workload, try_torch

SIZES = (784, 256, 256, 10)
BATCH = 128


def _setup() -> dict:
    import autograd as ag
    import nn
    from nn import functional as F

    ag.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], BATCH)
    model = nn.Sequential(nn.Linear(SIZES[0], SIZES[1]), nn.ReLU(),
                          nn.Linear(SIZES[1], SIZES[2]), nn.ReLU(),
                          nn.Linear(SIZES[2], SIZES[3]))
    params = list(model.parameters())
    xt = ag.tensor(x)

    def ours() -> float:
        for p in params:
            p.grad = None
        loss = F.cross_entropy(model(xt), y)
        loss.backward()
        return float(loss)

    ws = [p.data.copy() for p in params]   # w1, b1, w2, b2, w3, b3 (PyTorch layout)
    onehot = np.zeros((BATCH, SIZES[-1]), dtype=np.float32)
    onehot[np.arange(BATCH), y] = 1
    grads: list = []

    def numpy_version() -> float:
        w1, b1, w2, b2, w3, b3 = ws
        h1 = x @ w1.T
        h1 += b1
        a1 = np.maximum(h1, 0)
        h2 = a1 @ w2.T
        h2 += b2
        a2 = np.maximum(h2, 0)
        z = a2 @ w3.T
        z += b3
        z -= z.max(1, keepdims=True)
        ez = np.exp(z)
        s = ez.sum(1, keepdims=True)
        loss = float(np.mean(np.log(s[:, 0]) - z[np.arange(BATCH), y]))
        g = ez / s
        g -= onehot
        g /= BATCH
        gw3, gb3 = g.T @ a2, g.sum(0)
        g = g @ w3
        g *= h2 > 0
        gw2, gb2 = g.T @ a1, g.sum(0)
        g = g @ w2
        g *= h1 > 0
        gw1, gb1 = g.T @ x, g.sum(0)
        grads[:] = [gw1, gb1, gw2, gb2, gw3, gb3]
        return loss

    out = {"ours": ours, "numpy": numpy_version}
    torch = try_torch()
    if torch is not None:
        tmodel = torch.nn.Sequential(torch.nn.Linear(SIZES[0], SIZES[1]), torch.nn.ReLU(),
                                     torch.nn.Linear(SIZES[1], SIZES[2]), torch.nn.ReLU(),
                                     torch.nn.Linear(SIZES[2], SIZES[3]))
        tmodel.load_state_dict({k: torch.from_numpy(v.data.copy())
                                for k, v in model.state_dict().items()})
        tparams = list(tmodel.parameters())
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)

        def torch_version() -> float:
            for p in tparams:
                p.grad = None
            loss = torch.nn.functional.cross_entropy(tmodel(tx), ty)
            loss.backward()
            return float(loss.detach())
        out["torch"] = torch_version

    def check() -> None:
        l_ours, l_np = ours(), numpy_version()
        assert abs(l_ours - l_np) < 1e-4 * max(1.0, abs(l_np)), (l_ours, l_np)
        for p, g in zip(params, grads):
            np.testing.assert_allclose(p.grad.data, g, rtol=1e-3, atol=1e-5)
        if "torch" in out:
            l_t = out["torch"]()
            assert abs(l_ours - l_t) < 1e-4 * max(1.0, abs(l_t)), (l_ours, l_t)
            for p, tp in zip(params, tparams):
                np.testing.assert_allclose(p.grad.data, tp.grad.numpy(), rtol=1e-3, atol=1e-5)
    out["check"] = check
    return out


WORKLOADS = [
    Workload("nn_mlp 784-256-256-10 b128 fwd+bwd", _setup, repeat=30,
             targets={"numpy": 1.15, "torch": 1.3},
             note="nn.Linear + nn.ReLU + F.cross_entropy"),
]
