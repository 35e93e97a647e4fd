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
from lifelines.utils import qth_survival_times, restricted_mean_survival_time

from lab.report.statistics import METRICS, groups

SURVIVAL_COLUMNS = ["duration_s", "observed"]
Z95 = 1.959963984540054  # the normal quantile of a two-sided 95 % interval


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


def horizon_s(window_s: pd.Series) -> float:
    """The horizon every restricted mean is taken over: the shortest observation window, so that
    every trial was watched that long and the arms' RMSTs are comparable."""
    return float(window_s.min()) if len(window_s) else np.nan


def km_table(trials: pd.DataFrame, window_s: pd.Series) -> pd.DataFrame:
    """Per technique, architecture (and sweep point) and stage: n, events, censored, the fraction
    that got there by the horizon (Kaplan-Meier), the Kaplan-Meier median and p90 with their 95 %
    CIs (NaN: not reached), the restricted mean time over the horizon (RMST: the area under the
    curve, the one number that uses every trial) with its 95 % CI, and the median of the
    uncensored times beside them (what dropping the censored trials would report)."""
    horizon = horizon_s(window_s.loc[trials.index[trials["outcome"] != "failed"]])
    rows = []
    for labels, group in groups(trials, "technique", "architecture"):
        for column, stage in METRICS.items():
            data = survival_data(group, column, window_s)
            if data.empty:
                continue
            rows.append({**labels, "stage": stage, **km_estimates(data, horizon)})
    return pd.DataFrame(rows)


def km_estimates(data: pd.DataFrame, horizon: float) -> dict[str, float | int]:
    """The survival summary of one cell's ``survival_data`` (see ``km_table``)."""
    fitter = km_fit(data)
    median_low, median_high = km_quantile_ci(fitter, 0.5)
    p90_low, p90_high = km_quantile_ci(fitter, 0.9)
    rmst, rmst_se = rmst_and_se(data, horizon)
    observed = data.loc[data["observed"], "duration_s"]
    return {
        "n": len(data),
        "events": int(data["observed"].sum()),
        "censored": int((~data["observed"]).sum()),
        "fraction_reached": 1.0 - float(fitter.predict(horizon)),
        "km_median_s": km_quantile(fitter, 0.5),
        "km_median_ci_low_s": median_low,
        "km_median_ci_high_s": median_high,
        "km_p90_s": km_quantile(fitter, 0.9),
        "km_p90_ci_low_s": p90_low,
        "km_p90_ci_high_s": p90_high,
        "rmst_s": rmst,
        "rmst_ci_low_s": max(rmst - Z95 * rmst_se, 0.0),
        "rmst_ci_high_s": min(rmst + Z95 * rmst_se, horizon),
        "horizon_s": horizon,
        "uncensored_median_s": float(observed.median()) if len(observed) else np.nan,
    }


def rmst_and_se(data: pd.DataFrame, horizon: float) -> tuple[float, float]:
    """The restricted mean survival time over ``[0, horizon]`` (the area under the Kaplan-Meier
    curve: the mean time to get there, a trial not there by the horizon counting the horizon)
    and its standard error by the Greenwood-type formula of Klein & Moeschberger (2003, 4.5):
    Var = sum over event times t_i <= horizon of A_i^2 d_i / (Y_i (Y_i - d_i)), A_i the area
    under the curve from t_i to the horizon."""
    fitter = km_fit(data)
    rmst = float(restricted_mean_survival_time(fitter, t=horizon))
    table = fitter.event_table
    table = table[(table.index <= horizon) & (table["observed"] > 0)]
    variance = 0.0
    for t, row in table.iterrows():
        at_risk, deaths = float(row["at_risk"]), float(row["observed"])
        if at_risk <= deaths:
            continue  # the curve falls to zero: no further area, nothing to add
        area_after = rmst - float(restricted_mean_survival_time(fitter, t=float(t)))
        variance += area_after**2 * deaths / (at_risk * (at_risk - deaths))
    return rmst, float(np.sqrt(variance))


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


def km_quantile(fitter: KaplanMeierFitter, q: float) -> float:
    """The time by which a fraction ``q`` of the trials got there: where the fraction not yet
    there first falls to ``1 - q`` (lifelines' ``percentile``); where the curve sits at exactly
    ``1 - q`` over an interval, that interval's midpoint (R survival's ``survfit`` convention),
    so that with nothing censored the median is the ordinary median. NaN if never reached."""
    curve = fitter.survival_function_.iloc[:, 0]
    level = 1.0 - q
    below = np.flatnonzero(curve.to_numpy() <= level + 1e-12)
    if len(below) == 0:
        return np.nan
    i = below[0]
    times = curve.index.to_numpy(dtype=float)
    if np.isclose(curve.iloc[i], level) and i + 1 < len(times):
        return float((times[i] + times[i + 1]) / 2)
    return float(times[i])


def km_median(fitter: KaplanMeierFitter) -> float:
    """The Kaplan-Meier median (``km_quantile`` at one half)."""
    return km_quantile(fitter, 0.5)


def km_quantile_ci(fitter: KaplanMeierFitter, q: float) -> tuple[float, float]:
    """The 95 % CI of the ``q`` quantile: where the curve's pointwise band crosses ``1 - q``
    (Brookmeyer & Crowley 1982; lifelines' ``qth_survival_times`` on the band); NaN where a bound
    is not reached."""
    bounds = qth_survival_times(1.0 - q, fitter.confidence_interval_)
    return _finite(bounds.iloc[0, 0]), _finite(bounds.iloc[0, 1])


def km_fit(data: pd.DataFrame) -> KaplanMeierFitter:
    fitter = KaplanMeierFitter()
    with warnings.catch_warnings():  # lifelines warns about ties it handles as documented
        warnings.simplefilter("ignore")
        fitter.fit(data["duration_s"], event_observed=data["observed"])
    return fitter


def _finite(value: Any) -> float:
    """lifelines says "never reached" with infinity; a table says NaN."""
    value = float(value)
    return value if np.isfinite(value) else np.nan
