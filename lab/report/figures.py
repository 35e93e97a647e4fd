"""Figures: each a function of a results DataFrame, written as PNG (300 dpi) and PDF in the lab's
one style (``lab.mplstyle``); an empty DataFrame is an ``EmptyDataError``."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Patch
from matplotlib.ticker import NullFormatter

from lab.report.coverage import FRACTIONS
from lab.report.style import (
    A4_COLUMN_WIDTH_IN,
    architecture_order,
    architecture_style,
    figure_function,
    save_figure,
)


@figure_function
def latency_comparison(trials: pd.DataFrame, out_base: Path) -> list[Path]:
    """Time to detect and time to remediate, one row per technique (unlike techniques are never
    pooled), a box and the trials per architecture (log axis); k/n: trials that got there."""
    metrics = [("time_to_detect_s", "Time to detect"), ("time_to_remediate_s", "Time to remediate")]
    architectures = architecture_order(trials["architecture"])
    techniques = sorted(set(trials["technique"]))
    step = 0.8 / max(len(architectures), 1)
    # A row per technique, taller when more than two arms share it (their k/n labels stay apart).
    row_in = 0.55 * max(1.0, len(architectures) / 4)
    fig, axes = plt.subplots(
        1, 2, figsize=(A4_COLUMN_WIDTH_IN, 1.1 + row_in * len(techniques)), sharey=True
    )
    rng = np.random.default_rng(0)  # jitter only; fixed so the figure is reproducible
    for ax, (column, title) in zip(axes, metrics, strict=True):
        for row, technique in enumerate(techniques):
            for j, arch in enumerate(architectures):
                style = architecture_style(arch, architectures)
                y = row + (j - (len(architectures) - 1) / 2) * step
                cell = trials[(trials["technique"] == technique) & (trials["architecture"] == arch)]
                values = cell[column].dropna().to_numpy(dtype=float)
                if len(values):
                    boxes = ax.boxplot(
                        [values],
                        positions=[y],
                        widths=step * 0.7,
                        orientation="horizontal",
                        patch_artist=True,
                        showfliers=False,
                        medianprops={"color": "black", "linewidth": 1.1},
                        whiskerprops={"linewidth": 0.7},
                        capprops={"linewidth": 0.7},
                    )
                    boxes["boxes"][0].set(
                        facecolor=style["color"], alpha=0.35, hatch=style["hatch"]
                    )
                    ax.scatter(
                        values,
                        y + rng.uniform(-step * 0.2, step * 0.2, len(values)),
                        s=7,
                        marker=style["marker"],
                        color=style["color"],
                        edgecolor="black",
                        linewidth=0.25,
                        zorder=3,
                    )
                ax.annotate(
                    f"{len(values)}/{len(cell)}",
                    (1, y),
                    xycoords=("axes fraction", "data"),
                    xytext=(3, 0),
                    textcoords="offset points",
                    va="center",
                    fontsize=6,
                )
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())  # few decades: minor labels would collide
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("seconds after injection (log)", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(axis="x", which="major", linewidth=0.3, alpha=0.5)
        for boundary in range(len(techniques) - 1):
            ax.axhline(boundary + 0.5, color="black", linewidth=0.3, alpha=0.3)
    axes[0].set_yticks(range(len(techniques)), techniques, fontsize=7)
    axes[0].set_ylim(len(techniques) - 0.5, -0.5)
    fig.legend(
        handles=[
            Patch(
                facecolor=architecture_style(a, architectures)["color"],
                alpha=0.5,
                hatch=architecture_style(a, architectures)["hatch"],
                edgecolor="black",
                label=a,
            )
            for a in architectures
        ],
        loc="lower center",
        ncols=min(len(architectures), 3),
        fontsize=7,
        frameon=False,
        bbox_to_anchor=(0.5, -0.02),
    )
    fig.tight_layout(rect=(0, 0.05, 0.97, 1))
    return save_figure(fig, out_base)


@figure_function
def incident_timeline(trials: pd.DataFrame, out_base: Path, trial: int = 0) -> list[Path]:
    """One trial of each technique (``trial``, default the first), per architecture, as a Gantt
    chart: injected -> detected -> alerted -> remediated (a missing bar: never reached)."""
    stages = [
        ("time_to_detect_s", "to detection", ""),
        ("time_to_alert_s", "to alert", ".."),
        ("time_to_remediate_s", "to remediation", "//"),
    ]
    rows = trials[trials["trial"] == trial]
    architectures = architecture_order(rows["architecture"])
    lanes = [
        (technique, arch)
        for technique in sorted(set(rows["technique"]))
        for arch in architectures
        if ((rows["technique"] == technique) & (rows["architecture"] == arch)).any()
    ]
    fig, ax = plt.subplots(figsize=(A4_COLUMN_WIDTH_IN, 0.9 + 0.34 * len(lanes)))
    for y, (technique, arch) in enumerate(lanes):
        style = architecture_style(arch, architectures)
        row = rows[(rows["technique"] == technique) & (rows["architecture"] == arch)].iloc[0]
        for offset, (column, _, hatch) in enumerate(stages):
            if pd.notna(row[column]):
                ax.barh(
                    y + (offset - 1) * 0.25,
                    row[column],
                    height=0.22,
                    left=0,
                    color=style["color"],
                    alpha=0.4 + 0.2 * offset,
                    hatch=hatch,
                    edgecolor="black",
                    linewidth=0.4,
                )
        if pd.isna(row["time_to_remediate_s"]):  # said beyond the longest bar, not over it
            reached = [row[c] for c, _, _ in stages if pd.notna(row[c])]
            ax.annotate(
                row["outcome"],
                (max(reached, default=0), y),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize=6,
            )
    ax.set_yticks(
        range(len(lanes)), [f"{technique}\n{arch}" for technique, arch in lanes], fontsize=7
    )
    ax.set_ylim(len(lanes) - 0.5, -0.5)
    ax.set_xscale("symlog", linthresh=10)
    ax.set_xlabel(f"seconds after injection (trial {trial} of each technique; symlog)", fontsize=8)
    ax.tick_params(labelsize=7)
    handles = [
        Patch(facecolor="white", edgecolor="black", hatch=hatch, label=label)
        for _, label, hatch in stages
    ]
    ax.legend(
        handles=handles,
        fontsize=7,
        frameon=False,
        ncols=3,
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
    )
    ax.grid(axis="x", which="major", linewidth=0.3, alpha=0.5)
    ax.set_title(
        f"Trial {trial} of each technique: the same injection moment and seed in every arm",
        fontsize=8,
        pad=20,
    )
    fig.tight_layout()
    return save_figure(fig, out_base)


OUTCOME_STYLE = {  # Okabe-Ito; the text in each cell carries the outcome for greyscale prints
    "remediated": "#009E73",
    "detected only": "#F0E442",
    "missed": "#D55E00",
    "failed": "#999999",
}


def _count(cell: dict, outcome: str) -> str:
    """k/n: the trials of the cell (not failed) that had its outcome, not the mode alone."""
    ran = int(cell["ran"])
    return f"{round(cell[f'{FRACTIONS[outcome]}_fraction'] * ran)}/{ran}"


@figure_function
def coverage_matrix(coverage: pd.DataFrame, out_base: Path) -> list[Path]:
    """ATT&CK tactic / technique rows x architecture columns; each cell the measured outcome."""
    architectures = architecture_order(coverage["architecture"])
    rows = coverage.drop_duplicates("technique")[["tactic", "attack_id", "technique"]]
    many = len(architectures) > 2  # narrower cells: the label on two lines
    width = A4_COLUMN_WIDTH_IN if not many else min(13.0, 2.6 + 1.45 * len(architectures))
    height = max((0.8 + 0.32 * len(rows)) * (1.5 if many else 1.0), width / 3.2)
    fig, ax = plt.subplots(figsize=(width, height))
    by_cell = {(r["technique"], r["architecture"]): r for r in coverage.to_dict("records")}
    for y, technique in enumerate(rows["technique"]):
        for x, arch in enumerate(architectures):
            cell = by_cell.get((technique, arch))
            outcome = cell["outcome"] if cell else "not run"
            ax.add_patch(
                plt.Rectangle(
                    (x, y), 1, 1, facecolor=OUTCOME_STYLE.get(outcome, "white"), edgecolor="white"
                )
            )
            label = outcome
            if cell and outcome in FRACTIONS and cell["ran"]:
                label += f" {_count(cell, outcome)}"
            if cell and cell["detect_median_s"] == cell["detect_median_s"] and cell["detected"]:
                label += f"{chr(10) if many else ' '}({cell['detect_median_s']:,.0f} s)"
                if cell.get("first_path") == "cspm":  # the posture scan saw it first
                    label += "\nCSPM scan first"
            ax.text(x + 0.5, y + 0.5, label, ha="center", va="center", fontsize=6.5)
    ax.set_xlim(0, len(architectures))
    ax.set_ylim(len(rows), 0)
    ax.set_xticks([x + 0.5 for x in range(len(architectures))], architectures)
    ax.xaxis.tick_top()
    ax.set_yticks(
        [y + 0.5 for y in range(len(rows))],
        [
            f"{r['tactic'].split(' ', 1)[-1]} · {r['attack_id']} · {r['technique']}"
            for r in rows.to_dict("records")
        ],
        fontsize=6.5,
    )
    ax.tick_params(length=0)
    ax.grid(False)  # the style's grid would cross the cells
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title(
        "Measured coverage: outcome, trials with it (median time to detect of the detected)",
        fontsize=8,
        pad=18,
    )
    return save_figure(fig, out_base)


@figure_function
def sensitivity(trials: pd.DataFrame, out_base: Path, key: str | None = None) -> list[Path]:
    """Kaplan-Meier median time to detect and to remediate against one swept parameter
    (``sweep.<key>`` column; default: the first), one line per architecture and technique, with
    its 95 % CI as error bars; trials that never got there kept as censored (a median not reached
    is not drawn). Other swept parameters are pooled."""
    from lab.experiment.results import short_name, sweep_columns
    from lab.report.summary import unbounded_window
    from lab.report.survival import km_table

    columns = sweep_columns(trials)
    if not columns:
        raise ValueError("sensitivity needs a sweep's trials (no sweep.* column)")
    column = f"sweep.{key}" if key and not key.startswith("sweep.") else (key or columns[0])
    if column not in columns:
        raise ValueError(f"{column!r} is not swept here; swept: {', '.join(columns)}")
    order = list(dict.fromkeys(trials[column]))  # the sweep's own order
    pooled = trials.drop(columns=[c for c in columns if c != column])
    table = km_table(pooled, unbounded_window(pooled)).rename(
        columns={
            "km_median_s": "median_s",
            "km_median_ci_low_s": "median_ci_low_s",
            "km_median_ci_high_s": "median_ci_high_s",
        }
    )
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in order)
    position = {v: (float(v) if numeric else i) for i, v in enumerate(order)}
    techniques = sorted(set(table["technique"]))
    fig, axes = plt.subplots(1, 2, figsize=(A4_COLUMN_WIDTH_IN, 2.8))
    for ax, stage, title in zip(
        axes, ("detect", "remediate"), ("Time to detect", "Time to remediate"), strict=True
    ):
        architectures = architecture_order(table["architecture"])
        for arch in architectures:
            style = architecture_style(arch, architectures)
            for t_index, technique in enumerate(techniques):
                rows = table[
                    (table["architecture"] == arch)
                    & (table["technique"] == technique)
                    & (table["stage"] == stage)
                    & table["median_s"].notna()
                ]
                if rows.empty:
                    continue
                rows = rows.assign(x=rows[column].map(position)).sort_values("x")
                errors = np.vstack(
                    [
                        rows["median_s"] - rows["median_ci_low_s"].fillna(rows["median_s"]),
                        rows["median_ci_high_s"].fillna(rows["median_s"]) - rows["median_s"],
                    ]
                ).clip(min=0)
                ax.errorbar(
                    rows["x"],
                    rows["median_s"],
                    yerr=errors,
                    color=style["color"],
                    marker=style["marker"],
                    linestyle=style["linestyle"] if t_index == 0 else ":",
                    capsize=2,
                    label=f"{arch} · {technique}" if len(techniques) > 1 else arch,
                )
        ax.set_yscale("log")
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_title(title)
        ax.set_xlabel(short_name(column.removeprefix("sweep.")))
        if numeric and len(order) > 1 and max(order) / max(min(order), 1e-9) >= 20:
            ax.set_xscale("log")
        if not numeric:
            ax.set_xticks(range(len(order)), [str(v) for v in order], rotation=20, ha="right")
    axes[0].set_ylabel("Kaplan-Meier median s (log), 95 % CI")
    axes[0].legend(loc="best")
    fig.tight_layout()
    return save_figure(fig, out_base)


@figure_function
def measured_vs_simulated(trials: pd.DataFrame, out_base: Path) -> list[Path]:
    """ECDFs of time to alert, measured (wall-clock runs) beside simulated (the emulator), one
    panel per architecture; ``trials`` has a ``source`` column: measured or simulated."""
    architectures = architecture_order(trials["architecture"])
    fig, axes = plt.subplots(
        1, max(len(architectures), 1), figsize=(A4_COLUMN_WIDTH_IN, 2.6), squeeze=False
    )
    for ax, arch in zip(axes[0], architectures, strict=False):
        style = architecture_style(arch, architectures)
        for source, linestyle in (("measured", "-"), ("simulated", ":")):
            group = trials[(trials["architecture"] == arch) & (trials["source"] == source)]
            values = np.sort(group["time_to_alert_s"].dropna().to_numpy(dtype=float))
            if len(values):
                ax.step(
                    values,
                    np.arange(1, len(values) + 1) / len(group),
                    where="post",
                    color=style["color"],
                    linestyle=linestyle,
                    label=f"{source} (n={len(group)})",
                )
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_ylim(0, 1.02)
        ax.set_title(arch)
        ax.set_xlabel("time to alert, s (log)")
        ax.legend(loc="lower right")
    axes[0][0].set_ylabel("fraction of trials")
    fig.tight_layout()
    return save_figure(fig, out_base)
