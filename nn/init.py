"""nn.init: fill parameters in place with PyTorch's initialization schemes.

Every function writes the tensor's data under ``no_grad``, bumps its version counter
(so a graph that saved the old value refuses to backward through it) and returns the
tensor.  Random draws come from the generator seeded by ``autograd.manual_seed``.

Fans (for a weight of shape (out, in, *kernel)): fan_in = in * prod(kernel),
fan_out = out * prod(kernel).
"""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from autograd import Tensor, no_grad
from autograd.ops.inplace import bump_version
from autograd.random import resolve

__all__ = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_",
           "zeros_", "eye_", "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
           "kaiming_normal_", "orthogonal_", "sparse_"]


def _fill(tensor: Tensor, values: Any) -> Tensor:
    """Write `values` into `tensor` in place (cast to its dtype) and bump its version."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"nn.init: expected a Tensor, got {type(tensor).__name__}")
    with no_grad():
        np.copyto(tensor.data, values, casting="unsafe")
    bump_version(tensor)
    return tensor


def _rng(tensor: Tensor, name: str, gen: np.random.Generator | None) -> np.random.Generator:
    """The generator for a random fill of `tensor` (`gen`, else the global one); a
    non-floating tensor raises, as in PyTorch."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"nn.init.{name}: expected a Tensor, got {type(tensor).__name__}")
    if tensor.dtype.kind != "f":
        raise NotImplementedError(f"nn.init.{name}: random fills need a floating tensor, "
                                  f"got dtype {tensor.dtype}")
    return resolve(gen, f"nn.init.{name}")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity: 1 for linear/conv/sigmoid, 5/3 for
    tanh, sqrt(2) for relu, sqrt(2 / (1 + slope^2)) for leaky_relu, 3/4 for selu."""
    if nonlinearity in ("linear", "identity", "sigmoid", "conv1d", "conv2d", "conv3d",
                        "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _fans(tensor: Tensor) -> tuple[int, int]:
    shape = tensor.shape
    if len(shape) < 2:
        raise ValueError(f"nn.init: fan in and fan out can not be computed for a tensor with "
                         f"fewer than 2 dimensions (shape {tuple(shape)})")
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0,
             generator: np.random.Generator | None = None) -> Tensor:
    """Fill with values drawn from U(a, b)."""
    rng = _rng(tensor, "uniform_", generator)
    if a > b:
        raise RuntimeError(f"nn.init.uniform_: expects a [from, to) range, but found "
                           f"from={a} > to={b}")
    return _fill(tensor, rng.uniform(a, b, tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0,
            generator: np.random.Generator | None = None) -> Tensor:
    """Fill with values drawn from N(mean, std^2)."""
    rng = _rng(tensor, "normal_", generator)
    if std < 0:
        raise RuntimeError(f"nn.init.normal_: expects std >= 0.0, but found std {std}")
    return _fill(tensor, rng.normal(mean, std, tensor.shape))


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator: np.random.Generator | None = None) -> Tensor:
    """Fill with values drawn from N(mean, std^2) truncated to [a, b], by rejection:
    normal draws when [a, b] holds more than 30% of the mass, else uniform draws on
    [a, b] accepted with the normal density (PyTorch's two regimes)."""
    rng = _rng(tensor, "trunc_normal_", generator)
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("nn.init.trunc_normal_: mean is more than 2 std from [a, b]; the "
                      "distribution of values may be incorrect.", stacklevel=2)
    cdf = lambda x: (1.0 + math.erf((x - mean) / (std * math.sqrt(2.0)))) / 2.0  # noqa: E731
    out = np.empty(tensor.shape)
    todo = np.ones(tensor.shape, dtype=bool)
    mode = max(a, min(mean, b))
    while todo.any():
        n = int(todo.sum())
        if cdf(b) - cdf(a) > 0.3:
            x = rng.normal(mean, std, n)
            ok = (x >= a) & (x <= b)
        else:
            x = rng.uniform(a, b, n)
            ok = np.log(rng.uniform(size=n)) <= -0.5 * (((x - mean) / std) ** 2
                                                         - ((mode - mean) / std) ** 2)
        idx = np.flatnonzero(todo)[ok]
        out.flat[idx] = x[ok]
        todo.flat[idx] = False
    return _fill(tensor, out)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with `val`."""
    return _fill(tensor, val)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with 1."""
    return _fill(tensor, 1)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0."""
    return _fill(tensor, 0)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity matrix (ones on the main diagonal)."""
    if tensor.ndim != 2:
        raise ValueError(f"nn.init.eye_: only tensors with 2 dimensions are supported "
                         f"(shape {tuple(tensor.shape)})")
    return _fill(tensor, np.eye(*tensor.shape))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fill a 3-, 4- or 5-D convolution weight with the Dirac delta, so that the conv
    passes as many input channels through unchanged as it can (per group)."""
    if tensor.ndim not in (3, 4, 5):
        raise ValueError(f"nn.init.dirac_: only tensors with 3, 4, or 5 dimensions are "
                         f"supported (shape {tuple(tensor.shape)})")
    out_per_group = tensor.shape[0] // groups
    if tensor.shape[0] % groups:
        raise ValueError(f"nn.init.dirac_: dim 0 ({tensor.shape[0]}) must be divisible by "
                         f"groups ({groups})")
    values = np.zeros(tensor.shape)
    centre = tuple(k // 2 for k in tensor.shape[2:])
    for g in range(groups):
        for d in range(min(out_per_group, tensor.shape[1])):
            values[(g * out_per_group + d, d) + centre] = 1
    return _fill(tensor, values)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0,
                    generator: np.random.Generator | None = None) -> Tensor:
    """Glorot uniform: U(-a, a) with a = gain sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(tensor)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0,
                   generator: np.random.Generator | None = None) -> Tensor:
    """Glorot normal: N(0, std^2) with std = gain sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float | None:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"nn.init: mode {mode!r} not supported, use 'fan_in' or 'fan_out'")
    if 0 in tensor.shape:
        warnings.warn("nn.init: initializing a zero-element tensor is a no-op")
        return None
    fan_in, fan_out = _fans(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu",
                     generator: np.random.Generator | None = None) -> Tensor:
    """He uniform: U(-bound, bound) with bound = gain sqrt(3 / fan) (gain from
    `nonlinearity` and its negative slope `a`; fan by `mode`)."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu",
                    generator: np.random.Generator | None = None) -> Tensor:
    """He normal: N(0, std^2) with std = gain / sqrt(fan)."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    return normal_(tensor, 0.0, std, generator)


def default_layer_init_(weight: Tensor, bias: Tensor | None) -> None:
    """PyTorch's default for Linear and Conv layers: kaiming_uniform_(a=sqrt(5)) on the
    weight, and the bias uniform in +-1/sqrt(fan_in)."""
    kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in = _fans(weight)[0]
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        uniform_(bias, -bound, bound)


def orthogonal_(tensor: Tensor, gain: float = 1.0,
                generator: np.random.Generator | None = None) -> Tensor:
    """A (semi-)orthogonal matrix times `gain`, from the QR decomposition of a Gaussian
    matrix (signs fixed by diag(R) so the result is uniformly distributed); dims after
    the first are flattened."""
    rng = _rng(tensor, "orthogonal_", generator)
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_: only tensors with 2 or more dimensions are supported "
                         f"(shape {tuple(tensor.shape)})")
    if tensor.data.size == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.data.size // rows
    flat = rng.standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, (gain * q).reshape(tensor.shape))


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01,
            generator: np.random.Generator | None = None) -> Tensor:
    """Fill a 2-D tensor with N(0, std^2) values, then zero ceil(sparsity * rows)
    randomly chosen elements of each column."""
    rng = _rng(tensor, "sparse_", generator)
    if tensor.ndim != 2:
        raise ValueError(f"nn.init.sparse_: only tensors with 2 dimensions are supported "
                         f"(shape {tuple(tensor.shape)})")
    rows, cols = tensor.shape
    values = rng.normal(0.0, std, (rows, cols))
    zeros = math.ceil(sparsity * rows)
    for c in range(cols):
        values[rng.permutation(rows)[:zeros], c] = 0
    return _fill(tensor, values)
