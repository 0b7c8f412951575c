"""Exercise checkers of 15_parallel_training.

Each prints ✅ / ❌ (with a tiered hint) / ⏱ / ⏳ and returns a ``CheckResult``; none
raises because of the learner's code. References are calls into ``helpers.pipeline``,
``helpers.parallel`` and ``helpers.cluster`` (tested in tests/test_pipeline.py,
tests/test_parallel.py and tests/test_cluster.py). Introduced in 15_parallel_training.
"""

from __future__ import annotations

import numpy as np
import torch

from helpers.checks import Cases, CheckResult, FunctionExercise
from helpers.cluster import data_parallel_comm_bytes, tensor_parallel_mlp_partials
from helpers.parallel import mlp_reference, zero_memory_per_gpu
from helpers.pipeline import simulate_pipeline

__all__ = [
    "CHECKER_CASES",
    "check_bubble_fraction",
    "check_comm_bytes",
    "check_split_mlp",
    "check_zero_total",
]


def _bubble(p, m):
    return simulate_pipeline(p, m).bubble_fraction


BUBBLE = FunctionExercise(
    notebook="15",
    key="bubble_fraction",
    title="pipeline bubble fraction",
    reference=_bubble,
    cases=[(1, 4), (4, 4), (4, 1), (8, 16), (2, 3)],
    hidden=lambda rng: (int(rng.integers(1, 12)), int(rng.integers(1, 40))),
    hints=(
        "以“一个微批次的前向 + 反向”为一个时间单位：每张卡真正在忙的是几个单位？"
        "第一个微批次要先穿过所有卡、最后一个微批次要最后离开，整条流水线一共要几个单位？"
        "空闲占比 = 空闲 ÷ 总时长。",
        "每张卡忙 m 个单位，总时长 m + p − 1 个单位，所以每张卡空闲 p − 1 个单位。",
        "return (p - 1) / (m + p - 1)",
    ),
    rtol=1e-9,
)


def check_bubble_fraction(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 1: ``bubble_fraction(p, m)``: idle share of a p-stage pipeline fed
    with m micro-batches."""
    return BUBBLE.check(fn, quiet=quiet)


def _zero_total(n_params, n_gpus, stage):
    return zero_memory_per_gpu(n_params, n_gpus, stage)["total"]


ZERO_TOTAL = FunctionExercise(
    notebook="15",
    key="zero_total",
    title="ZeRO bytes per GPU",
    reference=_zero_total,
    cases=[(7e9, 1, 0), (7.5e9, 64, 1), (7.5e9, 64, 2), (7.5e9, 64, 3), (1e9, 8, 3)],
    hidden=lambda rng: (
        float(rng.integers(1, 200)) * 1e8,
        int(rng.choice([2, 4, 8, 16, 64, 128])),
        int(rng.integers(0, 4)),
    ),
    hints=(
        "每个参数的 16 字节分三份：权重、梯度、优化器状态（混合精度下各几字节？）。"
        "stage 越高，被平均分到 N 张卡上的部分越多：stage 1 只分哪一份？stage 2、3 再加上哪一份？",
        "权重 2 字节、梯度 2 字节、优化器状态 12 字节；stage ≥ 1 时优化器状态 ÷ N，"
        "stage ≥ 2 时梯度也 ÷ N，stage 3 时权重也 ÷ N；三份相加再乘参数个数。",
        "weights = 2 * n_params / (n_gpus if stage >= 3 else 1)  # gradients: stage >= 2, "
        "optimizer (12 bytes): stage >= 1",
    ),
    rtol=1e-9,
)


def check_zero_total(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 2: ``zero_total_bytes(n_params, n_gpus, stage)``: per-GPU bytes of
    weights + gradients + Adam states (mixed precision) under ZeRO stage 0–3."""
    return ZERO_TOTAL.check(fn, quiet=quiet)


def _mlp_case(rng: np.random.Generator) -> tuple:
    n_parts = int(rng.choice([1, 2, 3, 4]))
    hidden = n_parts * int(rng.integers(1, 4))
    t, d = int(rng.integers(1, 5)), int(rng.integers(2, 6))
    g = torch.Generator().manual_seed(int(rng.integers(0, 2**31)))
    X = torch.randn(t, d, generator=g, dtype=torch.float64)
    A = torch.randn(d, hidden, generator=g, dtype=torch.float64)
    B = torch.randn(hidden, d, generator=g, dtype=torch.float64)
    return X, A, B, n_parts


def _mlp_visible() -> list[tuple]:
    g = torch.Generator().manual_seed(15)
    cases = []
    for n_parts in (1, 2, 4):
        X = torch.randn(3, 6, generator=g, dtype=torch.float64)
        A = torch.randn(6, 8, generator=g, dtype=torch.float64)
        B = torch.randn(8, 5, generator=g, dtype=torch.float64)
        cases.append((X, A, B, n_parts))
    return cases


def _diagnose_split(args, got, expected) -> str | None:
    X, A, B, n_parts = args
    if not isinstance(got, list) or len(got) != n_parts:
        return (
            f"要返回一个长度为 n_parts = {n_parts} 的列表 (list)，每个元素是一张卡的部分和，"
            "形状 (T, d_model)；不要自己把它们加起来。"
        )
    total = np.sum([np.asarray(p, dtype=float) for p in got], axis=0)
    if np.allclose(total, mlp_reference(X, A, B).numpy()):
        return (
            "这些部分和加起来是对的，但每一块不是“只用自己那一片 A 的列和 B 的行”算出来的："
            "例如把完整结果除以 n 再复制 n 份。张量并行的意义正在于每张卡只看得到自己那一片。"
        )
    return None


SPLIT_MLP = FunctionExercise(
    notebook="15",
    key="split_mlp",
    title="tensor-parallel MLP partial sums",
    reference=tensor_parallel_mlp_partials,
    cases=_mlp_visible(),
    hidden=_mlp_case,
    hints=(
        "想象真的有 n 张卡：第 i 张卡只拿到 A 的第 i 段列、B 的对应第 i 段行，看不到别的。"
        "它自己能算出什么？n 张卡各交出一份，all-reduce 再把它们加起来。",
        "每段宽度 w = A.shape[1] // n_parts；第 i 张卡：A[:, i*w:(i+1)*w] 和 B[i*w:(i+1)*w, :]，"
        "先 X 乘 A 的那一段、做 GeLU，再乘 B 的那一段；把 n 个结果放进列表返回。",
        "w = A.shape[1] // n_parts\n"
        "return [F.gelu(X @ A[:, i*w:(i+1)*w]) @ B[i*w:(i+1)*w, :] for i in range(n_parts)]",
    ),
    diagnose=_diagnose_split,
    rtol=1e-10,
    atol=1e-12,
)


def check_split_mlp(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 3: ``split_mlp(X, A, B, n_parts)`` → the list of the n_parts partial
    sums GeLU(X·A_i)·B_i, one per device, before the all-reduce."""
    return SPLIT_MLP.check(fn, quiet=quiet)


COMM = FunctionExercise(
    notebook="15",
    key="comm_bytes",
    title="data-parallel bytes sent per GPU",
    reference=data_parallel_comm_bytes,
    cases=[(1e9, 2, 0), (7e9, 64, 0), (7e9, 64, 2), (7e9, 64, 3), (1e9, 1, 3)],
    hidden=lambda rng: (
        float(rng.integers(1, 100)) * 1e8,
        int(rng.choice([1, 2, 3, 4, 8, 16, 64])),
        int(rng.integers(0, 4)),
    ),
    hints=(
        "一次 ring all-reduce 等于两个“半程”：reduce-scatter 和 all-gather，每个半程每张卡发出"
        "全部数据的 (N − 1)/N。数一数每个 stage 一步里有几个这样的半程，再乘上梯度/权重的字节数。",
        "DDP、stage 1、stage 2：2 个半程（梯度 reduce-scatter + 参数 all-gather）；"
        "stage 3：前向前、反向前各 all-gather 一次权重，再加梯度的 reduce-scatter，共 3 个半程。"
        "每个半程 (N − 1)/N × n_params × 2 字节 (BF16)。",
        "passes = 3 if stage == 3 else 2\n"
        "return passes * (n_gpus - 1) / n_gpus * n_params * 2",
    ),
    rtol=1e-9,
)


def check_comm_bytes(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 4: ``comm_bytes(n_params, n_gpus, stage)`` → bytes one GPU sends per
    training step (BF16, ring algorithm) under DDP (stage 0) and ZeRO stages 1–3."""
    return COMM.check(fn, quiet=quiet)


# --- answers for the tests --------------------------------------------------------


def _bubble_right(p, m):
    return (p - 1) / (m + p - 1)


def _bubble_over_m(p, m):
    return (p - 1) / m  # idle over busy time, not over the total


def _bubble_p_over(p, m):
    return p / (m + p)


def _zero_right(n, g, s):
    return (
        2 * n / (g if s >= 3 else 1)
        + 2 * n / (g if s >= 2 else 1)
        + 12 * n / (g if s >= 1 else 1)
    )


def _zero_all_split(n, g, s):
    return 16 * n / (g if s >= 1 else 1)  # splits everything from stage 1 on


def _zero_stage3_keeps_weights(n, g, s):
    return 2 * n + 2 * n / (g if s >= 2 else 1) + 12 * n / (g if s >= 1 else 1)


def _split_right(X, A, B, n_parts):
    w = A.shape[1] // n_parts
    return [
        torch.nn.functional.gelu(X @ A[:, i * w : (i + 1) * w])
        @ B[i * w : (i + 1) * w, :]
        for i in range(n_parts)
    ]


def _split_unsplit(X, A, B, n_parts):
    whole = torch.nn.functional.gelu(X @ A) @ B  # every "device" sees all of A and B
    return [whole / n_parts] * n_parts


def _split_gelu_late(X, A, B, n_parts):
    w = A.shape[1] // n_parts
    return [
        torch.nn.functional.gelu(
            (X @ A[:, i * w : (i + 1) * w]) @ B[i * w : (i + 1) * w, :]
        )
        for i in range(n_parts)
    ]


def _split_summed(X, A, B, n_parts):
    return sum(_split_right(X, A, B, n_parts))  # one tensor, not one per device


def _comm_right(n, g, s):
    return (3 if s == 3 else 2) * (g - 1) / g * n * 2


def _comm_no_ring_factor(n, g, s):
    return (3 if s == 3 else 2) * n * 2  # forgets (N-1)/N


def _comm_zero3_like_ddp(n, g, s):
    return 2 * (g - 1) / g * n * 2


CHECKER_CASES = [
    Cases(
        check_bubble_fraction,
        BUBBLE,
        right=[_bubble_right],
        wrong=[_bubble_over_m, _bubble_p_over],
    ),
    Cases(
        check_zero_total,
        ZERO_TOTAL,
        right=[_zero_right],
        wrong=[_zero_all_split, _zero_stage3_keeps_weights],
    ),
    Cases(
        check_split_mlp,
        SPLIT_MLP,
        right=[_split_right],
        wrong=[_split_unsplit, _split_gelu_late, _split_summed],
    ),
    Cases(
        check_comm_bytes,
        COMM,
        right=[_comm_right],
        wrong=[_comm_no_ring_factor, _comm_zero3_like_ddp],
    ),
]
