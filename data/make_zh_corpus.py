"""Build data/zh_corpus.txt: the course's own Chinese prose, as plain text.

Used by 13_train_a_tiny_llm (``helpers.data.corpora.load_zh_corpus``). The text
comes from the markdown cells of the course notebooks ``notebooks/NN_*.ipynb``
(NN < 90) in file-name order. Markup is removed and the text kept: code blocks
and display formulas go (they are not prose); inline code and inline formulas
keep their text (`head_dim` -> head_dim, $d_k$ -> d_k); HTML tags go, but only
real ones (<details>, <summary>, <br> …), so "T < 1 … T > 1" survives; emphasis
markers go, but underscores inside words stay (head_dim); links keep their text;
HTML entities and backslash escapes become the characters they stand for. Only
lines that contain Chinese characters are kept. Running it again on the same
notebooks writes the same file byte for byte.

Usage: python data/make_zh_corpus.py
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "data" / "zh_corpus.txt"

# Removed whole: they are not prose (and take whole lines of their own).
_BLOCKS = re.compile(r"```.*?```|~~~.*?~~~|\$\$.*?\$\$", re.S)
# Kept verbatim, shielded from the markup rules: inline code, inline math and
# backslash escapes (group 1, 2 or 3 is the text kept).
_LITERALS = re.compile(
    r"(`+)(.+?)\1"  # inline code, any number of backticks
    r"|(?<!\\)\$([^$\n]+?)\$"  # inline math
    r"|\\([\\`*_{}\[\]()#+\-.!|<>$~])"  # backslash escapes
)
_HTML_TAGS = (
    "a|b|blockquote|br|center|code|details|div|em|font|hr|i|img|kbd|li|ol|p|pre|"
    "small|span|strong|sub|summary|sup|table|tbody|td|th|thead|tr|u|ul"
)
_MARKUP = [
    (re.compile(rf"</?(?:{_HTML_TAGS})\b[^<>\n]*/?>", re.I), " "),  # HTML tags only
    (re.compile(r"!?\[([^\]\n]*)\]\([^)\n]*\)"), r"\1"),  # links: keep the text
    (re.compile(r"^\s*(#+|>|[-*+]|\d+\.)\s+", re.M), ""),  # headings, lists, quotes
    (re.compile(r"(\*{1,3})(?=\S)(.+?)(?<=\S)\1"), r"\2"),  # *emphasis*
    (re.compile(r"(?<!\w)(_{1,3})(?=\S)(.+?)(?<=\S)\1(?!\w)"), r"\2"),  # _emphasis_
    (re.compile(r"\|"), " "),  # table pipes
]
_SPACES = re.compile(r"[ \t]+")
_CHINESE = re.compile(r"[\u4e00-\u9fff]")
_SLOT = "\ue000{}\ue001"  # private-use characters: never in the notebooks
_SLOTS = re.compile("\ue000(\\d+)\ue001")


def markdown_to_text(markdown: str) -> list[str]:
    """The Chinese-bearing lines of one markdown cell, markup removed."""
    markdown = _BLOCKS.sub("\n", markdown)
    kept: list[str] = []

    def shield(match: re.Match) -> str:
        kept.append(next(g for g in match.groups()[1:] if g is not None).strip())
        return _SLOT.format(len(kept) - 1)

    markdown = _LITERALS.sub(shield, markdown)
    for pattern, replacement in _MARKUP:
        markdown = pattern.sub(replacement, markdown)
    markdown = html.unescape(markdown)
    markdown = _SLOTS.sub(lambda m: kept[int(m[1])], markdown)
    lines = (_SPACES.sub(" ", line).strip() for line in markdown.splitlines())
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
    OUT.write_text(text, encoding="utf-8", newline="\n")
    print(
        f"wrote {OUT.relative_to(ROOT)}: {len(text):,} characters, "
        f"{len(set(text)):,} distinct"
    )


if __name__ == "__main__":
    main()
