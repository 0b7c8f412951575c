"""What each part of the decoder buys, measured: the ablation ladder and the
count-based baselines of 13_train_a_tiny_llm.

Introduced in 13_train_a_tiny_llm. The ladder climbs from a bigram model to the
full decoder one part at a time::

    bigram                 embedding → output head (the next character from the
                           current one only)
    + attention (1 head)   embedding → one causal attention head (RoPE) → head
    + multi-head           the same attention split into n_head heads
    + MLP                  … → SwiGLU MLP → head
    + residual & RMSNorm   the full pre-norm block: x + Attn(RMSNorm(x)),
                           x + MLP(RMSNorm(x)), final RMSNorm (a 1-layer Decoder)
    + depth                n_layer such blocks (the Decoder of the main run)

The lower rungs are assembled from ``helpers.transformer``'s parts
(``MultiHeadAttention``, ``SwiGLU``) without residuals or norms; the top two are
``helpers.transformer.Decoder`` itself. Every rung is trained by
``helpers.train.train`` with the same settings, the same number of steps, the same
initial random state and the same batches, and scored by the same validation
estimate. ``ngram_baselines`` gives the losses of counting models (uniform,
unigram, bigram) on the same split: the numbers a trained model must beat.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass

import torch
import torch.nn as nn

from helpers.positions import rope_cache
from helpers.runtime import fast_mode, set_seed
from helpers.train import TrainConfig, train
from helpers.transformer import Decoder, DecoderConfig, MultiHeadAttention, SwiGLU
from helpers.validate import check_int, check_number

__all__ = [
    "FAST_LADDER_STEPS",
    "LADDER_STEPS",
    "RUNGS",
    "LadderModel",
    "Rung",
    "build_rung",
    "ladder_table",
    "ngram_baselines",
    "run_ladder",
    "unique_parameters",
]

#: The rungs, bottom to top.
RUNGS = (
    "bigram",
    "+ attention (1 head)",
    "+ multi-head",
    "+ MLP",
    "+ residual & RMSNorm",
    "+ depth",
)
#: Training steps per rung (``run_ladder`` default), and in fast mode (CI).
LADDER_STEPS = 100
FAST_LADDER_STEPS = 20


def unique_parameters(model: nn.Module) -> int:
    """Number of trainable numbers in ``model``, a tied (shared) matrix counted
    once. Introduced in 13_train_a_tiny_llm."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return sum(p.numel() for p in model.parameters())  # parameters() deduplicates


class LadderModel(nn.Module):
    """A lower rung of the ladder: token embedding → [causal attention] → [SwiGLU
    MLP] → output head, each part feeding the next directly (no residual
    connection, no normalisation). ``n_head=0`` leaves attention out (the bigram
    rung). The output head shares the embedding table when
    ``config.tie_embeddings``. Introduced in 13_train_a_tiny_llm.
    """

    def __init__(self, config: DecoderConfig, *, n_head: int, mlp: bool):
        super().__init__()
        if not isinstance(config, DecoderConfig):
            raise TypeError(f"config must be a DecoderConfig, got {type(config)}")
        n_head = check_int(n_head, "n_head", low=0)
        if not isinstance(mlp, bool):
            raise TypeError("mlp must be True or False")
        self.config = config
        self.token_embedding = nn.Embedding(config.vocab_size, config.d_model)
        self.attention = None
        if n_head:
            self.attention = MultiHeadAttention(config.d_model, n_head)
            head_dim = config.d_model // n_head
            cos, sin = rope_cache(head_dim, config.context_length, config.rope_base)
            self.register_buffer("rope_cos", cos, persistent=False)
            self.register_buffer("rope_sin", sin, persistent=False)
        self.mlp = SwiGLU(config.d_model, config.d_ff) if mlp else None
        self.lm_head = nn.Linear(config.d_model, config.vocab_size, bias=False)
        if config.tie_embeddings:
            self.lm_head.weight = self.token_embedding.weight
        for module in self.modules():  # the Decoder's initialisation
            if isinstance(module, nn.Linear | nn.Embedding):
                nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        """idx: (B, T) token IDs -> logits (B, T, V)."""
        if not isinstance(idx, torch.Tensor) or idx.ndim != 2:
            raise TypeError("idx must be a LongTensor of token IDs with shape (B, T)")
        T = idx.shape[1]
        if not 1 <= T <= self.config.context_length:
            raise ValueError(
                f"sequence length {T} must be in [1, {self.config.context_length}]"
            )
        x = self.token_embedding(idx)  # (B, T, d_model)
        if self.attention is not None:
            rope = (self.rope_cos[:T], self.rope_sin[:T])  # (T, head_dim / 2) each
            x = self.attention(x, rope=rope)  # (B, T, d_model), causal
        if self.mlp is not None:
            x = self.mlp(x)  # (B, T, d_model)
        return self.lm_head(x)  # (B, T, V)


def build_rung(name: str, config: DecoderConfig) -> nn.Module:
    """The model of rung ``name`` (one of ``RUNGS``) at the shape ``config`` (the
    top rung is ``Decoder(config)``). Introduced in 13_train_a_tiny_llm."""
    if name not in RUNGS:
        raise ValueError(f"rung must be one of {RUNGS}, got {name!r}")
    if not isinstance(config, DecoderConfig):
        raise TypeError(f"config must be a DecoderConfig, got {type(config)}")
    if name == "bigram":
        return LadderModel(config, n_head=0, mlp=False)
    if name == "+ attention (1 head)":
        return LadderModel(config, n_head=1, mlp=False)
    if name == "+ multi-head":
        return LadderModel(config, n_head=config.n_head, mlp=False)
    if name == "+ MLP":
        return LadderModel(config, n_head=config.n_head, mlp=True)
    if name == "+ residual & RMSNorm":
        return Decoder(dataclasses.replace(config, n_layer=1))
    return Decoder(config)


@dataclass
class Rung:
    """One trained rung of the ladder."""

    name: str  # one of RUNGS
    steps: int  # optimiser steps it was trained
    parameters: int  # trainable numbers (a tied matrix once)
    train_loss: float  # estimate on training batches after the last step
    val_loss: float  # estimate on validation batches after the last step
    seconds: float  # training time of this rung
    tokens_per_s: float  # its training throughput


def run_ladder(
    batches,
    config: TrainConfig,
    vocab_size: int,
    *,
    steps: int | None = None,
    rungs: tuple[str, ...] = RUNGS,
    progress: bool = False,
) -> list[Rung]:
    """Train every rung of ``rungs`` for ``steps`` steps (default
    ``LADDER_STEPS``, ``FAST_LADDER_STEPS`` in fast mode) with the settings of
    ``config`` (warmup shortened to a tenth of the steps, one validation at the
    end, no early stopping) and return their losses and sizes, bottom to top.
    Each rung starts from the same random state (``config.seed``) and sees the
    same batches. Introduced in 13_train_a_tiny_llm."""
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}")
    if not callable(batches):
        raise TypeError("batches must be callable: batches(split, generator) -> x, y")
    vocab_size = check_int(vocab_size, "vocab_size", low=2)
    if steps is None:
        steps = FAST_LADDER_STEPS if fast_mode() else LADDER_STEPS
    steps = check_int(steps, "steps", low=1)
    unknown = [r for r in rungs if r not in RUNGS]
    if unknown or not rungs:
        raise ValueError(f"rungs must be a non-empty subset of {RUNGS}: {unknown}")
    run_config = config.replace(
        steps=steps,
        warmup_steps=steps // 10,
        eval_interval=steps,
        patience=None,
        max_seconds=None,
    )
    shape = run_config.model_config(vocab_size)
    out = []
    for name in rungs:
        set_seed(run_config.seed)  # the same initial random state for every rung
        model = build_rung(name, shape)
        start = time.perf_counter()
        result = train(model, batches, run_config, progress=progress)
        out.append(
            Rung(
                name=name,
                steps=result.steps,
                parameters=unique_parameters(model),
                train_loss=result.train_loss,
                val_loss=result.val_loss,
                seconds=time.perf_counter() - start,
                tokens_per_s=result.tokens_per_s,
            )
        )
    return out


def ladder_table(rungs: list[Rung], baselines: dict[str, float] | None = None) -> str:
    """The ladder as a fixed-width text table (English labels): rung, parameters,
    train and val loss, and the change of val loss from the rung below; then the
    count-based ``baselines`` if given. Introduced in 13_train_a_tiny_llm."""
    if not rungs or not all(isinstance(r, Rung) for r in rungs):
        raise TypeError("rungs must be a non-empty list of Rung (from run_ladder)")
    lines = [f"{'rung':<22}{'params':>11}{'train':>8}{'val':>8}{'Δ val':>8}"]
    previous = None
    for r in rungs:
        delta = "" if previous is None else f"{r.val_loss - previous:+.3f}"
        lines.append(
            f"{r.name:<22}{r.parameters:>11,}{r.train_loss:>8.3f}"
            f"{r.val_loss:>8.3f}{delta:>8}"
        )
        previous = r.val_loss
    for name, value in (baselines or {}).items():
        lines.append(f"{'(count) ' + name:<22}{'':>11}{'':>8}{value:>8.3f}")
    return "\n".join(lines)


def ngram_baselines(
    train_ids: torch.Tensor,
    val_ids: torch.Tensor,
    vocab_size: int,
    *,
    prior: float = 300.0,
) -> dict[str, float]:
    """Validation cross-entropy (natural log, nats per token) of three models that
    only count, fitted on ``train_ids`` and scored on every token of ``val_ids``:

    * ``uniform``: every token 1/V, loss ln V (an untrained model's start);
    * ``unigram``: P(b) = (count(b) + 1) / (N + V), the next token's frequency;
    * ``bigram``: P(b | a) = (count(a, b) + prior · P(b)) / (count(a) + prior),
      the next token given the current one, smoothed towards the unigram so that
      a pair never seen in training keeps a small probability (``prior`` = 300
      scored best of 30, 100, 300, 1000 on a held-out tenth of the poems'
      training split).

    Introduced in 13_train_a_tiny_llm.
    """
    vocab_size = check_int(vocab_size, "vocab_size", low=2)
    prior = check_number(prior, "prior", low=0, low_inclusive=False)
    for name, ids in (("train_ids", train_ids), ("val_ids", val_ids)):
        if not isinstance(ids, torch.Tensor) or ids.ndim != 1 or len(ids) < 2:
            raise TypeError(f"{name} must be a 1-D tensor of at least 2 token IDs")
        if int(ids.min()) < 0 or int(ids.max()) >= vocab_size:
            raise ValueError(f"{name} holds IDs outside [0, {vocab_size})")
    train_ids, val_ids = train_ids.long(), val_ids.long()
    counts = torch.bincount(train_ids, minlength=vocab_size).double()  # (V,)
    unigram = (counts + 1) / (counts.sum() + vocab_size)  # (V,), add-one smoothing
    # Pairs (a, b) coded as a·V + b; count each distinct training pair once.
    codes, pair_counts = torch.unique(
        train_ids[:-1] * vocab_size + train_ids[1:], return_counts=True
    )
    previous = torch.bincount(train_ids[:-1], minlength=vocab_size).double()  # (V,)
    a, b = val_ids[:-1], val_ids[1:]
    wanted = a * vocab_size + b  # (N_val - 1,)
    where = torch.searchsorted(codes, wanted).clamp(max=len(codes) - 1)
    seen = codes[where] == wanted
    pair = torch.where(seen, pair_counts[where].double(), torch.zeros(()).double())
    bigram = (pair + prior * unigram[b]) / (previous[a] + prior)
    return {
        "uniform": math.log(vocab_size),
        "unigram": float(-unigram[b].log().mean()),
        "bigram": float(-bigram.log().mean()),
    }
