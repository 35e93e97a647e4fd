"""Summary statistics of a run's trials: a function of the trials DataFrame.

Latencies are survival estimates (``lab.report.survival``): a trial that never got there is kept as
censored at its observation window, so the median and p90 are Kaplan-Meier's (NaN: not reached),
never medians of the trials that got there alone; those stand beside them, named so."""

from __future__ import annotations

import pandas as pd

from lab.report.statistics import METRICS, group_keys
from lab.report.survival import km_estimates, survival_data


def unbounded_window(trials: pd.DataFrame) -> pd.Series:
    """A window past every measured time, for a run whose scenario is not at hand: the
    Kaplan-Meier median and p90 do not depend on where after the last event a trial is censored."""
    times = trials[list(METRICS)].to_numpy(dtype=float)
    latest = float(pd.Series(times.ravel()).max()) if times.size else 0.0
    return pd.Series((latest if latest == latest else 0.0) + 1.0, index=trials.index)


def summary_table(trials: pd.DataFrame, window_s: pd.Series | None = None) -> pd.DataFrame:
    """Per technique and architecture (and sweep point values): n, rates, and per latency the
    Kaplan-Meier median and p90 (NaN: not reached), the RMST over the horizon (the shortest window;
    with no window given, the last measured time) and the median of the trials that got there only
    (``*_reached_median_s``, labelled so wherever it is shown)."""
    window = unbounded_window(trials) if window_s is None else window_s
    rows = []
    keys = group_keys(trials, "technique", "architecture")
    horizon = float(window.min()) if len(window) else 0.0
    for values, group in trials.groupby(keys, sort=True):
        row = {
            **dict(zip(keys, values, strict=True)),
            "n": len(group),
            "detected": group["time_to_detect_s"].notna().mean(),
            "remediated": (group["outcome"] == "remediated").mean(),
        }
        for column, label in METRICS.items():
            data = survival_data(group, column, window)
            estimates = km_estimates(data, horizon) if len(data) else {}
            row[f"{label}_median_s"] = estimates.get("km_median_s")
            row[f"{label}_p90_s"] = estimates.get("km_p90_s")
            row[f"{label}_rmst_s"] = estimates.get("rmst_s")
            row[f"{label}_reached_median_s"] = estimates.get("uncensored_median_s")
        rows.append(row)
    return pd.DataFrame(rows)
