"""Every notebook follows the course's conventions (COURSE.md §4, CONTRIBUTING.md).

These tests read the committed notebooks; nbval (in the same test run) executes them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
NAMES = [p.name for p in NOTEBOOKS]
CJK = re.compile(r"[\u4e00-\u9fff]")


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def source(cell: dict) -> str:
    return "".join(cell.get("source", ""))


def test_notebooks_are_numbered_without_gaps():
    numbers = [int(name[:2]) for name in NAMES]
    assert numbers == list(range(len(numbers))), NAMES


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_title_goals_and_prerequisites(path):
    first = load(path)["cells"][0]
    text = source(first)
    assert first["cell_type"] == "markdown"
    assert re.match(rf"# {path.name[:2]} · \S", text), "title must be '# NN · 标题'"
    assert "本节目标" in text, "the title cell lists 本节目标"
    goals = re.findall(r"^\s*(?:\d+\.|[-*])\s+\S", text.split("本节目标", 1)[1], re.M)
    assert 3 <= len(goals) <= 8, f"3–5 goals expected, found {len(goals)}"
    if path.name[:2] != "00":
        assert "前置" in text, "the title cell names the prerequisites (前置)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_summary_exercises_solutions_and_next_link(path):
    cells = load(path)["cells"]
    markdown = "\n".join(source(c) for c in cells if c["cell_type"] == "markdown")
    code = [source(c) for c in cells if c["cell_type"] == "code"]
    assert "小结" in markdown and "练习" in markdown
    checker_calls = [c for c in code if re.search(r"^(nb\d\d\.)?check_\w+\(", c, re.M)]
    assert len(checker_calls) >= 3, "at least three exercises with a checker"
    assert markdown.count("<details>") >= 3, "each exercise has a hidden solution"
    if path != NOTEBOOKS[-1]:
        following = NAMES[NAMES.index(path.name) + 1]
        assert f"({following})" in markdown, f"link to the next notebook {following}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_panels_and_self_checks(path):
    code = [source(c) for c in load(path)["cells"] if c["cell_type"] == "code"]
    text = "\n".join(code)
    assert re.search(r"helpers\.widgets\.\w+ import", text), "an interactive panel"
    self_checks = [c for c in code if "assert" in c or "NBVAL_CHECK_OUTPUT" in c]
    assert len(self_checks) >= 3, "at least three self-check cells"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_committed_executed_and_clean(path):
    nb = load(path)
    assert path.stat().st_size < 1_200_000, "keep a notebook under ~1 MB"
    counts = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        src = source(cell)
        assert not re.search(r"^\s*%matplotlib\s+inline", src, re.M), (
            "'%matplotlib inline' breaks interact plots (COURSE.md §8)"
        )
        if src.strip():
            assert cell["execution_count"] is not None, f"not executed: {src[:60]!r}"
            counts.append(cell["execution_count"])
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error", f"stored error in {src[:60]!r}"
            if output["output_type"] == "stream" and output["name"] == "stderr":
                text = "".join(output["text"])
                assert not re.search(r"Warning|Traceback|Error", text), text[:200]
    assert counts == list(range(1, len(counts) + 1)), "run top to bottom, in order"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_prose_is_chinese_and_code_cells_are_short(path):
    cells = load(path)["cells"]
    markdown = [source(c) for c in cells if c["cell_type"] == "markdown"]
    assert sum(bool(CJK.search(m)) for m in markdown) >= 0.8 * len(markdown)
    long_cells = [
        source(c).splitlines()[0]
        for c in cells
        if c["cell_type"] == "code" and len(source(c).splitlines()) > 30
    ]
    assert not long_cells, f"code cells over 30 lines: {long_cells}"


SEED_REFERENCE = re.compile(
    r"种子|seed\s*0\d\d|\bseeds?\b.{0,12}§|图\s*\d+|蓝色神经元", re.I
)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_self_contained_with_references(path):
    """The learner has no seed documents: no reference to them or to their figures;
    the notebook ends with 参考资料 (2–5 public sources)."""
    cells = load(path)["cells"]
    for i, cell in enumerate(cells):
        if cell["cell_type"] == "markdown":
            hit = SEED_REFERENCE.search(source(cell))
            assert not hit, (
                f"cell {i} cites what the learner cannot see: {hit.group(0)!r}"
            )
    markdown = "\n".join(source(c) for c in cells if c["cell_type"] == "markdown")
    parts = re.split(r"^#+\s*参考资料\s*$", markdown, flags=re.M)
    assert len(parts) == 2, "one '## 参考资料' section"
    section = re.split(r"^#", parts[1], flags=re.M)[0]
    items = re.findall(r"^\s*(?:\d+\.|[-*])\s+\S", section, re.M)
    assert 2 <= len(items) <= 5, f"2–5 references, found {len(items)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_at_least_two_transfer_exercises(path):
    markdown = "\n".join(
        source(c) for c in load(path)["cells"] if c["cell_type"] == "markdown"
    )
    headings = re.findall(r"^#+\s*练习.*（迁移）", markdown, re.M)
    assert len(headings) >= 2, "≥ 2 exercises labelled （迁移） (transfer)"


#: symbol → (pattern of a use, pattern of a definition), searched per cell.
NOTATION = {
    "log/ln": (r"\\log|\\ln|\blog\b|\bln\b", r"自然对数"),
    "δ": (r"δ|\\delta", r"(δ|\\delta)[^。\n]{0,60}(表示|定义|记作|是)"),
    "transpose": (r"ᵀ|\^\{?T\}?(?![a-z])|\^\{?\\top|\.T\b", r"转置"),
    "diag": (r"\bdiag\b", r"对角"),
    "⊙": (r"⊙|\\odot", r"逐元素"),
    "softmax": (r"(?i)softmax", r"(?is)softmax.*(exp|e\^)|(exp|e\^).*softmax"),
    "logits": (
        r"\blogits?\b",
        r"(?s)logits?.*(未归一化|原始分数)|(未归一化|原始分数).*logits?",
    ),
    "one-hot": (r"(?i)one[-_ ]hot", r"独热"),
}


def _prerequisites(cells: list[dict]) -> list[str]:
    title = source(cells[0])
    line = next((ln for ln in title.splitlines() if "前置" in ln), "")
    return sorted(
        set(re.findall(r"\b(\d\d)_", line)) | set(re.findall(r"\b(\d\d)\b", line))
    )


def _first(
    cells: list[dict], pattern: str, code_too: bool, start: int = 0
) -> int | None:
    for i, cell in enumerate(cells[start:], start):
        if cell["cell_type"] == "markdown" or code_too:
            if re.search(pattern, source(cell)):
                return i
    return None


def _cells_of(number: str) -> list[dict]:
    paths = [p for p in NOTEBOOKS if p.name.startswith(number + "_")]
    return load(paths[0])["cells"] if paths else []


def _earlier(cells: list[dict]) -> set[str]:
    """Every notebook reachable through the 前置 lists (transitively)."""
    seen: set[str] = set()
    todo = _prerequisites(cells)
    while todo:
        number = todo.pop()
        if number not in seen:
            seen.add(number)
            todo.extend(_prerequisites(_cells_of(number)) if _cells_of(number) else [])
    return seen


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_notation_is_defined_before_its_first_use(path):
    cells = load(path)["cells"]
    missing = []
    for symbol, (use, define) in NOTATION.items():
        # the title cell only previews the goals: uses count from the next cell on
        first_use = _first(cells, use, code_too=symbol == "transpose", start=1)
        if first_use is None:
            continue
        first_def = _first(cells, define, code_too=True)
        if first_def is not None and first_def <= first_use:
            continue
        if any(_first(_cells_of(n), define, True) is not None for n in _earlier(cells)):
            continue
        missing.append(f"{symbol} (first used in cell {first_use})")
    assert not missing, "define before first use (or in a 前置 notebook): " + ", ".join(
        missing
    )
