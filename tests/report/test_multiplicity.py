"""Holm and Benjamini-Hochberg over one family: statsmodels' values, and NaN left out."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from lab.report.multiplicity import adjust, family_size

P = [0.01, 0.04, 0.03, 0.005, 0.20, 0.5]


def test_holm_equals_statsmodels_and_a_hand_computed_step_down():
    adjusted = adjust(pd.Series(P))
    assert adjusted["p_holm"].tolist() == pytest.approx(multipletests(P, method="holm")[1])
    # Holm by hand: sorted 0.005, 0.01, 0.03, 0.04, 0.2, 0.5 times 6, 5, 4, 3, 2, 1, running max
    assert adjusted["p_holm"].tolist() == pytest.approx([0.05, 0.12, 0.12, 0.03, 0.4, 0.5])


def test_benjamini_hochberg_equals_statsmodels_and_scipy():
    adjusted = adjust(pd.Series(P))
    assert adjusted["p_bh"].tolist() == pytest.approx(multipletests(P, method="fdr_bh")[1])
    assert adjusted["p_bh"].tolist() == pytest.approx(stats.false_discovery_control(P))


def test_a_missing_p_value_is_not_in_the_family():
    with_gap = pd.Series([0.01, np.nan, 0.04])
    adjusted = adjust(with_gap)
    assert np.isnan(adjusted["p_holm"].iloc[1]) and family_size(with_gap) == 2
    assert adjusted["p_holm"].iloc[[0, 2]].tolist() == pytest.approx([0.02, 0.04])
