"""nn.functional: the stateless layers (see nn/functional/__init__.py).

``linear`` is one fused op (``x @ W^T + b`` and its three gradients side by side):
it is the hot path of every MLP, and one node instead of three (matmul, transpose,
add) saves both Python overhead and a temporary.  ``Normalize`` (x - E[x]) /
sqrt(Var[x] + eps) is the fused core of the two normalizations:

* ``layer_norm``  Normalize over the last dims, then * w + b;
* ``batch_norm``  Normalize per channel over (N, *), * w + b, with running statistics.

The others are compositions of autograd ops (gradients and double backward for free):

* ``dropout``     x * mask / (1 - p), mask ~ Bernoulli(1 - p) (inverted scaling);
* ``embedding``   a row lookup whose gradient scatter-adds (none to padding_idx).
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

import autograd as ag
from autograd import Tensor
from autograd.grad_mode import STATE
from autograd.graph import Op, ShapeError, apply
from autograd.ops.inplace import bump_version
from autograd.ops.linalg import matmul
from autograd.ops.reduce import mean
from autograd.ops.shape import reshape, transpose
from autograd.random import generator
from autograd.tensor import wrap

__all__ = ["linear", "dropout", "layer_norm", "batch_norm", "embedding", "one_hot", "pad"]

pad = ag.pad


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else ag.tensor(x)


def check_dtypes(op: str, input: Tensor, tensors: dict, error: type = RuntimeError) -> None:
    """Raise `error` naming `op` when a tensor in `tensors` (name -> Tensor or None) has
    another dtype than `input`.  Like PyTorch's, layers do not promote between their
    input and their parameters or states: a float64 batch fed to a float32 model is a
    mistake to report, not a silent upcast of every result."""
    dt = input.dtype
    for name, t in tensors.items():
        if t is not None and t.dtype != dt:
            raise error(f"{op}: input dtype {dt} and {name} dtype {t.dtype} differ; convert "
                        f"the input (x.float() / x.double()) or the model (model.float() / "
                        f"model.double())")


# ---- linear -------------------------------------------------------------------------

class Linear(Op):
    """y = x W^T + b for x (*, in), W (out, in), b (out,) or None;
    dx = g W,  dW = g^T x (leading dims flattened),  db = sum of g over leading dims."""
    name = "Linear"

    @staticmethod
    def forward(ctx, x, w, b):
        out = np.matmul(x, w.T)
        if b is not None:
            out += b  # the matmul result is fresh: add the bias in place
        return out

    @staticmethod
    def backward(ctx, g):
        x, w, _ = ctx.inputs
        need_x, need_w, need_b = ctx.needs_input_grad
        if not STATE.enabled:
            # Plain backward (create_graph=False): nothing is recorded, so compute the
            # same three products with NumPy directly and skip the per-op overhead
            # (this is the hot path of every MLP).  With create_graph the Tensor-op
            # path below runs instead, which is itself differentiable.
            gd, xd = g._data, x._data
            g2 = gd.reshape(-1, gd.shape[-1])
            return (wrap(gd @ w._data) if need_x else None,
                    wrap(g2.T @ xd.reshape(-1, xd.shape[-1])) if need_w else None,
                    wrap(np.add.reduce(g2, axis=0)) if need_b else None)
        gx = matmul(g, w) if need_x else None
        gw = gb = None
        if need_w or need_b:
            g2 = g if g.ndim == 2 else reshape(g, (-1, g.shape[-1]))
            if need_w:
                x2 = x if x.ndim == 2 else reshape(x, (-1, x.shape[-1]))
                gw = matmul(transpose(g2, 0, 1), x2)
            if need_b:
                gb = g2.sum(0)
        return gx, gw, gb


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = input @ weight^T + bias, with PyTorch's layout: input (*, in_features),
    weight (out_features, in_features), bias (out_features,)."""
    input = _as_tensor(input)
    x, w = input._data, weight._data
    xs, ws = x.shape, w.shape
    if len(ws) != 2 or not xs or xs[-1] != ws[1]:
        raise ShapeError(f"linear: input of shape {xs} cannot be multiplied with weight of "
                         f"shape {ws} (expected input (*, {ws[-1] if ws else '?'}))")
    if bias is not None and bias._data.shape != ws[:1]:
        raise ShapeError(f"linear: bias of shape {bias._data.shape} does not match weight of "
                         f"shape {ws} (expected ({ws[0]},))")
    if x.dtype != w.dtype or (bias is not None and bias._data.dtype != x.dtype):
        check_dtypes("linear", input, {"weight": weight, "bias": bias})
    return apply(Linear, input, weight, bias)


# ---- dropout ------------------------------------------------------------------------

def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """Zero each element with probability `p` and scale the rest by 1/(1-p) (so the
    expectation is unchanged); the identity when not `training` or p == 0.  Drawn from
    the generator seeded by ``autograd.manual_seed``."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    keep = generator().random(input.shape, dtype=np.float32) >= p
    # p == 1 drops everything (0 / 0 would be nan); otherwise scale the survivors.
    mask = keep.astype(input.dtype) * (0.0 if p == 1.0 else 1.0 / (1.0 - p))
    return input.mul_(mask) if inplace else input * mask


# ---- normalization ------------------------------------------------------------------

class Normalize(Op):
    """xhat = (x - mean) / sqrt(var + eps) over `axes` (biased variance), the core of
    layer_norm and batch_norm;  dx = rstd (g - mean(g) - xhat mean(g xhat)) with
    rstd = 1 / sqrt(var + eps), means over `axes`.  One node instead of nine, and two
    passes over g in backward instead of a dozen.  `stats`, when a list, receives the
    (mean, var) arrays (batch_norm's running statistics)."""
    name = "Normalize"
    save_output = True

    @staticmethod
    def forward(ctx, x, axes, eps, stats):
        mu = x.mean(axes, keepdims=True)
        xhat = x - mu
        var = np.mean(np.square(xhat), axes, keepdims=True)
        rstd = 1.0 / np.sqrt(var + eps)
        xhat *= rstd
        if stats is not None:
            stats.extend((mu, var))
        ctx.axes, ctx.eps = axes, eps
        ctx.save(rstd)
        return xhat

    @staticmethod
    def backward(ctx, g):
        axes = ctx.axes
        if not STATE.enabled:  # plain backward: NumPy on the saved arrays
            xhat, (rstd,), gd = ctx.output.data, ctx.extra, g.data
            gx = gd - gd.mean(axes, keepdims=True)
            gx -= xhat * np.mean(gd * xhat, axes, keepdims=True)
            gx *= rstd
            return wrap(gx)
        # create_graph: the same formula in Tensor ops recomputed from x, so that the
        # gradient is itself differentiable (rstd and xhat depend on x).
        (x,) = ctx.inputs
        centered = x - mean(x, axes, keepdim=True)
        rstd = (mean(centered * centered, axes, keepdim=True) + ctx.eps) ** -0.5
        xhat = centered * rstd
        return (g - mean(g, axes, keepdim=True) - xhat * mean(g * xhat, axes, keepdim=True)) * rstd


def layer_norm(input: Tensor, normalized_shape: int | Sequence[int], weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalize over the trailing `normalized_shape` dims:
    y = (x - mean) / sqrt(var + eps) * weight + bias (biased variance, like PyTorch)."""
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(ns)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k:]) != ns:
        raise ShapeError(f"layer_norm: given normalized_shape={list(ns)}, expected input with "
                         f"shape [*, {', '.join(map(str, ns))}], but got input of shape "
                         f"{tuple(input.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != ns:
            raise ShapeError(f"layer_norm: {name} of shape {tuple(t.shape)} does not match "
                             f"normalized_shape {ns}")
    check_dtypes("layer_norm", input, {"weight": weight, "bias": bias})
    axes = tuple(range(input.ndim - k, input.ndim))
    out = apply(Normalize, input, axes=axes, eps=eps, stats=None)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalization of input (N, C, *) per channel C.

    Training: normalize with the batch mean and biased variance over (N, *), and (when
    running stats are given) update them in place:
    ``running = (1 - momentum) running + momentum batch_stat``, with the *unbiased*
    batch variance for running_var.  Not training: normalize with the running stats.
    """
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected input of shape (N, C, *), got "
                         f"{tuple(input.shape)}")
    c = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (c,):
            raise ShapeError(f"batch_norm: {name} of shape {tuple(t.shape)} does not match "
                             f"the {c} channels of input {tuple(input.shape)}")
    check_dtypes("batch_norm", input, {"running_mean": running_mean,
                                       "running_var": running_var, "weight": weight,
                                       "bias": bias})
    stat_shape = (1, c) + (1,) * (input.ndim - 2)
    axes = (0,) + tuple(range(2, input.ndim))
    if training:
        n = input.data.size // c
        if n <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when "
                             f"training, got input of shape {tuple(input.shape)}")
        stats: list = []
        out = apply(Normalize, input, axes=axes, eps=eps, stats=stats)
        mu, var = stats
        if running_mean is not None:
            _update_running(running_mean, mu, momentum)
        if running_var is not None:
            _update_running(running_var, var * (n / (n - 1)), momentum)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: running_mean and running_var are required when "
                             "not training")
        inv = (running_var.data.reshape(stat_shape) + eps) ** -0.5
        out = (input - running_mean.data.reshape(stat_shape)) * inv.astype(input.dtype)
    if weight is not None:
        out = out * (weight if input.ndim == 2 else reshape(weight, stat_shape))
    if bias is not None:
        out = out + (bias if input.ndim == 2 else reshape(bias, stat_shape))
    return out


def _update_running(stat: Tensor, batch: np.ndarray, momentum: float) -> None:
    data = stat.data
    data *= 1.0 - momentum
    data += (momentum * batch.reshape(data.shape)).astype(data.dtype, copy=False)
    bump_version(stat)


# ---- embedding and one-hot ----------------------------------------------------------

def _indices(op: str, index: Any) -> np.ndarray:
    idx = index.data if isinstance(index, Tensor) else np.asarray(index)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: expected integer (int64) indices, got dtype {idx.dtype}")
    return idx


def embedding(input: Any, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of `weight` (num_embeddings, dim) at the integer indices `input` (any
    shape), giving (*input.shape, dim).  Repeated indices accumulate their gradients;
    the row `padding_idx` gets none."""
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: max_norm, scale_grad_by_freq and sparse are "
                                  "not supported")
    idx = _indices("embedding", input)
    if weight.ndim != 2:
        raise ShapeError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got "
                         f"shape {tuple(weight.shape)}")
    n = weight.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = idx[(idx < 0) | (idx >= n)].flat[0]
        raise IndexError(f"embedding: index {bad} is out of range for {n} embeddings")
    rows = weight[idx]
    if padding_idx is not None and rows.requires_grad:
        pad_rows = (idx == (padding_idx % n))[..., None]
        if pad_rows.any():
            # Same values; the padding rows' gradient is cut by taking them detached.
            rows = ag.where(pad_rows, rows.detach(), rows)
    return rows


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding: shape (*tensor.shape, num_classes) (num_classes = max + 1
    when -1)."""
    idx = _indices("one_hot", tensor)
    if idx.size and idx.min() < 0:
        raise RuntimeError(f"one_hot: class values must be non-negative, got {idx.min()}")
    if num_classes == -1:
        if not idx.size:
            raise RuntimeError(f"one_hot: can not infer the number of classes from an empty "
                               f"tensor of shape {idx.shape}; pass num_classes")
        num_classes = int(idx.max()) + 1
    elif idx.size and idx.max() >= num_classes:
        raise RuntimeError(f"one_hot: class value {idx.max()} is out of range for "
                           f"num_classes={num_classes}")
    out = np.zeros(idx.shape + (num_classes,), dtype=np.int64)
    np.put_along_axis(out, idx[..., None].astype(np.intp), 1, axis=-1)
    return wrap(out)
