"""Tests of helpers.tensors, its figures and panels (04_tensors_and_gpu); the
checker of 04 is tested by its CHECKER_CASES in tests/test_checkers_all.py."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure
from torch import nn

import helpers.sizing as sizing
import helpers.tensors as tensors
from helpers.plotting.tensors import (
    draw_tensor,
    plot_gflops,
    plot_matmul_wiring,
    plot_model_memory,
    tensor_blocks,
)
from helpers.sizing import DTYPE_BYTES, LLAMA_7B, model_memory_gb
from helpers.tensors import (
    SHAPE_OPS,
    MatmulTiming,
    apply_shape_op,
    build_llm_tensors,
    describe_result,
    gflops,
    linear_param_count,
    llm_tensor_shapes,
    matmul_flops,
    matmul_loops,
    split_heads,
    time_matmul,
)
from helpers.transformer import DecoderConfig
from helpers.widgets import apply_move
from helpers.widgets.tensors import MatmulTimerPanel, ShapeExplorerPanel

# --- the shape table --------------------------------------------------------------


def _cfg(d_model=32, n_head=4, n_layer=2, vocab_size=100, **more) -> DecoderConfig:
    return DecoderConfig(
        vocab_size=vocab_size, context_length=512, n_layer=n_layer, n_head=n_head,
        d_model=d_model, d_ff=64, **more,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("config", "kwargs", "error", "match"),
    [
        (
            _cfg(),
            {"batch_size": 0, "seq_len": 4},
            ValueError,
            "batch_size must be >= 1",
        ),
        (_cfg(), {"batch_size": 2, "seq_len": -3}, ValueError, "seq_len"),
        (
            _cfg(),
            {"batch_size": 2, "seq_len": 513},
            ValueError,
            "seq_len must be <= 512",
        ),
        (
            _cfg(),
            {"batch_size": 2.0, "seq_len": 4},
            TypeError,
            "batch_size must be an int",
        ),
        ({"d_model": 4}, {"batch_size": 2, "seq_len": 4}, TypeError, "DecoderConfig"),
    ],
)
def test_shape_functions_reject_bad_sizes(config, kwargs, error, match):
    for fn in (llm_tensor_shapes, build_llm_tensors):
        with pytest.raises(error, match=match):
            fn(config, **kwargs)


def test_shape_table_matches_the_seed_formulas():
    shapes = llm_tensor_shapes(LLAMA_7B, batch_size=4, seq_len=512)
    assert shapes == {
        "token_ids": (4, 512),
        "embeddings": (4, 512, 4096),
        "attention_weights": (4, 32, 512, 512),
        "kv_cache": (32, 2, 4, 32, 512, 128),
        "logits": (4, 512, 32000),
    }


@settings(max_examples=15, deadline=None)
@given(
    batch_size=st.integers(1, 3),
    seq_len=st.integers(1, 6),
    n_head=st.integers(1, 3),
    head_dim=st.sampled_from([2, 4]),
    n_layer=st.integers(1, 3),
    vocab_size=st.integers(2, 20),
)
def test_built_tensors_have_the_table_shapes(
    batch_size, seq_len, n_head, head_dim, n_layer, vocab_size
):
    cfg = _cfg(n_head * head_dim, n_head, n_layer, vocab_size)
    built = build_llm_tensors(cfg, batch_size, seq_len, seed=1)
    shapes = llm_tensor_shapes(cfg, batch_size, seq_len)
    assert set(built) == set(shapes)
    for name, tensor in built.items():
        assert tuple(tensor.shape) == shapes[name], name
    assert built["token_ids"].min() >= 0
    assert built["token_ids"].max() < vocab_size


def test_attention_weights_are_causal_probabilities():
    weights = build_llm_tensors(_cfg(12, 3), 2, 6)["attention_weights"]
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 3, 6))
    assert torch.all(weights.triu(diagonal=1) == 0)
    torch.testing.assert_close(weights[..., 0, 0], torch.ones(2, 3))


def test_attention_weights_match_scaled_dot_product_attention():
    # The last layer's value cache times the weights must equal PyTorch's fused
    # attention given the same queries; recover the queries from the same seed.
    cfg = _cfg(8, 2, n_layer=1)
    built = build_llm_tensors(cfg, 2, 5, seed=3)
    gen = torch.Generator().manual_seed(3)
    torch.randint(0, cfg.vocab_size, (2, 5), generator=gen)
    torch.randn(cfg.vocab_size, cfg.d_model, generator=gen)
    w_q = torch.randn(8, 8, generator=gen) / math.sqrt(8)
    q = split_heads(built["embeddings"] @ w_q, 2)
    k, v = built["kv_cache"][0]
    expected = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    torch.testing.assert_close(built["attention_weights"] @ v, expected)


def test_logits_come_from_the_embeddings():
    cfg = _cfg()
    a = build_llm_tensors(cfg, 2, 8, seed=0)
    b = build_llm_tensors(cfg, 2, 8, seed=0)
    c = build_llm_tensors(cfg, 2, 8, seed=1)
    for name in a:
        torch.testing.assert_close(a[name], b[name])
    assert not torch.equal(a["logits"], c["logits"])
    assert a["logits"].dtype == torch.float32


def test_build_rejects_negative_seed():
    with pytest.raises(ValueError, match="seed"):
        build_llm_tensors(_cfg(), 2, 8, seed=-1)


# --- split_heads --------------------------------------------------------------------


def test_split_heads_puts_each_column_block_in_its_head():
    x = torch.randn(2, 5, 12, dtype=torch.float64)
    heads = split_heads(x, 3)
    assert heads.shape == (2, 3, 5, 4)
    for h in range(3):
        torch.testing.assert_close(heads[:, h], x[..., 4 * h : 4 * h + 4])
    torch.testing.assert_close(heads, x.reshape(2, 5, 3, 4).permute(0, 2, 1, 3))


@pytest.mark.parametrize(
    ("x", "n_head", "error", "match"),
    [
        (np.zeros((2, 3, 4)), 2, TypeError, "torch.Tensor"),
        (torch.zeros(3, 4), 2, ValueError, r"\(B, T, d_model\)"),
        (torch.zeros(2, 3, 5), 2, ValueError, "divisible"),
        (torch.zeros(2, 3, 4), 0, ValueError, "n_head"),
    ],
)
def test_split_heads_rejects_bad_input(x, n_head, error, match):
    with pytest.raises(error, match=match):
        split_heads(x, n_head)


# --- shape operations -----------------------------------------------------------


@pytest.mark.parametrize("name", list(SHAPE_OPS))
def test_every_shape_op_does_what_its_code_says(name):
    x = torch.arange(24, dtype=torch.float64).view(2, 3, 4)
    expected = eval(name, {"x": x, "torch": torch})  # the name is the code
    torch.testing.assert_close(apply_shape_op(name, x), expected)


def test_shape_op_default_is_arange():
    torch.testing.assert_close(apply_shape_op("x[0]"), torch.arange(12).view(3, 4))


@pytest.mark.parametrize(
    ("name", "x", "error", "match"),
    [
        ("x.flip()", None, ValueError, "unknown shape operation"),
        ("x[0]", torch.zeros(3, 4), ValueError, r"shape \(2, 3, 4\)"),
        ("x[0]", [[1, 2]], TypeError, "torch.Tensor"),
    ],
)
def test_shape_op_rejects_bad_input(name, x, error, match):
    with pytest.raises(error, match=match):
        apply_shape_op(name, x)


def test_describe_result_tells_views_from_copies():
    assert describe_result("x.transpose(1, 2)")["shares_memory"] is True
    assert describe_result("x.transpose(1, 2)")["contiguous"] is False
    assert describe_result("x.view(2, 12)")["shares_memory"] is True
    assert describe_result("x.sum(dim=0)")["shares_memory"] is False
    assert describe_result("x.permute(2, 0, 1)")["shape"] == [4, 2, 3]


# --- matmul ------------------------------------------------------------------------


@settings(max_examples=20, deadline=None)
@given(
    m=st.integers(1, 5),
    k=st.integers(1, 5),
    n=st.integers(1, 5),
    seed=st.integers(0, 100),
)
def test_matmul_loops_matches_torch(m, k, n, seed):
    gen = torch.Generator().manual_seed(seed)
    a = torch.randn(m, k, generator=gen, dtype=torch.float64)
    b = torch.randn(k, n, generator=gen, dtype=torch.float64)
    got = torch.tensor(matmul_loops(a, b), dtype=torch.float64)
    torch.testing.assert_close(got, a @ b)
    got_lists = torch.tensor(matmul_loops(a.tolist(), b.tolist()), dtype=torch.float64)
    torch.testing.assert_close(got_lists, a @ b)


@pytest.mark.parametrize(
    ("a", "b", "error", "match"),
    [
        ([[1, 2, 3]], [[1, 2, 3]], ValueError, "inner sizes must match"),
        ([], [[1]], TypeError, "non-empty"),
        ([[1, 2], [3]], [[1], [2]], ValueError, "rectangular"),
        ("ab", [[1]], TypeError, "list of rows"),
        ([[1, float("nan")]], [[1], [2]], ValueError, "finite"),
        ([[1, "x"]], [[1], [2]], TypeError, "must be a number"),
        (torch.zeros(2, 2, 2), [[1]], ValueError, "2-D"),
        ([[1]], [[]], ValueError, "rectangular"),
    ],
)
def test_matmul_loops_rejects_bad_input(a, b, error, match):
    with pytest.raises(error, match=match):
        matmul_loops(a, b)


def test_matmul_flops_and_gflops():
    assert matmul_flops(64, 128, 256) == 4_194_304
    assert matmul_flops(4096, 4096, 4096) == 2 * 4096**3
    assert gflops(1000, 1000, 1000, 2.0) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        ((0, 3, 4), ValueError, "m must be >= 1"),
        ((2, 3.0, 4), TypeError, "k must be an integer"),
        ((2, 3, True), TypeError, "n must be an integer"),
    ],
)
def test_matmul_flops_rejects_bad_sizes(args, error, match):
    with pytest.raises(error, match=match):
        matmul_flops(*args)


@pytest.mark.parametrize(
    ("seconds", "error"),
    [
        (0.0, ValueError),
        (-1.0, ValueError),
        (float("nan"), ValueError),
        ("1", TypeError),
    ],
)
def test_gflops_rejects_bad_seconds(seconds, error):
    with pytest.raises(error, match="seconds"):
        gflops(2, 2, 2, seconds)


def test_time_matmul_measures_a_product():
    timing = time_matmul(32, 16, 8, repeats=2)
    assert isinstance(timing, MatmulTiming)
    assert (timing.m, timing.k, timing.n) == (32, 16, 8)
    assert timing.device == "cpu" and timing.dtype == "float32"
    assert timing.seconds > 0
    assert timing.gflops == pytest.approx(2 * 32 * 16 * 8 / timing.seconds / 1e9)
    square = time_matmul(16, dtype=torch.float64, warmup=0)
    assert (square.k, square.n, square.dtype) == (16, 16, "float64")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"m": 0}, ValueError, "m must be >= 1"),
        ({"m": 8, "repeats": 0}, ValueError, "repeats"),
        ({"m": 8, "dtype": torch.int32}, TypeError, "floating torch.dtype"),
        ({"m": 8, "device": "tpu"}, ValueError, "unknown device"),
        ({"m": 8, "device": 3}, TypeError, "device must be"),
        ({"m": 8, "max_seconds": 0}, ValueError, "max_seconds must be > 0"),
    ],
)
def test_time_matmul_rejects_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        time_matmul(**kwargs)


def test_time_matmul_refuses_from_estimates_before_allocating(monkeypatch):
    """time_matmul(16384) took ~12 min here: refused at once, with the estimate;
    the limit follows the measured speed, not a fixed cap."""
    monkeypatch.setattr(sizing, "available_memory_bytes", lambda device: 10**12)
    monkeypatch.setattr(tensors, "_measured_gflops", lambda device, dtype: 50.0)
    # 2 * 16384^3 FLOP x (1 warm-up + 3 runs) at 50 GFLOP/s = 704 s
    with pytest.raises(ValueError, match=r"would take about 704 s .* max_seconds=60"):
        time_matmul(16384)
    monkeypatch.setattr(tensors, "_measured_gflops", lambda device, dtype: 1e6)
    with pytest.raises(ValueError, match="max_seconds=1e-06"):
        time_matmul(2048, repeats=1, max_seconds=1e-6)  # same estimate, lower limit
    monkeypatch.setattr(sizing, "available_memory_bytes", lambda device: 10**6)
    # (m·k + k·n + 2·m·n) float32 numbers = 4 · 4 · 1024² bytes > 1 MB free
    with pytest.raises(MemoryError, match=r"needs about 16.78 MB"):
        time_matmul(1024)


# --- counting ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n_in", "n_out", "bias"), [(768, 3072, True), (3, 4, True), (10, 2, False)]
)
def test_linear_param_count_matches_nn_linear(n_in, n_out, bias):
    layer = nn.Linear(n_in, n_out, bias=bias)
    assert linear_param_count(n_in, n_out, bias) == sum(
        p.numel() for p in layer.parameters()
    )


def test_the_seed_linear_layer():
    assert linear_param_count(768, 3072) == 2_362_368


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        ((0, 4), ValueError, "in_features"),
        ((4, -1), ValueError, "out_features"),
        ((4.5, 4), TypeError, "in_features"),
        ((4, 4, "yes"), TypeError, "bias must be True or False"),
    ],
)
def test_linear_param_count_rejects_bad_input(args, error, match):
    with pytest.raises(error, match=match):
        linear_param_count(*args)


def test_model_memory_seed_facts():
    assert model_memory_gb(1e9, "fp16") == 2.0
    assert model_memory_gb(7e9, "fp16") == 14.0
    assert model_memory_gb(7e9, "fp32") == 28.0
    assert model_memory_gb(7e9, "int8") == 7.0
    assert model_memory_gb(7e9, "int4") == 3.5
    assert model_memory_gb(7e9, "fp16", unit="GiB") == pytest.approx(13.0385, 1e-4)
    assert sizing.weights_bytes(10, "bf16") == 20


def test_bytes_per_param_match_torch():
    for fmt, dtype in [
        ("fp32", torch.float32),
        ("fp16", torch.float16),
        ("bf16", torch.bfloat16),
        ("int8", torch.int8),
    ]:
        assert torch.empty(0, dtype=dtype).element_size() == DTYPE_BYTES[fmt]


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((1e9, "fp8"), {}, ValueError, "unknown dtype"),
        ((-5, "fp16"), {}, ValueError, "n_params"),
        ((float("nan"), "fp16"), {}, ValueError, "n_params"),
        (("7B", "fp16"), {}, TypeError, "n_params"),
        ((1e9, "fp16"), {"unit": "gb"}, ValueError, "unknown unit"),
    ],
)
def test_model_memory_rejects_bad_input(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        model_memory_gb(*args, **kwargs)


# --- figures ---------------------------------------------------------------------


def test_tensor_blocks_layout():
    assert tensor_blocks(torch.tensor(5.0)).shape == (1, 1)
    assert tensor_blocks(torch.arange(4)).shape == (1, 4)
    assert tensor_blocks(torch.zeros(3, 4)).shape == (3, 4)
    image = tensor_blocks(torch.arange(24).view(2, 3, 4))
    assert image.shape == (3, 9)
    assert np.isnan(image[:, 4]).all()
    assert image[0, 5] == 12
    assert tensor_blocks(torch.zeros(1, 2, 3, 4)).shape == (3, 9)
    with pytest.raises(ValueError, match="empty"):
        tensor_blocks(torch.zeros(0))


def test_figures_draw():
    from helpers.plotting import new_figure

    fig, ax = new_figure()
    draw_tensor(ax, torch.arange(6).view(2, 3), title="t")
    assert len(ax.texts) == 6 and ax.get_title() == "t"
    wiring = plot_matmul_wiring(torch.ones(3, 4), highlight_input=2)
    assert isinstance(wiring, Figure)
    timing = MatmulTiming(8, 8, 8, "cpu", "float32", 1e-3, 1.0)
    assert isinstance(plot_gflops({"cpu": [timing]}), Figure)
    assert isinstance(plot_model_memory({"1B": {"fp16": 2.0}}), Figure)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: plot_matmul_wiring(torch.ones(3, 4), highlight_input=3),
            ValueError,
            "highlight_input",
        ),
        (lambda: plot_matmul_wiring(torch.ones(3)), ValueError, "2 dimension"),
        (lambda: plot_gflops({}), ValueError, "non-empty"),
        (lambda: plot_gflops({"cpu": []}), ValueError, "no timings"),
        (lambda: plot_model_memory({}), ValueError, "non-empty"),
    ],
)
def test_figures_reject_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --- panels -----------------------------------------------------------------------


def test_shape_explorer_shows_the_result_shape():
    panel = ShapeExplorerPanel()
    apply_move(panel, "op", "x.permute(2, 0, 1)")
    assert "shape [4, 2, 3]" in panel.readout.value
    assert "a view of x" in panel.readout.value
    apply_move(panel, "op", "x.sum(dim=-1)")
    assert "shape [2, 3]" in panel.readout.value
    assert "a new tensor" in panel.readout.value
    assert panel.ax[1].get_title() == "x.sum(dim=-1): shape [2, 3]"


def test_matmul_timer_records_each_size():
    panel = MatmulTimerPanel(n=64)
    apply_move(panel, "n", 96)
    measured = panel.measured["cpu"]
    assert set(measured) == {64, 96}
    assert all(v > 0 for v in measured.values())
    xs, ys = panel.lines["cpu"].get_data()
    assert list(xs) == [64, 96]
    assert list(panel.current.get_xdata()) == [96]
    assert "n = 96" in panel.readout.value and f"{2 * 96**3:,}" in panel.readout.value
