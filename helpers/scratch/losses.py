"""Loss functions and their gradients in NumPy: L1, MSE, cross-entropy, the causal-LM
loss, and the softmax Jacobian. Introduced in 06_loss_functions.

Each loss returns a float; each ``*_grad`` returns d loss / d input with the input's
shape. ``reduction`` is "mean" (PyTorch's default) or "sum" (the L1 loss of
02_leaf_flower). Complex inputs and unsigned 64-bit class indices are refused
(not silently truncated or wrapped).
"""

from __future__ import annotations

import numpy as np

from helpers.scratch.activations import log_softmax, softmax
from helpers.validate import as_array, check_choice, check_int, check_number

__all__ = [
    "binary_cross_entropy_with_logits",
    "causal_lm_loss",
    "causal_lm_perplexity",
    "causal_lm_shift",
    "cross_entropy",
    "cross_entropy_grad",
    "IGNORE_INDEX",
    "l1_loss",
    "l1_loss_grad",
    "logits_state",
    "mse_loss",
    "mse_loss_grad",
    "perplexity",
    "softmax_jacobian",
]

#: Label value skipped by cross-entropy (padding, prompt tokens), as in PyTorch.
IGNORE_INDEX = -100

_REDUCTIONS = ("mean", "sum")


def _pair(prediction, target) -> tuple[np.ndarray, np.ndarray]:
    prediction = as_array(prediction, "prediction")
    target = as_array(target, "target")
    if prediction.shape != target.shape:
        raise ValueError(
            "prediction and target must have the same shape, "
            f"got {prediction.shape} and {target.shape}"
        )
    return prediction, target


def _reduce(values: np.ndarray, reduction: str) -> float:
    check_choice(reduction, "reduction", _REDUCTIONS)
    return float(values.mean() if reduction == "mean" else values.sum())


def l1_loss(prediction, target, reduction: str = "mean") -> float:
    """Mean (or sum) of |prediction - target|. Introduced in 06_loss_functions."""
    prediction, target = _pair(prediction, target)
    return _reduce(np.abs(prediction - target), reduction)


def l1_loss_grad(prediction, target, reduction: str = "mean") -> np.ndarray:
    """sign(prediction - target) (/ N for "mean"); 0 where they are equal, as torch."""
    prediction, target = _pair(prediction, target)
    check_choice(reduction, "reduction", _REDUCTIONS)
    grad = np.sign(prediction - target)
    return grad / grad.size if reduction == "mean" else grad


def mse_loss(prediction, target, reduction: str = "mean") -> float:
    """Mean (or sum) of (prediction - target)**2. Introduced in 06_loss_functions."""
    prediction, target = _pair(prediction, target)
    return _reduce((prediction - target) ** 2, reduction)


def mse_loss_grad(prediction, target, reduction: str = "mean") -> np.ndarray:
    """2 (prediction - target) (/ N for "mean"). Introduced in 06_loss_functions."""
    prediction, target = _pair(prediction, target)
    check_choice(reduction, "reduction", _REDUCTIONS)
    grad = 2.0 * (prediction - target)
    return grad / grad.size if reduction == "mean" else grad


def _integer_array(x, name: str) -> np.ndarray:
    if hasattr(x, "detach"):  # a torch tensor
        x = x.detach().cpu().numpy()
    arr = np.asarray(x)
    if arr.dtype == bool or (arr.size and not np.issubdtype(arr.dtype, np.integer)):
        raise TypeError(f"{name} must be integer class indices, got dtype {arr.dtype}")
    if arr.dtype == np.uint64:  # 2**64 - 100 would wrap to -100 (ignored) in int64
        raise TypeError(
            f"{name} must be signed integers (int64), got dtype uint64: large values "
            "would wrap around to negative indices such as ignore_index = -100"
        )
    return arr.astype(np.int64)


def _logits_and_targets(logits, targets, ignore_index: int):
    logits = as_array(logits, "logits", ndim=(1, 2, 3, 4))
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, int | np.integer):
        raise TypeError(
            f"ignore_index must be an integer, got {type(ignore_index).__name__}"
        )
    targets = _integer_array(targets, "targets")
    if targets.shape != logits.shape[:-1]:
        raise ValueError(
            f"targets must have shape {logits.shape[:-1]} (logits' shape without the "
            f"class axis), got {targets.shape}"
        )
    n_classes = logits.shape[-1]
    valid = targets != ignore_index
    bad = valid & ((targets < 0) | (targets >= n_classes))
    if bad.any():
        raise ValueError(
            f"targets must be in [0, {n_classes - 1}] or ignore_index={ignore_index}, "
            f"found {targets[bad].reshape(-1)[0]}"
        )
    if not valid.any():
        raise ValueError(
            "every target equals ignore_index: there is nothing to average"
        )
    return logits, targets, valid


def cross_entropy(
    logits, targets, *, ignore_index: int = IGNORE_INDEX, reduction: str = "mean"
) -> float:
    """Cross-entropy from raw scores: -log softmax(logits)[target], averaged over the
    targets that are not ``ignore_index`` (like ``F.cross_entropy``).

    ``logits`` has the classes on its last axis, shape (..., C); ``targets`` holds
    class indices, shape (...). Introduced in 06_loss_functions.
    """
    logits, targets, valid = _logits_and_targets(logits, targets, ignore_index)
    check_choice(reduction, "reduction", _REDUCTIONS)
    log_probs = log_softmax(logits, axis=-1)
    safe = np.where(valid, targets, 0)[..., None]
    picked = np.take_along_axis(log_probs, safe, axis=-1)[..., 0]
    total = -float(picked[valid].sum())
    return total / int(valid.sum()) if reduction == "mean" else total


def cross_entropy_grad(
    logits, targets, *, ignore_index: int = IGNORE_INDEX, reduction: str = "mean"
) -> np.ndarray:
    """d cross_entropy / d logits = (softmax(logits) - one_hot(target)) / n_valid,
    zero on ignored positions. Introduced in 06_loss_functions."""
    logits, targets, valid = _logits_and_targets(logits, targets, ignore_index)
    check_choice(reduction, "reduction", _REDUCTIONS)
    grad = softmax(logits, axis=-1)
    safe = np.where(valid, targets, 0)[..., None]
    np.put_along_axis(
        grad, safe, np.take_along_axis(grad, safe, axis=-1) - 1.0, axis=-1
    )
    grad = np.where(valid[..., None], grad, 0.0)
    return grad / int(valid.sum()) if reduction == "mean" else grad


def softmax_jacobian(probabilities) -> np.ndarray:
    """J[i, j] = d s_i / d z_j = diag(s) - s s^T for one probability vector s
    (the output of a softmax). Introduced in 06_loss_functions."""
    s = as_array(probabilities, "probabilities", ndim=1)
    if (s < 0).any() or abs(s.sum() - 1.0) > 1e-6:
        raise ValueError(
            "probabilities must be a softmax output: non-negative and summing to 1, "
            f"got sum {s.sum():.6g}"
        )
    return np.diag(s) - np.outer(s, s)


def causal_lm_shift(logits, labels) -> tuple[np.ndarray, np.ndarray]:
    """Align next-token predictions with their targets.

    The logits at position t predict token t + 1, so drop the last position of
    ``logits`` (B, T, V) and the first of ``labels`` (B, T), then flatten to
    (B*(T-1), V) and (B*(T-1),). Introduced in 06_loss_functions.
    """
    logits = as_array(logits, "logits", ndim=3)
    labels = _integer_array(labels, "labels")
    if labels.shape != logits.shape[:2]:
        raise ValueError(
            f"labels must have shape (B, T) = {logits.shape[:2]}, got {labels.shape}"
        )
    if logits.shape[1] < 2:
        raise ValueError(
            f"need at least 2 positions to shift, got T = {logits.shape[1]}"
        )
    shift_logits = logits[:, :-1, :].reshape(-1, logits.shape[-1])  # (B*(T-1), V)
    shift_labels = labels[:, 1:].reshape(-1)  # (B*(T-1),)
    return shift_logits, shift_labels


def causal_lm_loss(logits, labels, *, ignore_index: int = IGNORE_INDEX) -> float:
    """Next-token cross-entropy of a language model: shift by one, then average over
    labels that are not ``ignore_index``. Introduced in 06_loss_functions."""
    shift_logits, shift_labels = causal_lm_shift(logits, labels)
    return cross_entropy(shift_logits, shift_labels, ignore_index=ignore_index)


def causal_lm_perplexity(logits, labels, *, ignore_index: int = IGNORE_INDEX) -> float:
    """Perplexity of a causal language model on a batch: exp of the next-token
    cross-entropy (``causal_lm_loss``), counting only labels that are not
    ``ignore_index``. Introduced in 06_loss_functions."""
    return perplexity(causal_lm_loss(logits, labels, ignore_index=ignore_index))


def perplexity(mean_cross_entropy) -> float:
    """exp(mean cross-entropy in nats): the number of equally likely choices the
    model is as unsure as. A uniform guess over V classes has loss ln V and
    perplexity V. Introduced in 06_loss_functions."""
    loss = check_number(mean_cross_entropy, "mean_cross_entropy", low=0)
    return float(np.exp(loss)) if loss < 709.0 else float("inf")


def binary_cross_entropy_with_logits(logits, targets) -> float:
    """Mean binary cross-entropy from raw scores z and targets y in [0, 1]:
    mean of ``-[y·ln σ(z) + (1 − y)·ln(1 − σ(z))]``, computed stably as
    ``max(z, 0) − z·y + ln(1 + e^(−|z|))`` (like
    ``F.binary_cross_entropy_with_logits``). Introduced in 06_loss_functions."""
    z, y = _pair(logits, targets)
    if (y < 0).any() or (y > 1).any():
        raise ValueError("targets must lie in [0, 1] (probabilities of class 1)")
    return float(np.mean(np.maximum(z, 0.0) - z * y + np.log1p(np.exp(-np.abs(z)))))


def logits_state(logits, target: int) -> dict:
    """Probabilities, loss −log p[target] and gradient p − one_hot(target) for one
    row of logits. Introduced in 06_loss_functions."""
    logits = as_array(logits, "logits", ndim=1)
    target = check_int(target, "target", low=0, high=logits.size - 1)
    return {
        "probabilities": softmax(logits),
        "loss": cross_entropy(logits[None, :], [target]),
        "gradient": cross_entropy_grad(logits[None, :], [target])[0],
    }
