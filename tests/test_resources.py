"""Tests of helpers.resources: the training-memory estimate and its refusal."""

import pytest
import torch

from helpers import resources, sizing
from helpers.resources import check_training_memory, training_bytes
from helpers.train import model_shape
from helpers.transformer import Decoder


def test_estimate_adds_weights_gradients_adam_and_activations():
    config = model_shape(vocab_size=100)
    parts = training_bytes(config, 12)
    n_params = sum(p.numel() for p in Decoder(config).parameters())
    assert parts["weights"] == parts["gradients"] == 4 * n_params
    assert parts["optimizer"] == 8 * n_params  # AdamW: two moments
    assert parts["total"] == sum(v for k, v in parts.items() if k != "total")
    bigger = training_bytes(config, 24)
    assert bigger["activations"] == 2 * parts["activations"]  # linear in B
    assert bigger["weights"] == parts["weights"]


def test_activations_are_at_least_what_torch_saves():
    config = model_shape(vocab_size=50, n_layer=2, d_model=32, n_head=2,
                         context_length=16)  # fmt: skip
    model = Decoder(config)
    saved = []

    def pack(tensor):
        saved.append(tensor.numel() * tensor.element_size())
        return tensor

    idx = torch.zeros(4, 16, dtype=torch.long)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        model(idx).float().logsumexp(-1).sum().backward()
    weights = sum(p.numel() * 4 for p in model.parameters())
    # within a factor of two of the real saved activations (parameters excluded)
    measured = sum(saved) - weights
    estimate = training_bytes(config, 4)["activations"]
    assert measured / 2 < estimate < measured * 2


def test_requests_beyond_free_memory_are_refused_with_both_numbers(monkeypatch):
    monkeypatch.setattr(sizing, "available_memory_bytes", lambda device="cpu": 10**9)
    config = model_shape(vocab_size=100)
    assert check_training_memory(config, 12)["total"] < 10**9
    with pytest.raises(MemoryError, match=r"needs about .* only .* is free"):
        check_training_memory(config, 100_000_000)
    with pytest.raises(TypeError, match="DecoderConfig"):
        training_bytes({"d_model": 8}, 1)
    with pytest.raises(ValueError, match="batch_size"):
        training_bytes(config, 0)
    assert resources.__all__ == ["check_training_memory", "training_bytes"]
