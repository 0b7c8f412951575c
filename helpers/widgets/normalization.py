"""Panel of 08_normalization: depth, initialisation and a norm / residual choice
→ the spread of activations and the norm of the gradient flowing back, layer by
layer.

The experiment itself is ``helpers.scratch.norms.signal_stats`` (tested against
torch); the panel only calls it and moves its lines. Introduced in
08_normalization.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib.ticker import LogLocator, MaxNLocator, NullLocator

from helpers.plotting import COLORS
from helpers.scratch.norms import INIT_SCHEMES, NORM_NAMES, signal_stats
from helpers.widgets import BenchCase, Panel

__all__ = ["SignalPanel", "bench_cases", "finite_for_log"]

_LOW, _HIGH = 1e-12, 1e12


def _snap_depth(depth: int) -> int:
    """The x-axis end for ``depth`` layers: the next multiple of 10."""
    return 10 * -(-depth // 10)


def finite_for_log(values) -> np.ndarray:
    """Values ready for a log axis: overflowed (inf), zero or negative values
    become NaN (not drawn). Introduced in 08_normalization."""
    values = np.asarray(values, dtype=np.float64)
    return np.where(np.isfinite(values) & (values > 0), values, np.nan)


class SignalPanel(Panel):
    """Depth, activation, initialisation (scheme × scale), normalisation and
    residual toggle → per-layer activation std (left) and the norm of the
    gradient dL/dh reaching each layer's input (right).

    Introduced in 08_normalization.
    """

    def __init__(self, depth: int = 30, norm: str = "none", residual: bool = False):
        super().__init__(figsize=(8.0, 3.2), ncols=2)
        # a fixed layout and few ticks keep each redraw fast (see 08 panel timing)
        self.fig.set_layout_engine(None)
        self.fig.subplots_adjust(left=0.08, right=0.98, bottom=0.15, top=0.9,
                                 wspace=0.25)  # fmt: skip
        c = self.controls
        c["depth"] = widgets.IntSlider(value=depth, min=2, max=60, description="depth")
        c["activation"] = widgets.Dropdown(
            options=["relu", "tanh"], value="relu", description="activation"
        )
        c["init"] = widgets.Dropdown(
            options=INIT_SCHEMES, value="he", description="init"
        )
        c["scale"] = widgets.FloatLogSlider(
            value=1.0, base=10, min=-1, max=0.7, step=0.05, description="init scale",
            readout_format=".2f",
        )  # fmt: skip
        c["norm"] = widgets.Dropdown(options=NORM_NAMES, value=norm, description="norm")
        c["residual"] = widgets.Checkbox(value=residual, description="residual")
        left, right = self.ax
        (self.std_line,) = left.plot([], [], "o-", ms=2.5, color=COLORS[0])
        (self.grad_line,) = right.plot([], [], "o-", ms=2.5, color=COLORS[1])
        for ax, label in ((left, "std of activations $h_l$"),
                          (right, "gradient reaching layer l: $|dL/dh|$")):  # fmt: skip
            ax.set_yscale("log")
            ax.yaxis.set_major_locator(LogLocator(numticks=7))
            ax.yaxis.set_minor_locator(NullLocator())
            ax.xaxis.set_major_locator(MaxNLocator(6, integer=True))
            ax.set_xlabel("layer l")
            ax.set_title(label, fontsize=10)
            ax.axhline(1.0, color="0.6", lw=0.8, ls=":")
            ax.grid(alpha=0.3, which="major")
        self.moving = [self.std_line, self.grad_line]
        self._finish()

    def site_grid(self) -> dict[str, list]:
        """The story of 08: depth, a bad init scale, and each norm with and
        without the residual path (relu, He init)."""
        c = self.controls
        return {
            "depth": sorted({10, 30, 60, c["depth"].value}),
            "scale": sorted({0.5, 1.0, 2.0, c["scale"].value}),
            "norm": list(c["norm"].options),
            "residual": [c["residual"].value, not c["residual"].value],
        }

    def update(self) -> None:
        c = self.controls
        depth = c["depth"].value
        stats = signal_stats(
            depth,
            activation=c["activation"].value,
            init=c["init"].value,
            scale=c["scale"].value,
            norm=c["norm"].value,
            residual=c["residual"].value,
        )
        layers = np.arange(1, depth + 1)
        stds = finite_for_log(stats["activation_std"])
        grads = finite_for_log(stats["input_grad_norm"])
        self.std_line.set_data(layers, stds)
        self.grad_line.set_data(layers, grads)
        for ax, values in zip(self.ax, (stds, grads), strict=True):
            ax.set_xlim(0.5, _snap_depth(depth) + 0.5)  # steps of 10: fewer redraws
            shown = values[np.isfinite(values)]
            if shown.size:
                # whole decades: small moves keep the axes (and a fast redraw)
                low = max(_LOW, 10.0 ** np.floor(np.log10(shown.min() / 2)))
                high = min(_HIGH, 10.0 ** np.ceil(np.log10(shown.max() * 2)))
                ax.set_ylim(min(low, 0.1), max(high, 10.0))
        std, grad = stats["activation_std"], stats["input_grad_norm"]
        if not np.isfinite(std[-1]):
            first = int(np.argmax(~np.isfinite(std))) + 1
            text = f"overflow: activations blew up at layer {first}"
        else:
            ratio = grad[0] / grad[-1] if grad[-1] > 0 else np.inf
            text = (
                f"std(h_1) = {std[0]:.3g}, std(h_{depth}) = {std[-1]:.3g};  "
                f"gradient at layer 1 / at layer {depth} = {ratio:.3g}"
            )
        text += (
            f"\nactivation std: layer 1 = {std[0]:.3g}, layer {depth} = {std[-1]:.3g}"
            f"\ngradient norm |dL/dh|: layer 1 = {grad[0]:.3g}, "
            f"layer {depth} = {grad[-1]:.3g}"
        )
        self.set_readout(text)


def bench_cases() -> list[BenchCase]:
    return [
        BenchCase(
            "08_normalization: SignalPanel",
            SignalPanel,
            {
                "depth": [10, 60, 30],
                "scale": [0.5, 2.0, 1.0],
                "norm": ["layernorm", "rmsnorm", "batchnorm", "none"],
                "residual": [True, False],
                "activation": ["tanh", "relu"],
                "init": ["xavier", "he"],
            },
        )
    ]
