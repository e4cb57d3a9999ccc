"""Rows for the fused recurrent steps (nn/functional/recurrent.py): lstm_step and
gru_step against NumPy transcriptions of PyTorch's documented cell equations.  The
generic tests check each forward in float32, the gradient of every input (gates,
states, weight, bias) against finite differences in float64, and the second
derivative (the backward's recorded Tensor-op path)."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from nn import functional as F

from . import Row


def _step_shapes(gates, n_states, bias=False):
    """gates_x (*lead, G*H), the states (*lead, H), weight_hh (G*H, H) [, bias (G*H,)]."""
    @st.composite
    def draw(d):
        lead = tuple(d(st.lists(st.integers(1, 3), min_size=0, max_size=2)))
        H = d(st.integers(1, 3))
        shapes = [lead + (gates * H,)] + [lead + (H,)] * n_states + [(gates * H, H)]
        return shapes + [(gates * H,)] if bias else shapes
    return draw


def _lstm_projected_shapes():
    """gates_x (*lead, 4H), h (*lead, P), c (*lead, H), weight_hh (4H, P) with P < H
    (LSTM's proj_size)."""
    @st.composite
    def draw(d):
        lead = tuple(d(st.lists(st.integers(1, 3), min_size=0, max_size=2)))
        H = d(st.integers(2, 3))
        P = d(st.integers(1, H - 1))
        return [lead + (4 * H,), lead + (P,), lead + (H,), (4 * H, P)]
    return draw


def _sig(x):
    return 1 / (1 + np.exp(-x))


def np_lstm_step(gx, h, c, w):
    """PyTorch's LSTMCell equations, gate order i, f, g, o."""
    i, f, g, o = np.split(gx + h @ w.T, 4, axis=-1)
    c2 = _sig(f) * c + _sig(i) * np.tanh(g)
    return _sig(o) * np.tanh(c2), c2


def np_gru_step(gx, h, w, b=None):
    """PyTorch's GRUCell equations, gate order r, z, n, b_hn inside the reset product."""
    hg = h @ w.T + (0 if b is None else b)
    xr, xz, xn = np.split(gx, 3, axis=-1)
    hr, hz, hn = np.split(hg, 3, axis=-1)
    r, z = _sig(xr + hr), _sig(xz + hz)
    n = np.tanh(xn + r * hn)
    return (1 - z) * n + z * h


ROWS = [
    Row("lstm_step", F.lstm_step, np_lstm_step, arity=4, shapes=_step_shapes(4, 2)),
    Row("gru_step", F.gru_step, np_gru_step, arity=4, shapes=_step_shapes(3, 1, bias=True)),
    Row("gru_step", F.gru_step, np_gru_step, arity=3, shapes=_step_shapes(3, 1),
        label="gru_step_no_bias"),
    # Only one output of the LSTM step used: the other's gradient arrives as None.
    Row("lstm_step", lambda gx, h, c, w: F.lstm_step(gx, h, c, w)[1],
        lambda gx, h, c, w: np_lstm_step(gx, h, c, w)[1], arity=4,
        shapes=_step_shapes(4, 2), label="lstm_step_c_only"),
    Row("lstm_step", F.lstm_step, np_lstm_step, arity=4, shapes=_lstm_projected_shapes(),
        label="lstm_step_projected_h"),
]
