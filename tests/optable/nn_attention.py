"""Rows for nn.functional's attention (nn/functional/attention.py): scaled_dot_product_attention
(plain, boolean, float and causal masks, scale, dropout, grouped-query) and
multi_head_attention_forward, against a NumPy softmax(q k^T * scale + mask) v in which
a query with no key to attend to gets zero weights."""
from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

import autograd as ag
from nn import functional as F

from . import Row


def _sdpa_shapes(mask=False, heads=None):
    """query (*, L, E), key (*, S, E), value (*, S, Ev) [, a float mask (L, S)]; with
    `heads` = (Hq, Hk), a head dim -3 of Hq for the query and Hk for key and value."""
    @st.composite
    def draw(d):
        lead = tuple(d(st.lists(st.integers(1, 2), min_size=0, max_size=2)))
        n_l, n_s, e, ev = (d(st.integers(1, 4)) for _ in range(4))
        qlead = klead = lead
        if heads:
            qlead, klead = lead + (heads[0],), lead + (heads[1],)
        shapes = [qlead + (n_l, e), klead + (n_s, e), klead + (n_s, ev)]
        return shapes + [(n_l, n_s)] if mask else shapes
    return draw


def _bool_mask(n_l, n_s):
    """A fixed pattern per (L, S) with some rows all False (nothing to attend to)."""
    m = np.random.default_rng(10 * n_l + n_s).random((n_l, n_s)) > 0.4
    m[n_l // 2] = False
    return m


def _np_softmax_rows(s):
    top = s.max(-1, keepdims=True)
    live = np.isfinite(top)   # rows with a key to attend to
    e = np.exp(s - np.where(live, top, 0))
    return e / np.where(live, e.sum(-1, keepdims=True), 1)


def _np_weights(q, k, mask=None, scale=None):
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    s = q @ np.swapaxes(k, -1, -2) * np.asarray(scale, q.dtype)
    if mask is not None:
        s = np.where(mask, s, -np.inf) if mask.dtype == bool else s + mask
    return _np_softmax_rows(s)


def _np_sdpa(q, k, v, mask=None, scale=None):
    return _np_weights(q, k, mask, scale) @ v


def _causal(q, k):
    return np.tril(np.ones((q.shape[-2], k.shape[-2]), dtype=bool))


def _dropped(q, k, v):
    ag.manual_seed(7)   # the same mask at every call of this row
    return F.scaled_dot_product_attention(q, k, v, dropout_p=0.3)


def _np_dropped(q, k, v):
    w = _np_weights(q, k)
    keep = np.random.default_rng(7).random(w.shape, dtype=np.float32) >= 0.3
    return (w * keep / np.asarray(0.7, q.dtype)) @ v


# ---- multi_head_attention_forward: 2 heads, E = 4, packed projections, a padding mask
H, E = 2, 4


def _mha_shapes():
    @st.composite
    def draw(d):
        n_l, n_s, n = d(st.integers(1, 3)), d(st.integers(1, 3)), d(st.integers(1, 2))
        return [(n_l, n, E), (n_s, n, E), (n_s, n, E), (3 * E, E), (3 * E,), (E, E), (E,)]
    return draw


def _padding(n, n_s):
    """Key padding (True: ignore), never hiding every key of a sample."""
    m = np.zeros((n, n_s), dtype=bool)
    m[-1, :-1] = True
    return m


def _mha(q, k, v, w_in, b_in, w_out, b_out):
    return F.multi_head_attention_forward(
        q, k, v, E, H, w_in, b_in, None, None, False, 0.0, w_out, b_out,
        key_padding_mask=_padding(q.shape[1], k.shape[0]), average_attn_weights=False)


def _np_mha(q, k, v, w_in, b_in, w_out, b_out):
    n_l, n, _ = q.shape
    hd = E // H
    proj = [x @ w.T + b for x, w, b in zip((q, k, v), np.split(w_in, 3), np.split(b_in, 3))]
    # (T, N, E) -> (N, H, T, hd)
    qh, kh, vh = (p.reshape(p.shape[0], n, H, hd).transpose(1, 2, 0, 3) for p in proj)
    mask = ~_padding(n, k.shape[0])[:, None, None, :]
    w = _np_weights(qh, kh, mask, 1 / math.sqrt(hd))
    out = (w @ vh).transpose(2, 0, 1, 3).reshape(n_l, n, E)
    return out @ w_out.T + b_out, w


ROWS = [
    Row("scaled_dot_product_attention", F.scaled_dot_product_attention, _np_sdpa, arity=3,
        shapes=_sdpa_shapes()),
    Row("scaled_dot_product_attention",
        lambda q, k, v: F.scaled_dot_product_attention(
            q, k, v, ag.tensor(_bool_mask(q.shape[-2], k.shape[-2]))),
        lambda q, k, v: _np_sdpa(q, k, v, _bool_mask(q.shape[-2], k.shape[-2])), arity=3,
        shapes=_sdpa_shapes(), label="sdpa_bool_mask"),
    Row("scaled_dot_product_attention",
        lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, m), _np_sdpa, arity=4,
        shapes=_sdpa_shapes(mask=True), label="sdpa_float_mask"),
    Row("scaled_dot_product_attention",
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
        lambda q, k, v: _np_sdpa(q, k, v, _causal(q, k)), arity=3, shapes=_sdpa_shapes(),
        label="sdpa_causal"),
    Row("scaled_dot_product_attention",
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, scale=0.7),
        lambda q, k, v: _np_sdpa(q, k, v, scale=0.7), arity=3, shapes=_sdpa_shapes(),
        label="sdpa_scale"),
    Row("scaled_dot_product_attention", _dropped, _np_dropped, arity=3, shapes=_sdpa_shapes(),
        label="sdpa_dropout"),
    Row("scaled_dot_product_attention",
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, enable_gqa=True),
        lambda q, k, v: _np_sdpa(q, np.repeat(k, 3, axis=-3), np.repeat(v, 3, axis=-3)),
        arity=3, shapes=lambda: _sdpa_shapes(heads=(3, 1))() | _sdpa_shapes(heads=(6, 2))(),
        label="sdpa_gqa"),
    Row("multi_head_attention_forward", _mha, _np_mha, arity=7, shapes=_mha_shapes()),
]
