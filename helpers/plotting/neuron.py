"""Static figures of 01_neuron: a neuron's output over the input plane with its
decision line, points split by a line, the "folding paper" picture, and a
drawing of a small network (weights on connections, biases on neurons).

Each function returns a ``Figure``; display it with ``helpers.plotting.show``.
Introduced in 01_neuron.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from helpers.plotting import COLORS, new_figure
from helpers.scratch.activations import get_activation
from helpers.scratch.tiny_net import neuron
from helpers.validate import as_array, check_int, check_number

__all__ = [
    "decision_line",
    "draw_network",
    "plane_grid",
    "plot_folding",
    "plot_neuron_plane",
    "plot_points_and_line",
]


def plane_grid(extent: float = 3.0, n: int = 121) -> tuple[np.ndarray, np.ndarray]:
    """Points of the square [−extent, extent]²: returns (X of shape (n·n, 2), axis)."""
    extent = check_number(extent, "extent", low=0.0, low_inclusive=False)
    n = check_int(n, "n", low=2, high=2000)
    axis = np.linspace(-extent, extent, n)
    x1, x2 = np.meshgrid(axis, axis)  # rows follow x2, columns follow x1
    return np.column_stack([x1.ravel(), x2.ravel()]), axis


def decision_line(w1: float, w2: float, b: float, extent: float = 3.0):
    """Two end points of the line w1·x1 + w2·x2 + b = 0 inside the square
    [−extent, extent]², as (xs, ys); empty arrays if the line misses the square
    or w = 0 (then there is no line at all)."""
    w1, w2, b = (check_number(v, n) for v, n in ((w1, "w1"), (w2, "w2"), (b, "b")))
    extent = check_number(extent, "extent", low=0.0, low_inclusive=False)
    points = []
    if abs(w2) > 1e-12:  # crossings with the vertical sides x1 = ±extent
        for x1 in (-extent, extent):
            x2 = -(w1 * x1 + b) / w2
            if -extent - 1e-9 <= x2 <= extent + 1e-9:
                points.append((x1, x2))
    if abs(w1) > 1e-12:  # crossings with the horizontal sides x2 = ±extent
        for x2 in (-extent, extent):
            x1 = -(w2 * x2 + b) / w1
            if -extent - 1e-9 <= x1 <= extent + 1e-9:
                points.append((x1, x2))
    unique = []
    for p in points:
        if all(np.hypot(p[0] - q[0], p[1] - q[1]) > 1e-9 for q in unique):
            unique.append(p)
    if len(unique) < 2:
        return np.array([]), np.array([])
    (a1, a2), (c1, c2) = unique[0], unique[1]
    return np.array([a1, c1]), np.array([a2, c2])


def plot_neuron_plane(
    w: Sequence[float], b: float, activation: str = "sigmoid", extent: float = 3.0
) -> Figure:
    """The output y = f(w1·x1 + w2·x2 + b) as colour, the line w·x + b = 0 dashed,
    and the weight vector w as an arrow (it points to where the output grows)."""
    w = as_array(w, "w", ndim=1)
    if w.shape != (2,):
        raise ValueError(f"w must hold 2 weights (w1, w2), got shape {w.shape}")
    grid, axis = plane_grid(extent, 121)
    y = neuron(grid, w, b, activation).reshape(axis.size, axis.size)
    fig, ax = new_figure((4.2, 3.6))
    image = ax.imshow(
        y, origin="lower", extent=(-extent, extent, -extent, extent), cmap="RdBu_r"
    )
    fig.colorbar(image, ax=ax, shrink=0.85, label="y")
    xs, ys = decision_line(w[0], w[1], b, extent)
    ax.plot(xs, ys, "k--", lw=1.5, label="w·x + b = 0")
    ax.annotate(
        "",
        xy=(w[0], w[1]),
        xytext=(0, 0),
        arrowprops={"arrowstyle": "->", "lw": 2, "color": "k"},
    )
    ax.set_xlim(-extent, extent)
    ax.set_ylim(-extent, extent)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(f"{activation}: w=({w[0]:g}, {w[1]:g}), b={b:g}", fontsize=10)
    ax.legend(loc="lower left", fontsize=8)
    return fig


def plot_points_and_line(
    points, labels, w: Sequence[float], b: float, title: str = ""
) -> Figure:
    """Points coloured by their label (0 / 1) and the line w·x + b = 0."""
    points = as_array(points, "points", ndim=2)
    if points.shape[1] != 2:
        raise ValueError(f"points must have shape (N, 2), got {points.shape}")
    labels = as_array(labels, "labels", ndim=1)
    if labels.shape[0] != points.shape[0]:
        raise ValueError("labels must have one entry per point")
    w = as_array(w, "w", ndim=1)
    if w.shape != (2,):
        raise ValueError(f"w must hold 2 weights, got shape {w.shape}")
    lo = float(points.min()) - 0.5
    hi = float(points.max()) + 0.5
    fig, ax = new_figure((3.4, 3.2))
    for value, marker, color in ((0, "o", COLORS[0]), (1, "s", COLORS[1])):
        chosen = points[labels == value]
        ax.scatter(
            chosen[:, 0],
            chosen[:, 1],
            s=90,
            marker=marker,
            color=color,
            label=f"label {value}",
            zorder=3,
        )
    center = (lo + hi) / 2
    half = (hi - lo) / 2
    xs, ys = decision_line(w[0], w[1], b, extent=1e3)
    if xs.size:
        ax.axline((xs[0], ys[0]), (xs[1], ys[1]), color="k", ls="--", lw=1.5)
    ax.set_xlim(center - half, center + half)
    ax.set_ylim(center - half, center + half)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    return fig


def _grid_lines(extent: float, n_lines: int, n_points: int = 60) -> list[np.ndarray]:
    ticks = np.linspace(-extent, extent, n_lines)
    run = np.linspace(-extent, extent, n_points)
    lines = [np.column_stack([np.full_like(run, t), run]) for t in ticks]
    lines += [np.column_stack([run, np.full_like(run, t)]) for t in ticks]
    return lines


def plot_folding(W, b, activation: str = "relu", extent: float = 1.0) -> Figure:
    """ "Folding paper": a square grid (left), after the linear map W·x + b (middle:
    still a flat grid of straight, parallel lines), and after the activation
    (right: the sheet is folded where a coordinate crosses 0)."""
    W = as_array(W, "W", ndim=2)
    if W.shape != (2, 2):
        raise ValueError(f"W must be a 2×2 matrix, got shape {W.shape}")
    b = as_array(b, "b", ndim=1)
    if b.shape != (2,):
        raise ValueError(f"b must hold 2 numbers, got shape {b.shape}")
    f = get_activation(activation).function
    fig, axes = new_figure((9.0, 3.1), ncols=3)
    titles = ("input x", "linear: Wx + b", f"{activation}(Wx + b)")
    lines = _grid_lines(extent, 9)
    for k, line in enumerate(lines):
        color = COLORS[0] if k < len(lines) // 2 else COLORS[1]
        linear = line @ W.T + b
        for ax, pts in zip(axes, (line, linear, f(linear)), strict=True):
            ax.plot(pts[:, 0], pts[:, 1], color=color, lw=1)
    for ax, title in zip(axes, titles, strict=True):
        ax.set_title(title, fontsize=10)
        ax.set_aspect("equal", adjustable="datalim")
        ax.axhline(0, color="0.7", lw=0.6)
        ax.axvline(0, color="0.7", lw=0.6)
    return fig


def draw_network(
    sizes: Sequence[int],
    *,
    weights: Sequence | None = None,
    layer_names: Sequence[str] | None = None,
    node_labels: Sequence[Sequence[str]] | None = None,
) -> Figure:
    """Circles for neurons, lines for connections. Every line carries one weight
    (its value printed when ``weights`` is given: one (n_out, n_in) matrix per
    pair of layers); every non-input neuron carries one bias ("+b")."""
    sizes = [check_int(s, "layer size", low=1, high=12) for s in sizes]
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least 2 layers, got {sizes}")
    if weights is not None:
        weights = [as_array(m, f"weights[{i}]", ndim=2) for i, m in enumerate(weights)]
        for i, m in enumerate(weights):
            if m.shape != (sizes[i + 1], sizes[i]):
                raise ValueError(
                    f"weights[{i}] must have shape ({sizes[i + 1]}, {sizes[i]}), "
                    f"got {m.shape}"
                )
        if len(weights) != len(sizes) - 1:
            raise ValueError(f"weights must hold {len(sizes) - 1} matrices")
    step = 4.2 if weights is not None else 2.0
    width = min(step * (len(sizes) - 1) + 1.6, 10.0)
    fig, ax = new_figure((width, 0.55 * max(sizes) + 1.4))
    xs = np.arange(len(sizes)) * step
    ys = [np.linspace(-(n - 1) / 2, (n - 1) / 2, n)[::-1] for n in sizes]
    for layer in range(len(sizes) - 1):
        n_to = sizes[layer + 1]
        for j, y_to in enumerate(ys[layer + 1]):
            for i, y_from in enumerate(ys[layer]):
                ax.plot(
                    [xs[layer], xs[layer + 1]],
                    [y_from, y_to],
                    color="0.6",
                    lw=0.8,
                    zorder=1,
                )
                if weights is not None:
                    # spread the labels along the lines: one position per target
                    t = 0.18 + 0.6 * j / max(n_to - 1, 1)
                    ax.text(
                        xs[layer] + t * (xs[layer + 1] - xs[layer]),
                        y_from + t * (y_to - y_from),
                        f"{weights[layer][j, i]:g}",
                        fontsize=7,
                        ha="center",
                        va="center",
                        color=COLORS[j % len(COLORS)],
                        bbox={
                            "boxstyle": "round,pad=0.1",
                            "fc": "white",
                            "ec": "none",
                            "alpha": 0.8,
                        },
                        zorder=2,
                    )
    for layer, (x, column) in enumerate(zip(xs, ys, strict=True)):
        for i, y in enumerate(column):
            face = "white" if layer == 0 else COLORS[5]
            ax.scatter([x], [y], s=600, color=face, edgecolor="k", zorder=3)
            if node_labels is not None:
                text = node_labels[layer][i]
            else:
                text = "" if layer == 0 else "+b"
            ax.text(x, y, text, ha="center", va="center", fontsize=7, zorder=4)
    if layer_names is not None:
        for x, name in zip(xs, layer_names, strict=True):
            ax.text(x, max(sizes) / 2 + 0.25, name, ha="center", fontsize=9)
    ax.set_xlim(xs[0] - 0.8, xs[-1] + 0.8)
    ax.set_ylim(-max(sizes) / 2 - 0.2, max(sizes) / 2 + 0.6)
    ax.axis("off")
    return fig
