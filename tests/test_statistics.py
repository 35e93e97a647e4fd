import numpy as np
import pandas as pd
import pytest

from lab.report.statistics import comparison_table, latency_table, rate_table


def _trials(manual, serverless, outcomes=None):
    rows = []
    for arch, values in (("manual", manual), ("serverless", serverless)):
        for k, value in enumerate(values):
            rows.append(
                {
                    "technique": "t",
                    "architecture": arch,
                    "trial": k,
                    "outcome": (outcomes or {}).get((arch, k), "remediated"),
                    "time_to_detect_s": value,
                    "time_to_alert_s": value,
                    "time_to_remediate_s": value,
                }
            )
    return pd.DataFrame(rows)


def test_latency_table_median_p90_and_ci_bracket_the_median():
    table = latency_table(_trials(list(range(1, 21)), [5.0] * 20)).set_index(
        ["architecture", "stage"]
    )
    row = table.loc[("manual", "detect")]
    assert row["n"] == 20 and row["median_s"] == 10.5 and row["mean_s"] == 10.5
    assert row["p90_s"] == pytest.approx(np.quantile(range(1, 21), 0.9))
    assert row["median_ci_low_s"] <= 10.5 <= row["median_ci_high_s"]
    constant = table.loc[("serverless", "detect")]
    assert constant["median_ci_low_s"] == constant["median_ci_high_s"] == 5.0


def test_wilson_interval_of_rates():
    trials = _trials(
        [1.0] * 10,
        [np.nan] * 2 + [1.0] * 8,
        {("serverless", 0): "missed", ("serverless", 1): "missed"},
    )
    rates = rate_table(trials).set_index(["architecture", "rate"])
    detected = rates.loc[("serverless", "detected")]
    assert detected["k"] == 8 and detected["n"] == 10 and detected["value"] == 0.8
    # Wilson 95 % interval for 8/10 (textbook value 0.490 .. 0.943)
    assert detected["wilson_low"] == pytest.approx(0.490, abs=0.001)
    assert detected["wilson_high"] == pytest.approx(0.943, abs=0.001)


def test_mann_whitney_effect_size_when_one_side_is_always_slower():
    table = comparison_table(_trials([100.0 + k for k in range(10)], [1.0 + k for k in range(10)]))
    row = table.set_index("stage").loc["detect"]
    assert row["U"] == 100.0  # every manual value exceeds every serverless value
    assert row["rank_biserial_r"] == 1.0
    assert row["p_value"] < 0.001
