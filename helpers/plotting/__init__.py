"""The course's figures: shared machinery here, one module per topic beside it.

Figures are ``matplotlib.figure.Figure`` objects drawn with the Agg canvas and are
never registered with pyplot, so they do not pile up, and importing this package
changes no global matplotlib state. Plot text is English or math symbols
(COURSE.md §2), so no CJK font is needed. Introduced in 00_course_map.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from helpers.validate import check_int, check_number

__all__ = [
    "COLORS",
    "decode_png",
    "encode_png",
    "figure_to_png",
    "new_figure",
    "nice_ceiling",
    "show",
]

#: A colour-blind friendly palette (Okabe–Ito) used across the course.
COLORS = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # green
    "#CC79A7",  # purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)

_MAX_DPI = 100


def new_figure(
    figsize: tuple[float, float] = (6.0, 3.5),
    *,
    dpi: int = 80,
    nrows: int = 1,
    ncols: int = 1,
    **subplot_kw,
):
    """Create a figure with an Agg canvas and its axes: ``fig, ax = new_figure()``.

    ``nrows``/``ncols`` > 1 return an array of axes, as ``plt.subplots`` does.
    """
    if len(figsize) != 2:
        raise ValueError(f"figsize must be (width, height) in inches, got {figsize!r}")
    width = check_number(figsize[0], "figure width", low=0.5, high=30)
    height = check_number(figsize[1], "figure height", low=0.5, high=30)
    dpi = check_int(dpi, "dpi", low=20, high=_MAX_DPI)
    nrows = check_int(nrows, "nrows", low=1, high=10)
    ncols = check_int(ncols, "ncols", low=1, high=10)
    fig = Figure(figsize=(width, height), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, **subplot_kw)
    return fig, axes


def figure_to_png(fig: Figure, *, compress_level: int = 6) -> bytes:
    """Render ``fig`` to PNG bytes at its own dpi (one full draw, every artist,
    animated ones included). ``compress_level`` 0–9: 1 is fast, 9 is small."""
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    compress_level = check_int(compress_level, "compress_level", low=0, high=9)
    buffer = io.BytesIO()
    fig.savefig(
        buffer,
        format="png",
        dpi=fig.dpi,
        pil_kwargs={"compress_level": compress_level},
    )
    return buffer.getvalue()


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 5 × 10^k that is >= ``value`` (> 0): an axis limit
    that stays put while the data moves a little, so a panel's axes need not be
    redrawn on every move. Introduced in 02_leaf_flower."""
    value = check_number(value, "value", low=0, low_inclusive=False)
    exponent = np.floor(np.log10(value))
    for mantissa in (1.0, 2.0, 5.0, 10.0):
        limit = float(mantissa * 10.0**exponent)
        if limit >= value * (1 - 1e-12):
            return limit
    return float(10.0 ** (exponent + 1))


def encode_png(rgba: np.ndarray, *, compress_level: int = 1) -> bytes:
    """PNG bytes of an (H, W, 4) uint8 RGBA image, e.g. a canvas' buffer_rgba().

    Level 1 encodes a panel frame in a few milliseconds (the browser decodes
    any level); 9 gives the smallest file, for saved notebooks and the static
    site. Introduced in 01_neuron.
    """
    rgba = np.asarray(rgba)
    if rgba.ndim != 3 or rgba.shape[2] != 4 or rgba.dtype != np.uint8:
        raise ValueError(
            f"rgba must be an (H, W, 4) uint8 array, got {rgba.shape} {rgba.dtype}"
        )
    compress_level = check_int(compress_level, "compress_level", low=0, high=9)
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgba), "RGBA").save(
        buffer, format="png", compress_level=compress_level
    )
    return buffer.getvalue()


def decode_png(data: bytes) -> np.ndarray:
    """The (H, W, 4) uint8 RGBA pixels of PNG ``data`` (the inverse of
    ``encode_png``). Introduced in 01_neuron."""
    if isinstance(data, memoryview):  # e.g. an ipywidgets.Image's value
        data = data.tobytes()
    if not isinstance(data, bytes | bytearray) or not data.startswith(b"\x89PNG"):
        raise ValueError("data must be the bytes of a PNG image")
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGBA"))


def show(fig: Figure) -> None:
    """Display ``fig`` as a PNG image in the notebook (works with any backend)."""
    from IPython.display import Image, display

    display(Image(data=figure_to_png(fig), format="png"))
