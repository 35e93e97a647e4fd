"""Effects on a scale a reader can weigh, per pair of arms: the seconds one saves over the other
(the difference of their restricted mean times over the horizon, RMST, which counts every trial),
the ratio of their RMSTs, and the difference in the fraction there within 15 minutes, an hour and
a day (Kaplan-Meier). Per technique, with a normal interval from the RMSTs' standard errors; pooled
over techniques, the mean of the techniques' effects with a cluster bootstrap interval (whole
techniques resampled: ``lab.report.bootstrap``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lab.report.bootstrap import cluster_bootstrap_ci
from lab.report.statistics import group_keys
from lab.report.survival import Z95, horizon_s, km_fit, rmst_and_se, survival_data

STAGES = {"time_to_detect_s": "detect", "time_to_remediate_s": "remediate"}
WITHIN_S = {"15 min": 900.0, "1 h": 3600.0, "1 day": 86_400.0}
POOLED = "(all techniques)"


def _fraction_within(data: pd.DataFrame, seconds: float, horizon: float) -> float:
    if seconds > horizon or data.empty:
        return np.nan  # not watched that long
    return 1.0 - float(km_fit(data).predict(seconds))


def effects_table(
    trials: pd.DataFrame, window_s: pd.Series, pairs: list[tuple[str, str]]
) -> pd.DataFrame:
    """Per pair of arms (a, b), technique (and sweep point) and stage: RMST of each arm, the
    seconds b saves (RMST_a - RMST_b; positive: b faster) with its 95 % CI, RMST_b / RMST_a, and
    the difference b - a in the fraction there within 15 min / 1 h / 1 day (NaN past the horizon).
    Then one pooled row per pair and stage, ``technique`` = "(all techniques)": the mean over
    techniques, its CI from the cluster bootstrap by technique."""
    keys = group_keys(trials, "technique")
    horizon = horizon_s(window_s.loc[trials.index[trials["outcome"] != "failed"]])
    rows = []
    for a, b in pairs:
        for column, stage in STAGES.items():
            for labels, cell in trials.groupby(keys, sort=True):
                labels = labels if isinstance(labels, tuple) else (labels,)
                side = {
                    arm: survival_data(cell[cell["architecture"] == arm], column, window_s)
                    for arm in (a, b)
                }
                if side[a].empty or side[b].empty:
                    continue
                (rmst_a, se_a), (rmst_b, se_b) = (rmst_and_se(side[x], horizon) for x in (a, b))
                saved, se = rmst_a - rmst_b, float(np.hypot(se_a, se_b))
                if not (side[a]["observed"].any() or side[b]["observed"].any()):
                    se = np.nan  # neither arm ever got there: no interval, not a certain zero
                row = {
                    **dict(zip(keys, labels, strict=True)),
                    "stage": stage,
                    "a": a,
                    "b": b,
                    "rmst_a_s": rmst_a,
                    "rmst_b_s": rmst_b,
                    "saved_s": saved,
                    "saved_ci_low_s": saved - Z95 * se,
                    "saved_ci_high_s": saved + Z95 * se,
                    "rmst_ratio": rmst_b / rmst_a if rmst_a > 0 else np.nan,
                }
                for label, seconds in WITHIN_S.items():
                    row[f"more within {label}"] = _fraction_within(
                        side[b], seconds, horizon
                    ) - _fraction_within(side[a], seconds, horizon)
                rows.append(row)
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    return pd.concat([table, pooled_effects(table, keys)], ignore_index=True)


def _ratio_of_means(rmst_a: np.ndarray, rmst_b: np.ndarray):
    """The statistic of the resampled rows (their indices): mean RMST_b / mean RMST_a."""

    def ratio(index: np.ndarray) -> float:
        chosen = index.astype(int)
        return float(rmst_b[chosen].mean() / rmst_a[chosen].mean())

    return ratio


def pooled_effects(table: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """One row per pair, stage (and sweep point): the mean over techniques of each effect, the
    seconds saved and the RMST ratio (of the mean RMSTs) with cluster-bootstrap 95 % CIs."""
    sweep = keys[:-1]
    rows = []
    for labels, cell in table.groupby([*sweep, "a", "b", "stage"], sort=False):
        labels = labels if isinstance(labels, tuple) else (labels,)
        techniques = cell["technique"].to_numpy()
        saved = cell["saved_s"].to_numpy(float)
        rmst_a, rmst_b = cell["rmst_a_s"].to_numpy(float), cell["rmst_b_s"].to_numpy(float)

        low, high = cluster_bootstrap_ci(saved, techniques, np.mean)
        ratio_low, ratio_high = cluster_bootstrap_ci(
            np.arange(len(cell), dtype=float), techniques, _ratio_of_means(rmst_a, rmst_b)
        )
        row = dict(zip([*sweep, "a", "b", "stage"], labels, strict=True))
        row |= {
            "technique": POOLED,
            "rmst_a_s": rmst_a.mean(),
            "rmst_b_s": rmst_b.mean(),
            "saved_s": saved.mean(),
            "saved_ci_low_s": low,
            "saved_ci_high_s": high,
            "rmst_ratio": rmst_b.mean() / rmst_a.mean() if rmst_a.mean() > 0 else np.nan,
            "ratio_ci_low": ratio_low,
            "ratio_ci_high": ratio_high,
        }
        for column in [c for c in cell.columns if c.startswith("more within")]:
            row[column] = cell[column].mean()
        rows.append(row)
    return pd.DataFrame(rows)
