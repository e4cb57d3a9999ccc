"""nn.functional: attention (see nn/functional/__init__.py).

``scaled_dot_product_attention`` and ``multi_head_attention_forward`` (the stateless
form of nn.MultiheadAttention) are compositions of autograd ops (matmul, where,
softmax, dropout, linear), so gradients of every order come for free.

Masks mean what they mean in PyTorch, which differs between the two: a boolean
``attn_mask`` of scaled_dot_product_attention is True where a query *may* attend, the
boolean masks of multi_head_attention_forward are True where it may *not*; a float
mask is added to the scores in both.  A query that may attend to no key at all gets
zero weights and a zero output (PyTorch's "safe softmax"), not 0/0.
"""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

import autograd as ag
from autograd import Tensor
from autograd.graph import ShapeError

from .activation import softmax
from .layers import dropout, linear

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


def _mask_parts(mask: Tensor | None, true_keeps: bool) -> tuple:
    """A mask as (keep, bias): a bool array of the scores that take part (None: all)
    and a float Tensor added to them (None: nothing).  A bool mask's True keeps a score
    when `true_keeps` (scaled_dot_product_attention) and drops it otherwise
    (MultiheadAttention); a float mask is added, its -inf entries dropping theirs (so
    that no infinity enters the graph, where it would make 0 * inf in derivatives)."""
    if mask is None:
        return None, None
    if mask.dtype == np.bool_:
        return (mask.data if true_keeps else ~mask.data), None
    drop = mask.data == -np.inf
    return (~drop, ag.masked_fill(mask, drop, 0.0)) if drop.any() else (None, mask)


def _masked_softmax(scores: Tensor, keep: np.ndarray | None) -> Tensor:
    """softmax over the last dim among the scores where `keep`, exactly 0 at the others
    and on rows that keep none (PyTorch's "safe softmax" gives these 0, not 0/0)."""
    if keep is None:
        return softmax(scores, -1)
    keep = np.broadcast_to(keep, np.broadcast_shapes(keep.shape, scores.shape))
    # Shifting by each row's largest kept score (a constant, which softmax does not
    # depend on) and zeroing the dropped ones keeps exp finite.
    top = np.max(np.broadcast_to(scores.data, keep.shape), axis=-1, keepdims=True,
                 where=keep, initial=-np.inf)
    top = np.where(np.isfinite(top), top, 0.0).astype(scores.dtype)
    e = ag.exp(ag.where(keep, scores - top, 0.0)) * keep.astype(scores.dtype)
    total = e.sum(-1, keepdim=True)
    return e / ag.where(total.data > 0, total, 1.0)


def _attend(query: Tensor, key: Tensor, value: Tensor, keep: np.ndarray | None,
            bias: Tensor | None, dropout_p: float, is_causal: bool,
            scale: float) -> tuple[Tensor, Tensor]:
    """(W @ value, W) with W = dropout(softmax(query key^T * scale + bias)) over the
    scores where `keep` (see _mask_parts), on the last two dims; `is_causal`: query i
    keeps keys 0..i (top-left aligned)."""
    scores = ag.matmul(query, key.transpose(-2, -1)) * scale
    if bias is not None:
        scores = scores + bias
    if is_causal:
        keep = np.tril(np.ones((query.shape[-2], key.shape[-2]), dtype=bool))
    weights = _masked_softmax(scores, keep)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p)
    return ag.matmul(weights, value), weights


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Tensor | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(Q K^T * scale + M) V for query (*, L, E), key (*, S, E) and value
    (*, S, Ev), giving (*, L, Ev); the leading dims broadcast and scale = 1 / sqrt(E)
    by default.  attn_mask broadcasts to (*, L, S): bool, True where a query may attend
    to a key, or float, added to the scores.  is_causal (without attn_mask): query i
    attends to keys 0..i.  dropout_p drops attention weights whenever it is > 0, as in
    PyTorch (pass 0.0 in evaluation).  enable_gqa: grouped-query attention, each of the
    Hk key and value heads (dim -3) serving Hq / Hk query heads."""
    op = "scaled_dot_product_attention"
    if min(query.ndim, key.ndim, value.ndim) < 2:
        raise RuntimeError(f"{op}: expected query, key and value to be at least 2-D, got "
                           f"shapes {tuple(query.shape)}, {tuple(key.shape)} and "
                           f"{tuple(value.shape)}")
    if not query.dtype == key.dtype == value.dtype:
        raise RuntimeError(f"{op}: expected query, key and value to have the same dtype, "
                           f"got {query.dtype}, {key.dtype} and {value.dtype}")
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise ShapeError(f"{op}: expected query (*, L, E), key (*, S, E) and value "
                         f"(*, S, Ev), got shapes {tuple(query.shape)}, {tuple(key.shape)} "
                         f"and {tuple(value.shape)}")
    if attn_mask is not None:
        if is_causal:
            raise RuntimeError(f"{op}: explicit attn_mask should not be set when "
                               f"is_causal=True")
        attn_mask = attn_mask if isinstance(attn_mask, Tensor) else ag.tensor(attn_mask)
        if attn_mask.dtype not in (np.bool_, query.dtype):
            raise RuntimeError(f"{op}: expected attn_mask dtype to be bool or to match the "
                               f"query's {query.dtype}, got {attn_mask.dtype}")
        try:
            np.broadcast_shapes(query.shape[:-2], key.shape[:-2], attn_mask.shape[:-2])
            np.broadcast_shapes((query.shape[-2], key.shape[-2]), attn_mask.shape[-2:])
        except ValueError:
            raise ShapeError(f"{op}: attn_mask of shape {tuple(attn_mask.shape)} does not "
                             f"broadcast to the attention scores (*, L, S) of query "
                             f"{tuple(query.shape)} and key {tuple(key.shape)}") from None
    if not 0.0 <= dropout_p <= 1.0:
        raise RuntimeError(f"{op}: dropout probability has to be between 0 and 1, but got "
                           f"{dropout_p}")
    if enable_gqa:
        heads = [t.shape[-3] if t.ndim >= 3 else 0 for t in (query, key, value)]
        if not heads[1] or not heads[2] or heads[0] % heads[1] or heads[0] % heads[2]:
            raise RuntimeError(f"{op}: with enable_gqa, the number of heads (dim -3) of key "
                               f"and value must divide the query's, got shapes "
                               f"{tuple(query.shape)}, {tuple(key.shape)} and "
                               f"{tuple(value.shape)}")
        key = ag.repeat_interleave(key, heads[0] // heads[1], dim=key.ndim - 3)
        value = ag.repeat_interleave(value, heads[0] // heads[2], dim=value.ndim - 3)
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    keep, bias = _mask_parts(attn_mask, true_keeps=True)
    return _attend(query, key, value, keep, bias, dropout_p, is_causal, scale)[0]


# ---- multi-head attention -------------------------------------------------------------

def _checked_mask(name: str, mask: Any, other: Any = None) -> Tensor | None:
    """MultiheadAttention's `mask` as a Tensor, after PyTorch's checks (_canonical_mask):
    bool or floating, and (a deprecation warning) of the same type as `other`."""
    if mask is None:
        return None
    mask = mask if isinstance(mask, Tensor) else ag.tensor(mask)
    if mask.dtype != np.bool_ and mask.dtype.kind != "f":
        raise AssertionError(f"MultiheadAttention: only bool and floating types of {name} "
                             f"are supported, got {mask.dtype}")
    if other is not None and np.dtype(other.dtype) != mask.dtype:
        warnings.warn(f"MultiheadAttention: support for mismatched {name} and attn_mask is "
                      f"deprecated; use the same type for both instead", stacklevel=3)
    return mask


def _check_ranks(query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Tensor | None,
                 attn_mask: Tensor | None, num_heads: int) -> bool:
    """PyTorch's _mha_shape_check: whether the input is batched (3-D) or not (2-D)."""
    q = query.ndim
    if q not in (2, 3):
        raise AssertionError(f"MultiheadAttention: query should be unbatched 2D or batched "
                             f"3D tensor but received {q}-D query tensor")
    kind = "batched (3-D)" if q == 3 else "unbatched (2-D)"
    if key.ndim != q or value.ndim != q:
        raise AssertionError(f"MultiheadAttention: for {kind} query, expected key and value "
                             f"to be {q}-D but found {key.ndim}-D and {value.ndim}-D tensors")
    if key_padding_mask is not None and key_padding_mask.ndim != q - 1:
        raise AssertionError(f"MultiheadAttention: for {kind} query, expected "
                             f"key_padding_mask to be None or {q - 1}-D but found "
                             f"{key_padding_mask.ndim}-D tensor instead")
    if attn_mask is not None and attn_mask.ndim not in (2, 3):
        raise AssertionError(f"MultiheadAttention: for {kind} query, expected attn_mask to "
                             f"be None, 2-D or 3-D but found {attn_mask.ndim}-D tensor")
    if q == 2 and attn_mask is not None and attn_mask.ndim == 3:
        want = (num_heads, query.shape[0], key.shape[0])
        if tuple(attn_mask.shape) != want:
            raise AssertionError(f"MultiheadAttention: expected attn_mask shape to be {want} "
                                 f"but got {tuple(attn_mask.shape)}")
    return q == 3


def _heads(t: Tensor, static: Tensor | None, name: str, n: int, h: int, hd: int) -> Tensor:
    """Projected keys or values (S, N, E) as (N * H, S, hd), or `static` (given so)."""
    if static is None:
        return t.reshape(t.shape[0], n * h, hd).transpose(0, 1)
    if static.ndim != 3 or static.shape[0] != n * h or static.shape[2] != hd:
        raise AssertionError(f"MultiheadAttention: expecting {name} of shape "
                             f"({n * h}, S, {hd}), got {tuple(static.shape)}")
    return static


def _project(query: Tensor, key: Tensor, value: Tensor, in_proj_weight: Tensor | None,
             in_proj_bias: Tensor | None, separate: tuple | None) -> tuple:
    """(query W_q^T + b_q, key W_k^T + b_k, value W_v^T + b_v): the W from
    `in_proj_weight` (3E, E) in thirds, or the `separate` (W_q, W_k, W_v); the b from
    `in_proj_bias` (3E,) in thirds."""
    if separate is not None:
        if key.shape[:2] != value.shape[:2]:
            raise AssertionError(f"MultiheadAttention: key's sequence and batch dims "
                                 f"{tuple(key.shape[:2])} do not match value's "
                                 f"{tuple(value.shape[:2])}")
        if any(w is None for w in separate):
            raise AssertionError("MultiheadAttention: use_separate_proj_weight is True but "
                                 "q_proj_weight, k_proj_weight or v_proj_weight is None")
        weights = separate
    else:
        if key.shape != value.shape:
            raise AssertionError(f"MultiheadAttention: key shape {tuple(key.shape)} does "
                                 f"not match value shape {tuple(value.shape)}")
        if in_proj_weight is None:
            raise AssertionError("MultiheadAttention: use_separate_proj_weight is False but "
                                 "in_proj_weight is None")
        weights = ag.chunk(in_proj_weight, 3)
    biases = (None,) * 3 if in_proj_bias is None else ag.chunk(in_proj_bias, 3)
    return tuple(linear(x, w, b) for x, w, b in zip((query, key, value), weights, biases))


def multi_head_attention_forward(
        query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
        in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Tensor | None,
        bias_v: Tensor | None, add_zero_attn: bool, dropout_p: float, out_proj_weight: Tensor,
        out_proj_bias: Tensor | None, training: bool = True,
        key_padding_mask: Tensor | None = None, need_weights: bool = True,
        attn_mask: Tensor | None = None, use_separate_proj_weight: bool = False,
        q_proj_weight: Tensor | None = None, k_proj_weight: Tensor | None = None,
        v_proj_weight: Tensor | None = None, static_k: Tensor | None = None,
        static_v: Tensor | None = None, average_attn_weights: bool = True,
        is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
    """MultiheadAttention(Q, K, V) = concat(head_1..head_H) W_o^T + b_o with
    head_i = softmax(Q_i K_i^T / sqrt(E/H) + M) V_i on the projections Q W_q^T + b_q,
    K W_k^T + b_k, V W_v^T + b_v split into H heads of E/H features.

    query (L, N, E), key (S, N, kdim), value (S, N, vdim), or unbatched (L, E), ...;
    returns the output (L, N, E) and, with `need_weights`, the attention weights
    (N, L, S) averaged over the heads or (N, H, L, S) (None otherwise).  W_q, W_k, W_v
    are `in_proj_weight` (3E, E) in thirds, or the separate `*_proj_weight`; b_q, b_k,
    b_v are `in_proj_bias` in thirds.  Masks, bool (True: may not attend) or float
    (added): key_padding_mask (N, S), attn_mask (L, S) or (N * H, L, S); is_causal is
    PyTorch's hint that attn_mask is the causal mask.  bias_k and bias_v (1, 1, E)
    append one key and value, add_zero_attn a zero one after the heads are split;
    static_k and static_v (N * H, S, E/H) replace the projected keys and values.
    Dropout on the weights only when `training`."""
    batched = _check_ranks(query, key, value, key_padding_mask, attn_mask, num_heads)
    key_padding_mask = _checked_mask("key_padding_mask", key_padding_mask, attn_mask)
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    if is_causal and attn_mask is None:
        raise RuntimeError("MultiheadAttention: need attn_mask if specifying the is_causal "
                           "hint (e.g. Transformer.generate_square_subsequent_mask)")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None   # as PyTorch: the hint stands for the mask
    else:
        attn_mask, is_causal = _checked_mask("attn_mask", attn_mask), False
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"MultiheadAttention: was expecting embedding dimension of "
                             f"{embed_dim_to_check}, but got query of shape "
                             f"{tuple(query.shape)}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"MultiheadAttention: embed_dim {embed_dim} not divisible by "
                             f"num_heads {num_heads}")

    q, k, v = _project(query, key, value, in_proj_weight, in_proj_bias,
                       (q_proj_weight, k_proj_weight, v_proj_weight) if use_separate_proj_weight
                       else None)

    # The masks as (keep, bias) parts (see _mask_parts), shaped (1 or N, 1 or H, L, S)
    # to broadcast against the scores.
    src_len = k.shape[0]
    keep = bias = None
    if attn_mask is not None:
        want = (tgt_len, src_len) if attn_mask.ndim == 2 else (bsz * num_heads, tgt_len,
                                                                 src_len)
        if tuple(attn_mask.shape) != want:
            raise RuntimeError(f"MultiheadAttention: the shape of the {attn_mask.ndim}D "
                               f"attn_mask is {tuple(attn_mask.shape)}, but should be {want}")
        keep, bias = _mask_parts(attn_mask.reshape((1, 1) + want if attn_mask.ndim == 2 else
                                                   (bsz, num_heads, tgt_len, src_len)),
                                 true_keeps=False)
    if (bias_k is None) != (bias_v is None):
        raise AssertionError("MultiheadAttention: bias_k and bias_v must both be set or None")
    extra = 0   # keys and values appended: bias_k/bias_v, then the zero one
    if bias_k is not None:
        if static_k is not None or static_v is not None:
            raise AssertionError("MultiheadAttention: bias cannot be added to static key "
                                 "or value")
        k = ag.cat([k, bias_k.expand(1, bsz, embed_dim)])
        v = ag.cat([v, bias_v.expand(1, bsz, embed_dim)])
        extra += 1
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = _heads(k, static_k, "static_k", bsz, num_heads, head_dim)
    v = _heads(v, static_v, "static_v", bsz, num_heads, head_dim)
    if add_zero_attn:
        zeros = ag.zeros(bsz * num_heads, 1, head_dim, dtype=k.dtype)
        k, v = ag.cat([k, zeros], dim=1), ag.cat([v, zeros], dim=1)
        extra += 1
    if key_padding_mask is not None:
        want = (bsz, k.shape[1] - extra)
        if tuple(key_padding_mask.shape) != want:
            raise AssertionError(f"MultiheadAttention: expected key_padding_mask of shape "
                                 f"{want}, got {tuple(key_padding_mask.shape)}")
        pad_keep, pad_bias = _mask_parts(key_padding_mask.reshape(bsz, 1, 1, want[1]),
                                         true_keeps=False)
        keep = pad_keep if keep is None else keep if pad_keep is None else keep & pad_keep
        bias = pad_bias if bias is None else bias if pad_bias is None else bias + pad_bias
    if extra:   # the appended keys take part, unbiased
        if keep is not None:
            keep = np.pad(keep, [(0, 0)] * 3 + [(0, extra)], constant_values=True)
        if bias is not None:
            bias = ag.pad(bias, (0, extra))

    split = (bsz, num_heads, -1, head_dim)
    out, w = _attend(q.reshape(split), k.reshape(split), v.reshape(split), keep, bias,
                     dropout_p if training else 0.0, is_causal, 1.0 / math.sqrt(head_dim))
    out = out.permute(2, 0, 1, 3).reshape(tgt_len * bsz, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
    if need_weights and average_attn_weights:
        w = w.mean(1)
    if not batched:
        out, w = out.squeeze(1), w.squeeze(0)
    return out, (w if need_weights else None)
