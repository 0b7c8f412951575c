"""Tests of helpers.special_tokens (09_tokens_and_embeddings): BOS/EOS, padding."""

import pytest
import torch

from helpers.bpe import train_bpe
from helpers.data.sample_texts import ENGLISH_TEXT
from helpers.special_tokens import SpecialTokens, frame, pad_batch, padded_nll


def test_special_ids_come_after_the_vocabulary_and_no_text_reaches_them():
    bpe = train_bpe(ENGLISH_TEXT, 50)
    special = SpecialTokens.after(bpe.vocab_size)
    assert (special.bos, special.eos, special.pad) == (306, 307, 308)
    ids = bpe.encode("<|endoftext|> <s> </s> [PAD]")
    assert max(ids) < special.bos  # typed markers are ordinary text


def test_frame_puts_bos_first_and_eos_last():
    assert frame([5, 6], 9, 10) == [9, 5, 6, 10]
    assert frame(torch.tensor([7]), 1, 2) == [1, 7, 2]
    assert frame([], 3, 4) == [3, 4]
    with pytest.raises(TypeError):
        frame("abc", 1, 2)
    with pytest.raises(ValueError):
        frame([1], -1, 2)


def test_pad_batch_pads_on_the_right_and_masks_the_padding():
    ids, mask = pad_batch([[5, 6, 7], [8]], pad_id=0)
    assert ids.tolist() == [[5, 6, 7], [8, 0, 0]]
    assert mask.tolist() == [[True, True, True], [True, False, False]]
    assert ids.dtype == torch.int64 and mask.dtype == torch.bool
    ids, mask = pad_batch([[1], [2, 3]], pad_id=9, length=4)
    assert ids.tolist() == [[1, 9, 9, 9], [2, 3, 9, 9]]
    assert mask.sum().item() == 3


def test_pad_batch_refuses_bad_input():
    with pytest.raises(ValueError, match="empty"):
        pad_batch([], 0)
    with pytest.raises(ValueError):
        pad_batch([[1, 2, 3]], 0, length=2)  # shorter than the longest sequence
    with pytest.raises(TypeError):
        pad_batch("abc", 0)
    with pytest.raises(TypeError, match=r"sequences\[1\]"):
        pad_batch([[1], [2.5]], 0)
    with pytest.raises(ValueError):
        pad_batch([[1]], -1)


def test_padded_nll_ignores_the_padding():
    log_probs = torch.tensor([[-1.0, -2.0, -3.0], [-4.0, -50.0, -60.0]])
    mask = torch.tensor([[True, True, True], [True, False, False]])
    assert padded_nll(log_probs, mask) == pytest.approx(10.0 / 4)
    # the same as cross-entropy with ignore_index on the padded targets
    logits = torch.randn(2, 3, 5, dtype=torch.float64)
    targets = torch.tensor([[1, 2, 3], [4, 0, 0]])
    picked = logits.log_softmax(-1).gather(-1, targets[..., None])[..., 0]
    ignored = targets.masked_fill(~mask, -100)
    expected = torch.nn.functional.cross_entropy(logits.transpose(1, 2), ignored)
    assert padded_nll(picked, mask) == pytest.approx(expected.item())


def test_padded_nll_refuses_bad_masks():
    with pytest.raises(TypeError):
        padded_nll(torch.zeros(2, 2), torch.ones(2, 2))
    with pytest.raises(ValueError, match="same shape"):
        padded_nll(torch.zeros(2, 2), torch.ones(2, 3, dtype=torch.bool))
    with pytest.raises(ValueError, match="no real token"):
        padded_nll(torch.zeros(1, 2), torch.zeros(1, 2, dtype=torch.bool))
