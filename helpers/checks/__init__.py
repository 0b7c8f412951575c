"""Exercise checkers: run a learner's answer on cases and print a friendly verdict.

The machinery lives here (with ``answers`` and ``sandbox``); each notebook's
checkers live in a module of their own (``helpers.checks.nb01`` for 01_neuron …).

The contract every checker keeps:

* one signature, ``check_x(answer, *, quiet=False) -> CheckResult``; the verdict is
  printed (unless ``quiet``) as one block that starts with ✅ (right), ❌ (wrong, with
  a hint), ⏱ (too slow) or ⏳ (not attempted: the function still raises
  ``NotImplementedError``, or the value is still ``None``/``...``);
* it never raises because of the learner's code: every call runs under a time limit,
  errors are explained in the course's words, answers are compared by value after
  normalisation (never with the learner's ``__eq__``), and the learner's arguments
  are copies (a function that changes them in place is told so);
* visible cases first, then hidden randomized ones, so a table of the visible
  answers does not pass;
* hints come in tiers: the first wrong try gets the idea, the next a nearer hint,
  only the last one code. Tiers count per exercise for the life of the kernel;
* each verdict is recorded in the learner's local progress file
  (``helpers.progress``; opt out with ``COURSE_PROGRESS=off``).

A checker module holds its exercises (cases, hints, a thin call into core), its
``check_*`` functions and ``CHECKER_CASES`` (right and wrong answers for the tests).
Introduced in 00_course_map.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from helpers.checks.answers import Plain, describe, differences, normalise
from helpers.checks.sandbox import (
    AnswerFormError,
    CheckTimeout,
    Outcome,
    call_limited,
    explain,
)

__all__ = [
    "CheckResult",
    "Cases",
    "FunctionExercise",
    "ValueExercise",
    "reset_attempts",
]

_LABEL_IN = "   输入 (input)   ："
_LABEL_WANT = "   期望 (expected)："
_LABEL_GOT = "   得到 (got)     ："
_INDENT = len(_LABEL_IN) + 4  # Chinese characters take two columns

#: exercise id → number of wrong tries so far in this kernel.
_attempts: dict[str, int] = {}


def reset_attempts() -> None:
    """Forget the wrong tries counted so far (hint tiers start again at 1)."""
    _attempts.clear()


@dataclass(frozen=True)
class CheckResult:
    """The verdict of one checker; truthy only when the answer is correct."""

    passed: bool
    attempted: bool
    message: str
    exercise: str = ""
    hint_tier: int = 0  # 1-based tier of the hint shown, 0 when none was shown

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return self.message

    def _ipython_display_(self) -> None:
        """The verdict was already printed; show nothing more in a notebook."""


@dataclass(frozen=True)
class Cases:
    """Answers the tests feed to a checker: each ``right`` one must pass, each
    ``wrong`` one must fail (and the first hint must not give the code away)."""

    check: Callable[..., CheckResult]
    exercise: FunctionExercise | ValueExercise
    right: Sequence[Any]
    wrong: Sequence[Any]


@dataclass(frozen=True, kw_only=True)
class _Exercise:
    notebook: str  # two digits: "06"
    key: str  # short name, unique in its notebook: "log_softmax"
    title: str  # shown in the verdict: "stable log-softmax"
    hints: Sequence[str]  # tier 1 (the idea) … last tier (may show code); ≥ 2
    rtol: float = 1e-6
    atol: float = 1e-8
    # diagnose(args, got, expected) → a specific sentence for a known mistake, or None
    diagnose: Callable[[tuple, Any, Any], str | None] | None = None

    def __post_init__(self) -> None:
        if len(self.hints) < 2:
            raise ValueError(f"exercise {self.id}: give at least two hint tiers")

    @property
    def id(self) -> str:
        return f"{self.notebook}/{self.key}"

    def _verdict(
        self, passed: bool, attempted: bool, body: str, quiet: bool, *, hinted=False
    ) -> CheckResult:
        tier = 0
        if hinted:
            tries = _attempts.get(self.id, 0)
            tier = min(tries, len(self.hints) - 1) + 1
            _attempts[self.id] = tries + 1
            more = (
                "（再试一次，如果还不对，会给出更具体的提示。）"
                if tier < len(self.hints)
                else ""
            )
            body += f"\n   提示 {tier}/{len(self.hints)} (hint)：{self.hints[tier - 1]}{more}"
        result = CheckResult(passed, attempted, body, self.id, tier)
        _record(self.id, passed, attempted)
        if not quiet:
            print(body)
        return result

    def _not_attempted(self, quiet: bool, what: str) -> CheckResult:
        body = f"⏳ {self.title}：还没有作答 (not attempted yet)。{what}"
        return self._verdict(False, False, body, quiet)

    def _failed_run(self, outcome: Outcome, where: str, quiet: bool) -> CheckResult:
        icon = "⏱" if isinstance(outcome.error, CheckTimeout) else "❌"
        body = f"{icon} {self.title}：{where}运行出错。\n   {explain(outcome.error)}"
        return self._verdict(False, True, body, quiet, hinted=True)

    def _wrong(self, where: str, lines: list[str], quiet: bool) -> CheckResult:
        body = f"❌ {self.title}：{where}不对。\n" + "\n".join(lines)
        return self._verdict(False, True, body, quiet, hinted=True)


def _record(exercise_id: str, passed: bool, attempted: bool) -> None:
    from helpers import progress  # presentation layer; imported late to avoid a cycle

    progress.record(exercise_id, passed=passed, attempted=attempted)


def _is_unanswered(x: Any) -> bool:
    return x is None or x is Ellipsis


def _copy_args(args: tuple) -> tuple | None:
    try:
        return copy.deepcopy(args)
    except Exception:  # an argument that cannot be copied: skip the in-place check
        return None


@dataclass(frozen=True, kw_only=True)
class FunctionExercise(_Exercise):
    """An exercise whose answer is a function: it is called on every case and its
    result compared with ``reference`` (a call into the tested core code)."""

    reference: Callable[..., Any] = None  # type: ignore[assignment]
    cases: Sequence[tuple] = ()
    # hidden(rng) → one random case (a tuple of arguments); run ``n_hidden`` times
    hidden: Callable[[np.random.Generator], tuple] | None = None
    n_hidden: int = 5
    # adapt(result) → a comparable value (e.g. a pair → {"W": …, "b": …}); may raise
    adapt: Callable[[Any], Any] | None = None
    allow_mutation: bool = False  # True when the exercise asks for in-place updates
    time_limit: float = 2.0  # seconds per case

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.reference is None or not self.cases:
            raise ValueError(f"exercise {self.id}: give a reference and visible cases")

    def all_cases(
        self, rng: np.random.Generator | None = None
    ) -> list[tuple[str, tuple]]:
        """(label, args) of the visible cases, then the hidden ones."""
        labelled = [(f"第 {i} 个用例", tuple(c)) for i, c in enumerate(self.cases, 1)]
        if self.hidden is not None:
            rng = rng if rng is not None else np.random.default_rng()
            labelled += [
                (f"隐藏用例 (hidden case) {i}", tuple(self.hidden(rng)))
                for i in range(1, self.n_hidden + 1)
            ]
        return labelled

    def expected(self, args: tuple) -> Plain:
        value = self.reference(*copy.deepcopy(args))
        return normalise(self.adapt(value) if self.adapt else value)

    def check(self, fn: Any, *, quiet: bool = False) -> CheckResult:
        """Run ``fn`` on every case; print and return the verdict."""
        if _is_unanswered(fn):
            return self._not_attempted(quiet, "把函数写好后重新运行本单元格。")
        if not callable(fn):
            body = (
                f"❌ {self.title}：这里需要传入一个函数 (function)，"
                f"收到的是 {type(fn).__name__}。把函数名（不带括号）传给检查器。"
            )
            return self._verdict(False, True, body, quiet)
        cases = self.all_cases()
        for label, args in cases:
            verdict = self._check_case(fn, label, args, quiet)
            if verdict is not None:
                return verdict
        body = f"✅ {self.title}：全部 {len(cases)} 个用例（含隐藏用例）都正确！"
        return self._verdict(True, True, body, quiet)

    def _check_case(self, fn, label: str, args: tuple, quiet: bool):
        expected = self.expected(args)
        learner_args = _copy_args(args)
        pristine = _copy_args(args)
        if learner_args is None:
            learner_args = args

        def run():
            value = fn(*learner_args)
            if self.adapt is not None:
                try:
                    value = self.adapt(value)
                except (TypeError, ValueError, IndexError, KeyError) as exc:
                    raise AnswerFormError(str(exc)) from None
            return normalise(value)

        outcome = call_limited(run, (), self.time_limit)
        if isinstance(outcome.error, NotImplementedError):
            return self._not_attempted(quiet, "把函数写好后重新运行本单元格。")
        if outcome.error is not None:
            return self._failed_run(outcome, f"{label}", quiet)
        got: Plain = outcome.value
        shown_args = ", ".join(describe(normalise(a).value, _INDENT) for a in args)
        reason = differences(got.value, expected.value, self.rtol, self.atol)
        if reason is None and not self.allow_mutation and pristine is not None:
            changed = differences(
                normalise(learner_args).value, normalise(pristine).value, 0.0, 0.0
            )
            if changed is not None:
                lines = [
                    f"{_LABEL_IN}{shown_args}",
                    "   结果是对的，但函数就地修改 (in place) 了传入的参数"
                    f"（{changed}）。调用者的数据被改掉了：请先复制，"
                    "例如 x = x.copy()，或者用 x = x - … 而不是 x -= …。",
                ]
                return self._wrong(label, lines, quiet)
        if reason is None:
            return None
        lines = [
            f"{_LABEL_IN}{shown_args}",
            f"{_LABEL_WANT}{describe(expected.value, _INDENT)}",
            f"{_LABEL_GOT}{describe(got.value, _INDENT)}",
            f"   差别 (difference)：{reason}",
        ]
        lines += [f"   注意：{note}" for note in got.notes]
        lines += [
            f"   你的代码给出了警告 (warning)：{w}"
            for w in dict.fromkeys(outcome.warnings)
        ]
        if self.diagnose is not None:
            said = _safe_diagnose(self.diagnose, args, got.value, expected.value)
            if said:
                lines.append(f"   诊断 (diagnosis)：{said}")
        return self._wrong(label, lines, quiet)


@dataclass(frozen=True, kw_only=True)
class ValueExercise(_Exercise):
    """An exercise whose answer is a value (a number, a list, a dict …).

    ``expected`` is computed by the tested core code; ``transform`` (optional) maps
    the learner's value to what is compared (e.g. weights → the gate's outputs), so
    that every correct answer passes, not only the one in the solution."""

    expected: Callable[[], Any] = None  # type: ignore[assignment]
    transform: Callable[[Any], Any] | None = None
    time_limit: float = 2.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.expected is None:
            raise ValueError(
                f"exercise {self.id}: give a function for the expected value"
            )

    def check(self, value: Any, *, quiet: bool = False) -> CheckResult:
        """Compare ``value`` with the expected one; print and return the verdict."""
        if _is_unanswered(value) or (
            isinstance(value, tuple | list)
            and value
            and all(map(_is_unanswered, value))
        ):
            return self._not_attempted(quiet, "把答案赋给变量后重新运行本单元格。")
        want = normalise(self.expected())

        def run():
            v = self.transform(value) if self.transform else value
            return normalise(v)

        outcome = call_limited(run, (), self.time_limit)
        if outcome.error is not None:
            if isinstance(outcome.error, TypeError | ValueError) and self.transform:
                body = f"❌ {self.title}：这个答案的形式不对。\n   {outcome.error}"
                return self._verdict(False, True, body, quiet, hinted=True)
            return self._failed_run(outcome, "", quiet)
        got: Plain = outcome.value
        reason = differences(got.value, want.value, self.rtol, self.atol)
        if reason is None:
            return self._verdict(True, True, f"✅ {self.title}：正确！", quiet)
        shown = normalise(value).value if self.transform else got.value
        lines = [f"{_LABEL_GOT}{describe(shown, _INDENT)}"]
        if self.transform:
            lines.append(f"   由它算出 (gives)：{describe(got.value, _INDENT)}")
        lines.append(f"   差别 (difference)：{reason}")
        lines += [f"   注意：{note}" for note in got.notes]
        if self.diagnose is not None:
            said = _safe_diagnose(self.diagnose, (value,), got.value, want.value)
            if said:
                lines.append(f"   诊断 (diagnosis)：{said}")
        return self._wrong("", lines, quiet)


def _safe_diagnose(diagnose, args, got, expected) -> str | None:
    try:
        said = diagnose(args, got, expected)
    except Exception:  # a diagnosis is a bonus; never let it break the verdict
        return None
    return str(said) if said else None
