"""Exercise checkers of 09_tokens_and_embeddings.

Each prints ✅ / ❌ (with a tiered hint) / ⏳ and returns a ``CheckResult``; none
raises because of the learner's code. References are the tested ``helpers.bpe``,
``helpers.special_tokens`` and PyTorch's embedding. Introduced in
09_tokens_and_embeddings.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from helpers.bigram import bigram_table, sequence_log_prob
from helpers.bpe import train_bpe
from helpers.checks import Cases, CheckResult, FunctionExercise, ValueExercise
from helpers.special_tokens import padded_nll

__all__ = [
    "CHECKER_CASES",
    "MERGE_TEXT",
    "check_first_merges",
    "check_one_hot_lookup",
    "check_padded_nll",
    "check_sequence_log_prob",
]

#: The text of the merge-prediction exercise (exercise 1).
MERGE_TEXT = "hug pug pun bun hugs"


def _first_merges() -> list[str]:
    tokenizer = train_bpe(MERGE_TEXT, 3)
    return [tokenizer.token_text(256 + rank) for rank in range(3)]


def _as_strings(answer) -> list[str]:
    if isinstance(answer, str) or not isinstance(answer, list | tuple):
        raise TypeError('请给出一个列表 (list)，例如 ["ab", "cd", "ef"]')
    if len(answer) != 3:
        raise ValueError(f"请给出正好 3 个新词元，收到 {len(answer)} 个")
    return [str.__str__(x) if isinstance(x, str) else repr(x) for x in answer]


def _merges_diagnose(args, got, expected) -> str | None:
    if isinstance(got, list) and not any(str(x).startswith(" ") for x in got):
        return '别忘了空格：" pug" 这个块以空格开头，空格也是一个字节，也能参与合并。'
    return None


FIRST_MERGES = ValueExercise(
    notebook="09",
    key="first_merges",
    title="first three BPE merges",
    expected=_first_merges,
    transform=_as_strings,
    diagnose=_merges_diagnose,
    hints=(
        "先按块 (chunk) 切：单词连同它前面的空格是一块，合并只在块内发生。"
        "数每一块里相邻两个符号出现的次数，选最多的；次数相同时选编号（字节值）最小的一对。",
        "块是 'hug'、' pug'、' pun'、' bun'、' hugs'。第一轮 'u'+'g' 出现 3 次。"
        "第二轮有几对都出现 2 次：比较它们第一个符号的字节值（空格是 32，'h' 是 104，'u' 是 117）。"
        "第三轮别忘了新词元 'ug' 也能和左边的字母组成一对。",
        '["ug", " p", "hug"]',
    ),
)


def check_first_merges(answer, *, quiet: bool = False) -> CheckResult:
    """Exercise 1 (predict by hand): the texts of the first three tokens BPE learns
    from ``MERGE_TEXT``, in order, as a list of three strings."""
    return FIRST_MERGES.check(answer, quiet=quiet)


def _log_prob_case(rng: np.random.Generator) -> tuple:
    V = int(rng.integers(3, 8))
    table = rng.dirichlet(np.ones(V), size=V)  # (V, V), rows sum to 1, all > 0
    ids = rng.integers(0, V, size=rng.integers(2, 9)).tolist()
    return ids, table


def _log_prob_visible() -> list[tuple]:
    # IDs 0 = BOS, 1 = EOS, 2 = "我", 3 = "爱", 4 = "猫": a table from three "sentences"
    framed = [[0, 2, 3, 4, 1], [0, 4, 3, 2, 1], [0, 2, 3, 2, 1]]
    table = bigram_table(framed, vocab_size=5)
    return [([0, 2, 3, 4, 1], table), ([0, 4, 1], table + 0.0), ([2, 3], table * 1.0)]


def _log_prob_diagnose(args, got, expected) -> str | None:
    ids, table = args
    probs = [table[a, b] for a, b in zip(ids[:-1], ids[1:], strict=True)]
    if np.isclose(got, np.prod(probs)):
        return "你返回的是概率的乘积；本题要的是对数概率之和 Σ ln P（乘积很快会下溢到 0）。"
    if np.isclose(got, np.sum(np.log10(probs))):
        return "你用的是以 10 为底的对数 log10；本课程的 log 一律表示自然对数 ln。"
    return None


SEQUENCE_LOG_PROB = FunctionExercise(
    notebook="09",
    key="sequence_log_prob",
    title="sequence_log_prob",
    reference=sequence_log_prob,
    cases=_log_prob_visible(),
    hidden=_log_prob_case,
    diagnose=_log_prob_diagnose,
    hints=(
        "二元模型 (bigram) 只看前一个词元：整串的概率是每一步 P(当前 | 前一个) 的乘积。"
        "序列已经以 BOS 开头，所以第一个真词元也有条件；BOS 自己不用预测。取对数后乘积变成什么？",
        "对 t = 1 … len(ids) − 1，取 table[ids[t − 1], ids[t]]，求 ln 后相加"
        "（ln 是自然对数，np.log 或 math.log）。一共 len(ids) − 1 项。",
        "return sum(math.log(table[a, b]) for a, b in zip(ids[:-1], ids[1:]))",
    ),
    rtol=1e-9,
    atol=1e-12,
)


def check_sequence_log_prob(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 2: ``sequence_log_prob(ids, table)`` → Σ_t ln table[ids[t-1], ids[t]]
    (a float), for ids framed as [BOS, …, EOS] and a (V, V) NumPy table."""
    return SEQUENCE_LOG_PROB.check(fn, quiet=quiet)


def _nll_case(rng: np.random.Generator) -> tuple:
    B, T = int(rng.integers(1, 5)), int(rng.integers(2, 7))
    lengths = rng.integers(1, T + 1, size=B)
    mask = np.arange(T)[None, :] < lengths[:, None]  # (B, T), right padding
    log_probs = np.log(rng.uniform(0.01, 1.0, size=(B, T)))
    return log_probs, mask


def _nll_diagnose(args, got, expected) -> str | None:
    log_probs, mask = args
    if np.isclose(got, -np.mean(log_probs)):
        return "你把 PAD 位置也算进去了：PAD 不是真词元，它的损失不该计入，也不该计入个数。"
    if np.isclose(got, -expected):
        return "符号反了：负对数似然 (NLL) 是 −Σ ln P，结果应当是正数。"
    return None


PADDED_NLL = FunctionExercise(
    notebook="09",
    key="padded_nll",
    title="padded_nll",
    reference=padded_nll,
    cases=[
        (
            np.log(np.array([[0.5, 0.25, 0.5], [0.125, 0.9, 0.9]])),
            np.array([[True, True, True], [True, False, False]]),
        ),
        (np.array([[-1.0, -2.0], [-3.0, -4.0]]), np.ones((2, 2), dtype=bool)),
        (np.array([[-0.1, -7.0, -7.0, -7.0]]), np.array([[True, False, False, False]])),
    ],
    hidden=_nll_case,
    diagnose=_nll_diagnose,
    hints=(
        "损失是“每个真词元的负对数概率”的平均。PAD 只是为了把批次补成矩形，"
        "它既不该贡献损失，也不该算进平均的分母。",
        "用 mask 把 PAD 位置的 log_probs 变成 0（或只取 mask 为 True 的元素），"
        "求和、取负号，再除以 mask 里 True 的个数（不是 B·T）。",
        "return float(-(log_probs * mask).sum() / mask.sum())",
    ),
    rtol=1e-9,
    atol=1e-12,
)


def check_padded_nll(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 3: ``padded_nll(log_probs, mask)`` → the mean −ln P over the real
    tokens (mask True) of a padded batch; NumPy arrays (B, T) in, a float out."""
    return PADDED_NLL.check(fn, quiet=quiet)


class RowLookupNotAllowed(RuntimeError):
    """Raised when an answer picks rows of the embedding table by index."""


class _NoRowLookup(torch.Tensor):
    """An embedding table that refuses row indexing, so the answer must be the
    (multi-)hot product the exercise asks for. Results are plain tensors, except
    copies of the table itself, which stay guarded."""

    _blocked = (
        torch.Tensor.__getitem__,
        torch.Tensor.__iter__,
        torch.Tensor.unbind,
        torch.unbind,
        torch.Tensor.index_select,
        torch.index_select,
        torch.Tensor.gather,
        torch.gather,
        torch.take,
        torch.Tensor.take,
        torch.embedding,
        F.embedding,
        F.embedding_bag,
    )

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if func in cls._blocked:
            raise RowLookupNotAllowed(
                "本练习要求用矩阵乘法 (matmul) 算出结果，不能按下标取出嵌入表的行 "
                "(row lookup such as weight[ids] or F.embedding is not allowed here)"
            )
        with torch._C.DisableTorchFunctionSubclass():
            result = func(*args, **(kwargs or {}))
        tensors = [a for a in args if isinstance(a, torch.Tensor)]
        if (
            isinstance(result, torch.Tensor)
            and tensors
            and all(isinstance(a, _NoRowLookup) for a in tensors)
        ):
            return result.as_subclass(cls)  # a copy/view of the table stays guarded
        return result

    def __deepcopy__(self, memo):
        with torch._C.DisableTorchFunctionSubclass():
            return self.detach().clone().as_subclass(type(self))


def _plain(t: torch.Tensor) -> torch.Tensor:
    with torch._C.DisableTorchFunctionSubclass():
        return t.detach().clone()


def _lookup_reference(ids: torch.Tensor, weight: torch.Tensor, scale: float):
    return F.embedding(ids, _plain(weight)) * scale  # (T, d)


def _lookup_case(rng: np.random.Generator) -> tuple:
    V, d = int(rng.integers(3, 12)), int(rng.integers(1, 6))
    ids = torch.as_tensor(
        rng.integers(0, V, size=rng.integers(1, 9)), dtype=torch.int64
    )
    weight = torch.as_tensor(rng.normal(size=(V, d)), dtype=torch.float64)
    return (
        ids,
        weight.as_subclass(_NoRowLookup),
        float(np.sqrt(d) * rng.uniform(0.5, 2)),
    )


def _lookup_visible() -> list[tuple]:
    gen = torch.Generator().manual_seed(9)
    shapes = [
        ([0, 3, 3, 1], 5, 4, 1.0),
        ([2], 3, 6, 6**0.5),
        ([4, 0, 9, 2, 7], 10, 3, 3**0.5),
    ]
    return [
        (
            torch.tensor(ids),
            torch.randn(V, d, generator=gen, dtype=torch.float64).as_subclass(
                _NoRowLookup
            ),
            scale,
        )
        for ids, V, d, scale in shapes
    ]


ONE_HOT_LOOKUP = FunctionExercise(
    notebook="09",
    key="one_hot_lookup",
    title="one_hot_lookup",
    reference=_lookup_reference,
    cases=_lookup_visible(),
    hidden=_lookup_case,
    hints=(
        "独热 (one-hot) 矩阵的每一行只有一个 1：它乘嵌入表，正好把对应的那一行“挑出来”。"
        "本题不允许按下标取行，只能用矩阵乘法；最后别忘了乘上 scale。",
        "F.one_hot(ids, num_classes=V) 得到 (T, V) 的整数矩阵，V 是 weight 的行数；"
        "转成和 weight 相同的 dtype，再 (T, V) @ (V, d) → (T, d)，乘以 scale。",
        "one_hot = F.one_hot(ids, num_classes=weight.shape[0]).to(weight.dtype)\n"
        "return (one_hot @ weight) * scale",
    ),
    rtol=1e-9,
    atol=1e-9,
)


def check_one_hot_lookup(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 4: ``one_hot_lookup(ids, weight, scale)`` → (T, d):
    ``scale * one_hot(ids) @ weight``. The table refuses row indexing (``weight[ids]``,
    ``F.embedding``), so the one-hot product itself is checked."""
    return ONE_HOT_LOOKUP.check(fn, quiet=quiet)


# --- answers for the tests --------------------------------------------------------


def _merges_no_space():
    return ["ug", "un", "hu"]  # ignores the chunks' leading spaces


def _merges_wrong_tie():
    return ["ug", "un", " p"]  # breaks the tie by the last symbol


def _log_prob_right(ids, table):
    return float(
        sum(np.log(table[a, b]) for a, b in zip(ids[:-1], ids[1:], strict=True))
    )


def _log_prob_product(ids, table):
    return float(np.prod([table[a, b] for a, b in zip(ids[:-1], ids[1:], strict=True)]))


def _log_prob_log10(ids, table):
    return float(
        sum(np.log10(table[a, b]) for a, b in zip(ids[:-1], ids[1:], strict=True))
    )


def _log_prob_skips_first(ids, table):
    return float(
        sum(np.log(table[a, b]) for a, b in zip(ids[1:-1], ids[2:], strict=True))
    )


def _nll_right(log_probs, mask):
    return float(-(log_probs * mask).sum() / mask.sum())


def _nll_counts_padding(log_probs, mask):
    return float(-log_probs.mean())


def _nll_divides_by_all(log_probs, mask):
    return float(-(log_probs * mask).sum() / mask.size)


def _nll_wrong_sign(log_probs, mask):
    return float((log_probs * mask).sum() / mask.sum())


def _lookup_right(ids, weight, scale):
    one_hot = F.one_hot(ids, num_classes=weight.shape[0]).to(weight.dtype)  # (T, V)
    return (one_hot @ weight) * scale


def _lookup_by_indexing(ids, weight, scale):
    return weight[ids] * scale  # right numbers, but no product: refused


def _lookup_no_scale(ids, weight, scale):
    return F.one_hot(ids, num_classes=weight.shape[0]).to(weight.dtype) @ weight


def _lookup_transposed(ids, weight, scale):
    one_hot = F.one_hot(ids, num_classes=weight.shape[0]).to(weight.dtype)
    return (weight.T @ one_hot.T) * scale  # (d, T)


CHECKER_CASES = [
    Cases(
        check_first_merges,
        FIRST_MERGES,
        right=[["ug", " p", "hug"], ("ug", " p", "hug")],
        wrong=[_merges_no_space(), _merges_wrong_tie(), "ug p hug"],
    ),
    Cases(
        check_sequence_log_prob,
        SEQUENCE_LOG_PROB,
        right=[sequence_log_prob, _log_prob_right],
        wrong=[_log_prob_product, _log_prob_log10, _log_prob_skips_first],
    ),
    Cases(
        check_padded_nll,
        PADDED_NLL,
        right=[padded_nll, _nll_right],
        wrong=[_nll_counts_padding, _nll_divides_by_all, _nll_wrong_sign],
    ),
    Cases(
        check_one_hot_lookup,
        ONE_HOT_LOOKUP,
        right=[_lookup_right],
        wrong=[_lookup_by_indexing, _lookup_no_scale, _lookup_transposed],
    ),
]
