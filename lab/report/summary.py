"""Summary statistics of a run's trials: a function of the trials DataFrame."""

from __future__ import annotations

import pandas as pd

from lab.report.statistics import group_keys


def summary_table(trials: pd.DataFrame) -> pd.DataFrame:
    """Per technique and architecture (and sweep point values): n, rates, and median / p90 of each latency (seconds)."""
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
