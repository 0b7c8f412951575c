"""The panel of 01_neuron: one neuron y = f(w1·x1 + w2·x2 + b) over the plane.

Sliders w1, w2, b and an activation dropdown; the input plane is coloured by the
neuron's output, the dashed decision line w·x + b = 0 and the weight vector
(an arrow, perpendicular to the line) move live. The computation is the plain
function ``neuron_plane``; the panel only calls it and moves its artists.
Introduced in 01_neuron.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from helpers.plotting.neuron import decision_line, plane_grid
from helpers.scratch.tiny_net import neuron
from helpers.validate import check_choice, check_number
from helpers.widgets import BenchCase, Panel

__all__ = ["NEURON_ACTIVATIONS", "NeuronPanel", "bench_cases", "neuron_plane"]

#: Activations offered by the panel ("step" is the biological all-or-nothing).
NEURON_ACTIVATIONS = ("step", "identity", "sigmoid", "tanh", "relu")
_EXTENT = 3.0
_N = 81


def neuron_plane(
    w1: float,
    w2: float,
    b: float,
    activation: str,
    *,
    extent: float = _EXTENT,
    n: int = _N,
) -> tuple[np.ndarray, tuple[float, float]]:
    """The neuron's output on an n×n grid of [−extent, extent]² (rows follow x2)
    and the colour limits that suit the activation's range."""
    check_choice(activation, "activation", NEURON_ACTIVATIONS)
    w1, w2, b = (check_number(v, k) for v, k in ((w1, "w1"), (w2, "w2"), (b, "b")))
    grid, axis = plane_grid(extent, n)
    values = neuron(grid, [w1, w2], b, activation).reshape(axis.size, axis.size)
    if activation in ("step", "sigmoid"):
        limits = (0.0, 1.0)
    elif activation == "tanh":
        limits = (-1.0, 1.0)
    else:  # unbounded: symmetric around 0 so that white means 0
        top = max(float(np.max(np.abs(values))), 1e-6)
        limits = (-top, top)
    return values, limits


class NeuronPanel(Panel):
    """Sliders w1, w2, b and an activation; the plane coloured by y, the line
    w·x + b = 0 and the weight vector. Introduced in 01_neuron."""

    def __init__(
        self,
        w1: float = 1.0,
        w2: float = 0.5,
        b: float = 0.5,
        activation: str = "sigmoid",
    ):
        super().__init__(figsize=(4.6, 3.8), dpi=72)
        check_choice(activation, "activation", NEURON_ACTIVATIONS)

        def slider(name, value):
            return widgets.FloatSlider(
                value=check_number(value, name, low=-3, high=3),
                min=-3.0,
                max=3.0,
                step=0.1,
                description=name,
                continuous_update=True,
            )

        self.controls["w1"] = slider("w1", w1)
        self.controls["w2"] = slider("w2", w2)
        self.controls["b"] = slider("b", b)
        self.controls["activation"] = widgets.Dropdown(
            options=NEURON_ACTIVATIONS, value=activation, description="f"
        )
        ax = self.ax
        values, limits = neuron_plane(w1, w2, b, activation)
        e = _EXTENT
        self._image = ax.imshow(
            values,
            origin="lower",
            extent=(-e, e, -e, e),
            cmap="RdBu_r",
            vmin=limits[0],
            vmax=limits[1],
        )
        self.fig.colorbar(self._image, ax=ax, shrink=0.85, label="y")
        (self._line,) = ax.plot([], [], "k--", lw=1.5, label="w·x + b = 0")
        (self._arrow,) = ax.plot([], [], "k-", lw=2)
        (self._tip,) = ax.plot([], [], "k>", ms=10, label="w")
        ax.set_xlim(-e, e)
        ax.set_ylim(-e, e)
        ax.set_xticks([-2, 0, 2])  # fixed, few ticks: each label costs a redraw
        ax.set_yticks([-2, 0, 2])
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        ax.legend(loc="lower left", fontsize=8)
        self._title = ax.set_title("", fontsize=10, y=1.0)  # fixed: faster redraw
        # the plane is drawn under the spines and the legend: they move with it
        self.moving = [self._image, self._line, self._arrow, self._tip, self._title,
                       ax.get_legend()]  # fmt: skip
        self._finish()
        # keep the layout computed for the first frame: redraws skip the solver
        self.fig.set_layout_engine("none")

    def update(self) -> None:
        w1 = self.controls["w1"].value
        w2 = self.controls["w2"].value
        b = self.controls["b"].value
        activation = self.controls["activation"].value
        values, limits = neuron_plane(w1, w2, b, activation)
        self._image.set_data(values)
        self._image.set_clim(*limits)
        xs, ys = decision_line(w1, w2, b, _EXTENT)
        self._line.set_data(xs, ys)
        self._arrow.set_data([0.0, w1], [0.0, w2])
        self._tip.set_data([w1], [w2])
        self._tip.set_marker((3, 0, np.degrees(np.arctan2(w2, w1)) - 90))
        self._title.set_text(f"y = {activation}({w1:.1f}·x1 + {w2:.1f}·x2 + {b:.1f})")
        norm = float(np.hypot(w1, w2))
        if norm < 1e-12:
            line = "w = 0: no line, the output is the same everywhere"
        else:
            line = f"line at distance |b|/|w| = {abs(b) / norm:.2f} from the origin"
        on = float(np.mean(values > (0.5 if activation in ("step", "sigmoid") else 0)))
        self.set_readout(
            f"{line}\nshare of the square on the side w points to: {on:.0%}"
        )


def bench_cases() -> list[BenchCase]:
    return [
        BenchCase(
            "01_neuron: NeuronPanel",
            NeuronPanel,
            {
                "w1": [-2.0, 0.3, 2.5],
                "w2": [1.5, -1.0],
                "b": [-1.0, 2.0],
                "activation": ["relu", "step", "tanh", "identity", "sigmoid"],
            },
        )
    ]
