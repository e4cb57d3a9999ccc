"""MultiheadAttention, with PyTorch's parameter names, layouts and initialization, so a
state_dict moves between the two; its forward is nn.functional's
multi_head_attention_forward."""
from __future__ import annotations

from typing import Any

import numpy as np

from autograd import Tensor

from . import functional as F
from . import init
from .layers import Linear
from .module import Module, Parameter, factory_dtype

__all__ = ["MultiheadAttention", "NonDynamicallyQuantizableLinear"]


class NonDynamicallyQuantizableLinear(Linear):
    """A Linear under PyTorch's name for MultiheadAttention's ``out_proj``, so that the
    reprs match (PyTorch uses the name to keep quantization away from it)."""


class MultiheadAttention(Module):
    """MultiHead(Q, K, V) = concat(head_1..head_H) W_o^T + b_o, head_i =
    softmax(Q_i K_i^T / sqrt(E/H) + M) V_i on the heads of Q W_q^T + b_q, K W_k^T + b_k,
    V W_v^T + b_v (see F.multi_head_attention_forward).

    Parameters as PyTorch's: ``in_proj_weight`` (3E, E) holding W_q, W_k, W_v when
    kdim == vdim == E, else ``q_proj_weight`` (E, E), ``k_proj_weight`` (E, kdim),
    ``v_proj_weight`` (E, vdim); ``in_proj_bias`` (3E,) and ``out_proj`` (a Linear
    (E, E)) with `bias`; ``bias_k``, ``bias_v`` (1, 1, E) with `add_bias_kv`.  Initialized
    as PyTorch: Xavier-uniform projections, zero biases, Xavier-normal bias_k/bias_v,
    out_proj.weight as a Linear's.  Inputs are (L, N, E) (or (N, L, E) when
    `batch_first`) or unbatched (L, E); forward returns (output, attention weights or
    None).  `dropout` applies to the attention weights in training.
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False,
                 kdim: int | None = None, vdim: int | None = None, batch_first: bool = False,
                 device: Any = None, dtype: Any = None) -> None:
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"MultiheadAttention: embed_dim and num_heads must be greater "
                             f"than 0, got embed_dim={embed_dim} and num_heads={num_heads}")
        super().__init__()
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.dropout, self.batch_first = dropout, batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError(f"MultiheadAttention: embed_dim must be divisible by "
                                 f"num_heads, got embed_dim={embed_dim} and "
                                 f"num_heads={num_heads}")
        dt = factory_dtype("MultiheadAttention", device, dtype)

        def param(*shape: int) -> Parameter:
            return Parameter(np.empty(shape, dtype=dt))

        e = embed_dim
        same = self._qkv_same_embed_dim
        self.register_parameter("in_proj_weight", param(3 * e, e) if same else None)
        for name, d in (("q_proj_weight", e), ("k_proj_weight", self.kdim),
                        ("v_proj_weight", self.vdim)):
            self.register_parameter(name, None if same else param(e, d))
        self.register_parameter("in_proj_bias", param(3 * e) if bias else None)
        self.out_proj = NonDynamicallyQuantizableLinear(e, e, bias=bias, dtype=dt)
        self.bias_k, self.bias_v = (param(1, 1, e), param(1, 1, e)) if add_bias_kv \
            else (None, None)
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        """PyTorch's initialization (see the class docstring)."""
        for w in (self.in_proj_weight, self.q_proj_weight, self.k_proj_weight,
                  self.v_proj_weight):
            if w is not None:
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)
        for b in (self.bias_k, self.bias_v):
            if b is not None:
                init.xavier_normal_(b)

    def forward(self, query: Tensor, key: Tensor, value: Tensor,
                key_padding_mask: Tensor | None = None, need_weights: bool = True,
                attn_mask: Tensor | None = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
        # batch_first is a layout of the batched input only, as in PyTorch
        swap = self.batch_first and query.ndim == 3
        if swap:
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        out, weights = F.multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight,
            self.in_proj_bias, self.bias_k, self.bias_v, self.add_zero_attn, self.dropout,
            self.out_proj.weight, self.out_proj.bias, training=self.training,
            key_padding_mask=key_padding_mask, need_weights=need_weights,
            attn_mask=attn_mask, use_separate_proj_weight=not self._qkv_same_embed_dim,
            q_proj_weight=self.q_proj_weight, k_proj_weight=self.k_proj_weight,
            v_proj_weight=self.v_proj_weight, average_attn_weights=average_attn_weights,
            is_causal=is_causal)
        return (out.transpose(0, 1) if swap else out), weights
