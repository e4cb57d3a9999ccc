"""Recurrent workload (issue: recurrent networks): a 1-layer LSTM, seq 32, batch 32,
input 64, hidden 128; forward plus backward of sum(h_n ** 2) to every parameter."""
from __future__ import annotations

import numpy as np

import autograd as ag
import nn

from . import Workload, try_torch

T, B, I, H = 32, 32, 64, 128


def _sigmoid(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-x))


def lstm_numpy(x: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray, b_ih: np.ndarray,
               b_hh: np.ndarray) -> tuple:
    """Hand-written LSTM (gates i, f, g, o) and its backward through time for
    loss = sum(h_T ** 2): returns (loss, dW_ih, dW_hh, db_ih, db_hh)."""
    T, B, _ = x.shape
    H = w_hh.shape[1]
    gx = (x.reshape(T * B, -1) @ w_ih.T + (b_ih + b_hh)).reshape(T, B, 4 * H)
    acts = np.empty((T, B, 4 * H), x.dtype)
    hs = np.zeros((T + 1, B, H), x.dtype)       # hs[t] is the state before step t
    cs = np.zeros((T + 1, B, H), x.dtype)
    tcs = np.empty((T, B, H), x.dtype)
    for t in range(T):
        a = gx[t] + hs[t] @ w_hh.T
        a[:, :2 * H] = _sigmoid(a[:, :2 * H])
        a[:, 2 * H:3 * H] = np.tanh(a[:, 2 * H:3 * H])
        a[:, 3 * H:] = _sigmoid(a[:, 3 * H:])
        acts[t] = a
        cs[t + 1] = a[:, H:2 * H] * cs[t] + a[:, :H] * a[:, 2 * H:3 * H]
        tcs[t] = np.tanh(cs[t + 1])
        hs[t + 1] = a[:, 3 * H:] * tcs[t]
    loss = (hs[T] ** 2).sum()
    dz = np.empty_like(acts)
    dh = 2 * hs[T]
    dc = np.zeros_like(dh)
    for t in range(T - 1, -1, -1):
        a, tc = acts[t], tcs[t]
        i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
        dc = dc + dh * o * (1 - tc * tc)
        dz[t, :, :H] = dc * g * i * (1 - i)
        dz[t, :, H:2 * H] = dc * cs[t] * f * (1 - f)
        dz[t, :, 2 * H:3 * H] = dc * i * (1 - g * g)
        dz[t, :, 3 * H:] = dh * tc * o * (1 - o)
        dh = dz[t] @ w_hh
        dc = dc * f
    dz2 = dz.reshape(T * B, 4 * H)
    dw_ih = dz2.T @ x.reshape(T * B, -1)
    dw_hh = dz2.T @ hs[:T].reshape(T * B, H)
    db = dz2.sum(0)
    return loss, dw_ih, dw_hh, db, db


def _lstm():
    rng = np.random.default_rng(0)
    ag.manual_seed(0)
    model = nn.LSTM(I, H)
    x_np = rng.standard_normal((T, B, I)).astype(np.float32)
    x = ag.tensor(x_np)
    names = ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    params = [getattr(model, n) for n in names]
    arrays = [p.data for p in params]

    def ours():
        model.zero_grad()
        _, (h, _) = model(x)
        loss = (h * h).sum()
        loss.backward()
        return [loss.data] + [p.grad.data for p in params]

    def numpy():
        return lstm_numpy(x_np, *arrays)

    impl = {"ours": ours, "numpy": numpy}
    torch = try_torch()
    if torch:
        tm = torch.nn.LSTM(I, H)
        tm.load_state_dict({n: torch.from_numpy(a.copy()) for n, a in zip(names, arrays)})
        tx = torch.from_numpy(x_np)

        def run_torch():
            tm.zero_grad()
            _, (h, _) = tm(tx)
            (h * h).sum().backward()
        impl["torch"] = run_torch

    def check():
        for got, want, what in zip(ours(), numpy(), ["loss"] + names):
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5, err_msg=what)
    impl["check"] = check
    return impl


WORKLOADS = [
    Workload("lstm T32 B32 in64 h128 fwd+bwd", _lstm, repeat=30,
             targets={"numpy": 1.3, "torch": 2.0}),
]
