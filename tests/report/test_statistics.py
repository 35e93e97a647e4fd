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


def test_mann_whitney_against_a_hand_computed_exact_test():
    # manual [1, 2, 3, 4] vs serverless [2.5, 5, 6, 7]: manual beats serverless in 2 of 16 pairs
    # (3 > 2.5, 4 > 2.5), so U = 2 and r = 2 * 2 / 16 - 1 = -0.75. Exact null distribution of U for
    # 4 + 4 values: 70 arrangements, P(U <= 2) = (1 + 1 + 2) / 70, two-sided p = 8 / 70.
    row = comparison_table(_trials([1.0, 2.0, 3.0, 4.0], [2.5, 5.0, 6.0, 7.0])).iloc[0]
    assert row["U"] == 2.0
    assert row["rank_biserial_r"] == -0.75
    assert row["p_value"] == pytest.approx(8 / 70)


def test_a_sweeps_trials_are_grouped_by_their_point_values():
    low = _trials([1.0, 2.0, 3.0], [1.0, 1.0, 1.0]).assign(**{"sweep.operator": "soc-24x7"})
    high = _trials([10.0, 20.0, 30.0], [1.0, 1.0, 1.0]).assign(**{"sweep.operator": "student-lab"})
    table = latency_table(pd.concat([low, high], ignore_index=True))
    manual = table[(table["architecture"] == "manual") & (table["stage"] == "detect")]
    assert manual.set_index("sweep.operator")["median_s"].to_dict() == {
        "soc-24x7": 2.0,
        "student-lab": 20.0,
    }
    rates = rate_table(pd.concat([low, high], ignore_index=True))
    assert set(rates["sweep.operator"]) == {"soc-24x7", "student-lab"}
    assert (rates["n"] == 3).all()


def test_comparison_of_a_single_architecture_is_an_empty_table_with_its_columns():
    trials = _trials([1.0, 2.0], []).query("architecture == 'manual'")
    table = comparison_table(trials)
    assert table.empty and {"technique", "stage", "U", "p_value", "rank_biserial_r"} <= set(
        table.columns
    )


def test_trials_needed_follow_noethers_formula():
    from lab.report.statistics import trials_needed_table

    # Manual slower in 10 of 16 pairs: P = 0.625, so N = (1.96 + 0.84)^2 / (3 * 0.125^2) = 167.4
    # in all, 84 per architecture; complete separation (P = 1) needs 6.
    rows = [
        {"technique": "t", "architecture": arch, "trial": k, "outcome": "remediated", **times}
        for arch, values in (("manual", [2, 4, 6, 8]), ("serverless", [1, 3, 5, 7]))
        for k, v in enumerate(values)
        for times in [
            {
                "time_to_detect_s": float(v),
                "time_to_alert_s": float(v),
                "time_to_remediate_s": float(v * 100 if arch == "manual" else v),
            }
        ]
    ]
    table = trials_needed_table(pd.DataFrame(rows)).set_index("stage")
    assert table.loc["detect", "p_a_slower"] == 10 / 16  # pairs where manual is slower
    detect_needed = int(np.ceil((1.959964 + 0.841621) ** 2 / (3 * (10 / 16 - 0.5) ** 2) / 2))
    assert table.loc["detect", "trials_needed_per_architecture"] == detect_needed
    assert table.loc["remediate", "p_a_slower"] == 1.0
    assert table.loc["remediate", "trials_needed_per_architecture"] == 6
    assert table.loc["detect", "ci_width_manual_s"] > 0


def test_mann_whitney_says_how_many_trials_it_left_out():
    trials = _trials([100.0, 200.0, None, None], [1.0, 2.0, 3.0, 4.0])
    row = comparison_table(trials).query("stage == 'detect'").iloc[0]
    assert (row["n_a"], row["censored_a"], row["censored_b"]) == (2, 2, 0)
