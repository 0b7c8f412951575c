"""Tests of helpers.ablation: the ladder of 13_train_a_tiny_llm and the count
baselines."""

import math

import pytest
import torch

from helpers.ablation import (
    FAST_LADDER_STEPS,
    RUNGS,
    LadderModel,
    Rung,
    build_rung,
    ladder_table,
    ngram_baselines,
    run_ladder,
    unique_parameters,
)
from helpers.data.corpora import TokenBatches
from helpers.plotting.training import draw_ladder
from helpers.sizing import count_parameters
from helpers.train import TrainConfig, model_shape
from helpers.transformer import Decoder, DecoderConfig

V, D, FF = 11, 16, 32


def shape(**changes) -> DecoderConfig:
    base = dict(
        vocab_size=V,
        context_length=12,
        n_layer=2,
        n_head=4,
        d_model=D,
        d_ff=FF,
        tie_embeddings=True,
    )
    return DecoderConfig(**{**base, **changes})


def test_each_rung_adds_exactly_its_part():
    sizes = {name: unique_parameters(build_rung(name, shape())) for name in RUNGS}
    assert sizes["bigram"] == V * D  # tied: one table
    assert sizes["+ attention (1 head)"] - sizes["bigram"] == 4 * D * D  # q, k, v, o
    assert sizes["+ multi-head"] == sizes["+ attention (1 head)"]  # heads split width
    assert sizes["+ MLP"] - sizes["+ multi-head"] == 3 * D * FF  # gate, up, down
    assert sizes["+ residual & RMSNorm"] - sizes["+ MLP"] == 3 * D  # 3 RMSNorm gains
    assert sizes["+ depth"] == count_parameters(shape())
    untied = unique_parameters(build_rung("bigram", shape(tie_embeddings=False)))
    assert untied == 2 * V * D


def test_rungs_are_causal_and_the_top_two_are_decoders():
    idx = torch.randint(0, V, (2, 12), generator=torch.Generator().manual_seed(0))
    changed = idx.clone()
    changed[:, 8:] = (changed[:, 8:] + 1) % V
    for name in RUNGS:
        torch.manual_seed(0)
        model = build_rung(name, shape()).eval()
        with torch.no_grad():
            a, b = model(idx), model(changed)
        assert a.shape == (2, 12, V), name
        scale = float(a.abs().max())  # tiny at initialisation without norms
        assert torch.allclose(a[:, :8], b[:, :8], rtol=0, atol=1e-5 * scale), name
        assert not torch.allclose(a[:, 8:], b[:, 8:], rtol=0, atol=1e-3 * scale), name
    assert isinstance(build_rung("+ residual & RMSNorm", shape()), Decoder)
    assert build_rung("+ residual & RMSNorm", shape()).config.n_layer == 1
    assert build_rung("+ depth", shape()).config.n_layer == 2


def test_heads_change_the_attention_not_its_size():
    one = build_rung("+ attention (1 head)", shape())
    four = build_rung("+ multi-head", shape())
    assert one.attention.n_head == 1 and four.attention.n_head == 4
    assert build_rung("bigram", shape()).attention is None


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="rung must be one of"):
        build_rung("+ dropout", shape())
    with pytest.raises(TypeError):
        build_rung("bigram", {"d_model": 16})
    with pytest.raises(TypeError):
        LadderModel(shape(), n_head=1, mlp="yes")
    with pytest.raises(ValueError, match="sequence length"):
        build_rung("bigram", shape())(torch.zeros(1, 13, dtype=torch.long))
    with pytest.raises(TypeError):
        unique_parameters("model")


def _batches(n=3000):
    g = torch.Generator().manual_seed(1)
    # a text with structure: each token is mostly the previous one + 1 (mod V)
    steps = torch.where(torch.rand(n, generator=g) < 0.8, 1, 3)
    ids = torch.cumsum(steps, 0) % V
    return ids, TokenBatches(ids[:2500], ids[2500:], batch_size=8, context_length=12)


def _config(**changes):
    return TrainConfig(
        model=model_shape(
            n_layer=2,
            n_head=4,
            d_model=D,
            context_length=12,
            d_ff=FF,
            tie_embeddings=True,
        ),
        batch_size=8,
        steps=20,
        lr=1e-2,
        warmup_steps=2,
        eval_batches=2,
        **changes,
    )


def test_run_ladder_trains_every_rung_alike_and_repeatably():
    _, batches = _batches()
    rungs = ("bigram", "+ depth")
    first = run_ladder(batches, _config(), V, steps=60, rungs=rungs)
    again = run_ladder(batches, _config(), V, steps=60, rungs=rungs)
    assert [r.name for r in first] == list(rungs)
    assert all(isinstance(r, Rung) and r.steps == 60 for r in first)
    assert [r.val_loss for r in first] == [r.val_loss for r in again]
    assert all(r.val_loss < math.log(V) - 0.3 for r in first)  # both learned
    assert first[0].parameters == V * D
    table = ladder_table(first, {"bigram": 1.5})
    assert "bigram" in table and "+ depth" in table and "(count) bigram" in table
    assert f"{first[1].val_loss - first[0].val_loss:+.3f}" in table


def test_fast_mode_shrinks_the_ladder(monkeypatch):
    monkeypatch.setenv("COURSE_FAST", "1")
    _, batches = _batches()
    (rung,) = run_ladder(batches, _config(), V, rungs=("bigram",))
    assert rung.steps == FAST_LADDER_STEPS


def test_run_ladder_validates():
    _, batches = _batches()
    with pytest.raises(ValueError, match="subset"):
        run_ladder(batches, _config(), V, steps=2, rungs=("bigram", "trigram"))
    with pytest.raises(TypeError):
        run_ladder(batches, "poems", V, steps=2)
    with pytest.raises(ValueError):
        run_ladder(batches, _config(), V, steps=0)
    with pytest.raises(TypeError):
        ladder_table([])


def test_ngram_baselines_by_hand():
    train_ids = torch.tensor([0, 1, 0, 1, 0, 2])
    val_ids = torch.tensor([0, 1, 2])
    out = ngram_baselines(train_ids, val_ids, 3, prior=1.0)
    unigram = torch.tensor([4, 3, 2]) / 9  # add-one counts (3, 2, 1) + 1 over 6 + 3
    assert out["uniform"] == pytest.approx(math.log(3))
    assert out["unigram"] == pytest.approx(-(unigram[1].log() + unigram[2].log()) / 2)
    # P(1 | 0) = (2 + P(1)) / (3 + 1);  P(2 | 1) = (0 + P(2)) / (2 + 1)
    p10 = (2 + unigram[1]) / 4
    p21 = unigram[2] / 3
    assert out["bigram"] == pytest.approx(-(p10.log() + p21.log()) / 2)


def test_ngram_baselines_see_structure():
    ids, _ = _batches()
    out = ngram_baselines(ids[:2500], ids[2500:], V)
    assert out["bigram"] < out["unigram"] - 0.5 < out["uniform"]
    with pytest.raises(ValueError):
        ngram_baselines(ids, ids, 5)  # IDs beyond the vocabulary
    with pytest.raises(TypeError):
        ngram_baselines([0, 1], ids, V)


def test_draw_ladder():
    rungs = [
        Rung("bigram", 10, 100, 3.0, 3.1, 1.0, 1e3),
        Rung("+ depth", 10, 900, 2.0, 2.2, 2.0, 1e3),
    ]
    fig = draw_ladder(rungs, {"bigram": 2.9})
    loss_ax, size_ax = fig.axes[:2]
    assert [t.get_text() for t in loss_ax.get_yticklabels()] == ["bigram", "+ depth"]
    assert list(loss_ax.get_yticks()) == [1, 0]  # the bottom rung drawn on top
    assert len(loss_ax.patches) == 2 and len(size_ax.patches) == 2
    with pytest.raises(TypeError):
        draw_ladder([])
