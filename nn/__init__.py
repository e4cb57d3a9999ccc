"""tapegrad.nn: modules, layers, activations, losses, init, saving and data loading,
built only from autograd ops, with PyTorch's names, layouts and semantics."""
from . import functional  # noqa: F401
from .containers import ModuleDict, ModuleList, Sequential
from .module import Module, Parameter
from . import data, init, utils  # noqa: F401
from .layers import (BatchNorm1d, BatchNorm2d, Dense, Dropout, Embedding, Flatten, LayerNorm,
                     Linear)
from .serialization import load, save

__all__ = ["Module", "Parameter", "Sequential", "ModuleList", "ModuleDict", "functional"]
__all__ += ["Linear", "Dense", "Dropout", "LayerNorm", "BatchNorm1d", "BatchNorm2d", "Embedding",
            "Flatten", "init", "utils", "data", "save", "load"]
