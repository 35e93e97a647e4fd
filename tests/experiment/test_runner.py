"""Scenario validation, the results store and reproducibility of whole runs."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from lab.experiment.runner import run_scenario
from lab.experiment.scenario import ScenarioError, load_scenario
from lab.experiment.store import TrialStore
from lab.targets.emulated import EmulatedTarget

SCENARIO = """
name: repro
seed: 11
trials: 2
techniques: [ec2-sg-open-ssh]
architectures:
  manual: {}
  serverless: {alert_email: security@example.com}
"""


def test_demo_scenario_is_valid():
    scenario = load_scenario(Path(__file__).parents[2] / "scenarios" / "demo.yaml")
    assert scenario.trials == 10
    assert scenario.techniques == ["ec2-sg-open-ssh", "ec2-ssh-brute-force"]
    assert set(scenario.architectures) == {"manual", "serverless"}


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "name: x\nseed: 1\ntrials: 0\ntechniques: [ec2-sg-open-ssh]\narchitectures: {manual: {}}",
            "trials",
        ),
        (
            "name: x\nseed: 1\ntrials: 1\ntechniques: [nope]\narchitectures: {manual: {}}",
            "unknown technique",
        ),
        (
            "name: x\nseed: 1\ntrials: 1\ntechniques: [ec2-sg-open-ssh]\narchitectures: {mainframe: {}}",
            "architectures",
        ),
        (
            "name: x\nseed: 1\ntrials: 1\ntechniques: [ec2-sg-open-ssh]\narchitectures: {manual: {}}\ncolour: red",
            "colour",
        ),
        (
            "name: x\nseed: 1\ntrials: 1\ntechniques: [ec2-sg-open-ssh]\n"
            "architectures: {manual: {cron_schedule: every five minutes}}",
            "not a cron expression",
        ),
        (
            "name: x\nseed: 1\ntrials: 1\ntechniques: [ec2-sg-open-ssh]\n"
            "architectures: {serverless: {guardduty_finding_publishing_frequency: HOURLY}}",
            r"'HOURLY' is not one of \['FIFTEEN_MINUTES', 'ONE_HOUR', 'SIX_HOURS'\]",
        ),
        (
            "name: x\nseed: 1\ntrials: 1\ntechniques: [ec2-sg-open-ssh]\n"
            "architectures: {serverless: {auto_remediation: sometimes}}",
            "auto_remediation is a bool",
        ),
        (
            "name: x\nseed: 1\ntrials: 1\ntechniques: [ec2-sg-open-ssh]\n"
            "architectures: {serverless: {}}\nsweep: {architectures.serverless.flow_logs_aggregation_interval_s: [60, 90]}",
            r"90 is not one of \[60, 600\]",
        ),
        ("[not, a, mapping]", "mapping"),
        ("name: [unclosed", "not valid YAML"),
    ],
)
def test_malformed_scenarios_are_one_clear_error(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError, match=message):
        load_scenario(path)


def test_cli_rejects_a_malformed_scenario_with_exit_2_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: x\nseed: -1\ntrials: 1\ntechniques: [ec2-sg-open-ssh]\narchitectures: {manual: {}}"
    )
    out = tmp_path / "results"
    result = subprocess.run(
        [sys.executable, "-m", "lab.cli", "run", str(bad), "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "seed" in result.stderr
    assert not out.exists()


def test_store_appends_and_drops_events_of_unfinished_trials(tmp_path):
    store = TrialStore(tmp_path)
    row = {"technique": "t", "architecture": "manual", "trial": 0, "outcome": "missed"}
    store.append(row, [{"technique": "t", "architecture": "manual", "trial": 0, "kind": "a"}])
    with store.events_path.open("a") as handle:  # a crash in the middle of trial 1
        handle.write(
            json.dumps({"technique": "t", "architecture": "manual", "trial": 1, "kind": "b"}) + "\n"
        )
    store.drop_orphan_events()
    assert store.completed() == {("t", "manual", 0)}
    assert [json.loads(line)["trial"] for line in store.events_path.read_text().splitlines()] == [0]


@pytest.mark.terraform
def test_same_seed_gives_identical_trials_and_a_resumed_run_adds_nothing(tmp_path):
    path = tmp_path / "repro.yaml"
    path.write_text(SCENARIO)
    scenario = load_scenario(path)
    first = run_scenario(scenario, tmp_path / "a", target=EmulatedTarget())  # a process per arm
    second = run_scenario(scenario, tmp_path / "b", jobs=1, target=EmulatedTarget())  # one by one
    assert (first / "trials.csv").read_text() == (second / "trials.csv").read_text()
    rows = (first / "trials.csv").read_text().splitlines()
    assert len(rows) == 1 + 4
    assert all(",remediated," in row for row in rows[1:])
    manifest = json.loads((first / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["seed"] == 11
    assert len(manifest["calibration_sha256"]) == 64
    assert manifest["versions"]["packages"]["moto"]
    assert len(manifest["versions"]["lock"]["sha256"]) == 64  # the lock the venv came from
    assert manifest["versions"]["lock"]["installed_differs"] == []
    assert "commit" in manifest["git"]
    # Usage is the count of what the simulation processed, with what each architecture deployed.
    usage = json.loads((first / "usage.json").read_text())
    events = [json.loads(line) for line in (first / "events.jsonl").read_text().splitlines()]
    invoked = [e for e in events if e["kind"] == "lambda.invoked"]
    assert usage["serverless"]["totals"]["lambda.requests"] == len(invoked) >= 2
    assert usage["serverless"]["inventory"]["lambda_functions"] == {
        "lab-remediate-sg": 128,
        "lab-respond": 128,
    }
    assert usage["manual"]["inventory"]["ec2_instances"] == {"t3.micro": 1}
    # Per trial: the CIS security-group alarm's lookup (cis-alarm-events.sh) and the fix.
    ran = [
        e["runbook"]
        for e in events
        if e["kind"] == "operator.runbook_done" and e["architecture"] == "manual"
    ]
    assert usage["manual"]["totals"]["operator.runbooks_run"] == len(ran) == 4
    assert sorted(set(ran)) == ["cis-alarm-events.sh", "sg-open-world.sh"]
    reviewed = [
        e
        for e in events
        if e["architecture"] == "serverless" and e["kind"] == "operator.acknowledged"
    ]  # the "fixed" alerts of the Lambda and the CIS alarms' e-mails
    assert usage["serverless"]["totals"]["operator.alerts_reviewed"] == len(reviewed) >= 2
    cost = subprocess.run(
        [sys.executable, "-m", "lab.cli", "cost", str(first), "--sweep"],
        capture_output=True,
        text=True,
    )
    assert cost.returncode == 0, cost.stderr
    assert "small-company" in cost.stdout and "break-even" in cost.stdout
    assert (first / "cost.csv").exists()
    assert (first / "figures" / "cost_vs_scale.pdf").exists()
    assert (first / "figures" / "cost_regions.pdf").exists() and "upkeep" in cost.stdout
    per_incident = pd.read_csv(first / "cost_per_incident.csv")
    assert set(per_incident["architecture"]) == {"manual", "serverless"}
    # The manual person ran the runbook (more of their time) where the Lambda fixed it.
    hours = per_incident.set_index("architecture")["person_hours"]
    assert hours["manual"] > hours["serverless"]
    # Resuming a complete run deploys nothing and changes nothing.
    before = (first / "trials.csv").read_text()
    run_scenario(scenario, first, target=EmulatedTarget())
    assert (first / "trials.csv").read_text() == before


def test_injection_window_and_settle_follow_the_deployed_cron_period(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(
        "name: x\nseed: 1\ntrials: 1\ntechniques: [ec2-sg-open-ssh]\n"
        "architectures: {manual: {cron_schedule: '*/15 * * * *'}, serverless: {}}\n"
    )
    scenario = load_scenario(path)
    assert scenario.injection_window == 900.0
    assert scenario.settle == 900.0  # at least one detector run before the injection window
    path.write_text(
        "name: x\nseed: 1\ntrials: 1\ntechniques: [ec2-sg-open-ssh]\n"
        "architectures: {serverless: {}}\ninjection_window_s: 60\nsettle_s: 0\n"
    )
    scenario = load_scenario(path)
    assert (scenario.injection_window, scenario.settle) == (60.0, 0.0)


def test_cli_rejects_a_broken_calibration_with_exit_2_and_writes_nothing(tmp_path):
    calibration = tmp_path / "cal.yaml"
    calibration.write_text("version: 1\nstages: {}\n")
    out = tmp_path / "results"
    demo = Path(__file__).parents[2] / "scenarios" / "demo.yaml"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "lab.cli",
            "run",
            str(demo),
            "--out",
            str(out),
            "--calibration",
            str(calibration),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "not a valid calibration" in result.stderr and "operators" in result.stderr
    assert not out.exists()


def test_resuming_another_scenarios_run_is_exit_2_and_leaves_it_untouched(tmp_path):
    run_dir = tmp_path / "other-run"
    run_dir.mkdir()
    manifest = run_dir / "manifest.json"
    manifest.write_text('{"scenario_sha256": "not-this-one"}')
    demo = Path(__file__).parents[2] / "scenarios" / "demo.yaml"
    result = subprocess.run(
        [sys.executable, "-m", "lab.cli", "run", str(demo), "--resume", str(run_dir)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "different scenario" in result.stderr
    assert manifest.read_text() == '{"scenario_sha256": "not-this-one"}'
    assert sorted(p.name for p in run_dir.iterdir()) == ["manifest.json"]


def test_split_plan_gives_spare_workers_whole_techniques_of_the_manual_baseline():
    from lab.experiment.runner import split_plan

    plan = {
        "manual": [(t, k) for t in ("a", "b", "c") for k in range(3)] + [("d", 0)],
        "serverless": [("a", 0), ("b", 0)],
    }
    workers = split_plan(plan, 3)
    assert [(arch, name) for arch, name, _ in workers] == [
        ("manual", "manual-1"),
        ("manual", "manual-2"),
        ("serverless", "serverless"),
    ]
    manual = [pending for arch, _, pending in workers if arch == "manual"]
    assert sorted(t for pending in manual for t in pending) == sorted(plan["manual"])  # once each
    assert not {t for t, _ in manual[0]} & {t for t, _ in manual[1]}  # techniques stay whole
    assert sorted(len(p) for p in manual) == [4, 6]
    assert split_plan(plan, 1) == [
        ("manual", "manual", plan["manual"]),
        ("serverless", "serverless", plan["serverless"]),
    ]
    assert split_plan({"manual": [], "serverless": [("a", 0)]}, 4) == [
        ("serverless", "serverless", [("a", 0)])
    ]


def test_spare_workers_go_where_most_trials_wait_and_small_shares_stay_whole():
    from lab.architectures.registry import splits_on_one_machine
    from lab.experiment.runner import split_plan

    plan = {
        "manual": [(t, k) for t in "abcd" for k in range(30)],
        "serverless": [(t, k) for t in "abcd" for k in range(30)],
    }
    both = {"manual", "serverless"}
    # Four workers, two arms of 120 trials: two each (the serverless stack restores its kept
    # deploy in about a second, so it splits as the manual baseline does).
    assert splits_on_one_machine("serverless", {}) and splits_on_one_machine("manual", {})
    workers = split_plan(plan, 4, both, min_share=30)
    assert sorted(name for _, name, _ in workers) == [
        "manual-1",
        "manual-2",
        "serverless-1",
        "serverless-2",
    ]
    # Shares under the minimum are not made: 120 trials make at most four shares of 30.
    assert len(split_plan(plan, 12, both, min_share=30)) == 8
    small = {arch: trials[:8] for arch, trials in plan.items()}
    assert [name for _, name, _ in split_plan(small, 4, both, min_share=30)] == [
        "manual",
        "serverless",
    ]
    # The spare one goes to the architecture with the most trials per worker.
    uneven = {"manual": plan["manual"][:60], "serverless": plan["serverless"]}
    assert [name for _, name, _ in split_plan(uneven, 3, both, min_share=30)] == [
        "manual",
        "serverless-1",
        "serverless-2",
    ]


def test_a_split_run_gives_the_rows_and_timeline_of_a_run_one_by_one(tmp_path):
    path = tmp_path / "split.yaml"
    path.write_text(
        "name: split\nseed: 5\ntrials: 2\n"
        # A key's deletion cannot be undone at once (debris for the technique after it, one by
        # one); the IAM technique's alerts name the access key id the emulator made.
        "techniques: [kms-key-scheduled-deletion, iam-create-admin-user]\n"
        "architectures:\n  manual: {}\n"
    )
    scenario = load_scenario(path)
    one = run_scenario(scenario, tmp_path / "one", jobs=1, target=EmulatedTarget())
    # Run ids of one length ("one", "two"): every record carries its run's lab:run-id tag, and
    # CloudTrail's record sizes (billed) count it.
    split = run_scenario(scenario, tmp_path / "two", jobs=2, target=EmulatedTarget())
    assert (one / "trials.csv").read_text() == (split / "trials.csv").read_text()
    assert (one / "events.jsonl").read_text() == (split / "events.jsonl").read_text()
    assert len((one / "trials.csv").read_text().splitlines()) == 1 + 4


def test_workers_take_the_heaviest_techniques_first():
    from lab.experiment.runner import heaviest_first

    pending = [("ec2-sg-open-ssh", 0), ("ec2-ssh-brute-force", 0), ("root-account-usage", 0)]
    pending += [("ec2-port-scan", 0), ("ec2-sg-open-ssh", 1)]
    # Host activity (agent logs, alarms, a person at work) first, each group in the given order.
    assert heaviest_first(pending) == [
        "ec2-ssh-brute-force",
        "ec2-port-scan",
        "ec2-sg-open-ssh",
        "root-account-usage",
    ]


ALLOW_LIST_SCENARIO = """
name: allow-list
seed: 11
trials: 1
allow_list: {allow_list}
techniques: [benign-share-ami-partner]
architectures:
  manual: {{}}
  serverless: {{alert_email: security@example.com}}
"""


@pytest.mark.terraform
def test_with_an_allow_list_both_arms_leave_the_declared_share_alone(tmp_path):
    outcomes = {}
    for kept in (False, True):
        path = tmp_path / f"allow-list-{kept}.yaml"
        path.write_text(ALLOW_LIST_SCENARIO.format(allow_list=str(kept).lower()))
        run = run_scenario(
            load_scenario(path), tmp_path / str(kept), jobs=1, target=EmulatedTarget()
        )
        trials = pd.read_csv(run / "trials.csv").set_index("architecture")
        outcomes[kept] = trials["outcome"].to_dict()
    # Without the list both arms break the partner's share; with it neither does.
    assert outcomes[False] == {"manual": "remediated", "serverless": "remediated"}
    assert "remediated" not in outcomes[True].values()
