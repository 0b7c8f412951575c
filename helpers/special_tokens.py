"""Special tokens around a tokenizer's IDs: BOS / EOS framing and PAD batching.

Introduced in 09_tokens_and_embeddings. A special token is an ID that no text
encodes to: ``BOS`` (beginning of sequence) gives the first real token a context,
``EOS`` (end of sequence) lets a model learn where to stop, ``PAD`` fills short
sequences so a batch is a rectangle. Padding goes on the right; the mask says
which positions hold real tokens (True) so that losses and attention skip the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from helpers.validate import check_int, check_token_ids

__all__ = ["SpecialTokens", "frame", "pad_batch", "padded_nll"]


@dataclass(frozen=True)
class SpecialTokens:
    """The IDs of BOS, EOS and PAD. Introduced in 09_tokens_and_embeddings."""

    bos: int  # beginning of sequence
    eos: int  # end of sequence
    pad: int  # filler in a batch; never predicted, never attended to

    @classmethod
    def after(cls, vocab_size: int) -> SpecialTokens:
        """Three new IDs appended after a vocabulary of ``vocab_size`` tokens
        (``vocab_size``, ``vocab_size + 1``, ``vocab_size + 2``), so no text
        can ever encode to them."""
        vocab_size = check_int(vocab_size, "vocab_size", low=1)
        return cls(bos=vocab_size, eos=vocab_size + 1, pad=vocab_size + 2)


def frame(ids: Sequence[int], bos_id: int, eos_id: int) -> list[int]:
    """``[bos_id] + ids + [eos_id]``: one document as a training sequence.

    Introduced in 09_tokens_and_embeddings.
    """
    bos_id = check_int(bos_id, "bos_id", low=0)
    eos_id = check_int(eos_id, "eos_id", low=0)
    return [bos_id, *check_token_ids(ids, 2**62), eos_id]


def pad_batch(
    sequences: Sequence[Sequence[int]], pad_id: int, length: int | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad ID sequences with ``pad_id`` into one (B, T) int64 tensor.

    ``T`` is the longest sequence's length unless ``length`` is given (it must be
    at least that long). Returns ``(ids, mask)``: ``mask`` is a (B, T) bool tensor,
    True at real tokens and False at padding. Introduced in
    09_tokens_and_embeddings.
    """
    if isinstance(sequences, str | bytes) or not isinstance(sequences, Sequence):
        raise TypeError(
            f"sequences must be a list of ID lists, got {type(sequences).__name__}"
        )
    if len(sequences) == 0:
        raise ValueError("sequences is empty: a batch needs at least one sequence")
    pad_id = check_int(pad_id, "pad_id", low=0)
    rows = []
    for index, seq in enumerate(sequences):
        try:
            rows.append(check_token_ids(seq, 2**62))
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"sequences[{index}]: {exc}") from None
    longest = max(len(row) for row in rows)
    if length is None:
        length = longest
    length = check_int(length, "length", low=longest)
    ids = torch.full((len(rows), length), pad_id, dtype=torch.int64)  # (B, T)
    mask = torch.zeros(len(rows), length, dtype=torch.bool)  # (B, T)
    for b, row in enumerate(rows):
        ids[b, : len(row)] = torch.tensor(row, dtype=torch.int64)
        mask[b, : len(row)] = True
    return ids, mask


def padded_nll(log_probs, mask) -> float:
    """Mean negative log-likelihood over the real tokens of a padded batch:
    ``-Σ log_probs[mask] / mask.sum()``.

    ``log_probs``: (B, T) ln P(target) at every position; ``mask``: (B, T) bool,
    True at real tokens (from ``pad_batch``). Padding positions count neither in
    the sum nor in the number of tokens (as ``ignore_index`` does in PyTorch's
    cross-entropy). Introduced in 09_tokens_and_embeddings.
    """
    log_probs = torch.as_tensor(log_probs, dtype=torch.float64)
    mask = torch.as_tensor(mask)
    if mask.dtype != torch.bool:
        raise TypeError(f"mask must be a bool tensor/array, got {mask.dtype}")
    if log_probs.shape != mask.shape:
        raise ValueError(
            f"log_probs {tuple(log_probs.shape)} and mask {tuple(mask.shape)} "
            "must have the same shape"
        )
    n_real = int(mask.sum())
    if n_real == 0:
        raise ValueError("mask has no real token: the mean over nothing is undefined")
    return float(-(log_probs * mask).sum() / n_real)
