"""Activation functions, their derivatives, and the softmax family, in NumPy.

Introduced in 03_activations. Every function takes an array-like of finite real
numbers and returns a new ``float64`` array of the same shape. Each activation
``f`` has a derivative ``f_grad`` (``sigmoid`` / ``sigmoid_grad``, ...), and the
registry ``ACTIVATIONS`` maps a name to the pair::

    f, df = get_activation("silu")      # an Activation(function, derivative)
    f(x), df(x)

Part II's MLP (05_backprop) and the panels look activations up by name.
``softmax`` / ``log_softmax`` are the output-layer functions; the losses in
``helpers.scratch.losses`` (06_loss_functions) build on them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from numbers import Integral
from typing import NamedTuple

import numpy as np

from helpers.validate import as_array, check_number

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "dead_relu_fraction",
    "GELU_TANH_COEFF",
    "derivative",
    "gelu",
    "gelu_grad",
    "gelu_tanh",
    "gelu_tanh_grad",
    "get_activation",
    "identity",
    "identity_grad",
    "leaky_relu",
    "leaky_relu_grad",
    "log_softmax",
    "relu",
    "relu_grad",
    "sigmoid",
    "sigmoid_grad",
    "silu",
    "silu_grad",
    "softmax",
    "tanh",
    "tanh_grad",
]

#: The cubic coefficient of GELU's tanh approximation (Hendrycks & Gimpel, 2016).
GELU_TANH_COEFF = 0.044715
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_erf = np.frompyfunc(math.erf, 1, 1)


def _x(x) -> np.ndarray:
    if x is None:
        raise TypeError("x must be an array of numbers, got None")
    return as_array(x, "x")


def _slope(negative_slope) -> float:
    return check_number(negative_slope, "negative_slope", low=0.0, high=1.0)


# --- the activations ---------------------------------------------------------
def identity(x) -> np.ndarray:
    """f(x) = x: no activation at all (a purely linear layer)."""
    return _x(x).copy()


def identity_grad(x) -> np.ndarray:
    """The derivative of ``identity``: 1 everywhere."""
    return np.ones_like(_x(x))


def sigmoid(x) -> np.ndarray:
    """σ(x) = 1 / (1 + e^(-x)), range (0, 1).

    Computed from e^(-|x|) so that no exponential overflows for large |x|.
    """
    x = _x(x)
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def sigmoid_grad(x) -> np.ndarray:
    """σ'(x) = σ(x)·(1 − σ(x)), at most 0.25 (at x = 0)."""
    s = sigmoid(x)
    return s * (1.0 - s)


def tanh(x) -> np.ndarray:
    """tanh(x) = (e^x − e^(-x)) / (e^x + e^(-x)), range (−1, 1)."""
    return np.tanh(_x(x))


def tanh_grad(x) -> np.ndarray:
    """tanh'(x) = 1 − tanh(x)², at most 1 (at x = 0)."""
    t = tanh(x)
    return 1.0 - t * t


def relu(x) -> np.ndarray:
    """ReLU(x) = max(0, x), range [0, ∞)."""
    return np.maximum(_x(x), 0.0)


def relu_grad(x) -> np.ndarray:
    """ReLU'(x) = 1 for x > 0, else 0 (0 at x = 0, as in PyTorch)."""
    return (_x(x) > 0).astype(np.float64)


def leaky_relu(x, negative_slope: float = 0.01) -> np.ndarray:
    """LeakyReLU(x) = x for x > 0, ``negative_slope``·x otherwise."""
    x, a = _x(x), _slope(negative_slope)
    return np.where(x > 0, x, a * x)


def leaky_relu_grad(x, negative_slope: float = 0.01) -> np.ndarray:
    """1 for x > 0, ``negative_slope`` otherwise (as in PyTorch, also at x = 0)."""
    x, a = _x(x), _slope(negative_slope)
    return np.where(x > 0, 1.0, a)


def _normal_cdf(x: np.ndarray) -> np.ndarray:
    """Φ(x) = ½·(1 + erf(x/√2)), the standard normal distribution function."""
    return 0.5 * (1.0 + np.asarray(_erf(x * _INV_SQRT_2), dtype=np.float64))


def gelu(x) -> np.ndarray:
    """GELU(x) = x·Φ(x) = ½·x·(1 + erf(x/√2)) (the exact form), min ≈ −0.17."""
    x = _x(x)
    return x * _normal_cdf(x)


def gelu_grad(x) -> np.ndarray:
    """GELU'(x) = Φ(x) + x·φ(x), φ the standard normal density."""
    x = _x(x)
    return _normal_cdf(x) + x * _INV_SQRT_2PI * np.exp(-0.5 * x * x)


def gelu_tanh(x) -> np.ndarray:
    """GELU's tanh approximation: ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))."""
    x = _x(x)
    u = _SQRT_2_OVER_PI * (x + GELU_TANH_COEFF * x**3)
    return 0.5 * x * (1.0 + np.tanh(u))


def gelu_tanh_grad(x) -> np.ndarray:
    """The derivative of ``gelu_tanh``: ½(1 + t) + ½·x·(1 − t²)·u'(x)."""
    x = _x(x)
    t = np.tanh(_SQRT_2_OVER_PI * (x + GELU_TANH_COEFF * x**3))
    du = _SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_TANH_COEFF * x * x)
    return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du


def silu(x) -> np.ndarray:
    """SiLU(x) = Swish(x) = x·σ(x), min ≈ −0.278."""
    x = _x(x)
    return x * sigmoid(x)


def silu_grad(x) -> np.ndarray:
    """SiLU'(x) = σ(x)·(1 + x·(1 − σ(x)))."""
    x = _x(x)
    s = sigmoid(x)
    return s * (1.0 + x * (1.0 - s))


# --- the registry ------------------------------------------------------------
class Activation(NamedTuple):
    """An activation and its derivative: ``f, df = ACTIVATIONS["relu"]``."""

    function: Callable[[np.ndarray], np.ndarray]  # x -> f(x), elementwise
    derivative: Callable[[np.ndarray], np.ndarray]  # x -> f'(x), elementwise


#: name -> Activation(function, derivative); leaky_relu uses negative_slope 0.01.
ACTIVATIONS: dict[str, Activation] = {
    "identity": Activation(identity, identity_grad),
    "sigmoid": Activation(sigmoid, sigmoid_grad),
    "tanh": Activation(tanh, tanh_grad),
    "relu": Activation(relu, relu_grad),
    "leaky_relu": Activation(leaky_relu, leaky_relu_grad),
    "gelu": Activation(gelu, gelu_grad),
    "gelu_tanh": Activation(gelu_tanh, gelu_tanh_grad),
    "silu": Activation(silu, silu_grad),
}


def get_activation(name: str) -> Activation:
    """Look up an activation by name; unknown names raise a ValueError listing
    the known ones."""
    if not isinstance(name, str):
        raise TypeError(f"activation name must be a string, got {type(name).__name__}")
    key = name.strip().lower()
    if key not in ACTIVATIONS:
        known = ", ".join(repr(k) for k in ACTIVATIONS)
        raise ValueError(f"unknown activation {name!r}; expected one of: {known}")
    return ACTIVATIONS[key]


def derivative(name: str, x) -> np.ndarray:
    """f'(x) for the activation called ``name``: ``derivative("tanh", x)``."""
    return get_activation(name).derivative(x)


def dead_relu_fraction(pre_activations) -> float:
    """Fraction of ReLU units that are dead on a batch: a unit (a column of the
    ``(N, units)`` pre-activations z) is dead when z <= 0 for every example, so
    its output and its gradient are 0 on all of them. Introduced in 03_activations.
    """
    z = as_array(pre_activations, "pre_activations", ndim=2)
    if z.shape[0] == 0 or z.shape[1] == 0:
        raise ValueError(f"pre_activations must hold at least one value, got {z.shape}")
    return float(np.mean(np.all(z <= 0.0, axis=0)))


# --- the softmax family ------------------------------------------------------
def _axis(axis, ndim: int) -> int:
    if isinstance(axis, bool) or not isinstance(axis, Integral):
        raise TypeError(f"axis must be an integer, got {type(axis).__name__}")
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"axis {axis} is out of range for an array with {ndim} dimension(s); "
            f"expected an integer in [{-ndim}, {ndim - 1}]"
        )
    return int(axis)


def _logits(x) -> np.ndarray:
    x = _x(x)
    if x.ndim == 0:
        raise ValueError("softmax needs at least a 1-D array of logits, got a scalar")
    return x


def softmax(x, axis: int = -1) -> np.ndarray:
    """softmax(x)_i = e^(x_i) / Σ_j e^(x_j) along ``axis``: probabilities that sum
    to 1. The maximum is subtracted first (this changes nothing mathematically),
    so logits as large as ±1e4 neither overflow nor give NaN."""
    x = _logits(x)
    axis = _axis(axis, x.ndim)
    shifted = x - np.max(x, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis: int = -1) -> np.ndarray:
    """log(softmax(x)) computed stably: (x − max) − log Σ e^(x − max)."""
    x = _logits(x)
    axis = _axis(axis, x.ndim)
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
