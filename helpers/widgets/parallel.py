"""Panels of 15_parallel_training: a pipeline-schedule explorer and a ZeRO memory
calculator."""

from __future__ import annotations

import ipywidgets as widgets
from matplotlib.collections import PolyCollection

from helpers.parallel import zero_memory_per_gpu
from helpers.pipeline import simulate_pipeline
from helpers.plotting import COLORS, nice_ceiling
from helpers.widgets import BenchCase, Panel

_ZERO_LABELS = ("no ZeRO", "stage 1", "stage 2", "stage 3")
_ZERO_PARTS = ("weights", "gradients", "optimizer")

__all__ = ["PipelinePanel", "ZeroPanel", "bench_cases"]


class PipelinePanel(Panel):
    """Devices p and micro-batches m → the simulated schedule and its bubble.

    Drawn like ``helpers.plotting.parallel.draw_timeline`` (forward boxes blue,
    backward orange, labelled while there are at most 48), with the artists
    created once and only moved, so a move costs a few milliseconds of drawing.
    """

    MAX_LABELS = 48  # label the boxes only while they stay readable

    def __init__(self, n_stages: int = 4, n_micro: int = 4):
        super().__init__(figsize=(7.5, 3.2), dpi=72)
        self.controls["n_stages"] = widgets.IntSlider(
            value=n_stages, min=1, max=8, description="devices p"
        )
        self.controls["n_micro"] = widgets.IntSlider(
            value=n_micro, min=1, max=16, description="micro-batches m"
        )
        self.controls["schedule"] = widgets.Dropdown(
            options=[("GPipe", "gpipe"), ("1F1B", "1f1b")], value="gpipe",
            description="schedule",
        )  # fmt: skip
        self.controls["t_backward"] = widgets.FloatSlider(
            value=2.0, min=0.5, max=3.0, step=0.5, description="backward / forward"
        )
        self.timeline = None
        ax = self.ax
        self.boxes = {
            kind: PolyCollection([], facecolors=color, edgecolors="white", label=name)
            for kind, color, name in (
                ("F", COLORS[0], "forward"),
                ("B", COLORS[4], "backward"),
            )
        }
        for collection in self.boxes.values():
            ax.add_collection(collection)
        self.labels = [
            ax.text(0, 0, "", ha="center", va="center", color="white", fontsize=8)
            for _ in range(self.MAX_LABELS)
        ]
        ax.set_xlabel("time (forward = 1 unit)")
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
        self._stages_drawn = None
        self.moving = [*self.boxes.values(), *self.labels, ax.title]
        self._finish()

    def update(self) -> None:
        c = {name: control.value for name, control in self.controls.items()}
        self.timeline = timeline = simulate_pipeline(
            c["n_stages"], c["n_micro"], c["schedule"], 1.0, c["t_backward"]
        )
        for kind, collection in self.boxes.items():
            collection.set_verts(
                [
                    [(op.start, op.stage - 0.4), (op.end, op.stage - 0.4),
                     (op.end, op.stage + 0.4), (op.start, op.stage + 0.4)]
                    for op in timeline.ops
                    if op.kind == kind
                ]
            )  # fmt: skip
        show = len(timeline.ops) <= self.MAX_LABELS
        for i, text in enumerate(self.labels):
            visible = show and i < len(timeline.ops)
            text.set_visible(visible)
            if visible:
                op = timeline.ops[i]
                text.set_position(((op.start + op.end) / 2, op.stage))
                text.set_text(f"{op.kind}{op.micro}")
        self.ax.set_xlim(0, timeline.makespan)
        if timeline.n_stages != self._stages_drawn:
            self.ax.set_ylim(timeline.n_stages - 0.5, -0.5)
            self.ax.set_yticks(
                range(timeline.n_stages),
                [f"device {s}" for s in range(timeline.n_stages)],
            )
            self._stages_drawn = timeline.n_stages
        self.ax.set_title(
            f"{timeline.schedule.upper()}: p={timeline.n_stages}, "
            f"m={timeline.n_micro}, bubble = {timeline.bubble_fraction:.1%}"
        )
        p, m = c["n_stages"], c["n_micro"]
        self.set_readout(
            f"simulated bubble = {timeline.bubble_fraction:.4f}   "
            f"formula (p-1)/(m+p-1) = {(p - 1) / (m + p - 1):.4f}\n"
            f"micro-batches whose activations are held at once, per device: "
            f"{list(timeline.peak_in_flight)}"
        )


class ZeroPanel(Panel):
    """Model size and GPU count → per-GPU memory under ZeRO stages 0–3."""

    def __init__(self, billions: float = 7.0, n_gpus: int = 8):
        super().__init__(figsize=(6.5, 3.2), dpi=72)
        self.controls["billions"] = widgets.FloatLogSlider(
            value=billions, base=10, min=-1, max=3, step=0.05,
            description="params (B)", readout_format=".3g",
        )  # fmt: skip
        self.controls["n_gpus"] = widgets.IntSlider(
            value=n_gpus, min=1, max=1024, description="GPUs"
        )
        self.memory = []
        # stacked bars created once (one container per memory part); each move
        # only changes their heights and bottoms, and the totals above them
        self.bars = {
            part: self.ax.bar(_ZERO_LABELS, [0.0] * 4, color=color, label=part)
            for part, color in zip(_ZERO_PARTS, COLORS, strict=False)
        }
        self.totals = [
            self.ax.text(x, 0, "", ha="center", va="bottom", fontsize=8)
            for x in range(4)
        ]
        self.ax.set_ylabel("memory per GPU (GB)")
        self.ax.legend(fontsize=8, loc="upper right")
        self.moving = [*(b for bars in self.bars.values() for b in bars),
                       *self.totals, self.ax.title, self.ax.get_legend()]  # fmt: skip
        self._finish()

    def update(self) -> None:
        n_params = self.controls["billions"].value * 1e9
        n_gpus = self.controls["n_gpus"].value
        self.memory = [zero_memory_per_gpu(n_params, n_gpus, s) for s in range(4)]
        bottom = [0.0] * 4
        for part in _ZERO_PARTS:
            for i, (bar, m) in enumerate(
                zip(self.bars[part], self.memory, strict=True)
            ):
                bar.set_y(bottom[i])
                bar.set_height(m[part] / 1e9)
                bottom[i] += m[part] / 1e9
        for x, (text, total) in enumerate(zip(self.totals, bottom, strict=True)):
            text.set_position((x, total))
            text.set_text(f"{total:,.1f}")
        self.ax.set_ylim(0, nice_ceiling(max(bottom) * 1.3))  # room for the legend
        self.ax.set_title(f"{n_params / 1e9:.3g}B parameters on {n_gpus} GPUs")
        self.set_readout(
            "per GPU (GB, before activations): "
            + ", ".join(
                f"{label}: {m['total'] / 1e9:,.1f}"
                for label, m in zip(_ZERO_LABELS, self.memory, strict=True)
            )
        )


def bench_cases() -> list[BenchCase]:
    return [
        BenchCase(
            "15_parallel: PipelinePanel",
            PipelinePanel,
            {
                "n_stages": [2, 6, 8],
                "n_micro": [1, 8, 16],
                "schedule": ["1f1b", "gpipe"],
                "t_backward": [1.0, 3.0],
            },
        ),
        BenchCase(
            "15_parallel: ZeroPanel",
            ZeroPanel,
            {"billions": [0.5, 70.0, 175.0], "n_gpus": [1, 64, 512]},
        ),
    ]
