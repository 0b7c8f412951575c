"""Panels of 03_activations: an activation explorer with a depth slider, and a
universal-approximation panel (fit a curve with N hidden ReLU units).

The computations live in ``helpers.scratch.depth``; the panels only call them and
move their artists. Introduced in 03_activations.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from helpers.plotting import COLORS
from helpers.scratch.activations import ACTIVATIONS, get_activation, relu
from helpers.scratch.depth import (
    TARGETS,
    X_HIGH,
    X_LOW,
    fit_relu_units,
    gradient_through_depth,
    matched_init,
    max_abs_derivative,
)
from helpers.validate import check_choice
from helpers.widgets import BenchCase, Panel

__all__ = ["ActivationPanel", "UniversalApproximationPanel", "bench_cases"]

#: Activations offered by the panels (every registered one but the identity).
PANEL_ACTIVATIONS = tuple(name for name in ACTIVATIONS if name != "identity")


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
        self.moving = [self.f_line, self.df_line, self.norm_line, self.bound_line,
                       left.title, right.title]  # fmt: skip
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
        # limits in steps (5 layers, whole powers of ten): most moves keep the axes
        right.set_xlim(-0.5, 5 * -(-depth // 5) + 0.5)
        right.set_ylim(np.floor(low - 0.5), np.ceil(high + 0.5))
        right.set_title(f"{depth} layers: |g_k| (dots), max|f'|^n (dotted)", fontsize=9)
        self.set_readout(
            f"{name}: f'(0) = {float(df(0.0)):.4g}, max|f'| = {best:.4g}, "
            f"max|f'|^{depth} = {best**depth:.3g}\n"
            f"gradient norm reaching the input after {depth} layers: {norms[0]:.3g} "
            f"(width 32, {matched_init(name)} init, fixed seed)"
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
        self.moving = [*self.unit_lines, self.target_line, self.fit_line,
                       self.kink_marks, ax.title, ax.get_legend()]  # fmt: skip
        self._finish()

    def update(self) -> None:
        c = self.controls
        n = c["n_units"].value
        y = TARGETS[c["target"].value](self.x)
        y_hat, weights, kinks = fit_relu_units(self.x, y, n)
        rmse = float(np.sqrt(np.mean((y_hat - y) ** 2)))
        self.target_line.set_data(self.x, y)
        self.fit_line.set_data(self.x, y_hat)
        # limits from the target only: moving N keeps the axes (and a fast redraw)
        low, high = float(y.min()), float(y.max())
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
        pad = 0.25 * (high - low + 1e-9)
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
