"""Statistics of a run: per technique x architecture latencies with a bootstrap CI of the median,
detection and remediation rates with Wilson intervals, and Mann-Whitney U between architectures.
All from scipy; each a function of the trials DataFrame. A sweep's trials are grouped by their
``sweep.*`` columns too (repetitions of a point pooled). These summarise the trials that got
there only (for the notebooks and comparison); the report summarises latencies as survival data
(``lab.report.survival``) and compares arms trial by trial (``lab.report.paired``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from lab.experiment.results import sweep_columns

METRICS = {
    "time_to_detect_s": "detect",
    "time_to_alert_s": "alert",
    "time_to_remediate_s": "remediate",
}
_BOOTSTRAP_SEED = 20260105  # fixed: the report of a run is reproducible


def group_keys(trials: pd.DataFrame, *last: str) -> list[str]:
    """The sweep columns of ``trials`` (if any), then ``last``."""
    return [*sweep_columns(trials), *last]


def groups(trials: pd.DataFrame, *last: str):
    """(labels, rows) per group of the sweep columns and ``last``."""
    keys = group_keys(trials, *last)
    for key, group in trials.groupby(keys, sort=True, dropna=False):
        yield dict(zip(keys, key, strict=True)), group


def median_ci(values: np.ndarray) -> tuple[float, float]:
    """The 95 % percentile-bootstrap CI of the median (fixed seed)."""
    if len(values) < 2 or np.all(values == values[0]):
        return (float(values[0]), float(values[0])) if len(values) else (np.nan, np.nan)
    result = stats.bootstrap(
        (values,),
        np.median,
        confidence_level=0.95,
        n_resamples=2000,
        method="percentile",
        random_state=_BOOTSTRAP_SEED,
    )
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def _wilson(successes: int, n: int) -> tuple[float, float]:
    if n == 0:
        return np.nan, np.nan
    interval = stats.binomtest(successes, n).proportion_ci(confidence_level=0.95, method="wilson")
    return float(interval.low), float(interval.high)


def latency_table(trials: pd.DataFrame) -> pd.DataFrame:
    """One row per technique, architecture and stage: n, median, p90, mean, 95 % CI of the median."""
    rows = []
    for labels, group in groups(trials, "technique", "architecture"):
        for column, stage in METRICS.items():
            values = group[column].dropna().to_numpy(dtype=float)
            low, high = median_ci(values)
            rows.append(
                {
                    **labels,
                    "stage": stage,
                    "n": len(values),
                    "median_s": np.median(values) if len(values) else np.nan,
                    "p90_s": np.quantile(values, 0.9) if len(values) else np.nan,
                    "mean_s": values.mean() if len(values) else np.nan,
                    "median_ci_low_s": low,
                    "median_ci_high_s": high,
                }
            )
    return pd.DataFrame(rows)


def rate_table(trials: pd.DataFrame) -> pd.DataFrame:
    """Detection and remediation rates with 95 % Wilson intervals."""
    rows = []
    for labels, group in groups(trials, "technique", "architecture"):
        n = len(group)
        for name, hits in (
            ("detected", int(group["time_to_detect_s"].notna().sum())),
            ("remediated", int((group["outcome"] == "remediated").sum())),
        ):
            low, high = _wilson(hits, n)
            rows.append(
                {
                    **labels,
                    "rate": name,
                    "k": hits,
                    "n": n,
                    "value": hits / n if n else np.nan,
                    "wilson_low": low,
                    "wilson_high": high,
                }
            )
    return pd.DataFrame(rows)


def comparison_table(
    trials: pd.DataFrame, a: str = "manual", b: str = "serverless"
) -> pd.DataFrame:
    """Mann-Whitney U (two-sided) of each stage between two architectures, with the rank-biserial
    effect size r = 2U / (n_a n_b) - 1 (positive: ``a`` slower). U compares the trials that got
    there only: ``censored_a`` / ``censored_b`` count those left out (not failed, never got there);
    where either is non-zero the log-rank test of ``lab.report.survival`` is the one to read."""
    rows = []
    for labels, group in groups(trials, "technique"):
        for column, stage in METRICS.items():
            ran = group[group["outcome"] != "failed"]
            x_all = ran.loc[ran["architecture"] == a, column]
            y_all = ran.loc[ran["architecture"] == b, column]
            x = x_all.dropna().to_numpy(dtype=float)
            y = y_all.dropna().to_numpy(dtype=float)
            if len(x) == 0 or len(y) == 0:
                continue
            test = stats.mannwhitneyu(x, y, alternative="two-sided")
            rows.append(
                {
                    **labels,
                    "stage": stage,
                    "a": a,
                    "b": b,
                    "n_a": len(x),
                    "n_b": len(y),
                    "U": float(test.statistic),
                    "p_value": float(test.pvalue),
                    "rank_biserial_r": 2 * float(test.statistic) / (len(x) * len(y)) - 1,
                    "censored_a": int(x_all.isna().sum()),
                    "censored_b": int(y_all.isna().sum()),
                }
            )
    columns = [*group_keys(trials, "technique"), "stage", "a", "b", "n_a", "n_b", "U", "p_value"]
    return pd.DataFrame(rows, columns=[*columns, "rank_biserial_r", "censored_a", "censored_b"])


def trials_needed_table(
    trials: pd.DataFrame,
    a: str = "manual",
    b: str = "serverless",
    alpha: float = 0.05,
    power: float = 0.8,
) -> pd.DataFrame:
    """How many trials: per technique and stage, the trials run per architecture, the width of the
    95 % CI of each median achieved, the observed P(a slower than b) from the Mann-Whitney U, and
    the trials per architecture that difference needs to be found with ``power`` at ``alpha``
    (two-sided) by Noether's formula for the Wilcoxon-Mann-Whitney test, equal groups:
    N = (z_(1-alpha/2) + z_power)^2 / (3 (p - 1/2)^2) in all (Noether 1987, JASA 82:645)."""
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    latency = latency_table(trials)
    rows = []
    for row in comparison_table(trials, a, b).to_dict("records"):
        keys = {k: row[k] for k in group_keys(trials, "technique")}
        p_slower = (row["rank_biserial_r"] + 1) / 2  # U / (n_a n_b)
        width = {}
        for arch in (a, b):
            match = latency
            for key, value in {**keys, "architecture": arch, "stage": row["stage"]}.items():
                match = match[match[key] == value]
            width[arch] = (
                float((match["median_ci_high_s"] - match["median_ci_low_s"]).iloc[0])
                if len(match)
                else np.nan
            )
        needed = int(np.ceil(z**2 / (3 * (p_slower - 0.5) ** 2) / 2)) if p_slower != 0.5 else np.nan
        rows.append(
            {
                **keys,
                "stage": row["stage"],
                "n_a": row["n_a"],
                "n_b": row["n_b"],
                f"ci_width_{a}_s": width[a],
                f"ci_width_{b}_s": width[b],
                "p_a_slower": p_slower,
                "trials_needed_per_architecture": max(needed, 2) if needed == needed else needed,
            }
        )
    return pd.DataFrame(rows)
