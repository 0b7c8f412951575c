"""Panels of 14_inference_and_kv_cache: sampling knobs on one distribution, and
the paged vs contiguous KV-cache allocation simulator. The example distribution
and the allocation runs are ``helpers.sampling``; this module only draws them."""

from __future__ import annotations

import ipywidgets as widgets
import torch

from helpers.plotting.inference import draw_distribution, draw_memory_maps
from helpers.sampling import (
    EXAMPLE_LOGITS,
    EXAMPLE_WORDS,
    allocate_both,
    next_token_probs,
    random_lengths,
)
from helpers.validate import check_int
from helpers.widgets import BenchCase, Panel

__all__ = ["PagedAllocationPanel", "SamplingPanel", "bench_cases"]


def _entropy(probs: torch.Tensor) -> float:
    p = probs[probs > 0]
    return float(-(p * p.log()).sum())


class SamplingPanel(Panel):
    """Temperature, top-k and top-p applied to one next-word distribution.

    Introduced in 14_inference_and_kv_cache.
    """

    def __init__(self):
        super().__init__(figsize=(6.0, 3.0))
        c = self.controls
        c["temperature"] = widgets.FloatSlider(
            value=1.0, min=0.0, max=3.0, step=0.05, description="temperature"
        )
        c["top_k"] = widgets.IntSlider(
            value=len(EXAMPLE_WORDS), min=1, max=len(EXAMPLE_WORDS), description="top-k"
        )
        c["top_p"] = widgets.FloatSlider(
            value=1.0, min=0.05, max=1.0, step=0.05, description="top-p"
        )
        self.original = torch.softmax(EXAMPLE_LOGITS, -1)
        self.bars = draw_distribution(
            self.ax,
            self.original,
            self.original,
            EXAMPLE_WORDS,
            title='next word after "The cat sat on the"',
        )
        self.moving = [*self.bars, self.ax.get_legend()]
        self._finish()
        self.fig.set_layout_engine("none")

    def probs(self) -> torch.Tensor:
        """The distribution the current settings sample from."""
        c = self.controls
        return next_token_probs(
            EXAMPLE_LOGITS, c["temperature"].value, c["top_k"].value, c["top_p"].value
        )

    def update(self) -> None:
        probs = self.probs()
        for bar, value in zip(self.bars, probs.tolist(), strict=True):
            bar.set_height(value)
        kept = [w for w, p in zip(EXAMPLE_WORDS, probs.tolist(), strict=True) if p > 0]
        self.set_readout(
            f"candidates kept: {len(kept)} ({', '.join(kept)})\n"
            f"largest probability: {float(probs.max()):.3f}   "
            f"entropy: {_entropy(probs):.3f} nats"
        )


class PagedAllocationPanel(Panel):
    """Requests of random lengths stored in a fixed KV memory: contiguous
    reservations vs PagedAttention blocks. Introduced in 14_inference_and_kv_cache.
    """

    SLOTS_PER_ROW = 32

    def __init__(self, capacity: int = 512):
        super().__init__(figsize=(7.0, 3.2), ncols=2)
        self.capacity = check_int(capacity, "capacity", low=64)
        c = self.controls
        c["n_requests"] = widgets.IntSlider(
            value=6, min=1, max=12, description="requests"
        )
        c["max_seq_len"] = widgets.IntSlider(
            value=128, min=32, max=256, step=32, description="max length"
        )
        c["block_size"] = widgets.Dropdown(
            options=[1, 2, 4, 8, 16, 32], value=16, description="block size"
        )
        c["seed"] = widgets.IntSlider(value=0, min=0, max=20, description="seed")
        self._finish()

    def update(self) -> None:
        c = self.controls
        lengths = random_lengths(
            c["n_requests"].value, c["max_seq_len"].value, c["seed"].value
        )
        contiguous, paged, admitted = allocate_both(
            lengths, c["max_seq_len"].value, c["block_size"].value, self.capacity
        )
        draw_memory_maps(
            contiguous,
            paged,
            slots_per_row=self.SLOTS_PER_ROW,
            fig_axes=(self.fig, self.ax),
        )
        rc, rp = contiguous.report(), paged.report()
        self.set_readout(
            f"request lengths: {lengths}  (memory: {self.capacity} slots)\n"
            f"contiguous: {admitted['contiguous']} requests fit, "
            f"{rc.wasted_slots} slots wasted ({rc.waste_fraction:.0%} of reserved)\n"
            f"paged:      {admitted['paged']} requests fit, "
            f"{rp.wasted_slots} slots wasted ({rp.waste_fraction:.0%} of reserved)"
        )


def bench_cases() -> list[BenchCase]:
    return [
        BenchCase(
            "14_inference_and_kv_cache: SamplingPanel",
            SamplingPanel,
            {"temperature": [0.3, 2.0], "top_p": [0.5], "top_k": [3, 1]},
        ),
        BenchCase(
            "14_inference_and_kv_cache: PagedAllocationPanel",
            PagedAllocationPanel,
            {
                "n_requests": [3, 10],
                "max_seq_len": [64, 256],
                "block_size": [4, 32],
                "seed": [5],
            },
        ),
    ]
