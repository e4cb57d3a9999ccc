"""Transformer layers: TransformerEncoderLayer, TransformerDecoderLayer, their stacks
TransformerEncoder and TransformerDecoder, and Transformer, as in PyTorch 2.x.

They are compositions of nn.MultiheadAttention, Linear, LayerNorm and Dropout, with
PyTorch's constructor and forward signatures, defaults, sub-module names and
registration order, so their state_dict keys are PyTorch's and a state_dict moves
between the two both ways.  Masks mean what they mean in MultiheadAttention (which
checks them): a bool mask is True where a position may *not* attend, a float mask is
added to the scores.  The computation is PyTorch's reference path; its fast paths
(fused kernels, nested tensors) compute the same values, so ``enable_nested_tensor``
is accepted and ignored.
"""
from __future__ import annotations

import copy
from typing import Any, Callable

import numpy as np

import autograd as ag
from autograd import Tensor
from autograd.graph import ShapeError

from . import functional as F
from . import init
from .attention import MultiheadAttention
from .containers import ModuleList
from .layers import Dropout, LayerNorm, Linear
from .module import Module

__all__ = ["TransformerEncoderLayer", "TransformerEncoder", "TransformerDecoderLayer",
           "TransformerDecoder", "Transformer"]

Activation = Callable[[Tensor], Tensor]


def _activation(layer: str, activation: str | Activation) -> Activation:
    """"relu" or "gelu" as nn.functional's, or the callable itself."""
    if isinstance(activation, str):
        if activation not in ("relu", "gelu"):
            raise RuntimeError(f"{layer}: activation should be relu/gelu, not {activation}")
        return F.relu if activation == "relu" else F.gelu
    if not callable(activation):   # PyTorch would fail only at the first forward
        raise TypeError(f"{layer}: activation should be 'relu', 'gelu' or a callable, got "
                        f"{type(activation).__name__}")
    return activation


def _check_heads(layer: str, d_model: int, nhead: int) -> None:
    """MultiheadAttention's checks (same exception types), under the layer's name."""
    if d_model <= 0 or nhead <= 0:
        raise ValueError(f"{layer}: d_model and nhead must be greater than 0, got "
                         f"d_model={d_model} and nhead={nhead}")
    if d_model % nhead:
        raise AssertionError(f"{layer}: d_model must be divisible by nhead, got "
                             f"d_model={d_model} and nhead={nhead}")


def _check_features(layer: Module, exc: type, **inputs: Any) -> None:
    """Each input ends with d_model features, else `exc` naming the layer and shapes."""
    d_model = layer.self_attn.embed_dim
    for name, x in inputs.items():
        shape = tuple(np.shape(x))
        if not shape or shape[-1] != d_model:
            raise exc(f"{type(layer).__name__}: expected {name} of shape (*, {d_model}) "
                      f"(d_model={d_model}), got {name} of shape {shape}")


def _seq_len(x: Tensor, batch_first: bool) -> int:
    """The sequence length of (S, E), (S, N, E) or, when `batch_first`, (N, S, E)."""
    return x.shape[0] if x.ndim == 2 else x.shape[1 if batch_first else 0]


def _detect_causal(mask: Any, is_causal: bool | None, size: int) -> bool:
    """PyTorch's _detect_is_causal_mask: the hint when given, else whether `mask` is
    generate_square_subsequent_mask(size) (in the mask's dtype).  The hint only lets
    MultiheadAttention skip the mask; the values are the same."""
    if is_causal is not None or mask is None:
        return is_causal is True
    causal = Transformer.generate_square_subsequent_mask(size, dtype=mask.dtype)
    return tuple(np.shape(mask)) == causal.shape and bool(np.all(np.asarray(mask) ==
                                                                  causal.data))


class TransformerEncoderLayer(Module):
    """Self-attention and a feed-forward network, each in a residual block:
    post-norm ``x = norm1(x + sa(x)); x = norm2(x + ff(x))`` or, with `norm_first`,
    ``x = x + sa(norm1(x)); x = x + ff(norm2(x))``, where sa is ``self_attn`` then
    ``dropout1`` and ff is ``linear2(dropout(activation(linear1(x))))`` then
    ``dropout2``.

    `activation` is "relu", "gelu" or a unary callable (a Module is registered as the
    sub-module ``activation``, as in PyTorch); `bias` False drops the biases of every
    Linear, LayerNorm and the attention.  Input (S, N, E), (N, S, E) with `batch_first`,
    or unbatched (S, E).
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: str | Activation = F.relu,
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        name = type(self).__name__
        _check_heads(name, d_model, nhead)
        kw = dict(device=device, dtype=dtype)
        # Registration order is PyTorch's, which fixes the state_dict's key order.
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, **kw)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **kw)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **kw)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation = _activation(name, activation)

    def forward(self, src: Tensor, src_mask: Tensor | None = None,
                src_key_padding_mask: Tensor | None = None, is_causal: bool = False) -> Tensor:
        """The layer on `src`; src_mask (S, S) or (N * nhead, S, S),
        src_key_padding_mask (N, S) or (S,); `is_causal` hints that src_mask is the
        causal mask."""
        # the type PyTorch raises: its first sub-layer's (LayerNorm's or the attention's)
        _check_features(self, ShapeError if self.norm_first else AssertionError, src=src)
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _sa_block(self, x: Tensor, attn_mask: Tensor | None,
                  key_padding_mask: Tensor | None, is_causal: bool) -> Tensor:
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x: Tensor) -> Tensor:
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))


class TransformerDecoderLayer(Module):
    """Self-attention, attention to the encoder's output (``memory``) and a
    feed-forward network, each in a residual block with ``norm1``, ``norm2``,
    ``norm3`` (after each block, or before it with `norm_first`) and ``dropout1``,
    ``dropout2``, ``dropout3``; the feed-forward network is
    ``linear2(dropout(activation(linear1(x))))``.  Arguments as
    TransformerEncoderLayer's.
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: str | Activation = F.relu,
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        name = type(self).__name__
        _check_heads(name, d_model, nhead)
        kw = dict(device=device, dtype=dtype)
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout,
                                            batch_first=batch_first, bias=bias, **kw)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout,
                                                 batch_first=batch_first, bias=bias, **kw)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **kw)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **kw)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.dropout3 = Dropout(dropout)
        self.activation = _activation(name, activation)

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Tensor | None = None,
                memory_mask: Tensor | None = None,
                tgt_key_padding_mask: Tensor | None = None,
                memory_key_padding_mask: Tensor | None = None,
                tgt_is_causal: bool = False, memory_is_causal: bool = False) -> Tensor:
        """The layer on `tgt` (T, N, E) attending to `memory` (S, N, E) (batch first
        with `batch_first`; or unbatched); tgt_mask (T, T) or (N * nhead, T, T),
        memory_mask (T, S) or (N * nhead, T, S), key padding masks (N, T) and (N, S);
        the `*_is_causal` hints say that the mask is the causal one."""
        _check_features(self, ShapeError if self.norm_first else AssertionError, tgt=tgt)
        _check_features(self, ShapeError, memory=memory)
        if tgt.ndim == 3 == memory.ndim:
            b = 0 if self.self_attn.batch_first else 1
            if tgt.shape[b] != memory.shape[b]:
                raise ShapeError(f"{type(self).__name__}: the batch sizes of tgt and memory "
                                 f"must be equal, got tgt of shape {tuple(tgt.shape)} and "
                                 f"memory of shape {tuple(memory.shape)}")
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask,
                                   tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask,
                                    memory_key_padding_mask, memory_is_causal)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask,
                                              tgt_is_causal))
            x = self.norm2(x + self._mha_block(x, memory, memory_mask,
                                               memory_key_padding_mask, memory_is_causal))
            x = self.norm3(x + self._ff_block(x))
        return x

    def _sa_block(self, x: Tensor, attn_mask: Tensor | None,
                  key_padding_mask: Tensor | None, is_causal: bool) -> Tensor:
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           is_causal=is_causal, need_weights=False)[0]
        return self.dropout1(x)

    def _mha_block(self, x: Tensor, mem: Tensor, attn_mask: Tensor | None,
                   key_padding_mask: Tensor | None, is_causal: bool) -> Tensor:
        x = self.multihead_attn(x, mem, mem, attn_mask=attn_mask,
                                key_padding_mask=key_padding_mask, is_causal=is_causal,
                                need_weights=False)[0]
        return self.dropout2(x)

    def _ff_block(self, x: Tensor) -> Tensor:
        return self.dropout3(self.linear2(self.dropout(self.activation(self.linear1(x)))))


def _clones(layer: Module, num_layers: int) -> ModuleList:
    """`num_layers` deep copies of `layer` (each starting with its parameter values)."""
    return ModuleList([copy.deepcopy(layer) for _ in range(num_layers)])


class TransformerEncoder(Module):
    """``num_layers`` deep copies of `encoder_layer` (``layers.0``, ``layers.1``, ...;
    all start with the same values, as in PyTorch) applied in turn, then `norm` if
    given.  `enable_nested_tensor` and `mask_check` (PyTorch's fast-path switches) are
    accepted and ignored."""

    def __init__(self, encoder_layer: Module, num_layers: int, norm: Module | None = None,
                 enable_nested_tensor: bool = True, mask_check: bool = True) -> None:
        super().__init__()
        self.layers = _clones(encoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        self.use_nested_tensor = False   # no nested tensors here
        self.mask_check = mask_check

    def forward(self, src: Tensor, mask: Tensor | None = None,
                src_key_padding_mask: Tensor | None = None,
                is_causal: bool | None = None) -> Tensor:
        """The layers on `src` with the same masks (see TransformerEncoderLayer);
        `is_causal` None: whether `mask` is the causal mask is detected, as in PyTorch."""
        batch_first = self.layers[0].self_attn.batch_first
        is_causal = _detect_causal(mask, is_causal, _seq_len(src, batch_first))
        out = src
        for layer in self.layers:
            out = layer(out, src_mask=mask, is_causal=is_causal,
                        src_key_padding_mask=src_key_padding_mask)
        return out if self.norm is None else self.norm(out)


class TransformerDecoder(Module):
    """``num_layers`` deep copies of `decoder_layer` (``layers.0``, ...) applied in turn
    to the target, each attending to the same `memory`, then `norm` if given."""

    def __init__(self, decoder_layer: Module, num_layers: int,
                 norm: Module | None = None) -> None:
        super().__init__()
        self.layers = _clones(decoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Tensor | None = None,
                memory_mask: Tensor | None = None,
                tgt_key_padding_mask: Tensor | None = None,
                memory_key_padding_mask: Tensor | None = None,
                tgt_is_causal: bool | None = None, memory_is_causal: bool = False) -> Tensor:
        """The layers on `tgt` and `memory` with the same masks (see
        TransformerDecoderLayer); `tgt_is_causal` None: detected from `tgt_mask`."""
        batch_first = self.layers[0].self_attn.batch_first
        tgt_is_causal = _detect_causal(tgt_mask, tgt_is_causal, _seq_len(tgt, batch_first))
        out = tgt
        for layer in self.layers:
            out = layer(out, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                        tgt_key_padding_mask=tgt_key_padding_mask,
                        memory_key_padding_mask=memory_key_padding_mask,
                        tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)
        return out if self.norm is None else self.norm(out)


class Transformer(Module):
    """The encoder-decoder Transformer of "Attention Is All You Need": ``encoder``, a
    TransformerEncoder of `num_encoder_layers` layers and a final LayerNorm, and
    ``decoder``, a TransformerDecoder of `num_decoder_layers` layers and a final
    LayerNorm (or `custom_encoder` / `custom_decoder`).  Every parameter with more than
    one dim is then Xavier-uniform initialized, as in PyTorch.  Other arguments as
    TransformerEncoderLayer's.
    """

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6,
                 num_decoder_layers: int = 6, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: str | Activation = F.relu,
                 custom_encoder: Module | None = None, custom_decoder: Module | None = None,
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        kw = dict(device=device, dtype=dtype)
        layer_args = (d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                      batch_first, norm_first, bias)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            self.encoder = TransformerEncoder(
                TransformerEncoderLayer(*layer_args, **kw), num_encoder_layers,
                LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw))
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            self.decoder = TransformerDecoder(
                TransformerDecoderLayer(*layer_args, **kw), num_decoder_layers,
                LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw))
        self._reset_parameters()
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first

    def _reset_parameters(self) -> None:
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)

    def forward(self, src: Tensor, tgt: Tensor, src_mask: Tensor | None = None,
                tgt_mask: Tensor | None = None, memory_mask: Tensor | None = None,
                src_key_padding_mask: Tensor | None = None,
                tgt_key_padding_mask: Tensor | None = None,
                memory_key_padding_mask: Tensor | None = None,
                src_is_causal: bool | None = None, tgt_is_causal: bool | None = None,
                memory_is_causal: bool = False) -> Tensor:
        """The decoder's output (T, N, E) for source `src` (S, N, E) and target `tgt`
        (T, N, E) (batch first with `batch_first`; or unbatched (S, E), (T, E)).
        src_mask (S, S), tgt_mask (T, T), memory_mask (T, S) (or per head
        (N * nhead, ., .)); key padding masks (N, S), (N, T), (N, S).  Bool masks are
        True where attending is not allowed, float masks are added to the scores;
        ``tgt_mask=Transformer.generate_square_subsequent_mask(T)`` makes the decoder
        causal."""
        shapes = f"got src of shape {tuple(src.shape)} and tgt of shape {tuple(tgt.shape)}"
        b = 0 if self.batch_first else 1
        if src.ndim == 3 and src.shape[b] != tgt.shape[b]:
            raise RuntimeError(f"Transformer: the batch number of src and tgt must be "
                               f"equal, {shapes}")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise RuntimeError(f"Transformer: the feature number of src and tgt must be "
                               f"equal to d_model={self.d_model}, {shapes}")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device: Any = None,
                                        dtype: Any = None) -> Tensor:
        """The causal mask (sz, sz): -inf above the diagonal (position i may not attend
        to j > i), 0 elsewhere; of `dtype` (default: the default dtype)."""
        return ag.triu(ag.full((sz, sz), float("-inf"), dtype=dtype, device=device),
                       diagonal=1)
