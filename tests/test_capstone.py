"""Tests of the capstone, 13_train_a_tiny_llm: the training loop written in the
notebook equals the library's, the answer-only (SFT) loss, and the baselines on
the Tang poems."""

import copy
import json
import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from helpers.ablation import ngram_baselines
from helpers.data.addition import AdditionTask
from helpers.data.char_tokenizer import CharTokenizer
from helpers.data.corpora import TokenBatches
from helpers.data.poems import corpus_available, poem_text
from helpers.scratch.schedules import warmup_cosine
from helpers.sft import IGNORE_INDEX, answer_only_loss, answer_only_targets
from helpers.train import TrainConfig, model_shape, train
from helpers.transformer import Decoder

NOTEBOOK = (
    Path(__file__).resolve().parents[1] / "notebooks" / "13_train_a_tiny_llm.ipynb"
)


def _notebook_loop(vocab_size: int):
    """``train_by_hand`` exactly as the notebook's cell defines it."""
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    sources = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    (cell,) = [s for s in sources if s.startswith("def train_by_hand(")]
    namespace = {
        "torch": torch,
        "F": F,
        "warmup_cosine": warmup_cosine,
        "V": vocab_size,
    }
    exec(cell, namespace)
    return namespace["train_by_hand"]


def _setup(tie: bool):
    text = "床前明月光，疑是地上霜。举头望明月，低头思故乡。\n" * 40
    tokenizer = CharTokenizer.from_text(text)
    ids = torch.tensor(tokenizer.encode(text))
    config = TrainConfig(
        model=model_shape(
            n_layer=2, n_head=2, d_model=32, context_length=16, tie_embeddings=tie
        ),
        batch_size=4,
        steps=6,
        lr=3e-3,
        warmup_steps=2,
        eval_interval=6,
        eval_batches=1,
        seed=3,
    )
    batches = TokenBatches(ids[:800], ids[800:], batch_size=4, context_length=16)
    return tokenizer, config, batches


@pytest.mark.parametrize("tie", [True, False])
def test_the_notebook_loop_equals_the_library_loop(tie):
    tokenizer, config, batches = _setup(tie)
    train_by_hand = _notebook_loop(tokenizer.vocab_size)
    torch.manual_seed(0)
    ours = Decoder(config.model_config(tokenizer.vocab_size))
    library = copy.deepcopy(ours)
    by_hand = train_by_hand(ours, batches, config, steps=config.steps)
    result = train(library, batches, config, device="cpu", progress=False)
    assert len(by_hand) == len(result.train_losses) == config.steps
    assert torch.allclose(
        torch.tensor(by_hand), torch.tensor(result.train_losses), rtol=1e-4
    )
    assert by_hand[-1] < by_hand[0]  # it learned something
    for a, b in zip(ours.parameters(), library.parameters(), strict=True):
        assert torch.allclose(a, b, rtol=1e-3, atol=1e-5)  # the same weights after


def test_the_notebook_loop_is_not_the_identity():
    """A loop that skips the update would give different losses: the comparison bites."""
    tokenizer, config, batches = _setup(True)
    train_by_hand = _notebook_loop(tokenizer.vocab_size)
    torch.manual_seed(0)
    ours = Decoder(config.model_config(tokenizer.vocab_size))
    library = copy.deepcopy(ours)
    frozen = train_by_hand(ours, batches, config.replace(lr=1e-9), steps=config.steps)
    result = train(library, batches, config, device="cpu", progress=False)
    assert not torch.allclose(
        torch.tensor(frozen), torch.tensor(result.train_losses), rtol=1e-4
    )


def test_answer_only_targets_match_the_addition_task():
    task = AdditionTask(2, batch_size=6)
    x, y = task("train", torch.Generator().manual_seed(0))
    full = torch.cat([x[:, 1:], y[:, -1:]], dim=1)
    assert torch.equal(answer_only_targets(full, task.prompt_length), y)
    per_row = answer_only_targets(full, [task.prompt_length] * 6)
    assert torch.equal(per_row, y)


def test_answer_only_loss_averages_over_answers_only():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 5, 7, generator=g)
    targets = torch.randint(0, 7, (2, 5), generator=g)
    masked = answer_only_targets(targets, [3, 1])
    assert (
        masked[0].tolist()[:2] == [IGNORE_INDEX] * 2 and masked[0, 2] == targets[0, 2]
    )
    assert torch.equal(masked[1], targets[1])  # a 1-token prompt masks nothing
    keep = masked != IGNORE_INDEX
    by_hand = (
        -torch.log_softmax(logits, -1)[keep].gather(1, targets[keep][:, None]).mean()
    )
    assert torch.allclose(answer_only_loss(logits, targets, [3, 1]), by_hand)
    everything = F.cross_entropy(logits.reshape(-1, 7), targets.reshape(-1))
    assert not torch.allclose(answer_only_loss(logits, targets, [3, 1]), everything)


def test_answer_only_checks_its_input():
    targets = torch.zeros(2, 4, dtype=torch.long)
    with pytest.raises(ValueError, match="one prompt length per row"):
        answer_only_targets(targets, [1, 2, 3])
    with pytest.raises(ValueError, match="prompt lengths"):
        answer_only_targets(targets, [0, 2])
    with pytest.raises(ValueError, match="prompt lengths"):
        answer_only_targets(targets, 5)
    with pytest.raises(TypeError):
        answer_only_targets(targets.float(), 2)
    with pytest.raises(ValueError, match="agree"):
        answer_only_loss(torch.zeros(2, 3, 5), targets, 2)


@pytest.mark.skipif(not corpus_available(), reason="the Tang-poem corpus is not built")
def test_baselines_on_the_poems():
    train_text, val_text = poem_text("train") + "\n", poem_text("val") + "\n"
    tokenizer = CharTokenizer.from_text(train_text, min_count=5)
    train_ids = torch.tensor(tokenizer.encode(train_text))
    val_ids = torch.tensor(tokenizer.encode(val_text))
    out = ngram_baselines(train_ids, val_ids, tokenizer.vocab_size)
    assert out["uniform"] == pytest.approx(math.log(tokenizer.vocab_size))
    # counted on the corpus as built (poems.lock.json): bigram ≈ 5.53, unigram ≈ 6.49
    assert 6.2 < out["unigram"] < 6.8
    assert 5.2 < out["bigram"] < out["unigram"] - 0.5
    smoothed_less = ngram_baselines(train_ids, val_ids, tokenizer.vocab_size, prior=1.0)
    assert smoothed_less["bigram"] > out["bigram"]  # unseen pairs cost more
