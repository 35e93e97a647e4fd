"""Summary statistics of a run's trials: a function of the trials DataFrame."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from lab.experiment.store import TRIAL_COLUMNS


def read_trials_csv(path: Path) -> pd.DataFrame:
    """One ``trials.csv`` as a DataFrame."""
    return pd.read_csv(path, usecols=TRIAL_COLUMNS)


def load_trials(run_dir: Path) -> pd.DataFrame:
    """The trials of a run as a DataFrame; for a sweep, every point's, with its ``sweep.*``
    columns (see ``lab.experiment.sweep``)."""
    from lab.experiment.sweep import is_sweep_run, load_sweep_trials

    if is_sweep_run(run_dir):
        return load_sweep_trials(run_dir)
    path = Path(run_dir) / "trials.csv"
    if not path.exists():
        raise FileNotFoundError(f"no trials.csv in {run_dir}")
    return read_trials_csv(path)


def summary_table(trials: pd.DataFrame) -> pd.DataFrame:
    """Per technique and architecture (and sweep point values): n, rates, and median / p90 of each latency (seconds)."""
    from lab.report.statistics import group_keys

    rows = []
    keys = group_keys(trials, "technique", "architecture")
    for values, group in trials.groupby(keys, sort=True):
        row = {
            **dict(zip(keys, values, strict=True)),
            "n": len(group),
            "detected": group["time_to_detect_s"].notna().mean(),
            "remediated": (group["outcome"] == "remediated").mean(),
        }
        for column, label in (
            ("time_to_detect_s", "detect"),
            ("time_to_alert_s", "alert"),
            ("time_to_remediate_s", "remediate"),
        ):
            values = group[column].dropna()
            row[f"{label}_median_s"] = values.median() if len(values) else None
            row[f"{label}_p90_s"] = values.quantile(0.9) if len(values) else None
        rows.append(row)
    return pd.DataFrame(rows)
