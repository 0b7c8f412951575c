"""Static figures of 08_normalization: per-layer statistics through depth,
which axis each normalisation averages over, and an overfitting picture.

Each function takes numbers the notebook computed and returns a ``Figure``.
Introduced in 08_normalization.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from helpers.plotting import COLORS, new_figure
from helpers.validate import as_array, check_int

__all__ = ["plot_fits", "plot_layer_stats", "plot_norm_axes"]


def plot_layer_stats(
    curves: Mapping[str, np.ndarray],
    *,
    ylabel: str = "std of activations",
    title: str = "",
    figsize: tuple[float, float] = (6.0, 3.2),
) -> Figure:
    """One line per label: a per-layer quantity (log scale) against the layer.

    Infinite values (an overflow) are left out of the line.
    """
    if not isinstance(curves, Mapping) or not curves:
        raise TypeError("curves must be a non-empty dict of label -> values")
    fig, ax = new_figure(figsize)
    for i, (label, values) in enumerate(curves.items()):
        y = as_array(values, f"curves[{label!r}]", ndim=1, allow_nonfinite=True)
        y = np.where(np.isfinite(y) & (y > 0), y, np.nan)
        layers = np.arange(1, y.size + 1)
        ax.plot(layers, y, "o-", ms=2.5, lw=1.5, color=COLORS[i % len(COLORS)],
                label=label)  # fmt: skip
    ax.set_yscale("log")
    ax.set_xlabel("layer")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)
    return fig


def plot_norm_axes(batch: int = 2, seq_len: int = 3, hidden: int = 4) -> Figure:
    """A [B, T, H] tensor drawn as B·T rows (tokens) × H columns (features), three
    times: the cells BatchNorm, LayerNorm and RMSNorm average over together for
    one statistic are highlighted."""
    batch = check_int(batch, "batch", low=1, high=8)
    seq_len = check_int(seq_len, "seq_len", low=1, high=8)
    hidden = check_int(hidden, "hidden", low=1, high=12)
    rows = batch * seq_len
    fig, axes = new_figure((9.0, 3.2), ncols=3)
    titles = (
        "BatchNorm: one feature,\nover all B*T tokens",
        "LayerNorm: one token,\nover its H features (mean, var)",
        "RMSNorm: one token,\nover its H features (RMS only)",
    )
    for k, (ax, title) in enumerate(zip(axes, titles, strict=True)):
        for r in range(rows):
            for h in range(hidden):
                chosen = (h == 1) if k == 0 else (r == 2)
                face = COLORS[k] if chosen else "white"
                ax.add_patch(
                    Rectangle(
                        (h, rows - 1 - r),
                        1,
                        1,
                        facecolor=face,
                        edgecolor="0.4",
                        alpha=0.75 if chosen else 1,
                    )
                )
        for b in range(1, batch):  # separate the sequences of the batch
            ax.axhline(rows - b * seq_len, color="black", lw=2)
        ax.set_xlim(0, hidden)
        ax.set_ylim(0, rows)
        ax.set_xticks(np.arange(hidden) + 0.5, [f"h{h}" for h in range(hidden)])
        labels = [f"b{r // seq_len} t{r % seq_len}" for r in range(rows)]
        ax.set_yticks(np.arange(rows) + 0.5, labels[::-1])
        ax.set_aspect("equal")
        ax.set_title(title, fontsize=9)
        ax.tick_params(length=0, labelsize=8)
    return fig


def plot_fits(
    x_train, y_train, x_grid, fits: Mapping[str, np.ndarray], *, truth=None
) -> Figure:
    """Training points and fitted curves (e.g. with and without weight decay)."""
    x_train = as_array(x_train, "x_train", ndim=1)
    y_train = as_array(y_train, "y_train", ndim=1)
    x_grid = as_array(x_grid, "x_grid", ndim=1)
    if x_train.shape != y_train.shape:
        raise ValueError("x_train and y_train must have the same shape")
    if not isinstance(fits, Mapping) or not fits:
        raise TypeError("fits must be a non-empty dict of label -> values")
    fig, ax = new_figure((6.0, 3.4))
    if truth is not None:
        truth = as_array(truth, "truth", ndim=1)
        ax.plot(x_grid, truth, color="0.5", ls="--", lw=1.5, label="true function")
    for i, (label, values) in enumerate(fits.items()):
        y = as_array(values, f"fits[{label!r}]", ndim=1)
        if y.shape != x_grid.shape:
            raise ValueError(f"fits[{label!r}] must have the shape of x_grid")
        ax.plot(x_grid, y, color=COLORS[i % len(COLORS)], lw=2, label=label)
    ax.plot(x_train, y_train, "ko", ms=5, label="training points")
    low, high = y_train.min(), y_train.max()
    pad = 0.6 * (high - low)
    ax.set_ylim(low - pad, high + pad)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig
