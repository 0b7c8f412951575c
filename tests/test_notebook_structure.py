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
