"""The ``torchrun`` plumbing of the trainer: who am I, join, leave.

Introduced in 15_parallel_training. ``torchrun`` starts one process per worker
and tells each its place through ``WORLD_SIZE``, ``RANK`` and ``LOCAL_RANK``;
``ranks_from_env`` reads and checks them, ``join`` enters the process group with
a bounded timeout (a missing peer fails in ``timeout`` seconds, not torch's
default of half an hour), and ``world``/``is_main_process`` answer "which rank,
how many" everywhere else (only rank 0 prints, shows progress and saves).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist

__all__ = ["Ranks", "is_main_process", "join", "leave", "ranks_from_env", "world"]

#: Seconds a process waits for its peers when joining the group.
JOIN_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Ranks:
    """This process's place in a ``torchrun`` job."""

    world_size: int  # processes in the job (1 outside torchrun)
    rank: int  # this process, 0 … world_size - 1
    local_rank: int  # this process on its machine (selects its GPU)


def _env_int(environ, name: str, default: int, low: int, high: int | None) -> int:
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ValueError(
            f"environment variable {name}={raw!r} must be an integer "
            "(torchrun sets it; unset it to train in one process)"
        ) from None
    if value < low or (high is not None and value > high):
        top = "" if high is None else f" and <= {high}"
        raise ValueError(f"environment variable {name}={value} must be >= {low}{top}")
    return value


def ranks_from_env(environ=None) -> Ranks:
    """``WORLD_SIZE``/``RANK``/``LOCAL_RANK`` checked: integers, WORLD_SIZE >= 1,
    0 <= RANK < WORLD_SIZE, LOCAL_RANK >= 0; ``ValueError`` naming the variable
    otherwise. Introduced in 15_parallel_training."""
    environ = os.environ if environ is None else environ
    world_size = _env_int(environ, "WORLD_SIZE", 1, 1, None)
    rank = _env_int(environ, "RANK", 0, 0, world_size - 1)
    local_rank = _env_int(environ, "LOCAL_RANK", 0, 0, world_size - 1)
    return Ranks(world_size, rank, local_rank)


def join(device: torch.device, timeout_s: float = JOIN_TIMEOUT_S) -> None:
    """Join the process group of a ``torchrun`` job (nccl on CUDA, else gloo),
    giving up after ``timeout_s`` seconds."""
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist.init_process_group(
        "nccl" if device.type == "cuda" else "gloo",
        timeout=timedelta(seconds=timeout_s),
    )


def leave() -> None:
    """Leave the process group (if joined)."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def world() -> tuple[int, int]:
    """(rank, world size) of this process: (0, 1) outside ``torchrun``."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def is_main_process() -> bool:
    """True unless this is a non-zero rank of a torch.distributed run: only the
    main process prints, shows progress and saves. Introduced in
    13_train_a_tiny_llm."""
    return world()[0] == 0
