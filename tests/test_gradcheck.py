"""helpers.scratch.gradcheck: central differences are accurate and validate input."""

import numpy as np
import pytest
import torch

from helpers.scratch.gradcheck import numerical_gradient, relative_error


def test_matches_torch_on_a_smooth_function():
    x = np.random.default_rng(0).standard_normal((3, 4))

    def f(v):
        return float(np.sum(np.sin(v) * v**2) + np.prod(np.tanh(v[0])))

    t = torch.tensor(x, requires_grad=True)
    (torch.sum(torch.sin(t) * t**2) + torch.prod(torch.tanh(t[0]))).backward()
    torch.testing.assert_close(
        numerical_gradient(f, x), t.grad.numpy(), rtol=1e-7, atol=1e-8
    )


def test_error_shrinks_like_eps_squared():
    x = np.array([0.3])
    exact = np.cos(0.3)
    big = abs(numerical_gradient(lambda v: np.sin(v).sum(), x, eps=1e-2)[0] - exact)
    small = abs(numerical_gradient(lambda v: np.sin(v).sum(), x, eps=1e-3)[0] - exact)
    assert big / small == pytest.approx(100, rel=0.01)


def test_input_is_not_changed():
    x = np.array([1.0, 2.0])
    numerical_gradient(lambda v: float(v @ v), x)
    assert np.array_equal(x, [1.0, 2.0])


def test_relative_error_is_scale_aware():
    assert relative_error([1000.0], [1000.001]) == pytest.approx(1e-6, rel=1e-3)
    assert relative_error([1e-9], [2e-9]) == pytest.approx(1e-9)
    assert relative_error([0.0, 0.0], [0.0, 0.0]) == 0.0


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"f": 3, "x": [1.0]}, TypeError, "f must be a function"),
        ({"f": np.sum, "x": []}, ValueError, "x must not be empty"),
        ({"f": np.sum, "x": [np.nan]}, ValueError, "finite"),
        ({"f": np.sum, "x": [1.0], "eps": 0.0}, ValueError, "eps must be > 0"),
        ({"f": lambda v: v, "x": [1.0, 2.0]}, ValueError, "single number"),
        ({"f": lambda v: np.log(v - 1).sum(), "x": [1.0]}, ValueError, "non-finite"),
    ],
)
def test_bad_input(kwargs, error, message):
    with np.errstate(all="ignore"), pytest.raises(error, match=message):
        numerical_gradient(**kwargs)


def test_relative_error_shape_mismatch():
    with pytest.raises(ValueError, match="same shape"):
        relative_error(np.zeros(3), np.zeros(4))
