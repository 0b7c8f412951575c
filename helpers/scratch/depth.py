"""What depth does to a signal: gradients through a stack of activations, and
curves built from N ReLU units (universal approximation).

Introduced in 03_activations; 05_backprop and 08_normalization tell the same
depth story with ``helpers.scratch.mlp.layer_gradient_norms`` and
``helpers.scratch.norms.signal_stats``.
"""

from __future__ import annotations

import numpy as np

from helpers.scratch.activations import get_activation, relu
from helpers.scratch.norms import init_std
from helpers.validate import as_array, check_choice, check_int, check_number

__all__ = [
    "DEPTH_INITS",
    "TARGETS",
    "fit_relu_units",
    "gradient_through_depth",
    "layers_to_vanish",
    "matched_init",
    "max_abs_derivative",
    "relu_kinks",
]

#: Target curves for the universal-approximation panel, on x in [-3, 3].
TARGETS = {
    "sin(2x)": lambda x: np.sin(2.0 * x),
    "exp(-x^2)": lambda x: np.exp(-x * x),
    "sin(x) + 0.5 sin(3x)": lambda x: np.sin(x) + 0.5 * np.sin(3.0 * x),
    "|x| - 1": lambda x: np.abs(x) - 1.0,
}
X_LOW, X_HIGH = -3.0, 3.0

#: Initialisations accepted by ``gradient_through_depth``.
DEPTH_INITS = ("matched", "xavier", "he")

#: Activations that zero (about) half of their inputs: they need He init.
_RELU_FAMILY = ("relu", "leaky_relu", "gelu", "gelu_tanh", "silu")


def matched_init(name: str) -> str:
    """The initialisation that suits an activation: "he" for the ReLU family
    (ReLU, LeakyReLU, GELU, SiLU), "xavier" for the rest (sigmoid, tanh, identity).
    Introduced in 03_activations (derived in 08_normalization)."""
    get_activation(name)  # validates the name
    return "he" if name in _RELU_FAMILY else "xavier"


def max_abs_derivative(name: str, x_range: float = 10.0) -> float:
    """max |f'(x)| over [-x_range, x_range] (on a fine grid).

    Introduced in 03_activations (sigmoid: 0.25, tanh: 1, ReLU: 1)."""
    x_range = check_number(x_range, "x_range", low=0.1, high=1e3)
    _, df = get_activation(name)
    grid = np.linspace(-x_range, x_range, 20001)  # contains 0
    return float(np.max(np.abs(df(grid))))


def layers_to_vanish(factor: float, threshold: float = 1e-6) -> int:
    """The smallest number of layers n >= 1 with factor**n < threshold: how deep a
    network may be before a per-layer factor (sigmoid's best σ' = 0.25, ReLU under
    Xavier init ≈ 1/√2) shrinks a gradient below ``threshold``.
    Introduced in 03_activations."""
    factor = check_number(
        factor, "factor", low=0, low_inclusive=False, high=1, high_inclusive=False
    )
    threshold = check_number(
        threshold, "threshold", low=0, low_inclusive=False, high=1, high_inclusive=False
    )
    n = max(1, int(np.floor(np.log(threshold) / np.log(factor))))
    while factor**n >= threshold:  # the logarithms may round either way
        n += 1
    while n > 1 and factor ** (n - 1) < threshold:
        n -= 1
    return n


def gradient_through_depth(
    name: str, depth: int, *, width: int = 32, seed: int = 0, init: str = "matched"
) -> np.ndarray:
    """Gradient norms in a deep, narrow random network, layer by layer.

    The network: h_0 is a random input of ``width`` numbers; layer k computes
    z_k = W_k h_(k-1), h_k = f(z_k), with W_k ~ N(0, std²) where std comes from
    ``init``: "xavier" (√(1/width) for these square layers), "he" (√(2/width)),
    or "matched" (the one that suits the activation, ``matched_init``). A
    unit-norm gradient arrives at the top and flows down by the chain rule,
    g_(k-1) = W_kᵀ (f'(z_k) * g_k). Returns ``[|g_0|, |g_1|, ..., |g_depth|]``
    (``|g_depth| = 1``): how much of the signal reaches each layer's input.
    Deterministic for a given ``seed``. Introduced in 03_activations.
    """
    f, df = get_activation(name)
    depth = check_int(depth, "depth", low=1, high=200)
    width = check_int(width, "width", low=1, high=1024)
    seed = check_int(seed, "seed", low=0)
    check_choice(init, "init", DEPTH_INITS)
    scheme = matched_init(name) if init == "matched" else init
    std = init_std(width, width, scheme)
    rng = np.random.default_rng(seed)
    weights = rng.normal(0.0, std, size=(depth, width, width))  # (depth, out, in)
    h = rng.normal(size=width)
    pre_activations = []
    for w in weights:  # forward
        z = w @ h
        pre_activations.append(z)
        h = f(z)
    g = np.full(width, 1.0 / np.sqrt(width))  # unit-norm gradient at the top
    norms = [1.0]
    for w, z in zip(weights[::-1], pre_activations[::-1], strict=True):  # backward
        g = w.T @ (df(z) * g)
        norms.append(float(np.linalg.norm(g)))
    return np.array(norms[::-1])


def relu_kinks(n_units: int, low: float = X_LOW, high: float = X_HIGH) -> np.ndarray:
    """The kinks k_i of ``n_units`` ReLU units relu(x - k_i), evenly spaced:
    the first at ``low``, then every (high - low) / n_units.

    Introduced in 03_activations."""
    n_units = check_int(n_units, "n_units", low=1, high=1000)
    low = check_number(low, "low")
    high = check_number(high, "high", low=low, low_inclusive=False)
    return np.linspace(low, high, n_units, endpoint=False)


def fit_relu_units(x, y, n_units: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fit y ≈ c + Σ_i v_i · relu(x - k_i) with ``n_units`` hidden ReLU units.

    A network with one hidden layer: hidden unit i has weight 1 and bias -k_i
    (kinks evenly spaced over the range of ``x``, see ``relu_kinks``); only the
    output layer (v, c) is fitted, by least squares, so a fit takes well under a
    millisecond. Returns ``(y_hat, output_weights, kinks)`` where
    ``output_weights = [c, v_1, ..., v_N]``. Introduced in 03_activations.
    """
    x = as_array(x, "x", ndim=1)
    y = as_array(y, "y", ndim=1)
    if x.shape != y.shape:
        raise ValueError(
            f"x and y must have the same shape, got {x.shape} and {y.shape}"
        )
    if x.size < 2 or x.min() == x.max():
        raise ValueError("x must hold at least two different values")
    kinks = relu_kinks(n_units, x.min(), x.max())
    features = np.column_stack([np.ones_like(x), relu(x[:, None] - kinks[None, :])])
    output_weights, *_ = np.linalg.lstsq(features, y, rcond=None)
    return features @ output_weights, output_weights, kinks


def vanishing_norms(depth: int) -> dict[str, np.ndarray]:
    """Per-layer ‖∂L/∂W‖ for sigmoid (Xavier init) and ReLU (He init) networks of
    ``depth`` layers, width 32. Introduced in 05_backprop."""
    # imported here: helpers.scratch.mlp imports this module
    from helpers.scratch.mlp import layer_gradient_norms

    depth = check_int(depth, "depth", low=1, high=1000)
    return {
        "sigmoid (Xavier init)": layer_gradient_norms(depth, "sigmoid", init="xavier"),
        "ReLU (He init)": layer_gradient_norms(depth, "relu", init="he"),
    }
