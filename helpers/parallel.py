"""Parallel training, for real: local ``torch.distributed`` runs, data and tensor
parallelism, pipeline schedules and the memory arithmetic of training.

Introduced in 15_parallel_training. ``run_local`` starts N processes on this
machine (gloo on CPU, nccl on GPUs), connected over loopback; the workers below are
module-level functions so that worker processes started from a notebook can
import them.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import pickle
import queue as queue_module
import shutil
import signal
import socket
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from datetime import timedelta

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

from helpers.transformer import scaled_dot_product_attention, split_heads
from helpers.validate import check_choice, check_int, check_number

__all__ = [
    "WorkerError",
    "attention_by_heads_worker",
    "attention_reference",
    "big_batch_gradient",
    "ddp_gradient_worker",
    "launch_training",
    "make_regression_problem",
    "mlp_reference",
    "mlp_split_worker",
    "run_local",
    "saved_activation_bytes",
    "training_bytes_per_parameter",
    "zero_memory_per_gpu",
]


# --- running N processes --------------------------------------------------------
_RESULT_GRACE_S = 2.0  # how long a cleanly exited worker's result may take to arrive


class WorkerError(RuntimeError):
    """A worker process raised; carries its rank and traceback."""

    def __init__(self, rank: int, details: str):
        super().__init__(f"worker rank {rank} failed:\n{details}")
        self.rank = rank
        self.details = details


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _context():
    """Start workers from a fork server that has imported torch once (fast, and
    safe: it is a clean process, not the notebook kernel); spawn where fork is
    unavailable (Windows)."""
    if "forkserver" not in mp.get_all_start_methods():
        return mp.get_context("spawn")
    context = mp.get_context("forkserver")
    # torch._dynamo is imported lazily by DistributedDataParallel: load it once here.
    context.set_forkserver_preload(["torch", "torch._dynamo", "helpers.parallel"])
    return context


def _to_plain(value):
    """Tensors → NumPy arrays (sent by value between processes)."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    if isinstance(value, list | tuple):
        return type(value)(_to_plain(v) for v in value)
    if isinstance(value, dict):
        return {k: _to_plain(v) for k, v in value.items()}
    return value


def _worker_main(fn, rank, world_size, port, backend, args, results) -> None:
    os.environ.update(
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
        RANK=str(rank),
        WORLD_SIZE=str(world_size),
    )
    if sys.platform.startswith("linux"):
        os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")
    torch.set_num_threads(1)  # N processes share this machine's cores
    try:
        dist.init_process_group(
            backend, rank=rank, world_size=world_size, timeout=timedelta(seconds=60)
        )
        value = _to_plain(fn(rank, world_size, *args))
        try:  # the queue pickles in a background thread that fails silently
            pickle.dumps(value)
        except Exception as exc:  # noqa: BLE001 - any pickling failure
            results.put(
                (rank, "error", f"its result cannot be sent back (pickle): {exc!r}")
            )
        else:
            results.put((rank, "ok", value))
        dist.destroy_process_group()
    except BaseException:  # report every failure to the parent, then exit
        results.put((rank, "error", traceback.format_exc()))


def run_local(
    fn: Callable,
    world_size: int,
    *args,
    backend: str | None = None,
    timeout: float = 120.0,
) -> list:
    """Run ``fn(rank, world_size, *args)`` in ``world_size`` local processes.

    The processes form a ``torch.distributed`` group on loopback (gloo by default,
    nccl if asked). Returns the per-rank return values (tensors come back as NumPy
    arrays). If any worker raises, the others are stopped at once and
    ``WorkerError`` carries the failing rank's traceback; no process is left behind.
    ``fn`` must be defined in a module (not in a notebook cell): the worker
    processes import it by name.
    """
    world_size = check_int(world_size, "world_size", low=1, high=64)
    backend = check_choice(backend or "gloo", "backend", ("gloo", "nccl"))
    timeout = check_number(timeout, "timeout", low=1.0)
    if not callable(fn):
        raise TypeError(f"fn must be a function, got {type(fn).__name__}")
    if getattr(fn, "__module__", "__main__") == "__main__":
        raise ValueError(
            "fn must be defined in an importable module (e.g. helpers.parallel), "
            "not in a notebook cell or script: worker processes import it by name"
        )
    context = _context()
    results = context.Queue()
    port = _free_port()
    processes = [
        context.Process(
            target=_worker_main,
            args=(fn, rank, world_size, port, backend, args, results),
            daemon=True,
        )
        for rank in range(world_size)
    ]
    for process in processes:
        process.start()
    collected: dict[int, object] = {}
    deadline = time.monotonic() + timeout
    exited_at: dict[int, float] = {}  # rank -> when it exited with code 0
    try:
        while len(collected) < world_size:
            try:
                rank, status, value = results.get(timeout=0.2)
            except queue_module.Empty:
                if time.monotonic() > deadline:
                    missing = sorted(set(range(world_size)) - collected.keys())
                    raise TimeoutError(
                        f"ranks {missing} did not finish within {timeout:.0f} s"
                    ) from None
                for rank, process in enumerate(processes):
                    if rank in collected or process.exitcode is None:
                        continue
                    if process.exitcode != 0:
                        raise WorkerError(
                            rank, f"process exited with code {process.exitcode}"
                        ) from None
                    # Exited cleanly: its result may still be in the pipe; give
                    # it a moment, then report the missing result.
                    first = exited_at.setdefault(rank, time.monotonic())
                    if time.monotonic() - first > _RESULT_GRACE_S:
                        raise WorkerError(
                            rank, "process exited with code 0 without a result"
                        ) from None
                continue
            if status == "error":
                raise WorkerError(rank, value)
            collected[rank] = value
    finally:
        for process in processes:
            process.join(timeout=5 if len(collected) == world_size else 0.1)
            if process.is_alive():
                process.kill()
                process.join()
        results.close()
    return [collected[rank] for rank in range(world_size)]


# --- the training script under torchrun -------------------------------------------
def launch_training(args: list[str], nproc: int = 1, timeout: float = 600.0) -> dict:
    """Run the course's training script and return its JSON summary.

    ``nproc == 1`` runs ``python -m helpers.train ARGS``; ``nproc > 1`` runs the
    same script with ``torchrun --standalone --nproc_per_node=N``, which makes it
    DistributedDataParallel (see ``helpers.train``). A failed run raises
    ``RuntimeError`` with the end of its error output. A run still going after
    ``timeout`` seconds is killed with its whole process group (torchrun and
    every worker) and raises ``TimeoutError``.
    """
    if not isinstance(args, list | tuple) or not all(isinstance(a, str) for a in args):
        raise TypeError("args must be a list of strings, e.g. ['--corpus', 'zh']")
    nproc = check_int(nproc, "nproc", low=1, high=64)
    timeout = check_number(timeout, "timeout", low=1.0)
    if nproc == 1:
        command = [sys.executable, "-m", "helpers.train", *args]
    else:
        torchrun = shutil.which("torchrun", path=os.path.dirname(sys.executable))
        if torchrun is None:
            raise RuntimeError("torchrun (installed with torch) was not found")
        command = [torchrun, "--standalone", f"--nproc_per_node={nproc}"]
        command += ["-m", "helpers.train", *args]
    env = dict(os.environ, OMP_NUM_THREADS="1")  # N processes share the cores
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # its own process group: one kill stops them all
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except BaseException:  # timeout, or Ctrl-C in the caller: leave nothing behind
        _kill_group(process)
        process.communicate()
        if sys.exc_info()[0] is subprocess.TimeoutExpired:
            raise TimeoutError(
                f"training did not finish within {timeout:g} s; its processes "
                "were stopped"
            ) from None
        raise
    done = subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
    if done.returncode != 0:
        # The script's own message (argparse's "error: ..." or a Python exception)
        # comes first; torchrun's long report of the failed ranks follows it.
        lines = done.stderr.splitlines()
        causes = [line for line in lines if "error:" in line or "Error:" in line]
        raise RuntimeError(
            f"training failed (exit code {done.returncode}): "
            + (causes[0].strip() if causes else "")
            + "\n"
            + "\n".join(lines[-15:])
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _kill_group(process: subprocess.Popen) -> None:
    """SIGKILL the process group led by ``process`` (it was started in a new
    session, so the group is exactly it and its children)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()


# --- data parallelism -----------------------------------------------------------
def make_regression_problem(n_samples: int, n_features: int, seed: int = 0):
    """A small random regression problem ``(X, y)`` in float64."""
    n_samples = check_int(n_samples, "n_samples", low=1)
    n_features = check_int(n_features, "n_features", low=1)
    generator = torch.Generator().manual_seed(check_int(seed, "seed", low=0))
    X = torch.randn(n_samples, n_features, generator=generator, dtype=torch.float64)
    y = torch.randn(n_samples, 1, generator=generator, dtype=torch.float64)
    return X, y


def _tiny_mlp(n_features: int, hidden: int, seed: int) -> nn.Module:
    torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Linear(n_features, hidden), nn.Tanh(), nn.Linear(hidden, 1)
    )
    return model.double()


def big_batch_gradient(X, y, hidden: int = 8, seed: int = 0) -> list[np.ndarray]:
    """One process, the whole batch: the gradient of the mean squared error."""
    model = _tiny_mlp(X.shape[1], hidden, seed)
    F.mse_loss(model(X), y).backward()
    return [p.grad.numpy().copy() for p in model.parameters()]


def ddp_gradient_worker(rank, world_size, X, y, hidden: int = 8, seed: int = 0):
    """Data parallelism: each rank holds the same model, takes its shard of the
    batch, and ``DistributedDataParallel`` all-reduces (averages) the gradients."""
    if X.shape[0] % world_size:
        raise ValueError(
            f"batch of {X.shape[0]} samples must split evenly over {world_size} ranks"
        )
    model = nn.parallel.DistributedDataParallel(_tiny_mlp(X.shape[1], hidden, seed))
    shard = slice(
        rank * X.shape[0] // world_size, (rank + 1) * X.shape[0] // world_size
    )
    F.mse_loss(model(X[shard]), y[shard]).backward()  # DDP averages during backward
    return [p.grad for p in model.parameters()]


# --- tensor parallelism ---------------------------------------------------------
def mlp_reference(X, A, B):
    """The unsplit MLP of tensor parallelism (Megatron-LM): Z = GeLU(X·A)·B.
    Introduced in 15_parallel_training."""
    return F.gelu(X @ A) @ B


def mlp_split_worker(rank, world_size, X, A, B):
    """Tensor parallelism for the MLP: this rank holds a block of A's columns and
    the matching block of B's rows; one all-reduce (sum) rebuilds Z."""
    hidden = A.shape[1]
    if hidden % world_size:
        raise ValueError(f"hidden width {hidden} must divide by {world_size} ranks")
    block = slice(rank * hidden // world_size, (rank + 1) * hidden // world_size)
    partial = F.gelu(X @ A[:, block]) @ B[block, :]  # (T, d_model): a partial sum
    dist.all_reduce(partial, op=dist.ReduceOp.SUM)
    return partial


def _attention_heads(X, Wq, Wk, Wv, heads: range, head_dim: int):
    """Outputs of the given heads, concatenated: (T, len(heads) * head_dim)."""
    cols = slice(heads.start * head_dim, heads.stop * head_dim)
    n = len(heads)
    q = split_heads((X @ Wq[:, cols])[None], n)[0]  # (n, T, head_dim)
    k = split_heads((X @ Wk[:, cols])[None], n)[0]  # (n, T, head_dim)
    v = split_heads((X @ Wv[:, cols])[None], n)[0]  # (n, T, head_dim)
    out = scaled_dot_product_attention(q, k, v)  # (n, T, head_dim)
    return out.transpose(0, 1).reshape(X.shape[0], n * head_dim)  # (T, n * head_dim)


def attention_reference(X, Wq, Wk, Wv, Wo, n_head: int):
    """Unsplit multi-head self-attention (no mask): concat(heads)·W_O.

    Uses ``helpers.transformer.scaled_dot_product_attention`` for each head.
    Introduced in 15_parallel_training.
    """
    head_dim = Wq.shape[1] // n_head
    return _attention_heads(X, Wq, Wk, Wv, range(n_head), head_dim) @ Wo


def attention_by_heads_worker(rank, world_size, X, Wq, Wk, Wv, Wo, n_head: int):
    """Tensor parallelism for attention: this rank computes a group of heads and
    multiplies by the matching rows of W_O; one all-reduce (sum) rebuilds the output."""
    if n_head % world_size:
        raise ValueError(f"{n_head} heads must divide by {world_size} ranks")
    head_dim = Wq.shape[1] // n_head
    per_rank = n_head // world_size
    heads = range(rank * per_rank, (rank + 1) * per_rank)
    rows = slice(heads.start * head_dim, heads.stop * head_dim)
    partial = _attention_heads(X, Wq, Wk, Wv, heads, head_dim) @ Wo[rows, :]
    dist.all_reduce(partial, op=dist.ReduceOp.SUM)
    return partial


# --- memory ---------------------------------------------------------------------
def training_bytes_per_parameter(mixed_precision: bool = True) -> dict[str, int]:
    """Bytes per parameter for Adam training (ZeRO paper's accounting).

    Mixed precision: fp16 weights 2 + fp16 gradients 2 + fp32 master weights,
    momentum and variance 4 + 4 + 4 = 16 bytes. Plain fp32: 4 + 4 + 8 = 16 too,
    but without the fp16 copy the master weights are the weights.
    """
    if mixed_precision:
        return {"weights": 2, "gradients": 2, "optimizer": 12}
    return {"weights": 4, "gradients": 4, "optimizer": 8}


def zero_memory_per_gpu(n_params: float, n_gpus: int, stage: int) -> dict[str, float]:
    """Per-GPU bytes of weights, gradients and Adam states under ZeRO stage 0–3
    (mixed precision; activations not included). Stage 1 partitions the optimizer
    states over the GPUs, stage 2 also the gradients, stage 3 also the weights."""
    n_params = check_number(n_params, "n_params", low=1)
    n_gpus = check_int(n_gpus, "n_gpus", low=1)
    stage = check_int(stage, "stage", low=0, high=3)
    per = training_bytes_per_parameter(True)
    split = {
        "optimizer": stage >= 1,
        "gradients": stage >= 2,
        "weights": stage >= 3,
    }
    memory = {
        part: n_params * per[part] / (n_gpus if split[part] else 1) for part in per
    }
    memory["total"] = sum(memory.values())
    return memory


def saved_activation_bytes(model: nn.Module, x: torch.Tensor, segments: int = 0) -> int:
    """Bytes of activations kept for the backward pass by one forward of ``model``
    (an ``nn.Sequential``), with ``segments`` > 0 using activation recomputation
    (``torch.utils.checkpoint.checkpoint_sequential``). Weights are not counted and
    a tensor saved twice is counted once."""
    from torch.utils.checkpoint import checkpoint_sequential

    if not isinstance(model, nn.Sequential):
        raise TypeError(f"model must be an nn.Sequential, got {type(model).__name__}")
    segments = check_int(segments, "segments", low=0, high=len(model))
    weights = {p.untyped_storage().data_ptr() for p in model.parameters()}
    seen: dict[int, int] = {}

    def pack(tensor):
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in weights:
            seen[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        if segments:
            out = checkpoint_sequential(model, segments, x, use_reentrant=False)
        else:
            out = model(x)
    out.sum().backward()
    return sum(seen.values())
