"""helpers.sizing: parameter counts, bytes, presets, units, memory estimates."""

import random
from dataclasses import replace

import pytest
import torch
import torch.nn as nn

import helpers.sizing as sizing
from helpers.sizing import (
    DTYPE_BYTES,
    LLAMA_7B,
    PRESETS,
    count_parameters,
    dtype_bytes,
    format_bytes,
    gpt2_parameter_breakdown,
    kv_cache_bytes,
    kv_cache_bytes_per_token,
    model_memory_gb,
    model_size_summary,
    parameter_breakdown,
    require_memory,
    to_unit,
    weights_bytes,
)
from helpers.transformer import Decoder, DecoderConfig


def _numel_on_meta(config: DecoderConfig) -> int:
    with torch.device("meta"):  # shapes only: a 70B model costs no memory
        model = Decoder(config)
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("seed", range(10))
def test_counter_matches_built_model(seed):
    rng = random.Random(seed)
    n_head = rng.choice([1, 2, 4, 8])
    config = DecoderConfig(
        vocab_size=rng.randint(2, 80),
        context_length=rng.randint(1, 40),
        n_layer=rng.randint(1, 3),
        n_head=n_head,
        n_kv_head=rng.choice([None] + [d for d in (1, 2, 4, 8) if n_head % d == 0]),
        d_model=n_head * 2 * rng.randint(1, 6),
        d_ff=rng.randint(1, 50),
        tie_embeddings=seed % 2 == 0,
    )
    model = Decoder(config)
    assert count_parameters(config) == sum(p.numel() for p in model.parameters())
    if config.tie_embeddings:
        assert parameter_breakdown(config)["output head"] == 0


@pytest.mark.parametrize("name", [n for n, p in PRESETS.items() if p.layout == "llama"])
def test_llama_layout_presets_reproduce_published_counts_two_ways(name):
    preset = PRESETS[name]
    assert count_parameters(preset.config) == preset.published_params
    assert _numel_on_meta(preset.config) == preset.published_params


def test_gqa_published_counts():
    # LLaMA-2-70B: 8 KV heads shared by 64 query heads
    assert PRESETS["LLaMA-2-70B"].config.n_kv_head == 8
    assert count_parameters(PRESETS["LLaMA-2-70B"].config) == 68_976_648_192
    assert count_parameters(PRESETS["Mistral-7B-v0.1"].config) == 7_241_732_096
    assert count_parameters(PRESETS["Llama-3-8B"].config) == 8_030_261_248
    # the same shape with full multi-head attention: k and v projections grow
    mha = replace(PRESETS["LLaMA-2-70B"].config, n_kv_head=None)
    extra = count_parameters(mha) - 68_976_648_192
    assert extra == 80 * 2 * 8192 * (8192 - 1024)  # 80 layers x (k, v)


def test_llama_7b_parts():
    parts = parameter_breakdown(LLAMA_7B)
    assert parts["mlp (gate, up, down)"] == 32 * 3 * 4096 * 11008
    assert parts["attention (q, k, v, o)"] == 32 * 4 * 4096 * 4096
    assert sum(parts.values()) == 6_738_415_616
    assert LLAMA_7B is PRESETS["LLaMA-7B"].config


def test_gpt2_counter_matches_a_built_gpt2_layout_and_published_counts():
    V, ctx, L, d, d_ff = 37, 11, 2, 12, 20
    blocks = [
        nn.ModuleList(
            [
                nn.LayerNorm(d),
                nn.Linear(d, 3 * d),
                nn.Linear(d, d),
                nn.LayerNorm(d),
                nn.Linear(d, d_ff),
                nn.Linear(d_ff, d),
            ]
        )
        for _ in range(L)
    ]
    model = nn.ModuleList(
        [nn.Embedding(V, d), nn.Embedding(ctx, d), *blocks, nn.LayerNorm(d)]
    )
    config = DecoderConfig(
        vocab_size=V, context_length=ctx, n_layer=L, n_head=2, d_model=d, d_ff=d_ff
    )
    built = sum(p.numel() for p in model.parameters())
    assert sum(gpt2_parameter_breakdown(config).values()) == built
    for name in ("GPT-2 small", "GPT-2 XL"):
        preset = PRESETS[name]
        info = model_size_summary(preset.config, "gpt2")
        assert info["total"] == preset.published_params
    assert PRESETS["GPT-2 small"].published_params == 124_439_808


def test_model_size_summary_parts_and_errors():
    info = model_size_summary(LLAMA_7B)
    assert info["total"] == sum(info["parts"].values()) == 6_738_415_616
    assert info["bytes"]["fp16"] == 2 * 6_738_415_616
    assert info["kv_bytes_per_token"] == 524_288
    with pytest.raises(ValueError, match="layout"):
        model_size_summary(LLAMA_7B, "bert")
    with pytest.raises(TypeError, match="DecoderConfig"):
        model_size_summary({"d_model": 4})


def test_kv_cache_formula_takes_n_kv_head_and_matches_a_real_cache():
    assert kv_cache_bytes_per_token(LLAMA_7B) == 2 * 32 * 32 * 128 * 2  # 0.5 MiB
    assert (
        kv_cache_bytes_per_token(PRESETS["LLaMA-2-70B"].config) == 2 * 80 * 8 * 128 * 2
    )
    config = DecoderConfig(
        vocab_size=10, context_length=12, n_layer=3, n_head=4, n_kv_head=2,
        d_model=16, d_ff=8,
    )  # fmt: skip
    cache = Decoder(config).new_cache(batch_size=2)
    expected = kv_cache_bytes(config, 12, batch_size=2, dtype_bytes=4)
    assert cache.nbytes == expected == 2 * 3 * 2 * 4 * 4 * 12 * 2
    mha = replace(config, n_kv_head=None)
    assert kv_cache_bytes_per_token(mha) == 2 * kv_cache_bytes_per_token(config)


def test_bytes_table_units_and_formatting():
    for name, dtype in [("fp32", torch.float32), ("fp16", torch.float16),
                        ("bf16", torch.bfloat16), ("int8", torch.int8)]:  # fmt: skip
        assert DTYPE_BYTES[name] == torch.empty(0, dtype=dtype).element_size()
        assert dtype_bytes(dtype) == dtype_bytes(name)
    assert weights_bytes(6_738_415_616, "fp16") == 13_476_831_232
    assert weights_bytes(3, "int4") == 2  # rounds up to whole bytes
    assert model_memory_gb(7e9, "fp16") == 14.0
    assert model_memory_gb(1e9, "fp16") == 2.0
    assert model_memory_gb(7e9, "fp16", unit="GiB") == pytest.approx(13.0385, abs=1e-4)
    assert to_unit(2**30, "GiB") == 1.0 and to_unit(1e9, "GB") == 1.0
    assert format_bytes(13_476_831_232) == "13.48 GB (12.55 GiB)"
    assert format_bytes(524_288) == "524.29 KB (512.00 KiB)"
    assert format_bytes(999) == "999 B"
    assert format_bytes(2e12, binary=False) == "2.00 TB"


def test_sizing_inputs_are_checked():
    with pytest.raises(ValueError, match="unknown dtype"):
        weights_bytes(10, "fp64")
    with pytest.raises(ValueError, match="no byte count"):
        dtype_bytes(torch.complex64)
    with pytest.raises(ValueError, match=">= 0"):
        weights_bytes(-1, "fp32")
    with pytest.raises(ValueError, match="unit"):
        to_unit(10, "gigabytes")
    with pytest.raises(ValueError, match="finite"):
        format_bytes(float("nan"))
    with pytest.raises(TypeError, match="DecoderConfig"):
        count_parameters({"d_model": 4})
    with pytest.raises(TypeError, match="DecoderConfig"):
        kv_cache_bytes_per_token(None)
    with pytest.raises(ValueError, match="> 0"):
        kv_cache_bytes_per_token(LLAMA_7B, dtype_bytes=0)


def test_require_memory_refuses_with_the_estimate(monkeypatch):
    monkeypatch.setattr(sizing, "available_memory_bytes", lambda device: 10**9)
    require_memory(5 * 10**8, "a small table")  # fits: no error
    with pytest.raises(MemoryError, match=r"needs about 2.00 GB .* 1.00 GB"):
        require_memory(2 * 10**9, "a big table")
    monkeypatch.undo()
    free = sizing.available_memory_bytes("cpu")
    assert free is None or free > 0
