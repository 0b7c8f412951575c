"""Exercise checkers of 00_course_map."""

from __future__ import annotations

from helpers.checks import CheckResult, check_function, check_value
from helpers.plotting.course_map import stage_keys
from helpers.tensors import gflops
from helpers.validate import as_array, check_int

__all__ = [
    "check_gflops",
    "check_greedy",
    "check_pipeline_order",
    "check_steps",
    "greedy_next_token",
]

#: The steps of one training iteration, in order (000 §7.1).
TRAINING_STEPS = ["forward", "loss", "backward", "update"]
#: The steps of inference (000 §7.2).
INFERENCE_STEPS = ["forward"]


def check_pipeline_order(order, *, quiet: bool = False) -> CheckResult:
    """Exercise 1: the stage keys of the pipeline, in the order text flows."""
    if order is not None and not isinstance(order, list | tuple):
        order = [order]
    return check_value(
        None if order is None else list(order),
        stage_keys(),
        name="pipeline order",
        hint="文本先被切成 token，换成编号，再查表变成向量，经过 N 个解码器块，"
        "最后由输出头给出分数并变成概率。",
        quiet=quiet,
    )


def check_steps(steps, *, quiet: bool = False) -> CheckResult:
    """Exercise 2: ``{"training": [...], "inference": [...]}`` — the steps each
    needs, in order, chosen from "forward", "loss", "backward", "update"."""
    return check_value(
        steps,
        {"training": TRAINING_STEPS, "inference": INFERENCE_STEPS},
        name="training vs inference",
        hint="训练的每一步：前向、算损失、反向求梯度、更新参数；推理只做前向。",
        quiet=quiet,
    )


def greedy_next_token(probs, vocab) -> str:
    """The most probable token (the first one on ties). Introduced in
    00_course_map as the reference answer of exercise 3."""
    p = as_array(probs, "probs", ndim=1)
    if len(vocab) != len(p):
        raise ValueError(
            f"vocab has {len(vocab)} tokens but probs has {len(p)} entries"
        )
    if (p < 0).any():
        raise ValueError("probs must be non-negative")
    return vocab[int(p.argmax())]


def check_greedy(student_fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 3: ``pick_next(probs, vocab)`` returns the most probable token."""
    vocab = ["mat", "floor", "roof", "sofa"]
    cases = [
        ([0.3, 0.2, 0.15, 0.35], vocab),
        ([0.5, 0.2, 0.2, 0.1], vocab),
        ([0.1, 0.6, 0.2, 0.1], vocab),
        ([0.25, 0.25, 0.4, 0.1], vocab),
    ]
    return check_function(
        student_fn,
        greedy_next_token,
        cases,
        name="pick_next",
        hint="找出最大概率的位置 (argmax)，再用这个位置去 vocab 里取 token。",
        quiet=quiet,
    )


def check_gflops(student_fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 4: ``speed(n, seconds)`` is the GFLOP/s of an n x n @ n x n product
    that took ``seconds``."""
    cases = [(1024, 0.05), (256, 0.001), (4096, 2.0), (512, 0.0125)]
    return check_function(
        student_fn,
        lambda n, seconds: gflops(check_int(n, "n", low=1), n, n, seconds),
        cases,
        name="speed",
        hint="n × n 的矩阵乘法要做 2·n³ 次浮点运算；除以秒数，再除以 1e9。",
        rtol=1e-9,
        quiet=quiet,
    )
