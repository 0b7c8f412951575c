"""Figures of 11_self_attention: attention heatmaps, the effect of 1/sqrt(d_k),
the causal mask and the O(T^2) cost."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from helpers.plotting import COLORS, new_figure
from helpers.validate import as_array

__all__ = [
    "draw_attention",
    "plot_attention",
    "plot_attention_cost",
    "plot_scaling_effect",
]


def draw_attention(
    ax,
    weights,
    query_labels: Sequence[str],
    key_labels: Sequence[str] | None = None,
    *,
    title: str = "",
    image=None,
    annotate: bool = True,
):
    """Draw a (T_q, T_k) attention-weight matrix on ``ax`` (rows = queries).

    Pass the ``image`` returned by a previous call to update it in place (panels).
    Labels must be plain ASCII (plot text is English). Returns the image artist.
    Introduced in 11_self_attention.
    """
    w = as_array(weights, "weights", ndim=2)
    key_labels = query_labels if key_labels is None else key_labels
    if w.shape != (len(query_labels), len(key_labels)):
        raise ValueError(
            f"weights must have shape ({len(query_labels)}, "
            f"{len(key_labels)}) to match the labels, got {w.shape}"
        )
    t_q, t_k = w.shape
    extent = (-0.5, t_k - 0.5, t_q - 0.5, -0.5)
    if image is None:
        image = ax.imshow(w, cmap="Blues", vmin=0.0, vmax=1.0, extent=extent)
    else:
        image.set_data(w)
        image.set_extent(extent)
    for text in list(ax.texts):
        text.remove()
    if annotate and t_q * t_k <= 100:
        for (i, j), value in np.ndenumerate(w):
            color = "white" if value > 0.6 else "black"
            ax.text(
                j, i, f"{value:.2f}", ha="center", va="center", fontsize=7, color=color
            )
    ax.set_xticks(range(t_k), list(key_labels), rotation=45, ha="right")
    ax.set_yticks(range(t_q), list(query_labels))
    ax.set_xlabel("key (attended to)")
    ax.set_ylabel("query")
    ax.set_title(title, fontsize=10)
    return image


def plot_attention(weights, query_labels, key_labels=None, *, title: str = ""):
    """A figure with one attention heatmap. Introduced in 11_self_attention."""
    fig, ax = new_figure((4.2, 3.6))
    image = draw_attention(ax, weights, query_labels, key_labels, title=title)
    fig.colorbar(image, ax=ax, shrink=0.8, label="weight")
    return fig


def plot_scaling_effect(
    d_ks, score_std_raw, score_std_scaled, max_weight_raw, max_weight_scaled
):
    """Left: std of q.k scores against d_k, with and without 1/sqrt(d_k).
    Right: the largest softmax weight of a row (1.0 = saturated, one-hot).
    Introduced in 11_self_attention."""
    d_ks = as_array(d_ks, "d_ks", ndim=1)
    fig, (left, right) = new_figure((7.5, 3.0), ncols=2)
    left.plot(d_ks, score_std_raw, "o-", color=COLORS[1], label=r"$q\cdot k$")
    left.plot(
        d_ks, score_std_scaled, "o-", color=COLORS[0], label=r"$q\cdot k/\sqrt{d_k}$"
    )
    left.plot(d_ks, np.sqrt(d_ks), ":", color="gray", label=r"$\sqrt{d_k}$")
    left.set_xscale("log", base=2)
    left.set_yscale("log", base=2)
    left.set_xlabel("$d_k$")
    left.set_ylabel("std of scores")
    left.legend(fontsize=8)
    right.plot(d_ks, max_weight_raw, "o-", color=COLORS[1], label="unscaled")
    right.plot(d_ks, max_weight_scaled, "o-", color=COLORS[0], label="scaled")
    right.set_xscale("log", base=2)
    right.set_ylim(0, 1.05)
    right.set_xlabel("$d_k$")
    right.set_ylabel("mean of max softmax weight")
    right.legend(fontsize=8)
    return fig


def plot_attention_cost(lengths, n_scores, seconds=None):
    """Number of attention scores T^2 (and optionally measured time) against T.

    Introduced in 11_self_attention."""
    lengths = as_array(lengths, "lengths", ndim=1)
    fig, ax = new_figure((5.0, 3.0))
    ax.plot(lengths, n_scores, "o-", color=COLORS[0], label=r"scores $T^2$")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log", base=2)
    ax.set_xlabel("sequence length T")
    ax.set_ylabel("scores per head")
    if seconds is not None:
        twin = ax.twinx()
        twin.plot(lengths, seconds, "s--", color=COLORS[1], label="measured time")
        twin.set_yscale("log", base=2)
        twin.set_ylabel("seconds")
        twin.legend(loc="lower right", fontsize=8)
    ax.legend(loc="upper left", fontsize=8)
    return fig
