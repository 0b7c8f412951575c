"""Figures of 12_transformer_block: the post-LN (2017) and pre-norm (LLaMA) blocks
side by side, a model's parameters by component, and how query heads share
key/value heads in MHA, GQA and MQA."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from helpers.plotting import COLORS, new_figure
from helpers.validate import check_int

__all__ = ["plot_block_diagrams", "plot_kv_head_sharing", "plot_parameter_breakdown"]

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


def plot_kv_head_sharing(n_head: int = 8, kv_heads=(8, 2, 1)):
    """One panel per attention variant: ``n_head`` query heads (top row) joined to
    the key/value head they read (bottom row). ``kv_heads`` = n_head is multi-head
    attention (MHA), 1 is multi-query (MQA), anything between is grouped-query
    (GQA). Introduced in 12_transformer_block.
    """
    n_head = check_int(n_head, "n_head", low=1, high=32)
    kv_heads = [check_int(k, "kv_heads", low=1, high=n_head) for k in kv_heads]
    if not kv_heads or any(n_head % k for k in kv_heads):
        raise ValueError(f"every entry of kv_heads must divide n_head = {n_head}")
    fig, axes = new_figure((7.5, 2.6), ncols=len(kv_heads))
    axes = np.atleast_1d(axes)
    for ax, n_kv in zip(axes, kv_heads, strict=True):
        group = n_head // n_kv
        q_x = np.arange(n_head) - (n_head - 1) / 2
        kv_x = (np.arange(n_kv) * group + (group - 1) / 2) - (n_head - 1) / 2
        for i, x in enumerate(q_x):
            ax.add_patch(_box(x - 0.35, 1.6, 0.7, 0.6, COLORS[0], alpha=0.35))
            ax.plot(
                [x, kv_x[i // group]], [1.6, 0.75], color=COLORS[i // group % 7], lw=1
            )
        for j, x in enumerate(kv_x):
            ax.add_patch(_box(x - 0.35, 0.1, 0.7, 0.6, COLORS[j % 7], alpha=0.35))
            ax.text(x, 0.4, "K,V", ha="center", va="center", fontsize=6)
        kind = "MHA" if n_kv == n_head else ("MQA" if n_kv == 1 else "GQA")
        ax.set_title(f"{kind}: {n_head} query heads, {n_kv} KV head(s)", fontsize=9)
        ax.text(q_x[0] - 0.6, 1.9, "Q", ha="right", va="center", fontsize=8)
        ax.text(q_x[0] - 0.6, 0.4, "cache", ha="right", va="center", fontsize=7)
        ax.set_xlim(-n_head / 2 - 0.8, n_head / 2 + 0.3)
        ax.set_ylim(-0.1, 2.4)
        ax.axis("off")
    return fig
