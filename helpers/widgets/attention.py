"""Panels of 11_self_attention: attention heatmaps of hand-made heads, and why
scores are divided by sqrt(d_k)."""

from __future__ import annotations

import functools
import math
import zlib

import ipywidgets as widgets
import numpy as np
import torch

from helpers.plotting import COLORS
from helpers.plotting.attention import draw_attention
from helpers.transformer import scaled_dot_product_attention
from helpers.validate import check_choice, check_int, check_number
from helpers.widgets import BenchCase, Panel

__all__ = [
    "HEADS",
    "SENTENCES",
    "AttentionPanel",
    "ScalingPanel",
    "bench_cases",
    "scaling_demo",
    "toy_attention",
]

#: Sentences for the panel (ASCII: their words appear in the plot).
SENTENCES = {
    "the cat sat on the mat": "the cat sat on the mat",
    "apple phone (iPhone)": "i bought a new apple phone",
    "red fuji apple": "she ate a red fuji apple",
    "repeated words": "the dog chased the cat and the cat ran",
}
#: What each hand-made head looks for.
HEADS = ("same word", "previous token", "first token", "random (untrained)")

_WORD_DIM, _MAX_T = 16, 16
_STRENGTH = 4.0  # score of a full match at temperature 1 (e^4 ≈ 55 : 1)


def _word_vector(word: str) -> torch.Tensor:
    """A fixed random unit vector per word (seeded by the word's CRC32)."""
    gen = torch.Generator().manual_seed(zlib.crc32(word.encode()))
    v = torch.randn(_WORD_DIM, generator=gen, dtype=torch.float64)
    return v / v.norm()


def toy_attention(words, head: str, *, causal: bool = True, temperature: float = 1.0):
    """Attention weights (T, T) of one hand-made head over ``words``.

    Each head builds queries and keys (T, d) so that q_i . k_j is large exactly
    where the head should look; the weights are then
    softmax(q k^T / (temperature * sqrt(d))) with an optional causal mask.
    Introduced in 11_self_attention.
    """
    check_choice(head, "head", HEADS)
    words = list(words)
    T = check_int(len(words), "number of words", low=1, high=_MAX_T)
    temperature = check_number(temperature, "temperature", low=0.01, high=100)
    emb = torch.stack([_word_vector(w) for w in words])  # (T, _WORD_DIM)
    pos = torch.eye(_MAX_T, dtype=torch.float64)[:T]  # (T, _MAX_T) one-hot positions
    if head == "same word":  # q = k = word vector: equal words score highest
        q, k = emb, emb
    elif head == "previous token":  # query at i asks for the one-hot of i - 1
        q, k = torch.roll(pos, shifts=-1, dims=1), pos
        q[0] = 0.0  # the first token has no previous token
    elif head == "first token":  # every query matches the key of position 0 only
        q, k = torch.ones(T, 1, dtype=torch.float64), pos[:, :1]  # (T, 1) each
    else:  # random projections of the word vectors, like an untrained head
        gen = torch.Generator().manual_seed(0)
        w_q = torch.randn(_WORD_DIM, _WORD_DIM, generator=gen, dtype=torch.float64)
        w_k = torch.randn(_WORD_DIM, _WORD_DIM, generator=gen, dtype=torch.float64)
        q, k = emb @ w_q, emb @ w_k  # (T, d) @ (d, d) -> (T, d)
    if head != "random (untrained)":  # a full match scores _STRENGTH after 1/sqrt(d)
        boost = math.sqrt(_STRENGTH) * q.shape[-1] ** 0.25
        q, k = q * boost, k * boost
    scale = 1.0 / (temperature * math.sqrt(q.shape[-1]))
    _, weights = scaled_dot_product_attention(
        q, k, k, causal, scale=scale, return_weights=True
    )
    return weights.numpy()  # (T, T)


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
        self._image = draw_attention(
            self.ax, w, words, title=title, image=self._image, annotate=len(words) <= 6
        )
        entropy = -(w * np.log(np.where(w > 0, w, 1.0))).sum(axis=1)  # per row
        self.set_readout(
            f"each row sums to 1; largest weight {w.max():.2f}; "
            f"mean row entropy {entropy.mean():.2f} nats "
            f"(uniform over {len(words)} keys: {math.log(len(words)):.2f})"
        )


def scaling_demo(
    d_k: int, *, scaled: bool = True, n_keys: int = 16, n_rows: int = 128, seed: int = 0
) -> dict[str, float]:
    """Random q, k with unit-variance entries: std of the scores and the mean
    largest softmax weight per row, with or without dividing by sqrt(d_k).

    Results are cached (the panel revisits the same few settings).
    Introduced in 11_self_attention.
    """
    d_k = check_int(d_k, "d_k", low=1, high=4096)
    std, max_weight, first_row = _scaling_demo(d_k, bool(scaled), n_keys, n_rows, seed)
    return {"score_std": std, "max_weight": max_weight, "first_row": first_row.copy()}


@functools.lru_cache(maxsize=64)
def _scaling_demo(d_k, scaled, n_keys, n_rows, seed):
    gen = torch.Generator().manual_seed(seed)
    q = torch.randn(n_rows, 1, d_k, generator=gen, dtype=torch.float64)
    k = torch.randn(n_rows, n_keys, d_k, generator=gen, dtype=torch.float64)
    # (rows, 1, d_k) @ (rows, d_k, keys) -> (rows, 1, keys)
    scores = q @ k.transpose(-2, -1)
    if scaled:
        scores = scores / math.sqrt(d_k)
    weights = torch.softmax(scores, dim=-1)
    max_weight = float(weights.max(dim=-1).values.mean())
    return float(scores.std()), max_weight, weights[0, 0].numpy()


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
        self._bars = self.ax.bar(range(16), np.zeros(16), color=COLORS[0])
        self.ax.set_ylim(0, 1.02)
        self.ax.set_xlabel("key j")
        self.ax.set_ylabel("softmax weight")
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
