"""Exercise checkers of 00_course_map.

Each prints ✅ / ❌ (with a tiered hint) / ⏱ / ⏳ and returns a ``CheckResult``; none
raises because of the learner's code. Introduced in 00_course_map.
"""

from __future__ import annotations

import numpy as np

from helpers.checks import Cases, CheckResult, FunctionExercise, ValueExercise
from helpers.course import INFERENCE_STEPS, TRAINING_STEPS, greedy_pick, stage_keys
from helpers.tensors import gflops

__all__ = [
    "CHECKER_CASES",
    "check_gflops",
    "check_greedy",
    "check_pipeline_order",
    "check_steps",
]


def _as_list(order) -> list:
    if isinstance(order, str) or not isinstance(order, list | tuple):
        raise TypeError('请把各站的名字放进一个列表 (list)，例如 ["text", ...]')
    return list(order)


def _diagnose_order(args, got, expected) -> str | None:
    got = list(got)
    unknown = [name for name in got if name not in expected]
    if unknown:
        return (
            f"{unknown} 不是题目给出的名字。只能用这七个（注意拼写和下划线）："
            f"{', '.join(expected)}"
        )
    if len(got) != len(expected):
        return f"一共有 {len(expected)} 站，你的列表有 {len(got)} 项。"
    return None


PIPELINE_ORDER = ValueExercise(
    notebook="00",
    key="pipeline_order",
    title="pipeline order",
    expected=stage_keys,
    transform=_as_list,
    diagnose=_diagnose_order,
    hints=(
        "想一想每一站的输入是什么：模型只会算数字，所以文字必须先变成数字，"
        "数字再变成向量，最后才能算出概率。",
        "顺序是：文本 → 切成 token → 换成编号 → 查表得到向量 → N 个解码器块 → "
        "输出头打分 → 概率。把这些中文名字对应到题目给的英文名字上。",
        '["text", "tokenizer", "token_ids", "embedding", "decoder", "head", "probs"]',
    ),
)


def check_pipeline_order(order, *, quiet: bool = False) -> CheckResult:
    """Exercise 1: the stage keys of the pipeline, in the order text flows."""
    return PIPELINE_ORDER.check(order, quiet=quiet)


def _as_steps(steps) -> dict:
    if not isinstance(steps, dict):
        raise TypeError(
            '请给出一个字典 (dict)：{"training": [...], "inference": [...]}'
        )
    missing = {"training", "inference"} - set(steps)
    if missing:
        raise ValueError(f"字典里缺少键 (key) {sorted(missing)}")
    return {key: list(steps[key]) for key in ("training", "inference")}


def _diagnose_steps(args, got, expected) -> str | None:
    training = list(got.get("training", []))
    if (
        sorted(training) == sorted(expected["training"])
        and training != expected["training"]
    ):
        return "训练的四个步骤都选对了，但顺序不对：没有损失就求不出梯度，没有梯度就没法更新。"
    if len(got.get("inference", [])) > 1:
        return "推理时参数是固定的：它需要算损失或梯度吗？"
    return None


STEPS = ValueExercise(
    notebook="00",
    key="steps",
    title="training vs inference",
    expected=lambda: {
        "training": list(TRAINING_STEPS),
        "inference": list(INFERENCE_STEPS),
    },
    transform=_as_steps,
    diagnose=_diagnose_steps,
    hints=(
        "训练要改变参数，所以要知道每个参数该往哪边改；推理只是使用学好的参数。",
        "训练：先算出预测，再和答案比较得到损失，然后求梯度，最后更新参数。"
        "推理：参数不动，只算出预测。",
        '{"training": ["forward", "loss", "backward", "update"], "inference": ["forward"]}',
    ),
)


def check_steps(steps, *, quiet: bool = False) -> CheckResult:
    """Exercise 2: ``{"training": [...], "inference": [...]}`` — the steps each
    needs, in order, chosen from "forward", "loss", "backward", "update"."""
    return STEPS.check(steps, quiet=quiet)


_WORDS = ["mat", "floor", "roof", "sofa", "bed", "chair", "box", "sun"]


def _greedy_case(rng: np.random.Generator) -> tuple:
    n = int(rng.integers(2, len(_WORDS) + 1))
    probs = np.round(rng.dirichlet(np.ones(n)), 4)
    vocab = [str(w) for w in rng.permutation(_WORDS)[:n]]
    return probs, vocab


def _token_and_probability(pair) -> dict:
    if isinstance(pair, str):
        raise TypeError("请返回一对 (token, probability)，而不只是 token")
    if not isinstance(pair, tuple | list) or len(pair) != 2:
        raise TypeError('请返回一对 (token, probability)，例如 ("sofa", 0.35)')
    return {"token": pair[0], "probability": pair[1]}


GREEDY = FunctionExercise(
    notebook="00",
    key="greedy",
    title="pick_next",
    reference=greedy_pick,
    cases=[
        ([0.3, 0.2, 0.15, 0.35], ["mat", "floor", "roof", "sofa"]),
        ([0.5, 0.2, 0.2, 0.1], ["mat", "floor", "roof", "sofa"]),
        ([0.1, 0.6, 0.3], ["cat", "dog", "cow"]),
    ],
    hidden=_greedy_case,
    adapt=_token_and_probability,
    hints=(
        "要返回一对：一个词 (token) 和它的概率，不是位置编号。"
        "先找出最大的概率排在第几个，再去词表里的同一个位置取词。",
        "probs 和 vocab 一样长，第 i 个概率属于第 i 个词。"
        "找最大值所在的位置叫 argmax；然后返回 (vocab[这个位置], probs[这个位置])。",
        "best = max(range(len(probs)), key=lambda i: probs[i]); "
        "return vocab[best], probs[best]",
    ),
    rtol=1e-12,
    atol=0.0,
)


def check_greedy(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 3: ``pick_next(probs, vocab)`` returns the most probable token and
    its probability, as a pair."""
    return GREEDY.check(fn, quiet=quiet)


def _speed_case(rng: np.random.Generator) -> tuple:
    m, k, n = (int(v) for v in rng.integers(1, 5000, size=3))
    return m, k, n, float(rng.uniform(1e-4, 3.0))


def _diagnose_speed(args, got, expected) -> str | None:
    if not isinstance(got, float | int) or not expected:
        return None
    ratio = got / expected
    if np.isclose(ratio, 0.5):
        return "差了正好 2 倍：每一次乘法之后还有一次加法，两者都算浮点运算。"
    if np.isclose(ratio, 1e9) or np.isclose(ratio, 1e-9):
        return "差了 10⁹ 倍：G (giga) 表示 10⁹，结果要以“十亿次每秒”为单位。"
    return None


SPEED = FunctionExercise(
    notebook="00",
    key="gflops",
    title="speed",
    reference=gflops,
    cases=[(1024, 1024, 1024, 0.05), (256, 512, 128, 0.001), (4096, 11008, 1, 0.02)],
    hidden=_speed_case,
    diagnose=_diagnose_speed,
    hints=(
        "结果 C 有 m × n 个数，每个数是 A 的一行和 B 的一列的点积；"
        "一次长度为 k 的点积要做多少次乘法、多少次加法？",
        "总运算量约 2·m·k·n 次浮点运算 (FLOP)；除以秒数得到 FLOP/s，再除以 10⁹ 得到 GFLOP/s。",
        "return 2 * m * k * n / seconds / 1e9",
    ),
    rtol=1e-9,
    atol=0.0,
)


def check_gflops(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 4: ``speed(m, k, n, seconds)`` is the GFLOP/s of an (m, k) @ (k, n)
    product that took ``seconds``."""
    return SPEED.check(fn, quiet=quiet)


# --- answers for the tests --------------------------------------------------------

_ORDER = ["text", "tokenizer", "token_ids", "embedding", "decoder", "head", "probs"]


def _pick_by_max(probs, vocab):
    best = max(range(len(probs)), key=lambda i: probs[i])
    return vocab[best], probs[best]


def _pick_only_the_token(probs, vocab):
    return vocab[int(np.argmax(probs))]  # forgets the probability


def _pick_the_index(probs, vocab):
    return int(np.argmax(probs)), max(probs)  # the position, not the token


def _pick_the_least_likely(probs, vocab):
    worst = int(np.argmin(probs))
    return vocab[worst], probs[worst]


def _speed_right(m, k, n, seconds):
    return 2 * m * k * n / seconds / 1e9


def _speed_no_additions(m, k, n, seconds):
    return m * k * n / seconds / 1e9  # counts only the multiplications


def _speed_square(m, k, n, seconds):
    return 2 * m**3 / seconds / 1e9  # the square formula from the prose


def _speed_flops(m, k, n, seconds):
    return 2 * m * k * n / seconds  # FLOP/s, not GFLOP/s


CHECKER_CASES = [
    Cases(
        check_pipeline_order,
        PIPELINE_ORDER,
        right=[_ORDER, tuple(_ORDER)],
        wrong=[
            ["text", "token_ids", "tokenizer", "embedding", "decoder", "head", "probs"],
            _ORDER[::-1],
            ["text", "tokenizer", "token IDs", "embedding", "decoder", "head", "probs"],
        ],
    ),
    Cases(
        check_steps,
        STEPS,
        right=[
            {
                "training": ["forward", "loss", "backward", "update"],
                "inference": ["forward"],
            }
        ],
        wrong=[
            {
                "training": ["forward", "backward", "loss", "update"],
                "inference": ["forward"],
            },
            {
                "training": ["forward", "loss", "backward", "update"],
                "inference": ["forward", "loss"],
            },
            {"training": ["forward"]},
        ],
    ),
    Cases(
        check_greedy,
        GREEDY,
        right=[greedy_pick, _pick_by_max],
        wrong=[_pick_the_least_likely, _pick_only_the_token, _pick_the_index],
    ),
    Cases(
        check_gflops,
        SPEED,
        right=[_speed_right, gflops],
        wrong=[_speed_no_additions, _speed_square, _speed_flops],
    ),
]
