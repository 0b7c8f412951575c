"""A small LLaMA-style decoder-only transformer, written to be read.

Attention is introduced in 11_self_attention; the block and the model in
12_transformer_block; training and sampling use them in 13_train_a_tiny_llm and
14_inference_and_kv_cache. RoPE lives in ``helpers.positions``
(10_positional_encoding); parameter and memory counts in ``helpers.sizing``.

Dimension names: B batch, T sequence length, d_model width, n_head query heads,
n_kv_head key/value heads, head_dim = d_model / n_head, V vocabulary size.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from helpers.positions import apply_rope, rope_cache
from helpers.validate import check_int, check_number

__all__ = [
    "Decoder",
    "DecoderBlock",
    "DecoderConfig",
    "KVCache",
    "MultiHeadAttention",
    "RMSNorm",
    "SwiGLU",
    "generate",
    "greedy",
    "repeat_kv",
    "scaled_dot_product_attention",
    "split_heads",
    "validate_ids",
]


@dataclass
class DecoderConfig:
    """The shape of a decoder. Introduced in 12_transformer_block."""

    vocab_size: int  # V: how many token IDs exist
    context_length: int  # longest sequence (prompt + generated) the model accepts
    n_layer: int  # number of decoder blocks stacked on top of each other
    n_head: int  # query heads per block; must divide d_model
    d_model: int  # width of the residual stream (embedding size)
    d_ff: int  # hidden width of the SwiGLU MLP (11008 in LLaMA-7B)
    tie_embeddings: bool = False  # True: the output head reuses the embedding table
    rope_base: float = 10000.0  # base of the RoPE frequencies
    norm_eps: float = 1e-5  # epsilon inside RMSNorm's square root
    dropout: float = 0.0  # dropout on attention weights and sub-layer outputs
    n_kv_head: int | None = None  # key/value heads: None = n_head (MHA), 1 = MQA

    def __post_init__(self):
        sizes = ("vocab_size", "context_length", "n_layer", "n_head", "d_model", "d_ff")
        for name in sizes:
            check_int(getattr(self, name), f"DecoderConfig.{name}", low=1)
        if self.d_model % self.n_head != 0:
            raise ValueError(
                f"n_head ({self.n_head}) must divide d_model ({self.d_model}) "
                "so that every head gets the same head_dim"
            )
        if self.head_dim % 2 != 0:
            raise ValueError(
                f"head_dim = d_model / n_head must be even (RoPE), got {self.head_dim}"
            )
        if self.n_kv_head is not None:
            check_int(self.n_kv_head, "DecoderConfig.n_kv_head", low=1)
            if self.n_head % self.n_kv_head != 0:
                raise ValueError(
                    f"n_kv_head ({self.n_kv_head}) must divide n_head ({self.n_head}):"
                    " each key/value head serves the same number of query heads"
                )
        if not isinstance(self.tie_embeddings, bool):
            raise TypeError("DecoderConfig.tie_embeddings must be True or False")
        check_number(
            self.rope_base, "DecoderConfig.rope_base", low=1.0, low_inclusive=False
        )
        check_number(
            self.norm_eps, "DecoderConfig.norm_eps", low=0, low_inclusive=False
        )
        check_number(
            self.dropout, "DecoderConfig.dropout", low=0, high=1, high_inclusive=False
        )

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_head

    @property
    def kv_heads(self) -> int:
        """Key/value heads actually used: ``n_kv_head``, or ``n_head`` if None."""
        return self.n_head if self.n_kv_head is None else self.n_kv_head


def _sizing():
    """``helpers.sizing``, imported on first use (it imports this module)."""
    import helpers.sizing

    return helpers.sizing


def _require_memory(n_bytes: int, what: str, device) -> None:
    """MemoryError before allocating ``n_bytes`` that ``device`` cannot hold."""
    device = torch.device(device if device is not None else "cpu")
    if device.type != "meta":  # "meta" tensors have shapes but no memory
        _sizing().require_memory(n_bytes, what, device)


class RMSNorm(nn.Module):
    """x / sqrt(mean(x²) + eps) · weight, over the last axis; equals ``nn.RMSNorm``.

    Introduced in 08_normalization (NumPy) and 12_transformer_block (PyTorch).
    """

    def __init__(self, d_model: int, eps: float = 1e-5):
        super().__init__()
        self.eps = check_number(eps, "eps", low=0, low_inclusive=False)
        self.weight = nn.Parameter(torch.ones(check_int(d_model, "d_model", low=1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] != self.weight.shape[0]:
            raise ValueError(f"RMSNorm expects last dim {len(self.weight)}: {x.shape}")
        mean_square = x.pow(2).mean(dim=-1, keepdim=True)  # (..., 1)
        return x * torch.rsqrt(mean_square + self.eps) * self.weight


def split_heads(x: torch.Tensor, n_head: int) -> torch.Tensor:
    """Reshape ``(B, T, n_head * head_dim)`` into ``(B, n_head, T, head_dim)``.

    Introduced in 04_tensors_and_gpu (used again in 11_self_attention).
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    if x.dim() != 3:
        raise ValueError(f"x must have shape (B, T, d_model), got {tuple(x.shape)}")
    n_head = check_int(n_head, "n_head", low=1)
    B, T, width = x.shape
    if width % n_head != 0:
        raise ValueError(f"d_model ({width}) must be divisible by n_head ({n_head})")
    x = x.view(B, T, n_head, width // n_head)  # (B, T, n_head, head_dim)
    return x.transpose(1, 2)  # (B, n_head, T, head_dim)


def repeat_kv(x: torch.Tensor, n_rep: int) -> torch.Tensor:
    """Repeat each key/value head ``n_rep`` times along the head axis:
    (B, n_kv_head, T, head_dim) -> (B, n_kv_head * n_rep, T, head_dim).

    Query head h then reads KV head h // n_rep (grouped-query attention).
    Introduced in 12_transformer_block.
    """
    n_rep = check_int(n_rep, "n_rep", low=1)
    if n_rep == 1:
        return x
    return x.repeat_interleave(n_rep, dim=-3)  # (..., n_kv_head * n_rep, T, head_dim)


def scaled_dot_product_attention(
    q,
    k,
    v,
    causal=False,
    mask=None,
    *,
    scale=None,
    dropout_p=0.0,
    return_weights=False,
    enable_gqa=False,
):
    """softmax(q kᵀ · scale + mask) v, written out. Introduced in 11_self_attention.

    q: (..., T_q, head_dim), k: (..., T_k, head_dim), v: (..., T_k, d_v), all
    floating point. ``scale`` defaults to 1/√head_dim. ``causal``: query i may see
    key j only if j <= i + (T_k - T_q), i.e. the queries are the *last* T_q
    positions (bottom-right alignment, what a KV cache needs; for T_q == T_k it
    is the usual lower triangle). ``mask``: bool tensor broadcastable to
    (..., T_q, T_k), True = may attend. A query that may see no key at all gets
    all-zero weights and a zero output (as PyTorch's fused kernel), never NaN.
    ``enable_gqa``: k and v may have fewer heads (dim -3) than q, a divisor of
    them; each is repeated (``repeat_kv``) as in grouped-query attention.
    Returns the output (..., T_q, d_v), and the weights (..., T_q, T_k) if asked.
    """
    for name, t in (("q", q), ("k", k), ("v", v)):
        if not isinstance(t, torch.Tensor) or t.ndim < 2:
            raise TypeError(f"{name} must be a tensor with at least 2 dims (T, dim)")
        if not t.is_floating_point():
            raise TypeError(f"{name} must be floating point, got {t.dtype}")
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"shapes do not fit: q {tuple(q.shape)}, k {tuple(k.shape)}, "
            f"v {tuple(v.shape)}; need q/k same last dim, k/v same T"
        )
    dropout_p = check_number(
        dropout_p, "dropout_p", low=0, high=1, high_inclusive=False
    )
    if scale is None:
        scale = 1.0 / math.sqrt(q.shape[-1])
    scale = check_number(scale, "scale")  # finite: NaN or inf would poison every row
    if enable_gqa and q.ndim >= 3 and k.shape[-3] != q.shape[-3]:
        if k.shape[-3] != v.shape[-3] or q.shape[-3] % k.shape[-3] != 0:
            raise ValueError(
                f"with enable_gqa, k and v need the same number of heads (dim -3), "
                f"a divisor of q's {q.shape[-3]}: got k {tuple(k.shape)}, "
                f"v {tuple(v.shape)}"
            )
        n_rep = q.shape[-3] // k.shape[-3]
        k, v = repeat_kv(k, n_rep), repeat_kv(v, n_rep)  # (..., n_head, T_k, dim)
    t_q, t_k = q.shape[-2], k.shape[-2]
    # (..., T_q, head_dim) @ (..., head_dim, T_k) -> (..., T_q, T_k)
    scores = (q @ k.transpose(-2, -1)) * scale
    allowed = None
    if causal:
        if t_q > t_k:
            raise ValueError(f"causal attention needs T_q <= T_k, got {t_q} > {t_k}")
        i = torch.arange(t_q, device=q.device)[:, None]  # (T_q, 1)
        j = torch.arange(t_k, device=q.device)[None, :]  # (1, T_k)
        allowed = j <= i + (t_k - t_q)  # (T_q, T_k)
    if mask is not None:
        if (
            not isinstance(mask, torch.Tensor)
            or mask.dtype != torch.bool
            or mask.ndim < 2
            or mask.ndim > scores.ndim
            or tuple(mask.shape[-2:]) != (t_q, t_k)
        ):
            got = tuple(mask.shape) if isinstance(mask, torch.Tensor) else type(mask)
            raise ValueError(
                f"mask must be a bool tensor of shape (..., {t_q}, {t_k}) "
                f"(True = may attend), got {got}"
            )
        allowed = mask if allowed is None else allowed & mask
    if allowed is not None:
        scores = scores.masked_fill(~allowed, float("-inf"))
    weights = torch.softmax(scores, dim=-1)  # (..., T_q, T_k), rows sum to 1
    if allowed is not None:  # a row with no allowed key is NaN: make it zeros
        weights = weights.masked_fill(~allowed, 0.0)
    if dropout_p > 0.0:
        weights = F.dropout(weights, p=dropout_p)
    out = weights @ v  # (..., T_q, T_k) @ (..., T_k, d_v) -> (..., T_q, d_v)
    return (out, weights) if return_weights else out


class KVCache:
    """Keys and values of every layer for the tokens seen so far.

    ``k[layer]`` and ``v[layer]`` are (B, n_kv_head, context_length, head_dim):
    only the key/value heads are stored, so grouped-query attention shrinks the
    cache. The first ``length`` positions are filled.
    Introduced in 14_inference_and_kv_cache.
    """

    def __init__(self, config, batch_size: int, *, device=None, dtype=torch.float32):
        B = check_int(batch_size, "batch_size", low=1)
        shape = (B, config.kv_heads, config.context_length, config.head_dim)
        element = torch.empty((), dtype=dtype).element_size()
        _require_memory(
            2 * config.n_layer * math.prod(shape) * element, "this KV cache", device
        )
        self.k = [
            torch.zeros(shape, device=device, dtype=dtype)
            for _ in range(config.n_layer)
        ]
        self.v = [torch.zeros_like(k) for k in self.k]
        self.max_length = config.context_length
        self.length = 0  # positions filled; advanced by Decoder.forward

    def update(self, layer: int, k_new: torch.Tensor, v_new: torch.Tensor):
        """Store (B, n_kv_head, T, head_dim) new keys/values after the cached ones
        and return all of them: (B, n_kv_head, length + T, head_dim) each."""
        end = self.length + k_new.shape[2]
        if end > self.max_length:
            raise ValueError(f"KV cache full: {end} > max_length {self.max_length}")
        self.k[layer][:, :, self.length : end] = k_new
        self.v[layer][:, :, self.length : end] = v_new
        return self.k[layer][:, :, :end], self.v[layer][:, :, :end]

    @property
    def nbytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in self.k + self.v)


class MultiHeadAttention(nn.Module):
    """Multi-head self-attention with q/k/v/o projections (no biases, as in LLaMA).

    ``n_kv_head`` key/value heads (None: ``n_head``, multi-head attention; 1:
    multi-query; in between: grouped-query) are shared by groups of
    ``n_head / n_kv_head`` query heads. ``rope=(cos, sin)`` rotates queries and
    keys (``None``: no positions, the form that equals ``nn.MultiheadAttention``).
    ``fused=True`` computes with PyTorch's fast kernel unless weights are asked
    for. Introduced in 11_self_attention; ``n_kv_head`` in 12_transformer_block.
    """

    def __init__(
        self, d_model: int, n_head: int, *, n_kv_head=None, dropout=0.0, fused=True
    ):
        super().__init__()
        d_model = check_int(d_model, "d_model", low=1)
        n_head = check_int(n_head, "n_head", low=1)
        if d_model % n_head != 0:
            raise ValueError(f"n_head ({n_head}) must divide d_model ({d_model})")
        n_kv_head = n_head if n_kv_head is None else n_kv_head
        if check_int(n_kv_head, "n_kv_head", low=1) and n_head % n_kv_head != 0:
            raise ValueError(f"n_kv_head ({n_kv_head}) must divide n_head ({n_head})")
        self.n_head, self.n_kv_head, self.head_dim = (
            n_head,
            n_kv_head,
            d_model // n_head,
        )
        self.dropout = check_number(
            dropout, "dropout", low=0, high=1, high_inclusive=False
        )
        self.fused = fused
        kv_width = n_kv_head * self.head_dim
        self.q_proj = nn.Linear(d_model, d_model, bias=False)
        self.k_proj = nn.Linear(d_model, kv_width, bias=False)
        self.v_proj = nn.Linear(d_model, kv_width, bias=False)
        self.o_proj = nn.Linear(d_model, d_model, bias=False)

    def forward(
        self, x, *, causal=True, rope=None, cache=None, layer=0, return_weights=False
    ):
        """x: (B, T, d_model) -> (B, T, d_model) [, weights (B, n_head, T, T_k)]."""
        if x.ndim != 3 or x.shape[-1] != self.n_head * self.head_dim:
            want = f"(B, T, {self.n_head * self.head_dim})"
            raise ValueError(f"x must have shape {want}, got {tuple(x.shape)}")
        B, T, d_model = x.shape
        q = split_heads(self.q_proj(x), self.n_head)  # (B, n_head, T, head_dim)
        k = split_heads(self.k_proj(x), self.n_kv_head)  # (B, n_kv_head, T, head_dim)
        v = split_heads(self.v_proj(x), self.n_kv_head)  # (B, n_kv_head, T, head_dim)
        if rope is not None:
            q, k = apply_rope(q, *rope), apply_rope(k, *rope)
        if cache is not None:
            k, v = cache.update(layer, k, v)  # (B, n_kv_head, T_k, head_dim), T_k >= T
        p = self.dropout if self.training else 0.0
        gqa = self.n_kv_head != self.n_head
        weights = None
        if self.fused and not return_weights:
            mask = None
            if causal and k.shape[2] != T:  # queries are the last T positions
                mask = torch.ones(T, k.shape[2], dtype=torch.bool, device=x.device)
                mask = mask.tril(diagonal=k.shape[2] - T)  # (T, T_k)
            out = F.scaled_dot_product_attention(
                q,
                k,
                v,
                attn_mask=mask,
                dropout_p=p,
                is_causal=causal and mask is None,
                enable_gqa=gqa,
            )  # (B, n_head, T, head_dim)
        else:
            out, weights = scaled_dot_product_attention(
                q, k, v, causal, dropout_p=p, return_weights=True, enable_gqa=gqa
            )  # (B, n_head, T, head_dim), (B, n_head, T, T_k)
        out = out.transpose(1, 2).reshape(B, T, d_model)  # concat: (B, T, d_model)
        out = self.o_proj(out)  # (B, T, d_model)
        return (out, weights) if return_weights else out


class SwiGLU(nn.Module):
    """down(SiLU(gate(x)) * up(x)): LLaMA's MLP. Introduced in 12_transformer_block."""

    def __init__(self, d_model: int, d_ff: int):
        super().__init__()
        self.gate_proj = nn.Linear(d_model, d_ff, bias=False)
        self.up_proj = nn.Linear(d_model, d_ff, bias=False)
        self.down_proj = nn.Linear(d_ff, d_model, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden = F.silu(self.gate_proj(x)) * self.up_proj(x)  # (B, T, d_ff)
        return self.down_proj(hidden)  # (B, T, d_model)


class DecoderBlock(nn.Module):
    """Pre-norm block: x + Attn(RMSNorm(x)), then x + MLP(RMSNorm(x)).

    Introduced in 12_transformer_block.
    """

    def __init__(self, config: DecoderConfig, *, fused: bool = True):
        super().__init__()
        self.attention_norm = RMSNorm(config.d_model, config.norm_eps)
        self.attention = MultiHeadAttention(
            config.d_model,
            config.n_head,
            n_kv_head=config.kv_heads,
            dropout=config.dropout,
            fused=fused,
        )
        self.mlp_norm = RMSNorm(config.d_model, config.norm_eps)
        self.mlp = SwiGLU(config.d_model, config.d_ff)
        self.residual_dropout = nn.Dropout(config.dropout)

    def forward(self, x, *, rope=None, cache=None, layer=0, return_weights=False):
        """x: (B, T, d_model) -> (B, T, d_model) [, attention weights]."""
        attn = self.attention(
            self.attention_norm(x),
            rope=rope,
            cache=cache,
            layer=layer,
            return_weights=return_weights,
        )
        attn, weights = attn if return_weights else (attn, None)
        x = x + self.residual_dropout(attn)  # residual add, (B, T, d_model)
        x = x + self.residual_dropout(self.mlp(self.mlp_norm(x)))  # (B, T, d_model)
        return (x, weights) if return_weights else x


class Decoder(nn.Module):
    """Token embedding → n_layer × DecoderBlock → RMSNorm → output head (logits).

    Introduced in 12_transformer_block; trained in 13_train_a_tiny_llm.
    """

    def __init__(self, config: DecoderConfig, *, fused_attention: bool = True):
        super().__init__()
        if not isinstance(config, DecoderConfig):
            raise TypeError(f"config must be a DecoderConfig, not {type(config)}")
        self.config = config
        n_bytes = 4 * _sizing().count_parameters(config)  # float32 weights
        _require_memory(n_bytes, "building this Decoder", torch.get_default_device())
        self.token_embedding = nn.Embedding(config.vocab_size, config.d_model)
        self.blocks = nn.ModuleList(
            DecoderBlock(config, fused=fused_attention) for _ in range(config.n_layer)
        )
        self.final_norm = RMSNorm(config.d_model, config.norm_eps)
        self.lm_head = nn.Linear(config.d_model, config.vocab_size, bias=False)
        if config.tie_embeddings:
            self.lm_head.weight = self.token_embedding.weight  # one shared (V, d_model)
        cos, sin = rope_cache(config.head_dim, config.context_length, config.rope_base)
        self.register_buffer("rope_cos", cos, persistent=False)  # (context, head_dim/2)
        self.register_buffer("rope_sin", sin, persistent=False)  # (context, head_dim/2)
        self.apply(self._init_weights)
        for name, p in self.named_parameters():  # GPT-2: scale residual projections
            if name.endswith(("o_proj.weight", "down_proj.weight")):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear | nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def new_cache(self, batch_size: int, dtype: torch.dtype | None = None) -> KVCache:
        """An empty KV cache for ``batch_size`` sequences of up to context_length."""
        weight = self.token_embedding.weight
        return KVCache(
            self.config, batch_size, device=weight.device, dtype=dtype or weight.dtype
        )

    def forward(self, idx, cache: KVCache | None = None, *, return_attention=False):
        """idx: (B, T) token IDs -> logits (B, T, V).

        With a cache, idx holds only the new tokens; their positions start at
        ``cache.length``. ``return_attention=True`` also returns a list with one
        (B, n_head, T, T_k) attention-weight tensor per layer. Only shapes are
        checked here (no host sync in the hot path): check the ID values once
        at your entry point with ``validate_ids``, as ``generate`` does.
        """
        c = self.config
        if (
            not isinstance(idx, torch.Tensor)
            or idx.dtype != torch.long
            or idx.ndim != 2
        ):
            raise TypeError("idx must be a LongTensor of token IDs with shape (B, T)")
        B, T = idx.shape
        start = 0 if cache is None else cache.length
        if T == 0 or start + T > c.context_length:
            raise ValueError(
                f"sequence length {start} + {T} must be in [1, "
                f"context_length={c.context_length}]"
            )
        if cache is not None and cache.k[0].shape[0] != B:
            raise ValueError(f"cache was made for batch {cache.k[0].shape[0]}, got {B}")
        rope = (self.rope_cos[start : start + T], self.rope_sin[start : start + T])
        x = self.token_embedding(idx)  # (B, T, d_model)
        attention = []
        for layer, block in enumerate(self.blocks):
            x = block(
                x, rope=rope, cache=cache, layer=layer, return_weights=return_attention
            )
            if return_attention:
                x, weights = x
                attention.append(weights)  # (B, n_head, T, start + T)
        if cache is not None:
            cache.length += T
        logits = self.lm_head(self.final_norm(x))  # (B, T, d_model) -> (B, T, V)
        return (logits, attention) if return_attention else logits


def validate_ids(idx, vocab_size: int) -> torch.Tensor:
    """Check a batch of token IDs once, at a public entry point: a LongTensor
    (B, T) with B, T >= 1 and every value in [0, vocab_size). This reads the
    values on the host (a GPU sync), which is why ``Decoder.forward`` does not.

    Introduced in 13_train_a_tiny_llm.
    """
    if not isinstance(idx, torch.Tensor) or idx.dtype != torch.long or idx.ndim != 2:
        got = idx.dtype if isinstance(idx, torch.Tensor) else type(idx).__name__
        raise TypeError(
            f"idx must be a LongTensor (torch.long) of token IDs with shape (B, T), "
            f"got {got}"
        )
    vocab_size = check_int(vocab_size, "vocab_size", low=1)
    if idx.numel() == 0:
        raise ValueError(
            f"idx must hold at least one token, got shape {tuple(idx.shape)}"
        )
    low, high = int(idx.min()), int(idx.max())
    if low < 0 or high >= vocab_size:
        raise ValueError(
            f"token IDs must be in [0, {vocab_size}), got values in [{low}, {high}]"
        )
    return idx


def greedy(logits: torch.Tensor) -> torch.Tensor:
    """Pick the most likely token: (B, V) -> (B, 1)."""
    return logits.argmax(dim=-1, keepdim=True)


@torch.no_grad()
def generate(
    model: Decoder,
    idx: torch.Tensor,
    max_new_tokens: int,
    *,
    use_cache: bool = True,
    sample: Callable[[torch.Tensor], torch.Tensor] | None = None,
):
    """Append ``max_new_tokens`` tokens to idx (B, T) one at a time; returns
    (B, T + max_new_tokens). ``sample`` maps last-position logits (B, V) to ids
    (B, 1), greedy argmax by default. Beyond context_length the window slides
    (the cache is rebuilt), so cached and uncached decoding agree token for token.
    The prompt's IDs are checked once here (``validate_ids``), not per token.
    Introduced in 14_inference_and_kv_cache.
    """
    if not isinstance(model, Decoder):
        raise TypeError(f"model must be a Decoder, got {type(model).__name__}")
    check_int(max_new_tokens, "max_new_tokens", low=0)
    validate_ids(idx, model.config.vocab_size)
    sample = sample or greedy
    context, was_training = model.config.context_length, model.training
    model.eval()
    cache, new_input = None, idx
    try:
        for _ in range(max_new_tokens):
            if not use_cache:
                logits = model(idx[:, -context:])  # (B, T', V)
            else:
                if cache is None or cache.length + new_input.shape[1] > context:
                    cache, new_input = model.new_cache(idx.shape[0]), idx[:, -context:]
                logits = model(new_input, cache=cache)  # (B, T_new, V)
            next_id = sample(logits[:, -1, :])  # (B, V) -> (B, 1)
            if next_id.shape != (idx.shape[0], 1):
                raise ValueError(
                    f"sample must return shape ({idx.shape[0]}, 1), "
                    f"got {tuple(next_id.shape)}"
                )
            idx = torch.cat([idx, next_id.to(idx)], dim=1)  # (B, T + 1)
            new_input = next_id.to(idx)
    finally:
        model.train(was_training)
    return idx
