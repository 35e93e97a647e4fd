"""The one style of every figure: ``lab.mplstyle`` (A4 column, greyscale-safe, colour-blind safe),
the architectures' colours / hatches / markers, and how a figure is saved (PNG 300 dpi + PDF)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

# Headless: every figure module draws through this one (it imports the style first), so the
# backend is chosen here once.
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

STYLE_FILE = Path(__file__).with_name("lab.mplstyle")
A4_COLUMN_WIDTH_IN = 6.3
# Okabe-Ito colours; distinguishable in greyscale by hatch, marker and line style.
ARCHITECTURE_STYLE = {
    "manual": {"color": "#E69F00", "hatch": "//", "marker": "o", "linestyle": "--"},
    "serverless": {"color": "#0072B2", "hatch": "", "marker": "s", "linestyle": "-"},
}


# Further arms of an ablation: the rest of the Okabe-Ito palette, a marker and a hatch each.
_ARM_STYLES = [
    {"color": c, "hatch": h, "marker": m, "linestyle": ls}
    for c, h, m, ls in [
        ("#009E73", "\\\\", "^", "-."),
        ("#CC79A7", "xx", "D", ":"),
        ("#56B4E9", "..", "v", "--"),
        ("#D55E00", "++", "P", "-"),
        ("#F0E442", "oo", "X", "-."),
        ("#000000", "--", "*", ":"),
    ]
]


def architecture_style(name: str, order: list[str] | None = None) -> dict[str, str]:
    """The style of an architecture or arm: its own for manual and serverless, else the next of
    the palette by its place in ``order`` (the arms of the run, sorted)."""
    if name in ARCHITECTURE_STYLE:
        return ARCHITECTURE_STYLE[name]
    others = [a for a in sorted(order or [name]) if a not in ARCHITECTURE_STYLE]
    index = others.index(name) if name in others else 0
    return _ARM_STYLES[index % len(_ARM_STYLES)]


def architecture_order(names: Any) -> list[str]:
    """The architectures of a run in drawing order: manual, serverless, then the arms sorted."""
    present = set(names)
    return [a for a in ARCHITECTURE_STYLE if a in present] + sorted(
        present - set(ARCHITECTURE_STYLE)
    )


class EmptyDataError(ValueError):
    """A figure was asked to draw a DataFrame without rows."""


def save_figure(fig: plt.Figure, out_base: Path) -> list[Path]:
    """Write ``fig`` as PNG (300 dpi) and PDF beside ``out_base``; return both paths."""
    out_base = Path(out_base)
    out_base.parent.mkdir(parents=True, exist_ok=True)
    paths = [out_base.with_suffix(".png"), out_base.with_suffix(".pdf")]
    fig.savefig(paths[0], dpi=300, bbox_inches="tight")
    fig.savefig(paths[1], bbox_inches="tight", metadata={"CreationDate": None})
    plt.close(fig)
    return paths


def figure_function(draw: Callable[..., list[Path]]) -> Callable[..., list[Path]]:
    """Give a figure function the lab's style, and one clear error for an empty DataFrame."""

    @functools.wraps(draw)
    def wrapper(data: pd.DataFrame, out_base: Path, *args: Any, **kwargs: Any) -> list[Path]:
        if data is None or len(data) == 0:
            raise EmptyDataError(f"{draw.__name__}: the DataFrame has no rows to draw")
        with plt.style.context(STYLE_FILE):
            return draw(data, out_base, *args, **kwargs)

    return wrapper
