"""Run a learner's code safely: a time limit, no crash, errors in the course's words.

``call_limited(fn, args, seconds)`` runs ``fn(*args)`` with a wall-clock limit (a
``SIGALRM`` timer in the main thread, as in a Jupyter kernel; a watcher thread
elsewhere) and returns ``Outcome``. ``explain(exc)`` turns what the learner's code
raised into a sentence a beginner can act on. Introduced in 00_course_map.
"""

from __future__ import annotations

import re
import signal
import threading
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["AnswerFormError", "CheckTimeout", "Outcome", "call_limited", "explain"]


class CheckTimeout(Exception):
    """The learner's code ran past the checker's time limit."""


class AnswerFormError(Exception):
    """The learner's function returned something of the wrong form (not a pair …)."""


@dataclass
class Outcome:
    """What one call of the learner's code produced."""

    value: Any = None
    error: BaseException | None = None
    warnings: list[str] = field(default_factory=list)


def call_limited(fn: Callable[..., Any], args: tuple, seconds: float) -> Outcome:
    """Run ``fn(*args)``; never raises (except ``KeyboardInterrupt``)."""
    if threading.current_thread() is threading.main_thread() and hasattr(
        signal, "setitimer"
    ):
        return _call_with_alarm(fn, args, seconds)
    return _call_in_thread(fn, args, seconds)


def _run(fn: Callable[..., Any], args: tuple) -> Outcome:
    outcome = Outcome()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            outcome.value = fn(*args)
        except KeyboardInterrupt:
            raise
        except CheckTimeout as exc:
            outcome.error = exc
        except BaseException as exc:  # SystemExit too: a learner's exit() is an answer
            outcome.error = exc
    outcome.warnings = [f"{w.category.__name__}: {w.message}" for w in caught][:3]
    return outcome


def _call_with_alarm(fn: Callable[..., Any], args: tuple, seconds: float) -> Outcome:
    def on_alarm(signum, frame):
        raise CheckTimeout(seconds)

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return _run(fn, args)
    except CheckTimeout as exc:  # the alarm fired between the call and the return
        return Outcome(error=exc)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _call_in_thread(fn: Callable[..., Any], args: tuple, seconds: float) -> Outcome:
    box: list[Outcome] = []
    worker = threading.Thread(target=lambda: box.append(_run(fn, args)), daemon=True)
    worker.start()
    worker.join(seconds)
    if not box:  # still running: leave the daemon thread, report the time-out
        return Outcome(error=CheckTimeout(seconds))
    return box[0]


# --- errors in the course's words ------------------------------------------------

_SHAPE_PATTERNS = (
    "could not be broadcast",
    "shapes",
    "size mismatch",
    "must match the size",
    "cannot be multiplied",
    "matmul: input operand",
    "dimension mismatch",
    "not aligned",
)


def explain(exc: BaseException) -> str:
    """One or two sentences (Chinese, English terms) on what went wrong, followed by
    the original error's last line."""
    text = str(exc)
    low = text.lower()
    original = traceback.format_exception_only(type(exc), exc)[-1].strip()
    if isinstance(exc, CheckTimeout):
        return (
            f"⏱ 运行超过 {exc.args[0]:g} 秒还没结束：是不是写出了死循环 (infinite loop)，"
            "或者循环条件永远不会变成 False？"
        )
    if isinstance(exc, AnswerFormError):
        return f"返回值的形式不对：{text}"
    if isinstance(exc, ValueError) and "truth value" in low:
        reason = (
            "对一整个数组用了 if / and / or / max(…)：Python 不知道一个数组算真还是假。"
            "逐元素比较或取最大请用 np.maximum(a, 0)、np.where(cond, a, b) 或 (a > 0) & (b > 0)。"
        )
    elif "boolean value of tensor" in low:
        reason = "对一个多元素张量 (tensor) 用了 if / and / or：请改用 torch.where 或逐元素运算。"
    elif any(p in low for p in _SHAPE_PATTERNS):
        reason = (
            "形状不匹配 (shape mismatch)：用 print(x.shape) 看看每个数组的形状。"
            "矩阵乘法 A @ B 要求 A 的列数等于 B 的行数；逐元素运算要求形状相同或可以广播 (broadcast)。"
        )
    elif isinstance(exc, NameError):
        name = re.search(r"name '([^']+)'", text)
        shown = f"'{name.group(1)}' " if name else ""
        reason = (
            f"名字 {shown}没有定义 (NameError)：拼写对吗？定义它的单元格 (cell) 运行过了吗？"
            "函数里用到的变量要么是参数，要么在函数里先赋值。"
        )
    elif isinstance(exc, KeyError):
        reason = (
            f"字典里没有键 {text} (KeyError)：检查拼写和大小写，"
            "例如 'token_ids' 和 'token IDs' 是两个不同的键。"
        )
    elif isinstance(exc, IndexError):
        reason = (
            "下标越界 (index out of range)：序列长度为 n 时，合法下标是 0 … n−1；"
            "打印一下长度和形状再看。"
        )
    elif isinstance(exc, AttributeError):
        reason = (
            "对象没有这个属性或方法 (AttributeError)：先 print(type(x)) 看看它是"
            " Python 列表、NumPy 数组还是 torch 张量——它们的方法名不一样。"
        )
    elif isinstance(exc, ZeroDivisionError):
        reason = (
            "除以了 0 (ZeroDivisionError)：哪个分母可能为 0？需要单独处理这种情况吗？"
        )
    elif isinstance(exc, OverflowError | FloatingPointError):
        reason = (
            "数值溢出 (overflow)：e 的很大次方超出了浮点数范围。"
            "常用的办法是先减去最大值再取指数。"
        )
    elif isinstance(exc, RecursionError):
        reason = "递归太深 (RecursionError)：函数一直在调用自己，没有停下来的条件。"
    elif isinstance(exc, MemoryError):
        reason = "内存不够 (MemoryError)：是不是创建了一个特别大的数组？"
    elif isinstance(exc, SystemExit):
        reason = "代码调用了 exit()/sys.exit()：函数应该用 return 返回结果。"
    elif isinstance(exc, TypeError):
        reason = (
            "类型不对 (TypeError)：参数的个数或类型和期望的不一致，"
            "检查函数签名 (def …) 和返回值。"
        )
    else:
        reason = "运行时出错了。"
    return f"{reason}\n   原始错误 (original error)：{original}"
