"""Exercise checkers of 10_positional_encoding.

The references are the tested functions of ``helpers.positions``.
"""

from __future__ import annotations

import torch

from helpers.checks import CheckResult, check_function
from helpers.positions import apply_rope, relative_shift_matrix, rope_cache
from helpers.positions import sinusoidal_encoding as _sinusoidal

__all__ = ["check_pe_dot", "check_rope_rotate", "check_shift_matrix"]


def _pe_dot_reference(offset: int, d_model: int) -> float:
    """PE(p) . PE(p + offset), read off the table at p = 3."""
    table = _sinusoidal(3 + abs(offset) + 4, d_model, dtype=torch.float64)
    p = 3 if offset >= 0 else 3 + abs(offset)
    return float(table[p] @ table[p + offset])


def check_pe_dot(fn, quiet: bool = False) -> CheckResult:
    """fn(offset, d_model) → PE(p) . PE(p + offset), computed from the offset alone."""
    return check_function(
        lambda offset, d: float(fn(offset, d)),
        _pe_dot_reference,
        [(0, 8), (1, 8), (5, 16), (-5, 16), (30, 128), (-12, 64)],
        name="pe_dot",
        hint="每一对贡献 sin(a)sin(b) + cos(a)cos(b) = cos(a - b) = cos(offset * omega_i)；"
        "把 d_model/2 对加起来。",
        rtol=1e-6,
        atol=1e-6,
        quiet=quiet,
    )


def check_shift_matrix(fn, quiet: bool = False) -> CheckResult:
    """fn(k, d_model) → M_k with PE(pos + k) = PE(pos) @ M_k."""
    return check_function(
        lambda k, d: torch.as_tensor(fn(k, d), dtype=torch.float64),
        lambda k, d: relative_shift_matrix(k, d),
        [(1, 4), (3, 8), (-2, 6), (0, 4), (25, 16)],
        name="shift_matrix",
        hint="块对角矩阵：第 i 对维度是 2x2 块 [[cos(k w_i), -sin(k w_i)], "
        "[sin(k w_i), cos(k w_i)]]（行向量右乘）。",
        rtol=1e-5,
        atol=1e-6,
        quiet=quiet,
    )


def _rope_reference(x: torch.Tensor, position: int) -> torch.Tensor:
    cos, sin = rope_cache(x.shape[0], position + 1, dtype=torch.float64)
    return apply_rope(x[None, :], cos[position:], sin[position:])[0]


def check_rope_rotate(fn, quiet: bool = False) -> CheckResult:
    """fn(x, position) → x (1-D, even length) with each pair (x[2i], x[2i+1])
    rotated by the angle position * omega_i."""
    generator = torch.Generator().manual_seed(10)
    cases = [
        (torch.randn(2, dtype=torch.float64, generator=generator), 1),
        (torch.randn(8, dtype=torch.float64, generator=generator), 0),
        (torch.randn(8, dtype=torch.float64, generator=generator), 7),
        (torch.randn(16, dtype=torch.float64, generator=generator), 300),
    ]
    return check_function(
        lambda x, p: torch.as_tensor(fn(x.clone(), p), dtype=torch.float64),
        _rope_reference,
        cases,
        name="rope_rotate",
        hint="对每一对 (a, b) = (x[2i], x[2i+1])，角度 t = position * omega_i："
        "新的一对是 (a cos t - b sin t, a sin t + b cos t)。",
        rtol=1e-5,
        atol=1e-6,
        quiet=quiet,
    )
