"""Panels of 11_self_attention: attention heatmaps of hand-made heads, and why
scores are divided by sqrt(d_k). The heads and the experiment are
``helpers.attention_demo``; this module only arranges controls and artists."""

from __future__ import annotations

import math

import ipywidgets as widgets
import numpy as np

from helpers.attention_demo import HEADS, SENTENCES, scaling_demo, toy_attention
from helpers.plotting import COLORS
from helpers.plotting.attention import draw_attention
from helpers.widgets import BenchCase, Panel

__all__ = ["AttentionPanel", "ScalingPanel", "bench_cases"]


class AttentionPanel(Panel):
    """Sentence, head, causal mask and temperature → the attention heatmap.

    Introduced in 11_self_attention.
    """

    def __init__(self, sentence: str = "repeated words", head: str = "same word"):
        super().__init__(figsize=(4.6, 4.0), dpi=72)
        self.fig.set_layout_engine("none")  # fixed margins: faster redraws
        self.ax.set_position([0.2, 0.22, 0.77, 0.7])  # fixed margins
        c = self.controls
        c["sentence"] = widgets.Dropdown(
            options=list(SENTENCES), value=sentence, description="sentence"
        )
        c["head"] = widgets.Dropdown(
            options=list(HEADS), value=head, description="head"
        )
        c["causal"] = widgets.Checkbox(value=True, description="causal mask")
        c["temperature"] = widgets.FloatLogSlider(
            value=1.0, base=10, min=-1, max=1, step=0.05, description="temperature"
        )
        self._image = None
        self._words: list[str] | None = None
        self._finish()

    def update(self) -> None:
        c = self.controls
        words = SENTENCES[c["sentence"].value].split()
        w = toy_attention(
            words,
            c["head"].value,
            causal=c["causal"].value,
            temperature=c["temperature"].value,
        )
        title = f"head: {c['head'].value}, T = {len(words)}"
        if words != self._words:  # a new sentence: new ticks, labels and numbers
            self._image = draw_attention(
                self.ax, w, words, title=title, image=self._image,
                annotate=len(words) <= 6,
            )  # fmt: skip
            self._words = words
            self.set_moving([self._image, self.ax.title, *self.ax.texts])
        else:  # same sentence: only the colours, the numbers and the title move
            self._image.set_data(w)
            self.ax.set_title(title, fontsize=10)
            for text, value in zip(self.ax.texts, w.ravel(), strict=False):
                text.set_text(f"{value:.2f}")  # row-major, as draw_attention wrote them
                text.set_color("white" if value > 0.6 else "black")
        entropy = -(w * np.log(np.where(w > 0, w, 1.0))).sum(axis=1)  # per row
        self.set_readout(
            f"each row sums to 1; largest weight {w.max():.2f}; "
            f"mean row entropy {entropy.mean():.2f} nats "
            f"(uniform over {len(words)} keys: {math.log(len(words)):.2f})"
        )


class ScalingPanel(Panel):
    """A d_k slider and a scale toggle → the softmax weights of one query row.

    Introduced in 11_self_attention.
    """

    def __init__(self, d_k: int = 64):
        super().__init__(figsize=(5.5, 2.8), dpi=72)
        self.fig.set_layout_engine("none")  # fixed margins: faster redraws
        self.ax.set_position([0.12, 0.18, 0.86, 0.7])
        self.controls["d_k"] = widgets.SelectionSlider(
            options=[2**i for i in range(0, 11)], value=d_k, description="d_k"
        )
        self.controls["scaled"] = widgets.Checkbox(
            value=True, description="divide by sqrt(d_k)"
        )
        for size in self.controls["d_k"].options:  # every setting once: moves are fast
            for scaled in (True, False):
                scaling_demo(size, scaled=scaled)
        self._bars = self.ax.bar(range(16), np.zeros(16), color=COLORS[0])
        self.ax.set_ylim(0, 1.02)
        self.ax.set_xlabel("key j")
        self.ax.set_ylabel("softmax weight")
        self.moving = [*self._bars, self.ax.title]
        self._finish()

    def update(self) -> None:
        d_k, scaled = self.controls["d_k"].value, self.controls["scaled"].value
        demo = scaling_demo(d_k, scaled=scaled)
        for bar, height in zip(self._bars, demo["first_row"], strict=True):
            bar.set_height(height)
        label = "q.k / sqrt(d_k)" if scaled else "q.k (unscaled)"
        self.ax.set_title(f"one query over 16 keys, d_k = {d_k}, {label}", fontsize=10)
        self.set_readout(
            f"std of scores {demo['score_std']:.2f}; mean largest weight "
            f"{demo['max_weight']:.2f} (1.00 = one-hot, saturated)"
        )


def bench_cases() -> list[BenchCase]:
    return [
        BenchCase(
            "11_self_attention: AttentionPanel",
            AttentionPanel,
            {
                "sentence": ["the cat sat on the mat", "red fuji apple"],
                "head": ["previous token", "first token", "random (untrained)"],
                "causal": [False, True],
                "temperature": [0.2, 3.0],
            },
        ),
        BenchCase(
            "11_self_attention: ScalingPanel",
            ScalingPanel,
            {"d_k": [1, 256, 1024], "scaled": [False, True]},
        ),
    ]
