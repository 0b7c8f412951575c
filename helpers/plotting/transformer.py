"""Figures of 12_transformer_block: the post-LN (2017) and pre-norm (LLaMA) blocks
side by side, and a model's parameters by component."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from helpers.plotting import COLORS, new_figure

__all__ = ["plot_block_diagrams", "plot_parameter_breakdown"]

_POST_LN = [  # (label, colour index), bottom to top
    ("x", 7),
    ("Multi-Head Attention", 0),
    ("Add & LayerNorm", 4),
    ("FFN: max(0, xW1+b1)W2+b2", 2),
    ("Add & LayerNorm", 4),
]
_PRE_NORM = [
    ("x", 7),
    ("RMSNorm", 4),
    ("RoPE Attention (q,k,v,o)", 0),
    ("+", 7),
    ("RMSNorm", 4),
    ("SwiGLU MLP (gate,up,down)", 2),
    ("+", 7),
]


def _draw_stack(ax, boxes, title, residual_pairs):
    ys = np.linspace(0.5, 9.5, len(boxes))
    for (label, color), y in zip(boxes, ys, strict=True):
        small = label in ("x", "+")
        width = 0.8 if small else 5.6
        face = "white" if small else COLORS[color]
        ax.add_patch(
            _box(-width / 2, y - 0.4, width, 0.8, face, alpha=1.0 if small else 0.3)
        )
        ax.text(0, y, label, ha="center", va="center", fontsize=8)
    for y0, y1 in zip(ys[:-1], ys[1:], strict=True):
        ax.annotate(
            "",
            xy=(0, y1 - 0.45),
            xytext=(0, y0 + 0.45),
            arrowprops={"arrowstyle": "->", "lw": 1},
        )
    half = [0.45 if label in ("x", "+") else 2.85 for label, _ in boxes]
    for start, end in residual_pairs:  # the skip path around a sub-layer
        y0, y1 = ys[start], ys[end]
        x0 = half[start]
        if start > 0:  # branch off the main path just above the previous add
            y0, x0 = (ys[start] + ys[start + 1]) / 2, 0.0
            ax.plot([0.0], [y0], "o", color=COLORS[1], ms=3)
        ax.plot(
            [x0, 3.4, 3.4, half[end] + 0.3],
            [y0, y0, y1, y1],
            color=COLORS[1],
            lw=1.2,
        )
        ax.annotate(
            "",
            xy=(half[end], y1),
            xytext=(half[end] + 0.35, y1),
            arrowprops={"arrowstyle": "->", "color": COLORS[1]},
        )
    ax.set_xlim(-3.8, 3.8)
    ax.set_ylim(-0.3, 10.6)
    ax.set_title(title, fontsize=10)
    ax.axis("off")


def _box(x, y, w, h, face, alpha):
    from matplotlib.patches import FancyBboxPatch

    return FancyBboxPatch(
        (x, y),
        w,
        h,
        boxstyle="round,pad=0.05",
        facecolor=face,
        edgecolor="black",
        alpha=alpha,
        lw=0.8,
    )


def plot_block_diagrams():
    """Post-LN 2017 encoder layer (left) and a pre-norm LLaMA decoder block (right).

    Residual paths are drawn in orange. Introduced in 12_transformer_block.
    """
    fig, (left, right) = new_figure((7.5, 4.2), ncols=2)
    _draw_stack(left, _POST_LN, "2017: LayerNorm(x + Sublayer(x))", [(0, 2), (2, 4)])
    _draw_stack(right, _PRE_NORM, "LLaMA: x + Sublayer(RMSNorm(x))", [(0, 3), (3, 6)])
    return fig


def plot_parameter_breakdown(breakdown: Mapping[str, int], *, title: str = ""):
    """Horizontal bars of parameters per component, with percentages.

    Introduced in 12_transformer_block.
    """
    if not isinstance(breakdown, Mapping) or not breakdown:
        raise ValueError("breakdown must be a non-empty mapping name -> count")
    names, counts = list(breakdown), np.array(list(breakdown.values()), dtype=float)
    total = counts.sum()
    fig, ax = new_figure((6.5, 2.8))
    ax.barh(range(len(names)), counts / 1e6, color=COLORS[0])
    for i, count in enumerate(counts):
        ax.text(count / 1e6, i, f" {100 * count / total:.1f}%", va="center", fontsize=8)
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set_xlim(0, counts.max() / 1e6 * 1.2)
    ax.set_xlabel("parameters (millions)")
    ax.set_title(title, fontsize=10)
    return fig
