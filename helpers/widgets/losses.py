"""Panel of 06_loss_functions: logit sliders → softmax probabilities, the
cross-entropy loss and its gradient p − y. Introduced in 06_loss_functions.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from helpers.plotting import COLORS
from helpers.scratch.losses import logits_state
from helpers.widgets import BenchCase, Panel

__all__ = [
    "LogitsPanel",
    "bench_cases",
]

N_CLASSES = 4


class LogitsPanel(Panel):
    """Four logit sliders and the correct class → probability bars (left) and the
    gradient of the loss with respect to each logit (right).
    Introduced in 06_loss_functions."""

    def __init__(self):
        super().__init__(figsize=(7.0, 3.0), ncols=2)
        start = (2.0, 1.0, 0.1, -1.0)
        for i in range(N_CLASSES):
            self.controls[f"z{i}"] = widgets.FloatSlider(
                value=start[i], min=-6.0, max=6.0, step=0.1, description=f"logit z{i}"
            )
        self.controls["target"] = widgets.Dropdown(
            options=[(f"class {i}", i) for i in range(N_CLASSES)],
            value=0,
            description="correct",
        )
        left, right = self.ax
        classes = np.arange(N_CLASSES)
        self.prob_bars = left.bar(classes, np.zeros(N_CLASSES), color=COLORS[5])
        left.set_ylim(0, 1.12)
        left.set_title("probabilities p = softmax(z)", fontsize=9)
        self.grad_bars = right.bar(classes, np.zeros(N_CLASSES), color=COLORS[5])
        right.set_ylim(-1, 1)
        zero_line = right.axhline(0, color="0.5", lw=0.6)  # drawn over the bars
        right.set_title(r"gradient $\partial L/\partial z = p - y$", fontsize=9)
        for ax in self.ax:
            ax.set_xticks(classes, [f"class {i}" for i in classes])
            ax.grid(axis="y", alpha=0.3)
        self.prob_text = [
            left.text(i, 0, "", ha="center", va="bottom", fontsize=8) for i in classes
        ]
        self.moving = [*self.prob_bars, *self.grad_bars, *self.prob_text, zero_line]
        self._finish()
        self.fig.set_layout_engine("none")  # freeze the first layout: faster redraws

    def update(self):
        logits = [self.controls[f"z{i}"].value for i in range(N_CLASSES)]
        target = self.controls["target"].value
        state = logits_state(logits, target)
        for i in range(N_CLASSES):
            colour = COLORS[2] if i == target else COLORS[5]
            p, g = state["probabilities"][i], state["gradient"][i]
            self.prob_bars[i].set_height(p)
            self.prob_bars[i].set_color(colour)
            self.prob_text[i].set_position((i, p + 0.02))
            self.prob_text[i].set_text(f"{p:.3f}")
            self.grad_bars[i].set_height(g)
            self.grad_bars[i].set_color(colour)
        p_target = state["probabilities"][target]
        self.set_readout(
            f"L = -log p[{target}] = -log {p_target:.4f} = {state['loss']:.4f}\n"
            f"sum of p = {state['probabilities'].sum():.4f};  "
            f"sum of gradient = {round(state['gradient'].sum(), 12) + 0.0:.4f} (always 0)"
        )


def bench_cases() -> list[BenchCase]:
    return [
        BenchCase(
            "06_loss_functions: LogitsPanel",
            LogitsPanel,
            {"z0": [-3.0, 5.0], "z2": [4.0, -6.0], "target": [2, 3, 0]},
        )
    ]
