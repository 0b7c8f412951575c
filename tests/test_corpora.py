"""Tests of helpers.data.corpora: loaders, the split and random batches."""

import pytest
import torch

from helpers.data.corpora import (
    ZH_CORPUS_PATH,
    TokenBatches,
    load_stdlib_corpus,
    load_text_file,
    load_zh_corpus,
    train_val_split,
)


def test_stdlib_corpus_is_deterministic_ascii_and_capped():
    text = load_stdlib_corpus(20_000)
    assert text == load_stdlib_corpus(20_000)
    assert len(text.encode()) == 20_000
    assert text.isascii()
    assert text.startswith("# file: ")
    assert load_stdlib_corpus(40_000).startswith(text)


def test_zh_corpus_is_chinese_text():
    if not ZH_CORPUS_PATH.is_file():
        pytest.skip("data/zh_corpus.txt is generated at the end of the build")
    text = load_zh_corpus()
    chinese = sum("\u4e00" <= ch <= "\u9fff" for ch in text)
    assert len(text) > 5_000
    assert chinese / len(text) > 0.3


def test_load_text_file_errors(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("你好，世界。" * 30, encoding="utf-8")
    assert load_text_file(good).startswith("你好")
    with pytest.raises(ValueError, match="not found"):
        load_text_file(tmp_path / "missing.txt")
    small = tmp_path / "small.txt"
    small.write_text("tiny", encoding="utf-8")
    with pytest.raises(ValueError, match="at least 100"):
        load_text_file(small)
    binary = tmp_path / "binary.bin"
    binary.write_bytes(b"\xff\xfe\x00" * 100)
    with pytest.raises(ValueError, match="not UTF-8"):
        load_text_file(binary)
    with pytest.raises(TypeError, match="path"):
        load_text_file(3)


def test_train_val_split_is_head_and_tail():
    ids = torch.arange(100)
    train, val = train_val_split(ids, 0.1)
    assert torch.equal(train, torch.arange(90))
    assert torch.equal(val, torch.arange(90, 100))
    with pytest.raises(ValueError, match="val_fraction"):
        train_val_split(ids, 0.0)
    with pytest.raises(TypeError, match="1-D"):
        train_val_split(ids.view(10, 10))
    with pytest.raises(ValueError, match="too few"):
        train_val_split(torch.arange(2), 0.5)


def test_batches_are_shifted_windows_and_reproducible():
    ids = torch.arange(1000)
    batches = TokenBatches(ids[:900], ids[900:], batch_size=8, context_length=16)
    x, y = batches("train", torch.Generator().manual_seed(0))
    assert x.shape == y.shape == (8, 16)
    assert x.dtype == torch.long
    assert torch.equal(y[:, :-1], x[:, 1:])
    assert torch.equal(y[:, 0], x[:, 0] + 1)  # consecutive tokens of the text
    assert int(x.max()) < 900
    x2, _ = batches("train", torch.Generator().manual_seed(0))
    assert torch.equal(x, x2)
    xv, _ = batches("val", torch.Generator().manual_seed(0))
    assert int(xv.min()) >= 900


def test_batches_bad_input():
    ids = torch.arange(100)
    with pytest.raises(ValueError, match="at least 21"):
        TokenBatches(ids, ids[:10], batch_size=2, context_length=20)
    batches = TokenBatches(ids, ids, batch_size=2, context_length=20)
    with pytest.raises(ValueError, match="split"):
        batches("test")
    with pytest.raises(ValueError, match="batch_size"):
        TokenBatches(ids, ids, batch_size=0, context_length=4)
