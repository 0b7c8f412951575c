"""What one training run does: ``TrainConfig`` and the named presets.

Introduced in 13_train_a_tiny_llm. The model's shape is a ``DecoderConfig``
(``helpers.transformer``), held whole in ``TrainConfig.model``; this module adds
only the optimisation settings around it. The vocabulary size is known only once
the corpus is read, so ``config.model_config(vocab_size)`` returns the shape with
the tokenizer's vocabulary filled in.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import torch

from helpers.transformer import DecoderConfig
from helpers.validate import check_choice, check_int, check_number

__all__ = [
    "MODEL_FIELDS",
    "PRESETS",
    "TrainConfig",
    "default_preset",
    "epochs",
    "model_shape",
    "preset",
    "swiglu_width",
]

#: The vocabulary size a preset's model carries until the tokenizer replaces it.
PLACEHOLDER_VOCAB = 256
#: ``DecoderConfig`` fields that ``TrainConfig.replace`` forwards to ``model``.
MODEL_FIELDS = tuple(
    f.name for f in dataclasses.fields(DecoderConfig) if f.name != "vocab_size"
)


def swiglu_width(d_model: int) -> int:
    """The SwiGLU hidden width for ``d_model``: 8/3 · d_model rounded up to a
    multiple of 32 (LLaMA's rule). Introduced in 13_train_a_tiny_llm."""
    d_model = check_int(d_model, "d_model", low=1)
    return 32 * math.ceil(8 * d_model / 3 / 32)


def model_shape(
    *,
    n_layer: int = 4,
    n_head: int = 4,
    d_model: int = 128,
    context_length: int = 64,
    **rest,
) -> DecoderConfig:
    """A ``DecoderConfig`` for training, vocabulary still to be filled in by the
    tokenizer; ``d_ff`` defaults to ``swiglu_width(d_model)``. Introduced in
    13_train_a_tiny_llm."""
    rest.setdefault("d_ff", swiglu_width(d_model))
    return DecoderConfig(
        vocab_size=rest.pop("vocab_size", PLACEHOLDER_VOCAB),
        context_length=context_length,
        n_layer=n_layer,
        n_head=n_head,
        d_model=d_model,
        **rest,
    )


@dataclass
class TrainConfig:
    """The model's shape and the optimisation settings of one training run.

    Introduced in 13_train_a_tiny_llm.
    """

    model: DecoderConfig = field(default_factory=model_shape)  # shape (V from data)
    batch_size: int = 12  # sequences per step (B)
    steps: int = 2000  # optimiser steps planned (the schedule spans them all)
    lr: float = 1e-3  # peak learning rate, reached after warmup
    min_lr_ratio: float = 0.1  # final learning rate = min_lr_ratio · lr
    warmup_steps: int = 100  # linear warmup from 0 to lr
    weight_decay: float = 0.1  # AdamW decoupled weight decay on matrices
    beta1: float = 0.9  # AdamW first-moment decay
    beta2: float = 0.99  # AdamW second-moment decay (0.99 suits small runs)
    grad_clip: float = 1.0  # clip the global gradient norm to this (0 = off)
    eval_interval: int = 200  # validate every this many steps (and at the end)
    eval_batches: int = 10  # batches averaged per validation estimate
    seed: int = 0  # seeds the weights and the batch order
    compile: bool = False  # torch.compile the model (where runtime allows it)
    cpu_threads: int | None = None  # torch threads on CPU; None = torch's default
    # (every physical core; under torchrun, OMP_NUM_THREADS)
    max_seconds: float | None = None  # stop at the first validation after this
    # much training time; None = run all steps
    keep_best: bool = True  # end with the weights of the best validation loss
    patience: int | None = 5  # stop after this many validations without a new
    # best validation loss (early stopping); None = never stop early
    max_epochs: float = 20.0  # warn when the run would pass over the training
    # tokens more often than this (a sign of a preset too big for its corpus)

    def __post_init__(self):
        if not isinstance(self.model, DecoderConfig):
            raise TypeError(
                "TrainConfig.model must be a DecoderConfig, got "
                f"{type(self.model).__name__}"
            )
        for name in ("batch_size", "steps", "eval_interval", "eval_batches"):
            check_int(getattr(self, name), f"TrainConfig.{name}", low=1)
        check_int(self.warmup_steps, "TrainConfig.warmup_steps", low=0)
        if self.warmup_steps > self.steps:
            raise ValueError(
                f"warmup_steps ({self.warmup_steps}) must be <= steps ({self.steps})"
            )
        check_number(self.lr, "TrainConfig.lr", low=0, high=1, low_inclusive=False)
        check_number(self.min_lr_ratio, "TrainConfig.min_lr_ratio", low=0, high=1)
        check_number(self.weight_decay, "TrainConfig.weight_decay", low=0)
        for name in ("beta1", "beta2"):
            check_number(
                getattr(self, name),
                f"TrainConfig.{name}",
                low=0,
                high=1,
                high_inclusive=False,
            )
        check_number(self.grad_clip, "TrainConfig.grad_clip", low=0)
        check_int(self.seed, "TrainConfig.seed", low=0, high=2**32 - 1)
        for name in ("compile", "keep_best"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"TrainConfig.{name} must be True or False")
        if self.cpu_threads is not None:
            check_int(self.cpu_threads, "TrainConfig.cpu_threads", low=1)
        if self.max_seconds is not None:
            check_number(
                self.max_seconds, "TrainConfig.max_seconds", low=0, low_inclusive=False
            )
        if self.patience is not None:
            check_int(self.patience, "TrainConfig.patience", low=1)
        check_number(
            self.max_epochs, "TrainConfig.max_epochs", low=0, low_inclusive=False
        )

    @property
    def tokens_per_step(self) -> int:
        """B · T: training tokens in one optimiser step."""
        return self.batch_size * self.model.context_length

    def model_config(self, vocab_size: int) -> DecoderConfig:
        """The ``DecoderConfig`` of the model this run trains, for a tokenizer of
        ``vocab_size`` tokens."""
        vocab_size = check_int(vocab_size, "vocab_size", low=2)
        return dataclasses.replace(self.model, vocab_size=vocab_size)

    def replace(self, **changes) -> TrainConfig:
        """A copy with some fields changed (validated again); ``None`` values are
        ignored. Model-shape names (``n_layer``, ``d_model``, ``context_length``…)
        change ``model``; a new ``d_model`` without ``d_ff`` gets
        ``swiglu_width(d_model)``."""
        changes = {k: v for k, v in changes.items() if v is not None}
        own = {f.name for f in dataclasses.fields(self)}
        unknown = set(changes) - own - set(MODEL_FIELDS)
        if unknown:
            raise ValueError(f"unknown TrainConfig field(s): {sorted(unknown)}")
        shape = {k: changes.pop(k) for k in list(changes) if k in MODEL_FIELDS}
        if shape:
            if "d_model" in shape and "d_ff" not in shape:
                shape["d_ff"] = swiglu_width(shape["d_model"])
            model = changes.get("model", self.model)
            changes["model"] = dataclasses.replace(model, **shape)
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """Plain JSON-compatible data (stored in checkpoints)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        """Rebuild a config saved with ``to_dict`` (validated again)."""
        if not isinstance(data, dict) or not isinstance(data.get("model"), dict):
            raise ValueError("a saved TrainConfig must be a dict with a 'model' dict")
        own = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - own
        if unknown:
            raise ValueError(f"unknown TrainConfig field(s): {sorted(unknown)}")
        try:
            model = DecoderConfig(**data["model"])
            return cls(**{**data, "model": model})
        except TypeError as exc:
            raise ValueError(f"malformed saved TrainConfig: {exc}") from None


def epochs(config: TrainConfig, train_tokens: int) -> float:
    """How many times ``config`` passes over ``train_tokens`` training tokens:
    steps · B · T / tokens. Introduced in 13_train_a_tiny_llm."""
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}")
    train_tokens = check_int(train_tokens, "train_tokens", low=1)
    return config.steps * config.tokens_per_step / train_tokens


#: Presets, each sized for its corpus (epochs = steps · B · T / training tokens):
#: ``cpu`` is nanoGPT's CPU shape (4 layers, 4 heads, width 128, context 64, batch
#: 12): 1.5M tokens in 2,000 steps, about one epoch of the Tang poems;
#: ``poems`` is the CPU shape with a context of 80 (a 七律 is 64 characters and a
#: newline) and an output layer that shares the embedding table (a ~6,650-character
#: vocabulary makes a separate head the largest matrix of the model);
#: ``gpu`` is about 10M parameters (6 layers, 6 heads, width 384, context 256):
#: 1,500 steps of 16,384 tokens, about 16 epochs of the poems, with dropout and early
#: stopping; ``addition`` is the digit-addition task of 13_train_a_tiny_llm (set
#: its context from the task: ``.replace(context_length=task.context_length)``).
PRESETS: dict[str, TrainConfig] = {
    "cpu": TrainConfig(),
    "poems": TrainConfig(
        model=model_shape(context_length=80, tie_embeddings=True),
        steps=2000,
    ),
    "gpu": TrainConfig(
        model=model_shape(
            n_layer=6, n_head=6, d_model=384, context_length=256, dropout=0.1
        ),
        batch_size=64,
        steps=1500,
        lr=1e-3,
        warmup_steps=100,
        eval_interval=100,
        eval_batches=20,
        compile=True,
    ),
    "addition": TrainConfig(
        model=model_shape(n_layer=2, n_head=4, d_model=128),
        batch_size=64,
        steps=1000,
        lr=3e-3,
        warmup_steps=50,
        weight_decay=0.0,
        eval_interval=250,
        eval_batches=2,
        max_epochs=1000.0,  # the task draws fresh problem mixes from a fixed set
    ),
}


def preset(name: str) -> TrainConfig:
    """A fresh copy of preset ``name`` ("cpu", "poems", "gpu" or "addition").

    Introduced in 13_train_a_tiny_llm.
    """
    check_choice(name, "preset", PRESETS)
    return dataclasses.replace(PRESETS[name])


def default_preset(device: torch.device | str) -> str:
    """The preset for ``device``: "gpu" on CUDA, else "cpu" (MPS too).

    Introduced in 13_train_a_tiny_llm.
    """
    return "gpu" if torch.device(device).type == "cuda" else "cpu"
