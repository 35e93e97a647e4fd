"""The report names the arm that dropping censored trials would flatter."""

import numpy as np
import pandas as pd

from lab.report.flattered import flattered_table
from lab.report.survival import km_table


def test_the_arm_that_misses_more_is_named_and_a_flipped_ranking_said():
    # manual catches 3 of 8 quickly and misses 5: its detected ones say 20 s; serverless catches
    # all, at 100 s. Dropping the misses ranks manual faster; its RMST says otherwise.
    rows = [
        {"architecture": arch, "trial": k, "time_to_detect_s": value}
        for arch, values in (
            ("manual", [10.0, 20.0, 30.0, None, None, None, None, None]),
            ("serverless", [90.0, 95.0, 100.0, 100.0, 105.0, 110.0, 120.0, 130.0]),
        )
        for k, value in enumerate(values)
    ]
    trials = pd.DataFrame(rows).assign(
        technique="t",
        outcome=lambda f: np.where(f["time_to_detect_s"].isna(), "missed", "detected only"),
        time_to_alert_s=None,
        time_to_remediate_s=None,
    )
    km = km_table(trials, pd.Series(3600.0, index=trials.index))
    table = flattered_table(km).set_index("stage")
    row = table.loc["detect"]
    assert row["manual: reached-only median_s"] == 20.0
    assert np.isnan(row["manual: KM median_s"])  # 5 of 8 never: not reached
    assert row["flattered"] == "manual" and row["ranking_flips"] == "manual"
    assert "remediate" not in table.index  # nothing reached: nothing to disagree about
