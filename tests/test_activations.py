"""helpers.scratch.activations against PyTorch (float64), plus stability and bad input."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.testing import assert_close

from helpers.scratch import activations as act

# Points on both sides of 0, 0 itself, and the tails.
X = np.concatenate(
    [np.linspace(-8.0, 8.0, 161), [-30.0, -1e-3, 0.0, 1e-3, 30.0], [-1e4, 1e4]]
)

TORCH_REFERENCE = {
    "identity": lambda t: t,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "leaky_relu": lambda t: F.leaky_relu(t, negative_slope=0.01),
    "gelu": lambda t: F.gelu(t, approximate="none"),
    "gelu_tanh": lambda t: F.gelu(t, approximate="tanh"),
    "silu": F.silu,
}


def torch_value_and_grad(name, x):
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    y = TORCH_REFERENCE[name](t)
    (grad,) = torch.autograd.grad(y.sum(), t)
    return y.detach(), grad


def test_registry_covers_every_reference():
    assert set(act.ACTIVATIONS) == set(TORCH_REFERENCE)


@pytest.mark.parametrize("name", sorted(TORCH_REFERENCE))
def test_activation_matches_torch(name):
    f, _ = act.get_activation(name)
    expected, _ = torch_value_and_grad(name, X)
    out = f(X)
    assert out.shape == X.shape and out.dtype == np.float64
    assert_close(torch.from_numpy(out), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(TORCH_REFERENCE))
def test_derivative_matches_autograd(name):
    _, df = act.get_activation(name)
    _, expected = torch_value_and_grad(name, X)
    assert_close(torch.from_numpy(df(X)), expected, rtol=1e-10, atol=1e-12)
    assert_close(act.derivative(name, X), df(X))


@pytest.mark.parametrize("name", sorted(TORCH_REFERENCE))
def test_derivative_matches_finite_differences(name):
    f, df = act.get_activation(name)
    x = np.linspace(-4.0, 4.0, 41) + 0.0123  # avoid the kink of (leaky) ReLU at 0
    h = 1e-6
    numeric = (f(x + h) - f(x - h)) / (2 * h)
    np.testing.assert_allclose(df(x), numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("slope", [0.0, 0.2, 1.0])
def test_leaky_relu_slope_matches_torch(slope):
    t = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    y = F.leaky_relu(t, negative_slope=slope)
    (grad,) = torch.autograd.grad(y.sum(), t)
    assert_close(torch.from_numpy(act.leaky_relu(X, slope)), y.detach())
    assert_close(torch.from_numpy(act.leaky_relu_grad(X, slope)), grad)


def test_kinks_follow_pytorch_convention():
    assert act.relu_grad([0.0])[0] == 0.0
    assert act.leaky_relu_grad([0.0], 0.1)[0] == 0.1


def test_known_values():
    assert act.sigmoid_grad([0.0])[0] == 0.25
    assert act.tanh_grad([0.0])[0] == 1.0
    assert act.gelu([1.0])[0] == pytest.approx(0.8413447460685429)
    grid = np.linspace(-3, 0, 30001)
    assert act.gelu(grid).min() == pytest.approx(-0.16997, abs=1e-5)
    assert act.silu(grid).min() == pytest.approx(-0.27846, abs=1e-5)


def test_extreme_inputs_stay_finite():
    x = np.array([-1e4, -800.0, 800.0, 1e4])
    for name, (f, df) in act.ACTIVATIONS.items():
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            assert np.all(np.isfinite(f(x))), name
            assert np.all(np.isfinite(df(x))), name
    np.testing.assert_array_equal(act.sigmoid(x), [0.0, 0.0, 1.0, 1.0])


def test_scalar_and_nd_inputs_keep_shape():
    assert act.relu(-2.0).shape == ()
    x = np.arange(24.0).reshape(2, 3, 4) - 12
    for f, df in act.ACTIVATIONS.values():
        assert f(x).shape == x.shape and df(x).shape == x.shape


def test_inputs_are_not_modified():
    x = np.array([-1.0, 2.0])
    act.identity(x)[0] = 99.0
    act.relu(x)
    np.testing.assert_array_equal(x, [-1.0, 2.0])


def test_accepts_torch_tensors_and_lists():
    np.testing.assert_allclose(act.tanh(torch.tensor([0.5])), np.tanh([0.5]))
    np.testing.assert_allclose(act.relu([-1, 2]), [0.0, 2.0])


# --- softmax family ----------------------------------------------------------
@pytest.mark.parametrize("axis", [0, 1, 2, -1, -2])
def test_softmax_and_log_softmax_match_torch(axis):
    x = np.random.default_rng(0).normal(scale=3.0, size=(3, 4, 5))
    t = torch.tensor(x, dtype=torch.float64)
    assert_close(torch.from_numpy(act.softmax(x, axis=axis)), torch.softmax(t, axis))
    assert_close(
        torch.from_numpy(act.log_softmax(x, axis=axis)), torch.log_softmax(t, axis)
    )


def test_softmax_sums_to_one_and_is_shift_invariant():
    x = np.array([[0.8, 0.2, -1.0], [5.0, 5.0, 5.0]])
    p = act.softmax(x)
    np.testing.assert_allclose(p.sum(axis=-1), [1.0, 1.0])
    np.testing.assert_allclose(act.softmax(x + 123.0), p)
    np.testing.assert_allclose(p[1], [1 / 3] * 3)  # identical logits → uniform
    np.testing.assert_allclose(act.softmax([0.8, 0.2]), [0.6457, 0.3543], atol=1e-4)


@pytest.mark.parametrize(
    "logits", [[1e4, -1e4], [1e4, 1e4], [-1e4, -1e4, -1e4], [1000.0, 1001.0]]
)
def test_softmax_is_stable_for_huge_logits(logits):
    t = torch.tensor(logits, dtype=torch.float64)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        p = act.softmax(logits)
        logp = act.log_softmax(logits)
    assert np.all(np.isfinite(p)) and np.all(np.isfinite(logp))
    assert_close(torch.from_numpy(p), torch.softmax(t, 0))
    assert_close(torch.from_numpy(logp), torch.log_softmax(t, 0))


def test_sigmoid_is_two_class_softmax():
    x = np.linspace(-6, 6, 13)
    two = act.softmax(np.stack([x, np.zeros_like(x)], axis=-1))[:, 0]
    np.testing.assert_allclose(act.sigmoid(x), two)


# --- bad input ---------------------------------------------------------------
ALL_FUNCS = [f for pair in act.ACTIVATIONS.values() for f in pair] + [
    act.softmax,
    act.log_softmax,
]


@pytest.mark.parametrize("func", ALL_FUNCS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("bad", [[1.0, np.nan], [np.inf], [-np.inf, 0.0]])
def test_non_finite_input_is_rejected(func, bad):
    with pytest.raises(ValueError, match="finite"):
        func(bad)


@pytest.mark.parametrize("func", ALL_FUNCS, ids=lambda f: f.__name__)
def test_empty_input_is_rejected(func):
    with pytest.raises(ValueError, match="empty"):
        func([])


@pytest.mark.parametrize("func", ALL_FUNCS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("bad", ["abc", ["a", "b"], {"x": 1}, None])
def test_non_numeric_input_is_rejected(func, bad):
    with pytest.raises(TypeError, match="numbers"):
        func(bad)


@pytest.mark.parametrize("func", [act.softmax, act.log_softmax])
def test_bad_axis_is_rejected(func):
    x = np.zeros((2, 3))
    with pytest.raises(ValueError, match="out of range"):
        func(x, axis=2)
    with pytest.raises(ValueError, match="out of range"):
        func(x, axis=-3)
    with pytest.raises(TypeError, match="axis must be an integer"):
        func(x, axis=1.0)
    with pytest.raises(TypeError, match="axis must be an integer"):
        func(x, axis=True)
    with pytest.raises(ValueError, match="scalar"):
        func(3.0)


@pytest.mark.parametrize("slope", [-0.1, 1.5, float("nan")])
def test_bad_negative_slope_is_rejected(slope):
    with pytest.raises(ValueError, match="negative_slope"):
        act.leaky_relu([1.0], slope)
    with pytest.raises(ValueError, match="negative_slope"):
        act.leaky_relu_grad([1.0], slope)
    with pytest.raises(TypeError, match="negative_slope"):
        act.leaky_relu([1.0], "0.1")


def test_unknown_activation_lists_known_names():
    with pytest.raises(ValueError, match="unknown activation 'swishy'.*'relu'"):
        act.get_activation("swishy")
    with pytest.raises(ValueError, match="expected one of"):
        act.derivative("softplus", [1.0])
    with pytest.raises(TypeError, match="string"):
        act.get_activation(3)
    assert act.get_activation(" ReLU ") is act.ACTIVATIONS["relu"]
