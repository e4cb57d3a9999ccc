"""tapegrad's autograd: a define-by-run tape over NumPy with reverse mode to any order.

    >>> import autograd as ag
    >>> x = ag.tensor(2.0, requires_grad=True)
    >>> y = x * x * x
    >>> (g,) = ag.grad(y, x, create_graph=True)   # 3 x^2 = 12
    >>> (h,) = ag.grad(g, x)                        # 6 x = 12
"""
from __future__ import annotations

import sys as _sys

from . import ops as _ops  # noqa: F401  (registers every op on Tensor)
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .creation import (arange, empty, empty_like, eye, full, full_like, linspace, ones,
                       ones_like, rand, rand_like, randint, randn, randn_like, zeros,
                       zeros_like)
from .dtypes import (bool_, float16, float32, float64, get_default_dtype, int32, int64,
                     is_floating_point, set_default_dtype, uint8)
from .engine import backward, grad
from . import functional  # noqa: F401  (autograd.functional.jacobian, ...)
from . import linalg  # noqa: F401  (autograd.linalg.solve, ...: torch.linalg)
from . import checkpoint  # noqa: F401  (autograd.checkpoint.checkpoint: torch.utils.checkpoint)
from .function import Function, once_differentiable
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .check_tape import TapeCheckError, check_tape, record_sites
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .graph import REGISTRY, Node, ShapeError
from .ops.inplace import bump_version
from .ops.elementwise import FrexpResult
from .ops.reduce import AminmaxResult, MaxResult
from .random import manual_seed
from .tensor import Tensor, from_numpy, tensor
from .viz import draw_graph, to_dot

__version__ = "0.1.0"

# Every public op is a module-level function too: autograd.exp(x), autograd.cat([...]).
_this = _sys.modules[__name__]
for _name, _fn in REGISTRY.items():
    if not hasattr(_this, _name):
        setattr(_this, _name, _fn)
del _this, _name, _fn


def __getattr__(name: str) -> object:
    # autograd.testing needs Hypothesis (a test dependency), so it loads on first use
    if name == "testing":
        import importlib
        return importlib.import_module(".testing", __name__)
    raise AttributeError(f"module 'autograd' has no attribute {name!r}")


__all__ = sorted(
    ["to_dot", "draw_graph",
     "Function", "once_differentiable", "gradcheck", "gradgradcheck", "GradcheckError",
     "check_tape", "record_sites", "TapeCheckError",
     "functional", "linalg", "checkpoint",
     "Tensor", "tensor", "from_numpy", "backward", "grad", "no_grad", "enable_grad",
     "set_grad_enabled", "is_grad_enabled", "detect_anomaly", "set_detect_anomaly",
     "is_anomaly_enabled", "manual_seed", "Node", "ShapeError", "MaxResult", "AminmaxResult",
     "FrexpResult", "bump_version",
     "float16", "float32", "float64", "int32", "int64", "uint8", "bool_",
     "set_default_dtype", "get_default_dtype", "is_floating_point",
     "zeros", "ones", "full", "empty", "arange", "linspace", "eye", "rand", "randn",
     "randint", "zeros_like", "ones_like", "full_like", "empty_like", "rand_like",
     "randn_like"] + list(REGISTRY))
