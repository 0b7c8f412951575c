"""Exercise checkers: run a learner's answer on cases and print a friendly verdict.

The machinery lives here; each notebook's checkers live in a module of their own
(``helpers.checks.nb01`` for 01_neuron, and so on). A checker prints one line that
starts with ✅ (correct), ❌ (wrong, with a hint) or ⏳ (not attempted yet: the
function still raises ``NotImplementedError``), and returns ``True`` only when the
answer is correct. It never raises because of the learner's code.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["CheckResult", "check_function", "check_value", "close_enough"]


@dataclass(frozen=True)
class CheckResult:
    """The verdict of one checker; truthy only when the answer is correct."""

    passed: bool
    attempted: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return self.message

    def _ipython_display_(self) -> None:
        """The verdict was already printed; show nothing more in a notebook."""


def close_enough(actual: Any, expected: Any, rtol: float, atol: float) -> bool:
    """Compare numbers, arrays, tensors, strings or nested sequences."""
    if hasattr(actual, "detach"):
        actual = actual.detach().cpu().numpy()
    if hasattr(expected, "detach"):
        expected = expected.detach().cpu().numpy()
    if isinstance(expected, str | type(None)):
        return isinstance(actual, str | type(None)) and actual == expected
    if isinstance(expected, bool | np.bool_):
        return isinstance(actual, bool | np.bool_) and bool(actual) == bool(expected)
    if isinstance(actual, str | bytes | type(None)):
        return False
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and actual.keys() == expected.keys()
            and all(close_enough(actual[k], expected[k], rtol, atol) for k in expected)
        )
    try:
        a = np.asarray(actual, dtype=np.float64)
        e = np.asarray(expected, dtype=np.float64)
    except (TypeError, ValueError):
        try:
            return bool(np.array_equal(np.asarray(actual), np.asarray(expected)))
        except (TypeError, ValueError):
            return False
    if a.shape != e.shape:
        return False
    return bool(np.allclose(a, e, rtol=rtol, atol=atol, equal_nan=True))


def _describe(x: Any) -> str:
    if hasattr(x, "shape") and getattr(x, "ndim", 0) > 0:
        arr = np.asarray(x.detach().cpu() if hasattr(x, "detach") else x)
        text = np.array2string(arr, precision=4, threshold=8, edgeitems=2)
        return f"{text} (shape {tuple(arr.shape)})"
    if isinstance(x, float | np.floating):
        return f"{float(x):.6g}"
    return repr(x)


def _emit(result: CheckResult, quiet: bool) -> CheckResult:
    if not quiet:
        print(result.message)
    return result


def check_function(
    student_fn: Callable,
    reference_fn: Callable,
    cases: Sequence[tuple],
    *,
    name: str,
    hint: str = "",
    rtol: float = 1e-6,
    atol: float = 1e-8,
    quiet: bool = False,
) -> CheckResult:
    """Call ``student_fn(*case)`` and ``reference_fn(*case)`` for every case and
    compare the results. Prints the verdict and returns a ``CheckResult``."""
    if not callable(student_fn):
        msg = f"❌ {name}：需要传入一个函数 (a function)，收到的是 {type(student_fn).__name__}。"
        return _emit(CheckResult(False, False, msg), quiet)
    for i, case in enumerate(cases, start=1):
        args = case if isinstance(case, tuple) else (case,)
        expected = reference_fn(*args)
        try:
            actual = student_fn(*args)
        except NotImplementedError:
            msg = f"⏳ {name}：还没有作答 (not attempted yet)。写好函数后重新运行本单元格。"
            return _emit(CheckResult(False, False, msg), quiet)
        except Exception as exc:  # the learner's code failed: explain, never raise
            last = traceback.format_exception_only(type(exc), exc)[-1].strip()
            msg = f"❌ {name}：第 {i} 个用例运行出错：{last}"
            if hint:
                msg += f"\n   提示 (hint)：{hint}"
            return _emit(CheckResult(False, True, msg), quiet)
        if not close_enough(actual, expected, rtol, atol):
            shown = ", ".join(_describe(a) for a in args)
            msg = (
                f"❌ {name}：第 {i} 个用例不对。\n"
                f"   输入 (input)：{shown}\n"
                f"   期望 (expected)：{_describe(expected)}\n"
                f"   得到 (got)：{_describe(actual)}"
            )
            if hint:
                msg += f"\n   提示 (hint)：{hint}"
            return _emit(CheckResult(False, True, msg), quiet)
    msg = f"✅ {name}：全部 {len(cases)} 个用例都正确！"
    return _emit(CheckResult(True, True, msg), quiet)


def check_value(
    value: Any,
    expected: Any,
    *,
    name: str,
    hint: str = "",
    rtol: float = 1e-6,
    atol: float = 1e-8,
    quiet: bool = False,
) -> CheckResult:
    """Compare a learner's computed value with the expected one."""
    if value is None or value is Ellipsis:
        msg = f"⏳ {name}：还没有作答 (not attempted yet)。把答案赋给变量后重新运行。"
        return _emit(CheckResult(False, False, msg), quiet)
    if close_enough(value, expected, rtol, atol):
        return _emit(CheckResult(True, True, f"✅ {name}：正确！"), quiet)
    msg = f"❌ {name}：得到 {_describe(value)}，还不对。"
    if hint:
        msg += f"\n   提示 (hint)：{hint}"
    return _emit(CheckResult(False, True, msg), quiet)
