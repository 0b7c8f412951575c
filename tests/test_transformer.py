"""The decoder model of helpers.transformer: norms, counters, causality, caching."""

import random

import pytest
import torch
import torch.nn as nn

from helpers.transformer import (
    LLAMA_7B,
    Decoder,
    DecoderBlock,
    DecoderConfig,
    RMSNorm,
    SwiGLU,
    count_parameters,
    generate,
    kv_cache_bytes_per_token,
    parameter_breakdown,
    weights_bytes,
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


@pytest.mark.parametrize("seed", range(8))
def test_parameter_counter_matches_built_model(seed):
    rng = random.Random(seed)
    n_head = rng.choice([1, 2, 4])
    config = DecoderConfig(
        vocab_size=rng.randint(2, 80),
        context_length=rng.randint(1, 40),
        n_layer=rng.randint(1, 3),
        n_head=n_head,
        d_model=n_head * 2 * rng.randint(1, 6),
        d_ff=rng.randint(1, 50),
        tie_embeddings=seed % 2 == 0,
    )
    model = Decoder(config)
    assert count_parameters(config) == sum(p.numel() for p in model.parameters())
    if config.tie_embeddings:
        assert model.lm_head.weight is model.token_embedding.weight
        assert parameter_breakdown(config)["output head"] == 0


def test_llama_7b_published_size():
    assert count_parameters(LLAMA_7B) == 6_738_415_616
    parts = parameter_breakdown(LLAMA_7B)
    assert parts["mlp (gate, up, down)"] == 32 * 3 * 4096 * 11008
    assert sum(parts.values()) == 6_738_415_616
    assert kv_cache_bytes_per_token(LLAMA_7B) == 2 * 32 * 4096 * 2  # 0.5 MiB
    assert weights_bytes(6_738_415_616, "fp16") == 13_476_831_232
    assert weights_bytes(3, "int4") == 2  # rounds up to whole bytes


def test_counter_inputs_are_checked():
    with pytest.raises(ValueError, match="unknown dtype_name"):
        weights_bytes(10, "fp64")
    with pytest.raises(ValueError, match=">= 0"):
        weights_bytes(-1, "fp32")
    with pytest.raises(TypeError, match="DecoderConfig"):
        count_parameters({"d_model": 4})
    with pytest.raises(TypeError, match="DecoderConfig"):
        kv_cache_bytes_per_token(None)


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
    with pytest.raises(ValueError, match=r"token IDs must be in \[0, 23\)"):
        model(torch.tensor([[1, 23]]))
    with pytest.raises(ValueError, match=r"token IDs must be in \[0, 23\)"):
        model(torch.tensor([[-1, 2]]))
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


# --- the model-size panel's logic and the checkers of 12_transformer_block ------


def test_model_size_presets_reproduce_reported_counts():
    from helpers.widgets.model_size import PRESETS, model_size_summary

    for name, (layout, V, ctx, L, H, d, d_ff, tied, expected) in PRESETS.items():
        info = model_size_summary(layout, V, ctx, L, H, d, d_ff, tied)
        assert info["total"] == expected, name
        assert sum(info["parts"].values()) == expected
    assert PRESETS["GPT-2 small"][-1] == 124_439_808
    assert PRESETS["LLaMA-7B"][-1] == count_parameters(LLAMA_7B)


def test_gpt2_counter_matches_a_built_gpt2_layout():
    from helpers.widgets.model_size import gpt2_parameter_breakdown

    V, ctx, L, d, d_ff = 37, 11, 2, 12, 20
    blocks = [
        nn.ModuleList(
            [
                nn.LayerNorm(d),
                nn.Linear(d, 3 * d),
                nn.Linear(d, d),
                nn.LayerNorm(d),
                nn.Linear(d, d_ff),
                nn.Linear(d_ff, d),
            ]
        )
        for _ in range(L)
    ]
    model = nn.ModuleList(
        [nn.Embedding(V, d), nn.Embedding(ctx, d), *blocks, nn.LayerNorm(d)]
    )
    built = sum(p.numel() for p in model.parameters())
    assert sum(gpt2_parameter_breakdown(V, ctx, L, d, d_ff).values()) == built
    with pytest.raises(ValueError, match="layout"):
        from helpers.widgets.model_size import model_size_summary

        model_size_summary("bert", V, ctx, L, 2, d, d_ff, True)


def test_nb12_checkers_accept_reference_and_reject_wrong():
    from helpers.checks import nb12

    assert nb12.check_block_parameters(
        lambda d, f: 4 * d * d + 3 * d * f + 2 * d, quiet=True
    )
    assert not nb12.check_block_parameters(
        lambda d, f: 4 * d * d + 2 * d * f, quiet=True
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
