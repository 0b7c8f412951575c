"""Exercise checkers of 13_train_a_tiny_llm."""

from __future__ import annotations

import math

from helpers.checks import CheckResult, check_function
from helpers.data.addition import AdditionTask

__all__ = ["check_addition_line", "check_initial_loss", "check_perplexity"]

_TASK = AdditionTask(2)


def _initial_loss(vocab_size: int) -> float:
    # an untrained model spreads probability evenly: loss = -ln(1/V)
    return math.log(vocab_size)


def check_initial_loss(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 1: ``fn(vocab_size)`` → the cross-entropy of a model that gives
    every token the same probability."""
    return check_function(
        fn,
        _initial_loss,
        [(2,), (13,), (65,), (1096,)],
        name="initial loss",
        rtol=1e-6,
        hint="均匀分布下每个 token 的概率是 1/V，交叉熵是 -ln(1/V)。",
        quiet=quiet,
    )


def check_perplexity(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 2: ``fn(loss)`` → perplexity, the exponential of the mean
    cross-entropy (in nats)."""
    return check_function(
        fn,
        math.exp,
        [(0.0,), (1.0,), (math.log(13),), (2.5,)],
        name="perplexity",
        rtol=1e-6,
        hint="困惑度 = e 的 loss 次方；loss = ln V 时困惑度正好是 V。",
        quiet=quiet,
    )


def check_addition_line(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 3: ``fn(a, b)`` → the training line of a + b (2 digits, every
    number written backwards, answer padded to 3 digits, then a newline)."""
    return check_function(
        fn,
        _TASK.line,
        [(12, 34), (99, 99), (5, 7), (0, 0), (50, 60)],
        name="addition line",
        hint="例：12+34 → '21+43=640\\n'；5+7 → '50+70=210\\n'（先补零，再倒过来）。",
        quiet=quiet,
    )
