"""Exercise checkers of 04_tensors_and_gpu.

Each prints ✅ / ❌ (with a tiered hint) / ⏱ / ⏳ and returns a ``CheckResult``; none
raises because of the learner's code. Introduced in 04_tensors_and_gpu.
"""

from __future__ import annotations

import numpy as np

from helpers.checks import Cases, CheckResult, FunctionExercise
from helpers.scratch.roofline import arithmetic_intensity
from helpers.sizing import kv_cache_bytes, parameter_breakdown
from helpers.transformer import DecoderConfig

__all__ = [
    "CHECKER_CASES",
    "check_intensity",
    "check_kv_cache_bytes",
    "check_swiglu_bytes",
]


def _mlp_bytes(d_model: int, d_ff: int, bytes_per_number: float) -> float:
    config = DecoderConfig(
        vocab_size=1, context_length=1, n_layer=1, n_head=1, d_model=d_model, d_ff=d_ff
    )
    breakdown = parameter_breakdown(config)
    n_params = next(v for k, v in breakdown.items() if k.startswith("mlp"))
    return n_params * bytes_per_number


def _swiglu_case(rng: np.random.Generator) -> tuple:
    size = float(rng.choice([4.0, 2.0, 1.0, 0.5]))
    return 2 * int(rng.integers(1, 3000)), int(rng.integers(1, 20000)), size


SWIGLU_BYTES = FunctionExercise(
    notebook="04",
    key="swiglu_bytes",
    title="weight bytes of a LLaMA (SwiGLU) MLP",
    reference=_mlp_bytes,
    cases=[(4096, 11008, 2.0), (8, 3, 4.0), (768, 3072, 1.0), (2, 1, 0.5)],
    hidden=_swiglu_case,
    hints=(
        "先数这个 MLP 里有几个全连接层、每个是多大的矩阵 (in × out)，再想一想："
        "LLaMA 的这几层有没有偏置 (bias)？",
        "gate 和 up 都是 d_model → d_ff，down 是 d_ff → d_model；三个矩阵一样大，"
        "都没有偏置。LLaMA-7B (4096, 11008) 有 135,266,304 个参数，"
        "再乘上每个数的字节数 bytes_per_number。",
        "return 3 * d_model * d_ff * bytes_per_number",
    ),
    rtol=0,
    atol=0,
)


def check_swiglu_bytes(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 1: ``swiglu_bytes(d_model, d_ff, bytes_per_number)``: the weight
    bytes of one SwiGLU MLP (gate, up: d_model → d_ff; down: d_ff → d_model; no
    biases)."""
    return SWIGLU_BYTES.check(fn, quiet=quiet)


def _kv_reference(n_layer, batch, n_head, seq_len, head_dim, bytes_per_number) -> float:
    config = DecoderConfig(
        vocab_size=1,
        context_length=seq_len,
        n_layer=n_layer,
        n_head=n_head,
        d_model=n_head * head_dim,
        d_ff=1,
    )
    return kv_cache_bytes(
        config, seq_len, batch_size=batch, dtype_bytes=bytes_per_number
    )


def _kv_case(rng: np.random.Generator) -> tuple:
    return (
        int(rng.integers(1, 81)),
        int(rng.integers(1, 17)),
        int(rng.integers(1, 65)),
        int(rng.integers(1, 8193)),
        2 * int(rng.integers(1, 129)),
        float(rng.choice([4.0, 2.0, 1.0])),
    )


KV_CACHE_BYTES = FunctionExercise(
    notebook="04",
    key="kv_cache_bytes",
    title="KV-cache bytes",
    reference=_kv_reference,
    cases=[
        (32, 4, 32, 512, 128, 2.0),
        (2, 2, 4, 8, 8, 4.0),
        (32, 1, 32, 4096, 128, 2.0),
        (80, 1, 64, 2048, 128, 1.0),
    ],
    hidden=_kv_case,
    hints=(
        "KV 缓存的形状是 [layers, 2, B, heads, T, head_dim]：先数它一共有多少个数 "
        "(numel)，再乘上每个数占的字节数。别漏了那个 2（K 和 V 各一份）。",
        "个数 = n_layer × 2 × batch × n_head × seq_len × head_dim，"
        "再乘 bytes_per_number。第 1 个用例应是 1,073,741,824 字节。",
        "return n_layer * 2 * batch * n_head * seq_len * head_dim * bytes_per_number",
    ),
    rtol=0,
    atol=0,
)


def check_kv_cache_bytes(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 2: ``kv_cache_bytes(n_layer, batch, n_head, seq_len, head_dim,
    bytes_per_number)``:
    the bytes of the KV cache of shape [layers, 2, B, heads, T, head_dim]."""
    return KV_CACHE_BYTES.check(fn, quiet=quiet)


def _intensity_case(rng: np.random.Generator) -> tuple:
    m, k, n = (int(x) for x in rng.integers(256, 4097, size=3))
    return m, k, n, float(rng.choice([1.0, 2.0, 4.0]))


INTENSITY = FunctionExercise(
    notebook="04",
    key="intensity",
    title="arithmetic intensity of a matmul",
    reference=arithmetic_intensity,
    cases=[
        (1, 4096, 11008, 2.0),
        (4096, 4096, 4096, 2.0),
        (64, 128, 256, 4.0),
        (512, 512, 512, 1.0),
    ],
    hidden=_intensity_case,
    hints=(
        "强度 = 做了多少次浮点运算 ÷ 搬了多少字节。运算次数本节算过；"
        "字节要数三块：读 A、读 B、写 C，每块是“个数 × 每个数的字节数”。",
        "FLOPs = 2·m·k·n（写成 m·n·(2k − 1) 也算对）；"
        "bytes = (m·k + k·n + m·n) × bytes_per_number。第 1 个用例约等于 1.0。",
        "return 2 * m * k * n / ((m * k + k * n + m * n) * bytes_per_number)",
    ),
    rtol=5e-3,  # accepts m·n·(2k − 1) as well as 2·m·k·n (every k here is >= 128)
    atol=0,
)


def check_intensity(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 3: ``intensity(m, k, n, bytes_per_number)``: FLOPs per byte moved
    by an (m, k) @ (k, n) product (read A and B, write C)."""
    return INTENSITY.check(fn, quiet=quiet)


# --- answers for the tests --------------------------------------------------------


def _swiglu_with_bias(d_model, d_ff, size):
    return (2 * (d_model * d_ff + d_ff) + d_ff * d_model + d_model) * size  # biases


def _swiglu_two_matrices(d_model, d_ff, size):
    return 2 * d_model * d_ff * size  # the GPT-2 MLP: forgets the gate


def _kv_without_two(n_layer, batch, n_head, seq_len, head_dim, size):
    return n_layer * batch * n_head * seq_len * head_dim * size  # K only


def _kv_numbers_only(n_layer, batch, n_head, seq_len, head_dim, size):
    return n_layer * 2 * batch * n_head * seq_len * head_dim  # forgets the bytes


def _intensity_exact(m, k, n, bytes_per_number):
    return m * n * (2 * k - 1) / ((m * k + k * n + m * n) * bytes_per_number)


def _intensity_no_output(m, k, n, bytes_per_number):
    return 2 * m * k * n / ((m * k + k * n) * bytes_per_number)  # forgets writing C


def _intensity_numbers(m, k, n, bytes_per_number):
    return 2 * m * k * n / (m * k + k * n + m * n)  # numbers, not bytes


CHECKER_CASES = [
    Cases(
        check_swiglu_bytes,
        SWIGLU_BYTES,
        right=[_mlp_bytes, lambda d_model, d_ff, size: 3 * d_model * d_ff * size],
        wrong=[_swiglu_with_bias, _swiglu_two_matrices],
    ),
    Cases(
        check_kv_cache_bytes,
        KV_CACHE_BYTES,
        right=[_kv_reference],
        wrong=[_kv_without_two, _kv_numbers_only],
    ),
    Cases(
        check_intensity,
        INTENSITY,
        right=[arithmetic_intensity, _intensity_exact],
        wrong=[_intensity_no_output, _intensity_numbers],
    ),
]
