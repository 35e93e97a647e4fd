"""Coverage with uncertainty: each outcome's fraction with its Wilson interval."""

import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from lab.report.coverage import coverage_table, outcome_fractions


def test_fractions_carry_wilson_intervals_equal_to_statsmodels_and_scipy():
    outcomes = pd.Series(["remediated", "remediated", "missed", "failed"])
    fractions = outcome_fractions(outcomes)  # the failed trial measured nothing: 3 trials
    assert fractions["remediated_fraction"] == pytest.approx(2 / 3)
    low, high = proportion_confint(2, 3, method="wilson")
    assert fractions["remediated_fraction_ci_low"] == pytest.approx(low)
    assert fractions["remediated_fraction_ci_high"] == pytest.approx(high)
    scipy_ci = stats.binomtest(1, 3).proportion_ci(method="wilson")
    assert fractions["missed_fraction_ci_low"] == pytest.approx(scipy_ci.low)
    assert fractions["missed_fraction_ci_high"] == pytest.approx(scipy_ci.high)
    assert fractions["detected_only_fraction"] == 0.0
    assert fractions["detected_only_fraction_ci_high"] > 0.4  # 0 of 3 does not mean never


def test_the_coverage_table_keeps_its_outcome_and_adds_the_fractions():
    trials = pd.DataFrame(
        {
            "technique": ["ec2-sg-open-ssh"] * 3,
            "architecture": ["manual"] * 3,
            "trial": [0, 1, 2],
            "outcome": ["remediated", "missed", "missed"],
            "time_to_detect_s": [10.0, None, None],
        }
    )
    row = coverage_table(trials).iloc[0]
    assert row["outcome"] == "missed" and row["missed_fraction"] == pytest.approx(2 / 3)
