"""Exercise checkers that list ``CHECKER_CASES`` = [(checker, right, wrong), ...]:
each accepts the right answer, rejects the wrong one, and reports an answer that
still raises ``NotImplementedError`` as not attempted (never as an error)."""

import importlib
import pkgutil

import pytest

import helpers.checks

CASES = [
    (f"{info.name}:{index}", case)
    for info in pkgutil.iter_modules(helpers.checks.__path__)
    for index, case in enumerate(
        getattr(
            importlib.import_module(f"helpers.checks.{info.name}"), "CHECKER_CASES", []
        )
    )
]


def test_some_modules_list_cases():
    assert len(CASES) >= 8


@pytest.mark.parametrize(("name", "case"), CASES, ids=[name for name, _ in CASES])
def test_checker_verdicts(name, case):
    check, right, wrong = case
    assert check(right, quiet=True).passed
    result = check(wrong, quiet=True)
    assert not result.passed and result.attempted

    def not_yet(*args):
        raise NotImplementedError

    result = check(not_yet, quiet=True)
    assert not result.passed and not result.attempted
