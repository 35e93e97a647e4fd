"""Survival figures: the fraction of trials not yet detected / remediated over time, per technique,
Kaplan-Meier with its 95 % band, censored trials marked (``lab.report.survival``)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.ticker import NullFormatter

from lab.report.style import (
    A4_COLUMN_WIDTH_IN,
    architecture_order,
    architecture_style,
    figure_function,
    save_figure,
)
from lab.report.survival import km_curve, survival_data

STAGES = {"time_to_detect_s": "not yet detected", "time_to_remediate_s": "not yet remediated"}
COLUMNS = 4  # panels per row: a page of 12 (``lab.report.pages``) is 3 rows of 4
TITLE_CHARS = 24  # a panel's title wraps here: long technique names stay over their own panel


@figure_function
def survival_curves(
    trials: pd.DataFrame, out_base: Path, window_s: pd.Series, column: str = "time_to_detect_s"
) -> list[Path]:
    """One panel per technique: the fraction of trials not yet at the stage over time (``column``:
    detected or remediated), Kaplan-Meier per architecture (log time axis), its 95 % band shaded,
    a tick where a trial was censored (still waiting when its observation ended)."""
    techniques = sorted(set(trials["technique"]))
    architectures = architecture_order(trials["architecture"])
    ncols = min(COLUMNS, len(techniques))
    nrows = -(-len(techniques) // ncols)
    width = max(4.2, min(A4_COLUMN_WIDTH_IN, 1.2 + 2.3 * ncols))
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(width, 0.8 + 1.7 * nrows), sharex=True, sharey=True, squeeze=False
    )
    for ax in axes.flat[len(techniques) :]:
        ax.set_visible(False)
    for ax, technique in zip(axes.flat, techniques, strict=False):
        for arch in architectures:
            group = trials[(trials["technique"] == technique) & (trials["architecture"] == arch)]
            data = survival_data(group, column, window_s)
            if data.empty:
                continue
            style = architecture_style(arch, architectures)
            curve = km_curve(data)
            censored = int((~data["observed"]).sum())
            times = curve["time_s"].clip(lower=1)
            ax.step(
                times,
                curve["fraction"],
                where="post",
                color=style["color"],
                linestyle=style["linestyle"],
                linewidth=1.1,
                label=arch + (f" ({censored} cens.)" if censored else ""),
            )
            ax.fill_between(
                times,
                curve["low"],
                curve["high"],
                step="post",
                color=style["color"],
                alpha=0.15,
                linewidth=0,
            )
            lost = data.loc[~data["observed"], "duration_s"]
            if len(lost):
                at = curve.set_index("time_s")["fraction"]
                ax.plot(
                    lost.clip(lower=1),
                    [at[at.index <= t].iloc[-1] for t in lost],
                    "|",
                    color=style["color"],
                    markersize=7,
                )
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_ylim(-0.02, 1.02)
        ax.grid(which="major", linewidth=0.3, alpha=0.5)
        ax.tick_params(labelsize=6)
        ax.set_title(textwrap.fill(technique, TITLE_CHARS), fontsize=6.5)
        ax.legend(fontsize=5.5, loc="lower left", frameon=False)
    for ax in axes[:, 0]:
        ax.set_ylabel(f"fraction {STAGES.get(column, column)}", fontsize=7)
    for ax in axes[-1, :]:
        ax.set_xlabel("seconds after injection (log)", fontsize=7)
    fig.suptitle(
        f"Kaplan-Meier: trials {STAGES.get(column, column)}; 95 % band; | censored", fontsize=8
    )
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.25 / fig.get_figheight()))  # the suptitle's own strip
    return save_figure(fig, out_base)
