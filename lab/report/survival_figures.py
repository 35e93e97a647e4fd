"""Survival figures: the fraction of trials not yet detected / remediated over time, per technique,
Kaplan-Meier with its 95 % band, censored trials marked (``lab.report.survival``)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from lab.report.style import A4_COLUMN_WIDTH_IN, ARCHITECTURE_STYLE, figure_function, save_figure
from lab.report.survival import km_curve, survival_data

STAGES = [("time_to_detect_s", "not yet detected"), ("time_to_remediate_s", "not yet remediated")]


@figure_function
def survival_curves(trials: pd.DataFrame, out_base: Path, window_s: pd.Series) -> list[Path]:
    """One column per technique, one row per stage: Kaplan-Meier curves per architecture (log
    time axis), the 95 % band shaded, a tick where a trial was censored (still waiting when its
    observation ended)."""
    techniques = sorted(set(trials["technique"]))
    architectures = [a for a in ARCHITECTURE_STYLE if a in set(trials["architecture"])]
    width = min(A4_COLUMN_WIDTH_IN, 1.0 + 2.6 * len(techniques))
    fig, axes = plt.subplots(
        len(STAGES),
        len(techniques),
        figsize=(width, 1.9 * len(STAGES) + 0.6),
        sharex=True,
        sharey=True,
        squeeze=False,
    )
    for col, technique in enumerate(techniques):
        for row, (column, label) in enumerate(STAGES):
            ax = axes[row][col]
            for arch in architectures:
                group = trials[
                    (trials["technique"] == technique) & (trials["architecture"] == arch)
                ]
                data = survival_data(group, column, window_s)
                if data.empty:
                    continue
                style = ARCHITECTURE_STYLE[arch]
                curve = km_curve(data)
                censored = int((~data["observed"]).sum())
                ax.step(
                    curve["time_s"].clip(lower=1),
                    curve["fraction"],
                    where="post",
                    color=style["color"],
                    linestyle=style["linestyle"],
                    linewidth=1.2,
                    label=f"{arch}" + (f" ({censored} censored)" if censored else ""),
                )
                ax.fill_between(
                    curve["time_s"].clip(lower=1),
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
            ax.set_ylim(-0.02, 1.02)
            ax.grid(which="major", linewidth=0.3, alpha=0.5)
            ax.tick_params(labelsize=7)
            if row == 0:
                ax.set_title(technique, fontsize=8)
            if col == 0:
                ax.set_ylabel(f"fraction {label}", fontsize=8)
            if row == len(STAGES) - 1:
                ax.set_xlabel("seconds after injection (log)", fontsize=8)
            ax.legend(fontsize=6, loc="lower left", frameon=False)
    fig.suptitle("Kaplan-Meier: trials still waiting, 95 % band; | censored", fontsize=9)
    fig.tight_layout()
    return save_figure(fig, out_base)
