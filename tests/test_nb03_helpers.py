"""03_activations: panel logic, figures and exercise checkers."""

import html

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from helpers.plotting import activations as plots
from helpers.scratch import activations as act
from helpers.scratch import depth as deep
from helpers.widgets import activations as panels

TORCH_F = {
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "gelu": torch.nn.functional.gelu,
    "tanh": torch.tanh,
}


# --- gradient through depth ---------------------------------------------------
@pytest.mark.parametrize("name", sorted(TORCH_F))
def test_gradient_through_depth_matches_autograd(name):
    depth, width, seed = 6, 8, 3
    norms = deep.gradient_through_depth(name, depth, width=width, seed=seed)
    std = np.sqrt((2.0 if deep.matched_init(name) == "he" else 1.0) / width)
    rng = np.random.default_rng(seed)  # rebuild the same network in torch
    weights = torch.tensor(rng.normal(0.0, std, (depth, width, width)))
    h = torch.tensor(rng.normal(size=width), requires_grad=True)
    inputs = []
    for w in weights:
        inputs.append(h)
        h = TORCH_F[name](w @ h)
    g_top = torch.full((width,), 1.0 / np.sqrt(width), dtype=torch.float64)
    grads = torch.autograd.grad(h, inputs, grad_outputs=g_top)
    expected = [float(g.norm()) for g in grads] + [1.0]
    np.testing.assert_allclose(norms, expected, rtol=1e-9)


def test_sigmoid_gradient_vanishes_and_relu_much_less():
    sig = deep.gradient_through_depth("sigmoid", 20)
    relu = deep.gradient_through_depth("relu", 20)
    assert sig.shape == (21,) and sig[-1] == 1.0
    assert sig[0] < 1e-8 < 1e-3 < relu[0]
    assert 0.1 < relu[0] < 10  # He init keeps ReLU's gradient of order one


def test_matched_init_per_activation():
    assert [
        deep.matched_init(n) for n in ("sigmoid", "tanh", "relu", "gelu", "silu")
    ] == ["xavier", "xavier", "he", "he", "he"]
    same = deep.gradient_through_depth("relu", 5, init="xavier")
    assert same[0] < deep.gradient_through_depth("relu", 5)[0]
    sig = deep.gradient_through_depth("sigmoid", 20)
    assert np.all(np.diff(sig) > 0)  # shrinks at every layer on the way down


def test_max_abs_derivative_known_values():
    assert deep.max_abs_derivative("sigmoid") == pytest.approx(0.25)
    assert deep.max_abs_derivative("tanh") == pytest.approx(1.0)
    assert deep.max_abs_derivative("relu") == 1.0
    assert deep.max_abs_derivative("gelu") == pytest.approx(1.1289, abs=1e-4)


def test_gradient_through_depth_bad_input():
    with pytest.raises(ValueError, match="unknown activation"):
        deep.gradient_through_depth("softplus", 3)
    with pytest.raises(ValueError, match="depth"):
        deep.gradient_through_depth("relu", 0)
    with pytest.raises(TypeError, match="depth"):
        deep.gradient_through_depth("relu", 2.5)
    with pytest.raises(ValueError, match="width"):
        deep.gradient_through_depth("relu", 3, width=0)
    with pytest.raises(ValueError, match="x_range"):
        deep.max_abs_derivative("relu", x_range=-1)


# --- universal approximation --------------------------------------------------
def test_relu_kinks_are_evenly_spaced():
    np.testing.assert_allclose(deep.relu_kinks(4, -2.0, 2.0), [-2.0, -1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="n_units"):
        deep.relu_kinks(0)
    with pytest.raises(ValueError, match="high"):
        deep.relu_kinks(3, 1.0, 1.0)


def test_fit_matches_torch_least_squares():
    x = np.linspace(-3, 3, 101)
    y = np.sin(2 * x)
    y_hat, weights, kinks = deep.fit_relu_units(x, y, 7)
    features = torch.tensor(
        np.column_stack([np.ones_like(x)] + [act.relu(x - k) for k in kinks])
    )
    expected = torch.linalg.lstsq(features, torch.tensor(y)[:, None]).solution[:, 0]
    np.testing.assert_allclose(weights, expected.numpy(), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(y_hat, features.numpy() @ weights)


def test_fit_recovers_a_broken_line_exactly():
    x = np.linspace(-3, 3, 61)
    kinks = deep.relu_kinks(6, -3, 3)
    y = 0.5 + 2.0 * act.relu(x - kinks[0]) - 3.0 * act.relu(x - kinks[3])
    y_hat, weights, _ = deep.fit_relu_units(x, y, 6)
    np.testing.assert_allclose(y_hat, y, atol=1e-9)
    np.testing.assert_allclose(weights, [0.5, 2.0, 0, 0, -3.0, 0, 0], atol=1e-9)


@pytest.mark.parametrize("target", sorted(deep.TARGETS))
def test_more_units_fit_better(target):
    x = np.linspace(-3, 3, 301)
    y = deep.TARGETS[target](x)
    errors = [
        np.sqrt(np.mean((deep.fit_relu_units(x, y, n)[0] - y) ** 2))
        for n in (1, 4, 16, 40)
    ]
    assert errors[-1] < 0.02
    assert errors[0] > errors[-1]


def test_fit_bad_input():
    x = np.linspace(0, 1, 5)
    with pytest.raises(ValueError, match="same shape"):
        deep.fit_relu_units(x, x[:4], 2)
    with pytest.raises(ValueError, match="different values"):
        deep.fit_relu_units(np.ones(5), x, 2)
    with pytest.raises(ValueError, match="finite"):
        deep.fit_relu_units(x, [0, 1, np.nan, 3, 4], 2)
    with pytest.raises(ValueError, match="dimension"):
        deep.fit_relu_units(np.ones((2, 3)), np.ones((2, 3)), 2)
    with pytest.raises(TypeError, match="n_units"):
        deep.fit_relu_units(x, x, "3")


def test_panel_readouts_follow_controls():
    panel = panels.ActivationPanel(activation="sigmoid", depth=10)
    assert "max|f'| = 0.25" in html.unescape(panel.readout.value)
    panel.controls["activation"].value = "relu"
    assert "f'(0) = 0," in html.unescape(panel.readout.value)
    ua = panels.UniversalApproximationPanel(n_units=3)
    assert "N = 3 hidden ReLU units" in ua.readout.value
    ua.controls["n_units"].value = 20
    assert len(ua.kink_marks.get_xdata()) == 20
    with pytest.raises(ValueError, match="unknown activation"):
        panels.ActivationPanel(activation="softplus")
    with pytest.raises(ValueError, match="unknown target"):
        panels.UniversalApproximationPanel(target="cos")


@pytest.mark.parametrize("case", panels.bench_cases(), ids=lambda c: c.name)
def test_panel_text_stays_inside_the_figure(case):
    # the panels use fixed margins (no re-layout per move): check that no label,
    # tick label or title is pushed outside the figure by any move
    panel = case.make()
    moves = [(c, v) for c, values in case.moves.items() for v in values]
    if isinstance(panel, panels.ActivationPanel):  # the extremes of every activation
        moves += [("depth", 30), ("x_range", 10.0)]
        moves += [("activation", name) for name in panels.PANEL_ACTIVATIONS]
        moves += [("x_range", 1.0)]
        moves += [("activation", name) for name in panels.PANEL_ACTIVATIONS]
    else:
        moves += [("show_units", True)]
        moves += [("target", name) for name in deep.TARGETS]
        moves += [("n_units", 1)] + [("target", name) for name in deep.TARGETS]
    for control, value in moves:
        panel.controls[control].value = value
        assert panel.status.value == "", (control, value, panel.status.value)
        box = panel.fig.get_tightbbox(panel.fig.canvas.get_renderer())  # inches
        width, height = panel.fig.get_size_inches()
        assert box.x0 >= -0.01 and box.y0 >= -0.01, (control, value, box.bounds)
        assert box.x1 <= width + 0.01, (control, value, box.bounds)
        assert box.y1 <= height + 0.01, (control, value, box.bounds)


# --- figures --------------------------------------------------------------------
def test_figures_are_built():
    x = np.linspace(-3, 3, 31)
    fig = plots.plot_functions_and_derivatives(
        x, {"relu": act.relu(x)}, {"relu": act.relu_grad(x)}
    )
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    fig = plots.plot_gelu_difference(x, act.gelu(x), act.gelu_tanh(x))
    assert "max |diff|" in fig.axes[1].texts[0].get_text()
    fig = plots.plot_gradient_norms({"relu": [0.1, 0.5, 1.0]})
    np.testing.assert_allclose(
        fig.axes[0].lines[0].get_ydata(), np.log10([0.1, 0.5, 1])
    )
    fig = plots.plot_relu_fits(x, np.sin(x), {2: np.zeros_like(x), 8: np.sin(x)})
    assert len(fig.axes) == 2 and "RMSE 0.000" in fig.axes[1].get_title()


def test_figures_bad_input():
    x = np.linspace(-3, 3, 31)
    with pytest.raises(ValueError, match="shape of x"):
        plots.plot_functions_and_derivatives(x, {"a": x[:5]}, {"a": x})
    with pytest.raises(TypeError, match="dict"):
        plots.plot_functions_and_derivatives(x, [x], {"a": x})
    with pytest.raises(ValueError, match="positive"):
        plots.plot_gradient_norms({"relu": [0.0, 1.0]})
    with pytest.raises(ValueError, match="finite"):
        plots.plot_gelu_difference(x, x * np.nan, x)


# --- core pieces behind the exercises (their checkers: tests/test_checkers_all.py) --
def test_dead_relu_fraction_counts_units_dead_on_every_example():
    z = np.array([[1.0, -2.0, 0.0, -1.0], [-1.0, -0.5, 0.0, 3.0]])
    assert act.dead_relu_fraction(z) == 0.5  # columns 1 and 2 (z = 0 has ReLU' = 0)
    # a dead unit gets no gradient: torch agrees column by column
    t = torch.tensor(z, requires_grad=True)
    torch.relu(t).sum().backward()
    dead = (t.grad == 0).all(dim=0).double().mean().item()
    assert dead == act.dead_relu_fraction(z)
    with pytest.raises(ValueError, match="2"):
        act.dead_relu_fraction(np.zeros(3))


def test_layers_to_vanish():
    assert deep.layers_to_vanish(0.25) == 10
    assert 0.25**10 < 1e-6 < 0.25**9
    assert deep.layers_to_vanish(0.25, 0.25**3) == 4  # strictly below the threshold
    assert deep.layers_to_vanish(2**-0.5, 1e-3) == 20
    for factor in (0.05, 0.3, 0.77, 0.99):
        n = deep.layers_to_vanish(factor, 1e-4)
        assert factor**n < 1e-4 <= factor ** (n - 1)
    with pytest.raises(ValueError, match="factor"):
        deep.layers_to_vanish(1.0)
