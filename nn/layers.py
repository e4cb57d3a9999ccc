"""Layers: Linear, Bilinear, Dense (Keras style), Dropout, LayerNorm, RMSNorm, GroupNorm,
BatchNorm1d/2d/3d, InstanceNorm1d/2d/3d, LocalResponseNorm, Embedding, EmbeddingBag, Flatten,
Unflatten.

Parameter names, shapes, layouts and default initializations are PyTorch's, so a
state_dict moves between the two (Dense's weight is laid out like Linear's).  Each
layer's forward calls its `nn.functional` form; a bad input raises an error naming
the layer (its repr) and the shapes.
"""
from __future__ import annotations

import math
import warnings
from typing import Any, Callable, Sequence

import numpy as np

import autograd as ag
from autograd import Tensor
from autograd.graph import ShapeError

from . import functional as F
from . import init
from .functional.layers import check_padding_idx, refuse_sparse
from .module import Module, Parameter, factory_dtype

__all__ = ["Linear", "Dense", "Dropout", "LayerNorm", "RMSNorm", "GroupNorm", "BatchNorm1d",
           "BatchNorm2d", "InstanceNorm1d", "InstanceNorm2d", "Embedding", "Flatten", "Unflatten",
           "Bilinear", "LocalResponseNorm", "EmbeddingBag", "BatchNorm3d", "InstanceNorm3d"]


def _feature_error(layer: Module, expected: str, input: Any) -> ShapeError:
    return ShapeError(f"{layer!r}: expected input {expected}, got input of shape "
                      f"{tuple(np.shape(input))}")


def _normalized_shape(normalized_shape: int | Sequence[int]) -> tuple:
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    return tuple(int(n) for n in ns)


def _check_trailing(layer: Module, input: Any) -> None:
    """The input of a layer normalizing over its trailing `normalized_shape` ends with it."""
    ns, nd = layer.normalized_shape, np.ndim(input)
    if nd < len(ns) or tuple(np.shape(input)[nd - len(ns):]) != ns:
        raise _feature_error(layer, f"(*, {', '.join(map(str, ns))})", input)


# ---- dense layers ---------------------------------------------------------------------

class Linear(Module):
    """y = x W^T + b for x (*, in_features).

    weight (out_features, in_features) ~ U(-1/sqrt(in), 1/sqrt(in)) (PyTorch's
    kaiming_uniform_ with a = sqrt(5)); bias (out_features,) ~ the same range.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.in_features, self.out_features = int(in_features), int(out_features)
        dt = factory_dtype("Linear", device, dtype)
        self.weight = Parameter(np.empty((self.out_features, self.in_features), dtype=dt))
        if bias:
            self.bias = Parameter(np.empty(self.out_features, dtype=dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default initialization (see the class docstring)."""
        init.default_layer_init_(self.weight, self.bias)

    def forward(self, input: Tensor) -> Tensor:
        shape = input._data.shape if isinstance(input, Tensor) else np.shape(input)
        if not shape or shape[-1] != self.in_features:
            raise _feature_error(self, f"(*, {self.in_features})", input)
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")



class Bilinear(Module):
    """y = x1^T A x2 + b per output: y_o = sum_ij x1_i W_oij x2_j + b_o for x1 (*, in1),
    x2 (*, in2).  weight (out_features, in1_features, in2_features) and bias
    (out_features,) ~ U(-1/sqrt(in1), 1/sqrt(in1)), PyTorch's default."""

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.in1_features, self.in2_features = int(in1_features), int(in2_features)
        self.out_features = int(out_features)
        dt = factory_dtype("Bilinear", device, dtype)
        self.weight = Parameter(np.empty((self.out_features, self.in1_features,
                                          self.in2_features), dtype=dt))
        if bias:
            self.bias = Parameter(np.empty(self.out_features, dtype=dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """weight and bias ~ U(-1/sqrt(in1_features), 1/sqrt(in1_features))."""
        if self.in1_features <= 0:
            raise ValueError(f"Bilinear: in1_features must be > 0, but got "
                             f"(in1_features={self.in1_features})")
        bound = 1 / math.sqrt(self.in1_features)
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")

# Activations by the names Keras uses, looked up in nn.functional when called (then in
# autograd's ops, e.g. "exp"); softmax-like ones act over the last dim.
_SOFTMAX_LIKE = {"softmax", "log_softmax"}
_ALIASES = {"swish": "silu", "exponential": "exp"}


def _activation(name: str) -> Callable[[Tensor], Tensor]:
    name = _ALIASES.get(name, name)
    fn = getattr(F, name, None) or getattr(ag, name, None)
    if not callable(fn):
        raise ValueError(f"Dense: unknown activation {name!r}")
    if name in _SOFTMAX_LIKE:
        return lambda x: fn(x, dim=-1)
    return fn


class Dense(Module):
    """Keras-style dense layer: ``activation(x W^T + b)`` with `units` outputs.

    The in-features are inferred from the input at the first call (or given as
    `input_dim`); until then the layer has no parameters, so build it (call it once,
    or pass `input_dim`) before handing ``parameters()`` to an optimizer.  Parameters
    are named and laid out like Linear's: ``weight`` (units, in), ``bias`` (units,);
    initialization is Keras' (Glorot uniform weight, zero bias).  `activation` is None
    or "linear" (identity), a name from nn.functional ("relu", "sigmoid", "tanh",
    "softmax" over the last dim, ...), or any callable.  Floating inputs of another
    dtype are cast to the layer's (Keras' autocasting), so float64 NumPy data works.
    """

    def __init__(self, units: int, activation: str | Callable | None = None,
                 use_bias: bool = True, input_dim: int | None = None, dtype: Any = None) -> None:
        super().__init__()
        if int(units) <= 0:
            raise ValueError(f"Dense: units must be a positive integer, got {units!r}")
        if activation is not None and not callable(activation) and not isinstance(activation, str):
            raise TypeError(f"Dense: activation must be a name or a callable, got "
                            f"{type(activation).__name__}")
        if isinstance(activation, str) and activation != "linear":
            _activation(activation)  # fail now on a typo, not at the first call
        self.units, self.activation, self.use_bias = int(units), activation, use_bias
        self.in_features: int | None = None
        self._dtype = factory_dtype("Dense", None, dtype)
        self.register_parameter("weight", None)
        self.register_parameter("bias", None)
        if input_dim is not None:
            self.build(int(input_dim))

    def build(self, in_features: int) -> None:
        """Create the parameters for `in_features` inputs."""
        self.in_features = in_features
        self.weight = Parameter(np.empty((self.units, in_features), dtype=self._dtype))
        init.xavier_uniform_(self.weight)
        if self.use_bias:
            self.bias = Parameter(np.zeros(self.units, dtype=self._dtype))

    def _materialize(self, state_dict: dict, prefix: str) -> None:
        # Loading a state_dict into an unbuilt layer builds it from the weight's shape.
        w = state_dict.get(prefix + "weight")
        if self.in_features is None and w is not None and np.ndim(w) == 2:
            self.build(int(np.shape(w)[1]))

    def forward(self, input: Tensor) -> Tensor:
        if not isinstance(input, Tensor):
            input = ag.tensor(input)
        if input.ndim == 0:
            raise _feature_error(self, "(*, in_features)", input)
        if self.in_features is None:
            self.build(int(input.shape[-1]))
        elif input.shape[-1] != self.in_features:
            raise _feature_error(self, f"(*, {self.in_features})", input)
        if input.dtype != self.weight.dtype and input.dtype.kind in "fiub":
            input = input.to(self.weight.dtype)
        out = F.linear(input, self.weight, self.bias)
        act = self.activation
        if act is None or act == "linear":
            return out
        return _activation(act)(out) if isinstance(act, str) else act(out)

    def extra_repr(self) -> str:
        act = self.activation if isinstance(self.activation, str) or self.activation is None \
            else getattr(self.activation, "__name__", repr(self.activation))
        return (f"units={self.units}, in_features={self.in_features}, activation={act}, "
                f"use_bias={self.use_bias}")


class Flatten(Module):
    """Flatten dims start_dim..end_dim (default: all but the batch dim)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input: Tensor) -> Tensor:
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dimension `dim` (negative counts from the end) of the input into
    `unflattened_size` (a tuple or list of ints, one of them -1 to infer it)."""

    def __init__(self, dim: int, unflattened_size: Sequence[int]) -> None:
        super().__init__()
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
            raise TypeError(f"Unflatten: dim must be an int (named dims do not exist here), "
                            f"got {dim!r}")
        if not isinstance(unflattened_size, (tuple, list)):
            raise TypeError(f"Unflatten: unflattened_size must be a tuple of ints, but found "
                            f"type {type(unflattened_size).__name__}")
        for i, n in enumerate(unflattened_size):
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
                raise TypeError(f"Unflatten: unflattened_size must be tuple of ints, but found "
                                f"element of type {type(n).__name__} at pos {i}")
        self.dim, self.unflattened_size = dim, unflattened_size

    def forward(self, input: Tensor) -> Tensor:
        shape = tuple(input.shape)
        n = len(shape)
        if not n:
            raise RuntimeError(f"{self!r}: a 0-d input has no dimension to unflatten")
        if not -n <= self.dim < n:
            raise IndexError(f"{self!r}: dimension out of range (expected to be in range of "
                             f"[{-n}, {n - 1}], but got {self.dim}) for input of shape {shape}")
        d = self.dim % n
        size = shape[d]
        sizes = tuple(int(k) for k in self.unflattened_size)
        known = math.prod(k for k in sizes if k != -1)
        if not sizes or sizes.count(-1) > 1 or any(k < -1 for k in sizes) or (
                known != size if -1 not in sizes else not known or size % known):
            raise RuntimeError(f"{self!r}: sizes {list(sizes)} (non-empty, at most one -1) "
                               f"don't multiply up to the size of dim {self.dim} ({size}) of "
                               f"input of shape {shape}")
        return input.reshape(shape[:d] + sizes + shape[d + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class Dropout(Module):
    """In training, zero each element with probability p and scale the others by
    1/(1-p); the identity in eval mode."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = float(p), inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


# ---- normalization --------------------------------------------------------------------

class _Norm(Module):
    """A normalization layer: its optional ``weight`` starts at ones, ``bias`` at zeros."""

    def reset_parameters(self) -> None:
        """weight = 1, bias = 0 (those the layer has)."""
        if self.weight is not None:
            init.ones_(self.weight)
        if getattr(self, "bias", None) is not None:
            init.zeros_(self.bias)


class LayerNorm(_Norm):
    """Normalize over the trailing `normalized_shape` dims, then scale by ``weight``
    (ones) and shift by ``bias`` (zeros) when `elementwise_affine`."""

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        self.normalized_shape = _normalized_shape(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        dt = factory_dtype("LayerNorm", device, dtype)
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype=dt))
            if bias:
                self.bias = Parameter(np.zeros(self.normalized_shape, dtype=dt))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, input: Tensor) -> Tensor:
        _check_trailing(self, input)
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class RMSNorm(_Norm):
    """y = x / sqrt(mean(x^2) + eps) * weight over the trailing `normalized_shape` dims,
    ``weight`` (ones) when `elementwise_affine`.  eps=None: the machine epsilon of the
    input's computation type (float64's for float64, float32's otherwise)."""

    def __init__(self, normalized_shape: int | Sequence[int], eps: float | None = None,
                 elementwise_affine: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.normalized_shape = _normalized_shape(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        dt = factory_dtype("RMSNorm", device, dtype)
        self.register_parameter("weight", Parameter(np.ones(self.normalized_shape, dtype=dt))
                                if elementwise_affine else None)

    def forward(self, input: Tensor) -> Tensor:
        _check_trailing(self, input)
        return F.rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class GroupNorm(_Norm):
    """Group normalization of (N, C, *) input: the C = `num_channels` channels split into
    `num_groups` groups, each (sample, group) normalized over its channels and positions
    in training and eval alike, y = (x - mean) / sqrt(var + eps) * weight[c] + bias[c]
    with ``weight`` (ones) and ``bias`` (zeros) of shape (C,) when `affine`."""

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, device: Any = None, dtype: Any = None, *,
                 bias: bool = True) -> None:
        super().__init__()
        if num_groups <= 0 or num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by "
                             f"num_groups ({num_groups})")
        self.num_groups, self.num_channels = int(num_groups), int(num_channels)
        self.eps, self.affine = eps, affine
        dt = factory_dtype("GroupNorm", device, dtype)
        c = self.num_channels
        self.register_parameter("weight", Parameter(np.ones(c, dtype=dt)) if affine else None)
        self.register_parameter("bias", Parameter(np.zeros(c, dtype=dt))
                                if affine and bias else None)

    def forward(self, input: Tensor) -> Tensor:
        # Without affine parameters PyTorch accepts any channel count the groups divide.
        if self.affine and (np.ndim(input) < 2 or np.shape(input)[1] != self.num_channels):
            raise _feature_error(self, f"(N, {self.num_channels}, *)", input)
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, "
                f"affine={self.affine}, bias={self.bias is not None}")


class _BatchNorm(_Norm):
    """Batch normalization over (N, C, *) per channel (shared by BatchNorm1d/2d/3d).

    Training: normalize with the batch statistics and update ``running_mean`` and
    ``running_var`` (unbiased) by `momentum`, or by the cumulative average when
    momentum is None; ``num_batches_tracked`` counts the updates.  Eval: normalize
    with the running statistics, or with the batch's when not `track_running_stats`.
    """

    _dims: tuple = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device: Any = None,
                 dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__()
        self.num_features, self.eps, self.momentum = int(num_features), eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.use_bias = affine and bias   # PyTorch >= 2.10: affine with bias=False
        dt = factory_dtype(type(self).__name__, device, dtype)
        c = self.num_features
        self.register_parameter("weight", Parameter(np.ones(c, dtype=dt)) if affine else None)
        self.register_parameter("bias", Parameter(np.zeros(c, dtype=dt))
                                if self.use_bias else None)
        if track_running_stats:
            self.register_buffer("running_mean", ag.zeros(c, dtype=dt))
            self.register_buffer("running_var", ag.ones(c, dtype=dt))
            self.register_buffer("num_batches_tracked", ag.tensor(0, dtype=ag.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        """running_mean = 0, running_var = 1, num_batches_tracked = 0."""
        if self.track_running_stats:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)
            init.zeros_(self.num_batches_tracked)

    def reset_parameters(self) -> None:
        """Reset the running statistics, weight = 1 and bias = 0."""
        self.reset_running_stats()
        super().reset_parameters()

    def _upgrade_state_dict(self, state_dict: dict, prefix: str, version: int | None) -> None:
        # State dicts without version metadata (or before PyTorch's version 2, which
        # added num_batches_tracked) load with the current count, as in PyTorch.
        key = prefix + "num_batches_tracked"
        if (version is None or version < 2) and self.track_running_stats \
                and key not in state_dict:
            state_dict[key] = self.num_batches_tracked

    def forward(self, input: Tensor) -> Tensor:
        shape = np.shape(input)
        if len(shape) not in self._dims:
            dims = " or ".join(f"{d}D" for d in self._dims)
            raise ValueError(f"{self!r}: expected {dims} input, got {len(shape)}D input of "
                             f"shape {tuple(shape)}")
        if shape[1] != self.num_features:
            raise _feature_error(self, f"with {self.num_features} channels in dim 1", input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
            ag.bump_version(self.num_batches_tracked)
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked.data)
        use_batch_stats = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if track else None,
                            self.running_var if track else None, self.weight, self.bias,
                            use_batch_stats, factor, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.use_bias}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) input (see _BatchNorm)."""
    _dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) input (see _BatchNorm)."""
    _dims = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch normalization of (N, C, D, H, W) input (see _BatchNorm)."""
    _dims = (5,)


class _InstanceNorm(_BatchNorm):
    """Instance normalization of (N, C, *) input, or unbatched (C, *): each (sample,
    channel) normalized over its positions, y = (x - mean) / sqrt(var + eps) *
    weight[c] + bias[c].  The parameters, buffers and state_dict keys are
    BatchNorm's (PyTorch's _NormBase), but off by default (affine=False,
    track_running_stats=False).  With tracked statistics, training updates
    ``running_mean``/``running_var`` by the batch average of the per-instance statistics
    and eval normalizes with them; ``num_batches_tracked`` is kept but never counted, and
    momentum=None means no update, as in PyTorch.  `_dims[0]` is the unbatched rank."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = False, track_running_stats: bool = False, device: Any = None,
                 dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)

    def forward(self, input: Tensor) -> Tensor:
        nd = np.ndim(input)
        if nd not in self._dims:
            raise ValueError(f"{self!r}: expected {self._dims[0]}D or {self._dims[1]}D input, "
                             f"got {nd}D input of shape {tuple(np.shape(input))}")
        unbatched = nd == self._dims[0]
        dim = 0 if unbatched else 1
        if np.shape(input)[dim] != self.num_features:
            if self.affine:
                raise _feature_error(self, f"with {self.num_features} channels in dim {dim}",
                                     input)
            warnings.warn(f"{self!r}: input's size at dim={dim} does not match num_features "
                          f"({self.num_features}), which is not used because affine=False",
                          stacklevel=2)
        x = input.unsqueeze(0) if unbatched else input
        out = F.instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                              self.training or not self.track_running_stats,
                              0.0 if self.momentum is None else self.momentum, self.eps)
        return out.squeeze(0) if unbatched else out


class InstanceNorm1d(_InstanceNorm):
    """Instance normalization of (N, C, L) or unbatched (C, L) input (see _InstanceNorm)."""
    _dims = (2, 3)


class InstanceNorm2d(_InstanceNorm):
    """Instance normalization of (N, C, H, W) or unbatched (C, H, W) input (see
    _InstanceNorm)."""
    _dims = (3, 4)


class InstanceNorm3d(_InstanceNorm):
    """Instance normalization of (N, C, D, H, W) or unbatched (C, D, H, W) input (see
    _InstanceNorm)."""
    _dims = (4, 5)


class LocalResponseNorm(Module):
    """Normalize each element by the squares of its neighbours across channels:
    y_c = x_c / (k + alpha / size * sum_{c'} x_{c'}^2)^beta over `size` channels around
    c (see F.local_response_norm), for (N, C, *) input of 3 or more dims."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75,
                 k: float = 1.0) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input: Tensor) -> Tensor:
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


# ---- embedding ------------------------------------------------------------------------

class _EmbeddingTable(Module):
    """Embedding's and EmbeddingBag's table and options: ``weight`` (num_embeddings,
    embedding_dim) ~ N(0, 1) with the row `padding_idx` zero, or the given `_weight`."""

    def _init_table(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None,
                    max_norm: float | None, norm_type: float, scale_grad_by_freq: bool,
                    sparse: bool, _weight: Tensor | None, _freeze: bool, device: Any,
                    dtype: Any) -> None:
        layer = type(self).__name__
        if sparse:
            refuse_sparse(layer)
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        self.padding_idx = check_padding_idx(padding_idx, self.num_embeddings)
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        if _weight is None:
            dt = factory_dtype(layer, device, dtype)
            self.weight = Parameter(np.empty((self.num_embeddings, self.embedding_dim), dt),
                                    requires_grad=not _freeze)
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (self.num_embeddings, self.embedding_dim):
                raise ShapeError(f"{layer}: _weight of shape {tuple(_weight.shape)} does not "
                                 f"match ({self.num_embeddings}, {self.embedding_dim})")
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self) -> None:
        """weight ~ N(0, 1), the padding row zero."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0

    @classmethod
    def from_pretrained(cls, embeddings: Tensor, freeze: bool = True,
                        padding_idx: int | None = None, **kwargs: Any) -> _EmbeddingTable:
        """A layer holding (a copy of) the 2-D `embeddings`; frozen by default."""
        if embeddings.ndim != 2:
            raise ValueError(f"{cls.__name__}.from_pretrained: embeddings must be 2-D, got "
                             f"shape {tuple(embeddings.shape)}")
        rows, dim = embeddings.shape
        data = np.array(embeddings.data if isinstance(embeddings, Tensor) else embeddings)
        layer = cls(rows, dim, padding_idx=padding_idx, _weight=ag.tensor(data), **kwargs)
        layer.weight.requires_grad_(not freeze)
        return layer


class Embedding(_EmbeddingTable):
    """A lookup table: integer indices (any shape) -> rows of ``weight``
    (num_embeddings, embedding_dim) ~ N(0, 1).  The row `padding_idx` starts at zero
    and gets no gradient; `max_norm`, `norm_type` and `scale_grad_by_freq` act as in
    F.embedding."""

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, sparse: bool = False,
                 _weight: Tensor | None = None, _freeze: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        self._init_table(num_embeddings, embedding_dim, padding_idx, max_norm, norm_type,
                         scale_grad_by_freq, sparse, _weight, _freeze, device, dtype)

    def forward(self, input: Any) -> Tensor:
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                           self.scale_grad_by_freq, self.sparse)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            s += ", scale_grad_by_freq=True"
        return s


class EmbeddingBag(_EmbeddingTable):
    """Sums, means or maxima (`mode`) of bags of embedding rows, without the per-index
    rows as an intermediate result: ``bag(input, offsets=None, per_sample_weights=None)``
    gives (B, embedding_dim) for a 2-D input (B fixed-length bags) or a 1-D input cut at
    `offsets`.  ``weight`` (num_embeddings, embedding_dim) ~ N(0, 1) with the row
    `padding_idx` zero; entries equal to `padding_idx` are skipped.  The other options
    act as in F.embedding_bag."""

    def __init__(self, num_embeddings: int, embedding_dim: int, max_norm: float | None = None,
                 norm_type: float = 2.0, scale_grad_by_freq: bool = False, mode: str = "mean",
                 sparse: bool = False, _weight: Tensor | None = None,
                 include_last_offset: bool = False, padding_idx: int | None = None,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        if mode not in ("sum", "mean", "max"):
            raise ValueError(f"EmbeddingBag: mode has to be one of sum, mean or max, got "
                             f"{mode!r}")
        self._init_table(num_embeddings, embedding_dim, padding_idx, max_norm, norm_type,
                         scale_grad_by_freq, sparse, _weight, False, device, dtype)
        self.mode, self.include_last_offset = mode, include_last_offset

    def forward(self, input: Any, offsets: Any = None,
                per_sample_weights: Tensor | None = None) -> Tensor:
        return F.embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type,
                               self.scale_grad_by_freq, self.mode, self.sparse,
                               per_sample_weights, self.include_last_offset, self.padding_idx)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            s += ", scale_grad_by_freq=True"
        s += f", mode={self.mode!r}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s
