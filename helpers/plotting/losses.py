"""Figures of 06_loss_functions: L1 vs L2 and their gradients, and cross-entropy as
a function of the probability given to the right class. Introduced in
06_loss_functions.
"""

from __future__ import annotations

import numpy as np

from helpers.plotting import COLORS, new_figure
from helpers.validate import check_number

__all__ = ["plot_cross_entropy_curve", "plot_regression_losses"]


def plot_regression_losses(limit: float = 3.0, *, figsize=(7.0, 3.0)):
    """Left: |r| and r² against the residual r = prediction − target.
    Right: their derivatives sign(r) and 2r. Introduced in 06_loss_functions."""
    limit = check_number(limit, "limit", low=0.1, high=100.0)
    r = np.linspace(-limit, limit, 401)
    fig, (left, right) = new_figure(figsize, ncols=2)
    left.plot(r, np.abs(r), color=COLORS[0], label="L1: $|r|$")
    left.plot(r, r**2, color=COLORS[1], label="L2: $r^2$")
    left.set_ylim(-0.2, limit**2 * 0.6)
    left.set_title("loss")
    right.plot(r, np.sign(r), color=COLORS[0], label=r"$\mathrm{sign}(r)$")
    right.plot(r, 2 * r, color=COLORS[1], label="$2r$")
    right.set_title("gradient with respect to the prediction")
    for ax in (left, right):
        ax.axhline(0, color="0.6", lw=0.6)
        ax.axvline(0, color="0.6", lw=0.6)
        ax.set_xlabel("residual r = prediction - target")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    return fig


def plot_cross_entropy_curve(*, figsize=(4.5, 3.0)):
    """-log p against p, the probability the model gives to the correct class.
    Introduced in 06_loss_functions."""
    p = np.linspace(0.005, 1.0, 400)
    fig, ax = new_figure(figsize)
    ax.plot(p, -np.log(p), color=COLORS[0])
    for q in (0.9, 0.5, 0.1):
        ax.plot([q], [-np.log(q)], "o", color=COLORS[1], ms=4)
        ax.annotate(
            f"p={q}: {-np.log(q):.2f}",
            (q, -np.log(q)),
            xytext=(6, 4),
            textcoords="offset points",
            fontsize=8,
        )
    ax.set_xlabel("p = probability of the correct class")
    ax.set_ylabel(r"$-\log p$")
    ax.grid(alpha=0.3)
    return fig
