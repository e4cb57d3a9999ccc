"""nn.functional: the stateless layers (see nn/functional/__init__.py).

``linear`` is one fused op (``x @ W^T + b`` and its three gradients side by side):
it is the hot path of every MLP, and one node instead of three (matmul, transpose,
add) saves both Python overhead and a temporary.  ``Normalize`` (x - E[x]) /
sqrt(Var[x] + eps) is the fused core of the two normalizations:

* ``layer_norm``     Normalize over the last dims, then * w + b;
* ``batch_norm``     Normalize per channel over (N, *), * w + b, with running statistics;
* ``group_norm``     Normalize per (sample, group of channels), then * w[c] + b[c];
* ``instance_norm``  Normalize per (sample, channel) over (*), * w[c] + b[c], with
                     running statistics (batch_norm's eval path when not using them).

The others are compositions of autograd ops (gradients and double backward for free):

* ``rms_norm``    x / sqrt(mean(x^2) + eps) * w over the last dims;
* ``dropout``     x * mask / (1 - p), mask ~ Bernoulli(1 - p) (inverted scaling);
* ``embedding``   a row lookup whose gradient scatter-adds, scaled per looked-up row
                  by ``ScaleGrad`` (0 for padding_idx, 1/count for scale_grad_by_freq);
* ``pad``         autograd's pad behind PyTorch's argument checks.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

import autograd as ag
from autograd import Tensor
from autograd.grad_mode import STATE
from autograd.graph import Op, ShapeError, apply
from autograd.ops.inplace import bump_version
from autograd.ops.linalg import matmul
from autograd.ops.reduce import mean
from autograd.ops.shape import reshape, sum_to, transpose
from autograd.random import generator
from autograd.tensor import wrap

__all__ = ["linear", "dropout", "layer_norm", "batch_norm", "group_norm", "instance_norm",
           "rms_norm", "embedding", "one_hot", "pad"]


pad = ag.pad   # (PyTorch's F.pad: autograd's op)


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
    """y = x W^T + b for x (*, in), W (out, in) or (in,) (one output, dropped from the
    shape), b None or broadcastable to y;  dx = g W,  dW = g^T x (leading dims
    flattened),  db = g summed down to b's shape."""
    name = "Linear"

    @staticmethod
    def forward(ctx, x, w, b):
        out = np.matmul(x, w.T)
        if b is not None:
            if type(out) is np.ndarray:
                out += b   # the matmul result is fresh: add the bias in place
            else:          # (1-D x and w: a NumPy scalar)
                out = out + b
        return out

    @staticmethod
    def backward(ctx, g):
        x, w, b = ctx.inputs
        need_x, need_w, need_b = ctx.needs_input_grad
        xd, wd = x._data, w._data
        # Leading dims flattened to an explicit row count: reshape(-1, 0) of an empty
        # array is ambiguous.  A 1-D weight is one output row whose dim y lacks.
        rows = math.prod(xd.shape[:-1])
        one = wd.ndim == 1
        if not STATE.enabled:
            # Plain backward (create_graph=False): nothing is recorded, so compute the
            # same three products with NumPy directly and skip the per-op overhead
            # (this is the hot path of every MLP).  With create_graph the Tensor-op
            # path below runs instead, which is itself differentiable.
            gd = g._data
            if one:
                gd, wd = gd[..., None], wd[None]
            g2 = gd.reshape(rows, gd.shape[-1])
            gw = gb = None
            if need_w:
                gw = g2.T @ xd.reshape(rows, xd.shape[-1])
                gw = wrap(gw.reshape(w._data.shape) if one else gw)
            if need_b:
                gb = (wrap(np.add.reduce(g2, axis=0)) if b._data.shape == wd.shape[:1]
                      else sum_to(g, b.shape))
            return wrap(gd @ wd) if need_x else None, gw, gb
        g1, w2 = g, w
        if one:
            g1, w2 = reshape(g, g.shape + (1,)), reshape(w, (1,) + w.shape)
        gx = matmul(g1, w2) if need_x else None
        gw = gb = None
        if need_w:
            g2 = g1 if g1.ndim == 2 else reshape(g1, (rows, g1.shape[-1]))
            x2 = x if x.ndim == 2 else reshape(x, (rows, x.shape[-1]))
            gw = matmul(transpose(g2, 0, 1), x2)
            if one:
                gw = reshape(gw, w.shape)
        if need_b:
            gb = sum_to(g, b.shape)
        return gx, gw, gb


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = input @ weight^T + bias, with PyTorch's layout: input (*, in_features),
    weight (out_features, in_features) or (in_features,) (y then lacks the feature
    dim), bias (out_features,) or anything broadcastable to y."""
    input = _as_tensor(input)
    x, w = input._data, weight._data
    xs, ws = x.shape, w.shape
    if not xs or len(ws) not in (1, 2) or xs[-1] != ws[-1]:
        raise ShapeError(f"linear: input of shape {xs} cannot be multiplied with weight of "
                         f"shape {ws} (expected input (*, in_features) and weight "
                         f"(out_features, in_features) or (in_features,))")
    if bias is not None and (len(ws) == 1 or bias._data.shape != ws[:1]):
        ys, bs = xs[:-1] + ws[:-1], bias._data.shape
        if len(bs) > len(ys) or any(m != n and m != 1 for m, n in zip(bs[::-1], ys[::-1])):
            raise ShapeError(f"linear: bias of shape {bs} does not broadcast to the output "
                             f"shape {ys} (input {xs}, weight {ws})")
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


def _trailing_axes(op: str, input: Tensor, normalized_shape: int | Sequence[int],
                   params: dict) -> tuple:
    """The trailing axes that `normalized_shape` names, after checking that the input
    ends with it and that the parameters in `params` (name -> Tensor or None) have it."""
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(ns)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k:]) != ns:
        raise ShapeError(f"{op}: given normalized_shape={list(ns)}, expected input with "
                         f"shape [*, {', '.join(map(str, ns))}], but got input of shape "
                         f"{tuple(input.shape)}")
    for name, t in params.items():
        if t is not None and tuple(t.shape) != ns:
            raise ShapeError(f"{op}: {name} of shape {tuple(t.shape)} does not match "
                             f"normalized_shape {ns}")
    check_dtypes(op, input, params)
    return tuple(range(input.ndim - k, input.ndim))


def layer_norm(input: Tensor, normalized_shape: int | Sequence[int], weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalize over the trailing `normalized_shape` dims:
    y = (x - mean) / sqrt(var + eps) * weight + bias (biased variance, like PyTorch)."""
    axes = _trailing_axes("layer_norm", input, normalized_shape, {"weight": weight, "bias": bias})
    out = apply(Normalize, input, axes=axes, eps=eps, stats=None)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def rms_norm(input: Tensor, normalized_shape: int | Sequence[int], weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """Root-mean-square normalization over the trailing `normalized_shape` dims:
    y = x / sqrt(mean(x^2) + eps) * weight.  eps=None is the machine epsilon of the
    computation type, as in PyTorch: float64's for float64 input, float32's otherwise."""
    axes = _trailing_axes("rms_norm", input, normalized_shape, {"weight": weight})
    if eps is None:
        eps = float(np.finfo(np.float64 if input.dtype == np.float64 else np.float32).eps)
    out = input * (mean(input * input, axes, keepdim=True) + eps) ** -0.5
    return out if weight is None else out * weight


def _channel_shape(x: Tensor) -> tuple:
    """(1, C, 1, ...): a per-channel vector's shape against x (N, C, *)."""
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def _check_channels(op: str, input: Tensor, tensors: dict) -> None:
    """Check that input is (N, C, *) and each tensor in `tensors` (name -> Tensor or
    None) is None or (C,) of input's dtype."""
    if input.ndim < 2:
        raise ValueError(f"{op}: expected input of shape (N, C, *), got "
                         f"{tuple(input.shape)}")
    c = input.shape[1]
    for name, t in tensors.items():
        if t is not None and tuple(t.shape) != (c,):
            raise ShapeError(f"{op}: {name} of shape {tuple(t.shape)} does not match "
                             f"the {c} channels of input {tuple(input.shape)}")
    check_dtypes(op, input, tensors)


def _channel_affine(out: Tensor, weight: Tensor | None, bias: Tensor | None) -> Tensor:
    """out (N, C, *) * weight[c] + bias[c] (either may be None)."""
    shape = _channel_shape(out)
    if weight is not None:
        out = out * (weight if out.ndim == 2 else reshape(weight, shape))
    if bias is not None:
        out = out + (bias if out.ndim == 2 else reshape(bias, shape))
    return out


def _check_pair(op: str, running_mean: Tensor | None, running_var: Tensor | None) -> None:
    if (running_mean is None) != (running_var is None):
        raise ValueError(f"{op}: running_mean and running_var must either both be "
                         f"None or neither be None, got running_mean="
                         f"{_shape_or_none(running_mean)}, running_var="
                         f"{_shape_or_none(running_var)}")


def _with_running_stats(op: str, when: str, input: Tensor, running_mean: Tensor | None,
                        running_var: Tensor | None, eps: float) -> Tensor:
    """(x - running_mean[c]) / sqrt(running_var[c] + eps): the statistics are state, not
    inputs, so they get no gradient.  `when` completes the error for missing ones."""
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is None:
            raise RuntimeError(f"{op}: {name} must be defined {when}")
    shape = _channel_shape(input)
    inv = (running_var.data.reshape(shape) + eps) ** -0.5
    return (input - running_mean.data.reshape(shape)) * inv.astype(input.dtype)


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalization of input (N, C, *) per channel C.

    Training: normalize with the batch mean and biased variance over (N, *), and (when
    running stats are given) update them in place:
    ``running = (1 - momentum) running + momentum batch_stat``, with the *unbiased*
    batch variance for running_var.  Not training: normalize with the running stats.
    """
    _check_channels("batch_norm", input, {
        "running_mean": running_mean, "running_var": running_var, "weight": weight,
        "bias": bias})
    if not training:
        out = _with_running_stats("batch_norm", "in evaluation mode (training=False)", input,
                                  running_mean, running_var, eps)
        return _channel_affine(out, weight, bias)
    _check_pair("batch_norm", running_mean, running_var)
    c = input.shape[1]
    n = input.data.size // c if c else 0
    if n == 1:
        raise ValueError(f"batch_norm: expected more than 1 value per channel when "
                         f"training, got input of shape {tuple(input.shape)}")
    if n == 0:
        # An empty batch (PyTorch): an empty result, no statistics to update.
        out = input * 1.0
    else:
        stats: list = []
        axes = (0,) + tuple(range(2, input.ndim))
        out = apply(Normalize, input, axes=axes, eps=eps, stats=stats)
        mu, var = stats
        if running_mean is not None:
            _update_running(running_mean, mu, momentum)
            _update_running(running_var, var * (n / (n - 1)), momentum)
    return _channel_affine(out, weight, bias)


def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Instance normalization of input (N, C, *): each (sample, channel) normalized
    over its positions, y = (x - mean) / sqrt(var + eps) * weight[c] + bias[c] (biased
    variance).  With `use_input_stats` and running stats given, these are updated in
    place by the batch average of the per-instance statistics,
    ``running = (1 - momentum) running + momentum mean_n(stat)`` (unbiased variances);
    without `use_input_stats`, normalize with the running stats instead (batch_norm's
    eval path)."""
    _check_channels("instance_norm", input, {
        "running_mean": running_mean, "running_var": running_var, "weight": weight,
        "bias": bias})
    if not use_input_stats:
        out = _with_running_stats("instance_norm", "when use_input_stats is False", input,
                                  running_mean, running_var, eps)
        return _channel_affine(out, weight, bias)
    _check_pair("instance_norm", running_mean, running_var)
    n = math.prod(input.shape[2:])
    if n == 1:   # (PyTorch's check; every instance would normalize to 0)
        raise ValueError(f"instance_norm: expected more than 1 spatial element when "
                         f"training, got input of shape {tuple(input.shape)}")
    stats: list = []
    out = apply(Normalize, input, axes=tuple(range(2, input.ndim)), eps=eps, stats=stats)
    if running_mean is not None and input.data.size:
        mu, var = stats
        _update_running(running_mean, mu.mean(0), momentum)
        _update_running(running_var, (var * (n / (n - 1))).mean(0), momentum)
    return _channel_affine(out, weight, bias)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Group normalization of input (N, C, *): the C channels split into `num_groups`
    groups of C / num_groups consecutive channels, each (sample, group) normalized over
    its channels and positions, y = (x - mean) / sqrt(var + eps) * weight[c] + bias[c]
    (biased variance; weight and bias (C,))."""
    if input.ndim < 2:
        raise RuntimeError(f"group_norm: expected at least 2 dimensions for input tensor "
                           f"but received shape {tuple(input.shape)}")
    n, c = input.shape[:2]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(f"group_norm: expected number of channels in input to be "
                           f"divisible by num_groups, but got input of shape "
                           f"{tuple(input.shape)} and num_groups={num_groups}")
    if input.data.size == num_groups:   # (PyTorch's check: one value per group)
        raise ValueError(f"group_norm: expected more than 1 value per channel when "
                         f"training, got input of shape {tuple(input.shape)} and "
                         f"num_groups={num_groups}")
    _check_channels("group_norm", input, {"weight": weight, "bias": bias})
    grouped = reshape(input, (n, num_groups, c // num_groups) + tuple(input.shape[2:]))
    out = apply(Normalize, grouped, axes=tuple(range(2, grouped.ndim)), eps=eps, stats=None)
    return _channel_affine(reshape(out, tuple(input.shape)), weight, bias)


def _shape_or_none(t: Tensor | None) -> Any:
    return None if t is None else f"shape {tuple(t.shape)}"


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


class ScaleGrad(Op):
    """The identity whose backward multiplies the gradient by the constant array
    `scale`: embedding's gradient mask (0 for padding rows, 1 / count for
    scale_grad_by_freq), applied to the looked-up rows before Index's scatter-add."""
    name = "ScaleGrad"
    save_inputs = False

    @staticmethod
    def forward(ctx, x, scale):
        ctx.scale = scale
        return x   # (x is the lookup's fresh result, held by nothing else)

    @staticmethod
    def backward(ctx, g):
        return g * ctx.scale


def check_padding_idx(padding_idx: int | None, n: int) -> int | None:
    """`padding_idx` as a row in [0, n), negative counting from the end; PyTorch asserts."""
    if padding_idx is None:
        return None
    if not -n <= padding_idx < n:
        raise AssertionError(f"Padding_idx must be within num_embeddings: padding_idx="
                             f"{padding_idx} for num_embeddings={n}")
    return padding_idx % n


def embedding(input: Any, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of `weight` (num_embeddings, dim) at the integer indices `input` (any
    shape), giving (*input.shape, dim).  Repeated indices accumulate their gradients;
    the row `padding_idx` gets none.  `max_norm`: first rescale (in place, no grad)
    the looked-up rows whose `norm_type`-norm exceeds it to norm max_norm.
    `scale_grad_by_freq`: divide each row's gradient by its index's count in `input`."""
    if sparse:
        raise NotImplementedError("embedding: sparse=True needs sparse gradients, which do "
                                  "not exist here; use sparse=False")
    idx = _indices("embedding", input)
    if weight.ndim != 2:
        raise ShapeError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got "
                         f"shape {tuple(weight.shape)}")
    n = weight.shape[0]
    padding_idx = check_padding_idx(padding_idx, n)
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = idx[(idx < 0) | (idx >= n)].flat[0]
        raise IndexError(f"embedding: index {bad} is out of range for {n} embeddings")
    if max_norm is not None and idx.size:
        _renorm_rows(weight, np.unique(idx), max_norm, norm_type)
    rows = weight[idx]
    if rows.requires_grad and (padding_idx is not None or scale_grad_by_freq):
        scale = np.ones(idx.shape, dtype=rows.dtype)
        if scale_grad_by_freq:
            _, inverse, counts = np.unique(idx, return_inverse=True, return_counts=True)
            scale /= counts[inverse.reshape(idx.shape)]
        if padding_idx is not None:
            scale[idx == padding_idx] = 0
        rows = apply(ScaleGrad, rows, scale=scale[..., None])
    return rows


def _renorm_rows(weight: Tensor, rows: np.ndarray, max_norm: float, norm_type: float) -> None:
    """PyTorch's embedding_renorm_: scale each of `rows` (unique indices) whose norm
    exceeds max_norm by max_norm / (norm + 1e-7), in place outside the graph."""
    with ag.no_grad():
        sel = weight[rows]
        norms = ag.norm(sel, norm_type, dim=1, keepdim=True)
        over = norms.data > max_norm
        if over.any():
            weight[rows] = ag.where(over, sel * (max_norm / (norms + 1e-7)), sel)


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding: shape (*tensor.shape, num_classes) (num_classes = max + 1
    when -1)."""
    idx = _indices("one_hot", tensor)
    if idx.size and idx.min() < 0:
        raise RuntimeError(f"one_hot: class values must be non-negative, got {idx.min()}")
    if not idx.size and num_classes <= 0:   # (PyTorch's check, 0 and < -1 included)
        raise RuntimeError(f"one_hot: can not infer the number of classes from an empty "
                           f"tensor of shape {idx.shape}; pass num_classes > 0, got "
                           f"{num_classes}")
    if num_classes == -1:
        num_classes = int(idx.max()) + 1
    elif idx.size and idx.max() >= num_classes:
        raise RuntimeError(f"one_hot: class value {idx.max()} is out of range for "
                           f"num_classes={num_classes}")
    out = np.zeros(idx.shape + (num_classes,), dtype=np.int64)
    np.put_along_axis(out, idx[..., None].astype(np.intp), 1, axis=-1)
    return wrap(out)
