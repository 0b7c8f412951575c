"""Will a training run fit in memory? Estimate first, refuse before allocating.

Introduced in 13_train_a_tiny_llm. ``training_bytes`` adds up what training a
decoder holds at its peak: the weights, their gradients, AdamW's two moments,
and the activations saved for the backward pass (per layer and token, plus the
logits); ``check_training_memory`` compares that with the memory the machine
has free now (``helpers.sizing.available_memory_bytes``: the OS's
``MemAvailable`` on CPU, the free bytes on a GPU) and raises ``MemoryError``,
with both numbers in the message, when the request cannot fit. The estimate is
deliberately simple (float32 throughout, no allocator slack), so it is a lower
bound: a request refused here could never have run.
"""

from __future__ import annotations

import torch

from helpers.sizing import count_parameters, format_bytes, require_memory
from helpers.transformer import DecoderConfig
from helpers.validate import check_int

__all__ = ["check_training_memory", "training_bytes"]

FLOAT32_BYTES = 4


def training_bytes(config: DecoderConfig, batch_size: int) -> dict[str, int]:
    """Bytes that training ``config`` with AdamW on batches of ``batch_size``
    sequences of ``config.context_length`` tokens needs at its peak, by part:
    ``weights``, ``gradients``, ``optimizer`` (AdamW's two moments),
    ``activations`` (saved for backward) and ``total``. Float32 throughout.
    Introduced in 13_train_a_tiny_llm."""
    if not isinstance(config, DecoderConfig):
        raise TypeError(f"config must be a DecoderConfig, got {type(config).__name__}")
    batch_size = check_int(batch_size, "batch_size", low=1)
    n_params = count_parameters(config)
    tokens = batch_size * config.context_length  # B · T
    d, d_ff = config.d_model, config.d_ff
    # Saved per token and layer: two norm inputs and outputs (4d), q, k, v and
    # the attention output (4d), the attention probabilities (n_head · T) and
    # the MLP's gate, up, activation and product (4 d_ff).
    per_token_layer = 8 * d + 4 * d_ff + config.n_head * config.context_length
    # Logits, their float copy and the softmax gradient: 3 · V per token.
    per_token = config.n_layer * per_token_layer + 2 * d + 3 * config.vocab_size
    parts = {
        "weights": n_params * FLOAT32_BYTES,
        "gradients": n_params * FLOAT32_BYTES,
        "optimizer": 2 * n_params * FLOAT32_BYTES,
        "activations": tokens * per_token * FLOAT32_BYTES,
    }
    parts["total"] = sum(parts.values())
    return parts


def check_training_memory(
    config: DecoderConfig, batch_size: int, device: torch.device | str = "cpu"
) -> dict[str, int]:
    """``training_bytes(config, batch_size)``, after checking that its total fits
    in the memory ``device`` has free now; ``MemoryError`` (estimate, parts and
    free memory in the message) when it does not. Introduced in
    13_train_a_tiny_llm."""
    parts = training_bytes(config, batch_size)
    detail = ", ".join(
        f"{name} {format_bytes(size)}"
        for name, size in parts.items()
        if name != "total"
    )
    require_memory(
        parts["total"],
        f"training this model (batch {batch_size} × context {config.context_length}; "
        f"{detail})",
        device,
    )
    return parts
