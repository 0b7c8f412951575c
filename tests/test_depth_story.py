"""One depth story in 03_activations, 05_backprop and 08_normalization.

03 follows one input vector's gradient |dL/dh| down a random stack
(``helpers.scratch.depth.gradient_through_depth``); 05 measures ‖dL/dW‖ per layer
on a batch (``helpers.scratch.mlp.layer_gradient_norms``); 08 pushes a batch through
``helpers.scratch.norms.signal_stats``. With the initialisation that matches the
activation (Xavier for sigmoid/tanh, He for the ReLU family) the three must tell
the same story: sigmoid vanishes by the same orders of magnitude, ReLU + He keeps
an O(1) gradient, and ReLU with the wrong (Xavier) init shrinks by ~1/√2 a layer.
"""

import math

import numpy as np
import pytest

from helpers.scratch.depth import gradient_through_depth, layers_to_vanish, matched_init
from helpers.scratch.mlp import layer_gradient_norms
from helpers.scratch.norms import signal_stats

WIDTH = 32  # the width both notebooks use


def first_over_last_03(name: str, depth: int, init: str = "matched") -> float:
    norms = gradient_through_depth(name, depth, width=WIDTH, init=init)
    return float(norms[0] / norms[-1])


def first_over_last_05(name: str, depth: int, init: str = "matched") -> float:
    norms = layer_gradient_norms(depth, name, width=WIDTH, init=init)
    return float(norms[0] / norms[-1])


@pytest.mark.parametrize("depth", [10, 20])
def test_sigmoid_vanishes_by_the_same_orders_of_magnitude_in_03_and_05(depth):
    a, b = first_over_last_03("sigmoid", depth), first_over_last_05("sigmoid", depth)
    assert a < 0.25 ** (depth / 2) and b < 0.25 ** (depth / 2)
    assert abs(math.log10(a) - math.log10(b)) < 1.0  # same order of magnitude
    # both sit below the σ'-only bound 0.25^depth times a modest weight factor
    assert a < 0.25**depth * 10 and b < 0.25**depth * 10


@pytest.mark.parametrize("depth", [10, 20])
@pytest.mark.parametrize("name", ["relu", "tanh"])
def test_matched_init_keeps_an_order_one_gradient_in_03_and_05(name, depth):
    a, b = first_over_last_03(name, depth), first_over_last_05(name, depth)
    assert 0.05 < a < 20 and 0.05 < b < 20
    assert abs(math.log10(a) - math.log10(b)) < 1.5


def test_relu_with_xavier_shrinks_by_a_root_two_per_layer():
    """03's "wrong init" line. (05's ‖dL/dW‖ = |δ|·|a| does not show it: with Xavier
    the forward activations shrink as fast as the backward δ grows, so 05 compares
    matched inits only.)"""
    depth = 20
    predicted = 2 ** (-depth / 2)  # He's factor 2 missing: 1/√2 per layer
    assert (
        predicted / 10
        < first_over_last_03("relu", depth, init="xavier")
        < predicted * 10
    )
    assert layers_to_vanish(2**-0.5, 1e-3) == depth  # 03's exercise 3 predicts it


def test_relu_beats_sigmoid_by_many_orders_of_magnitude_everywhere():
    for depth in (10, 20):
        assert first_over_last_03("relu", depth) > 1e5 * first_over_last_03(
            "sigmoid", depth
        )
        assert first_over_last_05("relu", depth) > 1e5 * first_over_last_05(
            "sigmoid", depth
        )


def test_08_signal_stats_agrees_relu_he_keeps_the_gradient():
    """08's tool, same width and depth: ReLU + He passes an O(1) gradient down, and
    the same network with Xavier init loses about 1/√2 per layer, as in 03 and 05."""
    assert matched_init("relu") == "he" and matched_init("tanh") == "xavier"
    depth = 20
    he = signal_stats(depth, width=WIDTH, activation="relu", init="he")[
        "input_grad_norm"
    ]
    xavier = signal_stats(depth, width=WIDTH, activation="relu", init="xavier")
    ratio_he = he[0] / he[-1]
    ratio_xavier = xavier["input_grad_norm"][0] / xavier["input_grad_norm"][-1]
    assert 0.05 < ratio_he < 20
    assert np.isclose(
        math.log10(ratio_xavier), math.log10(2 ** (-(depth - 1) / 2)), atol=1.0
    )
    assert (
        abs(math.log10(ratio_he) - math.log10(first_over_last_03("relu", depth))) < 1.5
    )
