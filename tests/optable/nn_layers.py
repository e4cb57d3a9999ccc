"""Rows for nn.functional's layers (nn/functional/layers.py): the fused ops Linear and
Normalize (under layer_norm, batch_norm, group_norm and instance_norm, whose "plain"
rows check its double backward), and the compositions rms_norm, dropout, embedding,
bilinear, local_response_norm and embedding_bag."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import autograd as ag
from nn import functional as F

from . import Row, distinct


def _linear_shapes(bias=True, lead_max=2):
    @st.composite
    def draw(d):
        lead = tuple(d(st.lists(st.integers(1, 3), min_size=0, max_size=lead_max)))
        n_in, n_out = d(st.integers(1, 4)), d(st.integers(1, 4))
        shapes = [lead + (n_in,), (n_out, n_in)]
        return shapes + [(n_out,)] if bias else shapes
    return draw


def _norm_shapes(affine=True, k=1):
    """x (*, normalized) plus weight and bias of the normalized shape."""
    @st.composite
    def draw(d):
        lead = tuple(d(st.lists(st.integers(1, 3), min_size=0, max_size=2)))
        ns = tuple(d(st.lists(st.integers(2, 4), min_size=k, max_size=k)))
        return [lead + ns] + ([ns, ns] if affine else [])
    return draw


def _bn_shapes(affine=True, spatial=(0, 2)):
    """x (N, C, *spatial) with N * prod(spatial) > 1, plus weight and bias (C,)."""
    @st.composite
    def draw(d):
        n, c = d(st.integers(2, 4)), d(st.integers(1, 3))
        sp = tuple(d(st.lists(st.integers(1, 3), min_size=spatial[0], max_size=spatial[1])))
        return [(n, c) + sp] + ([(c,), (c,)] if affine else [])
    return draw


def _np_layer_norm(x, w=None, b=None, k=1, eps=1e-5):
    axes = tuple(range(x.ndim - k, x.ndim))
    mu = x.mean(axes, keepdims=True)
    y = (x - mu) / np.sqrt(x.var(axes, keepdims=True) + eps)
    return y * w + b if w is not None else y


def _np_batch_norm(x, w=None, b=None, eps=1e-5):
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    y = (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + eps)
    return y * w.reshape(shape) + b.reshape(shape) if w is not None else y


def _groups(c):
    """group_norm's rows split c channels into its smallest divisor > 1 of groups (c = 4:
    2 groups of 2, c = 3: 3 groups of 1, c = 1: one group)."""
    return next(g for g in range(2, c + 1) if c % g == 0) if c > 1 else 1


def _gn_shapes(affine=True):
    """x (N, C, *spatial) with more than one value per group, plus weight and bias (C,)."""
    @st.composite
    def draw(d):
        n, c = d(st.integers(1, 3)), d(st.integers(1, 6))
        sp = tuple(d(st.lists(st.integers(1, 3), min_size=0, max_size=2)))
        if c // _groups(c) * np.prod(sp, dtype=int) == 1:
            sp = (2,)
        return [(n, c) + sp] + ([(c,), (c,)] if affine else [])
    return draw


def _np_group_norm(x, w=None, b=None, groups=1, eps=1e-5):
    n, c = x.shape[:2]
    xg = x.reshape(n, groups, -1)
    y = ((xg - xg.mean(-1, keepdims=True)) / np.sqrt(xg.var(-1, keepdims=True) + eps))
    y = y.reshape(x.shape)
    shape = (1, c) + (1,) * (x.ndim - 2)
    return y * w.reshape(shape) + b.reshape(shape) if w is not None else y


def _in_shapes(affine=True):
    """x (N, C, *spatial) with prod(spatial) > 1, plus weight and bias (C,)."""
    @st.composite
    def draw(d):
        n, c = d(st.integers(1, 3)), d(st.integers(1, 3))
        sp = tuple(d(st.lists(st.integers(1, 3), min_size=1, max_size=2)))
        if np.prod(sp) == 1:
            sp = sp[:-1] + (2,)
        return [(n, c) + sp] + ([(c,), (c,)] if affine else [])
    return draw


def _np_instance_norm(x, w=None, b=None, eps=1e-5):
    axes = tuple(range(2, x.ndim))
    y = (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + eps)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return y * w.reshape(shape) + b.reshape(shape) if w is not None else y


def _in_tracked(x, w, b):
    c = x.shape[1]
    rm, rv = ag.zeros(c, dtype=x.dtype), ag.ones(c, dtype=x.dtype)
    return F.instance_norm(x, rm, rv, w, b, use_input_stats=True, momentum=0.3)


def _np_rms_norm(x, w=None, k=1, eps=1e-5):
    ms = np.mean(x * x, axis=tuple(range(x.ndim - k, x.ndim)), keepdims=True)
    y = x / np.sqrt(ms + eps)
    return y * w if w is not None else y


_RM = np.array([0.5, -1.0, 0.25], dtype=np.float32)
_RV = np.array([2.0, 0.5, 1.5], dtype=np.float32)


def _bn_eval(x, w, b):
    c = x.shape[1]
    return F.batch_norm(x, ag.tensor(_RM[:c].astype(x.dtype)), ag.tensor(_RV[:c].astype(x.dtype)),
                        w, b, training=False)


def _np_bn_eval(x, w, b):
    c = x.shape[1]
    shape = (1, c) + (1,) * (x.ndim - 2)
    y = (x - _RM[:c].reshape(shape)) / np.sqrt(_RV[:c].reshape(shape) + 1e-5)
    return y * w.reshape(shape) + b.reshape(shape)


def _in_eval(x, w, b):
    c = x.shape[1]
    return F.instance_norm(x, ag.tensor(_RM[:c].astype(x.dtype)),
                           ag.tensor(_RV[:c].astype(x.dtype)), w, b, use_input_stats=False)


def _bn_train(x, w, b):
    c = x.shape[1]
    rm, rv = ag.zeros(c, dtype=x.dtype), ag.ones(c, dtype=x.dtype)
    return F.batch_norm(x, rm, rv, w, b, training=True, momentum=0.3)


def _dropout(x):
    ag.manual_seed(7)  # the same mask at every call of this row
    return F.dropout(x, 0.4, training=True)


def _np_dropout(x):
    keep = np.random.default_rng(7).random(x.shape, dtype=np.float32) >= 0.4
    return x * keep / np.float32(0.6)


_IDX = np.array([[1, 0, 3], [3, 3, 2]])


def _emb_shapes():
    return st.integers(1, 3).map(lambda d: [(4, d)])



def _bilinear_shapes(bias=True):
    """x1 (*, in1), x2 (*, in2) with the same leading dims, weight (out, in1, in2), bias."""
    @st.composite
    def draw(d):
        lead = tuple(d(st.lists(st.integers(1, 3), min_size=0, max_size=2)))
        i1, i2, o = d(st.integers(1, 3)), d(st.integers(1, 3)), d(st.integers(1, 3))
        shapes = [lead + (i1,), lead + (i2,), (o, i1, i2)]
        return shapes + [(o,)] if bias else shapes
    return draw


def _np_bilinear(x1, x2, w, b=None):
    y = np.einsum("...i,oij,...j->...o", x1, w, x2)
    return y if b is None else y + b


def _lrn_shapes():
    """(N, C, *) with 3 to 4 dims."""
    @st.composite
    def draw(d):
        n, c = d(st.integers(1, 2)), d(st.integers(1, 5))
        return [(n, c) + tuple(d(st.lists(st.integers(1, 3), min_size=1, max_size=2)))]
    return draw


def _np_lrn(x, size, alpha, beta, k):
    """PyTorch's definition: the squares averaged over channels c - size // 2 ..
    c + (size - 1) // 2 (zero outside), always divided by size."""
    c = x.shape[1]
    div = np.zeros_like(x)
    for ch in range(c):
        for j in range(ch - size // 2, ch + (size - 1) // 2 + 1):
            if 0 <= j < c:
                div[:, ch] += x[:, j] ** 2
    return x / (k + alpha * div / size) ** beta


# Bags for the embedding_bag rows: 9 indices into 4 rows cut into 5 bags, one empty.
_BAG_IDX = np.array([1, 3, 3, 0, 2, 1, 2, 0, 3])
_BAG_OFF = np.array([0, 2, 5, 5, 8])
_BAG_2D = np.array([[1, 0, 3], [2, 2, 0]])


def _bag_shapes(psw=False):
    def shapes():
        return st.integers(1, 3).map(lambda d: [(4, d)] + ([(_BAG_IDX.size,)] if psw else []))
    return shapes


def _np_bag(w, idx, offsets, mode, psw=None, padding_idx=None):
    """Each bag's rows (padding skipped) summed (times psw), averaged, or maxed, by a loop
    over the bags; empty bags give zeros."""
    if idx.ndim == 2:
        bags = [np.arange(i * idx.shape[1], (i + 1) * idx.shape[1]) for i in range(idx.shape[0])]
        idx = idx.reshape(-1)
    else:
        ends = list(offsets[1:]) + [idx.size]
        bags = [np.arange(a, e) for a, e in zip(offsets, ends)]
    out = np.zeros((len(bags), w.shape[1]), dtype=w.dtype)
    for i, pos in enumerate(bags):
        pos = [p for p in pos if idx[p] != padding_idx]
        if not pos:
            continue
        rows = w[idx[pos]] * (1 if psw is None else psw[pos][:, None])
        out[i] = {"sum": rows.sum(0), "mean": rows.mean(0), "max": rows.max(0)}[mode]
    return out


def _bag(mode, **kw):
    return lambda w: F.embedding_bag(_BAG_IDX, w, _BAG_OFF, mode=mode, **kw)


ROWS = [
    Row("linear", F.linear, lambda x, w, b: x @ w.T + b, arity=3, shapes=_linear_shapes()),
    Row("linear", F.linear, lambda x, w: x @ w.T, arity=2,
        shapes=_linear_shapes(bias=False), label="linear_nobias"),
    Row("layer_norm", lambda x, w, b: F.layer_norm(x, w.shape, w, b), _np_layer_norm, arity=3,
        shapes=_norm_shapes(), atol=1e-4, rtol=1e-3),
    Row("layer_norm", lambda x: F.layer_norm(x, x.shape[-2:]),
        lambda x: _np_layer_norm(x, k=2), shapes=_norm_shapes(affine=False, k=2),
        atol=1e-4, rtol=1e-3, label="layer_norm_2d_plain"),
    Row("batch_norm", _bn_train, _np_batch_norm, arity=3, shapes=_bn_shapes(),
        atol=1e-4, rtol=1e-3, label="batch_norm_train"),
    Row("batch_norm", lambda x: F.batch_norm(x, None, None, training=True), _np_batch_norm,
        shapes=_bn_shapes(affine=False, spatial=(1, 2)), atol=1e-4, rtol=1e-3,
        label="batch_norm_train_nd_plain"),
    Row("batch_norm", _bn_eval, _np_bn_eval, arity=3, shapes=_bn_shapes(spatial=(0, 2)),
        label="batch_norm_eval"),
    Row("group_norm", lambda x, w, b: F.group_norm(x, _groups(x.shape[1]), w, b),
        lambda x, w, b: _np_group_norm(x, w, b, _groups(x.shape[1])), arity=3, shapes=_gn_shapes(),
        atol=1e-4, rtol=1e-3),
    Row("group_norm", lambda x: F.group_norm(x, _groups(x.shape[1])),
        lambda x: _np_group_norm(x, groups=_groups(x.shape[1])), shapes=_gn_shapes(affine=False),
        atol=1e-4, rtol=1e-3, label="group_norm_plain"),
    Row("instance_norm", _in_tracked, _np_instance_norm, arity=3, shapes=_in_shapes(),
        atol=1e-4, rtol=1e-3, label="instance_norm_tracked"),
    Row("instance_norm", lambda x: F.instance_norm(x), _np_instance_norm,
        shapes=_in_shapes(affine=False), atol=1e-4, rtol=1e-3, label="instance_norm_plain"),
    Row("instance_norm", _in_eval, _np_bn_eval, arity=3, shapes=_in_shapes(),
        label="instance_norm_eval"),
    # rms_norm: eps given, and large enough that finite differences with a 1e-6 step
    # resolve (mean(x^2) + eps)^-1/2 at x = 0, also node by node (check_tape); the
    # default eps (float64's 2e-16: far too curved there) is checked forward only
    Row("rms_norm", lambda x, w: F.rms_norm(x, w.shape, w, eps=1e-3),
        lambda x, w: _np_rms_norm(x, w, eps=1e-3), arity=2,
        shapes=lambda: _norm_shapes()().map(lambda s: s[:2]), atol=1e-4, rtol=1e-3),
    Row("rms_norm", lambda x: F.rms_norm(x, x.shape[-2:], eps=1e-3),
        lambda x: _np_rms_norm(x, k=2, eps=1e-3), shapes=_norm_shapes(affine=False, k=2),
        atol=1e-4, rtol=1e-3, label="rms_norm_2d_plain"),
    Row("rms_norm", lambda x: F.rms_norm(x, x.shape[-1:]),
        lambda x: _np_rms_norm(x, eps=np.finfo(np.float32).eps),
        shapes=_norm_shapes(affine=False), grad=False, label="rms_norm_default_eps"),
    Row("dropout", _dropout, _np_dropout, shapes=lambda: st.just([(3, 4)]) | st.just([(5,)])),
    Row("embedding", lambda w: F.embedding(_IDX, w), lambda w: w[_IDX], shapes=_emb_shapes),
    Row("bilinear", F.bilinear, _np_bilinear, arity=4, shapes=_bilinear_shapes()),
    Row("bilinear", F.bilinear, _np_bilinear, arity=3, shapes=_bilinear_shapes(bias=False),
        label="bilinear_nobias"),
    *[Row("local_response_norm", lambda x, n=n: F.local_response_norm(x, n, 0.5, 0.75, 1.5),
          lambda x, n=n: _np_lrn(x, n, 0.5, 0.75, 1.5), shapes=_lrn_shapes(), atol=1e-4,
          rtol=1e-3, label=f"local_response_norm_size{n}") for n in (2, 3)],
    *[Row("embedding_bag", _bag(m), lambda w, m=m: _np_bag(w, _BAG_IDX, _BAG_OFF, m),
          shapes=_bag_shapes(), prepare=distinct if m == "max" else None,
          label=f"embedding_bag_{m}") for m in ("sum", "mean", "max")],
    *[Row("embedding_bag", _bag(m, padding_idx=3),
          lambda w, m=m: _np_bag(w, _BAG_IDX, _BAG_OFF, m, padding_idx=3), shapes=_bag_shapes(),
          prepare=distinct if m == "max" else None, label=f"embedding_bag_{m}_padding")
      for m in ("mean", "max")],
    *[Row("embedding_bag", lambda w, m=m: F.embedding_bag(_BAG_2D, w, mode=m),
          lambda w, m=m: _np_bag(w, _BAG_2D, None, m), shapes=_bag_shapes(),
          prepare=distinct if m == "max" else None, label=f"embedding_bag_2d_{m}")
      for m in ("mean", "max")],
    Row("embedding_bag",
        lambda w, p: F.embedding_bag(_BAG_IDX, w, _BAG_OFF, mode="sum", per_sample_weights=p,
                                     padding_idx=0),
        lambda w, p: _np_bag(w, _BAG_IDX, _BAG_OFF, "sum", p, padding_idx=0), arity=2,
        shapes=_bag_shapes(psw=True), label="embedding_bag_per_sample_weights"),
]
