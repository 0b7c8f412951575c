"""Tests of helpers.bpe: byte-level BPE training, encoding and decoding."""

import json
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.bpe import BPETokenizer, pretokenize, train_bpe
from helpers.data.sample_texts import CHINESE_TEXT, ENGLISH_HELDOUT, ENGLISH_TEXT


def naive_train(text, n_merges):
    """Recount every pair from scratch before each merge (slow, obviously right)."""
    words = Counter(tuple(chunk.encode("utf-8")) for chunk in pretokenize(text))
    merges = []
    for rank in range(n_merges):
        counts = Counter()
        for word, weight in words.items():
            for pair in zip(word, word[1:], strict=False):
                counts[pair] += weight
        if not counts:
            break
        best = max(counts, key=lambda p: (counts[p], -p[0], -p[1]))
        if counts[best] < 2:
            break
        merges.append(best)
        merged = Counter()
        for word, weight in words.items():
            out, i = [], 0
            while i < len(word):
                if word[i : i + 2] == best:
                    out.append(256 + rank)
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            merged[tuple(out)] += weight
        words = merged
    return merges


@pytest.fixture(scope="module")
def english_bpe():
    return train_bpe(ENGLISH_TEXT, 150)


def test_incremental_training_matches_naive_recount():
    for text, n in [(ENGLISH_TEXT, 120), (CHINESE_TEXT, 60), ("aaaa aaa aa", 5)]:
        assert train_bpe(text, n).merges == naive_train(text, n)


def test_training_is_deterministic_and_prefix_consistent():
    first = train_bpe(ENGLISH_TEXT, 80)
    assert first.merges == train_bpe(ENGLISH_TEXT, 80).merges
    # training longer only appends merges
    assert train_bpe(ENGLISH_TEXT, 120).merges[:80] == first.merges


def test_tie_break_goes_to_smallest_pair():
    # "ab" and "cd" both occur twice: (97, 98) < (99, 100) wins the tie
    tokenizer = train_bpe("ab+ab+cd+cd", 1)
    assert tokenizer.merges == [(97, 98)]
    assert tokenizer.token_text(256) == "ab"


def test_first_merge_is_the_most_frequent_pair():
    tokenizer = train_bpe("low lower lowest slow", 1)
    assert tokenizer.token_text(256) == "lo"  # "lo" occurs 4 times, "ow" too: tie
    assert tokenizer.merges == [(ord("l"), ord("o"))]


def test_stops_when_no_pair_repeats():
    tokenizer = train_bpe("abcdef", 10)
    assert tokenizer.merges == [] and tokenizer.vocab_size == 256


def test_more_merges_compress_more(english_bpe):
    lengths = [len(english_bpe.encode(ENGLISH_TEXT, m)) for m in (0, 25, 75, 150)]
    assert lengths[0] == len(ENGLISH_TEXT.encode("utf-8"))
    assert all(a > b for a, b in zip(lengths, lengths[1:], strict=False))


def test_encode_with_fewer_merges_equals_a_smaller_tokenizer(english_bpe):
    small = BPETokenizer(english_bpe.merges[:40])
    assert small.encode(ENGLISH_HELDOUT) == english_bpe.encode(ENGLISH_HELDOUT, 40)


def test_vocab_entries_are_concatenations(english_bpe):
    for rank, (a, b) in enumerate(english_bpe.merges):
        assert (
            english_bpe.vocab[256 + rank] == english_bpe.vocab[a] + english_bpe.vocab[b]
        )


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "hello",
        "  two  spaces ",
        "大语言模型",
        "🙂🚀 emoji",
        "e\u0301",
        "\n\t\r",
    ],
)
def test_round_trip_examples(english_bpe, text):
    ids = english_bpe.encode(text)
    assert english_bpe.decode(ids) == text
    assert "".join(pretokenize(text)) == text


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=60))
def test_round_trip_any_unicode(text):
    tokenizer = train_bpe(ENGLISH_TEXT[:400] + text * 2, 30)
    assert tokenizer.decode(tokenizer.encode(text)) == text
    assert "".join(pretokenize(text)) == text


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(
        alphabet=st.sampled_from(list("ab 你好🙂\n")), min_size=0, max_size=80
    ),
    n=st.integers(0, 20),
)
def test_training_on_random_text_is_deterministic(text, n):
    first = train_bpe(text, n)
    assert first.merges == train_bpe(text, n).merges == naive_train(text, n)
    assert first.decode(first.encode(text)) == text


def test_chinese_bytes_and_partial_tokens(english_bpe):
    ids = english_bpe.encode("苹")  # 3 UTF-8 bytes, no merge for them
    assert ids == list("苹".encode())
    assert english_bpe.token_text(ids[0]) == "\\xe8"
    with pytest.raises(ValueError, match="do not form valid UTF-8"):
        english_bpe.decode(ids[:2])
    assert english_bpe.decode(ids[:2], errors="replace") == "\ufffd"


def test_to_dict_round_trip(english_bpe):
    data = json.loads(json.dumps(english_bpe.to_dict()))
    again = BPETokenizer.from_dict(data)
    assert again == english_bpe
    assert again.encode(CHINESE_TEXT) == english_bpe.encode(CHINESE_TEXT)


def test_bad_inputs(english_bpe):
    with pytest.raises(TypeError, match="text must be a str"):
        english_bpe.encode(b"bytes")
    with pytest.raises(TypeError, match="text must be a str"):
        train_bpe(None, 3)
    with pytest.raises(ValueError, match="n_merges must be >= 0"):
        train_bpe("abc", -1)
    with pytest.raises(TypeError, match="n_merges must be an integer"):
        train_bpe("abc", 2.5)
    with pytest.raises(ValueError, match="n_merges must be <= 150"):
        english_bpe.encode("abc", n_merges=151)
    with pytest.raises(ValueError, match="lone surrogate"):
        english_bpe.encode("a\ud800b")
    with pytest.raises(ValueError, match=r"ids\[1\] = 999 is out of range"):
        english_bpe.decode([1, 999])
    with pytest.raises(TypeError, match=r"ids\[0\] must be an integer"):
        english_bpe.decode(["a"])
    with pytest.raises(TypeError, match="ids must be a sequence"):
        english_bpe.decode("abc")
    with pytest.raises(ValueError, match="unknown errors"):
        english_bpe.decode([97], errors="ignore")


def test_bad_merges_and_saved_data():
    with pytest.raises(ValueError, match="does not exist yet"):
        BPETokenizer([(256, 97)])
    with pytest.raises(ValueError, match="must be a pair"):
        BPETokenizer([(1, 2, 3)])
    with pytest.raises(TypeError, match="must hold integers"):
        BPETokenizer([(1.0, 2)])
    with pytest.raises(ValueError, match="must not repeat"):
        BPETokenizer([(1, 2), (1, 2)])
    with pytest.raises(TypeError, match="merges must be a sequence"):
        BPETokenizer("ab")
    with pytest.raises(ValueError, match="not a saved BPETokenizer"):
        BPETokenizer.from_dict({"format": "other"})
    with pytest.raises(TypeError, match="data must be a dict"):
        BPETokenizer.from_dict([])


# --- the panel's logic and the exercise checkers of 09 ------------------------


def test_token_counts_and_bytes_per_token():
    from helpers.tokenizer_demo import bytes_per_token, demo_tokenizers, token_counts

    char_tokenizer, bpe = demo_tokenizers("english")
    info = token_counts("the tokens 苹", char_tokenizer, bpe, 50)
    assert info["characters"] == 12 and info["bytes"] == 14
    assert info["unknown_chars"] == ["苹"]
    assert info["bpe_tokens"] == len(bpe.encode("the tokens 苹", 50))
    assert "".join(info["bpe_pieces"]).startswith("the tokens ")
    assert bytes_per_token(bpe, ENGLISH_TEXT, 0) == 1.0
    assert bytes_per_token(bpe, ENGLISH_TEXT, 100) > 1.5
    with pytest.raises(ValueError, match="must not be empty"):
        bytes_per_token(bpe, "", 10)
    with pytest.raises(ValueError, match="unknown corpus"):
        demo_tokenizers("french")
    with pytest.raises(ValueError, match="n_merges must be <="):
        token_counts("abc", char_tokenizer, bpe, 10_000)


def test_compression_plot_bad_inputs():
    from helpers.plotting.tokens import plot_compression, plot_onehot_vs_dense

    fig = plot_compression([0, 10], {"a": [1.0, 1.5]}, marker_at=5)
    assert len(fig.axes[0].lines) == 2
    with pytest.raises(ValueError, match="one value per merge count"):
        plot_compression([0, 10], {"a": [1.0]})
    with pytest.raises(ValueError, match="non-empty mapping"):
        plot_compression([0, 10], {})
    with pytest.raises(ValueError, match="same number of rows"):
        plot_onehot_vs_dense([[1.0, 0.0]], [[0.5], [0.2]])


def test_nb09_merge_prediction_matches_training_and_lookup_checks_the_product():
    import torch

    from helpers.checks import nb09

    learned = train_bpe(nb09.MERGE_TEXT, 3)
    first_three = [learned.token_text(256 + rank) for rank in range(3)]
    assert first_three == ["ug", " p", "hug"]  # the worked solution in 09
    assert nb09.check_first_merges(first_three, quiet=True)

    def right_lookup(ids, weight, scale):
        one_hot = torch.nn.functional.one_hot(ids, weight.shape[0]).to(weight.dtype)
        return (one_hot @ weight) * scale

    assert nb09.check_one_hot_lookup(right_lookup, quiet=True)
    # the right numbers by row indexing are refused: the exercise is the product
    by_rows = nb09.check_one_hot_lookup(lambda ids, w, s: w[ids] * s, quiet=True)
    assert not by_rows and by_rows.attempted
    assert "matmul" in by_rows.message
