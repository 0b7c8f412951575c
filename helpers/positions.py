"""Positional encodings: fixed sinusoids and rotary position embedding (RoPE).

Introduced in 10_positional_encoding. The transformer of 11/12 imports
``rope_cache`` and ``apply_rope`` from here.

Conventions: pair ``i`` of a vector is its dimensions ``(2i, 2i + 1)`` and turns
at the angular frequency ``omega_i = base ** (-2i / dim)``; every table is
computed in float64 and cast at the end.
"""

from __future__ import annotations

import torch

from helpers.validate import check_int, check_number

__all__ = [
    "apply_rope",
    "pair_frequencies",
    "relative_shift_matrix",
    "rope_cache",
    "rope_score",
    "sinusoidal_encoding",
]


def _check_even_dim(value, name: str) -> int:
    value = check_int(value, name, low=2)
    if value % 2 != 0:
        raise ValueError(f"{name} must be even (dimensions come in pairs), got {value}")
    return value


def _check_base(base) -> float:
    return check_number(base, "base", low=1.0, low_inclusive=False)


def _require_table_memory(n_bytes: int, what: str) -> None:
    """Refuse a table whose float64 work arrays (``n_bytes``) cannot fit in memory."""
    # Imported here, not at the top: helpers.sizing imports helpers.transformer,
    # which imports this module.
    from helpers.sizing import require_memory

    require_memory(n_bytes, what)


def pair_frequencies(dim: int, base: float = 10000.0) -> torch.Tensor:
    """Angular frequencies ``omega_i = base ** (-2i / dim)``, shape (dim // 2,).

    Pair 0 turns once every 2*pi positions; the last pair turns slowest, with a
    wavelength approaching ``base * 2 * pi``. Float64. Introduced in
    10_positional_encoding.
    """
    dim = _check_even_dim(dim, "dim")
    base = _check_base(base)
    exponents = torch.arange(0, dim, 2, dtype=torch.float64) / dim  # (dim // 2,)
    return base ** (-exponents)


def sinusoidal_encoding(
    n_positions: int,
    d_model: int,
    base: float = 10000.0,
    *,
    dtype: torch.dtype = torch.float32,
    device=None,
) -> torch.Tensor:
    """The fixed sinusoidal table of "Attention Is All You Need", shape
    (n_positions, d_model):

    ``PE[pos, 2i] = sin(pos * omega_i)``, ``PE[pos, 2i + 1] = cos(pos * omega_i)``
    with ``omega_i = base ** (-2i / d_model)``. Nothing in it is learned.
    Introduced in 10_positional_encoding.
    """
    n_positions = check_int(n_positions, "n_positions", low=1)
    d_model = _check_even_dim(d_model, "d_model")
    _require_table_memory(24 * n_positions * d_model, "sinusoidal_encoding")
    omega = pair_frequencies(d_model, base)  # (d_model // 2,)
    positions = torch.arange(n_positions, dtype=torch.float64)  # (n_positions,)
    angles = positions[:, None] * omega[None, :]  # (n_positions, d_model // 2)
    table = torch.empty(n_positions, d_model, dtype=torch.float64)
    table[:, 0::2] = torch.sin(angles)
    table[:, 1::2] = torch.cos(angles)
    return table.to(dtype=dtype, device=device)


def relative_shift_matrix(
    k: int, d_model: int, base: float = 10000.0, *, dtype: torch.dtype = torch.float64
) -> torch.Tensor:
    """The fixed matrix ``M_k`` (d_model, d_model) with ``PE(pos + k) = PE(pos) @ M_k``
    for every position ``pos`` (row vectors).

    It is block-diagonal: pair ``i`` gets the 2x2 rotation
    ``[[cos(k w_i), -sin(k w_i)], [sin(k w_i), cos(k w_i)]]``. ``k`` may be
    negative. It depends on ``k`` only, not on ``pos``. Introduced in
    10_positional_encoding.
    """
    k = check_int(k, "k")
    d_model = _check_even_dim(d_model, "d_model")
    angle = k * pair_frequencies(d_model, base)  # (d_model // 2,)
    cos, sin = torch.cos(angle), torch.sin(angle)
    matrix = torch.zeros(d_model, d_model, dtype=torch.float64)
    even = torch.arange(0, d_model, 2)
    matrix[even, even] = cos
    matrix[even, even + 1] = -sin
    matrix[even + 1, even] = sin
    matrix[even + 1, even + 1] = cos
    return matrix.to(dtype)


def rope_cache(
    head_dim: int,
    n_positions: int,
    base: float = 10000.0,
    device=None,
    dtype: torch.dtype = torch.float32,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Cosines and sines of the RoPE angles ``pos * omega_i``, each of shape
    (n_positions, head_dim // 2), for ``apply_rope``.

    Compute once per model; slice rows ``[start:start + T]`` for a chunk that
    begins at position ``start`` (e.g. with a KV cache). Introduced in
    10_positional_encoding.
    """
    head_dim = _check_even_dim(head_dim, "head_dim")
    n_positions = check_int(n_positions, "n_positions", low=1)
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating torch.dtype, got {dtype!r}")
    if torch.device(device if device is not None else "cpu").type != "meta":
        _require_table_memory(16 * n_positions * head_dim, "rope_cache")
    omega = pair_frequencies(head_dim, base)  # (head_dim // 2,)
    positions = torch.arange(n_positions, dtype=torch.float64)
    angles = positions[:, None] * omega[None, :]  # (n_positions, head_dim // 2)
    cos = torch.cos(angles).to(dtype=dtype, device=device)
    sin = torch.sin(angles).to(dtype=dtype, device=device)
    return cos, sin


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate each interleaved pair ``(x[..., 2i], x[..., 2i + 1])`` of the vector at
    position ``t`` by the angle whose cosine/sine are ``cos[t, i]``/``sin[t, i]``.

    ``x``: (..., T, head_dim), typically (B, n_head, T, head_dim) queries or keys;
    ``cos``, ``sin``: (T, head_dim // 2) from ``rope_cache`` (already sliced to the
    positions of ``x``). Returns a tensor of x's shape and dtype. Rotations keep
    norms, and the score ``rope(q, m) . rope(k, n)`` depends only on ``m - n``.
    Introduced in 10_positional_encoding.
    """
    for name, tensor in (("x", x), ("cos", cos), ("sin", sin)):
        if not isinstance(tensor, torch.Tensor):
            raise TypeError(
                f"{name} must be a torch.Tensor, got {type(tensor).__name__}"
            )
        if not tensor.is_floating_point():
            raise TypeError(f"{name} must be a floating tensor, got {tensor.dtype}")
    if x.dim() < 2:
        raise ValueError(
            f"x must have shape (..., T, head_dim) with at least 2 dims, got {tuple(x.shape)}"
        )
    T, head_dim = x.shape[-2], x.shape[-1]
    if head_dim % 2 != 0:
        raise ValueError(f"x's last dimension (head_dim) must be even, got {head_dim}")
    expected = (T, head_dim // 2)
    for name, tensor in (("cos", cos), ("sin", sin)):
        if tuple(tensor.shape) != expected:
            raise ValueError(
                f"{name} must have shape (T, head_dim // 2) = {expected} to match x of "
                f"shape {tuple(x.shape)}, got {tuple(tensor.shape)}"
            )
    # Low-precision inputs are rotated in float32, then cast back.
    compute = x.dtype if x.dtype in (torch.float32, torch.float64) else torch.float32
    xc = x.to(compute)
    cos, sin = cos.to(compute), sin.to(compute)
    x_even, x_odd = xc[..., 0::2], xc[..., 1::2]  # (..., T, head_dim // 2)
    rot_even = x_even * cos - x_odd * sin
    rot_odd = x_even * sin + x_odd * cos
    out = torch.stack((rot_even, rot_odd), dim=-1)  # (..., T, head_dim // 2, 2)
    return out.flatten(-2).to(x.dtype)  # (..., T, head_dim)


def rope_score(
    q: torch.Tensor, k: torch.Tensor, m: int, n: int, base: float = 10000.0
) -> float:
    """The dot product of ``q`` rotated to position ``m`` and ``k`` rotated to
    position ``n`` (1-D vectors of the same even length), in float64.

    Introduced in 10_positional_encoding.
    """
    if not isinstance(q, torch.Tensor) or not isinstance(k, torch.Tensor):
        raise TypeError("q and k must be torch tensors")
    if q.dim() != 1 or q.shape != k.shape:
        raise ValueError(
            f"q and k must be 1-D of the same length, got {tuple(q.shape)} and "
            f"{tuple(k.shape)}"
        )
    m = check_int(m, "m", low=0)
    n = check_int(n, "n", low=0)
    cos, sin = rope_cache(q.shape[0], max(m, n) + 1, base, dtype=torch.float64)
    q_rot = apply_rope(q.double()[None, :], cos[m : m + 1], sin[m : m + 1])[0]
    k_rot = apply_rope(k.double()[None, :], cos[n : n + 1], sin[n : n + 1])[0]
    return float(q_rot @ k_rot)
