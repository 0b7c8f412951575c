"""Choosing the next token, and how a server stores the KV cache.

Two topics of 14_inference_and_kv_cache (first used in 13_train_a_tiny_llm):

* Sampling: temperature, top-k and top-p (nucleus) filters over one row of logits,
  and ``sample_next`` that combines them. ``temperature=0`` means greedy.
* ``continue_text``: a prompt in, the model's continuation out (13's panel).
* The paged KV-cache allocator simulation: vLLM's PagedAttention keeps each
  sequence's keys and values in fixed-size blocks found through a block table, so a
  sequence wastes at most one partly filled block; a contiguous allocator reserves
  the maximum sequence length for every request up front and wastes the rest.
  Both allocators count token slots, so every figure can be checked by hand.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import torch

from helpers.sizing import require_memory
from helpers.transformer import Decoder, generate
from helpers.validate import check_int, check_number

__all__ = [
    "EXAMPLE_LOGITS",
    "EXAMPLE_WORDS",
    "AllocationReport",
    "BatchingReport",
    "ContiguousKVAllocator",
    "PagedKVAllocator",
    "allocate_both",
    "compare_allocators",
    "continue_text",
    "random_lengths",
    "stream_text",
    "simulate_batching",
    "make_sampler",
    "next_token_probs",
    "sample_next",
    "temperature_scale",
    "min_p_filter",
    "top_k_filter",
    "top_p_filter",
]


# --------------------------------------------------------------------------
# Sampling
# --------------------------------------------------------------------------
#: Next-word candidates after "The cat sat on the" and made-up logits for them
#: (the sampling panel of 14_inference_and_kv_cache).
EXAMPLE_WORDS = ("mat", "sofa", "floor", "roof", "table", "bed", "moon", "piano")
EXAMPLE_LOGITS = torch.tensor([3.0, 2.2, 2.0, 1.2, 1.0, 0.6, -0.5, -1.0])


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
    return _top_k(logits, check_int(k, "top_k", low=1, high=logits.shape[-1]))


def _top_k(logits: torch.Tensor, k: int) -> torch.Tensor:
    keep = torch.zeros_like(logits, dtype=torch.bool)
    keep.scatter_(-1, torch.topk(logits, k, dim=-1).indices, True)
    return logits.masked_fill(~keep, float("-inf"))


def top_p_filter(logits: torch.Tensor, p: float) -> torch.Tensor:
    """Nucleus filter: keep the smallest set of most likely tokens whose total
    probability reaches ``p`` (0 < p <= 1); set the rest to -inf.

    Introduced in 14_inference_and_kv_cache.
    """
    logits = _check_logits(logits)
    return _top_p(logits, check_number(p, "top_p", low=0, high=1, low_inclusive=False))


def _top_p(logits: torch.Tensor, p: float) -> torch.Tensor:
    probs = torch.softmax(logits.double(), dim=-1)
    sorted_probs, order = torch.sort(probs, dim=-1, descending=True)
    mass_before = torch.cumsum(sorted_probs, dim=-1) - sorted_probs
    # A token is kept while the mass of the more likely tokens is still below p
    # (a tiny tolerance so that e.g. p = 0.3 + 0.2 keeps exactly two tokens).
    keep_sorted = mass_before < p - 1e-12
    keep_sorted[..., 0] = True  # the most likely token always survives
    keep = torch.zeros_like(keep_sorted).scatter(-1, order, keep_sorted)
    return logits.masked_fill(~keep, float("-inf"))


def min_p_filter(logits: torch.Tensor, min_p: float) -> torch.Tensor:
    """Min-p filter: keep the tokens whose probability is at least ``min_p``
    times the most likely token's (0 < min_p <= 1); set the rest to -inf.

    The cut-off follows the model's confidence: a peaked distribution keeps few
    tokens, a flat one many. Introduced in 14_inference_and_kv_cache (an exercise).
    """
    logits = _check_logits(logits)
    min_p = check_number(min_p, "min_p", low=0, high=1, low_inclusive=False)
    # p_i >= min_p * p_max  <=>  z_i >= z_max + ln(min_p): no softmax needed
    threshold = logits.amax(dim=-1, keepdim=True) + math.log(min_p)
    return logits.masked_fill(logits < threshold, float("-inf"))


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
    return _probs(logits, temperature, top_k, top_p)


def _probs(logits, temperature: float, top_k, top_p) -> torch.Tensor:
    """``next_token_probs`` on checked arguments (reads no value on the host)."""
    logits = logits.float()
    if temperature == 0.0:
        greedy = torch.zeros_like(logits)
        return greedy.scatter_(-1, logits.argmax(dim=-1, keepdim=True), 1.0)
    # Shift so the largest logit is 0 before dividing: softmax does not change,
    # and a tiny temperature gives 0 and -inf (greedy), never inf - inf = NaN.
    # Below float32's smallest normal number a temperature would round to 0.
    temperature = max(temperature, torch.finfo(logits.dtype).tiny)
    scaled = (logits - logits.amax(dim=-1, keepdim=True)) / temperature
    if top_k is not None:
        scaled = _top_k(scaled, min(top_k, scaled.shape[-1]))
    if top_p is not None:
        scaled = _top_p(scaled, top_p)
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
    return _draw(probs, temperature, generator, logits)


def _draw(probs, temperature: float, generator, logits) -> torch.Tensor:
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

    The settings are checked now, once; each call then reads no value of the
    logits on the host (no GPU sync per generated token): a ``top_k`` above the
    vocabulary keeps every token. Introduced in 13_train_a_tiny_llm.
    """
    temperature = check_number(temperature, "temperature", low=0.0)
    if top_k is not None:
        top_k = check_int(top_k, "top_k", low=1)
    if top_p is not None:
        top_p = check_number(top_p, "top_p", low=0.0, high=1.0, low_inclusive=False)
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(
            f"generator must be a torch.Generator, got {type(generator).__name__}"
        )

    def sample(logits: torch.Tensor) -> torch.Tensor:
        if not isinstance(logits, torch.Tensor) or logits.ndim != 2:
            raise ValueError("a sampler takes logits of shape (B, V)")
        probs = _probs(logits, temperature, top_k, top_p)
        return _draw(probs, temperature, generator, logits)

    return sample


def continue_text(
    model: Decoder,
    tokenizer,
    prompt: str,
    *,
    max_new_tokens: int = 60,
    temperature: float = 0.8,
    top_k: int | None = None,
    top_p: float | None = None,
    seed: int = 0,
) -> str:
    """The model's continuation of ``prompt`` (the new text only), sampled with
    ``make_sampler(temperature, top_k, top_p)`` from a generator seeded ``seed``.

    Unknown characters raise ``ValueError`` naming them; an empty prompt is
    refused. Introduced in 13_train_a_tiny_llm.
    """
    steps = stream_text(
        model, tokenizer, prompt, max_new_tokens=max_new_tokens,
        temperature=temperature, top_k=top_k, top_p=top_p, seed=seed,
        tokens_per_step=max_new_tokens,
    )  # fmt: skip
    return list(steps)[-1]  # one step: the whole continuation


def stream_text(
    model: Decoder,
    tokenizer,
    prompt: str,
    *,
    max_new_tokens: int = 60,
    temperature: float = 0.8,
    top_k: int | None = None,
    top_p: float | None = None,
    seed: int = 0,
    tokens_per_step: int = 8,
) -> Iterator[str]:
    """``continue_text`` in steps: yields the continuation so far after every
    ``tokens_per_step`` new tokens, the whole continuation last. A panel shows
    each step and leaves the kernel free in between, so a long continuation never
    blocks it. One sampler (one seeded generator) serves every step; each step
    starts a fresh KV cache (cached and uncached decoding agree token for token).
    Introduced in 13_train_a_tiny_llm.
    """
    if not isinstance(model, Decoder):
        raise TypeError(f"model must be a Decoder, got {type(model).__name__}")
    if not isinstance(prompt, str) or prompt == "":
        raise ValueError("type a prompt of at least one character")
    max_new_tokens = check_int(max_new_tokens, "max_new_tokens", low=1, high=2000)
    tokens_per_step = check_int(tokens_per_step, "tokens_per_step", low=1)
    ids = tokenizer.encode(prompt)  # ValueError for characters outside the vocabulary
    device = next(model.parameters()).device
    sampler = make_sampler(
        temperature, top_k, top_p, generator=torch.Generator().manual_seed(seed)
    )
    return _stream(model, tokenizer, ids, device, sampler, max_new_tokens,
                   tokens_per_step)  # fmt: skip


def _stream(model, tokenizer, ids, device, sampler, max_new_tokens, tokens_per_step):
    idx = torch.tensor([ids], dtype=torch.long, device=device)  # (1, T)
    made = 0
    while made < max_new_tokens:
        step = min(tokens_per_step, max_new_tokens - made)
        idx = generate(model, idx, step, sample=sampler)  # (1, T + made + step)
        made += step
        yield tokenizer.decode(idx[0, len(ids) :].tolist())


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
    deterministic. Memory grows with the blocks in use, not with ``num_blocks``:
    blocks never handed out are just a counter. Introduced in
    14_inference_and_kv_cache.
    """

    def __init__(self, num_blocks: int, block_size: int):
        self.num_blocks = check_int(num_blocks, "num_blocks", low=1)
        self.block_size = check_int(block_size, "block_size", low=1)
        self.capacity = self.num_blocks * self.block_size
        self._returned: list[int] = []  # heap of freed ids, all < _next_unused
        self._next_unused = 0  # blocks >= this id were never handed out
        self.block_tables: dict[int, list[int]] = {}  # sequence id -> block ids
        self.lengths: dict[int, int] = {}  # sequence id -> tokens stored

    @property
    def n_free_blocks(self) -> int:
        """How many blocks nobody holds."""
        return len(self._returned) + self.num_blocks - self._next_unused

    @property
    def free_blocks(self) -> list[int]:
        """The free block ids, lowest first (built on request)."""
        return sorted(self._returned) + list(range(self._next_unused, self.num_blocks))

    def can_add(self) -> bool:
        """Whether at least one free block is left."""
        return self.n_free_blocks > 0

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
        if needed > self.n_free_blocks:
            raise MemoryError(
                f"sequence {seq_id} needs {needed} more block(s), "
                f"{self.n_free_blocks} free"
            )
        table = self.block_tables[seq_id]
        for _ in range(needed):
            if self._returned:  # freed ids are all lower than never-used ones
                table.append(heapq.heappop(self._returned))
            else:
                table.append(self._next_unused)
                self._next_unused += 1
        self.lengths[seq_id] = new_length

    def free(self, seq_id: int) -> None:
        """Return a finished sequence's blocks to the free list."""
        if seq_id not in self.lengths:
            raise ValueError(f"unknown sequence {seq_id}; add() it first")
        for block in self.block_tables.pop(seq_id):
            heapq.heappush(self._returned, block)
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
    blocks_needed = sum(math.ceil(n / block_size) for n in lengths)
    # Block tables are Python lists of ints: about 36 bytes per block in use.
    require_memory(36 * blocks_needed, "compare_allocators' block tables")
    contiguous = ContiguousKVAllocator(capacity, max_seq_len)
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


def random_lengths(n_requests: int, max_seq_len: int, seed: int = 0) -> list[int]:
    """Final lengths of ``n_requests`` requests, uniform in 1 … max_seq_len
    (a seeded, reproducible draw). Introduced in 14_inference_and_kv_cache."""
    n_requests = check_int(n_requests, "n_requests", low=1)
    max_seq_len = check_int(max_seq_len, "max_seq_len", low=1)
    rng = random.Random(seed)
    return [rng.randint(1, max_seq_len) for _ in range(n_requests)]


def allocate_both(lengths, max_seq_len: int, block_size: int, capacity: int):
    """Store requests of ``lengths`` in both allocators with ``capacity`` slots,
    admitting them in order while they fit; returns (contiguous, paged, admitted
    counts). Introduced in 14_inference_and_kv_cache."""
    contiguous = ContiguousKVAllocator(capacity, max_seq_len)
    paged = PagedKVAllocator(capacity // block_size, block_size)
    admitted = {"contiguous": 0, "paged": 0}
    for seq, n in enumerate(lengths):
        if contiguous.can_add() and admitted["contiguous"] == seq:
            contiguous.add(seq)
            contiguous.append(seq, n)
            admitted["contiguous"] += 1
        needed = -(-n // block_size)
        if len(paged.free_blocks) >= needed and admitted["paged"] == seq:
            paged.add(seq)
            paged.append(seq, n)
            admitted["paged"] += 1
    return contiguous, paged, admitted
