"""Tests of helpers.checkpoint: round trip, tampering and mismatches."""

import json

import pytest
import torch

from helpers.checkpoint import load_checkpoint, save_checkpoint
from helpers.data.char_tokenizer import CharTokenizer
from helpers.transformer import Decoder, DecoderConfig

TEXT = "hello world, hello model"


def _model(tie=False, seed=0):
    tokenizer = CharTokenizer.from_text(TEXT)
    torch.manual_seed(seed)
    config = DecoderConfig(
        vocab_size=tokenizer.vocab_size,
        context_length=16,
        n_layer=2,
        n_head=2,
        d_model=16,
        d_ff=32,
        tie_embeddings=tie,
    )
    return Decoder(config).eval(), tokenizer


@pytest.mark.parametrize("tie", [False, True])
def test_round_trip_reproduces_logits(tmp_path, tie):
    model, tokenizer = _model(tie)
    save_checkpoint(tmp_path / "ckpt", model, tokenizer, metadata={"steps": 3})
    loaded = load_checkpoint(tmp_path / "ckpt")
    idx = torch.tensor([tokenizer.encode("hello")])
    with torch.no_grad():
        torch.testing.assert_close(loaded.model(idx), model(idx), rtol=0, atol=0)
    assert loaded.tokenizer == tokenizer
    assert loaded.metadata == {"steps": 3}
    assert loaded.model.config == model.config
    if tie:
        assert loaded.model.lm_head.weight is loaded.model.token_embedding.weight


def test_tampered_weights_are_refused(tmp_path):
    model, tokenizer = _model()
    folder = save_checkpoint(tmp_path / "ckpt", model, tokenizer)
    weights = folder / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-5] ^= 0xFF  # flip bits inside a tensor
    weights.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="SHA-256"):
        load_checkpoint(folder)


def test_swapped_weights_are_refused(tmp_path):
    (a, tokenizer), (b, _) = _model(seed=0), _model(seed=1)
    save_checkpoint(tmp_path / "a", a, tokenizer)
    save_checkpoint(tmp_path / "b", b, tokenizer)
    (tmp_path / "a" / "model.safetensors").write_bytes(
        (tmp_path / "b" / "model.safetensors").read_bytes()
    )
    with pytest.raises(ValueError, match="modified or belong to another"):
        load_checkpoint(tmp_path / "a")


def test_config_that_does_not_fit_the_weights_is_refused(tmp_path):
    model, tokenizer = _model()
    folder = save_checkpoint(tmp_path / "ckpt", model, tokenizer)
    info = json.loads((folder / "checkpoint.json").read_text())
    info["decoder_config"]["d_ff"] = 48
    (folder / "checkpoint.json").write_text(json.dumps(info))
    with pytest.raises(ValueError, match="do not match the config"):
        load_checkpoint(folder)


def test_tokenizer_that_does_not_fit_is_refused(tmp_path):
    model, tokenizer = _model()
    folder = save_checkpoint(tmp_path / "ckpt", model, tokenizer)
    info = json.loads((folder / "checkpoint.json").read_text())
    info["tokenizer"]["chars"] += "Z"
    (folder / "checkpoint.json").write_text(json.dumps(info))
    with pytest.raises(ValueError, match="vocab_size"):
        load_checkpoint(folder)
    with pytest.raises(ValueError, match="vocab_size"):
        save_checkpoint(tmp_path / "x", model, CharTokenizer.from_text("ab"))


def test_missing_or_malformed_files(tmp_path):
    with pytest.raises(ValueError, match="missing"):
        load_checkpoint(tmp_path)
    model, tokenizer = _model()
    folder = save_checkpoint(tmp_path / "ckpt", model, tokenizer)
    (folder / "checkpoint.json").write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_checkpoint(folder)
    (folder / "checkpoint.json").write_text(json.dumps({"format": "pickle"}))
    with pytest.raises(ValueError, match="not a llm-course-checkpoint"):
        load_checkpoint(folder)


def test_bad_arguments(tmp_path):
    model, tokenizer = _model()
    with pytest.raises(TypeError, match="Decoder"):
        save_checkpoint(tmp_path, torch.nn.Linear(2, 2), tokenizer)
    with pytest.raises(TypeError, match="CharTokenizer"):
        save_checkpoint(tmp_path, model, {"chars": "ab"})
    with pytest.raises(TypeError, match="JSON"):
        save_checkpoint(tmp_path, model, tokenizer, metadata={"x": object()})
    with pytest.raises(TypeError, match="folder"):
        load_checkpoint(3)
