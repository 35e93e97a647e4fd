"""The one owner of the results folder (which run is the newest, run listings) and the one trial
row every target's observations become."""

import json
import os

import pytest

from lab.experiment.outcome import Observation, trial_row
from lab.experiment.results import RunNotFound, latest_run, run_dirs, run_summaries


def _run(root, scenario, run_id, started, files=()):
    directory = root / scenario / run_id
    directory.mkdir(parents=True)
    (directory / "manifest.json").write_text(
        json.dumps({"started_at": started, "scenario": {"name": scenario}, "seed": 1})
    )
    for name in files:
        (directory / name).write_text("technique,architecture,trial\nt,manual,0\n")
    return directory


def test_the_newest_run_is_the_one_started_last_whatever_was_written_last(tmp_path):
    older = _run(tmp_path, "demo", "20260101T000000Z-aaaa", "2026-01-01T00:00:00+00:00")
    newer = _run(tmp_path, "demo", "20260102T000000Z-bbbb", "2026-01-02T00:00:00+00:00")
    other = _run(tmp_path, "other", "20260103T000000Z-cccc", "2026-01-03T00:00:00+00:00")
    os.utime(older / "manifest.json", (2e9, 2e9))  # a report rewrote the older run's files
    assert latest_run(tmp_path) == other
    assert latest_run(tmp_path, "demo") == newer
    assert run_dirs(tmp_path, "demo") == [older, newer]
    with pytest.raises(RunNotFound, match=r"no run with usage\.json"):
        latest_run(tmp_path, requires="usage.json")
    (older / "usage.json").write_text("{}")
    assert latest_run(tmp_path, requires="usage.json") == older


def test_run_listing_counts_the_trials_written(tmp_path):
    _run(tmp_path, "demo", "r1", "2026-01-01T00:00:00+00:00", files=["trials.csv"])
    [row] = run_summaries(tmp_path)
    assert (row["scenario"], row["run"], row["trials"], row["kind"]) == ("demo", "r1", "1", "run")


def _observation(**times):
    return Observation(
        labels={"technique": "t", "architecture": "manual", "trial": 3},
        at=lambda s: f"T+{s:g}",
        **times,
    )


@pytest.mark.parametrize(
    ("times", "outcome"),
    [
        (
            {"injected_s": 10.0, "detected_s": 12.5, "alerted_s": 13.0, "remediated_s": 20.0},
            "remediated",
        ),
        ({"injected_s": 10.0, "alerted_s": 13.0}, "detected only"),
        ({"injected_s": 10.0, "detected_s": 11.0}, "detected only"),
        ({"injected_s": 10.0}, "missed"),
        ({}, "failed"),  # never injected
        ({"injected_s": 10.0, "remediated_s": 20.0, "error": "RuntimeError: x"}, "failed"),
    ],
)
def test_one_outcome_rule_for_every_target(times, outcome):
    row = trial_row(_observation(**times), seed=5)
    assert row["outcome"] == outcome
    assert row["seed"] == 5 and row["trial"] == 3


def test_times_are_seconds_from_injection_and_instants_on_the_trials_clock():
    row = trial_row(
        _observation(injected_s=10.0, detected_s=12.3456, alerted_s=13.0, remediated_s=20.0),
        seed=1,
    )
    assert (row["time_to_detect_s"], row["time_to_alert_s"], row["time_to_remediate_s"]) == (
        2.346,
        3.0,
        10.0,
    )
    assert (row["injected_at"], row["remediated_at"]) == ("T+10", "T+20")
