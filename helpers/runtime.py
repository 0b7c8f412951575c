"""Seeds, device and precision choice, and the fast mode used in CI.

Introduced in 00_course_map. This is the one place that decides the device,
dtype and autocast settings; nothing else in the course does.
"""

from __future__ import annotations

import contextlib
import os
import platform
import random
import time
from dataclasses import dataclass

import numpy as np
import torch

from helpers.validate import check_choice, check_int

__all__ = [
    "DEVICE_ENV",
    "FAST_ENV",
    "Precision",
    "autocast",
    "describe_environment",
    "fast_mode",
    "get_device",
    "grad_scaler",
    "precision_for",
    "resolve_device",
    "set_seed",
    "synchronize",
    "training_threads",
]

#: Environment variable that overrides the automatic device choice.
DEVICE_ENV = "COURSE_DEVICE"
#: Environment variable that forces fast mode on ("1") or off ("0").
FAST_ENV = "COURSE_FAST"

_DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


def set_seed(seed: int) -> None:
    """Seed Python's, NumPy's and PyTorch's random generators."""
    seed = check_int(seed, "seed", low=0, high=2**32 - 1)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def get_device(preference: str | None = None) -> torch.device:
    """Pick CUDA, then Apple MPS, then CPU.

    ``preference`` (or the ``COURSE_DEVICE`` environment variable when
    ``preference`` is None) may be "auto", "cpu", "cuda" or "mps". Asking for a
    device that this machine lacks raises ``ValueError``.
    """
    if preference is None:
        preference = os.environ.get(DEVICE_ENV, "auto").strip().lower() or "auto"
        source = f"environment variable {DEVICE_ENV}"
    else:
        source = "preference"
    check_choice(preference, source, _DEVICE_CHOICES)
    if preference == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if preference == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was requested but no CUDA GPU is available")
    if preference == "mps" and not _mps_available():
        raise ValueError("device 'mps' was requested but Apple MPS is not available")
    return torch.device(preference)


def resolve_device(device: torch.device | str | None = None) -> torch.device:
    """``device`` as a ``torch.device`` that this machine has: None picks one with
    ``get_device()``; asking for CUDA or MPS where it is missing raises
    ``ValueError`` (not torch's ``AssertionError`` deep inside a ``.to``).
    Introduced in 13_train_a_tiny_llm."""
    if device is None:
        return get_device()
    if not isinstance(device, str | torch.device):
        raise TypeError(
            f"device must be a str or torch.device, got {type(device).__name__}"
        )
    if isinstance(device, str):
        check_choice(device.split(":")[0].strip().lower(), "device", _DEVICE_CHOICES)
        if device.strip().lower() == "auto":
            return get_device()
    device = torch.device(device)
    kind = check_choice(device.type, "device type", ("cpu", "cuda", "mps"))
    if kind == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device {str(device)!r} was requested but no CUDA GPU is available "
            "(this torch build or machine is CPU-only)"
        )
    if kind == "mps" and not _mps_available():
        raise ValueError(f"device {str(device)!r} was requested but MPS is missing")
    return device


def busy_cores(window: float = 0.25) -> float | None:
    """How many cores other programs keep busy right now: the machine's non-idle
    CPU time over ``window`` seconds (from ``/proc/stat``), in cores. ``None``
    where that cannot be read (then the 1-minute load average is used, or nothing).
    Introduced in 13_train_a_tiny_llm."""

    def sample() -> tuple[int, int] | None:
        try:
            with open("/proc/stat", encoding="ascii") as handle:
                fields = [int(v) for v in handle.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return sum(fields), idle

    first = sample()
    if first is None:
        return None
    time.sleep(window)
    second = sample()
    total, idle = second[0] - first[0], second[1] - first[1]
    if total <= 0:
        return None
    return (total - idle) / total * (os.cpu_count() or 1)


def training_threads(load: float | None = None, cores: int | None = None) -> int:
    """CPU threads for a training run: every core torch uses by default, unless
    other programs keep the machine busy (``load`` busy cores; measured now with
    ``busy_cores``, else the 1-minute load average), then only the cores they leave
    free, at least one. OpenMP threads that wait for a busy core stall each other:
    measured on a 2-core machine at load 6, two threads trained at 640 tokens/s and
    one at 12,700; on the quiet machine two threads gave 19,400 and one 12,400
    (bench/train_profile.py). Introduced in 13_train_a_tiny_llm."""
    cores = (
        torch.get_num_threads() if cores is None else check_int(cores, "cores", low=1)
    )
    if load is None:
        load = busy_cores()
    if load is None:
        try:
            load = os.getloadavg()[0]
        except (AttributeError, OSError):  # not available (Windows): trust torch
            return cores
    if not isinstance(load, int | float) or load < 0 or load != load:
        raise ValueError(f"load must be a non-negative number, got {load!r}")
    return max(1, min(cores, int(cores - load + 0.5)))


def synchronize(device: torch.device | str) -> None:
    """Wait until ``device`` has finished its queued work (a no-op on CPU), so a
    timer read afterwards measures the work. Introduced in 04_tensors_and_gpu."""
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


@dataclass(frozen=True)
class Precision:
    """How to run a model on one device."""

    device_type: str  # "cuda", "mps" or "cpu"
    autocast_dtype: torch.dtype | None  # dtype for torch.autocast, None = off
    param_dtype: torch.dtype  # dtype the parameters are stored in
    use_fused_adamw: bool  # whether torch.optim.AdamW(fused=True) is used
    can_compile: bool  # whether torch.compile is worth offering

    @property
    def needs_grad_scaler(self) -> bool:
        """fp16 autocast needs loss scaling (small gradients underflow in fp16);
        bf16 has float32's exponent range and does not."""
        return self.autocast_dtype == torch.float16


def precision_for(
    device: torch.device | str, *, bf16_supported: bool | None = None
) -> Precision:
    """Choose the precision for ``device``: bf16 autocast on GPUs that support it,
    plain float32 elsewhere.

    ``bf16_supported`` lets tests exercise the CUDA branch on a CPU machine; by
    default it is read from ``torch.cuda.is_bf16_supported()``.
    """
    device = torch.device(device)
    kind = check_choice(device.type, "device type", ("cuda", "mps", "cpu"))
    if kind == "cuda":
        if bf16_supported is None:
            bf16_supported = bool(torch.cuda.is_bf16_supported())
        dtype = torch.bfloat16 if bf16_supported else torch.float16
        return Precision("cuda", dtype, torch.float32, True, True)
    # Fused AdamW runs on CPU in this torch and measured faster there (one kernel
    # over all parameters instead of a Python loop): bench/train_profile.py.
    return Precision(kind, None, torch.float32, kind == "cpu", False)


def grad_scaler(
    device: torch.device | str, precision: Precision | None = None
) -> torch.amp.GradScaler:
    """The ``torch.amp.GradScaler`` that goes with ``precision``: enabled for fp16
    autocast (it multiplies the loss before ``backward`` and unscales the
    gradients before the optimizer step, skipping steps with inf/NaN gradients),
    disabled (every call passes through) otherwise. Introduced in
    13_train_a_tiny_llm."""
    device = torch.device(device)
    precision = precision or precision_for(device)
    if not isinstance(precision, Precision):
        raise TypeError(
            f"precision must be a Precision, got {type(precision).__name__}"
        )
    return torch.amp.GradScaler(device.type, enabled=precision.needs_grad_scaler)


def autocast(device: torch.device | str, precision: Precision | None = None):
    """A context manager running the forward pass in the chosen precision.

    On CPU (and MPS) this is a no-op, so the same cell runs everywhere.
    """
    device = torch.device(device)
    precision = precision or precision_for(device)
    if precision.autocast_dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=precision.autocast_dtype)


def fast_mode() -> bool:
    """True under CI (``CI`` set) or when ``COURSE_FAST=1``: use smaller configs.

    ``COURSE_FAST=0`` turns it off even under CI.
    """
    flag = os.environ.get(FAST_ENV)
    if flag is not None and flag.strip() != "":
        check_choice(flag.strip(), f"environment variable {FAST_ENV}", ("0", "1"))
        return flag.strip() == "1"
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false")


def describe_environment() -> dict[str, str]:
    """Versions and devices, for the environment check in 00_course_map."""
    import ipywidgets
    import matplotlib

    device = get_device()
    info = {
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "numpy": np.__version__,
        "torch": torch.__version__,
        "matplotlib": matplotlib.__version__,
        "ipywidgets": ipywidgets.__version__,
        "cpu_threads": str(torch.get_num_threads()),
        "device": str(device),
    }
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    return info
