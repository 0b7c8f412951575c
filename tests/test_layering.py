"""The layers of ``helpers`` (CONTRIBUTING.md, "Layout and rules").

Core (computation, data, model, training) sits at the bottom; ``plotting``,
``widgets``, ``checks`` and ``progress`` are presentation on top of it. This test
reads every import (including those inside functions) and fails when a core module
imports presentation, a checker imports another checker or plotting, plotting
imports widgets or checks, or a notebook imports anything but panels from widgets.
"""

import ast
import importlib
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HELPERS = ROOT / "helpers"
PRESENTATION = (
    "helpers.plotting",
    "helpers.widgets",
    "helpers.checks",
    "helpers.progress",
)
CHECKS_CORE = ("helpers.checks", "helpers.checks.answers", "helpers.checks.sandbox")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.startswith("helpers")}


MODULES = {_module_name(p): _imports(p) for p in sorted(HELPERS.rglob("*.py"))}


def _within(name: str, packages) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def _is_module(name: str) -> bool:
    return name in MODULES


@pytest.mark.parametrize("module", sorted(MODULES))
def test_layers(module):
    imported = {name for name in MODULES[module] if _is_module(name)}
    if not _within(module, PRESENTATION):
        bad = sorted(n for n in imported if _within(n, PRESENTATION))
        assert not bad, f"core module {module} imports presentation: {bad}"
    if _within(module, ("helpers.plotting",)):
        bad = sorted(
            n for n in imported if _within(n, ("helpers.widgets", "helpers.checks"))
        )
        assert not bad, f"{module} (plotting) imports {bad}"
    if re.fullmatch(r"helpers\.checks\.nb\d\d", module):
        bad = sorted(
            n
            for n in imported
            if (_within(n, ("helpers.checks",)) and n not in CHECKS_CORE)
            or _within(n, ("helpers.plotting", "helpers.widgets"))
        )
        assert not bad, f"checker {module} imports {bad}"


def test_the_layering_test_sees_imports():
    assert len(MODULES) > 40
    assert "helpers.checks" in MODULES["helpers.checks.nb06"]


def _notebook_imports(path: Path) -> list[tuple[str, str]]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    found = []
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        source = "\n".join(
            line
            for line in source.splitlines()
            if not line.lstrip().startswith(("%", "!"))
        )
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.extend((node.module, alias.name) for alias in node.names)
    return found


NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_take_only_panels_from_widgets(path):
    from helpers.widgets import Panel

    for module, name in _notebook_imports(path):
        if not _within(module, ("helpers.widgets",)):
            continue
        obj = getattr(importlib.import_module(module), name)
        assert isinstance(obj, type) and issubclass(obj, Panel), (
            f"{path.name} imports {name} from {module}: computation and data belong in "
            "core (widgets only arrange controls and artists)"
        )
