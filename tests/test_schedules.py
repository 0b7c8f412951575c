"""helpers.scratch.schedules against torch's LambdaLR and clip_grad_norm_
(07_optimizers)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from helpers.scratch.optim import AdamW
from helpers.scratch.schedules import (
    LambdaSchedule,
    clip_grad_norm,
    global_norm,
    warmup_cosine,
    warmup_cosine_curve,
    warmup_cosine_lambda,
    warmup_linear,
)


def test_warmup_linear_matches_its_definition():
    assert warmup_linear(0, 10, 110) == 0.0
    assert warmup_linear(5, 10, 110) == pytest.approx(0.5)
    assert warmup_linear(10, 10, 110) == pytest.approx(1.0)
    assert warmup_linear(60, 10, 110) == pytest.approx(0.5)
    assert warmup_linear(110, 10, 110, min_ratio=0.1) == pytest.approx(0.1)
    assert warmup_linear(500, 10, 110, min_ratio=0.1) == pytest.approx(0.1)
    assert warmup_linear(85, 10, 110, min_ratio=0.2) == pytest.approx(0.2 + 0.8 * 0.25)
    # the same curve as a torch LinearLR chain (warmup, then decay to 0)
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: warmup_linear(s, 4, 12))
    seen = []
    for _ in range(14):
        seen.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    np.testing.assert_allclose(
        seen, [0, 0.25, 0.5, 0.75, 1, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25, 0.125, 0, 0]
    )
    with pytest.raises(ValueError, match="warmup_steps"):
        warmup_linear(0, 20, 10)


@pytest.mark.parametrize(
    ("warmup", "total", "min_ratio"), [(10, 100, 0.0), (0, 50, 0.1), (30, 30, 0.0)]
)
def test_schedule_equals_lambdalr(warmup, total, min_ratio):
    lr_lambda = warmup_cosine_lambda(warmup, total, min_ratio)
    rng = np.random.default_rng(0)
    ours = rng.normal(size=(4, 3))
    theirs = torch.tensor(ours.copy(), requires_grad=True)
    opt = AdamW([ours], lr=3e-3, weight_decay=0.1)
    sched = LambdaSchedule(opt, lr_lambda)
    topt = torch.optim.AdamW([theirs], lr=3e-3, weight_decay=0.1)
    tsched = torch.optim.lr_scheduler.LambdaLR(topt, lr_lambda)
    for _ in range(total + 20):  # also past the end of the schedule
        assert opt.lr == pytest.approx(topt.param_groups[0]["lr"], rel=1e-12)
        grad = rng.normal(size=ours.shape)
        opt.step([grad])
        theirs.grad = torch.tensor(grad)
        topt.step()
        sched.step()
        tsched.step()
        torch.testing.assert_close(
            torch.from_numpy(ours), theirs.detach(), rtol=1e-8, atol=1e-12
        )


@pytest.mark.parametrize(
    ("warmup", "total", "min_ratio"), [(10, 100, 0.0), (0, 50, 0.1), (7, 7, 0.2)]
)
def test_curve_equals_scalar_schedule(warmup, total, min_ratio):
    curve = warmup_cosine_curve(warmup, total, min_ratio)
    expected = [warmup_cosine(s, warmup, total, min_ratio) for s in range(total + 1)]
    np.testing.assert_allclose(curve, expected, rtol=1e-14, atol=1e-15)


def test_schedule_shape():
    assert warmup_cosine(0, 10, 100) == 0.0
    assert warmup_cosine(5, 10, 100) == pytest.approx(0.5)
    assert warmup_cosine(10, 10, 100) == pytest.approx(1.0)
    assert warmup_cosine(55, 10, 100) == pytest.approx(0.5)  # half-way down
    assert warmup_cosine(100, 10, 100, min_ratio=0.1) == pytest.approx(0.1)
    assert warmup_cosine(500, 10, 100, min_ratio=0.1) == pytest.approx(0.1)
    values = [warmup_cosine(s, 10, 100) for s in range(10, 101)]
    assert all(a >= b for a, b in zip(values, values[1:], strict=False))


@pytest.mark.parametrize("max_norm", [0.5, 1.0, 100.0])
@pytest.mark.parametrize("norm_type", [2.0, math.inf])
def test_clip_equals_torch(max_norm, norm_type):
    rng = np.random.default_rng(1)
    grads = [rng.normal(size=s) for s in [(3, 4), (5,), (2, 2, 2)]]
    tensors = [torch.zeros(g.shape, dtype=torch.float64) for g in grads]
    for t, g in zip(tensors, grads, strict=True):
        t.grad = torch.tensor(g.copy())
    total_torch = torch.nn.utils.clip_grad_norm_(tensors, max_norm, norm_type)
    total = clip_grad_norm(grads, max_norm, norm_type)
    assert total == pytest.approx(total_torch.item(), rel=1e-12)
    for t, g in zip(tensors, grads, strict=True):
        torch.testing.assert_close(torch.from_numpy(g), t.grad, rtol=1e-12, atol=0)


def test_clip_keeps_direction_and_sets_norm():
    rng = np.random.default_rng(2)
    grads = [10 * rng.normal(size=(3, 3)), 10 * rng.normal(size=4)]
    before = np.concatenate([g.ravel() for g in grads])
    clip_grad_norm(grads, 1.0)
    after = np.concatenate([g.ravel() for g in grads])
    assert global_norm(grads) == pytest.approx(1.0, rel=1e-5)
    cosine = before @ after / (np.linalg.norm(before) * np.linalg.norm(after))
    assert cosine == pytest.approx(1.0)


def test_bad_input():
    with pytest.raises(ValueError, match="warmup_steps"):
        warmup_cosine(0, 200, 100)
    with pytest.raises(ValueError, match="total_steps"):
        warmup_cosine_lambda(0, 0)
    with pytest.raises(ValueError, match="step"):
        warmup_cosine(-1, 10, 100)
    with pytest.raises(ValueError, match="min_ratio"):
        warmup_cosine(1, 10, 100, min_ratio=1.5)
    with pytest.raises(TypeError, match="step"):
        warmup_cosine(1.5, 10, 100)
    with pytest.raises(ValueError, match="max_norm"):
        clip_grad_norm([np.ones(2)], 0.0)
    with pytest.raises(ValueError, match="finite"):
        clip_grad_norm([np.array([1.0, np.nan])], 1.0)
    with pytest.raises(ValueError, match="empty"):
        clip_grad_norm([], 1.0)
    with pytest.raises(ValueError, match="empty"):
        clip_grad_norm([np.zeros(0)], 1.0)
    with pytest.raises(TypeError, match="NumPy array"):
        clip_grad_norm([[1.0, 2.0]], 1.0)
    with pytest.raises(ValueError, match="norm_type"):
        global_norm([np.ones(2)], norm_type=1.0)
    with pytest.raises(TypeError, match="optimizer"):
        LambdaSchedule(object(), lambda s: 1.0)
    opt = AdamW([np.zeros(2)], lr=0.1)
    with pytest.raises(ValueError, match="lr_lambda"):
        LambdaSchedule(opt, lambda s: -1.0)


def test_schedule_panel_curve():
    from helpers.widgets.optimizers import SchedulePanel, schedule_curve

    lrs = schedule_curve(1e-3, 10, 100, 0.1)
    np.testing.assert_allclose(lrs, 1e-3 * warmup_cosine_curve(10, 100, 0.1))
    with pytest.raises(ValueError, match="peak_lr"):
        schedule_curve(0.0, 10, 100)
    panel = SchedulePanel()
    panel.controls["warmup"].value = 900
    panel.controls["total"].value = 500  # warmup > total: capped, not an error
    assert "capped" in panel.readout.value
    assert panel.status.value == ""
    assert panel.line.get_ydata().max() == pytest.approx(
        panel.controls["peak_lr"].value
    )
