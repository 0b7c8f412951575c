"""Tensors, shapes and matrix multiplication: the LLM shape table, FLOP counting,
matmul timing, parameter and memory counting.

Introduced in 04_tensors_and_gpu (the timing function is also used by the
environment check of 00_course_map).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from helpers.validate import check_choice, check_int, check_number

__all__ = [
    "BYTES_PER_PARAM",
    "SHAPE_OPS",
    "MatmulTiming",
    "ShapeConfig",
    "apply_shape_op",
    "build_llm_tensors",
    "gflops",
    "linear_param_count",
    "llm_tensor_shapes",
    "matmul_flops",
    "matmul_loops",
    "model_memory_bytes",
    "model_memory_gb",
    "split_heads",
    "time_matmul",
]


# --- the LLM shape table ------------------------------------------------------


@dataclass(frozen=True)
class ShapeConfig:
    """Sizes that fix the shapes of an LLM's main tensors. Introduced in 04."""

    batch_size: int = 2  # B: sequences processed together
    seq_len: int = 8  # T: tokens per sequence
    d_model: int = 32  # H: width of every token vector (hidden_dim)
    n_head: int = 4  # attention heads; d_model must be divisible by it
    n_layer: int = 2  # decoder blocks (each keeps its own K and V cache)
    vocab_size: int = 100  # V: number of distinct tokens

    def __post_init__(self) -> None:
        for name in ("batch_size", "seq_len", "d_model", "n_head", "n_layer"):
            check_int(getattr(self, name), name, low=1)
        check_int(self.vocab_size, "vocab_size", low=2)
        if self.d_model % self.n_head != 0:
            raise ValueError(
                f"d_model ({self.d_model}) must be divisible by n_head "
                f"({self.n_head}) so that every head gets the same head_dim"
            )

    @property
    def head_dim(self) -> int:
        """Width of one attention head: d_model / n_head."""
        return self.d_model // self.n_head


def llm_tensor_shapes(config: ShapeConfig) -> dict[str, tuple[int, ...]]:
    """The shape of each tensor in the LLM shape table (000 §3.3).

    Introduced in 04_tensors_and_gpu.
    """
    if not isinstance(config, ShapeConfig):
        raise TypeError(f"config must be a ShapeConfig, got {type(config).__name__}")
    c = config
    return {
        "token_ids": (c.batch_size, c.seq_len),
        "embeddings": (c.batch_size, c.seq_len, c.d_model),
        "attention_weights": (c.batch_size, c.n_head, c.seq_len, c.seq_len),
        "kv_cache": (c.n_layer, 2, c.batch_size, c.n_head, c.seq_len, c.head_dim),
        "logits": (c.batch_size, c.seq_len, c.vocab_size),
    }


def split_heads(x: torch.Tensor, n_head: int) -> torch.Tensor:
    """Reshape ``(B, T, d_model)`` into ``(B, n_head, T, head_dim)``.

    Introduced in 04_tensors_and_gpu (used again in 11_self_attention).
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    if x.dim() != 3:
        raise ValueError(f"x must have shape (B, T, d_model), got {tuple(x.shape)}")
    n_head = check_int(n_head, "n_head", low=1)
    batch, seq_len, d_model = x.shape
    if d_model % n_head != 0:
        raise ValueError(f"d_model ({d_model}) must be divisible by n_head ({n_head})")
    head_dim = d_model // n_head
    x = x.view(batch, seq_len, n_head, head_dim)  # (B, T, n_head, head_dim)
    return x.transpose(1, 2)  # (B, n_head, T, head_dim)


def build_llm_tensors(config: ShapeConfig, seed: int = 0) -> dict[str, torch.Tensor]:
    """Build every tensor of the shape table for real, with random weights.

    Token IDs → embedding lookup → per-head queries and keys → causal attention
    weights; every layer's keys and values stacked into a KV cache; logits from an
    output head. Introduced in 04_tensors_and_gpu.
    """
    if not isinstance(config, ShapeConfig):
        raise TypeError(f"config must be a ShapeConfig, got {type(config).__name__}")
    seed = check_int(seed, "seed", low=0)
    c = config
    gen = torch.Generator().manual_seed(seed)
    token_ids = torch.randint(0, c.vocab_size, (c.batch_size, c.seq_len), generator=gen)
    embedding_table = torch.randn(c.vocab_size, c.d_model, generator=gen)
    embeddings = embedding_table[token_ids]  # (B, T, d_model)
    scale = 1 / math.sqrt(c.d_model)
    causal = torch.ones(c.seq_len, c.seq_len, dtype=torch.bool).tril()
    kv_per_layer = []
    for _ in range(c.n_layer):
        w_q, w_k, w_v = (
            torch.randn(c.d_model, c.d_model, generator=gen) * scale for _ in range(3)
        )
        q = split_heads(embeddings @ w_q, c.n_head)  # (B, n_head, T, head_dim)
        k = split_heads(embeddings @ w_k, c.n_head)  # (B, n_head, T, head_dim)
        v = split_heads(embeddings @ w_v, c.n_head)  # (B, n_head, T, head_dim)
        kv_per_layer.append(torch.stack([k, v]))  # (2, B, n_head, T, head_dim)
    scores = q @ k.transpose(-2, -1) / math.sqrt(c.head_dim)  # (B, n_head, T, T)
    scores = scores.masked_fill(~causal, float("-inf"))
    attention_weights = torch.softmax(scores, dim=-1)  # (B, n_head, T, T)
    kv_cache = torch.stack(kv_per_layer)  # (n_layer, 2, B, n_head, T, head_dim)
    w_out = torch.randn(c.vocab_size, c.d_model, generator=gen) * scale
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


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def time_matmul(
    m: int,
    k: int | None = None,
    n: int | None = None,
    *,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
    repeats: int = 3,
    warmup: int = 1,
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
        check_int(value, name, low=1, high=16384)
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
    a = torch.randn(m, k, device=device, dtype=dtype)
    b = torch.randn(k, n, device=device, dtype=dtype)
    for _ in range(warmup):
        a @ b
    times = []
    for _ in range(repeats):
        _synchronize(device)
        start = time.perf_counter()
        a @ b
        _synchronize(device)
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


#: Bytes that one parameter takes in each storage format.
BYTES_PER_PARAM: dict[str, float] = {
    "fp32": 4,
    "fp16": 2,
    "bf16": 2,
    "int8": 1,
    "int4": 0.5,
}

_UNITS = {"B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "GiB": 2**30, "MiB": 2**20}


def model_memory_bytes(n_params: int | float, dtype: str = "fp16") -> float:
    """Bytes needed to store ``n_params`` weights in ``dtype`` (weights only).

    Introduced in 04_tensors_and_gpu.
    """
    n_params = check_number(n_params, "n_params", low=0)
    check_choice(dtype, "dtype", BYTES_PER_PARAM)
    return n_params * BYTES_PER_PARAM[dtype]


def model_memory_gb(
    n_params: int | float, dtype: str = "fp16", unit: str = "GB"
) -> float:
    """Weights memory in GB (10^9 bytes, as the seeds use) or another unit.

    ``unit`` may be "B", "KB", "MB", "GB", "MiB" or "GiB" (2^30 bytes, what
    ``nvidia-smi`` and most operating systems call "GB"). Introduced in
    04_tensors_and_gpu.
    """
    check_choice(unit, "unit", _UNITS)
    return model_memory_bytes(n_params, dtype) / _UNITS[unit]
