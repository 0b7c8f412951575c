"""helpers.scratch.mlp: the hand-written backward pass against torch.autograd and
finite differences."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from helpers.scratch.gradcheck import numerical_gradient, relative_error
from helpers.scratch.mlp import (
    MLP,
    MLPGradients,
    affine_backward,
    layer_gradient_norms,
    linear_backward,
    neuron_gradients,
)

TORCH_ACTIVATIONS = {
    "identity": lambda z: z,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "leaky_relu": lambda z: F.leaky_relu(z, 0.01),
    "gelu": F.gelu,
    "gelu_tanh": lambda z: F.gelu(z, approximate="tanh"),
    "silu": F.silu,
}

SHAPES = [
    [3, 4, 3, 2],
    [2, 1],
    [5, 8, 8, 8, 8, 3],
    [4, 16, 1],
    [1, 6, 6, 6, 6, 6, 6, 2],
]


def torch_forward_backward(net: MLP, x: np.ndarray, grad_output: np.ndarray):
    """The same network in PyTorch (float64); returns output and gradients."""
    weights = [torch.tensor(w, requires_grad=True) for w in net.weights]
    biases = [torch.tensor(b, requires_grad=True) for b in net.biases]
    a = torch.tensor(x, requires_grad=True)
    h = a
    for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
        name = (
            net.output_activation_name if i == len(weights) - 1 else net.activation_name
        )
        h = TORCH_ACTIVATIONS[name](F.linear(h, w, b))
    h.backward(torch.tensor(grad_output))
    return h.detach().numpy(), weights, biases, a


@pytest.mark.parametrize("sizes", SHAPES, ids=lambda s: "-".join(map(str, s)))
@pytest.mark.parametrize("activation", sorted(TORCH_ACTIVATIONS))
def test_backward_matches_torch(sizes, activation):
    net = MLP(
        sizes, activation, "sigmoid" if activation == "relu" else "identity", seed=3
    )
    rng = np.random.default_rng(1)
    x = rng.standard_normal((7, sizes[0]))
    out = net.forward(x)
    grad_output = rng.standard_normal(out.shape)
    grads = net.backward(grad_output)
    ref_out, weights, biases, a = torch_forward_backward(net, x, grad_output)
    torch.testing.assert_close(out, ref_out, rtol=1e-12, atol=1e-12)
    for ours, ref in zip(grads.weights, weights, strict=True):
        torch.testing.assert_close(ours, ref.grad.numpy(), rtol=1e-10, atol=1e-12)
    for ours, ref in zip(grads.biases, biases, strict=True):
        torch.testing.assert_close(ours, ref.grad.numpy(), rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(grads.input, a.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("sizes", SHAPES[:4], ids=lambda s: "-".join(map(str, s)))
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "gelu", "silu"])
def test_backward_matches_finite_differences(sizes, activation):
    net = MLP(sizes, activation, init="standard", seed=5)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, sizes[0]))
    target = rng.standard_normal((4, sizes[-1]))

    def loss() -> float:
        return 0.5 * float(np.sum((net.forward(x) - target) ** 2))

    out = net.forward(x)
    grads = net.backward(out - target)
    for layer, param in enumerate(net.parameters()):
        original = param.copy()

        def f(p, param=param):
            param[...] = p
            return loss()

        numeric = numerical_gradient(f, original)
        param[...] = original
        analytic = (
            grads.weights[layer // 2] if layer % 2 == 0 else grads.biases[layer // 2]
        )
        assert relative_error(analytic, numeric) < 1e-7
    assert (
        relative_error(
            grads.input,
            numerical_gradient(
                lambda v: 0.5 * float(np.sum((net.forward(v) - target) ** 2)), x
            ),
        )
        < 1e-7
    )


def test_seed_002_shapes_and_one_example():
    net = MLP([3, 4, 3, 2], "sigmoid", "sigmoid", init="standard", seed=0)
    assert [w.shape for w in net.weights] == [(4, 3), (3, 4), (2, 3)]
    out = net.forward([0.5, -1.0, 2.0])  # one example becomes a batch of one
    assert out.shape == (1, 2) and np.all((out > 0) & (out < 1))
    grads = net.backward(np.ones((1, 2)))
    assert isinstance(grads, MLPGradients)
    assert [g.shape for g in grads.biases] == [(4,), (3,), (2,)]


def test_float64_and_deterministic_init():
    a, b = MLP([3, 5, 2], seed=7), MLP([3, 5, 2], seed=7)
    assert all(w.dtype == np.float64 for w in a.parameters())
    assert all(
        np.array_equal(p, q)
        for p, q in zip(a.parameters(), b.parameters(), strict=True)
    )
    assert not np.array_equal(a.weights[0], MLP([3, 5, 2], seed=8).weights[0])


@pytest.mark.parametrize(
    "init, std", [("standard", 1.0), ("xavier", 0.05), ("he", 0.0707)]
)
def test_init_scale(init, std):
    net = MLP([400, 400], init=init, seed=0)
    assert net.weights[0].std() == pytest.approx(std, rel=0.02)


def test_sigmoid_gradients_vanish_with_depth_but_relu_ones_do_not():
    sig = layer_gradient_norms(12, "sigmoid")
    relu = layer_gradient_norms(12, "relu", init="he")
    assert sig[0] / sig[-1] < 1e-4  # the first layer gets almost nothing
    assert 0.1 < relu[0] / relu[-1] < 10


# --- bad input ---------------------------------------------------------------
def test_unknown_activation_names_the_known_ones():
    with pytest.raises(ValueError, match="unknown activation 'sigmod'.*'sigmoid'"):
        MLP([2, 2], "sigmod")
    with pytest.raises(ValueError, match="unknown activation"):
        MLP([2, 2], output_activation="softmaxx")


def test_unknown_init():
    with pytest.raises(ValueError, match="unknown init 'glorot'"):
        MLP([2, 2], init="glorot")


@pytest.mark.parametrize(
    "sizes, error, message",
    [
        ([3], ValueError, "at least an input and an output"),
        ([3, 0, 2], ValueError, "layer_sizes\\[1\\] must be >= 1"),
        ([3, 2.5], TypeError, "layer_sizes\\[1\\] must be an integer"),
        ("32", TypeError, "list of integers"),
    ],
)
def test_bad_layer_sizes(sizes, error, message):
    with pytest.raises(error, match=message):
        MLP(sizes)


def test_wrong_input_width():
    with pytest.raises(
        ValueError, match="x must have shape \\(N, 3\\), got \\(4, 2\\)"
    ):
        MLP([3, 2]).forward(np.zeros((4, 2)))


def test_nan_and_empty_input():
    net = MLP([2, 2])
    with pytest.raises(ValueError, match="finite"):
        net.forward([[np.nan, 1.0]])
    with pytest.raises(ValueError, match="empty"):
        net.forward(np.zeros((0, 2)))


def test_backward_needs_forward_and_the_right_shape():
    net = MLP([2, 3, 2])
    with pytest.raises(ValueError, match="call forward"):
        net.backward(np.ones((1, 2)))
    net.forward(np.ones((5, 2)))
    with pytest.raises(ValueError, match="output's shape \\(5, 2\\)"):
        net.backward(np.ones((5, 3)))


def test_layer_gradient_norms_rejects_bad_depth():
    with pytest.raises(ValueError, match="depth must be >= 1"):
        layer_gradient_norms(0, "relu")


# --- 05_backprop: exercise checkers and panel logic -------------------------------
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_neuron_gradients_match_torch(activation):
    w, x, b = np.array([0.3, -1.2, 0.8]), np.array([1.0, 0.5, -2.0]), 0.4
    tw = torch.tensor(w, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    tb = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    getattr(torch, activation)(tw @ tx + tb).backward()
    grads = neuron_gradients(w, x, b, activation)
    torch.testing.assert_close(grads["w"], tw.grad.numpy())
    torch.testing.assert_close(grads["x"], tx.grad.numpy())
    torch.testing.assert_close(float(grads["b"]), tb.grad.item())


def test_linear_and_affine_backward_match_torch():
    rng = np.random.default_rng(3)
    x, g = rng.normal(size=(5, 4)), rng.normal(size=(5, 3))
    weight = rng.normal(size=(3, 4))  # nn.Linear layout (out, in)
    tx = torch.tensor(x, requires_grad=True)
    tw = torch.tensor(weight, requires_grad=True)
    (tx @ tw.T).backward(torch.tensor(g))
    got = linear_backward(x, weight, g)
    torch.testing.assert_close(got["weight"], tw.grad.numpy())
    torch.testing.assert_close(got["x"], tx.grad.numpy())
    W = weight.T.copy()  # the wiring layout (in, out)
    tx = torch.tensor(x, requires_grad=True)
    tW = torch.tensor(W, requires_grad=True)
    tb = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    (tx @ tW + tb).backward(torch.tensor(g))
    got = affine_backward(x, W, g)
    for key, ref in [("W", tW), ("b", tb), ("x", tx)]:
        torch.testing.assert_close(got[key], ref.grad.numpy())
    with pytest.raises(ValueError, match="shapes"):
        affine_backward(x, weight, g)
    with pytest.raises(ValueError, match="same shape"):
        neuron_gradients([1.0, 2.0], [1.0], 0.0)


def test_layer_gradient_norms_matched_init_is_he_for_relu():
    np.testing.assert_array_equal(
        layer_gradient_norms(4, "relu", init="matched"),
        layer_gradient_norms(4, "relu", init="he"),
    )
    np.testing.assert_array_equal(
        layer_gradient_norms(4, "tanh", init="matched"),
        layer_gradient_norms(4, "tanh", init="xavier"),
    )


def test_panel_network_gradients_match_finite_differences():
    from helpers.scratch.backprop_net import _net, network_state

    for activation in ["sigmoid", "tanh", "relu"]:
        state = network_state(0.7, -1.1, 0.2, activation)
        net = _net(activation)
        w = net.weights[0]
        original = w.copy()

        def loss(v, w=w, net=net):
            w[...] = v
            return 0.5 * float((net.forward([[0.7, -1.1]])[0, 0] - 0.2) ** 2)

        numeric = numerical_gradient(loss, original)
        w[...] = original
        assert relative_error(state["weight_grads"][0], numeric) < 1e-8
        assert state["loss"] == pytest.approx(loss(original))


def test_panel_network_rejects_bad_input():
    from helpers.scratch.backprop_net import network_state

    with pytest.raises(ValueError, match="unknown activation 'gelu'"):
        network_state(0.0, 0.0, 0.5, "gelu")
    with pytest.raises(ValueError, match="target must be <= 1.0"):
        network_state(0.0, 0.0, 2.0)


def test_gradient_norm_figure():
    from matplotlib.figure import Figure

    from helpers.plotting.backprop import plot_gradient_norms

    fig = plot_gradient_norms({"sigmoid": layer_gradient_norms(4, "sigmoid")})
    assert isinstance(fig, Figure) and len(fig.axes[0].lines) == 1
    with pytest.raises(ValueError, match="at least one"):
        plot_gradient_norms({})


def test_network_diagram_labels_every_node_and_edge():
    from helpers.plotting import new_figure
    from helpers.plotting.backprop import NetworkDiagram
    from helpers.scratch.backprop_net import network_state

    fig, ax = new_figure()
    diagram = NetworkDiagram(ax, [2, 3, 1])
    state = network_state(0.0, 1.0, 0.5)
    diagram.update(
        state["values"], state["node_grads"], state["weights"], state["weight_grads"]
    )
    edge_labels = [t.get_text() for row in diagram.edge_text[0] for t in row]
    assert len(edge_labels) == 6 and len(diagram.edge_text[1][0]) == 3
    assert edge_labels[0::2] == ["+0.000"] * 3  # x1 = 0: its weights get no gradient
    assert diagram.node_text[2][0].get_text().startswith(f"a={state['output']:.2f}")
    with pytest.raises(ValueError, match="expected 3 layers"):
        diagram.update(state["values"][:2], state["node_grads"], [], [])


def test_an_mlp_too_big_for_the_machine_is_refused_before_allocating(monkeypatch):
    from helpers import sizing

    monkeypatch.setattr(sizing, "available_memory_bytes", lambda device="cpu": 2**30)
    with pytest.raises(MemoryError, match=r"MLP\[100000, 100000\] needs about 160"):
        MLP([100_000, 100_000])  # 10^10 weights: 160 GB with gradients
    assert MLP([3, 4, 2]).n_layers == 2
