"""Figures of 10_positional_encoding: the sinusoidal table, its wavelengths, the
RoPE score as a function of the relative offset, and its long-range decay."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from helpers.plotting import COLORS, new_figure
from helpers.positions import pair_frequencies
from helpers.validate import as_array, check_number

__all__ = [
    "plot_rope_decay",
    "plot_rope_scores",
    "plot_sinusoidal_heatmap",
    "plot_wavelengths",
]


def plot_sinusoidal_heatmap(table, *, title: str | None = None):
    """Heatmap of a positional-encoding table (n_positions, d_model): one row per
    position, one column per dimension. Introduced in 10_positional_encoding."""
    table = as_array(table, "table", ndim=2)
    n_positions, d_model = table.shape
    fig, ax = new_figure((6.5, 3.4))
    image = ax.imshow(
        table, cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto", interpolation="nearest"
    )
    ax.set_xlabel("dimension (even = sin, odd = cos)")
    ax.set_ylabel("position")
    ax.set_title(title or f"sinusoidal PE: {n_positions} positions x d_model={d_model}")
    fig.colorbar(image, ax=ax, shrink=0.85)
    return fig


def plot_wavelengths(d_model: int, base: float = 10000.0):
    """Wavelength 2*pi/omega_i of every pair i (log scale), with the 2*pi and
    base*2*pi bounds. Introduced in 10_positional_encoding."""
    base = check_number(base, "base", low=1.0, low_inclusive=False)
    omega = pair_frequencies(d_model, base).numpy()
    wavelengths = 2 * math.pi / omega
    fig, ax = new_figure((6.0, 3.0))
    ax.semilogy(np.arange(len(omega)), wavelengths, "o", ms=3, color=COLORS[0])
    ax.axhline(2 * math.pi, color=COLORS[2], ls="--", lw=1, label=r"$2\pi$")
    ax.axhline(base * 2 * math.pi, color=COLORS[1], ls="--", lw=1,
               label=rf"${base:g}\cdot 2\pi$")  # fmt: skip
    ax.set_xlabel("pair index i (dimensions 2i, 2i+1)")
    ax.set_ylabel("wavelength (positions)")
    ax.set_title(f"d_model = {d_model}")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return fig


def plot_rope_scores(offsets, scores, *, labels: Sequence[str] = ()):
    """The RoPE attention score against the relative offset m - n.

    ``scores`` may be 1-D (one curve) or 2-D (one row per starting position,
    drawn with different dash styles on top of each other: curves that coincide
    show that only the offset matters). ``labels`` names the rows.
    Introduced in 10_positional_encoding."""
    offsets = as_array(offsets, "offsets", ndim=1)
    scores = as_array(scores, "scores", ndim=(1, 2))
    rows = scores[None, :] if scores.ndim == 1 else scores
    if rows.shape[1] != offsets.shape[0]:
        raise ValueError(
            f"scores must have one value per offset ({offsets.shape[0]}), "
            f"got {rows.shape[1]}"
        )
    labels = list(labels)
    if labels and len(labels) != rows.shape[0]:
        raise ValueError(f"labels must name each of the {rows.shape[0]} rows")
    styles = ["-", "--", ":", "-."]
    fig, ax = new_figure((6.0, 3.0))
    for index, row in enumerate(rows):
        ax.plot(offsets, row, styles[index % len(styles)],
                color=COLORS[index % len(COLORS)], lw=4.0 - 1.0 * min(index, 2),
                label=labels[index] if labels else None)  # fmt: skip
    ax.axhline(0, color="gray", lw=0.8)
    ax.set_xlabel("relative offset m - n")
    ax.set_ylabel(r"score $q_m \cdot k_n$")
    ax.grid(alpha=0.3)
    if labels:
        ax.legend(fontsize=8)
    return fig


def plot_rope_decay(offsets, scores_by_base: dict[str, Sequence[float]]):
    """RoPE's long-range decay: the score of q = k at relative offset m, one panel
    per ``base`` (label → scores), on a log offset axis, with the mean |score|
    over each decade of offsets drawn on top. Introduced in 10_positional_encoding.
    """
    offsets = as_array(offsets, "offsets", ndim=1)
    if not isinstance(scores_by_base, dict) or not scores_by_base:
        raise TypeError("scores_by_base must be a non-empty dict: label -> scores")
    if offsets.min() < 1:
        raise ValueError("offsets must be >= 1 (the axis is logarithmic)")
    n = len(scores_by_base)
    fig, axes = new_figure((6.5, 1.9 * n), nrows=n, sharex=True, squeeze=False)
    edges = 10.0 ** np.arange(0, math.ceil(math.log10(offsets.max())) + 1)
    for index, (label, scores) in enumerate(scores_by_base.items()):
        scores = as_array(scores, f"scores_by_base[{label!r}]", ndim=1)
        if scores.shape != offsets.shape:
            raise ValueError(f"{label!r}: one score per offset expected")
        ax = axes[index, 0]
        ax.semilogx(offsets, scores, lw=0.6, color=COLORS[index % len(COLORS)],
                    alpha=0.7, label=label)  # fmt: skip
        centres, means = [], []
        for lo, hi in zip(edges[:-1], edges[1:], strict=True):
            inside = (offsets >= lo) & (offsets < hi)
            if inside.any():
                centres.append(math.sqrt(lo * hi))
                means.append(np.abs(scores[inside]).mean())
        ax.plot(centres, means, "o-", color="black", ms=4, lw=1.5,
                label="mean |score| per decade")  # fmt: skip
        ax.axhline(0, color="gray", lw=0.8)
        ax.set_ylabel("score")
        ax.legend(fontsize=7, loc="upper right")
        ax.grid(alpha=0.3, which="both")
    axes[-1, 0].set_xlabel("relative offset m - n (log scale)")
    return fig
