"""The tokenizers of the panel in 09_tokens_and_embeddings: a character tokenizer
and a byte-level BPE trained on a few sample texts, and how a text splits under
each (``helpers.widgets.tokens`` only shows the results).

Introduced in 09_tokens_and_embeddings.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from helpers.bpe import BPETokenizer, train_bpe
from helpers.data.char_tokenizer import CharTokenizer
from helpers.data.sample_texts import CHINESE_TEXT, ENGLISH_TEXT
from helpers.validate import check_choice, check_int

__all__ = [
    "CORPORA",
    "MAX_MERGES",
    "bytes_per_token",
    "compression_curve",
    "corpus_bytes_per_token",
    "demo_tokenizers",
    "token_counts",
]

#: The training texts the panel offers.
CORPORA = {
    "english": ENGLISH_TEXT,
    "chinese": CHINESE_TEXT,
    "english+chinese": ENGLISH_TEXT + "\n" + CHINESE_TEXT,
}
MAX_MERGES = 400  # merges learned per corpus
_CURVE_POINTS = 12


@lru_cache(maxsize=len(CORPORA))
def demo_tokenizers(corpus: str) -> tuple[CharTokenizer, BPETokenizer]:
    """The character tokenizer and the BPE (up to 400 merges) trained on one of
    ``CORPORA``; computed once per corpus. Introduced in 09_tokens_and_embeddings."""
    check_choice(corpus, "corpus", CORPORA)
    text = CORPORA[corpus]
    return CharTokenizer.from_text(text), train_bpe(text, MAX_MERGES)


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


@lru_cache(maxsize=len(CORPORA))
def compression_curve(corpus: str) -> tuple[np.ndarray, np.ndarray]:
    """Bytes per token of the whole corpus after 0 … 400 merges (12 points):
    returns (numbers of merges, bytes per token). Computed once per corpus.
    Introduced in 09_tokens_and_embeddings."""
    _, bpe = demo_tokenizers(corpus)
    steps = np.unique(np.linspace(0, len(bpe.merges), _CURVE_POINTS).astype(int))
    values = [bytes_per_token(bpe, CORPORA[corpus], int(m)) for m in steps]
    return steps, np.array(values)


@lru_cache(maxsize=4 * (MAX_MERGES + 1))
def corpus_bytes_per_token(corpus: str, n_merges: int) -> float:
    """``bytes_per_token`` of a whole corpus of ``CORPORA`` after ``n_merges``
    merges (cached: the panel asks again for the same few values).
    Introduced in 09_tokens_and_embeddings."""
    check_choice(corpus, "corpus", CORPORA)
    _, bpe = demo_tokenizers(corpus)
    n_merges = check_int(n_merges, "n_merges", low=0, high=len(bpe.merges))
    return bytes_per_token(bpe, CORPORA[corpus], n_merges)
