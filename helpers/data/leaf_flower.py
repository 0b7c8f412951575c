"""The leaf / flower data set of 02_leaf_flower: numbers in (R, G, B, volume), a label out.

Introduced in 02_leaf_flower. Holds the two example objects and the six labelled
rows of the seed, a generator of a larger labelled set (fixed seed, so it is the
same on every machine), and the loader of ``data/leaf_flower.csv``, which
``data/make_leaf_flower.py`` writes with that generator.

Every row is ``(R, G, B, volume_ml)``; labels are 0 = leaf, 1 = flower (the order
of the network's two output neurons).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from helpers.validate import as_array, check_int

__all__ = [
    "CLASS_NAMES",
    "CSV_PATH",
    "FEATURE_NAMES",
    "FLOWER",
    "LEAF",
    "LeafFlowerData",
    "SEED_ROWS",
    "SEED_LABELS",
    "generate",
    "hex_to_rgb",
    "load_csv",
    "read_csv",
    "seed_rows",
    "write_csv",
]

#: Names of the four input numbers, in column order.
FEATURE_NAMES = ("R", "G", "B", "volume")
#: Label 0 is a leaf, label 1 a flower (the order of the two output neurons).
CLASS_NAMES = ("leaf", "flower")
#: The seed's leaf: dark green, 11.2 ml.
LEAF = (32.0, 107.0, 56.0, 11.2)
#: The seed's flower (a sunflower): yellow, 59.5 ml.
FLOWER = (241.0, 200.0, 4.0, 59.5)
#: The seed's six labelled training rows (R, G, B, volume).
SEED_ROWS = (
    (242.0, 124.0, 242.0, 17.1),
    (97.0, 48.0, 49.0, 14.9),
    (181.0, 216.0, 210.0, 12.0),
    (27.0, 50.0, 31.0, 11.0),
    (173.0, 55.0, 127.0, 7.9),
    (229.0, 71.0, 216.0, 7.8),
)
#: Their labels: flower, flower, leaf, leaf, flower, flower.
SEED_LABELS = (1, 1, 0, 0, 1, 1)

#: Where the committed generated set lives.
CSV_PATH = Path(__file__).resolve().parents[2] / "data" / "leaf_flower.csv"

_HEADER = ("R", "G", "B", "volume", "label")


@dataclass(frozen=True)
class LeafFlowerData:
    """A labelled set: ``X`` of shape (N, 4) and integer ``y`` of shape (N,)."""

    X: np.ndarray  # (N, 4) float64: R, G, B in 0..255, volume in ml
    y: np.ndarray  # (N,) int64: 0 = leaf, 1 = flower

    def __len__(self) -> int:
        return int(self.y.shape[0])


def seed_rows() -> LeafFlowerData:
    """The six hand-labelled rows of 02_leaf_flower as arrays."""
    return LeafFlowerData(
        np.array(SEED_ROWS, dtype=np.float64), np.array(SEED_LABELS, dtype=np.int64)
    )


def _hsv_to_rgb(h: np.ndarray, s: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Vectorised HSV → RGB (h in degrees, s and v in [0, 1]) → values in [0, 255]."""
    c = v * s
    hp = (h % 360.0) / 60.0
    x = c * (1 - np.abs(hp % 2 - 1))
    zeros = np.zeros_like(h)
    sector = np.floor(hp).astype(int) % 6
    choices = [
        np.stack([c, x, zeros], 1),
        np.stack([x, c, zeros], 1),
        np.stack([zeros, c, x], 1),
        np.stack([zeros, x, c], 1),
        np.stack([x, zeros, c], 1),
        np.stack([c, zeros, x], 1),
    ]
    rgb = np.zeros((h.shape[0], 3))
    for k, choice in enumerate(choices):
        rgb[sector == k] = choice[sector == k]
    return (rgb + (v - c)[:, None]) * 255.0


def generate(n_per_class: int = 150, seed: int = 4) -> LeafFlowerData:
    """A larger labelled set, drawn with a fixed seed (same on every machine).

    Leaves are green to teal (hue 75°–175°), small (volume around 10 ml);
    flowers are red, orange, yellow, pink or purple (hue 290°–50°), bigger on
    average but overlapping the leaves in volume. Colours are rounded to whole
    numbers and volumes to 0.1 ml, as in the seed. Rows alternate leaf / flower
    order at random (shuffled with the same seed).
    """
    n = check_int(n_per_class, "n_per_class", low=1, high=100_000)
    seed = check_int(seed, "seed", low=0, high=2**32 - 1)
    rng = np.random.default_rng(seed)
    leaf_h = rng.uniform(75.0, 175.0, n)
    leaf_s = rng.uniform(0.15, 0.85, n)
    leaf_v = rng.uniform(0.18, 0.90, n)
    leaf_vol = np.clip(rng.lognormal(np.log(10.0), 0.35, n), 2.0, 40.0)
    flower_h = rng.uniform(-70.0, 50.0, n) % 360.0
    flower_s = rng.uniform(0.35, 1.0, n)
    flower_v = rng.uniform(0.35, 1.0, n)
    flower_vol = np.clip(rng.lognormal(np.log(20.0), 0.6, n), 3.0, 90.0)
    rgb = np.round(
        _hsv_to_rgb(
            np.concatenate([leaf_h, flower_h]),
            np.concatenate([leaf_s, flower_s]),
            np.concatenate([leaf_v, flower_v]),
        )
    )
    volume = np.round(np.concatenate([leaf_vol, flower_vol]), 1)
    X = np.column_stack([rgb, volume])
    y = np.concatenate([np.zeros(n, np.int64), np.ones(n, np.int64)])
    order = rng.permutation(2 * n)
    return LeafFlowerData(X[order], y[order])


def write_csv(data: LeafFlowerData, path: str | Path) -> Path:
    """Write ``data`` as CSV with header R,G,B,volume,label (label as a name)."""
    if not isinstance(data, LeafFlowerData):
        raise TypeError(f"data must be LeafFlowerData, got {type(data).__name__}")
    path = Path(path)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(_HEADER)
        for row, label in zip(data.X, data.y, strict=True):
            r, g, b, vol = row
            writer.writerow(
                [int(r), int(g), int(b), f"{vol:.1f}", CLASS_NAMES[int(label)]]
            )
    return path


def read_csv(path: str | Path) -> LeafFlowerData:
    """Read a CSV written by ``write_csv``; raise ``ValueError`` on a bad file."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(
            f"no leaf/flower CSV at {path}; run `python data/make_leaf_flower.py`"
        )
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    if not rows or tuple(rows[0]) != _HEADER:
        raise ValueError(f"{path} must start with the header {','.join(_HEADER)}")
    features, labels = [], []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(_HEADER) or row[4] not in CLASS_NAMES:
            raise ValueError(
                f"{path}, line {number}: expected R,G,B,volume,label with label "
                f"'leaf' or 'flower', got {row!r}"
            )
        try:
            features.append([float(v) for v in row[:4]])
        except ValueError:
            raise ValueError(
                f"{path}, line {number}: non-numeric value in {row!r}"
            ) from None
        labels.append(CLASS_NAMES.index(row[4]))
    if not labels:
        raise ValueError(f"{path} holds no rows")
    X = as_array(features, "rows of " + str(path), ndim=2)
    return LeafFlowerData(X, np.array(labels, dtype=np.int64))


def load_csv() -> LeafFlowerData:
    """The committed generated set ``data/leaf_flower.csv`` (300 rows)."""
    return read_csv(CSV_PATH)


def hex_to_rgb(color: str) -> tuple[int, int, int]:
    """``"#206b38"`` (or a colour name) → ``(32, 107, 56)``, as the picker gives."""
    from matplotlib.colors import to_rgb

    if not isinstance(color, str):
        raise TypeError(
            f"color must be a string like '#206b38', got {type(color).__name__}"
        )
    try:
        rgb = to_rgb(color.strip())
    except ValueError:
        raise ValueError(
            f"color must be a hex string like '#206b38' or a colour name, got {color!r}"
        ) from None
    return tuple(int(round(255 * c)) for c in rgb)
