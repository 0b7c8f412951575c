"""Panels of 10_positional_encoding: the sinusoidal table under sliders, and a
RoPE panel in which shifting both positions leaves the score unchanged."""

from __future__ import annotations

import math
from functools import lru_cache

import ipywidgets as widgets
import numpy as np
import torch

from helpers.plotting import COLORS
from helpers.positions import apply_rope, rope_cache, rope_score, sinusoidal_encoding
from helpers.widgets import BenchCase, Panel

__all__ = [
    "RopeShiftPanel",
    "SinusoidalPanel",
    "bench_cases",
]


@lru_cache(maxsize=32)
def _table(n_positions: int, d_model: int) -> np.ndarray:
    return sinusoidal_encoding(n_positions, d_model).numpy()


class SinusoidalPanel(Panel):
    """d_model, number of positions and a highlighted position → the sinusoidal
    table as a heatmap, and the highlighted row as a curve.

    Introduced in 10_positional_encoding.
    """

    def __init__(self, d_model: int = 128, n_positions: int = 50, position: int = 10):
        super().__init__(figsize=(7.0, 4.2), nrows=2,
                         gridspec_kw={"height_ratios": [2.2, 1]})  # fmt: skip
        self.controls["d_model"] = widgets.IntSlider(
            value=d_model, min=8, max=256, step=8, description="d_model"
        )
        self.controls["n_positions"] = widgets.IntSlider(
            value=n_positions, min=10, max=200, step=10, description="positions"
        )
        self.controls["position"] = widgets.IntSlider(
            value=position, min=0, max=199, step=1, description="position"
        )
        heat_ax, row_ax = self.ax
        self.heatmap = heat_ax.imshow(
            np.zeros((2, 2)), cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto",
            interpolation="nearest",
        )  # fmt: skip
        heat_ax.set_ylabel("position")
        self.marker = heat_ax.axhline(0, color="black", lw=1.2)
        (self.row_line,) = row_ax.plot([], [], "-", lw=1, color=COLORS[0])
        row_ax.set_ylim(-1.1, 1.1)
        row_ax.set_xlabel("dimension")
        row_ax.set_ylabel("PE[position]")
        row_ax.grid(alpha=0.3)
        self.moving = [self.heatmap, self.marker, self.row_line, heat_ax.title,
                       row_ax.title]  # fmt: skip
        self._finish()
        # keep the layout computed for the first frame: later frames skip the
        # constrained-layout pass, which roughly halves the PNG redraw time
        self.fig.set_layout_engine("none")

    def update(self) -> None:
        d_model = self.controls["d_model"].value
        n_positions = self.controls["n_positions"].value
        position = min(self.controls["position"].value, n_positions - 1)
        table = _table(n_positions, d_model)
        self.heatmap.set_data(table)
        self.heatmap.set_extent((-0.5, d_model - 0.5, n_positions - 0.5, -0.5))
        self.marker.set_ydata([position, position])
        self.ax[0].set_title(
            f"PE table: {n_positions} positions x d_model = {d_model}", fontsize=10
        )
        self.row_line.set_data(np.arange(d_model), table[position])
        self.ax[1].set_xlim(-0.5, d_model - 0.5)
        self.ax[1].set_title(f"row PE[{position}]", fontsize=9)
        slowest = 2 * math.pi * 10000 ** ((d_model - 2) / d_model)
        self.set_readout(
            f"row {position}: sin/cos of {position} x omega_i for {d_model // 2} "
            f"frequencies\nwavelengths from 2*pi = 6.28 to {slowest:,.0f} positions"
            " (fixed by the formula, nothing learned)"
        )


class RopeShiftPanel(Panel):
    """Query position m, key position n and a shift added to both → the rotated
    first pair of q and k, and the score, which depends only on m - n.

    Introduced in 10_positional_encoding.
    """

    head_dim = 8

    def __init__(self, m: int = 5, n: int = 2, shift: int = 0):
        super().__init__(figsize=(7.0, 3.2), ncols=2)
        for name, value in (("m", m), ("n", n), ("shift", shift)):
            self.controls[name] = widgets.IntSlider(
                value=value, min=0, max=40, step=1, description=name
            )
        generator = torch.Generator().manual_seed(3)
        self.q = torch.randn(self.head_dim, dtype=torch.float64, generator=generator)
        self.k = torch.randn(self.head_dim, dtype=torch.float64, generator=generator)
        self.cos, self.sin = rope_cache(self.head_dim, 128, dtype=torch.float64)
        circle_ax, curve_ax = self.ax
        limit = 1.15 * float(max(self.q[:2].norm(), self.k[:2].norm()))
        circle_ax.set_xlim(-limit, limit)
        circle_ax.set_ylim(-limit, limit)
        circle_ax.set_aspect("equal")
        circle_ax.grid(alpha=0.3)
        circle_ax.set_xlabel("dimension 0")
        circle_ax.set_ylabel("dimension 1")
        (self.q_arrow,) = circle_ax.plot(
            [], [], "-o", color=COLORS[0], label="q (pair 0)"
        )
        (self.k_arrow,) = circle_ax.plot(
            [], [], "-o", color=COLORS[1], label="k (pair 0)"
        )
        circle_ax.legend(fontsize=7, loc="lower left")
        offsets = np.arange(-40, 41)
        self.offsets = offsets
        self.curve_scores = np.array(
            [rope_score(self.q, self.k, max(o, 0), max(-o, 0)) for o in offsets]
        )
        curve_ax.plot(offsets, self.curve_scores, color="gray", lw=1)
        (self.here,) = curve_ax.plot([], [], "*", ms=12, color=COLORS[1])
        curve_ax.set_xlabel("offset m - n")
        curve_ax.set_ylabel("score q_m . k_n")
        curve_ax.grid(alpha=0.3)
        self.moving = [self.q_arrow, self.k_arrow, self.here, circle_ax.title,
                       curve_ax.title, circle_ax.get_legend()]  # fmt: skip
        self._finish()
        # keep the layout computed for the first frame: later frames skip the
        # constrained-layout pass, which roughly halves the PNG redraw time
        self.fig.set_layout_engine("none")

    def _rotated(self, x: torch.Tensor, position: int) -> torch.Tensor:
        cos, sin = self.cos[position : position + 1], self.sin[position : position + 1]
        return apply_rope(x[None, :], cos, sin)[0]

    def update(self) -> None:
        shift = self.controls["shift"].value
        m = self.controls["m"].value + shift
        n = self.controls["n"].value + shift
        q_rot, k_rot = self._rotated(self.q, m), self._rotated(self.k, n)
        self.q_arrow.set_data([0, q_rot[0]], [0, q_rot[1]])
        self.k_arrow.set_data([0, k_rot[0]], [0, k_rot[1]])
        score = float(q_rot @ k_rot)
        unshifted = rope_score(self.q, self.k, m - shift, n - shift)
        self.here.set_data([m - n], [score])
        self.ax[0].set_title(
            f"pair 0 of {self.head_dim // 2}: q at {m}, k at {n}", fontsize=10
        )
        self.ax[1].set_title(f"score = {score:.4f}", fontsize=10)
        self.set_readout(
            f"positions m = {m}, n = {n} (shift {shift}), offset m - n = {m - n}\n"
            f"score with the shift: {score:.6f}; without it: {unshifted:.6f}\n"
            f"|q| = {float(self.q.norm()):.4f}, |rotated q| = {float(q_rot.norm()):.4f}"
        )


def bench_cases() -> list[BenchCase]:
    return [
        BenchCase(
            "10_positional_encoding: SinusoidalPanel",
            SinusoidalPanel,
            {
                "d_model": [16, 64, 256],
                "n_positions": [20, 100, 200],
                "position": [0, 7, 15],
            },
        ),  # fmt: skip
        BenchCase(
            "10_positional_encoding: RopeShiftPanel",
            RopeShiftPanel,
            {"shift": [3, 10, 40], "m": [0, 12, 30], "n": [1, 20, 40]},
        ),
    ]
