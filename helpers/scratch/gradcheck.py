"""Numerical gradients by central differences, to check hand-written backward passes.

Introduced in 05_backprop.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from helpers.validate import as_array, check_number

__all__ = ["numerical_gradient", "relative_error"]


def _scalar(value, where: str) -> float:
    arr = np.asarray(value, dtype=np.float64)
    if arr.size != 1:
        raise ValueError(
            f"f must return a single number, got shape {arr.shape} {where}"
        )
    result = float(arr.reshape(()))
    if not np.isfinite(result):
        raise ValueError(f"f returned a non-finite value ({result}) {where}")
    return result


def numerical_gradient(
    f: Callable[[np.ndarray], float], x, eps: float = 1e-6
) -> np.ndarray:
    """Estimate d f / d x with central differences (f(x+eps) - f(x-eps)) / (2 eps).

    ``f`` maps an array shaped like ``x`` to one number. ``x`` is not changed.
    The error of the estimate shrinks like eps**2. Introduced in 05_backprop.
    """
    if not callable(f):
        raise TypeError(f"f must be a function, got {type(f).__name__}")
    x = as_array(x, "x").copy()
    eps = check_number(eps, "eps", low=0, low_inclusive=False, high=1.0)
    grad = np.zeros_like(x)
    flat, grad_flat = x.reshape(-1), grad.reshape(-1)  # views into x and grad
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + eps
        plus = _scalar(f(x), f"at x[{i}] + eps")
        flat[i] = original - eps
        minus = _scalar(f(x), f"at x[{i}] - eps")
        flat[i] = original
        grad_flat[i] = (plus - minus) / (2 * eps)
    return grad


def relative_error(a, b) -> float:
    """max |a - b| / max(1, |a|, |b|): a scale-aware distance between two gradients.

    Introduced in 05_backprop.
    """
    a = as_array(a, "a")
    b = as_array(b, "b")
    if a.shape != b.shape:
        raise ValueError(
            f"a and b must have the same shape, got {a.shape} and {b.shape}"
        )
    scale = max(1.0, float(np.max(np.abs(a))), float(np.max(np.abs(b))))
    return float(np.max(np.abs(a - b)) / scale)
