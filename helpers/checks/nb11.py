"""Exercise checkers of 11_self_attention.

References are built on ``helpers.transformer`` (the tested implementation), so
the checkers never hold a second copy of the answer.
"""

from __future__ import annotations

import torch

from helpers.checks import CheckResult, check_function
from helpers.transformer import scaled_dot_product_attention

__all__ = ["check_attention_weights", "check_causal_mask", "check_merge_heads"]


def _qk_cases() -> list[tuple]:
    gen = torch.Generator().manual_seed(11)
    shapes = [(3, 2), (4, 8), (6, 16)]  # (T, d_k)
    return [
        (
            torch.randn(t, d, generator=gen, dtype=torch.float64),
            torch.randn(t, d, generator=gen, dtype=torch.float64),
        )
        for t, d in shapes
    ]


def _attention_weights_reference(q, k):
    _, weights = scaled_dot_product_attention(q, k, k, return_weights=True)
    return weights


def check_attention_weights(fn, quiet: bool = False) -> CheckResult:
    """fn(Q, K) with Q, K of shape (T, d_k) → softmax(Q Kᵀ / √d_k), shape (T, T)."""
    return check_function(
        lambda q, k: fn(q.clone(), k.clone()),
        _attention_weights_reference,
        _qk_cases(),
        name="attention_weights",
        hint="scores = Q @ K.T / sqrt(d_k)，再对每一行 (dim=-1) 做 softmax。",
        quiet=quiet,
    )


def _causal_mask_reference(T):
    q = torch.zeros(T, 1)
    allowed = scaled_dot_product_attention(q, q, torch.eye(T), causal=True) > 0
    return allowed  # row i: True for keys 0..i (weights of the causal softmax)


def check_causal_mask(fn, quiet: bool = False) -> CheckResult:
    """fn(T) → bool tensor (T, T), True where query i may see key j (j <= i)."""
    return check_function(
        lambda T: torch.as_tensor(fn(T)).bool(),
        _causal_mask_reference,
        [(1,), (2,), (5,)],
        name="causal_mask",
        hint="第 i 行允许看第 0..i 个位置：下三角 (torch.tril) 为 True。",
        quiet=quiet,
    )


def _merge_heads_reference(y):
    B, n_head, T, head_dim = y.shape
    # (B, n_head, T, head_dim) -> (B, T, n_head, head_dim) -> (B, T, d_model)
    return y.transpose(1, 2).reshape(B, T, n_head * head_dim)


def check_merge_heads(fn, quiet: bool = False) -> CheckResult:
    """fn(y) with y (B, n_head, T, head_dim) → (B, T, n_head * head_dim): the
    heads' outputs side by side (concat), before W_O."""
    y = torch.arange(2 * 4 * 3 * 2, dtype=torch.float64).reshape(2, 4, 3, 2)
    cases = [(y,), (y.reshape(2, 1, 3, 8),), (y.reshape(2, 8, 3, 1),)]
    return check_function(
        lambda y: fn(y.clone()),
        _merge_heads_reference,
        cases,
        name="merge_heads",
        hint="先 transpose(1, 2) 变成 (B, T, n_head, head_dim)，再 reshape。",
        quiet=quiet,
    )
