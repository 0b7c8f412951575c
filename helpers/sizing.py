"""How big a model is: parameter counts, bytes per number, weights and KV-cache
memory, the public model presets, and one way to print byte counts.

This is the one home of these facts. Parameters are counted from a
``DecoderConfig`` alone (no model built); ``tests/test_sizing.py`` checks every
formula against ``sum(p.numel())`` of a model built on the ``meta`` device.
Introduced in 04_tensors_and_gpu (bytes per number) and 12_transformer_block
(the counter, presets, KV cache); used in 14_inference_and_kv_cache.

Units: GB = 10^9 bytes (what model cards and the seeds use), GiB = 2^30 bytes
(what ``nvidia-smi`` and most operating systems show). ``format_bytes`` prints
both, so the two are never mixed up.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import torch

from helpers.transformer import DecoderConfig
from helpers.validate import check_choice, check_int, check_number

__all__ = [
    "BYTE_UNITS",
    "DTYPE_BYTES",
    "LLAMA_7B",
    "PRESETS",
    "ModelPreset",
    "available_memory_bytes",
    "count_parameters",
    "dtype_bytes",
    "format_bytes",
    "gpt2_parameter_breakdown",
    "kv_cache_bytes",
    "kv_cache_bytes_per_token",
    "model_memory_gb",
    "max_concurrent_sequences",
    "model_size_summary",
    "parameter_breakdown",
    "require_memory",
    "to_unit",
    "weights_bytes",
]

#: Bytes that one stored number takes in each format (int4 packs two per byte).
DTYPE_BYTES: dict[str, float] = {
    "fp32": 4,
    "fp16": 2,
    "bf16": 2,
    "int8": 1,
    "int4": 0.5,
}

_TORCH_NAMES = {
    torch.float32: "fp32",
    torch.float16: "fp16",
    torch.bfloat16: "bf16",
    torch.int8: "int8",
}

#: Bytes in one unit: decimal (KB, MB, GB, TB = powers of 10) and binary
#: (KiB, MiB, GiB, TiB = powers of 2).
BYTE_UNITS: dict[str, float] = {
    "B": 1,
    "KB": 1e3,
    "MB": 1e6,
    "GB": 1e9,
    "TB": 1e12,
    "KiB": 2**10,
    "MiB": 2**20,
    "GiB": 2**30,
    "TiB": 2**40,
}


def dtype_bytes(dtype: str | torch.dtype) -> float:
    """Bytes per number of a format name ("fp16") or a ``torch.dtype``.

    Introduced in 04_tensors_and_gpu.
    """
    if isinstance(dtype, torch.dtype):
        if dtype not in _TORCH_NAMES:
            raise ValueError(
                f"no byte count for {dtype}; expected one of {list(_TORCH_NAMES)}"
            )
        dtype = _TORCH_NAMES[dtype]
    check_choice(dtype, "dtype", DTYPE_BYTES)
    return DTYPE_BYTES[dtype]


def to_unit(n_bytes: int | float, unit: str = "GB") -> float:
    """``n_bytes`` expressed in ``unit`` (a ``BYTE_UNITS`` key).

    Introduced in 04_tensors_and_gpu.
    """
    n_bytes = check_number(n_bytes, "n_bytes", low=0)
    check_choice(unit, "unit", BYTE_UNITS)
    return n_bytes / BYTE_UNITS[unit]


def format_bytes(n_bytes: int | float, *, digits: int = 2, binary: bool = True) -> str:
    """A byte count in the course's one convention: decimal units first, the
    binary unit beside it when it differs, e.g. ``"13.48 GB (12.55 GiB)"``.

    The unit is the largest one that keeps the number at least 1.
    ``binary=False`` leaves out the parenthesis. Introduced in 12_transformer_block.
    """
    n_bytes = check_number(n_bytes, "n_bytes", low=0)
    digits = check_int(digits, "digits", low=0, high=10)
    if n_bytes < 1000:
        return f"{n_bytes:,.0f} B"

    def pick(units):
        for unit in reversed(units):
            if n_bytes >= BYTE_UNITS[unit]:
                return unit
        return units[0]

    decimal = pick(("KB", "MB", "GB", "TB"))
    text = f"{n_bytes / BYTE_UNITS[decimal]:,.{digits}f} {decimal}"
    if binary:
        unit = pick(("KiB", "MiB", "GiB", "TiB"))
        text += f" ({n_bytes / BYTE_UNITS[unit]:,.{digits}f} {unit})"
    return text


# --- counting parameters -------------------------------------------------------


def _check_config(config) -> DecoderConfig:
    if not isinstance(config, DecoderConfig):
        raise TypeError(f"config must be a DecoderConfig, got {type(config).__name__}")
    return config


def parameter_breakdown(config: DecoderConfig) -> dict[str, int]:
    """Parameters of each component of ``Decoder(config)`` (LLaMA layout),
    counted from the config alone. With ``n_kv_head < n_head`` the k and v
    projections shrink to ``n_kv_head · head_dim`` outputs each.

    Introduced in 12_transformer_block.
    """
    c = _check_config(config)
    kv_width = c.kv_heads * c.head_dim  # outputs of k_proj and of v_proj
    return {
        "token_embedding": c.vocab_size * c.d_model,  # (V, d_model)
        # q and o: d_model x d_model each; k and v: d_model x kv_width each
        "attention (q, k, v, o)": c.n_layer * 2 * c.d_model * (c.d_model + kv_width),
        "mlp (gate, up, down)": c.n_layer * 3 * c.d_model * c.d_ff,
        "rmsnorm weights": (2 * c.n_layer + 1) * c.d_model,
        "output head": 0 if c.tie_embeddings else c.vocab_size * c.d_model,
    }


def count_parameters(config: DecoderConfig) -> int:
    """Total parameters of ``Decoder(config)``. Introduced in 12_transformer_block."""
    return sum(parameter_breakdown(config).values())


def gpt2_parameter_breakdown(config: DecoderConfig) -> dict[str, int]:
    """Parameters of the GPT-2 layout with ``config``'s sizes: learned position
    embeddings (``context_length`` rows), LayerNorm with biases, biased linear
    layers, a GELU MLP (fc, proj) and an output head tied to the embedding.

    Introduced in 12_transformer_block.
    """
    c = _check_config(config)
    d, kv_width = c.d_model, c.kv_heads * c.head_dim
    qkv = d * (d + 2 * kv_width) + (d + 2 * kv_width)  # c_attn weight + bias
    return {
        "token embedding": c.vocab_size * d,
        "position embedding": c.context_length * d,  # learned, not sinusoidal
        "attention (qkv, o + biases)": c.n_layer * (qkv + d * d + d),
        "mlp (fc, proj + biases)": c.n_layer * (2 * d * c.d_ff + c.d_ff + d),
        "layernorms": (2 * c.n_layer + 1) * 2 * d,  # weight and bias
        "output head": 0,  # tied to the token embedding
    }


# --- memory ------------------------------------------------------------------


def weights_bytes(n_params: int | float, dtype: str = "fp16") -> int:
    """Memory of ``n_params`` weights stored as ``dtype`` (a ``DTYPE_BYTES`` key).

    Introduced in 04_tensors_and_gpu and 12_transformer_block.
    """
    n_params = check_number(n_params, "n_params", low=0)
    return math.ceil(n_params * dtype_bytes(dtype))


def model_memory_gb(
    n_params: int | float, dtype: str = "fp16", unit: str = "GB"
) -> float:
    """Weights memory in GB (10^9 bytes) or another ``BYTE_UNITS`` unit.

    Introduced in 04_tensors_and_gpu.
    """
    return to_unit(weights_bytes(n_params, dtype), unit)


def kv_cache_bytes_per_token(config: DecoderConfig, dtype_bytes: float = 2) -> int:
    """Keys + values stored per token: 2 · n_layer · n_kv_head · head_dim · bytes.

    Only the KV heads are stored, so grouped-query attention (``n_kv_head <
    n_head``) shrinks the cache by ``n_head / n_kv_head``. Introduced in
    12_transformer_block; used in 14_inference_and_kv_cache.
    """
    c = _check_config(config)
    dtype_bytes = check_number(dtype_bytes, "dtype_bytes", low=0, low_inclusive=False)
    return math.ceil(2 * c.n_layer * c.kv_heads * c.head_dim * dtype_bytes)


def kv_cache_bytes(
    config: DecoderConfig, n_tokens: int, *, batch_size: int = 1, dtype_bytes=2
) -> int:
    """KV-cache bytes of ``batch_size`` sequences of ``n_tokens`` tokens each.

    Introduced in 14_inference_and_kv_cache.
    """
    n_tokens = check_int(n_tokens, "n_tokens", low=0)
    batch_size = check_int(batch_size, "batch_size", low=1)
    return kv_cache_bytes_per_token(config, dtype_bytes) * n_tokens * batch_size


def max_concurrent_sequences(
    memory_bytes: int | float,
    n_params: int | float,
    kv_bytes_per_sequence: int | float,
    *,
    weight_bytes: float = 2,
) -> int:
    """How many sequences fit beside the weights: the memory left after
    ``n_params`` weights of ``weight_bytes`` each, divided by one sequence's KV
    cache (``kv_cache_bytes(config, n_tokens)``), rounded down; 0 when the weights
    alone do not fit. Activations and fragmentation are ignored.

    Introduced in 14_inference_and_kv_cache.
    """
    memory_bytes = check_number(memory_bytes, "memory_bytes", low=0)
    n_params = check_number(n_params, "n_params", low=0)
    per_sequence = check_number(
        kv_bytes_per_sequence, "kv_bytes_per_sequence", low=0, low_inclusive=False
    )
    weight_bytes = check_number(
        weight_bytes, "weight_bytes", low=0, low_inclusive=False
    )
    left = memory_bytes - n_params * weight_bytes
    if left <= 0:
        return 0
    return int(left // per_sequence)


# --- public model configurations ----------------------------------------------


@dataclass(frozen=True)
class ModelPreset:
    """A released model's shape and the parameter count its authors report.

    Introduced in 12_transformer_block.
    """

    name: str  # the model's usual name
    layout: str  # "llama" (RMSNorm, SwiGLU, RoPE) or "gpt2" (LayerNorm, GELU, biases)
    config: DecoderConfig  # its sizes
    published_params: int  # the count of the released weights


def _llama(name, published, **sizes) -> ModelPreset:
    return ModelPreset(name, "llama", DecoderConfig(**sizes), published)


def _gpt2(name, published, **sizes) -> ModelPreset:
    config = DecoderConfig(vocab_size=50257, context_length=1024, **sizes)
    return ModelPreset(name, "gpt2", config, published)


#: Public configurations, keyed by name (config.json of each release).
PRESETS: dict[str, ModelPreset] = {
    p.name: p
    for p in [
        _gpt2(
            "GPT-2 small",
            124_439_808,
            n_layer=12,
            n_head=12,
            d_model=768,
            d_ff=3072,
            tie_embeddings=True,
        ),
        _gpt2(
            "GPT-2 XL",
            1_557_611_200,
            n_layer=48,
            n_head=25,
            d_model=1600,
            d_ff=6400,
            tie_embeddings=True,
        ),
        _llama(
            "LLaMA-7B",
            6_738_415_616,
            vocab_size=32000,
            context_length=4096,
            n_layer=32,
            n_head=32,
            d_model=4096,
            d_ff=11008,
            norm_eps=1e-6,
        ),
        _llama(
            "LLaMA-2-13B",
            13_015_864_320,
            vocab_size=32000,
            context_length=4096,
            n_layer=40,
            n_head=40,
            d_model=5120,
            d_ff=13824,
        ),
        _llama(
            "LLaMA-65B",
            65_285_660_672,
            vocab_size=32000,
            context_length=2048,
            n_layer=80,
            n_head=64,
            d_model=8192,
            d_ff=22016,
            norm_eps=1e-6,
        ),
        # grouped-query attention: 8 KV heads shared by 64 (70B) or 32 query heads
        _llama(
            "LLaMA-2-70B",
            68_976_648_192,
            vocab_size=32000,
            context_length=4096,
            n_layer=80,
            n_head=64,
            n_kv_head=8,
            d_model=8192,
            d_ff=28672,
        ),
        _llama(
            "Mistral-7B-v0.1",
            7_241_732_096,
            vocab_size=32000,
            context_length=32768,
            n_layer=32,
            n_head=32,
            n_kv_head=8,
            d_model=4096,
            d_ff=14336,
        ),
        _llama(
            "Llama-3-8B",
            8_030_261_248,
            vocab_size=128256,
            context_length=8192,
            n_layer=32,
            n_head=32,
            n_kv_head=8,
            d_model=4096,
            d_ff=14336,
            rope_base=500000.0,
        ),
    ]
}

#: LLaMA-7B's public configuration (6,738,415,616 parameters).
LLAMA_7B: DecoderConfig = PRESETS["LLaMA-7B"].config


def model_size_summary(config: DecoderConfig, layout: str = "llama") -> dict:
    """Parameters (total and by part), weights memory and KV cache per token.

    Parts are named alike for both layouts: embeddings, attention, mlp, norms,
    output head. Introduced in 12_transformer_block.
    """
    _check_config(config)
    check_choice(layout, "layout", ("llama", "gpt2"))
    if layout == "llama":
        values = list(parameter_breakdown(config).values())
    else:
        raw = list(gpt2_parameter_breakdown(config).values())
        values = [raw[0] + raw[1], *raw[2:]]  # token + position embeddings
    names = ("embeddings", "attention", "mlp", "norms", "output head")
    parts = dict(zip(names, values, strict=True))
    total = sum(parts.values())
    return {
        "parts": parts,
        "total": total,
        "bytes": {
            name: weights_bytes(total, name) for name in ("fp32", "fp16", "int8")
        },
        "kv_bytes_per_token": kv_cache_bytes_per_token(config, dtype_bytes=2),
        "context_length": config.context_length,
    }


# --- will it fit? ---------------------------------------------------------------


def available_memory_bytes(device: torch.device | str = "cpu") -> int | None:
    """Free memory on ``device`` now: CUDA's free bytes, or the operating
    system's ``MemAvailable`` for the CPU (None where it cannot be read).

    Introduced in 04_tensors_and_gpu.
    """
    device = torch.device(device)
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        return int(free)
    if device.type == "meta":
        return None
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def require_memory(
    n_bytes: int | float, what: str, device: torch.device | str = "cpu"
) -> None:
    """Raise ``MemoryError`` before allocating if ``n_bytes`` cannot fit in the
    memory ``device`` has free now; the message gives both numbers.

    Introduced in 04_tensors_and_gpu.
    """
    n_bytes = check_number(n_bytes, "n_bytes", low=0)
    free = available_memory_bytes(device)
    if free is not None and n_bytes > free:
        raise MemoryError(
            f"{what} needs about {format_bytes(n_bytes)}, but only "
            f"{format_bytes(free)} is free on {torch.device(device)}; "
            "choose smaller sizes"
        )
