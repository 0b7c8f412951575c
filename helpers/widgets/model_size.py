"""Panel of 12_transformer_block: a model-size calculator.

Presets (``helpers.sizing.PRESETS``) hold the public configurations of a few
models, grouped-query ones included; sliders change layers, width, query heads,
key/value heads, vocabulary and MLP width. All the arithmetic is
``helpers.sizing.model_size_summary``; this module only arranges controls and
artists.
"""

from __future__ import annotations

from dataclasses import replace

import ipywidgets as widgets
import numpy as np

from helpers.plotting import COLORS, nice_ceiling
from helpers.sizing import PRESETS, format_bytes, model_size_summary, to_unit
from helpers.widgets import BenchCase, Panel

__all__ = ["ModelSizePanel", "bench_cases"]

_PARTS = ("embeddings", "attention", "mlp", "norms", "output head")


def _largest_divisor_at_most(n: int, limit: int) -> int:
    return max(d for d in range(1, min(n, limit) + 1) if n % d == 0)


class ModelSizePanel(Panel):
    """Preset + sliders → parameters by part, weights memory and KV cache.

    Introduced in 12_transformer_block.
    """

    def __init__(self, preset: str = "LLaMA-7B"):
        super().__init__(figsize=(7.5, 3.0), ncols=2, dpi=72)
        self.fig.set_layout_engine("none")  # fixed margins: faster redraws
        self.ax[0].set_position([0.17, 0.17, 0.36, 0.73])
        self.ax[1].set_position([0.64, 0.17, 0.34, 0.73])
        c = self.controls
        c["preset"] = widgets.Dropdown(
            options=list(PRESETS), value=preset, description="preset"
        )

        def slider(name, lo, hi, step):
            return widgets.IntSlider(
                min=lo, max=hi, step=step, description=name, continuous_update=False
            )

        c["n_layer"] = slider("n_layer", 1, 96, 1)
        c["d_model"] = slider("d_model", 64, 12288, 64)
        c["n_head"] = slider("n_head", 1, 128, 1)
        c["n_kv_head"] = slider("n_kv_head", 1, 128, 1)
        c["vocab_size"] = slider("vocab", 1000, 256000, 1000)
        c["d_ff"] = slider("d_ff", 64, 49152, 64)
        left, right = self.ax
        self._part_bars = left.barh(range(5), np.zeros(5), color=COLORS[0])
        left.set_yticks(range(5), list(_PARTS))
        left.invert_yaxis()
        left.set_xlabel("parameters (millions)")
        self._mem_bars = right.bar(range(3), np.zeros(3), color=COLORS[1:4])
        right.set_xticks(range(3), ["FP32", "FP16", "INT8"])
        right.set_ylabel("weights memory (GB)")
        self._applying_preset = False
        c["preset"].observe(self._apply_preset, names="value")
        self._apply_preset()
        self.moving = [*self._part_bars, *self._mem_bars, left.title]
        self._finish()

    def _apply_preset(self, change=None) -> None:
        config = PRESETS[self.controls["preset"].value].config
        self._applying_preset = True  # one redraw for the whole preset
        try:
            for name in ("n_layer", "n_head", "d_model", "vocab_size", "d_ff"):
                self.controls[name].value = getattr(config, name)
            self.controls["n_kv_head"].value = config.kv_heads
        finally:
            self._applying_preset = False

    def _on_change(self, change) -> None:
        if self._applying_preset:
            return
        c = self.controls
        if change is not None and change.get("owner") in (c["n_head"], c["n_kv_head"]):
            # keep n_kv_head a divisor of n_head (the nearest one below)
            fitted = _largest_divisor_at_most(c["n_head"].value, c["n_kv_head"].value)
            if fitted != c["n_kv_head"].value:
                self._applying_preset = True
                try:
                    c["n_kv_head"].value = fitted
                finally:
                    self._applying_preset = False
        self.refresh()

    def site_grid(self) -> dict[str, list]:
        """Every preset (its sliders follow it), then a few depths for each: "what
        if this model had 12 / 24 / 48 / 80 layers?"."""
        start = self.controls["n_layer"].value
        return {"preset": list(PRESETS), "n_layer": sorted({start, 12, 24, 48, 80})}

    def config(self):
        """The ``DecoderConfig`` the controls describe (preset + slider values)."""
        c = self.controls
        n_head = c["n_head"].value
        n_kv_head = _largest_divisor_at_most(n_head, c["n_kv_head"].value)
        return replace(
            PRESETS[c["preset"].value].config,
            n_layer=c["n_layer"].value,
            n_head=n_head,
            n_kv_head=n_kv_head,
            d_model=c["d_model"].value,
            vocab_size=c["vocab_size"].value,
            d_ff=c["d_ff"].value,
        )

    def update(self) -> None:
        preset = PRESETS[self.controls["preset"].value]
        config = self.config()
        info = model_size_summary(config, preset.layout)
        millions = np.array(list(info["parts"].values())) / 1e6
        for bar, width in zip(self._part_bars, millions, strict=True):
            bar.set_width(width)
        # 1-2-5 limits: a move redraws only the bars unless the scale changes
        self.ax[0].set_xlim(0, nice_ceiling(max(millions.max(), 1e-3) * 1.1))
        gigabytes = np.array([to_unit(b, "GB") for b in info["bytes"].values()])
        for bar, height in zip(self._mem_bars, gigabytes, strict=True):
            bar.set_height(height)
        self.ax[1].set_ylim(0, nice_ceiling(gigabytes.max() * 1.15))
        self.ax[0].set_title(f"{info['total'] / 1e9:.3f} B parameters", fontsize=10)
        kv, context = info["kv_bytes_per_token"], config.context_length
        note = (
            " = the released model" if info["total"] == preset.published_params else ""
        )
        kind = (
            "MHA"
            if config.kv_heads == config.n_head
            else "MQA"
            if config.kv_heads == 1
            else "GQA"
        )
        fp16, int8 = info["bytes"]["fp16"], info["bytes"]["int8"]
        self.set_readout(
            f"{info['total']:,} parameters ({preset.layout} layout){note}\n"
            f"weights: FP16 {format_bytes(fp16)}, INT8 {format_bytes(int8)}\n"
            f"{config.n_head} query heads x head_dim {config.head_dim}, "
            f"{config.kv_heads} KV head(s): {kind}\n"
            f"KV cache (FP16): {format_bytes(kv)} per token, "
            f"{format_bytes(kv * context)} for a full {context}-token context"
        )


def bench_cases() -> list[BenchCase]:
    return [
        BenchCase(
            "12_transformer_block: ModelSizePanel",
            ModelSizePanel,
            {
                "preset": ["GPT-2 small", "LLaMA-2-70B", "Mistral-7B-v0.1", "LLaMA-7B"],
                "n_layer": [8, 64],
                "d_model": [2048, 8192],
                "n_head": [16, 64],
                "n_kv_head": [8, 1],
                "vocab_size": [50000, 128000],
                "d_ff": [4096, 20000],
            },
        ),
    ]
