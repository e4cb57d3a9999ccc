"""nn.save / nn.load: state_dicts as safetensors files.

The safetensors format is a JSON header (names, dtypes, shapes, byte offsets) followed
by raw little-endian tensor bytes: loading parses the header and copies bytes, so no
code in the file is ever executed (unlike pickle).  PyTorch reads our files with
``safetensors.torch.load_file`` and writes files we read with `load`.
"""
from __future__ import annotations

import os
import re
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
    from safetensors import SafetensorError
    from safetensors.numpy import save_file
    path = os.fspath(path)
    try:
        save_file(arrays, path, metadata=metadata)
    except SafetensorError as e:
        # safetensors writes a temp file beside `path` and names that: raise what
        # open(path, "wb") would (FileNotFoundError, IsADirectoryError...) about `path`
        code = re.search(r"os error (\d+)", str(e))
        if code is None:
            raise ValueError(f"nn.save: cannot write {path!r}: {e}") from None
        raise OSError(int(code[1]), f"nn.save: {os.strerror(int(code[1]))}", path) from None


def load(path: str | os.PathLike) -> OrderedDict:
    """Read a safetensors file into an OrderedDict of names -> Tensors (leaves that do
    not require grad), ready for ``module.load_state_dict``.  A path open() cannot read
    raises its OSError (FileNotFoundError, IsADirectoryError...); a truncated or corrupt
    file raises ValueError, one holding bfloat16 or float8 TypeError, naming the path."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file
    path = os.fspath(path)
    try:   # safetensors reports a directory as "No such device": raise what open() would
        open(path, "rb").close()
    except OSError as e:
        raise OSError(e.errno, f"nn.load: {e.strerror}", path) from None
    try:
        arrays = load_file(path)
    except SafetensorError as e:
        raise ValueError(f"nn.load: {path!r} is not a valid safetensors file (truncated or "
                         f"corrupt?): {e}") from None
    except (TypeError, AttributeError):   # a dtype NumPy lacks (bfloat16, float8_*)
        raise TypeError(f"nn.load: {path!r} holds tensors whose dtype NumPy cannot "
                        f"represent: {_foreign_dtypes(path)}; convert them in PyTorch "
                        f"first, e.g. to float32") from None
    return OrderedDict((k, wrap(arrays[k])) for k in sorted(arrays))


# the safetensors dtypes safetensors.numpy maps to NumPy dtypes
_NUMPY_DTYPES = {"F64", "F32", "F16", "I64", "U64", "I32", "U32", "I16", "U16", "I8", "U8",
                 "BOOL", "C64"}


def _foreign_dtypes(path: str) -> str:
    """'name' (DTYPE) for each tensor in the file whose dtype NumPy lacks."""
    from safetensors import safe_open
    with safe_open(path, framework="np") as f:
        dtypes = {k: f.get_slice(k).get_dtype() for k in f.keys()}
    return ", ".join(f"{k!r} ({d})" for k, d in sorted(dtypes.items())
                     if d not in _NUMPY_DTYPES)
