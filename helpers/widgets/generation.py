"""Panel of 13_train_a_tiny_llm: type a prompt, set the sampling knobs, read the
model's continuation."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import torch

from helpers.plotting import COLORS
from helpers.sampling import make_sampler, next_token_probs
from helpers.transformer import Decoder, generate
from helpers.validate import check_int
from helpers.widgets import BenchCase, Panel

__all__ = ["GenerationPanel", "bench_cases", "continue_text"]

_TOP = 10  # bars shown: the 10 most likely next tokens


def continue_text(
    model: Decoder,
    tokenizer,
    prompt: str,
    *,
    max_new_tokens: int = 60,
    temperature: float = 0.8,
    top_k: int | None = None,
    top_p: float | None = None,
    seed: int = 0,
) -> str:
    """The model's continuation of ``prompt`` (the new text only).

    Unknown characters raise ``ValueError`` naming them; an empty prompt is
    refused. Introduced in 13_train_a_tiny_llm.
    """
    if not isinstance(prompt, str) or prompt == "":
        raise ValueError("type a prompt of at least one character")
    max_new_tokens = check_int(max_new_tokens, "max_new_tokens", low=1, high=2000)
    ids = tokenizer.encode(prompt)  # ValueError for characters outside the vocabulary
    device = next(model.parameters()).device
    idx = torch.tensor([ids], dtype=torch.long, device=device)  # (1, T)
    sampler = make_sampler(
        temperature, top_k, top_p, generator=torch.Generator().manual_seed(seed)
    )
    out = generate(model, idx, max_new_tokens, sample=sampler)  # (1, T + new)
    return tokenizer.decode(out[0, len(ids) :].tolist())


class GenerationPanel(Panel):
    """Prompt box, temperature, top-k, top-p and length → generated text, and the
    next-token distribution after the prompt. Introduced in 13_train_a_tiny_llm.
    """

    def __init__(self, model: Decoder, tokenizer, prompt: str = "", *, seed: int = 0):
        super().__init__(figsize=(6.0, 2.6))
        if not isinstance(model, Decoder):
            raise TypeError(f"model must be a Decoder, got {type(model).__name__}")
        self.model, self.tokenizer, self.seed = model, tokenizer, seed
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
        text = continue_text(
            self.model,
            self.tokenizer,
            prompt,
            max_new_tokens=self.controls["length"].value,
            seed=self.seed,
            **s,
        )
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
        shown = ", ".join(
            f"#{i + 1} {self.tokenizer.decode([int(t)])!r}" for i, t in enumerate(order)
        )
        self.set_readout(f"{prompt}{text}\n\nmost likely next: {shown}")


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
                "length": [20],
            },
        )
    ]
