"""Exercise checkers of 05_backprop.

Each prints ✅ / ❌ (with a hint) / ⏳ and returns a ``CheckResult``; none raises
because of the learner's code. Introduced in 05_backprop.
"""

from __future__ import annotations

import numpy as np

from helpers.autograd import Value
from helpers.checks import CheckResult, check_function
from helpers.scratch.activations import sigmoid, sigmoid_grad
from helpers.scratch.gradcheck import numerical_gradient
from helpers.validate import as_array, check_shape

__all__ = [
    "check_linear_backward",
    "check_neuron_weight_grad",
    "check_numeric_derivative",
    "check_tanh_value",
    "linear_backward",
    "neuron_weight_grad",
]


def neuron_weight_grad(w, x, b) -> np.ndarray:
    """da/dw for a = σ(w·x + b): σ'(z)·x with z = w·x + b (not σ'(w)·x).

    Reference answer of exercise 1. Introduced in 05_backprop.
    """
    w = as_array(w, "w", ndim=1)
    x = as_array(x, "x", ndim=1)
    check_shape(x, "x", w.shape)
    z = float(w @ x) + float(b)
    return sigmoid_grad(z) * x


def check_neuron_weight_grad(fn) -> CheckResult:
    """Exercise 1: ``neuron_grad(w, x, b)`` returns da/dw for a = σ(w·x + b)."""
    rng = np.random.default_rng(5)
    cases = [
        (np.array([0.5, -1.0]), np.array([2.0, 1.0]), 0.1),
        (np.array([1.0, 2.0, -3.0]), np.array([0.0, 0.5, 0.5]), -0.2),
        (rng.normal(size=4), rng.normal(size=4), 0.7),
    ]
    return check_function(
        fn,
        neuron_weight_grad,
        cases,
        name="da/dw of one neuron",
        hint="链式法则：da/dw = σ'(z)·dz/dw，z = w·x + b，所以 dz/dw = x；"
        "σ' 要在 z 处求值，不是在 w 处。σ'(z) = σ(z)(1 − σ(z))。",
        rtol=1e-9,
        atol=1e-12,
    )


def linear_backward(x, weight, grad_output) -> dict[str, np.ndarray]:
    """For y = x @ weight.T (x: (N, in), weight: (out, in)), return
    ``{"weight": dL/dW, "x": dL/dx}`` given ``grad_output`` = dL/dy (N, out).

    Reference answer of exercise 2. Introduced in 05_backprop.
    """
    x = as_array(x, "x", ndim=2)
    weight = as_array(weight, "weight", ndim=2)
    grad_output = as_array(grad_output, "grad_output", ndim=2)
    check_shape(weight, "weight", (None, x.shape[1]))
    check_shape(grad_output, "grad_output", (x.shape[0], weight.shape[0]))
    return {"weight": grad_output.T @ x, "x": grad_output @ weight}


def check_linear_backward(fn) -> CheckResult:
    """Exercise 2: ``linear_backward(x, W, grad_out)`` returns a dict with the
    gradients of the weight and of the input."""
    rng = np.random.default_rng(6)
    cases = [
        (rng.normal(size=(1, 3)), rng.normal(size=(2, 3)), rng.normal(size=(1, 2))),
        (rng.normal(size=(5, 4)), rng.normal(size=(3, 4)), rng.normal(size=(5, 3))),
        (rng.normal(size=(2, 2)), np.eye(2), np.ones((2, 2))),
    ]
    return check_function(
        fn,
        linear_backward,
        cases,
        name="linear layer backward",
        hint="∂L/∂W[j, k] = Σ_n grad_out[n, j]·x[n, k]，即 grad_out.T @ x；"
        "∂L/∂x = grad_out @ W。返回 {'weight': ..., 'x': ...}。",
        rtol=1e-9,
        atol=1e-12,
    )


def _tanh_reference(x: float) -> tuple[float, float]:
    v = Value(x)
    out = v.tanh()
    out.backward()
    return out.data, v.grad


def check_tanh_value(fn) -> CheckResult:
    """Exercise 3: ``my_tanh(v: Value) -> Value`` built from exp, +, −, / only;
    its value and its gradient must equal those of ``Value.tanh``."""

    def run(x: float) -> tuple[float, float]:
        v = Value(x)
        out = fn(v)
        if not isinstance(out, Value):
            raise TypeError(f"my_tanh must return a Value, got {type(out).__name__}")
        if out._op == "tanh":
            raise ValueError("please build tanh from exp, +, −, / (not .tanh())")
        out.backward()
        return out.data, v.grad

    return check_function(
        run,
        _tanh_reference,
        [(0.0,), (0.5,), (-1.3,), (2.0,)],
        name="tanh from exp",
        hint="tanh(x) = (e^(2x) − 1) / (e^(2x) + 1)；先算 e = (2 * v).exp()。",
        rtol=1e-9,
        atol=1e-12,
    )


def check_numeric_derivative(fn) -> CheckResult:
    """Exercise 4: ``numeric_derivative(f, x, eps)`` by central differences."""
    cases = [
        (np.sin, 0.3, 1e-3),  # large steps: a one-sided difference is visibly off
        (np.exp, 1.0, 1e-2),
        (sigmoid, -2.0, 1e-2),
    ]

    def reference(f, x, eps):
        return float(numerical_gradient(lambda v: float(f(v[0])), [x], eps)[0])

    return check_function(
        fn,
        reference,
        cases,
        name="central difference",
        hint="(f(x + eps) − f(x − eps)) / (2·eps)。",
        rtol=1e-6,
        atol=1e-9,
    )
