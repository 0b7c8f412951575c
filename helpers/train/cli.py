"""``python -m helpers.train``: train the tiny decoder from the shell.

Introduced in 13_train_a_tiny_llm. Reads a corpus (``--text FILE`` or
``--corpus poems|zh|stdlib|addition``), picks a preset, checks that ``--out`` is
writable and that the run fits in memory before anything is built, trains, saves
an atomic checkpoint and prints one line of JSON. Ctrl-C (SIGINT) stops after the
step in progress, saves a resumable checkpoint into ``--out`` and exits with a
one-line message; ``--resume DIR`` continues that run exactly. Under ``torchrun``
every process runs this same script (data parallel, see ``distributed``).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import threading
from pathlib import Path

import torch

from helpers.checkpoint import (
    check_checkpoint_folder,
    load_checkpoint,
    save_checkpoint,
)
from helpers.data.addition import AdditionTask, addition_accuracy
from helpers.data.char_tokenizer import CharTokenizer
from helpers.data.corpora import (
    TokenBatches,
    load_stdlib_corpus,
    load_text_file,
    load_zh_corpus,
    train_val_split,
)
from helpers.data.poems import PoemsUnavailable, poem_form_score, poem_text
from helpers.resources import check_training_memory
from helpers.runtime import resolve_device, set_seed, training_threads
from helpers.sampling import make_sampler
from helpers.train.config import TrainConfig, default_preset, preset
from helpers.train.distributed import (
    is_main_process,
    join,
    leave,
    ranks_from_env,
    world,
)
from helpers.train.loop import TrainState, train
from helpers.transformer import Decoder, generate

__all__ = ["check_output_folder", "main", "sample_poems"]

#: Poems sampled for the form score of a ``--corpus poems`` run.
FORM_SAMPLES = 50
#: ``--corpus poems`` folds characters seen fewer times than this into ``<unk>``
#: (4,456 of 6,591 characters stay, covering 99.7% of the text): a smaller output
#: layer, measured in bench/train_throughput.py --preset poems.
POEMS_MIN_COUNT = 5
_SYSTEM_FOLDERS = ("/proc", "/sys", "/dev")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m helpers.train",
        description="Train the course's tiny decoder on character-level text.",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--text", metavar="FILE", help="any UTF-8 text file")
    source.add_argument(
        "--corpus",
        choices=("poems", "zh", "stdlib", "addition"),
        help="a built-in corpus",
    )
    parser.add_argument(
        "--preset",
        choices=("auto", "cpu", "poems", "gpu", "addition"),
        default="auto",
        help="model size and settings (auto: the corpus's own preset for poems and "
        "addition, else gpu on CUDA and cpu elsewhere)",
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
        ("--threads", int),
        ("--min-count", int),
    ):
        parser.add_argument(flag, type=kind, default=None)
    # --threads: CPU threads (default: every core); --min-count: fold characters
    # seen fewer times into <unk> (default: 5 for poems, else 1 = keep all).
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
    parser.add_argument(
        "--resume", metavar="FOLDER", help="continue the run saved in this checkpoint"
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the bar")
    parser.add_argument(
        "--losses", action="store_true", help="add every step's loss to the JSON"
    )
    return parser


def check_output_folder(folder: str | os.PathLike) -> Path:
    """Check, before any training, that a checkpoint can be written to
    ``folder``: not a system folder, not an existing file, not a folder holding
    anything but a checkpoint (a save replaces it whole), and writable (a probe
    file is created and removed in it, or in its nearest existing parent).
    ``ValueError`` says what is wrong. Introduced in 13_train_a_tiny_llm."""
    if not isinstance(folder, str | os.PathLike):
        raise TypeError(f"folder must be a str or Path, got {type(folder).__name__}")
    path = Path(folder).expanduser().absolute()
    resolved = path.resolve()
    for system in _SYSTEM_FOLDERS:
        if resolved == Path(system) or Path(system) in resolved.parents:
            raise ValueError(
                f"--out {folder}: {system} is a system folder, not storage"
            )
    try:
        check_checkpoint_folder(path)  # missing, or holding only a checkpoint
    except ValueError as exc:
        raise ValueError(f"--out {folder}: {exc}") from None
    probe_in = path
    while not probe_in.exists():
        probe_in = probe_in.parent
    if not probe_in.is_dir():
        raise ValueError(f"--out {folder}: {probe_in} is a file, not a folder")
    try:
        handle, probe = tempfile.mkstemp(dir=probe_in, prefix=".write-test-")
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        raise ValueError(
            f"--out {folder}: cannot write in {probe_in} ({exc.strerror})"
        ) from None
    return path


def _text(args) -> tuple[str, str | None]:
    """(training text, separate validation text or None) of --text / --corpus."""
    if args.text is not None:
        return load_text_file(args.text), None
    if args.corpus == "zh":
        return load_zh_corpus(), None
    if args.corpus == "poems":
        return poem_text("train") + "\n", poem_text("val") + "\n"
    return load_stdlib_corpus(args.max_bytes), None


def _text_source(args, config: TrainConfig, tokenizer: CharTokenizer | None):
    """Tokenizer and batch source for --text / --corpus poems|zh|stdlib."""
    text, val_text = _text(args)
    if tokenizer is None:
        min_count = args.min_count
        if min_count is None:
            min_count = POEMS_MIN_COUNT if args.corpus == "poems" else 1
        # Without <unk>, the vocabulary must also cover the validation text.
        extra = (val_text or "") if min_count == 1 else ""
        tokenizer = CharTokenizer.from_text(text, extra, min_count=min_count)
    if tokenizer.vocab_size < 2 or len(set(text)) < 2:
        raise ValueError(
            f"the corpus has {len(set(text))} distinct character(s); a language "
            "model needs at least 2 (with one, the loss is 0 from the start)"
        )
    ids = torch.tensor(tokenizer.encode(text), dtype=torch.long)
    T = config.model.context_length
    if val_text is None:
        needed = 10 * (T + 1)
        if len(ids) < needed:
            raise ValueError(
                f"the text has {len(ids)} characters; context_length={T} needs at "
                f"least {needed} (10% is held out)"
            )
        train_ids, val_ids = train_val_split(ids, 0.1)
    else:
        train_ids = ids
        val_ids = torch.tensor(tokenizer.encode(val_text), dtype=torch.long)
    batches = TokenBatches(
        train_ids, val_ids, batch_size=config.batch_size, context_length=T
    )
    return tokenizer, batches


def _config(args, device: torch.device) -> TrainConfig:
    name = args.preset
    if name == "auto":
        if args.corpus in ("addition", "poems"):
            name = args.corpus
        else:
            name = default_preset(device)
    base = preset(name)
    steps = base.steps if args.steps is None else args.steps
    return base.replace(
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
        cpu_threads=args.threads,
        warmup_steps=min(base.warmup_steps, max(steps, 0) // 10),
        eval_interval=min(base.eval_interval, max(steps, 1)),
    )


def _prepare(args, ranks):
    """Everything that can fail on bad input, before any model is built."""
    device = resolve_device(args.device)
    if ranks.world_size > 1 and device.type == "cuda":  # one GPU per process
        device = torch.device("cuda", ranks.local_rank)
    if args.out is not None:
        check_output_folder(args.out)
    saved = None
    if args.resume is not None:
        saved = load_checkpoint(args.resume, with_train_state=True)
        if saved.train_state is None or "train_config" not in saved.metadata:
            raise ValueError(f"--resume {args.resume}: not a resumable training run")
        config = TrainConfig.from_dict(saved.metadata["train_config"])
    else:
        config = _config(args, device)
    notes = []
    if args.corpus == "addition":
        batches = AdditionTask(2, batch_size=config.batch_size, seed=config.seed)
        if args.context_length not in (None, batches.context_length):
            notes.append(
                f"note: --context-length {args.context_length} is ignored: the "
                f"addition task sets it to {batches.context_length}"
            )
        config = config.replace(context_length=batches.context_length)
        tokenizer = batches.tokenizer
    else:
        if saved is not None and args.context_length is not None:
            notes.append(
                "note: --context-length is ignored: --resume keeps the saved one"
            )
        tokenizer, batches = _text_source(
            args, config, None if saved is None else saved.tokenizer
        )
    if saved is not None and saved.tokenizer != tokenizer:
        raise ValueError(
            f"--resume {args.resume}: the corpus gives another vocabulary than the "
            "saved run's; resume with the same --text/--corpus"
        )
    if config.batch_size % ranks.world_size:
        raise ValueError(
            f"batch_size {config.batch_size} must divide evenly over "
            f"{ranks.world_size} processes"
        )
    check_training_memory(
        config.model_config(tokenizer.vocab_size), config.batch_size, device
    )
    return device, config, tokenizer, batches, saved, notes


class _StopOnSigint:
    """While active, the first Ctrl-C asks the loop to stop after the current step;
    a second one interrupts at once (the previous handler)."""

    def __init__(self):
        self.requested = False
        self.previous = None

    def __call__(self) -> bool:
        return self.requested

    def _handle(self, signum, frame):
        self.requested = True
        signal.signal(signal.SIGINT, self.previous)

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc):
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
        return False


def main(argv: list[str] | None = None) -> dict:
    """Entry point of ``python -m helpers.train``; returns the printed summary."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        ranks = ranks_from_env()
        device, config, tokenizer, batches, saved, notes = _prepare(args, ranks)
    except (ValueError, TypeError, MemoryError, PoemsUnavailable) as exc:
        parser.error(str(exc))
    for note in notes:
        print(note, file=sys.stderr)
    if ranks.world_size > 1:  # launched by torchrun: join the process group
        join(device)
    try:
        return _run(args, config, tokenizer, batches, device, saved)
    finally:
        leave()


def sample_poems(
    model: Decoder, tokenizer: CharTokenizer, n: int = FORM_SAMPLES, *, seed: int = 0
) -> list[str]:
    """``n`` poems sampled from ``model`` (temperature 0.8, top-k 20), each
    started from a newline and cut at the next one. Introduced in
    13_train_a_tiny_llm."""
    newline = tokenizer.encode("\n")
    device = next(model.parameters()).device
    prompt = torch.tensor([newline] * n, device=device)  # (n, 1)
    sampler = make_sampler(
        0.8, top_k=20, generator=torch.Generator(device=device).manual_seed(seed)
    )
    out = generate(model, prompt, model.config.context_length - 1, sample=sampler)
    texts = [tokenizer.decode(row[1:].tolist()) for row in out]  # drop the prompt
    return [text.split("\n", 1)[0] for text in texts]


def _run(args, config, tokenizer, batches, device, saved) -> dict:
    """Build, train, evaluate, save and print: the body of ``main``."""
    if saved is None:
        set_seed(config.seed)  # the same initial weights on every rank
        model = Decoder(config.model_config(tokenizer.vocab_size))
        state = None
    else:
        model, state = saved.model.train(), TrainState.from_dict(saved.train_state)
    if config.cpu_threads is None and world()[1] == 1:
        # every core the machine can spare now (torchrun sets OMP_NUM_THREADS)
        config = config.replace(cpu_threads=training_threads())
    with _StopOnSigint() as stop:
        result = train(
            model,
            batches,
            config,
            device=device,
            progress=not args.no_progress,
            resume=state,
            should_stop=stop,
        )
    summary = result.summary()
    summary["world_size"] = world()[1]
    summary["threads"] = config.cpu_threads
    if args.losses:
        summary["losses"] = [round(loss, 5) for loss in result.train_losses]
    if not result.interrupted:
        if args.corpus == "addition":
            summary["val_accuracy"] = round(addition_accuracy(model, batches), 4)
        if args.corpus == "poems":
            poems = sample_poems(model, tokenizer, seed=config.seed)
            summary["form_score"] = round(poem_form_score(poems), 4)
    out = args.out or args.resume
    if is_main_process():
        if out:
            save_checkpoint(
                out,
                model,
                tokenizer,
                metadata={"train_config": config.to_dict(), "result": summary},
                train_state=result.state.to_dict() if result.interrupted else None,
            )
        if result.interrupted:
            where = f"; continue with --resume {out}" if out else " (no --out given)"
            print(
                f"interrupted after step {result.steps}: checkpoint saved in {out}{where}"
                if out
                else f"interrupted after step {result.steps}{where}",
                file=sys.stderr,
                flush=True,
            )
        print(json.dumps(summary), flush=True)
    return summary
