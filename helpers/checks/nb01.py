"""Exercise checkers of 01_neuron.

Each prints ✅ / ❌ (with a tiered hint) / ⏱ / ⏳ and returns a ``CheckResult``; none
raises because of the learner's code. Introduced in 01_neuron.
"""

from __future__ import annotations

import numpy as np

from helpers.checks import Cases, CheckResult, FunctionExercise, ValueExercise
from helpers.scratch.tiny_net import (
    LOGIC_INPUTS,
    collapse_linear,
    neuron,
    step_network,
)

__all__ = [
    "CHECKER_CASES",
    "check_merge_three",
    "check_nand_gate",
    "check_sigmoid_neuron",
    "check_xnor_network",
]

_INPUTS = np.array(LOGIC_INPUTS)  # (4, 2)


def _neuron_case(rng: np.random.Generator) -> tuple:
    n = int(rng.integers(1, 7))
    return rng.normal(size=n), rng.normal(scale=2.0, size=n), float(rng.normal())


SIGMOID_NEURON = FunctionExercise(
    notebook="01",
    key="sigmoid_neuron",
    title="sigmoid neuron",
    reference=lambda x, w, b: neuron(x, w, b, "sigmoid"),
    cases=[
        (np.array([1.0, 2.0]), np.array([0.5, -0.25]), 0.0),
        (np.array([0.2, -1.0, 3.0]), np.array([1.5, 0.3, -0.7]), 0.4),
        (np.array([10.0]), np.array([-2.0]), 25.0),
        (np.zeros(4), np.ones(4), -1.0),
    ],
    hidden=_neuron_case,
    hints=(
        "一个神经元分两步：先算加权和再加偏置，得到一个数 z；"
        "再把 z 交给激活函数。检查两步是否都做了、偏置有没有漏掉。",
        "z = w·x + b（点积：对应位置相乘再相加，可用 np.dot）；"
        "σ(z) = 1 / (1 + e^(−z))，注意指数里是负号，e^x 用 np.exp。",
        "z = np.dot(w, x) + b; return 1.0 / (1.0 + np.exp(-z))",
    ),
    rtol=1e-9,
    atol=1e-12,
)


def check_sigmoid_neuron(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 1: ``fn(x, w, b)`` = sigmoid(w·x + b) for one input vector."""
    return SIGMOID_NEURON.check(fn, quiet=quiet)


def _gate_outputs(answer) -> list[float]:
    if not isinstance(answer, tuple | list) or len(answer) != 3:
        raise TypeError("请给出三个数 (w1, w2, b)，例如 w1, w2, b = 1.0, 1.0, -1.5")
    w1, w2, b = answer
    return neuron(_INPUTS, [w1, w2], b, "step").tolist()


NAND_GATE = ValueExercise(
    notebook="01",
    key="nand_gate",
    title="NAND gate",
    expected=lambda: [1.0, 1.0, 1.0, 0.0],
    transform=_gate_outputs,
    hints=(
        "NAND 是 AND 的反面：只有 (1, 1) 输出 0。"
        "想一想，哪一个点应该单独落在直线的负的一侧？权重应该是正数还是负数？",
        "加权和 w₁x₁ + w₂x₂ + b 在 (0, 0) 上就是 b，所以 b 要大于 0；"
        "在 (1, 1) 上要小于 0，在 (0, 1)、(1, 0) 上要大于 0。"
        "试试两个相同的负权重，再找一个合适的 b。",
        "w1, w2, b = -1.0, -1.0, 1.5（b 在 1 到 2 之间都行）",
    ),
)


def check_nand_gate(weights, *, quiet: bool = False) -> CheckResult:
    """Exercise 2: ``(w1, w2, b)`` for which a step neuron computes NAND.

    Every correct answer passes: the weights are judged by the gate they make."""
    return NAND_GATE.check(weights, quiet=quiet)


def _network_outputs(answer) -> list[float]:
    if isinstance(answer, dict):
        try:
            answer = tuple(answer[k] for k in ("W1", "b1", "W2", "b2"))
        except KeyError as exc:
            raise ValueError(f"字典里缺少键 (key) {exc}：需要 W1, b1, W2, b2") from None
    if not isinstance(answer, tuple | list) or len(answer) != 4:
        raise TypeError("请给出四样东西 (W1, b1, W2, b2)")
    W1, b1, W2, b2 = answer
    if np.shape(W1) != (2, 2) or np.shape(b1) != (2,):
        raise ValueError(
            f"W1 的形状 (shape) 应该是 (2, 2)、b1 是 (2,)（两个隐藏神经元，各接两个输入），"
            f"收到的是 {np.shape(W1)} 和 {np.shape(b1)}"
        )
    if np.shape(W2) != (1, 2) or np.shape(b2) != (1,):
        raise ValueError(
            f"W2 的形状应该是 (1, 2)、b2 是 (1,)（一个输出神经元，接两个隐藏神经元），"
            f"收到的是 {np.shape(W2)} 和 {np.shape(b2)}"
        )
    return step_network(_INPUTS, W1, b1, W2, b2)[:, 0].tolist()


def _diagnose_xnor(args, got, expected) -> str | None:
    if got == [0.0, 1.0, 1.0, 0.0]:
        return "这是 XOR 的输出，正好全部相反。XNOR 要在两个输入相同时输出 1。"
    return None


XNOR_NETWORK = ValueExercise(
    notebook="01",
    key="xnor_network",
    title="XNOR with a 2-2-1 network",
    expected=lambda: [1.0, 0.0, 0.0, 1.0],
    transform=_network_outputs,
    diagnose=_diagnose_xnor,
    hints=(
        "XNOR 在两个输入相同时输出 1：它是“两个都是 1”或者“两个都是 0”。"
        "让两个隐藏神经元各认出其中一种情况，输出神经元再把它们合起来。",
        "一个隐藏神经元做 AND（只有 (1,1) 输出 1），另一个做 NOR（只有 (0,0) 输出 1，"
        "权重为负、偏置为正）；输出神经元做 OR：h₁ + h₂ − 0.5 > 0。",
        "W1 = [[1, 1], [-1, -1]]; b1 = [-1.5, 0.5]; W2 = [[1, 1]]; b2 = [-0.5]",
    ),
)


def check_xnor_network(params, *, quiet: bool = False) -> CheckResult:
    """Exercise 3: ``(W1, b1, W2, b2)`` of a 2-2-1 step network computing XNOR
    (W1 (2, 2), b1 (2,), W2 (1, 2), b2 (1,)); every correct network passes."""
    return XNOR_NETWORK.check(params, quiet=quiet)


def _merge_three_reference(W1, b1, W2, b2, W3, b3):
    return collapse_linear(*collapse_linear(W1, b1, W2, b2), W3, b3)


def _pair_as_dict(pair) -> dict:
    if not isinstance(pair, tuple | list) or len(pair) != 2:
        raise TypeError("请返回一对 (W, b)：合并后的权重矩阵和偏置向量")
    return {"W": pair[0], "b": pair[1]}


def _three_layers(rng: np.random.Generator, sizes) -> tuple:
    args = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        args += [rng.normal(size=(n_out, n_in)), rng.normal(size=n_out)]
    return tuple(args)


def _merge_case(rng: np.random.Generator) -> tuple:
    return _three_layers(rng, [int(v) for v in rng.integers(1, 6, size=4)])


def _diagnose_merge(args, got, expected) -> str | None:
    W1, b1, W2, b2, W3, b3 = args
    b = np.asarray(got.get("b")) if isinstance(got, dict) else None
    if b is not None and b.shape == b3.shape and np.allclose(b, W3 @ b2 + b3):
        return "b₁ 被漏掉了：第一层的偏置也要先后经过 W₂ 和 W₃。"
    return None


MERGE_THREE = FunctionExercise(
    notebook="01",
    key="merge_three",
    title="merge three linear layers",
    reference=_merge_three_reference,
    cases=[
        _three_layers(np.random.default_rng(1), [2, 3, 3, 1]),
        _three_layers(np.random.default_rng(2), [4, 3, 2, 2]),
        _three_layers(np.random.default_rng(3), [3, 5, 1, 4]),
    ],
    hidden=_merge_case,
    adapt=_pair_as_dict,
    diagnose=_diagnose_merge,
    hints=(
        "先把前两层合并成一层，就回到了“两层合并”的老问题；"
        "也可以把 x 依次代进三层，展开后看 x 前面乘的是什么、剩下的常数是什么。",
        "W₃(W₂(W₁x + b₁) + b₂) + b₃ = (W₃W₂W₁)x + (W₃W₂b₁ + W₃b₂ + b₃)。"
        "矩阵乘法的顺序不能换：最后作用的 W₃ 写在最左边。",
        "return W3 @ W2 @ W1, W3 @ (W2 @ b1 + b2) + b3",
    ),
    rtol=1e-9,
    atol=1e-12,
)


def check_merge_three(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 4: ``fn(W1, b1, W2, b2, W3, b3)`` returns the pair (W, b) of the
    single linear layer equal to three stacked ones."""
    return MERGE_THREE.check(fn, quiet=quiet)


# --- answers for the tests --------------------------------------------------------


def _sigmoid_neuron(x, w, b):
    z = np.dot(w, x) + b
    return 1.0 / (1.0 + np.exp(-z))


def _no_activation(x, w, b):
    return np.dot(w, x) + b  # forgets the sigmoid


def _sign_error(x, w, b):
    return 1.0 / (1.0 + np.exp(np.dot(w, x) + b))  # e^(+z)


def _no_bias(x, w, b):
    return 1.0 / (1.0 + np.exp(-np.dot(w, x)))


def _merge_right(W1, b1, W2, b2, W3, b3):
    return W3 @ W2 @ W1, W3 @ (W2 @ b1 + b2) + b3


def _merge_drops_b1(W1, b1, W2, b2, W3, b3):
    return W3 @ W2 @ W1, W3 @ b2 + b3


def _merge_adds_biases(W1, b1, W2, b2, W3, b3):
    return W3 @ W2 @ W1, W3 @ (b1.sum() + b2) + b3


def _merge_wrong_order(W1, b1, W2, b2, W3, b3):
    return W1.T @ W2.T @ W3.T, W3 @ (W2 @ b1 + b2) + b3  # transposed product


_XOR = ([[1.0, 1.0], [1.0, 1.0]], [-0.5, -1.5], [[1.0, -1.0]], [-0.5])

CHECKER_CASES = [
    Cases(
        check_sigmoid_neuron,
        SIGMOID_NEURON,
        right=[_sigmoid_neuron],
        wrong=[_no_activation, _sign_error, _no_bias],
    ),
    Cases(
        check_nand_gate,
        NAND_GATE,
        right=[(-1.0, -1.0, 1.5), (-2.0, -3.0, 4.0), [-0.5, -0.5, 0.7]],
        wrong=[
            (1.0, 1.0, -1.5),
            (-1.0, -1.0, 2.5),
            (-1.0, -1.0, -0.5),
            ("a", 1.0, 0.0),
        ],
    ),
    Cases(
        check_xnor_network,
        XNOR_NETWORK,
        right=[
            ([[1.0, 1.0], [-1.0, -1.0]], [-1.5, 0.5], [[1.0, 1.0]], [-0.5]),
            {
                "W1": np.array([[1.0, 1.0], [1.0, 1.0]]),
                "b1": np.array([-0.5, -1.5]),
                "W2": np.array([[-1.0, 1.0]]),
                "b2": np.array([0.5]),
            },
        ],
        wrong=[_XOR, ([[1.0, 1.0]], [-1.5], [[1.0]], [-0.5]), (1.0, 1.0, -1.5)],
    ),
    Cases(
        check_merge_three,
        MERGE_THREE,
        right=[_merge_right, _merge_three_reference],
        wrong=[_merge_drops_b1, _merge_adds_biases, _merge_wrong_order],
    ),
]
