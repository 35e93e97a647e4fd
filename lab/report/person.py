"""The person's side of a run, per trial, read from its timeline (``events.jsonl``): the alerts
that reached them, the ones they read outside office hours, and the seconds of work they spent
(reviewing an alert that needed nothing, diagnosing and typing a runbook), the same for every arm.

Office hours are the staffing profile's own when it keeps hours (``availability.mode: hours``),
else the ``business-hours`` profile's of the calibration (a person on call at any hour still has a
working day; what they read outside it woke them or kept them up).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from lab.experiment.plan import recorded_calibration
from lab.sim.calibration import Availability

KEYS = ["technique", "architecture", "trial"]
COLUMNS = [*KEYS, "alerts", "read_out_of_hours", "work_s"]
# The person's work: reviewing an alert that needs nothing, or diagnosing and typing a runbook.
WORK_KINDS = ("operator.acknowledged", "operator.runbook_done")
OFFICE_PROFILE = "business-hours"


def read_events(run_dir: Path) -> list[dict[str, Any]]:
    """Every event of a run's ``events.jsonl``."""
    path = Path(run_dir) / "events.jsonl"
    if not path.exists():
        raise FileNotFoundError(f"no events.jsonl in {run_dir} (run a scenario first: make demo)")
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def office_hours(manifest: dict[str, Any]) -> Availability:
    """The working day the run's person keeps: their profile's hours, else business hours."""
    calibration = recorded_calibration(manifest)
    profile = manifest.get("scenario", {}).get("operator") or ""
    own = calibration.operators.get(profile)
    if own is not None and own.availability.mode == "hours":
        return own.availability
    return calibration.operator(OFFICE_PROFILE).availability


def person_trials(events: Iterable[dict[str, Any]], office: Availability) -> pd.DataFrame:
    """Per trial that has any of the person's events: ``alerts`` delivered to them (SNS, every
    channel), ``read_out_of_hours`` (alerts read when ``office`` says they are off), ``work_s``.
    Background events (the synthetic stream's) are not the trial's and are left out."""
    rows: dict[tuple[str, str, int], dict[str, float]] = {}
    for event in events:
        if event.get("background") or "trial" not in event:
            continue
        kind = event["kind"]
        delivered = kind == "sns.delivered" and event.get("alert")
        if not (delivered or kind == "operator.read_alert" or kind in WORK_KINDS):
            continue
        key = (str(event.get("technique", "")), str(event["architecture"]), int(event["trial"]))
        row = rows.setdefault(key, {"alerts": 0.0, "read_out_of_hours": 0.0, "work_s": 0.0})
        if delivered:
            row["alerts"] += 1
        elif kind == "operator.read_alert":
            moment = datetime.fromisoformat(event["time"].replace("Z", "+00:00"))
            row["read_out_of_hours"] += float(office.wait_s(moment) > 0)
        else:
            row["work_s"] += float(event["work_s"])
    frame = pd.DataFrame([{**dict(zip(KEYS, k, strict=True)), **v} for k, v in rows.items()])
    return frame.reindex(columns=COLUMNS).sort_values(KEYS, ignore_index=True)


def per_trial(trials: pd.DataFrame, person: pd.DataFrame) -> pd.DataFrame:
    """``trials`` with the person's columns of each trial (0 where the person did nothing)."""
    person = person.astype({"trial": int, "technique": str, "architecture": str})
    merged = trials.merge(person, on=KEYS, how="left")
    return merged.fillna({c: 0.0 for c in COLUMNS[len(KEYS) :]})


def run_person(run_dir: Path) -> pd.DataFrame:
    """The person's columns per trial of a finished run."""
    manifest = json.loads((Path(run_dir) / "manifest.json").read_text())
    return person_trials(read_events(run_dir), office_hours(manifest))
