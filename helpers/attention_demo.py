"""Hand-made attention heads over short sentences, and what dividing the scores
by sqrt(d_k) does to softmax: the computations behind the panels of
11_self_attention (``helpers.widgets.attention`` only draws them).

Introduced in 11_self_attention.
"""

from __future__ import annotations

import functools
import math
import zlib

import torch

from helpers.transformer import scaled_dot_product_attention
from helpers.validate import check_choice, check_int, check_number

__all__ = ["HEADS", "SENTENCES", "scaling_demo", "toy_attention"]

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
