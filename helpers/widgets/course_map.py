"""Panels of 00_course_map: a widget-rendering check and the pipeline explorer."""

from __future__ import annotations

import html

import ipywidgets as widgets
import numpy as np

from helpers.course import NOTEBOOKS, PIPELINE, notebook_file, wave
from helpers.plotting import COLORS
from helpers.plotting.course_map import plot_pipeline
from helpers.validate import check_choice
from helpers.widgets import BenchCase, Panel

__all__ = [
    "PipelinePanel",
    "WidgetCheckPanel",
    "bench_cases",
    "stage_readout_html",
]


class WidgetCheckPanel(Panel):
    """Two sliders that move a sine wave: if the curve follows the sliders, this
    machine renders widgets. Introduced in 00_course_map."""

    def __init__(self):
        super().__init__(figsize=(5.0, 2.4))
        self.controls["frequency"] = widgets.FloatSlider(
            value=1.0, min=0.5, max=4.0, step=0.5, description="frequency"
        )
        self.controls["amplitude"] = widgets.FloatSlider(
            value=1.0, min=0.2, max=2.0, step=0.2, description="amplitude"
        )
        self.x = np.linspace(0, 2, 200)
        (self.line,) = self.ax.plot(self.x, np.zeros_like(self.x), color=COLORS[0])
        self.ax.set_ylim(-2.2, 2.2)
        self.ax.set_xlabel("x")
        self.ax.set_ylabel("y")
        self.ax.grid(alpha=0.3)
        self.moving = [self.line, self.ax.title]
        self._finish()
        self.fig.set_layout_engine("none")  # keep the first layout: faster redraws

    def update(self) -> None:
        f = self.controls["frequency"].value
        a = self.controls["amplitude"].value
        self.line.set_ydata(wave(self.x, f, a))
        self.ax.set_title(rf"$y = {a:.1f}\,\sin(2\pi \cdot {f:.1f}\,x)$")
        self.set_readout(f"frequency = {f:.1f}, amplitude = {a:.1f}")


def stage_readout_html(key: str) -> str:
    """HTML describing pipeline stage ``key``, with links to its notebooks.

    Introduced in 00_course_map.
    """
    check_choice(key, "stage", [s.key for s in PIPELINE])
    stage = next(s for s in PIPELINE if s.key == key)
    titles = list(NOTEBOOKS.values())
    links = " · ".join(
        f'<a href="{notebook_file(n)}">{n:02d} {html.escape(titles[n])}</a>'
        for n in stage.notebooks
    )
    return (
        f"<b>{html.escape(stage.name_zh)}</b> ({html.escape(stage.label)})："
        f"{html.escape(stage.summary_zh)}<br>"
        f"数据形状 (shape)：<code>{html.escape(stage.shape)}</code><br>"
        f"在这里学 (taught in)：{links}"
    )


class PipelinePanel(Panel):
    """Step along the path text → tokens → IDs → embeddings → N × decoder block →
    output head → probabilities; the chosen stage is highlighted and linked to the
    notebooks that teach it. Introduced in 00_course_map."""

    def __init__(self, stage: str = "text"):
        super().__init__(figsize=(1, 1))  # replaced by the pipeline figure below
        self.fig, self.boxes = plot_pipeline()
        self.ax = self.fig.axes[0]
        self.controls["stage"] = widgets.SelectionSlider(
            options=[(s.label.replace("\n", " "), s.key) for s in PIPELINE],
            value=stage,
            description="stage",
            layout=widgets.Layout(width="600px"),
        )
        # the boxes change colour; their labels are drawn over them
        self.moving = [*self.boxes.values(), *self.ax.texts]
        self._finish()
        self.fig.set_layout_engine("none")  # keep the first layout: faster redraws

    def update(self) -> None:
        key = self.controls["stage"].value
        for name, box in self.boxes.items():
            box.set_facecolor(COLORS[4] if name == key else "#DCEBF7")
        self.readout.value = stage_readout_html(key)


def bench_cases() -> list[BenchCase]:
    return [
        BenchCase(
            "00_course_map: WidgetCheckPanel",
            WidgetCheckPanel,
            {"frequency": [2.0, 3.5], "amplitude": [0.6, 1.8]},
        ),
        BenchCase(
            "00_course_map: PipelinePanel",
            PipelinePanel,
            {"stage": ["tokenizer", "decoder", "probs", "text"]},
        ),
    ]
