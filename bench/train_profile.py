"""Where the time of one ``python -m helpers.train`` run goes, phase by phase.

Runs the command-line trainer in this process (default: nanoGPT's CPU shape, 4
layers, 4 heads, width 128, context 64, batch 12, on ~1.1 MB of standard-library
source, evaluation included) with light timers hooked around each phase:

* start-up: process start → first training batch (imports, corpus, tokenizer,
  model, optimizer);
* data: drawing training batches;
* forward: the model's forward pass on training batches (loss included);
* backward: ``loss.backward()``;
* optimizer: ``optimizer.step()``;
* evaluation: the periodic validation estimates;
* other: everything else of the loop (schedule, clipping, logging, progress bar).

Prints a table (seconds and share of the wall clock) and one JSON line with
end-to-end tokens/s. Prints measured numbers; not a test.

Usage: python bench/train_profile.py [--steps 2000] [-- extra CLI flags]
"""

from __future__ import annotations

import argparse
import json
import sys
import time

START = time.perf_counter()  # before torch is imported: start-up includes imports

import torch  # noqa: E402
from torch.optim.optimizer import (  # noqa: E402
    register_optimizer_step_post_hook,
    register_optimizer_step_pre_hook,
)

import helpers.train  # noqa: E402

PHASES = ("start-up", "data", "forward", "backward", "optimizer", "evaluation")


class PhaseTimer:
    """Accumulates seconds per phase; hooks are installed by ``install``."""

    def __init__(self):
        self.seconds = dict.fromkeys(PHASES, 0.0)
        self.first_batch = None
        self.in_eval = False
        self._forward_start = None

    def add(self, phase: str, seconds: float) -> None:
        self.seconds[phase] += seconds

    def install(self) -> None:
        timer = self
        module = sys.modules[helpers.train.train.__module__]
        loop_globals = _loop_globals(module)

        # the loop's validation: ``_estimate`` (helpers/train/loop.py) or, in the
        # single-module trainer this replaced, ``estimate_loss``
        estimate_name = "_estimate" if "_estimate" in loop_globals else "estimate_loss"
        original_estimate = loop_globals[estimate_name]

        def timed_estimate(*args, **kwargs):
            start = time.perf_counter()
            timer.in_eval = True
            try:
                return original_estimate(*args, **kwargs)
            finally:
                timer.in_eval = False
                timer.add("evaluation", time.perf_counter() - start)

        loop_globals[estimate_name] = timed_estimate

        original_backward = torch.Tensor.backward

        def timed_backward(self, *args, **kwargs):
            start = time.perf_counter()
            try:
                return original_backward(self, *args, **kwargs)
            finally:
                timer.add("backward", time.perf_counter() - start)

        torch.Tensor.backward = timed_backward

        def pre_step(optimizer, args, kwargs):
            timer._optimizer_start = time.perf_counter()

        def post_step(optimizer, args, kwargs):
            timer.add("optimizer", time.perf_counter() - timer._optimizer_start)

        register_optimizer_step_pre_hook(pre_step)
        register_optimizer_step_post_hook(post_step)

        original_loss = loop_globals["_loss"]

        def timed_loss(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original_loss(*args, **kwargs)
            finally:
                if not timer.in_eval:
                    timer.add("forward", time.perf_counter() - start)

        loop_globals["_loss"] = timed_loss

    def wrap_batches(self, batches):
        timer = self

        def timed(split, generator=None):
            start = time.perf_counter()
            if timer.first_batch is None:
                timer.first_batch = start
            out = batches(split, generator)
            if not timer.in_eval:
                timer.add("data", time.perf_counter() - start)
            return out

        for name in ("batch_size", "context_length", "tokenizer"):
            if hasattr(batches, name):
                setattr(timed, name, getattr(batches, name))
        return timed


def _loop_globals(module) -> dict:
    """The globals of the module that holds the training loop."""
    loop = getattr(module, "_train", None) or module.train
    return loop.__globals__


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("extra", nargs="*", help="more flags for helpers.train")
    args = parser.parse_args()
    timer = PhaseTimer()
    timer.install()
    loop_globals = _loop_globals(sys.modules[helpers.train.train.__module__])
    original_train = loop_globals["train"]

    def train_with_timed_batches(model, batches, config, **kwargs):
        return original_train(model, timer.wrap_batches(batches), config, **kwargs)

    cli = sys.modules.get("helpers.train.cli", helpers.train)
    cli.train = train_with_timed_batches
    flags = ["--corpus", "stdlib", "--max-bytes", "1100000", "--preset", "cpu"]
    flags += ["--device", "cpu", "--steps", str(args.steps), "--no-progress"]
    summary = helpers.train.main(flags + args.extra)
    end = time.perf_counter()
    total = end - START
    timer.seconds["start-up"] = (timer.first_batch or end) - START
    other = total - sum(timer.seconds.values())
    rows = list(timer.seconds.items()) + [("other (loop, logging)", other)]
    print(f"{'phase':<24}{'seconds':>10}{'share':>9}")
    for name, seconds in rows:
        print(f"{name:<24}{seconds:>10.2f}{seconds / total:>9.1%}")
    print(f"{'total (wall clock)':<24}{total:>10.2f}")
    tokens = summary["steps"] * 12 * 64
    print(
        json.dumps(
            {
                "steps": summary["steps"],
                "wall_s": round(total, 2),
                "end_to_end_tokens_per_s": round(tokens / total),
                "step_tokens_per_s": summary["tokens_per_s"],
                "val_loss": summary["val_loss"],
                "threads": torch.get_num_threads(),
            }
        )
    )


if __name__ == "__main__":
    main()
