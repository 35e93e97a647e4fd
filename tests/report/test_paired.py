"""Tests that match the design: paired Wilcoxon per technique (scipy's values), the log-rank test
stratified by technique (lifelines' value with one stratum), Holm over the named family."""

import numpy as np
import pandas as pd
import pytest
from lifelines.statistics import logrank_test
from scipy import stats
from statsmodels.stats.multitest import multipletests

from lab.report.paired import arm_pairs, paired_table, pooled_table, stratified_logrank

MANUAL = [310.0, 95.0, 420.0, 150.0, 610.0, 240.0, 505.0, 88.0, 199.0, 333.0]
SERVERLESS = [30.0, 41.0, 400.0, 22.0, 650.0, 12.0, 80.0, 70.0, 15.0, 90.0]


def _trials(times: dict[tuple[str, str], list[float | None]]) -> pd.DataFrame:
    rows = []
    for (technique, arch), values in times.items():
        for k, value in enumerate(values):
            rows.append(
                {
                    "technique": technique,
                    "architecture": arch,
                    "trial": k,
                    "outcome": "detected only" if value is not None else "missed",
                    "time_to_detect_s": value,
                    "time_to_alert_s": value,
                    "time_to_remediate_s": None,
                }
            )
    return pd.DataFrame(rows)


def test_the_paired_test_equals_scipys_wilcoxon_on_the_paired_differences():
    trials = _trials({("t", "manual"): MANUAL, ("t", "serverless"): SERVERLESS})
    window = pd.Series(3600.0, index=trials.index)
    row = (
        paired_table(trials, window, [("manual", "serverless")]).query("stage == 'detect'").iloc[0]
    )
    expected = stats.wilcoxon(np.subtract(SERVERLESS, MANUAL))
    assert row["W"] == expected.statistic and row["p_value"] == pytest.approx(expected.pvalue)
    assert row["pairs"] == 10 and row["median_difference_s"] == np.median(
        np.subtract(SERVERLESS, MANUAL)
    )
    # Unpaired, the same data says less: Mann-Whitney's p is larger than the paired test's.
    assert stats.mannwhitneyu(MANUAL, SERVERLESS).pvalue > row["p_value"]


def test_censored_pairs_count_their_window_and_a_pair_censored_twice_is_a_tie():
    manual = [*MANUAL[:8], None, None]
    serverless = [*SERVERLESS[:8], 50.0, None]
    trials = _trials({("t", "manual"): manual, ("t", "serverless"): serverless})
    window = pd.Series(3600.0, index=trials.index)
    row = (
        paired_table(trials, window, [("manual", "serverless")]).query("stage == 'detect'").iloc[0]
    )
    assert (row["one_censored"], row["both_censored"]) == (1, 1)
    differences = [*np.subtract(SERVERLESS[:8], MANUAL[:8]), 50.0 - 3600.0]  # the tie dropped
    expected = stats.wilcoxon(differences)
    assert row["W"] == expected.statistic and row["p_value"] == pytest.approx(expected.pvalue)


def test_holm_is_taken_over_the_tables_family():
    trials = _trials(
        {
            ("a", "manual"): MANUAL,
            ("a", "serverless"): SERVERLESS,
            ("b", "manual"): [v * 2 for v in MANUAL],
            ("b", "serverless"): [v * 2 + 1 for v in MANUAL],
        }
    )
    table = paired_table(trials, pd.Series(7200.0, index=trials.index), [("manual", "serverless")])
    tested = table.dropna(subset=["p_value"])  # no remediation: nothing to test there
    assert len(tested) == 4  # 2 techniques x (detect, alert): the family
    assert tested["p_holm"].tolist() == pytest.approx(
        multipletests(tested["p_value"], method="holm")[1]
    )


def test_stratified_log_rank_with_one_stratum_is_lifelines_log_rank():
    durations = pd.Series([*MANUAL, *SERVERLESS[:8], 3600.0, 3600.0])
    observed = pd.Series([True] * 18 + [False] * 2)
    arm = pd.Series([True] * 10 + [False] * 10)
    chi2, p = stratified_logrank(durations, observed, arm, pd.Series(["t"] * 20))
    expected = logrank_test(durations[arm], durations[~arm], observed[arm], observed[~arm])
    assert chi2 == pytest.approx(expected.test_statistic)
    assert p == pytest.approx(expected.p_value)


def test_stratifying_by_technique_keeps_a_technique_effect_out_of_the_arm_effect():
    # Serverless is 10 % faster in every trial of both techniques; technique b is 50 times slower
    # and ran mostly on... nothing else: per stratum the arm difference is all there is.
    fast = [10.0, 12.0, 14.0, 16.0, 18.0, 20.0]
    trials = _trials(
        {
            ("a", "manual"): fast,
            ("a", "serverless"): [v * 0.9 for v in fast],
            ("b", "manual"): [v * 50 for v in fast],
            ("b", "serverless"): [v * 45 for v in fast],
        }
    )
    window = pd.Series(7200.0, index=trials.index)
    row = pooled_table(trials, window, [("manual", "serverless")]).query("stage == 'detect'")
    data = trials.assign(arm=trials["architecture"] == "manual")
    unstratified = logrank_test(
        data.loc[data["arm"], "time_to_detect_s"], data.loc[~data["arm"], "time_to_detect_s"]
    )
    assert row["chi2_stratified"].item() > unstratified.test_statistic
    assert row["techniques"].item() == 2 and row["trials"].item() == 24


def test_the_arms_compared():
    both = _trials({("t", "manual"): [1.0], ("t", "serverless"): [1.0], ("t", "x"): [1.0]})
    assert arm_pairs(both) == [("manual", "serverless")]
    arms = _trials({("t", "p"): [1.0], ("t", "q"): [1.0], ("t", "r"): [1.0]})
    assert arm_pairs(arms) == [("p", "q"), ("p", "r"), ("q", "r")]


def test_a_registered_stack_is_compared_with_each_built_in_arm():
    trials = _trials(
        {
            ("t", "manual"): [1.0],
            ("t", "serverless"): [1.0],
            ("t", "acme"): [1.0],
            ("t", "x"): [1.0],
        }
    )
    scenario = {
        "architectures": {
            "manual": {},
            "serverless": {},
            "acme": {},  # a stack of its own
            "x": {"architecture": "serverless"},  # an arm of a built-in architecture
        }
    }
    assert arm_pairs(trials, scenario) == [
        ("manual", "serverless"),
        ("manual", "acme"),
        ("serverless", "acme"),
    ]
