"""Exercise checkers of 15_parallel_training."""

from __future__ import annotations

import torch

from helpers.checks import CheckResult, check_function
from helpers.parallel import mlp_reference, zero_memory_per_gpu
from helpers.pipeline import simulate_pipeline

__all__ = ["check_bubble_fraction", "check_split_mlp", "check_zero_total"]


def check_bubble_fraction(bubble_fraction) -> CheckResult:
    """Exercise 1: the bubble fraction of a p-stage, m-micro-batch pipeline."""
    cases = [(p, m) for p in (1, 2, 4, 8) for m in (1, 4, 16)]
    return check_function(
        bubble_fraction,
        lambda p, m: simulate_pipeline(p, m).bubble_fraction,
        cases,
        name="bubble_fraction",
        hint="每台设备忙碌 m 个单位，整条流水线要 m + p − 1 个单位；空闲占比是多少？",
    )


def check_zero_total(zero_total_bytes) -> CheckResult:
    """Exercise 2: per-GPU bytes of weights + gradients + Adam states under ZeRO."""
    cases = [(7e9, 1, 0), (7.5e9, 64, 1), (7.5e9, 64, 2), (7.5e9, 64, 3), (1e9, 8, 3)]
    return check_function(
        zero_total_bytes,
        lambda n, g, s: zero_memory_per_gpu(n, g, s)["total"],
        cases,
        name="zero_total_bytes",
        hint="每个参数 2 + 2 + 12 字节；stage 1 把 12 分给 N 张卡，stage 2 再分梯度的 2，"
        "stage 3 再分权重的 2。",
        rtol=1e-9,
    )


def check_split_mlp(split_mlp) -> CheckResult:
    """Exercise 3: the tensor-parallel MLP computed piece by piece in one process."""
    g = torch.Generator().manual_seed(15)
    cases = []
    for n_parts in (1, 2, 4):
        X = torch.randn(3, 6, generator=g, dtype=torch.float64)
        A = torch.randn(6, 8, generator=g, dtype=torch.float64)
        B = torch.randn(8, 5, generator=g, dtype=torch.float64)
        cases.append((X, A, B, n_parts))
    return check_function(
        split_mlp,
        lambda X, A, B, n_parts: mlp_reference(X, A, B),
        cases,
        name="split_mlp",
        hint="A 按列切成 n 块，B 按行切成对应的 n 块；每块算 GeLU(X·A_i)·B_i，最后求和。",
        rtol=1e-10,
    )
