"""Tensors, shapes and matrix multiplication: the LLM shape table, FLOP counting,
matmul timing, counting the parameters of a linear layer. Bytes per dtype and
model memory live in ``helpers.sizing``.

Introduced in 04_tensors_and_gpu (the timing function is also used by the
environment check of 00_course_map).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from helpers.runtime import synchronize
from helpers.sizing import require_memory
from helpers.transformer import DecoderConfig, scaled_dot_product_attention, split_heads
from helpers.validate import check_choice, check_int, check_number

__all__ = [
    "apply_shape_op",
    "build_llm_tensors",
    "describe_result",
    "gflops",
    "linear_param_count",
    "llm_tensor_shapes",
    "matmul_flops",
    "matmul_loops",
    "MatmulTiming",
    "SHAPE_OPS",
    "split_heads",
    "time_matmul",
]


# --- the LLM shape table ------------------------------------------------------


def _check_shape_args(config, batch_size, seq_len) -> DecoderConfig:
    if not isinstance(config, DecoderConfig):
        raise TypeError(f"config must be a DecoderConfig, got {type(config).__name__}")
    check_int(batch_size, "batch_size", low=1)
    check_int(seq_len, "seq_len", low=1, high=config.context_length)
    return config


def llm_tensor_shapes(
    config: DecoderConfig, batch_size: int, seq_len: int
) -> dict[str, tuple[int, ...]]:
    """The shape of each main tensor of ``config``'s model for a batch of
    ``batch_size`` sequences of ``seq_len`` tokens (B and T belong to the input,
    not to the model). The KV cache holds ``config.kv_heads`` heads.

    Introduced in 04_tensors_and_gpu.
    """
    c = _check_shape_args(config, batch_size, seq_len)
    B, T = batch_size, seq_len
    return {
        "token_ids": (B, T),
        "embeddings": (B, T, c.d_model),
        "attention_weights": (B, c.n_head, T, T),
        "kv_cache": (c.n_layer, 2, B, c.kv_heads, T, c.head_dim),
        "logits": (B, T, c.vocab_size),
    }


def build_llm_tensors(
    config: DecoderConfig, batch_size: int, seq_len: int, seed: int = 0
) -> dict[str, torch.Tensor]:
    """Build every tensor of the shape table for real, with random weights.

    Token IDs → embedding lookup → per-head queries and keys → causal attention
    weights; every layer's keys and values stacked into a KV cache; logits from an
    output head. Introduced in 04_tensors_and_gpu.
    """
    c = _check_shape_args(config, batch_size, seq_len)
    seed = check_int(seed, "seed", low=0)
    B, T, H = batch_size, seq_len, c.d_model
    require_memory(
        4 * sum(math.prod(s) for s in llm_tensor_shapes(c, B, T).values())
        + 4 * (2 * c.vocab_size * H + 3 * H * H),
        "build_llm_tensors",
    )
    gen = torch.Generator().manual_seed(seed)
    token_ids = torch.randint(0, c.vocab_size, (B, T), generator=gen)  # (B, T)
    embedding_table = torch.randn(c.vocab_size, H, generator=gen)  # (V, H)
    embeddings = embedding_table[token_ids]  # (B, T, H)
    scale = 1 / math.sqrt(H)
    kv_width = c.kv_heads * c.head_dim
    kv_per_layer = []
    for _ in range(c.n_layer):
        w_q = torch.randn(H, H, generator=gen) * scale  # (H, H)
        w_k = torch.randn(H, kv_width, generator=gen) * scale  # (H, kv_width)
        w_v = torch.randn(H, kv_width, generator=gen) * scale  # (H, kv_width)
        q = split_heads(embeddings @ w_q, c.n_head)  # (B, n_head, T, head_dim)
        k = split_heads(embeddings @ w_k, c.kv_heads)  # (B, n_kv_head, T, head_dim)
        v = split_heads(embeddings @ w_v, c.kv_heads)  # (B, n_kv_head, T, head_dim)
        kv_per_layer.append(torch.stack([k, v]))  # (2, B, n_kv_head, T, head_dim)
    _, attention_weights = scaled_dot_product_attention(
        q, k, v, causal=True, return_weights=True, enable_gqa=True
    )  # (B, n_head, T, T): the last layer's attention weights
    kv_cache = torch.stack(kv_per_layer)  # (n_layer, 2, B, n_kv_head, T, head_dim)
    w_out = torch.randn(c.vocab_size, H, generator=gen) * scale  # (V, H)
    logits = embeddings @ w_out.T  # (B, T, vocab_size)
    return {
        "token_ids": token_ids,
        "embeddings": embeddings,
        "attention_weights": attention_weights,
        "kv_cache": kv_cache,
        "logits": logits,
    }


# --- shape operations on a small tensor (the shape explorer) ---------------------

#: Operations on a ``[2, 3, 4]`` tensor ``x`` shown in 04's shape explorer:
#: the code as the learner would type it → the function that runs it.
SHAPE_OPS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "x": lambda x: x,
    "x.view(2, 12)": lambda x: x.view(2, 12),
    "x.reshape(6, 4)": lambda x: x.reshape(6, 4),
    "x.view(-1)": lambda x: x.view(-1),
    "x.transpose(1, 2)": lambda x: x.transpose(1, 2),
    "x.permute(2, 0, 1)": lambda x: x.permute(2, 0, 1),
    "x.unsqueeze(0)": lambda x: x.unsqueeze(0),
    "x[0]": lambda x: x[0],
    "x[:, 0, :]": lambda x: x[:, 0, :],
    "x[..., -1]": lambda x: x[..., -1],
    "x[:, 1:, ::2]": lambda x: x[:, 1:, ::2],
    "x.sum(dim=0)": lambda x: x.sum(dim=0),
    "x.sum(dim=-1)": lambda x: x.sum(dim=-1),
    "x.mean(dim=1, keepdim=True)": lambda x: (
        x if x.is_floating_point() else x.float()
    ).mean(dim=1, keepdim=True),
    "x + torch.arange(4)": lambda x: x + torch.arange(4, dtype=x.dtype),
    "x * torch.tensor([[1], [0], [-1]])": lambda x: (
        x * torch.tensor([[1], [0], [-1]], dtype=x.dtype)
    ),
    "x @ x.transpose(1, 2)": lambda x: x @ x.transpose(1, 2),
}


def apply_shape_op(name: str, x: torch.Tensor | None = None) -> torch.Tensor:
    """Run one of ``SHAPE_OPS`` on ``x`` (default: ``torch.arange(24).view(2, 3, 4)``).

    Introduced in 04_tensors_and_gpu.
    """
    check_choice(name, "shape operation", SHAPE_OPS)
    if x is None:
        x = torch.arange(24).view(2, 3, 4)
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    if tuple(x.shape) != (2, 3, 4):
        raise ValueError(f"x must have shape (2, 3, 4), got {tuple(x.shape)}")
    return SHAPE_OPS[name](x)


# --- matrix multiplication: cost and measured speed ------------------------------


def matmul_loops(a, b) -> list[list[float]]:
    """Multiply two matrices (lists of rows) with three plain Python loops.

    ``c[i][j] = sum_k a[i][k] * b[k][j]``. Slow on purpose: it shows that every
    output element is an independent dot product. Introduced in 04_tensors_and_gpu.
    """
    a = _as_matrix(a, "a")
    b = _as_matrix(b, "b")
    m, k, n = len(a), len(b), len(b[0])
    if len(a[0]) != k:
        raise ValueError(
            f"inner sizes must match: a is {m}x{len(a[0])}, b is {k}x{n} "
            f"(a's columns must equal b's rows)"
        )
    out = [[0.0] * n for _ in range(m)]
    for i in range(m):
        for j in range(n):
            total = 0.0
            for p in range(k):
                total += a[i][p] * b[p][j]
            out[i][j] = total
    return out


def _as_matrix(x, name: str) -> list[list[float]]:
    if isinstance(x, torch.Tensor):
        if x.dim() != 2:
            raise ValueError(f"{name} must be a 2-D matrix, got shape {tuple(x.shape)}")
        x = x.tolist()
    if isinstance(x, str | bytes) or not isinstance(x, Sequence) or len(x) == 0:
        raise TypeError(f"{name} must be a non-empty list of rows (or a 2-D tensor)")
    rows = []
    for row in x:
        if isinstance(row, str | bytes) or not isinstance(row, Sequence):
            raise TypeError(f"{name} must be a list of rows, got a row {row!r}")
        rows.append([check_number(v, f"{name} entry") for v in row])
    width = len(rows[0])
    if width == 0 or any(len(r) != width for r in rows):
        raise ValueError(f"{name} must be rectangular with at least one column")
    return rows


def matmul_flops(m: int, k: int, n: int) -> int:
    """Floating-point operations of an (m, k) @ (k, n) product: 2·m·k·n.

    Each of the m·n outputs needs k multiplications and k additions (counting the
    first addition to zero). Introduced in 04_tensors_and_gpu.
    """
    m = check_int(m, "m", low=1)
    k = check_int(k, "k", low=1)
    n = check_int(n, "n", low=1)
    return 2 * m * k * n


def gflops(m: int, k: int, n: int, seconds: float) -> float:
    """Speed in GFLOP/s of an (m, k) @ (k, n) product that took ``seconds``.

    Introduced in 04_tensors_and_gpu.
    """
    seconds = check_number(seconds, "seconds", low=0, low_inclusive=False)
    return matmul_flops(m, k, n) / seconds / 1e9


@dataclass(frozen=True)
class MatmulTiming:
    """One measured matrix product. Introduced in 04_tensors_and_gpu."""

    m: int  # rows of A and C
    k: int  # columns of A = rows of B
    n: int  # columns of B and C
    device: str  # where it ran: "cpu", "cuda", "mps"
    dtype: str  # element type, e.g. "float32"
    seconds: float  # best (shortest) time of one product
    gflops: float  # 2·m·k·n / seconds / 1e9


def _measured_gflops(device: torch.device, dtype: torch.dtype) -> float:
    """GFLOP/s of a quick 512 x 512 product (best of 8): a conservative rate
    for estimating how long a bigger product will take."""
    a = torch.randn(512, 512, device=device, dtype=dtype)
    best = math.inf
    for _ in range(8):  # best of 8: the first runs warm up the thread pool
        synchronize(device)
        start = time.perf_counter()
        a @ a
        synchronize(device)
        best = min(best, time.perf_counter() - start)
    return gflops(512, 512, 512, max(best, 1e-9))


def time_matmul(
    m: int,
    k: int | None = None,
    n: int | None = None,
    *,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
    repeats: int = 3,
    warmup: int = 1,
    max_seconds: float = 60.0,
) -> MatmulTiming:
    """Measure the time of ``A @ B`` with A (m, k) and B (k, n): the best of
    ``repeats`` runs, as ``timeit`` recommends (slower runs were disturbed by other
    programs, not by the product itself).

    ``time_matmul(512)`` times a square 512 x 512 product. The GPU is synchronised
    before and after each run, so its asynchronous launches are timed correctly.
    Introduced in 04_tensors_and_gpu (also used in 00_course_map).
    """
    k = m if k is None else k
    n = m if n is None else n
    for name, value in (("m", m), ("k", k), ("n", n)):
        check_int(value, name, low=1)
    repeats = check_int(repeats, "repeats", low=1, high=1000)
    warmup = check_int(warmup, "warmup", low=0, high=100)
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating torch.dtype, got {dtype!r}")
    if isinstance(device, str):
        check_choice(device.split(":")[0], "device", ("cpu", "cuda", "mps"))
    elif not isinstance(device, torch.device):
        raise TypeError(f"device must be a str or torch.device, got {device!r}")
    device = torch.device(device)
    check_choice(device.type, "device type", ("cpu", "cuda", "mps"))
    max_seconds = check_number(max_seconds, "max_seconds", low=0, low_inclusive=False)
    element = torch.empty((), dtype=dtype).element_size()
    require_memory(
        (m * k + k * n + 2 * m * n) * element, f"time_matmul({m}, {k}, {n})", device
    )
    total_flops = matmul_flops(m, k, n) * (warmup + repeats)
    if total_flops > 1e9:  # at least ~0.1 s somewhere: estimate before running
        rate = _measured_gflops(device, dtype)
        seconds = total_flops / (rate * 1e9)
        if seconds > max_seconds:
            raise ValueError(
                f"time_matmul({m}, {k}, {n}) with {warmup} warm-up + {repeats} runs "
                f"would take about {seconds:,.0f} s ({seconds / 60:.1f} min) on {device.type} (estimated "
                f"from {rate:.1f} GFLOP/s on 512 x 512), more than max_seconds="
                f"{max_seconds:g}; use smaller sizes or raise max_seconds"
            )
    a = torch.randn(m, k, device=device, dtype=dtype)
    b = torch.randn(k, n, device=device, dtype=dtype)
    for _ in range(warmup):
        a @ b
    times = []
    for _ in range(repeats):
        synchronize(device)
        start = time.perf_counter()
        a @ b
        synchronize(device)
        times.append(time.perf_counter() - start)
    seconds = max(min(times), 1e-9)
    return MatmulTiming(
        m,
        k,
        n,
        device.type,
        str(dtype).removeprefix("torch."),
        seconds,
        gflops(m, k, n, seconds),
    )


# --- counting parameters and memory ---------------------------------------------


def linear_param_count(in_features: int, out_features: int, bias: bool = True) -> int:
    """Parameters of ``nn.Linear(in_features, out_features)``: in·out (+ out).

    Introduced in 04_tensors_and_gpu.
    """
    in_features = check_int(in_features, "in_features", low=1)
    out_features = check_int(out_features, "out_features", low=1)
    if not isinstance(bias, bool):
        raise TypeError(f"bias must be True or False, got {type(bias).__name__}")
    return in_features * out_features + (out_features if bias else 0)


def describe_result(name: str) -> dict[str, object]:
    """Run shape operation ``name`` on ``x = torch.arange(24).view(2, 3, 4)`` and
    describe the result: its shape, and whether it shares x's memory (a view) or
    is a new tensor (a copy). Introduced in 04_tensors_and_gpu."""
    x = torch.arange(24).view(2, 3, 4)
    result = apply_shape_op(name, x)
    shares = result.untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
    return {
        "result": result,
        "shape": list(result.shape),
        "shares_memory": bool(shares),
        "contiguous": result.is_contiguous(),
    }
