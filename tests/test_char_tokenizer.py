"""Tests of helpers.data.char_tokenizer."""

import json

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.data.char_tokenizer import CharTokenizer
from helpers.data.sample_texts import CHINESE_TEXT, all_texts


def test_vocabulary_is_sorted_distinct_characters():
    tokenizer = CharTokenizer.from_text("banana")
    assert tokenizer.chars == ["a", "b", "n"] and tokenizer.vocab_size == 3
    assert tokenizer.encode("banana") == [1, 0, 2, 0, 2, 0]
    assert tokenizer.decode([2, 0, 2]) == "nan"


def test_chinese_round_trip_and_one_id_per_character():
    tokenizer = CharTokenizer.from_text(CHINESE_TEXT)
    ids = tokenizer.encode(CHINESE_TEXT)
    assert len(ids) == len(CHINESE_TEXT)
    assert tokenizer.decode(ids) == CHINESE_TEXT
    assert tokenizer.decode(torch.tensor(ids)) == CHINESE_TEXT


@settings(max_examples=100, deadline=None)
@given(text=st.text(min_size=1, max_size=80))
def test_round_trip_any_text(text):
    tokenizer = CharTokenizer.from_text(text)
    assert tokenizer.decode(tokenizer.encode(text)) == text
    assert max(tokenizer.encode(text)) < tokenizer.vocab_size


def test_extra_chars_and_empty_encode():
    tokenizer = CharTokenizer.from_text("ab", extra_chars="\n")
    assert tokenizer.chars == ["\n", "a", "b"]
    assert tokenizer.encode("") == [] and tokenizer.decode([]) == ""


def test_to_dict_round_trip():
    for text in all_texts().values():
        tokenizer = CharTokenizer.from_text(text)
        saved = json.loads(json.dumps(tokenizer.to_dict()))
        again = CharTokenizer.from_dict(saved)
        assert again == tokenizer and again.encode(text) == tokenizer.encode(text)


def test_unknown_character_is_named():
    tokenizer = CharTokenizer.from_text("hello")
    with pytest.raises(
        ValueError, match=r"unknown character 'z' \(U\+007A\) at position 2"
    ):
        tokenizer.encode("hez")
    with pytest.raises(ValueError, match="'苹'"):
        tokenizer.encode("苹果")


def test_bad_inputs():
    tokenizer = CharTokenizer.from_text("abc")
    with pytest.raises(TypeError, match="text must be a str"):
        tokenizer.encode(123)
    with pytest.raises(TypeError, match="text must be a str"):
        CharTokenizer.from_text(["a"])
    with pytest.raises(ValueError, match="text is empty"):
        CharTokenizer.from_text("")
    with pytest.raises(ValueError, match=r"ids\[1\] = 3 is out of range"):
        tokenizer.decode([0, 3])
    with pytest.raises(ValueError, match="out of range"):
        tokenizer.decode([-1])
    with pytest.raises(TypeError, match=r"ids\[0\] must be an integer"):
        tokenizer.decode([1.5])
    with pytest.raises(TypeError, match="ids must be a sequence"):
        tokenizer.decode("ab")
    with pytest.raises(ValueError, match="must be distinct"):
        CharTokenizer(["a", "a"])
    with pytest.raises(ValueError, match="single character"):
        CharTokenizer(["ab"])
    with pytest.raises(ValueError, match="must not be empty"):
        CharTokenizer([])
    with pytest.raises(ValueError, match="not a saved CharTokenizer"):
        CharTokenizer.from_dict({"chars": "abc"})
    with pytest.raises(ValueError, match="must be a string"):
        CharTokenizer.from_dict({"format": "char-tokenizer-v1", "chars": 5})
    with pytest.raises(TypeError, match="data must be a dict"):
        CharTokenizer.from_dict("abc")


def test_min_count_folds_rare_characters_into_unk():
    from helpers.data.char_tokenizer import UNK

    text = "aaabbbc" + "d"
    tokenizer = CharTokenizer.from_text(text, min_count=2)
    assert tokenizer.chars == sorted(["a", "b", UNK]) and tokenizer.unk == UNK
    unk_id = tokenizer.char_to_id[UNK]
    assert tokenizer.encode("abcdz") == [
        tokenizer.char_to_id["a"],
        tokenizer.char_to_id["b"],
        unk_id,
        unk_id,
        unk_id,
    ]
    restored = CharTokenizer.from_dict(tokenizer.to_dict())
    assert restored == tokenizer and restored.unk == UNK
    assert CharTokenizer.from_text(text) != CharTokenizer(tokenizer.chars)
    plain = CharTokenizer.from_text(text)
    assert plain.unk is None and "unk" not in plain.to_dict()
    with pytest.raises(ValueError, match="unknown character"):
        plain.encode("z")
    with pytest.raises(ValueError, match="min_count must be >= 1"):
        CharTokenizer.from_text(text, min_count=0)
    with pytest.raises(ValueError, match="unk"):
        CharTokenizer(["a", "b"], unk="c")
