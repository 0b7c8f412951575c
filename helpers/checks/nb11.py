"""Exercise checkers of 11_self_attention.

Each prints ✅ / ❌ (with a tiered hint) / ⏳ and returns a ``CheckResult``; none
raises because of the learner's code. References are thin calls into
``helpers.transformer`` (the tested attention), never second copies of the answer.
Introduced in 11_self_attention.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from helpers.checks import Cases, CheckResult, FunctionExercise, ValueExercise
from helpers.transformer import scaled_dot_product_attention

__all__ = [
    "CHECKER_CASES",
    "check_causal_mask",
    "check_decay_average",
    "check_masked_attention_weights",
]


#: The shape of the mask-prediction exercise: the last 2 of 5 positions query.
MASK_SHAPE = (2, 5)


def _bottom_right_mask() -> torch.Tensor:
    """Where the helpers' causal attention gives a key any weight: with equal scores
    every allowed key gets 1/(number allowed) > 0, every hidden one exactly 0."""
    T_q, T_k = MASK_SHAPE
    q = torch.zeros(T_q, 1, dtype=torch.float64)
    k = torch.zeros(T_k, 1, dtype=torch.float64)
    _, weights = scaled_dot_product_attention(q, k, k, causal=True, return_weights=True)
    return weights > 0  # (T_q, T_k)


def _as_bool_grid(answer) -> np.ndarray:
    grid = np.asarray(answer)
    if grid.shape != MASK_SHAPE:
        raise ValueError(
            f"请给出 {MASK_SHAPE[0]} 行 {MASK_SHAPE[1]} 列的 0/1 列表，收到的形状是 {grid.shape}"
        )
    if not np.isin(grid, (0, 1)).all():
        raise ValueError("每个格子只能是 0 或 1（或 False / True）")
    return grid.astype(bool)


def _mask_diagnose(args, got, expected) -> str | None:
    top_left = np.tril(np.ones(MASK_SHAPE, dtype=bool))
    if np.array_equal(np.asarray(got, dtype=bool), top_left):
        return (
            "这是左上对齐 (top-left)：它把 2 个查询当成位置 0、1。"
            "本题的查询是最后 2 个位置（右下对齐，bottom-right），比如 KV 缓存里新来的词元。"
        )
    return None


CAUSAL_MASK = ValueExercise(
    notebook="11",
    key="causal_mask",
    title="bottom-right causal mask (2 × 5)",
    expected=_bottom_right_mask,
    transform=_as_bool_grid,
    diagnose=_mask_diagnose,
    hints=(
        "5 个键是位置 0 … 4；2 个查询是序列里最后的两个词元。先想清楚每个查询自己在哪个位置，"
        "它能看到位置不超过自己的所有键。",
        "查询 0 在位置 3，查询 1 在位置 4：第 i 个查询能看键 j 的条件是 j ≤ i + (T_k − T_q) = i + 3。",
        "[[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]]",
    ),
)


def check_causal_mask(answer, *, quiet: bool = False) -> CheckResult:
    """Exercise 1 (predict before running): the (2, 5) causal mask, as 0/1 rows,
    when the 2 queries are the last 2 of 5 positions (bottom-right alignment)."""
    return CAUSAL_MASK.check(answer, quiet=quiet)


def _masked_weights_reference(Q, K, mask, temperature: float) -> torch.Tensor:
    scale = 1.0 / (math.sqrt(Q.shape[-1]) * temperature)
    _, weights = scaled_dot_product_attention(
        Q, K, K, mask=mask, scale=scale, return_weights=True
    )
    return weights  # (T_q, T_k); a row with no allowed key is all zeros


def _masked_case(rng: np.random.Generator) -> tuple:
    T_q, T_k, d = (int(x) for x in rng.integers(1, 6, size=3))
    mask = torch.as_tensor(rng.random((T_q, T_k)) < 0.6)
    mask[int(rng.integers(T_q))] = False  # one query sees nothing
    return (
        torch.as_tensor(rng.normal(size=(T_q, d))),
        torch.as_tensor(rng.normal(size=(T_k, d))),
        mask,
        float(rng.choice([0.25, 0.5, 1.0, 2.0, 4.0])),
    )


def _masked_visible() -> list[tuple]:
    gen = torch.Generator().manual_seed(11)
    Q = torch.randn(3, 4, dtype=torch.float64, generator=gen)
    K = torch.randn(4, 4, dtype=torch.float64, generator=gen)
    padding = torch.tensor([True, True, True, False]).expand(3, 4)  # key 3 is PAD
    no_keys = torch.tensor(
        [
            [True, False, False, False],
            [False, False, False, False],
            [True, True, False, False],
        ]
    )
    big = torch.tensor([[30.0, 0.0], [0.0, 30.0]], dtype=torch.float64)
    return [
        (Q, K, padding, 1.0),
        (Q, K, no_keys, 0.5),
        (big, big * 40, torch.ones(2, 2, dtype=torch.bool), 1.0),
        (Q, K, padding, 3.0),
    ]


def _masked_diagnose(args, got, expected) -> str | None:
    got = np.asarray(got, dtype=float)
    if np.isnan(got).any():
        return (
            "结果里有 NaN：一整行都被遮住时，softmax 对一行全是 −∞ 的分数做 0/0。"
            "这样的行应当输出全 0（没有可看的键，就什么也不取）。"
        )
    return None


MASKED_WEIGHTS = FunctionExercise(
    notebook="11",
    key="masked_attention_weights",
    title="masked_attention_weights",
    reference=_masked_weights_reference,
    cases=_masked_visible(),
    hidden=_masked_case,
    diagnose=_masked_diagnose,
    hints=(
        "被遮住 (False) 的键在 softmax 之后权重必须正好是 0，其余的权重每行加起来是 1。"
        "想一想：一个查询如果一个键都不许看，它这一行应该是什么？softmax 会给出什么？",
        "分数 = Q Kᵀ / (√d_k · temperature)；把 mask 为 False 的分数换成 −∞ 再按行做 softmax；"
        "最后把 mask 为 False 的位置（包括整行都被遮住时 softmax 给出的 NaN）换成 0。",
        "scores = Q @ K.T / (math.sqrt(Q.shape[-1]) * temperature)\n"
        "scores = scores.masked_fill(~mask, float('-inf'))\n"
        "return torch.softmax(scores, dim=-1).masked_fill(~mask, 0.0)",
    ),
    rtol=1e-6,
    atol=1e-9,
)


def check_masked_attention_weights(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 2: ``masked_attention_weights(Q, K, mask, temperature)`` → (T_q, T_k)
    weights softmax(Q Kᵀ / (√d_k · temperature)) over the keys a query may see
    (mask True); a query that may see no key gets a row of zeros, never NaN."""
    return MASKED_WEIGHTS.check(fn, quiet=quiet)


def _decay_reference(x: torch.Tensor, decay: float) -> torch.Tensor:
    """Causal attention whose score for key j is −ln(decay)·j: after the softmax,
    query t weighs key j ≤ t by decay^(t − j) / Σ (row constants cancel)."""
    T = x.shape[0]
    q = torch.ones(T, 1, dtype=torch.float64)  # (T, 1)
    k = -math.log(decay) * torch.arange(T, dtype=torch.float64)[:, None]  # (T, 1)
    return scaled_dot_product_attention(q, k, x.double(), causal=True, scale=1.0)


def _decay_case(rng: np.random.Generator) -> tuple:
    T, d = int(rng.integers(1, 8)), int(rng.integers(1, 4))
    return torch.as_tensor(rng.normal(size=(T, d))), float(rng.uniform(0.1, 1.0))


def _decay_diagnose(args, got, expected) -> str | None:
    x, decay = args
    x = torch.as_tensor(x, dtype=torch.float64)
    T = x.shape[0]
    t = torch.arange(T)
    unnormalised = torch.tril(decay ** (t[:, None] - t[None, :]).double()) @ x
    if np.allclose(got, unnormalised.numpy()):
        return "每一行的权重还没有归一化：除以这一行权重之和，让它们加起来等于 1。"
    return None


DECAY_AVERAGE = FunctionExercise(
    notebook="11",
    key="decay_average",
    title="decay_average",
    reference=_decay_reference,
    cases=[
        (torch.tensor([[1.0], [2.0], [3.0], [4.0]], dtype=torch.float64), 1.0),
        (torch.tensor([[1.0], [2.0], [3.0], [4.0]], dtype=torch.float64), 0.5),
        (torch.arange(12, dtype=torch.float64).reshape(4, 3), 0.9),
        (torch.tensor([[5.0, -1.0]], dtype=torch.float64), 0.3),
    ],
    hidden=_decay_case,
    diagnose=_decay_diagnose,
    hints=(
        "和“下三角矩阵求平均”一样，输出第 t 行只用 x 的第 0 … t 行；区别只在权重："
        "越近的位置权重越大，隔 t − j 步的权重是 decay 的 t − j 次方。每行权重加起来要是 1。",
        "建一个 (T, T) 的权重矩阵 W：j ≤ t 时 W[t, j] = decay^(t − j)，j > t 时为 0；"
        "每行除以该行之和；输出 W @ x，形状 (T, d)。",
        "t = torch.arange(T)\n"
        "W = torch.tril(decay ** (t[:, None] - t[None, :]).double())\n"
        "return (W / W.sum(dim=1, keepdim=True)) @ x",
    ),
    rtol=1e-9,
    atol=1e-12,
)


def check_decay_average(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 3: ``decay_average(x, decay)`` with x (T, d) → (T, d): row t is
    Σ_{j ≤ t} decay^(t − j) x_j / Σ_{j ≤ t} decay^(t − j)."""
    return DECAY_AVERAGE.check(fn, quiet=quiet)


# --- answers for the tests --------------------------------------------------------


def _mask_top_left():
    return [[1, 0, 0, 0, 0], [1, 1, 0, 0, 0]]


def _mask_one_short():
    return [[1, 1, 1, 0, 0], [1, 1, 1, 1, 0]]  # queries at positions 2, 3


def _masked_right(Q, K, mask, temperature):
    scores = (Q @ K.T / (Q.shape[-1] ** 0.5 * temperature)).masked_fill(
        ~mask, float("-inf")
    )
    return torch.softmax(scores, dim=-1).masked_fill(~mask, 0.0)


def _masked_nan_rows(Q, K, mask, temperature):
    scores = (Q @ K.T / (Q.shape[-1] ** 0.5 * temperature)).masked_fill(
        ~mask, float("-inf")
    )
    return torch.softmax(scores, dim=-1)  # a fully masked row is NaN


def _masked_zero_scores(Q, K, mask, temperature):
    scores = (Q @ K.T / (Q.shape[-1] ** 0.5 * temperature)).masked_fill(
        ~mask, 0.0
    )  # 0 is not -inf
    return torch.softmax(scores, dim=-1)


def _masked_unstable(Q, K, mask, temperature):
    scores = Q @ K.T / (Q.shape[-1] ** 0.5 * temperature)
    e = torch.exp(scores) * mask  # overflows for large scores
    return e / e.sum(dim=-1, keepdim=True).clamp_min(1e-300)


def _decay_right(x, decay):
    t = torch.arange(x.shape[0])
    W = torch.tril(decay ** (t[:, None] - t[None, :]).double())  # (T, T)
    return (W / W.sum(dim=1, keepdim=True)) @ x


def _decay_uniform(x, decay):
    W = torch.tril(torch.ones(x.shape[0], x.shape[0], dtype=torch.float64))
    return (W / W.sum(dim=1, keepdim=True)) @ x  # ignores decay


def _decay_unnormalised(x, decay):
    t = torch.arange(x.shape[0])
    return torch.tril(decay ** (t[:, None] - t[None, :]).double()) @ x


def _decay_backwards(x, decay):
    t = torch.arange(x.shape[0])
    W = torch.tril(decay ** (t[None, :] - t[:, None]).double())  # oldest weighs least
    W = torch.nan_to_num(W, posinf=0.0)
    return (W / W.sum(dim=1, keepdim=True)) @ x


CHECKER_CASES = [
    Cases(
        check_causal_mask,
        CAUSAL_MASK,
        right=[[[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]], _bottom_right_mask()],
        wrong=[_mask_top_left(), _mask_one_short(), [[1, 1, 1, 1, 1]]],
    ),
    Cases(
        check_masked_attention_weights,
        MASKED_WEIGHTS,
        right=[_masked_right],
        wrong=[_masked_nan_rows, _masked_zero_scores, _masked_unstable],
    ),
    Cases(
        check_decay_average,
        DECAY_AVERAGE,
        right=[_decay_right],
        wrong=[_decay_uniform, _decay_unnormalised, _decay_backwards],
    ),
]
