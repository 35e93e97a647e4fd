"""When in the week the attack landed, and how long the repair took: the staffing profiles differ at
nights and weekends only, so a run with injections across the week shows it here."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.ticker import NullFormatter

from lab.experiment.injection import BUSINESS_HOURS
from lab.experiment.results import sweep_columns
from lab.report.pages import tactic_of
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
    """Time to remediate against the hour of the week the attack landed (log axis), one panel per
    ATT&CK tactic (unlike techniques are not pooled into one cloud), one colour per staffing
    profile or architecture; trials not remediated drawn at the top as open markers; business
    hours (Monday to Friday 09:00-17:00) shaded."""
    kept = trials[(trials["outcome"] != "failed") & trials["injected_at"].notna()]
    if kept.empty:
        raise ValueError("no injected trial to place in the week")
    kept = kept.assign(tactic=kept["technique"].map(tactic_of))
    tactics = sorted(set(kept["tactic"]))
    groups = week_groups(kept)
    names = list(dict.fromkeys(sorted(groups)))
    order = architecture_order(names)
    ceiling = float(np.nanmax(kept["time_to_remediate_s"].to_numpy(float), initial=1.0)) * 1.5
    ncols = 1 if len(tactics) == 1 else 2
    nrows = -(-len(tactics) // ncols)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(A4_COLUMN_WIDTH_IN, 0.9 + (2.2 if ncols == 1 else 1.3) * nrows),
        sharex=True,
        sharey=True,
        squeeze=False,
    )
    for ax in axes.flat[len(tactics) :]:
        ax.set_visible(False)
    for ax, tactic in zip(axes.flat, tactics, strict=False):
        here = kept["tactic"] == tactic
        _week_panel(ax, kept[here], groups[here], names, order, ceiling)
        count = kept.loc[here, "technique"].nunique()
        ax.set_title(
            f"{tactic.split(' ', 1)[-1]} ({count} technique{'s' if count > 1 else ''})", fontsize=7
        )
    for ax in axes[:, 0]:
        ax.set_ylabel("time to remediate (h)", fontsize=7)
    for column in range(ncols):  # the lowest drawn panel of each column carries the day axis
        shown = [ax for ax in axes[:, column] if ax.get_visible()]
        shown[-1].xaxis.set_tick_params(labelbottom=True)
        shown[-1].set_xlabel("attack landed (UTC; business hours shaded)", fontsize=7)
    handles = [
        Line2D(
            [],
            [],
            linestyle="none",
            marker=architecture_style(n, order)["marker"],
            color=architecture_style(n, order)["color"],
            markersize=4,
            label=n,
        )
        for n in names
    ] + [
        Line2D(
            [],
            [],
            linestyle="none",
            marker="o",
            mfc="white",
            mec="black",
            markersize=4,
            label="not remediated (drawn at the top)",
        )
    ]
    fig.legend(
        handles=handles,
        loc="lower center",
        ncols=min(len(handles), 3),
        fontsize=6,
        frameon=False,
        bbox_to_anchor=(0.5, 0.0),
    )
    fig.tight_layout(rect=(0, 0.35 / fig.get_figheight() * (1 + len(handles) // 4), 1, 1))
    return save_figure(fig, out_base)


def _week_panel(
    ax: plt.Axes,
    kept: pd.DataFrame,
    groups: pd.Series,
    names: list[str],
    order: list[str],
    ceiling: float,
) -> None:
    hours = hour_of_week(kept["injected_at"])
    for day in range(5):
        ax.axvspan(
            day * 24 + BUSINESS_HOURS[0] / 3600,
            day * 24 + BUSINESS_HOURS[1] / 3600,
            color="#000000",
            alpha=0.06,
            linewidth=0,
        )
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
            markersize=3.5,
        )
        if (~done).any():
            ax.plot(
                x[~done],
                np.full(int((~done).sum()), ceiling / 3600),
                linestyle="none",
                marker=style["marker"],
                mfc="white",
                mec=style["color"],
                markersize=3.5,
            )
    ax.set_yscale("log")
    ax.yaxis.set_minor_formatter(NullFormatter())  # a short range: minor labels would collide
    ax.set_xlim(0, 168)
    ax.set_xticks(np.arange(0, 168, 24) + 12, DAYS, fontsize=6)
    for day in range(1, 7):
        ax.axvline(day * 24, color="black", linewidth=0.3, alpha=0.4)
    ax.tick_params(labelsize=6)
