"""Greedy decoding time with and without the KV cache, and the cache's size for
multi-head, grouped-query and multi-query attention.

A 4-layer, width-128 decoder (untrained: the cost does not depend on the
weights) continues a 16-token prompt by each of ``--lengths`` new tokens, with
and without the cache. To make the numbers trustworthy: the thread count is
fixed, every variant is warmed up first, each measurement is repeated and the
best run is kept (slower runs were disturbed by other programs), and the
lengths span 16x, so the trend (no-cache cost grows with length, cached cost
per token stays flat) is unmistakable. Both variants must produce the same
tokens. Then the KV-cache bytes per token and per 4k context of LLaMA-7B's
shape with 32 (MHA), 8 (GQA) and 1 (MQA) key/value heads. Prints a table and
one JSON line; not a test. Introduced with 14_inference_and_kv_cache.

Usage: python bench/kv_cache.py [--lengths 64 256 1024] [--repeats 3]
       [--threads 1] [--device cpu]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace

import torch

from helpers.runtime import get_device, set_seed, synchronize
from helpers.sizing import LLAMA_7B, format_bytes, kv_cache_bytes_per_token
from helpers.transformer import Decoder, DecoderConfig, generate


def _time_generation(model, prompt, n_new, use_cache, repeats, device):
    """Best wall time of ``repeats`` runs, and the tokens of the last run."""
    best, out = float("inf"), None
    for _ in range(repeats):
        synchronize(device)
        start = time.perf_counter()
        out = generate(model, prompt, n_new, use_cache=use_cache)
        synchronize(device)
        best = min(best, time.perf_counter() - start)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[64, 256, 1024])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu", help="cpu, cuda, mps or auto")
    args = parser.parse_args()
    if min(args.lengths) < 1 or args.repeats < 1 or args.threads < 1:
        parser.error("--lengths, --repeats and --threads must be >= 1")
    torch.set_num_threads(args.threads)
    device = get_device(args.device)
    set_seed(0)
    config = DecoderConfig(
        vocab_size=96,
        context_length=16 + max(args.lengths),
        n_layer=4,
        n_head=4,
        d_model=128,
        d_ff=352,
    )
    model = Decoder(config).to(device).eval()
    prompt = torch.randint(0, config.vocab_size, (1, 16), device=device)
    for use_cache in (True, False):  # warm-up: allocator, thread pool, kernels
        generate(model, prompt, 32, use_cache=use_cache)
    report = {
        "device": str(device),
        "threads": torch.get_num_threads(),
        "repeats": args.repeats,
        "decode": {},
    }
    print(f"device {device}, {report['threads']} thread(s), best of {args.repeats}")
    print(f"{'new tokens':>10} {'cache s':>9} {'no cache s':>11} {'speed-up':>9}"
          f" {'ms/token cached':>16} {'ms/token uncached':>18}")  # fmt: skip
    for n in sorted(args.lengths):
        cached, out_cached = _time_generation(
            model, prompt, n, True, args.repeats, device
        )
        uncached, out_uncached = _time_generation(
            model, prompt, n, False, args.repeats, device
        )
        if not torch.equal(out_cached, out_uncached):
            raise SystemExit(f"the cache changed the tokens at length {n}")
        row = {
            "cache_s": round(cached, 4),
            "no_cache_s": round(uncached, 4),
            "speedup": round(uncached / cached, 2),
        }
        report["decode"][str(n)] = row
        print(f"{n:>10} {cached:>9.3f} {uncached:>11.3f} {row['speedup']:>8.1f}x"
              f" {1e3 * cached / n:>16.3f} {1e3 * uncached / n:>18.3f}")  # fmt: skip
    report["kv_cache_llama_7b_shape_fp16"] = {}
    print("\nKV cache, LLaMA-7B shape (32 layers, 32 query heads, head_dim 128), FP16:")
    for name, n_kv in (("MHA", 32), ("GQA", 8), ("MQA", 1)):
        per_token = kv_cache_bytes_per_token(replace(LLAMA_7B, n_kv_head=n_kv))
        report["kv_cache_llama_7b_shape_fp16"][name] = {
            "n_kv_head": n_kv,
            "bytes_per_token": per_token,
            "bytes_per_4k_context": per_token * 4096,
        }
        print(f"  {name} (n_kv_head = {n_kv:2d}): {format_bytes(per_token)} per token,"
              f" {format_bytes(per_token * 4096)} per 4096-token context")  # fmt: skip
    print(json.dumps(report))


if __name__ == "__main__":
    main()
