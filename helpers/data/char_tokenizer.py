"""A character-level tokenizer: one token per Unicode character.

Introduced in 09_tokens_and_embeddings; the small language model of Part IV
trains with it. The vocabulary is the sorted set of characters of a text, so the
same text always gives the same IDs. ``min_count`` folds characters seen fewer
times into one ``UNK`` token (a large vocabulary, such as the ~6,650 characters of
the Tang poems, makes the output layer the most expensive matrix of a small model).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from helpers.validate import check_int, check_token_ids

__all__ = ["UNK", "CharTokenizer"]

_FORMAT = "char-tokenizer-v1"
#: The character that stands for every rare (cut) character: U+FFFD, the
#: replacement character.
UNK = "\ufffd"


class CharTokenizer:
    """Map each character to an ID ``0 … vocab_size - 1`` and back.

    ``CharTokenizer.from_text(text)`` builds the vocabulary; ``encode`` raises
    ``ValueError`` naming any character that is not in it; ``to_dict`` /
    ``from_dict`` store it in a checkpoint as plain JSON-compatible data.
    With ``unk`` set (a character of ``chars``), unknown characters encode to it
    instead of raising. Introduced in 09_tokens_and_embeddings.
    """

    def __init__(self, chars: Sequence[str], *, unk: str | None = None):
        if isinstance(chars, str):
            chars = list(chars)
        if not isinstance(chars, Sequence):
            raise TypeError(
                f"chars must be a sequence of characters, got {type(chars).__name__}"
            )
        chars = list(chars)
        if not chars:
            raise ValueError("chars must not be empty: a vocabulary needs a character")
        for position, char in enumerate(chars):
            if not isinstance(char, str) or len(char) != 1:
                raise ValueError(
                    f"chars[{position}] must be a single character, got {char!r}"
                )
        seen: set[str] = set()
        for char in chars:
            if char in seen:
                raise ValueError(f"chars must be distinct; {char!r} appears twice")
            seen.add(char)
        self.chars: list[str] = chars
        self.char_to_id: dict[str, int] = {c: i for i, c in enumerate(chars)}
        if unk is not None and unk not in self.char_to_id:
            raise ValueError(f"unk {unk!r} must be one of chars")
        self.unk: str | None = unk
        self._unk_id = None if unk is None else self.char_to_id[unk]

    @classmethod
    def from_text(
        cls, text: str, extra_chars: Iterable[str] = (), *, min_count: int = 1
    ) -> CharTokenizer:
        """The tokenizer whose vocabulary is every distinct character of ``text``
        (plus ``extra_chars``), sorted by code point. ``min_count`` > 1 keeps only
        characters seen at least that often; the others (and any unseen
        character) encode to ``UNK``."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        min_count = check_int(min_count, "min_count", low=1)
        extra = (
            "".join(extra_chars) if not isinstance(extra_chars, str) else extra_chars
        )
        if min_count == 1:
            chars = sorted(set(text) | set(extra))
            unk = None
        else:
            counts = Counter(text)
            kept = {c for c, n in counts.items() if n >= min_count} | set(extra)
            chars, unk = sorted(kept | {UNK}), UNK
        if not chars:
            raise ValueError(
                "text is empty: cannot build a vocabulary from no characters"
            )
        return cls(chars, unk=unk)

    @property
    def vocab_size(self) -> int:
        """Number of distinct characters (= number of IDs)."""
        return len(self.chars)

    def __len__(self) -> int:
        return self.vocab_size

    def __repr__(self) -> str:
        unk = "" if self.unk is None else ", unk"
        return f"CharTokenizer(vocab_size={self.vocab_size}{unk})"

    def encode(self, text: str) -> list[int]:
        """The IDs of ``text``'s characters, one per character."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        if self._unk_id is not None:
            get, unk_id = self.char_to_id.get, self._unk_id
            return [get(char, unk_id) for char in text]
        ids = []
        for position, char in enumerate(text):
            token_id = self.char_to_id.get(char)
            if token_id is None:
                raise ValueError(
                    f"unknown character {char!r} (U+{ord(char):04X}) at position "
                    f"{position}: it is not in this tokenizer's {self.vocab_size}-"
                    "character vocabulary"
                )
            ids.append(token_id)
        return ids

    def decode(self, ids: Iterable[int]) -> str:
        """The text of a sequence of IDs (a list, or a 1-D tensor/array)."""
        return "".join(self.chars[i] for i in check_token_ids(ids, self.vocab_size))

    def to_dict(self) -> dict:
        """Plain data (JSON-compatible) to store in a checkpoint."""
        data = {"format": _FORMAT, "chars": "".join(self.chars)}
        if self.unk is not None:
            data["unk"] = self.unk
        return data

    @classmethod
    def from_dict(cls, data: dict) -> CharTokenizer:
        """Rebuild a tokenizer saved with ``to_dict``."""
        if not isinstance(data, dict):
            raise TypeError(f"data must be a dict, got {type(data).__name__}")
        if data.get("format") != _FORMAT:
            raise ValueError(
                f"data is not a saved CharTokenizer: expected format {_FORMAT!r}, "
                f"got {data.get('format')!r}"
            )
        chars = data.get("chars")
        if not isinstance(chars, str):
            raise ValueError("data['chars'] must be a string of the vocabulary")
        unk = data.get("unk")
        if unk is not None and not isinstance(unk, str):
            raise ValueError("data['unk'] must be a character or absent")
        return cls(list(chars), unk=unk)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, CharTokenizer)
            and self.chars == other.chars
            and self.unk == other.unk
        )
