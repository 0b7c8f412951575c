"""Tests of the course map (00_course_map): the course data in helpers.course
(notebook list, pipeline, the shapes of a tiny decoder), figures, panels and
checkers."""

import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
from matplotlib.figure import Figure

import helpers.plotting.course_map as course_plots
import helpers.widgets.course_map as course_panels
from helpers.checks import nb00
from helpers.course import (
    NOTEBOOKS,
    PIPELINE,
    TRAINING_STEPS,
    greedy_pick,
    notebook_file,
    pipeline_shapes,
    stage_keys,
    wave,
)
from helpers.plotting.course_map import plot_pipeline, plot_training_vs_inference
from helpers.widgets import apply_move
from helpers.widgets.course_map import (
    PipelinePanel,
    WidgetCheckPanel,
    stage_readout_html,
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


def test_presentation_holds_no_course_data():
    for module in (course_plots, course_panels):
        assert not hasattr(module, "Stage")
        assert "NOTEBOOKS" not in getattr(module, "__all__", [])
    assert "helpers.plotting" not in " ".join(
        line
        for line in Path(nb00.__file__).read_text().splitlines()
        if "import" in line
    )


def test_pipeline_shapes_of_a_tiny_decoder():
    result = pipeline_shapes("the cat sat on the")
    T, V = 18, len(set("the cat sat on the"))
    assert result.vocab_size == V and len(result.token_ids) == T
    assert "".join(result.tokens) == result.text
    assert result.shapes["token_ids"] == (1, T)
    assert result.shapes["embedding"] == (1, T, 16)
    assert result.shapes["decoder"] == (1, T, 16)
    assert result.shapes["head"] == (1, T, V)
    assert result.shapes["probs"] == (1, V)
    assert list(result.shapes) == stage_keys()
    assert abs(result.prob_sum - 1.0) < 1e-5
    wider = pipeline_shapes("abcab", d_model=8, n_layer=1)
    assert wider.shapes["decoder"] == (1, 5, 8) and wider.shapes["head"] == (1, 5, 3)


def test_pipeline_shapes_leaves_the_global_rng_alone():
    import torch

    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    pipeline_shapes("abc")
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"text": ""}, ValueError),
        ({"text": 3}, ValueError),
        ({"d_model": 2}, ValueError),
    ],
)
def test_pipeline_shapes_rejects_bad_input(kwargs, error):
    with pytest.raises(error):
        pipeline_shapes(**kwargs)


def test_greedy_pick():
    assert greedy_pick([0.1, 0.7, 0.2], ["a", "b", "c"]) == ("b", 0.7)
    assert greedy_pick([0.4, 0.4, 0.2], ["a", "b", "c"])[0] == "a"  # first on ties
    with pytest.raises(ValueError, match="vocab has 2 tokens"):
        greedy_pick([0.5, 0.3, 0.2], ["a", "b"])
    with pytest.raises(ValueError, match="non-negative"):
        greedy_pick([-0.5, 1.5], ["a", "b"])
    with pytest.raises(ValueError, match="finite"):
        greedy_pick([float("nan"), 1.0], ["a", "b"])


ORDER = ["text", "tokenizer", "token_ids", "embedding", "decoder", "head", "probs"]


def test_check_pipeline_order(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(tmp_path / "progress.json"))
    assert nb00.check_pipeline_order(ORDER, quiet=True).passed
    assert not nb00.check_pipeline_order(ORDER[::-1], quiet=True).passed
    pending = nb00.check_pipeline_order(None, quiet=True)
    assert not pending.attempted
    typo = nb00.check_pipeline_order(
        ["text", "tokenizer", "token IDs", *ORDER[3:]], quiet=True
    )
    assert not typo.passed and "token IDs" in typo.message


def test_check_steps(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(tmp_path / "progress.json"))
    right = {"training": list(TRAINING_STEPS), "inference": ["forward"]}
    assert nb00.check_steps(right, quiet=True).passed
    swapped = {
        "training": ["forward", "backward", "loss", "update"],
        "inference": ["forward"],
    }
    result = nb00.check_steps(swapped, quiet=True)
    assert not result.passed and "顺序" in result.message
    assert not nb00.check_steps({"training": ["forward"]}, quiet=True).passed


def test_check_greedy_and_gflops(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(tmp_path / "progress.json"))
    assert nb00.check_greedy(
        lambda p, v: (v[max(range(len(p)), key=p.__getitem__)], max(p)), quiet=True
    ).passed
    assert not nb00.check_greedy(lambda p, v: (v[0], p[0]), quiet=True).passed
    only_token = nb00.check_greedy(lambda p, v: v[int(np.argmax(p))], quiet=True)
    assert not only_token.passed and "probability" in only_token.message
    assert nb00.check_gflops(lambda m, k, n, s: 2 * m * k * n / s / 1e9, quiet=True)
    half = nb00.check_gflops(lambda m, k, n, s: m * k * n / s / 1e9, quiet=True)
    assert not half.passed and "2 倍" in half.message

    def not_yet(m, k, n, seconds):
        raise NotImplementedError

    assert not nb00.check_gflops(not_yet).attempted
    assert "⏳" in capsys.readouterr().out
