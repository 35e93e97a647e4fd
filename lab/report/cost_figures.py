"""Cost figures: functions of a cost DataFrame, PNG (300 dpi) + PDF, same style as the others."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from lab.report.style import (
    A4_COLUMN_WIDTH_IN,
    architecture_style,
    figure_function,
    save_figure,
)

CATEGORY_HATCH = {
    "compute": "",
    "logging": "..",
    "detection-response": "xx",
    "notification": "--",
    "people": "//",
}


@figure_function
def cost_vs_scale(sweep: pd.DataFrame, out_base: Path, break_even_x: float | None) -> list[Path]:
    """Monthly cost against account activity (log-log), one line per architecture."""
    fig, ax = plt.subplots(figsize=(A4_COLUMN_WIDTH_IN, 3.2))
    for arch, group in sweep.groupby("architecture"):
        style = architecture_style(arch)
        ax.plot(
            group["management_events_per_day"],
            group["monthly_cost_usd"],
            label=arch,
            color=style["color"],
            marker=style["marker"],
            markersize=3,
            linewidth=1.2,
        )
    if break_even_x is not None:
        ax.axvline(break_even_x, color="black", linestyle=":", linewidth=1)
        ax.annotate(
            f"break-even\n{break_even_x:,.0f} events/day",
            (break_even_x, 0.95),
            xycoords=("data", "axes fraction"),
            ha="left",
            va="top",
            fontsize=7,
            xytext=(4, 0),
            textcoords="offset points",
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("management events per day (account activity)", fontsize=8)
    ax.set_ylabel("monthly cost (USD, log)", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(which="both", linewidth=0.3, alpha=0.5)
    ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return save_figure(fig, out_base)


@figure_function
def cost_breakdown(lines: pd.DataFrame, out_base: Path) -> list[Path]:
    """Where the money goes: stacked bars by category, one bar per architecture and profile."""
    table = lines.pivot_table(
        index=["profile", "architecture"],
        columns="category",
        values="cost_usd",
        aggfunc="sum",
        fill_value=0.0,
    )
    # One horizontal bar per architecture and profile: their names stay apart however many arms.
    fig, ax = plt.subplots(figsize=(A4_COLUMN_WIDTH_IN, max(2.0, 1.0 + 0.32 * len(table))))
    bottom = pd.Series(0.0, index=table.index)
    labels = [f"{a} ({p})" for p, a in table.index]
    for category in [c for c in CATEGORY_HATCH if c in table.columns]:
        ax.barh(
            labels,
            table[category],
            left=bottom,
            label=category,
            hatch=CATEGORY_HATCH[category],
            edgecolor="black",
            linewidth=0.4,
            color="white" if category != "people" else "#CCCCCC",
        )
        bottom += table[category]
    ax.set_xlabel("monthly cost (USD)", fontsize=8)
    ax.invert_yaxis()
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7, frameon=False, ncols=3, loc="lower center", bbox_to_anchor=(0.5, 1.0))
    fig.tight_layout()
    return save_figure(fig, out_base)


@figure_function
def cost_regions(grid: pd.DataFrame, out_base: Path) -> list[Path]:
    """Which architecture is cheaper per month, over account activity (x, log) and the engineer's
    hourly rate (y): each cell coloured by the cheaper one, the break-even line between them."""
    import numpy as np
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    archs = sorted(grid["architecture"].unique())
    if len(archs) != 2:
        raise ValueError(f"the region figure compares two architectures, not {archs}")
    wide = grid.pivot_table(
        index=["hourly_rate_usd", "management_events_per_day"],
        columns="architecture",
        values="monthly_cost_usd",
    ).reset_index()
    x = np.sort(wide["management_events_per_day"].unique())
    y = np.sort(wide["hourly_rate_usd"].unique())
    diff = (
        wide.assign(d=wide[archs[0]] - wide[archs[1]])
        .pivot(index="hourly_rate_usd", columns="management_events_per_day", values="d")
        .loc[y, x]
        .to_numpy()
    )
    colors = [architecture_style(a)["color"] for a in archs]
    fig, ax = plt.subplots(figsize=(A4_COLUMN_WIDTH_IN, 3.0))
    # diff > 0: the first architecture costs more, the second is cheaper.
    ax.pcolormesh(
        x,
        y,
        (diff > 0).astype(float),
        cmap=ListedColormap(colors),
        vmin=0.0,
        vmax=1.0,
        shading="nearest",
        alpha=0.35,
    )
    if (diff > 0).any() and (diff < 0).any():
        ax.contour(x, y, diff, levels=[0.0], colors="black", linewidths=1)
    else:  # one region: say so, not only by colour
        cheaper = archs[1] if (diff > 0).all() else archs[0]
        ax.text(
            0.5,
            0.5,
            f"{cheaper} cheaper everywhere swept",
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=8,
        )
    ax.set_xscale("log")
    ax.set_xlabel("management events per day (account activity)", fontsize=8)
    ax.set_ylabel("engineer cost (USD per hour)", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(
        handles=[
            Patch(facecolor=c, edgecolor="none", alpha=0.35, label=f"{a} cheaper")
            for a, c in zip(archs, colors, strict=True)
        ],
        fontsize=7,
        frameon=False,
        loc="upper left",
    )
    fig.tight_layout()
    return save_figure(fig, out_base)
