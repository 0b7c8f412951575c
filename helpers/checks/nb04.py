"""Exercise checkers of 04_tensors_and_gpu."""

from __future__ import annotations

import torch

from helpers.checks import CheckResult, check_function
from helpers.tensors import (
    linear_param_count,
    matmul_flops,
    model_memory_gb,
    split_heads,
)

__all__ = [
    "check_linear_params",
    "check_matmul_flops",
    "check_split_heads",
    "check_weights_gb",
]


def check_linear_params(student_fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 1: ``linear_params(in_features, out_features)`` counts the weights
    and biases of ``nn.Linear``."""
    cases = [(768, 3072), (3, 4), (4096, 11008), (1, 1), (512, 10)]
    return check_function(
        student_fn,
        linear_param_count,
        cases,
        name="linear_params",
        hint="权重矩阵有 in_features × out_features 个数，每个输出神经元还有一个偏置。",
        quiet=quiet,
    )


def check_weights_gb(student_fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 2: ``weights_gb(n_params, dtype)`` gives the weights memory in GB
    (10^9 bytes) for dtype "fp32", "fp16", "bf16", "int8" or "int4"."""
    cases = [
        (1e9, "fp16"),
        (7e9, "fp16"),
        (7e9, "fp32"),
        (13e9, "int8"),
        (70e9, "int4"),
        (1.5e9, "bf16"),
    ]
    return check_function(
        student_fn,
        model_memory_gb,
        cases,
        name="weights_gb",
        hint="每个参数的字节数：fp32 = 4，fp16/bf16 = 2，int8 = 1，int4 = 0.5；"
        "再除以 1e9 得到 GB。",
        rtol=1e-9,
        quiet=quiet,
    )


def check_matmul_flops(student_fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 3: ``count_matmul_flops(m, k, n)`` counts the FLOPs of (m, k) @ (k, n)."""
    cases = [(2, 3, 4), (64, 128, 256), (4096, 4096, 4096), (1, 768, 3072)]
    return check_function(
        student_fn,
        matmul_flops,
        cases,
        name="count_matmul_flops",
        hint="输出有 m × n 个元素，每个是长度 k 的点积：k 次乘法加 k 次加法。",
        quiet=quiet,
    )


def _split_heads_cases() -> list[tuple]:
    gen = torch.Generator().manual_seed(4)
    return [
        (torch.randn(2, 5, 8, generator=gen), 2),
        (torch.randn(1, 3, 12, generator=gen), 4),
        (torch.randn(3, 4, 6, generator=gen), 1),
        (torch.randn(2, 7, 16, generator=gen), 16),
    ]


def check_split_heads(student_fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 4: ``split_heads(x, n_head)`` turns (B, T, d_model) into
    (B, n_head, T, head_dim), head h holding columns h·head_dim … (h+1)·head_dim−1."""
    return check_function(
        student_fn,
        split_heads,
        _split_heads_cases(),
        name="split_heads",
        hint="先 view 成 (B, T, n_head, head_dim)，再交换第 1、2 维。"
        "直接 view 成 (B, n_head, T, head_dim) 会把不同位置的数混在一起。",
        quiet=quiet,
    )
