"""The fast drawing path (cached background, moving artists, axes redrawn alone)
shows the same pixels as drawing the whole figure from scratch, for every panel
after every move of its ``bench_cases()``; and the frame machinery itself."""

import ipywidgets as widgets
import numpy as np
import pytest

from helpers.plotting import decode_png, encode_png
from helpers.widgets import Panel, apply_move
from helpers.widgets._frames import FrameRenderer
from helpers.widgets.registry import all_bench_cases

CASES = all_bench_cases()

#: A pixel "differs" when a channel moves by more than this (of 255) ...
_TOLERANCE = 40
#: ... and a frame may have at most this share of such pixels (antialiasing of a
#: moving artist drawn over, instead of under, a static one).
_MAX_SHARE = 0.002


def differing_share(a: np.ndarray, b: np.ndarray) -> float:
    assert a.shape == b.shape, f"frame {a.shape} vs full redraw {b.shape}"
    diff = np.abs(a.astype(np.int16) - b.astype(np.int16)).max(axis=2)
    return float(np.mean(diff > _TOLERANCE))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fast_path_matches_a_full_redraw(case):
    panel = case.make()
    modes = set()
    for control, values in case.moves.items():
        is_button = isinstance(panel.controls[control], widgets.Button)
        for value in values if not is_button else [None]:
            apply_move(panel, control, value)
            assert panel.status.value == "", panel.status.value
            modes.add(panel.timings.get("mode"))
            shown = decode_png(panel.image.value)
            share = differing_share(shown, panel.redraw_full())
            assert share <= _MAX_SHARE, (
                f"{case.name}: after {control} = {value!r} ({panel.timings['mode']} "
                f"draw) {share:.2%} of the pixels differ from a full redraw"
            )
    assert modes <= {"full", "partial", "blit"}


class _TwoAxesPanel(Panel):
    """Left: a moving line; right: limits that follow a slider."""

    def __init__(self):
        super().__init__((6, 3), dpi=60, ncols=2)
        self.controls["a"] = widgets.FloatSlider(value=1.0, min=0.5, max=3.0)
        self.controls["top"] = widgets.FloatSlider(value=1.0, min=1.0, max=5.0)
        self.x = np.linspace(0, 6, 50)
        (self.line,) = self.ax[0].plot(self.x, np.sin(self.x))
        self.ax[0].set_ylim(-3, 3)
        (self.bar,) = self.ax[1].bar([0], [1.0])
        self.moving = [self.line]
        self._finish()

    def update(self):
        self.line.set_ydata(self.controls["a"].value * np.sin(self.x))
        self.ax[0].set_ylim(-3, 3)  # the same limits again: not a change
        self.ax[1].set_ylim(0, self.controls["top"].value)


def test_modes_follow_what_changed():
    panel = _TwoAxesPanel()
    apply_move(panel, "a", 2.0)
    assert panel.timings["mode"] == "blit"
    apply_move(panel, "top", 4.0)
    assert panel.timings["mode"] == "partial"
    np.testing.assert_array_equal(decode_png(panel.image.value), panel.redraw_full())
    panel.ax[0].set_title("a new title")  # a static text changed: redraw that axes
    panel.refresh()
    assert panel.timings["mode"] == "partial"
    panel.fig.suptitle("figure-level")
    panel.refresh()
    assert panel.timings["mode"] == "full"
    assert set(panel.timings) >= {"compute", "draw", "encode"}


def test_unchanged_frame_is_not_encoded_again():
    panel = _TwoAxesPanel()
    png = panel.image.value
    panel.refresh()  # nothing moved
    assert panel.image.value is png


def test_frame_renderer_and_png_helpers_validate():
    with pytest.raises(TypeError, match="matplotlib Figure"):
        FrameRenderer("not a figure")
    with pytest.raises(ValueError, match=r"\(H, W, 4\) uint8"):
        encode_png(np.zeros((4, 4, 3), dtype=np.uint8))
    with pytest.raises(ValueError, match="PNG"):
        decode_png(b"GIF89a")
    rgba = np.random.default_rng(0).integers(0, 256, (5, 7, 4), dtype=np.uint8)
    np.testing.assert_array_equal(decode_png(encode_png(rgba)), rgba)
