"""What training on many devices costs besides the 16 bytes per parameter:
communication per step and activation memory per layer.

Introduced in 15_parallel_training. Three pieces, each a plain calculation that
the tests check against a simulation or a published number:

* ``ring_all_reduce`` really runs the ring algorithm (reduce-scatter, then
  all-gather) on NumPy arrays and counts what every device sends, so the
  2(N−1)/N factor of ``all_reduce_bytes_per_device`` is measured, not assumed;
* ``data_parallel_comm_bytes``: bytes one device sends per training step under
  DDP (ZeRO stage 0) and ZeRO stages 1–3 (stage 3 gathers the weights twice:
  1.5× DDP's traffic, as the ZeRO paper reports);
* ``activation_bytes_per_layer``: activations one transformer layer keeps for
  the backward pass (Korthikanti et al., 2022), the term that the "16 bytes per
  parameter" accounting leaves out;
* ``tensor_parallel_mlp_partials``: the partial sums each device of a
  tensor-parallel MLP holds before the all-reduce.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from helpers.validate import check_choice, check_int, check_number

__all__ = [
    "RECOMPUTE_CHOICES",
    "activation_bytes_per_layer",
    "all_reduce_bytes_per_device",
    "data_parallel_comm_bytes",
    "ring_all_reduce",
    "tensor_parallel_mlp_partials",
]

#: Activation-recomputation policies ``activation_bytes_per_layer`` knows.
RECOMPUTE_CHOICES = ("none", "full")


def ring_all_reduce(arrays) -> tuple[list[np.ndarray], list[int]]:
    """Sum ``arrays`` (one equal-shaped array per device) with the ring algorithm.

    The devices sit in a ring; each array is cut into N chunks. Reduce-scatter:
    in N−1 steps every device sends one chunk to its right neighbour, which adds
    it to its own; afterwards device i holds the full sum of chunk (i+1) mod N.
    All-gather: in N−1 more steps the summed chunks travel once around the ring.
    Returns every device's result (all equal to the sum) and the number of
    elements each device sent: 2·(N−1)·(size/N) when N divides the size.
    Introduced in 15_parallel_training.
    """
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    n = len(arrays)
    if n < 1:
        raise ValueError("give at least one array (one per device)")
    shape = arrays[0].shape
    if any(a.shape != shape for a in arrays):
        raise ValueError(
            f"every device's array must have the same shape, got "
            f"{[a.shape for a in arrays]}"
        )
    chunks = [np.array_split(a.ravel().copy(), n) for a in arrays]  # [device][chunk]
    sent = [0] * n
    for step in range(n - 1):  # reduce-scatter
        outgoing = [
            (i, (i - step) % n, chunks[i][(i - step) % n].copy()) for i in range(n)
        ]
        for i, c, data in outgoing:
            chunks[(i + 1) % n][c] += data
            sent[i] += data.size
    for step in range(n - 1):  # all-gather: device i owns chunk (i + 1) mod n
        outgoing = [
            (i, (i + 1 - step) % n, chunks[i][(i + 1 - step) % n].copy())
            for i in range(n)
        ]
        for i, c, data in outgoing:
            chunks[(i + 1) % n][c] = data
            sent[i] += data.size
    results = [np.concatenate(c).reshape(shape) for c in chunks]
    return results, sent


def all_reduce_bytes_per_device(n_bytes: float, n_devices: int) -> float:
    """Bytes each device sends in a ring all-reduce of ``n_bytes``: 2(N−1)/N · n_bytes
    (reduce-scatter (N−1)/N, all-gather (N−1)/N). Introduced in 15_parallel_training."""
    n_bytes = check_number(n_bytes, "n_bytes", low=0)
    n_devices = check_int(n_devices, "n_devices", low=1)
    return 2 * (n_devices - 1) / n_devices * n_bytes


def data_parallel_comm_bytes(
    n_params: float, n_gpus: int, stage: int, bytes_per_number: float = 2
) -> float:
    """Bytes one GPU sends per training step under data parallelism.

    Stage 0 (DDP): one all-reduce of the gradients, 2(N−1)/N · Ψ numbers.
    Stages 1 and 2: a reduce-scatter of the gradients plus an all-gather of the
    updated weights, the same 2(N−1)/N · Ψ. Stage 3: the weights are gathered
    before the forward and again before the backward, plus the reduce-scatter:
    3(N−1)/N · Ψ, i.e. 1.5× DDP. ``bytes_per_number`` = 2 for FP16/BF16.
    Introduced in 15_parallel_training.
    """
    n_params = check_number(n_params, "n_params", low=0)
    n_gpus = check_int(n_gpus, "n_gpus", low=1)
    stage = check_int(stage, "stage", low=0, high=3)
    size = check_number(
        bytes_per_number, "bytes_per_number", low=0, low_inclusive=False
    )
    passes = 3 if stage == 3 else 2  # each pass moves (N−1)/N of the numbers
    return passes * (n_gpus - 1) / n_gpus * n_params * size


def activation_bytes_per_layer(
    seq_len: int,
    batch: int,
    d_model: int,
    n_head: int,
    *,
    recompute: str = "none",
) -> int:
    """Bytes of activations one transformer layer keeps for the backward pass,
    16-bit activations, no tensor parallelism (Korthikanti et al., 2022, eq. 1):

    ``s·b·h·(34 + 5·a·s/h)`` with s = seq_len, b = batch, h = d_model, a = n_head.
    The 34·s·b·h part is linear in s (inputs of the projections, the MLP's 4h
    hidden values, norms, dropout masks); 5·a·s²·b is the T×T attention scores,
    softmax output and its dropout mask of every head. ``recompute="full"``
    keeps only each layer's input (2·s·b·h bytes) and recomputes the rest during
    the backward. Introduced in 15_parallel_training.
    """
    s = check_int(seq_len, "seq_len", low=1)
    b = check_int(batch, "batch", low=1)
    h = check_int(d_model, "d_model", low=1)
    a = check_int(n_head, "n_head", low=1)
    check_choice(recompute, "recompute", RECOMPUTE_CHOICES)
    if recompute == "full":
        return 2 * s * b * h
    return 34 * s * b * h + 5 * a * s * s * b


def tensor_parallel_mlp_partials(X, A, B, n_parts: int) -> list[torch.Tensor]:
    """The partial sums GeLU(X·A_i)·B_i that the ``n_parts`` devices of a
    tensor-parallel MLP hold before the all-reduce: A is cut by columns, B by the
    matching rows. Their sum is the unsplit GeLU(X·A)·B.
    Introduced in 15_parallel_training.
    """
    n_parts = check_int(n_parts, "n_parts", low=1)
    X, A, B = (torch.as_tensor(t) for t in (X, A, B))
    if X.shape[-1] != A.shape[0] or A.shape[1] != B.shape[0]:
        raise ValueError(
            f"shapes do not chain: X {tuple(X.shape)}, A {tuple(A.shape)}, "
            f"B {tuple(B.shape)}"
        )
    hidden = A.shape[1]
    if hidden % n_parts:
        raise ValueError(f"hidden width {hidden} must divide by n_parts = {n_parts}")
    width = hidden // n_parts
    return [
        F.gelu(X @ A[:, i * width : (i + 1) * width])
        @ B[i * width : (i + 1) * width, :]
        for i in range(n_parts)
    ]
