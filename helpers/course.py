"""The course itself as data: its notebooks, the path of a piece of text through
an LLM (each stage linked to the notebook that teaches it), the steps of training
and inference, and a tiny decoder run end to end to show each stage's shape.

Core code: the figures (``helpers.plotting.course_map``), the panels
(``helpers.widgets.course_map``) and the checkers (``helpers.checks.nb00``) read
these facts from here. Introduced in 00_course_map.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from helpers.data.char_tokenizer import CharTokenizer
from helpers.transformer import Decoder, DecoderConfig
from helpers.validate import as_array, check_int, check_number

__all__ = [
    "greedy_pick",
    "INFERENCE_STEPS",
    "notebook_file",
    "NOTEBOOKS",
    "PIPELINE",
    "pipeline_shapes",
    "PipelineShapes",
    "Stage",
    "stage_keys",
    "TRAINING_STEPS",
    "wave",
]

#: Every notebook of the course: file stem → Chinese title (in order).
NOTEBOOKS: dict[str, str] = {
    "00_course_map": "课程导览与环境检查",
    "01_neuron": "从生物神经元到人工神经元",
    "02_leaf_flower": "叶子还是花？一个能算的神经网络",
    "03_activations": "激活函数",
    "04_tensors_and_gpu": "张量、矩阵乘法与 GPU",
    "05_backprop": "反向传播",
    "06_loss_functions": "损失函数",
    "07_optimizers": "梯度下降与优化器",
    "08_normalization": "初始化、归一化、残差与正则化",
    "09_tokens_and_embeddings": "语言模型、分词与词向量",
    "10_positional_encoding": "位置编码与 RoPE",
    "11_self_attention": "自注意力",
    "12_transformer_block": "Transformer 块与 LLaMA 结构",
    "13_train_a_tiny_llm": "训练一个小型解码器（GPU 优先）",
    "14_inference_and_kv_cache": "推理、KV Cache 与采样",
    "15_parallel_training": "为什么需要集群：并行训练",
}

#: The steps of one training iteration, in order.
TRAINING_STEPS: tuple[str, ...] = ("forward", "loss", "backward", "update")
#: The steps of inference: the weights are frozen, so only the forward pass.
INFERENCE_STEPS: tuple[str, ...] = ("forward",)


def notebook_file(number: int) -> str:
    """File name of notebook ``number`` (0–15), e.g. ``"04_tensors_and_gpu.ipynb"``.

    Introduced in 00_course_map.
    """
    if isinstance(number, bool) or not isinstance(number, int):
        raise TypeError(f"number must be an integer, got {type(number).__name__}")
    stems = list(NOTEBOOKS)
    if not 0 <= number < len(stems):
        raise ValueError(f"number must be between 0 and {len(stems) - 1}, got {number}")
    return stems[number] + ".ipynb"


@dataclass(frozen=True)
class Stage:
    """One stage on the path of text through an LLM. Introduced in 00_course_map."""

    key: str  # identifier used by the panel and the exercises
    label: str  # short English label drawn in the figure
    name_zh: str  # Chinese name shown in the panel's readout
    shape: str  # what the data looks like after this stage
    notebooks: tuple[int, ...]  # notebooks that teach this stage
    summary_zh: str  # one sentence on what happens here


#: The path of a piece of text through a decoder-only LLM.
PIPELINE: tuple[Stage, ...] = (
    Stage(
        "text",
        "text",
        "文本",
        "str: 'the cat sat on the'",
        (9,),
        "一句话进入模型之前只是一串字符。",
    ),
    Stage(
        "tokenizer",
        "tokenizer",
        "分词器",
        "list of tokens",
        (9,),
        "把文本切成 token。切分规则（例如 BPE 的合并表）是事先从语料里统计"
        "训练出来的；训练好之后就固定不变，也不随模型一起梯度下降。",
    ),
    Stage(
        "token_ids",
        "token IDs",
        "token 编号",
        "[B, T] integers",
        (4, 9),
        "每个 token 换成它在词表里的编号。",
    ),
    Stage(
        "embedding",
        "embedding",
        "词嵌入",
        "[B, T, H] floats",
        (4, 9),
        "查表：每个编号取出词嵌入矩阵的一行，变成 H 维向量。",
    ),
    Stage(
        "decoder",
        "N x decoder\nblock",
        "N 个解码器块",
        "[B, T, H] floats",
        (1, 3, 8, 10, 11, 12),
        "注意力让每个位置吸收上下文，MLP 逐位置加工；重复 N 次，形状不变。",
    ),
    Stage(
        "head",
        "output head",
        "输出头",
        "[B, T, V] logits",
        (4, 12),
        "一次矩阵乘法把 H 维向量映射成词表里每个 token 的分数 (logits)。",
    ),
    Stage(
        "probs",
        "next-token\nprobabilities",
        "下一个 token 的概率",
        "[B, T, V], rows sum to 1",
        (6, 14),
        "softmax 把分数变成概率；按概率挑出下一个 token，再接回输入。",
    ),
)


def stage_keys() -> list[str]:
    """The stage keys in pipeline order. Introduced in 00_course_map."""
    return [stage.key for stage in PIPELINE]


@dataclass(frozen=True)
class PipelineShapes:
    """What each stage of a tiny, untrained decoder produced for one sentence."""

    text: str  # the input sentence
    tokens: list[str]  # the tokenizer's pieces (here: one per character)
    token_ids: list[int]  # one ID per token
    vocab_size: int  # V
    n_layer: int  # N, the decoder blocks stacked
    shapes: dict[str, tuple[int, ...]]  # stage key → shape of what it produced
    prob_sum: float  # the next-token probabilities add up to this (1.0)


def pipeline_shapes(
    text: str = "the cat sat on the",
    *,
    d_model: int = 16,
    n_layer: int = 2,
    seed: int = 0,
) -> PipelineShapes:
    """Run ``text`` through a character tokenizer and a tiny untrained decoder
    (``helpers.transformer.Decoder``) and report the shape after every stage.

    The weights are random, so the probabilities mean nothing; the shapes are
    those of a real model (B = 1 sentence, T tokens, H = ``d_model``, V = the
    number of distinct characters). Introduced in 00_course_map.
    """
    if not isinstance(text, str) or not text:
        raise ValueError("text must be a non-empty string")
    d_model = check_int(d_model, "d_model", low=4)
    n_layer = check_int(n_layer, "n_layer", low=1, high=8)
    seed = check_int(seed, "seed", low=0)
    tokenizer = CharTokenizer.from_text(text)
    ids = tokenizer.encode(text)
    config = DecoderConfig(
        vocab_size=len(tokenizer.chars),
        context_length=len(ids),
        n_layer=n_layer,
        n_head=2,
        d_model=d_model,
        d_ff=2 * d_model,
    )
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        model = Decoder(config).eval()
    finally:
        torch.random.set_rng_state(generator_state)  # leave the caller's RNG alone
    token_ids = torch.tensor([ids])  # (B, T)
    seen: dict[str, tuple[int, ...]] = {}

    def record(name):
        def hook(module, inputs, output):
            seen[name] = tuple(output.shape)

        return hook

    hooks = [
        model.token_embedding.register_forward_hook(record("embedding")),
        model.blocks[-1].register_forward_hook(record("decoder")),
    ]
    try:
        with torch.no_grad():
            logits = model(token_ids)  # (B, T, V)
    finally:
        for hook in hooks:
            hook.remove()
    probs = torch.softmax(logits[:, -1], dim=-1)  # (B, V): the next token only
    shapes = {
        "text": (len(text),),
        "tokenizer": (len(ids),),
        "token_ids": tuple(token_ids.shape),
        "embedding": seen["embedding"],  # (B, T, H)
        "decoder": seen["decoder"],  # after the last block: still (B, T, H)
        "head": tuple(logits.shape),
        "probs": tuple(probs.shape),
    }
    return PipelineShapes(
        text=text,
        tokens=[tokenizer.chars[i] for i in ids],
        token_ids=list(ids),
        vocab_size=config.vocab_size,
        n_layer=n_layer,
        shapes=shapes,
        prob_sum=float(probs.sum()),
    )


def greedy_pick(probs, vocab) -> tuple[str, float]:
    """Greedy decoding: the most probable token (the first one on ties) and its
    probability, as a pair ``(token, probability)``.

    Introduced in 00_course_map (exercise 3); 14_inference_and_kv_cache compares
    it with sampling.
    """
    p = as_array(probs, "probs", ndim=1)
    if len(vocab) != len(p):
        raise ValueError(
            f"vocab has {len(vocab)} tokens but probs has {len(p)} entries"
        )
    if (p < 0).any():
        raise ValueError("probs must be non-negative")
    best = int(np.argmax(p))
    return vocab[best], float(p[best])


def wave(x, frequency: float, amplitude: float) -> np.ndarray:
    """``amplitude · sin(2π · frequency · x)``. Introduced in 00_course_map."""
    frequency = check_number(frequency, "frequency", low=0)
    amplitude = check_number(amplitude, "amplitude", low=0)
    return amplitude * np.sin(2 * np.pi * frequency * np.asarray(x, dtype=float))
