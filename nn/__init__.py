"""tapegrad.nn: modules, layers, activations, losses, init, saving and data loading,
built only from autograd ops, with PyTorch's names, layouts and semantics."""
from . import functional  # noqa: F401
from .containers import ModuleDict, ModuleList, Sequential
from .module import Module, Parameter

__all__ = ["Module", "Parameter", "Sequential", "ModuleList", "ModuleDict", "functional"]
