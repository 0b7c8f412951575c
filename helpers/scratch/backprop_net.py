"""The 2-3-1 network of the backprop panel in 05_backprop: one forward and one
backward pass on a single input, with every value and gradient the panel shows.

``helpers.widgets.backprop`` only draws what ``network_state`` returns.
Introduced in 05_backprop.
"""

from __future__ import annotations

import numpy as np

from helpers.scratch.mlp import MLP
from helpers.validate import check_choice, check_number

__all__ = ["HIDDEN_ACTIVATIONS", "LAYER_SIZES", "network_state"]

#: Layer widths of the panel network: 2 inputs, 3 hidden neurons, 1 output.
LAYER_SIZES = (2, 3, 1)
#: Hidden activations the panel offers (the output is always a sigmoid).
HIDDEN_ACTIVATIONS = ("sigmoid", "tanh", "relu")
_NETS: dict[str, MLP] = {}


def _net(activation: str) -> MLP:
    check_choice(activation, "activation", HIDDEN_ACTIVATIONS)
    if activation not in _NETS:  # same seed → the same weights for every activation
        _NETS[activation] = MLP(
            list(LAYER_SIZES), activation, "sigmoid", init="standard", seed=4
        )
    return _NETS[activation]


def network_state(x1: float, x2: float, target: float, activation: str = "sigmoid"):
    """Forward and backward pass of the 2-3-1 panel network on one input, with the
    loss L = ½(y − target)². Returns a dict with ``values`` (activations per layer),
    ``node_grads`` (dL/dx for the inputs, dL/dz for the neurons), ``weights``,
    ``weight_grads`` and ``loss``. Introduced in 05_backprop."""
    x = np.array([[check_number(x1, "x1"), check_number(x2, "x2")]])
    target = check_number(target, "target", low=0.0, high=1.0)
    net = _net(activation)
    y = net.forward(x)
    grads = net.backward(y - target)  # dL/dy for L = ½(y − t)²
    hidden = net._cache[0][1][0]  # the hidden activations of the one example
    return {
        "values": [x[0], hidden, y[0]],
        "node_grads": [grads.input[0], grads.biases[0], grads.biases[1]],  # δ = dL/dz
        "weights": net.weights,
        "weight_grads": grads.weights,
        "loss": 0.5 * float((y[0, 0] - target) ** 2),
        "output": float(y[0, 0]),
    }
