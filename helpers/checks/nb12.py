"""Exercise checkers of 12_transformer_block.

References come from ``helpers.transformer`` (the analytic counters and the
``SwiGLU`` module), which the tests check against built models.
"""

from __future__ import annotations

import torch

from helpers.checks import CheckResult, check_function
from helpers.transformer import (
    DecoderConfig,
    SwiGLU,
    kv_cache_bytes_per_token,
    parameter_breakdown,
)

__all__ = ["check_block_parameters", "check_kv_cache_bytes", "check_swiglu"]


def _block_reference(d_model, d_ff):
    config = DecoderConfig(
        vocab_size=1, context_length=1, n_layer=1, n_head=1, d_model=d_model, d_ff=d_ff
    )
    parts = parameter_breakdown(config)
    # one block: attention + MLP + its two RMSNorm weight vectors
    return parts["attention (q, k, v, o)"] + parts["mlp (gate, up, down)"] + 2 * d_model


def check_block_parameters(fn, quiet: bool = False) -> CheckResult:
    """fn(d_model, d_ff) → parameters of one LLaMA decoder block."""
    return check_function(
        fn,
        _block_reference,
        [(8, 16), (64, 172), (4096, 11008)],
        name="block_parameters",
        hint="4 个 d_model×d_model 的投影 + 3 个 d_model×d_ff 的 MLP 矩阵 + 2 个 RMSNorm。",
        quiet=quiet,
    )


def kv_bytes_reference(n_layer, n_head, head_dim, n_tokens, dtype_bytes):
    """KV-cache bytes of ``n_tokens`` tokens (reference of the nb12 / nb14 checkers)."""
    config = DecoderConfig(
        vocab_size=1,
        context_length=1,
        n_layer=n_layer,
        n_head=n_head,
        d_model=n_head * head_dim,
        d_ff=1,
    )
    return kv_cache_bytes_per_token(config, dtype_bytes) * n_tokens


def check_kv_cache_bytes(fn, quiet: bool = False) -> CheckResult:
    """fn(n_layer, n_head, head_dim, n_tokens, dtype_bytes) → bytes of K and V."""
    cases = [(1, 1, 2, 1, 4), (2, 4, 8, 10, 2), (32, 32, 128, 4096, 2)]
    return check_function(
        fn,
        kv_bytes_reference,
        cases,
        name="kv_cache_bytes",
        hint="每层、每个 token 都要存 K 和 V 两份，每份 n_head × head_dim 个数。",
        quiet=quiet,
    )


def _swiglu_cases() -> list[tuple]:
    gen = torch.Generator().manual_seed(12)
    cases = []
    for d_model, d_ff in [(4, 6), (8, 20)]:
        x = torch.randn(2, 3, d_model, generator=gen, dtype=torch.float64)
        w_gate = torch.randn(d_model, d_ff, generator=gen, dtype=torch.float64)
        w_up = torch.randn(d_model, d_ff, generator=gen, dtype=torch.float64)
        w_down = torch.randn(d_ff, d_model, generator=gen, dtype=torch.float64)
        cases.append((x, w_gate, w_up, w_down))
    return cases


def _swiglu_reference(x, w_gate, w_up, w_down):
    mlp = SwiGLU(*w_gate.shape).double()
    with torch.no_grad():  # nn.Linear stores (out, in): the transposes
        mlp.gate_proj.weight.copy_(w_gate.T)
        mlp.up_proj.weight.copy_(w_up.T)
        mlp.down_proj.weight.copy_(w_down.T)
        return mlp(x)


def check_swiglu(fn, quiet: bool = False) -> CheckResult:
    """fn(x, W_gate, W_up, W_down) → (SiLU(x W_gate) * (x W_up)) W_down."""
    return check_function(
        lambda *a: fn(*(t.clone() for t in a)),
        _swiglu_reference,
        _swiglu_cases(),
        name="swiglu",
        hint="SiLU(z) = z * sigmoid(z)；门控结果与 x @ W_up 逐元素相乘，再乘 W_down。",
        quiet=quiet,
    )
