"""Choosing the next token, and how a server stores the KV cache.

Two topics of 14_inference_and_kv_cache (first used in 13_train_a_tiny_llm):

* Sampling: temperature, top-k and top-p (nucleus) filters over one row of logits,
  and ``sample_next`` that combines them. ``temperature=0`` means greedy.
* The paged KV-cache allocator simulation: vLLM's PagedAttention keeps each
  sequence's keys and values in fixed-size blocks found through a block table, so a
  sequence wastes at most one partly filled block; a contiguous allocator reserves
  the maximum sequence length for every request up front and wastes the rest.
  Both allocators count token slots, so every figure can be checked by hand.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from helpers.validate import check_int, check_number

__all__ = [
    "AllocationReport",
    "BatchingReport",
    "ContiguousKVAllocator",
    "PagedKVAllocator",
    "compare_allocators",
    "simulate_batching",
    "make_sampler",
    "next_token_probs",
    "sample_next",
    "temperature_scale",
    "top_k_filter",
    "top_p_filter",
]


# --------------------------------------------------------------------------
# Sampling
# --------------------------------------------------------------------------
def _check_logits(logits) -> torch.Tensor:
    if not isinstance(logits, torch.Tensor):
        raise TypeError(f"logits must be a torch.Tensor, got {type(logits).__name__}")
    if logits.ndim not in (1, 2):
        raise ValueError(
            f"logits must have shape (V,) or (B, V), got {tuple(logits.shape)}"
        )
    if logits.shape[-1] == 0 or logits.numel() == 0:
        raise ValueError(f"logits must not be empty, got {tuple(logits.shape)}")
    if not logits.is_floating_point():
        raise TypeError(f"logits must be floating point, got {logits.dtype}")
    if torch.isnan(logits).any() or torch.isposinf(logits).any():
        raise ValueError("logits must not contain NaN or +inf")
    if torch.isneginf(logits).all(dim=-1).any():
        raise ValueError("every row of logits needs at least one finite value")
    return logits


def _check_settings(temperature, top_k, top_p, vocab_size: int):
    temperature = check_number(temperature, "temperature", low=0.0)
    if top_k is not None:
        top_k = check_int(top_k, "top_k", low=1, high=vocab_size)
    if top_p is not None:
        top_p = check_number(top_p, "top_p", low=0.0, high=1.0, low_inclusive=False)
    return temperature, top_k, top_p


def temperature_scale(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """Divide logits by ``temperature`` (> 0): < 1 sharpens, > 1 flattens.

    Introduced in 14_inference_and_kv_cache.
    """
    logits = _check_logits(logits)
    temperature = check_number(temperature, "temperature", low=0.0, low_inclusive=False)
    return logits / temperature


def top_k_filter(logits: torch.Tensor, k: int) -> torch.Tensor:
    """Keep exactly the ``k`` largest logits of each row; set the rest to -inf.

    Ties at the k-th value are broken by position (``torch.topk``), so exactly
    ``k`` entries survive. Introduced in 14_inference_and_kv_cache.
    """
    logits = _check_logits(logits)
    k = check_int(k, "top_k", low=1, high=logits.shape[-1])
    keep = torch.zeros_like(logits, dtype=torch.bool)
    keep.scatter_(-1, torch.topk(logits, k, dim=-1).indices, True)
    return logits.masked_fill(~keep, float("-inf"))


def top_p_filter(logits: torch.Tensor, p: float) -> torch.Tensor:
    """Nucleus filter: keep the smallest set of most likely tokens whose total
    probability reaches ``p`` (0 < p <= 1); set the rest to -inf.

    Introduced in 14_inference_and_kv_cache.
    """
    logits = _check_logits(logits)
    p = check_number(p, "top_p", low=0.0, high=1.0, low_inclusive=False)
    probs = torch.softmax(logits.double(), dim=-1)
    sorted_probs, order = torch.sort(probs, dim=-1, descending=True)
    mass_before = torch.cumsum(sorted_probs, dim=-1) - sorted_probs
    # A token is kept while the mass of the more likely tokens is still below p
    # (a tiny tolerance so that e.g. p = 0.3 + 0.2 keeps exactly two tokens).
    keep_sorted = mass_before < p - 1e-12
    keep_sorted[..., 0] = True  # the most likely token always survives
    keep = torch.zeros_like(keep_sorted).scatter(-1, order, keep_sorted)
    return logits.masked_fill(~keep, float("-inf"))


def next_token_probs(
    logits: torch.Tensor,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
) -> torch.Tensor:
    """The distribution that ``sample_next`` draws from (same shape as logits).

    Order: temperature, then top-k, then top-p, then softmax. ``temperature=0``
    puts all probability on the largest logit (greedy). Introduced in
    14_inference_and_kv_cache.
    """
    logits = _check_logits(logits)
    temperature, top_k, top_p = _check_settings(
        temperature, top_k, top_p, logits.shape[-1]
    )
    logits = logits.float()
    if temperature == 0.0:
        greedy = torch.zeros_like(logits)
        return greedy.scatter_(-1, logits.argmax(dim=-1, keepdim=True), 1.0)
    scaled = logits / temperature
    if top_k is not None:
        scaled = top_k_filter(scaled, top_k)
    if top_p is not None:
        scaled = top_p_filter(scaled, top_p)
    return torch.softmax(scaled, dim=-1)


def sample_next(
    logits: torch.Tensor,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Draw the next token id from logits of shape (B, V) → (B, 1), or (V,) → (1,).

    ``temperature=0`` is greedy (argmax). ``generator`` makes the draw
    reproducible. Introduced in 13_train_a_tiny_llm.
    """
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(
            f"generator must be a torch.Generator, got {type(generator).__name__}"
        )
    probs = next_token_probs(logits, temperature, top_k, top_p)
    if temperature == 0:
        return probs.argmax(dim=-1, keepdim=True)
    rows = probs.reshape(-1, probs.shape[-1])  # (B, V)
    if generator is not None and generator.device != rows.device:
        rows = rows.to(generator.device)
    ids = torch.multinomial(rows, 1, generator=generator).to(logits.device)  # (B, 1)
    return ids if logits.ndim == 2 else ids.reshape(1)


def make_sampler(
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    generator: torch.Generator | None = None,
) -> Callable[[torch.Tensor], torch.Tensor]:
    """A ``sample`` function for ``helpers.transformer.generate``: (B, V) → (B, 1).

    The settings are checked now, not at the first generated token.
    Introduced in 13_train_a_tiny_llm.
    """
    temperature = check_number(temperature, "temperature", low=0.0)
    if top_k is not None:
        top_k = check_int(top_k, "top_k", low=1)
    if top_p is not None:
        top_p = check_number(top_p, "top_p", low=0.0, high=1.0, low_inclusive=False)

    def sample(logits: torch.Tensor) -> torch.Tensor:
        return sample_next(logits, temperature, top_k, top_p, generator)

    return sample


# --------------------------------------------------------------------------
# KV-cache allocation: contiguous reservation vs paged blocks
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class AllocationReport:
    """Token slots of one allocator at one moment (multiply by the KV bytes per
    token of a model to get bytes)."""

    used_slots: int  # slots holding a real token's keys and values
    reserved_slots: int  # slots set aside for live sequences
    wasted_slots: int  # reserved - used
    waste_fraction: float  # wasted / reserved (0 when nothing is reserved)
    free_slots: int  # capacity not yet reserved by anyone


class ContiguousKVAllocator:
    """Each sequence reserves ``max_seq_len`` consecutive slots when it starts
    (its final length is unknown), as servers did before PagedAttention.

    ``capacity`` is the total number of token slots. Introduced in
    14_inference_and_kv_cache.
    """

    def __init__(self, capacity: int, max_seq_len: int):
        self.capacity = check_int(capacity, "capacity", low=1)
        self.max_seq_len = check_int(max_seq_len, "max_seq_len", low=1, high=capacity)
        self.lengths: dict[int, int] = {}  # sequence id -> tokens stored
        self.start: dict[int, int] = {}  # sequence id -> first slot of its region

    def can_add(self) -> bool:
        """Whether a new sequence's reservation still fits."""
        return self._free_start() is not None

    def _free_start(self) -> int | None:
        taken = sorted(self.start.values())
        position = 0
        for start in taken:  # first gap big enough (first fit)
            if start - position >= self.max_seq_len:
                return position
            position = start + self.max_seq_len
        return position if self.capacity - position >= self.max_seq_len else None

    def add(self, seq_id: int) -> None:
        """Reserve ``max_seq_len`` slots for a new sequence (MemoryError if full)."""
        seq_id = check_int(seq_id, "seq_id", low=0)
        if seq_id in self.lengths:
            raise ValueError(f"sequence {seq_id} is already allocated")
        start = self._free_start()
        if start is None:
            raise MemoryError(
                f"no room for another {self.max_seq_len}-slot reservation "
                f"(capacity {self.capacity} slots)"
            )
        self.start[seq_id] = start
        self.lengths[seq_id] = 0

    def append(self, seq_id: int, n_tokens: int = 1) -> None:
        """Store ``n_tokens`` more tokens of ``seq_id``."""
        self._check_live(seq_id)
        n_tokens = check_int(n_tokens, "n_tokens", low=0)
        if self.lengths[seq_id] + n_tokens > self.max_seq_len:
            raise ValueError(
                f"sequence {seq_id} would exceed max_seq_len={self.max_seq_len}"
            )
        self.lengths[seq_id] += n_tokens

    def free(self, seq_id: int) -> None:
        """Release a finished sequence's reservation."""
        self._check_live(seq_id)
        del self.lengths[seq_id], self.start[seq_id]

    def _check_live(self, seq_id: int) -> None:
        if seq_id not in self.lengths:
            raise ValueError(f"unknown sequence {seq_id}; add() it first")

    def report(self) -> AllocationReport:
        """Used, reserved, wasted and free slots right now."""
        used = sum(self.lengths.values())
        reserved = len(self.lengths) * self.max_seq_len
        return _report(used, reserved, self.capacity)


class PagedKVAllocator:
    """PagedAttention's allocator: the cache is ``num_blocks`` blocks of
    ``block_size`` slots; each sequence owns a block table (logical block i →
    physical block id) and receives a new block only when its last one is full.

    Free blocks are handed out lowest id first, so the block tables are
    deterministic. Introduced in 14_inference_and_kv_cache.
    """

    def __init__(self, num_blocks: int, block_size: int):
        self.num_blocks = check_int(num_blocks, "num_blocks", low=1)
        self.block_size = check_int(block_size, "block_size", low=1)
        self.capacity = self.num_blocks * self.block_size
        self.free_blocks: list[int] = list(range(self.num_blocks))
        self.block_tables: dict[int, list[int]] = {}  # sequence id -> block ids
        self.lengths: dict[int, int] = {}  # sequence id -> tokens stored

    def can_add(self) -> bool:
        """Whether at least one free block is left."""
        return bool(self.free_blocks)

    def add(self, seq_id: int) -> None:
        """Register a new sequence with an empty block table (no memory yet)."""
        seq_id = check_int(seq_id, "seq_id", low=0)
        if seq_id in self.lengths:
            raise ValueError(f"sequence {seq_id} is already allocated")
        self.block_tables[seq_id] = []
        self.lengths[seq_id] = 0

    def append(self, seq_id: int, n_tokens: int = 1) -> None:
        """Store ``n_tokens`` more tokens, taking new blocks as needed."""
        if seq_id not in self.lengths:
            raise ValueError(f"unknown sequence {seq_id}; add() it first")
        n_tokens = check_int(n_tokens, "n_tokens", low=0)
        new_length = self.lengths[seq_id] + n_tokens
        needed = math.ceil(new_length / self.block_size) - len(
            self.block_tables[seq_id]
        )
        if needed > len(self.free_blocks):
            raise MemoryError(
                f"sequence {seq_id} needs {needed} more block(s), "
                f"{len(self.free_blocks)} free"
            )
        self.free_blocks.sort()
        for _ in range(needed):
            self.block_tables[seq_id].append(self.free_blocks.pop(0))
        self.lengths[seq_id] = new_length

    def free(self, seq_id: int) -> None:
        """Return a finished sequence's blocks to the free list."""
        if seq_id not in self.lengths:
            raise ValueError(f"unknown sequence {seq_id}; add() it first")
        self.free_blocks.extend(self.block_tables.pop(seq_id))
        del self.lengths[seq_id]

    def slot_of(self, seq_id: int, position: int) -> tuple[int, int]:
        """Where token ``position`` of ``seq_id`` lives: (physical block, offset)."""
        if seq_id not in self.lengths:
            raise ValueError(f"unknown sequence {seq_id}; add() it first")
        position = check_int(position, "position", low=0, high=self.lengths[seq_id] - 1)
        logical, offset = divmod(position, self.block_size)
        return self.block_tables[seq_id][logical], offset

    def report(self) -> AllocationReport:
        """Used, reserved, wasted and free slots right now."""
        used = sum(self.lengths.values())
        reserved = sum(len(t) for t in self.block_tables.values()) * self.block_size
        return _report(used, reserved, self.capacity)


def _report(used: int, reserved: int, capacity: int) -> AllocationReport:
    wasted = reserved - used
    fraction = wasted / reserved if reserved else 0.0
    return AllocationReport(used, reserved, wasted, fraction, capacity - reserved)


def compare_allocators(
    lengths: Sequence[int], *, max_seq_len: int, block_size: int
) -> dict[str, AllocationReport]:
    """Store sequences of the given final ``lengths`` with both allocators and
    report each one's slots (capacity = exactly what the contiguous scheme needs).

    Example by hand: lengths (5, 17, 9), max_seq_len 32, block_size 4 →
    contiguous reserves 3 × 32 = 96 slots for 31 tokens (65 wasted);
    paged takes 2 + 5 + 3 = 10 blocks = 40 slots (9 wasted).
    Introduced in 14_inference_and_kv_cache.
    """
    if isinstance(lengths, str | bytes) or not isinstance(lengths, Sequence):
        raise TypeError("lengths must be a sequence of integers")
    if len(lengths) == 0:
        raise ValueError("lengths must not be empty")
    max_seq_len = check_int(max_seq_len, "max_seq_len", low=1)
    block_size = check_int(block_size, "block_size", low=1)
    lengths = [check_int(n, "each length", low=1, high=max_seq_len) for n in lengths]
    capacity = len(lengths) * max_seq_len
    contiguous = ContiguousKVAllocator(capacity, max_seq_len)
    blocks_needed = sum(math.ceil(n / block_size) for n in lengths)
    paged = PagedKVAllocator(
        max(math.ceil(capacity / block_size), blocks_needed), block_size
    )
    for seq_id, n in enumerate(lengths):
        for allocator in (contiguous, paged):
            allocator.add(seq_id)
            allocator.append(seq_id, n)
    return {"contiguous": contiguous.report(), "paged": paged.report()}


# --------------------------------------------------------------------------
# Static vs continuous batching
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class BatchingReport:
    """Decode steps and slot use of one batching policy."""

    steps: int  # decode steps until every request is done
    busy_slot_steps: int  # slot-steps that produced a token (= sum of lengths)
    utilization: float  # busy_slot_steps / (steps · batch_size)
    finish_step: tuple[int, ...]  # the step at which each request finished


def simulate_batching(
    lengths: Sequence[int], batch_size: int, policy: str
) -> BatchingReport:
    """Serve requests needing ``lengths`` decode steps each, ``batch_size`` at a
    time, in arrival order.

    ``"static"``: a batch starts only when the previous one has completely
    finished, so short requests leave their slots idle until the longest one is
    done. ``"continuous"``: a freed slot takes the next waiting request at once
    (iteration-level scheduling, as in Orca and vLLM).
    Example by hand: lengths (2, 8, 3, 3), batch 2 → static takes 8 + 3 = 11 steps,
    continuous 8 (slot A serves 2, 3, 3; slot B serves 8).
    Introduced in 14_inference_and_kv_cache.
    """
    if isinstance(lengths, str | bytes) or not isinstance(lengths, Sequence):
        raise TypeError("lengths must be a sequence of integers")
    if len(lengths) == 0:
        raise ValueError("lengths must not be empty")
    lengths = [check_int(n, "each length", low=1) for n in lengths]
    batch_size = check_int(batch_size, "batch_size", low=1)
    if policy not in ("static", "continuous"):
        raise ValueError(
            f"unknown policy {policy!r}; expected 'static' or 'continuous'"
        )
    finish = [0] * len(lengths)
    if policy == "static":
        clock = 0
        for first in range(0, len(lengths), batch_size):
            batch = range(first, min(first + batch_size, len(lengths)))
            for i in batch:
                finish[i] = clock + lengths[i]
            clock += max(lengths[i] for i in batch)
    else:
        slot_free_at = [0] * batch_size  # when each slot is free again
        for i, n in enumerate(lengths):
            slot = min(range(batch_size), key=lambda s: (slot_free_at[s], s))
            slot_free_at[slot] += n
            finish[i] = slot_free_at[slot]
    steps = max(finish)
    busy = sum(lengths)
    return BatchingReport(steps, busy, busy / (steps * batch_size), tuple(finish))
