"""Tests of helpers.checkpoint: round trip, tampering and mismatches."""

import json

import pytest
import torch
from safetensors.torch import load_file, save_file

from helpers import checkpoint
from helpers.checkpoint import _digest, load_checkpoint, save_checkpoint
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


def _edit_json(folder, change, *, redigest=True):
    """Change checkpoint.json; with ``redigest`` also recompute its digest, as a
    forger who read this module would (so the later checks are exercised)."""
    info = json.loads((folder / "checkpoint.json").read_text())
    change(info)
    if redigest:
        info["digest"] = _digest(info, folder / "model.safetensors", None)
    (folder / "checkpoint.json").write_text(json.dumps(info))


def _no_tensor_reads(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("tensors were read before the checks")

    monkeypatch.setattr(checkpoint, "load_file", refuse)
    monkeypatch.setattr(checkpoint, "Decoder", _meta_only_decoder)


def _meta_only_decoder(config):
    if torch.empty(0).device.type != "meta":
        raise AssertionError("a real model was built before the checks")
    return Decoder(config)


def test_edited_json_is_refused_by_the_digest_before_allocating(tmp_path, monkeypatch):
    model, tokenizer = _model()
    folder = save_checkpoint(tmp_path / "ckpt", model, tokenizer)

    def huge(info):
        info["decoder_config"].update(d_model=4096, n_layer=2, d_ff=11008)

    _edit_json(folder, huge, redigest=False)
    _no_tensor_reads(monkeypatch)
    with pytest.raises(ValueError, match="SHA-256 digest"):
        load_checkpoint(folder)


def test_config_that_does_not_fit_the_weights_is_refused(tmp_path, monkeypatch):
    model, tokenizer = _model()
    folder = save_checkpoint(tmp_path / "ckpt", model, tokenizer)
    _edit_json(folder, lambda info: info["decoder_config"].update(d_ff=4096))
    _no_tensor_reads(monkeypatch)
    with pytest.raises(ValueError, match=r"do not match the config.*\(32, 16\)"):
        load_checkpoint(folder)


def test_tie_flag_that_disagrees_with_the_tensors_is_refused(tmp_path, monkeypatch):
    for tie in (False, True):
        model, tokenizer = _model(tie)
        folder = save_checkpoint(tmp_path / f"ckpt{tie}", model, tokenizer)
        _edit_json(
            folder,
            lambda info, tie=tie: info["decoder_config"].update(tie_embeddings=not tie),
        )
        with monkeypatch.context() as patch:
            _no_tensor_reads(patch)
            with pytest.raises(ValueError, match="tie_embeddings is .* disagrees"):
                load_checkpoint(folder)


def test_nan_and_non_float_weights_are_refused(tmp_path):
    model, tokenizer = _model()
    with torch.no_grad():
        model.final_norm.weight[0] = float("nan")
    folder = save_checkpoint(tmp_path / "nan", model, tokenizer)
    with pytest.raises(ValueError, match="NaN or inf.*final_norm.weight"):
        load_checkpoint(folder)
    model, tokenizer = _model()
    folder = save_checkpoint(tmp_path / "int", model, tokenizer)
    state = load_file(str(folder / "model.safetensors"))
    state["final_norm.weight"] = state["final_norm.weight"].long()
    save_file(state, str(folder / "model.safetensors"))
    _edit_json(folder, lambda info: None)
    with pytest.raises(ValueError, match="final_norm.weight: dtype I64 is not a float"):
        load_checkpoint(folder)


def test_malformed_json_shapes_are_clear_errors(tmp_path):
    model, tokenizer = _model()
    folder = save_checkpoint(tmp_path / "ckpt", model, tokenizer)
    meta = folder / "checkpoint.json"
    meta.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ValueError, match="nested too deeply|not a llm-course"):
        load_checkpoint(folder)
    meta.write_text("[1, 2]")
    with pytest.raises(ValueError, match="JSON object"):
        load_checkpoint(folder)
    meta.write_text(json.dumps({"format": checkpoint.FORMAT, "decoder_config": [1]}))
    with pytest.raises(ValueError, match="'decoder_config' must be a dict"):
        load_checkpoint(folder)


def test_cuda_on_a_cpu_only_machine_is_a_clear_error(tmp_path, monkeypatch):
    model, tokenizer = _model()
    folder = save_checkpoint(tmp_path / "ckpt", model, tokenizer)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="no CUDA GPU"):
        load_checkpoint(folder, device="cuda")


def test_an_interrupted_save_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    (first, tokenizer), (second, _) = _model(seed=0), _model(seed=1)
    folder = save_checkpoint(tmp_path / "ckpt", first, tokenizer, metadata={"v": 1})

    def interrupted(*args, **kwargs):  # weights written, JSON not yet
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(checkpoint, "_digest", interrupted)
        with pytest.raises(KeyboardInterrupt):
            save_checkpoint(folder, second, tokenizer, metadata={"v": 2})
    loaded = load_checkpoint(folder)
    assert loaded.metadata == {"v": 1}
    assert torch.equal(loaded.model.lm_head.weight, first.lm_head.weight)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt"]  # no debris
    save_checkpoint(folder, second, tokenizer, metadata={"v": 2})
    assert load_checkpoint(folder).metadata == {"v": 2}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt"]


def test_training_state_is_saved_protected_and_loaded(tmp_path):
    model, tokenizer = _model()
    state = {"step": 3, "rng": torch.arange(4, dtype=torch.uint8), "losses": [1.0]}
    folder = save_checkpoint(tmp_path / "ckpt", model, tokenizer, train_state=state)
    loaded = load_checkpoint(folder, with_train_state=True).train_state
    assert loaded["step"] == 3 and torch.equal(loaded["rng"], state["rng"])
    assert load_checkpoint(folder).train_state is None
    data = bytearray((folder / "train_state.pt").read_bytes())
    data[-30] ^= 0xFF
    (folder / "train_state.pt").write_bytes(bytes(data))
    with pytest.raises(ValueError, match="digest"):
        load_checkpoint(folder, with_train_state=True)


def test_tokenizer_that_does_not_fit_is_refused(tmp_path):
    model, tokenizer = _model()
    folder = save_checkpoint(tmp_path / "ckpt", model, tokenizer)
    _edit_json(
        folder,
        lambda info: info["tokenizer"].update(chars=info["tokenizer"]["chars"] + "Z"),
    )
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
