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
