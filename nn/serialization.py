"""nn.save / nn.load: state_dicts as safetensors files.

The safetensors format is a JSON header (names, dtypes, shapes, byte offsets) followed
by raw little-endian tensor bytes: loading parses the header and copies bytes, so no
code in the file is ever executed (unlike pickle).  PyTorch reads our files with
``safetensors.torch.load_file`` and writes files we read with `load`.
"""
from __future__ import annotations

import os
from collections import OrderedDict
from typing import Any, Mapping

import numpy as np

from autograd import Tensor
from autograd.tensor import wrap

__all__ = ["save", "load"]


def save(state_dict: Mapping[str, Any], path: str | os.PathLike,
         metadata: Mapping[str, str] | None = None) -> None:
    """Write `state_dict` (names -> Tensors or arrays) to `path` in the safetensors
    format; `metadata` is an optional str -> str dict stored in the header."""
    arrays = {}
    for k, v in state_dict.items():
        if not isinstance(k, str):
            raise TypeError(f"nn.save: keys must be strings, got {k!r}")
        if isinstance(v, Tensor):
            v = v.data
        if not isinstance(v, np.ndarray):
            raise TypeError(f"nn.save: value for {k!r} is a {type(v).__name__}; expected a "
                            f"Tensor or ndarray")
        # safetensors stores C-ordered bytes (np.ascontiguousarray would turn 0-d into 1-d)
        arrays[k] = v if v.flags.c_contiguous else v.copy(order="C")
    if metadata is not None:
        metadata = {str(k): str(v) for k, v in metadata.items()}
    from safetensors.numpy import save_file
    save_file(arrays, os.fspath(path), metadata=metadata)


def load(path: str | os.PathLike) -> OrderedDict:
    """Read a safetensors file into an OrderedDict of names -> Tensors (leaves that do
    not require grad), ready for ``module.load_state_dict``.  A missing file raises
    FileNotFoundError; a truncated or corrupt one raises ValueError naming the path."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"nn.load: no such file: {path!r}")
    try:
        arrays = load_file(path)
    except SafetensorError as e:
        raise ValueError(f"nn.load: {path!r} is not a valid safetensors file (truncated or "
                         f"corrupt?): {e}") from None
    except TypeError as e:   # a dtype NumPy lacks, such as PyTorch's bfloat16
        raise TypeError(f"nn.load: {path!r} holds a tensor whose dtype NumPy cannot "
                        f"represent ({e}); convert it in PyTorch first, e.g. to float32") from None
    return OrderedDict((k, wrap(arrays[k])) for k in sorted(arrays))
