"""Greedy generation time with and without the KV cache (helpers.transformer).

A 4-layer, width-128 decoder (untrained: the cost does not depend on the
weights) continues a 16-token prompt by 256 and by 1024 tokens. Prints seconds
and the speed-up; not a test. Introduced with 14_inference_and_kv_cache.

Usage: python bench/kv_cache.py [--lengths 256 1024]
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from helpers.runtime import get_device, set_seed
from helpers.transformer import Decoder, DecoderConfig, generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[256, 1024])
    args = parser.parse_args()
    device = get_device()
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
    generate(model, prompt, 8)  # warm-up
    report = {"device": str(device)}
    for n in args.lengths:
        times = {}
        outputs = {}
        for use_cache in (True, False):
            start = time.perf_counter()
            outputs[use_cache] = generate(model, prompt, n, use_cache=use_cache)
            if device.type == "cuda":
                torch.cuda.synchronize()
            times[use_cache] = time.perf_counter() - start
        assert torch.equal(outputs[True], outputs[False]), "cache changed the tokens"
        report[str(n)] = {
            "cache_s": round(times[True], 3),
            "no_cache_s": round(times[False], 3),
            "speedup": round(times[False] / times[True], 1),
        }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
