"""``python -m helpers.train`` (also under ``torchrun … -m helpers.train``).

Exits with 130 (the shell's code for Ctrl-C) when a run was interrupted and
saved, so scripts can tell it from a finished run.
"""

import sys

from helpers.train.cli import main

if __name__ == "__main__":
    summary = main(sys.argv[1:])
    sys.exit(130 if summary.get("interrupted") else 0)
