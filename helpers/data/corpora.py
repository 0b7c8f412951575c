"""Text corpora for training the tiny decoder, and random (B, T) batches.

Introduced in 13_train_a_tiny_llm. Nothing is downloaded (COURSE.md §6):

* ``load_zh_corpus()``: the course's own Chinese prose, extracted from the
  notebooks' markdown by ``data/make_zh_corpus.py`` and committed as
  ``data/zh_corpus.txt``;
* ``load_stdlib_corpus()``: Python source read from the running interpreter's
  standard library (sorted file order, ASCII files only, a size cap in bytes);
* ``load_text_file()``: any UTF-8 text file.

``train_val_split`` cuts a token tensor into a training head and a validation
tail; ``TokenBatches`` draws random windows of ``context_length`` tokens with a
``torch.Generator`` (inputs ``x`` and next-token targets ``y``, both (B, T)).
"""

from __future__ import annotations

import os
import sysconfig
from pathlib import Path

import torch

from helpers.validate import check_choice, check_int, check_number

__all__ = [
    "CORPORA",
    "ZH_CORPUS_PATH",
    "TokenBatches",
    "load_stdlib_corpus",
    "load_text_file",
    "load_zh_corpus",
    "train_val_split",
]

ROOT = Path(__file__).resolve().parents[2]
#: The committed Chinese corpus (rebuild with ``python data/make_zh_corpus.py``).
ZH_CORPUS_PATH = ROOT / "data" / "zh_corpus.txt"
#: Names of the built-in text corpora (``addition`` lives in helpers.data.addition).
CORPORA = ("zh", "stdlib")

_SKIP_DIRS = {"site-packages", "dist-packages", "__pycache__", "test", "tests"}


def load_text_file(path: str | os.PathLike, *, min_chars: int = 100) -> str:
    """Read a UTF-8 text file; ValueError if it is missing, not UTF-8, or shorter
    than ``min_chars`` characters."""
    min_chars = check_int(min_chars, "min_chars", low=1)
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path must be a str or Path, got {type(path).__name__}")
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"text file not found: {path}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path} is not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror}") from None
    if len(text) < min_chars:
        raise ValueError(
            f"{path} has {len(text)} characters; at least {min_chars} are needed"
        )
    return text


def load_zh_corpus() -> str:
    """The course's Chinese corpus (``data/zh_corpus.txt``)."""
    if not ZH_CORPUS_PATH.is_file():
        raise ValueError(
            f"{ZH_CORPUS_PATH} is missing; build it with python data/make_zh_corpus.py"
        )
    return ZH_CORPUS_PATH.read_text(encoding="utf-8")


def _stdlib_files(stdlib: Path) -> list[Path]:
    files = []
    for folder, subdirs, names in os.walk(stdlib):
        subdirs[:] = sorted(d for d in subdirs if d not in _SKIP_DIRS)
        files.extend(Path(folder) / n for n in sorted(names) if n.endswith(".py"))
    return sorted(files, key=lambda p: p.relative_to(stdlib).as_posix())


def load_stdlib_corpus(max_bytes: int = 1_000_000) -> str:
    """Python standard-library source, at most ``max_bytes`` bytes.

    Files are visited in sorted path order and only pure-ASCII files are used
    (a small character vocabulary), so the text is the same on every run of one
    Python version. Each file starts with a ``# file: name`` line.
    """
    max_bytes = check_int(max_bytes, "max_bytes", low=1_000)
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    parts, size = [], 0
    for path in _stdlib_files(stdlib):
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if not data.isascii():
            continue
        chunk = f"# file: {path.relative_to(stdlib).as_posix()}\n" + data.decode()
        parts.append(chunk[: max_bytes - size])  # ASCII: 1 byte per character
        size += len(parts[-1])
        if size >= max_bytes:
            break
    if size == 0:
        raise ValueError(f"no ASCII .py files found under {stdlib}")
    return "".join(parts)


def train_val_split(
    ids: torch.Tensor, val_fraction: float = 0.1
) -> tuple[torch.Tensor, torch.Tensor]:
    """Split a 1-D token tensor: the first part trains, the last ``val_fraction``
    validates (a contiguous tail, so no window straddles both)."""
    if not isinstance(ids, torch.Tensor) or ids.ndim != 1:
        raise TypeError("ids must be a 1-D torch tensor of token ids")
    val_fraction = check_number(
        val_fraction, "val_fraction", low=0.0, high=0.5, low_inclusive=False
    )
    n_val = max(1, int(round(len(ids) * val_fraction)))
    if len(ids) - n_val < 2:
        raise ValueError(f"{len(ids)} tokens are too few to split")
    return ids[:-n_val], ids[-n_val:]


class TokenBatches:
    """Random training windows from a token stream: ``batches("train", gen)``
    returns ``x, y`` of shape (B, T) with ``y[:, t] = x[:, t + 1]`` in the text.

    Introduced in 13_train_a_tiny_llm.
    """

    def __init__(
        self,
        train_ids: torch.Tensor,
        val_ids: torch.Tensor,
        *,
        batch_size: int,
        context_length: int,
    ):
        self.batch_size = check_int(batch_size, "batch_size", low=1)
        self.context_length = check_int(context_length, "context_length", low=1)
        self.data = {}
        for split, ids in (("train", train_ids), ("val", val_ids)):
            if not isinstance(ids, torch.Tensor) or ids.ndim != 1:
                raise TypeError(f"{split} ids must be a 1-D torch tensor")
            if len(ids) < self.context_length + 1:
                raise ValueError(
                    f"the {split} split has {len(ids)} tokens; context_length="
                    f"{self.context_length} needs at least {self.context_length + 1}"
                )
            self.data[split] = ids.long()

    @property
    def train_tokens(self) -> int:
        """Tokens in the training split (one epoch), for ``helpers.train.epochs``."""
        return len(self.data["train"])

    def __call__(
        self, split: str, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        check_choice(split, "split", ("train", "val"))
        ids = self.data[split]
        T = self.context_length
        starts = torch.randint(
            0, len(ids) - T, (self.batch_size,), generator=generator
        )  # (B,)
        offsets = torch.arange(T + 1)  # (T + 1,)
        windows = ids[starts[:, None] + offsets]  # (B, T + 1)
        return windows[:, :-1], windows[:, 1:]
