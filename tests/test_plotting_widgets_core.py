import ipywidgets as widgets
import numpy as np
import pytest
from matplotlib.figure import Figure

from helpers.plotting import figure_to_png, new_figure
from helpers.widgets import Panel, apply_move


def test_new_figure_is_not_registered_with_pyplot():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    fig, ax = new_figure((4, 3), dpi=72)
    assert isinstance(fig, Figure) and plt.get_fignums() == before
    assert figure_to_png(fig).startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"dpi": 300}, "dpi must be <= 100"), ({"figsize": (0, 3)}, "figure width")],
)
def test_new_figure_rejects_bad_sizes(kwargs, match):
    with pytest.raises(ValueError, match=match):
        new_figure(**kwargs)


def test_figure_to_png_needs_a_figure():
    with pytest.raises(TypeError, match="matplotlib Figure"):
        figure_to_png("not a figure")


class _SinePanel(Panel):
    def __init__(self):
        super().__init__((4, 3), dpi=60)
        self.controls["a"] = widgets.FloatSlider(value=1.0, min=0.0, max=3.0)
        self.x = np.linspace(0, 6, 50)
        (self.line,) = self.ax.plot(self.x, np.sin(self.x))
        self._finish()

    def update(self):
        a = self.controls["a"].value
        if a > 2.5:
            raise ValueError("amplitude must be <= 2.5")
        self.line.set_ydata(a * np.sin(self.x))
        self.set_readout(f"a = {a:.1f}")


def test_panel_updates_and_reports_errors_without_raising():
    panel = _SinePanel()
    png = panel.image.value
    apply_move(panel, "a", 2.0)
    assert panel.image.value != png and "a = 2.0" in panel.readout.value
    np.testing.assert_allclose(panel.line.get_ydata(), 2.0 * np.sin(panel.x))
    apply_move(panel, "a", 2.8)  # the update raises: shown, not raised
    assert "amplitude must be" in panel.status.value
    apply_move(panel, "a", 1.0)
    assert panel.status.value == ""


def test_apply_move_unknown_control():
    with pytest.raises(ValueError, match="unknown control 'b'; expected one of: a"):
        apply_move(_SinePanel(), "b", 1)


def test_panel_image_is_shown_at_the_figure_pixel_width():
    panel = _SinePanel()  # figsize (4, 3) at dpi 60
    assert panel.image.layout.width == "240px"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.7, 1.0), (1.0, 1.0), (1.01, 2.0), (3.0, 5.0), (7.5, 10.0), (120.0, 200.0)],
)
def test_nice_ceiling_rounds_up_to_1_2_5(value, expected):
    from helpers.plotting import nice_ceiling

    assert nice_ceiling(value) == pytest.approx(expected)


def test_nice_ceiling_and_png_levels_validate():
    from helpers.plotting import nice_ceiling

    with pytest.raises(ValueError, match="value must be > 0"):
        nice_ceiling(0.0)
    fig, _ = new_figure((3, 2), dpi=50)
    with pytest.raises(ValueError, match="compress_level must be <= 9"):
        figure_to_png(fig, compress_level=10)
    small, fast = figure_to_png(fig, compress_level=9), figure_to_png(fig)
    assert small.startswith(b"\x89PNG") and len(small) <= len(fast)
