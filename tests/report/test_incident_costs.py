"""The person's time and a missed incident's damage, read from a real run (`lab run` on a small
scenario: an attack both arms miss, one each arm handles, and a benign action): the person's
alerts and work per trial agree with the usage meter, false alarms scale to a day by each action's
rate, exposure runs to the horizon when nothing fixed the attack, a missed incident costs its
damage (never $0.00), and `lab cost` prints and keeps it."""

import json
import os
import subprocess
import sys
from datetime import datetime

import pandas as pd
import pytest

from lab.cost.damage import damage
from lab.cost.usage import meter
from lab.report import false_alarms, incidents, reference
from lab.report.person import office_hours, person_trials, read_events, run_person
from lab.report.survival import observation_window_s
from lab.sim.calibration import Availability

SCENARIO = """
name: costs
seed: 7
trials: 2
techniques: [ec2-get-password-data, ec2-sg-open-ssh, benign-share-snapshot-partner]
architectures:
  manual:
    cron_schedule: "*/5 * * * *"
  serverless:
    alert_email: security@example.com
operator: on-call
start: "2026-01-05T09:00:00Z"
injection: off-hours
trial_spacing_s: 86400
max_trial_s: 5400
"""


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("costs")
    (folder / "costs.yaml").write_text(SCENARIO)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "lab.cli",
            "run",
            str(folder / "costs.yaml"),
            "--out",
            str(folder),
            "--jobs",
            "1",
            "--no-report",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return next((folder / "costs").iterdir())


@pytest.fixture(scope="module")
def trials(run_dir):
    return pd.read_csv(run_dir / "trials.csv")


def test_the_persons_work_and_alerts_agree_with_the_usage_meter(run_dir):
    person = run_person(run_dir)
    usage = meter(read_events(run_dir))
    for architecture, group in person.groupby("architecture"):
        totals = usage[architecture]["totals"]
        assert group["work_s"].sum() == pytest.approx(totals["operator.work_s"])
        assert group["alerts"].sum() == totals["sns.email_deliveries"]
    assert person["work_s"].sum() > 0 and person["alerts"].sum() > 0


def test_reads_out_of_hours_follow_the_office_hours_given(run_dir):
    events = read_events(run_dir)
    reads = [e for e in events if e["kind"] == "operator.read_alert"]
    assert reads
    always = Availability(mode="hours", start="00:00", end="24:00")
    assert run_person(run_dir)["read_out_of_hours"].sum() > 0  # off-hours injections, on call
    assert person_trials(events, always)["read_out_of_hours"].sum() == 0
    # Business hours (the on-call profile keeps none of its own): each read counted when the
    # profile says the person is away at that moment.
    office = office_hours(json.loads((run_dir / "manifest.json").read_text()))
    assert office.mode == "hours" and office.days == ["mon", "tue", "wed", "thu", "fri"]
    away = sum(
        office.wait_s(datetime.fromisoformat(e["time"].replace("Z", "+00:00"))) > 0 for e in reads
    )
    assert person_trials(events, office)["read_out_of_hours"].sum() == away


def test_false_alarms_scale_to_a_day_by_each_actions_rate(run_dir, trials):
    benign = trials[trials["technique"] == "benign-share-snapshot-partner"]
    person = run_person(run_dir)
    once = false_alarms.table(benign, person, {"benign-share-snapshot-partner": 1.0})
    twice = false_alarms.table(benign, person, {"benign-share-snapshot-partner": 2.0})
    usage = meter(
        read_events(run_dir), key=lambda e: (e.get("architecture"), e.get("technique", ""))
    )
    for row in once[once["action"] != "all"].to_dict("records"):
        metered = usage[(row["architecture"], row["action"])]["per_trial"]
        assert row["alerts / day"] == pytest.approx(metered["sns.email_deliveries"])
    for column in false_alarms.RATES:
        assert list(twice[column]) == pytest.approx([2 * v for v in once[column]])
    totals = once[once["action"] == "all"].set_index("architecture")
    parts = once[once["action"] != "all"].groupby("architecture")[list(false_alarms.RATES)].sum()
    assert totals.loc[parts.index, list(false_alarms.RATES)].to_numpy() == pytest.approx(
        parts.to_numpy()
    )
    assert once["alerts / day"].sum() > 0


def test_exposure_runs_to_the_horizon_when_nothing_fixed_the_attack(run_dir, trials):
    scenario = json.loads((run_dir / "manifest.json").read_text())["scenario"]
    found = incidents.exposures(trials, scenario)
    window = observation_window_s(trials, scenario).loc[found.index]
    fixed = found["outcome"] == "remediated"
    assert (~fixed).any() and fixed.any()
    assert list(found.loc[~fixed, "exposure_s"]) == pytest.approx(list(window[~fixed]))
    assert list(found.loc[fixed, "exposure_s"]) == list(found.loc[fixed, "time_to_remediate_s"])
    assert len(found) == (trials["outcome"] != "failed").sum()  # nothing dropped


def test_a_missed_incident_costs_its_damage_never_nothing(run_dir):
    table = incidents.run_table(run_dir)
    missed = table[(table["kind"] == "attack") & (table["missed"] > 0)]
    assert len(missed), table
    rates = damage()
    for row in missed.itertuples():
        assert row.total_usd > 0 and row.damage_usd > 0
        per_hour = rates.usd_per_hour[row.severity].value
        assert row.damage_usd == pytest.approx(per_hour * row.exposure_hours)
    benign = table[table["kind"] == "benign"]
    assert (benign["damage_usd"] == 0).all() and len(benign) == 2
    # A false alarm is charged the person's time in every arm alike.
    person = run_person(run_dir)
    for row in benign.itertuples():
        spent = person[
            (person.architecture == row.architecture) & (person.technique == row.technique)
        ]
        assert row.person_hours == pytest.approx(spent["work_s"].sum() / 3600 / row.trials)


def test_the_damage_sweep_scales_damage_and_names_what_holds(run_dir):
    frame = incidents.run_sweep(run_dir)
    assert sorted(frame["damage_x"].unique()) == sorted(damage().sweep)
    for _, group in frame.groupby("architecture"):
        ordered = group.sort_values("damage_x")
        assert ordered["cost_per_incident_usd"].is_monotonic_increasing
        assert ordered["damage_share"].is_monotonic_increasing
    (line,) = incidents.cost_conclusions(frame)
    assert "holds" in line or "depends on the damage" in line


def test_lab_cost_prints_and_keeps_the_damage_of_each_incident(run_dir):
    result = subprocess.run(
        [sys.executable, "-m", "lab.cli", "cost", str(run_dir), "--profile", "small-company"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "250"},
    )
    assert result.returncode == 0, result.stderr
    assert "damage" in result.stdout and "false alarm" in result.stdout
    kept = pd.read_csv(run_dir / "cost_per_incident.csv")
    attacks = kept[kept["kind"] == "attack"]
    assert (attacks["total_usd"] > 0).all() and (attacks["damage_usd"] > 0).all()
    assert set(kept["architecture"]) == {"manual", "serverless"}


def test_a_kept_run_keeps_the_persons_columns_for_the_benign_table(run_dir, tmp_path):
    folder = reference.keep(tmp_path, "benign", run_dir)
    kept = pd.read_csv(folder / reference.PERSON_FILE)
    assert kept.to_dict("records") == run_person(run_dir).to_dict("records")
    table = reference.benign(reference.KeptRun.read(tmp_path, "benign"))
    assert set(table["action"]) == {"benign-share-snapshot-partner", "all"}  # attacks left out
    assert {"alerts / day", "pages / night", "person-h / week", "broken / week"} <= set(table)
    (folder / reference.PERSON_FILE).unlink()
    with pytest.raises(reference.ReferenceError, match=r"keeps no person\.csv"):
        reference.benign(reference.KeptRun.read(tmp_path, "benign"))


SWEEP = """
name: costs-sweep
seed: 3
trials: 1
techniques: [ec2-get-password-data, ec2-sg-open-ssh]
architectures:
  manual:
    cron_schedule: "*/5 * * * *"
  serverless:
    alert_email: security@example.com
operator: on-call
start: "2026-01-05T09:00:00Z"
max_trial_s: 7200
sweep_design: one-at-a-time
sweep:
  calibration.operators.on-call.read_alert_s.scale: [1, 4]
"""


def test_lab_assumptions_sweeps_the_damage_at_the_baseline_point(tmp_path):
    (tmp_path / "sweep.yaml").write_text(SWEEP)
    command = [sys.executable, "-m", "lab.cli"]
    ran = subprocess.run(
        [
            *command,
            "run",
            str(tmp_path / "sweep.yaml"),
            "--out",
            str(tmp_path),
            "--jobs",
            "1",
            "--no-report",
        ],
        capture_output=True,
        text=True,
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    sweep_dir = next((tmp_path / "costs-sweep").iterdir())
    result = subprocess.run(
        [*command, "assumptions", str(sweep_dir)],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "250"},
    )
    assert result.returncode == 0, result.stderr
    written = pd.read_csv(sweep_dir / "assumptions_damage.csv")
    # The sweep run's baseline point, read as the ordinary run it is, gives the same figures.
    baseline = json.loads((sweep_dir / "manifest.json").read_text())["points"][0]["id"]
    alone = incidents.run_sweep(sweep_dir / "points" / baseline)
    pd.testing.assert_frame_equal(written, alone, check_dtype=False)
    assert "costs least per incident" in result.stdout or "depends on the damage" in result.stdout
