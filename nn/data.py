"""nn.data: datasets and mini-batch loading.

`DataLoader` over an array-backed dataset (a `TensorDataset`, a Tensor or an ndarray)
builds each batch with one fancy-indexing call per array, never a Python loop over
samples; other datasets (anything with ``__len__`` and ``__getitem__``) are collated
sample by sample.
"""
from __future__ import annotations

import math
from typing import Any, Iterator, Mapping, Sequence

import numpy as np

from autograd import Tensor, stack
from autograd.random import generator
from autograd.tensor import wrap

__all__ = ["Dataset", "TensorDataset", "DataLoader"]


class Dataset:
    """Base class of map-style datasets: define ``__len__`` and ``__getitem__``."""

    def __len__(self) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def __getitem__(self, index: int) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError


class TensorDataset(Dataset):
    """Samples are the rows (first-dim slices) of the given tensors or arrays, which
    must all have the same length; ``ds[i]`` is a tuple with one entry per tensor."""

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise ValueError("TensorDataset: at least one tensor is required")
        ts = tuple(t if isinstance(t, Tensor) else wrap(np.asarray(t)) for t in tensors)
        shapes = [tuple(t.shape) for t in ts]
        if () in shapes:   # (PyTorch's t.size(0) raises IndexError here)
            raise IndexError(f"TensorDataset: every tensor needs a first dim to index, got "
                             f"shapes {shapes}")
        if len({s[0] for s in shapes}) != 1:
            raise AssertionError(f"TensorDataset: Size mismatch between tensors: first dims "
                                 f"of {shapes} must all be equal")
        self.tensors = ts

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def __getitem__(self, index: Any) -> tuple:
        return tuple(t[index] for t in self.tensors)

    def arrays(self) -> tuple:
        """The underlying ndarrays (what DataLoader indexes)."""
        return tuple(t.data for t in self.tensors)


_COLLATE_TYPES = ("default_collate: batch must contain tensors, numpy arrays, numbers, "
                  "dicts or lists; found {}")


def _collate(samples: Sequence) -> Any:
    """PyTorch's ``default_collate``: stack tensors, arrays and numbers; keep strings as
    the given sequence; recurse into dicts (same type), namedtuples (same type) and
    other tuples/lists (a list of columns)."""
    first = samples[0]
    if isinstance(first, (str, bytes)):
        return samples
    if isinstance(first, Mapping):
        cols = {k: _collate([s[k] for s in samples]) for k in first}
        try:
            return type(first)(cols)
        except TypeError:   # a mapping type that cannot be built from a dict
            return cols
    if isinstance(first, (tuple, list)):
        if any(len(s) != len(first) for s in samples):
            raise RuntimeError(f"default_collate: each element in list of batch should be "
                               f"of equal size, got lengths {[len(s) for s in samples]}")
        cols = [_collate(col) for col in zip(*samples)]
        return type(first)(*cols) if hasattr(first, "_fields") else cols
    if isinstance(first, Tensor):
        if not all(isinstance(s, Tensor) for s in samples):
            bad = next(i for i, s in enumerate(samples) if not isinstance(s, Tensor))
            raise TypeError(f"default_collate: expected Tensor as element {bad} of the batch, "
                            f"but got {type(samples[bad]).__name__}")
        _check_equal_shapes(samples)
        if any(s.requires_grad for s in samples):   # torch.stack keeps the graph
            return stack(samples)
        return wrap(np.stack([s.data for s in samples]))
    if isinstance(first, (np.ndarray, np.bool_, np.number)):
        if first.dtype.kind in "OSUV":   # PyTorch refuses object/string arrays too
            raise TypeError(_COLLATE_TYPES.format(first.dtype))
        _check_equal_shapes(samples)
        return wrap(np.stack(samples))
    if isinstance(first, (int, float)):
        arr = np.asarray(samples)
        if arr.dtype.kind not in "biuf":
            raise TypeError(_COLLATE_TYPES.format(arr.dtype))
        # torch.tensor([1, 2.5]) has the default dtype; a float first gives float64
        return wrap(arr.astype(np.float32) if arr.dtype.kind == "f" and
                    not isinstance(first, float) else arr)
    raise TypeError(_COLLATE_TYPES.format(type(first)))


def _check_equal_shapes(samples: Sequence) -> None:
    shape = np.shape(samples[0])
    for i, s in enumerate(samples):
        if np.shape(s) != shape:
            raise RuntimeError(f"default_collate: stack expects each tensor to be equal "
                               f"size, but got {list(shape)} at entry 0 and "
                               f"{list(np.shape(s))} at entry {i}")


class DataLoader:
    """Iterate over `dataset` in mini-batches of `batch_size`.

    shuffle: a new random order each epoch, from ``np.random.default_rng(seed)`` when
    `seed` is given (so the sequence of epochs is reproducible) and otherwise from the
    generator seeded by ``autograd.manual_seed``.  drop_last: skip a final short batch.
    Batches are lists of Tensors for a TensorDataset (as in PyTorch), a Tensor
    for a Tensor/ndarray dataset, and PyTorch's ``default_collate`` of the samples for
    any other dataset; each batch holds its own copy of the data (rows of a tensor that
    requires grad stay on its graph).  ``batch_size=None`` yields the samples
    themselves, unbatched, as PyTorch does.
    """

    def __init__(self, dataset: Any, batch_size: int | None = 1, shuffle: bool = False,
                 drop_last: bool = False, seed: int | None = None) -> None:
        if batch_size is not None and (not isinstance(batch_size, (int, np.integer))
                                       or isinstance(batch_size, bool) or batch_size <= 0):
            raise ValueError(f"DataLoader: batch_size should be a positive integer, got "
                             f"{batch_size!r} (None disables batching)")
        if batch_size is None and drop_last:
            raise ValueError("DataLoader: batch_size=None disables batching and is mutually "
                             "exclusive with drop_last")
        self.dataset = dataset
        self.batch_size = None if batch_size is None else int(batch_size)
        self.shuffle, self.drop_last, self.seed = shuffle, drop_last, seed
        self._rng = np.random.default_rng(seed) if seed is not None else None

    def _array_backing(self) -> Sequence[np.ndarray | Tensor] | None:
        """What to index in bulk (read per epoch): ndarrays, or the Tensors that require
        grad (so their batches stay on the graph); None for a generic dataset."""
        ds = self.dataset
        if isinstance(ds, TensorDataset):
            return tuple(t if t.requires_grad else t.data for t in ds.tensors)
        if isinstance(ds, Tensor):
            return (ds if ds.requires_grad else ds.data,)
        if isinstance(ds, np.ndarray):
            return (ds,)
        return None

    def __len__(self) -> int:
        n = len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _order(self, n: int) -> np.ndarray | None:
        if not self.shuffle:
            return None
        return (self._rng or generator()).permutation(n)

    def __iter__(self) -> Iterator[Any]:
        n = len(self.dataset)
        order = self._order(n)
        if self.batch_size is None:
            for i in range(n) if order is None else order:
                sample = self.dataset[int(i)]
                yield wrap(np.asarray(sample)) if isinstance(self.dataset, np.ndarray) else sample
            return
        arrays = self._array_backing()
        stop = n - n % self.batch_size if self.drop_last else n
        for start in range(0, stop, self.batch_size):
            end = min(start + self.batch_size, n)
            idx = slice(start, end) if order is None else order[start:end]
            if arrays is not None:
                # a slice is a view: copy it so the batch never aliases the dataset
                batch = [a[np.arange(start, end) if order is None else idx]
                         if isinstance(a, Tensor)
                         else wrap(a[idx].copy() if order is None else a[idx])
                         for a in arrays]   # (a list of columns, as PyTorch's collate)
                yield batch if isinstance(self.dataset, TensorDataset) else batch[0]
            else:
                rows = range(start, end) if order is None else order[start:end]
                yield _collate([self.dataset[int(i)] for i in rows])
