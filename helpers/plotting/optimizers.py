"""Static figures of 07_optimizers: optimizer paths on a contour plot, loss
curves, and learning-rate schedules.

Each function takes numbers the notebook computed and returns a ``Figure``
(display it with ``helpers.plotting.show``). Introduced in 07_optimizers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
from matplotlib.figure import Figure

from helpers.plotting import COLORS, new_figure
from helpers.validate import as_array, check_int

__all__ = ["draw_contours", "plot_loss_curves", "plot_lr_schedules", "plot_paths"]


def _check_mapping(curves, what: str) -> Mapping:
    if not isinstance(curves, Mapping) or not curves:
        raise TypeError(f"{what} must be a non-empty dict of label -> values")
    return curves


def draw_contours(
    ax,
    loss_fn: Callable[[np.ndarray, np.ndarray], np.ndarray],
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    *,
    levels: int = 20,
    resolution: int = 120,
):
    """Draw log-spaced contour lines of ``loss_fn(X, Y)`` (vectorised) on ``ax``.

    Returns the contour set (so a panel can remove it when the surface changes).
    """
    if not callable(loss_fn):
        raise TypeError("loss_fn must be a function of two arrays (X, Y)")
    levels = check_int(levels, "levels", low=2, high=100)
    resolution = check_int(resolution, "resolution", low=10, high=1000)
    xs = np.linspace(xlim[0], xlim[1], resolution)
    ys = np.linspace(ylim[0], ylim[1], resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    z = np.asarray(loss_fn(grid_x, grid_y), dtype=np.float64)
    low = max(z.min(), 1e-4)
    contour_levels = np.geomspace(low, z.max(), levels)
    contours = ax.contour(grid_x, grid_y, z, levels=contour_levels, cmap="viridis",
                          linewidths=0.8, alpha=0.7)  # fmt: skip
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    return contours


def plot_paths(
    loss_fn: Callable[[np.ndarray, np.ndarray], np.ndarray],
    paths: Mapping[str, np.ndarray],
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    *,
    minimum: tuple[float, float] | None = None,
    title: str = "",
    figsize: tuple[float, float] = (6.0, 4.0),
) -> Figure:
    """Optimizer paths (each an array of shape (steps + 1, 2)) over the contour
    lines of a two-parameter loss."""
    paths = _check_mapping(paths, "paths")
    fig, ax = new_figure(figsize)
    draw_contours(ax, loss_fn, xlim, ylim)
    for i, (label, path) in enumerate(paths.items()):
        path = as_array(path, f"paths[{label!r}]", ndim=2)
        if path.shape[1] != 2:
            raise ValueError(
                f"paths[{label!r}] must have shape (n, 2), got {path.shape}"
            )
        color = COLORS[i % len(COLORS)]
        ax.plot(path[:, 0], path[:, 1], ".-", color=color, lw=1.2, ms=3, label=label)
        ax.plot(*path[-1], "o", color=color, ms=6)
    first = next(iter(paths.values()))
    ax.plot(*np.asarray(first)[0], "ks", ms=6, label="start")
    if minimum is not None:
        ax.plot(*minimum, "*", color="black", ms=12, label="minimum")
    ax.set_xlabel("$w_1$")
    ax.set_ylabel("$w_2$")
    ax.set_title(title)
    ax.legend(fontsize=7, loc="best")
    return fig


def plot_loss_curves(
    curves: Mapping[str, np.ndarray],
    *,
    xlabel: str = "step",
    ylabel: str = "loss",
    logy: bool = True,
    title: str = "",
    figsize: tuple[float, float] = (6.0, 3.2),
) -> Figure:
    """One line per label: loss (or any quantity) against the step."""
    curves = _check_mapping(curves, "curves")
    fig, ax = new_figure(figsize)
    for i, (label, values) in enumerate(curves.items()):
        y = as_array(values, f"curves[{label!r}]", ndim=1, allow_nonfinite=True)
        ax.plot(
            np.arange(y.size), y, color=COLORS[i % len(COLORS)], lw=1.6, label=label
        )
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def plot_lr_schedules(
    steps, schedules: Mapping[str, np.ndarray], *, warmup_steps: int | None = None
) -> Figure:
    """Learning rate against the step, one line per schedule."""
    steps = as_array(steps, "steps", ndim=1)
    schedules = _check_mapping(schedules, "schedules")
    fig, ax = new_figure((6.0, 3.0))
    for i, (label, values) in enumerate(schedules.items()):
        lr = as_array(values, f"schedules[{label!r}]", ndim=1)
        if lr.shape != steps.shape:
            raise ValueError(f"schedules[{label!r}] must have the shape of steps")
        ax.plot(steps, lr, color=COLORS[i % len(COLORS)], lw=2, label=label)
    if warmup_steps:
        ax.axvline(warmup_steps, color="0.5", ls=":", lw=1, label="end of warmup")
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig
