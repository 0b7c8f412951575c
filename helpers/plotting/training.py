"""Figures of 13_train_a_tiny_llm: the (live) loss curve and attention maps."""

from __future__ import annotations

import numpy as np

from helpers.plotting import COLORS, figure_to_png, new_figure

__all__ = ["LiveLossPlot", "draw_attention_maps", "draw_ladder", "draw_loss_curves"]


def _smooth(values: np.ndarray, window: int = 20) -> np.ndarray:
    if len(values) < window:
        return values
    kernel = np.ones(window) / window
    head = np.cumsum(values[: window - 1]) / np.arange(1, window)
    return np.concatenate([head, np.convolve(values, kernel, mode="valid")])


def draw_loss_curves(train_losses, evals, *, steps: int | None = None, fig_ax=None):
    """Training loss per step (faint), its moving average, and the periodic
    train / val estimates. ``evals`` is a list of (step, train, val).
    Introduced in 13_train_a_tiny_llm."""
    fig, ax = fig_ax or new_figure((6.0, 3.2))
    ax.clear()
    losses = np.asarray(train_losses, dtype=float)
    x = np.arange(1, len(losses) + 1)
    ax.plot(x, losses, color=COLORS[0], alpha=0.25, lw=0.8)
    ax.plot(x, _smooth(losses), color=COLORS[0], lw=1.5, label="train (per step)")
    if evals:
        e = np.asarray(evals, dtype=float)
        ax.plot(e[:, 0], e[:, 1], "o-", color=COLORS[2], ms=4, label="train (estimate)")
        ax.plot(e[:, 0], e[:, 2], "s-", color=COLORS[1], ms=4, label="val (estimate)")
    ax.set_xlim(0, steps or max(len(losses), 1))
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy loss")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right", fontsize=8)
    return fig


class LiveLossPlot:
    """A ``train`` callback that redraws the loss curve in place in the notebook.

    Introduced in 13_train_a_tiny_llm.
    """

    def __init__(self, figsize=(6.0, 3.2)):
        from IPython.display import Image, display

        self.fig, self.ax = new_figure(figsize)
        self._image = Image
        self.handle = display(
            self._image(data=figure_to_png(self.fig)), display_id=True
        )

    def __call__(self, progress) -> None:
        draw_loss_curves(
            progress.train_losses,
            progress.evals,
            steps=progress.steps,
            fig_ax=(self.fig, self.ax),
        )
        self.ax.set_title(
            f"step {progress.step}/{progress.steps}  "
            f"{progress.tokens_per_s:,.0f} tokens/s",
            fontsize=9,
        )
        if self.handle is not None:
            self.handle.update(self._image(data=figure_to_png(self.fig)))


def draw_attention_maps(weights, labels, *, title: str = ""):
    """One heatmap per head: ``weights`` (n_head, T, T) of one layer and one
    sequence; ``labels`` are the T tokens (ASCII text only: plots have no CJK
    font). Introduced in 13_train_a_tiny_llm."""
    weights = np.asarray(weights, dtype=float)
    if weights.ndim != 3 or weights.shape[1] != weights.shape[2]:
        raise ValueError(f"weights must be (n_head, T, T), got {weights.shape}")
    n_head, T, _ = weights.shape
    if len(labels) != T:
        raise ValueError(f"need {T} labels, got {len(labels)}")
    labels = [repr(s)[1:-1] for s in labels]  # show "\n" as \n
    fig, axes = new_figure((2.3 * n_head, 2.9), ncols=n_head)
    axes = np.atleast_1d(axes)
    for head, ax in enumerate(axes):
        ax.imshow(weights[head], cmap="Blues", vmin=0, vmax=1)
        ax.set_xticks(range(T), labels, fontsize=7)
        ax.set_yticks(range(T), labels, fontsize=7)
        ax.set_title(f"head {head}", fontsize=9)
        ax.set_xlabel("attends to (key)", fontsize=7)
    axes[0].set_ylabel("query position", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=9)
    return fig


def draw_ladder(rungs, baselines: dict[str, float] | None = None):
    """The ablation ladder as two bar charts side by side: validation loss per
    rung (with the count-based ``baselines`` as dashed lines) and parameters per
    rung. ``rungs`` is the list ``helpers.ablation.run_ladder`` returns.
    Introduced in 13_train_a_tiny_llm."""
    rungs = list(rungs)
    if not rungs or not all(
        hasattr(r, "val_loss") and hasattr(r, "parameters") for r in rungs
    ):
        raise TypeError("rungs must be a non-empty list of Rung (from run_ladder)")
    names = [r.name for r in rungs]
    y = np.arange(len(rungs))[::-1]  # the bottom rung at the top of the chart
    fig, (ax_loss, ax_size) = new_figure((9.0, 3.0), ncols=2)
    losses = [r.val_loss for r in rungs]
    ax_loss.barh(y, losses, color=COLORS[0], alpha=0.85)
    for yi, value in zip(y, losses, strict=True):
        ax_loss.text(value, yi, f" {value:.2f}", va="center", fontsize=7)
    for i, (name, value) in enumerate((baselines or {}).items()):
        ax_loss.axvline(
            value,
            color=COLORS[(i + 1) % len(COLORS)],
            ls="--",
            lw=1,
            label=f"{name} (count) {value:.2f}",
        )
    low = min(losses + list((baselines or {}).values()))
    ax_loss.set_xlim(
        max(0.0, low - 0.6), max(losses + list((baselines or {}).values())) + 0.5
    )
    ax_loss.set_yticks(y, names, fontsize=8)
    ax_loss.set_xlabel("validation loss (nats / token)")
    if baselines:
        ax_loss.legend(fontsize=7, loc="lower right")
    params = [r.parameters / 1e6 for r in rungs]
    ax_size.barh(y, params, color=COLORS[2], alpha=0.85)
    for yi, value in zip(y, params, strict=True):
        ax_size.text(value, yi, f" {value:.2f}M", va="center", fontsize=7)
    ax_size.set_yticks(y, [""] * len(y))
    ax_size.set_xlim(0, max(params) * 1.25)
    ax_size.set_xlabel("parameters (millions)")
    for ax in (ax_loss, ax_size):
        ax.grid(axis="x", alpha=0.3)
    return fig
