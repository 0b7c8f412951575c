"""The panel side of the static site: every panel describes itself (import path,
constructor arguments, controls) in its notebook output, offers a grid of at most
``MAX_SITE_STATES`` states, and renders states through ``refresh()`` as PNG +
readout."""

import contextlib
import itertools
import json

import ipywidgets as widgets
import numpy as np
import pytest

from helpers.plotting import decode_png
from helpers.widgets import MAX_SITE_STATES, PANEL_MIME, Panel, rebuild_panel
from helpers.widgets.registry import all_bench_cases

CASES = all_bench_cases()


def values_of(panel: Panel) -> dict:
    return {
        name: control.value
        for name, control in panel.controls.items()
        if not isinstance(control, widgets.Button)
    }


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_panel_offers_a_small_grid_and_renders_it(case):
    panel = case.make()
    grid = panel.trimmed_site_grid()
    assert grid, f"{case.name}: an empty site grid"
    n_states = int(np.prod([len(v) for v in grid.values()]))
    assert 1 <= n_states <= MAX_SITE_STATES
    for name, values in grid.items():
        assert name in panel.controls and values
        assert panel.controls[name].value in values, "the start state is offered"
    start = values_of(panel)
    width = round(panel.fig.get_figwidth() * panel.fig.dpi)
    with contextlib.closing(panel.render_states(grid)) as states:
        frames = list(itertools.islice(states, 3))
    assert frames
    for values, png, readout in frames:
        assert set(values) == set(grid)
        pixels = decode_png(png)
        assert pixels.shape[1] == width and pixels.shape[2] == 4
        assert isinstance(readout, str)
    assert len({json.dumps(f[0], sort_keys=True) for f in frames}) == len(frames)
    assert values_of(panel) == start, "the controls were not restored"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_notebook_output_names_the_panel(case):
    panel = case.make()
    bundle = panel._repr_mimebundle_()
    spec = bundle[PANEL_MIME]
    assert json.loads(json.dumps(spec)) == spec, "the spec must be plain JSON"
    assert spec["class"] == type(panel).__qualname__
    assert set(spec["controls"]) == set(panel.controls)
    assert decode_png(__import__("base64").b64decode(bundle["image/png"])).size
    if spec["rebuildable"]:
        rebuilt = rebuild_panel(spec)
        assert type(rebuilt) is type(panel)
        assert values_of(rebuilt) == values_of(panel)
    else:
        assert spec["not_json"], "a panel that cannot be rebuilt says why"


class _TwoControls(Panel):
    def __init__(self, offset: float = 0.0):
        super().__init__((3, 2), dpi=50)
        self.controls["a"] = widgets.IntSlider(value=2, min=0, max=40)
        self.controls["kind"] = widgets.Dropdown(options=["sin", "cos"], value="sin")
        self.offset = offset
        self.x = np.linspace(0, 6, 30)
        (self.line,) = self.ax.plot(self.x, self.x)
        self.ax.set_ylim(-45, 45)
        self.moving = [self.line]
        self.updates = 0
        self._finish()

    def update(self):
        self.updates += 1
        f = np.sin if self.controls["kind"].value == "sin" else np.cos
        self.line.set_ydata(self.controls["a"].value * f(self.x) + self.offset)
        self.set_readout(f"a = {self.controls['a'].value}")


def test_grid_is_trimmed_to_the_cap_keeping_the_start_value():
    panel = _TwoControls()
    full = panel.trimmed_site_grid(1000)
    assert full["kind"] == ["sin", "cos"] and 2 in full["a"] and len(full["a"]) >= 5
    small = panel.trimmed_site_grid(4)
    assert np.prod([len(v) for v in small.values()]) <= 4
    assert 2 in small["a"] and small["kind"] == ["sin", "cos"]
    with pytest.raises(ValueError, match="max_states must be >= 1"):
        panel.trimmed_site_grid(0)


def test_render_states_draws_each_state_once_and_restores():
    panel = _TwoControls(offset=1.5)
    before = panel.updates
    frames = list(panel.render_states({"a": [1, 10], "kind": ["sin", "cos"]}))
    assert [f[0] for f in frames] == [
        {"a": 1, "kind": "sin"},
        {"a": 1, "kind": "cos"},
        {"a": 10, "kind": "sin"},
        {"a": 10, "kind": "cos"},
    ]
    assert len({f[1] for f in frames}) == 4 and "a = 10" in frames[2][2]
    assert panel.updates - before == 5  # one per state + one to restore
    assert panel.controls["a"].value == 2
    with pytest.raises(ValueError, match="more than 3"):
        list(panel.render_states({"a": [0, 1], "kind": ["sin", "cos"]}, max_states=3))


def test_spec_records_constructor_arguments_and_rebuilds():
    spec = _TwoControls(offset=0.25).spec()
    assert spec["kwargs"] == {"offset": 0.25} and spec["rebuildable"]
    assert spec["controls"]["a"] == {
        "description": "",
        "value": 2,
        "kind": "slider",
        "min": 0,
        "max": 40,
        "step": 1,
    }
    assert spec["controls"]["kind"]["options"] == [["sin", "sin"], ["cos", "cos"]]
    with pytest.raises(ValueError, match="not a panel module"):
        rebuild_panel(spec)  # defined in a test, not in helpers.widgets
    with pytest.raises(ValueError, match="must be a dict"):
        rebuild_panel({"class": "X"})
    with pytest.raises(ValueError, match="not JSON"):
        rebuild_panel({**spec, "rebuildable": False, "not_json": ["model"]})


def test_hold_redraws_once():
    panel = _TwoControls()
    before = panel.updates
    with panel.hold():
        panel.controls["a"].value = 5
        panel.controls["kind"].value = "cos"
    assert panel.updates - before == 1 and "a = 5" in panel.readout.value
