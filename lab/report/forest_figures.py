"""The catalog's summary at a glance: a forest plot, one row per technique grouped by ATT&CK tactic,
each architecture's restricted mean time (RMST: every trial counted, a trial not there counting the
horizon) with its 95 % CI, for detection and remediation (``lab.report.survival.km_table``)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.ticker import NullFormatter

from lab.report.pages import tactic_of
from lab.report.style import (
    A4_COLUMN_WIDTH_IN,
    architecture_order,
    architecture_style,
    figure_function,
    save_figure,
)

STAGES = {"detect": "Time to detect", "remediate": "Time to remediate"}
ROW_IN = 0.26  # inches per unit: a technique's row with two arms, a tactic's header 0.6
HEADER_UNITS = 0.6
PAGE_UNITS = 30  # a page's rows: with the margins, about 9 in, inside A4's and letter's text


def technique_row_units(arms: int) -> float:
    """A technique's row in units, growing past two arms so each arm's k/n has a line."""
    return max(1.0, 0.45 * arms)


def techniques_per_page(arms: int) -> int:
    """How many techniques a page of the forest plot holds (tactic headers included)."""
    return max(2, min(27, int((PAGE_UNITS - 6 * HEADER_UNITS) / technique_row_units(arms))))


def forest_rows(km: pd.DataFrame) -> list[tuple[str, str]]:
    """The plot's rows top to bottom: ("tactic", name) headers and ("technique", id) rows."""
    rows: list[tuple[str, str]] = []
    for technique in sorted(set(km["technique"]), key=lambda t: (tactic_of(t), t)):
        tactic = tactic_of(technique)
        if ("tactic", tactic) not in rows:
            rows.append(("tactic", tactic))
        rows.append(("technique", technique))
    return rows


@figure_function
def forest_plot(km: pd.DataFrame, out_base: Path) -> list[Path]:
    """Forest plot: per technique (grouped by ATT&CK tactic) and architecture, the restricted mean
    time to detect and to remediate over the horizon with its 95 % CI (log axis; every trial
    counted, one not there counting the horizon); k/n: trials that got there; a technique an
    architecture never got to is drawn as an open marker at the horizon, "missed"."""
    rows = forest_rows(km)
    architectures = architecture_order(km["architecture"])
    horizon = float(km["horizon_s"].max())
    tall = technique_row_units(len(architectures))  # each arm's k/n keeps its own line
    step = 0.8 * tall / max(len(architectures), 1)
    heights = [HEADER_UNITS if kind == "tactic" else tall for kind, _ in rows]
    centres = [sum(heights[:i]) + h / 2 for i, h in enumerate(heights)]
    fig, axes = plt.subplots(
        1, 2, figsize=(A4_COLUMN_WIDTH_IN, 1.1 + ROW_IN * sum(heights)), sharey=True
    )
    for ax, (stage, title) in zip(axes, STAGES.items(), strict=True):
        cells = km[km["stage"] == stage].set_index(["technique", "architecture"])
        for y, (kind, name) in zip(centres, rows, strict=True):
            if kind == "tactic":
                continue
            for j, arch in enumerate(architectures):
                if (name, arch) not in cells.index:
                    continue
                cell = cells.loc[(name, arch)]
                _draw_cell(
                    ax,
                    cell,
                    y + (j - (len(architectures) - 1) / 2) * step,
                    arch,
                    architectures,
                    horizon,
                )
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlim(left=1, right=horizon * 3)
        ax.axvline(horizon, color="black", linewidth=0.5, linestyle=":")
        ax.set_title(title, fontsize=8)
        ax.set_xlabel("RMST, seconds (log); dotted: horizon", fontsize=7)
        ax.tick_params(labelsize=6)
        ax.grid(axis="y", visible=False)
    labels = [
        textwrap.shorten(name.split(" ", 1)[-1].upper(), 34) if kind == "tactic" else name
        for kind, name in rows
    ]
    axes[0].set_yticks(centres, labels, fontsize=6)
    for tick, (kind, _) in zip(axes[0].get_yticklabels(), rows, strict=True):
        if kind == "tactic":
            tick.set_fontweight("bold")
    axes[0].set_ylim(sum(heights), 0)
    fig.legend(
        handles=[
            Line2D(
                [],
                [],
                marker=architecture_style(a, architectures)["marker"],
                linestyle="none",
                color=architecture_style(a, architectures)["color"],
                label=a,
            )
            for a in architectures
        ],
        loc="lower center",
        ncols=min(len(architectures), 4),
        fontsize=6,
        frameon=False,
        bbox_to_anchor=(0.5, 0.0),
    )
    legend_rows = -(-len(architectures) // 4)
    fig.tight_layout(rect=(0, (0.08 + 0.16 * legend_rows) / fig.get_figheight(), 1, 1))
    return save_figure(fig, out_base)


def _draw_cell(
    ax: plt.Axes, cell: pd.Series, y: float, arch: str, architectures: list[str], horizon: float
) -> None:
    style = architecture_style(arch, architectures)
    if cell["events"] == 0:
        ax.plot(
            horizon,
            y,
            marker=style["marker"],
            mfc="white",
            mec=style["color"],
            markersize=3.5,
            linestyle="none",
        )
        ax.annotate(
            "missed",
            (horizon, y),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=5,
        )
        return
    ax.plot(
        [max(cell["rmst_ci_low_s"], 1), max(cell["rmst_ci_high_s"], 1)],
        [y, y],
        color=style["color"],
        linestyle="-",
        linewidth=0.9,
    )
    ax.plot(
        max(cell["rmst_s"], 1),
        y,
        marker=style["marker"],
        color=style["color"],
        markeredgecolor="black",
        markeredgewidth=0.3,
        markersize=3.5,
        linestyle="none",
    )
    ax.annotate(
        f"{cell['events']}/{cell['n']}",
        (horizon, y),
        xytext=(4, 0),
        textcoords="offset points",
        va="center",
        fontsize=5,
    )
