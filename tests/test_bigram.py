"""Tests of helpers.bigram (09_tokens_and_embeddings): counts → P(next | previous)."""

import math

import numpy as np
import pytest

from helpers.bigram import bigram_table, sequence_log_prob


def test_rows_are_conditional_probabilities():
    table = bigram_table([[0, 1, 0, 2], [0, 1]], vocab_size=4)
    assert table[0].tolist() == pytest.approx([0.0, 2 / 3, 1 / 3, 0.0])
    assert table[1].tolist() == [1.0, 0.0, 0.0, 0.0]
    assert table[3].tolist() == [0.0] * 4  # never a previous token
    assert np.allclose(table[:2].sum(axis=1), 1.0)


def test_sequence_log_prob_is_the_sum_of_natural_logs():
    table = bigram_table([[0, 1, 0, 2], [0, 1]], vocab_size=4)
    got = sequence_log_prob([0, 1, 0, 2], table)
    assert got == pytest.approx(math.log(2 / 3) + math.log(1.0) + math.log(1 / 3))
    assert sequence_log_prob([0, 3], table) == -math.inf


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        bigram_table([[0, 5]], vocab_size=4)
    with pytest.raises(TypeError):
        bigram_table("abc", vocab_size=4)
    with pytest.raises(ValueError, match="square"):
        sequence_log_prob([0, 1], np.ones((2, 3)))
    with pytest.raises(ValueError, match="two tokens"):
        sequence_log_prob([0], np.ones((2, 2)))
    with pytest.raises(ValueError, match="probabilities"):
        sequence_log_prob([0, 1], -np.ones((2, 2)))
