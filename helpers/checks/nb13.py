"""Exercise checkers of 13_train_a_tiny_llm.

Each prints ✅ / ❌ (with a tiered hint) / ⏱ / ⏳ and returns a ``CheckResult``; none
raises because of the learner's code. Introduced in 13_train_a_tiny_llm.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from helpers.checks import Cases, CheckResult, FunctionExercise, ValueExercise
from helpers.data.addition import AdditionTask
from helpers.data.poems import is_well_formed
from helpers.sft import answer_only_loss
from helpers.train import TrainConfig, epochs, model_shape

__all__ = [
    "CHECKER_CASES",
    "check_addition_line",
    "check_answer_only_loss",
    "check_epochs_on_poems",
    "check_overfitting",
    "check_well_formed",
]

_TASK = AdditionTask(2)

# --- exercise 1: epochs of a run on a corpus of regular poems -----------------------


def _epochs_reference(steps, batch_size, context_length, n_poems, chars_per_poem):
    config = TrainConfig(
        model=model_shape(context_length=int(context_length)),
        batch_size=int(batch_size),
        steps=int(steps),
        warmup_steps=0,
    )
    return epochs(config, int(n_poems) * (int(chars_per_poem) + 1))  # + newline


def _epochs_case(rng: np.random.Generator) -> tuple:
    return (
        int(rng.integers(50, 5000)),
        int(rng.choice([8, 12, 16, 32, 64])),
        int(rng.choice([32, 64, 80, 128, 256])),
        int(rng.integers(1000, 60000)),
        int(rng.choice([24, 32, 48, 64])),  # 五绝, 七绝, 五律, 七律
    )


EPOCHS = FunctionExercise(
    notebook="13",
    key="epochs_on_poems",
    title="epochs of a run on poems",
    reference=_epochs_reference,
    cases=[
        (2000, 12, 80, 34226, 48),
        (1000, 64, 256, 20000, 24),  # 五言绝句: 24 characters + a newline
        (500, 8, 32, 5000, 64),  # 七言律诗
    ],
    hidden=_epochs_case,
    hints=(
        "一个轮次 (epoch) 是把训练语料的每个 token 都看一遍。先数一数语料里有多少个 token"
        "（别忘了每首诗后面那个看不见的字符），再数一数整个训练一共读了多少个 token。",
        "一首诗占 chars_per_poem + 1 个 token（换行符 \\n 也是一个 token）；"
        "一步读 batch_size × context_length 个 token；轮次 = 总共读的 token ÷ 语料 token 数。",
        "return steps * batch_size * context_length / (n_poems * (chars_per_poem + 1))",
    ),
    rtol=1e-9,
)


def check_epochs_on_poems(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 1: ``epochs_on_poems(steps, batch_size, context_length, n_poems,
    chars_per_poem)``: passes over a corpus of ``n_poems`` poems of
    ``chars_per_poem`` characters, one poem per line."""
    return EPOCHS.check(fn, quiet=quiet)


# --- exercise 2: the answer-only (SFT) loss -----------------------------------------


def _loss_case(rng: np.random.Generator) -> tuple:
    B, T, V = int(rng.integers(1, 5)), int(rng.integers(3, 10)), int(rng.integers(3, 9))
    g = torch.Generator().manual_seed(int(rng.integers(0, 2**31)))
    logits = torch.randn(B, T, V, generator=g) * float(rng.choice([1.0, 3.0]))
    targets = torch.randint(0, V, (B, T), generator=g)
    lengths = [int(p) for p in rng.integers(1, T + 1, size=B)]
    return logits, targets, lengths


def _loss_sample(seed: int, B: int, T: int, V: int, lengths: list[int]) -> tuple:
    g = torch.Generator().manual_seed(seed)
    return (
        torch.randn(B, T, V, generator=g),
        torch.randint(0, V, (B, T), generator=g),
        lengths,
    )


ANSWER_LOSS = FunctionExercise(
    notebook="13",
    key="answer_only_loss",
    title="answer-only (SFT) loss",
    reference=answer_only_loss,
    cases=[
        _loss_sample(1, 1, 6, 5, [3]),
        _loss_sample(2, 3, 8, 7, [2, 5, 8]),  # a prompt of T tokens: one answer target
        _loss_sample(3, 2, 5, 4, [1, 4]),  # a prompt of 1 token: every target counts
    ],
    hidden=_loss_case,
    hints=(
        "监督微调只想让模型学会写回答。想清楚三件事：第 t 个位置的目标 (target) 是哪个 token？"
        "长度为 p 的提示 (prompt) 之后，第一个回答 token 是在哪个位置被预测的？"
        "平均时分母是所有位置，还是只有回答的位置？",
        "targets[b, t] 是输入里第 t + 1 个 token，所以回答的第一个 token 由位置 p − 1 预测；"
        "把每行前 p − 1 个目标改成 −100，再交给 F.cross_entropy(…, ignore_index=-100)："
        "它只对没被忽略的位置求平均。",
        "y = targets.clone()\n"
        "for b, p in enumerate(prompt_lengths):\n"
        "    y[b, : p - 1] = -100\n"
        "return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))",
    ),
    rtol=1e-5,
    atol=1e-6,
)


def check_answer_only_loss(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 2: ``sft_loss(logits, targets, prompt_lengths)``: mean
    cross-entropy over the answer positions only, for logits (B, T, V), targets
    (B, T) with ``targets[:, t] = x[:, t + 1]``, and one prompt length per row."""
    return ANSWER_LOSS.check(fn, quiet=quiet)


# --- exercise 3: the form rule of a regular poem ------------------------------------

_HAN = [chr(c) for c in range(0x4E00, 0x4E00 + 2000)]


def _sentences(rng, n_sentences: int, n_chars: int) -> list[str]:
    return [
        "".join(_HAN[int(i)] for i in rng.integers(0, len(_HAN), size=n_chars))
        for _ in range(n_sentences)
    ]


def _join(sentences: list[str], marks: list[str]) -> str:
    return "".join(s + m for s, m in zip(sentences, marks, strict=True))


def _poem_case(rng: np.random.Generator) -> tuple:
    n_chars = int(rng.choice([5, 7]))
    n_sentences = int(rng.choice([4, 8]))
    sentences = _sentences(rng, n_sentences, n_chars)
    marks = ["，", "。"] * (n_sentences // 2)
    kind = int(rng.integers(0, 6))
    if kind == 1:  # one sentence one character short or long
        i = int(rng.integers(0, n_sentences))
        sentences[i] = sentences[i][:-1] if rng.random() < 0.5 else sentences[i] + "春"
    elif kind == 2:  # the punctuation of a couplet swapped
        i = 2 * int(rng.integers(0, n_sentences // 2))
        marks[i], marks[i + 1] = marks[i + 1], marks[i]
    elif kind == 3:  # 2, 6 or 10 sentences
        n = int(rng.choice([2, 6, 10]))
        sentences, marks = _sentences(rng, n, n_chars), ["，", "。"] * (n // 2)
    elif kind == 4:  # a Latin letter or a digit inside
        i = int(rng.integers(0, n_sentences))
        sentences[i] = sentences[i][:-1] + str(rng.choice(list("a7X")))
    return (_join(sentences, marks),)


WELL_FORMED = FunctionExercise(
    notebook="13",
    key="well_formed",
    title="is a poem well formed",
    reference=is_well_formed,
    cases=[
        ("床前明月光，疑是地上霜。举头望明月，低头思故乡。",),
        ("朝辞白帝彩云间，千里江陵一日还。两岸猿声啼不住，轻舟已过万重山。",),
        ("床前明月光，疑是地上霜。举头望明月，低头思故乡",),  # no final 。
        ("床前明月光，疑是地上霜。举头望明月。低头思故乡，",),  # 。/， swapped
        ("床前明月光，疑是地上霜。举头望明月，低头思故乡。床前明月光，疑是地上霜。",),
        ("床前明月光，千里江陵一日还。举头望明月，低头思故乡。",),  # 5 and 7 mixed
        ("春眠不觉晓，处处闻啼鸟。夜来风雨声，花落知多少。",),
        ("春眠不觉晓，处处闻啼鸟。夜来风雨声，花落知多少。\n",),  # a sampled line
        ("春眠不觉晓，处处闻啼鸟。夜来风雨声，花落知多a。",),
    ],
    hidden=_poem_case,
    hints=(
        "把规则拆成几条分别检查：句子有几句？每句几个字？所有句子字数一样吗？"
        "标点是不是一句“，”一句“。”轮流出现？别忘了生成的诗后面可能带着换行符。",
        "先去掉首尾空白 (strip)，再逐字扫描：遇到 ， 或 。 就结束一句，记下这一句的字数和标点；"
        "要求：句数是 4 或 8，所有句长都等于 5 或都等于 7，第 1、3、5… 句以 ， 结尾、"
        "第 2、4… 句以 。 结尾，句子里只有汉字（可用 '\\u4e00' <= ch <= '\\u9fff' 判断）。",
        "import re\n"
        "m = re.fullmatch(r'((?:[\\u4e00-\\u9fff]{5}，[\\u4e00-\\u9fff]{5}。){2}){1,2}|"
        "((?:[\\u4e00-\\u9fff]{7}，[\\u4e00-\\u9fff]{7}。){2}){1,2}', poem.strip())\n"
        "return m is not None",
    ),
)


def check_well_formed(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 3: ``well_formed(poem)`` → True for a regular 五言 / 七言 絶句 or
    律詩 (4 or 8 sentences of 5 or of 7 Han characters, ，。 alternating)."""
    return WELL_FORMED.check(fn, quiet=quiet)


# --- exercise 4: why validation loss rises (a prediction) ---------------------------

#: The options of exercise 4, as the notebook shows them.
OVERFITTING_OPTIONS = {
    "A": "the learning rate is too high, so every step overshoots",
    "B": "the model memorises the training poems it has seen many times",
    "C": "the validation poems are harder than the training poems",
    "D": "the validation estimate uses too few batches to be trusted",
}
_OVERFITTING_WHY = {
    "A": "学习率太大时训练损失也会震荡或上升，可这里训练损失一直在降。",
    "C": "训练集和验证集是按首随机分开的，难度一样：第一轮时两条曲线几乎重合。",
    "D": "估计的噪声会让曲线上下抖，却不会让它一轮比一轮稳定地往上走。",
}


def _as_letter(answer) -> str:
    if not isinstance(answer, str) or answer.strip().upper() not in OVERFITTING_OPTIONS:
        raise ValueError('请给出一个选项字母 (letter)："A"、"B"、"C" 或 "D"')
    return answer.strip().upper()


def _diagnose_overfitting(args, got, expected) -> str | None:
    return _OVERFITTING_WHY.get(str(got))


OVERFITTING = ValueExercise(
    notebook="13",
    key="overfitting",
    title="why val loss rises",
    expected=lambda: next(
        k for k, v in OVERFITTING_OPTIONS.items() if "memorises" in v
    ),
    transform=_as_letter,
    diagnose=_diagnose_overfitting,
    hints=(
        "比较两条曲线：训练损失一直在降，说明优化本身没出问题。"
        "那么到了很多轮之后，模型在训练集上“学到”的东西里，有哪些是验证集用不上的？",
        "每多一轮，模型就把同样的三万多首诗又读一遍：它开始记住具体的诗句，"
        "而不是五言七言的一般规律。",
        '"B"',
    ),
)


def check_overfitting(answer, *, quiet: bool = False) -> CheckResult:
    """Exercise 4: the letter of the reason why, after many epochs on the poems,
    validation loss rises while training loss keeps falling."""
    return OVERFITTING.check(answer, quiet=quiet)


# --- exercise 5: one line of the addition task ---------------------------------------


def _addition_case(rng: np.random.Generator) -> tuple:
    return int(rng.integers(0, 100)), int(rng.integers(0, 100))


ADDITION_LINE = FunctionExercise(
    notebook="13",
    key="addition_line",
    title="addition line",
    reference=_TASK.line,
    cases=[(12, 34), (99, 99), (5, 7), (0, 0), (50, 60)],
    hidden=_addition_case,
    hints=(
        "一行 = 题目 + 答案 + 换行。三个数都要先补零到固定位数（加数两位、和三位），"
        "再倒过来写（个位在前）。",
        "例：12 + 34 → 加数写成 '21' 和 '43'，和 046 写成 '640'，"
        "合起来是 '21+43=640\\n'；5 + 7 → '50+70=210\\n'。",
        'return f"{a:02d}"[::-1] + "+" + f"{b:02d}"[::-1] + "=" + f"{a + b:03d}"[::-1] + "\\n"',
    ),
)


def check_addition_line(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 5: ``addition_line(a, b)`` → the training line of a + b (2 digits,
    every number written backwards, answer padded to 3 digits, then a newline)."""
    return ADDITION_LINE.check(fn, quiet=quiet)


# --- answers for the tests --------------------------------------------------------


def _epochs_right(steps, batch_size, context_length, n_poems, chars_per_poem):
    return steps * batch_size * context_length / (n_poems * (chars_per_poem + 1))


def _epochs_no_newline(steps, batch_size, context_length, n_poems, chars_per_poem):
    return steps * batch_size * context_length / (n_poems * chars_per_poem)


def _epochs_no_batch(steps, batch_size, context_length, n_poems, chars_per_poem):
    return steps * context_length / (n_poems * (chars_per_poem + 1))


def _sft_right(logits, targets, prompt_lengths):
    y = targets.clone()
    for b, p in enumerate(prompt_lengths):
        y[b, : p - 1] = -100
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


def _sft_no_mask(logits, targets, prompt_lengths):
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def _sft_off_by_one(logits, targets, prompt_lengths):
    y = targets.clone()
    for b, p in enumerate(prompt_lengths):
        y[b, :p] = -100  # also drops the first answer token
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


def _sft_mean_over_all(logits, targets, prompt_lengths):
    y = targets.clone()
    for b, p in enumerate(prompt_lengths):
        y[b, : p - 1] = -100
    losses = F.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="none"
    )
    return losses.sum() / y.numel()  # divides by every position


def _form_lengths_only(poem):
    import re

    sentences = [s for s in re.split("[，。]", poem.strip()) if s]
    lengths = {len(s) for s in sentences}
    return len(sentences) in (4, 8) and len(lengths) == 1 and lengths <= {5, 7}


def _form_mixed_lengths(poem):
    import re

    poem = poem.strip()
    sentences = re.findall(r"([\u4e00-\u9fff]+)([，。])", poem)
    if "".join(s + m for s, m in sentences) != poem or len(sentences) not in (4, 8):
        return False
    marks_ok = all(m == "，。"[i % 2] for i, (_, m) in enumerate(sentences))
    return marks_ok and all(len(s) in (5, 7) for s, _ in sentences)


def _form_any_count(poem):
    import re

    poem = poem.strip()
    sentences = re.findall(r"([\u4e00-\u9fff]+)([，。])", poem)
    if "".join(s + m for s, m in sentences) != poem or not sentences:
        return False
    marks_ok = all(m == "，。"[i % 2] for i, (_, m) in enumerate(sentences))
    lengths = {len(s) for s, _ in sentences}
    return marks_ok and len(lengths) == 1 and lengths <= {5, 7} and poem.endswith("。")


def _line_unpadded(a, b):
    return f"{a}"[::-1] + "+" + f"{b}"[::-1] + "=" + f"{a + b}"[::-1] + "\n"


def _line_forwards(a, b):
    return f"{a:02d}+{b:02d}={a + b:03d}\n"


CHECKER_CASES = [
    Cases(
        check_epochs_on_poems,
        EPOCHS,
        right=[_epochs_right],
        wrong=[_epochs_no_newline, _epochs_no_batch],
    ),
    Cases(
        check_answer_only_loss,
        ANSWER_LOSS,
        right=[_sft_right, answer_only_loss],
        wrong=[_sft_no_mask, _sft_off_by_one, _sft_mean_over_all],
    ),
    Cases(
        check_well_formed,
        WELL_FORMED,
        right=[is_well_formed],
        wrong=[_form_lengths_only, _form_mixed_lengths, _form_any_count],
    ),
    Cases(check_overfitting, OVERFITTING, right=["B", " b "], wrong=["A", "C", "D"]),
    Cases(
        check_addition_line,
        ADDITION_LINE,
        right=[_TASK.line],
        wrong=[_line_unpadded, _line_forwards],
    ),
]
