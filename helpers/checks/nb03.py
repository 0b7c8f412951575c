"""Exercise checkers of 03_activations.

Each prints ✅ / ❌ (with a hint) / ⏳ and returns a ``CheckResult``; none raises
because of the learner's code. Introduced in 03_activations.
"""

from __future__ import annotations

import math

import numpy as np

from helpers.checks import CheckResult, check_function, check_value
from helpers.scratch.activations import silu_grad, softmax, tanh

__all__ = [
    "check_sigmoid_depth",
    "check_silu_grad",
    "check_stable_softmax",
    "check_tanh_from_sigmoid",
    "sigmoid_depth_answer",
]

_X_CASES = [
    (np.array([0.0]),),
    (np.array([-3.0, -0.5, 0.5, 3.0]),),
    (np.linspace(-6.0, 6.0, 25),),
    (np.array([-40.0, 40.0]),),
]


def check_tanh_from_sigmoid(fn) -> CheckResult:
    """Exercise 1: tanh written with the sigmoid only: tanh(x) = 2σ(2x) − 1."""
    return check_function(
        fn,
        tanh,
        _X_CASES,
        name="tanh from sigmoid",
        hint="tanh(x) = 2·σ(2x) − 1，用本节的 sigmoid（或 act.sigmoid）来写。",
        rtol=1e-9,
        atol=1e-12,
    )


def check_silu_grad(fn) -> CheckResult:
    """Exercise 2: the derivative of SiLU, σ(x)·(1 + x·(1 − σ(x)))."""
    return check_function(
        fn,
        silu_grad,
        _X_CASES,
        name="SiLU derivative",
        hint="对 x·σ(x) 用乘积法则：σ(x) + x·σ'(x)，其中 σ'(x) = σ(x)(1 − σ(x))。",
        rtol=1e-9,
        atol=1e-12,
    )


def sigmoid_depth_answer(threshold: float = 1e-6) -> int:
    """The smallest n with 0.25**n < ``threshold`` (exercise 3's answer)."""
    n = math.floor(math.log(threshold) / math.log(0.25)) + 1
    while 0.25 ** (n - 1) < threshold:  # guard against rounding at exact powers
        n -= 1
    return n


def check_sigmoid_depth(value) -> CheckResult:
    """Exercise 3: how many sigmoid layers push the best-case factor 0.25**n
    below one millionth."""
    return check_value(
        value,
        sigmoid_depth_answer(),
        name="sigmoid depth",
        hint="找最小的整数 n，使 0.25 ** n < 1e-6（可以写个循环，或者用对数）。",
        rtol=0,
        atol=0,
    )


def check_stable_softmax(fn) -> CheckResult:
    """Exercise 4: a softmax over a 1-D vector that survives huge logits."""
    cases = [
        (np.array([0.8, 0.2]),),
        (np.array([1.0, 2.0, 3.0]),),
        (np.array([1000.0, 1001.0]),),
        (np.array([-1e4, 0.0, 1e4]),),
        (np.array([5.0, 5.0, 5.0, 5.0]),),
    ]
    with np.errstate(over="ignore", invalid="ignore"):  # a naive answer overflows
        return check_function(
            fn,
            softmax,
            cases,
            name="stable softmax",
            hint="先减去最大的 logit 再做 np.exp：结果不变，但不会溢出 (overflow)。",
            rtol=1e-9,
            atol=1e-12,
        )
