"""The checker core: verdicts, tiers, robustness against hostile answers, progress."""

import dataclasses
import json
import multiprocessing
import os

import numpy as np
import pytest
import torch

from helpers import progress
from helpers.checks import FunctionExercise, ValueExercise, reset_attempts
from helpers.checks.answers import differences, normalise

EXERCISE = FunctionExercise(
    notebook="99",
    key="tanh",
    title="tanh",
    reference=np.tanh,
    cases=[(0.5,), (np.arange(3.0),)],
    hidden=lambda rng: (rng.normal(size=3),),
    hints=("the idea", "a nearer hint", "np.tanh(x)"),
    rtol=1e-9,
    atol=1e-12,
    time_limit=0.3,
)


@pytest.fixture(autouse=True)
def _fresh(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(tmp_path / "progress.json"))
    monkeypatch.delenv("COURSE_PROGRESS", raising=False)
    reset_attempts()


def test_right_answer_passes_with_hidden_cases(capsys):
    result = EXERCISE.check(np.tanh)
    assert result.passed and result.attempted
    out = capsys.readouterr().out
    assert out.startswith("✅") and "全部 7 个用例" in out


def test_lookup_table_of_visible_cases_fails():
    table = {0.5: np.tanh(0.5)}

    def lookup(x):
        return table[x] if np.ndim(x) == 0 else np.tanh(np.arange(3.0))

    assert not EXERCISE.check(lookup, quiet=True)


def test_hints_come_in_tiers_and_the_last_one_repeats():
    tiers = [EXERCISE.check(np.sin, quiet=True) for _ in range(4)]
    assert [r.hint_tier for r in tiers] == [1, 2, 3, 3]
    assert "the idea" in tiers[0].message and "np.tanh" not in tiers[0].message
    assert "np.tanh(x)" in tiers[2].message


def test_not_attempted_and_not_a_function():
    def todo(x):
        raise NotImplementedError

    assert not EXERCISE.check(todo, quiet=True).attempted
    assert not EXERCISE.check(None, quiet=True).attempted
    result = EXERCISE.check(3, quiet=True)
    assert not result.passed and "需要传入一个函数" in result.message


@pytest.mark.parametrize(
    "answer",
    [
        lambda x: torch.tensor(np.tanh(x), dtype=torch.bfloat16),
        lambda x: torch.tensor(np.tanh(x), dtype=torch.float16),
        lambda x: torch.tensor(np.tanh(x), requires_grad=True) * 1.0,
        lambda x: [
            torch.tensor(v, requires_grad=True) for v in np.atleast_1d(np.tanh(x))
        ],
        lambda x: (v for v in np.atleast_1d(np.tanh(x))),
        lambda x: np.tanh(x) + 0j,
        lambda x: type("Liar", (str,), {"__eq__": lambda s, o: True})("x"),
        lambda x: object(),
        lambda x: {"a": x},
        lambda x: 1 / 0,
        lambda x: exit(),
        lambda x: max(x, 0),
        lambda x: undefined_name,  # noqa: F821
    ],
)
def test_hostile_answers_never_raise(answer):
    result = EXERCISE.check(answer, quiet=True)
    assert isinstance(result.passed, bool) and result.attempted


def test_low_precision_answer_is_explained():
    result = EXERCISE.check(
        lambda x: torch.tensor(np.tanh(x), dtype=torch.bfloat16), quiet=True
    )
    assert not result.passed and "bfloat16" in result.message


def test_infinite_loop_is_stopped():
    def spin(x):
        while True:
            pass

    result = EXERCISE.check(spin, quiet=True)
    assert not result.passed and result.message.startswith("⏱")


def test_in_place_change_of_the_argument_is_caught():
    def in_place(x):
        x = np.asarray(x)
        if x.ndim:
            np.tanh(x, out=x)
            return x
        return np.tanh(x)

    result = EXERCISE.check(in_place, quiet=True)
    assert not result.passed and "in place" in result.message


def test_error_messages_use_the_course_words():
    result = EXERCISE.check(lambda x: np.ones((2, 3)) @ np.ones((2, 3)), quiet=True)
    assert "形状不匹配" in result.message and "ValueError" in result.message
    result = EXERCISE.check(lambda x: max(np.ones(2) * x, 0), quiet=True)
    assert "np.maximum" in result.message


def test_enough_digits_are_shown():
    exercise = ValueExercise(
        notebook="99",
        key="ten",
        title="ten",
        expected=lambda: 10.0,
        hints=("a", "b"),
        rtol=0,
        atol=1e-12,
    )
    result = exercise.check(10.0000001, quiet=True)
    assert not result.passed and "10.0000001" in result.message


def test_long_arrays_are_shown_whole():
    exercise = dataclasses.replace(EXERCISE, cases=[(np.linspace(-1, 1, 40),)])
    result = exercise.check(lambda x: np.zeros_like(x), quiet=True)
    assert "…" not in result.message and "..." not in result.message


def test_value_exercise_with_transform_accepts_every_right_answer():
    exercise = ValueExercise(
        notebook="99",
        key="sum",
        title="two numbers summing to 3",
        expected=lambda: 3.0,
        transform=lambda pair: float(pair[0]) + float(pair[1]),
        hints=("a", "b"),
    )
    assert exercise.check((1, 2), quiet=True) and exercise.check((0.5, 2.5), quiet=True)
    assert not exercise.check((1, 1), quiet=True)
    assert not exercise.check("ab", quiet=True).passed


def test_normalise_never_uses_the_answers_eq():
    class Liar(str):
        def __eq__(self, other):
            return True

        __hash__ = str.__hash__

    assert differences(normalise(Liar("no")).value, "yes", 0, 0) is not None
    assert differences(normalise(Liar("yes")).value, "yes", 0, 0) is None


def test_exercise_needs_two_hint_tiers():
    with pytest.raises(ValueError, match="two hint tiers"):
        dataclasses.replace(EXERCISE, hints=("only one",))


# --- progress -----------------------------------------------------------------------


def test_progress_is_recorded(tmp_path):
    EXERCISE.check(np.sin, quiet=True)
    EXERCISE.check(np.tanh, quiet=True)
    stored = json.loads((tmp_path / "progress.json").read_text())["exercises"]
    assert stored["99/tanh"]["status"] == "passed" and stored["99/tanh"]["tries"] == 2


def test_progress_opt_out(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_PROGRESS", "off")
    EXERCISE.check(np.tanh, quiet=True)
    assert not (tmp_path / "progress.json").exists()


def test_corrupted_progress_file_is_kept_aside(tmp_path, capsys):
    path = tmp_path / "progress.json"
    path.write_text("{ not json", encoding="utf-8")
    EXERCISE.check(np.tanh, quiet=True)
    aside = list(tmp_path.glob("progress.json.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_text() == "{ not json"
    assert json.loads(path.read_text())["exercises"]["99/tanh"]["status"] == "passed"


def _record_many(path: str, worker: int) -> None:
    os.environ["COURSE_PROGRESS_FILE"] = path
    for i in range(40):
        progress.record(f"99/w{worker}_{i}", passed=True, attempted=True)


def test_concurrent_writes_from_two_kernels_lose_nothing(tmp_path):
    path = str(tmp_path / "progress.json")
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_record_many, args=(path, w)) for w in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
        assert w.exitcode == 0
    stored = json.loads(open(path, encoding="utf-8").read())["exercises"]
    assert len(stored) == 80


def test_progress_table_counts_per_notebook(tmp_path):
    from helpers.checks import nb06

    first, second, *rest = nb06.CHECKER_CASES
    first.check(first.right[0], quiet=True)
    second.check(second.wrong[0], quiet=True)
    rows = {r.notebook: r for r in progress.progress_table()}
    counts = (rows["06"].passed, rows["06"].attempted, rows["06"].not_attempted)
    assert counts == (1, 1, len(rest))
    assert str(progress.progress_path()) in progress.format_table(list(rows.values()))
