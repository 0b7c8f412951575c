"""Interactive panels: the shared ``Panel`` base here, one module per notebook.

A panel holds its controls (ipywidgets), a matplotlib ``Figure`` drawn with Agg,
and an ``update()`` method that recomputes and redraws. The figure reaches the
screen as a PNG in an ``ipywidgets.Image``: no matplotlib backend or magic is
needed, updates do not flicker, and the same code runs in JupyterLab, under nbval
and in tests. When shown in a static viewer (GitHub, nbviewer), a panel falls back
to a PNG of its current state.

Errors raised while updating (for example a learner typing an unknown character)
are shown in the panel's status line; they never break the widget.

Every panel module also defines ``bench_cases()`` returning ``BenchCase`` objects,
which ``bench/widget_latency.py`` and ``tests/test_widgets_all.py`` use to move
each control and time / check the update. Introduced in 01_neuron.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import html
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as widgets

from helpers.plotting import figure_to_png, new_figure

__all__ = ["BenchCase", "Panel", "apply_move"]


@functools.cache
def _blas_controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _single_threaded_blas():
    """Run a panel update with one BLAS thread.

    A panel's arrays are small. With several OpenBLAS threads, the idle threads
    keep spinning after each call and compete with the figure's rendering for this
    machine's two cores, which made some updates three times slower.
    """
    return _blas_controller().limit(limits=1, user_api="blas")


class Panel:
    """Base class for the course's interactive panels.

    Subclasses fill ``self.controls`` (name → widget) in ``__init__``, draw the
    first state of ``self.fig`` (artists created once), call ``self._finish()``,
    and implement ``update()`` to recompute and change the artists' data.
    """

    def __init__(
        self, figsize: tuple[float, float] = (6.0, 3.5), *, dpi: int = 80, **fig_kw
    ):
        self.fig, self.ax = new_figure(figsize, dpi=dpi, **fig_kw)
        self.controls: dict[str, widgets.Widget] = {}
        self.image = widgets.Image(format="png", layout=widgets.Layout(height="auto"))
        self.readout = widgets.HTML()
        self.status = widgets.HTML()
        self.last_update_seconds = 0.0
        self._widget: widgets.Widget | None = None

    # --- to implement -------------------------------------------------------
    def update(self) -> None:
        """Recompute from the controls' values and update the figure's artists."""
        raise NotImplementedError(f"{type(self).__name__} must implement update()")

    def layout(self) -> widgets.Widget:
        """Arrange controls, figure, readout and status (override to customise)."""
        controls = widgets.VBox(list(self.controls.values()))
        return widgets.VBox([controls, self.image, self.readout, self.status])

    # --- machinery ----------------------------------------------------------
    #: Run updates with one BLAS thread (see ``_single_threaded_blas``); a panel
    #: that measures the machine's speed sets this to False.
    single_threaded_blas = True

    #: Keep the axes where the first (constrained) layout put them: recomputing the
    #: layout on every frame roughly doubles the redraw time. Set to False in a
    #: subclass whose labels change size a lot between updates.
    freeze_layout = True

    def _finish(self) -> None:
        """Wire every control to ``refresh`` and draw the first state."""
        # Show the figure at its own pixel size, not stretched to the page width
        # (set here: a subclass may have replaced ``self.fig`` after __init__).
        width_px = round(self.fig.get_figwidth() * self.fig.dpi)
        self.image.layout.width = f"{width_px}px"
        for control in self.controls.values():
            if isinstance(control, widgets.Button):
                continue  # buttons wire their own on_click handlers
            control.observe(self._on_change, names="value")
        self.refresh()
        if self.freeze_layout:
            self.fig.set_layout_engine("none")

    def _on_change(self, change: dict[str, Any]) -> None:
        self.refresh()

    def refresh(self) -> bool:
        """Run ``update()`` and redraw; show any error in the status line.

        Returns True when the update succeeded.
        """
        start = time.perf_counter()
        try:
            blas = _single_threaded_blas() if self.single_threaded_blas else None
            with blas or contextlib.nullcontext():
                self.update()
                self.image.value = figure_to_png(self.fig)
        except Exception as exc:  # shown to the learner, never raised into the UI
            self.status.value = (
                '<span style="color:#b00020">⚠️ '
                f"{html.escape(type(exc).__name__)}: {html.escape(str(exc))}</span>"
            )
            return False
        finally:
            self.last_update_seconds = time.perf_counter() - start
        self.status.value = ""
        return True

    def set_readout(self, text: str) -> None:
        """Show ``text`` (plain text, may contain newlines) under the figure."""
        escaped = html.escape(text).replace("\n", "<br>")
        self.readout.value = f'<div style="font-family:monospace">{escaped}</div>'

    @property
    def widget(self) -> widgets.Widget:
        """The ipywidgets tree of this panel (built once)."""
        if self._widget is None:
            self._widget = self.layout()
        return self._widget

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        if isinstance(bundle, tuple):
            bundle = bundle[0]
        bundle = dict(bundle)
        if self.image.value:
            bundle["image/png"] = base64.b64encode(self.image.value).decode("ascii")
        bundle["text/plain"] = f"<{type(self).__name__}: interactive panel>"
        return bundle


def apply_move(panel: Panel, name: str, value: Any = None) -> None:
    """Set control ``name`` to ``value`` (or click it, if it is a button)."""
    if name not in panel.controls:
        raise ValueError(
            f"unknown control {name!r}; expected one of: {', '.join(panel.controls)}"
        )
    control = panel.controls[name]
    if isinstance(control, widgets.Button):
        control.click()
    else:
        control.value = value


@dataclass
class BenchCase:
    """One panel to benchmark and test: a factory and the moves to make."""

    name: str  # e.g. "01_neuron: NeuronPanel"
    make: Callable[[], Panel]  # builds a fresh panel
    moves: dict[str, Sequence[Any]] = field(default_factory=dict)  # control → values
