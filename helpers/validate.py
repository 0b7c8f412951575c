"""Argument checks shared by every helpers module.

Every public function in ``helpers`` validates its inputs with these, so a learner
who passes a wrong shape, a NaN or an unknown option gets a ``ValueError`` or
``TypeError`` that says what was expected, not an obscure error from deep inside
NumPy or PyTorch.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from numbers import Integral, Real

import numpy as np

#: Tensor dtypes with no NumPy counterpart: widened to float32 first.
_LOW_PRECISION = ("torch.bfloat16", "torch.float16")

__all__ = [
    "as_array",
    "check_choice",
    "check_int",
    "check_number",
    "check_shape",
    "check_token_ids",
]


def as_array(
    x,
    name: str,
    *,
    ndim: int | Sequence[int] | None = None,
    allow_empty: bool = False,
    allow_nonfinite: bool = False,
    dtype=np.float64,
) -> np.ndarray:
    """Convert ``x`` to a NumPy array of ``dtype`` and check it.

    Raises ``TypeError`` if ``x`` is not numeric, ``ValueError`` if it has the wrong
    number of dimensions, is empty, or holds NaN/inf (unless allowed).
    """
    if isinstance(x, str | bytes | dict | set):
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}")
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # a torch tensor
        x = x.detach().cpu()
        if x.is_complex():
            raise TypeError(f"{name} must hold real numbers, got a complex tensor")
        x = x.float().numpy() if str(x.dtype) in _LOW_PRECISION else x.numpy()
    if np.iscomplexobj(x) and not np.issubdtype(np.dtype(dtype), np.complexfloating):
        raise TypeError(
            f"{name} must hold real numbers, got complex values "
            "(they would be silently truncated to their real part)"
        )
    try:
        arr = np.asarray(x, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{name} must be an array of numbers, got {type(x).__name__}: {exc}"
        ) from None
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(str(n) for n in allowed)
            raise ValueError(
                f"{name} must have {want} dimension(s), got shape {arr.shape}"
            )
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if not allow_nonfinite and np.issubdtype(arr.dtype, np.floating):
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} must be finite numbers (found NaN or inf)")
    return arr


def check_shape(arr, name: str, expected: Sequence[int | None]) -> None:
    """Check that ``arr.shape`` matches ``expected`` (``None`` matches any size)."""
    shape = tuple(arr.shape)
    ok = len(shape) == len(expected) and all(
        e is None or s == e for s, e in zip(shape, expected, strict=False)
    )
    if not ok:
        want = "(" + ", ".join("*" if e is None else str(e) for e in expected) + ")"
        raise ValueError(f"{name} must have shape {want}, got {shape}")


def check_number(
    x,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
) -> float:
    """Check that ``x`` is a finite real number inside the given range."""
    if isinstance(x, bool) or not isinstance(x, Real | np.number):
        raise TypeError(f"{name} must be a number, got {type(x).__name__}")
    value = float(x)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    if low is not None and (value < low or (not low_inclusive and value == low)):
        op = ">=" if low_inclusive else ">"
        raise ValueError(f"{name} must be {op} {low}, got {value}")
    if high is not None and (value > high or (not high_inclusive and value == high)):
        op = "<=" if high_inclusive else "<"
        raise ValueError(f"{name} must be {op} {high}, got {value}")
    return value


def check_int(x, name: str, *, low: int | None = None, high: int | None = None) -> int:
    """Check that ``x`` is an integer (not a bool) inside ``[low, high]``."""
    if isinstance(x, bool) or not isinstance(x, Integral):
        raise TypeError(f"{name} must be an integer, got {type(x).__name__}")
    value = int(x)
    if low is not None and value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}, got {value}")
    return value


def check_choice(x, name: str, options: Iterable[str]) -> str:
    """Check that ``x`` is one of ``options``; the error lists them."""
    options = list(options)
    if x not in options:
        listed = ", ".join(repr(o) for o in options)
        raise ValueError(f"unknown {name} {x!r}; expected one of: {listed}")
    return x


def check_token_ids(ids, vocab_size: int) -> list[int]:
    """Check a sequence of token IDs (a list, or a 1-D tensor / array) and return it
    as a list of ints, each in ``[0, vocab_size)``. Used by the tokenizers' decode."""
    if hasattr(ids, "tolist"):
        ids = ids.tolist()
    if isinstance(ids, str | bytes) or not isinstance(ids, Iterable):
        raise TypeError(f"ids must be a sequence of integers, got {type(ids).__name__}")
    ids = list(ids)
    for position, token_id in enumerate(ids):
        if isinstance(token_id, bool) or not isinstance(token_id, Integral):
            raise TypeError(
                f"ids[{position}] must be an integer, got {type(token_id).__name__}"
            )
        if not 0 <= token_id < vocab_size:
            raise ValueError(
                f"ids[{position}] = {token_id} is out of range: expected "
                f"0 … {vocab_size - 1}"
            )
    return ids
