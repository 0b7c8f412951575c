"""The training loop of the tiny decoder, for notebook 13 and the command line.

Introduced in 13_train_a_tiny_llm. One loop serves everyone:

* ``TrainConfig`` (one dataclass, presets ``cpu`` and ``gpu``) holds the model
  shape and the optimisation settings;
* ``train(model, batches, config)`` runs AdamW (fused on CUDA) with warmup +
  cosine decay, gradient clipping, periodic validation, a tqdm progress bar and
  an optional callback for live plots, and measures tokens per second;
* ``python -m helpers.train --text FILE`` (or ``--corpus zh|stdlib|addition``)
  trains from the shell and prints one line of JSON.

Device, dtype and autocast come from ``helpers.runtime`` only. Logging and saving
happen in one place (``is_main_process``), so the same loop can later run under
``torchrun`` as one of several data-parallel processes.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from helpers.runtime import autocast, get_device, precision_for, set_seed
from helpers.scratch.schedules import warmup_cosine
from helpers.transformer import Decoder, DecoderConfig
from helpers.validate import check_choice, check_int, check_number

__all__ = [
    "PRESETS",
    "TrainConfig",
    "TrainProgress",
    "TrainResult",
    "build_optimizer",
    "default_preset",
    "estimate_loss",
    "is_main_process",
    "main",
    "preset",
    "train",
    "world",
]

IGNORE_INDEX = -100  # targets with this value are left out of the loss


@dataclass
class TrainConfig:
    """Model shape and optimisation settings of one training run.

    Introduced in 13_train_a_tiny_llm.
    """

    n_layer: int = 4  # decoder blocks
    n_head: int = 4  # attention heads per block
    d_model: int = 128  # width of the residual stream
    d_ff: int | None = None  # SwiGLU hidden width; None = 8/3 · d_model, rounded up
    context_length: int = 64  # tokens the model sees at once (T)
    dropout: float = 0.0  # dropout inside the model while training
    batch_size: int = 12  # sequences per step (B)
    steps: int = 2000  # optimiser steps
    lr: float = 1e-3  # peak learning rate, reached after warmup
    min_lr_ratio: float = 0.1  # final learning rate = min_lr_ratio · lr
    warmup_steps: int = 100  # linear warmup from 0 to lr
    weight_decay: float = 0.1  # AdamW decoupled weight decay on matrices
    beta1: float = 0.9  # AdamW first-moment decay
    beta2: float = 0.99  # AdamW second-moment decay (0.99 suits small runs)
    grad_clip: float = 1.0  # clip the global gradient norm to this (0 = off)
    eval_interval: int = 200  # validate every this many steps (and at the end)
    eval_batches: int = 10  # batches averaged per validation estimate
    seed: int = 0  # seeds the weights and the batch order
    compile: bool = False  # torch.compile the model (CUDA only; ignored elsewhere)
    cpu_threads: int | None = None  # torch threads while training on CPU; None = keep
    max_seconds: float | None = None  # stop at the first validation after this much
    # training time; None = run all steps (the schedule always spans `steps`)

    def __post_init__(self):
        for name in ("n_layer", "n_head", "d_model", "context_length"):
            check_int(getattr(self, name), f"TrainConfig.{name}", low=1)
        for name in ("batch_size", "steps", "eval_interval", "eval_batches"):
            check_int(getattr(self, name), f"TrainConfig.{name}", low=1)
        check_int(self.warmup_steps, "TrainConfig.warmup_steps", low=0)
        if self.warmup_steps > self.steps:
            raise ValueError(
                f"warmup_steps ({self.warmup_steps}) must be <= steps ({self.steps})"
            )
        if self.d_model % self.n_head or (self.d_model // self.n_head) % 2:
            raise ValueError(
                f"d_model ({self.d_model}) must be n_head ({self.n_head}) × an even "
                "head_dim (RoPE rotates pairs)"
            )
        if self.d_ff is None:
            self.d_ff = 32 * math.ceil(8 * self.d_model / 3 / 32)
        check_int(self.d_ff, "TrainConfig.d_ff", low=1)
        check_number(self.dropout, "TrainConfig.dropout", low=0, high=0.9)
        check_number(self.lr, "TrainConfig.lr", low=0, high=1, low_inclusive=False)
        check_number(self.min_lr_ratio, "TrainConfig.min_lr_ratio", low=0, high=1)
        check_number(self.weight_decay, "TrainConfig.weight_decay", low=0)
        for name in ("beta1", "beta2"):
            check_number(
                getattr(self, name),
                f"TrainConfig.{name}",
                low=0,
                high=1,
                high_inclusive=False,
            )
        check_number(self.grad_clip, "TrainConfig.grad_clip", low=0)
        check_int(self.seed, "TrainConfig.seed", low=0, high=2**32 - 1)
        if not isinstance(self.compile, bool):
            raise TypeError("TrainConfig.compile must be True or False")
        if self.cpu_threads is not None:
            check_int(self.cpu_threads, "TrainConfig.cpu_threads", low=1)
        if self.max_seconds is not None:
            check_number(
                self.max_seconds, "TrainConfig.max_seconds", low=0, low_inclusive=False
            )

    def model_config(self, vocab_size: int) -> DecoderConfig:
        """The ``DecoderConfig`` of the model this run trains."""
        return DecoderConfig(
            vocab_size=check_int(vocab_size, "vocab_size", low=1),
            context_length=self.context_length,
            n_layer=self.n_layer,
            n_head=self.n_head,
            d_model=self.d_model,
            d_ff=self.d_ff,
            dropout=self.dropout,
        )

    def replace(self, **changes) -> TrainConfig:
        """A copy with some fields changed (validated again)."""
        changes = {k: v for k, v in changes.items() if v is not None}
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise ValueError(f"unknown TrainConfig field(s): {sorted(unknown)}")
        if "d_model" in changes and "d_ff" not in changes:
            changes["d_ff"] = None  # recompute from the new width
        return dataclasses.replace(self, **changes)


#: Presets: ``cpu`` is nanoGPT's CPU shape (trains in minutes on a laptop) on one
#: thread: its matrices are too small to split well, and on a busy or shared
#: machine several threads per process wait on each other (measured: 10x slower);
#: ``gpu`` is about 10M parameters (6 layers, 6 heads, width 384, context 256).
PRESETS = {
    "cpu": TrainConfig(cpu_threads=1),
    "gpu": TrainConfig(
        n_layer=6,
        n_head=6,
        d_model=384,
        context_length=256,
        dropout=0.1,
        batch_size=64,
        steps=5000,
        lr=1e-3,
        warmup_steps=200,
        eval_interval=250,
        eval_batches=20,
        compile=True,
    ),
    # The multi-digit addition task of 13_train_a_tiny_llm (and tests/test_addition):
    # 2 layers, width 128, 1000 steps of 64 problems; set context_length from the
    # task (``preset("addition").replace(context_length=task.context_length)``).
    "addition": TrainConfig(
        n_layer=2,
        n_head=4,
        d_model=128,
        batch_size=64,
        steps=1000,
        lr=3e-3,
        warmup_steps=50,
        weight_decay=0.0,
        eval_interval=250,
        eval_batches=2,
        cpu_threads=1,
    ),
}


def preset(name: str) -> TrainConfig:
    """A fresh copy of preset ``name`` ("cpu", "gpu" or "addition").

    Introduced in 13_train_a_tiny_llm.
    """
    check_choice(name, "preset", PRESETS)
    return dataclasses.replace(PRESETS[name])


def default_preset(device: torch.device | str) -> str:
    """The preset for ``device``: "gpu" on CUDA, else "cpu" (MPS too).

    Introduced in 13_train_a_tiny_llm.
    """
    device = torch.device(device)
    return "gpu" if device.type == "cuda" else "cpu"


def is_main_process() -> bool:
    """True unless this is a non-zero rank of a torch.distributed run: only the
    main process prints, shows progress and saves. Introduced in
    13_train_a_tiny_llm."""
    dist = torch.distributed
    return not (dist.is_available() and dist.is_initialized()) or dist.get_rank() == 0


def world() -> tuple[int, int]:
    """(rank, world size) of this process: (0, 1) outside ``torchrun``."""
    dist = torch.distributed
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def build_optimizer(
    model: torch.nn.Module, config: TrainConfig, device
) -> torch.optim.AdamW:
    """AdamW with weight decay on matrices only (not on norms' gains), fused when
    ``runtime.precision_for(device)`` says it is available. Introduced in
    13_train_a_tiny_llm."""
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.ndim >= 2]
    no_decay = [p for p in params if p.ndim < 2]
    groups = [
        {"params": decay, "weight_decay": config.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    fused = precision_for(device).use_fused_adamw
    return torch.optim.AdamW(
        groups, lr=config.lr, betas=(config.beta1, config.beta2), fused=fused or None
    )


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
class TrainResult:
    """The outcome of ``train``."""

    steps: int  # optimiser steps done
    seconds: float  # wall time of the training steps (validation excluded)
    tokens_per_s: float  # training tokens processed per second
    train_loss: float  # final estimate on training batches
    val_loss: float  # final estimate on validation batches
    train_losses: list[float] = field(default_factory=list)  # every step's loss
    evals: list[tuple[int, float, float]] = field(default_factory=list)
    device: str = "cpu"  # where it ran

    def summary(self) -> dict:
        """The five headline numbers (the CLI prints them as JSON)."""
        return {
            "steps": self.steps,
            "seconds": round(self.seconds, 3),
            "tokens_per_s": round(self.tokens_per_s, 1),
            "train_loss": round(self.train_loss, 4),
            "val_loss": round(self.val_loss, 4),
        }


def _loss(model, x, y, device, precision) -> torch.Tensor:
    with autocast(device, precision):
        logits = model(x)  # (B, T, V)
    return F.cross_entropy(
        logits.float().reshape(-1, logits.shape[-1]),  # (B·T, V)
        y.reshape(-1),  # (B·T,)
        ignore_index=IGNORE_INDEX,
    )


@torch.no_grad()
def estimate_loss(
    model: torch.nn.Module,
    batches: Callable,
    n_batches: int = 10,
    *,
    seed: int = 1234,
    device: torch.device | str | None = None,
) -> dict[str, float]:
    """Mean loss over ``n_batches`` train and val batches (the same batches on
    every call, so estimates are comparable). Introduced in 13_train_a_tiny_llm."""
    n_batches = check_int(n_batches, "n_batches", low=1)
    device = torch.device(device) if device else next(model.parameters()).device
    precision = precision_for(device)
    was_training = model.training
    model.eval()
    out = {}
    for split in ("train", "val"):
        generator = torch.Generator().manual_seed(seed)
        losses = []
        for _ in range(n_batches):
            x, y = batches(split, generator)
            losses.append(_loss(model, x.to(device), y.to(device), device, precision))
        out[split] = float(torch.stack(losses).mean())
    model.train(was_training)
    return out


def _progress_bar(total: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, disable=not enabled, desc="train", unit="step")


def train(
    model: Decoder,
    batches: Callable,
    config: TrainConfig,
    *,
    device: torch.device | str | None = None,
    callback: Callable[[TrainProgress], None] | None = None,
    progress: bool = True,
) -> TrainResult:
    """Train ``model`` in place for ``config.steps`` steps.

    ``batches(split, generator)`` returns ``x, y`` (B, T) for split "train" or
    "val" (``helpers.data.corpora.TokenBatches`` or
    ``helpers.data.addition.AdditionTask``); targets equal to -100 are ignored.
    ``callback`` is called after every validation with a ``TrainProgress``.
    Introduced in 13_train_a_tiny_llm.
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}")
    if not callable(batches):
        raise TypeError("batches must be callable: batches(split, generator) -> x, y")
    if callback is not None and not callable(callback):
        raise TypeError("callback must be callable or None")
    device = get_device() if device is None else torch.device(device)
    threads_before = torch.get_num_threads()
    if device.type == "cpu" and config.cpu_threads is not None:
        torch.set_num_threads(config.cpu_threads)
    try:
        return _train(model, batches, config, device, callback, progress)
    finally:
        torch.set_num_threads(threads_before)


def _train(model, batches, config, device, callback, progress) -> TrainResult:
    precision = precision_for(device)
    model.to(device).train()
    rank, n_ranks = world()
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
    optimizer = build_optimizer(model, config, device)
    generator = torch.Generator().manual_seed(config.seed)
    main = is_main_process()
    losses = torch.zeros(config.steps, device=device)
    evals: list[tuple[int, float, float]] = []
    tokens, train_seconds = 0, 0.0
    bar = _progress_bar(config.steps, progress and main)
    lr, done = config.lr, 0
    for step in range(config.steps):
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
        loss.backward()
        if config.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        logged = loss.detach()
        if n_ranks > 1:  # report the loss of the whole global batch
            torch.distributed.all_reduce(logged)
            logged = logged / n_ranks
        losses[step] = logged
        tokens += x.numel() * n_ranks
        done = step + 1
        if done % config.eval_interval == 0 or done == config.steps:
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            train_seconds += time.perf_counter() - start
            estimate = estimate_loss(model, batches, config.eval_batches, device=device)
            evals.append((done, estimate["train"], estimate["val"]))
            speed = tokens / max(train_seconds, 1e-9)
            bar.set_postfix(
                loss=f"{float(losses[step]):.3f}",
                val=f"{estimate['val']:.3f}",
                tok_s=f"{speed:,.0f}",
            )
            if callback is not None and main:
                history = losses[:done].tolist()
                callback(
                    TrainProgress(done, config.steps, history, list(evals), speed, lr)
                )
            bar.update(1)
            if _out_of_time(config, train_seconds, n_ranks, device):
                break  # out of time: stop right after a validation
        else:
            train_seconds += time.perf_counter() - start
            bar.update(1)
    bar.close()
    _, final_train, final_val = evals[-1]
    return TrainResult(
        steps=done,
        seconds=train_seconds,
        tokens_per_s=tokens / max(train_seconds, 1e-9),
        train_loss=final_train,
        val_loss=final_val,
        train_losses=losses[:done].tolist(),
        evals=evals,
        device=str(device),
    )


def _out_of_time(config: TrainConfig, seconds: float, n_ranks: int, device) -> bool:
    """Whether ``config.max_seconds`` is used up; under torchrun rank 0 decides
    for everyone, so that all ranks stop at the same step."""
    if config.max_seconds is None:
        return False
    stop = torch.tensor(float(seconds >= config.max_seconds), device=device)
    if n_ranks > 1:
        torch.distributed.broadcast(stop, src=0)
    return bool(stop.item())


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------
def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m helpers.train",
        description="Train the course's tiny decoder on character-level text.",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--text", metavar="FILE", help="any UTF-8 text file")
    source.add_argument(
        "--corpus", choices=("zh", "stdlib", "addition"), help="a built-in corpus"
    )
    parser.add_argument(
        "--preset",
        choices=("auto", "cpu", "gpu", "addition"),
        default="auto",
        help="model size and settings (auto: addition for --corpus addition, "
        "else gpu on CUDA and cpu elsewhere)",
    )
    for flag, kind in (
        ("--steps", int),
        ("--batch-size", int),
        ("--context-length", int),
        ("--n-layer", int),
        ("--n-head", int),
        ("--d-model", int),
        ("--lr", float),
        ("--seed", int),
        ("--max-seconds", float),
    ):
        parser.add_argument(flag, type=kind, default=None)
    parser.add_argument(
        "--device", choices=("auto", "cpu", "cuda", "mps"), default=None
    )
    parser.add_argument(
        "--max-bytes", type=int, default=2_000_000, help="size cap of the stdlib corpus"
    )
    parser.add_argument(
        "--compile",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="torch.compile on CUDA (default: the preset's choice)",
    )
    parser.add_argument("--out", metavar="FOLDER", help="save a checkpoint here")
    parser.add_argument("--no-progress", action="store_true", help="hide the bar")
    parser.add_argument(
        "--losses", action="store_true", help="add every step's loss to the JSON"
    )
    return parser


def _text_source(args, config: TrainConfig):
    """Tokenizer and batch source for --text / --corpus zh|stdlib."""
    from helpers.data.char_tokenizer import CharTokenizer
    from helpers.data.corpora import (
        TokenBatches,
        load_stdlib_corpus,
        load_text_file,
        load_zh_corpus,
        train_val_split,
    )

    if args.text is not None:
        text = load_text_file(args.text)
    elif args.corpus == "zh":
        text = load_zh_corpus()
    else:
        text = load_stdlib_corpus(args.max_bytes)
    tokenizer = CharTokenizer.from_text(text)
    ids = torch.tensor(tokenizer.encode(text), dtype=torch.long)
    needed = 10 * (config.context_length + 1)
    if len(ids) < needed:
        raise ValueError(
            f"the text has {len(ids)} characters; context_length="
            f"{config.context_length} needs at least {needed} (10% is held out)"
        )
    train_ids, val_ids = train_val_split(ids, 0.1)
    batches = TokenBatches(
        train_ids,
        val_ids,
        batch_size=config.batch_size,
        context_length=config.context_length,
    )
    return tokenizer, batches


def main(argv: list[str] | None = None) -> dict:
    """Entry point of ``python -m helpers.train``; returns the printed summary."""
    parser = _parser()
    args = parser.parse_args(argv)
    n_ranks = int(os.environ.get("WORLD_SIZE", "1"))  # set by torchrun
    try:
        device = get_device(args.device)
        if n_ranks > 1 and device.type == "cuda":  # one GPU per process
            device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        name = args.preset
        if name == "auto":
            name = "addition" if args.corpus == "addition" else default_preset(device)
        base = preset(name)
        steps = base.steps if args.steps is None else args.steps
        config = base.replace(
            steps=steps,
            batch_size=args.batch_size,
            context_length=args.context_length,
            n_layer=args.n_layer,
            n_head=args.n_head,
            d_model=args.d_model,
            lr=args.lr,
            seed=args.seed,
            max_seconds=args.max_seconds,
            compile=args.compile,
            warmup_steps=min(base.warmup_steps, max(steps, 0) // 10),
            eval_interval=min(base.eval_interval, max(steps, 1)),
        )
        if args.corpus == "addition":
            from helpers.data.addition import AdditionTask

            batches = AdditionTask(2, batch_size=config.batch_size, seed=config.seed)
            config = config.replace(context_length=batches.context_length)
            tokenizer = batches.tokenizer
        else:
            tokenizer, batches = _text_source(args, config)
        if config.batch_size % n_ranks:
            raise ValueError(
                f"batch_size {config.batch_size} must divide evenly over "
                f"{n_ranks} processes"
            )
    except (ValueError, TypeError) as exc:
        parser.error(str(exc))
    if n_ranks > 1:  # launched by torchrun: join the process group
        if device.type == "cuda":
            torch.cuda.set_device(device)
        torch.distributed.init_process_group(
            "nccl" if device.type == "cuda" else "gloo"
        )
    try:
        return _run(args, config, tokenizer, batches, device)
    finally:
        if n_ranks > 1:
            torch.distributed.destroy_process_group()


def _run(args, config: TrainConfig, tokenizer, batches, device) -> dict:
    """Build, train, evaluate, save and print: the body of ``main``."""
    set_seed(config.seed)  # the same initial weights on every rank
    model = Decoder(config.model_config(tokenizer.vocab_size))
    result = train(model, batches, config, device=device, progress=not args.no_progress)
    summary = result.summary()
    summary["world_size"] = world()[1]
    if args.losses:
        summary["losses"] = [round(loss, 5) for loss in result.train_losses]
    if args.corpus == "addition":
        from helpers.data.addition import addition_accuracy

        summary["val_accuracy"] = round(addition_accuracy(model, batches), 4)
    if is_main_process():
        if args.out:
            from helpers.checkpoint import save_checkpoint

            save_checkpoint(
                args.out,
                model,
                tokenizer,
                metadata={
                    "train_config": dataclasses.asdict(config),
                    "result": summary,
                },
            )
        print(json.dumps(summary), flush=True)
    return summary


if __name__ == "__main__":
    main(sys.argv[1:])
