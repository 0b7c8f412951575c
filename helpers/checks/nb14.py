"""Exercise checkers of 14_inference_and_kv_cache."""

from __future__ import annotations

import torch

from helpers.checks import CheckResult, check_function
from helpers.checks.nb12 import kv_bytes_reference
from helpers.sampling import compare_allocators, next_token_probs

__all__ = ["check_kv_cache_bytes", "check_paged_waste", "check_top_k_probs"]


def check_kv_cache_bytes(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 1: ``fn(n_layer, n_head, head_dim, n_tokens, dtype_bytes)`` →
    bytes of keys and values for ``n_tokens`` tokens."""
    cases = [
        (32, 32, 128, 1, 2),
        (32, 32, 128, 4096, 2),
        (4, 4, 32, 64, 4),
        (80, 64, 128, 1000, 1),
    ]
    return check_function(
        fn,
        kv_bytes_reference,
        cases,
        name="KV cache bytes",
        hint="每个 token、每一层都要存 K 和 V 两份，每份 n_head × head_dim 个数。",
        quiet=quiet,
    )


def _top_k_probs(logits, k):
    return next_token_probs(logits, 1.0, top_k=k)


def check_top_k_probs(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 2: ``fn(logits, k)`` → the distribution after keeping only the
    ``k`` largest logits (a 1-D tensor that sums to 1)."""
    logits = torch.tensor([3.0, 2.2, 2.0, 1.2, 1.0, 0.6, -0.5, -1.0])
    cases = [(logits, 1), (logits, 3), (logits, 8), (logits.flip(0), 2)]
    return check_function(
        fn,
        _top_k_probs,
        cases,
        name="top-k probabilities",
        rtol=1e-5,
        atol=1e-6,
        hint="把前 k 大以外的 logit 设成 -inf，再做 softmax（torch.topk 可以帮忙）。",
        quiet=quiet,
    )


def _paged_waste(lengths, block_size):
    report = compare_allocators(
        list(lengths), max_seq_len=max(lengths), block_size=block_size
    )
    return report["paged"].wasted_slots


def check_paged_waste(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 3: ``fn(lengths, block_size)`` → slots reserved but unused when
    each sequence gets whole blocks of ``block_size`` slots."""
    cases = [([5, 17, 9], 4), ([16, 16], 16), ([1, 2, 3], 8), ([100, 33, 7, 64], 16)]
    return check_function(
        fn,
        _paged_waste,
        cases,
        name="paged waste",
        hint="每条序列需要 ceil(长度 / block_size) 个块；浪费 = 块数 × block_size - 长度。",
        quiet=quiet,
    )
