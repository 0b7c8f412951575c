"""Every panel: each listed control, when moved, changes what the panel shows.

The panels and the moves come from each panel module's ``bench_cases()``
(``helpers.widgets.registry``), so a new panel is covered as soon as it exists.
"""

import hashlib

import ipywidgets as widgets
import pytest

from helpers.widgets import Panel, apply_move
from helpers.widgets.registry import all_bench_cases

CASES = all_bench_cases()


def shown(panel: Panel) -> str:
    """A fingerprint of everything the panel shows: figure PNG and readout text."""
    digest = hashlib.sha256(panel.image.value)
    digest.update(panel.readout.value.encode())
    return digest.hexdigest()


def test_every_panel_module_has_cases():
    assert CASES, "no panel found in helpers.widgets"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_panel_moves_change_the_display(case):
    panel = case.make()
    assert isinstance(panel, Panel)
    assert panel.image.value, f"{case.name}: no figure drawn at start"
    assert panel.status.value == "", (
        f"{case.name}: error at start: {panel.status.value}"
    )
    assert case.moves, f"{case.name}: bench_cases() lists no controls to move"
    for control, values in case.moves.items():
        assert control in panel.controls, f"{case.name}: no control {control!r}"
        is_button = isinstance(panel.controls[control], widgets.Button)
        for value in values if not is_button else [None]:
            before = shown(panel)
            apply_move(panel, control, value)
            assert panel.status.value == "", (
                f"{case.name}: moving {control} to {value!r} showed an error: "
                f"{panel.status.value}"
            )
            assert shown(panel) != before, (
                f"{case.name}: moving {control} to {value!r} changed nothing on screen"
            )


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_panel_has_static_fallback(case):
    bundle = case.make()._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["image/png"], "static viewers need a PNG of the panel"
