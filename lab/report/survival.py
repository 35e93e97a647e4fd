"""Times to detect, alert and remediate as survival data: a trial that did not get there by the end
of its observation window is right-censored at that window, not dropped (dropping it makes the
architecture that misses more look faster). Kaplan-Meier estimates and log-rank tests from
lifelines, the field's library for it; each a function of the trials DataFrame."""

from __future__ import annotations

import warnings
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.statistics import logrank_test
from lifelines.utils import median_survival_times

from lab.report.statistics import METRICS, groups

SURVIVAL_COLUMNS = ["duration_s", "observed"]


def observation_window_s(trials: pd.DataFrame, scenario: dict[str, Any]) -> pd.Series:
    """Seconds each trial was watched after its injection: ``max_trial_s`` (runs with an
    ``injection`` mode, and wall-clock runs, watch that long after the detonation); runs made
    before the modes watched ``max_trial_s`` from the trial's start (``start + trial *
    trial_spacing_s``), less the time to the injection."""
    max_trial_s = float(scenario.get("max_trial_s", 86_400))
    if scenario.get("target") == "aws" or "start" not in scenario or "injection" in scenario:
        return pd.Series(max_trial_s, index=trials.index)
    start = datetime.fromisoformat(str(scenario["start"]).replace("Z", "+00:00"))
    spacing = float(scenario.get("trial_spacing_s", 86_400))
    injected = pd.to_datetime(trials["injected_at"], utc=True)
    epochs = pd.Series(
        pd.to_datetime(
            [start + timedelta(seconds=int(k) * spacing) for k in trials["trial"]], utc=True
        ),
        index=trials.index,
    )
    offset = (injected - epochs).dt.total_seconds()
    return (max_trial_s - offset).clip(lower=0.0).astype(float)


def survival_data(trials: pd.DataFrame, column: str, window_s: pd.Series) -> pd.DataFrame:
    """``duration_s`` and ``observed`` per trial for ``column`` (a ``time_to_*_s``): the time when
    it happened, else the window (censored). Failed trials are left out: nothing was measured."""
    kept = trials[trials["outcome"] != "failed"]
    happened = kept[column].notna()
    return kept.assign(
        duration_s=kept[column].where(happened, window_s.loc[kept.index]).astype(float),
        observed=happened,
    )


def km_table(trials: pd.DataFrame, window_s: pd.Series) -> pd.DataFrame:
    """Per technique, architecture (and sweep point) and stage: n, events, censored, the
    Kaplan-Meier median with its 95 % CI, and the median of the uncensored times beside it (what
    dropping the censored trials would report)."""
    rows = []
    for labels, group in groups(trials, "technique", "architecture"):
        for column, stage in METRICS.items():
            data = survival_data(group, column, window_s)
            if data.empty:
                continue
            fitter = km_fit(data)
            low, high = _km_median_ci(fitter)
            observed = data.loc[data["observed"], "duration_s"]
            rows.append(
                {
                    **labels,
                    "stage": stage,
                    "n": len(data),
                    "events": int(data["observed"].sum()),
                    "censored": int((~data["observed"]).sum()),
                    "km_median_s": km_median(fitter),
                    "km_median_ci_low_s": low,
                    "km_median_ci_high_s": high,
                    "uncensored_median_s": float(observed.median()) if len(observed) else np.nan,
                }
            )
    return pd.DataFrame(rows)


def logrank_table(
    trials: pd.DataFrame, window_s: pd.Series, a: str = "manual", b: str = "serverless"
) -> pd.DataFrame:
    """The log-rank test between two architectures per technique (and sweep point) and stage:
    censored trials count as "not yet" up to their window."""
    rows = []
    for labels, group in groups(trials, "technique"):
        for column, stage in METRICS.items():
            x = survival_data(group[group["architecture"] == a], column, window_s)
            y = survival_data(group[group["architecture"] == b], column, window_s)
            if x.empty or y.empty:
                continue
            test = logrank_test(
                x["duration_s"], y["duration_s"], x["observed"], y["observed"], alpha=0.95
            )
            rows.append(
                {
                    **labels,
                    "stage": stage,
                    "a": a,
                    "b": b,
                    "censored_a": int((~x["observed"]).sum()),
                    "censored_b": int((~y["observed"]).sum()),
                    "chi2": float(test.test_statistic),
                    "p_value": float(test.p_value),
                }
            )
    return pd.DataFrame(rows)


def km_curve(data: pd.DataFrame) -> pd.DataFrame:
    """The fraction not yet there over time, with its 95 % band (``time_s``, ``fraction``,
    ``low``, ``high``)."""
    fitter = km_fit(data)
    band = fitter.confidence_interval_survival_function_
    return pd.DataFrame(
        {
            "time_s": fitter.survival_function_.index.to_numpy(dtype=float),
            "fraction": fitter.survival_function_.iloc[:, 0].to_numpy(),
            "low": band.iloc[:, 0].to_numpy(),
            "high": band.iloc[:, 1].to_numpy(),
        }
    )


def km_median(fitter: KaplanMeierFitter) -> float:
    """The time the fraction not yet there falls to one half; where the curve sits at exactly one
    half over an interval, that interval's midpoint (R survival's ``survfit`` convention), so that
    with nothing censored it is the ordinary median. NaN if never reached."""
    curve = fitter.survival_function_.iloc[:, 0]
    below = np.flatnonzero(curve.to_numpy() <= 0.5 + 1e-12)
    if len(below) == 0:
        return np.nan
    i = below[0]
    times = curve.index.to_numpy(dtype=float)
    if np.isclose(curve.iloc[i], 0.5) and i + 1 < len(times):
        return float((times[i] + times[i + 1]) / 2)
    return float(times[i])


def km_fit(data: pd.DataFrame) -> KaplanMeierFitter:
    fitter = KaplanMeierFitter()
    with warnings.catch_warnings():  # lifelines warns about ties it handles as documented
        warnings.simplefilter("ignore")
        fitter.fit(data["duration_s"], event_observed=data["observed"])
    return fitter


def _km_median_ci(fitter: KaplanMeierFitter) -> tuple[float, float]:
    bounds = median_survival_times(fitter.confidence_interval_)
    return _finite(bounds.iloc[0, 0]), _finite(bounds.iloc[0, 1])


def _finite(value: Any) -> float:
    """lifelines says "never reached" with infinity; a table says NaN."""
    value = float(value)
    return value if np.isfinite(value) else np.nan
