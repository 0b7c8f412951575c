"""Exercise checkers of 01_neuron.

Each prints ✅ / ❌ (with a hint) / ⏳ and returns a ``CheckResult``; none raises
because of the learner's code. Introduced in 01_neuron.
"""

from __future__ import annotations

import numpy as np

from helpers.checks import CheckResult, check_function, check_value
from helpers.scratch.tiny_net import collapse_linear, network_counts, neuron

__all__ = [
    "AND_INPUTS",
    "check_and_gate",
    "check_collapse_linear",
    "check_network_counts",
    "check_sigmoid_neuron",
]

#: The four inputs of a two-input logic gate, and AND's outputs on them.
AND_INPUTS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
_AND_OUTPUTS = np.array([0.0, 0.0, 0.0, 1.0])


def check_sigmoid_neuron(fn) -> CheckResult:
    """Exercise 1: ``fn(x, w, b)`` = sigmoid(w·x + b) for one input vector."""
    cases = [
        (np.array([1.0, 2.0]), np.array([0.5, -0.25]), 0.0),
        (np.array([0.2, -1.0, 3.0]), np.array([1.5, 0.3, -0.7]), 0.4),
        (np.array([10.0]), np.array([-2.0]), 25.0),
        (np.zeros(4), np.ones(4), -1.0),
    ]
    return check_function(
        fn,
        lambda x, w, b: neuron(x, w, b, "sigmoid"),
        cases,
        name="sigmoid neuron",
        hint="z = np.dot(w, x) + b, then 1 / (1 + np.exp(-z)).",
        rtol=1e-9,
        atol=1e-12,
    )


def check_and_gate(w1, w2, b) -> CheckResult:
    """Exercise 2: weights and bias for which a step neuron computes AND."""
    if any(v is None or v is Ellipsis for v in (w1, w2, b)):
        return check_value(None, _AND_OUTPUTS, name="AND gate")
    try:
        outputs = neuron(AND_INPUTS, [w1, w2], b, "step")
    except (TypeError, ValueError) as exc:
        msg = f"❌ AND gate：{exc}\n   提示 (hint)：w1, w2 and b must be plain numbers."
        print(msg)
        return CheckResult(False, True, msg)
    return check_value(
        outputs,
        _AND_OUTPUTS,
        name="AND gate",
        hint="the line w1·x1 + w2·x2 + b = 0 must leave only (1, 1) on the "
        "positive side, e.g. both weights 1 and a bias between −2 and −1.",
    )


def check_collapse_linear(fn) -> CheckResult:
    """Exercise 3: ``fn(W1, b1, W2, b2)`` returns (W', b') of the single layer."""
    rng = np.random.default_rng(1)
    cases = []
    for n_in, n_hidden, n_out in ((2, 3, 1), (4, 3, 2), (3, 5, 4)):
        cases.append(
            (
                rng.normal(size=(n_hidden, n_in)),
                rng.normal(size=n_hidden),
                rng.normal(size=(n_out, n_hidden)),
                rng.normal(size=n_out),
            )
        )

    def as_dict(pair) -> dict:
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise TypeError(f"expected a pair (W, b), got {type(pair).__name__}")
        return {"W": np.asarray(pair[0]), "b": np.asarray(pair[1])}

    def student(*args):
        return as_dict(fn(*args))

    if not callable(fn):
        return check_function(
            fn, collapse_linear, cases, name="collapse two linear layers"
        )
    return check_function(
        student,
        lambda *args: as_dict(collapse_linear(*args)),
        cases,
        name="collapse two linear layers",
        hint="W' = W2 @ W1 and b' = W2 @ b1 + b2; return them as a pair.",
        rtol=1e-9,
        atol=1e-12,
    )


def check_network_counts(fn) -> CheckResult:
    """Exercise 4: ``fn(sizes)`` → {"weights": …, "biases": …, "depth": …}."""
    cases = [([2, 4, 4, 1],), ([4, 3, 2],), ([3, 1],), ([784, 128, 64, 10],)]
    return check_function(
        fn,
        network_counts,
        cases,
        name="weights, biases and depth",
        hint="one weight per connection (a·b between layers of a and b neurons), "
        "one bias per neuron outside the input layer, depth = hidden layers.",
    )
