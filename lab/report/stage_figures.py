"""The stage waterfall: where each architecture spends its time on the way from injection to
remediation (``lab.report.stages``)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import NullFormatter

from lab.report.stages import STAGES
from lab.report.style import (
    A4_COLUMN_WIDTH_IN,
    architecture_order,
    architecture_style,
    figure_function,
    save_figure,
)

STAGE_MARKERS = dict(zip(STAGES, ["o", "D", "^", "s", "*"], strict=True))


@figure_function
def stage_waterfall(table: pd.DataFrame, out_base: Path) -> list[Path]:
    """Where the time goes: per technique and architecture, the median seconds from injection to
    each stage (first log delivered, detected, alert delivered, response started, remediated) with
    its 95 % bootstrap CI, on one log axis; stages drawn in their order, so one reached out of order
    shows as such."""
    techniques = sorted(set(table["technique"]))
    architectures = architecture_order(table["architecture"])
    lanes = [(t, a) for t in techniques for a in architectures]
    fig, ax = plt.subplots(figsize=(A4_COLUMN_WIDTH_IN, 1.0 + 0.34 * len(lanes)))  # 24 lanes: A4
    for y, (technique, arch) in enumerate(lanes):
        style = architecture_style(arch, architectures)
        rows = table[(table["technique"] == technique) & (table["architecture"] == arch)]
        rows = rows.set_index("stage").reindex(list(STAGES))
        reached = rows["median_s"].dropna()
        if len(reached):
            ax.plot(
                np.maximum(reached.to_numpy(), 1),
                [y] * len(reached),
                color=style["color"],
                linestyle=style["linestyle"],
                linewidth=0.8,
                alpha=0.6,
            )
        for i, (stage, marker) in enumerate(STAGE_MARKERS.items()):
            row = rows.loc[stage]
            lane = y + (i - 2) * 0.09  # each stage's CI on its own line
            if pd.isna(row["median_s"]):
                continue
            low = max(row["ci_low_s"], 1) if pd.notna(row["ci_low_s"]) else None
            high = max(row["ci_high_s"], 1) if pd.notna(row["ci_high_s"]) else None
            median = max(row["median_s"], 1)
            if low is not None and high is not None:
                ax.plot(
                    [low, high],
                    [lane, lane],
                    color=style["color"],
                    linestyle="-",
                    linewidth=1.6,
                    alpha=0.3,
                    solid_capstyle="butt",
                )
            ax.plot(
                median,
                lane,
                marker=marker,
                color=style["color"],
                markeredgecolor="black",
                markeredgewidth=0.4,
                markersize=6,
                linestyle="none",
            )
    ax.set_yticks(range(len(lanes)), [f"{t}\n{a}" for t, a in lanes], fontsize=7)
    ax.set_ylim(len(lanes) - 0.5, -0.5)
    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(NullFormatter())  # a short range: minor labels would collide
    ax.set_xlabel("median seconds after injection (log); bar: 95 % CI", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(axis="x", which="major", linewidth=0.3, alpha=0.5)
    ax.legend(
        handles=[
            plt.Line2D(
                [],
                [],
                marker=m,
                color="grey",
                markeredgecolor="black",
                linestyle="none",
                label=stage,
            )
            for stage, m in STAGE_MARKERS.items()
        ],
        fontsize=7,
        frameon=False,
        ncols=3,
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
    )
    fig.tight_layout()
    return save_figure(fig, out_base)
