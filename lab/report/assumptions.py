"""How the comparison moves with what is assumed: a one-at-a-time sweep of assumed delays (the
person's read, diagnose and typing times, ``sweep_design: one-at-a-time``) read as the time to
remediate per architecture at every point, the break-even value of one delay at which an
architecture meets a target, a tornado chart of every swept delay's effect, and which conclusions
hold over the whole range.

Times are survival estimates (lifelines' Kaplan-Meier): a trial not remediated by the end of its
window is censored there, so the median and p90 use every trial ("not reached" when fewer than
half, or 90 %, were remediated in the window).
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import matplotlib.ticker as ticker
import numpy as np
import pandas as pd

from lab.experiment.results import SWEEP_COLUMN_PREFIX, short_name, sweep_columns
from lab.report.style import (
    A4_COLUMN_WIDTH_IN,
    architecture_order,
    architecture_style,
    save_figure,
)
from lab.report.survival import km_fit, km_quantile, observation_window_s, survival_data

COLUMN = "time_to_remediate_s"
DEFAULT_TARGET_S = 900.0  # a 15-minute response objective; ``lab assumptions --target`` sets it


def _quantile_s(data: pd.DataFrame, fraction: float) -> float:
    """The time by which ``fraction`` of the trials were remediated (Kaplan-Meier, as the report
    reads it; NaN: not reached in the window)."""
    return km_quantile(km_fit(data), fraction) if len(data) else float("nan")


def estimates(trials: pd.DataFrame, scenario: dict[str, Any]) -> pd.DataFrame:
    """Per sweep point and architecture: trials, share remediated, KM median and p90 of the time
    to remediate (every technique of the point pooled: the sweep's techniques are its question)."""
    columns = sweep_columns(trials)
    if not columns:
        raise ValueError("the run is not a sweep: nothing was varied")
    window = observation_window_s(trials, scenario)
    data = survival_data(trials, COLUMN, window)
    rows = []
    for keys, group in data.groupby([*columns, "architecture"], sort=False):
        rows.append(
            {
                **dict(zip([*columns, "architecture"], keys, strict=True)),
                "trials": len(group),
                "remediated": float(group["observed"].mean()),
                "median_s": _quantile_s(group, 0.5),
                "p90_s": _quantile_s(group, 0.9),
            }
        )
    return pd.DataFrame(rows)


def _baselines(table: pd.DataFrame) -> dict[str, Any]:
    """Each swept key's baseline: the value of the sweep's first point."""
    return {c: table[c].iloc[0] for c in table.columns if c.startswith(SWEEP_COLUMN_PREFIX)}


def along(table: pd.DataFrame, key: str) -> pd.DataFrame:
    """The points where only ``key`` moves (every other key at its baseline), by ``key``."""
    column = key if key.startswith(SWEEP_COLUMN_PREFIX) else SWEEP_COLUMN_PREFIX + key
    others = {c: v for c, v in _baselines(table).items() if c != column}
    mask = np.ones(len(table), dtype=bool)
    for other, value in others.items():
        mask &= (table[other] == value).to_numpy()
    return table[mask].sort_values(column)


def break_even(table: pd.DataFrame, key: str, architecture: str, target_s: float) -> float | None:
    """The largest value of ``key`` at which ``architecture``'s median time to remediate is
    within ``target_s``, interpolated linearly between the swept values around it; None when it
    is at no swept value, inf when it is at every one."""
    column = key if key.startswith(SWEEP_COLUMN_PREFIX) else SWEEP_COLUMN_PREFIX + key
    line = along(table, column)
    line = line[line["architecture"] == architecture]
    values, medians = line[column].astype(float).to_numpy(), line["median_s"].to_numpy()
    within = medians <= target_s
    if not within.any():
        return None
    if within.all():
        return float("inf")
    last = int(np.flatnonzero(within)[-1])
    if last + 1 >= len(values) or not np.isfinite(medians[last + 1]):
        return float(values[last])
    x0, x1, y0, y1 = values[last], values[last + 1], medians[last], medians[last + 1]
    return float(x0 + (target_s - y0) * (x1 - x0) / (y1 - y0))


def break_even_words(value: float | None, finite: str = "up to {:.2f} x baseline") -> str:
    """A break-even value as the lab says it (``finite`` formats a value within the sweep)."""
    if value is None:
        return "at no swept value"
    return "at every swept value" if value == float("inf") else finite.format(value)


def effects(table: pd.DataFrame) -> pd.DataFrame:
    """Per swept key and architecture: the median at the baseline and at the key's lowest and
    highest values (the others at their baselines): the tornado chart's bars."""
    rows = []
    baselines = _baselines(table)
    for column in baselines:
        line = along(table, column)
        for architecture, group in line.groupby("architecture", sort=False):
            base = group[group[column] == baselines[column]]["median_s"]
            low, high = group.iloc[0], group.iloc[-1]
            rows.append(
                {
                    "key": short_name(column.removeprefix(SWEEP_COLUMN_PREFIX)),
                    "architecture": architecture,
                    "low_value": low[column],
                    "high_value": high[column],
                    "baseline_s": float(base.iloc[0]) if len(base) else float("nan"),
                    "at_low_s": float(low["median_s"]),
                    "at_high_s": float(high["median_s"]),
                }
            )
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    frame["swing_s"] = (frame["at_high_s"] - frame["at_low_s"]).abs()
    return frame.sort_values(["architecture", "swing_s"], ascending=[True, False])


def conclusions(table: pd.DataFrame) -> list[str]:
    """Which ordering of the architectures' median times holds at every point, and where not."""
    architectures = architecture_order(table["architecture"])
    if len(architectures) < 2:
        return []
    columns = [c for c in table.columns if c.startswith(SWEEP_COLUMN_PREFIX)]
    found = []
    for a, b in itertools.pairwise(architectures):
        flips = []
        for values, group in table.groupby(columns, sort=False):
            medians = group.set_index("architecture")["median_s"]
            if a in medians and b in medians and not medians[b] < medians[a]:
                flips.append(dict(zip(columns, np.atleast_1d(values), strict=True)))
        if not flips:
            found.append(f"{b} remediates faster than {a} (median) at every point: holds.")
        else:
            shown = "; ".join(
                ", ".join(
                    f"{short_name(k.removeprefix(SWEEP_COLUMN_PREFIX))}={v}" for k, v in p.items()
                )
                for p in flips
            )
            found.append(f"{b} is not faster than {a} at: {shown}: depends on the assumption.")
    return found


def seconds(value: float) -> str:
    """A time as printed: seconds, or "not reached" (NaN or infinite)."""
    return "not reached" if not np.isfinite(value) else f"{value:,.0f} s"


def delay_figure(table: pd.DataFrame, key: str, target_s: float, out_base: Path) -> list[Path]:
    """Median (solid) and p90 (dashed) time to remediate against one swept delay, per
    architecture, with the target and each architecture's break-even value."""
    column = key if key.startswith(SWEEP_COLUMN_PREFIX) else SWEEP_COLUMN_PREFIX + key
    line = along(table, column)
    architectures = architecture_order(line["architecture"])
    fig, ax = plt.subplots(figsize=(A4_COLUMN_WIDTH_IN, 3.0))
    for architecture in architectures:
        style = architecture_style(architecture, architectures)
        rows = line[line["architecture"] == architecture]
        x = rows[column].astype(float)
        for quantity, linestyle, label in (("median_s", "-", "median"), ("p90_s", "--", "p90")):
            y = rows[quantity].replace(np.inf, np.nan)
            ax.plot(
                x,
                y,
                linestyle=linestyle,
                marker=style["marker"],
                color=style["color"],
                label=f"{architecture} {label}",
            )
        even = break_even(table, column, architecture, target_s)
        if even is not None and np.isfinite(even):
            ax.axvline(even, color=style["color"], linewidth=0.6, linestyle=":")
    ax.axhline(
        target_s, color="black", linewidth=0.6, linestyle=":", label=f"target {target_s:,.0f} s"
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    _plain_log_axis(ax.xaxis, list(line[column].astype(float)))
    _plain_log_axis(ax.yaxis)
    ax.set_xlabel(f"{short_name(column.removeprefix(SWEEP_COLUMN_PREFIX))} (x baseline)")
    ax.set_ylabel("time to remediate (s, KM)")
    ax.legend(fontsize=6, ncol=2, loc="best")
    fig.tight_layout()
    return save_figure(fig, out_base)


def _label(key: str, low: Any, high: Any) -> str:
    """``on-call.read_alert_s.scale`` swept 0.1..16 -> ``read_alert_s x0.1-x16``."""
    name = key.removesuffix(".scale").split(".")[-1]
    return f"{name} x{low:g}-x{high:g}" if key.endswith(".scale") else f"{name} {low}-{high}"


def _plain_log_axis(axis: Any, values: list[float] | None = None) -> None:
    """A log axis with plain numbers at a few ticks (or at ``values``), no minor labels."""
    axis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(ticker.NullFormatter())
    if values:
        axis.set_major_locator(ticker.FixedLocator(sorted(set(values))))
    else:
        axis.set_major_locator(ticker.LogLocator(numticks=4))


def tornado_figure(frame: pd.DataFrame, out_base: Path) -> list[Path]:
    """One panel per architecture: each swept delay's bar from its median time to remediate at the
    lowest value to the highest, around the baseline (the vertical line), largest swing on top; a
    delay that moves nothing is a tick at its value."""
    architectures = architecture_order(frame["architecture"])
    order = frame.groupby("key")["swing_s"].max().sort_values().index.tolist()
    labels = {row.key: _label(row.key, row.low_value, row.high_value) for row in frame.itertuples()}
    fig, axes = plt.subplots(
        1,
        len(architectures),
        figsize=(A4_COLUMN_WIDTH_IN, max(2.2, 0.9 + 0.45 * len(order))),
        squeeze=False,
        sharey=True,
    )
    for ax, architecture in zip(axes[0], architectures, strict=True):
        rows = frame[frame["architecture"] == architecture].set_index("key")
        style = architecture_style(architecture, architectures)
        for y, key in enumerate(order):
            if key not in rows.index:
                continue
            low, high = sorted((rows.loc[key, "at_low_s"], rows.loc[key, "at_high_s"]))
            if not (np.isfinite(low) and np.isfinite(high)):
                ax.annotate(
                    "not reached",
                    (0.98, y),
                    xycoords=("axes fraction", "data"),
                    ha="right",
                    va="center",
                    fontsize=6,
                )
                continue
            if high > low:
                ax.barh(y, high - low, left=low, height=0.6, color=style["color"], alpha=0.8)
            else:
                ax.plot(
                    [low], [y], marker="|", markersize=14, mew=2, color=style["color"], zorder=3
                )
        baseline = rows["baseline_s"].dropna()
        if len(baseline):
            ax.axvline(float(baseline.iloc[0]), color="grey", linewidth=0.6, zorder=1)
        ax.set_xscale("log")
        shown = rows[["at_low_s", "at_high_s"]].to_numpy(float)
        shown = shown[np.isfinite(shown) & (shown > 0)]
        if len(shown) and shown.max() < 1.5 * shown.min():
            # Nothing moves this architecture's time (automation does not wait for the person):
            # its ticks get a range around them, not a degenerate axis that draws nothing.
            ax.set_xlim(shown.min() / 3, shown.max() * 3)
        _plain_log_axis(ax.xaxis)
        ax.set_title(architecture, fontsize=8)
    axes[0][0].set_yticks(range(len(order)), [labels[k] for k in order], fontsize=7)
    fig.supxlabel("median time to remediate (s, Kaplan-Meier), baseline at the line", fontsize=8)
    fig.tight_layout()
    return save_figure(fig, out_base)


def write(
    trials: pd.DataFrame,
    scenario: dict[str, Any],
    figures_dir: Path,
    target_s: float = DEFAULT_TARGET_S,
    key: str | None = None,
) -> dict[str, Any]:
    """The estimates, effects, break-even values and conclusions of a sweep run; the two figures
    in ``figures_dir`` (``key``: the delay of the break-even figure, default the one swept at the
    most values)."""
    table = estimates(trials, scenario)
    columns = [c for c in table.columns if c.startswith(SWEEP_COLUMN_PREFIX)]
    # Default: the key swept at the most values (the manifest keeps the keys sorted, not in the
    # scenario's order).
    finest = max(columns, key=lambda c: (table[c].nunique(), -columns.index(c)))
    column = SWEEP_COLUMN_PREFIX + key.removeprefix(SWEEP_COLUMN_PREFIX) if key else finest
    if column not in columns:
        raise ValueError(f"{column.removeprefix(SWEEP_COLUMN_PREFIX)!r} is not swept in this run")
    figures_dir.mkdir(parents=True, exist_ok=True)
    frame = effects(table)
    files = delay_figure(table, column, target_s, figures_dir / "delay_response")
    files += tornado_figure(frame, figures_dir / "tornado")
    return {
        "estimates": table,
        "effects": frame,
        "break_even": {
            a: break_even(table, column, a, target_s)
            for a in architecture_order(table["architecture"])
        },
        "key": column.removeprefix(SWEEP_COLUMN_PREFIX),
        "conclusions": conclusions(table),
        "figures": files,
    }
