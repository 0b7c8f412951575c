"""Save and load a trained decoder safely: tensors in safetensors, the rest JSON.

Introduced in 13_train_a_tiny_llm. A checkpoint is a folder with two files:

* ``model.safetensors``: the weights (safetensors stores raw tensors only, so
  loading can never run code, unlike unpickling a ``torch.save`` file);
* ``checkpoint.json``: the format tag, the ``DecoderConfig``, the tokenizer
  (``CharTokenizer.to_dict()``), free-form metadata, and the SHA-256 of the
  weights file, so a modified or swapped weights file is refused.

Every inconsistency (missing file, wrong format, changed bytes, a tensor that
does not fit the config) raises ``ValueError`` saying what is wrong.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from helpers.data.char_tokenizer import CharTokenizer
from helpers.transformer import Decoder, DecoderConfig

__all__ = ["FORMAT", "Checkpoint", "load_checkpoint", "save_checkpoint"]

#: Format tag written into checkpoint.json.
FORMAT = "llm-course-checkpoint-v1"
WEIGHTS_FILE = "model.safetensors"
META_FILE = "checkpoint.json"


@dataclass
class Checkpoint:
    """What ``load_checkpoint`` returns."""

    model: Decoder  # the decoder with the saved weights, in eval mode
    tokenizer: CharTokenizer  # the tokenizer it was trained with
    metadata: dict  # free-form JSON data given to save_checkpoint


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _check_folder(folder) -> Path:
    if not isinstance(folder, str | os.PathLike):
        raise TypeError(f"folder must be a str or Path, got {type(folder).__name__}")
    return Path(folder)


def save_checkpoint(
    folder: str | os.PathLike,
    model: Decoder,
    tokenizer: CharTokenizer,
    *,
    metadata: dict | None = None,
) -> Path:
    """Write ``model``, its config and ``tokenizer`` into ``folder`` (created if
    needed); returns the folder. ``metadata`` must be JSON-serialisable."""
    folder = _check_folder(folder)
    if not isinstance(model, Decoder):
        raise TypeError(f"model must be a Decoder, got {type(model).__name__}")
    if not isinstance(tokenizer, CharTokenizer):
        raise TypeError(
            f"tokenizer must be a CharTokenizer, got {type(tokenizer).__name__}"
        )
    if tokenizer.vocab_size != model.config.vocab_size:
        raise ValueError(
            f"tokenizer has {tokenizer.vocab_size} characters but the model's "
            f"vocab_size is {model.config.vocab_size}"
        )
    metadata = dict(metadata or {})
    try:
        json.dumps(metadata)
    except TypeError as exc:
        raise TypeError(f"metadata must be JSON-serialisable: {exc}") from None
    state = {
        name: tensor.detach().to("cpu", torch.float32).contiguous()
        for name, tensor in model.state_dict().items()
    }
    if model.config.tie_embeddings:
        del state["lm_head.weight"]  # the same tensor as token_embedding.weight
    folder.mkdir(parents=True, exist_ok=True)
    save_file(state, str(folder / WEIGHTS_FILE))
    info = {
        "format": FORMAT,
        "decoder_config": dataclasses.asdict(model.config),
        "tokenizer": tokenizer.to_dict(),
        "metadata": metadata,
        "weights_sha256": _sha256(folder / WEIGHTS_FILE),
    }
    (folder / META_FILE).write_text(json.dumps(info, indent=2), encoding="utf-8")
    return folder


def load_checkpoint(
    folder: str | os.PathLike, *, device: torch.device | str = "cpu"
) -> Checkpoint:
    """Rebuild the model and tokenizer saved by ``save_checkpoint``."""
    folder = _check_folder(folder)
    meta_path, weights_path = folder / META_FILE, folder / WEIGHTS_FILE
    for path in (meta_path, weights_path):
        if not path.is_file():
            raise ValueError(f"not a checkpoint: {path} is missing")
    try:
        info = json.loads(meta_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{meta_path} is not valid JSON: {exc}") from None
    if not isinstance(info, dict) or info.get("format") != FORMAT:
        raise ValueError(f"{meta_path} is not a {FORMAT} file")
    if _sha256(weights_path) != info.get("weights_sha256"):
        raise ValueError(
            f"{weights_path} does not match the SHA-256 recorded in {META_FILE}: "
            "the weights were modified or belong to another checkpoint"
        )
    try:
        config = DecoderConfig(**info["decoder_config"])
        tokenizer = CharTokenizer.from_dict(info["tokenizer"])
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{meta_path} has a malformed config: {exc}") from None
    if tokenizer.vocab_size != config.vocab_size:
        raise ValueError(
            f"tokenizer has {tokenizer.vocab_size} characters but the config's "
            f"vocab_size is {config.vocab_size}"
        )
    try:
        state = load_file(str(weights_path))
    except SafetensorError as exc:
        raise ValueError(
            f"{weights_path} is not a valid safetensors file: {exc}"
        ) from None
    model = Decoder(config)
    expected = model.state_dict()
    if config.tie_embeddings and "token_embedding.weight" in state:
        state["lm_head.weight"] = state["token_embedding.weight"]
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    wrong = [
        f"{k}: saved {tuple(state[k].shape)}, config needs {tuple(expected[k].shape)}"
        for k in sorted(set(state) & set(expected))
        if state[k].shape != expected[k].shape
    ]
    if missing or unexpected or wrong:
        problems = [f"missing {missing}"] if missing else []
        problems += [f"unexpected {unexpected}"] if unexpected else []
        problems += wrong
        raise ValueError("weights do not match the config: " + "; ".join(problems))
    model.load_state_dict(state)
    model.to(device).eval()
    return Checkpoint(model, tokenizer, info.get("metadata", {}))
