"""helpers.scratch.norms against torch.nn (08_normalization)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from helpers.scratch.norms import (
    BatchNorm1d,
    Dropout,
    LayerNorm,
    RMSNorm,
    init_std,
    signal_stats,
    signal_stats_bytes,
)


def _t(a):
    return torch.tensor(np.asarray(a), dtype=torch.float64, requires_grad=True)


def _close(ours, theirs):
    if isinstance(theirs, torch.Tensor):
        theirs = theirs.detach()
    torch.testing.assert_close(
        torch.from_numpy(np.asarray(ours)), theirs, rtol=1e-9, atol=1e-11
    )


@pytest.mark.parametrize("shape", [(5,), (4, 6), (2, 3, 8)])
def test_layernorm_matches_torch(shape):
    rng = np.random.default_rng(0)
    x, dout = 3 * rng.normal(size=shape) + 1, rng.normal(size=shape)
    ours = LayerNorm(shape[-1])
    ours.weight, ours.bias = rng.normal(size=shape[-1]), rng.normal(size=shape[-1])
    ref = nn.LayerNorm(shape[-1]).double()
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(ours.weight))
        ref.bias.copy_(torch.from_numpy(ours.bias))
    xt = _t(x)
    out_t = ref(xt)
    out_t.backward(torch.from_numpy(dout))
    _close(ours.forward(x), out_t)
    _close(ours.backward(dout), xt.grad)
    _close(ours.grad_weight, ref.weight.grad)
    _close(ours.grad_bias, ref.bias.grad)


@pytest.mark.parametrize("shape", [(7,), (4, 6), (2, 3, 8)])
def test_rmsnorm_matches_torch(shape):
    rng = np.random.default_rng(1)
    x, dout = 2 * rng.normal(size=shape) + 0.5, rng.normal(size=shape)
    ours = RMSNorm(shape[-1], eps=1e-6)
    ours.weight = rng.normal(size=shape[-1])
    ref = nn.RMSNorm(shape[-1], eps=1e-6).double()
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(ours.weight))
    xt = _t(x)
    out_t = ref(xt)
    out_t.backward(torch.from_numpy(dout))
    _close(ours.forward(x), out_t)
    _close(ours.backward(dout), xt.grad)
    _close(ours.grad_weight, ref.weight.grad)


@pytest.mark.parametrize("shape", [(8, 4), (5, 3, 6)])
def test_batchnorm_matches_torch_train_and_eval(shape):
    rng = np.random.default_rng(2)
    channels = shape[1]
    ours = BatchNorm1d(channels, momentum=0.2)
    ours.weight, ours.bias = rng.normal(size=channels), rng.normal(size=channels)
    ref = nn.BatchNorm1d(channels, momentum=0.2).double()
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(ours.weight))
        ref.bias.copy_(torch.from_numpy(ours.bias))
    for _ in range(3):  # several training batches update the running statistics
        x, dout = 2 * rng.normal(size=shape) + 3, rng.normal(size=shape)
        xt = _t(x)
        ref.zero_grad()
        out_t = ref(xt)
        out_t.backward(torch.from_numpy(dout))
        _close(ours.forward(x), out_t)
        _close(ours.backward(dout), xt.grad)
        _close(ours.grad_weight, ref.weight.grad)
        _close(ours.grad_bias, ref.bias.grad)
        _close(ours.running_mean, ref.running_mean)
        _close(ours.running_var, ref.running_var)
    assert ours.num_batches_tracked == ref.num_batches_tracked.item() == 3
    ours.training = False
    ref.eval()
    x, dout = rng.normal(size=(1,) + shape[1:]), rng.normal(size=(1,) + shape[1:])
    xt = _t(x)
    ref.zero_grad()
    out_t = ref(xt)
    out_t.backward(torch.from_numpy(dout))
    _close(ours.forward(x), out_t)
    _close(ours.backward(dout), xt.grad)
    _close(ours.grad_weight, ref.weight.grad)
    running = ours.running_mean.copy()
    ours.forward(rng.normal(size=shape))
    np.testing.assert_array_equal(ours.running_mean, running)  # eval: no update


def test_dropout_inverted_scaling_and_eval():
    drop = Dropout(0.25)
    x = np.ones((400, 500))
    out = drop.forward(x, rng=np.random.default_rng(0))
    kept = out != 0
    assert set(np.unique(out)) == {0.0, 1.0 / 0.75}
    assert abs(kept.mean() - 0.75) < 0.01
    assert abs(out.mean() - 1.0) < 0.01  # the expected value is unchanged
    dout = np.random.default_rng(1).normal(size=x.shape)
    np.testing.assert_allclose(drop.backward(dout), dout * kept / 0.75, rtol=1e-15)
    drop.training = False
    y = np.random.default_rng(2).normal(size=(3, 4))
    np.testing.assert_array_equal(drop.forward(y), y)
    np.testing.assert_array_equal(Dropout(1.0).forward(y), np.zeros_like(y))


def test_dropout_matches_torch_statistics():
    torch.manual_seed(0)
    out_t = nn.functional.dropout(torch.ones(200_000, dtype=torch.float64), p=0.4)
    out = Dropout(0.4).forward(np.ones(200_000), rng=np.random.default_rng(0))
    assert set(np.unique(out)) == set(torch.unique(out_t).tolist())
    assert abs((out == 0).mean() - (out_t == 0).double().mean().item()) < 0.01


def test_init_std_matches_torch_init():
    fan_in, fan_out = 300, 200
    w = torch.empty(fan_out, fan_in, dtype=torch.float64)
    torch.manual_seed(0)
    nn.init.xavier_normal_(w)
    assert w.std().item() == pytest.approx(
        init_std(fan_in, fan_out, "xavier"), rel=0.02
    )
    nn.init.kaiming_normal_(w, nonlinearity="relu")
    assert w.std().item() == pytest.approx(init_std(fan_in, fan_out, "he"), rel=0.02)
    assert init_std(100, 100, "he") == pytest.approx(math.sqrt(0.02))


def _torch_norm(h, norm):
    width = h.shape[1]
    if norm == "layernorm":
        return nn.functional.layer_norm(h, (width,), eps=1e-5)
    if norm == "rmsnorm":
        return nn.functional.rms_norm(h, (width,), eps=1e-6)
    if norm == "batchnorm":
        return nn.functional.batch_norm(h, None, None, training=True, eps=1e-5)
    return h


def _torch_signal(stats, depth, activation, norm, residual, position="pre"):
    """The network of signal_stats, rebuilt in torch."""
    x = torch.tensor(stats["x"], requires_grad=True)
    ws = [torch.tensor(w, requires_grad=True) for w in stats["weights"]]
    h, inputs = x, []
    for w in ws:
        if h is not x:
            h.retain_grad()
        inputs.append(h)
        u = _torch_norm(h, norm) if position == "pre" else h
        z = u @ w
        a = torch.relu(z) if activation == "relu" else torch.tanh(z)
        h = h + a if residual else a
        if position == "post":
            h = _torch_norm(h, norm)
    loss = (h @ torch.from_numpy(stats["readout"])).sum() / x.shape[0]
    loss.backward()
    return [w.grad.norm().item() for w in ws], [h.grad.norm().item() for h in inputs]


@pytest.mark.parametrize(
    ("activation", "norm", "residual"),
    [
        ("relu", "none", False),
        ("tanh", "layernorm", True),
        ("relu", "rmsnorm", True),
        ("relu", "batchnorm", False),
    ],
)
def test_signal_stats_gradients_match_torch(activation, norm, residual):
    depth = 6
    stats = signal_stats(
        depth, width=16, batch=12, activation=activation, norm=norm, residual=residual
    )
    weight_grads, input_grads = _torch_signal(stats, depth, activation, norm, residual)
    np.testing.assert_allclose(stats["grad_norm"], weight_grads, rtol=1e-9)
    np.testing.assert_allclose(stats["input_grad_norm"], input_grads, rtol=1e-9)


@pytest.mark.parametrize(
    ("activation", "norm", "residual"),
    [
        ("relu", "layernorm", True),
        ("tanh", "rmsnorm", True),
        ("relu", "layernorm", False),
    ],
)
def test_post_norm_signal_stats_match_torch(activation, norm, residual):
    depth = 5
    stats = signal_stats(
        depth,
        width=16,
        batch=12,
        activation=activation,
        norm=norm,
        residual=residual,
        norm_position="post",
    )
    weight_grads, input_grads = _torch_signal(
        stats, depth, activation, norm, residual, position="post"
    )
    np.testing.assert_allclose(stats["grad_norm"], weight_grads, rtol=1e-9)
    np.testing.assert_allclose(stats["input_grad_norm"], input_grads, rtol=1e-9)


def test_post_norm_gradients_spread_exponentially_with_depth_pre_norm_does_not():
    """The claim 08_normalization shows (and 12 relies on): with residuals, the
    ratio of the gradient reaching layer 1 to the one reaching the last layer
    grows about linearly with depth for pre-LN but exponentially for post-LN
    (every norm after the sum rescales the residual path), and post-LN keeps
    every layer's output at std 1 while pre-LN's grows with depth."""
    common = dict(activation="relu", init="he", norm="layernorm", residual=True)

    def spread(depth, position):
        stats = signal_stats(depth, norm_position=position, **common)
        g = stats["input_grad_norm"]
        return g[0] / g[-1], stats["activation_std"][-1]

    pre_48, pre_std = spread(48, "pre")
    pre_96, _ = spread(96, "pre")
    post_48, post_std = spread(48, "post")
    post_96, _ = spread(96, "post")
    assert pre_96 / pre_48 < 3  # about linear in depth
    assert post_96 / post_48 > 10  # exponential in depth
    assert post_96 > 100 * pre_96
    assert post_std == pytest.approx(1.0, abs=1e-3) and pre_std > 3


def test_signal_stats_refuses_what_cannot_fit_before_allocating():
    import time

    from helpers.sizing import available_memory_bytes

    need = signal_stats_bytes(500, 4096, 4096)
    assert need > 60e9  # the weights alone are 500 · 4096² · 8 B = 67 GB
    free = available_memory_bytes()
    if free is None or free > need:
        pytest.skip("this machine could hold the request")
    start = time.perf_counter()
    with pytest.raises(MemoryError, match=r"needs about .*GB.* free") as info:
        signal_stats(500, width=4096, batch=4096)
    assert time.perf_counter() - start < 1.0  # refused before allocating
    assert "signal_stats(depth=500, width=4096, batch=4096)" in str(info.value)


def test_complex_input_is_refused_not_truncated():
    with pytest.raises(TypeError, match="complex"):
        LayerNorm(2).forward(np.array([[1 + 1j, 2.0]]))
    with pytest.raises(TypeError, match="complex"):
        RMSNorm(2).forward(torch.tensor([[1 + 1j, 2.0]]))
    with pytest.raises(TypeError, match="complex"):
        Dropout(0.5).forward(np.array([1j, 2.0]))
    with pytest.raises(TypeError, match="complex"):
        BatchNorm1d(2).forward(np.ones((3, 2)) * (1 + 0j))


def test_signal_stats_teaching_claims():
    """The effects 08_normalization shows: bad init vanishes/explodes, He keeps
    ReLU activations stable, norms rescue a bad init, residuals carry gradient."""
    small = signal_stats(30, init="he", scale=0.5)
    big = signal_stats(30, init="he", scale=2.0)
    good = signal_stats(30, init="he", scale=1.0)
    assert small["activation_std"][-1] < 1e-6
    assert big["activation_std"][-1] > 1e6
    assert 0.2 < good["activation_std"][-1] < 5
    normed = signal_stats(30, init="he", scale=0.5, norm="layernorm")
    assert normed["activation_std"][-1] > 0.1
    deep_tanh = signal_stats(30, activation="tanh", init="xavier", scale=0.5)
    res_tanh = signal_stats(
        30, activation="tanh", init="xavier", scale=0.5, residual=True
    )
    assert res_tanh["grad_norm"][0] > 1e3 * deep_tanh["grad_norm"][0]
    # the gradient reaching layer 1 vanishes without the residual path
    assert deep_tanh["input_grad_norm"][0] < 1e-6 * deep_tanh["input_grad_norm"][-1]
    assert res_tanh["input_grad_norm"][0] >= res_tanh["input_grad_norm"][-1]


def test_signal_stats_divergence_is_inf_not_nan():
    stats = signal_stats(200, init="he", scale=30.0)
    assert np.isinf(stats["activation_std"][-1])
    assert not np.any(np.isnan(stats["activation_std"]))


# --- bad input ------------------------------------------------------------------


def test_bad_input_shapes_and_values():
    ln, rms, bn = LayerNorm(4), RMSNorm(4), BatchNorm1d(4)
    with pytest.raises(ValueError, match="4 features"):
        ln.forward(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="4 features"):
        rms.forward(np.zeros(3))
    with pytest.raises(ValueError, match="4 features on axis 1"):
        bn.forward(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="at least 2"):
        bn.forward(np.zeros(4))
    with pytest.raises(ValueError, match=r"\(N, C\) or \(N, C, L\)"):
        bn.forward(np.zeros((2, 4, 3, 3)))
    with pytest.raises(ValueError, match="more than 1 value"):
        bn.forward(np.zeros((1, 4)))
    with pytest.raises(ValueError, match="finite"):
        ln.forward(np.array([[1.0, np.nan, 0.0, 0.0]]))
    with pytest.raises(ValueError, match="empty"):
        rms.forward(np.zeros((0, 4)))
    with pytest.raises(TypeError, match="array of numbers"):
        ln.forward("tokens")
    with pytest.raises(RuntimeError, match="forward before backward"):
        LayerNorm(4).backward(np.zeros((2, 4)))
    ln.forward(np.ones((2, 4)))
    with pytest.raises(ValueError, match="dout must have the shape"):
        ln.backward(np.zeros((3, 4)))


def test_bad_options():
    with pytest.raises(ValueError, match="features"):
        LayerNorm(0)
    with pytest.raises(ValueError, match="eps"):
        RMSNorm(4, eps=0.0)
    with pytest.raises(ValueError, match="momentum"):
        BatchNorm1d(4, momentum=1.5)
    with pytest.raises(ValueError, match="dropout probability"):
        Dropout(1.2)
    with pytest.raises(ValueError, match="dropout probability p must be >= 0"):
        Dropout(-0.1)
    with pytest.raises(TypeError, match="rng"):
        Dropout(0.5).forward(np.ones(3), rng=0)
    with pytest.raises(ValueError, match="unknown init scheme 'lecun'"):
        init_std(3, 3, "lecun")
    with pytest.raises(ValueError, match="unknown norm 'groupnorm'"):
        signal_stats(3, norm="groupnorm")
    with pytest.raises(ValueError, match="unknown activation"):
        signal_stats(3, activation="gelu")
    with pytest.raises(ValueError, match="depth"):
        signal_stats(0)
    with pytest.raises(ValueError, match="scale"):
        signal_stats(3, scale=-1.0)
    with pytest.raises(TypeError, match="residual"):
        signal_stats(3, residual="yes")
    with pytest.raises(ValueError, match="unknown norm_position 'middle'"):
        signal_stats(3, norm_position="middle")


# --- exercise checkers of 08_normalization ---------------------------------------


# --- panel of 08_normalization ------------------------------------------------------


def test_signal_panel_explodes_and_recovers():
    from helpers.widgets.normalization import SignalPanel, finite_for_log

    np.testing.assert_array_equal(
        np.isnan(finite_for_log([1.0, np.inf, 0.0, -1.0])), [False, True, True, True]
    )
    panel = SignalPanel(depth=60)
    panel.controls["scale"].value = 5.0
    assert panel.std_line.get_ydata()[-1] > 1e30  # exploded
    assert panel.status.value == ""
    panel.controls["norm"].value = "rmsnorm"  # normalisation tames the bad init
    stds = panel.std_line.get_ydata()
    assert np.all(np.isfinite(stds)) and stds.max() < 10


def test_plotting_functions_of_08():
    from matplotlib.figure import Figure

    from helpers.plotting.normalization import (
        plot_fits,
        plot_layer_stats,
        plot_norm_axes,
    )

    fig = plot_layer_stats({"a": np.array([1.0, np.inf, 0.1])})
    assert isinstance(fig, Figure)
    fig = plot_norm_axes(2, 3, 4)
    assert len(fig.axes) == 3 and len(fig.axes[0].patches) == 2 * 3 * 4
    x = np.linspace(-1, 1, 5)
    assert isinstance(plot_fits(x, x, x, {"fit": x}, truth=x), Figure)
    with pytest.raises(TypeError, match="non-empty dict"):
        plot_layer_stats([1.0, 2.0])
    with pytest.raises(ValueError, match="hidden"):
        plot_norm_axes(2, 3, 0)
    with pytest.raises(ValueError, match="shape of x_grid"):
        plot_fits(x, x, x, {"fit": x[:3]})


@pytest.mark.parametrize("position", ["pre", "post"])
@pytest.mark.parametrize("norm", ["layernorm", "rmsnorm"])
def test_residual_block_matches_torch_and_signal_stats(position, norm):
    from helpers.scratch.norms import residual_block

    stats = signal_stats(
        1, width=8, batch=5, norm=norm, residual=True, norm_position=position
    )
    x, w = stats["x"], stats["weights"][0]
    ours = residual_block(x, w, position=position, norm=norm)
    xt, wt = torch.tensor(x), torch.tensor(w)
    if position == "pre":
        ref = xt + torch.relu(_torch_norm(xt, norm) @ wt)
    else:
        ref = _torch_norm(xt + torch.relu(xt @ wt), norm)
    _close(ours, ref)
    assert ours.std() == pytest.approx(stats["activation_std"][0], rel=1e-12)
    with pytest.raises(ValueError, match=r"\(N, H\)"):
        residual_block(x, w[:3])
    with pytest.raises(TypeError, match="complex"):
        residual_block(x * 1j, w)
