"""Time every panel's update (compute + draw + PNG encode) and print median / p95.

Usage: python bench/widget_latency.py [--repeats N] [--filter TEXT]

Each panel module in ``helpers.widgets`` lists the controls to move in its
``bench_cases()``. For every panel this script builds it once, then cycles through
the listed values of every control ``repeats`` times, timing each move from setting
the value to the new PNG being ready for the browser, through ``Panel.refresh()``
(the path the notebook, the tests and the static site use). Per panel it prints
the wall-clock median / p95 / max, the CPU time per move (what the move costs on
an otherwise idle machine: other processes on the same cores inflate wall time,
not CPU time), the median of each phase (compute = ``update()``, draw, encode) and
how the frames were drawn (full / partial = changed axes only / blit = moving
artists over the cached background). Target (issue 17): median <= 50 ms and
p95 <= 100 ms on the 2-core machine. Buttons (e.g. "train N steps") are timed
separately: they are actions, not slider moves.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import Counter

import ipywidgets as widgets

from helpers.widgets import apply_move
from helpers.widgets.registry import all_bench_cases

TARGET_MEDIAN_MS, TARGET_P95_MS = 50.0, 100.0


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

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average (1 min) at start: {load:.2f} on {os.cpu_count()} CPU(s)")
    print(
        f"{'panel':<50} {'moves':>5} {'median':>7} {'p95':>6} {'max':>6} {'cpu':>5} "
        f"{'cpu95':>5} "
        f"{'comp':>5} {'draw':>5} {'enc':>4}  modes (full/partial/blit)"
    )
    slow, slow_cpu, cases_seen = [], [], 0
    for case in all_bench_cases():
        if args.filter not in case.name:
            continue
        cases_seen += 1
        panel = case.make()
        rows = {"": [], " [buttons]": []}
        for _ in range(args.repeats):
            for control, values in case.moves.items():
                is_button = isinstance(panel.controls[control], widgets.Button)
                for value in values if not is_button else [None]:
                    wall, cpu = time.perf_counter(), time.process_time()
                    apply_move(panel, control, value)
                    wall = (time.perf_counter() - wall) * 1000
                    cpu = (time.process_time() - cpu) * 1000
                    label = " [buttons]" if is_button else ""
                    timings = dict(getattr(panel, "timings", {}))  # {} on old panels
                    rows[label].append((wall, cpu, timings))
        for label, samples in rows.items():
            if not samples:
                continue
            walls = [s[0] for s in samples]
            cpus = [s[1] for s in samples]
            median, p95 = statistics.median(walls), percentile(walls, 95)

            def phase(key, samples=samples):
                return statistics.median(s[2].get(key, 0.0) for s in samples) * 1000

            modes = Counter(s[2].get("mode", "?") for s in samples)
            name = case.name + label
            print(
                f"{name:<50} {len(walls):>5} {median:>7.1f} {p95:>6.1f} "
                f"{max(walls):>6.1f} {statistics.median(cpus):>5.1f} "
                f"{percentile(cpus, 95):>5.1f} "
                f"{phase('compute'):>5.1f} {phase('draw'):>5.1f} {phase('encode'):>4.1f}  "
                f"{modes['full']}/{modes['partial']}/{modes['blit']}"
            )
            if not label and (median > TARGET_MEDIAN_MS or p95 > TARGET_P95_MS):
                slow.append(f"{name} ({median:.0f}/{p95:.0f} ms)")
            cpu_median, cpu_p95 = statistics.median(cpus), percentile(cpus, 95)
            if not label and (cpu_median > TARGET_MEDIAN_MS or cpu_p95 > TARGET_P95_MS):
                slow_cpu.append(f"{name} ({cpu_median:.0f}/{cpu_p95:.0f} ms)")
    load_end = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\nload average (1 min) at end: {load_end:.2f}")
    target = f"median <= {TARGET_MEDIAN_MS:.0f} ms, p95 <= {TARGET_P95_MS:.0f} ms"
    if slow:
        print(f"VERDICT: {len(slow)} of {cases_seen} panels miss the target ({target}): "
              + "; ".join(slow))  # fmt: skip
    else:
        print(f"VERDICT: all {cases_seen} panels within the target ({target})")
    # CPU time is what the moves cost when nothing else runs on the cores: on a
    # loaded machine it is the fairer reading (the load average is printed above)
    if slow_cpu:
        print(f"VERDICT (CPU time): {len(slow_cpu)} of {cases_seen} panels miss it: "
              + "; ".join(slow_cpu))  # fmt: skip
    else:
        print(f"VERDICT (CPU time): all {cases_seen} panels within the target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
