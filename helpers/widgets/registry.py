"""Find every panel module's ``bench_cases()``.

Used by ``bench/widget_latency.py`` and ``tests/test_widgets_all.py`` so that a new
panels module is timed and tested as soon as it exists. Introduced in 01_neuron.
"""

from __future__ import annotations

import importlib
import pkgutil

import helpers.widgets as _package
from helpers.widgets import BenchCase

__all__ = ["all_bench_cases", "panel_modules"]


def panel_modules() -> list[str]:
    """Names of the panel modules in ``helpers.widgets``, sorted."""
    return sorted(
        f"{_package.__name__}.{info.name}"
        for info in pkgutil.iter_modules(_package.__path__)
        if info.name != "registry" and not info.name.startswith("_")
    )


def all_bench_cases() -> list[BenchCase]:
    """Every ``BenchCase`` of every panel module, in module order."""
    cases: list[BenchCase] = []
    for name in panel_modules():
        module = importlib.import_module(name)
        factory = getattr(module, "bench_cases", None)
        if factory is None:
            raise ValueError(f"panel module {name} must define bench_cases()")
        cases.extend(factory())
    return cases
