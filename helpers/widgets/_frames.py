"""Draw a panel's figure quickly: a cached background, moving artists on top of it,
and a redraw of only the axes that really changed.

A panel declares the artists that change on (almost) every move (``Panel.moving``).
They are marked *animated*, so a normal draw leaves them out: that draw is the
*background*, kept as a copy of the pixel buffer. A frame is then the background
restored plus the moving artists drawn over it (matplotlib's blitting).

After ``update()`` the renderer decides what must be drawn again by reading
matplotlib's ``stale`` flags, which every setter raises and which do not propagate
from animated artists:

- nothing static changed → restore the background, draw the moving artists;
- some axes changed (new limits, a new title, an added or removed artist) and the
  figure's layout is fixed → erase and redraw only those axes, each inside its own
  *cell* (the part of the figure closer to it than to any other axes);
- anything else (figure-level artists, a new axes, a layout engine) → full draw.

Setting an axis limit to the value it already has raises ``stale`` too, so an axis
counts as changed only when its limits, scale, locators, formatters or label text
differ from the last draw. Introduced in 01_neuron.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.layout_engine import PlaceHolderLayoutEngine
from matplotlib.text import Text

__all__ = ["FrameRenderer"]

_PAD = 1  # pixels kept between neighbouring cells


def _layout_fixed(fig: Figure) -> bool:
    """True when no layout engine moves the axes between draws."""
    engine = fig.get_layout_engine()
    return engine is None or isinstance(engine, PlaceHolderLayoutEngine)


def _axis_signature(axis: Axis) -> tuple:
    """What decides how an axis (ticks, tick labels, label) is drawn."""
    return (
        tuple(float(v) for v in axis.get_view_interval()),
        axis.get_scale(),
        id(axis.major.locator),
        id(axis.major.formatter),
        id(axis.minor.locator),
        id(axis.minor.formatter),
        axis.label.get_text(),
        axis.get_visible(),
    )


@dataclass
class _AxesRecord:
    """One axes as it was at its last draw."""

    children: tuple[int, ...]  # ids of its artists
    position: tuple[float, ...]  # its box in figure coordinates
    axis_signatures: dict[int, tuple]  # id(XAxis/YAxis) -> _axis_signature
    visible: dict[int, bool] = field(default_factory=dict)  # id(artist) -> visible
    texts: dict[int, str] = field(default_factory=dict)  # id(Text) -> its text


class FrameRenderer:
    """Render ``fig`` into its Agg buffer, redrawing as little as possible.

    ``render()`` returns the (H, W, 4) uint8 RGBA pixels (a view of the canvas
    buffer, valid until the next draw) and sets ``last_mode`` to "full",
    "partial" or "blit". ``render(full=True)`` forces a full draw.
    """

    def __init__(self, fig: Figure):
        if not isinstance(fig, Figure):
            raise TypeError(
                f"fig must be a matplotlib Figure, got {type(fig).__name__}"
            )
        self.fig = fig
        self.moving: list = []
        self.last_mode = "full"
        self._background: np.ndarray | None = None
        self._blank: np.ndarray | None = None
        self._records: dict[int, _AxesRecord] = {}
        self._figure_children: tuple[int, ...] = ()
        self._cells: dict[int, tuple[int, int, int, int] | None] | None = None
        self._shape: tuple[int, int] | None = None

    # --- public ------------------------------------------------------------
    def set_moving(self, artists) -> None:
        """Declare the artists redrawn on every frame (they become animated)."""
        for artist in self.moving:
            artist.set_animated(False)
        moving = [a for a in artists if a is not None]
        # spines are drawn over the data (zorder 2.5): an axes with moving artists
        # redraws its spines over them too, as a full draw would
        for ax in {id(a.axes): a.axes for a in moving if a.axes is not None}.values():
            if ax.axison and ax.get_frame_on():
                moving.extend(s for s in ax.spines.values() if s not in moving)
        self.moving = moving
        for artist in self.moving:
            artist.set_animated(True)
        self._background = None  # the background must now leave them out

    def layout_frozen(self) -> None:
        """Call after fixing the layout: the axes' cells can now be measured."""
        if self._background is not None and _layout_fixed(self.fig):
            self._cells = self._compute_cells()

    def reset(self) -> None:
        """Forget the cached background (the next frame is a full draw)."""
        self._background = None
        self._cells = None

    def render(self, *, full: bool = False) -> np.ndarray:
        """Draw the figure's current state; returns the canvas' RGBA pixels."""
        canvas = self.fig.canvas
        renderer = canvas.get_renderer()
        shape = (int(renderer.height), int(renderer.width))
        if full or self._background is None or shape != self._shape:
            return self._full()
        if self._figure_changed():
            return self._full()
        dirty = [ax for ax in self.fig.axes if self._axes_changed(ax)]
        if not dirty:
            self.last_mode = "blit"
            buffer = self._buffer()
            np.copyto(buffer, self._background)
            self._draw_moving()
            return buffer
        if not self._partial(dirty):
            return self._full()
        return self._buffer()

    # --- drawing -----------------------------------------------------------
    def _buffer(self) -> np.ndarray:
        return np.asarray(self.fig.canvas.buffer_rgba())

    def _full(self) -> np.ndarray:
        fig, canvas = self.fig, self.fig.canvas
        canvas.draw()  # animated (moving) artists are left out
        buffer = self._buffer()
        self._shape = buffer.shape[:2]
        self._background = buffer.copy()
        self._remember_figure()
        for ax in fig.axes:
            self._remember(ax)
        if not _layout_fixed(fig):
            self._cells = None  # the layout engine may still move the axes
        elif self._cells is None or set(self._cells) != set(map(id, fig.axes)):
            self._cells = self._compute_cells()
        self._draw_moving()
        self.last_mode = "full"
        return buffer

    def _partial(self, dirty) -> bool:
        """Erase and redraw the ``dirty`` axes only; False if that is unsafe."""
        if not _layout_fixed(self.fig) or not self._cells:
            return False
        if len(dirty) == len(self.fig.axes):
            return False  # everything changed: a full draw is as cheap
        cells = [self._cells.get(id(ax)) for ax in dirty]
        if any(cell is None for cell in cells):
            return False
        renderer = self.fig.canvas.get_renderer()
        buffer = self._buffer()
        np.copyto(buffer, self._background)
        for x0, y0, x1, y1 in cells:  # rows count from the top of the image
            buffer[y0:y1, x0:x1] = self._blank[y0:y1, x0:x1]
        for ax in sorted(dirty, key=lambda a: a.get_zorder()):
            ax.apply_aspect()
            ax.draw(renderer)
            self._remember(ax)
        self._background = buffer.copy()
        self.fig.stale = False
        self._draw_moving()
        self.last_mode = "partial"
        return True

    def _draw_moving(self) -> None:
        if not self.moving:
            return
        renderer = self.fig.canvas.get_renderer()
        order = {id(ax): i for i, ax in enumerate(self.fig.axes)}
        artists = sorted(
            (a for a in self.moving if a.get_visible()),
            key=lambda a: (order.get(id(a.axes), -1), a.get_zorder()),
        )
        for artist in artists:
            artist.draw(renderer)

    # --- what changed ----------------------------------------------------------
    def _remember(self, ax) -> None:
        children = ax.get_children()
        for child in children:
            child.stale = False  # a draw leaves some (e.g. empty texts) stale
        ax.stale = False
        self._records[id(ax)] = _AxesRecord(
            children=tuple(id(c) for c in children),
            position=tuple(ax.get_position().bounds),
            axis_signatures={id(a): _axis_signature(a) for a in ax._axis_map.values()},
            visible={id(c): c.get_visible() for c in children},
            texts={id(c): c.get_text() for c in children if isinstance(c, Text)},
        )

    def _remember_figure(self) -> None:
        fig = self.fig
        children = [c for c in fig.get_children() if c not in fig.axes]
        for child in children:
            child.stale = False
        fig.stale = False
        self._figure_children = tuple(id(c) for c in fig.get_children())

    def _figure_changed(self) -> bool:
        fig = self.fig
        children = fig.get_children()
        if tuple(id(c) for c in children) != self._figure_children:
            return True  # an axes or a figure-level artist came or went
        axes = set(map(id, fig.axes))
        return any(
            c.stale and not c.get_animated() for c in children if id(c) not in axes
        )

    def _axes_changed(self, ax) -> bool:
        if not ax.stale:
            return False
        record = self._records.get(id(ax))
        if record is None:
            return True
        children = ax.get_children()
        if tuple(id(c) for c in children) != record.children:
            return True  # an artist was added or removed
        if tuple(ax.get_position().bounds) != record.position:
            return True
        explained = []
        for child in children:
            if not child.stale or child.get_animated():
                continue
            if isinstance(child, Axis):
                if _axis_signature(child) != record.axis_signatures.get(id(child)):
                    return True
            elif isinstance(child, Text) and child.get_text() == "":
                if record.texts.get(id(child), "") != "":
                    return True  # a text was cleared
                # e.g. the empty left/right titles, touched by every set_title()
            elif child.get_visible() or record.visible.get(id(child), True):
                return True  # a drawn artist changed (or became visible / hidden)
            explained.append(child)
        for child in explained:  # limits set to the same values, hidden artists
            child.stale = False
        ax.stale = False
        return False

    # --- cells ---------------------------------------------------------------
    def _compute_cells(self) -> dict[int, tuple[int, int, int, int] | None]:
        """Each axes' cell in buffer pixels (x0, row0, x1, row1), or None."""
        fig = self.fig
        figure_level = [c for c in fig.get_children() if c is not fig.patch]
        if len(fig.axes) < 2 or any(c not in fig.axes for c in figure_level):
            # one axes: nothing to spare; a suptitle or figure legend could sit
            # inside a cell: only full draws are safe
            return {id(ax): None for ax in fig.axes}
        renderer = fig.canvas.get_renderer()
        height, width = self._shape
        boxes = {id(ax): ax.get_tightbbox(renderer).extents for ax in fig.axes}
        cells: dict[int, tuple[int, int, int, int] | None] = {}
        for ax in fig.axes:
            a = boxes[id(ax)]
            x0, y0, x1, y1 = 0.0, 0.0, float(width), float(height)
            for other in fig.axes:
                if other is ax:
                    continue
                b = boxes[id(other)]
                if a[2] <= b[0]:  # other is to the right
                    x1 = min(x1, (a[2] + b[0]) / 2)
                elif b[2] <= a[0]:  # to the left
                    x0 = max(x0, (b[2] + a[0]) / 2)
                elif a[3] <= b[1]:  # above
                    y1 = min(y1, (a[3] + b[1]) / 2)
                elif b[3] <= a[1]:  # below
                    y0 = max(y0, (b[3] + a[1]) / 2)
                else:  # the two overlap: only full draws are safe
                    x0 = x1 = 0.0
                    break
            if x1 - x0 < 2 * _PAD or y1 - y0 < 2 * _PAD:
                cells[id(ax)] = None
                continue
            # display y grows upwards; buffer rows grow downwards
            cells[id(ax)] = (
                int(round(x0)) + _PAD,
                height - int(round(y1)) + _PAD,
                int(round(x1)) - _PAD,
                height - int(round(y0)) - _PAD,
            )
        self._blank = self._blank_pixels()
        return cells

    def _blank_pixels(self) -> np.ndarray:
        """The figure with nothing on it but its background patch."""
        fig = self.fig
        renderer = fig.canvas.get_renderer()
        buffer = self._buffer()
        saved = buffer.copy()
        renderer.clear()
        fig.patch.draw(renderer)
        blank = buffer.copy()
        np.copyto(buffer, saved)
        return blank
