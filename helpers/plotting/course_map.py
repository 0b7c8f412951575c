"""Figures of 00_course_map: the path of a piece of text through an LLM (each
stage tagged with the notebooks that teach it) and training vs inference drawn
side by side. The facts (notebooks, stages, steps) live in ``helpers.course``."""

from __future__ import annotations

from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from helpers.course import PIPELINE, TRAINING_STEPS, stage_keys
from helpers.plotting import COLORS, new_figure
from helpers.validate import check_choice

__all__ = ["plot_pipeline", "plot_training_vs_inference"]


def plot_pipeline(highlight: str | None = None):
    """Boxes and arrows: text → … → next-token probabilities, with the notebooks
    that teach each stage under its box. ``highlight`` (a stage key) is coloured.

    Returns ``(fig, boxes)``: ``boxes`` maps a stage key to its box patch, so a
    panel can recolour boxes without redrawing. Introduced in 00_course_map.
    """
    if highlight is not None:
        check_choice(highlight, "stage", stage_keys())
    fig, ax = new_figure((9.0, 2.0), dpi=72)
    ax.set_xlim(0, len(PIPELINE))
    ax.set_ylim(0.1, 1.12)
    ax.axis("off")
    boxes = {}
    for i, stage in enumerate(PIPELINE):
        box = FancyBboxPatch(
            (i + 0.08, 0.38),
            0.84,
            0.5,
            boxstyle="round,pad=0.02",
            fc=COLORS[4] if stage.key == highlight else "#DCEBF7",
            ec=COLORS[0],
        )
        ax.add_patch(box)
        boxes[stage.key] = box
        ax.text(i + 0.5, 0.63, stage.label, ha="center", va="center", fontsize=9)
        tags = ", ".join(f"{n:02d}" for n in stage.notebooks)
        ax.text(
            i + 0.5,
            0.22,
            f"nb {tags}",
            ha="center",
            va="center",
            fontsize=8,
            color="0.3",
        )
        if i + 1 < len(PIPELINE):
            ax.add_patch(
                FancyArrowPatch(
                    (i + 0.94, 0.63),
                    (i + 1.06, 0.63),
                    arrowstyle="-|>",
                    mutation_scale=10,
                )
            )
    ax.annotate(
        "",
        xy=(0.5, 0.9),
        xytext=(len(PIPELINE) - 0.5, 0.9),
        arrowprops={
            "arrowstyle": "-|>",
            "color": COLORS[1],
            "connectionstyle": "arc3,rad=0.06",
        },
    )
    ax.text(
        len(PIPELINE) / 2,
        1.05,
        "append the chosen token and repeat",
        ha="center",
        fontsize=8,
        color=COLORS[1],
    )
    return fig, boxes


def plot_training_vs_inference():
    """Training (a loop: forward, loss, backward, update) beside inference (one
    forward pass with frozen weights). Introduced in 00_course_map."""
    fig, (left, right) = new_figure((8.0, 2.6), ncols=2)
    steps = list(TRAINING_STEPS)
    for i, step in enumerate(steps):
        left.text(
            i * 1.1 + 0.5,
            0.55,
            step,
            ha="center",
            va="center",
            fontsize=9,
            bbox={"boxstyle": "round", "fc": "#DCEBF7", "ec": COLORS[0]},
        )
        if i + 1 < len(steps):
            left.annotate(
                "",
                xy=(i * 1.1 + 1.1, 0.55),
                xytext=(i * 1.1 + 0.95, 0.55),
                arrowprops={"arrowstyle": "-|>"},
            )
    left.annotate(
        "",
        xy=(0.5, 0.75),
        xytext=(3.8, 0.75),
        arrowprops={
            "arrowstyle": "-|>",
            "color": COLORS[1],
            "connectionstyle": "arc3,rad=0.3",
        },
    )
    left.text(
        2.15,
        0.2,
        "repeat over many batches: weights change",
        ha="center",
        fontsize=8,
        color=COLORS[1],
    )
    left.set_xlim(0, 4.4)
    left.set_ylim(0, 1.15)
    left.axis("off")
    left.set_title("Training: learn the weights", fontsize=10)
    for x, label in (
        (0.4, "input X"),
        (1.5, "model\n(weights frozen)"),
        (2.6, "output Y"),
    ):
        right.text(
            x,
            0.55,
            label,
            ha="center",
            va="center",
            fontsize=9,
            bbox={"boxstyle": "round", "fc": "#DDF2EA", "ec": COLORS[2]},
        )
    for start, end in ((0.75, 1.0), (2.0, 2.25)):
        right.annotate(
            "", xy=(end, 0.55), xytext=(start, 0.55), arrowprops={"arrowstyle": "-|>"}
        )
    right.text(
        1.5,
        0.2,
        "forward pass only: no loss, no gradients",
        ha="center",
        fontsize=8,
        color=COLORS[2],
    )
    right.set_xlim(0, 3.0)
    right.set_ylim(0, 1.15)
    right.axis("off")
    right.set_title("Inference: use the weights", fontsize=10)
    return fig
