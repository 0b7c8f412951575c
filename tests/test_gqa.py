"""Grouped-query attention end to end: MHA (n_kv_head = n_head), GQA (between)
and MQA (n_kv_head = 1) in attention, the KV cache, generation and the shapes."""

import pytest
import torch
import torch.nn.functional as F

from helpers.tensors import build_llm_tensors, llm_tensor_shapes
from helpers.transformer import (
    Decoder,
    DecoderConfig,
    MultiHeadAttention,
    generate,
    repeat_kv,
    scaled_dot_product_attention,
)

KINDS = {"MHA": 8, "GQA": 2, "MQA": 1}  # n_kv_head for n_head = 8


def _qkv(n_kv_head, t_q=5, t_k=5, seed=0):
    gen = torch.Generator().manual_seed(seed)
    q = torch.randn(2, 8, t_q, 4, generator=gen, dtype=torch.float64)
    k = torch.randn(2, n_kv_head, t_k, 4, generator=gen, dtype=torch.float64)
    v = torch.randn(2, n_kv_head, t_k, 4, generator=gen, dtype=torch.float64)
    return q, k, v


def test_repeat_kv_gives_query_head_h_the_kv_head_h_over_group():
    x = torch.arange(3).view(1, 3, 1, 1).float()  # KV heads 0, 1, 2
    out = repeat_kv(x, 4)  # 12 query heads
    assert out.shape == (1, 12, 1, 1)
    assert out.flatten().tolist() == [h // 4 for h in range(12)]
    assert repeat_kv(x, 1) is x


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("causal,t_q", [(False, 5), (True, 5), (True, 2)])
def test_sdpa_with_gqa_matches_torch_enable_gqa(kind, causal, t_q):
    q, k, v = _qkv(KINDS[kind], t_q=t_q)
    ours = scaled_dot_product_attention(q, k, v, causal, enable_gqa=True)
    mask = torch.ones(t_q, 5, dtype=torch.bool).tril(diagonal=5 - t_q)
    ref = F.scaled_dot_product_attention(
        q, k, v, attn_mask=mask if causal else None, enable_gqa=True
    )
    torch.testing.assert_close(ours, ref)


def test_sdpa_gqa_needs_a_divisor_and_the_flag():
    q, k, v = _qkv(3)
    with pytest.raises(ValueError, match="divisor"):
        scaled_dot_product_attention(q, k, v, enable_gqa=True)
    q, k, v = _qkv(2)
    with pytest.raises(RuntimeError):  # without the flag heads must match
        scaled_dot_product_attention(q, k, v)


@pytest.mark.parametrize("kind", KINDS)
def test_attention_module_equals_an_explicit_reference(kind):
    torch.manual_seed(0)
    n_kv = KINDS[kind]
    attention = MultiHeadAttention(32, 8, n_kv_head=n_kv).double()
    assert attention.k_proj.weight.shape == (n_kv * 4, 32)
    x = torch.randn(2, 6, 32, dtype=torch.float64)
    # explicit reference: every query head h uses KV head h // (8 / n_kv)
    q = (x @ attention.q_proj.weight.T).view(2, 6, 8, 4)
    k = (x @ attention.k_proj.weight.T).view(2, 6, n_kv, 4)
    v = (x @ attention.v_proj.weight.T).view(2, 6, n_kv, 4)
    causal = torch.ones(6, 6, dtype=torch.bool).tril()
    heads = []
    for h in range(8):
        g = h // (8 // n_kv)
        scores = q[:, :, h] @ k[:, :, g].transpose(1, 2) / 2.0  # (B, T, T)
        weights = torch.softmax(scores.masked_fill(~causal, float("-inf")), -1)
        heads.append(weights @ v[:, :, g])  # (B, T, 4)
    expected = torch.cat(heads, dim=-1) @ attention.o_proj.weight.T
    torch.testing.assert_close(attention(x), expected)  # fused kernel
    attention.fused = False
    torch.testing.assert_close(attention(x), expected)  # written-out path


@pytest.mark.parametrize("kind", KINDS)
def test_cache_stores_only_kv_heads_and_generation_matches(kind):
    torch.manual_seed(0)
    config = DecoderConfig(
        vocab_size=17, context_length=12, n_layer=2, n_head=8,
        n_kv_head=KINDS[kind], d_model=32, d_ff=24,
    )  # fmt: skip
    model = Decoder(config)
    cache = model.new_cache(2)
    assert cache.k[0].shape == (2, KINDS[kind], 12, 4)
    prompt = torch.randint(0, 17, (2, 4))
    # 14 new tokens: beyond context_length the window slides and the cache rebuilds
    with_cache = generate(model, prompt, 14, use_cache=True)
    without = generate(model, prompt, 14, use_cache=False)
    assert torch.equal(with_cache, without)
    model.blocks[0].attention.fused = False  # the written-out path agrees too
    assert torch.equal(generate(model, prompt, 14), without)


def test_config_and_module_validate_n_kv_head():
    base = dict(vocab_size=5, context_length=4, n_layer=1, n_head=8, d_model=32, d_ff=4)
    assert DecoderConfig(**base).kv_heads == 8
    assert DecoderConfig(**base, n_kv_head=2).kv_heads == 2
    with pytest.raises(ValueError, match="must divide n_head"):
        DecoderConfig(**base, n_kv_head=3)
    with pytest.raises(ValueError, match=">= 1"):
        DecoderConfig(**base, n_kv_head=0)
    with pytest.raises(TypeError, match="integer"):
        DecoderConfig(**base, n_kv_head=2.0)
    with pytest.raises(ValueError, match="must divide n_head"):
        MultiHeadAttention(32, 8, n_kv_head=3)


def test_shape_table_uses_kv_heads():
    config = DecoderConfig(
        vocab_size=50, context_length=8, n_layer=2, n_head=4, n_kv_head=2,
        d_model=16, d_ff=8,
    )  # fmt: skip
    shapes = llm_tensor_shapes(config, batch_size=3, seq_len=5)
    assert shapes["kv_cache"] == (2, 2, 3, 2, 5, 4)
    assert shapes["attention_weights"] == (3, 4, 5, 5)
    built = build_llm_tensors(config, batch_size=3, seq_len=5)
    for name, shape in shapes.items():
        assert tuple(built[name].shape) == shape, name
    torch.testing.assert_close(built["attention_weights"].sum(-1), torch.ones(3, 4, 5))


def test_model_size_panel_offers_gqa_presets_and_keeps_kv_heads_valid():
    from helpers.sizing import PRESETS, count_parameters
    from helpers.widgets.model_size import ModelSizePanel

    panel = ModelSizePanel("LLaMA-2-70B")
    assert panel.config() == PRESETS["LLaMA-2-70B"].config
    assert "68,976,648,192 parameters" in panel.readout.value
    assert "8 KV head(s): GQA" in panel.readout.value
    panel.controls["n_head"].value = 32  # 8 still divides 32
    assert panel.controls["n_kv_head"].value == 8
    panel.controls["n_head"].value = 16
    panel.controls["n_kv_head"].value = 16  # MHA
    panel.controls["n_head"].value = 64  # 16 still divides 64
    assert panel.controls["n_kv_head"].value == 16
    panel.controls["n_kv_head"].value = 12  # does not divide 64: snaps to 8
    assert panel.controls["n_kv_head"].value == 8 == panel.config().n_kv_head
    assert panel.status.value == ""
    panel.controls["n_head"].value = 4  # 8 > 4 query heads: snaps to 4 (MHA)
    assert panel.controls["n_kv_head"].value == 4
    assert "4 KV head(s): MHA" in panel.readout.value
    panel.controls["preset"].value = "Mistral-7B-v0.1"
    assert count_parameters(panel.config()) == 7_241_732_096
    assert "= the released model" in panel.readout.value
