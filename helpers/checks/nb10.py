"""Exercise checkers of 10_positional_encoding.

Each prints ✅ / ❌ (with a tiered hint) / ⏳ and returns a ``CheckResult``; none
raises because of the learner's code. The references are the tested functions of
``helpers.positions``. Introduced in 10_positional_encoding.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from helpers.checks import Cases, CheckResult, FunctionExercise
from helpers.positions import (
    apply_rope,
    pair_frequencies,
    relative_shift_matrix,
    rope_cache,
    sinusoidal_encoding,
)

__all__ = [
    "CHECKER_CASES",
    "check_pe_dot",
    "check_rope_rotate",
    "check_rope_scores",
    "check_shift_matrix",
]


def _pe_dot_reference(offset: int, d_model: int, base: float) -> float:
    """PE(p) . PE(p + offset), read off the sinusoidal table at p = 3 (or later)."""
    table = sinusoidal_encoding(3 + abs(offset) + 4, d_model, base, dtype=torch.float64)
    p = 3 if offset >= 0 else 3 + abs(offset)
    return float(table[p] @ table[p + offset])


def _pe_dot_case(rng: np.random.Generator) -> tuple:
    base = float(rng.choice([10.0, 100.0, 1000.0, 10000.0]))
    return int(rng.integers(-60, 61)), int(2 * rng.integers(1, 65)), base


PE_DOT = FunctionExercise(
    notebook="10",
    key="pe_dot",
    title="pe_dot",
    reference=_pe_dot_reference,
    cases=[
        (0, 8, 10000.0),
        (1, 8, 10000.0),
        (5, 16, 10000.0),
        (-5, 16, 10000.0),
        (30, 128, 10000.0),
        (-12, 64, 100.0),
    ],
    hidden=_pe_dot_case,
    hints=(
        "点积是各对维度贡献之和。一对维度是 (sin a, cos a) 和 (sin b, cos b)："
        "想想哪个三角恒等式把 sin a·sin b + cos a·cos b 写成一个只含 a − b 的式子。",
        "每一对贡献 cos(offset · ω_i)，ω_i = base^(−2i/d_model)，i = 0 … d_model/2 − 1；"
        "把 d_model/2 个 cos 加起来（offset = 0 时结果是 d_model/2）。",
        "omega = base ** (-torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)\n"
        "return torch.cos(offset * omega).sum().item()",
    ),
    rtol=1e-6,
    atol=1e-6,
)


def check_pe_dot(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 1: ``pe_dot(offset, d_model, base)`` → PE(p) · PE(p + offset),
    computed from the offset alone (frequencies ``base ** (-2i / d_model)``)."""
    return PE_DOT.check(fn, quiet=quiet)


def _shift_case(rng: np.random.Generator) -> tuple:
    base = float(rng.choice([10.0, 100.0, 10000.0]))
    return int(rng.integers(-40, 41)), int(2 * rng.integers(1, 9)), base


def _shift_diagnose(args, got, expected) -> str | None:
    if np.allclose(np.asarray(got).T, expected, atol=1e-6):
        return (
            "你的矩阵是正确答案的转置 (transpose)：本题用行向量右乘 PE(pos) @ M_k，"
            "列向量的写法 M_k @ PE(pos) 对应的是它的转置。"
        )
    return None


SHIFT_MATRIX = FunctionExercise(
    notebook="10",
    key="shift_matrix",
    title="shift_matrix",
    reference=relative_shift_matrix,
    cases=[
        (1, 4, 10000.0),
        (3, 8, 10000.0),
        (-2, 6, 10000.0),
        (0, 4, 10000.0),
        (25, 16, 100.0),
    ],
    hidden=_shift_case,
    diagnose=_shift_diagnose,
    hints=(
        "每一对维度各自转过一个角度，互不影响，所以 M_k 是块对角 (block-diagonal) 的："
        "对角线上是 d_model/2 个 2×2 的旋转块，其余全是 0。第 i 个块转多大的角？",
        "第 i 块（行、列都是 2i、2i+1）转角 k·ω_i，按“行向量右乘”写成 "
        "[[cos, −sin], [sin, cos]]；注意这是 PE(pos) @ M_k，不是 M_k @ PE(pos)。",
        "m[2*i, 2*i], m[2*i, 2*i+1] = c, -s\nm[2*i+1, 2*i], m[2*i+1, 2*i+1] = s, c",
    ),
    rtol=1e-6,
    atol=1e-9,
)


def check_shift_matrix(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 2: ``shift_matrix(k, d_model, base)`` → M_k (d_model, d_model) with
    PE(pos + k) = PE(pos) @ M_k."""
    return SHIFT_MATRIX.check(fn, quiet=quiet)


def _rope_rotate_reference(x: torch.Tensor, position: int, base: float) -> torch.Tensor:
    cos, sin = rope_cache(x.shape[0], position + 1, base=base, dtype=torch.float64)
    return apply_rope(x.double()[None, :], cos[position:], sin[position:])[0]


def _rope_rotate_case(rng: np.random.Generator) -> tuple:
    dim = int(2 * rng.integers(1, 9))
    base = float(rng.choice([100.0, 10000.0, 500000.0]))
    return torch.as_tensor(rng.normal(size=dim)), int(rng.integers(0, 500)), base


def _rope_visible() -> list[tuple]:
    gen = torch.Generator().manual_seed(10)
    return [
        (torch.randn(dim, dtype=torch.float64, generator=gen), pos, base)
        for dim, pos, base in [(2, 1, 1e4), (8, 0, 1e4), (8, 7, 1e4), (16, 300, 100.0)]
    ]


def _rope_diagnose(args, got, expected) -> str | None:
    x, position, base = args
    x = torch.as_tensor(x, dtype=torch.float64)
    half = x.shape[0] // 2
    omega = pair_frequencies(x.shape[0], base)
    angle = position * omega
    a, b = x[:half], x[half:]
    as_half = torch.cat(
        [a * angle.cos() - b * angle.sin(), a * angle.sin() + b * angle.cos()]
    )
    if x.shape[0] > 2 and np.allclose(got, as_half.numpy(), atol=1e-6):
        return (
            "你用的是 rotate_half 的配对 (i, i + d/2)。它也是一种正确的 RoPE，"
            "但本题要求交错配对 (interleaved)：第 i 对是 (x[2i], x[2i+1])。"
        )
    return None


ROPE_ROTATE = FunctionExercise(
    notebook="10",
    key="rope_rotate",
    title="rope_rotate",
    reference=_rope_rotate_reference,
    cases=_rope_visible(),
    hidden=_rope_rotate_case,
    diagnose=_rope_diagnose,
    hints=(
        "把向量看成 d/2 个平面上的点 (x[2i], x[2i+1])，每个点绕原点逆时针转一个角度；"
        "第 i 对转多快由它的频率 ω_i 决定，转多少由位置决定。",
        "角度 t_i = position · ω_i，ω_i = base^(−2i/d)。一对 (a, b) 转过 t 后是 "
        "(a·cos t − b·sin t, a·sin t + b·cos t)。用 x[0::2]、x[1::2] 一次取出所有 a、b。",
        "a, b = x[0::2], x[1::2]\nout[0::2] = a * torch.cos(angle) - b * torch.sin(angle)\n"
        "out[1::2] = a * torch.sin(angle) + b * torch.cos(angle)",
    ),
    rtol=1e-6,
    atol=1e-9,
)


def check_rope_rotate(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 3: ``rope_rotate(x, position, base)`` → x (1-D, even length) with
    each interleaved pair (x[2i], x[2i+1]) rotated by position · base^(-2i/d)."""
    return ROPE_ROTATE.check(fn, quiet=quiet)


def _rope_scores_reference(q, k, n_offsets: int, base: float) -> torch.Tensor:
    dim = q.shape[0]
    cos, sin = rope_cache(dim, n_offsets, base=base, dtype=torch.float64)
    q_rot = apply_rope(q.double().expand(n_offsets, dim), cos, sin)  # q at m = 0 … n-1
    k_rot = apply_rope(k.double()[None, :], cos[:1], sin[:1])  # k at position 0
    return q_rot @ k_rot[0]  # (n_offsets,)


def _rope_scores_case(rng: np.random.Generator) -> tuple:
    dim = int(2 * rng.integers(1, 17))
    base = float(rng.choice([10.0, 100.0, 500.0, 10000.0, 1e6]))
    return (
        torch.as_tensor(rng.normal(size=dim)),
        torch.as_tensor(rng.normal(size=dim)),
        int(rng.integers(1, 40)),
        base,
    )


def _rope_scores_visible() -> list[tuple]:
    ones = torch.ones(8, dtype=torch.float64)
    gen = torch.Generator().manual_seed(11)
    q, k = (torch.randn(16, dtype=torch.float64, generator=gen) for _ in range(2))
    return [(ones, ones, 6, 10000.0), (ones, ones, 20, 100.0), (q, k, 12, 500.0)]


ROPE_SCORES = FunctionExercise(
    notebook="10",
    key="rope_scores",
    title="rope_scores",
    reference=_rope_scores_reference,
    cases=_rope_scores_visible(),
    hidden=_rope_scores_case,
    hints=(
        "k 固定在位置 0（转 0 度，不变），q 依次放在位置 m = 0, 1, …, n_offsets − 1，"
        "每次算一个旋转后的点积。别忘了频率由 base 决定，这里的 base 不一定是 10000。",
        "rope_cache(head_dim, n_offsets, base=base) 给出每个位置的 cos、sin；"
        "把 q 复制成 (n_offsets, head_dim) 用 apply_rope 旋转，再与 k 做点积，得到 (n_offsets,)。",
        "cos, sin = rope_cache(d, n_offsets, base=base, dtype=torch.float64)\n"
        "q_rot = apply_rope(q.expand(n_offsets, d), cos, sin)\nreturn q_rot @ k",
    ),
    rtol=1e-6,
    atol=1e-9,
)


def check_rope_scores(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 4: ``rope_scores(q, k, n_offsets, base)`` → (n_offsets,): the
    score of q at position m = 0 … n_offsets − 1 against k at position 0, with
    RoPE frequencies ``base ** (-2i / d)``."""
    return ROPE_SCORES.check(fn, quiet=quiet)


# --- answers for the tests --------------------------------------------------------


def _pe_dot_right(offset, d_model, base):
    omega = base ** (-torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)
    return torch.cos(offset * omega).sum().item()


def _pe_dot_all_dims(offset, d_model, base):
    omega = base ** (-torch.arange(0, d_model, 1, dtype=torch.float64) / d_model)
    return torch.cos(offset * omega).sum().item()  # one term per dimension


def _pe_dot_sines(offset, d_model, base):
    omega = base ** (-torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)
    return torch.sin(offset * omega).sum().item()


def _shift_transposed(k, d_model, base):
    return relative_shift_matrix(k, d_model, base).T


def _shift_identity(k, d_model, base):
    return torch.eye(d_model, dtype=torch.float64)


def _rope_right(x, position, base=10000.0):
    omega = pair_frequencies(x.shape[0], base)
    angle = position * omega
    a, b = x[0::2], x[1::2]
    out = torch.empty_like(x)
    out[0::2] = a * torch.cos(angle) - b * torch.sin(angle)
    out[1::2] = a * torch.sin(angle) + b * torch.cos(angle)
    return out


def _rope_clockwise(x, position, base):
    return _rope_right(x, -position, base)


def _rope_rotate_half(x, position, base):
    half = x.shape[0] // 2
    angle = position * pair_frequencies(x.shape[0], base)
    a, b = x[:half], x[half:]
    return torch.cat(
        [a * angle.cos() - b * angle.sin(), a * angle.sin() + b * angle.cos()]
    )


def _rope_scores_right(q, k, n_offsets, base):
    d = q.shape[0]
    cos, sin = rope_cache(d, n_offsets, base=base, dtype=torch.float64)
    return apply_rope(q.expand(n_offsets, d), cos, sin) @ k


def _rope_scores_ignores_base(q, k, n_offsets, base):
    return _rope_scores_right(q, k, n_offsets, 10000.0)


def _rope_scores_both_rotated(q, k, n_offsets, base):
    d = q.shape[0]
    cos, sin = rope_cache(d, n_offsets, base=base, dtype=torch.float64)
    q_rot = apply_rope(q.expand(n_offsets, d), cos, sin)
    k_rot = apply_rope(k.expand(n_offsets, d), cos, sin)  # k moves with q
    return (q_rot * k_rot).sum(dim=-1)


def _rope_scores_degrees(q, k, n_offsets, base):
    scores = []
    for m in range(n_offsets):  # angles in degrees instead of radians
        scores.append(_rope_right(q, m * 180 / math.pi, base) @ k)
    return torch.stack(scores)


CHECKER_CASES = [
    Cases(
        check_pe_dot,
        PE_DOT,
        right=[_pe_dot_right, _pe_dot_reference],
        wrong=[_pe_dot_all_dims, _pe_dot_sines],
    ),
    Cases(
        check_shift_matrix,
        SHIFT_MATRIX,
        right=[relative_shift_matrix],
        wrong=[_shift_transposed, _shift_identity],
    ),
    Cases(
        check_rope_rotate,
        ROPE_ROTATE,
        right=[_rope_right],
        wrong=[_rope_clockwise, _rope_rotate_half],
    ),
    Cases(
        check_rope_scores,
        ROPE_SCORES,
        right=[_rope_scores_right],
        wrong=[
            _rope_scores_ignores_base,
            _rope_scores_both_rotated,
            _rope_scores_degrees,
        ],
    ),
]
