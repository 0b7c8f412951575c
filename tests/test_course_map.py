"""Tests of the course map (00_course_map): notebook list, pipeline, figures,
panels and checkers."""

import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
from matplotlib.figure import Figure

from helpers.checks import nb00
from helpers.plotting.course_map import (
    NOTEBOOKS,
    PIPELINE,
    notebook_file,
    plot_pipeline,
    plot_training_vs_inference,
    stage_keys,
)
from helpers.widgets import apply_move
from helpers.widgets.course_map import (
    PipelinePanel,
    WidgetCheckPanel,
    stage_readout_html,
    wave,
)

ROOT = Path(__file__).resolve().parent.parent
EXPECTED_STEMS = [
    "00_course_map",
    "01_neuron",
    "02_leaf_flower",
    "03_activations",
    "04_tensors_and_gpu",
    "05_backprop",
    "06_loss_functions",
    "07_optimizers",
    "08_normalization",
    "09_tokens_and_embeddings",
    "10_positional_encoding",
    "11_self_attention",
    "12_transformer_block",
    "13_train_a_tiny_llm",
    "14_inference_and_kv_cache",
    "15_parallel_training",
]


def test_notebook_list_is_the_course():
    assert list(NOTEBOOKS) == EXPECTED_STEMS
    assert all(NOTEBOOKS[stem] for stem in EXPECTED_STEMS)


def test_notebook_file_names():
    assert notebook_file(0) == "00_course_map.ipynb"
    assert notebook_file(15) == "15_parallel_training.ipynb"


@pytest.mark.parametrize(
    ("number", "error", "match"),
    [
        (16, ValueError, "between 0 and 15"),
        (-1, ValueError, "between"),
        (1.0, TypeError, "integer"),
        (True, TypeError, "integer"),
    ],
)
def test_notebook_file_rejects_bad_numbers(number, error, match):
    with pytest.raises(error, match=match):
        notebook_file(number)


def test_course_map_notebook_links_every_notebook():
    nb = nbformat.read(ROOT / "notebooks" / "00_course_map.ipynb", as_version=4)
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    linked = set(re.findall(r"\]\((\d\d_[a-z_]+\.ipynb)\)", markdown))
    assert {stem + ".ipynb" for stem in EXPECTED_STEMS} <= linked


def test_pipeline_follows_the_text():
    assert stage_keys() == [
        "text",
        "tokenizer",
        "token_ids",
        "embedding",
        "decoder",
        "head",
        "probs",
    ]
    for stage in PIPELINE:
        assert stage.notebooks, stage.key
        assert all(0 <= n <= 15 for n in stage.notebooks)
        assert stage.label.isascii(), "plot text must be English"


def test_pipeline_figure_highlights_a_stage():
    fig, boxes = plot_pipeline("decoder")
    assert isinstance(fig, Figure)
    assert list(boxes) == stage_keys()
    colours = {key: box.get_facecolor() for key, box in boxes.items()}
    assert colours["decoder"] != colours["text"]
    assert colours["text"] == colours["head"]
    for text in fig.axes[0].texts:
        assert text.get_text().isascii()
    with pytest.raises(ValueError, match="unknown stage"):
        plot_pipeline("attention")


def test_training_vs_inference_figure_is_english():
    fig = plot_training_vs_inference()
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert "backward" in texts and "update" in texts
    assert all(t.isascii() for t in texts)


def test_stage_readout_links_the_notebooks():
    text = stage_readout_html("decoder")
    for n in (1, 3, 8, 10, 11, 12):
        assert f'href="{notebook_file(n)}"' in text
    with pytest.raises(ValueError, match="unknown stage"):
        stage_readout_html("nope")


def test_wave():
    x = np.linspace(0, 1, 9)
    np.testing.assert_allclose(wave(x, 1.0, 2.0), 2 * np.sin(2 * np.pi * x))
    with pytest.raises(ValueError, match="frequency"):
        wave(x, -1.0, 1.0)
    with pytest.raises(TypeError, match="amplitude"):
        wave(x, 1.0, "big")


def test_widget_check_panel_draws_the_wave():
    panel = WidgetCheckPanel()
    apply_move(panel, "frequency", 2.0)
    apply_move(panel, "amplitude", 0.6)
    np.testing.assert_allclose(panel.line.get_ydata(), wave(panel.x, 2.0, 0.6))
    assert "frequency = 2.0" in panel.readout.value


def test_pipeline_panel_moves_the_highlight():
    panel = PipelinePanel()
    start = panel.boxes["head"].get_facecolor()
    apply_move(panel, "stage", "head")
    assert panel.boxes["head"].get_facecolor() != start
    assert panel.boxes["text"].get_facecolor() == start
    assert 'href="12_transformer_block.ipynb"' in panel.readout.value
    assert panel.status.value == ""


ORDER = ["text", "tokenizer", "token_ids", "embedding", "decoder", "head", "probs"]


def test_check_pipeline_order():
    assert nb00.check_pipeline_order(ORDER, quiet=True).passed
    assert not nb00.check_pipeline_order(ORDER[::-1], quiet=True).passed
    pending = nb00.check_pipeline_order(None, quiet=True)
    assert not pending.attempted


def test_check_steps():
    right = {
        "training": ["forward", "loss", "backward", "update"],
        "inference": ["forward"],
    }
    assert nb00.check_steps(right, quiet=True).passed
    wrong = {
        "training": ["forward", "backward", "loss", "update"],
        "inference": ["forward"],
    }
    assert not nb00.check_steps(wrong, quiet=True).passed
    assert not nb00.check_steps({"training": ["forward"]}, quiet=True).passed


def test_check_greedy_and_reference():
    assert nb00.greedy_next_token([0.1, 0.7, 0.2], ["a", "b", "c"]) == "b"
    assert nb00.check_greedy(
        lambda p, v: v[max(range(len(p)), key=p.__getitem__)], quiet=True
    ).passed
    assert not nb00.check_greedy(lambda p, v: v[0], quiet=True).passed
    with pytest.raises(ValueError, match="vocab has 2 tokens"):
        nb00.greedy_next_token([0.5, 0.3, 0.2], ["a", "b"])
    with pytest.raises(ValueError, match="non-negative"):
        nb00.greedy_next_token([-0.5, 1.5], ["a", "b"])
    with pytest.raises(ValueError, match="finite"):
        nb00.greedy_next_token([float("nan"), 1.0], ["a", "b"])


def test_check_gflops(capsys):
    assert nb00.check_gflops(lambda n, s: 2 * n**3 / s / 1e9, quiet=True).passed
    assert not nb00.check_gflops(lambda n, s: n**3 / s / 1e9, quiet=True).passed

    def not_yet(n, seconds):
        raise NotImplementedError

    assert not nb00.check_gflops(not_yet).attempted
    assert "⏳" in capsys.readouterr().out
