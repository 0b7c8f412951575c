"""The panel of 02_leaf_flower: the 4-3-2 network live, and training it.

A colour picker and a volume slider give the four inputs (R, G, B, volume); the
panel shows the three hidden activations, the two probabilities and the
predicted class. A learning-rate slider, a steps slider and a "train N steps"
button run gradient descent on ``data/leaf_flower.csv`` and extend the loss
curve; "reset" starts again from the same random weights. The computations are
``helpers.scratch.tiny_net``; the panel only calls them. Introduced in
02_leaf_flower.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib.patches import Rectangle

from helpers.data.leaf_flower import CLASS_NAMES, hex_to_rgb, load_csv
from helpers.plotting import COLORS, nice_ceiling
from helpers.plotting.leaf_flower import CLASS_COLORS
from helpers.scratch.tiny_net import (
    accuracy,
    forward,
    init_params,
    scale_inputs,
    train,
)
from helpers.scratch.tiny_net import loss as average_loss
from helpers.validate import check_int, check_number
from helpers.widgets import BenchCase, Panel

__all__ = ["LeafFlowerPanel", "bench_cases", "predict_object"]


def predict_object(net, color: str, volume: float):
    """Forward pass for one object given as a colour string and a volume:
    returns (hidden activations (3,), probabilities (2,), predicted class name)."""
    rgb = hex_to_rgb(color)
    volume = check_number(volume, "volume", low=0.0)
    fp = forward(net, scale_inputs([*rgb, volume]))
    probs = fp.probs[0]
    return fp.hidden[0], probs, CLASS_NAMES[int(np.argmax(probs))]


class LeafFlowerPanel(Panel):
    """Colour + volume → hidden activations, probabilities, prediction; and a
    "train N steps" button with a live loss curve. Introduced in 02_leaf_flower."""

    def __init__(self, seed: int = 0, color: str = "#206b38", volume: float = 11.2):
        super().__init__(figsize=(9.0, 2.9), dpi=72, ncols=3)
        self.seed = check_int(seed, "seed", low=0)
        data = load_csv()
        self.X = scale_inputs(data.X)
        self.y = data.y
        self.net = init_params(seed=self.seed)
        self.history = [average_loss(self.net, self.X, self.y)]
        hex_to_rgb(color)  # validates
        self.controls["color"] = widgets.ColorPicker(value=color, description="colour")
        self.controls["volume"] = widgets.FloatSlider(
            value=check_number(volume, "volume", low=1.0, high=90.0),
            min=1.0,
            max=90.0,
            step=0.1,
            description="volume (ml)",
        )
        self.controls["lr"] = widgets.FloatLogSlider(
            value=1.0, base=10, min=-2, max=1.5, step=0.1, description="learning rate"
        )
        self.controls["steps"] = widgets.IntSlider(
            value=20, min=1, max=200, description="N steps"
        )
        self.controls["train"] = widgets.Button(description="train N steps")
        self.controls["reset"] = widgets.Button(description="reset weights")
        self.controls["train"].on_click(lambda _: self.train_steps())
        self.controls["reset"].on_click(lambda _: self.reset())

        ax_hidden, ax_probs, ax_loss = self.ax
        self._hidden_bars = ax_hidden.bar(
            ["h1", "h2", "h3"], [0, 0, 0], color=COLORS[5]
        )
        ax_hidden.axhline(0, color="0.5", lw=0.8)
        ax_hidden.set_title("hidden: ReLU(W1 x + b1)", fontsize=10, y=1.0)
        # the chosen colour as a square in the corner (a patch: no extra axes)
        self._swatch = Rectangle(
            (0.78, 0.78), 0.2, 0.2, transform=ax_hidden.transAxes, ec="k"
        )
        ax_hidden.add_patch(self._swatch)
        self._prob_bars = ax_probs.bar(list(CLASS_NAMES), [0, 0], color=CLASS_COLORS)
        self._prob_text = [
            ax_probs.text(i, 0, "", ha="center", fontsize=9) for i in range(2)
        ]
        ax_probs.set_ylim(0, 1.15)
        ax_probs.set_yticks([0.0, 0.5, 1.0])  # fixed, few ticks: faster redraw
        self._probs_title = ax_probs.set_title("", fontsize=10, y=1.0)
        (self._loss_line,) = ax_loss.plot([], [], color=COLORS[0])
        (self._loss_dot,) = ax_loss.plot([], [], "o", color=COLORS[0], ms=4)
        ax_loss.set_xlabel("training step")
        ax_loss.set_ylabel("average L1 loss")
        ax_loss.grid(alpha=0.3)
        self._loss_title = ax_loss.set_title("", fontsize=10, y=1.0)
        self.moving = [*self._hidden_bars, self._swatch, *self._prob_bars,
                       *self._prob_text, self._probs_title, self._loss_line,
                       self._loss_dot, self._loss_title]  # fmt: skip
        self._finish()
        # keep the layout computed for the first frame: redraws skip the solver
        self.fig.set_layout_engine("none")

    def site_grid(self) -> dict[str, list]:
        """A leaf green, a grey-green, a flower yellow and a pink, small to large
        (training needs a kernel: the static page shows the untrained network)."""
        start = self.controls["color"].value
        colours = list(dict.fromkeys([start, "#7f9f80", "#f1c804", "#e986b5"]))
        volumes = sorted({self.controls["volume"].value, 2.0, 5.0, 30.0, 60.0, 90.0})
        return {"color": colours, "volume": volumes}

    # --- buttons -----------------------------------------------------------
    def train_steps(self) -> None:
        """Run N full-batch gradient-descent steps with the chosen learning rate."""
        self.net, losses = train(
            self.net,
            self.X,
            self.y,
            lr=float(self.controls["lr"].value),
            steps=int(self.controls["steps"].value),
        )
        self.history.extend(losses[1:])
        self.history.append(average_loss(self.net, self.X, self.y))
        self.refresh()

    def reset(self) -> None:
        """Back to the random weights of step 1."""
        self.net = init_params(seed=self.seed)
        self.history = [average_loss(self.net, self.X, self.y)]
        self.refresh()

    # --- drawing -----------------------------------------------------------
    def update(self) -> None:
        color = self.controls["color"].value
        hidden, probs, label = predict_object(
            self.net, color, self.controls["volume"].value
        )
        ax_hidden, ax_probs, ax_loss = self.ax
        for bar, value in zip(self._hidden_bars, hidden, strict=True):
            bar.set_height(value)
        # below the swatch; a 1-2-5 limit stays put while the inputs move a little
        ax_hidden.set_ylim(0, nice_ceiling(max(1.0, float(hidden.max()) * 1.35)))
        self._swatch.set_facecolor(np.array(hex_to_rgb(color)) / 255.0)
        for i, (bar, p) in enumerate(zip(self._prob_bars, probs, strict=True)):
            bar.set_height(p)
            self._prob_text[i].set_position((i, p + 0.03))
            self._prob_text[i].set_text(f"{p:.3f}")
        self._probs_title.set_text(f"softmax -> prediction: {label}")
        steps = np.arange(len(self.history))
        self._loss_line.set_data(steps, self.history)
        self._loss_dot.set_data([steps[-1]], [self.history[-1]])  # the current loss
        ax_loss.set_xlim(0, max(10, len(self.history) - 1))
        ax_loss.set_ylim(0, max(1.1, max(self.history) * 1.05))
        train_accuracy = accuracy(self.net, self.X, self.y)
        self._loss_title.set_text(
            f"loss {self.history[-1]:.3f}, accuracy {train_accuracy:.1%}"
        )
        lr = self.controls["lr"].value
        n = self.controls["steps"].value
        self.set_readout(
            f"hidden = ({', '.join(f'{h:.3f}' for h in hidden)})   "
            f"P(leaf) = {probs[0]:.3f}, P(flower) = {probs[1]:.3f} -> {label}\n"
            f"trained {len(self.history) - 1} steps on {len(self.y)} objects; "
            f"next click: {n} steps with learning rate {lr:.3g}"
        )


def bench_cases() -> list[BenchCase]:
    return [
        BenchCase(
            "02_leaf_flower: LeafFlowerPanel",
            LeafFlowerPanel,
            {
                "color": ["#f1c804", "#b5d8d2", "#206b38"],
                "volume": [59.5, 5.0],
                "lr": [0.3, 3.0],
                "steps": [50, 5],
                "train": [None],
                "reset": [None],
            },
        )
    ]
