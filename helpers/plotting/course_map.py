"""The course map of 00_course_map: every notebook, the path of a piece of text
through an LLM (each stage linked to the notebook that teaches it), and training
vs inference drawn side by side."""

from __future__ import annotations

from dataclasses import dataclass

from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from helpers.plotting import COLORS, new_figure
from helpers.validate import check_choice

__all__ = [
    "NOTEBOOKS",
    "PIPELINE",
    "Stage",
    "notebook_file",
    "plot_pipeline",
    "plot_training_vs_inference",
    "stage_keys",
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


#: The path of a piece of text through a decoder-only LLM (001 整体流程图).
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
        "按一张固定的表 (如 BPE) 把文本切成 token，不含可学习的参数。",
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


def plot_pipeline(highlight: str | None = None):
    """Boxes and arrows: text → … → next-token probabilities, with the notebooks
    that teach each stage under its box. ``highlight`` (a stage key) is coloured.

    Returns ``(fig, boxes)``: ``boxes`` maps a stage key to its box patch, so a
    panel can recolour boxes without redrawing. Introduced in 00_course_map.
    """
    if highlight is not None:
        check_choice(highlight, "stage", stage_keys())
    fig, ax = new_figure((9.0, 2.0), dpi=72)
    ax.set_xlim(0, len(PIPELINE))
    ax.set_ylim(0.1, 1.12)
    ax.axis("off")
    boxes = {}
    for i, stage in enumerate(PIPELINE):
        box = FancyBboxPatch(
            (i + 0.08, 0.38),
            0.84,
            0.5,
            boxstyle="round,pad=0.02",
            fc=COLORS[4] if stage.key == highlight else "#DCEBF7",
            ec=COLORS[0],
        )
        ax.add_patch(box)
        boxes[stage.key] = box
        ax.text(i + 0.5, 0.63, stage.label, ha="center", va="center", fontsize=9)
        tags = ", ".join(f"{n:02d}" for n in stage.notebooks)
        ax.text(
            i + 0.5,
            0.22,
            f"nb {tags}",
            ha="center",
            va="center",
            fontsize=8,
            color="0.3",
        )
        if i + 1 < len(PIPELINE):
            ax.add_patch(
                FancyArrowPatch(
                    (i + 0.94, 0.63),
                    (i + 1.06, 0.63),
                    arrowstyle="-|>",
                    mutation_scale=10,
                )
            )
    ax.annotate(
        "",
        xy=(0.5, 0.9),
        xytext=(len(PIPELINE) - 0.5, 0.9),
        arrowprops={
            "arrowstyle": "-|>",
            "color": COLORS[1],
            "connectionstyle": "arc3,rad=0.06",
        },
    )
    ax.text(
        len(PIPELINE) / 2,
        1.05,
        "append the chosen token and repeat",
        ha="center",
        fontsize=8,
        color=COLORS[1],
    )
    return fig, boxes


def plot_training_vs_inference():
    """Training (a loop: forward, loss, backward, update) beside inference (one
    forward pass with frozen weights). Introduced in 00_course_map."""
    fig, (left, right) = new_figure((8.0, 2.6), ncols=2)
    steps = ["forward", "loss", "backward", "update"]
    for i, step in enumerate(steps):
        left.text(
            i * 1.1 + 0.5,
            0.55,
            step,
            ha="center",
            va="center",
            fontsize=9,
            bbox={"boxstyle": "round", "fc": "#DCEBF7", "ec": COLORS[0]},
        )
        if i + 1 < len(steps):
            left.annotate(
                "",
                xy=(i * 1.1 + 1.1, 0.55),
                xytext=(i * 1.1 + 0.95, 0.55),
                arrowprops={"arrowstyle": "-|>"},
            )
    left.annotate(
        "",
        xy=(0.5, 0.75),
        xytext=(3.8, 0.75),
        arrowprops={
            "arrowstyle": "-|>",
            "color": COLORS[1],
            "connectionstyle": "arc3,rad=0.3",
        },
    )
    left.text(
        2.15,
        0.2,
        "repeat over many batches: weights change",
        ha="center",
        fontsize=8,
        color=COLORS[1],
    )
    left.set_xlim(0, 4.4)
    left.set_ylim(0, 1.15)
    left.axis("off")
    left.set_title("Training: learn the weights", fontsize=10)
    for x, label in (
        (0.4, "input X"),
        (1.5, "model\n(weights frozen)"),
        (2.6, "output Y"),
    ):
        right.text(
            x,
            0.55,
            label,
            ha="center",
            va="center",
            fontsize=9,
            bbox={"boxstyle": "round", "fc": "#DDF2EA", "ec": COLORS[2]},
        )
    for start, end in ((0.75, 1.0), (2.0, 2.25)):
        right.annotate(
            "", xy=(end, 0.55), xytext=(start, 0.55), arrowprops={"arrowstyle": "-|>"}
        )
    right.text(
        1.5,
        0.2,
        "forward pass only: no loss, no gradients",
        ha="center",
        fontsize=8,
        color=COLORS[2],
    )
    right.set_xlim(0, 3.0)
    right.set_ylim(0, 1.15)
    right.axis("off")
    right.set_title("Inference: use the weights", fontsize=10)
    return fig
