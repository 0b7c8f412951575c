"""Exercise checkers of 08_normalization.

Each prints ✅ / ❌ (with a tiered hint) / ⏱ / ⏳ and returns a ``CheckResult``; none
raises because of the learner's code. The references call the tested layers of
``helpers.scratch.norms``. Introduced in 08_normalization.
"""

from __future__ import annotations

import numpy as np

from helpers.checks import Cases, CheckResult, FunctionExercise
from helpers.scratch.norms import BatchNorm1d, LayerNorm, RMSNorm, residual_block

__all__ = [
    "CHECKER_CASES",
    "check_batchnorm_eval",
    "check_layer_norm",
    "check_post_ln_block",
    "check_rms_norm_backward",
]


# --- exercise 1: LayerNorm forward ---------------------------------------------------


def _layer_norm_reference(x, gamma, beta):
    layer = LayerNorm(np.shape(x)[-1], eps=1e-5)
    layer.weight, layer.bias = np.array(gamma, float), np.array(beta, float)
    return layer.forward(x)


def _ln_case(rng: np.random.Generator) -> tuple:
    b, t, h = (int(n) for n in rng.integers(1, 5, size=3) + np.array([0, 0, 1]))
    x = float(rng.choice([1.0, 50.0])) * rng.normal(size=(b, t, h)) + rng.normal()
    return x, rng.normal(size=h), rng.normal(size=h)


LAYER_NORM = FunctionExercise(
    notebook="08",
    key="layer_norm",
    title="LayerNorm forward",
    reference=_layer_norm_reference,
    cases=[
        (np.arange(8.0).reshape(1, 2, 4), np.ones(4), np.zeros(4)),
        (
            3 * np.random.default_rng(8).normal(size=(2, 3, 5)) + 1,
            np.random.default_rng(9).normal(size=5),
            np.random.default_rng(10).normal(size=5),
        ),
    ],
    hidden=_ln_case,
    hints=(
        "LayerNorm 对每个 token 单独归一化：只在它自己的 H 个特征（最后一维）上求均值和方差，"
        "减均值、除以标准差，再逐特征乘 γ、加 β。方差用有偏估计（除以 H）。",
        "mean 与 var 都沿 axis=-1 求，并保留这一维 (keepdims=True) 以便广播；"
        "y = (x − mean) / √(var + 1e-5) · γ + β。",
        "mean = x.mean(axis=-1, keepdims=True); var = x.var(axis=-1, keepdims=True); "
        "return (x - mean) / np.sqrt(var + 1e-5) * gamma + beta",
    ),
    rtol=1e-9,
    atol=1e-10,
)


def check_layer_norm(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 1: ``layer_norm(x, gamma, beta)`` for x of shape (B, T, H), over
    the last axis, eps = 1e-5."""
    return LAYER_NORM.check(fn, quiet=quiet)


# --- exercise 2: RMSNorm backward (by analogy with the LayerNorm derivation) --------


def _rms_backward_reference(x, gamma, dout):
    layer = RMSNorm(np.shape(x)[-1], eps=1e-6)
    layer.weight = np.array(gamma, float)
    layer.forward(x)
    return layer.backward(dout)


def _rms_case(rng: np.random.Generator) -> tuple:
    n, h = int(rng.integers(1, 5)), int(rng.integers(2, 7))
    x = float(rng.choice([0.1, 1.0, 20.0])) * rng.normal(size=(n, h)) + rng.normal()
    return x, rng.normal(size=h), rng.normal(size=(n, h))


RMS_BACKWARD = FunctionExercise(
    notebook="08",
    key="rms_norm_backward",
    title="RMSNorm backward",
    reference=_rms_backward_reference,
    cases=[
        (
            np.array([[1.0, 2.0, 3.0, 4.0]]),
            np.ones(4),
            np.array([[1.0, 0.0, 0.0, 0.0]]),
        ),
        (
            np.array([[3.0, 3.0, 3.0]]),
            np.array([1.0, 2.0, 3.0]),
            np.array([[1.0, -1.0, 0.5]]),
        ),
        (
            np.random.default_rng(3).normal(size=(3, 5)) + 2.0,
            np.random.default_rng(4).normal(size=5),
            np.random.default_rng(5).normal(size=(3, 5)),
        ),
    ],
    hidden=_rms_case,
    hints=(
        "照着 LayerNorm 反向的推导做，但 RMSNorm 没有减均值：x̂ = x / rms，rms 依赖每个 xⱼ。"
        "所以结果有两部分：直接穿过除法的 g / rms，以及“改变 xⱼ 会改变 rms”带来的修正；"
        "不会出现 LayerNorm 里“减去 g 的均值”那一项。",
        "记 g = dout · γ，rstd = 1/√(mean(x²) + 1e-6)，x̂ = x · rstd（都沿最后一维、keepdims）。"
        "dx = rstd · (g − x̂ · mean(g · x̂))。",
        "rstd = 1 / np.sqrt(np.mean(x**2, axis=-1, keepdims=True) + 1e-6)\n"
        "xhat = x * rstd; g = dout * gamma\n"
        "return rstd * (g - xhat * np.mean(g * xhat, axis=-1, keepdims=True))",
    ),
    rtol=1e-8,
    atol=1e-10,
)


def check_rms_norm_backward(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 2: ``rms_norm_backward(x, gamma, dout)`` → dL/dx of RMSNorm over
    the last axis (eps = 1e-6), x and dout of shape (N, H)."""
    return RMS_BACKWARD.check(fn, quiet=quiet)


# --- exercise 3: a post-LN block (the notebook shows pre-LN) -------------------------


def _post_ln_reference(x, w):
    return residual_block(x, w, position="post", norm="layernorm", activation="relu")


def _block_case(rng: np.random.Generator) -> tuple:
    n, h = int(rng.integers(1, 5)), int(rng.integers(2, 7))
    return rng.normal(size=(n, h)) * float(rng.choice([1.0, 5.0])), rng.normal(
        scale=np.sqrt(2 / h), size=(h, h)
    )


POST_LN = FunctionExercise(
    notebook="08",
    key="post_ln_block",
    title="post-LN residual block",
    reference=_post_ln_reference,
    cases=[
        (np.array([[1.0, -1.0, 2.0, 0.0]]), np.eye(4)),
        (
            np.random.default_rng(6).normal(size=(3, 5)),
            np.random.default_rng(7).normal(scale=0.6, size=(5, 5)),
        ),
    ],
    hidden=_block_case,
    hints=(
        "post-LN 是 2017 年原版 Transformer 的顺序：先算分支 ReLU(x·W)，"
        "再做残差相加，最后对“和”做 LayerNorm——归一化在加法之后，而不是在分支里面。",
        "y = LN(x + ReLU(x @ W))，LN 沿最后一维、eps = 1e-5、γ = 1、β = 0（方差用有偏估计）。",
        "s = x + np.maximum(x @ w, 0)\n"
        "return (s - s.mean(-1, keepdims=True)) / np.sqrt(s.var(-1, keepdims=True) + 1e-5)",
    ),
    rtol=1e-9,
    atol=1e-10,
)


def check_post_ln_block(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 3: ``post_ln_block(x, w)`` → LayerNorm(x + ReLU(x @ w)) for x (N, H),
    w (H, H), LayerNorm without γ/β, eps = 1e-5."""
    return POST_LN.check(fn, quiet=quiet)


# --- exercise 4: BatchNorm at evaluation time ---------------------------------------


def _batchnorm_eval_reference(x, running_mean, running_var, gamma, beta):
    layer = BatchNorm1d(np.shape(x)[1], eps=1e-5)
    layer.running_mean = np.array(running_mean, float)
    layer.running_var = np.array(running_var, float)
    layer.weight, layer.bias = np.array(gamma, float), np.array(beta, float)
    layer.training = False
    return layer.forward(x)


def _bn_case(rng: np.random.Generator) -> tuple:
    n, c = int(rng.integers(1, 6)), int(rng.integers(1, 5))
    return (
        rng.normal(loc=3.0, scale=2.0, size=(n, c)),
        rng.normal(loc=3.0, size=c),
        rng.random(c) * 4 + 0.1,
        rng.normal(size=c),
        rng.normal(size=c),
    )


BATCHNORM_EVAL = FunctionExercise(
    notebook="08",
    key="batchnorm_eval",
    title="BatchNorm in eval mode",
    reference=_batchnorm_eval_reference,
    cases=[
        (
            np.array([[5.0, 1.0]]),
            np.array([3.0, 0.0]),
            np.array([4.0, 1.0]),
            np.ones(2),
            np.zeros(2),
        ),  # a batch of one
        (
            np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]]),
            np.array([2.0, 2.0, 2.0]),
            np.array([0.5, 1.0, 2.0]),
            np.array([1.0, 2.0, 0.5]),
            np.array([0.0, -1.0, 1.0]),
        ),
    ],
    hidden=_bn_case,
    hints=(
        "评估 (eval) 模式下 BatchNorm 完全不看当前这一批：均值和方差都换成训练时累计的"
        "滑动平均 (running statistics)，所以一个样本也能算，输出也不受同批其他样本影响。",
        "y = (x − running_mean) / √(running_var + 1e-5) · γ + β，"
        "每个特征（列）用自己的那一个统计量，形状 (C,) 会自动广播到 (N, C)。",
        "return (x - running_mean) / np.sqrt(running_var + 1e-5) * gamma + beta",
    ),
    rtol=1e-9,
    atol=1e-10,
)


def check_batchnorm_eval(fn, *, quiet: bool = False) -> CheckResult:
    """Exercise 4: ``batchnorm_eval(x, running_mean, running_var, gamma, beta)``,
    x of shape (N, C), eps = 1e-5."""
    return BATCHNORM_EVAL.check(fn, quiet=quiet)


# --- answers for the tests --------------------------------------------------------


def _ln_unbiased(x, gamma, beta):
    mean = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True, ddof=1)  # unbiased variance
    return (x - mean) / np.sqrt(var + 1e-5) * gamma + beta


def _ln_wrong_axis(x, gamma, beta):
    mean = x.mean(axis=0, keepdims=True)  # over the batch: that is BatchNorm
    var = x.var(axis=0, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-5) * gamma + beta


def _rms_backward_like_layernorm(x, gamma, dout):
    rstd = 1 / np.sqrt(np.mean(x**2, axis=-1, keepdims=True) + 1e-6)
    xhat, g = x * rstd, dout * gamma
    proj = np.mean(g * xhat, axis=-1, keepdims=True)
    return rstd * (g - g.mean(axis=-1, keepdims=True) - xhat * proj)  # a mean term


def _rms_backward_no_correction(x, gamma, dout):
    rstd = 1 / np.sqrt(np.mean(x**2, axis=-1, keepdims=True) + 1e-6)
    return dout * gamma * rstd  # treats rms as a constant


def _pre_ln_instead(x, w):
    return residual_block(x, w, position="pre", norm="layernorm", activation="relu")


def _norm_inside_branch(x, w):
    z = np.maximum(x @ w, 0)
    z = (z - z.mean(-1, keepdims=True)) / np.sqrt(z.var(-1, keepdims=True) + 1e-5)
    return x + z  # normalises the branch, not the sum


def _bn_batch_statistics(x, running_mean, running_var, gamma, beta):
    return (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5) * gamma + beta


def _bn_std_not_var(x, running_mean, running_var, gamma, beta):
    return (x - running_mean) / (running_var + 1e-5) * gamma + beta  # no square root


CHECKER_CASES = [
    Cases(
        check_layer_norm,
        LAYER_NORM,
        right=[_layer_norm_reference],
        wrong=[_ln_unbiased, _ln_wrong_axis],
    ),
    Cases(
        check_rms_norm_backward,
        RMS_BACKWARD,
        right=[_rms_backward_reference],
        wrong=[_rms_backward_like_layernorm, _rms_backward_no_correction],
    ),
    Cases(
        check_post_ln_block,
        POST_LN,
        right=[_post_ln_reference],
        wrong=[_pre_ln_instead, _norm_inside_branch],
    ),
    Cases(
        check_batchnorm_eval,
        BATCHNORM_EVAL,
        right=[_batchnorm_eval_reference],
        wrong=[_bn_batch_statistics, _bn_std_not_var],
    ),
]
