"""Rows for nn.functional's losses (nn/functional/loss.py).  Class-index targets are
drawn deterministically from the input's shape (the table draws float inputs only);
the NumPy references below follow PyTorch's documented formulas, written apart from
our implementation."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from nn import functional as F

from . import Row, away_from

IGNORE = -100


def _class_shapes(arity=1, spatial=True):
    """(N, C), (N, C, d) or (C,) inputs (C >= 2); a same-shaped second input if arity 2."""
    @st.composite
    def draw(d):
        kind = d(st.sampled_from(["nc", "ncd", "c"] if spatial else ["nc"]))
        n, c, k = d(st.integers(1, 4)), d(st.integers(2, 4)), d(st.integers(1, 3))
        s = {"nc": (n, c), "ncd": (n, c, k), "c": (c,)}[kind]
        return [s] * arity
    return draw


def _targets(shape, ignore=False):
    """Class indices for an input of `shape`: (N, d...) or () for (C,), a fixed function
    of the shape; with `ignore`, every third position (never all) is IGNORE."""
    c = shape[1] if len(shape) >= 2 else shape[0]
    tshape = (shape[0],) + tuple(shape[2:]) if len(shape) >= 2 else ()
    rng = np.random.default_rng(sum(shape) * 31 + len(shape))
    t = rng.integers(0, c, size=tshape)
    if ignore and t.size > 1:
        flat = t.reshape(-1)
        flat[1::3] = IGNORE
    return t


def _weight(shape):
    c = shape[1] if len(shape) >= 2 else shape[0]
    return np.linspace(0.5, 2.0, c)


def _reduce(loss, reduction, denom=None):
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / (loss.size if denom is None else denom)


def _np_cross_entropy(x, t, w=None, eps=0.0, reduction="mean", ignore=IGNORE):
    """PyTorch's definition, with the class dim moved last and positions flattened."""
    single = x.ndim == 1
    xs = x[None] if single else np.moveaxis(x, 1, -1)
    c = xs.shape[-1]
    xs = xs.reshape(-1, c)
    tf = np.asarray(t).reshape(-1)
    z = xs - xs.max(-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    wc = np.ones(c, x.dtype) if w is None else w.astype(x.dtype)
    keep = tf != ignore
    ts = np.where(keep, tf, 0)
    wt = wc[ts] * keep
    nll = -logp[np.arange(len(ts)), ts] * wt
    smooth = -(logp * wc).sum(-1) * keep
    loss = (1 - eps) * nll + eps / c * smooth
    shaped = loss.reshape(np.shape(t)).astype(x.dtype)
    return _reduce(shaped, reduction, wt.sum()).astype(x.dtype)


def _np_soft_cross_entropy(x, y, w=None, eps=0.0, reduction="mean"):
    c = x.shape[1] if x.ndim >= 2 else x.shape[0]
    axis = 1 if x.ndim >= 2 else 0
    z = x - x.max(axis, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis, keepdims=True))
    y = (1 - eps) * y + eps / c
    wc = 1.0 if w is None else w.reshape((-1,) + (1,) * (x.ndim - 2)).astype(x.dtype)
    loss = -(logp * y * wc).sum(axis)
    return np.asarray(_reduce(loss, reduction, loss.size)).astype(x.dtype)


def _np_nll(x, t, w=None, reduction="mean"):
    single = x.ndim == 1
    xs = x[None] if single else np.moveaxis(x, 1, -1)
    c = xs.shape[-1]
    xs = xs.reshape(-1, c)
    tf = np.asarray(t).reshape(-1)
    keep = tf != IGNORE
    ts = np.where(keep, tf, 0)
    wt = (np.ones(c, x.dtype) if w is None else w.astype(x.dtype))[ts] * keep
    loss = (-xs[np.arange(len(ts)), ts] * wt).reshape(np.shape(t))
    return np.asarray(_reduce(loss, reduction, wt.sum())).astype(x.dtype)


def _np_bce(x, y, w=None, reduction="mean"):
    loss = -(y * np.maximum(np.log(x), -100) + (1 - y) * np.maximum(np.log1p(-x), -100))
    loss = loss if w is None else loss * w
    return np.asarray(_reduce(loss, reduction)).astype(x.dtype)


def _np_bce_logits(x, y, pw=None, reduction="mean"):
    lw = 1.0 if pw is None else (pw - 1) * y + 1
    loss = (1 - y) * x + lw * (np.log1p(np.exp(-np.abs(x))) + np.maximum(-x, 0))
    return np.asarray(_reduce(loss, reduction)).astype(x.dtype)


def _pos_weight(x):
    return np.linspace(0.5, 3.0, x.shape[-1]).astype(np.asarray(x).dtype)


def _huber(d, delta):
    a = np.abs(d)
    return np.where(a < delta, 0.5 * d * d, delta * (a - 0.5 * delta))


def _dt(x):
    return np.asarray(x).dtype


ROWS = [
    # ---- regression -----------------------------------------------------------------
    Row("F.mse_loss", F.mse_loss, lambda x, y: np.mean((x - y) ** 2), arity=2, shapes="same"),
    Row("F.mse_loss", lambda x, y: F.mse_loss(x, y, reduction="none"),
        lambda x, y: (x - y) ** 2, arity=2, shapes="same", label="F.mse_loss_none"),
    Row("F.l1_loss", lambda x, y: F.l1_loss(x, y, reduction="sum"),
        lambda x, y: np.abs(x - y).sum(), arity=2, shapes="same",
        domain=[(0.1, 2.0), (-2.0, -0.1)]),
    Row("F.l1_loss", lambda x: F.l1_loss(x, np.zeros(x.shape)),
        lambda x: np.mean(np.abs(x)).astype(x.dtype),
        domain=away_from(0.0), label="F.l1_loss_mean"),
    Row("F.huber_loss", lambda x: F.huber_loss(x, x.data * 0, delta=1.0, reduction="sum"),
        lambda x: _huber(x, np.float32(1.0)).sum().astype(x.dtype), domain=away_from(-1.0, 1.0)),
    Row("F.huber_loss", lambda x, y: F.huber_loss(x, y, delta=0.5),
        lambda x, y: np.mean(_huber(x - y, np.float32(0.5))).astype(x.dtype), arity=2,
        shapes="same", domain=[(-0.2, 0.2), (-0.2, 0.2)], label="F.huber_loss_quadratic"),
    Row("F.huber_loss", lambda x, y: F.huber_loss(x, y, delta=0.5, reduction="none"),
        lambda x, y: _huber(x - y, np.float32(0.5)), arity=2, shapes="same",
        domain=[(0.5, 2.0), (-2.0, -0.5)], label="F.huber_loss_linear"),
    # ---- cross entropy over class indices (fused) -----------------------------------------
    Row("F.cross_entropy", lambda x: F.cross_entropy(x, _targets(x.shape)),
        lambda x: _np_cross_entropy(x, _targets(x.shape)), shapes=_class_shapes(),
        domain=(-4.0, 4.0)),
    *[Row("F.cross_entropy",
          lambda x, r=r: F.cross_entropy(x, _targets(x.shape, ignore=True),
                                         weight=_weight(x.shape), label_smoothing=0.2,
                                         reduction=r),
          lambda x, r=r: _np_cross_entropy(x, _targets(x.shape, ignore=True),
                                           _weight(x.shape), 0.2, r),
          shapes=_class_shapes(), domain=(-4.0, 4.0), label=f"F.cross_entropy_all_opts_{r}")
      for r in ("mean", "sum", "none")],
    Row("F.cross_entropy",
        lambda x: F.cross_entropy(x, _targets(x.shape, ignore=True), reduction="none"),
        lambda x: _np_cross_entropy(x, _targets(x.shape, ignore=True), reduction="none"),
        shapes=_class_shapes(), domain=(-4.0, 4.0), label="F.cross_entropy_ignore_none"),
    Row("F.cross_entropy",
        lambda x: F.cross_entropy(x, _targets(x.shape), weight=_weight(x.shape)),
        lambda x: _np_cross_entropy(x, _targets(x.shape), _weight(x.shape)),
        shapes=_class_shapes(), domain=(-4.0, 4.0), label="F.cross_entropy_weight"),
    # ---- cross entropy over class probabilities (the target gets a gradient too) ---------
    Row("F.cross_entropy", lambda x, y: F.cross_entropy(x, y),
        lambda x, y: _np_soft_cross_entropy(x, y), arity=2, shapes=_class_shapes(2),
        domain=[(-4.0, 4.0), (0.0, 1.0)], label="F.cross_entropy_probs"),
    Row("F.cross_entropy",
        lambda x, y: F.cross_entropy(x, y, weight=_weight(x.shape), label_smoothing=0.3,
                                     reduction="none"),
        lambda x, y: _np_soft_cross_entropy(x, y, _weight(x.shape), 0.3, "none"), arity=2,
        shapes=_class_shapes(2), domain=[(-4.0, 4.0), (0.0, 1.0)],
        label="F.cross_entropy_probs_all_opts"),
    # ---- nll ---------------------------------------------------------------------------------
    *[Row("F.nll_loss",
          lambda x, r=r: F.nll_loss(x, _targets(x.shape, ignore=True),
                                    weight=_weight(x.shape), reduction=r),
          lambda x, r=r: _np_nll(x, _targets(x.shape, ignore=True), _weight(x.shape), r),
          shapes=_class_shapes(), label=f"F.nll_loss_{r}") for r in ("mean", "sum", "none")],
    Row("F.nll_loss", lambda x: F.nll_loss(F.log_softmax(x, 1), _targets(x.shape)),
        lambda x: _np_cross_entropy(x, _targets(x.shape)), shapes=_class_shapes(spatial=False),
        label="F.nll_loss_of_log_softmax"),
    # ---- binary --------------------------------------------------------------------------------
    # (targets kept inside [0, 1] while finite differences step them: BCE refuses others)
    Row("F.binary_cross_entropy", F.binary_cross_entropy, _np_bce, arity=2, shapes="same",
        domain=[(0.05, 0.95), (0.01, 0.99)]),
    Row("F.binary_cross_entropy",
        lambda x, y: F.binary_cross_entropy(x, y, weight=np.float64(2.0) + x.data * 0,
                                            reduction="none"),
        lambda x, y: _np_bce(x, y, np.asarray(2.0, _dt(x)), "none"), arity=2, shapes="same",
        domain=[(0.05, 0.95), (0.01, 0.99)], label="F.binary_cross_entropy_weight_none"),
    Row("F.binary_cross_entropy_with_logits", F.binary_cross_entropy_with_logits,
        _np_bce_logits, arity=2, shapes="same", domain=[(-6.0, 6.0), (0.0, 1.0)]),
    Row("F.binary_cross_entropy_with_logits",
        lambda x, y: F.binary_cross_entropy_with_logits(
            x, y, pos_weight=_pos_weight(x.data), reduction="sum"),
        lambda x, y: _np_bce_logits(x, y, _pos_weight(x), "sum"), arity=2,
        shapes=_class_shapes(2, spatial=False), domain=[(-6.0, 6.0), (0.0, 1.0)],
        label="F.binary_cross_entropy_with_logits_pos_weight"),
]
