"""Tests of helpers.plotting.positions.plot_rope_decay (10_positional_encoding)."""

import numpy as np
import pytest
from matplotlib.figure import Figure

from helpers.plotting.positions import plot_rope_decay


def test_one_panel_per_base_with_decade_means():
    offsets = np.arange(1, 1000)
    scores = {"base = 100": np.cos(offsets), "base = 10000": 1.0 / offsets}
    fig = plot_rope_decay(offsets, scores)
    assert isinstance(fig, Figure)
    axes = fig.get_axes()
    assert len(axes) == 2
    assert axes[0].get_xscale() == "log"
    # the decade means of 1/offset fall from decade to decade
    means = axes[1].get_lines()[1].get_ydata()
    assert len(means) == 3 and np.all(np.diff(means) < 0)


def test_bad_input_is_refused():
    with pytest.raises(TypeError):
        plot_rope_decay([1, 2, 3], {})
    with pytest.raises(ValueError, match=">= 1"):
        plot_rope_decay([0, 1, 2], {"a": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match="one score per offset"):
        plot_rope_decay([1, 2, 3], {"a": [1.0, 2.0]})
