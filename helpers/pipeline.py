"""Pipeline-parallel schedules (GPipe and 1F1B), simulated op by op.

Introduced in 15_parallel_training. A model is cut into ``n_stages`` consecutive
stages, one per device; a batch is cut into ``n_micro`` micro-batches. Every stage
runs its operations in the order its schedule gives, each as soon as its input is
ready: the forward of micro-batch i on stage s needs the forward of i on stage s−1;
the backward of i on stage s needs the backward of i on stage s+1. The bubble
fraction is measured from the simulated timeline (idle device time / total device
time), not taken from the formula (p−1)/(m+p−1) — which the tests then check.
"""

from __future__ import annotations

from dataclasses import dataclass

from helpers.validate import check_choice, check_int, check_number

__all__ = ["Op", "Timeline", "simulate_pipeline", "stage_order"]

SCHEDULES = ("gpipe", "1f1b")


@dataclass(frozen=True)
class Op:
    """One forward ("F") or backward ("B") of one micro-batch on one stage."""

    stage: int
    kind: str  # "F" or "B"
    micro: int
    start: float
    end: float


@dataclass(frozen=True)
class Timeline:
    """A simulated schedule and what it costs."""

    schedule: str  # "gpipe" or "1f1b"
    n_stages: int  # p: devices
    n_micro: int  # m: micro-batches per batch
    ops: tuple[Op, ...]  # every operation with its start and end time
    makespan: float  # time from the first forward to the last backward
    bubble_fraction: float  # idle device time / (devices × makespan)
    peak_in_flight: tuple[int, ...]  # per stage: most micro-batches holding activations


def stage_order(schedule: str, stage: int, n_stages: int, n_micro: int) -> list[tuple]:
    """The order of (kind, micro) operations one stage runs.

    GPipe: all forwards, then all backwards (last micro-batch first, as in the
    GPipe figure). 1F1B: a few warm-up forwards (fewer on later stages), then
    alternate one forward and one backward, then the remaining backwards.
    """
    schedule = check_choice(schedule, "schedule", SCHEDULES)
    if schedule == "gpipe":
        forwards = [("F", i) for i in range(n_micro)]
        return forwards + [("B", i) for i in reversed(range(n_micro))]
    warmup = min(n_stages - stage - 1, n_micro)
    order = [("F", i) for i in range(warmup)]
    next_forward, next_backward = warmup, 0
    while next_forward < n_micro:
        order += [("F", next_forward), ("B", next_backward)]
        next_forward += 1
        next_backward += 1
    order += [("B", i) for i in range(next_backward, n_micro)]
    return order


def simulate_pipeline(
    n_stages: int,
    n_micro: int,
    schedule: str = "gpipe",
    t_forward: float = 1.0,
    t_backward: float = 1.0,
) -> Timeline:
    """Simulate one training batch through a pipeline and measure its bubble."""
    p = check_int(n_stages, "n_stages", low=1, high=64)
    m = check_int(n_micro, "n_micro", low=1, high=256)
    schedule = check_choice(schedule, "schedule", SCHEDULES)
    t_f = check_number(t_forward, "t_forward", low=0, low_inclusive=False)
    t_b = check_number(t_backward, "t_backward", low=0, low_inclusive=False)

    orders = [stage_order(schedule, s, p, m) for s in range(p)]
    position = [0] * p  # next op index per stage
    free_at = [0.0] * p  # when each stage is next free
    done: dict[tuple[str, int, int], float] = {}  # (kind, stage, micro) → end time
    ops: list[Op] = []
    while len(ops) < 2 * p * m:
        progressed = False
        for s in range(p):
            if position[s] == len(orders[s]):
                continue
            kind, i = orders[s][position[s]]
            if kind == "F":
                needs = [("F", s - 1, i)] if s > 0 else []
            else:
                needs = [("F", s, i)] + ([("B", s + 1, i)] if s < p - 1 else [])
            if any(need not in done for need in needs):
                continue
            start = max([free_at[s]] + [done[need] for need in needs])
            end = start + (t_f if kind == "F" else t_b)
            done[(kind, s, i)] = free_at[s] = end
            ops.append(Op(s, kind, i, start, end))
            position[s] += 1
            progressed = True
        if not progressed:  # cannot happen for the two schedules above
            raise RuntimeError(f"schedule {schedule!r} deadlocked")

    makespan = max(op.end for op in ops)
    busy = sum(op.end - op.start for op in ops)
    return Timeline(
        schedule=schedule,
        n_stages=p,
        n_micro=m,
        ops=tuple(sorted(ops, key=lambda op: (op.stage, op.start))),
        makespan=makespan,
        bubble_fraction=1.0 - busy / (p * makespan),
        peak_in_flight=tuple(_peak_in_flight(ops, s) for s in range(p)),
    )


def _peak_in_flight(ops: list[Op], stage: int) -> int:
    """Most micro-batches whose forward ran on ``stage`` but whose backward has not."""
    # At equal times a forward's end counts before a backward's start: the
    # activations of that micro-batch are alive when its backward begins.
    events = sorted(
        (op.end, -1) if op.kind == "F" else (op.start, 1)
        for op in ops
        if op.stage == stage
    )
    level = peak = 0
    for _, order in events:
        level -= order  # order −1 → a forward ended (+1), +1 → a backward began
        peak = max(peak, level)
    return peak
