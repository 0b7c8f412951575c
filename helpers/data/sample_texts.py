"""Small texts, written for this course, for the tokenizer demos.

Introduced in 09_tokens_and_embeddings. ``ENGLISH_TEXT`` trains the demo BPE;
``ENGLISH_HELDOUT`` is a different paragraph on the same topic, to measure how
the tokenizer does on text it has not seen; ``CHINESE_TEXT`` shows what each
tokenizer does with Chinese.
"""

from __future__ import annotations

__all__ = ["CHINESE_TEXT", "ENGLISH_HELDOUT", "ENGLISH_TEXT", "all_texts"]

ENGLISH_TEXT = (
    "A language model reads text as a sequence of tokens and learns to predict "
    "the next token. Before it can do that, the text has to be turned into "
    "numbers. A tokenizer cuts the text into pieces and gives every piece an "
    "integer ID; an embedding table then turns every ID into a vector of numbers "
    "that the network can multiply, add and compare. The network itself never "
    "sees letters or words, only these vectors.\n"
    "The simplest tokenizer uses one token per character. Its vocabulary is "
    "small, but the sequences are long, and the model has to learn how letters "
    "form words before it can learn anything about meaning. A word tokenizer "
    "gives short sequences, but its vocabulary is huge, and every word that was "
    "not in the training text becomes an unknown token. Subword tokenizers sit "
    "in between: frequent words become single tokens, while rare words are "
    "built from smaller pieces, so nothing is ever unknown.\n"
    "Byte pair encoding is the subword method used by many large models. It "
    "starts from the bytes of the text and repeatedly merges the pair of "
    "neighbouring tokens that appears most often. Each merge adds one token to "
    "the vocabulary and makes the encoded text a little shorter. After a few "
    "thousand merges, common words such as the, model and token are single "
    "tokens, and the model can spend its attention on meaning instead of "
    "spelling.\n"
    "Once the tokens are vectors, the model still needs to know their order, "
    "because attention by itself treats the input as a set. Positional "
    "encodings add that information. Then the layers of the transformer mix "
    "the vectors, and the output head turns the last vector into a probability "
    "for every token in the vocabulary. Training adjusts the weights so that "
    "the token that really comes next gets a high probability."
)

ENGLISH_HELDOUT = (
    "When we train a small model on a laptop, every choice costs time. A larger "
    "vocabulary makes the sequences shorter, so each training step covers more "
    "text, but it also makes the embedding table and the output layer bigger. "
    "Engineers therefore pick the number of merges by measuring both effects on "
    "their own data, and they keep the tokenizer fixed once training begins, "
    "because changing it would change the meaning of every ID."
)

CHINESE_TEXT = (
    "大语言模型的工作方式其实很朴素：读入一段文字，预测下一个词元，再把预测出的词元接在后面，"
    "一个接一个地写下去。为了让神经网络能够处理文字，分词器先把文字切成词元，每个词元对应一个编号；"
    "嵌入表再把每个编号变成一个向量。向量经过许多层变换器模块的加工，每一层都让词元互相关注、"
    "交换信息，最后由输出层给词表里的每个词元打出一个概率。训练的目标很简单：让真正出现的下一个词元"
    "得到更高的概率。模型越大、读过的文字越多，它预测得就越准。本课程从一个神经元讲起，经过激活函数、"
    "反向传播、优化器和归一化，再到分词、词向量、位置编码和注意力，最后亲手训练并运行一个小模型。"
)


def all_texts() -> dict[str, str]:
    """The sample texts by name. Introduced in 09_tokens_and_embeddings."""
    return {
        "english": ENGLISH_TEXT,
        "english_heldout": ENGLISH_HELDOUT,
        "chinese": CHINESE_TEXT,
    }
