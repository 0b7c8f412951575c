"""A small LLaMA-style decoder-only transformer, written to be read.

Attention is introduced in 11_self_attention; the block, the model and the
parameter / memory counters in 12_transformer_block; training and sampling use
them in 13_train_a_tiny_llm and 14_inference_and_kv_cache. RoPE and the
sinusoidal table live in ``helpers.positions`` (10_positional_encoding).

Dimension names: B batch, T sequence length, d_model width, n_head heads,
head_dim = d_model / n_head, V vocabulary size.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from helpers.positions import apply_rope, rope_cache
from helpers.validate import check_choice, check_int, check_number

__all__ = [
    "DTYPE_BYTES",
    "LLAMA_7B",
    "Decoder",
    "DecoderBlock",
    "DecoderConfig",
    "KVCache",
    "MultiHeadAttention",
    "RMSNorm",
    "SwiGLU",
    "count_parameters",
    "generate",
    "greedy",
    "kv_cache_bytes_per_token",
    "parameter_breakdown",
    "scaled_dot_product_attention",
    "weights_bytes",
]


@dataclass
class DecoderConfig:
    """The shape of a decoder. Introduced in 12_transformer_block."""

    vocab_size: int  # V: how many token IDs exist
    context_length: int  # longest sequence (prompt + generated) the model accepts
    n_layer: int  # number of decoder blocks stacked on top of each other
    n_head: int  # attention heads per block; must divide d_model
    d_model: int  # width of the residual stream (embedding size)
    d_ff: int  # hidden width of the SwiGLU MLP (11008 in LLaMA-7B)
    tie_embeddings: bool = False  # True: the output head reuses the embedding table
    rope_base: float = 10000.0  # base of the RoPE frequencies
    norm_eps: float = 1e-5  # epsilon inside RMSNorm's square root
    dropout: float = 0.0  # dropout on attention weights and sub-layer outputs

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


#: LLaMA-7B's public configuration (6,738,415,616 parameters).
LLAMA_7B = DecoderConfig(
    vocab_size=32000,
    context_length=4096,
    n_layer=32,
    n_head=32,
    d_model=4096,
    d_ff=11008,
    tie_embeddings=False,
    norm_eps=1e-6,
)


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


def scaled_dot_product_attention(
    q, k, v, causal=False, mask=None, *, scale=None, dropout_p=0.0, return_weights=False
):
    """softmax(q kᵀ · scale + mask) v, written out. Introduced in 11_self_attention.

    q: (..., T_q, head_dim), k: (..., T_k, head_dim), v: (..., T_k, d_v).
    ``scale`` defaults to 1/√head_dim. ``causal``: query i may see key j only if
    j <= i + (T_k - T_q), i.e. the queries are the *last* T_q positions (this is
    what a KV cache needs; for T_q == T_k it is the usual lower triangle).
    ``mask``: bool tensor broadcastable to (..., T_q, T_k), True = may attend.
    Returns the output (..., T_q, d_v), and the weights (..., T_q, T_k) if asked.
    """
    for name, t in (("q", q), ("k", k), ("v", v)):
        if not isinstance(t, torch.Tensor) or t.ndim < 2:
            raise TypeError(f"{name} must be a tensor with at least 2 dims (T, dim)")
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"shapes do not fit: q {tuple(q.shape)}, k {tuple(k.shape)}, "
            f"v {tuple(v.shape)}; need q/k same last dim, k/v same T"
        )
    t_q, t_k = q.shape[-2], k.shape[-2]
    if scale is None:
        scale = 1.0 / math.sqrt(q.shape[-1])
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
    if dropout_p > 0.0:
        weights = F.dropout(weights, p=dropout_p)
    out = weights @ v  # (..., T_q, T_k) @ (..., T_k, d_v) -> (..., T_q, d_v)
    return (out, weights) if return_weights else out


class KVCache:
    """Keys and values of every layer for the tokens seen so far.

    ``k[layer]`` and ``v[layer]`` are (B, n_head, context_length, head_dim); the
    first ``length`` positions are filled. Introduced in 14_inference_and_kv_cache.
    """

    def __init__(self, config, batch_size: int, *, device=None, dtype=torch.float32):
        B = check_int(batch_size, "batch_size", low=1)
        shape = (B, config.n_head, config.context_length, config.head_dim)
        n_layer = config.n_layer
        self.k = [
            torch.zeros(shape, device=device, dtype=dtype) for _ in range(n_layer)
        ]
        self.v = [torch.zeros_like(k) for k in self.k]
        self.max_length = config.context_length
        self.length = 0  # positions filled; advanced by Decoder.forward

    def update(self, layer: int, k_new: torch.Tensor, v_new: torch.Tensor):
        """Store (B, n_head, T, head_dim) new keys/values after the cached ones and
        return all of them: (B, n_head, length + T, head_dim) each."""
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

    ``rope=(cos, sin)`` rotates queries and keys (``None``: no positions, the form
    that equals ``nn.MultiheadAttention``). ``fused=True`` computes with PyTorch's
    fast kernel unless weights are asked for. Introduced in 11_self_attention.
    """

    def __init__(self, d_model: int, n_head: int, *, dropout=0.0, fused=True):
        super().__init__()
        if d_model % n_head != 0:
            raise ValueError(f"n_head ({n_head}) must divide d_model ({d_model})")
        self.n_head, self.head_dim = n_head, d_model // n_head
        self.dropout, self.fused = dropout, fused
        self.q_proj = nn.Linear(d_model, d_model, bias=False)
        self.k_proj = nn.Linear(d_model, d_model, bias=False)
        self.v_proj = nn.Linear(d_model, d_model, bias=False)
        self.o_proj = nn.Linear(d_model, d_model, bias=False)

    def _split_heads(self, x: torch.Tensor) -> torch.Tensor:
        B, T, _ = x.shape
        x = x.view(B, T, self.n_head, self.head_dim)  # (B, T, n_head, head_dim)
        return x.transpose(1, 2)  # (B, n_head, T, head_dim)

    def forward(
        self, x, *, causal=True, rope=None, cache=None, layer=0, return_weights=False
    ):
        """x: (B, T, d_model) -> (B, T, d_model) [, weights (B, n_head, T, T_k)]."""
        if x.ndim != 3 or x.shape[-1] != self.n_head * self.head_dim:
            want = f"(B, T, {self.n_head * self.head_dim})"
            raise ValueError(f"x must have shape {want}, got {tuple(x.shape)}")
        B, T, d_model = x.shape
        q = self._split_heads(self.q_proj(x))  # (B, n_head, T, head_dim)
        k = self._split_heads(self.k_proj(x))  # (B, n_head, T, head_dim)
        v = self._split_heads(self.v_proj(x))  # (B, n_head, T, head_dim)
        if rope is not None:
            q, k = apply_rope(q, *rope), apply_rope(k, *rope)
        if cache is not None:
            k, v = cache.update(layer, k, v)  # (B, n_head, T_k, head_dim), T_k >= T
        p = self.dropout if self.training else 0.0
        weights = None
        if self.fused and not return_weights:
            mask = None
            if causal and k.shape[2] != T:  # queries are the last T positions
                mask = torch.ones(T, k.shape[2], dtype=torch.bool, device=x.device)
                mask = mask.tril(diagonal=k.shape[2] - T)  # (T, T_k)
            out = F.scaled_dot_product_attention(
                q, k, v, attn_mask=mask, dropout_p=p, is_causal=causal and mask is None
            )  # (B, n_head, T, head_dim)
        else:
            out, weights = scaled_dot_product_attention(
                q, k, v, causal, dropout_p=p, return_weights=True
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
            config.d_model, config.n_head, dropout=config.dropout, fused=fused
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
        (B, n_head, T, T_k) attention-weight tensor per layer.
        """
        c = self.config
        B, T = _check_ids(idx).shape
        start = 0 if cache is None else cache.length
        if T == 0 or start + T > c.context_length:
            raise ValueError(
                f"sequence length {start} + {T} must be in [1, "
                f"context_length={c.context_length}]"
            )
        bad = not torch.compiler.is_compiling() and (  # skip the sync when compiled
            int(idx.min()) < 0 or int(idx.max()) >= c.vocab_size
        )
        if bad:
            raise ValueError(
                f"token IDs must be in [0, {c.vocab_size}), got values in "
                f"[{int(idx.min())}, {int(idx.max())}]"
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


def _check_ids(idx):
    if not isinstance(idx, torch.Tensor) or idx.dtype != torch.long or idx.ndim != 2:
        raise TypeError("idx must be a LongTensor of token IDs with shape (B, T)")
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
    Introduced in 14_inference_and_kv_cache.
    """
    check_int(max_new_tokens, "max_new_tokens", low=0)
    _check_ids(idx)
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


def parameter_breakdown(config: DecoderConfig) -> dict[str, int]:
    """Parameters of each component, counted from the config alone (no model built).

    Introduced in 12_transformer_block.
    """
    c = config
    if not isinstance(c, DecoderConfig):
        raise TypeError(f"config must be a DecoderConfig, got {type(c).__name__}")
    return {
        "token_embedding": c.vocab_size * c.d_model,  # (V, d_model)
        "attention (q, k, v, o)": c.n_layer * 4 * c.d_model * c.d_model,
        "mlp (gate, up, down)": c.n_layer * 3 * c.d_model * c.d_ff,
        "rmsnorm weights": (2 * c.n_layer + 1) * c.d_model,
        "output head": 0 if c.tie_embeddings else c.vocab_size * c.d_model,
    }


def count_parameters(config: DecoderConfig) -> int:
    """Total parameters of ``Decoder(config)``. Introduced in 12_transformer_block."""
    return sum(parameter_breakdown(config).values())


#: Bytes per stored number for the data types the course compares.
DTYPE_BYTES = {"fp32": 4.0, "fp16": 2.0, "bf16": 2.0, "int8": 1.0, "int4": 0.5}


def weights_bytes(n_params: int, dtype_name: str) -> int:
    """Memory of ``n_params`` weights stored as ``dtype_name`` (a DTYPE_BYTES key).

    Introduced in 04_tensors_and_gpu and 12_transformer_block.
    """
    check_int(n_params, "n_params", low=0)
    check_choice(dtype_name, "dtype_name", DTYPE_BYTES)
    return math.ceil(n_params * DTYPE_BYTES[dtype_name])


def kv_cache_bytes_per_token(config: DecoderConfig, dtype_bytes: int = 2) -> int:
    """Keys + values stored per token: 2 · n_layer · n_head · head_dim · bytes.

    Introduced in 12_transformer_block; used in 14_inference_and_kv_cache.
    """
    if not isinstance(config, DecoderConfig):
        raise TypeError(f"config must be a DecoderConfig, got {type(config).__name__}")
    check_int(dtype_bytes, "dtype_bytes", low=1)
    return 2 * config.n_layer * config.n_head * config.head_dim * dtype_bytes
