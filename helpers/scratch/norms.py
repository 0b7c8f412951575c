"""Normalisation layers, dropout and weight initialisation, in NumPy, with
forward and backward passes.

Introduced in 08_normalization. ``LayerNorm``, ``RMSNorm`` and ``BatchNorm1d``
give the same outputs and gradients as ``torch.nn.LayerNorm``, ``nn.RMSNorm`` and
``nn.BatchNorm1d`` (tests compare them in float64). ``signal_stats`` runs the
deep-network experiment of 08_normalization: per-layer activation spread and
gradient norm for a choice of depth, initialisation, normalisation (before the
layer, "pre-LN", or after the residual sum, "post-LN") and residual connections.
Its memory is estimated before anything is allocated. Complex inputs are refused.
"""

from __future__ import annotations

import math

import numpy as np

from helpers.sizing import require_memory
from helpers.validate import as_array, check_choice, check_int, check_number

__all__ = [
    "INIT_SCHEMES",
    "NORM_NAMES",
    "NORM_POSITIONS",
    "BatchNorm1d",
    "Dropout",
    "LayerNorm",
    "RMSNorm",
    "init_std",
    "residual_block",
    "signal_stats",
    "signal_stats_bytes",
]


def _check_input(x, name: str, features: int, axis: int, min_ndim: int) -> np.ndarray:
    arr = as_array(x, name)
    if arr.ndim < min_ndim:
        raise ValueError(
            f"{name} must have at least {min_ndim} dimension(s), got shape {arr.shape}"
        )
    if arr.shape[axis] != features:
        raise ValueError(
            f"{name} must have {features} features on axis {axis}, "
            f"got shape {arr.shape}"
        )
    return arr


class _Layer:
    """Forward stores a cache; backward checks it and the upstream gradient."""

    _cache: tuple | None = None

    def _check_dout(self, dout) -> np.ndarray:
        if self._cache is None:
            raise RuntimeError(f"call {type(self).__name__}.forward before backward")
        shape = self._cache[0].shape
        dout = as_array(dout, "dout")
        if dout.shape != shape:
            raise ValueError(
                f"dout must have the shape of the forward output {shape}, "
                f"got {dout.shape}"
            )
        return dout


def _normalized_backward(dxhat, xhat, rstd, axes, center: bool) -> np.ndarray:
    """Gradient through ``xhat = (x − mean)·rstd`` (``center``) or ``x·rstd``."""
    proj = np.mean(dxhat * xhat, axis=axes, keepdims=True)
    if center:
        return rstd * (dxhat - np.mean(dxhat, axis=axes, keepdims=True) - xhat * proj)
    return rstd * (dxhat - xhat * proj)


class LayerNorm(_Layer):
    """Normalise each vector over its last axis (its H features), then scale
    by ``weight`` (γ) and shift by ``bias`` (β). Same as ``nn.LayerNorm(H)``.

    Introduced in 08_normalization. Each token is normalised on its own, so the
    result does not depend on the batch or the sequence length.
    """

    def __init__(self, features: int, eps: float = 1e-5):
        self.features = check_int(features, "features", low=1)
        self.eps = check_number(eps, "eps", low=0, low_inclusive=False)
        self.weight = np.ones(self.features)
        self.bias = np.zeros(self.features)
        self.grad_weight = np.zeros(self.features)
        self.grad_bias = np.zeros(self.features)

    def forward(self, x) -> np.ndarray:
        """x: (..., H) → same shape."""
        x = _check_input(x, "x", self.features, -1, 1)
        mean = x.mean(axis=-1, keepdims=True)
        var = x.var(axis=-1, keepdims=True)  # biased, as torch
        rstd = 1.0 / np.sqrt(var + self.eps)
        xhat = (x - mean) * rstd
        out = xhat * self.weight + self.bias
        self._cache = (out, xhat, rstd)
        return out

    def backward(self, dout) -> np.ndarray:
        """Return dL/dx; store dL/dweight and dL/dbias."""
        dout = self._check_dout(dout)
        _, xhat, rstd = self._cache
        lead = tuple(range(dout.ndim - 1))
        self.grad_weight = np.sum(dout * xhat, axis=lead)
        self.grad_bias = np.sum(dout, axis=lead)
        return _normalized_backward(dout * self.weight, xhat, rstd, -1, center=True)


class RMSNorm(_Layer):
    """Divide each vector by its root mean square over the last axis, then scale
    by ``weight`` (γ); no mean subtraction, no bias. Same as ``nn.RMSNorm(H)``.

    Introduced in 08_normalization — the "voltage stabiliser" (稳压器) of LLaMA.
    """

    def __init__(self, features: int, eps: float = 1e-6):
        self.features = check_int(features, "features", low=1)
        self.eps = check_number(eps, "eps", low=0, low_inclusive=False)
        self.weight = np.ones(self.features)
        self.grad_weight = np.zeros(self.features)

    def forward(self, x) -> np.ndarray:
        """x: (..., H) → same shape."""
        x = _check_input(x, "x", self.features, -1, 1)
        rstd = 1.0 / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + self.eps)
        xhat = x * rstd
        out = xhat * self.weight
        self._cache = (out, xhat, rstd)
        return out

    def backward(self, dout) -> np.ndarray:
        """Return dL/dx; store dL/dweight."""
        dout = self._check_dout(dout)
        _, xhat, rstd = self._cache
        self.grad_weight = np.sum(dout * xhat, axis=tuple(range(dout.ndim - 1)))
        return _normalized_backward(dout * self.weight, xhat, rstd, -1, center=False)


class BatchNorm1d(_Layer):
    """Normalise each feature (channel) over the batch, like ``nn.BatchNorm1d(C)``.

    Introduced in 08_normalization. Input (N, C) or (N, C, L). In training mode
    it uses the batch's mean and (biased) variance and updates the running
    statistics: ``running ← (1 − momentum)·running + momentum·batch`` (with the
    unbiased variance); in eval mode (``training = False``) it uses the running
    statistics, so one example's output no longer depends on the others.
    """

    def __init__(self, features: int, eps: float = 1e-5, momentum: float = 0.1):
        self.features = check_int(features, "features", low=1)
        self.eps = check_number(eps, "eps", low=0, low_inclusive=False)
        self.momentum = check_number(momentum, "momentum", low=0, high=1)
        self.weight = np.ones(self.features)
        self.bias = np.zeros(self.features)
        self.grad_weight = np.zeros(self.features)
        self.grad_bias = np.zeros(self.features)
        self.running_mean = np.zeros(self.features)
        self.running_var = np.ones(self.features)
        self.num_batches_tracked = 0
        self.training = True

    def _shape(self, ndim: int) -> tuple[int, ...]:
        return (1, self.features) + (1,) * (ndim - 2)

    def forward(self, x) -> np.ndarray:
        """x: (N, C) or (N, C, L) → same shape."""
        x = _check_input(x, "x", self.features, 1, 2)
        if x.ndim > 3:
            raise ValueError(f"x must have shape (N, C) or (N, C, L), got {x.shape}")
        axes = (0,) if x.ndim == 2 else (0, 2)
        shape = self._shape(x.ndim)
        if self.training:
            count = x.size // self.features
            if count < 2:
                raise ValueError(
                    "BatchNorm1d in training mode needs more than 1 value per "
                    f"channel, got input shape {x.shape}"
                )
            mean = x.mean(axis=axes)
            var = x.var(axis=axes)
            m = self.momentum
            self.running_mean = (1 - m) * self.running_mean + m * mean
            unbiased = var * count / (count - 1)
            self.running_var = (1 - m) * self.running_var + m * unbiased
            self.num_batches_tracked += 1
        else:
            mean, var = self.running_mean, self.running_var
        rstd = 1.0 / np.sqrt(var.reshape(shape) + self.eps)
        xhat = (x - mean.reshape(shape)) * rstd
        out = xhat * self.weight.reshape(shape) + self.bias.reshape(shape)
        self._cache = (out, xhat, rstd, axes, self.training)
        return out

    def backward(self, dout) -> np.ndarray:
        """Return dL/dx; store dL/dweight and dL/dbias."""
        dout = self._check_dout(dout)
        _, xhat, rstd, axes, training = self._cache
        self.grad_weight = np.sum(dout * xhat, axis=axes)
        self.grad_bias = np.sum(dout, axis=axes)
        dxhat = dout * self.weight.reshape(self._shape(dout.ndim))
        if not training:  # statistics are constants in eval mode
            return dxhat * rstd
        return _normalized_backward(dxhat, xhat, rstd, axes, center=True)


class Dropout(_Layer):
    """Inverted dropout: in training, zero each value with probability ``p`` and
    divide the survivors by ``1 − p``, so the expected value is unchanged; in
    eval mode, pass the input through untouched. Introduced in 08_normalization.
    """

    def __init__(self, p: float = 0.5):
        # p < 0 or p > 1 is refused: it is a probability
        self.p = check_number(p, "dropout probability p", low=0, high=1)
        self.training = True
        self.mask: np.ndarray | None = None

    def forward(self, x, rng: np.random.Generator | None = None) -> np.ndarray:
        """Apply dropout to ``x`` (any shape); ``rng`` makes the mask reproducible."""
        x = as_array(x, "x")
        if rng is not None and not isinstance(rng, np.random.Generator):
            raise TypeError("rng must be a numpy.random.Generator or None")
        if not self.training or self.p == 0:
            self.mask = np.ones_like(x)
        elif self.p == 1:
            self.mask = np.zeros_like(x)
        else:
            rng = rng if rng is not None else np.random.default_rng()
            keep = rng.random(x.shape) >= self.p
            self.mask = keep / (1.0 - self.p)
        out = x * self.mask
        self._cache = (out,)
        return out

    def backward(self, dout) -> np.ndarray:
        """Return dL/dx (the same mask and scale as the forward pass)."""
        dout = self._check_dout(dout)
        return dout * self.mask


#: Initialisation schemes accepted by ``init_std`` and ``signal_stats``.
INIT_SCHEMES = ("xavier", "he")


def init_std(fan_in: int, fan_out: int, scheme: str) -> float:
    """Standard deviation of a normal initialisation.

    "xavier" (Glorot): √(2 / (fan_in + fan_out)), for tanh-like activations;
    "he" (Kaiming): √(2 / fan_in), for ReLU (which zeroes half its inputs).
    Same as ``nn.init.xavier_normal_`` and ``nn.init.kaiming_normal_``
    (nonlinearity="relu"). Introduced in 08_normalization.
    """
    fan_in = check_int(fan_in, "fan_in", low=1)
    fan_out = check_int(fan_out, "fan_out", low=1)
    check_choice(scheme, "init scheme", INIT_SCHEMES)
    if scheme == "xavier":
        return math.sqrt(2.0 / (fan_in + fan_out))
    return math.sqrt(2.0 / fan_in)


#: Normalisations accepted by ``signal_stats``.
NORM_NAMES = ("none", "layernorm", "rmsnorm", "batchnorm")
#: Where ``signal_stats`` puts the normalisation: "pre" (inside the branch,
#: before the weights: GPT-2, LLaMA) or "post" (after the residual sum: the
#: original 2017 Transformer).
NORM_POSITIONS = ("pre", "post")
_ACTIVATIONS = ("relu", "tanh")
_FLOAT_BYTES = 8  # signal_stats works in float64


def _make_norm(name: str, width: int):
    if name == "layernorm":
        return LayerNorm(width)
    if name == "rmsnorm":
        return RMSNorm(width)
    if name == "batchnorm":
        return BatchNorm1d(width)
    return None


def residual_block(
    x, w, *, position: str = "pre", norm: str = "layernorm", activation: str = "relu"
) -> np.ndarray:
    """One residual block with a fresh normalisation (γ = 1, β = 0):
    pre-LN ``x + act(norm(x) @ w)`` or post-LN ``norm(x + act(x @ w))``.

    ``x`` is (N, H) and ``w`` (H, H); this is one layer of ``signal_stats``
    with ``residual=True``. Introduced in 08_normalization.
    """
    x = as_array(x, "x")
    w = as_array(w, "w")
    if x.ndim != 2 or w.shape != (x.shape[1], x.shape[1]):
        raise ValueError(f"x must be (N, H) and w (H, H), got {x.shape} and {w.shape}")
    check_choice(position, "norm_position", NORM_POSITIONS)
    check_choice(norm, "norm", NORM_NAMES)
    check_choice(activation, "activation", _ACTIVATIONS)
    layer = _make_norm(norm, x.shape[1])
    normed = layer.forward if layer is not None else (lambda v: v)
    act = (lambda z: np.maximum(z, 0.0)) if activation == "relu" else np.tanh
    if position == "pre":
        return x + act(normed(x) @ w)
    return normed(x + act(x @ w))


def signal_stats_bytes(depth: int, width: int, batch: int, norm: str = "none") -> int:
    """Bytes ``signal_stats`` holds at its peak (float64): every weight matrix,
    and per layer the saved input, pre-activation, activation and residual sum
    (plus the normalisation's output and x̂ when ``norm`` is not "none").
    Introduced in 08_normalization."""
    depth = check_int(depth, "depth", low=1)
    width = check_int(width, "width", low=2)
    batch = check_int(batch, "batch", low=2)
    check_choice(norm, "norm", NORM_NAMES)
    saved_per_layer = 4 + (2 if norm != "none" else 0)  # (batch, width) arrays
    numbers = depth * width * width + depth * saved_per_layer * batch * width
    numbers += 4 * batch * width  # input, read-out gradient, working copies
    return numbers * _FLOAT_BYTES


def signal_stats(
    depth: int,
    *,
    width: int = 64,
    batch: int = 64,
    activation: str = "relu",
    init: str = "he",
    scale: float = 1.0,
    norm: str = "none",
    residual: bool = False,
    norm_position: str = "pre",
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Push a random batch through a deep stack of layers and back.

    Each layer's branch is ``f(u) = act(u @ W)`` with ``W`` drawn from
    N(0, (scale · init_std)²). With ``norm_position="pre"`` (GPT-2, LLaMA) the
    branch reads ``u = norm(h)`` and the next state is ``h + f(u)``
    (``residual=True``) or ``f(u)``; with ``"post"`` (the 2017 Transformer) the
    branch reads ``u = h`` and the next state is ``norm(h + f(h))`` (or
    ``norm(f(h))``). The loss is a fixed random linear read-out of the last state.

    Returns a dict of arrays of length ``depth``: ``activation_std`` (std of each
    layer's output h_l), ``input_grad_norm`` (norm of dL/dh at each layer's
    input: the gradient flowing back to layer l), ``grad_norm`` (Frobenius norm
    of dL/dW_l); plus ``weights``, ``x`` and ``readout`` so tests can rebuild the
    network in torch. ``MemoryError`` (estimate and free memory in the message)
    before allocating when the run cannot fit (``signal_stats_bytes``).
    Introduced in 08_normalization.
    """
    depth = check_int(depth, "depth", low=1)
    width = check_int(width, "width", low=2)
    batch = check_int(batch, "batch", low=2)
    check_choice(activation, "activation", _ACTIVATIONS)
    check_choice(init, "init scheme", INIT_SCHEMES)
    scale = check_number(scale, "scale", low=0, low_inclusive=False, high=100)
    check_choice(norm, "norm", NORM_NAMES)
    check_choice(norm_position, "norm_position", NORM_POSITIONS)
    if not isinstance(residual, bool):
        raise TypeError(f"residual must be True or False, got {residual!r}")
    seed = check_int(seed, "seed", low=0)
    require_memory(
        signal_stats_bytes(depth, width, batch, norm),
        f"signal_stats(depth={depth}, width={width}, batch={batch})",
    )
    rng = np.random.default_rng(seed)
    std = scale * init_std(width, width, init)
    weights = [rng.normal(0.0, std, size=(width, width)) for _ in range(depth)]
    x = rng.normal(size=(batch, width))
    readout = rng.normal(size=(width,)) / math.sqrt(width)
    result = {"weights": weights, "x": x, "readout": readout}
    pre = norm_position == "pre"

    h, caches, act_std = x, [], np.empty(depth)
    with np.errstate(over="ignore", invalid="ignore"):
        for layer, w in enumerate(weights):
            norm_layer = _make_norm(norm, width)
            u = norm_layer.forward(h) if (norm_layer is not None and pre) else h
            z = u @ w  # (batch, width) @ (width, width)
            a = np.maximum(z, 0.0) if activation == "relu" else np.tanh(z)
            total = h + a if residual else a
            if norm_layer is not None and not pre and np.all(np.isfinite(total)):
                total = norm_layer.forward(total)  # post-LN: after the sum
            caches.append((norm_layer, u, z, a))
            h = total
            act_std[layer] = h.std() if np.all(np.isfinite(h)) else np.inf
            if not np.isfinite(act_std[layer]) or act_std[layer] > 1e150:
                act_std[layer:] = np.inf
                inf = np.full(depth, np.inf)
                return {
                    "activation_std": act_std,
                    "input_grad_norm": inf,
                    "grad_norm": inf.copy(),
                    **result,
                }
        # loss = sum(h @ readout) / batch
        dh = np.broadcast_to(readout / batch, h.shape).copy()
        grad_norm, input_grad_norm = np.empty(depth), np.empty(depth)
        for layer in range(depth - 1, -1, -1):
            norm_layer, u, z, a = caches[layer]
            if norm_layer is not None and not pre:
                dh = norm_layer.backward(dh)  # through the norm after the sum
            dz = dh * (z > 0) if activation == "relu" else dh * (1.0 - a * a)
            grad_norm[layer] = np.linalg.norm(u.T @ dz)
            du = dz @ weights[layer].T
            if norm_layer is not None and pre:
                du = norm_layer.backward(du)
            dh = dh + du if residual else du
            input_grad_norm[layer] = np.linalg.norm(dh)
    return {
        "activation_std": act_std,
        "input_grad_norm": input_grad_norm,
        "grad_norm": grad_norm,
        **result,
    }
