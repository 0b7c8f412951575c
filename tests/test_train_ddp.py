"""`torchrun` runs the course's training script as DistributedDataParallel.

Two CPU processes (gloo) on the same global batch must follow the same training
trajectory as one process: each rank takes half of every batch and DDP averages
the gradients, so every step's loss matches.
"""

from __future__ import annotations

import pytest

from helpers.parallel import launch_training

ARGS = [
    "--corpus", "zh", "--steps", "6", "--batch-size", "4", "--context-length", "16",
    "--n-layer", "1", "--n-head", "2", "--d-model", "32", "--lr", "0.01",
    "--device", "cpu", "--no-progress", "--losses",
]  # fmt: skip


def test_two_processes_follow_the_single_process_run():
    single = launch_training([*ARGS, "--seed", "3"], nproc=1)
    ddp = launch_training([*ARGS, "--seed", "3"], nproc=2)
    assert ddp["steps"] == single["steps"] == 6
    assert (ddp["world_size"], single["world_size"]) == (2, 1)
    assert ddp["losses"] == pytest.approx(single["losses"], abs=1e-3)
    assert ddp["val_loss"] == pytest.approx(single["val_loss"], abs=1e-3)
    # the tolerance is meaningful: another seed gives a different curve
    other = launch_training([*ARGS, "--seed", "4"], nproc=1)
    assert other["losses"] != pytest.approx(single["losses"], abs=1e-3)


def test_batch_must_split_over_the_processes():
    args = [a if a != "4" else "5" for a in ARGS]  # batch size 5 over 2 processes
    with pytest.raises(RuntimeError, match="batch_size 5 must divide evenly over 2"):
        launch_training([*args, "--seed", "3"], nproc=2)


def test_launch_training_rejects_bad_arguments():
    with pytest.raises(TypeError, match="list of strings"):
        launch_training("--corpus zh")
    with pytest.raises(ValueError, match="nproc must be >= 1"):
        launch_training(ARGS, nproc=0)
