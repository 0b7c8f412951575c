"""The training loop and the validation estimate.

Introduced in 13_train_a_tiny_llm. ``train(model, batches, config)`` runs AdamW
with warmup + cosine decay, gradient clipping, periodic validation, early
stopping with the best-validation weights kept, a progress bar and an optional
callback for live plots. Device, precision, autocast and the fp16 loss scaler
come from ``helpers.runtime``, decided once per run. A ``TrainState`` (weights
aside) records everything needed to continue an interrupted run exactly.
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from helpers.runtime import (
    Precision,
    autocast,
    grad_scaler,
    precision_for,
    resolve_device,
)
from helpers.scratch.schedules import warmup_cosine
from helpers.train.config import TrainConfig, epochs
from helpers.train.distributed import is_main_process, world
from helpers.validate import check_int

__all__ = [
    "IGNORE_INDEX",
    "TrainProgress",
    "TrainResult",
    "TrainState",
    "build_optimizer",
    "estimate_loss",
    "train",
]

IGNORE_INDEX = -100  # targets with this value are left out of the loss
EVAL_SEED = 1234  # the validation estimate draws the same batches every time


@dataclass
class TrainProgress:
    """What the callback receives after each validation."""

    step: int  # optimiser steps done
    steps: int  # steps planned
    train_losses: list[float]  # loss of every training batch so far
    evals: list[tuple[int, float, float]]  # (step, train loss, val loss) estimates
    tokens_per_s: float  # training throughput so far
    lr: float  # current learning rate


@dataclass
class TrainState:
    """Everything besides the weights that continues a run exactly where it
    stopped: optimizer moments, schedule position, random states, history."""

    step: int  # optimiser steps completed
    optimizer: dict  # optimizer.state_dict()
    data_rng: torch.Tensor  # state of the generator that draws the batches
    torch_rng: torch.Tensor  # torch's global CPU random state (dropout)
    losses: list[float]  # every step's training loss so far
    evals: list[tuple[int, float, float]]  # (step, train, val) so far
    tokens: int  # training tokens processed so far
    seconds: float  # training time so far
    best_step: int = 0  # step of the best validation loss (0 = none yet)
    best_val_loss: float = float("inf")  # the best validation loss so far
    best_weights: dict[str, torch.Tensor] | None = None  # its weights (keep_best)

    def to_dict(self) -> dict:
        """Tensors and plain data only (``helpers.checkpoint`` stores it)."""
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        data["evals"] = [list(e) for e in self.evals]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> TrainState:
        """Rebuild a state saved with ``to_dict``."""
        names = {f.name for f in dataclasses.fields(cls)}
        if not isinstance(data, dict) or set(data) != names:
            raise ValueError(
                f"a saved TrainState must be a dict with keys {sorted(names)}"
            )
        return cls(**{**data, "evals": [tuple(e) for e in data["evals"]]})


@dataclass
class TrainResult:
    """The outcome of ``train``."""

    steps: int  # optimiser steps done
    seconds: float  # wall time of the training steps (validation excluded)
    tokens_per_s: float  # training tokens processed per second
    train_loss: float  # estimate on training batches (of the weights kept)
    val_loss: float  # estimate on validation batches (of the weights kept)
    train_losses: list[float] = field(default_factory=list)  # every step's loss
    evals: list[tuple[int, float, float]] = field(default_factory=list)
    device: str = "cpu"  # where it ran
    best_step: int = 0  # step whose weights the model holds (keep_best)
    epochs: float | None = None  # passes over the training tokens, if known
    stopped_early: bool = False  # validation stopped improving (patience)
    interrupted: bool = False  # ``should_stop`` asked to stop
    state: TrainState | None = None  # for resuming (interrupted runs)

    def summary(self) -> dict:
        """The headline numbers (the CLI prints them as JSON)."""
        out = {
            "steps": self.steps,
            "seconds": round(self.seconds, 3),
            "tokens_per_s": round(self.tokens_per_s, 1),
            "train_loss": round(self.train_loss, 4),
            "val_loss": round(self.val_loss, 4),
            "best_step": self.best_step,
        }
        if self.epochs is not None:
            out["epochs"] = round(self.epochs, 3)
        if self.stopped_early:
            out["stopped_early"] = True
        if self.interrupted:
            out["interrupted"] = True
        return out


def build_optimizer(
    model: torch.nn.Module,
    config: TrainConfig,
    precision: Precision | torch.device | str,
) -> torch.optim.AdamW:
    """AdamW with weight decay on matrices only (not on norms' gains), fused when
    ``precision.use_fused_adamw`` says so. ``precision`` may also be a device.
    Introduced in 13_train_a_tiny_llm."""
    if not isinstance(precision, Precision):
        precision = precision_for(precision)
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [
        {
            "params": [p for p in params if p.ndim >= 2],
            "weight_decay": config.weight_decay,
        },
        {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(
        groups,
        lr=config.lr,
        betas=(config.beta1, config.beta2),
        fused=precision.use_fused_adamw or None,
    )


def _loss(model, x, y, device, precision) -> torch.Tensor:
    with autocast(device, precision):
        logits = model(x)  # (B, T, V)
    return F.cross_entropy(
        logits.float().reshape(-1, logits.shape[-1]),  # (B·T, V)
        y.reshape(-1),  # (B·T,)
        ignore_index=IGNORE_INDEX,
    )


def _estimate(model, batches, n_batches, device, precision, seed) -> dict[str, float]:
    was_training = model.training
    model.eval()
    out = {}
    with torch.inference_mode():
        for split in ("train", "val"):
            generator = torch.Generator().manual_seed(seed)
            losses = torch.empty(n_batches, device=device)
            for i in range(n_batches):
                x, y = batches(split, generator)
                losses[i] = _loss(model, x.to(device), y.to(device), device, precision)
            out[split] = float(losses.mean())  # one host round trip per split
    model.train(was_training)
    return out


def estimate_loss(
    model: torch.nn.Module,
    batches: Callable,
    n_batches: int = 10,
    *,
    seed: int = EVAL_SEED,
    device: torch.device | str | None = None,
) -> dict[str, float]:
    """Mean loss over ``n_batches`` train and val batches (the same batches on
    every call, so estimates are comparable). Introduced in 13_train_a_tiny_llm."""
    n_batches = check_int(n_batches, "n_batches", low=1)
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not callable(batches):
        raise TypeError("batches must be callable: batches(split, generator) -> x, y")
    device = next(model.parameters()).device if device is None else device
    device = resolve_device(device)
    return _estimate(model, batches, n_batches, device, precision_for(device), seed)


def train(
    model: torch.nn.Module,
    batches: Callable,
    config: TrainConfig,
    *,
    device: torch.device | str | None = None,
    callback: Callable[[TrainProgress], None] | None = None,
    progress: bool = True,
    resume: TrainState | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> TrainResult:
    """Train ``model`` in place for ``config.steps`` steps.

    ``batches(split, generator)`` returns ``x, y`` (B, T) for split "train" or
    "val" (``helpers.data.corpora.TokenBatches`` or
    ``helpers.data.addition.AdditionTask``); targets equal to -100 are ignored.
    ``callback`` is called after every validation with a ``TrainProgress``.
    ``should_stop()`` is asked before each step; when it says True the run ends
    after the last completed step with ``result.interrupted`` set and
    ``result.state`` ready for ``resume=`` (the model keeps that step's weights).
    ``resume`` continues from a ``TrainState`` of the same run (the model must
    already hold that step's weights). Introduced in 13_train_a_tiny_llm.
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}")
    if not callable(batches):
        raise TypeError("batches must be callable: batches(split, generator) -> x, y")
    for name, fn in (("callback", callback), ("should_stop", should_stop)):
        if fn is not None and not callable(fn):
            raise TypeError(f"{name} must be callable or None")
    if resume is not None:
        if not isinstance(resume, TrainState):
            raise TypeError(f"resume must be a TrainState, got {type(resume).__name__}")
        if not 0 <= resume.step <= config.steps:
            raise ValueError(
                f"resume.step ({resume.step}) must be within 0 … steps ({config.steps})"
            )
    device = resolve_device(device)
    n_epochs = None
    train_tokens = getattr(batches, "train_tokens", None)
    if isinstance(train_tokens, int) and train_tokens > 0:
        n_epochs = epochs(config, train_tokens)
        if n_epochs > config.max_epochs and is_main_process():
            warnings.warn(
                f"{config.steps} steps × {config.tokens_per_step} tokens pass "
                f"{n_epochs:.1f} times over {train_tokens:,} training tokens (more "
                f"than max_epochs={config.max_epochs:g}): the model will memorise "
                "the corpus; use fewer steps, a smaller preset or more text",
                RuntimeWarning,
                stacklevel=2,
            )
    threads_before = torch.get_num_threads()
    if device.type == "cpu" and config.cpu_threads is not None:
        torch.set_num_threads(config.cpu_threads)
    try:
        result = _train(
            model, batches, config, device, callback, progress, resume, should_stop
        )
    finally:
        torch.set_num_threads(threads_before)
    result.epochs = n_epochs
    return result


def _wrap(model, config, device, precision, n_ranks):
    step_model = model
    if n_ranks > 1:
        # Data parallel under torchrun: every rank draws the same global batch
        # (same generator seed) and trains on its own rows of it; DDP averages
        # the gradients, so the run follows the single-process trajectory.
        if config.batch_size % n_ranks:
            raise ValueError(
                f"batch_size {config.batch_size} must divide evenly over "
                f"{n_ranks} processes"
            )
        step_model = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None
        )
    if config.compile and precision.can_compile:
        step_model = torch.compile(step_model)
    return step_model


def _snapshot(model) -> dict[str, torch.Tensor]:
    return {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}


def _train(model, batches, config, device, callback, progress, resume, should_stop):
    precision = precision_for(device)  # decided once for the whole run
    model.to(device).train()
    rank, n_ranks = world()
    step_model = _wrap(model, config, device, precision, n_ranks)
    optimizer = build_optimizer(model, config, precision)
    scaler = grad_scaler(device, precision)  # on for fp16 autocast only
    generator = torch.Generator()
    losses = torch.zeros(config.steps, device=device)
    if resume is None:
        generator.manual_seed(config.seed)
        state = TrainState(
            0, {}, generator.get_state(), torch.get_rng_state(), [], [], 0, 0.0
        )
    else:
        state = resume
        optimizer.load_state_dict(resume.optimizer)
        generator.set_state(resume.data_rng)
        torch.set_rng_state(resume.torch_rng)
        losses[: len(resume.losses)] = torch.tensor(resume.losses)
    evals = list(state.evals)
    tokens, train_seconds = state.tokens, state.seconds
    best_step, best_val = state.best_step, state.best_val_loss
    best_weights = state.best_weights
    stale = sum(1 for s, _, _ in evals if s > best_step)
    main = is_main_process()
    bar = tqdm(
        total=config.steps,
        initial=state.step,
        disable=not (progress and main),
        desc="train",
        unit="step",
    )
    lr, done = config.lr, state.step
    stopped_early = interrupted = False
    for step in range(state.step, config.steps):
        if should_stop is not None and should_stop():
            interrupted = True
            break
        start = time.perf_counter()
        lr = config.lr * warmup_cosine(
            step, config.warmup_steps, config.steps, config.min_lr_ratio
        )
        for group in optimizer.param_groups:
            group["lr"] = lr
        x, y = batches("train", generator)  # (B, T) each: the global batch
        if n_ranks > 1:
            rows = slice(rank * len(x) // n_ranks, (rank + 1) * len(x) // n_ranks)
            x, y = x[rows], y[rows]  # (B / n_ranks, T): this rank's share
        x = x.to(device, non_blocking=True)
        y = y.to(device, non_blocking=True)
        loss = _loss(step_model, x, y, device, precision)
        scaler.scale(loss).backward()
        if config.grad_clip > 0:
            scaler.unscale_(optimizer)  # clip the true gradients, not scaled ones
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        scaler.step(optimizer)  # skipped when fp16 gradients overflowed
        scaler.update()
        optimizer.zero_grad(set_to_none=True)
        logged = loss.detach()
        if n_ranks > 1:  # report the loss of the whole global batch
            torch.distributed.all_reduce(logged)
            logged = logged / n_ranks
        losses[step] = logged
        tokens += x.numel() * n_ranks
        done = step + 1
        bar.update(1)
        if done % config.eval_interval and done != config.steps:
            train_seconds += time.perf_counter() - start
            continue
        train_seconds += time.perf_counter() - start  # synchronised by the estimate
        estimate = _estimate(
            model, batches, config.eval_batches, device, precision, EVAL_SEED
        )
        evals.append((done, estimate["train"], estimate["val"]))
        if estimate["val"] < best_val:
            best_step, best_val, stale = done, estimate["val"], 0
            if config.keep_best:
                best_weights = _snapshot(model)
        else:
            stale += 1
        speed = tokens / max(train_seconds, 1e-9)
        bar.set_postfix(
            loss=f"{float(logged):.3f}",
            val=f"{estimate['val']:.3f}",
            tok_s=f"{speed:,.0f}",
        )
        if callback is not None and main:
            history = losses[:done].tolist()
            callback(TrainProgress(done, config.steps, history, list(evals), speed, lr))
        if config.patience is not None and stale >= config.patience:
            stopped_early = True
            break
        if _out_of_time(config, train_seconds, n_ranks, device):
            break  # out of time: stop right after a validation
    bar.close()
    state = TrainState(
        step=done,
        optimizer=optimizer.state_dict(),
        data_rng=generator.get_state(),
        torch_rng=torch.get_rng_state(),
        losses=losses[:done].tolist(),
        evals=list(evals),
        tokens=tokens,
        seconds=train_seconds,
        best_step=best_step,
        best_val_loss=best_val,
        best_weights=best_weights,
    )
    if not evals:  # interrupted before the first validation
        estimate = _estimate(
            model, batches, config.eval_batches, device, precision, EVAL_SEED
        )
        final_train, final_val, kept = estimate["train"], estimate["val"], done
    elif interrupted or not config.keep_best or best_weights is None:
        _, final_train, final_val = evals[-1]
        kept = evals[-1][0]
    else:
        if best_step != evals[-1][0]:
            model.load_state_dict(best_weights)
        kept = best_step
        final_train, final_val = next((t, v) for s, t, v in evals if s == best_step)
    return TrainResult(
        steps=done,
        seconds=train_seconds,
        tokens_per_s=tokens / max(train_seconds, 1e-9),
        train_loss=final_train,
        val_loss=final_val,
        train_losses=state.losses,
        evals=list(evals),
        device=str(device),
        best_step=kept,
        stopped_early=stopped_early,
        interrupted=interrupted,
        state=state,
    )


def _out_of_time(config: TrainConfig, seconds: float, n_ranks: int, device) -> bool:
    """Whether ``config.max_seconds`` is used up; under torchrun rank 0 decides
    for everyone, so that all ranks stop at the same step."""
    if config.max_seconds is None:
        return False
    if n_ranks == 1:
        return seconds >= config.max_seconds
    stop = torch.tensor(float(seconds >= config.max_seconds), device=device)
    torch.distributed.broadcast(stop, src=0)
    return bool(stop.item())
