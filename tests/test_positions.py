"""Tests of helpers.positions: sinusoidal encoding and RoPE."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.positions import (
    apply_rope,
    pair_frequencies,
    relative_shift_matrix,
    rope_cache,
    sinusoidal_encoding,
)


def reference_sinusoidal(n_positions, d_model, base=10000.0):
    """Straight from the paper's formula, one entry at a time (float64)."""
    table = torch.zeros(n_positions, d_model, dtype=torch.float64)
    for pos in range(n_positions):
        for i in range(d_model // 2):
            angle = pos / base ** (2 * i / d_model)
            table[pos, 2 * i] = math.sin(angle)
            table[pos, 2 * i + 1] = math.cos(angle)
    return table


def rope_at(x, position, head_dim, base=10000.0):
    """Apply RoPE to one vector x (head_dim,) sitting at ``position``."""
    cos, sin = rope_cache(head_dim, position + 1, base, dtype=torch.float64)
    return apply_rope(
        x[None, :], cos[position : position + 1], sin[position : position + 1]
    )[0]


def test_sinusoidal_matches_formula():
    torch.testing.assert_close(
        sinusoidal_encoding(12, 10, dtype=torch.float64), reference_sinusoidal(12, 10)
    )
    torch.testing.assert_close(
        sinusoidal_encoding(7, 6, base=100.0, dtype=torch.float64),
        reference_sinusoidal(7, 6, base=100.0),
    )


def test_sinusoidal_basic_properties():
    table = sinusoidal_encoding(50, 128)
    assert table.shape == (50, 128) and table.dtype == torch.float32
    # position 0: all sines 0, all cosines 1; every pair lies on the unit circle
    assert torch.all(table[0, 0::2] == 0) and torch.all(table[0, 1::2] == 1)
    radii = table[:, 0::2] ** 2 + table[:, 1::2] ** 2
    torch.testing.assert_close(radii, torch.ones_like(radii))


def test_wavelengths_span_two_pi_to_base_two_pi():
    omega = pair_frequencies(128)
    wavelengths = 2 * math.pi / omega
    assert wavelengths[0].item() == pytest.approx(2 * math.pi)
    assert wavelengths[-1].item() < 10000 * 2 * math.pi
    assert wavelengths[-1].item() > 0.8 * 10000 * 2 * math.pi
    assert torch.all(wavelengths[1:] > wavelengths[:-1])


@pytest.mark.parametrize("k", [-7, -1, 0, 1, 2, 5, 13, 40])
def test_shift_is_a_fixed_linear_map(k):
    d_model = 16
    table = sinusoidal_encoding(100, d_model, dtype=torch.float64)
    shift = relative_shift_matrix(k, d_model)
    positions = torch.arange(max(0, -k), 100 - max(k, 0))
    torch.testing.assert_close(table[positions] @ shift, table[positions + k])


def test_shift_matrix_is_orthogonal_and_composes():
    a, b = relative_shift_matrix(3, 8), relative_shift_matrix(4, 8)
    torch.testing.assert_close(a @ a.T, torch.eye(8, dtype=torch.float64))
    torch.testing.assert_close(a @ b, relative_shift_matrix(7, 8))
    torch.testing.assert_close(relative_shift_matrix(0, 8), torch.eye(8).double())


def test_rope_cache_shapes_and_values():
    cos, sin = rope_cache(8, 20)
    assert cos.shape == sin.shape == (20, 4) and cos.dtype == torch.float32
    angles = torch.arange(20.0)[:, None] * pair_frequencies(8).float()[None, :]
    torch.testing.assert_close(cos, torch.cos(angles))
    torch.testing.assert_close(sin, torch.sin(angles))


def test_apply_rope_matches_complex_multiplication():
    """RoPE = multiply each pair, read as a complex number, by e^{i pos omega}."""
    torch.manual_seed(0)
    B, n_head, T, head_dim = 2, 3, 5, 8
    x = torch.randn(B, n_head, T, head_dim, dtype=torch.float64)
    cos, sin = rope_cache(head_dim, T, dtype=torch.float64)
    as_complex = torch.view_as_complex(x.reshape(B, n_head, T, head_dim // 2, 2))
    angles = torch.arange(T, dtype=torch.float64)[:, None] * pair_frequencies(head_dim)
    rotated = as_complex * torch.polar(torch.ones_like(angles), angles)
    expected = torch.view_as_real(rotated).reshape(B, n_head, T, head_dim)
    torch.testing.assert_close(apply_rope(x, cos, sin), expected)


def test_apply_rope_position_zero_is_identity_and_slicing_works():
    torch.manual_seed(1)
    x = torch.randn(1, 2, 4, 6)
    cos, sin = rope_cache(6, 10)
    torch.testing.assert_close(
        apply_rope(x[..., :1, :], cos[:1], sin[:1]), x[..., :1, :]
    )
    # a chunk starting at position 3 equals the same rows of a full-length pass
    full = torch.randn(1, 2, 7, 6)
    whole = apply_rope(full, cos[:7], sin[:7])
    part = apply_rope(full[..., 3:7, :], cos[3:7], sin[3:7])
    torch.testing.assert_close(part, whole[..., 3:7, :])


def test_apply_rope_keeps_dtype():
    x = torch.randn(2, 4, 8, dtype=torch.bfloat16)
    cos, sin = rope_cache(8, 4)
    out = apply_rope(x, cos, sin)
    assert out.dtype == torch.bfloat16 and out.shape == x.shape


@settings(max_examples=60, deadline=None)
@given(
    m=st.integers(0, 500),
    n=st.integers(0, 500),
    shift=st.integers(0, 500),
    seed=st.integers(0, 2**16),
)
def test_rope_score_depends_only_on_offset(m, n, shift, seed):
    generator = torch.Generator().manual_seed(seed)
    q = torch.randn(16, dtype=torch.float64, generator=generator)
    k = torch.randn(16, dtype=torch.float64, generator=generator)
    score = rope_at(q, m, 16) @ rope_at(k, n, 16)
    shifted = rope_at(q, m + shift, 16) @ rope_at(k, n + shift, 16)
    assert shifted.item() == pytest.approx(score.item(), rel=1e-9, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(position=st.integers(0, 2000), seed=st.integers(0, 2**16))
def test_rope_keeps_norms(position, seed):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(32, dtype=torch.float64, generator=generator)
    assert rope_at(x, position, 32).norm().item() == pytest.approx(x.norm().item())


def test_rope_score_changes_with_offset():
    torch.manual_seed(2)
    q, k = torch.randn(16, dtype=torch.float64), torch.randn(16, dtype=torch.float64)
    near = rope_at(q, 5, 16) @ rope_at(k, 4, 16)
    far = rope_at(q, 5, 16) @ rope_at(k, 0, 16)
    assert not math.isclose(near.item(), far.item(), rel_tol=1e-6)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: sinusoidal_encoding(10, 7), ValueError, "d_model must be even"),
        (lambda: sinusoidal_encoding(0, 8), ValueError, "n_positions must be >= 1"),
        (lambda: sinusoidal_encoding(10.5, 8), TypeError, "n_positions must be an int"),
        (lambda: sinusoidal_encoding(10, 8, base=1.0), ValueError, "base must be >"),
        (
            lambda: sinusoidal_encoding(10, 8, base=float("nan")),
            ValueError,
            "finite",
        ),
        (lambda: relative_shift_matrix(1.5, 8), TypeError, "k must be an integer"),
        (lambda: relative_shift_matrix(1, 5), ValueError, "d_model must be even"),
        (lambda: rope_cache(7, 10), ValueError, "head_dim must be even"),
        (lambda: rope_cache(8, 0), ValueError, "n_positions must be >= 1"),
        (lambda: rope_cache(8, 4, dtype=torch.int64), TypeError, "floating"),
    ],
)
def test_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_apply_rope_bad_inputs():
    cos, sin = rope_cache(8, 4)
    with pytest.raises(TypeError, match="x must be a torch.Tensor"):
        apply_rope([[1.0] * 8] * 4, cos, sin)
    with pytest.raises(TypeError, match="floating"):
        apply_rope(torch.ones(4, 8, dtype=torch.int64), cos, sin)
    with pytest.raises(ValueError, match="at least 2 dims"):
        apply_rope(torch.ones(8), cos, sin)
    with pytest.raises(ValueError, match="must be even"):
        apply_rope(torch.ones(4, 7), cos, sin)
    with pytest.raises(ValueError, match=r"cos must have shape \(T, head_dim // 2\)"):
        apply_rope(torch.ones(2, 3, 8), cos, sin)  # T = 3 but cache sliced to 4
    with pytest.raises(ValueError, match="sin must have shape"):
        apply_rope(torch.ones(4, 8), cos, sin[:, :2])


# --- the panels' logic, the figures and the exercise checkers of 10 ------------


def test_rope_score_helper_matches_apply_rope_and_rejects_bad_input():
    from helpers.positions import rope_score

    torch.manual_seed(3)
    q, k = torch.randn(8, dtype=torch.float64), torch.randn(8, dtype=torch.float64)
    assert rope_score(q, k, 9, 4) == pytest.approx(rope_score(q, k, 25, 20))
    assert rope_score(q, k, 0, 0) == pytest.approx(float(q @ k))
    with pytest.raises(ValueError, match="same length"):
        rope_score(q, k[:4], 1, 1)
    with pytest.raises(ValueError, match="m must be >= 0"):
        rope_score(q, k, -1, 1)
    with pytest.raises(TypeError, match="torch tensors"):
        rope_score([1.0, 2.0], k, 1, 1)


def test_position_figures():
    from helpers.plotting.positions import (
        plot_rope_scores,
        plot_sinusoidal_heatmap,
        plot_wavelengths,
    )

    fig = plot_sinusoidal_heatmap(sinusoidal_encoding(50, 128))
    assert fig.axes[0].images[0].get_array().shape == (50, 128)
    line = plot_wavelengths(16).axes[0].lines[0]
    assert line.get_ydata()[0] == pytest.approx(2 * math.pi)
    fig = plot_rope_scores(
        [0, 1, 2], [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]], labels=["a", "b"]
    )
    assert len(fig.axes[0].lines) == 3  # two curves and the zero line
    with pytest.raises(ValueError, match="one value per offset"):
        plot_rope_scores([0, 1], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="labels must name"):
        plot_rope_scores([0, 1], [[1.0, 2.0]], labels=["a", "b"])
    with pytest.raises(ValueError, match="finite"):
        plot_sinusoidal_heatmap([[float("nan"), 1.0]])


def test_huge_tables_are_refused_before_allocating(monkeypatch):
    import helpers.sizing as sizing

    monkeypatch.setattr(sizing, "available_memory_bytes", lambda device: 10**9)
    # 10^9 positions x 512 dims: ~12 TB of float64 work arrays
    with pytest.raises(MemoryError, match=r"sinusoidal_encoding needs about 12.29 TB"):
        sinusoidal_encoding(10**9, 512)
    with pytest.raises(MemoryError, match="rope_cache needs about"):
        rope_cache(128, 10**9)
    assert sinusoidal_encoding(50, 128).shape == (50, 128)  # small ones still work
