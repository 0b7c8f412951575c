"""Exercise checkers of 08_normalization.

References are built on ``helpers.scratch.norms`` (the tested implementation).
"""

from __future__ import annotations

import numpy as np

from helpers.checks import CheckResult, check_function
from helpers.scratch.norms import BatchNorm1d, LayerNorm, RMSNorm

__all__ = [
    "CHECKER_CASES",
    "check_batchnorm_eval",
    "check_inverted_dropout",
    "check_layer_norm",
    "check_rms_norm",
]


def _cases(make, n: int = 4, seed: int = 8) -> list[tuple]:
    rng = np.random.default_rng(seed)
    return [make(rng) for _ in range(n)]


def _copies(fn):
    """Call ``fn`` on copies, so a learner's in-place edit cannot leak."""
    return lambda *a: fn(*(np.copy(x) if isinstance(x, np.ndarray) else x for x in a))


# --- exercise 1: LayerNorm forward -----------------------------------------------


def _layer_norm_reference(x, gamma, beta):
    layer = LayerNorm(x.shape[-1], eps=1e-5)
    layer.weight, layer.bias = np.asarray(gamma, float), np.asarray(beta, float)
    return layer.forward(x)


def check_layer_norm(fn, quiet: bool = False) -> CheckResult:
    """fn(x of shape (B, T, H), gamma (H,), beta (H,)) → LayerNorm over H, eps=1e-5."""
    cases = _cases(
        lambda r: (
            3 * r.normal(size=(2, 3, 5)) + 1,
            r.normal(size=5),
            r.normal(size=5),
        )
    )
    return check_function(
        _copies(fn),
        _layer_norm_reference,
        cases,
        name="layer_norm",
        hint="沿最后一个维度 (axis=-1, keepdims=True) 求均值和方差 (np.var 是有偏的，"
        "正合适)；(x - mean) / sqrt(var + eps) 再乘 gamma 加 beta。",
        quiet=quiet,
    )


# --- exercise 2: RMSNorm forward ---------------------------------------------------


def _rms_norm_reference(x, gamma):
    layer = RMSNorm(x.shape[-1], eps=1e-6)
    layer.weight = np.asarray(gamma, float)
    return layer.forward(x)


def check_rms_norm(fn, quiet: bool = False) -> CheckResult:
    """fn(x of shape (B, T, H), gamma (H,)) → RMSNorm over H, eps=1e-6."""
    cases = _cases(lambda r: (3 * r.normal(size=(2, 3, 6)) + 2, r.normal(size=6)))
    return check_function(
        _copies(fn),
        _rms_norm_reference,
        cases,
        name="rms_norm",
        hint="RMSNorm 不减均值：x / sqrt(mean(x**2, axis=-1, keepdims=True) + eps) * gamma。",
        quiet=quiet,
    )


# --- exercise 3: inverted dropout ----------------------------------------------------


def _dropout_reference(x, keep_mask, p, training):
    if not training:
        return x
    return x * keep_mask / (1.0 - p)


def check_inverted_dropout(fn, quiet: bool = False) -> CheckResult:
    """fn(x, keep_mask (1 = keep), p, training) → inverted dropout output."""
    cases = []
    for p, training in [(0.5, True), (0.1, True), (0.3, False), (0.8, True)]:
        rng = np.random.default_rng(int(p * 10))
        x = rng.normal(size=(3, 4))
        cases.append((x, (rng.random(x.shape) >= p).astype(float), p, training))
    return check_function(
        _copies(fn),
        _dropout_reference,
        cases,
        name="inverted_dropout",
        hint="训练时保留下来的值要除以 (1 - p)；评估 (training=False) 时原样返回。",
        quiet=quiet,
    )


# --- exercise 4: BatchNorm in eval mode ------------------------------------------------


def _batchnorm_eval_reference(x, running_mean, running_var, gamma, beta):
    layer = BatchNorm1d(x.shape[1], eps=1e-5)
    layer.running_mean = np.asarray(running_mean, float)
    layer.running_var = np.asarray(running_var, float)
    layer.weight, layer.bias = np.asarray(gamma, float), np.asarray(beta, float)
    layer.training = False
    return layer.forward(x)


def check_batchnorm_eval(fn, quiet: bool = False) -> CheckResult:
    """fn(x (N, C), running_mean, running_var, gamma, beta) → eval-mode BatchNorm."""
    cases = _cases(
        lambda r: (
            r.normal(size=(int(r.integers(1, 5)), 3)),
            r.normal(size=3),
            r.random(3) + 0.5,
            r.normal(size=3),
            r.normal(size=3),
        )
    )
    return check_function(
        _copies(fn),
        _batchnorm_eval_reference,
        cases,
        name="batchnorm_eval",
        hint="评估模式不看当前批次：用 running_mean 和 running_var (eps = 1e-5)。",
        quiet=quiet,
    )


# --- wrong answers used by the tests ---------------------------------------------------


def _layer_norm_wrong(x, gamma, beta):
    mean = x.mean(axis=0, keepdims=True)  # normalises over the batch axis
    var = x.var(axis=0, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-5) * gamma + beta


def _rms_norm_wrong(x, gamma):
    return _layer_norm_reference(x, gamma, np.zeros_like(gamma))  # subtracts the mean


def _dropout_wrong(x, keep_mask, p, training):
    return x * keep_mask  # forgets the 1 / (1 - p) scale (and eval mode)


def _batchnorm_eval_wrong(x, running_mean, running_var, gamma, beta):
    mean, var = x.mean(axis=0), x.var(axis=0)  # uses the batch's statistics
    return (x - mean) / np.sqrt(var + 1e-5) * gamma + beta


#: (checker, a correct answer, a wrong answer) for each exercise — used by tests.
CHECKER_CASES = [
    (check_layer_norm, _layer_norm_reference, _layer_norm_wrong),
    (check_rms_norm, _rms_norm_reference, _rms_norm_wrong),
    (check_inverted_dropout, _dropout_reference, _dropout_wrong),
    (check_batchnorm_eval, _batchnorm_eval_reference, _batchnorm_eval_wrong),
]
