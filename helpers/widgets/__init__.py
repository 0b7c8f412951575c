"""Interactive panels: the shared ``Panel`` base here, one module per notebook.

A panel holds its controls (ipywidgets), a matplotlib ``Figure`` drawn with Agg,
and an ``update()`` method that recomputes and changes the artists. The figure
reaches the screen as a PNG in an ``ipywidgets.Image``: no matplotlib backend or
magic is needed, updates do not flicker, and the same code runs in JupyterLab,
under nbval, in tests, in the benchmark and when the static site pre-renders its
frames: every one of them goes through ``Panel.refresh()``.

``refresh()`` is fast because it redraws as little as possible (see
``helpers.widgets._frames``): artists listed in ``self.moving`` are drawn over a
cached background, an axes whose limits or texts changed is redrawn alone, and
the frame is encoded with a fast PNG setting only when its pixels changed. When
shown in a static viewer (GitHub, nbviewer), a panel falls back to a PNG of its
current state; its output also carries the panel's class and constructor
arguments (``PANEL_MIME``) so that a site builder can rebuild it and pre-render a
grid of states with ``render_states()``.

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
import importlib
import inspect
import itertools
import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as widgets
import numpy as np

from helpers.plotting import decode_png, encode_png, figure_to_png, new_figure
from helpers.validate import check_int
from helpers.widgets._frames import FrameRenderer

__all__ = ["PANEL_MIME", "BenchCase", "Panel", "apply_move", "rebuild_panel"]

#: MIME type of the panel description in a notebook output (see ``Panel.spec``).
PANEL_MIME = "application/vnd.llm-course.panel+json"

#: At most this many pre-rendered states per panel (static site).
MAX_SITE_STATES = 120


@functools.cache
def _blas_controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@contextlib.contextmanager
def _single_threaded_blas():
    """Run a panel update with one BLAS thread and one PyTorch thread.

    A panel's arrays are small. With several OpenBLAS threads, the idle threads
    keep spinning after each call and compete with the figure's rendering for this
    machine's two cores, which made some updates three times slower; PyTorch's
    own intra-op threads did worse on a busy machine (the generation panel's
    tiny model: 600 ms per move with 2 threads, 13 ms with 1).
    """
    torch = sys.modules.get("torch")  # only if a panel already uses it
    threads = torch.get_num_threads() if torch is not None else None
    with _blas_controller().limit(limits=1, user_api="blas"):
        if torch is not None:
            torch.set_num_threads(1)
        try:
            yield
        finally:
            if torch is not None:
                torch.set_num_threads(threads)


def _json_safe(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True


def _spread(values: list, n: int) -> list:
    """``n`` items of ``values`` spread from its first to its last."""
    if n <= 0:
        return []
    if n == 1:
        return [values[len(values) // 2]]
    return [values[round(i * (len(values) - 1) / (n - 1))] for i in range(n)]


def _evenly_spaced(values: list, n: int, keep: Any) -> list:
    """``n`` of ``values`` spread over the whole list, ``keep`` always among them."""
    if n >= len(values):
        return list(values)
    if keep in values:
        picked = [*_spread([v for v in values if v != keep], n - 1), keep]
    else:
        picked = _spread(values, n)
    return [v for v in values if v in picked]


def _slider_values(control: widgets.Widget, n: int = 5) -> list:
    """``n`` values spread over a slider's range (its current value included)."""
    if isinstance(control, widgets.SelectionSlider):
        options = [value for _, value in control._options_full]
        return _evenly_spaced(options, n, control.value)
    low, high, step = control.min, control.max, control.step
    if isinstance(control, widgets.FloatLogSlider):
        exponents = np.linspace(low, high, n)
        values = [float(control.base**e) for e in exponents]
    else:
        values = list(np.linspace(low, high, n))
        if isinstance(control, widgets.IntSlider):
            values = [int(round(low + round((v - low) / step) * step)) for v in values]
        else:
            values = [
                float(round(low + round((v - low) / step) * step, 10)) for v in values
            ]
    values.append(control.value)
    return sorted(set(values))


def _control_spec(control: widgets.Widget) -> dict[str, Any]:
    """What a static page needs to draw ``control`` (kind, label, range, options)."""
    spec: dict[str, Any] = {"description": control.description}
    if isinstance(control, widgets.Button):
        spec["kind"] = "button"
        return spec
    spec["value"] = control.value if _json_safe(control.value) else repr(control.value)
    if isinstance(control, widgets.widget_selection._Selection):
        spec["kind"] = (
            "selection_slider"
            if isinstance(control, widgets.SelectionSlider)
            else "dropdown"
        )
        spec["options"] = [
            [label, value if _json_safe(value) else repr(value)]
            for label, value in control._options_full
        ]
    elif isinstance(control, widgets.Checkbox | widgets.ToggleButton):
        spec["kind"] = "checkbox"
    elif isinstance(control, widgets.FloatLogSlider):
        spec.update(kind="log_slider", base=control.base, min=control.min,
                    max=control.max, step=control.step)  # fmt: skip
    elif hasattr(control, "min") and hasattr(control, "max"):
        spec.update(kind="slider", min=control.min, max=control.max, step=control.step)
    elif isinstance(control, widgets.ColorPicker):
        spec["kind"] = "color"
    else:
        spec["kind"] = "text"
    return spec


class Panel:
    """Base class for the course's interactive panels.

    Subclasses fill ``self.controls`` (name → widget) in ``__init__``, draw the
    first state of ``self.fig`` (artists created once), list in ``self.moving``
    the artists that change on most moves (lines, bars, images, texts, titles:
    drawn over a cached background), call ``self._finish()``, and implement
    ``update()`` to recompute and change the artists' data. Limits, tick labels
    and artists outside ``self.moving`` may change too: the axes they belong to
    is then redrawn. ``site_grid()`` chooses the states a static page offers.
    """

    def __new__(cls, *args, **kwargs):
        self = super().__new__(cls)
        # record the constructor arguments: the notebook output names them so a
        # site builder can rebuild the same panel (``spec()``)
        try:
            bound = inspect.signature(cls.__init__).bind(self, *args, **kwargs)
            arguments = dict(bound.arguments)
            arguments.pop(next(iter(arguments)), None)  # self
        except TypeError:  # __init__ raises the real error
            arguments = {}
        self._init_arguments = arguments
        return self

    def __init__(
        self, figsize: tuple[float, float] = (6.0, 3.5), *, dpi: int = 80, **fig_kw
    ):
        self.fig, self.ax = new_figure(figsize, dpi=dpi, **fig_kw)
        self.controls: dict[str, widgets.Widget] = {}
        self.moving: list = []
        self.image = widgets.Image(format="png", layout=widgets.Layout(height="auto"))
        self.readout = widgets.HTML()
        self.status = widgets.HTML()
        self.last_update_seconds = 0.0
        #: seconds spent in the last refresh: compute (update), draw, encode,
        #: and how the frame was drawn ("full", "partial", "blit")
        self.timings: dict[str, Any] = {}
        self._widget: widgets.Widget | None = None
        self._frames: FrameRenderer | None = None
        self._frame: np.ndarray | None = None  # the RGBA pixels last shown
        self._hold = 0
        self._pending = False

    # --- to implement -------------------------------------------------------
    def update(self) -> None:
        """Recompute from the controls' values and update the figure's artists."""
        raise NotImplementedError(f"{type(self).__name__} must implement update()")

    def layout(self) -> widgets.Widget:
        """Arrange controls, figure, readout and status (override to customise)."""
        controls = widgets.VBox(list(self.controls.values()))
        return widgets.VBox([controls, self.image, self.readout, self.status])

    def settle(self) -> None:
        """Finish any work a panel does in steps after a move (a long text
        generation, say) so that what it shows is final; a no-op by default.
        ``render_states`` calls it for every state."""

    def readout_html(self) -> str:
        """Every text the panel shows besides the figure, as HTML (override when
        a panel has more than ``self.readout``)."""
        return self.readout.value

    def site_grid(self) -> dict[str, list]:
        """Control values a static page offers: every option of each dropdown
        and checkbox, five values per slider (ends, middle and the start value);
        text boxes, colour pickers and buttons keep their start value. Panels
        override this to show their lesson; ``render_states`` trims the grid to
        ``MAX_SITE_STATES``."""
        grid: dict[str, list] = {}
        for name, control in self.controls.items():
            if isinstance(control, widgets.Button):
                continue
            if isinstance(control, widgets.SelectionSlider):
                grid[name] = _slider_values(control)
            elif isinstance(control, widgets.widget_selection._Selection):
                grid[name] = [value for _, value in control._options_full]
            elif isinstance(control, widgets.Checkbox | widgets.ToggleButton):
                grid[name] = [control.value, not control.value]
            elif hasattr(control, "min") and hasattr(control, "max"):
                grid[name] = _slider_values(control)
            else:
                grid[name] = [control.value]
        return grid

    # --- machinery ----------------------------------------------------------
    #: Run updates with one BLAS thread (see ``_single_threaded_blas``); a panel
    #: that measures the machine's speed sets this to False.
    single_threaded_blas = True

    #: Keep the axes where the first (constrained) layout put them: recomputing the
    #: layout on every frame roughly doubles the redraw time, and a fixed layout
    #: lets a changed axes be redrawn alone.
    freeze_layout = True

    def _finish(self) -> None:
        """Wire every control to ``refresh`` and draw the first state."""
        # Show the figure at its own pixel size, not stretched to the page width
        # (set here: a subclass may have replaced ``self.fig`` after __init__).
        width_px = round(self.fig.get_figwidth() * self.fig.dpi)
        self.image.layout.width = f"{width_px}px"
        self._frames = FrameRenderer(self.fig)
        self._frames.set_moving(self.moving)
        for control in self.controls.values():
            if isinstance(control, widgets.Button):
                continue  # buttons wire their own on_click handlers
            control.observe(self._on_change, names="value")
        self.refresh()
        if self.freeze_layout:
            self.fig.set_layout_engine("none")
            self._frames.layout_frozen()

    def _on_change(self, change: dict[str, Any]) -> None:
        self.refresh()

    def refresh(self) -> bool:
        """Run ``update()`` and redraw; show any error in the status line.

        Returns True when the update succeeded. Inside ``hold()`` it only notes
        that a refresh is due.
        """
        if self._hold:
            self._pending = True
            return True
        if self._frames is None:  # a subclass replaced the figure: start again
            self._frames = FrameRenderer(self.fig)
            self._frames.set_moving(self.moving)
        start = time.perf_counter()
        timings: dict[str, Any] = {"compute": 0.0, "draw": 0.0, "encode": 0.0}
        try:
            with self.compute_threads():
                self.update()
                computed = time.perf_counter()
                timings["compute"] = computed - start
                if self._frames.fig is not self.fig:  # update() replaced the figure
                    self._frames = FrameRenderer(self.fig)
                    self._frames.set_moving(self.moving)
                rgba = self._frames.render()
                timings["mode"] = self._frames.last_mode
                drawn = time.perf_counter()
                timings["draw"] = drawn - computed
                if self._frame is None or not np.array_equal(rgba, self._frame):
                    self._frame = rgba.copy()  # unchanged pixels are not sent again
                    self.image.value = encode_png(rgba, compress_level=1)
                timings["encode"] = time.perf_counter() - drawn
        except Exception as exc:  # shown to the learner, never raised into the UI
            self.status.value = (
                '<span style="color:#b00020">⚠️ '
                f"{html.escape(type(exc).__name__)}: {html.escape(str(exc))}</span>"
            )
            return False
        finally:
            self.last_update_seconds = time.perf_counter() - start
            self.timings = timings
        self.status.value = ""
        return True

    def compute_threads(self):
        """The context every computation of the panel runs in: one BLAS and one
        PyTorch thread (see ``_single_threaded_blas``) unless the panel sets
        ``single_threaded_blas = False``. Work a panel does outside ``refresh()``
        (steps on the event loop) enters it too."""
        if self.single_threaded_blas:
            return _single_threaded_blas()
        return contextlib.nullcontext()

    def set_moving(self, artists) -> None:
        """Replace the moving artists after ``_finish()`` (e.g. when ``update()``
        created new ones); the next frame is a full draw."""
        self.moving = list(artists)
        if self._frames is not None:
            self._frames.set_moving(self.moving)

    def redraw_full(self) -> np.ndarray:
        """Draw every artist from scratch (no cache) and return the RGBA pixels.

        The reference the fast path is tested against; not used while moving.
        """
        # savefig draws onto the canvas but leaves the cached background, and the
        # figure it draws is the one the cache describes: the fast path goes on
        return decode_png(figure_to_png(self.fig, compress_level=1))

    @contextlib.contextmanager
    def hold(self):
        """Set several controls with one redraw at the end::

        with panel.hold():
            panel.controls["a"].value = 1
            panel.controls["b"].value = 2
        """
        self._hold += 1
        try:
            yield self
        finally:
            self._hold -= 1
            if not self._hold and self._pending:
                self._pending = False
                self.refresh()

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

    # --- static site ----------------------------------------------------------
    def spec(self) -> dict[str, Any]:
        """What a site builder needs to rebuild this panel and draw its controls:
        import path, constructor arguments (JSON values only), each control's
        kind, range and options. ``rebuildable`` is False when an argument (a
        trained model, say) cannot be written as JSON."""
        kwargs = {k: v for k, v in self._init_arguments.items() if _json_safe(v)}
        missing = sorted(set(self._init_arguments) - set(kwargs))
        return {
            "version": 1,
            "module": type(self).__module__,
            "class": type(self).__qualname__,
            "kwargs": kwargs,
            "rebuildable": not missing,
            "not_json": missing,
            "controls": {
                name: _control_spec(control) for name, control in self.controls.items()
            },
            "image_width": round(self.fig.get_figwidth() * self.fig.dpi),
        }

    def trimmed_site_grid(self, max_states: int = MAX_SITE_STATES) -> dict[str, list]:
        """``site_grid()`` checked against the controls and cut to at most
        ``max_states`` combinations (the longest value lists shrink first; every
        list keeps the control's start value)."""
        max_states = check_int(max_states, "max_states", low=1)
        grid = {name: list(values) for name, values in self.site_grid().items()}
        for name, values in grid.items():
            if name not in self.controls:
                raise ValueError(
                    f"{type(self).__name__}.site_grid() names unknown control {name!r}"
                )
            if isinstance(self.controls[name], widgets.Button) or not values:
                raise ValueError(
                    f"{type(self).__name__}.site_grid(): {name!r} needs a list of values"
                )
        while grid and int(np.prod([len(v) for v in grid.values()])) > max_states:
            name = max(grid, key=lambda n: len(grid[n]))
            values = grid[name]
            if len(values) == 1:
                break
            grid[name] = _evenly_spaced(
                values, len(values) - 1, self.controls[name].value
            )
        return grid

    def render_states(
        self, grid: dict[str, list] | None = None, *, max_states: int = MAX_SITE_STATES
    ) -> Iterator[tuple[dict[str, Any], bytes, str]]:
        """Every state of ``grid`` (default ``trimmed_site_grid()``) drawn through
        ``refresh()``, as (control values, PNG bytes, readout HTML). The values
        are those the controls hold after being set (a slider clamps and snaps).
        The controls return to their start values at the end. Raises
        ``RuntimeError`` naming the state when an update fails."""
        if grid is None:
            grid = self.trimmed_site_grid(max_states)
        else:
            max_states = check_int(max_states, "max_states", low=1)
            size = int(np.prod([len(v) for v in grid.values()])) if grid else 1
            if size > max_states:
                raise ValueError(f"grid has {size} states, more than {max_states}")
        names = list(grid)
        start = {name: self.controls[name].value for name in names}
        try:
            for combination in itertools.product(*(grid[n] for n in names)):
                with self.hold():
                    for name, value in zip(names, combination, strict=True):
                        self.controls[name].value = value
                    self._pending = True  # draw even if nothing moved
                self.settle()
                if self.status.value:
                    state = dict(zip(names, combination, strict=True))
                    raise RuntimeError(
                        f"{type(self).__name__} failed at {state}: "
                        f"{html.unescape(self.status.value)}"
                    )
                values = {name: self.controls[name].value for name in names}
                png = encode_png(self._frame, compress_level=9)
                yield values, png, self.readout_html()
        finally:
            with self.hold():
                for name, value in start.items():
                    self.controls[name].value = value
                self._pending = True

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        if isinstance(bundle, tuple):
            bundle = bundle[0]
        bundle = dict(bundle)
        if self._frame is not None:  # a small PNG for static viewers
            png = encode_png(self._frame, compress_level=9)
            bundle["image/png"] = base64.b64encode(png).decode("ascii")
        bundle["text/plain"] = f"<{type(self).__name__}: interactive panel>"
        bundle[PANEL_MIME] = self.spec()
        return bundle


def rebuild_panel(spec: dict[str, Any]) -> Panel:
    """The panel a ``PANEL_MIME`` output describes, built from its import path and
    constructor arguments (for the static site). Introduced in 00_course_map."""
    if not isinstance(spec, dict) or not {"module", "class", "kwargs"} <= set(spec):
        raise ValueError("spec must be a dict with 'module', 'class' and 'kwargs'")
    if not spec.get("rebuildable", True):
        raise ValueError(
            f"{spec['class']} needs arguments that are not JSON "
            f"({', '.join(spec.get('not_json', []))}); build it in code instead"
        )
    if not str(spec["module"]).startswith("helpers.widgets."):
        raise ValueError(f"not a panel module: {spec['module']!r}")
    cls = getattr(importlib.import_module(spec["module"]), spec["class"], None)
    if not (isinstance(cls, type) and issubclass(cls, Panel)):
        raise ValueError(f"{spec['module']}.{spec['class']} is not a Panel")
    return cls(**spec["kwargs"])


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
