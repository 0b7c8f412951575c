"""The course's figures: shared machinery here, one module per topic beside it.

Figures are ``matplotlib.figure.Figure`` objects drawn with the Agg canvas and are
never registered with pyplot, so they do not pile up, and importing this package
changes no global matplotlib state. Plot text is English or math symbols
(COURSE.md §2), so no CJK font is needed. Introduced in 00_course_map.
"""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from helpers.validate import check_int, check_number

__all__ = ["COLORS", "figure_to_png", "new_figure", "show"]

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


def figure_to_png(fig: Figure) -> bytes:
    """Render ``fig`` to PNG bytes at its own dpi."""
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi)
    return buffer.getvalue()


def show(fig: Figure) -> None:
    """Display ``fig`` as a PNG image in the notebook (works with any backend)."""
    from IPython.display import Image, display

    display(Image(data=figure_to_png(fig), format="png"))
