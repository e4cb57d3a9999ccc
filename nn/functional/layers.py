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
* ``embedding_bag`` that lookup summed per bag by index_add (sum, mean), or gathered at
                  each bag's first maximum, found by reduceat (max);
* ``bilinear``    one einsum x1_i W_oij x2_j (+ b);
* ``local_response_norm``  x / (k + alpha * mean of the squares over a channel
                  window)^beta, the window sums one matmul with a band matrix;
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
           "rms_norm", "embedding", "one_hot", "pad", "bilinear", "local_response_norm",
           "embedding_bag"]


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


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y_o = sum_ij x1_i W_oij x2_j + b_o: input1 (*, in1) and input2 (*, in2) with the same
    leading dims (or none), weight (out, in1, in2), bias (out,); one einsum."""
    op = "bilinear"
    input1, input2 = _as_tensor(input1), _as_tensor(input2)
    s1, s2, ws = tuple(input1.shape), tuple(input2.shape), tuple(weight.shape)
    if not s1 or not s2:
        raise IndexError(f"{op}: inputs need a feature dimension, got input1 of shape {s1} "
                         f"and input2 of shape {s2}")
    if len(s1) != len(s2):
        raise RuntimeError(f"{op}: input dimensions do not match: got {len(s1)} (input1 "
                           f"{s1}) and {len(s2)} (input2 {s2})")
    if s1[:-1] != s2[:-1]:
        raise RuntimeError(f"{op}: input batch dimensions do not match: input1 {s1}, "
                           f"input2 {s2}")
    if len(ws) != 3 or (s1[-1], s2[-1]) != ws[1:]:
        raise RuntimeError(f"{op}: input sizes do not match weight size: input1 {s1} and "
                           f"input2 {s2} need weight (out_features, {s1[-1]}, {s2[-1]}), got "
                           f"{ws}")
    if bias is not None and tuple(bias.shape) != ws[:1]:
        raise RuntimeError(f"{op}: bias size does not match weight size: got bias of shape "
                           f"{tuple(bias.shape)}, expected ({ws[0]},)")
    check_dtypes(op, input1, {"input2": input2, "weight": weight, "bias": bias})
    out = ag.einsum("...i,oij,...j->...o", input1, weight, input2)
    return out if bias is None else out + bias


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


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """Local response normalization across channels of input (N, C, *), at least 3-D:
    y_c = x_c / (k + alpha / size * sum_{c'} x_{c'}^2)^beta, the sum over the window
    c - size // 2 <= c' <= c + (size - 1) // 2 (channels outside count as 0, and the
    divisor stays `size`, as in PyTorch).  The window sums are one matmul with a (C, C)
    band matrix."""
    op = "local_response_norm"
    if input.ndim < 3:
        raise ValueError(f"{op}: expected 3D or higher dimensionality input (N, C, *), got "
                         f"{input.ndim} dimensions (shape {tuple(input.shape)})")
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
        raise TypeError(f"{op}: size must be an int, got {size!r}")
    if size <= 0:
        raise RuntimeError(f"{op}: size (the window's channels) must be greater than zero, "
                           f"got {size}")
    if not input.data.size:
        return input
    if input.dtype.kind != "f":
        input = input.to(ag.get_default_dtype())
    n, c = input.shape[:2]
    offset = np.arange(c)[None, :] - np.arange(c)[:, None]        # c' - c
    band = ((offset >= -(size // 2)) & (offset <= (size - 1) // 2)) / size
    square = reshape(input * input, (n, c, -1))
    mean_sq = reshape(matmul(wrap(band.astype(input.dtype)), square), tuple(input.shape))
    return input / (mean_sq * alpha + k) ** beta


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


def refuse_sparse(op: str) -> None:
    """Raise for sparse=True (embedding layers): there are no sparse gradients here."""
    raise NotImplementedError(f"{op}: sparse=True needs sparse gradients, which do not exist "
                              f"here; use sparse=False")


def embedding(input: Any, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of `weight` (num_embeddings, dim) at the integer indices `input` (any
    shape), giving (*input.shape, dim).  Repeated indices accumulate their gradients;
    the row `padding_idx` gets none.  `max_norm`: first rescale (in place, no grad)
    the looked-up rows whose `norm_type`-norm exceeds it to norm max_norm.
    `scale_grad_by_freq`: divide each row's gradient by its index's count in `input`."""
    if sparse:
        refuse_sparse("embedding")
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


_BAG_MODES = ("sum", "mean", "max")


def _bags(op: str, idx: np.ndarray, offsets: Any, include_last_offset: bool) -> tuple:
    """(flat indices (M,), the bag of each (M,), the number of bags B) for a 2-D input (B
    fixed-length bags) or a 1-D input cut at `offsets` (non-decreasing bag starts from 0;
    with `include_last_offset` one more entry, the input's length, CSR style)."""
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError(f"{op}: if input is 2D, then offsets has to be None, as input is "
                             f"treated as a mini-batch of fixed length sequences (input of "
                             f"shape {idx.shape})")
        b, length = idx.shape
        return idx.reshape(-1), np.repeat(np.arange(b), length), b
    if idx.ndim != 1:
        raise ValueError(f"{op}: input has to be 1D or 2D, got shape {idx.shape}")
    if offsets is None:
        raise ValueError(f"{op}: offsets has to be a 1D tensor of bag starts for a 1D input, "
                         f"got None")
    off = _indices(op, offsets).astype(np.int64)
    if off.ndim != 1:
        raise ValueError(f"{op}: offsets has to be a 1D tensor, got shape {off.shape}")
    m = idx.size
    if off.size and off[0] != 0:
        raise RuntimeError(f"{op}: offsets[0] has to be 0, i.e., the first sequence in the "
                           f"mini-batch has to start from position 0; got {off[0]}")
    if (np.diff(off) < 0).any():   # (PyTorch does not check, and misreads them)
        raise RuntimeError(f"{op}: offsets must be non-decreasing, got {off.tolist()}")
    if off.size and off[-1] > m:
        raise RuntimeError(f"{op}: offsets[-1] can not be greater than input's length {m}, "
                           f"got {off[-1]}")
    if include_last_offset:
        if not off.size or off[-1] != m:   # (PyTorch ignores the entry, ending at m anyway)
            raise RuntimeError(f"{op}: with include_last_offset=True, offsets[-1] must be "
                               f"input's length {m}, got offsets {off.tolist()}")
        off = off[:-1]
    sizes = np.diff(np.append(off, m))
    return idx, np.repeat(np.arange(off.size), sizes), off.size


def _first_max(values: np.ndarray, bag: np.ndarray, b: int) -> np.ndarray:
    """(B, D): for each bag and column, the row of `values` (M, D) holding the bag's
    maximum, the first of tied ones (NaN counts as the maximum), or M for an empty bag.
    `bag` (M,) is sorted, so bags are runs and reduceat finds them."""
    m = values.shape[0]
    arg = np.full((b, values.shape[1]), m, dtype=np.int64)
    starts, count = np.searchsorted(bag, np.arange(b)), np.bincount(bag, minlength=b)
    full = count > 0
    if m:
        peak = np.maximum.reduceat(values, starts[full], axis=0)   # (NaN propagates)
        peak = np.repeat(peak, count[full], axis=0)                # back to (M, D)
        hit = (values == peak) | (np.isnan(values) & np.isnan(peak))
        rows = np.where(hit, np.arange(m)[:, None], m)
        arg[full] = np.minimum.reduceat(rows, starts[full], axis=0)
    return arg


def embedding_bag(input: Any, weight: Tensor, offsets: Any = None,
                  max_norm: float | None = None, norm_type: float = 2,
                  scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """Per bag of indices, the sum, mean or max of their rows of `weight` (num_embeddings,
    dim), giving (B, dim), without the (M, dim) lookup surviving as a result.

    Bags: the rows of a 2-D input (B, L), or a 1-D input cut at `offsets` (bag starts;
    `include_last_offset`: CSR-style, with the input's length appended).  Entries equal to
    `padding_idx` are skipped (nor counted by the mean); an empty bag gives zeros.
    `per_sample_weights` (input's shape, mode "sum" only) weigh each row.  "max" is per
    column, its gradient going to the first maximal row (as PyTorch's).  `max_norm`,
    `norm_type` and `scale_grad_by_freq` act as in F.embedding.  Built from a row lookup
    and index_add (sum, mean) or a gather at the maxima found by reduceat (max)."""
    op = "embedding_bag"
    if sparse:
        refuse_sparse(op)
    idx = _indices(op, input)
    if weight.ndim != 2:
        raise ValueError(f"{op}: weight has to be a 2D tensor (num_embeddings, "
                         f"embedding_dim), got shape {tuple(weight.shape)}")
    if mode not in _BAG_MODES:
        raise ValueError(f"{op}: mode has to be one of sum, mean or max, got {mode!r}")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"{op}: per_sample_weights is only supported for "
                                  f"mode='sum', got mode={mode!r}")
    if scale_grad_by_freq and mode == "max":
        raise ValueError(f"{op}: max mode does not support scaling the gradient by the "
                         f"frequency (scale_grad_by_freq=True)")
    flat, bag, b = _bags(op, idx, offsets, include_last_offset)
    n, dim = weight.shape
    if flat.size and (flat.min() < 0 or flat.max() >= n):
        bad = flat[(flat < 0) | (flat >= n)][0]
        raise RuntimeError(f"{op}: expected indices in [0, {n}) (num_embeddings), but found "
                           f"index {bad}")
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise RuntimeError(f"{op}: padding_idx must be within the number of embeddings, "
                               f"{-n} through {n - 1}, but got {padding_idx}")
        padding_idx %= n
    psw = per_sample_weights
    if psw is not None:
        psw = _as_tensor(psw)
        if tuple(psw.shape) != idx.shape:
            raise ValueError(f"{op}: per_sample_weights of shape {tuple(psw.shape)} must have "
                             f"the input's shape {idx.shape}")
        if psw.dtype != weight.dtype:
            raise RuntimeError(f"{op}: per_sample_weights dtype {psw.dtype} differs from "
                               f"weight dtype {weight.dtype}")
        psw = reshape(psw, (-1,))
    if max_norm is not None and flat.size:   # (every looked-up row, the padding row too)
        _renorm_rows(weight, np.unique(flat), max_norm, norm_type)
    if padding_idx is not None:
        keep = flat != padding_idx
        flat, bag = flat[keep], bag[keep]
        psw = None if psw is None else psw[keep]
    rows = embedding(flat, weight, scale_grad_by_freq=scale_grad_by_freq)   # (M, dim)
    if mode == "max":
        arg = _first_max(rows.data, bag, b)
        padded = ag.cat([rows, ag.zeros((1, dim), dtype=rows.dtype)])   # (empty bags' row)
        return padded.gather(0, arg)
    if psw is not None:
        rows = rows * reshape(psw, (-1, 1))
    out = ag.zeros((b, dim), dtype=rows.dtype).index_add(0, bag, rows)
    if mode == "mean":
        count = np.maximum(np.bincount(bag, minlength=b), 1).astype(rows.dtype)
        out = out / count[:, None]
    return out


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
