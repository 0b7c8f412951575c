"""Exercise checkers of 02_leaf_flower.

Each prints ✅ / ❌ (with a tiered hint) / ⏱ / ⏳ and returns a ``CheckResult``; none
raises because of the learner's code. Introduced in 02_leaf_flower.
"""

from __future__ import annotations

import numpy as np

from helpers.checks import Cases, CheckResult, FunctionExercise
from helpers.scratch.activations import softmax
from helpers.scratch.tiny_net import (
    TinyNet,
    forward,
    gradient_descent,
    l1_loss_per_sample,
    one_hot,
    seed_network,
)

__all__ = [
    "CHECKER_CASES",
    "check_batch_l1",
    "check_descend",
    "check_forward",
    "check_softmax_temperature",
]


def _softmax_reference(z, T):
    return softmax(np.asarray(z, dtype=float) / T)


def _softmax_case(rng: np.random.Generator) -> tuple:
    size = int(rng.integers(2, 7))
    scale = float(rng.choice([1.0, 50.0, 800.0]))
    z = rng.normal(scale=scale, size=size) + float(rng.choice([0.0, 1000.0]))
    return z, float(rng.uniform(0.2, 3.0))


def _diagnose_softmax(args, got, expected) -> str | None:
    z, T = args
    if isinstance(got, np.ndarray) and got.shape == np.shape(z):
        if np.isnan(got).any():
            return "结果里有 nan：e 的指数太大，溢出 (overflow) 成了 inf。"
        if np.allclose(got, softmax(np.asarray(z) * T), rtol=1e-6):
            return "你把 z 乘上了 T；温度是除法：z / T。"
        if np.allclose(got, softmax(np.asarray(z)), rtol=1e-6) and T != 1:
            return "结果和 T = 1 时一样：温度 T 没有用上。"
    return None


SOFTMAX_T = FunctionExercise(
    notebook="02",
    key="softmax_temperature",
    title="softmax with temperature",
    reference=_softmax_reference,
    cases=[
        (np.array([0.8, 0.2]), 1.0),
        (np.array([0.8, 0.2]), 0.5),
        (np.array([1.0, 2.0, 3.0]), 2.0),
        (np.array([1000.0, 1001.0]), 1.0),
        (np.array([-1000.0, -1001.0, -1002.0]), 0.5),
        (np.array([-1e4, 0.0, 1e4]), 3.0),
    ],
    hidden=_softmax_case,
    diagnose=_diagnose_softmax,
    hints=(
        "先把每个 zᵢ 除以 T，再做 softmax。e^1000 超出了浮点数能表示的范围 (overflow)，"
        "变成 inf，inf / inf 就是 nan。想一想：给所有数同时减去同一个数 c，"
        "softmax 的结果会变吗？c 选什么，最大的指数就不会溢出？",
        "u = z / T；e^(uᵢ − c) / Σⱼ e^(uⱼ − c) = e^uᵢ / Σⱼ e^uⱼ（分子分母同时乘了 e^(−c)）。"
        "取 c = max(u)：最大的指数变成 e⁰ = 1，其余都在 0 和 1 之间。",
        "u = z / T; e = np.exp(u - np.max(u)); return e / e.sum()",
    ),
    rtol=1e-9,
    atol=1e-12,
)


def check_softmax_temperature(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 1: ``fn(z, T)`` = softmax(z / T) of a 1-D array, also for logits
    as large as 1000 or 10⁴ (no overflow, no NaN)."""
    return SOFTMAX_T.check(fn, quiet=quiet)


def _batch_l1_reference(probs, labels):
    targets = one_hot(labels, probs.shape[1])  # (N, C)
    return float(l1_loss_per_sample(probs, targets).mean())


def _batch_case(rng: np.random.Generator) -> tuple:
    n, c = int(rng.integers(1, 7)), int(rng.integers(2, 5))
    return softmax(rng.normal(scale=2.0, size=(n, c))), rng.integers(0, c, size=n)


def _diagnose_batch(args, got, expected) -> str | None:
    probs, labels = args
    if not isinstance(got, float | int) or not expected:
        return None
    if np.isclose(got, expected * len(labels)):
        return "你的结果是总和：平均损失还要除以样本数 N。"
    if np.isclose(got, expected / probs.shape[1]):
        return "你除以了 N × C（所有元素的个数）：每个样本的损失是它 C 个差值的和，只对样本求平均。"
    return None


BATCH_L1 = FunctionExercise(
    notebook="02",
    key="batch_l1",
    title="average L1 loss of a batch",
    reference=_batch_l1_reference,
    cases=[
        (np.array([[0.6, 0.4]]), np.array([0])),
        (np.array([[0.9, 0.1], [0.3, 0.7], [0.5, 0.5]]), np.array([0, 0, 1])),
        (np.array([[0.2, 0.5, 0.3], [0.1, 0.1, 0.8]]), np.array([2, 2])),
    ],
    hidden=_batch_case,
    diagnose=_diagnose_batch,
    hints=(
        "标签 (label) 是类别的编号，不是目标向量。先把每个编号变成 one-hot 目标，"
        "再对每一行算 L1 损失，最后求“平均损失”。",
        "标签 k 的 one-hot 目标是第 k 位为 1、其余为 0 的向量（np.eye(C)[labels] 一次得到 "
        "(N, C) 的目标矩阵）；每行 Σ|目标 − 概率|，再对 N 行取平均。",
        "targets = np.eye(probs.shape[1])[labels]; "
        "return np.abs(targets - probs).sum(axis=1).mean()",
    ),
    rtol=1e-9,
    atol=1e-12,
)


def check_batch_l1(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 2: ``fn(probs, labels)``: probs (N, C), integer labels (N,) →
    the average over rows of Σ_k |one_hot(label)_k − p_k| (a float)."""
    return BATCH_L1.check(fn, quiet=quiet)


def _forward_reference(x, W1, b1, W2, b2):
    return forward(TinyNet(W1, b1, W2, b2), x, "relu").logits[0]


def _forward_case(rng: np.random.Generator) -> tuple:
    n_in, n_hidden, n_out = (int(v) for v in rng.integers(2, 6, size=3))
    return (
        rng.normal(size=n_in),
        rng.normal(size=(n_hidden, n_in)),
        rng.normal(size=n_hidden),
        rng.normal(size=(n_out, n_hidden)),
        rng.normal(size=n_out),
    )


_SEED = seed_network()
FORWARD = FunctionExercise(
    notebook="02",
    key="forward",
    title="forward pass",
    reference=_forward_reference,
    cases=[
        (
            np.array([32.0, 107.0, 56.0, 11.2]),
            _SEED.W1,
            np.array([0.25, 0.0, 0.0]),
            _SEED.W2,
            _SEED.b2,
        ),
        (np.array([241.0, 200.0, 4.0, 59.5]), _SEED.W1, _SEED.b1, _SEED.W2, _SEED.b2),
        _forward_case(np.random.default_rng(2)),
    ],
    hidden=_forward_case,
    hints=(
        "从左往右两层：隐藏层 = 激活函数(加权和 + 偏置)，输出层 = 加权和 + 偏置。"
        "ReLU 只用在隐藏层；题目要的是 softmax 之前的输出。",
        "W1 的形状是 (隐藏, 输入)，所以一个输入向量 x 的加权和是 W1 @ x（形状 (隐藏,)）；"
        "ReLU(z) = max(0, z) 逐个元素取，用 np.maximum(0, z)。输出层同理用 W2。",
        "h = np.maximum(0.0, W1 @ x + b1); return W2 @ h + b2",
    ),
    rtol=1e-9,
    atol=1e-12,
)


def check_forward(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 3: ``fn(x, W1, b1, W2, b2)`` = W2·ReLU(W1·x + b1) + b2."""
    return FORWARD.check(fn, quiet=quiet)


def _descend_reference(w0, lr, steps):
    return gradient_descent(lambda w: 2.0 * (w - 3.0), w0, lr, steps)[-1]


def _descend_case(rng: np.random.Generator) -> tuple:
    return (
        float(rng.normal(scale=5.0)),
        float(rng.uniform(0.01, 0.9)),
        int(rng.integers(1, 30)),
    )


DESCEND = FunctionExercise(
    notebook="02",
    key="descend",
    title="gradient descent on (w − 3)²",
    reference=_descend_reference,
    cases=[(0.0, 0.1, 1), (0.0, 0.1, 20), (10.0, 0.4, 5), (-2.0, 1.0, 3)],
    hidden=_descend_case,
    hints=(
        "先求出损失 (w − 3)² 对 w 的梯度（导数），再把“新权重 = 旧权重 − 学习率 × 梯度”"
        "重复 steps 次。每一次都要用当前的 w 重新算梯度。",
        "(w − 3)² 的导数是 2(w − 3)。写一个 for 循环，循环 steps 次，"
        "每次 w = w − lr · 2(w − 3)；最后返回 w。",
        "w = w0\nfor _ in range(steps):\n    w = w - lr * 2 * (w - 3)\nreturn w",
    ),
    rtol=1e-9,
    atol=1e-12,
)


def check_descend(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 4: ``fn(w0, lr, steps)`` runs ``steps`` gradient-descent updates
    on the loss (w − 3)² from ``w0`` and returns the final w."""
    return DESCEND.check(fn, quiet=quiet)


# --- answers for the tests --------------------------------------------------------


def _softmax_t_stable(z, T):
    u = z / T
    e = np.exp(u - np.max(u))
    return e / e.sum()


def _softmax_t_naive(z, T):
    return np.exp(z / T) / np.exp(z / T).sum()  # overflows at z = 1000


def _softmax_t_times(z, T):
    u = z * T  # multiplies instead of dividing
    e = np.exp(u - np.max(u))
    return e / e.sum()


def _softmax_t_ignored(z, T):
    e = np.exp(z - np.max(z))  # forgets the temperature
    return e / e.sum()


def _batch_l1_right(probs, labels):
    targets = np.eye(probs.shape[1])[labels]
    return np.abs(targets - probs).sum(axis=1).mean()


def _batch_l1_sum(probs, labels):
    targets = np.eye(probs.shape[1])[labels]
    return np.abs(targets - probs).sum()  # forgets to average


def _batch_l1_mean_all(probs, labels):
    targets = np.eye(probs.shape[1])[labels]
    return np.abs(targets - probs).mean()  # divides by N·C


def _batch_l1_labels_as_targets(probs, labels):
    return np.abs(labels[:, None] - probs).sum(axis=1).mean()


def _forward_right(x, W1, b1, W2, b2):
    h = np.maximum(0.0, W1 @ x + b1)
    return W2 @ h + b2


def _forward_no_relu(x, W1, b1, W2, b2):
    return W2 @ (W1 @ x + b1) + b2


def _forward_relu_on_output(x, W1, b1, W2, b2):
    return np.maximum(0.0, W2 @ np.maximum(0.0, W1 @ x + b1) + b2)


def _forward_softmax(x, W1, b1, W2, b2):
    z = W2 @ np.maximum(0.0, W1 @ x + b1) + b2
    return np.exp(z - z.max()) / np.exp(z - z.max()).sum()


def _descend_right(w0, lr, steps):
    w = w0
    for _ in range(steps):
        w = w - lr * 2 * (w - 3)
    return w


def _descend_plus(w0, lr, steps):
    w = w0
    for _ in range(steps):
        w = w + lr * 2 * (w - 3)  # climbs instead of descending
    return w


def _descend_no_factor_two(w0, lr, steps):
    w = w0
    for _ in range(steps):
        w = w - lr * (w - 3)  # the derivative of (w − 3)² is 2(w − 3)
    return w


def _descend_one_step_short(w0, lr, steps):
    w = w0
    for _ in range(steps - 1):
        w = w - lr * 2 * (w - 3)
    return w


CHECKER_CASES = [
    Cases(
        check_softmax_temperature,
        SOFTMAX_T,
        right=[_softmax_t_stable, _softmax_reference],
        wrong=[_softmax_t_naive, _softmax_t_times, _softmax_t_ignored],
    ),
    Cases(
        check_batch_l1,
        BATCH_L1,
        right=[_batch_l1_right, _batch_l1_reference],
        wrong=[_batch_l1_sum, _batch_l1_mean_all, _batch_l1_labels_as_targets],
    ),
    Cases(
        check_forward,
        FORWARD,
        right=[_forward_right],
        wrong=[_forward_no_relu, _forward_relu_on_output, _forward_softmax],
    ),
    Cases(
        check_descend,
        DESCEND,
        right=[_descend_right],
        wrong=[_descend_plus, _descend_no_factor_two, _descend_one_step_short],
    ),
]
