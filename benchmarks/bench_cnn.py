"""CNN workload (issue: convolution and pooling): one LeNet-like training step.

conv 1->16 3x3 pad 1, ReLU, maxpool 2, conv 16->32 3x3 pad 1, ReLU, maxpool 2,
linear 1568->10, cross-entropy on a batch of 64 1x28x28 images, backward, SGD step;
ours (nn + optim) against a hand-written NumPy im2col version of the same step and
PyTorch.  The NumPy version uses the layout a careful hand-written one would (and that
ours uses inside): activations stored channel-major (C, N, H, W), so every conv is one
GEMM over the whole batch with no transposes; 2x2 pooling on strided views.

Peak memory: the growth of the peak resident set (VmHWM) over three steps, each
implementation alone in a fresh subprocess, the same measure for all three.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np

import autograd as ag

from . import Workload, try_torch

N, LR = 64, 0.01


def _params(seed: int = 0) -> dict:
    """PyTorch's default init ranges, drawn once and shared by the three versions."""
    rng = np.random.default_rng(seed)

    def u(shape, fan_in):
        b = 1 / np.sqrt(fan_in)
        return rng.uniform(-b, b, shape).astype(np.float32)
    return {"0.weight": u((16, 1, 3, 3), 9), "0.bias": u(16, 9),
            "3.weight": u((32, 16, 3, 3), 144), "3.bias": u(32, 144),
            "7.weight": u((10, 1568), 1568), "7.bias": u(10, 1568)}


# ---- the hand-written NumPy step ----------------------------------------------------

def _np_conv3x3(x_cn: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple:
    """3x3 'same' conv of a (C, N, H, W) array: (O, N, H, W) output and the im2col matrix."""
    C, n, H, W = x_cn.shape
    xp = np.zeros((C, n, H + 2, W + 2), np.float32)
    xp[:, :, 1:-1, 1:-1] = x_cn
    cols = np.empty((C, 3, 3, n, H, W), np.float32)
    for p in range(3):
        for q in range(3):
            cols[:, p, q] = xp[:, :, p:p + H, q:q + W]
    cols = cols.reshape(C * 9, -1)
    y = w.reshape(w.shape[0], -1) @ cols
    y += b[:, None]
    return y.reshape(-1, n, H, W), cols


def _np_conv3x3_input_grad(g: np.ndarray, w: np.ndarray) -> np.ndarray:
    O, n, H, W = g.shape
    C = w.shape[1]
    gcols = (w.reshape(O, -1).T @ g.reshape(O, -1)).reshape(C, 3, 3, n, H, W)
    gp = np.zeros((C, n, H + 2, W + 2), np.float32)
    for p in range(3):
        for q in range(3):
            gp[:, :, p:p + H, q:q + W] += gcols[:, p, q]
    return gp[:, :, 1:-1, 1:-1]


def _np_pool2(a: np.ndarray) -> np.ndarray:
    """2x2 max pooling as the maximum of the four strided corner views (several times
    faster than reshape + max over two axes)."""
    return np.maximum(np.maximum(a[:, :, ::2, ::2], a[:, :, ::2, 1::2]),
                      np.maximum(a[:, :, 1::2, ::2], a[:, :, 1::2, 1::2]))


def _np_pool2_grad(g: np.ndarray, a: np.ndarray, m: np.ndarray) -> np.ndarray:
    """g sent to the positions equal to their window's max.  Ties within a window only
    occur at 0 after ReLU, whose gradient is then 0 anyway."""
    out = np.empty(a.shape, np.float32)
    for p in range(2):
        for q in range(2):
            out[:, :, p::2, q::2] = g * (a[:, :, p::2, q::2] == m)
    return out


def numpy_step(p: dict, x: np.ndarray, y: np.ndarray) -> float:
    """Forward, backward and SGD update of the LeNet-like model, in place on `p`."""
    x_cn = x.transpose(1, 0, 2, 3)
    z1, cols1 = _np_conv3x3(x_cn, p["0.weight"], p["0.bias"])
    a1 = np.maximum(z1, 0)
    m1 = _np_pool2(a1)
    z2, cols2 = _np_conv3x3(m1, p["3.weight"], p["3.bias"])
    a2 = np.maximum(z2, 0)
    m2 = _np_pool2(a2)
    flat = m2.transpose(1, 0, 2, 3).reshape(N, -1)
    logits = flat @ p["7.weight"].T + p["7.bias"]
    shifted = logits - logits.max(1, keepdims=True)
    e = np.exp(shifted)
    s = e.sum(1, keepdims=True)
    loss = float(np.mean(np.log(s[:, 0]) - shifted[np.arange(N), y]))
    dlogits = e / s
    dlogits[np.arange(N), y] -= 1
    dlogits /= N
    g = {"7.weight": dlogits.T @ flat, "7.bias": dlogits.sum(0)}
    gm2 = (dlogits @ p["7.weight"]).reshape(N, 32, 7, 7).transpose(1, 0, 2, 3)
    gz2 = _np_pool2_grad(gm2, a2, m2) * (z2 > 0)
    gz2m = gz2.reshape(32, -1)
    g["3.weight"] = (gz2m @ cols2.T).reshape(p["3.weight"].shape)
    g["3.bias"] = gz2m.sum(1)
    gm1 = _np_conv3x3_input_grad(gz2, p["3.weight"])
    gz1 = _np_pool2_grad(gm1, a1, m1) * (z1 > 0)
    gz1m = gz1.reshape(16, -1)
    g["0.weight"] = (gz1m @ cols1.T).reshape(p["0.weight"].shape)
    g["0.bias"] = gz1m.sum(1)
    for k, v in g.items():
        p[k] -= LR * v
    return loss


# ---- the three implementations ----------------------------------------------------------

def _data() -> tuple:
    rng = np.random.default_rng(1)
    return rng.random((N, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, N)


def build_ours(init: dict, x_np: np.ndarray, y_np: np.ndarray) -> tuple:
    """(step, reset(init)) for our nn + optim version."""
    import nn
    import optim
    from nn import functional as F

    model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(1568, 10))
    opt = optim.SGD(model.parameters(), lr=LR)
    x, y = ag.tensor(x_np), ag.tensor(y_np)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    def reset(p):
        model.load_state_dict({k: ag.tensor(v) for k, v in p.items()})
        return {k: v.data for k, v in model.state_dict().items()}
    reset(init)
    return step, reset


def build_numpy(init: dict, x_np: np.ndarray, y_np: np.ndarray) -> tuple:
    p = {}

    def reset(new):
        p.clear()
        p.update({k: v.copy() for k, v in new.items()})
        return p
    reset(init)
    return (lambda: numpy_step(p, x_np, y_np)), reset


def build_torch(init: dict, x_np: np.ndarray, y_np: np.ndarray) -> tuple | None:
    torch = try_torch()
    if torch is None:
        return None
    tnn = torch.nn
    model = tnn.Sequential(tnn.Conv2d(1, 16, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
                           tnn.Conv2d(16, 32, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
                           tnn.Flatten(), tnn.Linear(1568, 10))
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)

    def step():
        opt.zero_grad()
        loss = tnn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    def reset(p):
        model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in p.items()})
        return {k: v.numpy() for k, v in model.state_dict().items()}
    reset(init)
    return step, reset


BUILDERS = {"ours": build_ours, "numpy": build_numpy, "torch": build_torch}


# ---- peak memory ----------------------------------------------------------------------

def _status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        return int(re.search(rf"{field}:\s+(\d+)", f.read()).group(1))


def _peak_here(name: str) -> None:
    """Print the growth of the peak resident set over three steps (run in a subprocess
    so that no other implementation's allocations, or allocator caches, count)."""
    built = BUILDERS[name](_params(), *_data())
    if built is None:
        return
    before = _status_kb("VmRSS")
    for _ in range(3):
        built[0]()
    print((_status_kb("VmHWM") - before) / 1024)


def peak_step_mb(name: str) -> float | None:
    """Peak memory of a training step of implementation `name`, in MB (Linux only)."""
    if not os.path.exists("/proc/self/status"):
        return None
    code = f"from benchmarks.bench_cnn import _peak_here; _peak_here({name!r})"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=root, timeout=600)
    return float(out.stdout) if out.returncode == 0 and out.stdout.strip() else None


# ---- the workload ---------------------------------------------------------------------

def _lenet() -> dict:
    init, (x_np, y_np) = _params(), _data()
    impl, resets = {}, {}
    for name, build in BUILDERS.items():
        built = build(init, x_np, y_np)
        if built is not None:
            impl[name], resets[name] = built

    def check():
        # Three steps from the same weights agree in loss and in every updated parameter.
        results = {}
        for name in resets:
            params = resets[name](init)
            losses = [impl[name]() for _ in range(3)]
            results[name] = (losses, {k: np.array(v) for k, v in params.items()})
        for name in results:
            np.testing.assert_allclose(results[name][0], results["numpy"][0], rtol=1e-4,
                                       err_msg=f"{name} vs numpy: losses")
            for k, v in results[name][1].items():
                np.testing.assert_allclose(v, results["numpy"][1][k], rtol=1e-3, atol=1e-5,
                                           err_msg=f"{name} vs numpy: {k}")

    mem = {name: peak_step_mb(name) for name in resets}
    impl["check"] = check
    impl["report"] = {"peak MB (ours/numpy/torch)": "/".join(
        "-" if mem.get(k) is None else f"{mem[k]:.1f}" for k in ("ours", "numpy", "torch"))}
    return impl


WORKLOADS = [
    Workload("cnn: LeNet-like train step, batch 64x1x28x28", _lenet, repeat=30,
             targets={"numpy": 1.3, "torch": 2.0},
             note="conv-relu-pool x2, linear, cross-entropy, backward, SGD"),
]
