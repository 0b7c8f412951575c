"""Optimizers written from scratch in NumPy: SGD (momentum, Nesterov), AdaGrad,
RMSProp, Adam and AdamW.

Introduced in 07_optimizers. Each class updates a list of NumPy arrays in place,
step for step the same as its ``torch.optim`` counterpart (tests compare them for
hundreds of steps in float64). The learning rate is the attribute ``lr``, so a
schedule (``helpers.scratch.schedules``) can change it between steps.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from helpers.validate import as_array, check_choice, check_int, check_number

__all__ = [
    "OPTIMIZER_NAMES",
    "SGD",
    "AdaGrad",
    "Adam",
    "AdamW",
    "Optimizer",
    "RMSProp",
    "SURFACES",
    "Surface",
    "make_optimizer",
    "state_bytes_per_param",
    "trajectory",
]


class Optimizer(ABC):
    """Shared machinery: holds the parameters, checks the gradients.

    Introduced in 07_optimizers. Subclasses implement ``_update(i, param, grad)``.
    """

    def __init__(self, params: Sequence[np.ndarray], lr: float):
        if isinstance(params, np.ndarray):
            raise TypeError(
                "params must be a list of NumPy arrays, got a single array; "
                "wrap it in a list: [w]"
            )
        if not isinstance(params, Sequence) or len(params) == 0:
            raise ValueError("params must be a non-empty list of NumPy arrays")
        for i, p in enumerate(params):
            if not isinstance(p, np.ndarray) or not np.issubdtype(p.dtype, np.floating):
                raise TypeError(
                    f"params[{i}] must be a floating-point NumPy array (updated in "
                    f"place), got {type(p).__name__}"
                )
            as_array(p, f"params[{i}]", dtype=p.dtype)  # non-empty, finite
        self.params = list(params)
        self.base_lr = check_number(lr, "learning rate lr", low=0, low_inclusive=False)
        self.lr = self.base_lr
        self.step_count = 0

    @property
    def lr(self) -> float:
        """The learning rate used by the next ``step``.

        The constructor needs lr > 0; a schedule may later set it to 0 (the first
        warmup step), never below.
        """
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = check_number(value, "learning rate lr", low=0)

    def _check_grads(self, grads: Sequence[np.ndarray]) -> list[np.ndarray]:
        if isinstance(grads, np.ndarray) or not isinstance(grads, Sequence):
            raise TypeError("grads must be a list of arrays, one per parameter")
        if len(grads) != len(self.params):
            raise ValueError(
                f"got {len(grads)} gradients for {len(self.params)} parameters"
            )
        checked = []
        for i, (p, g) in enumerate(zip(self.params, grads, strict=True)):
            g = as_array(g, f"grads[{i}]", dtype=p.dtype)
            if g.shape != p.shape:
                raise ValueError(
                    f"grads[{i}] must have the shape of params[{i}] {p.shape}, "
                    f"got {g.shape}"
                )
            checked.append(g)
        return checked

    def step(self, grads: Sequence[np.ndarray]) -> None:
        """Update every parameter in place using its gradient."""
        grads = self._check_grads(grads)
        self.step_count += 1
        for i, (p, g) in enumerate(zip(self.params, grads, strict=True)):
            self._update(i, p, g)

    @abstractmethod
    def _update(self, i: int, param: np.ndarray, grad: np.ndarray) -> None:
        """Update ``param`` (the i-th parameter) in place from ``grad``."""

    def state_arrays(self) -> list[np.ndarray]:
        """Every array of optimizer state (momentum buffers, moments …)."""
        return []

    def state_bytes(self) -> int:
        """Bytes of optimizer state currently held (after at least one step)."""
        return int(sum(a.nbytes for a in self.state_arrays()))


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, Nesterov momentum and
    L2 weight decay — the same update as ``torch.optim.SGD``.

    Introduced in 07_optimizers. With momentum μ the buffer is
    ``b ← μ·b + (1 − dampening)·g`` (``b = g`` on the first step) and the
    parameter moves by ``−lr·b`` (Nesterov: ``−lr·(g + μ·b)``).
    """

    def __init__(
        self,
        params: Sequence[np.ndarray],
        lr: float,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ):
        super().__init__(params, lr)
        self.momentum = check_number(momentum, "momentum", low=0, high=1)
        self.dampening = check_number(dampening, "dampening", low=0, high=1)
        self.weight_decay = check_number(weight_decay, "weight_decay", low=0)
        if not isinstance(nesterov, bool):
            raise TypeError(f"nesterov must be True or False, got {nesterov!r}")
        if nesterov and (self.momentum == 0 or self.dampening != 0):
            raise ValueError("nesterov=True needs momentum > 0 and dampening = 0")
        self.nesterov = nesterov
        self.buffers: list[np.ndarray | None] = [None] * len(self.params)

    def _update(self, i: int, param: np.ndarray, grad: np.ndarray) -> None:
        if self.weight_decay != 0:
            grad = grad + self.weight_decay * param
        if self.momentum != 0:
            buf = self.buffers[i]
            if buf is None:
                buf = grad.copy()
                self.buffers[i] = buf
            else:
                buf *= self.momentum
                buf += (1 - self.dampening) * grad
            grad = grad + self.momentum * buf if self.nesterov else buf
        param -= self.lr * grad

    def state_arrays(self) -> list[np.ndarray]:
        return [b for b in self.buffers if b is not None]


class AdaGrad(Optimizer):
    """AdaGrad: each parameter's step is divided by the square root of the sum of
    its own squared gradients — the same update as ``torch.optim.Adagrad``.

    Introduced in 07_optimizers. The scaling comes from each parameter's gradient
    history, not from the iteration count (COURSE.md §7 item 11): a parameter with
    large past gradients takes smaller steps.
    """

    def __init__(
        self,
        params: Sequence[np.ndarray],
        lr: float = 0.01,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
    ):
        super().__init__(params, lr)
        self.lr_decay = check_number(lr_decay, "lr_decay", low=0)
        self.weight_decay = check_number(weight_decay, "weight_decay", low=0)
        init = check_number(
            initial_accumulator_value, "initial_accumulator_value", low=0
        )
        self.eps = check_number(eps, "eps", low=0, low_inclusive=False)
        self.sums = [np.full_like(p, init) for p in self.params]

    def _update(self, i: int, param: np.ndarray, grad: np.ndarray) -> None:
        if self.weight_decay != 0:
            grad = grad + self.weight_decay * param
        clr = self.lr / (1 + (self.step_count - 1) * self.lr_decay)
        self.sums[i] += grad * grad
        param -= clr * grad / (np.sqrt(self.sums[i]) + self.eps)

    def state_arrays(self) -> list[np.ndarray]:
        return list(self.sums)


class RMSProp(Optimizer):
    """RMSProp: like AdaGrad, but the sum of squared gradients is replaced by an
    exponential moving average that forgets, ``s ← α·s + (1 − α)·g²``, and the
    step is ``lr·g / (√s + eps)`` — the same update as ``torch.optim.RMSprop``
    (no momentum, not centred). Introduced in 07_optimizers."""

    def __init__(
        self,
        params: Sequence[np.ndarray],
        lr: float = 0.01,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ):
        super().__init__(params, lr)
        self.alpha = check_number(alpha, "alpha", low=0, high=1, high_inclusive=False)
        self.eps = check_number(eps, "eps", low=0, low_inclusive=False)
        self.weight_decay = check_number(weight_decay, "weight_decay", low=0)
        self.square_avg = [np.zeros_like(p) for p in self.params]

    def _update(self, i: int, param: np.ndarray, grad: np.ndarray) -> None:
        if self.weight_decay != 0:
            grad = grad + self.weight_decay * param
        self.square_avg[i] *= self.alpha
        self.square_avg[i] += (1 - self.alpha) * grad * grad
        param -= self.lr * grad / (np.sqrt(self.square_avg[i]) + self.eps)

    def state_arrays(self) -> list[np.ndarray]:
        return list(self.square_avg)


class Adam(Optimizer):
    """Adam with bias correction; ``weight_decay`` is L2 added to the gradient —
    the same update as ``torch.optim.Adam``.

    Introduced in 07_optimizers. m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g²,
    p ← p − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + eps).
    """

    decoupled = False

    def __init__(
        self,
        params: Sequence[np.ndarray],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ):
        super().__init__(params, lr)
        if not isinstance(betas, Sequence) or len(betas) != 2:
            raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        self.beta1 = check_number(
            betas[0], "beta1", low=0, high=1, high_inclusive=False
        )
        self.beta2 = check_number(
            betas[1], "beta2", low=0, high=1, high_inclusive=False
        )
        self.eps = check_number(eps, "eps", low=0, low_inclusive=False)
        self.weight_decay = check_number(weight_decay, "weight_decay", low=0)
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]

    def _update(self, i: int, param: np.ndarray, grad: np.ndarray) -> None:
        t = self.step_count
        if self.weight_decay != 0:
            if self.decoupled:  # AdamW: shrink the weights directly
                param *= 1 - self.lr * self.weight_decay
            else:  # Adam: L2 penalty enters the gradient (and the moments)
                grad = grad + self.weight_decay * param
        self.m[i] += (1 - self.beta1) * (grad - self.m[i])
        self.v[i] *= self.beta2
        self.v[i] += (1 - self.beta2) * grad * grad
        step_size = self.lr / (1 - self.beta1**t)
        denom = np.sqrt(self.v[i]) / np.sqrt(1 - self.beta2**t) + self.eps
        param -= step_size * self.m[i] / denom

    def state_arrays(self) -> list[np.ndarray]:
        return self.m + self.v


class AdamW(Adam):
    """Adam with decoupled weight decay: ``p ← p·(1 − lr·λ)`` before the Adam
    step — the same update as ``torch.optim.AdamW`` (default λ = 0.01).

    Introduced in 07_optimizers.
    """

    decoupled = True

    def __init__(
        self,
        params: Sequence[np.ndarray],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.01,
    ):
        super().__init__(params, lr, betas, eps, weight_decay)


#: Names accepted by ``make_optimizer`` (the panel's dropdown in 07_optimizers).
OPTIMIZER_NAMES = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")


def make_optimizer(name: str, params: Sequence[np.ndarray], lr: float, **kwargs):
    """Build an optimizer by name: "sgd", "momentum" (SGD, μ = 0.9 unless given),
    "nesterov", "adagrad", "rmsprop", "adam" or "adamw". Introduced in
    07_optimizers."""
    check_choice(name, "optimizer name", OPTIMIZER_NAMES)
    if name == "sgd":
        return SGD(params, lr, **kwargs)
    if name in ("momentum", "nesterov"):
        kwargs.setdefault("momentum", 0.9)
        return SGD(params, lr, nesterov=name == "nesterov", **kwargs)
    if name == "adagrad":
        return AdaGrad(params, lr, **kwargs)
    if name == "rmsprop":
        return RMSProp(params, lr, **kwargs)
    if name == "adam":
        return Adam(params, lr, **kwargs)
    return AdamW(params, lr, **kwargs)


def state_bytes_per_param(name: str, bytes_per_number: int = 4) -> int:
    """Bytes of optimizer state per parameter, measured by running one step of
    the optimizer on a small array and counting its state arrays.

    ``bytes_per_number`` is 4 for FP32 state, 8 for FP64. Introduced in
    07_optimizers (SGD 0, momentum 4, AdaGrad/RMSProp 4, Adam/AdamW 8 bytes in
    FP32).
    """
    check_choice(name, "optimizer name", OPTIMIZER_NAMES)
    dtypes = {4: np.float32, 8: np.float64}
    bytes_per_number = check_int(bytes_per_number, "bytes_per_number")
    if bytes_per_number not in dtypes:
        raise ValueError(f"bytes_per_number must be 4 or 8, got {bytes_per_number}")
    n = 1000
    param = np.zeros(n, dtype=dtypes[bytes_per_number])
    opt = make_optimizer(name, [param], lr=0.1)
    opt.step([np.ones(n, dtype=param.dtype)])
    return opt.state_bytes() // n


def trajectory(
    name: str,
    grad_fn: Callable[[np.ndarray], np.ndarray],
    start: Sequence[float],
    lr: float,
    steps: int,
    **kwargs,
) -> np.ndarray:
    """Run optimizer ``name`` on a function of a point, from ``start``, and return
    every visited point, shape (steps + 1, dim). Introduced in 07_optimizers.

    ``grad_fn(point)`` returns the gradient at ``point``. A run that diverges
    stops early once the point is no longer finite (the remaining rows repeat
    the last finite point), so a plot never receives NaN.
    """
    point = as_array(start, "start", ndim=1).copy()
    steps = check_int(steps, "steps", low=0, high=100_000)
    if not callable(grad_fn):
        raise TypeError("grad_fn must be a function of a point")
    opt = make_optimizer(name, [point], lr, **kwargs)
    path = np.empty((steps + 1, point.size))
    path[0] = point
    for k in range(1, steps + 1):
        grad = np.asarray(grad_fn(point), dtype=np.float64)
        if np.all(np.isfinite(grad)):
            opt.step([grad])
        if not np.all(np.isfinite(grad)) or not np.abs(point).max() < 1e6:
            path[k:] = path[k - 1]  # diverged: stop here
            break
        path[k] = point
    return path


@dataclass(frozen=True)
class Surface:
    """A two-parameter loss with its gradient and a good plotting window.

    Introduced in 07_optimizers."""

    loss: Callable[[np.ndarray, np.ndarray], np.ndarray]  # vectorised f(w1, w2)
    grad: Callable[[np.ndarray], np.ndarray]  # gradient at a point (w1, w2)
    start: tuple[float, float]  # where every optimizer starts
    minimum: tuple[float, float]  # the global minimum
    xlim: tuple[float, float]  # plotting window, w1
    ylim: tuple[float, float]  # plotting window, w2


def _banana_grad(p: np.ndarray) -> np.ndarray:
    return np.array(
        [-2 * (1 - p[0]) - 40.0 * p[0] * (p[1] - p[0] ** 2), 20.0 * (p[1] - p[0] ** 2)]
    )


#: The loss surfaces of 07_optimizers (and its optimizer panel).
SURFACES = {
    # a long narrow valley: curvature 0.2 along w1, 4 along w2
    "ravine": Surface(
        loss=lambda x, y: 0.1 * x**2 + 2.0 * y**2,
        grad=lambda p: np.array([0.2 * p[0], 4.0 * p[1]]),
        start=(-4.5, 1.5),
        minimum=(0.0, 0.0),
        xlim=(-5.0, 5.0),
        ylim=(-2.0, 2.0),
    ),
    # a curved banana-shaped valley (Rosenbrock with b = 10)
    "banana": Surface(
        loss=lambda x, y: (1 - x) ** 2 + 10.0 * (y - x**2) ** 2,
        grad=_banana_grad,
        start=(-1.5, 2.0),
        minimum=(1.0, 1.0),
        xlim=(-2.0, 2.0),
        ylim=(-1.0, 3.0),
    ),
}
