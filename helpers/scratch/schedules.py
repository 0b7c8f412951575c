"""Learning-rate schedules and gradient clipping, in NumPy.

Introduced in 07_optimizers: the warmup + cosine-decay schedule used to train
large language models (equal to ``torch.optim.lr_scheduler.LambdaLR`` with the
same function) and clipping by global norm (equal to
``torch.nn.utils.clip_grad_norm_``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from helpers.validate import as_array, check_int, check_number

__all__ = [
    "LambdaSchedule",
    "clip_grad_norm",
    "global_norm",
    "warmup_cosine",
    "warmup_cosine_curve",
    "warmup_cosine_lambda",
    "warmup_linear",
]


def _check_schedule(warmup_steps: int, total_steps: int, min_ratio: float) -> None:
    check_int(warmup_steps, "warmup_steps", low=0)
    check_int(total_steps, "total_steps", low=1)
    if warmup_steps > total_steps:
        raise ValueError(
            f"warmup_steps ({warmup_steps}) must be <= total_steps ({total_steps})"
        )
    check_number(min_ratio, "min_ratio", low=0, high=1)


def warmup_cosine(
    step: int, warmup_steps: int, total_steps: int, min_ratio: float = 0.0
) -> float:
    """The learning-rate multiplier at ``step`` (0-based).

    Linear warmup from 0 to 1 over ``warmup_steps`` steps, then a cosine decay
    from 1 down to ``min_ratio`` at ``total_steps``, and ``min_ratio`` after
    that. Introduced in 07_optimizers.
    """
    step = check_int(step, "step", low=0)
    _check_schedule(warmup_steps, total_steps, min_ratio)
    if step < warmup_steps:
        return step / max(1, warmup_steps)
    progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    progress = min(progress, 1.0)
    cosine = 0.5 * (1.0 + math.cos(math.pi * progress))
    return min_ratio + (1.0 - min_ratio) * cosine


def warmup_linear(
    step: int, warmup_steps: int, total_steps: int, min_ratio: float = 0.0
) -> float:
    """The learning-rate multiplier at ``step`` (0-based) of "warmup + linear
    decay": linear warmup from 0 to 1 over ``warmup_steps`` steps, then a
    straight line from 1 down to ``min_ratio`` at ``total_steps``, and
    ``min_ratio`` after that (BERT's schedule). Introduced in 07_optimizers."""
    step = check_int(step, "step", low=0)
    _check_schedule(warmup_steps, total_steps, min_ratio)
    if step < warmup_steps:
        return step / max(1, warmup_steps)
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    return min_ratio + (1.0 - min_ratio) * (1.0 - progress)


def warmup_cosine_curve(
    warmup_steps: int, total_steps: int, min_ratio: float = 0.0
) -> np.ndarray:
    """``warmup_cosine`` at every step 0 … ``total_steps``, as one array
    (vectorised, for plots). Introduced in 07_optimizers."""
    _check_schedule(warmup_steps, total_steps, min_ratio)
    steps = np.arange(total_steps + 1, dtype=np.float64)
    progress = (steps - warmup_steps) / max(1, total_steps - warmup_steps)
    cosine = 0.5 * (1.0 + np.cos(np.pi * np.clip(progress, 0.0, 1.0)))
    decay = min_ratio + (1.0 - min_ratio) * cosine
    return np.where(steps < warmup_steps, steps / max(1, warmup_steps), decay)


def warmup_cosine_lambda(
    warmup_steps: int, total_steps: int, min_ratio: float = 0.0
) -> Callable[[int], float]:
    """``warmup_cosine`` with its settings fixed: a function of the step, ready
    for ``LambdaSchedule`` or ``torch.optim.lr_scheduler.LambdaLR``.
    Introduced in 07_optimizers."""
    _check_schedule(warmup_steps, total_steps, min_ratio)

    def lr_lambda(step: int) -> float:
        return warmup_cosine(step, warmup_steps, total_steps, min_ratio)

    return lr_lambda


class LambdaSchedule:
    """Set ``optimizer.lr = base_lr · lr_lambda(step)``, like torch's LambdaLR.

    Introduced in 07_optimizers. Creating it applies step 0; call ``step()``
    after each ``optimizer.step(grads)``.
    """

    def __init__(self, optimizer, lr_lambda: Callable[[int], float]):
        if not hasattr(optimizer, "lr") or not hasattr(optimizer, "base_lr"):
            raise TypeError(
                "optimizer must be one of helpers.scratch.optim's optimizers"
            )
        if not callable(lr_lambda):
            raise TypeError("lr_lambda must be a function of the step number")
        self.optimizer = optimizer
        self.lr_lambda = lr_lambda
        self.last_step = 0
        self._apply()

    def _apply(self) -> None:
        factor = check_number(self.lr_lambda(self.last_step), "lr_lambda(step)", low=0)
        self.optimizer.lr = self.optimizer.base_lr * factor

    def step(self) -> float:
        """Advance one step and return the new learning rate."""
        self.last_step += 1
        self._apply()
        return self.optimizer.lr


def _check_grads(grads: Sequence[np.ndarray]) -> list[np.ndarray]:
    if isinstance(grads, np.ndarray) or not isinstance(grads, Sequence):
        raise TypeError("grads must be a list of NumPy arrays, one per parameter")
    if len(grads) == 0:
        raise ValueError("grads must not be empty")
    for i, g in enumerate(grads):
        if not isinstance(g, np.ndarray) or not np.issubdtype(g.dtype, np.floating):
            raise TypeError(
                f"grads[{i}] must be a floating-point NumPy array (clipped in "
                f"place), got {type(g).__name__}"
            )
        as_array(g, f"grads[{i}]", dtype=g.dtype)  # non-empty, finite
    return list(grads)


def global_norm(grads: Sequence[np.ndarray], norm_type: float = 2.0) -> float:
    """The norm of all gradients taken together as one long vector
    (``norm_type`` 2 or ``inf``). Introduced in 07_optimizers."""
    grads = _check_grads(grads)
    if norm_type == math.inf:
        return float(max(np.abs(g).max() for g in grads))
    if norm_type != 2.0:
        raise ValueError(f"norm_type must be 2 or math.inf, got {norm_type!r}")
    norms = np.array([np.linalg.norm(g.ravel()) for g in grads])
    return float(np.linalg.norm(norms))


def clip_grad_norm(
    grads: Sequence[np.ndarray], max_norm: float, norm_type: float = 2.0
) -> float:
    """Scale every gradient in place by ``min(1, max_norm / (norm + 1e-6))`` and
    return the norm before clipping — like ``torch.nn.utils.clip_grad_norm_``.

    All gradients shrink by the same factor, so the update keeps its direction.
    Introduced in 07_optimizers.
    """
    max_norm = check_number(max_norm, "max_norm", low=0, low_inclusive=False)
    total = global_norm(grads, norm_type)
    coef = min(1.0, max_norm / (total + 1e-6))
    for g in grads:
        g *= coef
    return total
