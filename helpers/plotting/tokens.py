"""Figures of 09_tokens_and_embeddings: BPE compression, one-hot vs dense vectors.

Plot text stays English; token strings (which may be Chinese) are never drawn in
a figure, only counts and IDs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from helpers.plotting import COLORS, new_figure
from helpers.validate import as_array

__all__ = ["plot_compression", "plot_onehot_vs_dense"]


def plot_compression(
    merge_counts: Sequence[int],
    series: Mapping[str, Sequence[float]],
    *,
    ylabel: str = "bytes per token",
    marker_at: int | None = None,
):
    """Line plot of a compression measure against the number of BPE merges.

    ``series`` maps a legend label to one value per entry of ``merge_counts``.
    Introduced in 09_tokens_and_embeddings.
    """
    x = as_array(merge_counts, "merge_counts", ndim=1)
    if not isinstance(series, Mapping) or not series:
        raise ValueError("series must be a non-empty mapping label -> values")
    fig, ax = new_figure((6.0, 3.2))
    for (label, values), color in zip(series.items(), COLORS, strict=False):
        y = as_array(values, f"series[{label!r}]", ndim=1)
        if y.shape != x.shape:
            raise ValueError(
                f"series[{label!r}] must have one value per merge count "
                f"({x.shape[0]}), got {y.shape[0]}"
            )
        ax.plot(x, y, "-o", ms=3, color=color, label=label)
    if marker_at is not None:
        ax.axvline(marker_at, color="gray", ls=":", lw=1)
    ax.set_xlabel("number of merges")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def plot_onehot_vs_dense(one_hot, dense, *, row_labels: Sequence[str] = ()):
    """Two heatmaps side by side: the one-hot rows (T, V) and the embedding rows
    (T, d) of the same tokens. Introduced in 09_tokens_and_embeddings."""
    one_hot = as_array(one_hot, "one_hot", ndim=2)
    dense = as_array(dense, "dense", ndim=2)
    if one_hot.shape[0] != dense.shape[0]:
        raise ValueError(
            f"one_hot and dense must have the same number of rows, got "
            f"{one_hot.shape[0]} and {dense.shape[0]}"
        )
    fig, (left, right) = new_figure(
        (7.0, 2.6), ncols=2, gridspec_kw={"width_ratios": [2, 1]}
    )
    left.imshow(one_hot, cmap="Greys", aspect="auto", interpolation="nearest")
    left.set_title(f"one-hot: {one_hot.shape[0]} x {one_hot.shape[1]} (V columns)")
    left.set_xlabel("vocabulary index")
    limit = float(np.abs(dense).max()) or 1.0
    image = right.imshow(
        dense, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto",
        interpolation="nearest",
    )  # fmt: skip
    right.set_title(f"dense: {dense.shape[0]} x {dense.shape[1]}")
    right.set_xlabel("embedding dimension")
    fig.colorbar(image, ax=right, shrink=0.8)
    for ax in (left, right):
        ax.set_yticks(range(one_hot.shape[0]))
        if row_labels:
            ax.set_yticklabels(list(row_labels))
    left.set_ylabel("token")
    return fig
