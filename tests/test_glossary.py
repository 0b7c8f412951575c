"""The glossary (guide/glossary.md) lists every "中文 (English)" term the notebooks
introduce, and the extraction rule keeps real terms and drops false positives.

The rule itself is documented at the top of tools/glossary.py.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_SPEC = importlib.util.spec_from_file_location(
    "glossary", ROOT / "tools" / "glossary.py"
)
glossary = importlib.util.module_from_spec(_SPEC)
sys.modules["glossary"] = glossary  # dataclasses look the module up by name
_SPEC.loader.exec_module(glossary)

REGENERATE = "run `.venv/bin/python tools/glossary.py` and commit guide/glossary.md"


@pytest.fixture(scope="module")
def entries():
    return glossary.glossary_entries()


def test_committed_glossary_has_every_term_the_notebooks_introduce(entries):
    path = glossary.GLOSSARY_PATH
    assert path.exists(), f"{path} is missing: {REGENERATE}"
    text = path.read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| ([^|]+?) \| [^|]+? \| ([^|]+?) \|", text, re.M))
    missing = [
        f"{t.zh} ({t.en}) — {t.notebook}, {t.heading}"
        for t in entries
        if (t.zh, t.en) not in rows
    ]
    assert not missing, (
        "terms missing from the glossary:\n"
        + "\n".join(missing[:20])
        + f"\n{REGENERATE}"
    )


def test_committed_glossary_is_not_stale(entries):
    expected = glossary.render_markdown(entries)
    current = glossary.GLOSSARY_PATH.read_text(encoding="utf-8")
    assert current == expected, f"guide/glossary.md is stale: {REGENERATE}"


def test_glossary_is_large_and_points_at_real_notebooks(entries):
    assert len(entries) >= 150, len(entries)
    stems = {p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    for term in entries:
        assert term.notebook in stems, term
        assert term.heading, f"{term} has no section heading"
        assert term.zh and term.en, term


def _notebook(path: Path, *markdown: str) -> None:
    cells = [{"cell_type": "markdown", "metadata": {}, "source": m} for m in markdown]
    path.write_text(json.dumps({"cells": cells}), encoding="utf-8")


def test_first_appearance_is_recorded(tmp_path):
    _notebook(
        tmp_path / "00_a.ipynb",
        "# 00 · 甲\n\n没有术语。",
        "## 1. 开头\n分词器 (tokenizer)",
    )
    _notebook(
        tmp_path / "01_b.ipynb",
        "# 01 · 乙\n\n## 2. 再谈\n分词器 (tokenizer) 和**词元** (token)",
    )
    entries = glossary.glossary_entries(tmp_path)
    where = {(t.zh, t.en): (t.notebook, t.heading) for t in entries}
    assert where == {
        ("分词器", "tokenizer"): ("00_a", "1. 开头"),
        ("词元", "token"): ("01_b", "2. 再谈"),
    }
    occurrences = glossary.extract_terms(tmp_path)
    assert len(occurrences) == 3  # every occurrence, in course order


def test_sorted_by_pinyin_and_by_english(entries):
    keys = [(t.pinyin, t.zh, t.en.lower()) for t in entries]
    assert keys == sorted(keys)
    assert entries[0].pinyin[0] <= entries[-1].pinyin[0]
    text = glossary.render_markdown(entries)
    english_part = text.split("## By English", 1)[1]
    english = re.findall(r"^\| ([^|]+?) \|", english_part, re.M)[
        1:
    ]  # skip the header row
    assert [e.lower() for e in english] == sorted(e.lower() for e in english)
    assert len(english) == len(entries)
    # pinyin with tone numbers: 激活函数 → ji1 huo2 han2 shu4
    term = glossary.Term("激活函数", "activation function", "03_activations", "x")
    assert term.pinyin == "ji1 huo2 han2 shu4"


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        (
            "激活函数 (activation function) 把 z 变弯。",
            [("激活函数", "activation function")],
        ),
        ("这叫**下溢** (underflow)。", [("下溢", "underflow")]),
        (
            "**激活函数 (activation function)** 是",
            [("激活函数", "activation function")],
        ),
        ("全角括号：词表（vocabulary）", [("词表", "vocabulary")]),
        ("每一层的 KV 缓存 (KV cache) 很大", [("KV 缓存", "KV cache")]),
        ("这就是贪心解码 (greedy decoding)。", [("贪心解码", "greedy decoding")]),
        (
            "1. 理解残差连接 (residual connection) 如何",
            [("残差连接", "residual connection")],
        ),
        (
            "多层感知机 (MLP, multi-layer perceptron)",
            [("多层感知机", "MLP, multi-layer perceptron")],
        ),
    ],
)
def test_terms_are_found(markdown, expected):
    assert glossary.terms_in_text(markdown) == expected


@pytest.mark.parametrize(
    "markdown",
    [
        "形状是 (B, T, H)，",  # a shape, not a term
        "输出 (0.8, 0.2) 经过 softmax",  # numbers
        "见 [06 · 损失函数](06_loss_functions.ipynb)（softmax）",  # a link, then a remark
        "详见第 12 节 (见 12 节)",  # a Chinese parenthetical
        "代码 `model(x)` 和 `词表 (vocab)` 不算",  # inline code
        "```python\n激活函数 (activation)\n```",  # a code block
        "公式 $词表 (V)$ 不算",  # maths
        "去 https://例子.com/词表(vocab) 看",  # a URL
        "GPT 系列的词表有约五万 (GPT-2) 个",  # digits: a model name, not a term
        "存的是 (out, in) 形状",  # a short code-like tuple
        "梯度 (e.g. the slope)",  # an example, not a name
        "权重 (a very long remark that explains what the weights do in detail here)",
        "参数 (x = 2)",  # code characters
    ],
)
def test_false_positives_are_filtered(markdown):
    assert glossary.terms_in_text(markdown) == []


def test_bad_input_is_refused():
    with pytest.raises(TypeError):
        glossary.terms_in_text(None)
    with pytest.raises(ValueError):
        glossary.render_markdown([])
    with pytest.raises(ValueError):
        glossary.extract_terms(ROOT / "guide")  # no notebooks there


def test_write_then_check_and_detect_staleness(tmp_path, monkeypatch, capsys):
    target = tmp_path / "glossary.md"
    monkeypatch.setattr(glossary, "GLOSSARY_PATH", target)
    assert glossary.main([]) == 0
    assert target.read_text(encoding="utf-8").startswith("# 术语表")
    assert glossary.main(["--check"]) == 0
    assert "up to date" in capsys.readouterr().out
    target.write_text(
        target.read_text(encoding="utf-8") + "| 多余 |\n", encoding="utf-8"
    )
    assert glossary.main(["--check"]) == 1
    assert "stale" in capsys.readouterr().out
