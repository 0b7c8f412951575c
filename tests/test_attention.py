"""Attention written out in helpers.transformer, checked against PyTorch."""

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from helpers.transformer import (
    KVCache,
    MultiHeadAttention,
    scaled_dot_product_attention,
)

SHAPES = [(1, 1, 1, 4), (2, 3, 5, 8), (3, 4, 7, 16), (1, 2, 16, 2)]


def _qkv(shape, t_k=None, seed=0):
    gen = torch.Generator().manual_seed(seed)
    B, H, T, D = shape
    t_k = T if t_k is None else t_k
    q = torch.randn(B, H, T, D, generator=gen, dtype=torch.float64)
    k = torch.randn(B, H, t_k, D, generator=gen, dtype=torch.float64)
    v = torch.randn(B, H, t_k, D, generator=gen, dtype=torch.float64)
    return q, k, v


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("causal", [False, True])
def test_sdpa_matches_torch(shape, causal):
    q, k, v = _qkv(shape)
    ours, weights = scaled_dot_product_attention(q, k, v, causal, return_weights=True)
    theirs = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
    torch.testing.assert_close(ours, theirs)
    torch.testing.assert_close(weights.sum(-1), torch.ones(shape[:3], dtype=q.dtype))
    if causal:  # nothing above the diagonal
        assert torch.all(weights.triu(diagonal=1) == 0)


@pytest.mark.parametrize("scale", [0.1, 1.0, 3.0])
def test_sdpa_scale_and_mask_match_torch(scale):
    q, k, v = _qkv((2, 2, 6, 4), seed=1)
    mask = torch.rand(6, 6, generator=torch.Generator().manual_seed(2)) > 0.3
    mask |= torch.eye(6, dtype=torch.bool)  # every row keeps at least one key
    ours = scaled_dot_product_attention(q, k, v, mask=mask, scale=scale)
    theirs = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=scale)
    torch.testing.assert_close(ours, theirs)


def test_sdpa_causal_with_fewer_queries_sees_the_past():
    # 3 new queries after 5 cached keys: query i sees keys 0 .. 5 + i.
    q, k, v = _qkv((2, 2, 3, 4), t_k=8, seed=3)
    bottom_right = torch.ones(3, 8, dtype=torch.bool).tril(diagonal=5)
    ours = scaled_dot_product_attention(q, k, v, causal=True)
    theirs = F.scaled_dot_product_attention(q, k, v, attn_mask=bottom_right)
    torch.testing.assert_close(ours, theirs)


def test_sdpa_works_without_head_axis():
    q, k, v = _qkv((1, 1, 5, 3), seed=4)
    ours = scaled_dot_product_attention(q[0, 0], k[0, 0], v[0, 0], causal=True)
    theirs = F.scaled_dot_product_attention(q, k, v, is_causal=True)[0, 0]
    torch.testing.assert_close(ours, theirs)


@pytest.mark.parametrize(
    "mask",
    [
        torch.ones(5, 4, dtype=torch.bool),  # wrong T_k
        torch.ones(4, 5, dtype=torch.bool),  # wrong T_q
        torch.ones(5, dtype=torch.bool),  # one dim only
        torch.ones(1, 1, 1, 1, 5, 5, dtype=torch.bool),  # more dims than scores
        torch.ones(5, 5),  # float, not bool
        [[True] * 5] * 5,  # not a tensor
    ],
)
def test_sdpa_rejects_bad_mask(mask):
    q, k, v = _qkv((1, 2, 5, 4))
    with pytest.raises(ValueError, match="mask must be a bool tensor of shape"):
        scaled_dot_product_attention(q, k, v, mask=mask)


def test_sdpa_rejects_bad_shapes():
    q, k, v = _qkv((1, 2, 5, 4))
    with pytest.raises(ValueError, match="shapes do not fit"):
        scaled_dot_product_attention(q, k[..., :3], v)
    with pytest.raises(ValueError, match="shapes do not fit"):
        scaled_dot_product_attention(q, k, v[..., :4, :])
    with pytest.raises(TypeError, match="must be a tensor"):
        scaled_dot_product_attention(q.numpy(), k, v)
    with pytest.raises(ValueError, match="T_q <= T_k"):
        scaled_dot_product_attention(q, k[..., :3, :], v[..., :3, :], causal=True)


def _copy_into_torch(ours: MultiHeadAttention, d_model: int, n_head: int):
    ref = nn.MultiheadAttention(d_model, n_head, bias=False, batch_first=True)
    ref = ref.double()
    with torch.no_grad():
        ref.in_proj_weight.copy_(
            torch.cat(
                [ours.q_proj.weight, ours.k_proj.weight, ours.v_proj.weight], dim=0
            )
        )  # (3 * d_model, d_model)
        ref.out_proj.weight.copy_(ours.o_proj.weight)
    return ref


@pytest.mark.parametrize("d_model,n_head,T", [(8, 1, 3), (12, 3, 6), (32, 4, 9)])
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("fused", [False, True])
def test_multihead_matches_nn_multiheadattention(d_model, n_head, T, causal, fused):
    torch.manual_seed(0)
    ours = MultiHeadAttention(d_model, n_head, fused=fused).double().eval()
    ref = _copy_into_torch(ours, d_model, n_head).eval()
    x = torch.randn(2, T, d_model, dtype=torch.float64)
    mask = nn.Transformer.generate_square_subsequent_mask(T, dtype=torch.float64)
    expected, expected_weights = ref(
        x,
        x,
        x,
        attn_mask=mask if causal else None,
        need_weights=True,
        average_attn_weights=False,
    )
    torch.testing.assert_close(ours(x, causal=causal), expected)
    out, weights = ours(x, causal=causal, return_weights=True)
    torch.testing.assert_close(out, expected)
    torch.testing.assert_close(weights, expected_weights)  # (B, n_head, T, T)


def test_multihead_with_cache_equals_full_pass():
    from helpers.transformer import DecoderConfig

    config = DecoderConfig(
        vocab_size=10, context_length=12, n_layer=1, n_head=2, d_model=8, d_ff=16
    )
    torch.manual_seed(1)
    attention = MultiHeadAttention(8, 2, fused=False).double().eval()
    x = torch.randn(3, 7, 8, dtype=torch.float64)
    full = attention(x)
    cache = KVCache(config, 3, dtype=torch.float64)
    pieces = []
    for chunk in (x[:, :4], x[:, 4:5], x[:, 5:7]):  # prefill, then one, then two
        pieces.append(attention(chunk, cache=cache, layer=0))
        cache.length += chunk.shape[1]
    torch.testing.assert_close(torch.cat(pieces, dim=1), full)
    assert cache.nbytes == 2 * 1 * 3 * 2 * 12 * 4 * 8  # K and V, float64
    with pytest.raises(ValueError, match="KV cache full: 13 > max_length 12"):
        attention(torch.randn(3, 6, 8, dtype=torch.float64), cache=cache)


def test_multihead_rejects_heads_not_dividing_width():
    with pytest.raises(ValueError, match="must divide d_model"):
        MultiHeadAttention(10, 3)
    with pytest.raises(ValueError, match=r"x must have shape \(B, T, 8\)"):
        MultiHeadAttention(8, 2)(torch.randn(2, 3, 6))
    with pytest.raises(ValueError, match=r"x must have shape \(B, T, 8\)"):
        MultiHeadAttention(8, 2)(torch.randn(3, 8))


# --- the panels' logic and the checkers of 11_self_attention -------------------


def test_toy_heads_look_where_they_should():
    from helpers.attention_demo import toy_attention

    words = "the dog chased the cat and the cat ran".split()
    previous = toy_attention(words, "previous token")
    assert all(previous[i].argmax() == i - 1 for i in range(1, len(words)))
    first = toy_attention(words, "first token", causal=False)
    assert (first.argmax(axis=1) == 0).all()
    same = toy_attention(words, "same word", causal=False)
    assert same[4].argmax() in (4, 7) and same[4, 7] > 0.3  # "cat" finds "cat"
    sharp = toy_attention(words, "same word", temperature=0.2)
    soft = toy_attention(words, "same word", temperature=5.0)
    assert sharp.max(axis=1).mean() > soft.max(axis=1).mean()
    with pytest.raises(ValueError, match="unknown head"):
        toy_attention(words, "no such head")
    with pytest.raises(ValueError, match="number of words"):
        toy_attention([], "same word")


def test_scaling_demo_variance_grows_with_d_k():
    from helpers.attention_demo import scaling_demo

    for d_k in (4, 64, 1024):
        raw = scaling_demo(d_k, scaled=False)["score_std"]
        scaled = scaling_demo(d_k, scaled=True)["score_std"]
        assert abs(raw / d_k**0.5 - 1) < 0.1  # std of q.k is about sqrt(d_k)
        assert abs(scaled - 1) < 0.1  # dividing by sqrt(d_k) brings it back to 1


# --- numerical edge cases (defined, tested) --------------------------------------


def test_fully_masked_row_gives_zeros_not_nan_like_torch():
    q, k, v = _qkv((2, 2, 3, 4))
    mask = torch.ones(3, 3, dtype=torch.bool)
    mask[1] = False  # query 1 may see no key
    out, weights = scaled_dot_product_attention(q, k, v, mask=mask, return_weights=True)
    assert not torch.isnan(out).any() and not torch.isnan(weights).any()
    assert torch.all(weights[..., 1, :] == 0) and torch.all(out[..., 1, :] == 0)
    torch.testing.assert_close(
        out, F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    )
    torch.testing.assert_close(weights[..., 0, :].sum(-1), torch.ones(2, 2).double())


def test_empty_batch_gives_an_empty_output():
    q, k, v = _qkv((2, 2, 3, 4))
    out = scaled_dot_product_attention(q[:0], k[:0], v[:0], causal=True)
    assert out.shape == (0, 2, 3, 4)
    attention = MultiHeadAttention(8, 2)
    assert attention(torch.zeros(0, 3, 8)).shape == (0, 3, 8)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"dropout_p": -0.1}, ValueError, "dropout_p must be >= 0"),
        ({"dropout_p": 1.0}, ValueError, "dropout_p must be < 1"),
        ({"scale": float("nan")}, ValueError, "scale must be a finite number"),
        ({"scale": float("inf")}, ValueError, "scale must be a finite number"),
    ],
)
def test_sdpa_refuses_bad_numbers(kwargs, error, match):
    q, k, v = _qkv((1, 1, 2, 4))
    with pytest.raises(error, match=match):
        scaled_dot_product_attention(q, k, v, **kwargs)


def test_sdpa_refuses_integer_inputs():
    q = torch.ones(1, 2, 4, dtype=torch.long)
    with pytest.raises(TypeError, match="q must be floating point"):
        scaled_dot_product_attention(q, q.double(), q.double())
    with pytest.raises(TypeError, match="v must be floating point"):
        scaled_dot_product_attention(q.double(), q.double(), q)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((8, 0), {}, ValueError, "n_head must be >= 1"),
        ((8, 3), {}, ValueError, "must divide d_model"),
        ((0, 1), {}, ValueError, "d_model must be >= 1"),
        ((8, 2.0), {}, TypeError, "n_head must be an integer"),
        ((8, 2), {"dropout": -0.5}, ValueError, "dropout must be >= 0"),
    ],
)
def test_multi_head_attention_refuses_bad_sizes(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        MultiHeadAttention(*args, **kwargs)
