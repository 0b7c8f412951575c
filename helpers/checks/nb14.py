"""Exercise checkers of 14_inference_and_kv_cache.

Each prints ✅ / ❌ (with a tiered hint) / ⏱ / ⏳ and returns a ``CheckResult``; none
raises because of the learner's code. References are calls into ``helpers.sizing``
and ``helpers.sampling`` (tested in tests/test_sizing.py, tests/test_sampling.py and
tests/test_inference_capacity.py). Introduced in 14_inference_and_kv_cache.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import torch

from helpers.checks import Cases, CheckResult, FunctionExercise
from helpers.sampling import compare_allocators, min_p_filter, next_token_probs
from helpers.sizing import (
    PRESETS,
    count_parameters,
    kv_cache_bytes,
    max_concurrent_sequences,
)
from helpers.transformer import DecoderConfig

__all__ = [
    "CHECKER_CASES",
    "check_max_sequences",
    "check_min_p_probs",
    "check_paged_waste",
    "check_top_k_probs",
]

_LLAMA_PRESETS = [p.config for p in PRESETS.values() if p.layout == "llama"]


def _kv_config(n_layer, n_kv_head, head_dim) -> DecoderConfig:
    """A config whose KV cache has these sizes (query heads do not matter)."""
    return DecoderConfig(
        vocab_size=1,
        context_length=1,
        n_layer=n_layer,
        n_head=n_kv_head,
        d_model=n_kv_head * head_dim,
        d_ff=1,
    )


def _max_sequences(memory_gb, n_params, n_layer, n_kv_head, head_dim, n_tokens):
    per_sequence = kv_cache_bytes(_kv_config(n_layer, n_kv_head, head_dim), n_tokens)
    return max_concurrent_sequences(memory_gb * 1e9, n_params, per_sequence)


def _case_of(memory_gb, config, n_tokens) -> tuple:
    return (
        float(memory_gb),
        count_parameters(config),
        config.n_layer,
        config.kv_heads,
        config.head_dim,
        n_tokens,
    )


def _max_sequences_case(rng: np.random.Generator) -> tuple:
    config = _LLAMA_PRESETS[int(rng.integers(len(_LLAMA_PRESETS)))]
    n_kv = int(
        rng.choice([d for d in (1, 2, 4, 8, config.n_head) if config.n_head % d == 0])
    )
    memory = float(rng.choice([24, 48, 80, 141, 160, 320, 640]))
    return _case_of(
        memory,
        replace(config, n_kv_head=n_kv),
        int(rng.choice([1024, 2048, 4096, 8192])),
    )


_MISTRAL = PRESETS["Mistral-7B-v0.1"].config

MAX_SEQUENCES = FunctionExercise(
    notebook="14",
    key="max_sequences",
    title="sequences that fit in GPU memory",
    reference=_max_sequences,
    cases=[
        _case_of(80, _MISTRAL, 4096),
        _case_of(
            80, replace(_MISTRAL, n_kv_head=None), 4096
        ),  # the same model with MHA
        _case_of(640, PRESETS["LLaMA-2-70B"].config, 4096),
        _case_of(24, _MISTRAL, 32768),
        _case_of(
            16, PRESETS["Llama-3-8B"].config, 4096
        ),  # the weights alone do not fit
    ],
    hidden=_max_sequences_case,
    hints=(
        "显存先要放下整份权重；剩下的空间里，每条序列要一整份 KV cache。"
        "这条序列的 KV cache 有多大（只有 KV 头才存）？"
        "放不下权重时答案是 0，放不满一条序列时向下取整。GB 是 10⁹ 字节。",
        "权重字节 = n_params × 2；每条序列 = 2 × n_layer × n_kv_head × head_dim × 2 × n_tokens；"
        "答案 = max(0, ⌊(memory_gb × 10⁹ − 权重) ÷ 每条序列⌋)。",
        "left = memory_gb * 1e9 - 2 * n_params\n"
        "return max(0, int(left // (2 * n_layer * n_kv_head * head_dim * 2 * n_tokens)))",
    ),
    rtol=0,
    atol=0,
)


def check_max_sequences(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 1: ``max_sequences(memory_gb, n_params, n_layer, n_kv_head, head_dim,
    n_tokens)`` → how many sequences of ``n_tokens`` tokens fit beside the FP16
    weights (FP16 KV cache)."""
    return MAX_SEQUENCES.check(fn, quiet=quiet)


def _top_k_probs(logits, k):
    return next_token_probs(logits, 1.0, top_k=k)


_LOGITS = torch.tensor([3.0, 2.2, 2.0, 1.2, 1.0, 0.6, -0.5, -1.0])


def _logits_case(rng: np.random.Generator) -> torch.Tensor:
    n = int(rng.integers(2, 12))
    scale = float(rng.choice([1.0, 3.0, 300.0]))
    return torch.tensor(rng.permutation(n) + rng.random(n), dtype=torch.float64) * scale


TOP_K = FunctionExercise(
    notebook="14",
    key="top_k_probs",
    title="top-k probabilities",
    reference=_top_k_probs,
    cases=[
        (_LOGITS, 1),
        (_LOGITS, 3),
        (_LOGITS, 8),
        (_LOGITS.flip(0), 2),
        (torch.tensor([1000.0, 999.0, 0.0]), 2),
    ],
    hidden=lambda rng: (lambda z: (z, int(rng.integers(1, len(z) + 1))))(
        _logits_case(rng)
    ),
    hints=(
        "只有最大的 k 个 logits 还有机会被选中，其余的概率必须正好是 0；"
        "剩下的 k 个之间的相对大小不变，它们的概率要重新加起来等于 1。",
        "找到第 k 大的 logit 作为门槛，把小于门槛的 logits 设成 −∞ (float('-inf'))，"
        "再做 softmax：e^(−∞) = 0。",
        "threshold = torch.topk(logits, k).values[-1]\n"
        "return torch.softmax(logits.masked_fill(logits < threshold, float('-inf')), dim=-1)",
    ),
    rtol=1e-5,
    atol=1e-6,
)


def check_top_k_probs(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 2: ``top_k_probs(logits, k)`` → the distribution after keeping only
    the ``k`` largest logits (a 1-D tensor that sums to 1)."""
    return TOP_K.check(fn, quiet=quiet)


def _min_p_probs(logits, min_p):
    return torch.softmax(min_p_filter(logits, min_p).double(), dim=-1)


MIN_P = FunctionExercise(
    notebook="14",
    key="min_p_probs",
    title="min-p probabilities",
    reference=_min_p_probs,
    cases=[
        (_LOGITS, 0.1),
        (_LOGITS, 0.5),
        (_LOGITS, 1.0),
        (_LOGITS * 4, 0.1),
        (torch.tensor([1000.0, 999.0, 990.0]), 0.2),
    ],
    hidden=lambda rng: (
        _logits_case(rng),
        float(rng.choice([0.05, 0.1, 0.2, 0.5, 0.9])),
    ),
    hints=(
        "min-p 的门槛不是固定的概率，而是“最可能的那个 token 的概率 × min_p”："
        "模型越有把握，门槛越高、留下的词越少。先算出完整分布，再决定谁留下，最后重新归一化。",
        "probs = softmax(logits)；保留 probs ≥ min_p × probs.max() 的位置，其余概率设为 0，"
        "再除以保留部分的总和（或把其余 logits 设成 −∞ 再做一次 softmax）。",
        "probs = torch.softmax(logits, dim=-1)\n"
        "kept = torch.where(probs >= min_p * probs.max(), probs, 0.0)\n"
        "return kept / kept.sum()",
    ),
    rtol=1e-5,
    atol=1e-6,
)


def check_min_p_probs(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 3: ``min_p_probs(logits, min_p)`` → the distribution after keeping
    the tokens whose probability is at least ``min_p`` × the top probability."""
    return MIN_P.check(fn, quiet=quiet)


def _paged_waste(lengths, block_size):
    report = compare_allocators(
        list(lengths), max_seq_len=max(lengths), block_size=block_size
    )
    return report["paged"].wasted_slots


PAGED_WASTE = FunctionExercise(
    notebook="14",
    key="paged_waste",
    title="paged waste",
    reference=_paged_waste,
    cases=[([5, 17, 9], 4), ([16, 16], 16), ([1, 2, 3], 8), ([100, 33, 7, 64], 16)],
    hidden=lambda rng: (
        [int(n) for n in rng.integers(1, 300, size=int(rng.integers(1, 8)))],
        int(rng.choice([1, 2, 4, 8, 16, 32])),
    ),
    hints=(
        "每条序列只能拿到整块 (block)：长度不是块大小的整数倍时，最后一块没填满的位置就浪费了。"
        "正好填满时浪费多少？",
        "每条序列要 ⌈长度 ÷ block_size⌉ 块；浪费 = 块数 × block_size − 长度；所有序列相加。",
        "return sum(math.ceil(n / block_size) * block_size - n for n in lengths)",
    ),
    rtol=0,
    atol=0,
)


def check_paged_waste(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 4: ``paged_waste(lengths, block_size)`` → slots reserved but unused
    when each sequence gets whole blocks of ``block_size`` slots."""
    return PAGED_WASTE.check(fn, quiet=quiet)


# --- answers for the tests --------------------------------------------------------


def _kv_per_sequence(n_layer, heads, head_dim, n_tokens):
    return 2 * n_layer * heads * head_dim * 2 * n_tokens


def _max_right(memory_gb, n_params, n_layer, n_kv, head_dim, n_tokens):
    left = memory_gb * 1e9 - 2 * n_params
    return max(0, int(left // _kv_per_sequence(n_layer, n_kv, head_dim, n_tokens)))


def _max_keys_only(memory_gb, n_params, n_layer, n_kv, head_dim, n_tokens):
    left = memory_gb * 1e9 - 2 * n_params  # forgets the values: half the cache
    return max(
        0, int(left // (_kv_per_sequence(n_layer, n_kv, head_dim, n_tokens) / 2))
    )


def _max_no_weights(memory_gb, n_params, n_layer, n_kv, head_dim, n_tokens):
    return int(memory_gb * 1e9 // _kv_per_sequence(n_layer, n_kv, head_dim, n_tokens))


def _max_gib(memory_gb, n_params, n_layer, n_kv, head_dim, n_tokens):
    left = memory_gb * 2**30 - 2 * n_params  # GiB instead of GB
    return max(0, int(left // _kv_per_sequence(n_layer, n_kv, head_dim, n_tokens)))


def _top_k_right(logits, k):
    threshold = torch.topk(logits, k).values[-1]
    return torch.softmax(logits.masked_fill(logits < threshold, float("-inf")), dim=-1)


def _top_k_not_masked(logits, k):
    return torch.softmax(logits, dim=-1)


def _top_k_not_renormalised(logits, k):
    probs = torch.softmax(logits, dim=-1)
    return probs.masked_fill(logits < torch.topk(logits, k).values[-1], 0.0)


def _min_p_right(logits, min_p):
    probs = torch.softmax(logits, dim=-1)
    kept = torch.where(probs >= min_p * probs.max(), probs, 0.0)
    return kept / kept.sum()


def _min_p_absolute(logits, min_p):
    probs = torch.softmax(logits, dim=-1)
    kept = torch.where(probs >= min_p, probs, 0.0)  # a fixed threshold: not min-p
    return kept / kept.sum()


def _min_p_not_renormalised(logits, min_p):
    probs = torch.softmax(logits, dim=-1)
    return torch.where(probs >= min_p * probs.max(), probs, 0.0)


def _waste_right(lengths, block_size):
    return sum(math.ceil(n / block_size) * block_size - n for n in lengths)


def _waste_floor(lengths, block_size):
    return sum(n - (n // block_size) * block_size for n in lengths)  # floor: the tail


def _waste_one_block_each(lengths, block_size):
    return sum(
        block_size - n % block_size for n in lengths
    )  # full blocks waste a block


CHECKER_CASES = [
    Cases(
        check_max_sequences,
        MAX_SEQUENCES,
        right=[_max_right],
        wrong=[_max_keys_only, _max_no_weights, _max_gib],
    ),
    Cases(
        check_top_k_probs,
        TOP_K,
        right=[_top_k_right],
        wrong=[_top_k_not_masked, _top_k_not_renormalised],
    ),
    Cases(
        check_min_p_probs,
        MIN_P,
        right=[_min_p_right],
        wrong=[_min_p_absolute, _min_p_not_renormalised],
    ),
    Cases(
        check_paged_waste,
        PAGED_WASTE,
        right=[_waste_right],
        wrong=[_waste_floor, _waste_one_block_each],
    ),
]
