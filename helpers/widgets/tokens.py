"""Panel of 09_tokens_and_embeddings: type a text, see its tokens under a character
tokenizer, raw UTF-8 bytes and a byte-level BPE with a chosen number of merges."""

from __future__ import annotations

import html
from functools import lru_cache

import ipywidgets as widgets
import numpy as np

from helpers.bpe import BPETokenizer, train_bpe
from helpers.data.char_tokenizer import CharTokenizer
from helpers.data.sample_texts import CHINESE_TEXT, ENGLISH_TEXT
from helpers.plotting import COLORS
from helpers.validate import check_choice, check_int
from helpers.widgets import BenchCase, Panel

__all__ = [
    "CORPORA",
    "TokenizerPanel",
    "bench_cases",
    "bytes_per_token",
    "demo_tokenizers",
    "token_counts",
]

#: The training texts the panel offers.
CORPORA = {
    "english": ENGLISH_TEXT,
    "chinese": CHINESE_TEXT,
    "english+chinese": ENGLISH_TEXT + "\n" + CHINESE_TEXT,
}
_MAX_MERGES = 400
_CURVE_POINTS = 12


@lru_cache(maxsize=len(CORPORA))
def demo_tokenizers(corpus: str) -> tuple[CharTokenizer, BPETokenizer]:
    """The character tokenizer and the BPE (up to 400 merges) trained on one of
    ``CORPORA``; computed once per corpus. Introduced in 09_tokens_and_embeddings."""
    check_choice(corpus, "corpus", CORPORA)
    text = CORPORA[corpus]
    return CharTokenizer.from_text(text), train_bpe(text, _MAX_MERGES)


def bytes_per_token(tokenizer: BPETokenizer, text: str, n_merges: int) -> float:
    """UTF-8 bytes of ``text`` divided by its number of BPE tokens (1.0 with no
    merges; higher = better compression). Introduced in 09_tokens_and_embeddings."""
    n_bytes = len(text.encode("utf-8"))
    if n_bytes == 0:
        raise ValueError("text must not be empty to measure compression")
    return n_bytes / len(tokenizer.encode(text, n_merges))


def token_counts(
    text: str, char_tokenizer: CharTokenizer, bpe: BPETokenizer, n_merges: int
) -> dict[str, object]:
    """How ``text`` splits under each scheme: counts, BPE IDs and token strings, and
    the characters the closed character vocabulary does not know.

    Introduced in 09_tokens_and_embeddings.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    n_merges = check_int(n_merges, "n_merges", low=0, high=len(bpe.merges))
    unknown = sorted({c for c in text if c not in char_tokenizer.char_to_id})
    ids = bpe.encode(text, n_merges)
    return {
        "characters": len(text),
        "unknown_chars": unknown,
        "bytes": len(text.encode("utf-8")),
        "bpe_tokens": len(ids),
        "bpe_ids": ids,
        "bpe_pieces": [bpe.token_text(i) for i in ids],
    }


def _curve(corpus: str) -> tuple[np.ndarray, np.ndarray]:
    _, bpe = demo_tokenizers(corpus)
    steps = np.unique(np.linspace(0, len(bpe.merges), _CURVE_POINTS).astype(int))
    values = [bytes_per_token(bpe, CORPORA[corpus], int(m)) for m in steps]
    return steps, np.array(values)


_curve = lru_cache(maxsize=len(CORPORA))(_curve)


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
            value=100, min=0, max=_MAX_MERGES, step=10, description="merges"
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
        self._finish()
        # keep the layout computed for the first frame: later frames skip the
        # constrained-layout pass, which roughly halves the PNG redraw time
        self.fig.set_layout_engine("none")

    def layout(self) -> widgets.Widget:
        controls = widgets.VBox(list(self.controls.values()))
        return widgets.VBox(
            [controls, self.image, self.tokens_html, self.readout, self.status]
        )

    def update(self) -> None:
        text = self.controls["text"].value
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
        self.ax[0].set_xlim(0, 1.25 * top)
        steps, values = _curve(corpus)
        self.curve.set_data(steps, values)
        current = bytes_per_token(bpe, CORPORA[corpus], n_merges)
        self.here.set_data([n_merges], [current])
        self.ax[1].set_xlim(-10, _MAX_MERGES + 10)
        self.ax[1].set_ylim(0.8, 1.1 * max(values.max(), current))
        self.ax[1].set_title(
            f"vocab = 256 + {n_merges} = {256 + n_merges}", fontsize=10
        )
        self.tokens_html.value = _coloured_tokens(info["bpe_pieces"])
        unknown = info["unknown_chars"]
        shown_ids = info["bpe_ids"][:40]
        more = " …" if len(info["bpe_ids"]) > 40 else ""
        self.set_readout(
            f"BPE trained on {corpus!r}, using {n_merges} of {len(bpe.merges)} merges: "
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
                ],
            },
        )
    ]
