"""Training throughput of helpers.train in tokens per second, end to end.

For each case, one whole run is timed by the wall clock from before the model is
built to after the final validation (start-up, validations and the first slow
steps included) and reported next to the per-step figure that ``train`` measures
(training steps only):

* ``cpu``: nanoGPT's CPU shape (4 layers, 4 heads, width 128, context 64, batch
  12) on ~1.1 MB of standard-library source, on 1 thread and on all cores;
* ``poems``: the poems preset on the Tang-poem corpus (when it is built), with a
  separate and a tied output layer, and with rare characters cut to ``<unk>``;
* ``--preset gpu`` on a CUDA machine: the ~10M-parameter preset for ``--seconds``,
  with an estimate of model FLOPs utilisation (6 · parameters · tokens/s against
  ``--peak-tflops``).

Prints measured numbers; not a test.

Usage: python bench/train_throughput.py [--steps 300] [--preset cpu|poems|gpu]
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from helpers.data.char_tokenizer import CharTokenizer
from helpers.data.corpora import TokenBatches, load_stdlib_corpus, train_val_split
from helpers.data.poems import corpus_available, poem_text
from helpers.runtime import get_device, set_seed
from helpers.sizing import count_parameters
from helpers.train import TrainConfig, preset, train
from helpers.transformer import Decoder


def measure(config: TrainConfig, tokenizer, train_ids, val_ids, device) -> dict:
    """One whole run of ``config``: end-to-end and per-step tokens/s."""
    start = time.perf_counter()
    batches = TokenBatches(
        train_ids,
        val_ids,
        batch_size=config.batch_size,
        context_length=config.model.context_length,
    )
    set_seed(config.seed)
    model = Decoder(config.model_config(tokenizer.vocab_size))
    result = train(model, batches, config, device=device, progress=False)
    wall = time.perf_counter() - start
    tokens = result.steps * config.tokens_per_step
    return {
        "steps": result.steps,
        "wall_s": round(wall, 2),
        "end_to_end_tokens_per_s": round(tokens / wall),
        "step_tokens_per_s": round(result.tokens_per_s),
        "val_loss": round(result.val_loss, 3),
        "vocab": tokenizer.vocab_size,
    }


def _short(config: TrainConfig, steps: int) -> TrainConfig:
    return config.replace(
        steps=steps, warmup_steps=steps // 10, eval_interval=steps, eval_batches=2
    )


def cpu_cases(steps: int) -> dict:
    text = load_stdlib_corpus(1_100_000)
    tokenizer = CharTokenizer.from_text(text)
    train_ids, val_ids = train_val_split(torch.tensor(tokenizer.encode(text)))
    base = _short(preset("cpu"), steps)
    report = {}
    for threads in sorted({1, torch.get_num_threads()}):
        config = base.replace(cpu_threads=threads)
        report[f"cpu threads={threads}"] = measure(
            config, tokenizer, train_ids, val_ids, torch.device("cpu")
        )
    return report


def poems_cases(steps: int) -> dict:
    if not corpus_available():
        return {"poems": "corpus not built (make poems); skipped"}
    train_text, val_text = poem_text("train") + "\n", poem_text("val") + "\n"
    base = _short(preset("poems"), steps)
    report = {}
    for label, tie, min_count in (
        ("poems untied", False, 1),
        ("poems tied", True, 1),
        ("poems tied, unk<5", True, 5),
    ):
        extra = val_text if min_count == 1 else ""  # no <unk>: cover val too
        tokenizer = CharTokenizer.from_text(train_text, extra, min_count=min_count)
        train_ids = torch.tensor(tokenizer.encode(train_text))
        val_ids = torch.tensor(tokenizer.encode(val_text))
        config = base.replace(tie_embeddings=tie)
        report[label] = measure(
            config, tokenizer, train_ids, val_ids, torch.device("cpu")
        )
    return report


def gpu_case(seconds: float, peak_tflops: float) -> dict:
    device = get_device()
    text = load_stdlib_corpus(1_000_000)
    tokenizer = CharTokenizer.from_text(text)
    train_ids, val_ids = train_val_split(torch.tensor(tokenizer.encode(text)))
    config = preset("gpu").replace(max_seconds=seconds)
    result = measure(config, tokenizer, train_ids, val_ids, device)
    n_params = count_parameters(config.model_config(tokenizer.vocab_size))
    result["mfu"] = round(
        6 * n_params * result["step_tokens_per_s"] / (peak_tflops * 1e12), 4
    )
    return {"gpu": result, "device": str(device)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=("cpu", "poems", "gpu"), default="cpu")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument(
        "--peak-tflops",
        type=float,
        default=989.0,
        help="dense bf16 peak of the GPU (H100 SXM: 989)",
    )
    parser.add_argument("--seconds", type=float, default=60.0, help="GPU time budget")
    args = parser.parse_args()
    if args.preset == "gpu":
        report = gpu_case(args.seconds, args.peak_tflops)
    elif args.preset == "poems":
        report = poems_cases(args.steps)
    else:
        report = cpu_cases(args.steps)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
