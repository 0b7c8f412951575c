"""A bigram language model from counts: P(next | previous) as a table.

Introduced in 09_tokens_and_embeddings: the simplest next-token predictor, which
conditions on one previous token only. ``table[a, b]`` is the fraction of the
times token ``a`` was followed by token ``b``; a row never seen as a previous
token is all zeros. Logs are natural logarithms (ln).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from helpers.validate import check_int, check_token_ids

__all__ = ["bigram_table", "sequence_log_prob"]


def bigram_table(sequences: Iterable[Sequence[int]], vocab_size: int) -> np.ndarray:
    """Counts of ``(ids[t - 1], ids[t])`` over every sequence, each row divided by
    its total: a (vocab_size, vocab_size) float64 table of P(next | previous).

    Introduced in 09_tokens_and_embeddings.
    """
    vocab_size = check_int(vocab_size, "vocab_size", low=1, high=20_000)
    if isinstance(sequences, str | bytes) or not isinstance(sequences, Iterable):
        raise TypeError(
            f"sequences must be a list of ID lists, got {type(sequences).__name__}"
        )
    counts = np.zeros((vocab_size, vocab_size), dtype=np.float64)
    for seq in sequences:
        ids = check_token_ids(seq, vocab_size)
        np.add.at(counts, (ids[:-1], ids[1:]), 1.0)
    totals = counts.sum(axis=1, keepdims=True)  # (V, 1)
    return np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)


def sequence_log_prob(ids: Sequence[int], table: np.ndarray) -> float:
    """ln P(ids[1:] | ids[0]) = Σ_t ln table[ids[t - 1], ids[t]] (natural log).

    With ``ids = [BOS, w1, …, wn, EOS]`` this is the log-probability of the whole
    sentence, its first word and its end included. A transition of probability 0
    gives ``-inf``. Introduced in 09_tokens_and_embeddings.
    """
    table = np.asarray(table, dtype=np.float64)
    if table.ndim != 2 or table.shape[0] != table.shape[1]:
        raise ValueError(f"table must be square (V, V), got shape {table.shape}")
    if np.any(table < 0) or not np.all(np.isfinite(table)):
        raise ValueError("table must hold probabilities: finite and >= 0")
    ids = check_token_ids(ids, table.shape[0])
    if len(ids) < 2:
        raise ValueError(
            f"ids needs at least two tokens (one transition), got {len(ids)}"
        )
    total = 0.0
    for previous, following in zip(ids[:-1], ids[1:], strict=True):
        p = float(table[previous, following])
        total += math.log(p) if p > 0 else -math.inf
    return total
