"""Panels of 05_backprop: forward values and gradients on a small network, and
gradient norms through depth for sigmoid vs ReLU. The numbers come from
``helpers.scratch.backprop_net`` and ``helpers.scratch.depth``; this module only
arranges controls and artists. Introduced in 05_backprop.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from helpers.plotting import COLORS
from helpers.plotting.backprop import NetworkDiagram
from helpers.scratch.backprop_net import HIDDEN_ACTIVATIONS, LAYER_SIZES, network_state
from helpers.scratch.depth import vanishing_norms
from helpers.widgets import BenchCase, Panel

__all__ = ["BackpropGraphPanel", "VanishingGradientPanel", "bench_cases"]


class BackpropGraphPanel(Panel):
    """Input sliders on a 2-3-1 network; every node shows its value a and gradient
    g, every edge its weight w and ∂L/∂w (colour = sign, width = size).
    Introduced in 05_backprop."""

    def __init__(self):
        super().__init__(figsize=(7.0, 3.8))
        slider = {"min": -2.0, "max": 2.0, "step": 0.1, "continuous_update": True}
        self.controls["x1"] = widgets.FloatSlider(value=1.0, description="x1", **slider)
        self.controls["x2"] = widgets.FloatSlider(
            value=-0.5, description="x2", **slider
        )
        self.controls["target"] = widgets.FloatSlider(
            value=1.0, min=0.0, max=1.0, step=0.05, description="target"
        )
        self.controls["activation"] = widgets.Dropdown(
            options=HIDDEN_ACTIVATIONS, value="sigmoid", description="hidden"
        )
        self.diagram = NetworkDiagram(self.ax, LAYER_SIZES)
        self.ax.set_title(
            "a = value (forward),  g = dL/dz (backward; dL/dx at the inputs)",
            fontsize=9,
        )
        self.moving = [*self.ax.lines, *self.ax.texts]  # every edge and label
        self._finish()
        self.fig.set_layout_engine("none")  # freeze the first layout: faster redraws

    def update(self):
        c = self.controls
        state = network_state(
            c["x1"].value, c["x2"].value, c["target"].value, c["activation"].value
        )
        self.diagram.update(
            state["values"],
            state["node_grads"],
            state["weights"],
            state["weight_grads"],
        )
        self.set_readout(
            f"y = {state['output']:.4f}   target = {c['target'].value:.2f}   "
            f"L = ½(y − target)² = {state['loss']:.5f}\n"
            "edge label = ∂L/∂w; orange: ∂L/∂w > 0 (a larger w raises the loss), "
            "blue: ∂L/∂w < 0\n"
            + "\n".join(
                f"W{i + 1} = {np.array2string(w, precision=2, suppress_small=True)}".replace(
                    "\n", ""
                )
                for i, w in enumerate(state["weights"])
            )
        )


class VanishingGradientPanel(Panel):
    """Depth slider → per-layer gradient norms of a sigmoid and a ReLU network.
    Introduced in 05_backprop."""

    def __init__(self):
        super().__init__(figsize=(6.0, 3.2))
        self.controls["depth"] = widgets.IntSlider(
            value=8, min=2, max=30, description="depth", continuous_update=False
        )
        self.lines = {}
        for i, label in enumerate(vanishing_norms(2)):
            (self.lines[label],) = self.ax.semilogy(
                [1, 2], [1, 1], "o-", ms=3, color=COLORS[i], label=label
            )
        self.ax.set_xlabel("layer (1 = closest to the input)")
        self.ax.set_ylabel(r"$\|\partial L / \partial W_l\|$")
        self.ax.legend(loc="lower right", fontsize=8)
        self.ax.grid(alpha=0.3)
        self.moving = [*self.lines.values(), self.ax.get_legend()]
        self._finish()
        self.fig.set_layout_engine("none")  # freeze the first layout: faster redraws

    def update(self):
        depth = self.controls["depth"].value
        norms = vanishing_norms(depth)
        layers = np.arange(1, depth + 1)
        for label, values in norms.items():
            self.lines[label].set_data(layers, values)
        everything = np.concatenate(list(norms.values()))
        # limits in steps (5 layers, whole decades): most moves keep the axes
        self.ax.set_xlim(0.5, 5 * -(-depth // 5) + 0.5)
        low = 10.0 ** np.floor(np.log10(everything.min() / 2))
        self.ax.set_ylim(low, 10.0 ** np.ceil(np.log10(everything.max() * 2)))
        parts = [
            f"{label}: first/last = {v[0] / v[-1]:.2e}" for label, v in norms.items()
        ]
        self.set_readout("\n".join(parts))


def bench_cases() -> list[BenchCase]:
    return [
        BenchCase(
            "05_backprop: BackpropGraphPanel",
            BackpropGraphPanel,
            {
                "x1": [-1.5, 0.3, 2.0],
                "x2": [1.0, -2.0],
                "target": [0.0, 0.5],
                "activation": ["tanh", "relu", "sigmoid"],
            },
        ),
        BenchCase(
            "05_backprop: VanishingGradientPanel",
            VanishingGradientPanel,
            {"depth": [2, 15, 30]},
        ),
    ]
