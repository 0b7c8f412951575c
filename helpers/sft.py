"""The loss of supervised fine-tuning (SFT): cross-entropy on the answer only.

Introduced in 13_train_a_tiny_llm. A fine-tuning example is a prompt followed by
its answer, trained as one sequence with next-token targets ``y[t] = x[t + 1]``.
The model must learn to *write the answer*, not to predict the prompt (which the
user types anyway), so the targets of the prompt positions are set to -100,
PyTorch's ``ignore_index``: ``F.cross_entropy`` leaves them out of both the sum
and the count. With a prompt of p tokens the first answer token is ``x[p]``,
predicted at position p − 1, so the masked targets are ``y[:, : p - 1]``.
``helpers.data.addition.AdditionTask`` builds its batches exactly this way.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["IGNORE_INDEX", "answer_only_loss", "answer_only_targets"]

IGNORE_INDEX = -100  # F.cross_entropy's default ignore_index


def _check_lengths(targets: torch.Tensor, prompt_lengths) -> torch.Tensor:
    if not isinstance(targets, torch.Tensor) or targets.ndim != 2:
        raise TypeError("targets must be a (B, T) tensor of next-token IDs")
    if targets.dtype not in (torch.int64, torch.int32):
        raise TypeError(f"targets must hold integer IDs, got {targets.dtype}")
    lengths = torch.as_tensor(prompt_lengths, dtype=torch.long).reshape(-1)
    B, T = targets.shape
    if len(lengths) == 1:
        lengths = lengths.expand(B)
    if len(lengths) != B:
        raise ValueError(f"need one prompt length per row ({B}), got {len(lengths)}")
    if bool((lengths < 1).any()) or bool((lengths > T).any()):
        raise ValueError(
            f"prompt lengths must be in [1, T={T}] (T + 1 tokens per example, "
            "at least one of them an answer token), got " + str(lengths.tolist())
        )
    return lengths


def answer_only_targets(targets: torch.Tensor, prompt_lengths) -> torch.Tensor:
    """A copy of ``targets`` (B, T) with the prompt positions set to -100: in row
    b the first ``prompt_lengths[b] - 1`` targets (they predict prompt tokens).
    ``prompt_lengths`` is one int for every row or one per row.
    Introduced in 13_train_a_tiny_llm."""
    lengths = _check_lengths(targets, prompt_lengths)
    positions = torch.arange(targets.shape[1])[None, :]  # (1, T)
    prompt = positions < (lengths[:, None] - 1)  # (B, T): True = predicts prompt
    return targets.long().masked_fill(prompt.to(targets.device), IGNORE_INDEX)


def answer_only_loss(
    logits: torch.Tensor, targets: torch.Tensor, prompt_lengths
) -> torch.Tensor:
    """Mean cross-entropy (natural log) of ``logits`` (B, T, V) against the answer
    targets only: ``answer_only_targets(targets, prompt_lengths)``, averaged over
    the answer positions (not over all B·T). Introduced in 13_train_a_tiny_llm."""
    if not isinstance(logits, torch.Tensor) or logits.ndim != 3:
        raise TypeError("logits must be a (B, T, V) tensor")
    if not logits.is_floating_point():
        raise TypeError(f"logits must be floating point, got {logits.dtype}")
    if logits.shape[:2] != targets.shape:
        raise ValueError(
            f"logits {tuple(logits.shape)} and targets {tuple(targets.shape)} "
            "must agree on (B, T)"
        )
    masked = answer_only_targets(targets, prompt_lengths)
    return F.cross_entropy(
        logits.reshape(-1, logits.shape[-1]),  # (B·T, V)
        masked.reshape(-1),  # (B·T,)
        ignore_index=IGNORE_INDEX,
    )
