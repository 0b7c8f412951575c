"""Exercise checkers of 03_activations.

Each prints ✅ / ❌ (with a tiered hint) / ⏱ / ⏳ and returns a ``CheckResult``; none
raises because of the learner's code. Introduced in 03_activations.
"""

from __future__ import annotations

import math

import numpy as np

from helpers.checks import Cases, CheckResult, FunctionExercise
from helpers.scratch.activations import dead_relu_fraction, sigmoid, silu_grad
from helpers.scratch.depth import layers_to_vanish

__all__ = [
    "CHECKER_CASES",
    "check_dead_fraction",
    "check_layers_to_vanish",
    "check_silu_grad",
]

SILU_GRAD = FunctionExercise(
    notebook="03",
    key="silu_grad",
    title="SiLU derivative",
    reference=silu_grad,
    cases=[
        (np.array([0.0]),),
        (np.array([-3.0, -0.5, 0.5, 3.0]),),
        (np.linspace(-6.0, 6.0, 25),),
        (np.array([-40.0, 40.0]),),
    ],
    hidden=lambda rng: (
        rng.normal(scale=rng.choice([1.0, 4.0]), size=rng.integers(1, 9)),
    ),
    hints=(
        "SiLU(x) = x·σ(x) 是两个函数的乘积 (product)：对乘积求导要用乘积法则 "
        "(product rule)，两部分各求一次导再相加。σ 的导数本节开头已经写过。",
        "(u·v)′ = u′·v + u·v′，这里 u = x（u′ = 1），v = σ(x)（v′ = σ(x)(1 − σ(x))）。"
        "检查 x = 0 处：结果应是 0.5。",
        "s = act.sigmoid(x); return s + x * s * (1 - s)",
    ),
    rtol=1e-9,
    atol=1e-12,
)


def check_silu_grad(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 1: ``my_silu_grad(x)``, the derivative of SiLU(x) = x·σ(x)."""
    return SILU_GRAD.check(fn, quiet=quiet)


def _dead_case(rng: np.random.Generator) -> tuple:
    n, units = int(rng.integers(2, 8)), int(rng.integers(2, 8))
    z = rng.normal(size=(n, units)) + rng.normal(scale=2.0, size=units)  # per-unit bias
    z[:, rng.integers(0, units)] = -rng.uniform(0.0, 0.2, n)  # a unit just barely dead
    return (z,)


DEAD_FRACTION = FunctionExercise(
    notebook="03",
    key="dead_fraction",
    title="fraction of dead ReLU units",
    reference=dead_relu_fraction,
    cases=[
        (np.array([[1.0, -2.0, 0.5], [-1.0, -0.5, 2.0]]),),
        (np.array([[0.0, -1.0], [0.0, 3.0], [0.0, -2.0]]),),
        (np.array([[-1.0, -2.0, -3.0, 4.0]]),),
        (np.array([[2.0, 1.0], [3.0, 1.0]]),),
    ],
    hidden=_dead_case,
    hints=(
        "一个单元 (unit) 是一列。它“死了”的意思是：对这一批里的**每一个**样本，"
        "它的 z 都不大于 0——于是输出和梯度都是 0。想一想 z = 0 时 ReLU 的导数是多少。",
        "对每一列问“这一列是不是全部 ≤ 0”（NumPy 的 np.all 可以沿 axis=0 检查一整列），"
        "得到每个单元一个 True/False，再求 True 所占的比例。",
        "return float(np.mean(np.all(z <= 0, axis=0)))",
    ),
    rtol=0,
    atol=1e-12,
)


def check_dead_fraction(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 2: ``dead_fraction(z)``: the fraction of the units (columns of the
    ``(N, units)`` pre-activations) with z <= 0 on every example."""
    return DEAD_FRACTION.check(fn, quiet=quiet)


def _vanish_case(rng: np.random.Generator) -> tuple:
    return float(rng.uniform(0.05, 0.95)), float(10.0 ** -rng.uniform(1.0, 12.0))


LAYERS_TO_VANISH = FunctionExercise(
    notebook="03",
    key="layers_to_vanish",
    title="layers until the gradient vanishes",
    reference=layers_to_vanish,
    cases=[
        (0.25, 1e-6),
        (2**-0.5, 1e-3),
        (0.5, 0.25),
        (0.9, 0.01),
        (0.105, 1e-9),
    ],
    hidden=_vanish_case,
    hints=(
        "每过一层乘一次 factor，n 层之后是 factorⁿ。要找的是让它**严格小于** threshold "
        "的最小层数 n。注意恰好相等的时候还不算。",
        "最直接的办法是从 n = 1 开始循环，factorⁿ 还 ≥ threshold 就 n += 1；"
        "用对数也行：n > log(threshold) / log(factor)，但要小心取整和恰好相等的情况。",
        "n = 1\nwhile factor ** n >= threshold:\n    n += 1\nreturn n",
    ),
    rtol=0,
    atol=0,
)


def check_layers_to_vanish(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 3: ``layers_to_vanish(factor, threshold)``: the smallest n >= 1
    with factor**n < threshold."""
    return LAYERS_TO_VANISH.check(fn, quiet=quiet)


# --- answers for the tests --------------------------------------------------------


def _silu_grad_sigma_only(x):
    s = sigmoid(x)
    return s * (1 - s)  # forgets the product rule


def _silu_grad_no_x(x):
    s = sigmoid(x)
    return s + s * (1 - s)  # drops the factor x


def _dead_any_negative(z):
    return float(
        np.mean(np.any(np.asarray(z) <= 0, axis=0))
    )  # one bad example suffices


def _dead_strict(z):
    return float(np.mean(np.all(np.asarray(z) < 0, axis=0)))  # z = 0 counted as alive


def _dead_entries(z):
    return float(np.mean(np.asarray(z) <= 0))  # fraction of entries, not units


def _vanish_truncated(factor, threshold):
    return int(math.log(threshold) / math.log(factor))  # rounds down


def _vanish_at_most(factor, threshold):
    n = 1
    while factor**n > threshold:  # stops at equality
        n += 1
    return n


CHECKER_CASES = [
    Cases(
        check_silu_grad,
        SILU_GRAD,
        right=[silu_grad, lambda x: sigmoid(x) * (1 + x * (1 - sigmoid(x)))],
        wrong=[_silu_grad_sigma_only, _silu_grad_no_x],
    ),
    Cases(
        check_dead_fraction,
        DEAD_FRACTION,
        right=[dead_relu_fraction],
        wrong=[_dead_any_negative, _dead_strict, _dead_entries],
    ),
    Cases(
        check_layers_to_vanish,
        LAYERS_TO_VANISH,
        right=[layers_to_vanish],
        wrong=[_vanish_truncated, _vanish_at_most],
    ),
]
