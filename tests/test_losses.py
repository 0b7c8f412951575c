"""helpers.scratch.losses against torch.nn.functional, including ignore_index and
extreme logits."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from helpers.scratch.activations import log_softmax, softmax
from helpers.scratch.gradcheck import numerical_gradient
from helpers.scratch.losses import (
    IGNORE_INDEX,
    binary_cross_entropy_with_logits,
    causal_lm_loss,
    causal_lm_perplexity,
    causal_lm_shift,
    cross_entropy,
    cross_entropy_grad,
    l1_loss,
    l1_loss_grad,
    mse_loss,
    mse_loss_grad,
    perplexity,
    softmax_jacobian,
)

RNG = np.random.default_rng(0)


def torch_grad(fn, *arrays):
    tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*tensors)
    out.backward()
    return out.item(), tensors[0].grad.numpy()


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 2)])
def test_l1_and_mse_match_torch(reduction, shape):
    p, t = RNG.standard_normal(shape), RNG.standard_normal(shape)
    t.reshape(-1)[0] = p.reshape(-1)[0]  # one exact tie: the L1 gradient there is 0
    for ours, grad, ref in [
        (l1_loss, l1_loss_grad, F.l1_loss),
        (mse_loss, mse_loss_grad, F.mse_loss),
    ]:
        value, ref_grad = torch_grad(
            lambda a, b, ref=ref: ref(a, b, reduction=reduction), p, t
        )
        assert ours(p, t, reduction) == pytest.approx(value, rel=1e-12)
        torch.testing.assert_close(grad(p, t, reduction), ref_grad, rtol=1e-12, atol=0)


def test_seed_004_l1_example():
    assert l1_loss([0.6, 0.4], [1.0, 0.0], reduction="sum") == pytest.approx(0.8)


@pytest.mark.parametrize("shape", [(6, 5), (2, 3, 7), (4,)])
def test_cross_entropy_matches_torch(shape):
    logits = RNG.standard_normal(shape) * 3
    targets = RNG.integers(0, shape[-1], size=shape[:-1])
    value, ref_grad = torch_grad(
        lambda z: F.cross_entropy(
            z.reshape(-1, shape[-1]), torch.tensor(targets).reshape(-1)
        ),
        logits,
    )
    assert cross_entropy(logits, targets) == pytest.approx(value, rel=1e-12)
    torch.testing.assert_close(
        cross_entropy_grad(logits, targets), ref_grad, rtol=1e-10, atol=1e-14
    )


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_cross_entropy_ignore_index_matches_torch(reduction):
    logits = RNG.standard_normal((10, 6))
    targets = RNG.integers(0, 6, size=10)
    targets[[1, 4, 5]] = IGNORE_INDEX
    value, ref_grad = torch_grad(
        lambda z: F.cross_entropy(
            z, torch.tensor(targets), ignore_index=-100, reduction=reduction
        ),
        logits,
    )
    assert cross_entropy(logits, targets, reduction=reduction) == pytest.approx(
        value, rel=1e-12
    )
    grad = cross_entropy_grad(logits, targets, reduction=reduction)
    torch.testing.assert_close(grad, ref_grad, rtol=1e-10, atol=1e-14)
    assert np.all(grad[[1, 4, 5]] == 0)


def test_cross_entropy_custom_ignore_index():
    logits = RNG.standard_normal((4, 3))
    targets = np.array([0, 2, 2, 1])
    ref = F.cross_entropy(torch.tensor(logits), torch.tensor(targets), ignore_index=2)
    assert cross_entropy(logits, targets, ignore_index=2) == pytest.approx(ref.item())


def test_cross_entropy_gradient_is_p_minus_y_and_matches_finite_differences():
    logits = RNG.standard_normal((3, 4))
    targets = np.array([1, 0, 3])
    one_hot = np.eye(4)[targets]
    grad = cross_entropy_grad(logits, targets, reduction="sum")
    np.testing.assert_allclose(grad, softmax(logits) - one_hot, rtol=1e-14)
    numeric = numerical_gradient(lambda z: cross_entropy(z, targets), logits)
    np.testing.assert_allclose(cross_entropy_grad(logits, targets), numeric, atol=1e-9)


@pytest.mark.parametrize("scale", [1.0, 100.0, 1e4])
def test_extreme_logits_stay_finite_and_correct(scale):
    logits = RNG.uniform(-1, 1, size=(5, 7)) * scale
    logits[0, 0], logits[1, :] = scale, -scale  # a row of identical logits too
    targets = np.array([0, 3, 6, 2, 1])
    t = torch.tensor(logits)
    torch.testing.assert_close(
        softmax(logits), torch.softmax(t, -1).numpy(), rtol=1e-12, atol=1e-300
    )
    torch.testing.assert_close(
        log_softmax(logits), torch.log_softmax(t, -1).numpy(), rtol=1e-12, atol=1e-12
    )
    value, ref_grad = torch_grad(
        lambda z: F.cross_entropy(z, torch.tensor(targets)), logits
    )
    ours = cross_entropy(logits, targets)
    assert np.isfinite(ours) and ours == pytest.approx(value, rel=1e-12)
    grad = cross_entropy_grad(logits, targets)
    assert np.all(np.isfinite(grad))
    torch.testing.assert_close(grad, ref_grad, rtol=1e-10, atol=1e-14)


def test_identical_logits_give_a_uniform_distribution():
    logits = np.full((2, 5), 1e4)
    np.testing.assert_allclose(softmax(logits), 0.2)
    assert cross_entropy(logits, [0, 4]) == pytest.approx(np.log(5), rel=1e-14)


def test_naive_softmax_overflows_but_ours_does_not():
    z = np.array([1000.0, 1001.0])
    with np.errstate(over="ignore", invalid="ignore"):
        naive = np.exp(z) / np.exp(z).sum()
    assert np.isnan(naive).all()
    np.testing.assert_allclose(
        softmax(z), [1 / (1 + np.e), np.e / (1 + np.e)], rtol=1e-14
    )


def test_softmax_jacobian_matches_torch():
    z = RNG.standard_normal(5)
    jac = torch.autograd.functional.jacobian(
        lambda t: torch.softmax(t, 0), torch.tensor(z)
    )
    torch.testing.assert_close(
        softmax_jacobian(softmax(z)), jac.numpy(), rtol=1e-12, atol=1e-14
    )
    assert np.allclose(
        softmax_jacobian(softmax(z)).sum(axis=0), 0
    )  # rows of s sum to 1


def test_causal_lm_loss_matches_the_shifted_torch_loss():
    B, T, V = 2, 6, 11
    logits = RNG.standard_normal((B, T, V))
    labels = RNG.integers(0, V, size=(B, T))
    labels[0, :3] = IGNORE_INDEX  # e.g. a prompt that is not trained on
    shift_logits, shift_labels = causal_lm_shift(logits, labels)
    assert shift_logits.shape == (B * (T - 1), V) and shift_labels.shape == (
        B * (T - 1),
    )
    np.testing.assert_array_equal(shift_logits[T - 1], logits[1, 0])  # row 0 of batch 1
    np.testing.assert_array_equal(shift_labels[T - 1], labels[1, 1])
    ref = F.cross_entropy(
        torch.tensor(logits)[:, :-1, :].reshape(-1, V),
        torch.tensor(labels)[:, 1:].reshape(-1),
        ignore_index=-100,
    )
    assert causal_lm_loss(logits, labels) == pytest.approx(ref.item(), rel=1e-12)


# --- bad input ---------------------------------------------------------------
@pytest.mark.parametrize("fn", [l1_loss, mse_loss, l1_loss_grad, mse_loss_grad])
def test_regression_losses_reject_bad_input(fn):
    with pytest.raises(ValueError, match="same shape"):
        fn(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="finite"):
        fn([np.nan], [1.0])
    with pytest.raises(ValueError, match="empty"):
        fn([], [])
    with pytest.raises(ValueError, match="unknown reduction 'avg'"):
        fn([1.0], [1.0], "avg")


@pytest.mark.parametrize("fn", [cross_entropy, cross_entropy_grad])
def test_cross_entropy_rejects_bad_input(fn):
    logits = np.zeros((3, 4))
    with pytest.raises(ValueError, match="targets must have shape \\(3,\\)"):
        fn(logits, [0, 1])
    with pytest.raises(ValueError, match="targets must be in \\[0, 3\\]"):
        fn(logits, [0, 1, 4])
    with pytest.raises(ValueError, match="targets must be in"):
        fn(logits, [0, -1, 2])
    with pytest.raises(TypeError, match="integer class indices"):
        fn(logits, [0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="finite"):
        fn([[np.nan, 0, 0, 0]], [0])
    with pytest.raises(ValueError, match="empty"):
        fn(np.zeros((0, 4)), np.zeros(0, dtype=int))
    with pytest.raises(ValueError, match="nothing to average"):
        fn(logits, [-100, -100, -100])
    with pytest.raises(ValueError, match="unknown reduction"):
        fn(logits, [0, 1, 2], reduction="none")


def test_softmax_jacobian_rejects_non_probabilities():
    with pytest.raises(ValueError, match="summing to 1"):
        softmax_jacobian([0.5, 0.6])
    with pytest.raises(ValueError, match="1 dimension"):
        softmax_jacobian(np.eye(2) / 2)


def test_causal_lm_shift_rejects_bad_input():
    with pytest.raises(ValueError, match="3 dimension"):
        causal_lm_shift(np.zeros((4, 5)), np.zeros(4, dtype=int))
    with pytest.raises(
        ValueError, match="labels must have shape \\(B, T\\) = \\(2, 3\\)"
    ):
        causal_lm_shift(np.zeros((2, 3, 5)), np.zeros((2, 4), dtype=int))
    with pytest.raises(ValueError, match="at least 2 positions"):
        causal_lm_shift(np.zeros((2, 1, 5)), np.zeros((2, 1), dtype=int))
    with pytest.raises(TypeError, match="labels must be integer"):
        causal_lm_shift(np.zeros((1, 3, 5)), np.zeros((1, 3)))


# --- additions of the teaching pass (06_loss_functions) ---------------------------


@pytest.mark.parametrize("scale", [1.0, 30.0, 1000.0])
def test_binary_cross_entropy_with_logits_matches_torch(scale):
    z = scale * RNG.normal(size=12)
    y = RNG.random(12)
    y[:4] = np.round(y[:4])
    ours = binary_cross_entropy_with_logits(z, y)
    ref = F.binary_cross_entropy_with_logits(torch.tensor(z), torch.tensor(y)).item()
    assert np.isfinite(ours) and ours == pytest.approx(ref, rel=1e-12)
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 1\]"):
        binary_cross_entropy_with_logits(z, y + 1.0)


def test_perplexity_is_exp_of_the_loss_and_uniform_gives_v():
    v = 50
    uniform = np.zeros((3, v))
    loss = cross_entropy(uniform, np.array([0, 7, 49]))
    assert loss == pytest.approx(np.log(v), rel=1e-12)  # initial loss ≈ ln V
    assert perplexity(loss) == pytest.approx(v, rel=1e-12)
    assert perplexity(1000.0) == float("inf")
    logits = RNG.normal(size=(2, 6, 7))
    labels = RNG.integers(0, 7, size=(2, 6))
    labels[1, 3:] = IGNORE_INDEX
    ref = torch.exp(
        F.cross_entropy(
            torch.tensor(logits[:, :-1]).reshape(-1, 7),
            torch.tensor(labels[:, 1:]).reshape(-1),
        )
    ).item()
    assert causal_lm_perplexity(logits, labels) == pytest.approx(ref, rel=1e-12)
    with pytest.raises(ValueError, match="mean_cross_entropy must be >= 0"):
        perplexity(-0.1)


def test_saturated_wrong_answer_l1_gradient_vanishes_cross_entropy_does_not():
    """06's motivation for cross-entropy: softmax very sure of the wrong class."""
    z = torch.tensor([-6.0, 6.0], dtype=torch.float64, requires_grad=True)
    target = torch.tensor([1.0, 0.0], dtype=torch.float64)
    F.l1_loss(torch.softmax(z, 0), target, reduction="sum").backward()
    l1_grad = z.grad.abs().max().item()
    z.grad = None
    F.cross_entropy(z[None], torch.tensor([0])).backward()
    ce_grad = z.grad.abs().max().item()
    assert l1_grad < 2e-5 and ce_grad > 0.99


def test_complex_and_uint64_inputs_are_refused():
    with pytest.raises(TypeError, match="complex"):
        cross_entropy(np.array([1.0 + 2j, 0.0]), 0)
    with pytest.raises(TypeError, match="complex"):
        mse_loss(np.array([1j]), np.array([0.0]))
    with pytest.raises(TypeError, match="complex"):
        causal_lm_shift(
            torch.zeros(1, 3, 2, dtype=torch.complex64), np.zeros((1, 3), int)
        )
    wrapped = np.array([2**64 - 100, 1], dtype=np.uint64)  # int64 would read -100
    with pytest.raises(TypeError, match="uint64"):
        cross_entropy(np.zeros((2, 3)), wrapped)
    with pytest.raises(TypeError, match="uint64"):
        cross_entropy_grad(np.zeros((2, 3)), wrapped)


def test_logits_panel_state():
    from helpers.scratch.losses import logits_state

    state = logits_state([2.0, 1.0, 0.1, -1.0], 0)
    np.testing.assert_allclose(state["probabilities"].sum(), 1.0)
    assert state["loss"] == pytest.approx(-np.log(state["probabilities"][0]))
    np.testing.assert_allclose(state["gradient"], state["probabilities"] - [1, 0, 0, 0])
    with pytest.raises(ValueError, match="target must be <= 3"):
        logits_state([0.0, 0.0, 0.0, 0.0], 4)


def test_loss_figures():
    from helpers.plotting.losses import plot_cross_entropy_curve, plot_regression_losses

    fig = plot_regression_losses(2.0)
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) >= 2
    assert len(plot_cross_entropy_curve().axes[0].lines) == 4
    with pytest.raises(ValueError, match="limit must be >= 0.1"):
        plot_regression_losses(0.0)
