"""Static figures of 02_leaf_flower: the objects' colours, the labelled data,
probability bars and the loss curve of training.

Each function returns a ``Figure``; display it with ``helpers.plotting.show``.
Introduced in 02_leaf_flower.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from helpers.data.leaf_flower import CLASS_NAMES
from helpers.plotting import COLORS, new_figure
from helpers.validate import as_array

__all__ = [
    "CLASS_COLORS",
    "plot_dataset",
    "plot_loss_curve",
    "plot_probabilities",
    "plot_swatches",
]

#: Bar / marker colours of the two classes: leaf green, flower orange.
CLASS_COLORS = (COLORS[2], COLORS[4])


def _rows(rows, name: str) -> np.ndarray:
    rows = as_array(rows, name, ndim=2)
    if rows.shape[1] != 4:
        raise ValueError(
            f"{name} must have shape (N, 4): R, G, B, volume; got {rows.shape}"
        )
    if np.any(rows[:, :3] < 0) or np.any(rows[:, :3] > 255):
        raise ValueError(f"{name}: R, G, B must lie in 0..255")
    return rows


def plot_swatches(rows, names: Sequence[str]) -> Figure:
    """One colour square per object, its (R, G, B, volume) written under it."""
    rows = _rows(rows, "rows")
    if len(names) != rows.shape[0]:
        raise ValueError(f"names must have {rows.shape[0]} entries, got {len(names)}")
    fig, ax = new_figure((1.9 * rows.shape[0] + 0.4, 2.2))
    for i, (row, name) in enumerate(zip(rows, names, strict=True)):
        ax.add_patch(
            Rectangle((i * 1.4, 0.45), 1.0, 1.0, color=row[:3] / 255.0, ec="k")
        )
        ax.text(i * 1.4 + 0.5, 1.6, name, ha="center", fontsize=10)
        ax.text(
            i * 1.4 + 0.5,
            0.2,
            f"({row[0]:g}, {row[1]:g}, {row[2]:g})",
            ha="center",
            fontsize=8,
        )
        ax.text(i * 1.4 + 0.5, -0.05, f"vol = {row[3]:g} ml", ha="center", fontsize=8)
    ax.set_xlim(-0.2, rows.shape[0] * 1.4 - 0.2)
    ax.set_ylim(-0.25, 1.85)
    ax.axis("off")
    return fig


def plot_dataset(X, y, highlight=None) -> Figure:
    """Each object as a dot in its own colour: G − R across, volume up; leaves as
    circles, flowers as triangles. ``highlight`` rows are drawn large with a black
    edge (for example the six hand-labelled rows)."""
    X = _rows(X, "X")
    y = np.asarray(y)
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},), got {y.shape}")
    fig, ax = new_figure((5.6, 3.4))
    for label, marker in ((0, "o"), (1, "^")):
        chosen = X[y == label]
        ax.scatter(
            chosen[:, 1] - chosen[:, 0],
            chosen[:, 3],
            c=chosen[:, :3] / 255,
            marker=marker,
            s=22,
            edgecolor="0.5",
            lw=0.3,
            label=CLASS_NAMES[label],
        )
    if highlight is not None:
        H = _rows(highlight, "highlight")
        ax.scatter(
            H[:, 1] - H[:, 0],
            H[:, 3],
            c=H[:, :3] / 255,
            s=110,
            edgecolor="k",
            lw=1.5,
            marker="D",
            label="seed rows",
            zorder=3,
        )
    ax.axvline(0, color="0.5", lw=0.8, ls=":")
    ax.set_xlabel("G - R")
    ax.set_ylabel("volume (ml)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def plot_probabilities(
    probs, names: Sequence[str] = CLASS_NAMES, title: str = ""
) -> Figure:
    """A bar per class with its probability written on it."""
    probs = as_array(probs, "probs", ndim=1)
    if len(names) != probs.shape[0]:
        raise ValueError(f"names must have {probs.shape[0]} entries")
    fig, ax = new_figure((3.2, 2.6))
    colors = [CLASS_COLORS[i % 2] for i in range(probs.shape[0])]
    ax.bar(list(names), probs, color=colors)
    for i, p in enumerate(probs):
        ax.text(i, p + 0.02, f"{p:.3f}", ha="center", fontsize=9)
    ax.set_ylim(0, 1.1)
    ax.set_ylabel("probability")
    ax.set_title(title, fontsize=10)
    return fig


def plot_loss_curve(history, accuracy=None, title: str = "") -> Figure:
    """Average loss per step (and, if given, accuracy per step on a second axis)."""
    history = as_array(history, "history", ndim=1)
    fig, ax = new_figure((5.6, 3.0))
    ax.plot(np.arange(history.size), history, color=COLORS[0], label="average L1 loss")
    ax.set_xlabel("step (one epoch = one full pass over the data)")
    ax.set_ylabel("loss")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    if accuracy is not None:
        accuracy = as_array(accuracy, "accuracy", ndim=1)
        if accuracy.shape != history.shape:
            raise ValueError("accuracy must have one value per step, like history")
        twin = ax.twinx()
        twin.plot(
            np.arange(accuracy.size),
            accuracy,
            color=COLORS[1],
            ls="--",
            label="accuracy",
        )
        twin.set_ylim(0, 1.05)
        twin.set_ylabel("accuracy")
        twin.legend(loc="center right", fontsize=8)
    ax.legend(loc="upper right", fontsize=8)
    ax.set_title(title, fontsize=10)
    return fig
