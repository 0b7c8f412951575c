"""Figures of 15_parallel_training: pipeline Gantt charts and memory bars."""

from __future__ import annotations

from matplotlib.axes import Axes

from helpers.pipeline import Timeline
from helpers.plotting import COLORS

__all__ = ["draw_memory_bars", "draw_timeline"]


def draw_timeline(ax: Axes, timeline: Timeline) -> None:
    """Draw ``timeline`` as a Gantt chart on ``ax``: one row per device, forward
    boxes in blue, backward boxes in orange, each labelled with its micro-batch."""
    if not isinstance(timeline, Timeline):
        raise TypeError(f"timeline must be a Timeline, got {type(timeline).__name__}")
    ax.clear()
    for kind, color in (("F", COLORS[0]), ("B", COLORS[4])):
        for stage in range(timeline.n_stages):
            spans = [
                (op.start, op.end - op.start)
                for op in timeline.ops
                if op.stage == stage and op.kind == kind
            ]
            ax.broken_barh(
                spans, (stage - 0.4, 0.8), facecolors=color, edgecolor="white",
                label=("forward" if kind == "F" else "backward") if stage == 0 else None,
            )  # fmt: skip
    if len(timeline.ops) <= 48:  # label boxes only while they stay readable
        for op in timeline.ops:
            ax.text(
                (op.start + op.end) / 2, op.stage, f"{op.kind}{op.micro}",
                ha="center", va="center", color="white", fontsize=8,
            )  # fmt: skip
    ax.set_xlim(0, timeline.makespan)
    ax.set_ylim(timeline.n_stages - 0.5, -0.5)
    ax.set_yticks(range(timeline.n_stages))
    ax.set_yticklabels([f"device {s}" for s in range(timeline.n_stages)])
    ax.set_xlabel("time (forward = 1 unit)")
    ax.set_title(
        f"{timeline.schedule.upper()}: p={timeline.n_stages}, m={timeline.n_micro}, "
        f"bubble = {timeline.bubble_fraction:.1%}"
    )
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)


def draw_memory_bars(ax: Axes, labels, parts: dict[str, list[float]], unit="GB"):
    """Stacked bars: one bar per label, one colour per memory part."""
    if not parts:
        raise ValueError("parts must name at least one memory part")
    ax.clear()
    bottom = [0.0] * len(labels)
    for color, (name, values) in zip(COLORS, parts.items(), strict=False):
        if len(values) != len(labels):
            raise ValueError(
                f"part {name!r} has {len(values)} values, expected {len(labels)}"
            )
        ax.bar(labels, values, bottom=bottom, color=color, label=name)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    for x, total in enumerate(bottom):
        ax.text(x, total, f"{total:,.1f}", ha="center", va="bottom", fontsize=8)
    ax.set_ylabel(f"memory per GPU ({unit})")
    ax.set_ylim(0, max(bottom) * 1.18 if max(bottom) > 0 else 1)
    ax.legend(fontsize=8, loc="upper right")
