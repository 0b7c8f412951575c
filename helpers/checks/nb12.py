"""Exercise checkers of 12_transformer_block.

Each prints ✅ / ❌ (with a tiered hint) / ⏱ / ⏳ and returns a ``CheckResult``; none
raises because of the learner's code. References are calls into ``helpers.sizing``
(the counters, checked against built models in tests/test_sizing.py) and
``helpers.transformer.SwiGLU``. Introduced in 12_transformer_block.
"""

from __future__ import annotations

import numpy as np
import torch

from helpers.checks import Cases, CheckResult, FunctionExercise
from helpers.sizing import (
    gpt2_parameter_breakdown,
    kv_cache_bytes_per_token,
    parameter_breakdown,
)
from helpers.transformer import DecoderConfig, SwiGLU

__all__ = [
    "CHECKER_CASES",
    "check_block_parameters",
    "check_gpt2_block_parameters",
    "check_kv_cache_bytes",
    "check_swiglu",
]


def _one_layer(d_model, d_ff, n_head=1, n_kv_head=None) -> DecoderConfig:
    return DecoderConfig(
        vocab_size=1,
        context_length=1,
        n_layer=1,
        n_head=n_head,
        d_model=d_model,
        d_ff=d_ff,
        n_kv_head=n_kv_head,
    )


def _block_reference(d_model, d_ff, n_head, n_kv_head):
    parts = parameter_breakdown(_one_layer(d_model, d_ff, n_head, n_kv_head))
    # one block: attention + MLP + its two RMSNorm weight vectors (not the final norm)
    return parts["attention (q, k, v, o)"] + parts["mlp (gate, up, down)"] + 2 * d_model


def _block_case(rng: np.random.Generator) -> tuple:
    n_kv = int(rng.choice([1, 2, 4]))
    n_head = n_kv * int(rng.choice([1, 2, 4, 8]))
    d_model = n_head * 2 * int(rng.integers(1, 17))
    return d_model, int(rng.integers(1, 5000)), n_head, n_kv


BLOCK = FunctionExercise(
    notebook="12",
    key="block_parameters",
    title="GQA decoder block parameters",
    reference=_block_reference,
    cases=[(8, 16, 2, 2), (64, 172, 4, 1), (4096, 11008, 32, 32), (8192, 28672, 64, 8)],
    hidden=_block_case,
    hints=(
        "和 MHA 的块比，只有注意力里的两个投影变小了：哪两个？它们现在输出多少个数？"
        "其余部分（另外两个投影、三个 MLP 矩阵、两个 RMSNorm）都不变。",
        "head_dim = d_model / n_head；q_proj、o_proj 仍是 d_model × d_model，"
        "k_proj、v_proj 各是 d_model × (n_kv_head · head_dim)；MLP 3 · d_model · d_ff；"
        "RMSNorm 2 · d_model。",
        "kv = n_kv_head * (d_model // n_head)\n"
        "return 2 * d_model * d_model + 2 * d_model * kv + 3 * d_model * d_ff + 2 * d_model",
    ),
    rtol=0,
    atol=0,
)


def check_block_parameters(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 1: ``block_parameters(d_model, d_ff, n_head, n_kv_head)`` →
    parameters of one LLaMA decoder block with grouped-query attention."""
    return BLOCK.check(fn, quiet=quiet)


def _kv_reference(n_layer, n_kv_head, head_dim, n_tokens, dtype_bytes):
    config = DecoderConfig(
        vocab_size=1,
        context_length=1,
        n_layer=n_layer,
        n_head=n_kv_head,
        d_model=n_kv_head * head_dim,
        d_ff=1,
    )
    return kv_cache_bytes_per_token(config, dtype_bytes) * n_tokens


KV_BYTES = FunctionExercise(
    notebook="12",
    key="kv_cache_bytes",
    title="KV cache bytes",
    reference=_kv_reference,
    cases=[
        (1, 1, 2, 1, 4),
        (2, 4, 8, 10, 2),
        (32, 32, 128, 4096, 2),
        (80, 8, 128, 4096, 2),
    ],
    hidden=lambda rng: (
        int(rng.integers(1, 100)),
        int(rng.choice([1, 2, 4, 8, 32])),
        2 * int(rng.integers(1, 80)),
        int(rng.integers(1, 10000)),
        int(rng.choice([1, 2, 4])),
    ),
    hints=(
        "想想每生成一个 token，每一层要为它存下哪两样东西？每样东西有多少个数"
        "（只有 KV 头才存）？再乘上 token 数和每个数的字节数。",
        "每层每个 token：K 和 V 各 n_kv_head × head_dim 个数；"
        "总字节 = 2 × n_layer × n_kv_head × head_dim × n_tokens × dtype_bytes。",
        "return 2 * n_layer * n_kv_head * head_dim * n_tokens * dtype_bytes",
    ),
    rtol=0,
    atol=0,
)


def check_kv_cache_bytes(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 2: ``kv_cache_bytes(n_layer, n_kv_head, head_dim, n_tokens,
    dtype_bytes)`` → bytes of the keys and values of ``n_tokens`` tokens."""
    return KV_BYTES.check(fn, quiet=quiet)


def _swiglu_reference(x, w_gate, w_up, w_down):
    mlp = SwiGLU(*w_gate.shape).double()
    with torch.no_grad():  # nn.Linear stores (out, in): the transposes
        mlp.gate_proj.weight.copy_(w_gate.T)
        mlp.up_proj.weight.copy_(w_up.T)
        mlp.down_proj.weight.copy_(w_down.T)
        return mlp(x)


def _swiglu_args(gen: torch.Generator, d_model: int, d_ff: int, scale: float = 1.0):
    def randn(*shape):
        return torch.randn(*shape, generator=gen, dtype=torch.float64)

    return (
        randn(2, 3, d_model) * scale,
        randn(d_model, d_ff),
        randn(d_model, d_ff),
        randn(d_ff, d_model),
    )


def _swiglu_visible() -> list[tuple]:
    gen = torch.Generator().manual_seed(12)
    return [_swiglu_args(gen, 4, 6), _swiglu_args(gen, 8, 20, scale=3.0)]


def _swiglu_case(rng: np.random.Generator) -> tuple:
    gen = torch.Generator().manual_seed(int(rng.integers(0, 2**31)))
    return _swiglu_args(
        gen,
        int(rng.integers(1, 9)),
        int(rng.integers(1, 17)),
        scale=float(rng.choice([0.5, 1.0, 3.0])),
    )


SWIGLU = FunctionExercise(
    notebook="12",
    key="swiglu",
    title="SwiGLU MLP",
    reference=_swiglu_reference,
    cases=_swiglu_visible(),
    hidden=_swiglu_case,
    hints=(
        "SwiGLU 有三个矩阵：一个“闸门”(gate) 分支经过 SiLU，一个“上投影”(up) 分支不经过激活，"
        "两者逐元素相乘，最后再用 down 压回 d_model。SiLU 不是 sigmoid 本身。",
        "SiLU(z) = z · σ(z)；hidden = SiLU(x @ W_gate) ⊙ (x @ W_up)，形状 (B, T, d_ff)；"
        "输出 = hidden @ W_down。",
        "gate = x @ W_gate\nreturn (gate * torch.sigmoid(gate) * (x @ W_up)) @ W_down",
    ),
    rtol=1e-9,
    atol=1e-10,
)


def check_swiglu(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 3: ``swiglu_mlp(x, W_gate, W_up, W_down)`` →
    (SiLU(x W_gate) ⊙ (x W_up)) W_down for x (B, T, d_model)."""
    return SWIGLU.check(fn, quiet=quiet)


def _gpt2_block_reference(d_model, d_ff):
    parts = gpt2_parameter_breakdown(_one_layer(d_model, d_ff))
    # one block: attention + MLP + two LayerNorms (weight and bias each)
    return (
        parts["attention (qkv, o + biases)"]
        + parts["mlp (fc, proj + biases)"]
        + 4 * d_model
    )


GPT2_BLOCK = FunctionExercise(
    notebook="12",
    key="gpt2_block_parameters",
    title="GPT-2 block parameters",
    reference=_gpt2_block_reference,
    cases=[(8, 32), (768, 3072), (1600, 6400), (6, 10)],
    hidden=lambda rng: (2 * int(rng.integers(1, 600)), int(rng.integers(1, 5000))),
    hints=(
        "和 LLaMA 的块逐项对比：GPT-2 的 MLP 有几个矩阵？它的线性层和归一化层多了什么"
        "（LLaMA 里没有的）？把每个线性层的“权重 + 偏置”、每个 LayerNorm 的“γ + β”都数上。",
        "注意力：4 个 d×d 权重 + 4 个长 d 的偏置；MLP：d×d_ff + d_ff 和 d_ff×d + d；"
        "两个 LayerNorm 各 2d。",
        "return 4 * (d_model * d_model + d_model) + 2 * d_model * d_ff + d_ff + d_model "
        "+ 4 * d_model",
    ),
    rtol=0,
    atol=0,
)


def check_gpt2_block_parameters(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 4: ``gpt2_block_parameters(d_model, d_ff)`` → parameters of one
    GPT-2 block (biased linear layers, GELU MLP with two matrices, two LayerNorms)."""
    return GPT2_BLOCK.check(fn, quiet=quiet)


# --- answers for the tests --------------------------------------------------------


def _block_right(d, d_ff, n_head, n_kv):
    kv = n_kv * (d // n_head)
    return 2 * d * d + 2 * d * kv + 3 * d * d_ff + 2 * d


def _block_mha(d, d_ff, n_head, n_kv):
    return 4 * d * d + 3 * d * d_ff + 2 * d  # ignores the shared KV heads


def _block_kv_times_d(d, d_ff, n_head, n_kv):
    return (
        2 * d * d + 2 * d * n_kv * d + 3 * d * d_ff + 2 * d
    )  # n_kv · d, not n_kv · head_dim


def _kv_right(n_layer, n_kv, head_dim, n_tokens, size):
    return 2 * n_layer * n_kv * head_dim * n_tokens * size


def _kv_only_keys(n_layer, n_kv, head_dim, n_tokens, size):
    return n_layer * n_kv * head_dim * n_tokens * size  # forgets V


def _kv_no_layers(n_layer, n_kv, head_dim, n_tokens, size):
    return 2 * n_kv * head_dim * n_tokens * size  # one layer only


def _swiglu_right(x, w_gate, w_up, w_down):
    gate = x @ w_gate
    return (gate * torch.sigmoid(gate) * (x @ w_up)) @ w_down


def _swiglu_sigmoid_gate(x, w_gate, w_up, w_down):
    return (torch.sigmoid(x @ w_gate) * (x @ w_up)) @ w_down  # GLU, not SwiGLU


def _swiglu_relu(x, w_gate, w_up, w_down):
    return (torch.relu(x @ w_gate) * (x @ w_up)) @ w_down


def _gpt2_right(d, d_ff):
    return 4 * (d * d + d) + 2 * d * d_ff + d_ff + d + 4 * d


def _gpt2_llama_formula(d, d_ff):
    return 4 * d * d + 3 * d * d_ff + 2 * d  # LLaMA's block


def _gpt2_no_biases(d, d_ff):
    return 4 * d * d + 2 * d * d_ff + 4 * d  # forgets the linear layers' biases


CHECKER_CASES = [
    Cases(
        check_block_parameters,
        BLOCK,
        right=[_block_right],
        wrong=[_block_mha, _block_kv_times_d],
    ),
    Cases(
        check_kv_cache_bytes,
        KV_BYTES,
        right=[_kv_right],
        wrong=[_kv_only_keys, _kv_no_layers],
    ),
    Cases(
        check_swiglu,
        SWIGLU,
        right=[_swiglu_right],
        wrong=[_swiglu_sigmoid_gate, _swiglu_relu],
    ),
    Cases(
        check_gpt2_block_parameters,
        GPT2_BLOCK,
        right=[_gpt2_right],
        wrong=[_gpt2_llama_formula, _gpt2_no_biases],
    ),
]
