"""The curves the panels of 07_optimizers draw: an optimizer's path over one of
the loss surfaces (``helpers.scratch.optim.SURFACES``), and the warmup + cosine
learning-rate schedule at a given peak.

Plain functions (tested on their own); ``helpers.widgets.optimizers`` only calls
them and moves artists. Introduced in 07_optimizers.
"""

from __future__ import annotations

import numpy as np

from helpers.scratch.optim import OPTIMIZER_NAMES, SURFACES, trajectory
from helpers.scratch.schedules import warmup_cosine_curve
from helpers.validate import check_choice, check_int, check_number

__all__ = ["optimizer_path", "schedule_curve"]


def optimizer_path(surface: str, optimizer: str, lr: float, steps: int) -> np.ndarray:
    """The points visited by ``optimizer`` on ``SURFACES[surface]``, shape
    (steps + 1, 2). Introduced in 07_optimizers."""
    check_choice(surface, "surface", SURFACES)
    check_choice(optimizer, "optimizer name", OPTIMIZER_NAMES)
    s = SURFACES[surface]
    return trajectory(optimizer, s.grad, s.start, lr, steps)


def schedule_curve(
    peak_lr: float, warmup_steps: int, total_steps: int, min_ratio: float = 0.0
) -> np.ndarray:
    """Learning rate at steps 0 … total_steps of warmup + cosine decay.
    Introduced in 07_optimizers."""
    peak_lr = check_number(peak_lr, "peak_lr", low=0, low_inclusive=False)
    total_steps = check_int(total_steps, "total_steps", low=1, high=1_000_000)
    return peak_lr * warmup_cosine_curve(warmup_steps, total_steps, min_ratio)
