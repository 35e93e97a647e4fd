"""The attribution figure: each factor's effect on the time to detect and to remediate, with its
95 % CI (``lab.report.attribution``)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from lab.report.style import A4_COLUMN_WIDTH_IN, figure_function, save_figure

STAGES = ("TTD", "TTR")


@figure_function
def attribution_effects(table: pd.DataFrame, out_base: Path) -> list[Path]:
    """One row per factor (and interaction), one panel per stage: the median paired difference in
    minutes (high level minus low level; left of zero = faster; circles) and the mean paired
    difference (squares, which move when misses turn into detections), each with its 95 % cluster
    bootstrap CI by technique; an open marker where censored trials make the effect a bound."""
    effects = list(dict.fromkeys(table["effect"]))
    labels = [
        f"{e}\n{table[table['effect'] == e]['contrast'].iloc[0]}" if " x " not in e else e
        for e in effects
    ]
    fig, axes = plt.subplots(
        1, 2, figsize=(A4_COLUMN_WIDTH_IN, 1.0 + 0.55 * len(effects)), sharey=True
    )
    for ax, stage in zip(axes, STAGES, strict=True):
        rows = table[table["stage"] == stage].set_index("effect").reindex(effects)
        y = np.arange(len(effects))
        minutes = rows["median_difference_s"].to_numpy(float) / 60
        low = rows["ci_low_s"].to_numpy(float) / 60
        high = rows["ci_high_s"].to_numpy(float) / 60
        ax.axvline(0, color="black", linewidth=0.6)
        ax.errorbar(
            minutes,
            y,
            xerr=[np.maximum(minutes - low, 0), np.maximum(high - minutes, 0)],
            fmt="none",
            ecolor="#0072B2",
            capsize=3,
            linewidth=1,
        )
        censored = rows["one_censored"].fillna(0).to_numpy() > 0
        ax.plot(minutes[~censored], y[~censored], "o", color="#0072B2", markersize=5)
        ax.plot(
            minutes[censored],
            y[censored],
            "o",
            mfc="white",
            mec="#0072B2",
            markersize=5,
            label="bound (censored trials)",
        )
        if "mean_difference_s" in rows:
            mean = rows["mean_difference_s"].to_numpy(float) / 60
            ax.errorbar(
                mean,
                y + 0.25,
                xerr=[
                    np.maximum(mean - rows["mean_ci_low_s"].to_numpy(float) / 60, 0),
                    np.maximum(rows["mean_ci_high_s"].to_numpy(float) / 60 - mean, 0),
                ],
                fmt="s",
                color="#E69F00",
                ecolor="#E69F00",
                capsize=3,
                linewidth=1,
                markersize=4,
                label="mean",
            )
        ax.set_title(f"Effect on {stage} (minutes)", fontsize=8)
        ax.set_xscale("symlog", linthresh=1)
        ax.tick_params(labelsize=7)
        ax.grid(axis="x", linewidth=0.3, alpha=0.5)
    axes[0].set_yticks(range(len(effects)), labels, fontsize=7)
    axes[0].set_ylim(len(effects) - 0.5, -0.5)
    for ax in axes:
        ax.tick_params(axis="x", labelsize=6)
    fig.legend(
        handles=[
            Line2D([], [], marker="o", color="#0072B2", linestyle="none", label="median"),
            Line2D(
                [],
                [],
                marker="o",
                mfc="white",
                mec="#0072B2",
                linestyle="none",
                label="median, a bound (censored trials)",
            ),
            Line2D([], [], marker="s", color="#E69F00", linestyle="none", label="mean"),
        ],
        loc="lower center",
        ncols=3,
        fontsize=6,
        frameon=False,
        bbox_to_anchor=(0.5, 0.0),
    )
    fig.tight_layout(rect=(0, 0.3 / fig.get_figheight(), 1, 1))
    return save_figure(fig, out_base)
