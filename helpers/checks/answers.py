"""Turn whatever a learner returns into plain values, compare them, describe them.

A checker never trusts the learner's objects: a ``str`` subclass may lie in
``__eq__``, a tensor may be bf16 or require grad, a generator may never end. So the
answer is first *normalised* into builtins and float64/complex128/int64 NumPy arrays
(never calling the learner's ``__eq__``), then compared by value. The checker runs
this inside the time limit, because iterating a learner's generator runs its code.
Introduced in 00_course_map (the first checker).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Plain", "describe", "differences", "normalise"]

#: A generator or iterator answer is read up to this many items.
MAX_ITEMS = 100_000


@dataclass(frozen=True)
class Plain:
    """A normalised answer: ``value`` holds only builtins and NumPy arrays;
    ``notes`` says what was converted on the way (bf16 → float, …)."""

    value: Any
    notes: tuple[str, ...] = ()


def normalise(x: Any) -> Plain:
    """Normalise an answer (see the module docstring). Raises ``TypeError`` with a
    course-worded message for objects that cannot be read as a value."""
    notes: list[str] = []
    return Plain(_plain(x, notes, depth=0), tuple(dict.fromkeys(notes)))


def _plain(x: Any, notes: list[str], depth: int) -> Any:
    if depth > 50:
        raise TypeError("结果嵌套太深 (nested more than 50 levels)")
    if x is None or x is Ellipsis:
        return x
    if isinstance(x, bool | np.bool_):
        return bool(x)
    if isinstance(x, int) and not isinstance(x, bool):
        return int.__index__(x)
    if isinstance(x, float):
        return float.__float__(x)
    if isinstance(x, complex):
        return complex.__complex__(x)
    if isinstance(x, str):
        return str.__str__(x)
    if isinstance(x, bytes):
        return bytes(memoryview(x))
    if isinstance(x, np.generic):
        return _plain(x.item(), notes, depth + 1)
    if _is_tensor(x):
        return _tensor_to_array(x, notes)
    if isinstance(x, np.ndarray):
        return _array(x, notes)
    if isinstance(x, Mapping):
        return {
            _plain(k, notes, depth + 1): _plain(v, notes, depth + 1)
            for k, v in dict.items(dict(x))
        }
    if isinstance(x, tuple):
        return tuple(_plain(v, notes, depth + 1) for v in tuple.__iter__(x))
    if isinstance(x, list):
        return [_plain(v, notes, depth + 1) for v in list.__iter__(x)]
    if isinstance(x, set | frozenset):
        return sorted((_plain(v, notes, depth + 1) for v in x), key=repr)
    if isinstance(x, Iterator) or _is_generator_like(x):
        items = list(itertools.islice(iter(x), MAX_ITEMS + 1))
        if len(items) > MAX_ITEMS:
            raise TypeError(f"返回的迭代器 (iterator) 超过 {MAX_ITEMS} 个元素")
        notes.append("返回的是迭代器/生成器 (generator)，已按列表 (list) 读取")
        return [_plain(v, notes, depth + 1) for v in items]
    if isinstance(x, range):
        return list(x)
    if hasattr(x, "__array__"):
        return _array(np.asarray(x), notes)
    raise TypeError(
        f"返回了 {type(x).__name__} 类型的对象；需要数字、字符串、列表、"
        "NumPy 数组或 torch 张量 (tensor)"
    )


def _is_generator_like(x: Any) -> bool:
    return type(x).__name__ in {"generator", "map", "filter", "zip", "enumerate"}


def _is_tensor(x: Any) -> bool:
    return type(x).__module__.startswith("torch") and hasattr(x, "detach")


def _tensor_to_array(t: Any, notes: list[str]) -> np.ndarray:
    import torch  # torch is a dependency of the course; imported only when needed

    t = t.detach()
    if t.is_complex():
        return _array(t.cpu().numpy(), notes)
    if t.dtype in (torch.bfloat16, torch.float16):
        notes.append(f"结果是 {str(t.dtype)[6:]} 张量，精度只有约 3 位有效数字")
        t = t.float()
    if t.layout != torch.strided:
        t = t.to_dense()
    return _array(t.cpu().numpy(), notes)


def _array(a: np.ndarray, notes: list[str]) -> np.ndarray:
    a = np.array(a, copy=True)  # never keep a view of the learner's memory
    if a.dtype.kind in "biu":
        return a.astype(np.int64) if a.dtype.kind != "b" else a
    if a.dtype.kind == "f":
        return a.astype(np.float64)
    if a.dtype.kind == "c":
        return a.astype(np.complex128)
    if a.dtype.kind in "US":
        return a.astype(str)
    if a.dtype.kind == "O":
        flat = [_plain(v, notes, 1) for v in a.ravel()]
        try:
            return np.array(flat, dtype=np.float64).reshape(a.shape)
        except (TypeError, ValueError):
            raise TypeError("数组里混有不是数字的对象 (object array)") from None
    raise TypeError(f"不支持的数组类型 dtype={a.dtype}")


# --- comparison ------------------------------------------------------------------


def differences(actual: Any, expected: Any, rtol: float, atol: float) -> str | None:
    """``None`` when two normalised values agree; otherwise a short Chinese reason
    (where they differ). Numbers compare with ``rtol``/``atol``; NaN equals NaN."""
    return _diff(actual, expected, rtol, atol, path="")


def _where(path: str) -> str:
    return f"在 {path} 处" if path else ""


def _diff(a: Any, e: Any, rtol: float, atol: float, path: str) -> str | None:
    if isinstance(e, str | bytes) or e is None:
        if type(a) is not type(e):
            return f"{_where(path)}类型不对：期望 {_kind(e)}，得到 {_kind(a)}"
        return None if a == e else f"{_where(path)}内容不同"
    if isinstance(e, dict):
        if not isinstance(a, dict):
            return f"{_where(path)}期望一个字典 (dict)，得到 {_kind(a)}"
        missing = [k for k in e if k not in a]
        extra = [k for k in a if k not in e]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"缺少键 {missing}")
            if extra:
                parts.append(f"多了键 {extra}")
            return f"{_where(path)}字典的键不对：" + "，".join(parts)
        for k in e:
            reason = _diff(a[k], e[k], rtol, atol, f"{path}[{k!r}]")
            if reason:
                return reason
        return None
    if isinstance(e, list | tuple) and not _numeric_sequence(e):
        if not isinstance(a, list | tuple | np.ndarray):
            return f"{_where(path)}期望一个序列 (list/tuple)，得到 {_kind(a)}"
        a_items = list(a)
        if len(a_items) != len(e):
            return (
                f"{_where(path)}长度不对：期望 {len(e)} 个元素，得到 {len(a_items)} 个"
            )
        for i, (ai, ei) in enumerate(zip(a_items, e, strict=True)):
            reason = _diff(ai, ei, rtol, atol, f"{path}[{i}]")
            if reason:
                return reason
        return None
    return _diff_numeric(a, e, rtol, atol, path)


def _numeric_sequence(x: Any) -> bool:
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError):
        return False
    return arr.dtype.kind in "biufc"


def _kind(x: Any) -> str:
    if isinstance(x, np.ndarray):
        return f"形状 {x.shape} 的数组"
    return type(x).__name__


def _diff_numeric(a: Any, e: Any, rtol: float, atol: float, path: str) -> str | None:
    if isinstance(a, str | bytes | dict) or a is None:
        return f"{_where(path)}期望数字或数组，得到 {_kind(a)}"
    try:
        a_arr = np.asarray(a)
        e_arr = np.asarray(e)
    except (TypeError, ValueError):
        return f"{_where(path)}无法把结果读成数组"
    if a_arr.dtype.kind not in "biufc":
        return f"{_where(path)}期望数字，得到 {a_arr.dtype} 类型的元素"
    if a_arr.dtype.kind == "c" and e_arr.dtype.kind != "c":
        return f"{_where(path)}结果是复数 (complex)，期望实数"
    if e_arr.dtype.kind == "b" and a_arr.dtype.kind != "b":
        return f"{_where(path)}期望布尔值 (True/False)，得到 {a_arr.dtype}"
    if a_arr.shape != e_arr.shape:
        return (
            f"{_where(path)}形状 (shape) 不对：期望 {e_arr.shape}，得到 {a_arr.shape}"
        )
    a64 = a_arr.astype(np.complex128 if a_arr.dtype.kind == "c" else np.float64)
    e64 = e_arr.astype(np.complex128 if e_arr.dtype.kind == "c" else np.float64)
    ok = np.isclose(a64, e64, rtol=rtol, atol=atol, equal_nan=True)
    if ok.all():
        return None
    if a64.ndim == 0:
        return f"{_where(path)}数值不同"
    bad = np.argwhere(~ok)
    first = tuple(int(i) for i in bad[0])
    return (
        f"{_where(path)}有 {len(bad)} / {a64.size} 个元素不同，第一个在下标 {first}："
        f"期望 {_number(e64[first])}，得到 {_number(a64[first])}"
    )


# --- description -----------------------------------------------------------------


def _number(x: Any) -> str:
    if isinstance(x, complex | np.complexfloating):
        return f"{complex(x):.10g}"
    x = float(x)
    if math.isnan(x) or math.isinf(x):
        return str(x)
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.10g}"


def describe(x: Any, width: int = 0) -> str:
    """A readable, whole (up to 400 numbers) rendering of a normalised value.
    Continuation lines are indented by ``width`` so that expected/got align."""
    if isinstance(x, np.ndarray) and x.ndim > 0:
        if x.dtype.kind in "fc":
            text = np.array2string(
                x,
                threshold=400,
                precision=8,
                floatmode="maxprec",
                max_line_width=100,
                separator=", ",
            )
        else:
            text = np.array2string(x, threshold=400, max_line_width=100, separator=", ")
        text = text.replace("\n", "\n" + " " * width)
        return f"{text}  (shape {x.shape})"
    if isinstance(x, float | int | complex | np.number) and not isinstance(x, bool):
        return _number(x)
    if isinstance(x, dict) and any(isinstance(v, np.ndarray) for v in x.values()):
        pad = " " * (width + 2)
        inner = ",\n".join(
            f"{pad}{k!r}: {describe(v, width + 4 + len(repr(k)))}" for k, v in x.items()
        )
        return "{\n" + inner + "}"
    if isinstance(x, list | tuple) and x and all(isinstance(v, np.ndarray) for v in x):
        inner = ",\n".join(" " * (width + 1) + describe(v, width + 1) for v in x)
        return "[\n" + inner + "]"
    text = repr(x)
    return text if len(text) <= 600 else text[:600] + " …"
