"""Exercise checkers of 06_loss_functions.

Each prints ✅ / ❌ (with a hint) / ⏳ and returns a ``CheckResult``; none raises
because of the learner's code. Introduced in 06_loss_functions.
"""

from __future__ import annotations

import numpy as np

from helpers.checks import CheckResult, check_function
from helpers.scratch.activations import log_softmax
from helpers.scratch.losses import causal_lm_shift, cross_entropy_grad

__all__ = ["check_causal_shift", "check_cross_entropy_grad", "check_log_softmax"]


def check_log_softmax(fn) -> CheckResult:
    """Exercise 1: a stable ``my_log_softmax(z)`` for one 1-D row of logits."""
    cases = [
        (np.array([1.0, 2.0, 3.0]),),
        (np.array([1000.0, 1001.0]),),
        (np.array([-1e4, 0.0, 1e4]),),
        (np.array([7.0, 7.0, 7.0, 7.0]),),
    ]
    return check_function(
        fn,
        lambda z: log_softmax(z),
        cases,
        name="stable log-softmax",
        hint="先减去最大值 m：log_softmax(z) = (z − m) − log Σ exp(z − m)。"
        "不要先算 softmax 再取 log（很小的概率会变成 log 0）。",
        rtol=1e-9,
        atol=1e-9,
    )


def check_cross_entropy_grad(fn) -> CheckResult:
    """Exercise 2: ``ce_grad(logits, targets)``: d mean-CE / d logits with
    ignore_index = −100, for logits (N, C) and targets (N,)."""
    rng = np.random.default_rng(7)
    cases = [
        (np.array([[2.0, 1.0, 0.1]]), np.array([0])),
        (rng.normal(size=(4, 5)), np.array([1, 0, 4, 2])),
        (rng.normal(size=(5, 3)), np.array([2, -100, 0, -100, 1])),
    ]
    return check_function(
        fn,
        lambda z, t: cross_entropy_grad(z, t),
        cases,
        name="cross-entropy gradient",
        hint="每一行：softmax(z) − one_hot(y)；被忽略 (−100) 的行梯度为 0；"
        "最后除以没被忽略的行数（不是总行数）。",
        rtol=1e-9,
        atol=1e-12,
    )


def check_causal_shift(fn) -> CheckResult:
    """Exercise 3: ``shift(logits, labels)`` returns (logits (B*(T-1), V),
    labels (B*(T-1),)) aligned for next-token prediction."""
    rng = np.random.default_rng(8)

    def as_dict(pair) -> dict:
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise TypeError("return a pair (shift_logits, shift_labels)")
        return {"logits": np.asarray(pair[0]), "labels": np.asarray(pair[1])}

    cases = [
        (rng.normal(size=(1, 4, 3)), np.array([[2, 0, 1, 1]])),
        (rng.normal(size=(2, 5, 6)), rng.integers(0, 6, size=(2, 5))),
    ]
    return check_function(
        lambda z, y: as_dict(fn(z, y)),
        lambda z, y: as_dict(causal_lm_shift(z, y)),
        cases,
        name="causal LM shift",
        hint="位置 t 的 logits 预测第 t+1 个 token：logits[:, :-1, :] 配 labels[:, 1:]，"
        "再分别 reshape 成 (-1, V) 和 (-1,)。",
        rtol=0,
        atol=0,
    )
