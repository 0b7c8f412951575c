"""Exercise checkers of 07_optimizers.

Each prints ✅ / ❌ (with a tiered hint) / ⏱ / ⏳ and returns a ``CheckResult``; none
raises because of the learner's code. The references call the tested optimizers
and schedules of ``helpers.scratch``. Introduced in 07_optimizers.
"""

from __future__ import annotations

import numpy as np

from helpers.checks import Cases, CheckResult, FunctionExercise
from helpers.scratch.optim import SGD, RMSProp
from helpers.scratch.schedules import clip_grad_norm, warmup_linear

__all__ = [
    "CHECKER_CASES",
    "check_clip_by_global_norm",
    "check_lr_at",
    "check_nesterov_step",
    "check_rmsprop_step",
]


def _arrays(rng: np.random.Generator, n: int) -> list[np.ndarray]:
    size = int(rng.integers(1, 6))
    return [rng.normal(size=size) for _ in range(n)]


# --- exercise 1: one step of Nesterov momentum (a variant of the momentum step) ---


def _nesterov_reference(param, grad, buf, lr, mu):
    """One step of ``helpers.scratch.optim.SGD(nesterov=True)`` from a given buffer."""
    p = np.array(param, dtype=np.float64)
    opt = SGD([p], lr=lr, momentum=mu, nesterov=True)
    opt.buffers[0] = np.array(buf, dtype=np.float64)
    opt.step([np.array(grad, dtype=np.float64)])
    return p, opt.buffers[0]


def _nesterov_case(rng: np.random.Generator) -> tuple:
    p, g, b = _arrays(rng, 3)
    return p, g, b, float(rng.choice([0.01, 0.1, 0.3])), float(rng.choice([0.5, 0.9]))


NESTEROV = FunctionExercise(
    notebook="07",
    key="nesterov_step",
    title="Nesterov momentum step",
    reference=_nesterov_reference,
    cases=[
        (np.array([1.0, -2.0]), np.array([0.5, 0.3]), np.array([0.2, -0.1]), 0.1, 0.9),
        (np.array([0.0]), np.array([1.0]), np.array([0.0]), 0.5, 0.5),
        (
            np.array([3.0, 1.0, -1.0]),
            np.array([-1.0, 2.0, 0.0]),
            np.array([1.0, 1.0, 1.0]),
            0.01,
            0.9,
        ),
    ],
    hidden=_nesterov_case,
    hints=(
        "Nesterov 和普通动量的速度 buf 更新完全一样；区别只在参数更新时用的方向："
        "不是只用新的 buf，而是“先往前看一步”——当前梯度再加上 μ 倍的新 buf。",
        "两行：buf_new = μ·buf + g；param_new = param − lr·(g + μ·buf_new)。"
        "返回 (param_new, buf_new)。注意 look-ahead 里用的是更新后的 buf。",
        "buf = mu * buf + grad; return param - lr * (grad + mu * buf), buf",
    ),
    rtol=1e-10,
    atol=1e-12,
)


def check_nesterov_step(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 1: ``nesterov_step(param, grad, buf, lr, mu)`` → (param, buf), the
    PyTorch form of Nesterov momentum."""
    return NESTEROV.check(fn, quiet=quiet)


# --- exercise 2: one step of RMSProp (AdaGrad that forgets) -----------------------


def _rmsprop_reference(param, grad, s, lr, alpha, eps):
    """One step of ``helpers.scratch.optim.RMSProp`` from a given average s."""
    p = np.array(param, dtype=np.float64)
    opt = RMSProp([p], lr=lr, alpha=alpha, eps=eps)
    opt.square_avg[0] = np.array(s, dtype=np.float64)
    opt.step([np.array(grad, dtype=np.float64)])
    return p, opt.square_avg[0]


def _rmsprop_case(rng: np.random.Generator) -> tuple:
    p, g = _arrays(rng, 2)
    s = rng.random(p.size) * rng.choice([0.01, 1.0])
    return (
        p,
        g,
        s,
        float(rng.choice([0.001, 0.01, 0.1])),
        float(rng.choice([0.9, 0.99])),
        1e-8,
    )


RMSPROP = FunctionExercise(
    notebook="07",
    key="rmsprop_step",
    title="RMSProp step",
    reference=_rmsprop_reference,
    cases=[
        (np.array([1.0, -1.0]), np.array([2.0, 0.01]), np.zeros(2), 0.01, 0.99, 1e-8),
        (np.array([0.5]), np.array([-3.0]), np.array([4.0]), 0.1, 0.9, 1e-8),
        (
            np.array([0.0, 0.0, 1.0]),
            np.array([1e-4, 1.0, 100.0]),
            np.array([1.0, 1.0, 1.0]),
            0.001,
            0.99,
            1e-8,
        ),
    ],
    hidden=_rmsprop_case,
    hints=(
        "RMSProp 和 AdaGrad 一样用“梯度平方”的大小去除梯度；区别是 s 不再一直累加，"
        "而是像 Adam 的 v 那样做指数滑动平均 (EMA)：旧的 s 按 α 衰减，新的 g² 只占 1 − α。"
        "RMSProp 没有偏差校正。",
        "s_new = α·s + (1 − α)·g²；param_new = param − lr·g / (√s_new + ε)。"
        "返回 (param_new, s_new)；ε 加在开方之后。",
        "s = alpha * s + (1 - alpha) * grad**2; "
        "return param - lr * grad / (np.sqrt(s) + eps), s",
    ),
    rtol=1e-10,
    atol=1e-12,
)


def check_rmsprop_step(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 2: ``rmsprop_step(param, grad, s, lr, alpha, eps)`` → (param, s)."""
    return RMSPROP.check(fn, quiet=quiet)


# --- exercise 3: warmup + linear decay (a schedule the notebook did not show) -----


def _lr_reference(step, peak_lr, warmup_steps, total_steps):
    return peak_lr * warmup_linear(step, warmup_steps, total_steps)


def _lr_case(rng: np.random.Generator) -> tuple:
    total = int(rng.integers(20, 400))
    warmup = int(rng.integers(1, total // 2))
    step = int(rng.integers(0, total + 50))
    return step, float(rng.choice([1e-3, 3e-4, 0.1])), warmup, total


LR_AT = FunctionExercise(
    notebook="07",
    key="lr_at",
    title="warmup + linear decay",
    reference=_lr_reference,
    cases=[
        (0, 1.0, 10, 110),
        (5, 1.0, 10, 110),
        (10, 1.0, 10, 110),
        (60, 1.0, 10, 110),
        (110, 1.0, 10, 110),
        (200, 1.0, 10, 110),
        (400, 3e-4, 100, 1000),
        (999, 3e-4, 100, 1000),
    ],
    hidden=_lr_case,
    hints=(
        "分三段：预热 (warmup) 时从 0 线性升到峰值；之后沿一条直线从峰值降到 0；"
        "total_steps 之后停在 0（不能变成负数）。"
        "想一想：第 warmup_steps 步的学习率应该正好是多少？",
        "预热：lr = peak·step / warmup_steps；之后 progress = (step − warmup_steps) / "
        "(total_steps − warmup_steps)，超过 1 时取 1；lr = peak·(1 − progress)。",
        "if step < warmup_steps: return peak_lr * step / warmup_steps\n"
        "progress = min(1.0, (step - warmup_steps) / (total_steps - warmup_steps))\n"
        "return peak_lr * (1 - progress)",
    ),
    rtol=1e-9,
    atol=1e-15,
)


def check_lr_at(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 3: ``lr_at(step, peak_lr, warmup_steps, total_steps)`` → the
    learning rate of warmup + linear decay to 0 (0 after total_steps)."""
    return LR_AT.check(fn, quiet=quiet)


# --- exercise 4: clipping by global norm -------------------------------------------


def _clip_reference(grads, max_norm):
    copies = [np.array(g, dtype=np.float64) for g in grads]
    clip_grad_norm(copies, max_norm)
    return copies


def _clip_case(rng: np.random.Generator) -> tuple:
    grads = [
        float(rng.choice([0.01, 3.0])) * g
        for g in _arrays(rng, int(rng.integers(1, 4)))
    ]
    return grads, float(rng.choice([0.5, 1.0, 5.0]))


CLIP = FunctionExercise(
    notebook="07",
    key="clip_by_global_norm",
    title="clip by global norm",
    reference=_clip_reference,
    cases=[
        ([np.array([[30.0, -40.0], [0.5, 1.0]]), np.array([120.0, -5.0])], 1.0),
        ([np.array([0.1, 0.2]), np.array([0.05])], 1.0),  # already small: unchanged
        ([np.array([3.0, 4.0]), np.array([0.0])], 2.5),
    ],
    hidden=_clip_case,
    hints=(
        "“全局”的意思是：把所有参数的梯度看成一个长向量，只算一个范数，"
        "所有梯度乘同一个系数（所以方向不变）；范数本来就不大时，梯度保持原样。",
        "total = √(Σ 每个数组里所有元素的平方)；coef = min(1, max_norm / (total + 1e-6))；"
        "返回 [g·coef, …]，不要就地修改传入的数组。",
        "total = np.sqrt(sum(np.sum(g**2) for g in grads)); "
        "coef = min(1.0, max_norm / (total + 1e-6)); return [g * coef for g in grads]",
    ),
    rtol=1e-10,
    atol=1e-12,
)


def check_clip_by_global_norm(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 4: ``clip_by_global_norm(grads, max_norm)`` → list of clipped
    arrays (one coefficient for all, as ``torch.nn.utils.clip_grad_norm_``)."""
    return CLIP.check(fn, quiet=quiet)


# --- answers for the tests --------------------------------------------------------


def _nesterov_plain_momentum(param, grad, buf, lr, mu):
    buf = mu * buf + grad
    return param - lr * buf, buf  # ordinary momentum: no look-ahead


def _nesterov_old_buffer(param, grad, buf, lr, mu):
    new = mu * buf + grad
    return param - lr * (grad + mu * buf), new  # looks ahead with the old buffer


def _rmsprop_adagrad_sum(param, grad, s, lr, alpha, eps):
    s = s + grad**2  # accumulates like AdaGrad, never forgets
    return param - lr * grad / (np.sqrt(s) + eps), s


def _rmsprop_bias_corrected(param, grad, s, lr, alpha, eps):
    s = alpha * s + (1 - alpha) * grad**2
    return param - lr * grad / (np.sqrt(s / (1 - alpha)) + eps), s  # Adam's correction


def _lr_cosine(step, peak_lr, warmup_steps, total_steps):
    if step < warmup_steps:
        return peak_lr * step / warmup_steps
    progress = min(1.0, (step - warmup_steps) / (total_steps - warmup_steps))
    return peak_lr * 0.5 * (1 + np.cos(np.pi * progress))  # cosine, not linear


def _lr_no_clamp(step, peak_lr, warmup_steps, total_steps):
    if step < warmup_steps:
        return peak_lr * step / warmup_steps
    return peak_lr * (1 - (step - warmup_steps) / (total_steps - warmup_steps))


def _clip_per_tensor(grads, max_norm):
    return [g * min(1.0, max_norm / (np.linalg.norm(g) + 1e-6)) for g in grads]


def _clip_always(grads, max_norm):
    total = np.sqrt(sum(np.sum(g**2) for g in grads))
    return [g * max_norm / (total + 1e-6) for g in grads]  # also scales small ones up


CHECKER_CASES = [
    Cases(
        check_nesterov_step,
        NESTEROV,
        right=[_nesterov_reference],
        wrong=[_nesterov_plain_momentum, _nesterov_old_buffer],
    ),
    Cases(
        check_rmsprop_step,
        RMSPROP,
        right=[_rmsprop_reference],
        wrong=[_rmsprop_adagrad_sum, _rmsprop_bias_corrected],
    ),
    Cases(check_lr_at, LR_AT, right=[_lr_reference], wrong=[_lr_cosine, _lr_no_clamp]),
    Cases(
        check_clip_by_global_norm,
        CLIP,
        right=[_clip_reference],
        wrong=[_clip_per_tensor, _clip_always],
    ),
]
