"""Censored trials are kept: Kaplan-Meier medians, the log-rank test, and the survival figure."""

import numpy as np
import pandas as pd
import pytest

from lab.report.survival import km_table, logrank_table, observation_window_s
from lab.report.survival_figures import survival_curves

SCENARIO = {"start": "2026-01-05T09:00:00+00:00", "trial_spacing_s": 86_400, "max_trial_s": 3600}


def _trials(architecture, detect_times, technique="t"):
    rows = []
    for k, seconds in enumerate(detect_times):
        rows.append(
            {
                "technique": technique,
                "architecture": architecture,
                "trial": k,
                # injected 600 s into the trial: watched for 3600 - 600 = 3000 s after it
                "injected_at": pd.Timestamp("2026-01-05T09:10:00Z") + pd.Timedelta(days=k),
                "outcome": "missed" if seconds is None else "detected only",
                "time_to_detect_s": seconds,
                "time_to_alert_s": seconds,
                "time_to_remediate_s": None,
            }
        )
    frame = pd.DataFrame(rows)
    frame["injected_at"] = frame["injected_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    return frame


def test_the_window_is_what_is_left_of_the_trial_after_the_injection():
    trials = _trials("manual", [10.0, None])
    assert observation_window_s(trials, SCENARIO).tolist() == [3000.0, 3000.0]
    assert observation_window_s(trials, SCENARIO | {"target": "aws"}).tolist() == [3600.0] * 2


def test_with_nothing_censored_the_km_median_is_the_median():
    times = [5.0, 40.0, 12.0, 300.0, 7.5, 90.0]  # an even count: the mean of the middle two
    trials = _trials("manual", times)
    row = km_table(trials, observation_window_s(trials, SCENARIO)).query("stage == 'detect'")
    assert row["censored"].item() == 0
    assert row["km_median_s"].item() == pytest.approx(np.median(times))
    assert row["uncensored_median_s"].item() == pytest.approx(np.median(times))


def test_missed_trials_are_censored_not_dropped():
    # Three detected, two never: dropping the two reports 20 s; they were still waiting at 3000 s.
    trials = _trials("manual", [10.0, 20.0, 30.0, None, None])
    row = km_table(trials, observation_window_s(trials, SCENARIO)).query("stage == 'detect'")
    assert (row["n"].item(), row["events"].item(), row["censored"].item()) == (5, 3, 2)
    assert row["uncensored_median_s"].item() == 20.0
    assert row["km_median_s"].item() == 30.0  # S(30) = 2/5 < 1/2
    remediate = km_table(trials, observation_window_s(trials, SCENARIO)).query(
        "stage == 'remediate'"
    )
    assert remediate["censored"].item() == 5 and np.isnan(remediate["km_median_s"].item())


def test_log_rank_tells_a_slower_architecture_with_misses_apart(tmp_path):
    trials = pd.concat(
        [
            _trials("manual", [400.0, 900.0, None, None, 1500.0, None, 2000.0, None]),
            _trials("serverless", [5.0, 8.0, 12.0, 20.0, 9.0, 30.0, 6.0, 15.0]),
        ],
        ignore_index=True,
    )
    window = observation_window_s(trials, SCENARIO)
    test = logrank_table(trials, window).query("stage == 'detect'")
    assert test["censored_a"].item() == 4 and test["censored_b"].item() == 0
    assert test["p_value"].item() < 0.001
    png, pdf = survival_curves(trials, tmp_path / "survival", window)
    assert png.stat().st_size > 20_000 and pdf.exists()


# A fixture with censoring (times in s; False: still waiting when watched no longer), two arms.
CENSORED = {
    "manual": [
        (40.0, True),
        (95.0, True),
        (120.0, False),
        (180.0, True),
        (260.0, True),
        (300.0, False),
        (410.0, True),
        (900.0, True),
        (1000.0, False),
        (1000.0, False),
    ],
    "serverless": [(5.0, True), (8.0, True), (9.0, True), (14.0, False), (21.0, True)],
}


def _censored_trials():
    rows = []
    for arch, cells in CENSORED.items():
        for k, (seconds, observed) in enumerate(cells):
            rows.append(
                {
                    "technique": "t",
                    "architecture": arch,
                    "trial": k,
                    "outcome": "detected only" if observed else "missed",
                    "time_to_detect_s": seconds if observed else None,
                    "time_to_alert_s": None,
                    "time_to_remediate_s": None,
                    "window_s": seconds if not observed else 1000.0,
                }
            )
    return pd.DataFrame(rows)


def _lifelines(arch):
    from lifelines import KaplanMeierFitter

    times, observed = zip(*CENSORED[arch], strict=True)
    return KaplanMeierFitter().fit(list(times), event_observed=list(observed))


def test_km_median_p90_their_cis_and_the_rmst_equal_lifelines_on_censored_data():
    from lifelines.utils import median_survival_times, qth_survival_times
    from lifelines.utils import restricted_mean_survival_time as lifelines_rmst

    trials = _censored_trials()
    table = km_table(trials, trials["window_s"]).query("stage == 'detect'")
    for arch in CENSORED:
        row = table.set_index("architecture").loc[arch]
        fitter = _lifelines(arch)
        assert row["km_median_s"] == pytest.approx(fitter.median_survival_time_)
        band = median_survival_times(fitter.confidence_interval_)
        assert row["km_median_ci_low_s"] == pytest.approx(band.iloc[0, 0])
        high = band.iloc[0, 1]
        assert (
            np.isnan(row["km_median_ci_high_s"])
            if np.isinf(high)
            else row["km_median_ci_high_s"] == pytest.approx(high)
        )
        p90 = fitter.percentile(0.1)
        assert np.isnan(row["km_p90_s"]) if np.isinf(p90) else row["km_p90_s"] == pytest.approx(p90)
        p90_band = qth_survival_times(0.1, fitter.confidence_interval_)
        assert row["km_p90_ci_low_s"] == pytest.approx(p90_band.iloc[0, 0])
        assert row["horizon_s"] == 14.0  # the shortest window: every trial was watched that long
        assert row["rmst_s"] == pytest.approx(lifelines_rmst(fitter, t=14.0))
        assert row["fraction_reached"] == pytest.approx(1 - fitter.predict(14.0))
    manual = table.set_index("architecture").loc["manual"]
    # 4 of 10 not detected: the median of the detected ones (220 s) is not the survival median
    assert manual["uncensored_median_s"] == 220.0 and manual["km_median_s"] == 410.0
    assert np.isnan(manual["km_p90_s"])  # never 9 in 10: not reached


def test_rmst_standard_error_without_censoring_is_that_of_the_mean():
    # With nothing censored the RMST is the mean of min(T, horizon), and its Greenwood-type
    # variance is the plug-in variance of that mean: sum((x - mean)^2) / n^2.
    from lab.report.survival import rmst_and_se

    times = np.array([3.0, 7.0, 8.0, 15.0, 40.0, 41.0, 90.0])
    data = pd.DataFrame({"duration_s": times, "observed": True})
    rmst, se = rmst_and_se(data, horizon=50.0)
    capped = np.minimum(times, 50.0)
    assert rmst == pytest.approx(capped.mean())
    assert se == pytest.approx(np.sqrt(((capped - capped.mean()) ** 2).sum()) / len(capped))


def test_rmst_over_a_longer_horizon_equals_lifelines_on_censored_data():
    from lifelines.utils import restricted_mean_survival_time as lifelines_rmst

    from lab.report.survival import rmst_and_se

    times, observed = zip(*CENSORED["manual"], strict=True)
    data = pd.DataFrame({"duration_s": times, "observed": observed})
    rmst, se = rmst_and_se(data, horizon=500.0)
    assert rmst == pytest.approx(lifelines_rmst(_lifelines("manual"), t=500.0))
    assert 0 < se < rmst
