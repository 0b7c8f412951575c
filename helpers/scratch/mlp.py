"""A multi-layer perceptron in NumPy with its forward and backward passes written out.

Layer sizes like ``[3, 4, 3, 2]``, weights stored as in
``torch.nn.Linear`` (shape ``(out, in)``), inputs batch-first ``(N, in)``, float64.
Introduced in 05_backprop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from helpers.scratch.activations import get_activation
from helpers.scratch.depth import matched_init
from helpers.sizing import require_memory
from helpers.validate import as_array, check_choice, check_int

__all__ = [
    "MLP",
    "MLPGradients",
    "affine_backward",
    "layer_gradient_norms",
    "linear_backward",
    "neuron_gradients",
]

_INITS = ("standard", "xavier", "he")


@dataclass
class MLPGradients:
    """Gradients of a scalar loss with respect to an MLP's parameters and input."""

    weights: list[np.ndarray]  # dL/dW for each layer, shape (out, in)
    biases: list[np.ndarray]  # dL/db for each layer, shape (out,)
    input: np.ndarray  # dL/dx, shape (N, in)


class MLP:
    """Fully connected network: ``a_l = act(a_{l-1} @ W_l.T + b_l)``.

    ``activation`` is used after every hidden layer, ``output_activation`` after the
    last one ("identity" gives raw scores, as before a softmax). ``init`` picks the
    weight scale: "standard" N(0, 1), "xavier" N(0, 1/fan_in),
    "he" N(0, 2/fan_in). Biases start at zero. Introduced in 05_backprop.
    """

    def __init__(
        self,
        layer_sizes: Sequence[int],
        activation: str = "sigmoid",
        output_activation: str = "identity",
        *,
        init: str = "xavier",
        seed: int = 0,
    ):
        if isinstance(layer_sizes, str | bytes) or not isinstance(
            layer_sizes, Sequence
        ):
            raise TypeError("layer_sizes must be a list of integers, like [3, 4, 3, 2]")
        if len(layer_sizes) < 2:
            raise ValueError(
                f"layer_sizes needs at least an input and an output size, got {layer_sizes}"
            )
        self.layer_sizes = [
            check_int(n, f"layer_sizes[{i}]", low=1) for i, n in enumerate(layer_sizes)
        ]
        self.activation_name = activation
        self.output_activation_name = output_activation
        self._act, self._act_prime = get_activation(activation)
        self._out, self._out_prime = get_activation(output_activation)
        check_choice(init, "init", _INITS)
        seed = check_int(seed, "seed", low=0)
        n_numbers = sum(
            a * b + b
            for a, b in zip(self.layer_sizes[:-1], self.layer_sizes[1:], strict=True)
        )
        # weights and biases in float64, plus as much again for their gradients
        require_memory(16 * n_numbers, f"MLP{self.layer_sizes}")
        rng = np.random.default_rng(seed)
        self.weights: list[np.ndarray] = []
        self.biases: list[np.ndarray] = []
        for fan_in, fan_out in zip(
            self.layer_sizes[:-1], self.layer_sizes[1:], strict=True
        ):
            std = {
                "standard": 1.0,
                "xavier": (1 / fan_in) ** 0.5,
                "he": (2 / fan_in) ** 0.5,
            }
            self.weights.append(rng.normal(0.0, std[init], size=(fan_out, fan_in)))
            self.biases.append(np.zeros(fan_out))
        self._cache: tuple[list[np.ndarray], list[np.ndarray]] | None = None

    @property
    def n_layers(self) -> int:
        """Number of weight layers (hidden layers + the output layer)."""
        return len(self.weights)

    def _check_input(self, x) -> np.ndarray:
        x = as_array(x, "x", ndim=(1, 2))
        if x.ndim == 1:
            x = x[None, :]  # one example → a batch of one
        if x.shape[1] != self.layer_sizes[0]:
            raise ValueError(
                f"x must have shape (N, {self.layer_sizes[0]}), got {x.shape}"
            )
        return x

    def forward(self, x) -> np.ndarray:
        """Outputs for the batch ``x`` of shape (N, in); remembers what backward needs."""
        a = self._check_input(x)
        activations, pre_activations = [a], []
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            z = a @ w.T + b  # (N, out)
            last = i == self.n_layers - 1
            a = self._out(z) if last else self._act(z)
            pre_activations.append(z)
            activations.append(a)
        self._cache = (activations, pre_activations)
        return a

    def backward(self, grad_output) -> MLPGradients:
        """Back-propagate dL/d(output) of shape (N, out) through the last forward."""
        if self._cache is None:
            raise ValueError("call forward(x) before backward(grad_output)")
        activations, pre_activations = self._cache
        grad = as_array(grad_output, "grad_output", ndim=2)
        if grad.shape != activations[-1].shape:
            raise ValueError(
                f"grad_output must have the output's shape {activations[-1].shape}, "
                f"got {grad.shape}"
            )
        grad_w: list[np.ndarray] = [np.empty(0)] * self.n_layers
        grad_b: list[np.ndarray] = [np.empty(0)] * self.n_layers
        for i in reversed(range(self.n_layers)):
            prime = self._out_prime if i == self.n_layers - 1 else self._act_prime
            delta = grad * prime(pre_activations[i])  # dL/dz_i = dL/da_i * act'(z_i)
            grad_w[i] = delta.T @ activations[i]  # (out, in): delta_j * a_prev_k
            grad_b[i] = delta.sum(axis=0)
            grad = delta @ self.weights[i]  # dL/da_{i-1} = sum_j w_ji delta_j
        return MLPGradients(grad_w, grad_b, grad)

    def parameters(self) -> list[np.ndarray]:
        """[W_1, b_1, W_2, b_2, ...] (the arrays themselves, not copies)."""
        return [p for pair in zip(self.weights, self.biases, strict=True) for p in pair]


def layer_gradient_norms(
    depth: int,
    activation: str,
    *,
    width: int = 32,
    batch: int = 64,
    init: str = "xavier",
    seed: int = 0,
) -> np.ndarray:
    """Norm of dL/dW for each layer of a ``depth``-layer MLP, first layer first.

    The loss is 0.5 * sum(output**2) / N on a random standard-normal batch, so the
    numbers show how much gradient reaches each layer. ``init="matched"`` picks He
    for the ReLU family and Xavier otherwise (``helpers.scratch.depth.matched_init``).
    Introduced in 05_backprop.
    """
    if init == "matched":
        init = matched_init(activation)
    depth = check_int(depth, "depth", low=1, high=200)
    width = check_int(width, "width", low=1, high=1024)
    batch = check_int(batch, "batch", low=1, high=4096)
    net = MLP([width] * (depth + 1), activation, "identity", init=init, seed=seed)
    x = np.random.default_rng(seed + 1).standard_normal((batch, width))
    out = net.forward(x)
    grads = net.backward(out / batch)
    return np.array([np.linalg.norm(g) for g in grads.weights])


def neuron_gradients(w, x, b, activation: str = "sigmoid") -> dict[str, np.ndarray]:
    """Gradients of one neuron a = f(w·x + b): ``{"w": f'(z)·x, "b": f'(z),
    "x": f'(z)·w}`` with z = w·x + b (f' is evaluated at z, never at w).

    Introduced in 05_backprop.
    """
    w = as_array(w, "w", ndim=1)
    x = as_array(x, "x", ndim=1)
    if x.shape != w.shape:
        raise ValueError(
            f"w and x must have the same shape, got {w.shape} and {x.shape}"
        )
    df = get_activation(activation).derivative
    slope = float(df(float(w @ x) + float(as_array(b, "b", ndim=0))))  # f'(z)
    return {"w": slope * x, "b": np.array(slope), "x": slope * w}


def linear_backward(x, weight, grad_output) -> dict[str, np.ndarray]:
    """For y = x @ weight.T (x: (N, in), weight: (out, in), as ``nn.Linear``),
    ``{"weight": dL/dW, "x": dL/dx}`` from ``grad_output`` = dL/dy (N, out).

    Introduced in 05_backprop.
    """
    x = as_array(x, "x", ndim=2)
    weight = as_array(weight, "weight", ndim=2)
    grad_output = as_array(grad_output, "grad_output", ndim=2)
    if weight.shape[1] != x.shape[1] or grad_output.shape != (
        x.shape[0],
        weight.shape[0],
    ):
        raise ValueError(
            f"shapes do not fit y = x @ weight.T: x {x.shape}, weight {weight.shape}, "
            f"grad_output {grad_output.shape}"
        )
    return {"weight": grad_output.T @ x, "x": grad_output @ weight}


def affine_backward(x, W, grad_output) -> dict[str, np.ndarray]:
    """For y = x @ W + b with W stored (in, out) (04's wiring picture: row i holds
    input i's lines), ``{"W": xᵀ·g, "b": Σ_n g, "x": g·Wᵀ}`` from g = dL/dy (N, out).

    Introduced in 05_backprop.
    """
    x = as_array(x, "x", ndim=2)
    W = as_array(W, "W", ndim=2)
    g = as_array(grad_output, "grad_output", ndim=2)
    if W.shape[0] != x.shape[1] or g.shape != (x.shape[0], W.shape[1]):
        raise ValueError(
            f"shapes do not fit y = x @ W + b: x {x.shape}, W {W.shape}, "
            f"grad_output {g.shape}"
        )
    return {"W": x.T @ g, "b": g.sum(axis=0), "x": g @ W.T}
