"""nn.utils.rnn: packed and padded batches of variable-length sequences, as PyTorch's
``torch.nn.utils.rnn``.

A `PackedSequence` holds the real steps of B sequences time step by time step, the
sequences of each step ordered by decreasing length: ``data`` is (N, *) with N the total
length, ``batch_sizes[t]`` counts the sequences longer than t.  ``sorted_indices[i]`` is
the original batch position of the i-th longest sequence (None when the batch came
sorted) and ``unsorted_indices`` its inverse.  For lengths 3, 1, 2 (enforce_sorted=False)
``data`` holds a0 c0 b0 a1 c1 a2, ``batch_sizes`` is [3, 2, 1], ``sorted_indices`` [0, 2, 1].

Packing and padding are index computations on the lengths (NumPy) followed by one
differentiable gather of the data (`Tensor.__getitem__` with an integer array), so
gradients flow through every function here, to any order.  Padding gathers from the
data with one extra row holding ``padding_value``.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

import numpy as np

from autograd import Tensor
from autograd.ops.shape import cat, transpose
from autograd.tensor import wrap

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence",
           "pad_packed_sequence", "pad_sequence", "unpad_sequence", "pack_sequence",
           "unpack_sequence"]


class _PackedSequenceFields(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(_PackedSequenceFields):
    """A packed batch: the named tuple (data, batch_sizes, sorted_indices,
    unsorted_indices) described in the module docstring.  Made by `pack_padded_sequence`
    and `pack_sequence`, accepted by `RNN`, `LSTM` and `GRU`.

    ``PackedSequence(data, batch_sizes, sorted_indices=None, unsorted_indices=None)``
    (or ``PackedSequence((data, batch_sizes))``) fills in ``unsorted_indices`` as the
    inverse of ``sorted_indices``.
    """

    def __new__(cls, data: Any, batch_sizes: Tensor | None = None,
                sorted_indices: Tensor | None = None,
                unsorted_indices: Tensor | None = None) -> PackedSequence:
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:   # PackedSequence((data, batch_sizes)), as PyTorch allows
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """The sequence with ``data.to(*args, **kwargs)`` (self when that changes
        nothing); the index tensors stay int64, as in PyTorch."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def cpu(self) -> PackedSequence:
        """Self: the CPU is the only device."""
        return self

    def float(self) -> PackedSequence:
        """``data`` as float32."""
        return self.to(np.float32)

    def double(self) -> PackedSequence:
        """``data`` as float64."""
        return self.to(np.float64)

    def half(self) -> PackedSequence:
        """``data`` as float16."""
        return self.to(np.float16)

    def long(self) -> PackedSequence:
        """``data`` as int64."""
        return self.to(np.int64)

    def int(self) -> PackedSequence:
        """``data`` as int32."""
        return self.to(np.int32)


def _ints(t: Any) -> np.ndarray | None:
    """An index tensor (or array, or list) as a 1-D int64 ndarray; None stays None."""
    if t is None:
        return None
    return np.asarray(t.data if isinstance(t, Tensor) else t).astype(np.int64, copy=False)


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse permutation: ``out[permutation[i]] = i`` (None for None)."""
    p = _ints(permutation)
    if p is None:
        return None
    out = np.empty_like(p)
    out[p] = np.arange(p.size)
    return wrap(out)


def _lengths(op: str, lengths: Any) -> np.ndarray:
    """`lengths` (a tensor, array or list) as a 1-D int64 ndarray; as PyTorch's
    ``as_tensor(lengths, dtype=int64)``, float lengths are truncated."""
    if lengths is None:
        raise TypeError(f"{op}: lengths must be a 1-D sequence of ints, got None")
    try:
        arr = _ints(lengths)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{op}: lengths must be a 1-D sequence of ints, got {lengths!r}") \
            from e
    if arr.ndim != 1:
        raise RuntimeError(f"{op}: 'lengths' argument should be a 1D int64 tensor, but got "
                           f"{arr.ndim}D (shape {arr.shape})")
    return arr


def _packed_positions(lens: np.ndarray, order: np.ndarray | None, batch_first: bool) -> tuple:
    """Where each packed row sits in the padded batch, and the batch sizes.  The first is
    an index pair (time, batch) ((batch, time) with `batch_first`) of arrays in packed
    order: step by step, longest sequence first.  `lens` are the lengths in sorted
    order, `order` the batch position of each (None: the identity)."""
    steps = np.arange(lens[0])[:, None]
    real = steps < lens[None, :]                    # (T, B), sequences in sorted order
    cols = np.arange(lens.size) if order is None else order
    t, b = np.broadcast_to(steps, real.shape)[real], np.broadcast_to(cols, real.shape)[real]
    return (b, t) if batch_first else (t, b), real.sum(1)


def _take_padded(parts: list, src: np.ndarray, padding_value: float) -> Tensor:
    """``cat(parts)[src]`` where an index equal to the total row count reads a row of
    `padding_value`: one gather, so the gradient reaches every part."""
    dtype = parts[0].dtype
    parts = [p if p.dtype == dtype else p.to(dtype) for p in parts]
    n = sum(p.shape[0] for p in parts)
    if (src == n).any():
        parts.append(wrap(np.full((1,) + tuple(parts[0].shape[1:]), padding_value, dtype)))
    return (parts[0] if len(parts) == 1 else cat(parts, 0))[src]


def pack_padded_sequence(input: Tensor, lengths: Any, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch (T, B, *) ((B, T, *) with `batch_first`) of sequences of the
    given `lengths` (B ints, each in [1, T]).  With `enforce_sorted` the lengths must be
    in decreasing order (``sorted_indices`` is then None); otherwise the batch is sorted
    (stably) by decreasing length and ``sorted_indices`` records that order."""
    op = "pack_padded_sequence"
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    lens = _lengths(op, lengths)
    if input.ndim < 2:   # (PyTorch's type: its dimension lookup raises IndexError)
        raise IndexError(f"{op}: input must have at least 2 dimensions (T, B, *), got shape "
                         f"{tuple(input.shape)}")
    order = None
    if not enforce_sorted:
        order = np.argsort(-lens, kind="stable")
        lens = lens[order]
    if input.data.size == 0:
        raise RuntimeError(f"{op}: Cannot pack empty tensors (input shape "
                           f"{tuple(input.shape)}).")
    T, B = input.shape[:2][::-1] if batch_first else input.shape[:2]
    if lens.size != B:
        raise RuntimeError(f"{op}: Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{lens.size} (batch_size={B})")
    if lens[-1] <= 0:
        raise RuntimeError(f"{op}: Length of all samples has to be greater than 0, but found "
                           f"an element in 'lengths' that is <= 0 (lengths "
                           f"{_ints(lengths).tolist()})")
    if (np.diff(lens) > 0).any():
        raise RuntimeError(f"{op}: `lengths` array must be sorted in decreasing order when "
                           f"`enforce_sorted` is True, got {lens.tolist()}. You can pass "
                           f"`enforce_sorted=False` to pack_padded_sequence and/or "
                           f"pack_sequence to sidestep this requirement if you do not need "
                           f"ONNX exportability.")
    if lens[0] > T:   # (PyTorch reads past the end of the input here)
        raise RuntimeError(f"{op}: lengths must be at most the padded sequence length {T} "
                           f"(input shape {tuple(input.shape)}), got {_ints(lengths).tolist()}")
    where, batch_sizes = _packed_positions(lens, order, batch_first)
    return PackedSequence(input[where], wrap(batch_sizes.astype(np.int64)),
                          None if order is None else wrap(order))


def _check_packed(op: str, sequence: Any) -> np.ndarray:
    """The batch sizes of `sequence` after checking that it is a consistent PackedSequence."""
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"{op}: expected a PackedSequence, got {type(sequence).__name__}")
    bs = _ints(sequence.batch_sizes)
    n = sequence.data.shape[0] if sequence.data.ndim else None
    if bs.ndim != 1 or n != bs.sum():
        raise RuntimeError(f"{op}: batch_sizes {bs.tolist()} do not add up to the "
                           f"{n} rows of data (shape {tuple(sequence.data.shape)})")
    return bs


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """Undo `pack_padded_sequence`: (padded (T, B, *) ((B, T, *) with `batch_first`),
    lengths (B,) int64), both in the original batch order.  Padded steps hold
    `padding_value`; T is the longest length, or `total_length` (which may not be
    shorter)."""
    op = "pad_packed_sequence"
    bs = _check_packed(op, sequence)
    T = bs.size
    if total_length is not None:
        if not isinstance(total_length, (int, np.integer)) or isinstance(total_length, bool):
            raise TypeError(f"{op}: total_length must be int, not "
                            f"{type(total_length).__name__}")
        if total_length < T:
            raise ValueError(f"{op}: Expected total_length to be at least the length of the "
                             f"longest sequence in input, but got total_length="
                             f"{total_length} and max sequence length being {T}")
        T = int(total_length)
    steps = np.zeros(T, np.int64)
    steps[:bs.size] = bs
    B = int(bs[0]) if bs.size else 0
    unsorted = _ints(sequence.unsorted_indices)
    rank = np.arange(B) if unsorted is None else unsorted   # sorted position of each sequence
    real = rank[None, :] < steps[:, None]                    # (T, B) in the original order
    src = np.where(real, (np.cumsum(steps) - steps)[:, None] + rank[None, :], bs.sum())
    padded = _take_padded([sequence.data], src.T if batch_first else src, padding_value)
    return padded, wrap(real.sum(0).astype(np.int64))


def pad_sequence(sequences: Tensor | Iterable[Tensor], batch_first: bool = False,
                 padding_value: float = 0.0, padding_side: str = "right") -> Tensor:
    """Stack sequences (L_i, *) into one padded batch (T, B, *) ((B, T, *) with
    `batch_first`), T = max L_i, filling with `padding_value` after each sequence
    (``padding_side="left"``: before it).  The result has the first sequence's dtype."""
    op = "pad_sequence"
    if not isinstance(sequences, Iterable):
        raise RuntimeError(f"{op}: Expected iterable for input sequences, but got arg of "
                           f"type: {type(sequences)}")
    seqs = list(sequences)
    if not seqs:
        raise RuntimeError(f"{op}: received an empty list of sequences")
    for i, s in enumerate(seqs):
        if not isinstance(s, Tensor):
            raise TypeError(f"{op}: expected Tensor as element {i} in argument 0, but got "
                            f"{type(s).__name__}")
        if not s.ndim or s.shape[1:] != seqs[0].shape[1:]:
            raise RuntimeError(f"{op}: every sequence must have shape (L, *) with the same "
                               f"trailing dimensions: sequence 0 has shape "
                               f"{tuple(seqs[0].shape)}, sequence {i} has shape "
                               f"{tuple(s.shape)}")
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"{op}: Expected padding_side to be one of left or right, but got "
                           f"{padding_side}.")
    lens = np.array([s.shape[0] for s in seqs], np.int64)
    T = int(lens.max())
    start = np.zeros_like(lens) if padding_side == "right" else T - lens
    k = np.arange(T)[:, None] - start[None, :]                # step within each sequence
    real = (k >= 0) & (k < lens[None, :])                     # (T, B)
    src = np.where(real, (np.cumsum(lens) - lens)[None, :] + k, lens.sum())
    return _take_padded(seqs, src.T if batch_first else src, padding_value)


def unpad_sequence(padded_sequences: Tensor, lengths: Any,
                   batch_first: bool = False) -> list[Tensor]:
    """Split a padded batch (T, B, *) ((B, T, *) with `batch_first`) back into the B
    sequences ``(lengths[b], *)``: the inverse of `pad_sequence` (right padding)."""
    op = "unpad_sequence"
    if not isinstance(padded_sequences, Tensor) or padded_sequences.ndim < 2:
        raise TypeError(f"{op}: padded_sequences must be a Tensor of at least 2 dimensions, "
                        f"got {getattr(padded_sequences, 'shape', type(padded_sequences))}")
    lens = _lengths(op, lengths)
    x = padded_sequences if batch_first else transpose(padded_sequences, 0, 1)
    if lens.size != x.shape[0]:   # (PyTorch's zip(strict=True) raises ValueError)
        raise ValueError(f"{op}: got {lens.size} lengths for a batch of {x.shape[0]} "
                         f"sequences (padded shape {tuple(padded_sequences.shape)})")
    return [x[b, :max(int(n), 0)] for b, n in enumerate(lens)]


def pack_sequence(sequences: Iterable[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack sequences (L_i, *): ``pack_padded_sequence(pad_sequence(sequences), lengths,
    enforce_sorted=enforce_sorted)``."""
    seqs = list(sequences) if isinstance(sequences, Iterable) else sequences
    padded = pad_sequence(seqs)
    return pack_padded_sequence(padded, [s.shape[0] for s in seqs],
                                enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The list of sequences (L_i, *) in a PackedSequence, in the original order: the
    inverse of `pack_sequence`."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)


def repack_like(padded: Tensor, like: PackedSequence, batch_first: bool = False) -> PackedSequence:
    """Pack `padded` (in the original batch order, as `pad_packed_sequence` returns) with
    the lengths and order of `like`: how a recurrent layer returns its output for a
    packed input."""
    bs = _check_packed("repack_like", like)
    lens = (bs[None, :] > np.arange(bs[0])[:, None]).sum(1)   # in sorted order
    where, _ = _packed_positions(lens, _ints(like.sorted_indices), batch_first)
    return PackedSequence(padded[where], like.batch_sizes, like.sorted_indices,
                          like.unsorted_indices)
