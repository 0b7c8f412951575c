"""01_neuron: the neuron, collapsing linear layers, counts, figures, panel, checkers."""

import html

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from helpers.checks import nb01
from helpers.plotting import neuron as plots
from helpers.scratch import tiny_net
from helpers.widgets import neuron as panels

TORCH_F = {
    "identity": lambda z: z,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "step": lambda z: (z > 0).to(z.dtype),
}


# --- the neuron ----------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(TORCH_F))
def test_neuron_matches_torch_linear(name):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(7, 3))
    w = rng.normal(size=3)
    b = 0.3
    layer = torch.nn.Linear(3, 1).double()
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(w[None, :]))
        layer.bias.fill_(b)
        expected = TORCH_F[name](layer(torch.tensor(X)))[:, 0].numpy()
    torch.testing.assert_close(tiny_net.neuron(X, w, b, name), expected)
    assert tiny_net.neuron(X[0], w, b, name) == pytest.approx(expected[0])


def test_neuron_one_input_gives_float():
    y = tiny_net.neuron([1.0, 2.0], [0.5, -0.25], 0.1, "identity")
    assert isinstance(y, float)
    assert y == pytest.approx(0.1)


def test_step_is_threshold():
    np.testing.assert_array_equal(tiny_net.step([-1.0, 0.0, 1e-9, 3.0]), [0, 0, 1, 1])


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        (([1.0, 2.0], [1.0, 2.0, 3.0], 0.0, "relu"), ValueError, "numbers per input"),
        (([1.0, np.nan], [1.0, 2.0], 0.0, "relu"), ValueError, "finite"),
        (([1.0, 2.0], [1.0, 2.0], "b", "relu"), TypeError, "b must be a number"),
        (([1.0, 2.0], [1.0, 2.0], 0.0, "swish2"), ValueError, "unknown activation"),
        (([], [], 0.0, "relu"), ValueError, "empty"),
        (([[[1.0]]], [1.0], 0.0, "relu"), ValueError, "dimension"),
    ],
)
def test_neuron_bad_input(args, error, match):
    with pytest.raises(error, match=match):
        tiny_net.neuron(*args)


# --- two linear layers are one -------------------------------------------------
def test_collapse_linear_matches_two_torch_layers():
    torch.manual_seed(0)
    first = torch.nn.Linear(4, 3).double()
    second = torch.nn.Linear(3, 2).double()
    x = torch.randn(5, 4, dtype=torch.float64)
    W, b = tiny_net.collapse_linear(
        first.weight.detach(),
        first.bias.detach(),
        second.weight.detach(),
        second.bias.detach(),
    )
    expected = second(first(x)).detach().numpy()
    torch.testing.assert_close(x.numpy() @ W.T + b, expected)


def test_collapse_linear_fails_with_relu_between():
    rng = np.random.default_rng(1)
    W1, b1 = rng.normal(size=(3, 2)), rng.normal(size=3)
    W2, b2 = rng.normal(size=(1, 3)), rng.normal(size=1)
    W, b = tiny_net.collapse_linear(W1, b1, W2, b2)
    X = rng.normal(size=(50, 2))
    with_relu = np.maximum(X @ W1.T + b1, 0) @ W2.T + b2
    assert not np.allclose(with_relu, X @ W.T + b)


def test_collapse_linear_bad_shapes():
    with pytest.raises(ValueError, match="do not chain"):
        tiny_net.collapse_linear(np.ones((3, 2)), np.ones(3), np.ones((1, 4)), [0.0])
    with pytest.raises(ValueError, match="b2 must have shape"):
        tiny_net.collapse_linear(np.ones((3, 2)), np.ones(3), np.ones((1, 3)), [0, 0])


# --- counting --------------------------------------------------------------------
@pytest.mark.parametrize("sizes", [[2, 4, 4, 1], [4, 3, 2], [3, 1], [5, 8, 8, 8, 2]])
def test_network_counts_match_torch(sizes):
    layers = [torch.nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
    counts = tiny_net.network_counts(sizes)
    assert counts["weights"] == sum(layer.weight.numel() for layer in layers)
    assert counts["biases"] == sum(layer.bias.numel() for layer in layers)
    assert counts["layers"] == len(layers)  # depth counts the weight layers
    assert counts["hidden_layers"] == len(sizes) - 2


def test_network_counts_bad_input():
    with pytest.raises(ValueError, match="input and an output"):
        tiny_net.network_counts([3])
    with pytest.raises(TypeError, match="list of layer sizes"):
        tiny_net.network_counts("2-4-1")
    with pytest.raises(ValueError, match=">= 1"):
        tiny_net.network_counts([2, 0, 1])


# --- geometry and figures -----------------------------------------------------
@pytest.mark.parametrize(
    "w1,w2,b", [(1.0, 0.5, 0.5), (0.0, 2.0, -1.0), (3.0, 0.0, 1.0)]
)
def test_decision_line_points_lie_on_the_line(w1, w2, b):
    xs, ys = plots.decision_line(w1, w2, b, extent=3.0)
    assert xs.size == 2
    np.testing.assert_allclose(w1 * xs + w2 * ys + b, 0.0, atol=1e-9)
    assert np.all(np.abs(xs) <= 3 + 1e-9) and np.all(np.abs(ys) <= 3 + 1e-9)


def test_decision_line_missing():
    assert plots.decision_line(0.0, 0.0, 1.0)[0].size == 0  # w = 0: no line
    assert plots.decision_line(1.0, 0.0, 10.0, extent=3.0)[0].size == 0  # outside


def test_plane_grid_and_bad_extent():
    grid, axis = plots.plane_grid(2.0, 5)
    assert grid.shape == (25, 2) and axis[0] == -2.0 and axis[-1] == 2.0
    with pytest.raises(ValueError, match="extent"):
        plots.plane_grid(0.0)


def test_figures_build():
    assert isinstance(plots.plot_neuron_plane([1.0, -1.0], 0.5, "relu"), Figure)
    assert isinstance(
        plots.plot_points_and_line(
            np.array(tiny_net.LOGIC_INPUTS), [0, 0, 0, 1], [1, 1], -1.5
        ),
        Figure,
    )
    assert isinstance(plots.plot_folding(np.eye(2), [0.0, -0.5]), Figure)
    assert isinstance(plots.draw_network([2, 4, 4, 1]), Figure)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: plots.plot_neuron_plane([1.0, 2.0, 3.0], 0.0), "2 weights"),
        (
            lambda: plots.plot_points_and_line(np.ones((3, 3)), [0, 1, 0], [1, 1], 0),
            "(N, 2)",
        ),
        (lambda: plots.plot_folding(np.eye(3), [0.0, 0.0]), "2×2"),
        (lambda: plots.draw_network([3]), "at least 2"),
        (lambda: plots.draw_network([2, 3], weights=[np.ones((2, 3))]), "shape"),
    ],
)
def test_figures_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --- the panel -------------------------------------------------------------------
def test_neuron_plane_values_and_limits():
    values, limits = panels.neuron_plane(1.0, 0.0, 0.0, "sigmoid", n=5)
    assert limits == (0.0, 1.0)
    np.testing.assert_allclose(values[0], 1 / (1 + np.exp(-np.linspace(-3, 3, 5))))
    values, limits = panels.neuron_plane(1.0, 1.0, 0.0, "identity", n=3)
    assert limits == (-6.0, 6.0)  # the corners reach ±6
    with pytest.raises(ValueError, match="unknown activation"):
        panels.neuron_plane(1.0, 1.0, 0.0, "gelu")


def test_panel_follows_sliders():
    panel = panels.NeuronPanel()
    panel.controls["w1"].value = 2.0
    panel.controls["w2"].value = 0.0
    panel.controls["b"].value = -1.0
    xs, _ = panel._line.get_data()
    np.testing.assert_allclose(xs, [0.5, 0.5])  # 2·x1 − 1 = 0
    assert panel._tip.get_data()[0][0] == 2.0
    assert "0.50" in html.unescape(panel.readout.value)  # distance |b|/|w|
    panel.controls["activation"].value = "step"
    assert set(np.unique(panel._image.get_array())) <= {0.0, 1.0}
    assert panel.status.value == ""


def test_panel_bad_start():
    with pytest.raises(ValueError, match="unknown activation"):
        panels.NeuronPanel(activation="softmax")
    with pytest.raises(ValueError, match="w1 must be <= 3"):
        panels.NeuronPanel(w1=5.0)


# --- checkers ------------------------------------------------------------------
def _not_done(*args):
    raise NotImplementedError


@pytest.fixture
def _progress(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(tmp_path / "progress.json"))


def test_checkers_accept_right_and_reject_wrong(_progress):
    def good_neuron(x, w, b):
        return 1 / (1 + np.exp(-(np.dot(w, x) + b)))

    assert nb01.check_sigmoid_neuron(good_neuron, quiet=True)
    assert not nb01.check_sigmoid_neuron(lambda x, w, b: np.dot(w, x) + b, quiet=True)
    assert not nb01.check_sigmoid_neuron(_not_done, quiet=True).attempted
    # every correct NAND gate passes, not only the worked solution's
    for weights in [(-1.0, -1.0, 1.5), (-3.0, -2.0, 4.5), (-0.1, -0.1, 0.15)]:
        assert nb01.check_nand_gate(weights, quiet=True), weights
    assert not nb01.check_nand_gate((1.0, 1.0, -1.5), quiet=True)
    assert not nb01.check_nand_gate(None, quiet=True).attempted
    assert not nb01.check_nand_gate((None, None, None), quiet=True).attempted
    assert not nb01.check_nand_gate(("a", 1.0, 0.0), quiet=True)
    xnor = ([[1.0, 1.0], [-1.0, -1.0]], [-1.5, 0.5], [[1.0, 1.0]], [-0.5])
    assert nb01.check_xnor_network(xnor, quiet=True)
    xor = nb01.check_xnor_network(
        ([[1.0, 1.0], [1.0, 1.0]], [-0.5, -1.5], [[1.0, -1.0]], [-0.5]), quiet=True
    )
    assert not xor.passed and "XOR" in xor.message
    shape = nb01.check_xnor_network(([[1.0, 1.0]], [-1.5], [[1.0]], [-0.5]), quiet=True)
    assert not shape.passed and "(2, 2)" in shape.message
    assert nb01.check_merge_three(
        lambda W1, b1, W2, b2, W3, b3: (W3 @ W2 @ W1, W3 @ (W2 @ b1 + b2) + b3),
        quiet=True,
    )
    assert not nb01.check_merge_three(
        lambda W1, b1, W2, b2, W3, b3: (W3 @ W2 @ W1, b3), quiet=True
    )
    assert not nb01.check_merge_three(_not_done, quiet=True).attempted


def test_step_network_solves_xor():
    X = np.array(tiny_net.LOGIC_INPUTS)
    out = tiny_net.step_network(
        X, [[1.0, 1.0], [1.0, 1.0]], [-0.5, -1.5], [[1.0, -1.0]], [-0.5]
    )
    np.testing.assert_array_equal(out[:, 0], [0, 1, 1, 0])
    with pytest.raises(ValueError, match="do not chain"):
        tiny_net.step_network(X, np.ones((2, 2)), np.ones(3), np.ones((1, 2)), [0.0])
    with pytest.raises(ValueError, match="inputs per row"):
        tiny_net.step_network(X, np.ones((2, 3)), np.ones(2), np.ones((1, 2)), [0.0])
    with pytest.raises(ValueError, match="b2"):
        tiny_net.step_network(X, np.ones((2, 2)), np.ones(2), np.ones((1, 2)), [0.0, 1])
