"""Exercise checkers of 02_leaf_flower.

Each prints ✅ / ❌ (with a hint) / ⏳ and returns a ``CheckResult``; none raises
because of the learner's code. Introduced in 02_leaf_flower.
"""

from __future__ import annotations

import numpy as np

from helpers.checks import CheckResult, check_function
from helpers.scratch.activations import softmax
from helpers.scratch.losses import l1_loss
from helpers.scratch.tiny_net import TinyNet, forward, seed_network

__all__ = [
    "check_forward",
    "check_l1_loss",
    "check_softmax",
    "check_update",
]


def check_softmax(fn) -> CheckResult:
    """Exercise 1: ``fn(z)`` = e^z_i / Σ_j e^z_j for a 1-D array."""
    cases = [
        (np.array([0.8, 0.2]),),
        (np.array([0.2, 0.8]),),
        (np.array([1.0, 2.0, 3.0]),),
        (np.array([-5.0, 0.0, 5.0, 0.5]),),
    ]
    return check_function(
        fn,
        softmax,
        cases,
        name="softmax",
        hint="np.exp(z) / np.exp(z).sum(): every output is positive and they sum to 1.",
        rtol=1e-9,
        atol=1e-12,
    )


def check_l1_loss(fn) -> CheckResult:
    """Exercise 2: ``fn(output, target)`` = Σ |target − output| (the seed's L1)."""
    cases = [
        (np.array([0.6, 0.4]), np.array([1.0, 0.0])),
        (np.array([0.1, 0.9]), np.array([0.0, 1.0])),
        (np.array([0.25, 0.5, 0.25]), np.array([0.0, 0.0, 1.0])),
    ]
    return check_function(
        fn,
        lambda out, target: l1_loss(out, target, reduction="sum"),
        cases,
        name="L1 loss",
        hint="np.abs(target - output).sum() — a sum over the outputs, not a mean.",
        rtol=1e-9,
        atol=1e-12,
    )


def _reference_forward(x, W1, b1, W2, b2):
    return forward(TinyNet(W1, b1, W2, b2), x, "relu").logits[0]


def check_forward(fn) -> CheckResult:
    """Exercise 3: ``fn(x, W1, b1, W2, b2)`` = W2·ReLU(W1·x + b1) + b2."""
    seed = seed_network()
    rng = np.random.default_rng(2)
    cases = [
        (np.array([32.0, 107.0, 56.0, 11.2]), seed.W1, seed.b1, seed.W2, seed.b2),
        (np.array([241.0, 200.0, 4.0, 59.5]), seed.W1, seed.b1, seed.W2, seed.b2),
        (
            np.array([0.7, 0.8, 0.2, 0.3]),
            rng.normal(size=(3, 4)),
            rng.normal(size=3),
            rng.normal(size=(2, 3)),
            rng.normal(size=2),
        ),
    ]
    return check_function(
        fn,
        _reference_forward,
        cases,
        name="forward pass",
        hint="h = np.maximum(0, W1 @ x + b1); return W2 @ h + b2 (no softmax).",
        rtol=1e-9,
        atol=1e-12,
    )


def check_update(fn) -> CheckResult:
    """Exercise 4: ``fn(weight, gradient, lr)`` = weight − lr × gradient."""
    cases = [
        (0.17, 200.0, 0.01),
        (0.5, -30.0, 0.01),
        (np.array([0.2, -0.4]), np.array([100.0, -20.0]), 0.001),
    ]
    return check_function(
        fn,
        lambda w, g, lr: np.asarray(w) - lr * np.asarray(g),
        cases,
        name="gradient-descent update",
        hint="new weight = old weight − learning rate × gradient (note the minus).",
        rtol=1e-9,
        atol=1e-12,
    )
