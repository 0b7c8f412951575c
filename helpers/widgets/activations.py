"""Panels of 03_activations: an activation explorer with a depth slider, and a
universal-approximation panel (fit a curve with N hidden ReLU units).

The computations are plain functions (``gradient_through_depth``,
``relu_kinks``, ``fit_relu_units``), tested on their own; the panels only call
them and move their artists. Introduced in 03_activations.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from helpers.plotting import COLORS
from helpers.scratch.activations import ACTIVATIONS, get_activation, relu
from helpers.validate import as_array, check_choice, check_int, check_number
from helpers.widgets import BenchCase, Panel

__all__ = [
    "ActivationPanel",
    "TARGETS",
    "UniversalApproximationPanel",
    "bench_cases",
    "fit_relu_units",
    "gradient_through_depth",
    "max_abs_derivative",
    "relu_kinks",
]

#: Activations offered by the panels (every registered one but the identity).
PANEL_ACTIVATIONS = tuple(name for name in ACTIVATIONS if name != "identity")

#: Target curves for the universal-approximation panel, on x in [-3, 3].
TARGETS = {
    "sin(2x)": lambda x: np.sin(2.0 * x),
    "exp(-x^2)": lambda x: np.exp(-x * x),
    "sin(x) + 0.5 sin(3x)": lambda x: np.sin(x) + 0.5 * np.sin(3.0 * x),
    "|x| - 1": lambda x: np.abs(x) - 1.0,
}
X_LOW, X_HIGH = -3.0, 3.0


def max_abs_derivative(name: str, x_range: float = 10.0) -> float:
    """max |f'(x)| over [-x_range, x_range] (on a fine grid).

    Introduced in 03_activations (sigmoid: 0.25, tanh: 1, ReLU: 1)."""
    x_range = check_number(x_range, "x_range", low=0.1, high=1e3)
    _, df = get_activation(name)
    grid = np.linspace(-x_range, x_range, 20001)  # contains 0
    return float(np.max(np.abs(df(grid))))


def gradient_through_depth(
    name: str, depth: int, *, width: int = 32, seed: int = 0
) -> np.ndarray:
    """Gradient norms in a deep, narrow random network, layer by layer.

    The network: h_0 is a random input of ``width`` numbers; layer k computes
    z_k = W_k h_(k-1), h_k = f(z_k), with W_k ~ N(0, 1/width) (so the linear part
    alone neither grows nor shrinks a vector, on average). A unit-norm gradient
    arrives at the top and flows down by the chain rule,
    g_(k-1) = W_k^T (f'(z_k) * g_k). Returns ``[|g_0|, |g_1|, ..., |g_depth|]``
    (``|g_depth| = 1``): how much of the signal reaches each layer's input.
    Deterministic for a given ``seed``. Introduced in 03_activations.
    """
    f, df = get_activation(name)
    depth = check_int(depth, "depth", low=1, high=200)
    width = check_int(width, "width", low=1, high=1024)
    seed = check_int(seed, "seed", low=0)
    rng = np.random.default_rng(seed)
    weights = rng.normal(0.0, 1.0 / np.sqrt(width), size=(depth, width, width))
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


class ActivationPanel(Panel):
    """Pick an activation; see f and f' on a chosen x-range, and how a gradient
    shrinks (or not) through a deep stack of layers using it.

    Introduced in 03_activations.
    """

    def __init__(self, activation: str = "sigmoid", depth: int = 10):
        check_choice(activation, "activation", PANEL_ACTIVATIONS)
        super().__init__(figsize=(8.0, 3.2), ncols=2)
        c = self.controls
        c["activation"] = widgets.Dropdown(
            options=PANEL_ACTIVATIONS, value=activation, description="activation"
        )
        c["show_derivative"] = widgets.Checkbox(value=True, description="show f'(x)")
        c["x_range"] = widgets.FloatSlider(
            value=5.0, min=1.0, max=10.0, step=0.5, description="x range ±"
        )
        c["depth"] = widgets.IntSlider(value=depth, min=1, max=30, description="depth")
        left, right = self.ax
        (self.f_line,) = left.plot([], [], color=COLORS[0], lw=2, label="f(x)")
        (self.df_line,) = left.plot(
            [], [], color=COLORS[1], lw=2, ls="--", label="f'(x)"
        )
        left.axhline(0, color="0.6", lw=0.8)
        left.axvline(0, color="0.6", lw=0.8)
        left.set_xlabel("x")
        left.grid(alpha=0.3)
        (self.norm_line,) = right.plot([], [], "o-", color=COLORS[2], ms=3,
                                       label="gradient norm |g_k|")  # fmt: skip
        (self.bound_line,) = right.plot([], [], ":", color=COLORS[3],
                                        label="max|f'| ^ (layers above)")  # fmt: skip
        right.set_xlabel("layer k (0 = input)")
        right.set_ylabel("log10 of gradient norm")
        right.grid(alpha=0.3)
        # no legends (they cost ~15% of a redraw): the titles say which line is which
        # fixed margins, wide enough for every state: no re-layout on each move
        self.fig.set_layout_engine("none")
        left.set_position([0.07, 0.17, 0.385, 0.74])  # [x0, y0, width, height]
        right.set_position([0.595, 0.17, 0.38, 0.74])
        self._finish()

    def update(self) -> None:
        c = self.controls
        name, depth, r = c["activation"].value, c["depth"].value, c["x_range"].value
        f, df = get_activation(name)
        left, right = self.ax
        x = np.linspace(-r, r, 301)
        y, dy = f(x), df(x)
        self.f_line.set_data(x, y)
        self.df_line.set_data(x, dy)
        self.df_line.set_visible(c["show_derivative"].value)
        shown = np.concatenate([y, dy]) if c["show_derivative"].value else y
        pad = 0.08 * (shown.max() - shown.min() + 1e-9)
        left.set_xlim(-r, r)
        left.set_ylim(shown.min() - pad, shown.max() + pad)
        dashed = ", f'(x) dashed" if c["show_derivative"].value else ""
        left.set_title(f"{name}: f(x) solid{dashed}", fontsize=10)

        norms = gradient_through_depth(name, depth)
        layers = np.arange(depth + 1)
        best = max_abs_derivative(name)
        bound = best ** (depth - layers)
        log_norms = np.log10(np.maximum(norms, 1e-300))
        log_bound = np.log10(np.maximum(bound, 1e-300))
        self.norm_line.set_data(layers, log_norms)
        self.bound_line.set_data(layers, log_bound)
        low = min(log_norms.min(), log_bound.min())
        high = max(log_norms.max(), log_bound.max())
        right.set_xlim(-0.5, depth + 0.5)
        right.set_ylim(low - 0.5, high + 0.5)
        right.set_title(f"{depth} layers: |g_k| (dots), max|f'|^n (dotted)", fontsize=9)
        self.set_readout(
            f"{name}: f'(0) = {float(df(0.0)):.4g}, max|f'| = {best:.4g}, "
            f"max|f'|^{depth} = {best**depth:.3g}\n"
            f"gradient norm reaching the input after {depth} layers: {norms[0]:.3g} "
            f"(width 32, weights ~ N(0, 1/32), fixed seed)"
        )


class UniversalApproximationPanel(Panel):
    """Fit a 1-D curve with N hidden ReLU units (N on a slider).

    Only the output layer is fitted, by least squares, over ReLU units with
    evenly spaced kinks (``fit_relu_units``). Introduced in 03_activations.
    """

    MAX_UNITS = 40

    def __init__(self, n_units: int = 4, target: str = "sin(2x)"):
        check_choice(target, "target", TARGETS)
        super().__init__(figsize=(6.5, 3.4))
        c = self.controls
        c["n_units"] = widgets.IntSlider(
            value=n_units, min=1, max=self.MAX_UNITS, description="N units"
        )
        c["target"] = widgets.Dropdown(
            options=list(TARGETS), value=target, description="target"
        )
        c["show_units"] = widgets.Checkbox(value=False, description="partial sums")
        self.x = np.linspace(X_LOW, X_HIGH, 301)
        ax = self.ax
        self.unit_lines = [
            ax.plot([], [], color=COLORS[5], lw=0.8, alpha=0.6)[0]
            for _ in range(self.MAX_UNITS)
        ]
        (self.target_line,) = ax.plot([], [], color="0.2", lw=2, label="target")
        (self.fit_line,) = ax.plot([], [], color=COLORS[1], lw=2, label="network")
        (self.kink_marks,) = ax.plot([], [], "|", color=COLORS[1], ms=12)
        ax.set_xlim(X_LOW, X_HIGH)
        ax.set_xlabel("x")
        ax.grid(alpha=0.3)
        ax.legend(loc="upper right", fontsize=8)
        # fixed margins, wide enough for every state: no re-layout on each move
        self.fig.set_layout_engine("none")
        ax.set_position([0.08, 0.15, 0.9, 0.77])  # [x0, y0, width, height]
        self._finish()

    def update(self) -> None:
        c = self.controls
        n = c["n_units"].value
        y = TARGETS[c["target"].value](self.x)
        y_hat, weights, kinks = fit_relu_units(self.x, y, n)
        rmse = float(np.sqrt(np.mean((y_hat - y) ** 2)))
        self.target_line.set_data(self.x, y)
        self.fit_line.set_data(self.x, y_hat)
        low, high = min(y.min(), y_hat.min()), max(y.max(), y_hat.max())
        self.kink_marks.set_data(kinks, np.full(n, low - 0.1 * (high - low)))
        # partial sums c + sum_{j <= i} v_j relu(x - k_j): each new unit bends
        # the broken line at its own kink and leaves everything left of it alone
        show = c["show_units"].value
        partial = np.full_like(self.x, weights[0])
        for i, line in enumerate(self.unit_lines):
            visible = show and i < n
            line.set_visible(visible)
            if visible:
                partial = partial + weights[i + 1] * relu(self.x - kinks[i])
                line.set_data(self.x, partial)
        pad = 0.15 * (high - low + 1e-9)
        self.ax.set_ylim(low - pad, high + pad)
        self.ax.set_title(f"{n} hidden ReLU unit(s): RMSE = {rmse:.4f}")
        self.set_readout(
            f"N = {n} hidden ReLU units -> a broken line with {n} kink(s); "
            f"{2 * n + 1} numbers in the network ({n} kinks, {n} output weights, "
            f"1 output bias)\nroot-mean-square error on [-3, 3]: {rmse:.4f}"
        )


def bench_cases() -> list[BenchCase]:
    return [
        BenchCase(
            "03_activations: ActivationPanel",
            ActivationPanel,
            {
                "activation": ["relu", "gelu", "silu", "tanh"],
                "show_derivative": [False, True],
                "x_range": [2.0, 8.0],
                "depth": [3, 25, 12],
            },
        ),
        BenchCase(
            "03_activations: UniversalApproximationPanel",
            UniversalApproximationPanel,
            {
                "n_units": [1, 12, 40],
                "target": ["exp(-x^2)", "sin(x) + 0.5 sin(3x)", "|x| - 1"],
                "show_units": [True, False],
            },
        ),
    ]
