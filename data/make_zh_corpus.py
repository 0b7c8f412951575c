"""Build data/zh_corpus.txt: the course's own Chinese prose, as plain text.

Used by 13_train_a_tiny_llm (``helpers.data.corpora.load_zh_corpus``). The text
comes from the markdown cells of the course notebooks ``notebooks/NN_*.ipynb``
(NN < 90) in file-name order; code blocks, inline code, formulas, HTML tags,
link targets and markdown markup are removed, and only lines that contain
Chinese characters are kept. Running it again on the same notebooks writes
the same file byte for byte.

Usage: python data/make_zh_corpus.py
"""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "data" / "zh_corpus.txt"

_PATTERNS = [
    (re.compile(r"```.*?```", re.S), " "),  # fenced code
    (re.compile(r"\$\$.*?\$\$", re.S), " "),  # display math
    (re.compile(r"\$[^$\n]*\$"), " "),  # inline math
    (re.compile(r"`[^`\n]*`"), " "),  # inline code
    (re.compile(r"<[^>\n]+>"), " "),  # HTML tags (<details>, <summary>, <br>)
    (re.compile(r"!?\[([^\]\n]*)\]\([^)\n]*\)"), r"\1"),  # links: keep the text
    (re.compile(r"^\s*(#+|>|[-*+]|\d+\.)\s+", re.M), ""),  # headings, lists, quotes
    (re.compile(r"[*_]{1,3}"), ""),  # emphasis
    (re.compile(r"\|"), " "),  # table pipes
    (re.compile(r"[ \t]+"), " "),  # runs of spaces
]
_CHINESE = re.compile(r"[\u4e00-\u9fff]")


def markdown_to_text(markdown: str) -> list[str]:
    """The Chinese-bearing lines of one markdown cell, markup removed."""
    for pattern, replacement in _PATTERNS:
        markdown = pattern.sub(replacement, markdown)
    lines = (line.strip() for line in markdown.splitlines())
    return [line for line in lines if _CHINESE.search(line)]


def build_corpus(notebooks_dir: Path) -> str:
    """All notebooks' prose, in sorted file order, one paragraph per line."""
    lines: list[str] = []
    for path in sorted(notebooks_dir.glob("[0-9][0-9]_*.ipynb")):
        if int(path.name[:2]) >= 90:  # scratch notebooks are not course text
            continue
        notebook = json.loads(path.read_text(encoding="utf-8"))
        for cell in notebook.get("cells", []):
            if cell.get("cell_type") == "markdown":
                source = cell.get("source", "")
                source = "".join(source) if isinstance(source, list) else source
                lines.extend(markdown_to_text(source))
    if not lines:
        raise SystemExit(f"no Chinese markdown found in {notebooks_dir}/*.ipynb")
    return "\n".join(lines) + "\n"


def main() -> None:
    text = build_corpus(ROOT / "notebooks")
    OUT.write_text(text, encoding="utf-8")
    print(
        f"wrote {OUT.relative_to(ROOT)}: {len(text):,} characters, "
        f"{len(set(text)):,} distinct"
    )


if __name__ == "__main__":
    main()
