"""Static figures of 03_activations: activation curves and their derivatives,
GELU vs its tanh approximation, gradient norms through depth, ReLU fits.

Each function takes the numbers the notebook computed and returns a
``Figure`` (display it with ``helpers.plotting.show``). Introduced in
03_activations.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure

from helpers.plotting import COLORS, new_figure
from helpers.validate import as_array

__all__ = [
    "plot_functions_and_derivatives",
    "plot_gelu_difference",
    "plot_gradient_norms",
    "plot_relu_fits",
]


def _curves(x: np.ndarray, curves: Mapping, what: str) -> dict[str, np.ndarray]:
    if not isinstance(curves, Mapping) or not curves:
        raise TypeError(f"{what} must be a non-empty dict of label -> values")
    out = {}
    for label, values in curves.items():
        y = as_array(values, f"{what}[{label!r}]", ndim=1)
        if y.shape != x.shape:
            raise ValueError(
                f"{what}[{label!r}] must have the shape of x {x.shape}, got {y.shape}"
            )
        out[str(label)] = y
    return out


def plot_functions_and_derivatives(x, values: Mapping, derivatives: Mapping) -> Figure:
    """Two panels: f(x) for each activation (left), f'(x) (right)."""
    x = as_array(x, "x", ndim=1)
    values = _curves(x, values, "values")
    derivatives = _curves(x, derivatives, "derivatives")
    fig, (left, right) = new_figure((9.0, 3.4), ncols=2)
    for ax, curves, title in (
        (left, values, "f(x)"),
        (right, derivatives, "f'(x)"),
    ):
        for i, (label, y) in enumerate(curves.items()):
            ax.plot(x, y, color=COLORS[i % len(COLORS)], lw=1.8, label=label)
        ax.axhline(0, color="0.6", lw=0.8)
        ax.axvline(0, color="0.6", lw=0.8)
        ax.set_xlabel("x")
        ax.set_title(title)
        ax.grid(alpha=0.3)
    left.legend(fontsize=8, loc="upper left")
    return fig


def plot_gelu_difference(x, exact, approx) -> Figure:
    """GELU and its tanh approximation (left) and their difference (right),
    with the largest |difference| marked."""
    x = as_array(x, "x", ndim=1)
    curves = _curves(x, {"exact": exact, "approx": approx}, "curves")
    diff = curves["exact"] - curves["approx"]
    i = int(np.argmax(np.abs(diff)))
    fig, (left, right) = new_figure((9.0, 3.2), ncols=2)
    left.plot(x, curves["exact"], color=COLORS[0], lw=2.5, label=r"exact: $x\,\Phi(x)$")
    left.plot(
        x, curves["approx"], color=COLORS[1], lw=1.2, ls="--", label="tanh approx"
    )
    left.set_title("GELU")
    left.legend(fontsize=8, loc="upper left")
    right.plot(x, diff, color=COLORS[2], lw=1.5)
    right.plot([x[i]], [diff[i]], "o", color=COLORS[1])
    right.annotate(
        f"max |diff| = {abs(diff[i]):.2e}\nat x = {x[i]:.2f}",
        (x[i], diff[i]),
        xytext=(0.05, 0.8),
        textcoords="axes fraction",
        fontsize=8,
    )
    right.set_title("exact - approx")
    for ax in (left, right):
        ax.set_xlabel("x")
        ax.grid(alpha=0.3)
    return fig


def plot_gradient_norms(norms: Mapping) -> Figure:
    """log10 of the gradient norm at each layer's input, one line per activation
    (each array runs from layer 0 = the input to the top layer)."""
    if not isinstance(norms, Mapping) or not norms:
        raise TypeError("norms must be a non-empty dict of activation -> norms")
    fig, ax = new_figure((6.0, 3.4))
    for i, (label, values) in enumerate(norms.items()):
        g = as_array(values, f"norms[{label!r}]", ndim=1)
        if np.any(g <= 0):
            raise ValueError(f"norms[{label!r}] must be positive to take a log")
        ax.plot(np.arange(g.size), np.log10(g), "o-", ms=3,
                color=COLORS[i % len(COLORS)], label=str(label))  # fmt: skip
    ax.set_xlabel("layer k (0 = input)")
    ax.set_ylabel("log10 of gradient norm")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    return fig


def plot_relu_fits(x, target, fits: Mapping) -> Figure:
    """Small multiples: the target curve and the fit with N ReLU units, one
    panel per entry of ``fits`` (N -> fitted values)."""
    x = as_array(x, "x", ndim=1)
    target = _curves(x, {"target": target}, "target")["target"]
    fits = _curves(x, fits, "fits")
    fig, axes = new_figure((3.0 * len(fits), 2.8), ncols=len(fits), sharey=True)
    axes = np.atleast_1d(axes)
    for ax, (n, y_hat) in zip(axes, fits.items(), strict=True):
        rmse = float(np.sqrt(np.mean((y_hat - target) ** 2)))
        ax.plot(x, target, color="0.2", lw=2)
        ax.plot(x, y_hat, color=COLORS[1], lw=1.5)
        ax.set_title(f"N = {n}: RMSE {rmse:.3f}", fontsize=10)
        ax.set_xlabel("x")
        ax.grid(alpha=0.3)
    return fig
