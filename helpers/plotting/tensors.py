"""Figures of 04_tensors_and_gpu: tensors as grids of numbers, the matmul wiring
picture, measured GFLOP/s and model memory."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch

from helpers.plotting import COLORS, new_figure
from helpers.validate import as_array, check_int

__all__ = [
    "draw_tensor",
    "plot_gflops",
    "plot_matmul_wiring",
    "plot_model_memory",
    "tensor_blocks",
]

_GAP = np.nan  # cells between blocks are left blank


def tensor_blocks(t) -> np.ndarray:
    """Lay a tensor of any rank out as a 2-D image: its last two dimensions form a
    block, and the blocks of the leading dimensions sit side by side (separated by
    a blank column). Introduced in 04_tensors_and_gpu."""
    arr = as_array(t, "tensor", allow_empty=False)
    if arr.ndim == 0:
        arr = arr.reshape(1, 1, 1)
    elif arr.ndim == 1:
        arr = arr.reshape(1, 1, -1)
    elif arr.ndim == 2:
        arr = arr[None]
    else:
        arr = arr.reshape(-1, arr.shape[-2], arr.shape[-1])
    n_block, rows, cols = arr.shape
    image = np.full((rows, n_block * (cols + 1) - 1), _GAP)
    for i in range(n_block):
        image[:, i * (cols + 1) : i * (cols + 1) + cols] = arr[i]
    return image


def draw_tensor(ax, t, *, title: str = "", vmin=None, vmax=None) -> None:
    """Draw tensor ``t`` as coloured cells with its values written in them.

    Introduced in 04_tensors_and_gpu (the shape explorer redraws with it).
    """
    values = t.detach().cpu() if isinstance(t, torch.Tensor) else t
    image = tensor_blocks(values)
    ax.clear()
    ax.imshow(image, cmap="Blues", vmin=vmin, vmax=vmax, aspect="equal")
    integral = np.allclose(image[~np.isnan(image)], np.round(image[~np.isnan(image)]))
    rows, cols = image.shape
    small = rows * cols > 40
    top = np.nanmax(image) if vmax is None else vmax
    for (r, c), v in np.ndenumerate(image):
        if np.isnan(v):
            continue
        text = f"{v:.0f}" if integral else f"{v:.2f}"
        colour = "white" if v > 0.6 * top else "black"
        ax.text(
            c,
            r,
            text,
            ha="center",
            va="center",
            color=colour,
            fontsize=6 if small else 8,
        )
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ax.spines.values():
        side.set_visible(False)
    ax.set_title(title, fontsize=9)


def plot_matmul_wiring(weight, highlight_input: int = 0):
    """The 3-inputs-4-outputs picture: a layer drawn as a network (left) and as
    the weight matrix W of y = x @ W (right). The edges leaving input
    ``highlight_input`` and the row of W that holds them are coloured.

    Introduced in 04_tensors_and_gpu.
    """
    w = as_array(weight, "weight", ndim=2)
    n_in, n_out = w.shape
    highlight_input = check_int(
        highlight_input, "highlight_input", low=0, high=n_in - 1
    )
    fig, (left, right) = new_figure((8.0, 3.4), ncols=2)
    y_in = np.linspace(0.8, 0.2, n_in)
    y_out = np.linspace(0.9, 0.1, n_out)
    for i in range(n_in):
        for j in range(n_out):
            hot = i == highlight_input
            left.plot(
                [0.15, 0.85],
                [y_in[i], y_out[j]],
                color=COLORS[1] if hot else "0.8",
                lw=2 if hot else 1,
                zorder=1,
            )
            if hot:
                x_mid, y_mid = 0.15 + 0.55 * 0.7, y_in[i] + 0.55 * (y_out[j] - y_in[i])
                left.text(
                    x_mid,
                    y_mid,
                    f"$w_{{{i + 1}{j + 1}}}$",
                    fontsize=8,
                    color=COLORS[1],
                    ha="center",
                    bbox={"fc": "white", "ec": "none", "pad": 0.5},
                )
    left.scatter([0.15] * n_in, y_in, s=500, color=COLORS[0], zorder=2)
    left.scatter([0.85] * n_out, y_out, s=500, color=COLORS[2], zorder=2)
    for i in range(n_in):
        left.text(
            0.15, y_in[i], f"$x_{i + 1}$", ha="center", va="center", color="white"
        )
    for j in range(n_out):
        left.text(
            0.85, y_out[j], f"$y_{j + 1}$", ha="center", va="center", color="white"
        )
    left.set_xlim(0, 1)
    left.set_ylim(0, 1)
    left.axis("off")
    left.set_title(f"{n_in} inputs -> {n_out} outputs", fontsize=9)
    colours = np.where(np.arange(n_in)[:, None] == highlight_input, 1.0, 0.0)
    colours = np.broadcast_to(colours, w.shape)
    right.imshow(colours, cmap="Oranges", vmin=0, vmax=2)
    for (i, j), v in np.ndenumerate(w):
        right.text(
            j,
            i,
            f"$w_{{{i + 1}{j + 1}}}$\n{v:.1f}",
            ha="center",
            va="center",
            fontsize=8,
        )
    right.set_xticks(range(n_out), [f"to $y_{j + 1}$" for j in range(n_out)])
    right.set_yticks(range(n_in), [f"from $x_{i + 1}$" for i in range(n_in)])
    right.tick_params(labelsize=8, length=0)
    right.set_title(f"W: shape [{n_in}, {n_out}]  (y = x @ W)", fontsize=9)
    return fig


def plot_gflops(timings: Mapping[str, Sequence]):
    """Measured GFLOP/s against matrix size, one line per device.

    ``timings`` maps a device name to a list of ``MatmulTiming``.
    Introduced in 04_tensors_and_gpu.
    """
    if not isinstance(timings, Mapping) or not timings:
        raise ValueError("timings must be a non-empty mapping device -> timings")
    fig, ax = new_figure((6.0, 3.2))
    for colour, (device, rows) in zip(COLORS, timings.items(), strict=False):
        if not rows:
            raise ValueError(f"no timings for device {device!r}")
        sizes = [r.m for r in rows]
        ax.plot(sizes, [r.gflops for r in rows], "o-", color=colour, label=device)
    ax.set_xscale("log", base=2)
    sizes = sorted({r.m for rows in timings.values() for r in rows})
    ax.set_xticks(sizes, [str(s) for s in sizes])
    ax.minorticks_off()
    ax.set_xlabel("matrix size n  (n x n @ n x n)")
    ax.set_ylabel("GFLOP/s")
    ax.set_title("Measured matmul speed")
    ax.grid(alpha=0.3)
    ax.legend()
    return fig


def plot_model_memory(table: Mapping[str, Mapping[str, float]]):
    """Grouped bars: weights memory (GB) of each model in each number format.

    ``table`` maps a model name ("7B") to {format: GB}. Introduced in
    04_tensors_and_gpu.
    """
    if not isinstance(table, Mapping) or not table:
        raise ValueError("table must be a non-empty mapping model -> {format: GB}")
    models = list(table)
    formats = list(next(iter(table.values())))
    fig, ax = new_figure((6.0, 3.2))
    width = 0.8 / len(formats)
    for f_index, fmt in enumerate(formats):
        xs = np.arange(len(models)) + (f_index - (len(formats) - 1) / 2) * width
        heights = [table[m][fmt] for m in models]
        bars = ax.bar(xs, heights, width, label=fmt.upper(), color=COLORS[f_index])
        ax.bar_label(bars, fmt="%.1f", fontsize=7)
    ax.set_xticks(np.arange(len(models)), models)
    ax.set_ylabel("weights memory (GB)")
    ax.set_title("Memory for the weights alone")
    ax.legend(fontsize=8)
    return fig
