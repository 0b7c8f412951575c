"""The contract of every exercise checker (helpers/checks/nbNN.py).

Every ``check_*`` has the signature ``check_x(answer, *, quiet=False)`` and is listed
in its module's ``CHECKER_CASES`` with ≥ 1 right and ≥ 2 wrong answers. Each right
answer passes; each wrong one fails as attempted; an answer that still raises
``NotImplementedError`` is "not attempted"; a table of the visible cases fails (the
hidden cases catch it); hostile answers never make a checker raise; and the first
hint never hands over the solution's code (tiers teach before they tell).
"""

import dataclasses
import importlib
import inspect
import json
import pkgutil
import re
from pathlib import Path

import numpy as np
import pytest
import torch

import helpers.checks
from helpers.checks import Cases, FunctionExercise, reset_attempts

ROOT = Path(__file__).resolve().parents[1]
MODULES = [
    importlib.import_module(f"helpers.checks.{info.name}")
    for info in pkgutil.iter_modules(helpers.checks.__path__)
    if re.fullmatch(r"nb\d\d", info.name)
]
CASES = [
    (f"{module.__name__.rsplit('.', 1)[1]}.{cases.check.__name__}", cases)
    for module in MODULES
    for cases in getattr(module, "CHECKER_CASES", [])
]
IDS = [name for name, _ in CASES]


@pytest.fixture(autouse=True)
def _fresh(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(tmp_path / "progress.json"))
    reset_attempts()


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_every_checker_is_listed_and_keeps_the_signature(module):
    checkers = {
        name: fn
        for name, fn in vars(module).items()
        if name.startswith("check_")
        and inspect.isfunction(fn)
        and fn.__module__ == module.__name__
    }
    listed = {c.check.__name__ for c in getattr(module, "CHECKER_CASES", [])}
    assert checkers and set(checkers) == listed
    for name, fn in checkers.items():
        params = list(inspect.signature(fn).parameters.values())
        assert len(params) == 2, name
        assert params[0].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD, name
        assert (
            params[1].name == "quiet"
            and params[1].kind is inspect.Parameter.KEYWORD_ONLY
        )
        assert params[1].default is False, name


@pytest.mark.parametrize(("name", "cases"), CASES, ids=IDS)
def test_verdicts(name, cases: Cases):
    assert len(cases.right) >= 1 and len(cases.wrong) >= 2
    assert len(cases.exercise.hints) >= 2
    for right in cases.right:
        result = cases.check(right, quiet=True)
        assert result.passed, result.message
        assert result.exercise == cases.exercise.id
    for wrong in cases.wrong:
        result = cases.check(wrong, quiet=True)
        assert not result.passed and result.attempted, result.message
    if isinstance(cases.exercise, FunctionExercise):

        def todo(*args):
            raise NotImplementedError

        result = cases.check(todo, quiet=True)
        assert not result.passed and not result.attempted


FUNCTION_CASES = [(n, c) for n, c in CASES if isinstance(c.exercise, FunctionExercise)]


@pytest.mark.parametrize(
    ("name", "cases"), FUNCTION_CASES, ids=[n for n, _ in FUNCTION_CASES]
)
def test_a_table_of_the_visible_cases_fails(name, cases: Cases):
    exercise = cases.exercise
    assert exercise.hidden is not None, "every function exercise has hidden cases"
    visible = [(args, exercise.reference(*args)) for args in map(tuple, exercise.cases)]

    def lookup(*args):
        for known, answer in visible:
            if _same(known, args):
                return answer
        return None  # a table knows nothing else

    assert not exercise.check(lookup, quiet=True).passed


def _same(a, b) -> bool:
    try:
        return repr(a) == repr(b)
    except Exception:
        return False


HOSTILE = {
    "bf16": lambda ref: (
        lambda *a: _map(ref(*a), lambda t: torch.as_tensor(t).bfloat16())
    ),
    "grad list": lambda ref: (
        lambda *a: [
            torch.tensor(1.0, requires_grad=True) * 2,
            torch.zeros(2, requires_grad=True),
        ]
    ),
    "liar str": lambda ref: (
        lambda *a: type("S", (str,), {"__eq__": lambda s, o: True})("x")
    ),
    "complex": lambda ref: lambda *a: 1 + 2j,
    "generator": lambda ref: lambda *a: (i for i in range(3)),
    "loop": lambda ref: _spin,
}


def _spin(*args):
    while True:
        pass


def _map(value, fn):
    try:
        if isinstance(value, tuple | list):
            return type(value)(_map(v, fn) for v in value)
        if isinstance(value, dict):
            return {k: _map(v, fn) for k, v in value.items()}
        return fn(np.asarray(value, dtype=np.float64))
    except Exception:
        return value


@pytest.mark.parametrize(
    ("name", "cases"), FUNCTION_CASES, ids=[n for n, _ in FUNCTION_CASES]
)
def test_hostile_answers_never_raise(name, cases: Cases):
    exercise = dataclasses.replace(cases.exercise, time_limit=0.2, n_hidden=1)
    for kind, make in HOSTILE.items():
        result = exercise.check(make(exercise.reference), quiet=True)
        assert isinstance(result.passed, bool), kind
        if kind != "bf16":
            assert not result.passed, kind


def _solution_code(notebook_number: str, checker_name: str) -> list[str]:
    """Code lines of the worked solution that follows the cell calling the checker."""
    paths = sorted((ROOT / "notebooks").glob(f"{notebook_number}_*.ipynb"))
    if not paths:
        return []
    cells = json.loads(paths[0].read_text(encoding="utf-8"))["cells"]
    for i, cell in enumerate(cells):
        if cell["cell_type"] == "code" and f"{checker_name}(" in "".join(
            cell["source"]
        ):
            for later in cells[i + 1 : i + 4]:
                text = "".join(later["source"])
                if later["cell_type"] == "markdown" and "<details" in text:
                    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
                    return [
                        line.strip()
                        for block in blocks
                        for line in block.splitlines()
                        if len(line.strip()) >= 12
                        and not line.strip().startswith(("def ", "#", "return None"))
                    ]
    return []


@pytest.mark.parametrize(("name", "cases"), CASES, ids=IDS)
def test_the_first_hint_does_not_give_the_code_away(name, cases: Cases):
    result = cases.check(cases.wrong[0], quiet=True)
    assert result.hint_tier == 1, result.message
    first = cases.exercise.hints[0]
    assert first in result.message
    assert cases.exercise.hints[-1] not in first
    for line in _solution_code(cases.exercise.notebook, cases.check.__name__):
        assert line not in first, f"the first hint shows solution code: {line!r}"
