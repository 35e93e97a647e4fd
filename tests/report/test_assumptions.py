"""The gap as a function of what is assumed: Kaplan-Meier medians per point (censored trials
counted), the break-even delay interpolated between swept values, the tornado's swings, the
conclusions that hold or depend, and `lab assumptions` on a run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter

from lab.report import assumptions

READ = "sweep.calibration.operators.on-call.read_alert_s.scale"
TYPE = "sweep.calibration.operators.on-call.runbook_command_s.scale"
SCENARIO = {"max_trial_s": 10_000, "injection": "uniform-week"}


def _trials(points: list[tuple[float, float, str, list[float | None]]]) -> pd.DataFrame:
    """Trials of a one-at-a-time sweep: (read scale, typing scale, architecture, times)."""
    rows = []
    for read, typing, architecture, times in points:
        for k, ttr in enumerate(times):
            rows.append(
                {
                    READ: read,
                    TYPE: typing,
                    "architecture": architecture,
                    "technique": "t",
                    "trial": k,
                    "outcome": "remediated" if ttr is not None else "missed",
                    "time_to_remediate_s": ttr,
                }
            )
    return pd.DataFrame(rows)


MANUAL = {
    1: [400, 600, 800, 1_000],
    0.5: [200, 300, 400, 500],
    4: [2_000, 3_000, 3_500, None, None],
}
POINTS = [
    (1, 1, "manual", MANUAL[1]),
    (1, 1, "serverless", [30, 40, 50, 60]),
    (0.5, 1, "manual", MANUAL[0.5]),
    (0.5, 1, "serverless", [30, 40, 50, 60]),
    (4, 1, "manual", MANUAL[4]),
    (4, 1, "serverless", [30, 40, 50, 60]),
    (1, 4, "manual", [900, 1_200, 1_500, 1_800]),
    (1, 4, "serverless", [30, 40, 50, 70]),
]


def test_medians_are_kaplan_meier_with_the_missed_trials_censored_at_the_window():
    table = assumptions.estimates(_trials(POINTS), SCENARIO)
    row = table[(table[READ] == 4) & (table["architecture"] == "manual")].iloc[0]
    fitter = KaplanMeierFitter().fit([2_000, 3_000, 3_500, 10_000, 10_000], [1, 1, 1, 0, 0])
    assert row["median_s"] == pytest.approx(fitter.median_survival_time_) == 3_500
    assert row["remediated"] == 0.6 and not np.isfinite(row["p90_s"])  # not reached in the window
    # Dropping the censored trials would have said 3,000 s.
    assert row["median_s"] != pytest.approx(3_000)


def test_break_even_is_interpolated_between_the_swept_values_around_the_target():
    table = assumptions.estimates(_trials(POINTS), SCENARIO)
    even = assumptions.break_even(table, READ, "manual", 900)
    medians = {
        v: table[(table[READ] == v) & (table[TYPE] == 1) & (table["architecture"] == "manual")][
            "median_s"
        ].iloc[0]
        for v in (1, 4)
    }
    assert medians[1] <= 900 < medians[4]
    expected = 1 + (900 - medians[1]) * (4 - 1) / (medians[4] - medians[1])
    assert even == pytest.approx(expected)
    assert assumptions.break_even(table, READ, "serverless", 900) == float("inf")
    assert assumptions.break_even(table, READ, "manual", 10) is None


def test_the_tornado_orders_the_swings_and_the_conclusions_say_what_depends():
    table = assumptions.estimates(_trials(POINTS), SCENARIO)
    effects = assumptions.effects(table)
    manual = effects[effects["architecture"] == "manual"]
    assert list(manual["key"]) == ["on-call.read_alert_s.scale", "on-call.runbook_command_s.scale"]
    assert (manual["swing_s"].diff().dropna() <= 0).all()
    assert assumptions.conclusions(table) == [
        "serverless remediates faster than manual (median) at every point: holds."
    ]
    flipped = _trials(
        [*POINTS, (0.1, 1, "manual", [10, 20, 20, 30]), (0.1, 1, "serverless", [30, 40, 50, 60])]
    )
    (line,) = assumptions.conclusions(assumptions.estimates(flipped, SCENARIO))
    assert "depends on the assumption" in line and "read_alert_s.scale=0.1" in line


def test_the_figures_are_written(tmp_path):
    found = assumptions.write(_trials(POINTS), SCENARIO, tmp_path)
    assert {p.name for p in found["figures"]} >= {"delay_response.png", "tornado.png"}
    with pytest.raises(ValueError, match="not swept"):
        assumptions.write(_trials(POINTS), SCENARIO, tmp_path, key="operator")


def test_an_architecture_that_no_delay_moves_still_gets_an_axis(tmp_path, monkeypatch):
    """Automation does not wait for the person: its bars are ticks at one value, on an axis with
    a range around them. At some values (the reference run's 24.54 s, not 45 s) matplotlib's log
    axis kept a range of one float's last bits: the panel was drawn empty."""
    steady = [(r, t, a, x if a == "manual" else [30, 40, 50, 60]) for r, t, a, x in POINTS]
    frame = assumptions.effects(assumptions.estimates(_trials(steady), SCENARIO))
    serverless = frame["architecture"] == "serverless"
    frame.loc[serverless, ["baseline_s", "at_low_s", "at_high_s"]] = 24.54
    limits = {}

    def kept(fig, out_base):
        limits.update({ax.get_title(): ax.get_xlim() for ax in fig.axes})
        return []

    monkeypatch.setattr(assumptions, "save_figure", kept)
    assumptions.tornado_figure(frame, tmp_path / "tornado")
    low, high = limits["serverless"]
    assert low < 24.54 < high and high > 2 * low
