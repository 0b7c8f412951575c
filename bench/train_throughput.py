"""Training throughput of helpers.train in tokens per second.

Default: nanoGPT's CPU shape (4 layers, 4 heads, width 128, context 64, batch
12) on the Python standard-library corpus, on 1 and on all CPU threads.
``--preset gpu`` on a CUDA machine trains the ~10M-parameter preset for 60 s on
1 MB of standard-library source and reports tokens/s, an estimate of model FLOPs
utilisation (6 · parameters · tokens/s against ``--peak-tflops``) and the
validation loss. Prints measured numbers; not a test.

Usage: python bench/train_throughput.py [--steps 200] [--preset cpu|gpu]
"""

from __future__ import annotations

import argparse
import json

import torch

from helpers.data.char_tokenizer import CharTokenizer
from helpers.data.corpora import TokenBatches, load_stdlib_corpus, train_val_split
from helpers.runtime import get_device, set_seed
from helpers.train import preset, train
from helpers.transformer import Decoder, count_parameters


def measure(config, batches, vocab_size, device) -> dict:
    set_seed(0)
    model = Decoder(config.model_config(vocab_size))
    warm = config.replace(steps=10, warmup_steps=1, eval_interval=10, eval_batches=1)
    train(model, batches, warm, device=device, progress=False)  # warm-up (compile)
    result = train(model, batches, config, device=device, progress=False)
    return {
        "steps": result.steps,
        "tokens_per_s": round(result.tokens_per_s),
        "seconds": round(result.seconds, 2),
        "val_loss": round(result.val_loss, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=("cpu", "gpu"), default="cpu")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument(
        "--peak-tflops",
        type=float,
        default=989.0,
        help="dense bf16 peak of the GPU (H100 SXM: 989)",
    )
    parser.add_argument("--seconds", type=float, default=60.0, help="GPU time budget")
    args = parser.parse_args()
    gpu = args.preset == "gpu"
    device = get_device(None if gpu else "cpu")
    text = load_stdlib_corpus(1_000_000 if gpu else 2_000_000)
    tokenizer = CharTokenizer.from_text(text)
    ids = torch.tensor(tokenizer.encode(text))
    if gpu:  # the preset's schedule (5000 steps), stopped after --seconds
        base = preset("gpu").replace(max_seconds=args.seconds)
    else:
        base = preset("cpu").replace(
            steps=args.steps,
            warmup_steps=args.steps // 10,
            eval_interval=args.steps,
            eval_batches=2,
        )
    train_ids, val_ids = train_val_split(ids)
    batches = TokenBatches(
        train_ids,
        val_ids,
        batch_size=base.batch_size,
        context_length=base.context_length,
    )
    n_params = count_parameters(base.model_config(tokenizer.vocab_size))
    report = {
        "device": str(device),
        "preset": args.preset,
        "parameters": n_params,
        "shape": [
            base.n_layer,
            base.n_head,
            base.d_model,
            base.context_length,
            base.batch_size,
        ],
    }
    if device.type == "cpu":
        for threads in sorted({1, torch.get_num_threads()}):
            config = base.replace(cpu_threads=threads)
            report[f"threads={threads}"] = measure(
                config, batches, tokenizer.vocab_size, device
            )
    else:
        result = measure(base, batches, tokenizer.vocab_size, device)
        result["mfu"] = round(
            6 * n_params * result["tokens_per_s"] / (args.peak_tflops * 1e12), 4
        )
        report["gpu"] = result
    print(json.dumps(report))


if __name__ == "__main__":
    main()
