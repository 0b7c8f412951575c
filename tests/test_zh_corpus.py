"""Tests of data/make_zh_corpus.py: markup goes, the text survives."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_SPEC = importlib.util.spec_from_file_location(
    "make_zh_corpus", ROOT / "data" / "make_zh_corpus.py"
)
make_zh_corpus = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(make_zh_corpus)
markdown_to_text = make_zh_corpus.markdown_to_text


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        # the three bugs of issue 11
        ("温度 T < 1 更尖锐、T > 1 更平坦", "温度 T < 1 更尖锐、T > 1 更平坦"),
        (
            "每个头的宽度 head_dim = d_model / n_head",
            "每个头的宽度 head_dim = d_model / n_head",
        ),
        (
            "注意力实现在 `helpers/transformer.py` 里",
            "注意力实现在 helpers/transformer.py 里",
        ),
        # inline code keeps its text, markup-like characters included
        ("`head_dim` 是每个头的宽度", "head_dim 是每个头的宽度"),
        ("短的要用 `<pad>` 补齐，`a*b*c` 是乘积", "短的要用 <pad> 补齐，a*b*c 是乘积"),
        ("``x = `y` `` 是代码", "x = `y` 是代码"),
        # inline math keeps its text
        ("$d_k$ 是键的维度", "d_k 是键的维度"),
        # markup goes
        ("<details><summary>参考答案</summary>", "参考答案"),
        ("第一行<br>第二行", "第一行 第二行"),
        ("**粗体**、*斜体*、***都有*** 和 _强调_", "粗体、斜体、都有 和 强调"),
        ("乘法 2 * 3 * 4 不是强调", "乘法 2 * 3 * 4 不是强调"),
        ("见 [论文](refs/a_b_c.md) 第 3 节", "见 论文 第 3 节"),
        ("## 11 · 自注意力", "11 · 自注意力"),
        ("- 列表项 `q·k`", "列表项 q·k"),
        ("> 引用的话", "引用的话"),
        ("| 名称 | 含义 |", "名称 含义"),
        ("&lt;pad&gt; 和 \\*星号\\* 与 \\_下划线\\_", "<pad> 和 *星号* 与 _下划线_"),
    ],
)
def test_markup_goes_and_text_survives(markdown, expected):
    assert markdown_to_text(markdown) == [expected]


def test_code_blocks_and_non_chinese_lines_are_dropped():
    markdown = "前言\n```python\nhead_dim = 64  # 中文注释\n```\nEnglish only\n$$\nx_i\n$$\n结语"
    assert markdown_to_text(markdown) == ["前言", "结语"]


def test_build_corpus_reads_markdown_cells_in_file_order(tmp_path):
    def notebook(*cells):
        return json.dumps({"cells": list(cells)})

    (tmp_path / "02_b.ipynb").write_text(
        notebook({"cell_type": "markdown", "source": ["第二本 `head_dim`\n", "继续"]})
    )
    (tmp_path / "01_a.ipynb").write_text(
        notebook(
            {"cell_type": "markdown", "source": "第一本"},
            {"cell_type": "code", "source": "print('代码里的中文')"},
        )
    )
    (tmp_path / "95_scratch.ipynb").write_text(
        notebook({"cell_type": "markdown", "source": "草稿"})
    )
    text = make_zh_corpus.build_corpus(tmp_path)
    assert text == "第一本\n第二本 head_dim\n继续\n"
    assert make_zh_corpus.build_corpus(tmp_path) == text


def test_committed_corpus_has_no_damage_of_the_old_script():
    text = (ROOT / "data" / "zh_corpus.txt").read_text(encoding="utf-8")
    assert "head_dim" in text and "headdim" not in text
    assert "实现在 里" not in text and "  " not in text
    assert text.endswith("\n") and "\n\n" not in text
