"""Panel of 12_transformer_block: a model-size calculator.

Presets hold the public configurations of a few models; sliders change layers,
width, heads, vocabulary and MLP width. Parameters are counted analytically, for
the LLaMA layout with ``helpers.transformer.count_parameters`` and for the GPT-2
layout (learned positions, LayerNorm with biases, biased linear layers, GELU MLP)
with ``gpt2_parameter_count``.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from helpers.plotting import COLORS
from helpers.transformer import (
    DecoderConfig,
    kv_cache_bytes_per_token,
    parameter_breakdown,
    weights_bytes,
)
from helpers.validate import check_choice, check_int
from helpers.widgets import BenchCase, Panel

__all__ = [
    "PRESETS",
    "ModelSizePanel",
    "bench_cases",
    "gpt2_parameter_breakdown",
    "model_size_summary",
]

#: Public configurations: (layout, vocab, context, n_layer, n_head, d_model, d_ff,
#: tied embeddings, the parameter count reported for the released weights).
PRESETS = {
    "GPT-2 small": ("gpt2", 50257, 1024, 12, 12, 768, 3072, True, 124_439_808),
    "GPT-2 XL": ("gpt2", 50257, 1024, 48, 25, 1600, 6400, True, 1_557_611_200),
    "LLaMA-7B": ("llama", 32000, 4096, 32, 32, 4096, 11008, False, 6_738_415_616),
    "LLaMA-2-13B": ("llama", 32000, 4096, 40, 40, 5120, 13824, False, 13_015_864_320),
    "LLaMA-65B": ("llama", 32000, 2048, 80, 64, 8192, 22016, False, 65_285_660_672),
}
_PARTS = ("embeddings", "attention", "mlp", "norms", "output head")


def gpt2_parameter_breakdown(
    vocab_size: int, context_length: int, n_layer: int, d_model: int, d_ff: int
) -> dict[str, int]:
    """Parameters of a GPT-2-layout model (tied output head, biases everywhere).

    Introduced in 12_transformer_block.
    """
    for name, value in [
        ("vocab_size", vocab_size),
        ("context_length", context_length),
        ("n_layer", n_layer),
        ("d_model", d_model),
        ("d_ff", d_ff),
    ]:
        check_int(value, name, low=1)
    d = d_model
    return {
        "token embedding": vocab_size * d,
        "position embedding": context_length * d,  # learned, not sinusoidal
        "attention (qkv, o + biases)": n_layer * (4 * d * d + 4 * d),
        "mlp (fc, proj + biases)": n_layer * (2 * d * d_ff + d_ff + d),
        "layernorms": (2 * n_layer + 1) * 2 * d,  # weight and bias
        "output head": 0,  # tied to the token embedding
    }


def model_size_summary(
    layout: str,
    vocab_size: int,
    context_length: int,
    n_layer: int,
    n_head: int,
    d_model: int,
    d_ff: int,
    tied: bool,
) -> dict:
    """Parameters (total and by part), weights memory and KV cache per token.

    Introduced in 12_transformer_block.
    """
    check_choice(layout, "layout", ("llama", "gpt2"))
    config = DecoderConfig(
        vocab_size=vocab_size,
        context_length=context_length,
        n_layer=n_layer,
        n_head=n_head,
        d_model=d_model,
        d_ff=d_ff,
        tie_embeddings=bool(tied),
    )
    if layout == "llama":
        raw = parameter_breakdown(config)
        parts = dict(zip(_PARTS, raw.values(), strict=True))
    else:
        raw = gpt2_parameter_breakdown(
            vocab_size, context_length, n_layer, d_model, d_ff
        )
        values = list(raw.values())
        parts = dict(zip(_PARTS, [values[0] + values[1], *values[2:]], strict=True))
    total = sum(parts.values())
    return {
        "parts": parts,
        "total": total,
        "bytes": {
            name: weights_bytes(total, name) for name in ("fp32", "fp16", "int8")
        },
        "kv_bytes_per_token": kv_cache_bytes_per_token(config, dtype_bytes=2),
        "context_length": context_length,
    }


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
        self._finish()

    def _apply_preset(self, change=None) -> None:
        _, vocab, _, n_layer, n_head, d_model, d_ff, _, _ = PRESETS[
            self.controls["preset"].value
        ]
        self._applying_preset = True  # one redraw for the whole preset
        try:
            values = dict(
                n_layer=n_layer,
                n_head=n_head,
                d_model=d_model,
                vocab_size=vocab,
                d_ff=d_ff,
            )
            for name, value in values.items():
                self.controls[name].value = value
        finally:
            self._applying_preset = False

    def _on_change(self, change) -> None:
        if not self._applying_preset:
            self.refresh()

    def update(self) -> None:
        c = self.controls
        layout, vocab, context, *_, tied, published = PRESETS[c["preset"].value]
        info = model_size_summary(
            layout,
            c["vocab_size"].value,
            context,
            c["n_layer"].value,
            c["n_head"].value,
            c["d_model"].value,
            c["d_ff"].value,
            tied,
        )
        millions = np.array(list(info["parts"].values())) / 1e6
        for bar, width in zip(self._part_bars, millions, strict=True):
            bar.set_width(width)
        self.ax[0].set_xlim(0, max(millions.max(), 1e-3) * 1.1)
        gigabytes = np.array(list(info["bytes"].values())) / 1e9
        for bar, height in zip(self._mem_bars, gigabytes, strict=True):
            bar.set_height(height)
        self.ax[1].set_ylim(0, gigabytes.max() * 1.15)
        self.ax[0].set_title(f"{info['total'] / 1e9:.3f} B parameters", fontsize=10)
        kv = info["kv_bytes_per_token"]
        note = " = the released model" if info["total"] == published else ""
        self.set_readout(
            f"{info['total']:,} parameters ({layout} layout){note}\n"
            f"weights: FP32 {gigabytes[0]:.2f} GB, FP16 {gigabytes[1]:.2f} GB, "
            f"INT8 {gigabytes[2]:.2f} GB\n"
            f"{c['n_head'].value} heads x head_dim {c['d_model'].value // c['n_head'].value}"
            f" (heads split the width: they change neither count)\n"
            f"KV cache (FP16): {kv / 2**20:.3f} MiB per token, "
            f"{kv * context / 2**30:.2f} GiB for a full {context}-token context"
        )


def bench_cases() -> list[BenchCase]:
    return [
        BenchCase(
            "12_transformer_block: ModelSizePanel",
            ModelSizePanel,
            {
                "preset": ["GPT-2 small", "LLaMA-65B", "LLaMA-7B"],
                "n_layer": [8, 64],
                "d_model": [2048, 8192],
                "n_head": [16, 64],
                "vocab_size": [50000, 128000],
                "d_ff": [4096, 20000],
            },
        ),
    ]
