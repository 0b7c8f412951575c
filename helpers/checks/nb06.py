"""Exercise checkers of 06_loss_functions.

Each prints ✅ / ❌ (with a tiered hint) / ⏱ / ⏳ and returns a ``CheckResult``; none
raises because of the learner's code. Introduced in 06_loss_functions.
"""

from __future__ import annotations

import numpy as np

from helpers.checks import Cases, CheckResult, FunctionExercise
from helpers.scratch.losses import (
    binary_cross_entropy_with_logits,
    causal_lm_perplexity,
    cross_entropy_grad,
)

__all__ = [
    "CHECKER_CASES",
    "check_bce_with_logits",
    "check_cross_entropy_grad",
    "check_lm_perplexity",
]


def _bce_case(rng: np.random.Generator) -> tuple:
    n = int(rng.integers(1, 8))
    z = rng.normal(scale=float(rng.choice([1.0, 50.0, 800.0])), size=n)
    y = rng.integers(0, 2, size=n).astype(float)
    return z, y


BCE = FunctionExercise(
    notebook="06",
    key="bce_with_logits",
    title="stable binary cross-entropy from logits",
    reference=binary_cross_entropy_with_logits,
    cases=[
        (np.array([0.0, 2.0, -1.0]), np.array([1.0, 1.0, 0.0])),
        (np.array([1000.0, -1000.0]), np.array([0.0, 1.0])),  # very sure and wrong
        (
            np.array([800.0, -800.0, 30.0]),
            np.array([1.0, 0.0, 1.0]),
        ),  # very sure and right
        (np.array([0.5, -0.5]), np.array([0.3, 0.9])),  # soft targets
    ],
    hidden=_bce_case,
    hints=(
        "和 softmax 一样，别先算概率再取 ln：σ(1000) 会变成 1.0，ln(1 − 1.0) = ln 0。"
        "把损失整理成只含 z 的式子，再想办法让指数部分永远不超过 e⁰："
        "z 为正和为负时，各自把哪一项提出来？",
        "−[y·ln σ(z) + (1 − y)·ln(1 − σ(z))] 可以化成 ln(1 + eᶻ) − y·z；"
        "而 ln(1 + eᶻ) = max(z, 0) + ln(1 + e^(−|z|))。最后对所有元素取平均。",
        "return np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))",
    ),
    rtol=1e-9,
    atol=1e-12,
)


def check_bce_with_logits(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 1: ``bce(z, y)``: mean binary cross-entropy of raw scores z (N,)
    against targets y in [0, 1], stable for |z| up to 1000."""
    return BCE.check(fn, quiet=quiet)


def _ce_case(rng: np.random.Generator) -> tuple:
    n, c = int(rng.integers(2, 7)), int(rng.integers(2, 6))
    targets = rng.integers(0, c, size=n)
    targets[rng.random(n) < 0.3] = -100
    targets[0] = rng.integers(0, c)  # at least one row counts
    return rng.normal(scale=2.0, size=(n, c)), targets


CE_GRAD = FunctionExercise(
    notebook="06",
    key="cross_entropy_grad",
    title="cross-entropy gradient",
    reference=cross_entropy_grad,
    cases=[
        (np.array([[2.0, 1.0, 0.1]]), np.array([0])),
        (np.random.default_rng(7).normal(size=(4, 5)), np.array([1, 0, 4, 2])),
        (np.random.default_rng(8).normal(size=(5, 3)), np.array([2, -100, 0, -100, 1])),
    ],
    hidden=_ce_case,
    hints=(
        "对一行 logits，交叉熵对 logits 的梯度就是“预测的概率 − 真实的 one-hot”。"
        "再想两件事：被忽略 (−100) 的行贡献多少？平均是除以哪些行的个数？",
        "每一行：softmax(zᵢ) − one_hot(yᵢ)；yᵢ = −100 的行整行为 0；"
        "最后除以没被忽略的行数，而不是总行数。",
        "p = softmax(z, axis=-1); keep = t != -100; p[keep, t[keep]] -= 1; "
        "p[~keep] = 0; return p / keep.sum()",
    ),
    rtol=1e-9,
    atol=1e-12,
)


def check_cross_entropy_grad(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 2: ``ce_grad(logits, targets)``: d mean-CE / d logits with
    ignore_index = −100, for logits (N, C) and targets (N,)."""
    return CE_GRAD.check(fn, quiet=quiet)


def _ppl_case(rng: np.random.Generator) -> tuple:
    b, t, v = (int(x) for x in rng.integers(1, 5, size=3) + np.array([0, 2, 1]))
    labels = rng.integers(0, v, size=(b, t))
    labels[rng.random((b, t)) < 0.3] = -100
    labels[0, 1] = rng.integers(0, v)  # at least one position counts
    return rng.normal(scale=float(rng.choice([1.0, 5.0])), size=(b, t, v)), labels


LM_PERPLEXITY = FunctionExercise(
    notebook="06",
    key="lm_perplexity",
    title="language-model perplexity",
    reference=causal_lm_perplexity,
    cases=[
        (np.zeros((1, 4, 10)), np.array([[3, 1, 4, 1]])),  # uniform over 10: PPL 10
        (
            np.random.default_rng(8).normal(size=(1, 5, 6)),
            np.array([[1, 2, 3, -100, -100]]),
        ),
        (
            np.random.default_rng(9).normal(size=(2, 5, 6)),
            np.array([[-100, -100, 3, 4, 5], [1, 2, 5, -100, -100]]),
        ),
    ],
    hidden=_ppl_case,
    hints=(
        "困惑度 (perplexity) 是“每个被预测位置的平均交叉熵”再取 e 的指数。"
        "三件事都要对：位置 t 的 logits 预测第 t+1 个标签（错开一位）；"
        "标签为 −100 的位置不算；平均只除以真正算进去的位置数。",
        "先把 logits 去掉最后一个时间步、labels 去掉第一个时间步，都展平；"
        "对保留的行算 −log_softmax 取到正确类别上，求平均得到 loss（以 e 为底）；"
        "返回 exp(loss)。全部均匀的 logits 应该得到 V。",
        "z = logits[:, :-1].reshape(-1, V); y = labels[:, 1:].reshape(-1); keep = y != -100\n"
        "lp = z[keep] - z[keep].max(1, keepdims=True); "
        "lp -= np.log(np.exp(lp).sum(1, keepdims=True))\n"
        "return np.exp(-lp[np.arange(keep.sum()), y[keep]].mean())",
    ),
    rtol=1e-9,
    atol=1e-12,
)


def check_lm_perplexity(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 3: ``lm_perplexity(logits, labels)`` for logits (B, T, V) and
    labels (B, T) with ignore_index = −100: exp of the shifted mean cross-entropy."""
    return LM_PERPLEXITY.check(fn, quiet=quiet)


# --- answers for the tests --------------------------------------------------------


def _bce_naive(z, y):
    p = 1 / (1 + np.exp(-z))  # saturates to exactly 0 or 1 at |z| = 1000
    return np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p)))


def _bce_clipped(z, y):
    p = np.clip(1 / (1 + np.exp(-z)), 1e-7, 1 - 1e-7)  # finite, but wrong when sure
    return np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p)))


def _ce_grad_total_rows(z, t):
    p = np.exp(z - z.max(axis=-1, keepdims=True))
    p /= p.sum(axis=-1, keepdims=True)
    keep = t != -100
    p[keep, t[keep]] -= 1
    p[~keep] = 0
    return p / len(t)  # divides by all rows


def _ce_grad_no_ignore(z, t):
    p = np.exp(z - z.max(axis=-1, keepdims=True))
    p /= p.sum(axis=-1, keepdims=True)
    p[np.arange(len(t)), t] -= 1  # -100 wraps to a real column
    return p / len(t)


def _ppl_of(logits, labels, loss_of):
    v = logits.shape[-1]
    z, y = logits[:, :-1].reshape(-1, v), labels[:, 1:].reshape(-1)
    return loss_of(z, y)


def _log_probs(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def _ppl_no_shift(logits, labels):
    v = logits.shape[-1]
    z, y = logits.reshape(-1, v), labels.reshape(-1)  # forgets to shift
    keep = y != -100
    return float(np.exp(-_log_probs(z[keep])[np.arange(keep.sum()), y[keep]].mean()))


def _ppl_counts_ignored(logits, labels):
    def loss(z, y):
        keep = y != -100
        picked = _log_probs(z[keep])[np.arange(keep.sum()), y[keep]]
        return float(np.exp(-picked.sum() / len(y)))  # divides by every position

    return _ppl_of(logits, labels, loss)


CHECKER_CASES = [
    Cases(
        check_bce_with_logits,
        BCE,
        right=[binary_cross_entropy_with_logits],
        wrong=[_bce_naive, _bce_clipped],
    ),
    Cases(
        check_cross_entropy_grad,
        CE_GRAD,
        right=[cross_entropy_grad],
        wrong=[_ce_grad_total_rows, _ce_grad_no_ignore],
    ),
    Cases(
        check_lm_perplexity,
        LM_PERPLEXITY,
        right=[causal_lm_perplexity],
        wrong=[_ppl_no_shift, _ppl_counts_ignored],
    ),
]
