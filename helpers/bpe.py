"""Byte-level byte-pair encoding (BPE): train, encode, decode.

Introduced in 09_tokens_and_embeddings. Text is first cut into chunks (a word with
its leading space, a run of punctuation, a run of spaces), each chunk becomes its
UTF-8 bytes (IDs 0 … 255), and training repeatedly merges the most frequent
adjacent pair of IDs inside chunks into a new ID (256, 257, …). Ties between
equally frequent pairs go to the smallest pair ``(a, b)``, so training is
deterministic. Because the base alphabet is all 256 bytes, every Unicode string
(Chinese, emoji, the empty string) encodes and decodes back exactly.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from numbers import Integral

from helpers.validate import check_int, check_token_ids

__all__ = ["BPETokenizer", "merge_pair", "pair_counts", "pretokenize", "train_bpe"]

_FORMAT = "byte-bpe-v1"
# A word with an optional leading space | punctuation with an optional leading
# space | spaces not followed by a word (so " word" keeps its space) | other spaces.
# Every character is matched by one alternative, so the chunks rebuild the text.
_CHUNK = re.compile(r"\s?\w+|\s?[^\w\s]+|\s+(?!\S)|\s+")


def pretokenize(text: str) -> list[str]:
    """Cut ``text`` into the chunks BPE works inside; ``"".join`` gives it back.

    Introduced in 09_tokens_and_embeddings.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return _CHUNK.findall(text)


def _to_bytes(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = text[exc.start]
        raise ValueError(
            f"text contains {bad!r} (U+{ord(bad):04X}) at position {exc.start}, "
            "a lone surrogate that has no UTF-8 encoding"
        ) from None


def merge_pair(ids: Sequence[int], pair: tuple[int, int], new_id: int) -> list[int]:
    """``ids`` with every occurrence of ``pair`` replaced by ``new_id``, scanning
    left to right (so ``(a, a)`` in ``a a a`` merges once).

    Introduced in 09_tokens_and_embeddings.
    """
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and ids[i] == pair[0] and ids[i + 1] == pair[1]:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def pair_counts(ids: Sequence[int]) -> Counter:
    """How often each adjacent pair ``(ids[i], ids[i + 1])`` occurs.

    Introduced in 09_tokens_and_embeddings.
    """
    return Counter(zip(ids, ids[1:], strict=False))


class BPETokenizer:
    """A trained byte-level BPE: ``merges[r]`` is the pair that became ID ``256 + r``.

    Build one with ``train_bpe(text, n_merges)`` (or ``BPETokenizer.train``).
    ``encode(text, n_merges=m)`` uses only the first ``m`` merges, which shows
    how compression grows with the number of merges. Introduced in
    09_tokens_and_embeddings.
    """

    def __init__(self, merges: Iterable[tuple[int, int]]):
        if isinstance(merges, str | bytes) or not isinstance(merges, Iterable):
            raise TypeError(
                f"merges must be a sequence of (int, int) pairs, got {type(merges).__name__}"
            )
        checked: list[tuple[int, int]] = []
        for rank, pair in enumerate(merges):
            if not isinstance(pair, Sequence) or len(pair) != 2:
                raise ValueError(f"merges[{rank}] must be a pair (a, b), got {pair!r}")
            for token_id in pair:
                if isinstance(token_id, bool) or not isinstance(token_id, Integral):
                    raise TypeError(f"merges[{rank}] must hold integers, got {pair!r}")
                if not 0 <= token_id < 256 + rank:
                    raise ValueError(
                        f"merges[{rank}] = {tuple(pair)} uses an ID that does not exist "
                        f"yet: expected IDs 0 … {256 + rank - 1}"
                    )
            checked.append((int(pair[0]), int(pair[1])))
        if len(set(checked)) != len(checked):
            raise ValueError("merges must not repeat a pair")
        self.merges: list[tuple[int, int]] = checked
        self.ranks: dict[tuple[int, int], int] = {p: r for r, p in enumerate(checked)}
        self.vocab: dict[int, bytes] = {i: bytes([i]) for i in range(256)}
        for rank, (a, b) in enumerate(checked):
            self.vocab[256 + rank] = self.vocab[a] + self.vocab[b]

    # --- training -----------------------------------------------------------
    @classmethod
    def train(cls, text: str, n_merges: int) -> BPETokenizer:
        """Learn up to ``n_merges`` merges from ``text``.

        Stops early when no adjacent pair occurs at least twice (then
        ``len(tokenizer.merges) < n_merges``). Pair counts are updated
        incrementally: a merge only recounts the chunks that contain the pair.
        """
        n_merges = check_int(n_merges, "n_merges", low=0, high=100_000)
        chunk_counts = Counter(_to_bytes(c) for c in pretokenize(text))
        words = [list(chunk) for chunk in chunk_counts]  # each distinct chunk once
        weights = list(chunk_counts.values())  # how often each chunk occurs
        counts: Counter = Counter()
        where: defaultdict[tuple[int, int], set[int]] = defaultdict(set)
        for index, word in enumerate(words):
            for pair, count in pair_counts(word).items():
                counts[pair] += count * weights[index]
                where[pair].add(index)
        merges: list[tuple[int, int]] = []
        for rank in range(n_merges):
            if not counts:
                break
            # most frequent pair; ties go to the smallest (a, b)
            best = max(counts, key=lambda p: (counts[p], -p[0], -p[1]))
            if counts[best] < 2:
                break
            merges.append(best)
            for index in where.pop(best):
                old, weight = words[index], weights[index]
                new = merge_pair(old, best, 256 + rank)
                for pair, count in pair_counts(old).items():
                    counts[pair] -= count * weight
                    if counts[pair] <= 0:
                        del counts[pair]
                    if pair != best:
                        where[pair].discard(index)
                for pair, count in pair_counts(new).items():
                    counts[pair] += count * weight
                    where[pair].add(index)
                words[index] = new
        return cls(merges)

    # --- using it -----------------------------------------------------------
    @property
    def vocab_size(self) -> int:
        """256 byte tokens plus one token per merge."""
        return 256 + len(self.merges)

    def __len__(self) -> int:
        return self.vocab_size

    def __repr__(self) -> str:
        return (
            f"BPETokenizer(n_merges={len(self.merges)}, vocab_size={self.vocab_size})"
        )

    def _check_n_merges(self, n_merges: int | None) -> int:
        if n_merges is None:
            return len(self.merges)
        return check_int(n_merges, "n_merges", low=0, high=len(self.merges))

    def _encode_chunk(self, data: bytes, n_merges: int) -> list[int]:
        ids = list(data)
        while len(ids) >= 2:
            # the earliest-learned merge that applies here goes first, as in training
            ranked = [
                (self.ranks[p], p)
                for p in zip(ids, ids[1:], strict=False)
                if self.ranks.get(p, n_merges) < n_merges
            ]
            if not ranked:
                break
            rank, pair = min(ranked)
            ids = merge_pair(ids, pair, 256 + rank)
        return ids

    def encode(self, text: str, n_merges: int | None = None) -> list[int]:
        """Token IDs of ``text`` using the first ``n_merges`` merges (default all)."""
        n_merges = self._check_n_merges(n_merges)
        ids: list[int] = []
        for chunk in pretokenize(text):
            ids.extend(self._encode_chunk(_to_bytes(chunk), n_merges))
        return ids

    def _check_ids(self, ids) -> list[int]:
        return check_token_ids(ids, self.vocab_size)

    def decode_bytes(self, ids: Iterable[int]) -> bytes:
        """The raw bytes of a sequence of IDs."""
        return b"".join(self.vocab[i] for i in self._check_ids(ids))

    def decode(self, ids: Iterable[int], errors: str = "strict") -> str:
        """The text of a sequence of IDs. IDs from ``encode`` always decode exactly;
        an arbitrary sequence may cut a character's bytes, which raises
        ``ValueError`` unless ``errors="replace"``."""
        if errors not in ("strict", "replace"):
            raise ValueError(
                f"unknown errors {errors!r}; expected 'strict' or 'replace'"
            )
        data = self.decode_bytes(ids)
        try:
            return data.decode("utf-8", errors=errors)
        except UnicodeDecodeError as exc:
            raise ValueError(
                f"the IDs do not form valid UTF-8 (byte {exc.start} of {len(data)}): "
                "they cut a character in the middle; use errors='replace' to see it"
            ) from None

    def token_text(self, token_id: int) -> str:
        """A readable label of one token: its text, or ``\\xNN`` escapes for bytes
        that are only part of a character."""
        (token_id,) = self._check_ids([token_id])
        return self.vocab[token_id].decode("utf-8", errors="backslashreplace")

    # --- saving -------------------------------------------------------------
    def to_dict(self) -> dict:
        """Plain data (JSON-compatible) to store in a checkpoint."""
        return {"format": _FORMAT, "merges": [list(p) for p in self.merges]}

    @classmethod
    def from_dict(cls, data: dict) -> BPETokenizer:
        """Rebuild a tokenizer saved with ``to_dict``."""
        if not isinstance(data, dict):
            raise TypeError(f"data must be a dict, got {type(data).__name__}")
        if data.get("format") != _FORMAT:
            raise ValueError(
                f"data is not a saved BPETokenizer: expected format {_FORMAT!r}, "
                f"got {data.get('format')!r}"
            )
        return cls([tuple(p) for p in data.get("merges", [])])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BPETokenizer) and self.merges == other.merges


def train_bpe(text: str, n_merges: int) -> BPETokenizer:
    """Train a byte-level BPE with up to ``n_merges`` merges on ``text``.

    Introduced in 09_tokens_and_embeddings.
    """
    return BPETokenizer.train(text, n_merges)
