"""Exercise checkers of 05_backprop.

Each prints ✅ / ❌ (with a tiered hint) / ⏱ / ⏳ and returns a ``CheckResult``; none
raises because of the learner's code. Introduced in 05_backprop.
"""

from __future__ import annotations

import numpy as np

from helpers.checks import Cases, CheckResult, FunctionExercise
from helpers.scratch.activations import (
    gelu_tanh,
    gelu_tanh_grad,
    sigmoid_grad,
    tanh_grad,
)
from helpers.scratch.gradcheck import numerical_gradient
from helpers.scratch.mlp import affine_backward, neuron_gradients

__all__ = [
    "CHECKER_CASES",
    "bumpy",
    "check_affine_backward",
    "check_gelu_with_value",
    "check_numeric_grad",
    "check_tanh_neuron",
]


def _w_and_x(grads) -> dict:
    if not isinstance(grads, dict):
        raise TypeError(
            f"请返回一个字典 {{'w': ..., 'x': ...}}，收到的是 {type(grads).__name__}"
        )
    return {"w": grads["w"], "x": grads["x"]}


def _neuron_case(rng: np.random.Generator) -> tuple:
    n = int(rng.integers(1, 6))
    return rng.normal(size=n), rng.normal(size=n), float(rng.normal())


TANH_NEURON = FunctionExercise(
    notebook="05",
    key="tanh_neuron",
    title="gradients of a tanh neuron",
    reference=lambda w, x, b: neuron_gradients(w, x, b, "tanh"),
    cases=[
        (np.array([0.5, -1.0]), np.array([2.0, 1.0]), 0.1),
        (np.array([1.0, 2.0, -3.0]), np.array([0.0, 0.5, 0.5]), -0.2),
        (np.array([3.0]), np.array([0.2]), 0.0),
    ],
    hidden=_neuron_case,
    adapt=_w_and_x,
    hints=(
        "和第 5 节的 sigmoid 神经元是同一条链：a 先对 z 求导，z 再对 w（或对 x）求导。"
        "换成 tanh 只改变第一环；而 z = w·x + b 对 x 的导数又是什么？",
        "tanh′(z) = 1 − tanh²(z)，要在 z = w·x + b 处求值（不是在 w 处）；"
        "da/dw = tanh′(z)·x，da/dx = tanh′(z)·w。返回 {'w': ..., 'x': ...}。",
        "z = np.dot(w, x) + b\nslope = 1 - np.tanh(z) ** 2\n"
        "return {'w': slope * x, 'x': slope * w}",
    ),
    rtol=1e-9,
    atol=1e-12,
)


def check_tanh_neuron(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 1: ``tanh_neuron_grads(w, x, b)`` returns ``{"w": da/dw, "x": da/dx}``
    for a = tanh(w·x + b)."""
    return TANH_NEURON.check(fn, quiet=quiet)


def _affine_case(rng: np.random.Generator) -> tuple:
    n, d_in, d_out = (int(v) for v in rng.integers(1, 6, size=3))
    return (
        rng.normal(size=(n, d_in)),
        rng.normal(size=(d_in, d_out)),
        rng.normal(size=(n, d_out)),
    )


AFFINE_BACKWARD = FunctionExercise(
    notebook="05",
    key="affine_backward",
    title="backward of y = x @ W + b",
    reference=affine_backward,
    cases=[
        (
            np.array([[1.0, 2.0, 3.0]]),
            np.arange(12.0).reshape(3, 4) / 10,
            np.ones((1, 4)),
        ),
        (
            np.random.default_rng(6).normal(size=(5, 4)),
            np.random.default_rng(7).normal(size=(4, 3)),
            np.random.default_rng(8).normal(size=(5, 3)),
        ),
        (
            np.eye(2),
            np.array([[1.0, -1.0], [2.0, 0.5]]),
            np.array([[1.0, 0.0], [0.0, 2.0]]),
        ),
    ],
    hidden=_affine_case,
    hints=(
        "这里的 W 按 04 节“连线图”的存法：形状 (in, out)，第 i 行是从输入 i 出发的线——"
        "和 nn.Linear 的 (out, in) 正好转置。先写下每个梯度应有的形状，再让矩阵乘法的形状对上。",
        "∂L/∂W 的形状是 (in, out)：由 x (N, in) 和 grad_out (N, out) 相乘、对样本 N 求和；"
        "∂L/∂b 是 grad_out 对样本求和（不是求平均）；∂L/∂x 的形状是 (N, in)。",
        "return {'W': x.T @ grad_out, 'b': grad_out.sum(axis=0), 'x': grad_out @ W.T}",
    ),
    rtol=1e-9,
    atol=1e-12,
)


def check_affine_backward(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 2: ``affine_backward(x, W, grad_out)`` for y = x @ W + b with W of
    shape (in, out): returns ``{"W": ..., "b": ..., "x": ...}``."""
    return AFFINE_BACKWARD.check(fn, quiet=quiet)


def _value_and_grad(pair) -> dict:
    if not isinstance(pair, tuple | list) or len(pair) != 2:
        raise TypeError("请返回一对数 (value, grad)：GELU 的值和 x 的梯度")
    return {"value": pair[0], "grad": pair[1]}


GELU_WITH_VALUE = FunctionExercise(
    notebook="05",
    key="gelu_with_value",
    title="GELU (tanh form) with the Value engine",
    reference=lambda x: (float(gelu_tanh(x)), float(gelu_tanh_grad(x))),
    cases=[(0.0,), (1.0,), (-0.75,), (2.5,), (-4.0,)],
    hidden=lambda rng: (float(rng.normal(scale=2.0)),),
    adapt=_value_and_grad,
    hints=(
        "不用自己推导数：用 Value 把公式搭出来，调用 backward()，梯度就在输入节点的 grad 里。"
        "公式是 03 节的 tanh 近似：½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))。",
        "v = Value(x)；out = 0.5 * v * (1 + (c * (v + 0.044715 * v**3)).tanh())，"
        "其中 c = math.sqrt(2 / math.pi)；out.backward() 之后返回 (out.data, v.grad)。",
        "v = Value(x)\nc = math.sqrt(2 / math.pi)\n"
        "out = 0.5 * v * (1 + (c * (v + 0.044715 * v**3)).tanh())\n"
        "out.backward()\nreturn out.data, v.grad",
    ),
    rtol=1e-9,
    atol=1e-12,
)


def check_gelu_with_value(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 3: ``gelu_and_grad(x)`` builds GELU's tanh form with ``Value``,
    back-propagates, and returns ``(value, d value / dx)``."""
    return GELU_WITH_VALUE.check(fn, quiet=quiet)


def bumpy(v) -> float:
    """The function of exercise 4: f(v) = Σ sin(3·vᵢ) + v₀·v_last (v: a 1-D array)."""
    return float(np.sum(np.sin(3.0 * v)) + v[0] * v[-1])


def _grad_case(rng: np.random.Generator) -> tuple:
    return rng.normal(scale=0.8, size=int(rng.integers(1, 6))), float(
        rng.uniform(0.02, 0.1)
    )


NUMERIC_GRAD = FunctionExercise(
    notebook="05",
    key="numeric_grad",
    title="numerical gradient of a function of a vector",
    reference=lambda x, eps: numerical_gradient(bumpy, x, eps),
    cases=[
        (np.array([1.0, -0.5, 2.0]), 0.1),
        (np.array([0.3, 1.2]), 0.05),
        (np.array([0.5, -0.25, 0.1, 0.8]), 0.05),
        (np.array([0.7]), 0.1),
    ],
    hidden=_grad_case,
    hints=(
        "梯度的每个分量就是“只动这一个坐标”时的导数：对每个 i 单独做一次第 2 节的中心差分，"
        "其他坐标保持不动。最后别让调用者的 x 被你改掉。",
        "循环 i：做两份 x 的副本 (x.copy())，一份第 i 个加 eps、一份减 eps；"
        "grad[i] = (f(加的) − f(减的)) / (2·eps)。是中心差分，不是 (f(x+eps) − f(x))/eps。",
        "grad = np.zeros_like(x)\nfor i in range(x.size):\n"
        "    up, down = x.copy(), x.copy()\n    up[i] += eps\n    down[i] -= eps\n"
        "    grad[i] = (bumpy(up) - bumpy(down)) / (2 * eps)\nreturn grad",
    ),
    rtol=1e-9,
    atol=1e-12,
)


def check_numeric_grad(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 4: ``numeric_grad(x, eps)``: the gradient of ``bumpy`` (a function
    of a vector) by central differences, one coordinate at a time."""
    return NUMERIC_GRAD.check(fn, quiet=quiet)


# --- answers for the tests --------------------------------------------------------


def _tanh_neuron_sigmoid(w, x, b):
    slope = sigmoid_grad(np.dot(w, x) + b)  # the sigmoid neuron's derivative
    return {"w": slope * x, "x": slope * w}


def _tanh_neuron_at_w(w, x, b):
    slope = tanh_grad(np.asarray(w))  # tanh' evaluated at w, not at z
    return {"w": slope * x, "x": slope * w}


def _tanh_neuron_swapped(w, x, b):
    slope = tanh_grad(np.dot(w, x) + b)
    return {"w": slope * w, "x": slope * x}  # da/dw and da/dx swapped


def _affine_linear_layout(x, W, g):
    return {"W": g.T @ x, "b": g.sum(axis=0), "x": g @ W}  # nn.Linear's formulas


def _affine_mean_bias(x, W, g):
    return {"W": x.T @ g, "b": g.mean(axis=0), "x": g @ W.T}  # averages the bias grad


def _gelu_no_backward(x):
    return float(gelu_tanh(x)), 0.0  # forgot backward(): the gradient stays 0


def _gelu_relu_grad(x):
    return float(gelu_tanh(x)), float(x > 0)  # the derivative of ReLU


def _numeric_forward(x, eps):
    grad = np.zeros_like(x)
    for i in range(x.size):
        up = x.copy()
        up[i] += eps
        grad[i] = (bumpy(up) - bumpy(x)) / eps  # one-sided difference
    return grad


def _numeric_not_restored(x, eps):
    grad = np.zeros_like(x)
    for i in range(x.size):
        x[i] += eps  # changes the caller's x and never puts it back
        plus = bumpy(x)
        x[i] -= 2 * eps
        grad[i] = (plus - bumpy(x)) / (2 * eps)
    return grad


CHECKER_CASES = [
    Cases(
        check_tanh_neuron,
        TANH_NEURON,
        right=[lambda w, x, b: neuron_gradients(w, x, b, "tanh")],
        wrong=[_tanh_neuron_sigmoid, _tanh_neuron_at_w, _tanh_neuron_swapped],
    ),
    Cases(
        check_affine_backward,
        AFFINE_BACKWARD,
        right=[affine_backward],
        wrong=[_affine_linear_layout, _affine_mean_bias],
    ),
    Cases(
        check_gelu_with_value,
        GELU_WITH_VALUE,
        right=[lambda x: (float(gelu_tanh(x)), float(gelu_tanh_grad(x)))],
        wrong=[_gelu_no_backward, _gelu_relu_grad],
    ),
    Cases(
        check_numeric_grad,
        NUMERIC_GRAD,
        right=[lambda x, eps: numerical_gradient(bumpy, x, eps)],
        wrong=[_numeric_forward, _numeric_not_restored],
    ),
]
