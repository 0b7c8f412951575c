"""Figures of 05_backprop: a network drawn as a graph with forward values and
gradients on every node and edge, and per-layer gradient norms through depth.
Introduced in 05_backprop.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from helpers.plotting import COLORS, new_figure
from helpers.validate import as_array, check_int

__all__ = ["NetworkDiagram", "plot_gradient_norms"]


def _tidy(x: float, digits: int) -> float:
    """Round for display so that a tiny negative number prints as 0, not -0."""
    return round(float(x), digits) + 0.0


class NetworkDiagram:
    """A layered network on ``ax``: one circle per neuron, one line per weight.

    The artists are created once; ``update`` only changes their text, colour and
    width, so a panel can redraw it quickly. Introduced in 05_backprop.
    """

    def __init__(self, ax, layer_sizes: Sequence[int]):
        self.ax = ax
        self.layer_sizes = [
            check_int(n, "layer size", low=1, high=8) for n in layer_sizes
        ]
        if len(self.layer_sizes) < 2:
            raise ValueError("a network diagram needs at least two layers")
        self.xy = []  # per layer: array (n, 2) of neuron centres
        for i, n in enumerate(self.layer_sizes):
            ys = np.linspace(1, -1, n) * (0.5 * (n - 1))
            self.xy.append(np.column_stack([np.full(n, 2.0 * i), ys]))
        self.edges, self.edge_text = [], []  # per layer: (out, in) nested lists
        for layer in range(len(self.layer_sizes) - 1):
            lines, texts = [], []
            for j, (x1, y1) in enumerate(self.xy[layer + 1]):
                row_lines, row_texts = [], []
                for _k, (x0, y0) in enumerate(self.xy[layer]):
                    (line,) = ax.plot([x0, x1], [y0, y1], color="0.7", lw=1, zorder=1)
                    t = 0.22 + 0.56 * j / max(len(self.xy[layer + 1]) - 1, 1)  # stagger
                    tx, ty = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
                    text = ax.text(
                        tx,
                        ty,
                        "",
                        fontsize=7,
                        ha="center",
                        va="center",
                        zorder=3,
                        bbox={"fc": "white", "ec": "none", "pad": 0.5},
                    )
                    row_lines.append(line)
                    row_texts.append(text)
                lines.append(row_lines)
                texts.append(row_texts)
            self.edges.append(lines)
            self.edge_text.append(texts)
        self.node_text = []
        for layer, centres in enumerate(self.xy):
            fc = "#e8f1fa" if layer == 0 else "white"
            texts = [
                ax.text(
                    x,
                    y,
                    "",
                    fontsize=7,
                    ha="center",
                    va="center",
                    zorder=4,
                    family="monospace",
                    bbox={"boxstyle": "circle,pad=0.25", "fc": fc, "ec": COLORS[0]},
                )
                for x, y in centres
            ]
            self.node_text.append(texts)
        ax.set_xlim(-0.5, 2.0 * (len(self.layer_sizes) - 1) + 0.5)
        top = 0.5 * (max(self.layer_sizes) - 1) + 0.45
        ax.set_ylim(-top, top)
        ax.set_axis_off()

    def update(
        self,
        values: Sequence[np.ndarray],
        node_grads: Sequence[np.ndarray],
        weights: Sequence[np.ndarray],
        weight_grads: Sequence[np.ndarray],
    ) -> None:
        """Show activations ``values[l]`` and dL/dz ``node_grads[l]`` on the nodes,
        dL/dw on the edges (as text, colour = sign, width = size); ``weights`` and
        ``weight_grads`` are (out, in) arrays per layer."""
        n = len(self.layer_sizes)
        if not (len(values) == len(node_grads) == n) or len(weights) != n - 1:
            raise ValueError(f"expected {n} layers of values and {n - 1} of weights")
        scale = max(max(float(np.max(np.abs(g))) for g in weight_grads), 1e-12)
        for layer in range(n):
            for i, text in enumerate(self.node_text[layer]):
                a, g = _tidy(values[layer][i], 2), _tidy(node_grads[layer][i], 2)
                text.set_text(f"a={a:.2f}\ng={g:+.2f}")
        for layer in range(n - 1):
            for j, row in enumerate(self.edges[layer]):
                for k, line in enumerate(row):
                    g = float(weight_grads[layer][j, k])
                    line.set_color(COLORS[1] if g > 0 else COLORS[0])
                    line.set_linewidth(0.5 + 4.0 * abs(g) / scale)
                    self.edge_text[layer][j][k].set_text(f"{_tidy(g, 3):+.3f}")


def plot_gradient_norms(norms: Mapping[str, np.ndarray], *, figsize=(6.0, 3.2)):
    """Per-layer gradient norms (log scale), one line per activation.

    ``norms`` maps a label to an array with one norm per layer, first layer first.
    Introduced in 05_backprop.
    """
    if not norms:
        raise ValueError("norms must map at least one label to an array of norms")
    fig, ax = new_figure(figsize)
    for i, (label, values) in enumerate(norms.items()):
        values = as_array(values, f"norms[{label!r}]", ndim=1)
        layers = np.arange(1, values.size + 1)
        ax.semilogy(
            layers, values, "o-", color=COLORS[i % len(COLORS)], label=label, ms=3
        )
    ax.set_xlabel("layer (1 = closest to the input)")
    ax.set_ylabel(r"$\|\partial L / \partial W_l\|$")
    ax.legend()
    ax.grid(alpha=0.3)
    return fig
