"""Exercise checkers of 09_tokens_and_embeddings.

The references are the tested implementations in ``helpers.bpe`` and PyTorch's
own embedding lookup, not second copies.
"""

from __future__ import annotations

import torch

from helpers.bpe import BPETokenizer, train_bpe
from helpers.checks import CheckResult, check_function
from helpers.data.sample_texts import ENGLISH_TEXT

__all__ = [
    "EXERCISE_MERGES",
    "check_decode_ids",
    "check_encode_word",
    "check_one_hot_lookup",
]

#: The merges the exercises use: the first 60 learned from the English sample text.
EXERCISE_MERGES = train_bpe(ENGLISH_TEXT, 60).merges


def check_encode_word(fn, quiet: bool = False) -> CheckResult:
    """fn(word, merges) → IDs of one chunk (no spaces): its UTF-8 bytes with every
    merge applied in order."""
    reference = BPETokenizer(EXERCISE_MERGES)
    words = ["token", "tokenizer", "the", "vocabulary", "aaaa", "模型", "x"]
    return check_function(
        lambda word: list(fn(word, list(EXERCISE_MERGES))),
        reference.encode,
        [(w,) for w in words],
        name="encode_word",
        hint="ids = list(word.encode('utf-8'))；然后按顺序对每个 (rank, pair) 调用 "
        "merge(ids, pair, 256 + rank)。",
        quiet=quiet,
    )


def check_decode_ids(fn, quiet: bool = False) -> CheckResult:
    """fn(ids, merges) → the text: join every token's bytes, decode UTF-8."""
    reference = BPETokenizer(EXERCISE_MERGES)
    texts = ["The tokens of the model.", "苹果手机 🙂", "", "vocabulary"]
    return check_function(
        lambda ids: fn(list(ids), list(EXERCISE_MERGES)),
        reference.decode,
        [(reference.encode(t),) for t in texts],
        name="decode_ids",
        hint="先建字节表 vocab = {i: bytes([i]) for i in range(256)}，每个合并 "
        "vocab[256 + r] = vocab[a] + vocab[b]；把所有词元的字节拼起来再 .decode('utf-8')。",
        quiet=quiet,
    )


def check_one_hot_lookup(fn, quiet: bool = False) -> CheckResult:
    """fn(ids, weight) → one_hot(ids) @ weight, shape (len(ids), d)."""
    generator = torch.Generator().manual_seed(9)
    cases = [
        (torch.tensor([0, 3, 3, 1]), torch.randn(5, 4, generator=generator)),
        (torch.tensor([2]), torch.randn(3, 6, generator=generator)),
        (torch.tensor([4, 0, 9, 2, 7]), torch.randn(10, 3, generator=generator)),
    ]
    return check_function(
        lambda ids, weight: fn(ids.clone(), weight.clone()),
        lambda ids, weight: weight[ids],
        cases,
        name="one_hot_lookup",
        hint="torch.nn.functional.one_hot(ids, num_classes=weight.shape[0]) 得到"
        " (T, V) 的 0/1 矩阵，转成 float 后与 weight (V, d) 相乘。",
        rtol=1e-5,
        atol=1e-6,
        quiet=quiet,
    )
