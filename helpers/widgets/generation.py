"""Panel of 13_train_a_tiny_llm: type a prompt, set the sampling knobs, read the
model's continuation (computed in steps by ``helpers.sampling.stream_text``: a move
shows the next-token bars and the first tokens at once, the rest follows while the
kernel stays free)."""

from __future__ import annotations

import asyncio

import ipywidgets as widgets
import numpy as np
import torch

from helpers.plotting import COLORS
from helpers.sampling import next_token_probs, stream_text
from helpers.transformer import Decoder
from helpers.widgets import BenchCase, Panel

__all__ = ["GenerationPanel", "bench_cases"]

_TOP = 10  # bars shown: the 10 most likely next tokens


class GenerationPanel(Panel):
    """Prompt box, temperature, top-k, top-p and length → generated text, and the
    next-token distribution after the prompt. Introduced in 13_train_a_tiny_llm.
    """

    #: New tokens per step of the continuation: a step stays within a slider
    #: move's time budget even for 13's CPU model (a few ms per token); fixed, so
    #: the text does not depend on the machine's speed.
    TOKENS_PER_STEP = 6

    def __init__(self, model: Decoder, tokenizer, prompt: str = "", *, seed: int = 0):
        super().__init__(figsize=(6.0, 2.6))
        if not isinstance(model, Decoder):
            raise TypeError(f"model must be a Decoder, got {type(model).__name__}")
        self.model, self.tokenizer, self.seed = model, tokenizer, seed
        self.text, self._next, self._stream, self._job = "", "", None, 0
        self._steps = 0
        prompt = prompt or tokenizer.chars[0]
        c = self.controls
        c["prompt"] = widgets.Text(
            value=prompt, description="prompt", continuous_update=False
        )
        c["temperature"] = widgets.FloatSlider(
            value=0.8,
            min=0.0,
            max=2.0,
            step=0.05,
            description="temperature",
            continuous_update=False,
        )
        c["top_k"] = widgets.IntSlider(
            value=0,
            min=0,
            max=min(50, tokenizer.vocab_size),
            description="top-k (0=off)",
            continuous_update=False,
        )
        c["top_p"] = widgets.FloatSlider(
            value=1.0,
            min=0.05,
            max=1.0,
            step=0.05,
            description="top-p",
            continuous_update=False,
        )
        c["length"] = widgets.IntSlider(
            value=60, min=1, max=300, description="length", continuous_update=False
        )
        x = np.arange(_TOP)
        self.bars_all = self.ax.bar(
            x,
            np.zeros(_TOP),
            color="none",
            edgecolor=COLORS[7],
            lw=0.8,
            label="softmax",
        )
        self.bars = self.ax.bar(
            x,
            np.zeros(_TOP),
            color=COLORS[0],
            alpha=0.8,
            label="after temperature / top-k / top-p",
        )
        self.ax.set_ylim(0, 1)
        self.ax.set_xticks(x, [f"#{i + 1}" for i in x], fontsize=8)
        self.ax.set_xlabel("next-token rank (characters listed below)")
        self.ax.set_ylabel("probability")
        self.ax.legend(fontsize=7, loc="upper right")
        self.moving = [*self.bars_all, *self.bars, self.ax.get_legend()]
        self._finish()
        self.fig.set_layout_engine("none")

    def settings(self) -> dict:
        """The sampling settings the controls describe (0 / 1.0 mean off)."""
        c = self.controls
        return {
            "temperature": c["temperature"].value,
            "top_k": c["top_k"].value or None,
            "top_p": c["top_p"].value if c["top_p"].value < 1.0 else None,
        }

    def update(self) -> None:
        prompt, s = self.controls["prompt"].value, self.settings()
        # the continuation comes in steps of TOKENS_PER_STEP tokens: the first now,
        # the others from the kernel's event loop (each a short callback), so a
        # long continuation never blocks the kernel; a new move drops the old one
        self._stream = stream_text(
            self.model,
            self.tokenizer,
            prompt,
            max_new_tokens=self.controls["length"].value,
            seed=self.seed,
            tokens_per_step=self.TOKENS_PER_STEP,
            **s,
        )
        self._job += 1
        self.text, self._steps = next(self._stream), 1
        ids = torch.tensor(
            [self.tokenizer.encode(prompt)[-self.model.config.context_length :]]
        )
        with torch.no_grad():
            logits = self.model.eval()(ids.to(next(self.model.parameters()).device))
        logits = logits[0, -1].float().cpu()  # (V,)
        full = torch.softmax(logits, -1)
        probs = next_token_probs(logits, **s)
        order = torch.argsort(full, descending=True)[:_TOP]
        for bar, value in zip(self.bars_all, full[order].tolist(), strict=False):
            bar.set_height(value)
        for bar, value in zip(self.bars, probs[order].tolist(), strict=False):
            bar.set_height(value)
        self._next = ", ".join(
            f"#{i + 1} {self.tokenizer.decode([int(t)])!r}" for i, t in enumerate(order)
        )
        self._show_text()
        self._continue_later(self._job)

    def _show_text(self) -> None:
        prompt, length = self.controls["prompt"].value, self.controls["length"].value
        made = min(self._steps * self.TOKENS_PER_STEP, length)
        progress = (
            f"\n[generating: {made} of {length} tokens so far]"
            if self._stream is not None and made < length
            else ""
        )
        self.set_readout(
            f"{prompt}{self.text}{progress}\n\nmost likely next: {self._next}"
        )

    def _step(self) -> bool:
        """One more step of the continuation; False once it is complete."""
        if self._stream is None:
            return False
        try:
            with self.compute_threads():
                self.text = next(self._stream)
            self._steps += 1
        except StopIteration:
            self._stream = None
        self._show_text()
        return self._stream is not None

    def _continue_later(self, job: int) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop (tests, site builder): see settle()
            return

        def step() -> None:
            if job != self._job:
                return  # a newer move replaced this continuation
            try:
                more = self._step()
            except Exception as exc:  # shown, never raised into the event loop
                self._stream = None
                self.status.value = f"⚠️ {type(exc).__name__}: {exc}"
                return
            if more:
                loop.call_soon(step)

        loop.call_soon(step)

    def site_grid(self) -> dict[str, list]:
        """Greedy to wild, with and without top-k / top-p (prompt and length fixed)."""
        return {
            "temperature": [0.0, 0.5, 0.8, 1.2, 2.0],
            "top_k": [0, 5],
            "top_p": [1.0, 0.5],
        }

    def settle(self) -> None:
        """Finish the continuation now (the static site and tests call this)."""
        while self._step():
            pass


def bench_cases() -> list[BenchCase]:
    """An untrained small model: the panel's cost does not depend on training."""

    def make() -> GenerationPanel:
        from helpers.data.char_tokenizer import CharTokenizer
        from helpers.transformer import DecoderConfig

        tokenizer = CharTokenizer.from_text("abcdefghijklmnopqrstuvwxyz ,.\n")
        torch.manual_seed(0)
        config = DecoderConfig(
            vocab_size=tokenizer.vocab_size,
            context_length=128,
            n_layer=2,
            n_head=4,
            d_model=64,
            d_ff=192,
        )
        return GenerationPanel(Decoder(config), tokenizer, "hello world", seed=0)

    return [
        BenchCase(
            "13_train_a_tiny_llm: GenerationPanel",
            make,
            {
                "temperature": [0.0, 1.5],
                "top_k": [5],
                "top_p": [0.5],
                "prompt": ["the model", "zebra"],
                "length": [20, 300],
            },
        )
    ]
