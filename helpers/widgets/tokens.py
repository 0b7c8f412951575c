"""Panel of 09_tokens_and_embeddings: type a text, see its tokens under a character
tokenizer, raw UTF-8 bytes and a byte-level BPE with a chosen number of merges."""

from __future__ import annotations

import html

import ipywidgets as widgets

from helpers.plotting import COLORS, nice_ceiling
from helpers.tokenizer_demo import (
    CORPORA,
    MAX_MERGES,
    compression_curve,
    corpus_bytes_per_token,
    demo_tokenizers,
    token_counts,
)
from helpers.widgets import BenchCase, Panel

__all__ = ["TokenizerPanel", "bench_cases"]

#: Characters analysed per keystroke: BPE-encoding 2,000 characters takes about
#: 10 ms here, 100,000 would take half a second, so a pasted book only shows its
#: first part (the readout says so).
MAX_TEXT_CHARS = 2_000


class TokenizerPanel(Panel):
    """A text box → tokens under char / bytes / BPE, merges on a slider, IDs and
    counts. Introduced in 09_tokens_and_embeddings."""

    def __init__(
        self, text: str = "Tokenizers turn text into IDs. 分词器把文字变成编号。"
    ):
        super().__init__(
            figsize=(7.0, 2.8), ncols=2, gridspec_kw={"width_ratios": [1, 1.2]}
        )
        self.controls["text"] = widgets.Textarea(
            value=text, description="text", layout=widgets.Layout(width="95%")
        )
        self.controls["corpus"] = widgets.Dropdown(
            options=list(CORPORA), value="english+chinese", description="trained on"
        )
        self.controls["merges"] = widgets.IntSlider(
            value=100, min=0, max=MAX_MERGES, step=10, description="merges"
        )
        self.tokens_html = widgets.HTML()
        bars_ax, curve_ax = self.ax
        labels = ["characters", "UTF-8 bytes", "BPE tokens"]
        self.bars = bars_ax.barh(labels, [1, 1, 1], color=COLORS[:3])
        bars_ax.invert_yaxis()
        bars_ax.set_xlabel("count for this text")
        self.bar_texts = [bars_ax.text(0, i, "", va="center") for i in range(3)]
        (self.curve,) = curve_ax.plot([], [], "-o", ms=3, color=COLORS[0])
        (self.here,) = curve_ax.plot([], [], "*", ms=12, color=COLORS[1])
        curve_ax.set_xlabel("number of merges")
        curve_ax.set_ylabel("bytes per token (corpus)")
        curve_ax.grid(alpha=0.3)
        self.moving = [*self.bars, *self.bar_texts, self.curve, self.here,
                       curve_ax.title]  # fmt: skip
        self._finish()
        # keep the layout computed for the first frame: later frames skip the
        # constrained-layout pass, which roughly halves the PNG redraw time
        self.fig.set_layout_engine("none")

    def layout(self) -> widgets.Widget:
        controls = widgets.VBox(list(self.controls.values()))
        return widgets.VBox(
            [controls, self.image, self.tokens_html, self.readout, self.status]
        )

    def readout_html(self) -> str:
        return self.tokens_html.value + self.readout.value

    def update(self) -> None:
        full_text = self.controls["text"].value
        text = full_text[:MAX_TEXT_CHARS]
        corpus = self.controls["corpus"].value
        char_tokenizer, bpe = demo_tokenizers(corpus)
        n_merges = min(self.controls["merges"].value, len(bpe.merges))
        info = token_counts(text, char_tokenizer, bpe, n_merges)
        counts = [info["characters"], info["bytes"], info["bpe_tokens"]]
        top = max(max(counts), 1)
        for bar, label, count in zip(self.bars, self.bar_texts, counts, strict=True):
            bar.set_width(count)
            label.set_x(count + 0.02 * top)
            label.set_text(str(count))
        self.ax[0].set_xlim(0, nice_ceiling(1.25 * top))  # stays put for small edits
        steps, values = compression_curve(corpus)
        self.curve.set_data(steps, values)
        current = corpus_bytes_per_token(corpus, n_merges)
        self.here.set_data([n_merges], [current])
        self.ax[1].set_xlim(-10, MAX_MERGES + 10)
        self.ax[1].set_ylim(0.8, 1.1 * max(values.max(), current))
        self.ax[1].set_title(
            f"vocab = 256 + {n_merges} = {256 + n_merges}", fontsize=10
        )
        self.tokens_html.value = _coloured_tokens(info["bpe_pieces"])
        unknown = info["unknown_chars"]
        shown_ids = info["bpe_ids"][:40]
        more = " …" if len(info["bpe_ids"]) > 40 else ""
        cut = (
            f"long text: showing the first {MAX_TEXT_CHARS:,} of "
            f"{len(full_text):,} characters\n"
            if len(full_text) > MAX_TEXT_CHARS
            else ""
        )
        self.set_readout(
            cut
            + f"BPE trained on {corpus!r}, using {n_merges} of {len(bpe.merges)} merges: "
            f"{info['bpe_tokens']} tokens for {info['characters']} characters "
            f"({info['bytes']} bytes)\n"
            f"IDs: {shown_ids}{more}\n"
            f"character vocabulary of the corpus: {char_tokenizer.vocab_size} symbols; "
            + (
                f"{len(unknown)} character(s) of this text are unknown to it: "
                + " ".join(repr(c) for c in unknown[:12])
                if unknown
                else "it knows every character of this text"
            )
        )


def _coloured_tokens(pieces: list[str]) -> str:
    palette = ["#dbeafe", "#fde68a", "#bbf7d0", "#fbcfe8", "#e9d5ff"]
    spans = [
        f'<span style="background:{palette[i % len(palette)]};padding:1px 0;'
        f'white-space:pre">{html.escape(piece)}</span>'
        for i, piece in enumerate(pieces)
    ]
    return (
        '<div style="font-family:monospace;line-height:1.8">'
        + "".join(spans)
        + "</div>"
    )


def bench_cases() -> list[BenchCase]:
    return [
        BenchCase(
            "09_tokens_and_embeddings: TokenizerPanel",
            TokenizerPanel,
            {
                "merges": [0, 50, 200, 400],
                "corpus": ["english", "chinese", "english+chinese"],
                "text": [
                    "hello world",
                    "苹果手机和红富士苹果 🍎",
                    "The model reads tokens.",
                    "A pasted book, 100,000 characters. " * 2858,  # capped per move
                ],
            },
        )
    ]
