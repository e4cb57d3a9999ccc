"""nn.functional: loss functions (see nn/functional/__init__.py).

Every loss takes ``reduction="mean" | "sum" | "none"`` with PyTorch's meaning (kl_div
also "batchmean").  The classification losses over class indices (cross_entropy,
nll_loss) and binary cross entropy are fused ops with their own backward; the rest are
compositions of autograd ops (the embedding losses of nn/functional/distance.py's
distances).  Bad input (target dtype or shape, class index out of range) raises the
exception type PyTorch raises, with a message naming the loss and the shapes.
"""
from __future__ import annotations

import math
import warnings
from typing import Any, Callable

import numpy as np

import autograd as ag
from autograd import Tensor
from autograd.dtypes import to_array
from autograd.grad_mode import STATE
from autograd.graph import Op, ShapeError, apply
from autograd.tensor import wrap

from .activation import log_softmax, softmax
from .distance import _broadcast_shape, _clamp_min_keeping_grad, cosine_similarity, \
    pairwise_distance
from .layers import ScaleGrad

__all__ = ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "cross_entropy",
           "nll_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
           "kl_div", "poisson_nll_loss", "gaussian_nll_loss", "soft_margin_loss",
           "multilabel_soft_margin_loss", "hinge_embedding_loss", "margin_ranking_loss",
           "cosine_embedding_loss", "triplet_margin_loss", "multi_margin_loss",
           "multilabel_margin_loss", "triplet_margin_with_distance_loss", "ctc_loss"]

_REDUCTIONS = ("mean", "sum", "none")


def _reduction(op: str, reduction: str, size_average: Any = None, reduce: Any = None,
               choices: tuple = _REDUCTIONS) -> str:
    """Validate `reduction` (one of `choices`); map PyTorch's deprecated
    size_average/reduce onto it."""
    if size_average is not None or reduce is not None:
        warnings.warn(f"{op}: size_average and reduce are deprecated, use "
                      f"reduction='mean'|'sum'|'none'", UserWarning, stacklevel=3)
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "none" if not reduce else "mean" if size_average else "sum"
    if reduction not in choices:
        names = [repr(c) for c in choices]
        raise ValueError(f"{op}: {reduction!r} is not a valid value for reduction "
                         f"(expected {', '.join(names[:-1])} or {names[-1]})")
    return reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if loss.data.size == 0:   # PyTorch: the mean of nothing is nan
        return loss.sum() * float("nan")
    return loss.mean()


def _as_tensor(x: Any, like: Tensor) -> Tensor:
    return x if isinstance(x, Tensor) else ag.tensor(np.asarray(x, dtype=like.dtype))


def _check_float(op: str, input: Tensor) -> None:
    if input.dtype.kind != "f":   # PyTorch: "<kernel>" not implemented for 'Long'
        raise NotImplementedError(f"{op}: expected a floating point input, got dtype "
                                  f"{input.dtype}")


def _pointwise_target(op: str, input: Tensor, target: Any, *, same_shape: bool,
                      promote: str = "wide", kinds: str = "fiu",
                      warn: bool = True) -> tuple[Tensor, Tensor]:
    """(input, target) with the target a tensor of a dtype kind in `kinds`, checked
    against input's shape: equal (same_shape) or broadcastable, with PyTorch's warning
    when broadcasting changes it (unless not `warn`: losses PyTorch lets broadcast
    silently).  A non-float target takes input's dtype.  Two float dtypes, by `promote`:
    "wide": both take the wider one, whichever is 0-d (losses that broadcast before
    promoting: float32 input with a float64 target gives a float64 loss); "input": the
    target takes input's; "arith": left to the arithmetic, which promotes as PyTorch's
    composite losses do (a 0-d float64 target leaves a float32 input's dtype)."""
    _check_float(op, input)
    target = _as_tensor(target, input)
    if target.dtype.kind not in kinds:
        what = "floating point" if kinds == "f" else "numeric"
        raise RuntimeError(f"{op}: expected a {what} target, got dtype {target.dtype}")
    if target.dtype != input.dtype:
        if target.dtype.kind != "f" or promote == "input":
            target = target.to(input.dtype)
        elif promote == "wide":
            dt = np.promote_types(input.dtype, target.dtype)
            input, target = input.to(dt), target.to(dt)
    if target.shape != input.shape:
        if same_shape:
            raise ShapeError(f"{op}: target size {tuple(target.shape)} must be the same as "
                             f"the input size {tuple(input.shape)}")
        try:
            np.broadcast_shapes(input.shape, target.shape)
        except ValueError:
            raise ShapeError(f"{op}: the target size {tuple(target.shape)} does not "
                             f"broadcast with the input size {tuple(input.shape)}") from None
        if warn:
            warnings.warn(f"{op}: using a target size ({tuple(target.shape)}) that is different "
                          f"to the input size ({tuple(input.shape)}). This will likely lead "
                          f"to incorrect results due to broadcasting. Please ensure they have "
                          f"the same size.", UserWarning, stacklevel=3)
    return input, target


# ---- regression losses ----------------------------------------------------------------

def _weigh(op: str, loss: Tensor, weight: Any, input: Tensor, reduction: str,
           by_weight: bool = True) -> Tensor:
    """Reduce the elementwise `loss`, each element times `weight` (of input's shape) when
    given.  PyTorch's weighted mean divides by the weights' sum (mse, l1) or by the
    element count (`by_weight` False: huber)."""
    if weight is None:
        return _reduce(loss, reduction)
    w = _as_tensor(weight, input)
    if w.shape != input.shape:
        raise ShapeError(f"{op}: weights and input must have the same size: weight "
                         f"{tuple(w.shape)}, input {tuple(input.shape)}")
    loss = loss * w
    if reduction != "mean" or not by_weight:
        return _reduce(loss, reduction)
    with np.errstate(divide="ignore", invalid="ignore"):   # zero total weight: inf/nan
        return loss.sum() / w.sum()


def mse_loss(input: Tensor, target: Any, size_average: Any = None, reduce: Any = None,
             reduction: str = "mean", weight: Any = None) -> Tensor:
    """Mean squared error: reduce((input - target)^2); with `weight` (input's shape)
    each term is weighed and the mean divides by the weights' sum."""
    op = "mse_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    x, y = _pointwise_target(op, input, target, same_shape=False, kinds="fiub")
    diff = x - y
    return _weigh(op, diff * diff, weight, input, reduction)


def l1_loss(input: Tensor, target: Any, size_average: Any = None, reduce: Any = None,
            reduction: str = "mean", weight: Any = None) -> Tensor:
    """Mean absolute error: reduce(|input - target|) (gradient 0 where they are equal);
    with `weight` (input's shape) each term is weighed and the mean divides by the
    weights' sum."""
    op = "l1_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    x, y = _pointwise_target(op, input, target, same_shape=False)
    return _weigh(op, ag.abs(x - y), weight, input, reduction)


def huber_loss(input: Tensor, target: Any, reduction: str = "mean", delta: float = 1.0,
               weight: Any = None) -> Tensor:
    """Huber loss: 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta), d = input - target
    (quadratic near 0, linear in the tails, so outliers pull less than in MSE).  With
    `weight` (input's shape) each term is weighed; the mean still divides by the count,
    as PyTorch's does."""
    op = "huber_loss"
    reduction = _reduction(op, reduction)
    if not delta > 0:
        raise RuntimeError(f"{op}: delta must be positive, got {delta}")
    x, y = _pointwise_target(op, input, target, same_shape=False, promote="input",
                             kinds="fiub")   # (PyTorch's huber keeps input's dtype)
    return _weigh(op, _huber(x - y, delta), weight, input, reduction, by_weight=False)


def _huber(d: Tensor, delta: float) -> Tensor:
    a = ag.abs(d)
    return ag.where(a.data < delta, d * d * 0.5, (a - 0.5 * delta) * delta)


def smooth_l1_loss(input: Tensor, target: Any, size_average: Any = None, reduce: Any = None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """Smooth L1: 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta, d = input - target;
    Huber's loss divided by beta, so beta = 0 gives the L1 loss."""
    op = "smooth_l1_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    if beta < 0:
        raise RuntimeError(f"{op}: beta must be non-negative, got {beta}")
    # (beta = 0 is PyTorch's l1_loss, which refuses a bool target)
    x, y = _pointwise_target(op, input, target, same_shape=False,
                             kinds="fiub" if beta else "fiu")
    d = x - y
    return _reduce(_huber(d, beta) / beta if beta else ag.abs(d), reduction)


# ---- classification over class indices (fused) ------------------------------------------

class _IndexTarget:
    """Validated class-index targets for an input of shape (N, C, d1, ...).

    t:      target indices, ignored positions replaced by 0, shape (N, d1, ...)
    keep:   1.0 where the target is not ignore_index, else 0.0 (None: nothing ignored)
    w:      per-position weight: the target's class weight times keep (None: all 1)
    total:  the mean's denominator, the sum of w (PyTorch's weighted mean)
    """

    def __init__(self, op: str, x: np.ndarray, target: np.ndarray, weight: np.ndarray | None,
                 ignore_index: int) -> None:
        n_classes = x.shape[1]
        lo, hi = ((int(np.minimum.reduce(target, axis=None)),
                   int(np.maximum.reduce(target, axis=None))) if target.size else (0, 0))
        all_kept = not lo <= ignore_index <= hi    # two reductions decide the common case
        keep = None if all_kept else target != ignore_index
        if lo < 0 or hi >= n_classes:
            bad = (target < 0) | (target >= n_classes)
            if keep is not None:
                bad &= keep
            if bad.any():
                raise IndexError(f"{op}: target {int(target[bad][0])} is out of bounds for "
                                 f"{n_classes} classes (input shape {x.shape})")
        self.t = target if keep is None else np.where(keep, target, 0)
        # t's positions as a NumPy index into (N, C, d1, ...): (n, t, d1, ...)
        if target.ndim == 1:
            self.idx = (np.arange(target.shape[0]), self.t)
        else:
            grids = np.indices(target.shape, sparse=True)
            self.idx = (grids[0], self.t) + tuple(grids[1:])
        self.keep = None if keep is None else keep.astype(x.dtype)
        self.w = self.keep
        if weight is not None:
            self.w = weight[self.t] if keep is None else weight[self.t] * self.keep
        self.total = float(self.w.sum()) if self.w is not None else float(target.size)

    def dense(self, shape: tuple, dtype: Any, value: np.ndarray) -> np.ndarray:
        """An array of `shape` (N, C, ...) holding `value` (N, d1, ...) at the targets,
        0 elsewhere."""
        out = np.zeros(shape, dtype=dtype)
        out[self.idx] = value
        return out


def _grad_scale(g: Tensor, reduction: str, total: float) -> Tensor:
    """The gradient of the reduced loss w.r.t. each position's loss, shaped (N, 1, d1...)
    to broadcast over classes (a Tensor; 0-d for sum/mean)."""
    if reduction == "none":
        return g.unsqueeze(1)
    if reduction == "mean":
        # All positions ignored: PyTorch returns a nan loss but zero gradients.
        return g * (1.0 / total) if total else g * 0.0
    return g


def _finish(loss_el: np.ndarray, reduction: str, total: float) -> np.ndarray:
    if reduction == "none":
        return loss_el
    s = np.add.reduce(loss_el, axis=None)
    if reduction == "sum":
        return s
    return s / total if total else np.array(np.nan, dtype=loss_el.dtype)


class CrossEntropy(Op):
    """log_softmax + negative log likelihood over class indices, in one op.

    With kept-position mask m, class weights w, smoothing eps and C classes, each
    position's loss is -sum_c A_c log p_c with A_c = m ((1 - eps) w_t [c = t] + eps/C w_c),
    and its gradient is s (p sum_c A_c - A), s the reduction's scale.
    """
    name = "CrossEntropy"

    @staticmethod
    def forward(ctx, x, tgt, weight, eps, reduction):
        ctx.tgt, ctx.weight, ctx.eps, ctx.reduction = tgt, weight, eps, reduction
        z = x - np.maximum.reduce(x, axis=1, keepdims=True)
        e = np.exp(z)
        s = np.add.reduce(e, axis=1, keepdims=True)
        lse = np.log(s)
        loss = lse[:, 0] - z[tgt.idx]                # -log p_t
        if tgt.w is not None:
            loss *= tgt.w
        if eps:
            logp = z - lse
            if weight is not None:
                logp *= _class_axis(weight, x.ndim)
            smooth = -logp.sum(axis=1)
            if tgt.keep is not None:
                smooth *= tgt.keep
            loss = (1.0 - eps) * loss + (eps / x.shape[1]) * smooth
        e /= s
        ctx.save(e)                                  # softmax, for backward
        return _finish(loss, reduction, tgt.total)

    @staticmethod
    def backward(ctx, g):
        tgt, weight, eps = ctx.tgt, ctx.weight, ctx.eps
        (p,) = ctx.extra
        if not eps and not STATE.enabled:
            # Not recording: s w_t (p - onehot) straight in NumPy, s per position.
            s = g.data
            if ctx.reduction == "mean":
                s = s * (1.0 / tgt.total if tgt.total else 0.0)
            if tgt.w is not None:
                s = s * tgt.w
            grad = p * (s[:, None] if s.ndim else s)
            grad[tgt.idx] -= s
            return wrap(grad)
        scale = _grad_scale(g, ctx.reduction, tgt.total)
        # With Tensor ops (differentiable again when recording): A and its class sum
        # are constants, p = softmax(x) carries the dependence on x.
        ones = np.ones(tgt.t.shape, p.dtype)
        hit = (1.0 - eps) * (ones if tgt.w is None else tgt.w)
        a, a_sum = tgt.dense(p.shape, p.dtype, hit), hit
        if eps:
            c = p.shape[1]
            kept = ones if tgt.keep is None else tgt.keep
            wc = np.ones(c, p.dtype) if weight is None else weight
            a = a + (eps / c) * kept[:, None] * _class_axis(wc, p.ndim)
            a_sum = a_sum + (eps / c) * wc.sum() * kept
        probs = softmax(ctx.inputs[0], 1) if STATE.enabled else wrap(p)
        return (probs * a_sum[:, None] - a) * scale


def _class_axis(weight: Any, ndim: int) -> Any:
    """Per-class weights shaped (1, C, 1, ...) to broadcast over an (N, C, d...) input."""
    return weight.reshape((1, -1) + (1,) * (ndim - 2))


def _class_weight(op: str, weight: Any, input: Tensor, index: bool) -> Any:
    """The (C,) class weights checked against input.  For class-index targets an ndarray
    of input's dtype: the fused ops give the weight no gradient, so, like PyTorch, they
    refuse a weight tensor that requires one or has another dtype.  For probabilities a
    Tensor, differentiable and promoting the loss's dtype as in PyTorch.  A weight that
    is no Tensor takes input's dtype."""
    if weight is None:
        return None
    w = weight if isinstance(weight, Tensor) else wrap(np.asarray(weight, input.dtype))
    n_classes = input.shape[1] if input.ndim >= 2 else input.shape[0]
    if w.ndim != 1 or w.shape[0] != n_classes:
        raise RuntimeError(f"{op}: weight tensor should be defined either for all "
                           f"{n_classes} classes or no classes but got weight tensor of "
                           f"shape {tuple(w.shape)} (input shape {tuple(input.shape)})")
    if not index:
        return w
    if w.dtype != input.dtype:
        raise RuntimeError(f"{op}: weight dtype {w.dtype} differs from the input dtype "
                           f"{input.dtype}")
    if w.requires_grad and STATE.enabled:
        raise RuntimeError(f"{op}: not differentiable with respect to the weight of "
                           f"class-index targets; it cannot require grad (detach it)")
    return w.data


def _index_target(op: str, input: Tensor, target: Tensor, weight: np.ndarray | None,
                  ignore_index: int) -> _IndexTarget:
    """Check class-index targets against input (N, C, d...) and build _IndexTarget."""
    t = target.data
    if t.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: class-index targets must be an integer (int64) tensor, "
                           f"got dtype {t.dtype} for input of shape {tuple(input.shape)}")
    want = (input.shape[0],) + tuple(input.shape[2:])
    if t.shape != want:
        if t.ndim == 0 or t.shape[0] != input.shape[0]:
            raise ShapeError(f"{op}: expected input batch_size ({input.shape[0]}) to match "
                             f"target batch_size ({t.shape[0] if t.ndim else '0-d'}): "
                             f"input {tuple(input.shape)}, target {t.shape}")
        raise ShapeError(f"{op}: expected target of shape {want} for input of shape "
                         f"{tuple(input.shape)}, got {t.shape}")
    return _IndexTarget(op, input.data, t, weight, ignore_index)


def _batched(op: str, input: Tensor, target: Tensor, prob: bool) -> tuple:
    """Inputs of shape (C,) become (1, C) (targets () or (C,) likewise); the flag says
    whether to squeeze the result back."""
    if input.ndim == 0:   # PyTorch: RuntimeError from cross_entropy, ValueError from nll
        raise ShapeError(f"{op}: input must have at least 1 dimension (classes), got a "
                         f"0-d tensor")
    if input.ndim == 1:
        if prob:
            return input.unsqueeze(0), target.unsqueeze(0), True
        if target.shape not in ((), (1,)):
            raise ShapeError(f"{op}: for an input of shape {tuple(input.shape)} (one "
                             f"sample), expected a 0-d class index (or shape (1,)), got "
                             f"target shape {tuple(target.shape)}")
        return input.unsqueeze(0), target.reshape(1), True
    return input, target, False


def cross_entropy(input: Tensor, target: Any, weight: Any = None, size_average: Any = None,
                  ignore_index: int = -100, reduce: Any = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross entropy between logits and targets, log_softmax computed stably inside.

    input: logits of shape (N, C), (N, C, d1, ...) or (C,).
    target: class indices (integer, shape (N,), (N, d1, ...) or ()), or class
    probabilities (float, input's shape).  weight: (C,) per-class weights.
    ignore_index: index targets equal to it contribute nothing (mean divides by the
    sum of the kept targets' weights; an all-ignored batch gives nan, like PyTorch).
    label_smoothing eps: targets become (1 - eps) onehot + eps / C.
    """
    op = "cross_entropy"
    reduction = _reduction(op, reduction, size_average, reduce)
    _check_float(op, input)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"{op}: label_smoothing must be between 0.0 and 1.0, got "
                           f"{label_smoothing}")
    target = target if isinstance(target, Tensor) else wrap(to_array(target))
    prob = target.dtype.kind == "f"
    if prob and target.shape != input.shape:
        raise RuntimeError(f"{op}: class-probability targets (float) must have the "
                           f"input's shape {tuple(input.shape)}, got {tuple(target.shape)}; "
                           f"class-index targets must be an integer (int64) tensor")
    if prob and ignore_index != -100:
        raise RuntimeError(f"{op}: ignore_index ({ignore_index}) is not supported for "
                           f"class-probability (floating point) targets")
    w = _class_weight(op, weight, input, not prob)
    x, t, squeeze = _batched(op, input, target, prob)
    if prob:
        loss = _soft_cross_entropy(x, t, w, label_smoothing, reduction)
    else:
        tgt = _index_target(op, x, t, w, ignore_index)
        loss = apply(CrossEntropy, x, tgt=tgt, weight=w, eps=float(label_smoothing),
                     reduction=reduction)
    return loss.reshape(()) if squeeze and reduction == "none" else loss


def _soft_cross_entropy(x: Tensor, y: Tensor, w: Tensor | None, eps: float,
                        reduction: str) -> Tensor:
    """-sum_c w_c y_c log softmax(x)_c per position; mean divides by the positions.  A
    wider float target or weight widens the loss (PyTorch's promotion)."""
    if eps:
        y = y * (1.0 - eps) + eps / x.shape[1]
    prod = log_softmax(x, 1) * y
    if w is not None:
        prod = prod * _class_axis(w, x.ndim)
    return _reduce(-prod.sum(1), reduction)


class NLLLoss(Op):
    """Negative log likelihood: -w_t input[n, t] per position; backward puts
    -s w_t at the targets (linear, so double backward is exact)."""
    name = "NLLLoss"
    save_inputs = False

    @staticmethod
    def forward(ctx, x, tgt, reduction):
        ctx.tgt, ctx.reduction, ctx.shape = tgt, reduction, x.shape
        loss = -x[tgt.idx]
        if tgt.w is not None:
            loss *= tgt.w
        return _finish(loss, reduction, tgt.total)

    @staticmethod
    def backward(ctx, g):
        tgt = ctx.tgt
        hit = -tgt.w if tgt.w is not None else np.full(tgt.t.shape, -1.0, g.dtype)
        a = tgt.dense(ctx.shape, g.dtype, hit)
        return _grad_scale(g, ctx.reduction, tgt.total) * a


def nll_loss(input: Tensor, target: Any, weight: Any = None, size_average: Any = None,
             ignore_index: int = -100, reduce: Any = None, reduction: str = "mean") -> Tensor:
    """Negative log likelihood of class indices given log-probabilities `input` of shape
    (N, C), (N, C, d1, ...) or (C,): -weight[t] * input[n, t] per position; mean
    divides by the sum of the kept targets' weights (nan when all are ignored)."""
    op = "nll_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    _check_float(op, input)
    target = target if isinstance(target, Tensor) else wrap(to_array(target))
    x, t, squeeze = _batched(op, input, target, False)
    tgt = _index_target(op, x, t, _class_weight(op, weight, input, True), ignore_index)
    loss = apply(NLLLoss, x, tgt=tgt, reduction=reduction)
    return loss.reshape(()) if squeeze and reduction == "none" else loss


# ---- binary classification ----------------------------------------------------------------

# PyTorch's EPSILON in binary_cross_entropy_backward is a float32 constant.
_BCE_EPS = float(np.float32(1e-12))


class BinaryCrossEntropy(Op):
    """-(y log x + (1 - y) log(1 - x)) with each log clamped at -100 (PyTorch);
    d/dx = (x - y) / max(x (1 - x), 1e-12),  d/dy = log(1 - x) - log(x) (not clamped:
    +-inf at x = 0 or 1, as PyTorch's)."""
    name = "BinaryCrossEntropy"

    @staticmethod
    def forward(ctx, x, y):
        with np.errstate(divide="ignore"):
            log_x = np.maximum(np.log(x), -100.0)
            log_1mx = np.maximum(np.log1p(-x), -100.0)
        return -(y * log_x + (1.0 - y) * log_1mx)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.inputs
        need_x, need_y = ctx.needs_input_grad
        gx = g * (x - y) / ag.clamp(x * (1.0 - x), min=_BCE_EPS) if need_x else None
        gy = None
        if need_y:
            with np.errstate(divide="ignore"):   # log(0) = -inf is the answer there
                gy = g * (ag.log1p(-x) - ag.log(x))
        return gx, gy


def binary_cross_entropy(input: Tensor, target: Any, weight: Any = None,
                         size_average: Any = None, reduce: Any = None,
                         reduction: str = "mean") -> Tensor:
    """Binary cross entropy between probabilities `input` in [0, 1] and `target` (same
    shape): -w (y log x + (1 - y) log(1 - x)), logs clamped at -100 so x = 0 or 1
    gives a finite loss.  Prefer binary_cross_entropy_with_logits on raw scores."""
    op = "binary_cross_entropy"
    reduction = _reduction(op, reduction, size_average, reduce)
    _, target = _pointwise_target(op, input, target, same_shape=True, promote="input")
    for name, a in (("input", input.data), ("target", target.data)):
        if a.size and not ((a >= 0) & (a <= 1)).all():
            raise RuntimeError(f"{op}: all elements of {name} should be between 0 and 1 "
                               f"(shape {tuple(a.shape)})")
    loss = apply(BinaryCrossEntropy, input, target)
    if weight is not None:
        loss = loss * _loss_weight(op, "weight", weight, loss)
    return _reduce(loss, reduction)


def _loss_weight(op: str, name: str, weight: Any, loss: Tensor) -> Tensor:
    """`weight` (or pos_weight) as a tensor of loss's dtype (PyTorch multiplies it into
    the loss in place) that broadcasts to loss's shape without enlarging it."""
    w = _as_tensor(weight, loss).to(loss.dtype)
    try:
        fits = np.broadcast_shapes(w.shape, loss.shape) == loss.shape
    except ValueError:
        fits = False
    if not fits:
        raise ShapeError(f"{op}: {name} of shape {tuple(w.shape)} does not broadcast to "
                         f"the input's shape {tuple(loss.shape)}")
    return w


def binary_cross_entropy_with_logits(input: Tensor, target: Any, weight: Any = None,
                                     size_average: Any = None, reduce: Any = None,
                                     reduction: str = "mean", pos_weight: Any = None) -> Tensor:
    """Sigmoid + binary cross entropy, -w (pw y log s(x) + (1 - y) log(1 - s(x))), in a
    form without overflow or cancellation: with L = log(1 + e^-|x|),
    loss = (1 - y) x + lw L for x >= 0 and -pw y x + lw L for x < 0, lw = 1 + (pw - 1) y.
    pos_weight pw (broadcast over the last dim, e.g. (C,)) weighs the positive term."""
    op = "binary_cross_entropy_with_logits"
    reduction = _reduction(op, reduction, size_average, reduce)
    x, target = _pointwise_target(op, input, target, same_shape=True)
    # One mask for every piecewise term, so the one-sided derivatives at x = 0 add up
    # to the true derivative (1 - y) - lw / 2.
    pos = x.data >= 0
    tail = ag.log1p(ag.exp(-ag.where(pos, x, -x)))
    if pos_weight is None:
        loss = ag.where(pos, (1.0 - target) * x, -target * x) + tail
    else:
        pw = _loss_weight(op, "pos_weight", pos_weight, x)
        loss = (ag.where(pos, (1.0 - target) * x, -pw * target * x)
                + ((pw - 1.0) * target + 1.0) * tail)
    if weight is not None:
        loss = loss * _loss_weight(op, "weight", weight, loss)
    return _reduce(loss, reduction)


# ---- divergences and likelihoods ----------------------------------------------------------

_BATCHMEAN = _REDUCTIONS + ("batchmean",)


def kl_div(input: Tensor, target: Any, size_average: Any = None, reduce: Any = None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence of `target` from the distribution whose log-probabilities
    are `input`, pointwise y (log y - x), 0 where y = 0; with `log_target` y holds
    log-probabilities and the term is e^y (y - x), with no log of 0 anywhere.

    reduction "batchmean" divides the sum by the batch size input.shape[0], the true KL
    divergence; "mean", the default, divides by the element count, and warns about it
    as PyTorch does."""
    op = "kl_div"
    if size_average is None and reduce is None and reduction == "mean":
        warnings.warn(f"{op}: reduction: 'mean' divides the total loss by both the batch "
                      f"size and the support size. 'batchmean' divides only by the batch "
                      f"size, and aligns with the KL div math definition. 'mean' will be "
                      f"changed to behave the same as 'batchmean' in the next major "
                      f"release.", UserWarning, stacklevel=2)
    reduction = _reduction(op, reduction, size_average, reduce, choices=_BATCHMEAN)
    if input.dtype.kind != "f":   # (PyTorch: RuntimeError here, not NotImplementedError)
        raise RuntimeError(f"{op}: integral inputs not supported, got input dtype "
                           f"{input.dtype}")
    x, y = _pointwise_target(op, input, target, same_shape=False, promote="arith",
                             kinds="f", warn=False)
    loss = ag.exp(y) * (y - x) if log_target else ag.xlogy(y, y) - y * x
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _reduce(loss, reduction)


def poisson_nll_loss(input: Tensor, target: Any, log_input: bool = True, full: bool = False,
                     size_average: Any = None, eps: float = 1e-8, reduce: Any = None,
                     reduction: str = "mean") -> Tensor:
    """Negative log likelihood of `target` y under Poisson(rate), rate - y log(rate) up to
    a constant: e^x - y x with `log_input` (x = log rate), else x - y log(x + eps).
    `full` adds Stirling's approximation of log(y!), y log y - y + 0.5 log(2 pi y), where
    y > 1 (0 elsewhere, as in PyTorch)."""
    op = "poisson_nll_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    x, y = _pointwise_target(op, input, target, same_shape=False, promote="arith",
                             kinds="fiub", warn=False)
    loss = ag.exp(x) - y * x if log_input else x - y * ag.log(x + eps)
    if full:
        big = y.data > 1
        # Evaluated at y = 1 where masked out, so log(0) reaches neither value nor gradient.
        y1 = ag.where(big, y, 1.0)
        loss = loss + ag.where(big, y1 * ag.log(y1) - y1 + 0.5 * ag.log(2 * math.pi * y1), 0.0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input: Tensor, target: Any, var: Any, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """Negative log likelihood of `target` under N(input, var):
    0.5 (log var + (input - target)^2 / var), plus 0.5 log(2 pi) with `full`.

    var: input's shape; or input's shape without the last dim, or with one dim of size
    1 (one variance shared along it); or a number for all.  It is clamped to >= eps for
    stability outside autograd, as PyTorch does, so its gradient is never cut off."""
    op = "gaussian_nll_loss"
    reduction = _reduction(op, reduction)
    x, y = _pointwise_target(op, input, target, same_shape=False, promote="arith",
                             warn=False)
    number = not isinstance(var, Tensor) and np.ndim(var) == 0
    var = ag.ones_like(x) * var if number else _as_tensor(var, input)
    if (var.data < 0).any():
        raise ValueError(f"{op}: var has negative entry/entries (var shape "
                         f"{tuple(var.shape)})")
    if var.shape != input.shape:
        if var.shape == input.shape[:-1]:
            var = var.unsqueeze(-1)
        elif var.ndim != input.ndim or sum(v for i, v in zip(input.shape, var.shape)
                                           if i != v) != 1:
            raise ValueError(f"{op}: var is of incorrect size {tuple(var.shape)} for input "
                             f"of size {tuple(input.shape)} (expected input's size, that "
                             f"size without the last dim, or with a single other dim 1)")
    var = _clamp_min_keeping_grad(var, eps)
    loss = 0.5 * (ag.log(var) + (x - y) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


# ---- margin and embedding losses ----------------------------------------------------------

def _log1pexp(z: Tensor) -> Tensor:
    # softplus without its linear cut-off: overflow-free either way, and its gradient
    # then is the sigmoid everywhere, like the logsigmoid PyTorch's losses use
    return ag.softplus(z, threshold=math.inf)


def soft_margin_loss(input: Tensor, target: Any, size_average: Any = None, reduce: Any = None,
                     reduction: str = "mean") -> Tensor:
    """Two-class logistic loss for targets y = 1 or -1: log(1 + e^(-y x)) (as a softplus:
    no overflow for large -y x)."""
    op = "soft_margin_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    x, y = _pointwise_target(op, input, target, same_shape=False, promote="input",
                             kinds="fiub", warn=False)
    return _reduce(_log1pexp(-y * x), reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Any, weight: Any = None,
                                size_average: Any = None, reduce: Any = None,
                                reduction: str = "mean") -> Tensor:
    """One-versus-all logistic loss over the C classes in input's last dim, for targets
    y in {0, 1}: the mean over classes of -w (y log sigmoid(x) + (1 - y) log sigmoid(-x)),
    then reduced over the samples.  weight w: per class, broadcast."""
    op = "multilabel_soft_margin_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    if input.ndim == 0:   # (PyTorch: IndexError from size(-1))
        raise IndexError(f"{op}: input must have at least 1 dimension (classes), got a "
                         f"0-d tensor")
    x, y = _pointwise_target(op, input, target, same_shape=False, promote="arith",
                             warn=False)
    loss = y * _log1pexp(-x) + (1 - y) * _log1pexp(x)
    if weight is not None:
        loss = loss * _as_tensor(weight, x)
    return _reduce(loss.sum(-1) / input.shape[-1], reduction)


def hinge_embedding_loss(input: Tensor, target: Any, margin: float = 1.0,
                         size_average: Any = None, reduce: Any = None,
                         reduction: str = "mean") -> Tensor:
    """For distances x and targets y = 1 (similar pair) or -1 (dissimilar): x where y = 1,
    max(0, margin - x) where y = -1.  Like PyTorch, any other target gets both terms."""
    op = "hinge_embedding_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    x, y = _pointwise_target(op, input, target, same_shape=False, promote="input",
                             kinds="fiub", warn=False)
    t = y.data
    loss = ag.where(t != 1, ag.clamp(margin - x, min=0.0), 0.0) + ag.where(t != -1, x, 0.0)
    return _reduce(loss, reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Any, margin: float = 0.0,
                        size_average: Any = None, reduce: Any = None,
                        reduction: str = "mean") -> Tensor:
    """max(0, -y (x1 - x2) + margin): target y = 1 asks x1 to rank above x2 by `margin`,
    y = -1 below.  The three must have the same number of dims (and broadcast)."""
    op = "margin_ranking_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    x1, y = _pointwise_target(op, input1, target, same_shape=False, promote="arith",
                              warn=False)
    if not input1.ndim == input2.ndim == y.ndim:
        raise RuntimeError(f"{op}: all input tensors should have the same number of "
                           f"dimensions, got input1 {tuple(input1.shape)}, input2 "
                           f"{tuple(input2.shape)}, target {tuple(y.shape)}")
    _broadcast_shape(op, input1=input1.shape, input2=input2.shape, target=y.shape)
    return _reduce(ag.clamp(-y * (x1 - input2) + margin, min=0.0), reduction)


# PyTorch's cosine_embedding_loss divides by sqrt((|x1|^2 + e)(|x2|^2 + e)), e the float32
# constant 1e-12, rather than calling cosine_similarity; clamping each norm at sqrt(e)
# instead agrees with it to a relative 0.5e-12 / |x|^2, zero vectors included (value and
# gradient): closely unless a norm is within a few orders of magnitude of 1e-6.
_COS_EMBEDDING_EPS = math.sqrt(_BCE_EPS)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Any, margin: float = 0.0,
                          size_average: Any = None, reduce: Any = None,
                          reduction: str = "mean") -> Tensor:
    """With c the cosine similarity of x1 and x2 along their last dim: 1 - c where the
    target y = 1, max(0, c - margin) where y = -1 (0 for any other target).  Inputs
    (N, D) take a target (N,); inputs (D,) a 0-d target."""
    op = "cosine_embedding_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    y = target if isinstance(target, Tensor) else wrap(to_array(target))
    if y.ndim > 1:
        raise RuntimeError(f"{op}: expected a 0-d or 1-d target (multi-target not "
                           f"supported), got shape {tuple(y.shape)}")
    if not input1.ndim == input2.ndim == y.ndim + 1:
        raise RuntimeError(f"{op}: a {y.ndim}-d target expects {y.ndim + 1}-d inputs, got "
                           f"input1 {tuple(input1.shape)} and input2 {tuple(input2.shape)}")
    # (a target (N,) as (N, 1): its batch checked against the inputs' (N, D))
    _broadcast_shape(op, input1=input1.shape, input2=input2.shape, target=y.shape + (1,))
    cos = cosine_similarity(input1, input2, dim=-1, eps=_COS_EMBEDDING_EPS)
    t = y.data
    loss = ag.where(t == 1, 1.0 - cos, 0.0) + ag.where(t == -1, ag.clamp(cos - margin, min=0.0),
                                                       0.0)
    return _reduce(loss, reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor,
                        margin: float = 1.0, p: float = 2.0, eps: float = 1e-6,
                        swap: bool = False, size_average: Any = None, reduce: Any = None,
                        reduction: str = "mean") -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)), d = pairwise_distance (p-norm over the last dim,
    eps added to the difference).  `swap` takes min(d(a, n), d(p, n)) as the negative's
    distance (Balntas et al., 2016)."""
    op = "triplet_margin_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    if margin <= 0:
        raise ValueError(f"{op}: margin must be greater than 0, got {margin}")
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(f"{op}: the anchor, positive, and negative tensors are expected "
                           f"to have the same number of dimensions, got anchor "
                           f"{tuple(anchor.shape)}, positive {tuple(positive.shape)}, "
                           f"negative {tuple(negative.shape)}")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = ag.minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce(ag.clamp(margin + d_pos - d_neg, min=0.0), reduction)


# ---- multi-class margin losses (class-index targets) --------------------------------------

def _margin_input(op: str, input: Tensor) -> tuple[int, int]:
    """(samples, classes) of a multi-class margin loss's input: (N, C), (C,) or a 0-d
    input (one sample, one class), with C > 0, as PyTorch's shape check."""
    _check_float(op, input)
    if input.ndim > 2 or (input.ndim and input.shape[-1] == 0):
        raise RuntimeError(f"{op}: Expected non-empty vector or matrix with optional 0-dim "
                           f"batch size, but got input of shape {tuple(input.shape)}")
    if input.ndim == 2:
        return input.shape[0], input.shape[1]
    return 1, int(input.data.size)


def _margin_target(op: str, target: Any, input: Tensor) -> Tensor:
    """Class-index targets as a Tensor, refusing other dtypes (RuntimeError, as PyTorch's
    'expected scalar type Long')."""
    t = target if isinstance(target, Tensor) else wrap(to_array(target))
    if t.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: expected an integer (int64) target of class indices, got "
                           f"dtype {t.dtype} (input of shape {tuple(input.shape)})")
    return t


def _margin_weight(op: str, weight: Any, input: Tensor, n_classes: int) -> np.ndarray | None:
    """Per-class weights (C,) as a constant array: like PyTorch's, the loss is not
    differentiable with respect to them and does not promote them to input's dtype."""
    if weight is None:
        return None
    w = weight if isinstance(weight, Tensor) else wrap(np.asarray(weight, input.dtype))
    if w.ndim != 1:
        raise ValueError(f"{op}: weight must be one-dimensional, got shape {tuple(w.shape)}")
    if w.shape[0] != n_classes:
        raise RuntimeError(f"{op}: inconsistent weight size, expected {n_classes} but got "
                           f"{tuple(w.shape)} (input of shape {tuple(input.shape)})")
    return _class_weight(op, w, input, index=True)   # (its dtype and requires_grad checks)


def _open_hinge(z: Tensor, mask: np.ndarray) -> Tensor:
    """z where `mask` holds and z > 0, else 0 (PyTorch's kernels pass no gradient at
    z = 0, where clamp would)."""
    return ag.where(mask & (z.data > 0), z, 0.0)


def multi_margin_loss(input: Tensor, target: Any, p: int = 1, margin: float = 1.0,
                      weight: Any = None, size_average: Any = None, reduce: Any = None,
                      reduction: str = "mean") -> Tensor:
    """Multi-class hinge loss of scores x (N, C) or (C,) for class indices y (N,) or ():
    per sample, sum_{i != y} w_y max(0, margin - x_y + x_i)^p / C, p = 1 or 2.

    The class weight w_y multiplies the p-th power, as PyTorch's kernel does (its docs
    put w_y inside the max, which differs for p = 2); it gets no gradient."""
    op = "multi_margin_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    if p != 1 and p != 2:
        raise ValueError(f"{op}: only p == 1 and p == 2 supported, got p={p}")
    if weight is not None and np.ndim(weight) != 1:
        raise ValueError(f"{op}: weight must be one-dimensional, got shape "
                         f"{tuple(np.shape(weight))}")
    n, c = _margin_input(op, input)
    t = _margin_target(op, target, input)
    if t.ndim > 1 or t.data.size != n:
        raise RuntimeError(f"{op}: target tensor should be 1-D with size equal to the number "
                           f"of input samples (batch size). Expected target size ({n},), but "
                           f"got {tuple(t.shape)} (input of shape {tuple(input.shape)})")
    w = _margin_weight(op, weight, input, c)
    y = t.data.reshape(n).astype(np.int64)
    if y.size and (y.min() < 0 or y.max() >= c):
        bad = y[(y < 0) | (y >= c)][0]
        raise RuntimeError(f"{op}: target out of range: {bad} for {c} classes (input of "
                           f"shape {tuple(input.shape)})")
    x = input.reshape(n, c)
    z = x - x.gather(1, y[:, None]) + margin                     # (N, C)
    h = _open_hinge(z, np.arange(c) != y[:, None])
    if p == 2:
        h = h * h
    if w is not None:
        h = h * w[y][:, None]
    return _reduce((h.sum(1) / c).reshape(t.shape), reduction)


def multilabel_margin_loss(input: Tensor, target: Any, size_average: Any = None,
                           reduce: Any = None, reduction: str = "mean") -> Tensor:
    """Multi-label hinge loss of scores x (N, C) or (C,): targets y of input's shape hold
    each sample's class indices, ended by the first -1 (the rest is padding).  Per
    sample, with T the classes listed: sum_{j in T} sum_{i not in T}
    max(0, 1 - (x_j - x_i)) / C (a class listed twice counts twice, as in PyTorch)."""
    op = "multilabel_margin_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    n, c = _margin_input(op, input)
    t = _margin_target(op, target, input)
    fits = t.shape == input.shape if input.ndim == 2 else t.ndim <= 1 and t.data.size == c
    if not fits:
        raise RuntimeError(f"{op}: inconsistent target size: {tuple(t.shape)} for input of "
                           f"size: {tuple(input.shape)} (expected the input's size)")
    y = t.data.reshape(n, c).astype(np.int64)
    if y.size and (y.min() < -1 or y.max() >= c):
        bad = y[(y < -1) | (y >= c)][0]
        raise RuntimeError(f"{op}: argument #2 'target' is out of range: {bad} for {c} "
                           f"classes (indices in [0, {c}), -1 ends the list)")
    listed = np.cumprod(y != -1, axis=1).astype(bool)            # slots before the first -1
    k = int(listed.sum(1).max()) if y.size else 0                # (slots past it: all unused)
    listed, idx = listed[:, :k], np.where(listed, y, 0)[:, :k]
    is_target = np.zeros((n, c + 1), bool)
    is_target[np.arange(n)[:, None], np.where(listed, idx, c)] = True
    x = input.reshape(n, c)
    z = 1.0 - x.gather(1, idx).unsqueeze(2) + x.unsqueeze(1)      # (N, slots, C)
    h = _open_hinge(z, listed[:, :, None] & ~is_target[:, None, :c])
    loss = h.sum((1, 2)) / c
    return _reduce(loss if input.ndim == 2 else loss.reshape(()), reduction)


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *,
                                      distance_function: Callable[[Tensor, Tensor], Tensor]
                                      | None = None, margin: float = 1.0, swap: bool = False,
                                      reduction: str = "mean") -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)) for any distance d = `distance_function`
    (default: pairwise_distance, the Euclidean distance over the last dim); `swap` uses
    min(d(a, n), d(p, n)) as the negative's distance."""
    op = "triplet_margin_with_distance_loss"
    reduction = _reduction(op, reduction)
    if margin <= 0:
        raise ValueError(f"{op}: margin must be greater than 0, got {margin}")
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(f"{op}: The anchor, positive, and negative tensors are expected "
                           f"to have the same number of dimensions, but got: anchor "
                           f"{tuple(anchor.shape)}, positive {tuple(positive.shape)}, and "
                           f"negative {tuple(negative.shape)}")
    dist = pairwise_distance if distance_function is None else distance_function
    d_pos, d_neg = dist(anchor, positive), dist(anchor, negative)
    if swap:
        d_neg = ag.minimum(d_neg, dist(positive, negative))
    return _reduce(ag.clamp(margin + d_pos - d_neg, min=0.0), reduction)


# ---- connectionist temporal classification ---------------------------------------------------

def _ctc_bounds(lp: np.ndarray, steps: int) -> tuple:
    """(floor, log_zero, big) for the CTC recursion over `steps` frames of the gathered
    log-probabilities `lp`, so that finite stand-ins give exactly the results of -inf:

    * log_zero stands for log(0) at the states no alignment reaches (and the padding
      before the first state).  Finite, so that logsumexp's gradient exp(x - out) is 0
      there, not exp(-inf + inf) = nan (0 * nan would poison the states that matter);
      and sized from the data (not -1e30: finite-difference checks must move it), at
      least 1000 below anything reachable, whose exp then is exactly 0.
    * floor replaces -inf log-probabilities (probability 0): 1000 below every path
      avoiding them, so such paths add exactly nothing unless all paths take one;
    * a loss above `big` then had only such paths: it is infinite.

    Reachable values are sums of at most steps + 1 log-probabilities (and logsumexps of
    up to 3^steps paths, log 3 per frame), which gives the bounds used below."""
    finite = lp[np.isfinite(lp)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    big = (steps + 1) * max(-lo, 0.0)          # a loss with a path of finite log-probs
    growth = steps * (max(hi, 0.0) + math.log(3))
    floor = -big - growth - 1000.0
    lo = floor if finite.size < lp.size else lo
    log_zero = -((steps + 1) * (max(hi, 0.0) - min(lo, 0.0) + math.log(3)) + 1000.0)
    return floor, log_zero, big + 500.0


def _ctc_lengths(op: str, name: str, lengths: Any, n: int, limit: int | None = None) -> np.ndarray:
    """`lengths` (a list or tuple of ints, or an integer tensor or array of n entries) as
    int64 (n,), each checked to lie in [0, limit]."""
    if isinstance(lengths, (int, np.integer)):   # (PyTorch: a sequence or a tensor)
        raise TypeError(f"{op}: {name} must be a tuple, list or tensor of {n} lengths, "
                        f"got the int {lengths}")
    arr = lengths.data if isinstance(lengths, Tensor) else to_array(lengths)
    if arr.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: {name} must be integral, got dtype {arr.dtype}")
    arr = arr.reshape(-1).astype(np.int64)
    if arr.size != n:
        raise RuntimeError(f"{op}: {name} must be of size batch_size ({n}), got {arr.size} "
                           f"lengths")
    if arr.size and arr.min() < 0:
        raise RuntimeError(f"{op}: expected {name} to have value at least 0, but got value "
                           f"{arr.min()}")
    if limit is not None and arr.size and arr.max() > limit:
        raise RuntimeError(f"{op}: expected {name} to have value at most {limit} (the "
                           f"log_probs' time steps), but got value {arr.max()}")
    return arr


def _ctc_labels(op: str, targets: Any, lengths: np.ndarray, n_classes: int,
                blank: int) -> np.ndarray:
    """The targets as a padded (N, max length) int64 array, entries past each length
    set to `blank`; from padded (N, S) or concatenated (sum(lengths),) targets."""
    t = targets.data if isinstance(targets, Tensor) else to_array(targets)
    if t.dtype.kind not in "iu":   # (PyTorch truncates float targets silently)
        raise RuntimeError(f"{op}: targets must be integer class indices, got dtype "
                           f"{t.dtype}")
    n, longest = lengths.size, int(lengths.max(initial=0))
    within = np.arange(longest) < lengths[:, None]          # (N, longest)
    if t.ndim == 2:
        if t.shape[0] != n or t.shape[1] < longest:
            raise RuntimeError(f"{op}: padded targets of shape {t.shape} do not fit a batch "
                               f"of {n} with target_lengths up to {longest} (expected "
                               f"({n}, S) with S >= {longest})")
        labels = np.where(within, t[:, :longest], blank).astype(np.int64)
    elif t.ndim == 1:
        if t.size != lengths.sum():
            raise RuntimeError(f"{op}: concatenated targets of size {t.size} do not match "
                               f"the sum of target_lengths ({lengths.sum()})")
        labels = np.full((n, longest), blank, dtype=np.int64)
        labels[within] = t   # (row-major order: sample by sample, as concatenated)
    else:
        raise RuntimeError(f"{op}: expected targets of 1 or 2 dimensions (concatenated or "
                           f"padded), got shape {t.shape}")
    used = labels[within]
    if used.size and (used.min() < 0 or used.max() >= n_classes or (used == blank).any()):
        bad = used[(used < 0) | (used >= n_classes) | (used == blank)][0]
        raise IndexError(f"{op}: target label {bad} is not a class index in [0, {n_classes}) "
                         f"other than the blank ({blank})")
    return labels


def ctc_loss(log_probs: Tensor, targets: Any, input_lengths: Any, target_lengths: Any,
             blank: int = 0, reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """Connectionist temporal classification loss (Graves et al., 2006): minus the log of
    the total probability of all alignments of each target with its input frames.

    log_probs: (T, N, C), or (T, C) unbatched, per-frame log-probabilities (log_softmax
    outputs); targets: padded (N, S) or concatenated (sum(target_lengths),) class
    indices, none of them `blank`; input_lengths, target_lengths: N lengths each (tuples,
    lists or integer tensors).  With l' a target of L labels with blanks around and
    between them (2L + 1 states), the log forward variables over frames t,

        a_t(s) = lp[t, l'_s] + logsumexp(a_{t-1}(s), a_{t-1}(s-1), a_{t-1}(s-2)),

    the s-2 term only where l'_s is a label unlike l'_{s-2}, give the loss
    -logsumexp(a_{T_n-1}(2L), a_{T_n-1}(2L-1)): one recursion vectorised over the batch
    and the states, looping over time.  Autograd differentiates it, so the gradient is the
    derivative with respect to log_probs itself (and differentiable again); PyTorch's adds
    exp(log_probs), as if a log_softmax came first (pytorch/pytorch#52241), so the two
    agree on the gradient of the logits of a log_softmax, the usual case.  Too few
    frames for the labels and the blanks between repeats leave no alignment: an infinite
    loss (its gradient nan, as in PyTorch), or 0 with a zero gradient under
    `zero_infinity`.  "mean" divides each loss by its target length (at least 1), then
    averages over the batch.
    """
    op = "ctc_loss"
    reduction = _reduction(op, reduction)
    _check_float(op, log_probs)
    if log_probs.ndim not in (2, 3):
        raise RuntimeError(f"{op}: expected log_probs of shape (T, N, C) or unbatched "
                           f"(T, C), got {tuple(log_probs.shape)}")
    unbatched = log_probs.ndim == 2
    lp = log_probs.unsqueeze(1) if unbatched else log_probs
    steps, n, c = lp.shape
    if not lp.data.size:
        raise RuntimeError(f"{op}: log_probs tensor must not be empty, got shape "
                           f"{tuple(log_probs.shape)}")
    if not 0 <= blank < c:
        raise RuntimeError(f"{op}: blank must be in label range [0, {c}), got {blank}")
    il = _ctc_lengths(op, "input_lengths", input_lengths, n, steps)
    tl = _ctc_lengths(op, "target_lengths", target_lengths, n)
    labels = _ctc_labels(op, targets, tl, c, blank)
    # Extended labels l' (N, 2 S + 1); where a state may be entered from two states back.
    ext = np.full((n, 2 * labels.shape[1] + 1), blank, dtype=np.int64)
    ext[:, 1::2] = labels
    skip = np.zeros(ext.shape, dtype=bool)
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    # Each state's predecessors s, s-1, s-2 as columns of alpha padded by two log(0)
    # columns in front; a skip not allowed reads column 0, a padding column, instead.
    states = np.broadcast_to(np.arange(ext.shape[1]), ext.shape)
    prev = np.stack([states + 2, states + 1, np.where(skip, states, 0)], axis=-1)
    rows = np.arange(n)[:, None, None]
    need_frames = tl + ((labels[:, 1:] == labels[:, :-1]) & (labels[:, 1:] != blank)).sum(1)
    impossible = il < need_frames
    if impossible.any() and not zero_infinity and lp.requires_grad:
        # PyTorch's gradient for an infinite loss: nan on the sample's frames.
        nan_frames = impossible & (np.arange(steps)[:, None] < il)   # (T, N)
        lp = apply(ScaleGrad, lp, scale=np.where(nan_frames, np.nan, 1.0)[..., None]
                   .astype(lp.dtype))
    lp_ext = lp.gather(2, np.broadcast_to(ext, (steps,) + ext.shape))   # (T, N, 2S+1)
    frames = int(il.max())
    floor, log_zero, big = _ctc_bounds(lp_ext.data[:frames], frames)
    if (lp_ext.data[:frames] == -math.inf).any():   # (probability 0)
        lp_ext = ag.clamp(lp_ext, min=floor)
    # a_{-1}: the empty prefix, probability 1 at the first blank only.
    alpha = np.full(ext.shape, log_zero, dtype=lp.dtype)
    alpha[:, 0] = 0.0
    alpha = wrap(alpha)
    alphas = [alpha]
    for t in range(frames):
        padded = ag.pad(alpha, (2, 0), value=log_zero)
        alpha = ag.logsumexp(padded[rows, prev], dim=2) + lp_ext[t]
        alphas.append(alpha)
    # The last two states (the final label, the final blank) after each input's frames.
    ends = ag.stack(alphas)[il[:, None], np.arange(n)[:, None],
                            np.stack([2 * tl, np.maximum(2 * tl - 1, 0)], axis=1)]
    ends = ag.where(np.stack([tl >= 0, tl > 0], axis=1), ends, log_zero)
    nll = -ag.logsumexp(ends, dim=1)
    infinite = impossible | (nll.data > big)
    if infinite.any():
        nll = ag.where(infinite, 0.0 if zero_infinity else math.inf, nll)
    if reduction == "mean":
        loss = (nll / np.maximum(tl, 1).astype(nll.dtype)).mean()
    else:
        loss = _reduce(nll, reduction)
    return loss.reshape(()) if unbatched and reduction == "none" else loss
