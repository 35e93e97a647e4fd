"""The ablation's attribution: effects read from arms that differ in one factor, trial matched."""

import numpy as np
import pandas as pd

from lab.report.attribution import arm_factors, attribution_table

SCENARIO = {
    "factors": {"detection": ["poll", "push"], "response": ["person", "automation"]},
    "architectures": {
        "poll-person": {
            "architecture": "manual",
            "factors": {"detection": "poll", "response": "person"},
        },
        "push-person": {
            "architecture": "serverless",
            "factors": {"detection": "push", "response": "person"},
        },
        "push-auto": {
            "architecture": "serverless",
            "factors": {"detection": "push", "response": "automation"},
        },
        "plain": {"architecture": "manual"},
    },
}


def _trials(times: dict[str, list[float | None]]) -> pd.DataFrame:
    rows = []
    for arm, values in times.items():
        for k, value in enumerate(values):
            rows.append(
                {
                    "technique": "t",
                    "architecture": arm,
                    "trial": k,
                    "outcome": "remediated" if value is not None else "detected only",
                    "time_to_detect_s": 10.0 * (k + 1),
                    "time_to_remediate_s": value,
                }
            )
    return pd.DataFrame(rows)


def test_arm_factors_keeps_the_labelled_arms():
    assert set(arm_factors(SCENARIO)) == {"poll-person", "push-person", "push-auto"}


def test_each_effect_comes_from_the_arms_differing_in_that_factor_only():
    trials = _trials(
        {
            "poll-person": [1000, 1100, 1200, 1300],
            "push-person": [900, 1000, 1100, 1200],  # push: 100 s faster in every matched trial
            "push-auto": [30, 40, 50, None],  # automation; the last trial never remediated
        }
    )
    window = pd.Series(7200.0, index=trials.index)
    table = attribution_table(trials, SCENARIO, window).set_index(["effect", "stage"])
    detection = table.loc[("detection", "TTR")]
    assert detection["arm_pairs"] == "poll-person -> push-person"
    assert detection["contrast"] == "poll -> push"
    assert detection["median_difference_s"] == -100.0
    assert detection["ci_low_s"] == detection["ci_high_s"] == -100.0
    response = table.loc[("response", "TTR")]
    assert response["arm_pairs"] == "push-person -> push-auto"
    assert response["matched_trials"] == 4 and response["one_censored"] == 1
    # The censored trial counts with its window (7200 - 1200 = +6000): not dropped.
    assert np.isclose(response["median_difference_s"], np.median([-870, -960, -1050, 6000]))
    # Same detection times everywhere: no effect on TTD.
    assert table.loc[("detection", "TTD")]["median_difference_s"] == 0.0
    # Both sides censored: the difference is unknown, counted and left out of the median.
    both = _trials({"poll-person": [None, 1000], "push-person": [None, 900], "push-auto": [1, 2]})
    row = attribution_table(both, SCENARIO, pd.Series(7200.0, index=both.index))
    detection_ttr = row[(row["effect"] == "detection") & (row["stage"] == "TTR")].iloc[0]
    assert detection_ttr["both_censored"] == 1 and detection_ttr["median_difference_s"] == -100.0
    # No complete 2x2 square of arms: no interaction row.
    assert not any(" x " in effect for effect, _ in table.index)


def test_an_interaction_needs_the_four_arms_of_its_square():
    scenario = {
        "factors": {"detection": ["poll", "push"], "response": ["person", "automation"]},
        "architectures": {
            f"{d}-{r}": {"factors": {"detection": d, "response": r}}
            for d in ("poll", "push")
            for r in ("person", "automation")
        },
    }
    trials = _trials(
        {
            "poll-person": [1000, 1000],
            "push-person": [800, 800],  # push saves 200 s with a person
            "poll-automation": [100, 100],
            "push-automation": [50, 50],  # and 50 s with automation: interaction +150 s
        }
    )
    table = attribution_table(trials, scenario, pd.Series(7200.0, index=trials.index))
    row = table[(table["effect"] == "detection x response") & (table["stage"] == "TTR")].iloc[0]
    assert row["median_difference_s"] == 150.0
    assert row["matched_trials"] == 2


def test_the_interval_resamples_techniques_and_the_mean_sees_misses_turned_into_detections():
    # Six techniques with their own gap (push saves 20 s on some, 600 s on others), four trials
    # each; on two techniques poll never detects (censored at the window) and push does.
    rows = []
    gaps = {"a": 20, "b": 25, "c": 600, "d": 650, "e": 30, "f": 35}
    for technique, gap in gaps.items():
        for k in range(4):
            for arm, detect in (("poll-person", 1000.0 + k), ("push-person", 1000.0 + k - gap)):
                missed = arm == "poll-person" and technique in ("e", "f")
                rows.append(
                    {
                        "technique": technique,
                        "architecture": arm,
                        "trial": k,
                        "outcome": "missed" if missed else "detected only",
                        "time_to_detect_s": None if missed else detect,
                        "time_to_remediate_s": None,
                    }
                )
    trials = pd.DataFrame(rows)
    table = attribution_table(trials, SCENARIO, pd.Series(7200.0, index=trials.index))
    row = table[(table["effect"] == "detection") & (table["stage"] == "TTD")].iloc[0]
    assert row["techniques"] == 6 and row["newly_reached"] == 8
    # The cluster bootstrap's interval is wider than the trial bootstrap's: techniques differ.
    assert row["ci_high_s"] - row["ci_low_s"] > row["trial_ci_high_s"] - row["trial_ci_low_s"]
    # The median barely sees the eight misses turned into detections; the mean does.
    differences = [-gaps[t] for t in "abcd" for _ in range(4)] + [
        1000.0 + k - gaps[t] - 7200.0 for t in "ef" for k in range(4)
    ]
    assert row["median_difference_s"] == np.median(differences)
    assert row["mean_difference_s"] == np.mean(differences)
    assert row["mean_difference_s"] < 3 * row["median_difference_s"]


def test_the_attribution_figure_draws_the_median_and_the_mean(tmp_path):
    from PIL import Image

    from lab.report.attribution_figures import attribution_effects

    trials = _trials(
        {
            "poll-person": [1000, 1100, 1200, 1300],
            "push-person": [900, 1000, 1100, 1200],
            "push-auto": [30, 40, 50, None],
        }
    )
    table = attribution_table(trials, SCENARIO, pd.Series(7200.0, index=trials.index))
    png, pdf = attribution_effects(table, tmp_path / "attribution")
    width, height = Image.open(png).size
    assert width <= 4000 and max(width, height) / min(width, height) <= 3.5 and pdf.exists()


def test_the_reference_table_prints_each_effect_signed_with_its_interval():
    """The ablation's block in docs/ (``lab reference``): the same effects, in seconds, signed."""
    from lab.report.reference import KeptRun, attribution

    trials = _trials(
        {
            "poll-person": [1000, 1100, 1200, 1300],
            "push-person": [900, 1000, 1100, 1200],
            "push-auto": [30, 40, 50, None],
        }
    )
    trials["injected_at"] = "2026-01-05T09:00:00Z"
    run = KeptRun("ablation", {"scenario": {**SCENARIO, "max_trial_s": 7200}}, trials)
    table = attribution(run).set_index(["effect", "stage"])
    detection = table.loc[("detection", "TTR")]
    assert detection["median difference"] == "-100 s"
    assert detection["95 % CI (by technique)"] == "-100 s to -100 s"
    assert detection["censored (one / both)"] == "0 / 0"
    assert table.loc[("response", "TTR")]["censored (one / both)"] == "1 / 0"
    assert table.loc[("detection", "TTD")]["median difference"] == "+0 s"
