"""What a printed figure must not have: text over text. ``overlapping_texts`` draws a figure and
returns the pairs of visible texts (titles, labels, tick labels, annotations, legend entries) whose
boxes overlap, so tests can check every figure function on real runs."""

from __future__ import annotations

import itertools

import matplotlib.pyplot as plt
from matplotlib.axis import Axis
from matplotlib.text import Text
from matplotlib.transforms import Bbox

TOLERANCE_PX = 1.0  # boxes include a little padding: touching is not overlapping


def _tick_labels_in_view(fig: plt.Figure) -> set[int]:
    """The ids of tick labels whose tick is outside its axis' view (never drawn)."""
    hidden: set[int] = set()
    for axis in fig.findobj(Axis):
        low, high = sorted(axis.get_view_interval())
        for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]:
            location = tick.get_loc()
            if location is None or not (
                low - 1e-9 * abs(low) <= location <= high + 1e-9 * abs(high)
            ):
                hidden |= {id(tick.label1), id(tick.label2)}
    return hidden


def visible_texts(fig: plt.Figure) -> list[tuple[Text, Bbox]]:
    """Every text drawn on ``fig`` with its box in pixels."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    hidden = _tick_labels_in_view(fig)
    found = []
    for text in fig.findobj(Text):
        if id(text) in hidden or not text.get_visible() or not text.get_text().strip():
            continue
        if text.axes is not None and not text.axes.get_visible():
            continue
        box = text.get_window_extent(renderer)
        if box.width > 0 and box.height > 0:
            found.append((text, box))
    return found


def overlapping_texts(fig: plt.Figure) -> list[tuple[str, str]]:
    """The pairs of visible texts on ``fig`` whose boxes overlap by more than a pixel."""
    pairs = []
    for (a, box_a), (b, box_b) in itertools.combinations(visible_texts(fig), 2):
        width = min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0)
        height = min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0)
        if width > TOLERANCE_PX and height > TOLERANCE_PX:
            pairs.append((a.get_text(), b.get_text()))
    return pairs
