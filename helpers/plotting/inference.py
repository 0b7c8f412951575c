"""Figures of 14_inference_and_kv_cache: sampling distributions, the KV-cache
speed-up, and memory maps of contiguous vs paged KV allocation."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import ListedColormap

from helpers.plotting import COLORS, new_figure
from helpers.validate import check_int

__all__ = [
    "draw_distribution",
    "draw_memory_maps",
    "draw_speedup",
    "memory_map",
]


def draw_distribution(ax, original, filtered, labels, *, title: str = ""):
    """Bars of ``filtered`` probabilities over the outline of ``original`` ones.

    Returns the bar container so a panel can update heights. Introduced in
    14_inference_and_kv_cache.
    """
    original = np.asarray(original, dtype=float)
    filtered = np.asarray(filtered, dtype=float)
    x = np.arange(len(original))
    ax.bar(
        x, original, color="none", edgecolor=COLORS[7], lw=0.8, label="softmax(logits)"
    )
    bars = ax.bar(x, filtered, color=COLORS[0], alpha=0.8, label="sampled from")
    ax.set_xticks(x, labels, fontsize=8, rotation=30)
    ax.set_ylim(0, 1)
    ax.set_ylabel("probability")
    ax.legend(fontsize=7, loc="upper right")
    if title:
        ax.set_title(title, fontsize=9)
    return bars


def draw_speedup(
    new_tokens,
    seconds_cached,
    seconds_uncached,
    *,
    tick_format: str = "{} tokens",
    ylabel: str = "seconds",
    title: str = "greedy generation time",
):
    """Time with and without the KV cache side by side, with the ratio on top,
    per number of new tokens (or per context length: pass ``tick_format``,
    ``ylabel`` and ``title``). Introduced in 14_inference_and_kv_cache.
    """
    if not len(new_tokens) == len(seconds_cached) == len(seconds_uncached):
        raise ValueError("give one time with and one without the cache per length")
    fig, ax = new_figure((5.5, 3.0))
    x = np.arange(len(new_tokens))
    ax.bar(x - 0.2, seconds_uncached, 0.4, color=COLORS[1], label="no cache")
    ax.bar(x + 0.2, seconds_cached, 0.4, color=COLORS[0], label="KV cache")
    for i, (a, b) in enumerate(zip(seconds_uncached, seconds_cached, strict=True)):
        ax.text(i, max(a, b) * 1.02, f"x{a / b:.1f}", ha="center", fontsize=8)
    ax.set_xticks(x, [tick_format.format(n) for n in new_tokens])
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    ax.set_title(title, fontsize=9)
    return fig


def memory_map(owners_and_lengths, slots_per_row: int):
    """A (rows, slots_per_row) integer picture of a KV memory: -1 free, and for
    sequence i: 2·i for a slot holding a token, 2·i + 1 for a reserved but empty
    slot. ``owners_and_lengths`` lists (first_slot, reserved, used, seq_index)
    regions. Introduced in 14_inference_and_kv_cache."""
    slots_per_row = check_int(slots_per_row, "slots_per_row", low=1)
    end = max((s + r for s, r, _, _ in owners_and_lengths), default=slots_per_row)
    n_rows = -(-end // slots_per_row)
    grid = np.full(n_rows * slots_per_row, -1, dtype=int)
    for start, reserved, used, seq in owners_and_lengths:
        grid[start : start + reserved] = 2 * seq + 1
        grid[start : start + used] = 2 * seq
    return grid.reshape(n_rows, slots_per_row)


def _cmap(n_seq: int) -> ListedColormap:
    colors = ["#f2f2f2"]  # free
    for i in range(n_seq):
        base = COLORS[i % 6]
        colors += [base, base + "55"]  # used, reserved-but-empty (transparent)
    return ListedColormap(colors)


def draw_memory_maps(contiguous, paged, *, slots_per_row: int = 32, fig_axes=None):
    """Two memory pictures of the same sequences: contiguous reservations (left)
    and PagedAttention blocks (right); solid = token stored, pale = reserved but
    empty (wasted), grey = free. ``contiguous`` / ``paged`` are allocators from
    ``helpers.sampling``. Introduced in 14_inference_and_kv_cache."""
    fig, axes = fig_axes or new_figure((7.0, 3.2), ncols=2)
    seqs = sorted(set(contiguous.lengths) | set(paged.lengths))
    index = {s: i for i, s in enumerate(seqs)}
    regions_c = [
        (contiguous.start[s], contiguous.max_seq_len, n, index[s])
        for s, n in contiguous.lengths.items()
    ]
    regions_p = []
    for s, table in paged.block_tables.items():
        left = paged.lengths[s]
        for block in table:
            used = min(left, paged.block_size)
            regions_p.append(
                (block * paged.block_size, paged.block_size, used, index[s])
            )
            left -= used
    rows = -(-max(contiguous.capacity, paged.capacity) // slots_per_row)
    cmap = _cmap(len(seqs))
    for ax, regions, name, report in (
        (axes[0], regions_c, "contiguous reservation", contiguous.report()),
        (axes[1], regions_p, f"paged (block size {paged.block_size})", paged.report()),
    ):
        grid = memory_map(regions, slots_per_row)
        picture = np.full((rows, slots_per_row), -1)
        picture[: grid.shape[0]] = grid[:rows]
        ax.clear()
        ax.imshow(
            picture + 1,
            cmap=cmap,
            vmin=0,
            vmax=2 * len(seqs),
            aspect="auto",
            interpolation="nearest",
        )
        ax.set_title(
            f"{name}\nwasted {report.wasted_slots} of "
            f"{report.reserved_slots} reserved slots",
            fontsize=9,
        )
        ax.set_xlabel("slot")
        ax.set_yticks([])
    if isinstance(paged.block_size, int) and paged.block_size < slots_per_row:
        for x in range(paged.block_size, slots_per_row, paged.block_size):
            axes[1].axvline(x - 0.5, color="white", lw=0.6)
    return fig
