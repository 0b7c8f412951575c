"""Additions for 14_inference_and_kv_cache: min-p filtering
(helpers.sampling.min_p_filter) and how many sequences fit in memory
(helpers.sizing.max_concurrent_sequences)."""

import math
from dataclasses import replace

import pytest
import torch

from helpers.sampling import min_p_filter
from helpers.sizing import (
    PRESETS,
    count_parameters,
    kv_cache_bytes,
    max_concurrent_sequences,
)


def test_min_p_keeps_tokens_at_least_min_p_times_the_top_probability():
    gen = torch.Generator().manual_seed(0)
    for min_p in (0.05, 0.1, 0.5, 1.0):
        logits = torch.randn(4, 50, generator=gen, dtype=torch.float64) * 3
        kept = torch.isfinite(min_p_filter(logits, min_p))
        probs = torch.softmax(logits, dim=-1)
        top = probs.amax(dim=-1, keepdim=True)
        assert torch.equal(kept, probs >= min_p * top * (1 - 1e-12))
        assert kept.any(dim=-1).all()  # the most likely token always survives


def test_min_p_adapts_to_confidence_and_checks_its_input():
    flat, peaked = torch.zeros(10), torch.tensor([8.0] + [0.0] * 9)
    assert torch.isfinite(min_p_filter(flat, 0.1)).sum() == 10
    assert torch.isfinite(min_p_filter(peaked, 0.1)).sum() == 1
    with pytest.raises(ValueError):
        min_p_filter(flat, 0.0)


def test_max_concurrent_sequences_divides_what_the_weights_leave():
    config = PRESETS["LLaMA-2-70B"].config
    memory = 8 * 80e9  # eight 80 GB GPUs
    weights = count_parameters(config) * 2
    per_sequence = kv_cache_bytes(config, 4096)
    fits = max_concurrent_sequences(memory, count_parameters(config), per_sequence)
    assert fits == math.floor((memory - weights) / per_sequence)
    mha = replace(config, n_kv_head=None)
    mha_fits = max_concurrent_sequences(
        memory, count_parameters(mha), kv_cache_bytes(mha, 4096)
    )
    assert mha_fits < fits / 7  # an 8x larger cache
    assert max_concurrent_sequences(80e9, count_parameters(config), per_sequence) == 0
    with pytest.raises(ValueError):
        max_concurrent_sequences(80e9, 1e9, 0)
