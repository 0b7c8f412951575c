"""A picture of a ``helpers.autograd.Value`` computation graph, drawn with matplotlib.

Each node is a box with its name, the operation that made it, its value (forward)
and its gradient (backward); arrows run from inputs to outputs. No graphviz is
needed. Introduced in 05_backprop.
"""

from __future__ import annotations

from helpers.autograd import Value
from helpers.plotting import COLORS, new_figure

__all__ = ["draw_graph", "graph_layout"]


def graph_layout(root: Value) -> dict[int, tuple[float, float]]:
    """x = longest path from a leaf (leaves at 0), y = rank within that column.

    Returns ``{id(node): (x, y)}``. Introduced in 05_backprop.
    """
    if not isinstance(root, Value):
        raise TypeError(f"root must be a Value, got {type(root).__name__}")
    order = root.topological_order()
    depth: dict[int, int] = {}
    for node in order:  # inputs come first, so their depth is known
        depth[id(node)] = 1 + max((depth[id(c)] for c in node._prev), default=-1)
    columns: dict[int, list[Value]] = {}
    for node in order:
        columns.setdefault(depth[id(node)], []).append(node)
    positions = {}
    for x, nodes in columns.items():
        for rank, node in enumerate(nodes):
            positions[id(node)] = (float(x), rank - (len(nodes) - 1) / 2)
    return positions


def draw_graph(
    root: Value, *, figsize: tuple[float, float] | None = None, show_grad: bool = True
):
    """Draw the graph that produced ``root``; returns the figure.

    Call ``root.backward()`` first to see gradients. Introduced in 05_backprop.
    """
    positions = graph_layout(root)
    order = root.topological_order()
    if len(order) > 40:
        raise ValueError(f"the graph has {len(order)} nodes; draw at most 40")
    n_cols = 1 + max(int(x) for x, _ in positions.values())
    n_rows = max(sum(1 for x, _ in positions.values() if x == c) for c in range(n_cols))
    if figsize is None:
        figsize = (min(1.8 * n_cols + 0.4, 11.0), min(1.0 * n_rows + 0.5, 7.0))
    fig, ax = new_figure(figsize)
    ax.set_axis_off()
    for node in order:
        x1, y1 = positions[id(node)]
        for child in node._prev:
            x0, y0 = positions[id(child)]
            ax.annotate(
                "",
                xy=(x1 - 0.36, y1),
                xytext=(x0 + 0.36, y0),
                arrowprops={"arrowstyle": "->", "color": "0.55", "lw": 1.0},
            )
    for node in order:
        x, y = positions[id(node)]
        name = node.label or ("leaf" if not node._prev else "")
        head = f"{name} [{node._op}]" if node._op else name
        text = f"{head}\nvalue={node.data:.4g}"
        if show_grad:
            text += f"\ngrad={node.grad:.4g}"
        leaf = not node._prev
        ax.text(
            x,
            y,
            text,
            ha="center",
            va="center",
            fontsize=8,
            family="monospace",
            bbox={
                "boxstyle": "round,pad=0.3",
                "fc": "#e8f1fa" if leaf else "white",
                "ec": COLORS[0] if leaf else COLORS[7],
            },
        )
    ax.set_xlim(-0.6, n_cols - 0.4)
    half = max(n_rows / 2, 0.8)
    ax.set_ylim(-half, half)
    return fig
