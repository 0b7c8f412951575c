"""helpers.scratch.optim against torch.optim, step for step (07_optimizers)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from helpers.scratch import optim
from helpers.scratch.optim import (
    SGD,
    AdaGrad,
    Adam,
    AdamW,
    RMSProp,
    make_optimizer,
    state_bytes_per_param,
    trajectory,
)

SHAPES = [(5, 3), (3,), (4, 2, 2)]
STEPS = 150


def _run_both(make_ours, make_torch, seed: int, steps: int = STEPS):
    """Feed the same gradients to both optimizers; compare after every step."""
    rng = np.random.default_rng(seed)
    ours = [rng.normal(size=s) for s in SHAPES]
    theirs = [torch.tensor(p.copy(), requires_grad=True) for p in ours]
    targets = [rng.normal(size=s) for s in SHAPES]
    opt = make_ours(ours)
    topt = make_torch(theirs)
    for _ in range(steps):
        # gradient of a quadratic bowl plus noise: depends on the current params
        grads = [
            2.0 * (p - t) + 0.3 * rng.normal(size=p.shape)
            for p, t in zip(ours, targets, strict=True)
        ]
        opt.step(grads)
        for tp, g in zip(theirs, grads, strict=True):
            tp.grad = torch.tensor(g)
        topt.step()
        for p, tp in zip(ours, theirs, strict=True):
            torch.testing.assert_close(
                torch.from_numpy(p), tp.detach(), rtol=1e-8, atol=1e-12
            )
    return ours


CONFIGS = {
    "sgd": (
        lambda ps: SGD(ps, lr=0.05),
        lambda ps: torch.optim.SGD(ps, lr=0.05),
    ),
    "sgd_momentum_wd": (
        lambda ps: SGD(ps, lr=0.03, momentum=0.9, weight_decay=0.01),
        lambda ps: torch.optim.SGD(ps, lr=0.03, momentum=0.9, weight_decay=0.01),
    ),
    "sgd_dampening": (
        lambda ps: SGD(ps, lr=0.03, momentum=0.8, dampening=0.2),
        lambda ps: torch.optim.SGD(ps, lr=0.03, momentum=0.8, dampening=0.2),
    ),
    "sgd_nesterov_wd": (
        lambda ps: SGD(ps, lr=0.02, momentum=0.9, weight_decay=0.05, nesterov=True),
        lambda ps: torch.optim.SGD(
            ps, lr=0.02, momentum=0.9, weight_decay=0.05, nesterov=True
        ),
    ),
    "adagrad": (
        lambda ps: AdaGrad(ps, lr=0.1),
        lambda ps: torch.optim.Adagrad(ps, lr=0.1),
    ),
    "adagrad_wd_decay": (
        lambda ps: AdaGrad(
            ps, lr=0.1, lr_decay=0.01, weight_decay=0.02, initial_accumulator_value=0.1
        ),
        lambda ps: torch.optim.Adagrad(
            ps, lr=0.1, lr_decay=0.01, weight_decay=0.02, initial_accumulator_value=0.1
        ),
    ),
    "rmsprop": (
        lambda ps: RMSProp(ps, lr=0.01),
        lambda ps: torch.optim.RMSprop(ps, lr=0.01),
    ),
    "rmsprop_alpha_wd": (
        lambda ps: RMSProp(ps, lr=0.02, alpha=0.9, eps=1e-6, weight_decay=0.05),
        lambda ps: torch.optim.RMSprop(
            ps, lr=0.02, alpha=0.9, eps=1e-6, weight_decay=0.05
        ),
    ),
    "adam": (
        lambda ps: Adam(ps, lr=0.01),
        lambda ps: torch.optim.Adam(ps, lr=0.01),
    ),
    "adam_l2": (
        lambda ps: Adam(ps, lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
        lambda ps: torch.optim.Adam(
            ps, lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1
        ),
    ),
    "adamw": (
        lambda ps: AdamW(ps, lr=0.01),
        lambda ps: torch.optim.AdamW(ps, lr=0.01),
    ),
    "adamw_wd": (
        lambda ps: AdamW(ps, lr=0.02, betas=(0.85, 0.95), weight_decay=0.3),
        lambda ps: torch.optim.AdamW(ps, lr=0.02, betas=(0.85, 0.95), weight_decay=0.3),
    ),
}


@pytest.mark.parametrize("config", sorted(CONFIGS))
@pytest.mark.parametrize("seed", [0, 1])
def test_matches_torch_step_for_step(config, seed):
    make_ours, make_torch = CONFIGS[config]
    _run_both(make_ours, make_torch, seed)


def test_adam_and_adamw_differ_with_weight_decay():
    """Decoupled weight decay is a different update from L2 in the gradient."""
    a = _run_both(
        lambda ps: Adam(ps, lr=0.02, weight_decay=0.3),
        lambda ps: torch.optim.Adam(ps, lr=0.02, weight_decay=0.3),
        seed=3,
        steps=20,
    )
    w = _run_both(
        lambda ps: AdamW(ps, lr=0.02, weight_decay=0.3),
        lambda ps: torch.optim.AdamW(ps, lr=0.02, weight_decay=0.3),
        seed=3,
        steps=20,
    )
    assert not np.allclose(a[0], w[0])


def test_adagrad_step_depends_on_gradient_history_not_step_count():
    """Two parameters at the same step count get different effective rates."""
    p = np.zeros(2)
    opt = AdaGrad([p], lr=1.0)
    opt.step([np.array([10.0, 0.1])])
    before = p.copy()
    opt.step([np.array([1.0, 1.0])])
    moved = p - before
    # the coordinate with the large past gradient moves much less
    assert abs(moved[0]) < 0.2 * abs(moved[1])


def test_state_bytes_per_param():
    assert state_bytes_per_param("sgd") == 0
    assert state_bytes_per_param("momentum") == 4
    assert state_bytes_per_param("nesterov") == 4
    assert state_bytes_per_param("adagrad") == 4
    assert state_bytes_per_param("adam") == 8
    assert state_bytes_per_param("adamw") == 8
    assert state_bytes_per_param("adam", bytes_per_number=8) == 16


def test_torch_adam_state_matches_our_count():
    p = torch.zeros(1000, requires_grad=True)
    topt = torch.optim.Adam([p], lr=0.1)
    p.grad = torch.ones(1000)
    topt.step()
    state = topt.state[p]
    nbytes = sum(
        v.numel() * v.element_size() for v in state.values() if v.numel() == 1000
    )
    assert nbytes // 1000 == state_bytes_per_param("adam")


def test_make_optimizer_names():
    p = np.zeros(3)
    assert isinstance(make_optimizer("momentum", [p], 0.1), SGD)
    assert make_optimizer("momentum", [p], 0.1).momentum == 0.9
    assert make_optimizer("nesterov", [p], 0.1).nesterov
    assert isinstance(make_optimizer("adamw", [p], 0.1), AdamW)
    assert set(optim.OPTIMIZER_NAMES) == {
        "sgd",
        "momentum",
        "nesterov",
        "adagrad",
        "rmsprop",
        "adam",
        "adamw",
    }
    assert isinstance(make_optimizer("rmsprop", [p], 0.1), RMSProp)
    assert state_bytes_per_param("rmsprop") == 4


def test_complex_gradients_are_refused_not_truncated():
    p = np.zeros(2)
    with pytest.raises(TypeError, match="complex"):
        SGD([p], lr=0.1).step([np.array([1 + 1j, 0.0])])
    with pytest.raises(TypeError, match="complex"):
        trajectory("sgd", lambda q: q, [1j, 0.0], lr=0.1, steps=2)
    with pytest.raises(TypeError, match="floating-point"):
        SGD([np.zeros(2, dtype=complex)], lr=0.1)


def test_trajectory_reaches_minimum_and_stops_on_divergence():
    def grad(p):
        return np.array([p[0], 10.0 * p[1]])

    good = trajectory("sgd", grad, [1.0, 1.0], lr=0.05, steps=300)
    assert good.shape == (301, 2)
    assert np.linalg.norm(good[-1]) < 1e-3
    bad = trajectory("sgd", grad, [1.0, 1.0], lr=0.25, steps=2000)
    assert np.all(np.isfinite(bad))
    assert np.abs(bad[-1]).max() > 1e3  # it diverged, the path stayed finite


# --- bad input --------------------------------------------------------------


def test_bad_learning_rate():
    for lr in (0.0, -0.1):
        with pytest.raises(ValueError, match="learning rate"):
            SGD([np.zeros(2)], lr=lr)
    with pytest.raises(ValueError, match="learning rate"):
        Adam([np.zeros(2)], lr=float("nan"))
    with pytest.raises(TypeError, match="learning rate"):
        Adam([np.zeros(2)], lr="0.1")
    opt = SGD([np.zeros(2)], lr=0.1)
    with pytest.raises(ValueError, match="learning rate"):
        opt.lr = -1.0


def test_bad_params():
    with pytest.raises(TypeError, match="list"):
        SGD(np.zeros(3), lr=0.1)
    with pytest.raises(ValueError, match="non-empty"):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match="floating-point"):
        SGD([[1.0, 2.0]], lr=0.1)
    with pytest.raises(ValueError, match="empty"):
        SGD([np.zeros(0)], lr=0.1)
    with pytest.raises(ValueError, match="finite"):
        SGD([np.array([1.0, np.nan])], lr=0.1)


def test_bad_grads():
    opt = Adam([np.zeros((2, 3)), np.zeros(3)], lr=0.1)
    with pytest.raises(ValueError, match="2 parameters"):
        opt.step([np.zeros((2, 3))])
    with pytest.raises(ValueError, match=r"shape of params\[1\]"):
        opt.step([np.zeros((2, 3)), np.zeros(4)])
    with pytest.raises(ValueError, match="finite"):
        opt.step([np.zeros((2, 3)), np.array([0.0, np.inf, 0.0])])
    with pytest.raises(ValueError, match="empty"):
        opt.step([np.zeros((2, 3)), np.zeros(0)])
    with pytest.raises(TypeError, match="list"):
        opt.step(np.zeros(3))


def test_bad_options():
    p = [np.zeros(2)]
    with pytest.raises(ValueError, match="unknown optimizer name 'adamx'"):
        make_optimizer("adamx", p, 0.1)
    with pytest.raises(ValueError, match="unknown optimizer name"):
        state_bytes_per_param("lion")
    with pytest.raises(ValueError, match="momentum"):
        SGD(p, lr=0.1, momentum=1.5)
    with pytest.raises(ValueError, match="nesterov"):
        SGD(p, lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="beta1"):
        Adam(p, betas=(1.0, 0.999))
    with pytest.raises(TypeError, match="betas"):
        Adam(p, betas=0.9)
    with pytest.raises(ValueError, match="weight_decay"):
        AdamW(p, weight_decay=-0.1)
    with pytest.raises(ValueError, match="eps"):
        AdaGrad(p, eps=0.0)
    with pytest.raises(ValueError, match="bytes_per_number"):
        state_bytes_per_param("adam", bytes_per_number=2)


# --- exercise checkers of 07_optimizers ---------------------------------------


# --- panels of 07_optimizers ----------------------------------------------------


def test_optimizer_path_and_panel_logic():
    from helpers.scratch.optim import SURFACES
    from helpers.scratch.surfaces import optimizer_path
    from helpers.widgets.optimizers import OptimizerPanel

    path = optimizer_path("ravine", "sgd", 0.2, 100)
    assert path.shape == (101, 2)
    assert SURFACES["ravine"].loss(*path[-1]) < 1e-3
    adam = optimizer_path("banana", "adam", 0.05, 300)
    assert SURFACES["banana"].loss(*adam[-1]) < 1e-3
    with pytest.raises(ValueError, match="unknown surface"):
        optimizer_path("mountain", "sgd", 0.1, 10)
    with pytest.raises(ValueError, match="unknown optimizer name"):
        optimizer_path("ravine", "lion", 0.1, 10)
    panel = OptimizerPanel()
    panel.controls["lr"].value = 0.6  # above 2 / lambda_max = 0.5 for SGD
    panel.controls["steps"].value = 200
    assert "diverging" in panel.readout.value
    assert panel.status.value == ""


def test_surface_gradients_match_torch():
    from helpers.scratch.optim import SURFACES

    for name, surface in SURFACES.items():
        point = torch.tensor([0.3, -0.7], dtype=torch.float64, requires_grad=True)
        surface.loss(point[0], point[1]).backward()
        np.testing.assert_allclose(
            surface.grad(point.detach().numpy()),
            point.grad.numpy(),
            rtol=1e-12,
            err_msg=name,
        )


def test_plotting_functions_of_07():
    from matplotlib.figure import Figure

    from helpers.plotting.optimizers import (
        plot_loss_curves,
        plot_lr_schedules,
        plot_paths,
    )
    from helpers.scratch.optim import SURFACES

    s = SURFACES["ravine"]
    path = trajectory("sgd", s.grad, s.start, 0.2, 10)
    fig = plot_paths(s.loss, {"sgd": path}, s.xlim, s.ylim)
    assert isinstance(fig, Figure) and len(fig.axes[0].lines) >= 2
    assert isinstance(plot_loss_curves({"a": np.arange(1.0, 5.0)}), Figure)
    steps = np.arange(11.0)
    assert isinstance(
        plot_lr_schedules(steps, {"c": np.ones(11)}, warmup_steps=3), Figure
    )
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        plot_paths(s.loss, {"bad": path[:, :1]}, s.xlim, s.ylim)
    with pytest.raises(TypeError, match="non-empty dict"):
        plot_loss_curves({})
    with pytest.raises(ValueError, match="shape of steps"):
        plot_lr_schedules(steps, {"c": np.ones(5)})


def test_core_surfaces_agree_with_the_panel_surfaces():
    """07 takes SURFACES from core; the panel must show the same surfaces."""
    from helpers.widgets import optimizers as panel_module

    rng = np.random.default_rng(0)
    for name, surface in optim.SURFACES.items():
        shown = panel_module.SURFACES[name]
        assert (surface.start, surface.minimum) == (shown.start, shown.minimum)
        assert (surface.xlim, surface.ylim) == (shown.xlim, shown.ylim)
        for point in rng.normal(size=(5, 2)):
            np.testing.assert_allclose(surface.grad(point), shown.grad(point))
            assert surface.loss(*point) == pytest.approx(shown.loss(*point))
        np.testing.assert_allclose(surface.grad(np.array(surface.minimum)), 0.0)


def test_teaching_claims_of_07_momentum_and_the_banana():
    """07: momentum's step tends to lr / (1 - mu); on the banana SGD diverges at
    lr 0.05 while momentum with an effective step of 0.1 converges, and equal
    effective steps give about the same progress."""
    p = np.zeros(1)
    opt = SGD([p], lr=0.01, momentum=0.9)
    for _ in range(200):
        before = p.copy()
        opt.step([np.ones(1)])
    assert abs(before - p)[0] == pytest.approx(0.01 / (1 - 0.9), rel=1e-6)
    banana = optim.SURFACES["banana"]

    def final(name, lr):
        return banana.loss(*trajectory(name, banana.grad, banana.start, lr, 300)[-1])

    assert final("sgd", 0.05) > 1e6
    assert final("momentum", 0.01) < 1e-8
    assert final("momentum", 0.001) == pytest.approx(final("sgd", 0.01), rel=0.2)
    ravine = optim.SURFACES["ravine"]
    nesterov = trajectory("nesterov", ravine.grad, ravine.start, 0.1, 40)[-1]
    momentum = trajectory("momentum", ravine.grad, ravine.start, 0.1, 40)[-1]
    assert ravine.loss(*nesterov) < ravine.loss(*momentum)
