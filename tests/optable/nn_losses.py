"""Rows for nn.functional's losses (nn/functional/loss.py).  Class-index targets are
drawn deterministically from the input's shape (the table draws float inputs only);
the NumPy references below follow PyTorch's documented formulas, written apart from
our implementation."""
from __future__ import annotations

import itertools

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

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


def _signs(shape):
    """Targets of 1 and -1 (int64) for a `shape`, a fixed function of it."""
    rng = np.random.default_rng(sum(shape) * 17 + len(shape) + 5)
    return np.where(rng.random(shape) < 0.5, -1, 1)


def _with_zeros(shape, scale=1.0):
    """Non-negative float64 targets for a `shape`, 0 at every third position (the first
    included), a fixed function of it."""
    rng = np.random.default_rng(sum(shape) * 13 + len(shape))
    t = rng.uniform(0.2, 1.0, shape) * scale
    t.reshape(-1)[::3] = 0.0
    return t


def _shapes_like(min_dims, derive=lambda s: s, arity=2):
    """A `shapes` callable: a shape of at least `min_dims` dims for the first arity - 1
    inputs, `derive(shape)` for the last."""
    return lambda: hnp.array_shapes(min_dims=min_dims, max_dims=3, min_side=1,
                                    max_side=4).map(lambda s: [s] * (arity - 1) + [derive(s)])


def _vectors(arity):
    """`arity` inputs (N, D) or (D,): embeddings batched or not."""
    return lambda: st.sampled_from([1, 2]).flatmap(
        lambda n: hnp.array_shapes(min_dims=n, max_dims=n, min_side=1, max_side=4)
    ).map(lambda s: [s] * arity)


def _one_dim_one(s):
    """`s` with its middle (or only) dim set to 1."""
    i = len(s) // 2
    return s[:i] + (1,) + s[i + 1:]


def _smooth_l1(d, beta):
    a = np.abs(d)
    return np.where(a < beta, 0.5 * d * d / beta, a - 0.5 * beta)


def _np_kl(x, y, log_target=False, reduction="sum"):
    with np.errstate(divide="ignore", invalid="ignore"):
        loss = np.exp(y) * (y - x) if log_target else np.where(y > 0, y * (np.log(y) - x), 0)
    loss = loss.astype(x.dtype)
    if reduction == "batchmean":
        return np.asarray(loss.sum() / (x.shape[0] if x.ndim else 1)).astype(x.dtype)
    return np.asarray(_reduce(loss, reduction)).astype(x.dtype)


def _np_poisson(x, y, log_input=True, full=False, eps=1e-8, reduction="mean"):
    loss = np.exp(x) - y * x if log_input else x - y * np.log(x + np.float32(eps))
    if full:
        with np.errstate(divide="ignore", invalid="ignore"):
            stirling = y * np.log(y) - y + 0.5 * np.log(2 * np.pi * y)
        loss = loss + np.where(y > 1, stirling, 0)
    return np.asarray(_reduce(loss.astype(x.dtype), reduction)).astype(x.dtype)


def _np_gaussian(x, y, var, full=False, reduction="mean"):
    var = np.asarray(var, x.dtype)
    if var.shape != x.shape and var.shape == x.shape[:-1]:
        var = var[..., None]
    loss = 0.5 * (np.log(np.maximum(var, 1e-6)) + (x - y) ** 2 / np.maximum(var, 1e-6))
    if full:
        loss = loss + 0.5 * np.log(2 * np.pi)
    return np.asarray(_reduce(loss.astype(x.dtype), reduction)).astype(x.dtype)


def _log_sigmoid(x):
    return -np.logaddexp(0, -x)


def _class_weight(x):
    return np.linspace(0.5, 2.0, x.shape[-1])


def _np_multilabel(x, y, w=None, reduction="mean"):
    loss = -(y * _log_sigmoid(x) + (1 - y) * _log_sigmoid(-x))
    loss = loss if w is None else loss * w
    per_sample = loss.sum(-1) / x.shape[-1]
    return np.asarray(_reduce(per_sample, reduction)).astype(x.dtype)


def _np_hinge(x, y, margin, reduction):
    loss = np.where(y == 1, x, np.maximum(0, margin - x))
    return np.asarray(_reduce(loss, reduction)).astype(x.dtype)


def _np_cosine_embedding(a, b, y, margin, reduction):
    cos = (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))
    loss = np.where(y == 1, 1 - cos, np.where(y == -1, np.maximum(0, cos - margin), 0))
    return np.asarray(_reduce(loss, reduction)).astype(a.dtype)


def _np_distance(a, b, p, eps=1e-6):
    d = np.abs(a - b + np.float32(eps))
    return d if d.ndim == 0 else (d ** p).sum(-1) ** (1 / p)


def _np_triplet(a, pos, neg, margin, p, swap, reduction):
    d_neg = _np_distance(a, neg, p)
    if swap:
        d_neg = np.minimum(d_neg, _np_distance(pos, neg, p))
    loss = np.maximum(margin + _np_distance(a, pos, p) - d_neg, 0)
    return np.asarray(_reduce(loss, reduction)).astype(a.dtype)


# ---- multi-class margin losses ---------------------------------------------------------------

def _score_shapes():
    """Scores (N, C) or (C,), C >= 2."""
    return st.sampled_from([1, 2]).flatmap(
        lambda n: hnp.array_shapes(min_dims=n, max_dims=n, min_side=2, max_side=4)
    ).map(lambda s: [s])


def _spaced(arrays):
    """Scores at distinct multiples of 0.3 (plus at most 0.02 of the drawn value), so with
    margins 1 and 0.4 every hinge margin - (x_j - x_i) is at least 0.06 from its kink."""
    out = []
    for a in arrays:
        ranks = np.argsort(np.argsort(a.reshape(-1), kind="stable"), kind="stable")
        out.append((ranks * 0.3 - 1.0 + 0.02 * np.tanh(a.reshape(-1))).reshape(a.shape))
    return out


def _class_index(shape):
    """One class index per sample of scores `shape`, a fixed function of it."""
    rng = np.random.default_rng(sum(shape) * 7 + len(shape))
    return rng.integers(0, shape[-1], size=shape[:-1])


def _margin_weight(shape):
    return np.linspace(0.5, 2.0, shape[-1])


def _np_multi_margin(x, y, p=1, margin=1.0, w=None, reduction="mean"):
    """PyTorch's documented per-sample sum_{i != y} max(0, margin - x[y] + x[i])^p / C, the
    class weight w[y] multiplying the power (as PyTorch computes it; its docs write
    max(0, w[y] (...))^p, the same for p = 1 and for w = 1)."""
    xs, ys = x.reshape(-1, x.shape[-1]), np.reshape(y, -1)
    c = xs.shape[1]
    losses = []
    for row, t in zip(xs, ys):
        terms = [max(0.0, margin - row[t] + row[i]) ** p for i in range(c) if i != t]
        losses.append((1.0 if w is None else w[t]) * sum(terms) / c)
    loss = np.array(losses, dtype=x.dtype).reshape(np.shape(y))
    return np.asarray(_reduce(loss, reduction)).astype(x.dtype)


def _label_lists(shape):
    """Multi-label targets for scores `shape`: per sample a few distinct classes (none or
    all possible), then -1, then leftover indices that must be ignored; a fixed
    function of the shape."""
    rng = np.random.default_rng(sum(shape) * 11 + len(shape))
    rows = []
    for _ in range(int(np.prod(shape[:-1]))):
        c = shape[-1]
        k = int(rng.integers(0, c + 1))
        row = list(rng.permutation(c)[:k])
        if k < c:
            row += [-1] + list(rng.integers(0, c, size=c - k - 1))
        rows.append(row)
    return np.array(rows, dtype=np.int64).reshape(shape)


def _np_multilabel_margin(x, y, reduction="mean"):
    """PyTorch's documented sum_{j, i} max(0, 1 - (x[y[j]] - x[i])) / C over the target
    slots j before the first -1 and the classes i not among them."""
    xs, ys = x.reshape(-1, x.shape[-1]), y.reshape(-1, x.shape[-1])
    c = xs.shape[1]
    losses = []
    for row, labels in zip(xs, ys):
        listed = []
        for v in labels:
            if v == -1:
                break
            listed.append(int(v))
        others = [i for i in range(c) if i not in listed]
        losses.append(sum(max(0.0, 1.0 - (row[j] - row[i])) for j in listed for i in others) / c)
    loss = np.array(losses, dtype=x.dtype).reshape(x.shape[:-1])
    return np.asarray(_reduce(loss, reduction)).astype(x.dtype)


def _sq_dist(u, v):
    return ((u - v) ** 2).sum(-1)


# Triplets whose distances are smooth and never tie: per coordinate, anchors lie left of
# the positives and the positives left of the negatives (so d(p, n) < d(a, n)), or the
# anchors in the middle (d(a, n) < d(p, n)); with margin 10 the hinge is always open.
LEFT, MIDDLE, RIGHT = (-2.0, -1.2), (-0.4, 0.4), (1.2, 2.0)



# ---- CTC: the reference sums the probability of every alignment ---------------------------

def collapse(path, blank=0):
    """CTC's many-to-one map: merge repeated labels, then drop blanks."""
    out = [c for i, c in enumerate(path) if c != blank and (i == 0 or c != path[i - 1])]
    return tuple(out)


def np_ctc_brute(lp, labels, il, tl, blank=0):
    """Per sample, -log sum over every path of its first il frames (all C^il of them)
    that collapses to its target, of prod_t exp(lp[t, n, path_t]); lp (T, N, C)."""
    c = lp.shape[2]
    out = []
    for n in range(lp.shape[1]):
        target = tuple(labels[n][:tl[n]])
        paths = [p for p in itertools.product(range(c), repeat=int(il[n]))
                 if collapse(p, blank) == target]
        logp = [sum(lp[t, n, k] for t, k in enumerate(p)) for p in paths]
        out.append(-np.log(np.sum(np.exp(np.array(logp, dtype=lp.dtype)))) if paths
                   else np.inf)
    return np.array(out, dtype=lp.dtype)


def _ctc_shapes(batched=True):
    """log_probs (T, N, C) (or (T, C)): T <= 4 frames, C <= 3 classes (blank 0)."""
    @st.composite
    def draw(d):
        t, n, c = d(st.integers(1, 4)), d(st.integers(1, 3)), d(st.integers(2, 3))
        return [(t, n, c) if batched else (t, c)]
    return draw


def ctc_case(shape, impossible=False):
    """(padded targets (N, S), input_lengths, target_lengths) for log_probs of `shape`, a
    fixed function of it: lengths up to T and targets (labels 1..C-1, repeats included)
    that fit, or with `impossible`, sample 0's target one label too long for its frames."""
    t, c = shape[0], shape[-1]
    n = shape[1] if len(shape) == 3 else 1
    rng = np.random.default_rng(sum(shape) * 7 + len(shape))
    il = rng.integers(0, t + 1, n)
    il[0] = t
    labels = np.zeros((n, t + 1), dtype=np.int64)
    tl = np.zeros(n, dtype=np.int64)
    for i in range(n):
        seq = []   # labels while they fit: each needs a frame, plus one between repeats
        while True:
            k = int(rng.integers(1, c))
            need = len(seq) + 1 + sum(a == b for a, b in zip(seq, seq[1:] + [k]))
            if need > il[i] or rng.random() < 0.25:
                break
            seq.append(k)
        labels[i, :len(seq)], tl[i] = seq, len(seq)
    if impossible:
        tl[0] = il[0] + 1
        labels[0, :tl[0]] = np.arange(tl[0]) % (c - 1) + 1
    return labels, il, tl


def _ctc(x, reduction, impossible=False, zero_infinity=False):
    labels, il, tl = ctc_case(x.shape, impossible)
    return F.ctc_loss(x, labels, il, tl, reduction=reduction, zero_infinity=zero_infinity)


def _np_ctc(x, reduction, impossible=False, zero_infinity=False):
    labels, il, tl = ctc_case(x.shape, impossible)
    lp = x if x.ndim == 3 else x[:, None]
    loss = np_ctc_brute(lp, labels, il, tl)
    if zero_infinity:
        loss[np.isinf(loss)] = 0
    if reduction == "mean":
        return np.asarray((loss / np.maximum(tl, 1)).mean(), dtype=x.dtype)
    loss = loss if x.ndim == 3 else loss[0]
    return np.asarray(_reduce(loss, reduction)).astype(x.dtype)


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
    # ---- smooth l1 (kinks of the second derivative at |d| = beta kept away) ---------------
    Row("F.smooth_l1_loss", lambda x: F.smooth_l1_loss(x, x.data * 0, reduction="sum"),
        lambda x: _smooth_l1(x, np.float32(1.0)).sum().astype(x.dtype),
        domain=away_from(-1.0, 1.0)),
    Row("F.smooth_l1_loss", lambda x, y: F.smooth_l1_loss(x, y, beta=0.5),
        lambda x, y: np.mean(_smooth_l1(x - y, np.float32(0.5))).astype(x.dtype), arity=2,
        shapes="same", domain=[(-0.2, 0.2), (-0.2, 0.2)], label="F.smooth_l1_loss_quadratic"),
    Row("F.smooth_l1_loss", lambda x, y: F.smooth_l1_loss(x, y, beta=0.5, reduction="none"),
        lambda x, y: _smooth_l1(x - y, np.float32(0.5)), arity=2, shapes="same",
        domain=[(0.5, 2.0), (-2.0, -0.5)], label="F.smooth_l1_loss_linear"),
    Row("F.smooth_l1_loss", lambda x, y: F.smooth_l1_loss(x, y, beta=0.0, reduction="sum"),
        lambda x, y: np.abs(x - y).sum(), arity=2, shapes="same",
        domain=[(0.1, 2.0), (-2.0, -0.1)], label="F.smooth_l1_loss_beta0"),
    # ---- kl divergence ------------------------------------------------------------------
    Row("F.kl_div", lambda x, y: F.kl_div(x, y, reduction="sum"), _np_kl, arity=2,
        shapes="same", domain=[(-3.0, 0.0), (0.05, 1.0)]),
    Row("F.kl_div", lambda x, y: F.kl_div(x, y, reduction="batchmean"),
        lambda x, y: _np_kl(x, y, reduction="batchmean"), arity=2, shapes="same",
        domain=[(-3.0, 0.0), (0.05, 1.0)], label="F.kl_div_batchmean"),
    Row("F.kl_div", lambda x, y: F.kl_div(x, y, reduction="none", log_target=True),
        lambda x, y: _np_kl(x, y, True, "none"), arity=2, shapes="same",
        domain=[(-3.0, 0.0), (-3.0, 0.0)], label="F.kl_div_log_target"),
    Row("F.kl_div", lambda x: F.kl_div(x, _with_zeros(x.shape).astype(x.dtype), reduction="none"),
        lambda x: _np_kl(x, _with_zeros(x.shape).astype(x.dtype), reduction="none"),
        domain=(-3.0, 0.0), label="F.kl_div_zero_targets"),
    # ---- poisson and gaussian likelihoods -------------------------------------------------
    Row("F.poisson_nll_loss", F.poisson_nll_loss, _np_poisson, arity=2, shapes="same",
        domain=[(-2.0, 2.0), (0.0, 3.0)]),
    Row("F.poisson_nll_loss", lambda x, y: F.poisson_nll_loss(x, y, full=True, reduction="none"),
        lambda x, y: _np_poisson(x, y, full=True, reduction="none"), arity=2, shapes="same",
        domain=[(-2.0, 2.0), away_from(1.0, lo=0.05, hi=4.0)], label="F.poisson_nll_loss_full"),
    Row("F.poisson_nll_loss",
        lambda x, y: F.poisson_nll_loss(x, y, log_input=False, reduction="sum"),
        lambda x, y: _np_poisson(x, y, log_input=False, reduction="sum"), arity=2,
        shapes="same", domain=[(0.1, 3.0), (0.0, 3.0)], label="F.poisson_nll_loss_rate"),
    Row("F.poisson_nll_loss",
        lambda x: F.poisson_nll_loss(x, _with_zeros(x.shape, 4.0).astype(x.dtype), full=True,
                                    reduction="sum"),
        lambda x: _np_poisson(x, _with_zeros(x.shape, 4.0).astype(x.dtype), full=True,
                              reduction="sum"),
        label="F.poisson_nll_loss_zero_targets"),
    Row("F.gaussian_nll_loss", F.gaussian_nll_loss, _np_gaussian, arity=3, shapes="same",
        domain=[(-2.0, 2.0), (-2.0, 2.0), (0.2, 2.0)]),
    Row("F.gaussian_nll_loss",
        lambda x, y, v: F.gaussian_nll_loss(x, y, v, full=True, reduction="none"),
        lambda x, y, v: _np_gaussian(x, y, v, True, "none"), arity=3,
        shapes=_shapes_like(1, lambda s: s[:-1], arity=3),
        domain=[(-2.0, 2.0), (-2.0, 2.0), (0.2, 2.0)], label="F.gaussian_nll_loss_var_per_row"),
    Row("F.gaussian_nll_loss",
        lambda x, y, v: F.gaussian_nll_loss(x, y, v, reduction="sum"),
        lambda x, y, v: _np_gaussian(x, y, v, reduction="sum"), arity=3,
        shapes=_shapes_like(1, _one_dim_one, arity=3),
        domain=[(-2.0, 2.0), (-2.0, 2.0), (0.2, 2.0)], label="F.gaussian_nll_loss_var_shared"),
    Row("F.gaussian_nll_loss", lambda x, y: F.gaussian_nll_loss(x, y, 0.7),
        lambda x, y: _np_gaussian(x, y, np.full(x.shape, 0.7)), arity=2, shapes="same",
        label="F.gaussian_nll_loss_var_number"),
    # ---- margin losses ----------------------------------------------------------------------
    Row("F.soft_margin_loss", lambda x: F.soft_margin_loss(x, _signs(x.shape)),
        lambda x: np.mean(np.log1p(np.exp(-_signs(x.shape) * x))).astype(x.dtype),
        domain=(-4.0, 4.0)),
    Row("F.soft_margin_loss", lambda x, y: F.soft_margin_loss(x, y, reduction="none"),
        lambda x, y: np.log1p(np.exp(-y * x)), arity=2, shapes="same",
        domain=[(-4.0, 4.0), (-1.5, 1.5)], label="F.soft_margin_loss_float_target"),
    Row("F.multilabel_soft_margin_loss",
        lambda x, y: F.multilabel_soft_margin_loss(x, y, weight=_class_weight(x.data)),
        lambda x, y: _np_multilabel(x, y, _class_weight(x).astype(x.dtype)), arity=2,
        shapes=_shapes_like(1), domain=[(-4.0, 4.0), (0.0, 1.0)]),
    Row("F.multilabel_soft_margin_loss",
        lambda x, y: F.multilabel_soft_margin_loss(x, y, reduction="none"),
        lambda x, y: _np_multilabel(x, y, reduction="none"), arity=2, shapes=_shapes_like(1),
        domain=[(-4.0, 4.0), (0.0, 1.0)], label="F.multilabel_soft_margin_loss_none"),
    *[Row("F.hinge_embedding_loss",
          lambda x, r=r: F.hinge_embedding_loss(x, _signs(x.shape), margin=0.5, reduction=r),
          lambda x, r=r: _np_hinge(x, _signs(x.shape), np.float32(0.5), r),
          domain=away_from(0.5), label=f"F.hinge_embedding_loss_{r}") for r in ("mean", "none")],
    # (|x1 - x2| >= 0.2 > margin: the y = 1 terms are 0, the y = -1 terms open)
    *[Row("F.margin_ranking_loss",
          lambda a, b, r=r: F.margin_ranking_loss(a, b, _signs(a.shape), margin=0.1,
                                                  reduction=r),
          lambda a, b, r=r: np.asarray(_reduce(np.maximum(
              0, -_signs(a.shape) * (a - b) + np.float32(0.1)), r)).astype(a.dtype),
          arity=2, shapes="same", domain=[(0.1, 2.0), (-2.0, -0.1)],
          label=f"F.margin_ranking_loss_{r}") for r in ("mean", "none")],
    # (margin -1.5: the y = -1 hinge is always open; margin 0.3 checks the forward only)
    *[Row("F.cosine_embedding_loss",
          lambda a, b, m=m, r=r: F.cosine_embedding_loss(a, b, _signs(a.shape[:-1]), margin=m,
                                                         reduction=r),
          lambda a, b, m=m, r=r: _np_cosine_embedding(a, b, _signs(a.shape[:-1]),
                                                      np.float32(m), r),
          arity=2, shapes=_vectors(2), domain=away_from(0.0), grad=m < -1,
          label=f"F.cosine_embedding_loss_{r}_{m}") for m, r in ((-1.5, "mean"), (-1.5, "none"),
                                                                  (0.3, "sum"))],
    Row("F.triplet_margin_loss", lambda a, p, n: F.triplet_margin_loss(a, p, n, margin=10.0),
        lambda a, p, n: _np_triplet(a, p, n, np.float32(10.0), 2, False, "mean"), arity=3,
        shapes="same", domain=[LEFT, MIDDLE, RIGHT]),
    Row("F.triplet_margin_loss",
        lambda a, p, n: F.triplet_margin_loss(a, p, n, margin=10.0, swap=True, reduction="sum"),
        lambda a, p, n: _np_triplet(a, p, n, np.float32(10.0), 2, True, "sum"), arity=3,
        shapes="same", domain=[LEFT, MIDDLE, RIGHT], label="F.triplet_margin_loss_swapped"),
    Row("F.triplet_margin_loss",
        lambda a, p, n: F.triplet_margin_loss(a, p, n, margin=10.0, p=3, swap=True,
                                              reduction="none"),
        lambda a, p, n: _np_triplet(a, p, n, np.float32(10.0), 3, True, "none"), arity=3,
        shapes="same", domain=[MIDDLE, LEFT, RIGHT], label="F.triplet_margin_loss_not_swapped"),
    Row("F.triplet_margin_loss", lambda a, p, n: F.triplet_margin_loss(a, p, n, p=1),
        lambda a, p, n: _np_triplet(a, p, n, np.float32(1.0), 1, False, "mean"), arity=3,
        shapes="same", grad=False, label="F.triplet_margin_loss_defaults_forward"),
    # ---- multi-class margin losses (scores spaced off the hinges' kinks by _spaced) ----------
    *[Row("F.multi_margin_loss",
          lambda x, r=r: F.multi_margin_loss(x, _class_index(x.shape), reduction=r),
          lambda x, r=r: _np_multi_margin(x, _class_index(x.shape), reduction=r),
          shapes=_score_shapes, prepare=_spaced, label=f"F.multi_margin_loss_{r}")
      for r in ("mean", "sum", "none")],
    *[Row("F.multi_margin_loss",
          lambda x, p=p, r=r: F.multi_margin_loss(x, _class_index(x.shape), p=p, margin=0.4,
                                                  weight=_margin_weight(x.shape), reduction=r),
          lambda x, p=p, r=r: _np_multi_margin(x, _class_index(x.shape), p, np.float32(0.4),
                                               _margin_weight(x.shape).astype(x.dtype), r),
          shapes=_score_shapes, prepare=_spaced, label=f"F.multi_margin_loss_p{p}_weight_{r}")
      for p, r in ((1, "sum"), (2, "mean"), (2, "none"))],
    *[Row("F.multilabel_margin_loss",
          lambda x, r=r: F.multilabel_margin_loss(x, _label_lists(x.shape), reduction=r),
          lambda x, r=r: _np_multilabel_margin(x, _label_lists(x.shape), r),
          shapes=_score_shapes, prepare=_spaced, label=f"F.multilabel_margin_loss_{r}")
      for r in ("mean", "sum", "none")],
    # (the default distance is triplet_margin_loss's p = 2 pairwise distance)
    *[Row("F.triplet_margin_with_distance_loss",
          lambda a, p, n, s=s, r=r: F.triplet_margin_with_distance_loss(
              a, p, n, margin=10.0, swap=s, reduction=r),
          lambda a, p, n, s=s, r=r: _np_triplet(a, p, n, np.float32(10.0), 2, s, r), arity=3,
          shapes="same", domain=[MIDDLE, LEFT, RIGHT] if s else [LEFT, MIDDLE, RIGHT],
          label=f"F.triplet_margin_with_distance_loss_{r}{'_swap' if s else ''}")
      for s, r in ((False, "mean"), (True, "sum"), (True, "none"))],
    # (a custom distance, squared Euclidean: at most 64 here, so margin 100 keeps the hinge open)
    *[Row("F.triplet_margin_with_distance_loss",
          lambda a, p, n, s=s, r=r: F.triplet_margin_with_distance_loss(
              a, p, n, distance_function=_sq_dist, margin=100.0, swap=s, reduction=r),
          lambda a, p, n, s=s, r=r: np.asarray(_reduce(np.maximum(
              np.float32(100.0) + _sq_dist(a, p) - (np.minimum(_sq_dist(a, n), _sq_dist(p, n))
                                                   if s else _sq_dist(a, n)), 0), r)
          ).astype(a.dtype),
          arity=3, shapes=_vectors(3), domain=[LEFT, MIDDLE, RIGHT],
          label=f"F.triplet_margin_with_distance_loss_squared_{r}{'_swap' if s else ''}")
      for s, r in ((True, "mean"), (False, "sum"), (True, "none"))],
    # ---- CTC (log_probs need not be normalized: the gradient is with respect to them) ---
    *[Row("F.ctc_loss", lambda x, r=r: _ctc(x, r), lambda x, r=r: _np_ctc(x, r),
          shapes=_ctc_shapes(), order2=r == "mean", label=f"F.ctc_loss_{r}")
      for r in ("mean", "sum", "none")],
    Row("F.ctc_loss", lambda x: _ctc(x, "none"), lambda x: _np_ctc(x, "none"),
        shapes=_ctc_shapes(batched=False), order2=False, label="F.ctc_loss_unbatched"),
    Row("F.ctc_loss", lambda x: _ctc(x, "sum", impossible=True, zero_infinity=True),
        lambda x: _np_ctc(x, "sum", impossible=True, zero_infinity=True),
        shapes=_ctc_shapes(), order2=False, label="F.ctc_loss_zero_infinity"),
]
