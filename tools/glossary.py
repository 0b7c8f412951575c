"""The course glossary (术语表), generated from the notebooks.

Every notebook introduces its terms as "中文 (English)" the first time they
appear: 激活函数 (activation function). This tool collects every such pair from
the notebooks' markdown cells, keeps the first appearance of each (notebook and
section heading), and writes ``guide/glossary.md`` sorted twice: by the pinyin of
the Chinese term and by the English term. The glossary is never written by hand:

    .venv/bin/python tools/glossary.py           # rewrite guide/glossary.md
    .venv/bin/python tools/glossary.py --check   # exit 1 if it is stale

``tests/test_glossary.py`` fails when the committed file lacks a term a notebook
introduces, so a notebook edit that adds a term also regenerates the glossary.

The rule (what counts as a term)
--------------------------------
Searched: the text of markdown cells (headings included). Fenced code blocks,
inline code, LaTeX math ($…$, $$…$$), bare URLs and link targets are cut out and
leave a boundary no term crosses ("下面的 `stoi` (string to integer)" is not a
term); HTML tags are dropped.

A term is a run of Chinese characters (optionally led by an upper-case acronym
such as "KV "), immediately followed by an optional space and a parenthesis,
ASCII or full-width, holding the English: ``词元 (token)``, ``KV 缓存 (KV
cache)``, ``**下溢** (underflow)``. Bold markers start a new run, so the bold
word is the term. The Chinese run is cut after its last grammatical character
(的/是/叫/把/在/这/…), then leading verbs of a goal or sentence (理解, 看懂, 写出,
用, …) are stripped while two characters remain: "这就是贪心解码 (greedy
decoding)" gives 贪心解码, "1. 理解残差连接 (residual connection)" gives 残差连接.
A run longer than 10 characters after trimming is a phrase, not a term; a run
that directly follows a letter, a digit or "/" ("4 字节/参数（FP32）") is skipped.

Not a term (filtered as false positives):
- parentheses holding any Chinese character: "(见 12 节)", "(第 2 维)", and the
  reversed form "ReLU (修正线性单元, Rectified Linear Unit)";
- parentheses holding code or maths characters (``= _ / \\ < > * ^ | [ ] { } $ ` @ # % + ~``),
  digits ("(GPT-2)", "(FP32)", "(13.48 GB)"), a one-letter item or only short items
  ("(B, T, H)", "(N, out)", "(out, in)"), or no English word of two or more
  letters ("(0.8, 0.2)");
- parentheses starting with "see", "e.g.", "i.e.", "cf.", "via", or longer than
  60 characters / 8 words (a remark, not a name);
- everything inside code, math, URLs and HTML, as above.
Introduced with the teacher's guide (issue 15); the notebooks do not import it.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from pypinyin import Style, lazy_pinyin

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
GLOSSARY_PATH = ROOT / "guide" / "glossary.md"

__all__ = [
    "Term",
    "extract_terms",
    "glossary_entries",
    "main",
    "render_markdown",
    "terms_in_text",
    "write_glossary",
]

_CJK = "\u4e00-\u9fff"
_BOUNDARY = "\u241e"  # where code, maths, a link or a bold span was: no term crosses it
# Grammatical characters that often precede a term in running prose.
_TRIM = set(
    "的是叫为把用在和与或即称将从给让被由以这那了就也都还要会个种当其之如时再按它到们者些"
)
# Verbs and phrases that open a goal or a sentence in front of a term.
_PREFIXES = tuple(
    "一步一步算出 一眼看清 直观 先 走一遍 亲手 理解 看懂 看清 看到 实现 写出 观察 区分 "
    "比较 解释 认识 掌握 说清 弄清 算出 只凭 抑制 没算 没有 表示 来自 视角推出 "
    "加载 损失换算成 说明 文字切成 接 通过 最多 拆成 分清 用 做 上".split()
)
_MAX_ZH_CHARS = 10
_CODE_CHARS = set("=_/\\<>*^|[]{}$`@#%+~")
_SKIP_PREFIXES = ("see ", "e.g", "i.e", "cf.", "via ", "vs")
_MAX_EN_CHARS, _MAX_EN_WORDS = 60, 8

_FENCE = re.compile(r"```.*?```", re.S)
_DISPLAY_MATH = re.compile(r"\$\$.*?\$\$", re.S)
_INLINE_MATH = re.compile(r"\$[^$\n]+\$")
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"\[([^\]\n]*)\]\([^)\n]*\)")
_URL = re.compile(r"https?://\S+")
_TAG = re.compile(r"<[^>\n]+>")
_BOLD = re.compile(r"(\*\*|__)(.+?)\1")
_HEADING = re.compile(r"^(#{1,4})\s+(.+?)\s*$", re.M)
_TERM = re.compile(
    rf"(?<![/\w])(?P<zh>(?:(?<![\w-])[A-Z][A-Z0-9]+ ?)?[{_CJK}]+)"
    r"[ \u00a0]?(?:\*\*)?[ \u00a0]?"
    r"[(\uff08](?P<en>[^()\uff08\uff09\n]{1,120})[)\uff09]"
)
_WORD = re.compile(r"[A-Za-z]{2,}")
_ENGLISH = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ,.'\u2019\-]*$")


@dataclass(frozen=True)
class Term:
    """One glossary entry: the Chinese term, its English, where it first appears."""

    zh: str  # the Chinese term, e.g. "激活函数"
    en: str  # the English in the parentheses, e.g. "activation function"
    notebook: str  # notebook file stem, e.g. "03_activations"
    heading: str  # the section heading above the first appearance

    @property
    def pinyin(self) -> str:
        """Pinyin with tone numbers, the sort key of the Chinese list."""
        syllables = lazy_pinyin(self.zh, style=Style.TONE3, neutral_tone_with_five=True)
        return " ".join(s.strip().lower() for s in syllables if s.strip())


def _clean(markdown: str) -> str:
    """Markdown text with code, maths, HTML and link targets removed."""
    text = _FENCE.sub(_BOUNDARY, markdown)
    text = _DISPLAY_MATH.sub(_BOUNDARY, text)
    text = _INLINE_CODE.sub(_BOUNDARY, text)  # "下面的 `stoi` (…)" is not a term
    text = _INLINE_MATH.sub(_BOUNDARY, text)
    text = _LINK.sub("\\1" + _BOUNDARY, text)
    text = _URL.sub(_BOUNDARY, text)
    text = _TAG.sub("", text)
    text = html.unescape(text)
    return _BOLD.sub(lambda m: _BOUNDARY + m.group(2) + "**", text)


def _trim_chinese(run: str) -> str:
    """Drop the grammatical words and verbs in front of the term."""
    acronym, _, chinese = run.rpartition(" ") if " " in run else ("", "", run)
    for i in range(len(chinese) - 2, -1, -1):
        if chinese[i] in _TRIM:
            return _strip_prefixes(chinese[i + 1 :])
    chinese = _strip_prefixes(chinese)
    return f"{acronym} {chinese}" if acronym else chinese


def _strip_prefixes(chinese: str) -> str:
    stripped = True
    while stripped:
        stripped = False
        for prefix in _PREFIXES:
            if chinese.startswith(prefix) and len(chinese) - len(prefix) >= 2:
                chinese = chinese[len(prefix) :]
                stripped = True
    return chinese


def _english_ok(english: str) -> bool:
    if not _ENGLISH.match(english) or any(c in _CODE_CHARS for c in english):
        return False
    lowered = english.lower()
    if lowered.startswith(_SKIP_PREFIXES):
        return False
    if len(english) > _MAX_EN_CHARS or len(english.split()) > _MAX_EN_WORDS:
        return False
    if any(c.isdigit() for c in english):  # "(GPT-2)", "(FP32)", "(13.48 GB)"
        return False
    items = [item.strip() for item in english.split(",")]
    if len(items) > 1 and all(len(item) <= 3 for item in items):  # "(out, in)"
        return False
    if any(len(item) == 1 for item in items):  # shapes: "(B, T, H)", "(N, out)"
        return False
    return bool(_WORD.search(english))


def terms_in_text(markdown: str) -> list[tuple[str, str]]:
    """Every (Chinese, English) term pair in one markdown text, in order."""
    if not isinstance(markdown, str):
        raise TypeError(f"markdown must be a str, got {type(markdown).__name__}")
    pairs = []
    for match in _TERM.finditer(_clean(markdown)):
        english = " ".join(match.group("en").split()).strip(" ,.")
        if not _english_ok(english):
            continue
        chinese = _trim_chinese(match.group("zh"))
        if len(chinese) <= _MAX_ZH_CHARS:
            pairs.append((chinese, english))
    return pairs


def _notebook_terms(path: Path) -> list[Term]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    heading = ""
    found = []
    for cell in cells:
        if cell.get("cell_type") != "markdown":
            continue
        source = "".join(cell.get("source", ""))
        # split the cell at its headings so each term gets the heading above it
        pieces = _HEADING.split(source)
        # re.split with two groups: [text, hashes, title, text, hashes, title, ...]
        chunks = [(heading, pieces[0])]
        for k in range(1, len(pieces), 3):
            chunks.append((pieces[k + 1], pieces[k + 2]))
        for title, text in chunks:
            heading = title
            for zh, en in terms_in_text(f"{title}\n{text}"):
                found.append(Term(zh, en, path.stem, _plain_heading(title)))
    return found


def _plain_heading(title: str) -> str:
    return re.sub(r"[*`]", "", title).strip()


def extract_terms(notebook_dir: str | Path = NOTEBOOK_DIR) -> list[Term]:
    """Every term occurrence in the notebooks of ``notebook_dir``, in course order."""
    notebook_dir = Path(notebook_dir)
    paths = sorted(notebook_dir.glob("[0-9][0-9]_*.ipynb"))
    if not paths:
        raise ValueError(f"no notebooks named NN_*.ipynb in {notebook_dir}")
    terms: list[Term] = []
    for path in paths:
        terms.extend(_notebook_terms(path))
    return terms


def _key(term: Term) -> tuple[str, str]:
    return term.zh, term.en.lower()


def glossary_entries(notebook_dir: str | Path = NOTEBOOK_DIR) -> list[Term]:
    """The glossary: each (Chinese, English) pair once, at its first appearance,
    sorted by pinyin (then by English)."""
    first: dict[tuple[str, str], Term] = {}
    for term in extract_terms(notebook_dir):
        first.setdefault(_key(term), term)
    return sorted(first.values(), key=lambda t: (t.pinyin, t.zh, t.en.lower()))


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def _row(term: Term, english_first: bool) -> str:
    link = f"[{term.notebook[:2]}](../notebooks/{term.notebook}.ipynb)"
    where = f"{link} {_escape(term.heading)}"
    cells = (
        [term.en, term.zh, term.pinyin]
        if english_first
        else [term.zh, term.pinyin, term.en]
    )
    return "| " + " | ".join(_escape(c) for c in cells) + f" | {where} |"


def render_markdown(entries: list[Term]) -> str:
    """The text of ``guide/glossary.md`` for ``entries``."""
    if not entries:
        raise ValueError("no glossary entries to render")
    by_english = sorted(entries, key=lambda t: (t.en.lower(), t.pinyin))
    lines = [
        "# 术语表 (glossary)",
        "",
        "<!-- Generated by tools/glossary.py from the notebooks. Do not edit by hand:",
        "     run `.venv/bin/python tools/glossary.py` after changing a notebook. -->",
        "",
        f"课程笔记本第一次引入的每个“中文 (English)”术语，共 {len(entries)} 条，"
        "附首次出现的笔记本和小节。先按拼音排序，再按英文排序。",
        "",
        "## 按拼音排序",
        "",
        "| 中文 | 拼音 | English | 首次出现 |",
        "|---|---|---|---|",
        *(_row(t, english_first=False) for t in entries),
        "",
        "## By English",
        "",
        "| English | 中文 | 拼音 | first appears in |",
        "|---|---|---|---|",
        *(_row(t, english_first=True) for t in by_english),
        "",
    ]
    return "\n".join(lines)


def write_glossary(
    path: str | Path | None = None, notebook_dir: str | Path = NOTEBOOK_DIR
) -> int:
    """Write the glossary markdown to ``path`` (default ``guide/glossary.md``);
    returns the number of entries."""
    entries = glossary_entries(notebook_dir)
    Path(path or GLOSSARY_PATH).write_text(render_markdown(entries), encoding="utf-8")
    return len(entries)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if stale")
    args = parser.parse_args(argv)
    if args.check:
        expected = render_markdown(glossary_entries())
        current = (
            GLOSSARY_PATH.read_text(encoding="utf-8") if GLOSSARY_PATH.exists() else ""
        )
        if current != expected:
            print(f"{GLOSSARY_PATH} is stale: run .venv/bin/python tools/glossary.py")
            return 1
        print(f"{GLOSSARY_PATH} is up to date")
        return 0
    count = write_glossary()
    print(f"wrote {GLOSSARY_PATH} with {count} terms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
