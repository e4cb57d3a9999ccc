"""dtype conversion and copying: to/astype/float/double/half/long/int/bool, clone."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..graph import Op, apply, register
from ..tensor import Tensor, check_device, is_device_name


class Cast(Op):
    """Convert the dtype; the gradient is converted back (float to float only)."""
    name = "Cast"
    save_inputs = False

    @staticmethod
    def forward(ctx, x, dtype):
        ctx.in_dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return apply(Cast, g, dtype=ctx.in_dtype)


@register("to", "astype", "type")
def to(input: Tensor, dtype: Any = None, *args: Any, copy: bool = False,
       **kwargs: Any) -> Tensor:
    """A tensor of `dtype` (the same tensor if it already is, unless `copy`).  A device
    ("cpu", positionally or as ``device=``) is accepted, so PyTorch code keeps working;
    any other device raises."""
    if isinstance(dtype, Tensor):
        dtype = dtype.dtype
    check_device("to", kwargs.pop("device", None))
    if dtype is None or is_device_name(dtype):
        check_device("to", dtype)
        dtype = kwargs.get("dtype", args[0] if args else None)
    if dtype is None or np.dtype(dtype) == input.dtype:
        return clone(input) if copy else input
    return apply(Cast, input, dtype=np.dtype(dtype))


for _name, _dtype in (("float", np.float32), ("double", np.float64), ("half", np.float16),
                      ("long", np.int64), ("int", np.int32), ("bool", np.bool_)):
    setattr(Tensor, _name, (lambda d: lambda self: to(self, d))(_dtype))


class Clone(Op):
    """A copy with its own memory;  the gradient passes through."""
    name = "Clone"
    save_inputs = False

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return g


@register("clone", "copy")
def clone(input: Tensor) -> Tensor:
    """A copy of `input` that is still connected to its graph."""
    return apply(Clone, input)




def _contiguous(self: Tensor) -> Tensor:
    """`self` if its data is C-contiguous, else a contiguous copy (connected to the graph)."""
    return self if self._data.flags.c_contiguous else clone(self)


Tensor.contiguous = _contiguous
Tensor.cpu = lambda self: self
