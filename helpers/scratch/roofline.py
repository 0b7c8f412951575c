"""Arithmetic intensity: how many floating-point operations a matrix product does
per byte it moves, and why decoding one token at a time is limited by memory.

Introduced in 04_tensors_and_gpu (14_inference_and_kv_cache relies on it).
"""

from __future__ import annotations

from helpers.validate import check_int, check_number

__all__ = ["arithmetic_intensity", "matmul_bytes", "matmul_flop_count"]


def matmul_flop_count(m: int, k: int, n: int) -> int:
    """FLOPs of an (m, k) @ (k, n) product: m·n dot products of length k, each k
    multiplications and k additions: 2·m·k·n (the usual convention; counting
    exactly k − 1 additions gives m·n·(2k − 1)). Introduced in 04_tensors_and_gpu."""
    m = check_int(m, "m", low=1)
    k = check_int(k, "k", low=1)
    n = check_int(n, "n", low=1)
    return 2 * m * k * n


def matmul_bytes(m: int, k: int, n: int, bytes_per_number: float = 2) -> float:
    """Bytes an (m, k) @ (k, n) product must move at least: read A (m·k numbers)
    and B (k·n), write C (m·n). Introduced in 04_tensors_and_gpu."""
    m = check_int(m, "m", low=1)
    k = check_int(k, "k", low=1)
    n = check_int(n, "n", low=1)
    size = check_number(
        bytes_per_number, "bytes_per_number", low=0, low_inclusive=False
    )
    return (m * k + k * n + m * n) * size


def arithmetic_intensity(m: int, k: int, n: int, bytes_per_number: float = 2) -> float:
    """FLOPs per byte moved of an (m, k) @ (k, n) product:
    2·m·k·n / (bytes · (m·k + k·n + m·n)).

    One token (m = 1) through a 4096 → 11008 layer in FP16 does about 1 FLOP per
    byte: every weight is read for one multiply-add. A chip whose FLOP/s divided by
    its bytes/s is far larger than that waits on memory. Introduced in
    04_tensors_and_gpu.
    """
    return matmul_flop_count(m, k, n) / matmul_bytes(m, k, n, bytes_per_number)
