"""A trial's timeline does not depend on the trials that ran before it in the same account."""

import json
from pathlib import Path
from typing import Any

from lab.experiment.runner import run_scenario
from lab.experiment.scenario import load_scenario
from lab.targets.emulated import EmulatedTarget

# The manual arm as scenarios/coverage.yaml runs it. Trial 1 of s3-bucket-public-acl is detonated
# at 15:05:17 on 2026-01-10, four minutes before trial 1 of s3-backdoor-bucket-policy: its
# PutBucketAcl falls in the hour the person searches (cis-alarm-events.sh, filter-log-events) when
# the bucket-policy alarm of the second technique fires.
SCENARIO = """
name: {name}
seed: 20260106
trials: 2
techniques: [{techniques}]
architectures:
  manual: {{cron_schedule: "*/5 * * * *"}}
operator: on-call
start: "2026-01-05T09:00:00Z"
trial_spacing_s: 86400
max_trial_s: 21600
"""
TECHNIQUE = "s3-backdoor-bucket-policy"


def _events(
    tmp_path: Path, name: str, techniques: list[str], trials: int = 2
) -> list[dict[str, Any]]:
    """The timeline of the last of ``techniques``, run one after another in one account."""
    path = tmp_path / f"{name}.yaml"
    text = SCENARIO.format(name=name, techniques=", ".join(techniques))
    path.write_text(text.replace("trials: 2", f"trials: {trials}"))
    run_dir = run_scenario(load_scenario(path), tmp_path / name, jobs=1, target=EmulatedTarget())
    lines = (run_dir / "events.jsonl").read_text().splitlines()
    return [e for e in map(json.loads, lines) if e.get("technique") == techniques[-1]]


def test_a_trial_reads_no_log_event_of_another_technique_run_before_it_in_the_account(tmp_path):
    # Split workers take techniques as they finish (lab.experiment.runner): the one run before
    # another in an account differs from run to run. Each trial must give what it gives alone.
    alone = _events(tmp_path, "alone", [TECHNIQUE])
    after = _events(tmp_path, "after", ["s3-bucket-public-acl", TECHNIQUE])
    fixes = [e for e in after if e["kind"] == "operator.runbook_done"]
    assert {e["trial"] for e in fixes} == {0, 1}
    assert all(e["exit_code"] == 0 for e in fixes), [e["stderr"] for e in fixes]
    assert {tuple(e["args"]) for e in fixes if e["runbook"] == "s3-public-bucket.sh"} == {
        ("lab-target-backdoor-policy-123456789012",)
    }
    assert after == alone


def test_a_trial_starts_from_the_alarms_as_deployed_whatever_ran_before_it(tmp_path):
    # ec2-sg-open-all-ports leaves the CIS security-group alarm in ALARM when its trial ends.
    alone = _events(tmp_path, "alone", ["ec2-sg-open-ssh"], trials=1)
    after = _events(tmp_path, "after", ["ec2-sg-open-all-ports", "ec2-sg-open-ssh"], trials=1)
    assert not [e for e in after if e["kind"] == "cloudwatch.alarm_state" and e["t_s"] < 60]
    assert after == alone


def test_a_trial_finds_no_instance_a_technique_before_it_terminated(tmp_path):
    # ec2-get-user-data terminates its instance at clean-up; ec2-get-password-data enumerates all.
    alone = _events(tmp_path, "alone", ["ec2-get-password-data"], trials=1)
    after = _events(tmp_path, "after", ["ec2-get-user-data", "ec2-get-password-data"], trials=1)
    calls = [e for e in after if e.get("event_name") == "GetPasswordData"]
    assert calls and len(calls) == len(
        [e for e in alone if e.get("event_name") == "GetPasswordData"]
    )
    assert after == alone
