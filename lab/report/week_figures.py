"""When in the week the attack landed, and how long the repair took: the staffing profiles differ at
nights and weekends only, so a run with injections across the week shows it here."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from lab.experiment.injection import BUSINESS_HOURS
from lab.experiment.results import sweep_columns
from lab.report.style import (
    A4_COLUMN_WIDTH_IN,
    architecture_order,
    architecture_style,
    figure_function,
    save_figure,
)

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def hour_of_week(instants: pd.Series) -> pd.Series:
    """Hours since Monday 00:00 of each ISO instant (its own time zone, UTC in the lab)."""
    moments = pd.to_datetime(instants, utc=True)
    return moments.dt.dayofweek * 24 + moments.dt.hour + moments.dt.minute / 60


def week_groups(trials: pd.DataFrame) -> pd.Series:
    """What a point's colour stands for: the sweep point (e.g. the staffing profile) and the
    architecture when there are several."""
    columns = [*sweep_columns(trials)]
    if trials["architecture"].nunique() > 1 or not columns:
        columns.append("architecture")
    return trials[columns].astype(str).agg(" ".join, axis=1)


@figure_function
def ttr_by_time_of_week(trials: pd.DataFrame, out_base: Path) -> list[Path]:
    """Time to remediate against the hour of the week the attack landed (log axis), one colour per
    staffing profile or architecture; trials not remediated drawn at their observation's end as
    open markers; business hours (Monday to Friday 09:00-17:00) shaded."""
    kept = trials[(trials["outcome"] != "failed") & trials["injected_at"].notna()]
    if kept.empty:
        raise ValueError("no injected trial to place in the week")
    hours = hour_of_week(kept["injected_at"])
    groups = week_groups(kept)
    names = list(dict.fromkeys(sorted(groups)))
    fig, ax = plt.subplots(figsize=(A4_COLUMN_WIDTH_IN, 2.8))
    for day in range(5):
        ax.axvspan(
            day * 24 + BUSINESS_HOURS[0] / 3600,
            day * 24 + BUSINESS_HOURS[1] / 3600,
            color="#000000",
            alpha=0.06,
            linewidth=0,
        )
    ceiling = float(np.nanmax(kept["time_to_remediate_s"].to_numpy(float), initial=1.0))
    order = architecture_order(names)
    for name in names:
        rows = kept[groups == name]
        x = hours[groups == name]
        done = rows["time_to_remediate_s"].notna()
        style = architecture_style(name, order)
        ax.plot(
            x[done],
            rows.loc[done, "time_to_remediate_s"] / 3600,
            linestyle="none",
            marker=style["marker"],
            color=style["color"],
            markersize=4,
            label=name,
        )
        if (~done).any():
            ax.plot(
                x[~done],
                np.full((~done).sum(), ceiling * 1.5 / 3600),
                linestyle="none",
                marker=style["marker"],
                mfc="white",
                mec=style["color"],
                markersize=4,
            )
    ax.set_yscale("log")
    ax.set_xlim(0, 168)
    ax.set_xticks(np.arange(0, 168, 24) + 12, DAYS, fontsize=7)
    for day in range(1, 7):
        ax.axvline(day * 24, color="black", linewidth=0.3, alpha=0.4)
    ax.set_ylabel("time to remediate (hours)", fontsize=8)
    ax.set_xlabel("attack landed (UTC; business hours shaded)", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=6, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    return save_figure(fig, out_base)
