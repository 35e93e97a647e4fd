"""Effects a reader can weigh: seconds saved (RMST), their ratio, fractions within 15 min / 1 h."""

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from lifelines.utils import restricted_mean_survival_time

from lab.report.effects import POOLED, effects_table
from lab.report.precision import precision_table, trials_for_width
from lab.report.survival import km_table

WINDOW_S = 7200.0


def _trials() -> pd.DataFrame:
    rows = []
    times = {
        ("a", "manual"): [600.0, 1200.0, 2400.0, None, 3000.0],
        ("a", "serverless"): [30.0, 45.0, 60.0, 90.0, 5000.0],
        ("b", "manual"): [100.0, 200.0, 300.0, 400.0, 500.0],
        ("b", "serverless"): [90.0, 180.0, 270.0, 360.0, 450.0],
    }
    for (technique, arch), values in times.items():
        for k, value in enumerate(values):
            rows.append(
                {
                    "technique": technique,
                    "architecture": arch,
                    "trial": k,
                    "outcome": "remediated" if value is not None else "missed",
                    "time_to_detect_s": value,
                    "time_to_alert_s": value,
                    "time_to_remediate_s": value,
                }
            )
    return pd.DataFrame(rows)


def _km(values: list[float | None]) -> KaplanMeierFitter:
    return KaplanMeierFitter().fit(
        [WINDOW_S if v is None else v for v in values], [v is not None for v in values]
    )


def test_seconds_saved_ratio_and_fractions_within_come_from_lifelines_curves():
    trials = _trials()
    table = effects_table(
        trials, pd.Series(WINDOW_S, index=trials.index), [("manual", "serverless")]
    )
    row = table[(table["technique"] == "a") & (table["stage"] == "detect")].iloc[0]
    manual = _km([600.0, 1200.0, 2400.0, None, 3000.0])
    serverless = _km([30.0, 45.0, 60.0, 90.0, 5000.0])
    rmst_manual = restricted_mean_survival_time(manual, t=WINDOW_S)
    rmst_serverless = restricted_mean_survival_time(serverless, t=WINDOW_S)
    assert row["saved_s"] == pytest.approx(rmst_manual - rmst_serverless)
    assert row["rmst_ratio"] == pytest.approx(rmst_serverless / rmst_manual)
    assert row["saved_ci_low_s"] < row["saved_s"] < row["saved_ci_high_s"]
    # within 15 minutes: 4 of 5 serverless, 1 of 5 manual
    assert row["more within 15 min"] == pytest.approx(0.8 - 0.2)
    assert row["more within 1 h"] == pytest.approx(0.8 - 0.8)
    assert np.isnan(row["more within 1 day"])  # past the two-hour horizon: not said


def test_the_pooled_row_is_the_mean_over_techniques_with_a_cluster_interval():
    trials = _trials()
    table = effects_table(
        trials, pd.Series(WINDOW_S, index=trials.index), [("manual", "serverless")]
    )
    detect = table[table["stage"] == "detect"]
    pooled = detect[detect["technique"] == POOLED].iloc[0]
    per_technique = detect[detect["technique"] != POOLED]
    assert pooled["saved_s"] == pytest.approx(per_technique["saved_s"].mean())
    # Two techniques: the bootstrap draws (a, a), (a, b), (b, b): its bounds are within theirs.
    low, high = sorted(per_technique["saved_s"])
    assert low <= pooled["saved_ci_low_s"] <= pooled["saved_ci_high_s"] <= high


def test_trials_needed_scale_with_the_square_of_the_width():
    assert trials_for_width(10, half_width=30.0, target=10.0) == 90
    assert trials_for_width(10, half_width=5.0, target=10.0) == 3
    assert np.isnan(trials_for_width(10, half_width=np.nan, target=10.0))
    trials = _trials()
    table = precision_table(km_table(trials, pd.Series(WINDOW_S, index=trials.index)))
    row = table.iloc[0]
    assert row["fraction_half_width"] > 0 and row["trials for fraction +-0.10"] > row["n"]
