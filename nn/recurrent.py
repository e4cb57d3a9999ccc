"""Recurrent layers: `RNN` (tanh or relu), `LSTM`, `GRU` and the single-step cells
`RNNCell`, `LSTMCell`, `GRUCell`.

Parameter names, shapes, gate orders and default initialization are PyTorch's
(``weight_ih_l{k}`` (G*H, in), ``weight_hh_l{k}`` (G*H, H), ``bias_ih_l{k}``,
``bias_hh_l{k}``, suffix ``_reverse`` for the backward direction; gates i, f, g, o for
LSTM and r, z, n for GRU; ``weight_hr_l{k}`` (P, H) for an LSTM's ``proj_size`` P;
every parameter uniform in (-1/sqrt(H), 1/sqrt(H))), so a state_dict moves between the
two and gives the same outputs.

How a layer runs, for each layer and direction:

1. the inputs of all T time steps are projected in one matmul, (T*B, in) @ (in, G*H);
2. one op splits that into T views (B, G*H);
3. each time step is one fused node (`F.lstm_step`, `F.gru_step`; the tanh/relu RNN
   step is a matmul, an add and the activation);
4. one cat joins the T step outputs.

The backward through time is the engine's own: it walks those nodes in reverse.

Variable-length batches: ``forward(input, hx, lengths=...)`` takes the true length of
each sequence (B ints, 0 <= length <= T) of a padded batch.  Steps at or past a
sequence's length leave its state unchanged, so ``h_n`` (and ``c_n``) is the state after
its last real step (for the reverse direction: the state after reading the real steps
backwards from the last one), and the padded rows of ``output`` are zero, as with
PyTorch's packed sequences.

A `PackedSequence` input (see `nn.utils.rnn`) runs through that same machinery: it is
padded (in the original batch order) with its lengths, run, and the output packed again
in the input's order, so hx, h_n and c_n are in the original batch order, as PyTorch's.
"""
from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np

from autograd import Tensor
from autograd.graph import ShapeError, apply
from autograd.ops.elementwise import relu, tanh, where
from autograd.ops.shape import Cat, cat, reshape, split, split_at, stack, transpose
from autograd.tensor import wrap

from . import init
from .functional.layers import check_dtypes, dropout
from .functional.recurrent import (GRUStep, LSTMStep, RecurrentInput,
                                   defer_hidden_weight_grad)
from .module import Module, Parameter, factory_dtype
from .utils.rnn import PackedSequence, pad_packed_sequence, repack_like

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _reset_uniform(module: Module, hidden_size: int) -> None:
    """PyTorch's default: every parameter uniform in (-1/sqrt(H), 1/sqrt(H))."""
    stdv = 1.0 / math.sqrt(hidden_size) if hidden_size > 0 else 0.0
    for p in module.parameters():
        init.uniform_(p, -stdv, stdv)


def _check_int(name: str, what: str, v: Any, least: int = 1) -> None:
    """PyTorch's exception types: TypeError for a non-int, ValueError below `least`."""
    if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
        raise TypeError(f"{name}: {what} should be of type int, got {v!r} of type "
                        f"{type(v).__name__}")
    if v < least:
        raise ValueError(f"{name}: {what} must be a {'positive' if least else 'non-negative'} "
                         f"int, got {v}")


def _check_sizes(name: str, input_size: int, hidden_size: int) -> None:
    _check_int(name, "input_size", input_size)
    _check_int(name, "hidden_size", hidden_size)


def _check_tensor(name: str, input: Any) -> None:
    # A non-float input is caught by check_dtypes against the (float) parameters, with
    # PyTorch's exception type.
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")


def _lengths_mask(name: str, lengths: Any, T: int, B: int, batched: bool) -> np.ndarray | None:
    """(T, B) bool: step t of sequence b is real.  None when every sequence is full."""
    arr = np.asarray(lengths.data if isinstance(lengths, Tensor) else lengths)
    if not batched and arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name}: lengths must be integers, got dtype {arr.dtype}")
    if arr.shape != (B,):
        raise ShapeError(f"{name}: lengths must hold one length per sequence, shape ({B},), "
                         f"got shape {arr.shape}")
    if arr.size and (arr.min() < 0 or arr.max() > T):
        raise ValueError(f"{name}: lengths must lie in [0, {T}] (the padded sequence "
                         f"length), got {arr.tolist()}")
    if (arr == T).all():
        return None
    return np.arange(T)[:, None] < arr[None, :]


class RNNBase(Module):
    """Shared machinery of `RNN`, `LSTM` and `GRU` (see the module docstring)."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        name = "RNN" if mode.startswith("RNN") else mode
        for what, v in (("bias", bias), ("batch_first", batch_first)):
            if not isinstance(v, (bool, np.bool_)):
                raise TypeError(f"{name}: {what} should be of type bool, got {v!r} of type "
                                f"{type(v).__name__}")
        _check_sizes(name, input_size, hidden_size)
        _check_int(name, "num_layers", num_layers)
        _check_int(name, "proj_size", proj_size, least=0)
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if proj_size >= hidden_size:
            raise ValueError(f"{name}: proj_size has to be smaller than hidden_size, got "
                             f"proj_size={proj_size} and hidden_size={hidden_size}")
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real) \
                or not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"dropout option adds dropout after all but last recurrent layer, "
                          f"so non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}")
        self.mode = mode
        self.input_size, self.hidden_size = int(input_size), int(hidden_size)
        self.num_layers, self.bias = int(num_layers), bool(bias)
        self.batch_first, self.dropout = bool(batch_first), float(dropout)
        self.bidirectional, self.proj_size = bool(bidirectional), int(proj_size)
        dtype = factory_dtype(name, device, dtype)
        gates = _GATES[mode] * hidden_size
        dirs = 2 if bidirectional else 1
        h_size = self.proj_size or self.hidden_size   # the width of h and of the output
        # per layer and direction: names of (w_ih, w_hh, b_ih, b_hh, w_hr), None if absent
        self._direction_weights: list = []
        for layer in range(num_layers):
            layer_in = input_size if layer == 0 else h_size * dirs
            for d in range(dirs):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                shapes = {f"weight_ih{sfx}": (gates, layer_in),
                          f"weight_hh{sfx}": (gates, h_size)}
                if bias:
                    shapes.update({f"bias_ih{sfx}": (gates,), f"bias_hh{sfx}": (gates,)})
                if proj_size:
                    shapes[f"weight_hr{sfx}"] = (proj_size, hidden_size)
                for pname, shape in shapes.items():
                    setattr(self, pname, Parameter(np.zeros(shape, dtype)))
                names = list(shapes)
                if not bias:
                    names[2:2] = [None, None]
                self._direction_weights.append(tuple(names) + (None,) * (5 - len(names)))
        self.reset_parameters()

    @property
    def all_weights(self) -> list:
        """The parameters of each layer and direction, as lists in PyTorch's order
        (weight_ih, weight_hh[, bias_ih, bias_hh][, weight_hr])."""
        return [[getattr(self, n) for n in names if n] for names in self._direction_weights]

    @property
    def _name(self) -> str:
        return type(self).__name__

    def reset_parameters(self) -> None:
        """Draw every parameter uniform in (-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        _reset_uniform(self, self.hidden_size)

    def flatten_parameters(self) -> None:
        """No-op (PyTorch compacts cuDNN weights here); present so PyTorch code runs."""

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # ---- input checks -------------------------------------------------------------
    def _time_major(self, input: Tensor) -> tuple:
        """(x as (T*B, in), T, B, batched) after checking the input's rank and size."""
        _check_tensor(self._name, input)
        if input.ndim not in (2, 3):
            raise ValueError(f"{self._name}: Expected input to be 2D or 3D, got "
                             f"{input.ndim}D input instead (shape {tuple(input.shape)})")
        if input.shape[-1] != self.input_size:
            raise ShapeError(f"{self._name}: input.size(-1) must be equal to input_size. "
                             f"Expected {self.input_size}, got {input.shape[-1]} (input "
                             f"shape {tuple(input.shape)})")
        x = transpose(input, 0, 1) if self.batch_first and input.ndim == 3 else input
        if x.shape[0] == 0:
            raise ShapeError(f"{self._name}: Expected sequence length to be larger than 0 "
                             f"(input shape {tuple(input.shape)})")
        if input.ndim == 2:
            return input, input.shape[0], 1, False
        T, B = x.shape[:2]
        return reshape(x, T * B, self.input_size), T, B, True

    def _states(self, hx: Any, B: int, batched: bool, x: Tensor) -> list:
        """Initial states per layer and direction (for input `x`): a list of tuples of
        (B, H) tensors ((B, proj_size) for the h of an LSTM with projections)."""
        n_state = 2 if self.mode == "LSTM" else 1
        sizes = (self.proj_size or self.hidden_size, self.hidden_size)[:n_state]
        k = self.num_layers * (2 if self.bidirectional else 1)
        if hx is None:
            return [tuple(wrap(np.zeros((B, w), x.dtype)) for w in sizes)] * k
        if self.mode == "LSTM":
            if not isinstance(hx, (tuple, list)):
                raise TypeError(f"LSTM: hx must be a tuple (h_0, c_0), got "
                                f"{type(hx).__name__}")
            if len(hx) != 2:   # PyTorch's type
                raise RuntimeError(f"LSTM: hx must be a tuple of two tensors (h_0, c_0), "
                                   f"got {len(hx)}")
            hs = tuple(hx)
        else:
            hs = (hx,)
        want_dim = 3 if batched else 2
        for h in hs:
            if not isinstance(h, Tensor):
                raise TypeError(f"{self._name}: hx must hold Tensors, got {type(h).__name__}")
            if h.ndim != want_dim:
                kind = "batched 3-D" if batched else "unbatched 2-D"
                raise ShapeError(f"{self._name}: For {kind} input, hx should also be "
                                 f"{want_dim}-D but got {h.ndim}-D tensor (shape "
                                 f"{tuple(h.shape)})")
        for j, (h, w) in enumerate(zip(hs, sizes)):
            want = (k, B, w) if batched else (k, w)
            if tuple(h.shape) != want:
                which = f"hidden[{j}]" if n_state == 2 else "hidden"
                raise ShapeError(f"{self._name}: Expected {which} size {want}, got "
                                 f"{list(h.shape)}")
        check_dtypes(self._name, x, dict(zip(("h_0", "c_0") if n_state == 2 else ("hx",), hs)))
        if not batched:
            hs = tuple(reshape(h, k, 1, w) for h, w in zip(hs, sizes))
        per = [split(h, 1, 0) for h in hs]   # one op per state tensor
        return [tuple(reshape(p[i], B, w) for p, w in zip(per, sizes)) for i in range(k)]

    # ---- the computation ----------------------------------------------------------
    def forward(self, input: Tensor | PackedSequence, hx: Any = None, *,
                lengths: Any = None) -> tuple:
        """Run the layers over a sequence.

        input: (T, B, input_size), (B, T, input_size) with batch_first, or unbatched
        (T, input_size); or a `PackedSequence` of data (N, input_size), whose output is
        packed the same way.  hx: initial state(s) (num_layers * num_directions, B, H)
        ((..., H) unbatched), zeros when None; for LSTM a tuple (h_0, c_0).
        lengths: optional true length of each sequence, B ints (see the module
        docstring).  Returns ``output, h_n`` (``output, (h_n, c_n)`` for LSTM) with
        output (T, B, num_directions * H) in the input's layout.  An LSTM with
        ``proj_size`` P > 0 has h_0, h_n and output of width P instead of H.
        """
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx, lengths)
        x, T, B, batched = self._time_major(input)
        check_dtypes(self._name, input, self._parameters, ValueError)   # (as PyTorch's RNNs)
        states = self._states(hx, B, batched, x)
        keep = None if lengths is None else _lengths_mask(self._name, lengths, T, B, batched)
        dirs = 2 if self.bidirectional else 1
        finals = []
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                k = layer * dirs + d
                out, final = self._direction(x, T, B, k, states[k], keep, reverse=d == 1)
                outs.append(out)
                finals.append(final)
            x = outs[0] if dirs == 1 else cat(outs, -1)
            if layer < self.num_layers - 1:
                x = dropout(x, self.dropout, self.training)
        if keep is not None:  # padded steps hold the carried state: zero them
            x = x * keep.reshape(T * B, 1).astype(x.dtype)
        if batched:
            x = reshape(x, T, B, dirs * (self.proj_size or self.hidden_size))
            if self.batch_first:
                x = transpose(x, 0, 1)
        n_state = len(finals[0])
        h_n = [stack([f[j] for f in finals], 0) for j in range(n_state)]
        if not batched:
            h_n = [reshape(h, len(finals), h.shape[-1]) for h in h_n]
        return (x, tuple(h_n)) if self.mode == "LSTM" else (x, h_n[0])

    def _forward_packed(self, input: PackedSequence, hx: Any, lengths: Any) -> tuple:
        """`forward` for a PackedSequence: pad it with its lengths, run, pack the output."""
        if lengths is not None:
            raise ValueError(f"{self._name}: lengths= cannot be given with a PackedSequence "
                             f"input, which carries its own lengths")
        if not isinstance(input.data, Tensor) or input.data.ndim != 2:
            raise ShapeError(f"{self._name}: a PackedSequence input must have 2-D data "
                             f"(N, input_size), got "
                             f"{getattr(input.data, 'shape', type(input.data).__name__)}")
        padded, lens = pad_packed_sequence(input, self.batch_first)
        out, state = self.forward(padded, hx, lengths=lens)
        return repack_like(out, input, self.batch_first), state

    def _direction(self, x: Tensor, T: int, B: int, k: int, state: tuple,
                   keep: np.ndarray | None, reverse: bool) -> tuple:
        """One layer in one direction: (outputs (T*B, H), final state tuple)."""
        w_ih, w_hh, b_ih, b_hh, w_hr = (getattr(self, n) if n else None
                                        for n in self._direction_weights[k])
        mode = self.mode
        # LSTM and RNN add both biases before the nonlinearity, so fold them in once;
        # GRU's b_hh sits inside the reset gate product and stays in the step.
        bias = b_ih if b_ih is None or mode == "GRU" else b_ih + b_hh
        w_t = w_hh.T
        w_hr_t = None if w_hr is None else w_hr.T
        lstm = mode == "LSTM"
        gx = apply(RecurrentInput, x, w_ih, bias, w_t if lstm else None)
        # The pieces are known to fit: the unchecked forms skip per-tensor validation.
        xs = split_at(gx, [B * t for t in range(1, T)], 0)
        act = relu if mode == "RNN_RELU" else tanh
        hs: list = [None] * T
        hprev: list = [None] * T   # the state each step read, for the deferred dW_hh
        state = tuple(state)
        for t in (range(T - 1, -1, -1) if reverse else range(T)):
            if lstm:
                hprev[t] = state[0]
                h, c = apply(LSTMStep, xs[t], state[0], state[1], w_t, defer_w=True)[:2]
                new = (h if w_hr_t is None else h @ w_hr_t, c)
            elif mode == "GRU":
                new = (apply(GRUStep, xs[t], state[0], w_t, b_hh),)
            else:
                new = (act(xs[t] + state[0] @ w_t),)
            if keep is not None and not keep[t].all():
                k_t = keep[t][:, None]
                new = tuple(where(k_t, n, s) for n, s in zip(new, state))
            state = new
            hs[t] = new[0]
        if lstm:
            defer_hidden_weight_grad(gx, hprev)
        return apply(Cat, *hs, axis=0), state


_NO_PROJ = object()


def _refuse_proj_size(proj_size: Any) -> None:
    # PyTorch's RNN and GRU refuse the argument whatever its value (0 and None too).
    if proj_size is not _NO_PROJ:
        raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")


class RNN(RNNBase):
    """Elman RNN: h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), act tanh or relu.

    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
    batch_first=False, dropout=0.0, bidirectional=False)``; ``forward(input, hx=None,
    *, lengths=None)`` returns ``output, h_n`` (see `RNNBase.forward`).
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device: Any = None,
                 dtype: Any = None, *, proj_size: Any = _NO_PROJ) -> None:
        _refuse_proj_size(proj_size)
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' "
                             f"or 'relu'.")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory (gate order i, f, g, o):
        i, f, g, o = s(.), s(.), tanh(.), s(.) of x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh
        c_t = f c_{t-1} + i g,   h_t = o tanh(c_t)

    ``LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
    dropout=0.0, bidirectional=False, proj_size=0)``; ``forward(input, hx=None, *,
    lengths=None)`` with hx = (h_0, c_0) returns ``output, (h_n, c_n)`` (see
    `RNNBase.forward`).  ``proj_size`` P > 0 (P < H) projects each step's h to P
    features, h_t = W_hr (o tanh(c_t)) with ``weight_hr_l{k}`` (P, H), as PyTorch's:
    h_0, h_n and output have width P, c has width H, ``weight_hh_l{k}`` is (4H, P).
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device, dtype)


class GRU(RNNBase):
    """Gated recurrent unit (gate order r, z, n):
        r = s(W_ir x + b_ir + W_hr h + b_hr),  z = s(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r (W_hn h + b_hn)),  h_t = (1 - z) n + z h_{t-1}

    ``GRU(input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
    dropout=0.0, bidirectional=False)``; ``forward(input, hx=None, *, lengths=None)``
    returns ``output, h_n`` (see `RNNBase.forward`).
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device: Any = None, dtype: Any = None, *,
                 proj_size: Any = _NO_PROJ) -> None:
        _refuse_proj_size(proj_size)
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, device=device, dtype=dtype)


# ---- cells ------------------------------------------------------------------------------

class RNNCellBase(Module):
    """Shared machinery of the single-step cells: parameters ``weight_ih`` (G*H, in),
    ``weight_hh`` (G*H, H), ``bias_ih`` and ``bias_hh`` (G*H,)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        _check_sizes(type(self).__name__, input_size, hidden_size)
        self.input_size, self.hidden_size, self.bias = int(input_size), int(hidden_size), bool(bias)
        dtype = factory_dtype(type(self).__name__, device, dtype)
        g = num_chunks * hidden_size
        self.weight_ih = Parameter(np.zeros((g, input_size), dtype))
        self.weight_hh = Parameter(np.zeros((g, hidden_size), dtype))
        if bias:
            self.bias_ih = Parameter(np.zeros(g, dtype))
            self.bias_hh = Parameter(np.zeros(g, dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw every parameter uniform in (-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        _reset_uniform(self, self.hidden_size)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _check(self, input: Tensor, hx: Any, n_state: int) -> tuple:
        """The state tensors (zeros when hx is None) after checking every shape."""
        name = type(self).__name__
        _check_tensor(name, input)
        check_dtypes(name, input, self._parameters)
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D "
                             f"instead (shape {tuple(input.shape)})")
        if input.shape[-1] != self.input_size:
            raise ShapeError(f"{name}: input has inconsistent input_size: got "
                             f"{input.shape[-1]} expected {self.input_size} (input shape "
                             f"{tuple(input.shape)})")
        want = input.shape[:-1] + (self.hidden_size,)
        if hx is None:
            zero = wrap(np.zeros(want, input.dtype))
            return (zero,) * n_state
        if n_state == 2 and not isinstance(hx, (tuple, list)):
            raise TypeError(f"{name}: hx must be a tuple (h_0, c_0), got {type(hx).__name__}")
        if n_state == 2 and len(hx) != 2:   # PyTorch's type
            raise RuntimeError(f"{name}: hx must be a tuple of two tensors (h_0, c_0), got "
                               f"{len(hx)}")
        hs = tuple(hx) if n_state == 2 else (hx,)
        for j, h in enumerate(hs):
            if not isinstance(h, Tensor):
                raise TypeError(f"{name}: hx must hold Tensors, got {type(h).__name__}")
            if tuple(h.shape) != want:
                which = f"hidden[{j}]" if n_state == 2 else "hidden"
                raise ShapeError(f"{name}: Expected {which} of shape {want} for input of "
                                 f"shape {tuple(input.shape)}, got {tuple(h.shape)}")
        check_dtypes(name, input, dict(zip(("h", "c") if n_state == 2 else ("hx",), hs)))
        return hs


class RNNCell(RNNCellBase):
    """One Elman step: h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh), act tanh or relu.
    ``forward(input, hx=None)``: input (B, in) or (in,), returns h' (B, H) or (H,)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device: Any = None, dtype: Any = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' "
                             f"or 'relu'.")
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        """h' for one step (zeros as h when hx is None)."""
        (h,) = self._check(input, hx, 1)
        pre = input @ self.weight_ih.T + h @ self.weight_hh.T
        if self.bias:
            pre = pre + (self.bias_ih + self.bias_hh)
        return relu(pre) if self.nonlinearity == "relu" else tanh(pre)


class LSTMCell(RNNCellBase):
    """One LSTM step (gates i, f, g, o; see `LSTM`).  ``forward(input, hx=None)`` with
    hx = (h, c) returns (h', c'), each (B, H) or (H,) for unbatched input."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Tensor, hx: tuple | None = None) -> tuple:
        """(h', c') for one step (zeros as state when hx is None)."""
        h, c = self._check(input, hx, 2)
        gx = input @ self.weight_ih.T
        if self.bias:
            gx = gx + (self.bias_ih + self.bias_hh)
        return apply(LSTMStep, gx, h, c, self.weight_hh.T)[:2]


class GRUCell(RNNCellBase):
    """One GRU step (gates r, z, n; see `GRU`).  ``forward(input, hx=None)`` returns h',
    (B, H) or (H,) for unbatched input."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        """h' for one step (zeros as h when hx is None)."""
        (h,) = self._check(input, hx, 1)
        gx = input @ self.weight_ih.T
        if self.bias:
            gx = gx + self.bias_ih
        return apply(GRUStep, gx, h, self.weight_hh.T, self.bias_hh)
