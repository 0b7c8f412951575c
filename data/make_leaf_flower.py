"""Write data/leaf_flower.csv: the generated leaf / flower set (fixed seed).

Usage: python data/make_leaf_flower.py [OUTPUT.csv]
Running it again writes the same bytes (the generator has a fixed seed). The
notebook 02_leaf_flower loads the file with helpers.data.leaf_flower.load_csv().
"""

from __future__ import annotations

import sys
from pathlib import Path

from helpers.data.leaf_flower import CSV_PATH, generate, write_csv


def main(argv: list[str]) -> None:
    path = Path(argv[0]) if argv else CSV_PATH
    data = generate(n_per_class=150, seed=4)
    write_csv(data, path)
    print(f"wrote {len(data)} rows to {path}")


if __name__ == "__main__":
    main(sys.argv[1:])
