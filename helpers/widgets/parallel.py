"""Panels of 15_parallel_training: a pipeline-schedule explorer and a ZeRO memory
calculator."""

from __future__ import annotations

import ipywidgets as widgets

from helpers.parallel import zero_memory_per_gpu
from helpers.pipeline import simulate_pipeline
from helpers.plotting.parallel import draw_memory_bars, draw_timeline
from helpers.widgets import BenchCase, Panel

__all__ = ["PipelinePanel", "ZeroPanel", "bench_cases"]


class PipelinePanel(Panel):
    """Devices p and micro-batches m → the simulated schedule and its bubble."""

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
        self._finish()

    def update(self) -> None:
        c = {name: control.value for name, control in self.controls.items()}
        self.timeline = simulate_pipeline(
            c["n_stages"], c["n_micro"], c["schedule"], 1.0, c["t_backward"]
        )
        draw_timeline(self.ax, self.timeline)
        p, m = c["n_stages"], c["n_micro"]
        self.set_readout(
            f"simulated bubble = {self.timeline.bubble_fraction:.4f}   "
            f"formula (p-1)/(m+p-1) = {(p - 1) / (m + p - 1):.4f}\n"
            f"micro-batches whose activations are held at once, per device: "
            f"{list(self.timeline.peak_in_flight)}"
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
        self._finish()

    def update(self) -> None:
        n_params = self.controls["billions"].value * 1e9
        n_gpus = self.controls["n_gpus"].value
        self.memory = [zero_memory_per_gpu(n_params, n_gpus, s) for s in range(4)]
        parts = {
            part: [m[part] / 1e9 for m in self.memory]
            for part in ("weights", "gradients", "optimizer")
        }
        labels = ["no ZeRO", "stage 1", "stage 2", "stage 3"]
        draw_memory_bars(self.ax, labels, parts)
        self.ax.set_title(f"{n_params / 1e9:.3g}B parameters on {n_gpus} GPUs")
        self.set_readout(
            "per GPU (GB, before activations): "
            + ", ".join(
                f"{label}: {m['total'] / 1e9:,.1f}"
                for label, m in zip(labels, self.memory, strict=True)
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
