"""The posture figure of ``lab cspm`` (``lab.cspm``): per architecture, what it fails by
severity and what it fixes; same style as the other figures."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from lab.report.style import (
    A4_COLUMN_WIDTH_IN,
    architecture_order,
    architecture_style,
    figure_function,
    save_figure,
)


@figure_function
def posture(summary: pd.DataFrame, out_base: Path, severities: list[str]) -> list[Path]:
    """Grouped bars: failed checks of each architecture's own resources by severity, and the
    empty account's failed checks it makes pass (one row per architecture in ``summary``, with a
    column per severity of ``severities``, most severe first, and ``fixed``)."""
    columns = [*severities, "fixed"]
    names = architecture_order(summary["architecture"])
    fig, ax = plt.subplots(figsize=(A4_COLUMN_WIDTH_IN, 2.8))
    width = 0.8 / max(1, len(names))
    for i, name in enumerate(names):
        row = summary.set_index("architecture").loc[name]
        style = architecture_style(name, names)
        xs = [c + (i - (len(names) - 1) / 2) * width for c in range(len(columns))]
        values = [int(row[c]) for c in columns]
        bars = ax.bar(
            xs,
            values,
            width,
            label=name,
            color=style["color"],
            hatch=style["hatch"],
            edgecolor="black",
            linewidth=0.4,
        )
        ax.bar_label(bars, fontsize=6, padding=1)
    ax.set_xticks(range(len(columns)))
    ax.set_xticklabels(
        [f"fails:\n{c.lower()}" for c in columns[:-1]] + ["fixed vs\nempty account"], fontsize=7
    )
    ax.set_ylabel("checks x resources (Prowler)", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(axis="y", linewidth=0.3, alpha=0.5)
    ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return save_figure(fig, out_base)
