"""Panels of 04_tensors_and_gpu: the shape explorer and the matmul timer."""

from __future__ import annotations

import ipywidgets as widgets
import torch

from helpers.plotting import COLORS, nice_ceiling
from helpers.plotting.tensors import draw_tensor
from helpers.runtime import get_device
from helpers.tensors import (
    SHAPE_OPS,
    describe_result,
    matmul_flops,
    time_matmul,
)
from helpers.widgets import BenchCase, Panel

__all__ = [
    "MatmulTimerPanel",
    "ShapeExplorerPanel",
    "bench_cases",
]


class ShapeExplorerPanel(Panel):
    """Pick an operation on a [2, 3, 4] tensor; see the result and its shape.

    Introduced in 04_tensors_and_gpu.
    """

    def __init__(self, op: str = "x.transpose(1, 2)"):
        super().__init__(
            figsize=(7.0, 3.0), ncols=2, gridspec_kw={"width_ratios": [1, 1.3]}
        )
        self.controls["op"] = widgets.Dropdown(
            options=list(SHAPE_OPS), value=op, description="op"
        )
        self.x = torch.arange(24).view(2, 3, 4)
        draw_tensor(self.ax[0], self.x, title="x: shape [2, 3, 4]", vmin=0, vmax=40)
        self._finish()
        self.fig.set_layout_engine("none")  # keep the first layout: faster redraws

    def update(self) -> None:
        name = self.controls["op"].value
        info = describe_result(name)
        shape = info["shape"]
        top = max(40.0, float(info["result"].max()))  # same colours as x when small
        draw_tensor(
            self.ax[1], info["result"], title=f"{name}: shape {shape}", vmin=0, vmax=top
        )
        memory = (
            "a view of x (same memory)" if info["shares_memory"] else "a new tensor"
        )
        self.set_readout(
            f"{name}  ->  shape {shape}, {len(shape)} dim(s), "
            f"{info['result'].numel()} elements\n"
            f"result is {memory}; contiguous: {info['contiguous']}"
        )


class MatmulTimerPanel(Panel):
    """A matrix-size slider: time an n x n @ n x n product and plot GFLOP/s.

    A move measures sizes up to 512 at once (a few tens of milliseconds, once per
    size and device, then kept); the button "measure sizes 32 … 2048" times the
    large sizes too, where the curve bends (a second or two: an action, not a
    slider move). Introduced in 04_tensors_and_gpu.
    """

    single_threaded_blas = False  # it measures this machine's matmul speed

    #: Largest size measured on a slider move (bigger ones wait for the button).
    MOVE_LIMIT = 512
    #: Sizes the button measures.
    SWEEP = (32, 64, 128, 256, 512, 768, 1024, 1536, 2048)

    def __init__(self, n: int = 128):
        super().__init__(figsize=(6.0, 3.0))
        self.controls["n"] = widgets.IntSlider(
            value=n,
            min=32,
            max=2048,
            step=32,
            description="n",
            continuous_update=False,
        )
        accelerator = get_device()  # CUDA, then MPS, honouring COURSE_DEVICE
        devices = ["cpu"] + ([accelerator.type] if accelerator.type != "cpu" else [])
        self.controls["device"] = widgets.Dropdown(
            options=devices, value="cpu", description="device"
        )
        self.controls["sweep"] = widgets.Button(description="measure sizes 32 … 2048")
        self.controls["sweep"].on_click(lambda _: self.measure_sweep())
        self.history: dict[str, dict[int, float]] = {d: {} for d in devices}
        self._seconds: dict[tuple[str, int], tuple[float, int]] = {}
        self.lines = {
            d: self.ax.plot([], [], "o-", color=c, alpha=0.6, ms=4, label=d)[0]
            for d, c in zip(devices, COLORS, strict=False)
        }
        (self.current,) = self.ax.plot([], [], "*", ms=14, color=COLORS[1])
        self.ax.set_xscale("log", base=2)
        self.ax.set_xlim(24, 2800)
        ticks = [32, 64, 128, 256, 512, 1024, 2048]
        self.ax.set_xticks(ticks, [str(t) for t in ticks])
        self.ax.set_xlabel("n  (n x n @ n x n)")
        self.ax.set_ylabel("GFLOP/s (measured)")
        self.ax.grid(alpha=0.3)
        self.ax.legend(loc="upper left", fontsize=8)
        self.moving = [*self.lines.values(), self.current, self.ax.title,
                       self.ax.get_legend()]  # fmt: skip
        self._finish()
        self.fig.set_layout_engine("none")  # keep the first layout: faster redraws

    def _measure(self, n: int, device: str) -> None:
        repeats = 5 if n <= 128 else 2 if n <= 256 else 1
        timing = time_matmul(n, device=device, repeats=repeats, warmup=1)
        self.history[device][n] = timing.gflops
        self._seconds[(device, n)] = (timing.seconds, repeats)

    def measure_sweep(self) -> None:
        """Measure every size of ``SWEEP`` (and the chosen one) on the chosen device."""
        device = self.controls["device"].value
        for n in sorted({*self.SWEEP, self.controls["n"].value}):
            self._measure(n, device)
        self.refresh()

    def update(self) -> None:
        n = self.controls["n"].value
        device = self.controls["device"].value
        if n not in self.history[device] and n <= self.MOVE_LIMIT:
            self._measure(n, device)
        for name, line in self.lines.items():
            sizes = sorted(self.history[name])
            line.set_data(sizes, [self.history[name][s] for s in sizes])
        top = max(max(h.values(), default=0.0) for h in self.history.values())
        self.ax.set_ylim(0, nice_ceiling(1.15 * top) if top > 0 else 1.0)
        flops = matmul_flops(n, n, n)
        work = (
            f"n = {n}: 2 x n^3 = {flops:,} FLOP, {n * n:,} independent dot "
            f"products of length {n}\n"
        )
        if n not in self.history[device]:
            self.current.set_data([], [])
            self.ax.set_title(f"n = {n} on {device}: not measured yet")
            self.set_readout(
                work + f"not measured yet: sizes above {self.MOVE_LIMIT} take too "
                "long for a slider move; press 'measure sizes 32 … 2048' (a second "
                "or two)"
            )
            return
        gflops = self.history[device][n]
        seconds, repeats = self._seconds[(device, n)]
        self.current.set_data([n], [gflops])
        self.ax.set_title(f"n = {n} on {device}: {gflops:.1f} GFLOP/s")
        self.set_readout(
            work + f"best time {seconds * 1e3:.3f} ms -> {gflops:.1f} GFLOP/s"
            f" on {device} ({repeats} run(s) after 1 warm-up; measured once per "
            "size, the button measures again)"
        )

    def site_grid(self) -> dict[str, list]:
        """Sizes a move measures (timed on the machine that builds the site)."""
        return {"n": [32, 64, 128, 256, 512], "device": ["cpu"]}

    @property
    def measured(self) -> dict[str, dict[int, float]]:
        """Every measurement so far: device -> {n: GFLOP/s}."""
        return {d: dict(h) for d, h in self.history.items()}


def bench_cases() -> list[BenchCase]:
    return [
        BenchCase(
            "04_tensors_and_gpu: ShapeExplorerPanel",
            ShapeExplorerPanel,
            {"op": ["x.permute(2, 0, 1)", "x[..., -1]", "x.mean(dim=1, keepdim=True)"]},
        ),
        BenchCase(
            "04_tensors_and_gpu: MatmulTimerPanel",
            MatmulTimerPanel,
            {"n": [64, 256, 512, 96], "sweep": [None]},
        ),
    ]
