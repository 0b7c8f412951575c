"""Time every panel's update (compute + PNG redraw) and print median / p95 per panel.

Usage: python bench/widget_latency.py [--repeats N] [--filter TEXT]

Each panel module in ``helpers.widgets`` lists the controls to move in its
``bench_cases()``. For every panel this script builds it once, then cycles through
the listed values of every control ``repeats`` times, timing each move from setting
the value to the new PNG being ready for the browser. Target (issue 2): median
< 100 ms and p95 < 200 ms on the 2-core CPU machine. Buttons (e.g. "train N steps")
are timed separately: they are actions, not slider moves.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import ipywidgets as widgets

from helpers.widgets import apply_move
from helpers.widgets.registry import all_bench_cases


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Panel update latency")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--filter", default="", help="only panels whose name has this")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be >= 1")

    print(f"{'panel':<52} {'moves':>5} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}")
    slow = []
    for case in all_bench_cases():
        if args.filter not in case.name:
            continue
        panel = case.make()
        slider_times, button_times = [], []
        for _ in range(args.repeats):
            for control, values in case.moves.items():
                is_button = isinstance(panel.controls[control], widgets.Button)
                for value in values if not is_button else [None]:
                    start = time.perf_counter()
                    apply_move(panel, control, value)
                    elapsed = (time.perf_counter() - start) * 1000
                    (button_times if is_button else slider_times).append(elapsed)
        for label, times in (("", slider_times), (" [buttons]", button_times)):
            if not times:
                continue
            median, p95 = statistics.median(times), percentile(times, 95)
            name = case.name + label
            print(
                f"{name:<52} {len(times):>5} {median:>10.1f} {p95:>8.1f} "
                f"{max(times):>8.1f}"
            )
            if not label and (median > 100 or p95 > 200):
                slow.append(name)
    if slow:
        print("\nAbove target (median 100 ms / p95 200 ms): " + ", ".join(slow))
    return 0


if __name__ == "__main__":
    sys.exit(main())
