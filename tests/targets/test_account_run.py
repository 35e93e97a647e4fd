"""The real-account path, tested on the emulator as the stand-in account: guardrails refuse before
anything exists, a wall-clock run observed by probes (SQS alert queue, remediation polling), the
operator bot, Ctrl-C tearing everything down."""

import json
import os
import subprocess
import sys

import pytest

from lab.experiment.runner import run_scenario
from lab.experiment.scenario import Scenario
from lab.sim.calibration import DEFAULT_CALIBRATION
from lab.targets.account import AwsTarget, EstimateUnavailable, cost_estimate
from lab.targets.cleanup import tagged_resources

SCENARIO = {
    "name": "aws-rehearsal",
    "seed": 2,
    "trials": 1,
    "techniques": ["ec2-sg-open-ssh"],
    "architectures": {"manual": {"cron_schedule": "*/5 * * * *"}},
    "operator": "soc-24x7",
    "max_trial_s": 7200,
}


def _lab(*args, config, input=None):
    return subprocess.run(
        [sys.executable, "-m", "lab.cli", *args],
        capture_output=True,
        text=True,
        input=input,
        env={**os.environ, "LAB_CONFIG": str(config), "COLUMNS": "200"},
        timeout=300,
    )


@pytest.fixture
def scenario_file(tmp_path):
    import yaml

    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(SCENARIO))
    return path


def test_refused_account_and_declined_confirmation_create_nothing(scenario_file, tmp_path):
    out = tmp_path / "results"
    config = tmp_path / "config.yaml"
    config.write_text("aws:\n  allowed_accounts: ['999999999999']\n")
    refused = _lab(
        "run", str(scenario_file), "--target", "aws", "--stand-in", "--out", str(out), config=config
    )
    assert refused.returncode == 2
    assert "123456789012 is not on the allow-list" in refused.stderr
    assert not out.exists()
    config.write_text("aws:\n  allowed_accounts: ['123456789012']\n")
    # No emulated run of the scenario yet: no cost estimate, no run.
    no_estimate = _lab(
        "run", str(scenario_file), "--target", "aws", "--stand-in", "--out", str(out), config=config
    )
    assert no_estimate.returncode == 2 and "run it on the emulator first" in no_estimate.stderr
    usage = out / "aws-rehearsal" / "earlier" / "usage.json"
    usage.parent.mkdir(parents=True)
    (usage.parent / "manifest.json").write_text(json.dumps({"started_at": "2026-01-01T00:00:00"}))
    usage.write_text(
        json.dumps(
            {
                "manual": {
                    "trials": 1,
                    "totals": {},
                    "per_trial": {},
                    "inventory": {"ec2_instances": {"t3.micro": 1}, "ebs_gb": 8},
                }
            }
        )
    )
    declined = _lab(
        "run",
        str(scenario_file),
        "--target",
        "aws",
        "--stand-in",
        "--out",
        str(out),
        config=config,
        input="n\n",
    )
    assert declined.returncode == 1 and "declined: nothing was created" in declined.stderr
    assert "account 123456789012" in declined.stdout and "$" in declined.stdout
    assert sorted(p.name for p in (out / "aws-rehearsal").iterdir()) == ["earlier"]


def test_cost_estimate_needs_an_emulated_run(tmp_path):
    with pytest.raises(EstimateUnavailable, match="emulator first"):
        cost_estimate(Scenario.model_validate(SCENARIO), tmp_path, 3600)


def _rehearse(emulator, run_dir, **options):
    """SCENARIO on the emulator as stand-in, 200x faster than real time."""
    target = AwsTarget(
        emulator.endpoints,
        max_run_s=600,
        stand_in=emulator,
        time_factor=0.005,
        poll_s=30,
        **options,
    )
    scenario = Scenario.model_validate(SCENARIO).model_copy(update={"target": "aws"})
    return run_scenario(scenario, run_dir, DEFAULT_CALIBRATION, target=target)


def test_wall_clock_run_is_observed_by_probes_and_torn_down(emulator, tmp_path):
    run_dir = _rehearse(emulator, tmp_path / "run")
    rows = (run_dir / "trials.csv").read_text().splitlines()
    assert len(rows) == 2 and ",remediated," in rows[1]
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    kinds = [e["kind"] for e in events]
    assert kinds.index("probe.alert") < kinds.index("operator.runbook_done")
    assert kinds.index("operator.runbook_done") <= kinds.index("probe.remediated")
    # Exact times from CloudTrail LookupEvents: the detonating call and the fix.
    assert next(e for e in events if e["kind"] == "cloudtrail.injection_time")["found"] is True
    fix = next(e for e in events if e["kind"] == "cloudtrail.fix_time")
    assert fix["t_s"] <= next(e for e in events if e["kind"] == "probe.remediated")["t_s"]
    alert = next(e for e in events if e["kind"] == "probe.alert")
    # The manual architecture's first mail, through SNS -> SQS: a cron detector's ("[lab-manual]
    # ... open to the Internet"), the Config rule's change that EventBridge e-mails, or the CIS
    # security-group-changes alarm's.
    assert alert["subject"].startswith(
        ("[lab-manual]", "EventBridge rule lab-manual-", 'ALARM: "lab-manual-cis-')
    ), alert
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["target"] == "aws-stand-in" and manifest["status"] == "complete"
    assert tagged_resources(emulator.endpoints) == []  # teardown + the run's sweep


def test_ctrl_c_during_a_run_tears_everything_down(emulator, tmp_path):
    def person_hits_ctrl_c(_text):
        raise KeyboardInterrupt

    run_dir = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        _rehearse(emulator, run_dir, prompt=person_hits_ctrl_c)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "interrupted"
    assert tagged_resources(emulator.endpoints) == []
    result = subprocess.run(
        [sys.executable, "-m", "lab.cli", "cleanup", "--endpoint", emulator.url],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0 and "nothing tagged" in result.stdout


def _run_dir(path, target, alert_times):
    from lab.experiment.store import TrialStore

    path.mkdir(parents=True)
    (path / "manifest.json").write_text(json.dumps({"target": target}))
    store = TrialStore(path)
    for k, seconds in enumerate(alert_times):
        store.append(
            {
                "technique": "ec2-sg-open-ssh",
                "architecture": "serverless",
                "trial": k,
                "outcome": "remediated",
                "time_to_alert_s": seconds,
            },
            [],
        )
    return path


def test_calibrate_scales_the_alert_path_by_measured_over_simulated(tmp_path):
    from lab.report.calibrate import CalibrateError, calibrate
    from lab.sim.calibration import Calibration

    measured = _run_dir(tmp_path / "aws", "aws", [60.0, 80.0, 100.0])
    emulated = _run_dir(tmp_path / "emu", "emulated", [20.0, 40.0, 60.0])
    base = Calibration.load()
    new, table = calibrate([measured], [emulated], base)
    assert table.set_index("architecture").loc["serverless", "ratio"] == 2.0  # 80 / 40
    before, after = (
        base.stage("cloudtrail_to_eventbridge_s"),
        new.stage("cloudtrail_to_eventbridge_s"),
    )
    assert (after.median, after.p90) == (before.median * 2, before.p90 * 2)
    assert after.status == "measured" and str(measured) in after.source
    assert new.stage("detector_runtime_s") == base.stage("detector_runtime_s")  # manual path only
    with pytest.raises(CalibrateError, match="not a wall-clock run"):
        calibrate([emulated], [emulated], base)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "lab.cli",
            "calibrate",
            str(measured),
            "--against",
            str(emulated),
            "--out",
            str(tmp_path / "cal.yaml"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert Calibration.load(tmp_path / "cal.yaml").stage("lambda_duration_s").status == "measured"
    assert (tmp_path / "cal.png").stat().st_size > 10_000 and (tmp_path / "cal.pdf").exists()


def test_a_run_past_its_maximum_duration_stops_and_tears_down(emulator, tmp_path):
    from lab.experiment.runner import RunError

    run_dir = tmp_path / "run"
    with pytest.raises(RunError, match="maximum duration"):
        run_scenario(
            Scenario.model_validate(SCENARIO).model_copy(update={"target": "aws"}),
            run_dir,
            DEFAULT_CALIBRATION,
            target=AwsTarget(emulator.endpoints, max_run_s=0.001, stand_in=emulator),
        )
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "stopped"
    assert not (run_dir / "trials.csv").exists()  # stopped before its first trial
    assert tagged_resources(emulator.endpoints) == []


def test_a_root_technique_is_refused_on_a_real_account_without_the_root_users_profile(tmp_path):
    """With the lab's own credentials root-account-usage would make no root call (and read as
    missed): it runs on a real account only with the root user's profile named, refused before
    anything is created otherwise."""
    import yaml

    scenario = tmp_path / "root.yaml"
    scenario.write_text(yaml.safe_dump({**SCENARIO, "techniques": ["root-account-usage"]}))
    config = tmp_path / "config.yaml"
    config.write_text("aws:\n  allowed_accounts: ['123456789012']\n")
    out = tmp_path / "results"
    refused = _lab(
        "run", str(scenario), "--target", "aws", "--stand-in", "--out", str(out), config=config
    )
    assert refused.returncode == 2
    assert "root-account-usage act as the account's root user" in refused.stderr
    assert "aws.root_profile" in refused.stderr and not out.exists()
    # Named: the guardrail lets it through (here to the next one, the missing cost estimate).
    config.write_text("aws:\n  allowed_accounts: ['123456789012']\n  root_profile: lab-root\n")
    named = _lab(
        "run", str(scenario), "--target", "aws", "--stand-in", "--out", str(out), config=config
    )
    assert named.returncode == 2 and "run it on the emulator first" in named.stderr


def test_the_root_actor_uses_the_named_profile_on_a_real_account(tmp_path, monkeypatch):
    from lab.emulator.endpoints import Endpoints

    credentials = tmp_path / "credentials"
    credentials.write_text(
        "[lab-root]\naws_access_key_id = AKIAROOTROOTROOTROOT\naws_secret_access_key = s\n"
    )
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIALABLABLABLABLAB1")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s")
    real = Endpoints(url=None, root_profile="lab-root")
    assert real.session("root").get_credentials().access_key == "AKIAROOTROOTROOTROOT"
    assert real.session("attacker").get_credentials().access_key == "AKIALABLABLABLABLAB1"
