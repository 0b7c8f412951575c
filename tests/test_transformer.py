"""The decoder model of helpers.transformer: norms, causality, caching, and the
token-ID check at the public entry (counters: tests/test_sizing.py)."""

import pytest
import torch
import torch.nn as nn

from helpers.transformer import (
    Decoder,
    DecoderBlock,
    DecoderConfig,
    RMSNorm,
    SwiGLU,
    generate,
    validate_ids,
)


def small_config(**changes) -> DecoderConfig:
    fields = dict(
        vocab_size=23, context_length=16, n_layer=2, n_head=2, d_model=16, d_ff=24
    )
    fields.update(changes)
    return DecoderConfig(**fields)


def test_rmsnorm_matches_torch():
    torch.manual_seed(0)
    ours = RMSNorm(12, eps=1e-6).double()
    ref = nn.RMSNorm(12, eps=1e-6).double()
    with torch.no_grad():
        ours.weight.uniform_(-2, 2)
        ref.weight.copy_(ours.weight)
    x = torch.randn(3, 5, 12, dtype=torch.float64) * 4
    torch.testing.assert_close(ours(x), ref(x))
    with pytest.raises(ValueError, match="last dim 12"):
        ours(torch.randn(2, 11, dtype=torch.float64))


def test_swiglu_formula():
    torch.manual_seed(0)
    mlp = SwiGLU(6, 10)
    x = torch.randn(2, 3, 6)
    gate = x @ mlp.gate_proj.weight.T  # (B, T, d_ff)
    up = x @ mlp.up_proj.weight.T  # (B, T, d_ff)
    expected = (gate * torch.sigmoid(gate) * up) @ mlp.down_proj.weight.T
    torch.testing.assert_close(mlp(x), expected)


def test_block_is_pre_norm_with_residuals():
    torch.manual_seed(0)
    block = DecoderBlock(small_config()).eval()
    x = torch.randn(2, 5, 16)
    h = x + block.attention(block.attention_norm(x))
    expected = h + block.mlp(block.mlp_norm(h))
    torch.testing.assert_close(block(x), expected)


@pytest.mark.parametrize(
    "changes,message",
    [
        (dict(n_head=3), "must divide d_model"),
        (dict(n_head=16), "must be even"),
        (dict(d_model=0), ">= 1"),
        (dict(vocab_size=-3), ">= 1"),
        (dict(dropout=1.0), "< 1"),
        (dict(dropout=-0.1), ">= 0"),
        (dict(norm_eps=0.0), "> 0"),
        (dict(n_kv_head=0), ">= 1"),
        (dict(n_head=2, n_kv_head=4), "must divide n_head"),
    ],
)
def test_config_rejects_bad_values(changes, message):
    with pytest.raises(ValueError, match=message):
        small_config(**changes)


def test_config_rejects_wrong_types():
    with pytest.raises(TypeError, match="integer"):
        small_config(n_layer=2.0)
    with pytest.raises(TypeError, match="True or False"):
        small_config(tie_embeddings="yes")


@pytest.mark.parametrize("fused", [False, True])
def test_forward_is_causal(fused):
    torch.manual_seed(0)
    model = Decoder(small_config(), fused_attention=fused).eval()
    idx = torch.randint(0, 23, (2, 10))
    changed = idx.clone()
    changed[:, 6:] = (changed[:, 6:] + 5) % 23  # change tokens 6..9 only
    with torch.no_grad():
        before, after = model(idx), model(changed)
    torch.testing.assert_close(before[:, :6], after[:, :6])
    assert not torch.allclose(before[:, 6:], after[:, 6:])


def test_fused_and_written_out_attention_agree():
    torch.manual_seed(0)
    fused = Decoder(small_config(), fused_attention=True).eval()
    written = Decoder(small_config(), fused_attention=False).eval()
    written.load_state_dict(fused.state_dict())
    idx = torch.randint(0, 23, (3, 16))
    with torch.no_grad():
        torch.testing.assert_close(fused(idx), written(idx))


def test_cached_forward_equals_full_forward():
    torch.manual_seed(0)
    model = Decoder(small_config()).double().eval()
    idx = torch.randint(0, 23, (2, 9))
    with torch.no_grad():
        full = model(idx)
        cache = model.new_cache(2)
        steps = [model(idx[:, :5], cache=cache)]
        steps += [model(idx[:, t : t + 1], cache=cache) for t in range(5, 9)]
    assert cache.length == 9
    torch.testing.assert_close(torch.cat(steps, dim=1), full)


@pytest.mark.parametrize("tie", [False, True])
def test_greedy_with_and_without_cache_identical(tie):
    torch.manual_seed(0)
    model = Decoder(small_config(tie_embeddings=tie, vocab_size=7))
    idx = torch.randint(0, 7, (3, 4))
    # 30 new tokens run past context_length = 16, so the window slides too.
    with_cache = generate(model, idx, 30, use_cache=True)
    without = generate(model, idx, 30, use_cache=False)
    assert with_cache.shape == (3, 34)
    assert torch.equal(with_cache[:, :4], idx)
    assert torch.equal(with_cache, without)
    assert model.training  # generate restores the mode


def test_generate_uses_the_sampler():
    torch.manual_seed(0)
    model = Decoder(small_config())
    out = generate(
        model,
        torch.zeros(2, 1, dtype=torch.long),
        5,
        sample=lambda logits: torch.full((2, 1), 3),
    )
    assert torch.all(out[:, 1:] == 3)
    with pytest.raises(ValueError, match="sample must return shape"):
        generate(
            model,
            torch.zeros(2, 1, dtype=torch.long),
            1,
            sample=lambda logits: logits.argmax(-1),
        )


def test_return_attention_gives_causal_weights_per_layer():
    torch.manual_seed(0)
    model = Decoder(small_config()).eval()
    logits, attention = model(torch.randint(0, 23, (2, 6)), return_attention=True)
    assert logits.shape == (2, 6, 23)
    assert len(attention) == 2 and attention[0].shape == (2, 2, 6, 6)
    torch.testing.assert_close(attention[1].sum(-1), torch.ones(2, 2, 6))
    assert torch.all(attention[0].triu(diagonal=1) == 0)


def test_bad_token_input_raises_clear_errors():
    model = Decoder(small_config())
    with pytest.raises(ValueError, match="context_length=16"):
        model(torch.zeros(1, 17, dtype=torch.long))
    # the ID range is checked once at the public entry, not in forward
    with pytest.raises(ValueError, match=r"token IDs must be in \[0, 23\)"):
        generate(model, torch.tensor([[1, 23]]), 1)
    with pytest.raises(ValueError, match=r"token IDs must be in \[0, 23\)"):
        validate_ids(torch.tensor([[-1, 2]]), 23)
    with pytest.raises(TypeError, match="LongTensor"):
        validate_ids(torch.tensor([[1, 2]], dtype=torch.uint64), 23)
    with pytest.raises(ValueError, match="at least one token"):
        generate(model, torch.zeros(0, 3, dtype=torch.long), 1)
    with pytest.raises(TypeError, match="Decoder"):
        generate(nn.Linear(2, 2), torch.zeros(1, 3, dtype=torch.long), 1)
    with pytest.raises(TypeError, match="LongTensor"):
        model(torch.zeros(1, 3))
    with pytest.raises(TypeError, match="LongTensor"):
        model(torch.zeros(3, dtype=torch.long))
    cache = model.new_cache(1)
    model(torch.zeros(1, 15, dtype=torch.long), cache=cache)
    with pytest.raises(ValueError, match="15 \\+ 2"):
        model(torch.zeros(1, 2, dtype=torch.long), cache=cache)
    with pytest.raises(ValueError, match="cache was made for batch 1"):
        model(torch.zeros(2, 1, dtype=torch.long), cache=cache)
    with pytest.raises(TypeError, match="DecoderConfig"):
        Decoder({"vocab_size": 3})


# --- the checkers of 12_transformer_block ------------------------------------


def test_nb12_checkers_accept_reference_and_reject_wrong():
    from helpers.checks import nb12

    assert nb12.check_block_parameters(  # (d_model, d_ff, n_head, n_kv_head): GQA
        lambda d, f, h, kv: 2 * d * d + 2 * d * kv * (d // h) + 3 * d * f + 2 * d,
        quiet=True,
    )
    assert not nb12.check_block_parameters(  # the MHA formula ignores n_kv_head
        lambda d, f, h, kv: 4 * d * d + 3 * d * f + 2 * d, quiet=True
    )
    assert nb12.check_kv_cache_bytes(
        lambda L, H, D, n, b: 2 * L * H * D * n * b, quiet=True
    )
    assert not nb12.check_kv_cache_bytes(
        lambda L, H, D, n, b: L * H * D * n * b, quiet=True
    )

    def swiglu(x, wg, wu, wd):
        return (torch.nn.functional.silu(x @ wg) * (x @ wu)) @ wd

    assert nb12.check_swiglu(swiglu, quiet=True)
    assert not nb12.check_swiglu(
        lambda x, wg, wu, wd: (torch.relu(x @ wg) * (x @ wu)) @ wd, quiet=True
    )


# --- no host sync in the hot path ----------------------------------------------

_SYNCING = ("item", "tolist", "__int__", "__float__", "__bool__", "min", "max")


@pytest.mark.parametrize("use_cache", [False, True])
def test_forward_reads_no_tensor_value_on_the_host(monkeypatch, use_cache):
    """Decoder.forward must not move a value to the host (on a GPU, a sync per
    generated token): every Tensor method that would is made to fail."""
    torch.manual_seed(0)
    model = Decoder(small_config(n_kv_head=1)).eval()
    idx = torch.randint(0, 23, (2, 5))
    cache = model.new_cache(2) if use_cache else None
    calls = []

    def forbid(name):
        def fail(*args, **kwargs):
            calls.append(name)
            raise AssertionError(f"Tensor.{name} called in the hot path")

        return fail

    for name in _SYNCING:
        monkeypatch.setattr(torch.Tensor, name, forbid(name))
    with torch.no_grad():
        logits = model(idx, cache=cache)
        if use_cache:
            logits = model(idx[:, :1], cache=cache)  # one decode step
    monkeypatch.undo()
    assert calls == [] and torch.isfinite(logits).all()
    # the check did not vanish: it happens once, at the public entry
    with pytest.raises(ValueError, match="token IDs"):
        generate(model, torch.tensor([[0, 99]]), 2)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_generation_step_has_no_sync():
    torch.manual_seed(0)
    model = Decoder(small_config(n_kv_head=1)).cuda().eval()
    idx = torch.randint(0, 23, (2, 5), device="cuda")
    cache = model.new_cache(2)
    with torch.no_grad():
        model(idx, cache=cache)  # warm-up outside the checked region
        torch.cuda.synchronize()
        torch.cuda.set_sync_debug_mode("error")
        try:
            logits = model(idx[:, :1], cache=cache)
        finally:
            torch.cuda.set_sync_debug_mode("default")
    assert logits.shape == (2, 1, 23)


def test_sizes_are_checked_before_allocating(monkeypatch):
    import helpers.sizing as sizing

    monkeypatch.setattr(sizing, "available_memory_bytes", lambda device: 10**6)
    big = small_config(d_model=256, d_ff=512, n_head=4)  # ~1.8 M float32 weights
    with pytest.raises(MemoryError, match=r"building this Decoder needs about"):
        Decoder(big)
    with torch.device("meta"):  # shapes only: no memory, no refusal
        assert sum(p.numel() for p in Decoder(big).parameters()) > 10**6 / 4
    model = Decoder(small_config())  # ~6 kB: fits
    with pytest.raises(MemoryError, match=r"this KV cache needs about"):
        model.new_cache(batch_size=10**4)
