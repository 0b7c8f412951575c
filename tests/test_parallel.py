import os
import time

import numpy as np
import pytest
import torch

from helpers import parallel as P


@pytest.mark.parametrize("world_size", [2, 3])
def test_ddp_gradient_equals_big_batch_gradient(world_size):
    X, y = P.make_regression_problem(12, 5, seed=1)
    reference = P.big_batch_gradient(X, y, hidden=6, seed=3)
    per_rank = P.run_local(P.ddp_gradient_worker, world_size, X, y, 6, 3)
    for grads in per_rank:  # every rank ends with the same, averaged gradient
        for got, want in zip(grads, reference, strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_one_shard_alone_is_not_the_big_batch_gradient():
    X, y = P.make_regression_problem(12, 5, seed=1)
    shard = P.big_batch_gradient(X[:6], y[:6], hidden=6, seed=3)
    full = P.big_batch_gradient(X, y, hidden=6, seed=3)
    assert not np.allclose(shard[0], full[0])


@pytest.mark.parametrize("world_size", [2, 4])
def test_tensor_parallel_mlp_equals_unsplit(world_size):
    g = torch.Generator().manual_seed(0)
    X, A, B = (
        torch.randn(*s, generator=g, dtype=torch.float64)
        for s in [(5, 8), (8, 16), (16, 8)]
    )
    outputs = P.run_local(P.mlp_split_worker, world_size, X, A, B)
    for out in outputs:
        np.testing.assert_allclose(out, P.mlp_reference(X, A, B).numpy(), rtol=1e-12)


def test_tensor_parallel_attention_equals_unsplit_and_torch():
    g = torch.Generator().manual_seed(1)
    X = torch.randn(6, 8, generator=g, dtype=torch.float64)
    Wq, Wk, Wv, Wo = (
        torch.randn(8, 8, generator=g, dtype=torch.float64) * 0.3 for _ in range(4)
    )
    reference = P.attention_reference(X, Wq, Wk, Wv, Wo, n_head=4)
    mha = torch.nn.MultiheadAttention(8, 4, bias=False, dtype=torch.float64)
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.cat([Wq.T, Wk.T, Wv.T]))
        mha.out_proj.weight.copy_(Wo.T)
    torch_out, _ = mha(X, X, X, need_weights=False)
    torch.testing.assert_close(reference, torch_out)
    for out in P.run_local(P.attention_by_heads_worker, 2, X, Wq, Wk, Wv, Wo, 4):
        np.testing.assert_allclose(out, reference.numpy(), rtol=1e-12)


def test_a_failing_worker_fails_fast_with_its_error():
    X, y = P.make_regression_problem(11, 3)
    with pytest.raises(P.WorkerError, match="must split evenly") as info:
        P.run_local(P.ddp_gradient_worker, 2, X, y, timeout=60)
    assert info.value.rank in (0, 1)


def test_run_local_rejects_bad_arguments():
    with pytest.raises(ValueError, match="world_size must be >= 1"):
        P.run_local(P.mlp_split_worker, 0)
    with pytest.raises(ValueError, match="expected one of: 'gloo', 'nccl'"):
        P.run_local(P.mlp_split_worker, 2, backend="mpi")
    with pytest.raises(TypeError, match="fn must be a function"):
        P.run_local(42, 2)

    def local_fn(rank, world_size):
        return rank

    local_fn.__module__ = "__main__"
    with pytest.raises(ValueError, match="importable module"):
        P.run_local(local_fn, 2)


def test_zero_memory_matches_the_zero_paper():
    # ZeRO paper, Figure 1: 7.5B parameters, 64 GPUs, mixed-precision Adam.
    totals = [P.zero_memory_per_gpu(7.5e9, 64, s)["total"] / 1e9 for s in range(4)]
    assert totals == pytest.approx([120, 31.4, 16.6, 1.9], abs=0.05)  # paper rounds
    assert sum(P.training_bytes_per_parameter().values()) == 16
    assert P.zero_memory_per_gpu(7e9, 1, 0)["total"] / 1e9 == pytest.approx(112)
    with pytest.raises(ValueError, match="stage must be <= 3"):
        P.zero_memory_per_gpu(1e9, 8, 4)


def test_checkpointing_saves_activation_memory():
    torch.manual_seed(0)
    layers = [m for _ in range(8) for m in (torch.nn.Linear(32, 32), torch.nn.GELU())]
    model = torch.nn.Sequential(*layers)
    x = torch.randn(16, 32, requires_grad=True)
    plain = P.saved_activation_bytes(model, x)
    recomputed = P.saved_activation_bytes(model, x, segments=4)
    assert plain == 16 * 32 * 4 * 16  # one (16, 32) float32 tensor per layer input
    assert recomputed < plain / 2
    with pytest.raises(TypeError, match="nn.Sequential"):
        P.saved_activation_bytes(torch.nn.Linear(2, 2), x)


# --- no orphaned or hung processes (issue 14) ------------------------------------
def unpicklable_result_worker(rank, world_size):
    return lambda: rank  # a function made here cannot be pickled


def silent_exit_worker(rank, world_size):
    os._exit(0)  # ends the process without returning anything


@pytest.mark.parametrize(
    ("worker", "message"),
    [
        (unpicklable_result_worker, "cannot be sent back"),
        (silent_exit_worker, "exited with code 0 without a result"),
    ],
)
def test_run_local_reports_a_missing_result_at_once(worker, message):
    start = time.monotonic()
    with pytest.raises(P.WorkerError, match=message):
        P.run_local(worker, 2, timeout=100)
    assert time.monotonic() - start < 50  # not the whole timeout


def _processes_with(marker: str) -> list[int]:
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if marker.encode() in f.read():
                    found.append(int(pid))
        except OSError:
            continue
    return found


def test_launch_training_timeout_kills_every_process():
    marker = "918273"  # a seed no other process uses
    args = ["--corpus", "addition", "--steps", "1000000", "--batch-size", "4",
            "--n-layer", "1", "--d-model", "16", "--device", "cpu",
            "--no-progress", "--seed", marker]  # fmt: skip
    with pytest.raises(TimeoutError, match="did not finish within 8 s"):
        P.launch_training(args, nproc=2, timeout=8)
    deadline = time.monotonic() + 10
    while _processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.2)  # the kernel reaps killed processes asynchronously
    assert _processes_with(marker) == []
