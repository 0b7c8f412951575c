"""Exercise checkers of 07_optimizers.

Each checker runs the learner's function on a few random cases and compares it
with a reference built on ``helpers.scratch.optim`` / ``schedules`` (so the
reference is the tested implementation, not a second copy).
"""

from __future__ import annotations

import numpy as np

from helpers.checks import CheckResult, check_function
from helpers.scratch.optim import SGD, Adam
from helpers.scratch.schedules import clip_grad_norm, warmup_cosine

__all__ = [
    "CHECKER_CASES",
    "check_adam_step",
    "check_clip_by_global_norm",
    "check_lr_at",
    "check_momentum_step",
]


def _rng_cases(make, n: int = 4, seed: int = 7) -> list[tuple]:
    rng = np.random.default_rng(seed)
    return [make(rng) for _ in range(n)]


# --- exercise 1: one step of SGD with momentum ------------------------------


def _momentum_reference(param, grad, buf, lr, mu):
    """One torch-style momentum step: buf ← μ·buf + g; param ← param − lr·buf."""
    p = np.array(param, dtype=np.float64)
    opt = SGD([p], lr=lr, momentum=mu)
    opt.buffers[0] = np.array(buf, dtype=np.float64)
    opt.step([np.asarray(grad, dtype=np.float64)])
    return p, opt.buffers[0]


def check_momentum_step(fn, quiet: bool = False) -> CheckResult:
    """fn(param, grad, buf, lr, mu) → (new_param, new_buf)."""
    cases = _rng_cases(
        lambda r: (r.normal(size=3), r.normal(size=3), r.normal(size=3), 0.1, 0.9)
    )
    return check_function(
        lambda *a: tuple(fn(*(np.copy(x) for x in a[:3]), *a[3:])),
        _momentum_reference,
        cases,
        name="momentum_step",
        hint="先更新速度 buf = mu * buf + grad，再用新的 buf 更新参数。",
        quiet=quiet,
    )


# --- exercise 2: one step of Adam ---------------------------------------------


def _adam_reference(param, grad, m, v, t, lr, beta1, beta2, eps):
    p = np.array(param, dtype=np.float64)
    opt = Adam([p], lr=lr, betas=(beta1, beta2), eps=eps)
    opt.m[0] = np.array(m, dtype=np.float64)
    opt.v[0] = np.array(v, dtype=np.float64)
    opt.step_count = t - 1  # step() adds one
    opt.step([np.asarray(grad, dtype=np.float64)])
    return p, opt.m[0], opt.v[0]


def check_adam_step(fn, quiet: bool = False) -> CheckResult:
    """fn(param, grad, m, v, t, lr, beta1, beta2, eps) → (param, m, v)."""
    cases = _rng_cases(
        lambda r: (
            r.normal(size=4),
            r.normal(size=4),
            0.1 * r.normal(size=4),
            0.1 * r.random(4),
            int(r.integers(1, 20)),
            0.01,
            0.9,
            0.999,
            1e-8,
        )
    )
    return check_function(
        lambda *a: tuple(fn(*(np.copy(x) for x in a[:4]), *a[4:])),
        _adam_reference,
        cases,
        name="adam_step",
        hint="别忘了偏差校正：m_hat = m / (1 - beta1**t)，v_hat = v / (1 - beta2**t)。",
        quiet=quiet,
    )


# --- exercise 3: warmup + cosine ------------------------------------------------


def _lr_reference(step, peak_lr, warmup_steps, total_steps):
    return peak_lr * warmup_cosine(step, warmup_steps, total_steps)


def check_lr_at(fn, quiet: bool = False) -> CheckResult:
    """fn(step, peak_lr, warmup_steps, total_steps) → learning rate."""
    cases = [(s, 3e-4, 100, 1000) for s in (0, 1, 50, 99, 100, 101, 550, 999, 1000)]
    cases += [(s, 1.0, 10, 40) for s in (5, 10, 25, 40, 55)]  # 55: after the end
    cases += [(1200, 3e-4, 100, 1000)]  # stays at 0 after total_steps
    return check_function(
        fn,
        _lr_reference,
        cases,
        name="lr_at",
        hint="预热阶段 lr = peak * step / warmup；之后 progress 从 0 走到 1"
        "（total_steps 之后停在 1），lr = peak * 0.5 * (1 + cos(pi * progress))。",
        quiet=quiet,
    )


# --- exercise 4: clipping by global norm -----------------------------------------


def _clip_reference(grads, max_norm):
    copies = [np.array(g, dtype=np.float64) for g in grads]
    clip_grad_norm(copies, max_norm)
    return np.concatenate([g.ravel() for g in copies])


def check_clip_by_global_norm(fn, quiet: bool = False) -> CheckResult:
    """fn(grads: list of arrays, max_norm) → list of clipped arrays."""
    cases = _rng_cases(
        lambda r: ([3.0 * r.normal(size=(2, 3)), r.normal(size=4)], 1.0)
    ) + [([np.array([0.1, 0.2]), np.array([0.05])], 1.0)]  # already small

    def flat(grads, max_norm):
        result = fn([np.copy(g) for g in grads], max_norm)
        return np.concatenate(
            [np.ravel(np.asarray(g, dtype=np.float64)) for g in result]
        )

    return check_function(
        flat,
        _clip_reference,
        cases,
        name="clip_by_global_norm",
        hint="先把所有梯度当成一个长向量求范数 total；"
        "系数 min(1, max_norm / (total + 1e-6)) 乘到每个梯度上。",
        quiet=quiet,
    )


# --- wrong answers used by the tests -------------------------------------------


def _momentum_wrong(param, grad, buf, lr, mu):
    return param - lr * grad, buf  # forgets the velocity


def _adam_wrong(param, grad, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    return param - lr * m / (np.sqrt(v) + eps), m, v  # no bias correction


def _lr_wrong(step, peak_lr, warmup_steps, total_steps):
    return peak_lr * 0.5 * (1 + np.cos(np.pi * step / total_steps))  # no warmup


def _clip_wrong(grads, max_norm):
    return [g * min(1.0, max_norm / np.linalg.norm(g)) for g in grads]  # per tensor


def _clip_ref_list(grads, max_norm):
    copies = [np.array(g, dtype=np.float64) for g in grads]
    clip_grad_norm(copies, max_norm)
    return copies


#: (checker, a correct answer, a wrong answer) for each exercise — used by tests.
CHECKER_CASES = [
    (check_momentum_step, _momentum_reference, _momentum_wrong),
    (check_adam_step, _adam_reference, _adam_wrong),
    (check_lr_at, _lr_reference, _lr_wrong),
    (check_clip_by_global_norm, _clip_ref_list, _clip_wrong),
]
