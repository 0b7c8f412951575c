"""Save and load a trained decoder safely: tensors in safetensors, the rest JSON.

Introduced in 13_train_a_tiny_llm. A checkpoint is a folder with:

* ``model.safetensors``: the weights (safetensors stores raw tensors only, so
  loading can never run code, unlike unpickling a ``torch.save`` file);
* ``checkpoint.json``: the format tag, the ``DecoderConfig``, the tokenizer
  (``CharTokenizer.to_dict()``), free-form metadata, and one SHA-256 digest over
  the weights, the training state and all of this JSON, so any edit of any file
  is refused before anything else is read;
* ``train_state.pt`` (optional): what continues an interrupted run (optimizer
  moments, random states, history), tensors and plain data only, read with
  ``torch.load(weights_only=True)``.

Saving is atomic: the files are written and fsync'ed in a temporary folder beside
the target, which then replaces the old checkpoint by renames, so an interrupted
save leaves the previous checkpoint intact. Loading checks, before real memory is
used: the digest, the JSON's shape, every tensor's name, shape and dtype in the
safetensors header against the model built on the ``meta`` device, and the
``tie_embeddings`` flag against the stored tensors; then it refuses NaN/inf
weights. Every problem raises ``ValueError`` saying what is wrong.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from helpers.data.char_tokenizer import CharTokenizer
from helpers.runtime import resolve_device
from helpers.sizing import require_memory
from helpers.transformer import Decoder, DecoderConfig

__all__ = [
    "CHECKPOINT_FILES",
    "FORMAT",
    "Checkpoint",
    "check_checkpoint_folder",
    "load_checkpoint",
    "save_checkpoint",
]

#: Format tag written into checkpoint.json.
FORMAT = "llm-course-checkpoint-v2"
WEIGHTS_FILE = "model.safetensors"
META_FILE = "checkpoint.json"
STATE_FILE = "train_state.pt"
#: The files a checkpoint folder may hold (a save replaces the whole folder).
CHECKPOINT_FILES = (WEIGHTS_FILE, META_FILE, STATE_FILE)
_MAX_META_BYTES = 16 * 2**20  # checkpoint.json is a few KB; refuse absurd ones
_SAFETENSORS_FLOATS = {
    "F16": torch.float16,
    "BF16": torch.bfloat16,
    "F32": torch.float32,
    "F64": torch.float64,
}


@dataclass
class Checkpoint:
    """What ``load_checkpoint`` returns."""

    model: Decoder  # the decoder with the saved weights, in eval mode
    tokenizer: CharTokenizer  # the tokenizer it was trained with
    metadata: dict  # free-form JSON data given to save_checkpoint
    train_state: dict | None = None  # resumable state (with_train_state=True)


def _check_folder(folder) -> Path:
    if not isinstance(folder, str | os.PathLike):
        raise TypeError(f"folder must be a str or Path, got {type(folder).__name__}")
    return Path(folder)


def check_checkpoint_folder(folder: str | os.PathLike) -> Path:
    """``ValueError`` unless ``folder`` can receive a checkpoint: it is missing,
    or a folder holding nothing but checkpoint files (a save replaces the whole
    folder, so it must never hold anything else). Introduced in
    13_train_a_tiny_llm."""
    folder = _check_folder(folder)
    if folder.exists():
        if not folder.is_dir():
            raise ValueError(f"{folder} is an existing file, not a folder")
        others = sorted(
            p.name for p in folder.iterdir() if p.name not in CHECKPOINT_FILES
        )
        if others:
            raise ValueError(
                f"{folder} already holds other files ({', '.join(others[:5])}); a "
                "checkpoint replaces its whole folder: choose an empty or new folder"
            )
    return folder


def _digest(meta: dict, weights: Path, state: Path | None) -> str:
    """SHA-256 over the weights file, the state file and the canonical JSON."""
    digest = hashlib.sha256()
    for label, path in (("weights", weights), ("state", state)):
        digest.update(label.encode())
        if path is not None:
            with path.open("rb") as f:
                for chunk in iter(lambda: f.read(2**20), b""):
                    digest.update(chunk)
    protected = {
        k: meta[k] for k in ("format", "decoder_config", "tokenizer", "metadata")
    }
    digest.update(json.dumps(protected, sort_keys=True, separators=(",", ":")).encode())
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save_checkpoint(
    folder: str | os.PathLike,
    model: Decoder,
    tokenizer: CharTokenizer,
    *,
    metadata: dict | None = None,
    train_state: dict | None = None,
) -> Path:
    """Write ``model``, its config and ``tokenizer`` into ``folder`` atomically;
    returns the folder. ``metadata`` must be JSON-serialisable; ``train_state``
    (tensors, numbers, strings, lists and dicts only) is stored for resuming."""
    folder = check_checkpoint_folder(folder)
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
    if train_state is not None and not isinstance(train_state, dict):
        raise TypeError(f"train_state must be a dict, got {type(train_state).__name__}")
    metadata = dict(metadata or {})
    try:
        json.dumps(metadata)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"metadata must be JSON-serialisable: {exc}") from None
    state = {
        name: tensor.detach().to("cpu", torch.float32).contiguous()
        for name, tensor in model.state_dict().items()
    }
    if model.config.tie_embeddings:
        del state["lm_head.weight"]  # the same tensor as token_embedding.weight
    folder.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=f".{folder.name}.tmp-", dir=folder.parent))
    try:
        save_file(state, str(temporary / WEIGHTS_FILE))
        _fsync(temporary / WEIGHTS_FILE)
        state_path = None
        if train_state is not None:
            state_path = temporary / STATE_FILE
            torch.save(train_state, state_path)
            _fsync(state_path)
        info = {
            "format": FORMAT,
            "decoder_config": dataclasses.asdict(model.config),
            "tokenizer": tokenizer.to_dict(),
            "metadata": metadata,
        }
        info["digest"] = _digest(info, temporary / WEIGHTS_FILE, state_path)
        meta_path = temporary / META_FILE
        meta_path.write_text(json.dumps(info, indent=2), encoding="utf-8")
        _fsync(meta_path)
        _fsync(temporary)
        _swap_in(temporary, folder)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return folder


def _swap_in(new: Path, target: Path) -> None:
    """Replace ``target`` by the complete folder ``new`` (renames only)."""
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        os.rename(target, old / target.name)  # the old checkpoint, kept until...
        os.rename(new, target)  # ...the new one is in place
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(new, target)
    _fsync(target.parent)


def _read_meta(meta_path: Path) -> dict:
    if meta_path.stat().st_size > _MAX_META_BYTES:
        raise ValueError(f"{meta_path} is larger than {_MAX_META_BYTES} bytes")
    try:
        info = json.loads(meta_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{meta_path} is not valid JSON: {exc}") from None
    except RecursionError:
        raise ValueError(
            f"{meta_path} is nested too deeply to be a checkpoint"
        ) from None
    if not isinstance(info, dict) or info.get("format") != FORMAT:
        raise ValueError(f"{meta_path} is not a {FORMAT} file (a JSON object)")
    for key, kind in (
        ("decoder_config", dict),
        ("tokenizer", dict),
        ("metadata", dict),
        ("digest", str),
    ):
        if not isinstance(info.get(key), kind):
            raise ValueError(f"{meta_path}: '{key}' must be a {kind.__name__}")
    return info


def _header(weights_path: Path) -> dict[str, tuple[tuple[int, ...], str]]:
    """name → (shape, dtype tag) from the safetensors header (no tensor read)."""
    try:
        with safe_open(str(weights_path), framework="pt") as f:
            return {
                name: (
                    tuple(f.get_slice(name).get_shape()),
                    f.get_slice(name).get_dtype(),
                )
                for name in f.keys()
            }
    except (SafetensorError, OSError) as exc:
        raise ValueError(
            f"{weights_path} is not a valid safetensors file: {exc}"
        ) from None


def _check_against_config(config: DecoderConfig, header: dict) -> None:
    with torch.device("meta"):
        expected = {k: v for k, v in Decoder(config).state_dict().items()}
    if config.tie_embeddings:
        if "lm_head.weight" in header:
            raise ValueError(
                "tie_embeddings is True but the weights store a separate "
                "lm_head.weight: the flag disagrees with the tensors"
            )
        del expected["lm_head.weight"]
    elif "lm_head.weight" not in header and "token_embedding.weight" in header:
        raise ValueError(
            "tie_embeddings is False but the weights have no lm_head.weight "
            "(they were saved tied): the flag disagrees with the tensors"
        )
    problems = []
    missing = sorted(set(expected) - set(header))
    unexpected = sorted(set(header) - set(expected))
    problems += [f"missing {missing}"] if missing else []
    problems += [f"unexpected {unexpected}"] if unexpected else []
    for name in sorted(set(header) & set(expected)):
        shape, tag = header[name]
        if tag not in _SAFETENSORS_FLOATS:
            problems.append(f"{name}: dtype {tag} is not a float dtype")
        elif _SAFETENSORS_FLOATS[tag] != expected[name].dtype:
            problems.append(
                f"{name}: dtype {tag}, the model needs {expected[name].dtype}"
            )
        if shape != tuple(expected[name].shape):
            problems.append(
                f"{name}: saved {shape}, config needs {tuple(expected[name].shape)}"
            )
    if problems:
        raise ValueError("weights do not match the config: " + "; ".join(problems))


def load_checkpoint(
    folder: str | os.PathLike,
    *,
    device: torch.device | str = "cpu",
    with_train_state: bool = False,
) -> Checkpoint:
    """Rebuild the model and tokenizer saved by ``save_checkpoint`` (and its
    training state with ``with_train_state=True``), after verifying it."""
    folder = _check_folder(folder)
    device = resolve_device(device)
    meta_path, weights_path = folder / META_FILE, folder / WEIGHTS_FILE
    state_path = folder / STATE_FILE
    for path in (meta_path, weights_path):
        if not path.is_file():
            raise ValueError(f"not a checkpoint: {path} is missing")
    info = _read_meta(meta_path)
    digest = _digest(info, weights_path, state_path if state_path.is_file() else None)
    if digest != info["digest"]:
        raise ValueError(
            f"{folder} does not match the SHA-256 digest recorded in {META_FILE}: "
            "the weights, training state or JSON were modified or belong to "
            "another checkpoint"
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
    _check_against_config(config, _header(weights_path))
    require_memory(2 * weights_path.stat().st_size, "loading this checkpoint")
    state = load_file(str(weights_path))
    bad = sorted(name for name, t in state.items() if not torch.isfinite(t).all())
    if bad:
        raise ValueError(f"weights contain NaN or inf values: {bad}")
    model = Decoder(config)
    if config.tie_embeddings:
        state["lm_head.weight"] = state["token_embedding.weight"]
    model.load_state_dict(state)
    model.to(device).eval()
    train_state = None
    if with_train_state and state_path.is_file():
        try:
            train_state = torch.load(state_path, map_location="cpu", weights_only=True)
        except Exception as exc:  # noqa: BLE001 - any unpickling failure is a bad file
            raise ValueError(f"{state_path} is not a training state: {exc}") from None
    return Checkpoint(model, tokenizer, info["metadata"], train_state)
