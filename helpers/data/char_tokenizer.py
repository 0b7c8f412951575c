"""A character-level tokenizer: one token per Unicode character.

Introduced in 09_tokens_and_embeddings; the small language model of Part IV
trains with it. The vocabulary is the sorted set of characters of a text, so the
same text always gives the same IDs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from helpers.validate import check_token_ids

__all__ = ["CharTokenizer"]

_FORMAT = "char-tokenizer-v1"


class CharTokenizer:
    """Map each character to an ID ``0 … vocab_size - 1`` and back.

    ``CharTokenizer.from_text(text)`` builds the vocabulary; ``encode`` raises
    ``ValueError`` naming any character that is not in it; ``to_dict`` /
    ``from_dict`` store it in a checkpoint as plain JSON-compatible data.
    Introduced in 09_tokens_and_embeddings.
    """

    def __init__(self, chars: Sequence[str]):
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

    @classmethod
    def from_text(cls, text: str, extra_chars: Iterable[str] = ()) -> CharTokenizer:
        """The tokenizer whose vocabulary is every distinct character of ``text``
        (plus ``extra_chars``), sorted by code point."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        extra = (
            "".join(extra_chars) if not isinstance(extra_chars, str) else extra_chars
        )
        chars = sorted(set(text) | set(extra))
        if not chars:
            raise ValueError(
                "text is empty: cannot build a vocabulary from no characters"
            )
        return cls(chars)

    @property
    def vocab_size(self) -> int:
        """Number of distinct characters (= number of IDs)."""
        return len(self.chars)

    def __len__(self) -> int:
        return self.vocab_size

    def __repr__(self) -> str:
        return f"CharTokenizer(vocab_size={self.vocab_size})"

    def encode(self, text: str) -> list[int]:
        """The IDs of ``text``'s characters, one per character."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
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
        return {"format": _FORMAT, "chars": "".join(self.chars)}

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
        return cls(list(chars))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CharTokenizer) and self.chars == other.chars
