"""One neuron, and the 4-3-2 leaf / flower network of 02_leaf_flower, in NumPy.

Introduced in 01_neuron (``neuron``: y = f(w·x + b)) and 02_leaf_flower (the
network: forward pass neuron by neuron and as a matrix product, the L1 loss,
its gradient, the update "new = old − learning rate × gradient", and the
training loop; ``step_network`` is 01_neuron's 2-2-1 XOR network). Activations and softmax come from
``helpers.scratch.activations``, the L1 loss from ``helpers.scratch.losses``.

Shapes: a weight matrix is (outputs, inputs), as in ``torch.nn.Linear``:
``W1`` (n_hidden, n_in), ``b1`` (n_hidden,), ``W2`` (n_out, n_hidden),
``b2`` (n_out,). A batch of inputs ``X`` is (N, n_in); labels ``y`` are integer
class indices (0 = leaf, 1 = flower) of shape (N,).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from numbers import Integral

import numpy as np

from helpers.scratch.activations import get_activation, softmax
from helpers.scratch.losses import l1_loss
from helpers.validate import as_array, check_choice, check_int, check_number

__all__ = [
    "INPUT_SCALE",
    "LOGIC_INPUTS",
    "LOSSES",
    "SEED_W1",
    "SEED_W2",
    "ForwardPass",
    "TinyNet",
    "accuracy",
    "collapse_linear",
    "forward",
    "forward_by_hand",
    "gradient_descent",
    "gradients",
    "init_params",
    "l1_loss_per_sample",
    "loss",
    "network_counts",
    "neuron",
    "neuron_activation",
    "one_hot",
    "scale_inputs",
    "seed_network",
    "sgd_step",
    "step",
    "step_network",
    "train",
]

#: Hand-picked demonstration weights (connections input → hidden), not trained:
#: with the leaf (32, 107, 56, 11.2) they give the hidden values −26.6, 2.52,
#: −47.1, round numbers to follow by hand in 02_leaf_flower.
SEED_W1 = (
    (0.10, -0.29, -0.07, 0.46),
    (-0.06, 0.12, -0.14, -0.05),
    (-0.09, -0.34, -0.13, -0.05),
)
#: Weights hidden → output: from (−26.6, 2.52, −47.1) they give (0.80, 0.20).
SEED_W2 = (
    (0.19, 0.08, -0.12),
    (-0.14, -0.09, 0.07),
)
#: The four inputs of a two-input logic gate: (0, 0), (0, 1), (1, 0), (1, 1).
LOGIC_INPUTS = ((0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0))
#: Divide (R, G, B, volume) by this before training: every input lands in [0, 1].
INPUT_SCALE = (255.0, 255.0, 255.0, 100.0)


def step(x) -> np.ndarray:
    """The threshold of a biological neuron: 1 where x > 0, else 0 ("fire or not").

    Introduced in 01_neuron. Its derivative is 0 almost everywhere, which is why
    trained networks use smooth or piecewise-linear activations instead.
    """
    return (as_array(x, "x") > 0).astype(np.float64)


def neuron_activation(name: str):
    """The function called ``name``: "step" or any of ``ACTIVATIONS``."""
    if name == "step":
        return step
    return get_activation(name).function


@dataclass
class TinyNet:
    """The parameters of a one-hidden-layer network (4-3-2 for leaf / flower)."""

    W1: np.ndarray  # (n_hidden, n_in) weights on the input → hidden connections
    b1: np.ndarray  # (n_hidden,) one bias per hidden neuron
    W2: np.ndarray  # (n_out, n_hidden) weights on the hidden → output connections
    b2: np.ndarray  # (n_out,) one bias per output neuron

    def __post_init__(self) -> None:
        self.W1 = as_array(self.W1, "W1", ndim=2)
        n_hidden, _ = self.W1.shape
        self.b1 = as_array(self.b1, "b1", ndim=1)
        self.W2 = as_array(self.W2, "W2", ndim=2)
        self.b2 = as_array(self.b2, "b2", ndim=1)
        if self.b1.shape != (n_hidden,):
            raise ValueError(f"b1 must have shape ({n_hidden},), got {self.b1.shape}")
        if self.W2.shape[1] != n_hidden:
            raise ValueError(
                f"W2 must have shape (n_out, {n_hidden}) to follow W1 "
                f"{self.W1.shape}, got {self.W2.shape}"
            )
        if self.b2.shape != (self.W2.shape[0],):
            raise ValueError(
                f"b2 must have shape ({self.W2.shape[0]},), got {self.b2.shape}"
            )

    @property
    def sizes(self) -> tuple[int, int, int]:
        """(n_in, n_hidden, n_out)."""
        return (self.W1.shape[1], self.W1.shape[0], self.W2.shape[0])

    def n_parameters(self) -> int:
        """Weights (one per connection) plus biases (one per non-input neuron)."""
        return sum(getattr(self, f.name).size for f in fields(self))

    def copy(self) -> TinyNet:
        return TinyNet._trusted(
            self.W1.copy(), self.b1.copy(), self.W2.copy(), self.b2.copy()
        )

    @classmethod
    def _trusted(cls, W1, b1, W2, b2) -> TinyNet:
        """Build from arrays already known to fit (no validation: used in loops)."""
        net = object.__new__(cls)
        net.W1, net.b1, net.W2, net.b2 = W1, b1, W2, b2
        return net


@dataclass(frozen=True)
class ForwardPass:
    """Everything the forward pass computes, layer by layer."""

    hidden_pre: np.ndarray  # (N, n_hidden) weighted sums + bias, before activation
    hidden: np.ndarray  # (N, n_hidden) after the activation
    logits: np.ndarray  # (N, n_out) output neurons' values
    probs: np.ndarray  # (N, n_out) softmax of the logits


def neuron(x, w, b: float = 0.0, activation: str = "identity"):
    """One artificial neuron: y = f(w·x + b). Introduced in 01_neuron.

    ``x`` is one input (n,) or a batch (N, n); ``w`` is (n,); returns a float for
    one input, an (N,) array for a batch.
    """
    w = as_array(w, "w", ndim=1)
    x = as_array(x, "x", ndim=(1, 2))
    if x.shape[-1] != w.shape[0]:
        raise ValueError(
            f"x must have {w.shape[0]} numbers per input (one per weight), "
            f"got shape {x.shape}"
        )
    b = check_number(b, "b")
    f = neuron_activation(activation)
    y = f(x @ w + b)
    return float(y) if x.ndim == 1 else y


def collapse_linear(W1, b1, W2, b2) -> tuple[np.ndarray, np.ndarray]:
    """Two linear layers without an activation are one: W' = W2·W1,
    b' = W2·b1 + b2. Introduced in 01_neuron."""
    W1 = as_array(W1, "W1", ndim=2)
    b1 = as_array(b1, "b1", ndim=1)
    W2 = as_array(W2, "W2", ndim=2)
    b2 = as_array(b2, "b2", ndim=1)
    if b1.shape != (W1.shape[0],) or W2.shape[1] != W1.shape[0]:
        raise ValueError(
            f"layers do not chain: W1 {W1.shape}, b1 {b1.shape}, W2 {W2.shape}; "
            "expected b1 of shape (W1 rows,) and W2 with W1-rows columns"
        )
    if b2.shape != (W2.shape[0],):
        raise ValueError(f"b2 must have shape ({W2.shape[0]},), got {b2.shape}")
    return W2 @ W1, W2 @ b1 + b2  # (n_out, n_hidden) @ (n_hidden, n_in)


def network_counts(sizes) -> dict[str, int]:
    """For a fully connected network with layer sizes like [2, 4, 4, 1]:
    one weight per connection, one bias per non-input neuron, the number of
    weight layers ("a 3-layer network": what depth counts) and of hidden layers
    (one fewer). Introduced in 01_neuron."""
    if isinstance(sizes, str) or not hasattr(sizes, "__len__"):
        raise TypeError(f"sizes must be a list of layer sizes, got {sizes!r}")
    sizes = [check_int(s, "layer size", low=1) for s in sizes]
    if len(sizes) < 2:
        raise ValueError(f"sizes needs an input and an output layer, got {sizes}")
    weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    return {
        "weights": weights,
        "biases": sum(sizes[1:]),
        "layers": len(sizes) - 1,
        "hidden_layers": len(sizes) - 2,
    }


def seed_network() -> TinyNet:
    """The worked example of 02_leaf_flower: the hand-picked weights, biases 0."""
    return TinyNet(SEED_W1, np.zeros(3), SEED_W2, np.zeros(2))


def init_params(
    sizes: tuple[int, int, int] = (4, 3, 2), seed: int = 0, scale: float = 1.0
) -> TinyNet:
    """Random weights ~ N(0, scale²·2/fan_in) (He), biases 0.1 / 0 (step 1)."""
    if len(sizes) != 3:
        raise ValueError(f"sizes must be (n_in, n_hidden, n_out), got {sizes!r}")
    n_in, n_hidden, n_out = (check_int(s, "layer size", low=1) for s in sizes)
    seed = check_int(seed, "seed", low=0, high=2**32 - 1)
    scale = check_number(scale, "scale", low=0.0, low_inclusive=False)
    rng = np.random.default_rng(seed)
    W1 = rng.normal(0.0, scale * np.sqrt(2.0 / n_in), (n_hidden, n_in))
    W2 = rng.normal(0.0, scale * np.sqrt(2.0 / n_hidden), (n_out, n_hidden))
    return TinyNet(W1, np.full(n_hidden, 0.1), W2, np.zeros(n_out))


def _check_net(net) -> TinyNet:
    if not isinstance(net, TinyNet):
        raise TypeError(f"net must be a TinyNet, got {type(net).__name__}")
    return net


def _inputs(net: TinyNet, X) -> np.ndarray:
    X = as_array(X, "X", ndim=(1, 2))
    X2 = X[None, :] if X.ndim == 1 else X
    if X2.shape[1] != net.sizes[0]:
        raise ValueError(
            f"X must have {net.sizes[0]} numbers per row (the input neurons), "
            f"got shape {X.shape}"
        )
    return X2


def _labels(n_out: int, y, n_rows: int | None) -> np.ndarray:
    if isinstance(y, Integral):
        y = [y]
    y = np.asarray(y)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"y must be a 1-D array of integer class labels, got {y!r}")
    if y.shape[0] == 0:
        raise ValueError("y must not be empty")
    if n_rows is not None and y.shape[0] != n_rows:
        raise ValueError(f"y must have one label per row ({n_rows}), got {y.shape[0]}")
    if y.min() < 0 or y.max() >= n_out:
        raise ValueError(f"labels must be in 0..{n_out - 1}, got {np.unique(y)}")
    return y.astype(np.int64)


def scale_inputs(X) -> np.ndarray:
    """(R, G, B, volume) → each divided by ``INPUT_SCALE``, so all lie near [0, 1]."""
    X = as_array(X, "X", ndim=(1, 2))
    if X.shape[-1] != 4:
        raise ValueError(f"X must have 4 columns (R, G, B, volume), got {X.shape}")
    return X / np.asarray(INPUT_SCALE)


def one_hot(y, n_classes: int = 2) -> np.ndarray:
    """Labels (N,) → targets (N, n_classes): leaf 0 → (1, 0), flower 1 → (0, 1)."""
    n_classes = check_int(n_classes, "n_classes", low=1)
    y = _labels(n_classes, y, None)
    return np.eye(n_classes)[y]


def _forward(net: TinyNet, X: np.ndarray, f) -> ForwardPass:
    """The forward pass on checked inputs (no validation: called in loops)."""
    hidden_pre = X @ net.W1.T + net.b1  # (N, n_in) @ (n_in, n_hidden) -> (N, n_hidden)
    hidden = f(hidden_pre)
    logits = hidden @ net.W2.T + net.b2  # (N, n_hidden) @ (n_hidden, n_out)
    return ForwardPass(hidden_pre, hidden, logits, softmax(logits, axis=-1))


def forward(net: TinyNet, X, activation: str = "relu") -> ForwardPass:
    """The forward pass as matrix products: h = f(X·W1ᵀ + b1), z = h·W2ᵀ + b2."""
    net = _check_net(net)
    X = _inputs(net, X)  # (N, n_in)
    return _forward(net, X, get_activation(activation).function)


def forward_by_hand(net: TinyNet, x, activation: str = "relu") -> tuple[list, list]:
    """The forward pass of one input, neuron by neuron with plain loops.

    Returns (hidden values after the activation, output values before softmax).
    """
    net = _check_net(net)
    x = _inputs(net, x)
    if x.shape[0] != 1:
        raise ValueError(f"forward_by_hand takes one input row, got {x.shape[0]}")
    x = x[0]
    hidden = []
    for j in range(net.sizes[1]):  # each hidden neuron
        total = net.b1[j]
        for i in range(net.sizes[0]):  # each connection into it
            total += x[i] * net.W1[j, i]
        hidden.append(float(get_activation(activation).function(total)))
    outputs = []
    for k in range(net.sizes[2]):  # each output neuron
        total = net.b2[k]
        for j in range(net.sizes[1]):
            total += hidden[j] * net.W2[k, j]
        outputs.append(float(total))
    return hidden, outputs


def l1_loss_per_sample(probs, targets) -> np.ndarray:
    """Σ_k |target_k − prob_k| for every row: the L1 loss of 02_leaf_flower, shape (N,)."""
    probs = as_array(probs, "probs", ndim=2)
    targets = as_array(targets, "targets", ndim=2)
    return np.array(
        [l1_loss(p, t, reduction="sum") for p, t in zip(probs, targets, strict=True)]
    )


LOSSES = ("l1", "cross_entropy")


def _loss(net: TinyNet, X: np.ndarray, targets: np.ndarray, f) -> float:
    """Average L1 loss on checked inputs; ``targets`` are one-hot rows."""
    probs = _forward(net, X, f).probs
    return float(np.abs(targets - probs).sum() / X.shape[0])


def loss(net: TinyNet, X, y, activation: str = "relu") -> float:
    """The average over the rows of the L1 loss Σ_k |target_k − prob_k|
    (the "average loss" of 02_leaf_flower)."""
    net = _check_net(net)
    X = _inputs(net, X)
    y = _labels(net.sizes[2], y, X.shape[0])
    targets = np.eye(net.sizes[2])[y]
    return _loss(net, X, targets, get_activation(activation).function)


def _gradients(net: TinyNet, X: np.ndarray, targets: np.ndarray, act, which: str):
    """Backpropagation on checked inputs (no validation: called in loops)."""
    fp = _forward(net, X, act.function)
    n = X.shape[0]
    if which == "cross_entropy":  # d(mean CE)/d logits = (p − one-hot) / N
        d_logits = (fp.probs - targets) / n
    else:
        d_probs = np.sign(fp.probs - targets) / n  # (N, n_out)
        # softmax backward: dz = p ⊙ (dp − Σ_k dp_k p_k)
        d_logits = fp.probs * (d_probs - np.sum(d_probs * fp.probs, 1, keepdims=True))
    dW2 = d_logits.T @ fp.hidden  # (n_out, N) @ (N, n_hidden)
    db2 = d_logits.sum(0)
    d_hidden = d_logits @ net.W2  # (N, n_out) @ (n_out, n_hidden)
    d_pre = d_hidden * act.derivative(fp.hidden_pre)
    dW1 = d_pre.T @ X  # (n_hidden, N) @ (N, n_in)
    db1 = d_pre.sum(0)
    return TinyNet._trusted(dW1, db1, dW2, db2)


def gradients(
    net: TinyNet, X, y, activation: str = "relu", *, loss: str = "l1"
) -> TinyNet:
    """d(average loss)/d(every parameter), by backpropagation (05_backprop
    explains how); returned with the shapes of ``net``.

    ``loss="l1"`` (the default) is the L1 loss on the probabilities used in
    02_leaf_flower; ``loss="cross_entropy"`` is the mean of −ln p(correct class)
    (06_loss_functions), whose gradient for the logits is (p − one-hot) / N.
    """
    net = _check_net(net)
    X = _inputs(net, X)
    y = _labels(net.sizes[2], y, X.shape[0])
    check_choice(loss, "loss", LOSSES)
    targets = np.eye(net.sizes[2])[y]
    return _gradients(net, X, targets, get_activation(activation), loss)


def _sgd_step(net: TinyNet, grads: TinyNet, lr: float) -> TinyNet:
    return TinyNet._trusted(
        *(getattr(net, f.name) - lr * getattr(grads, f.name) for f in fields(net))
    )


def sgd_step(net: TinyNet, grads: TinyNet, lr: float) -> TinyNet:
    """new = old − lr × gradient, for every parameter (returns a new TinyNet)."""
    net, grads = _check_net(net), _check_net(grads)
    if grads.sizes != net.sizes:
        raise ValueError(f"grads sizes {grads.sizes} do not match net {net.sizes}")
    lr = check_number(lr, "lr", low=0.0, low_inclusive=False)
    return _sgd_step(net, grads, lr)


def accuracy(net: TinyNet, X, y, activation: str = "relu") -> float:
    """Fraction of rows whose largest output is the labelled class."""
    net = _check_net(net)
    X = _inputs(net, X)
    y = _labels(net.sizes[2], y, X.shape[0])
    f = get_activation(activation).function
    return float(np.mean(_forward(net, X, f).logits.argmax(1) == y))


def train(
    net: TinyNet, X, y, *, lr: float = 1.0, steps: int = 100, activation: str = "relu"
) -> tuple[TinyNet, list[float]]:
    """Full-batch gradient descent: each step = forward, loss, gradients, update.

    Returns the trained network and the average loss before every step. The
    inputs are validated once here; the loop runs on the checked arrays.
    """
    net = _check_net(net)
    X = _inputs(net, X)
    y = _labels(net.sizes[2], y, X.shape[0])
    lr = check_number(lr, "lr", low=0.0, low_inclusive=False)
    steps = check_int(steps, "steps", low=0)
    act = get_activation(activation)
    targets = np.eye(net.sizes[2])[y]
    history = []
    for _ in range(steps):
        history.append(_loss(net, X, targets, act.function))
        net = _sgd_step(net, _gradients(net, X, targets, act, "l1"), lr)
    return net, history


def gradient_descent(grad, w0: float, lr: float, steps: int) -> list[float]:
    """Gradient descent on one number: w ← w − lr · grad(w), ``steps`` times.

    ``grad`` is the derivative of the loss (a function of one float). Returns
    every w visited, starting with ``w0`` (``steps + 1`` values). Introduced in
    02_leaf_flower (exercise: the loss (w − 3)², whose gradient is 2(w − 3)).
    """
    if not callable(grad):
        raise TypeError(f"grad must be a function of w, got {type(grad).__name__}")
    w = check_number(w0, "w0")
    lr = check_number(lr, "lr", low=0.0, low_inclusive=False)
    steps = check_int(steps, "steps", low=0)
    path = [w]
    for _ in range(steps):
        w = w - lr * float(grad(w))
        path.append(w)
    return path


def step_network(X, W1, b1, W2, b2) -> np.ndarray:
    """A two-layer network of step (threshold) neurons: step(step(X·W1ᵀ + b1)·W2ᵀ
    + b2). ``X`` is (N, n_in), ``W1`` (n_hidden, n_in), ``W2`` (n_out, n_hidden);
    returns (N, n_out) zeros and ones. Introduced in 01_neuron (XOR with 2-2-1)."""
    X = as_array(X, "X", ndim=2)
    W1 = as_array(W1, "W1", ndim=2)
    b1 = as_array(b1, "b1", ndim=1)
    W2 = as_array(W2, "W2", ndim=2)
    b2 = as_array(b2, "b2", ndim=1)
    if X.shape[1] != W1.shape[1]:
        raise ValueError(f"X has {X.shape[1]} inputs per row but W1 is {W1.shape}")
    if b1.shape != (W1.shape[0],) or W2.shape[1] != W1.shape[0]:
        raise ValueError(
            f"layers do not chain: W1 {W1.shape}, b1 {b1.shape}, W2 {W2.shape}"
        )
    if b2.shape != (W2.shape[0],):
        raise ValueError(f"b2 must have shape ({W2.shape[0]},), got {b2.shape}")
    hidden = step(X @ W1.T + b1)  # (N, n_in) @ (n_in, n_hidden)
    return step(hidden @ W2.T + b2)  # (N, n_hidden) @ (n_hidden, n_out)
