"""Panels of 07_optimizers: optimizer paths on a two-parameter loss surface, and
the warmup + cosine learning-rate curve.

The loss surfaces are ``helpers.scratch.optim.SURFACES`` and the curves
``helpers.scratch.surfaces`` (tested on their own); the panels only call them and
move artists.
Introduced in 07_optimizers.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from helpers.plotting import COLORS
from helpers.plotting.optimizers import draw_contours
from helpers.scratch.optim import OPTIMIZER_NAMES, SURFACES
from helpers.scratch.surfaces import optimizer_path, schedule_curve
from helpers.validate import check_choice
from helpers.widgets import BenchCase, Panel

__all__ = ["OptimizerPanel", "SchedulePanel", "bench_cases"]


class OptimizerPanel(Panel):
    """Pick a loss surface, an optimizer, its learning rate and the number of
    steps; see the path it takes over the contour lines.

    Introduced in 07_optimizers.
    """

    def __init__(self, surface: str = "ravine", optimizer: str = "sgd"):
        check_choice(surface, "surface", SURFACES)
        check_choice(optimizer, "optimizer name", OPTIMIZER_NAMES)
        super().__init__(figsize=(5.6, 3.8))
        self.fig.set_layout_engine(None)  # a fixed layout keeps redraws fast
        self.fig.subplots_adjust(left=0.12, right=0.97, bottom=0.13, top=0.92)
        c = self.controls
        c["surface"] = widgets.Dropdown(
            options=list(SURFACES), value=surface, description="surface"
        )
        c["optimizer"] = widgets.Dropdown(
            options=OPTIMIZER_NAMES, value=optimizer, description="optimizer"
        )
        c["lr"] = widgets.FloatLogSlider(
            value=0.1, base=10, min=-3, max=0.5, step=0.05, description="lr",
            readout_format=".3g",
        )  # fmt: skip
        c["steps"] = widgets.IntSlider(value=50, min=1, max=300, description="steps")
        ax = self.ax
        (self.path_line,) = ax.plot([], [], ".-", color=COLORS[1], lw=1.3, ms=3)
        (self.start_marker,) = ax.plot([], [], "ks", ms=6, label="start")
        (self.end_marker,) = ax.plot([], [], "o", color=COLORS[1], ms=7, label="end")
        (self.min_marker,) = ax.plot([], [], "k*", ms=12, label="minimum")
        ax.set_xlabel("$w_1$")
        ax.set_ylabel("$w_2$")
        ax.legend(fontsize=7, loc="lower right")
        self.moving = [self.path_line, self.start_marker, self.end_marker,
                       self.min_marker, ax.get_legend(), ax.title]  # fmt: skip
        self._contours = None
        self._surface_drawn = None
        self._finish()

    def _draw_surface(self, name: str) -> None:
        if self._contours is not None:
            self._contours.remove()
        s = SURFACES[name]
        self._contours = draw_contours(self.ax, s.loss, s.xlim, s.ylim, resolution=80)
        self._contours.set_zorder(1)  # under the path (which is redrawn on top)
        self.start_marker.set_data([s.start[0]], [s.start[1]])
        self.min_marker.set_data([s.minimum[0]], [s.minimum[1]])
        self._surface_drawn = name

    def update(self) -> None:
        c = self.controls
        name = c["surface"].value
        if name != self._surface_drawn:
            self._draw_surface(name)
        path = optimizer_path(
            name, c["optimizer"].value, c["lr"].value, c["steps"].value
        )
        self.path_line.set_data(path[:, 0], path[:, 1])
        self.end_marker.set_data([path[-1, 0]], [path[-1, 1]])
        s = SURFACES[name]
        loss = float(s.loss(path[-1, 0], path[-1, 1]))
        self.ax.set_title(
            f"{c['optimizer'].value}, lr = {c['lr'].value:.3g}", fontsize=10
        )
        outside = not (
            s.xlim[0] <= path[-1, 0] <= s.xlim[1]
            and s.ylim[0] <= path[-1, 1] <= s.ylim[1]
        )
        note = "  (left the window: diverging)" if outside else ""
        self.set_readout(
            f"after {len(path) - 1} steps: w = ({path[-1, 0]:.3g}, {path[-1, 1]:.3g}), "
            f"loss = {loss:.3g}{note}"
        )


class SchedulePanel(Panel):
    """Sliders for peak learning rate, warmup, total steps and the floor of the
    cosine decay; see the learning-rate curve. Introduced in 07_optimizers."""

    def __init__(self):
        super().__init__(figsize=(5.6, 2.8))
        self.fig.set_layout_engine(None)  # a fixed layout keeps redraws fast
        self.fig.subplots_adjust(left=0.14, right=0.97, bottom=0.17, top=0.95)
        c = self.controls
        c["peak_lr"] = widgets.FloatLogSlider(
            value=3e-4, base=10, min=-5, max=-1, step=0.1, description="peak lr",
            readout_format=".1e",
        )  # fmt: skip
        c["warmup"] = widgets.IntSlider(value=100, min=0, max=1000, step=10,
                                        description="warmup")  # fmt: skip
        c["total"] = widgets.IntSlider(value=1000, min=100, max=5000, step=100,
                                       description="total steps")  # fmt: skip
        c["min_ratio"] = widgets.FloatSlider(
            value=0.1, min=0.0, max=0.5, step=0.05, description="min ratio"
        )
        ax = self.ax
        (self.line,) = ax.plot([], [], color=COLORS[0], lw=2)
        self.warmup_line = ax.axvline(0, color="0.5", ls=":", lw=1)
        ax.set_xlabel("step")
        ax.set_ylabel("learning rate")
        ax.ticklabel_format(axis="y", style="sci", scilimits=(-2, 2))
        ax.grid(alpha=0.3)
        self.moving = [self.line, self.warmup_line]
        self._finish()

    def update(self) -> None:
        c = self.controls
        total = c["total"].value
        warmup = min(c["warmup"].value, total)
        peak = c["peak_lr"].value
        lrs = schedule_curve(peak, warmup, total, c["min_ratio"].value)
        self.line.set_data(np.arange(total + 1), lrs)
        self.warmup_line.set_xdata([warmup, warmup])
        self.ax.set_xlim(0, total)
        self.ax.set_ylim(0, peak * 1.05)
        half = warmup + (total - warmup) // 2
        self.set_readout(
            f"lr(0) = {lrs[0]:.2e}, lr({warmup}) = {lrs[warmup]:.2e} (peak), "
            f"lr({half}) = {lrs[half]:.2e}, lr({total}) = {lrs[total]:.2e}"
            + ("  [warmup capped at total steps]" if c["warmup"].value > total else "")
        )


def bench_cases() -> list[BenchCase]:
    return [
        BenchCase(
            "07_optimizers: OptimizerPanel",
            OptimizerPanel,
            {
                "optimizer": ["momentum", "adam", "adagrad", "sgd"],
                "lr": [0.01, 0.3, 1.0],
                "steps": [10, 150, 300],
                "surface": ["banana", "ravine"],
            },
        ),
        BenchCase(
            "07_optimizers: SchedulePanel",
            SchedulePanel,
            {
                "peak_lr": [1e-3, 1e-2],
                "warmup": [0, 300],
                "total": [500, 4000],
                "min_ratio": [0.0, 0.3],
            },
        ),
    ]
