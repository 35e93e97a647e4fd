"""The manual architecture's cron detectors and runbooks, run for real (bash + aws CLI) against the
emulated account: quiet on a clean account, one alert per technique, and the runbook the alert names
undoes the technique."""

from __future__ import annotations

import json
import os
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from lab.attacks.benign import allow_list_kept
from lab.attacks.registry import technique, techniques
from lab.paths import CLI_BASELINE_DIR
from lab.sim.runbook_index import runbook_order
from lab.sim.sns import copy_for

DETECTORS = CLI_BASELINE_DIR / "detectors"
RUNBOOKS = CLI_BASELINE_DIR / "runbooks"
RUN_LINE = re.compile(r"run: runbooks/([\w.-]+\.sh)((?: [\w:/.-]+)*)")

# Which detector watches for which technique (the detection field of each metadata.yaml says so).
DETECTED_BY = {
    "ec2-sg-open-ssh": "sg-open-world",
    "ec2-sg-open-all-ports": "sg-open-world",
    "s3-bucket-public-acl": "s3-public-buckets",
    "s3-bucket-public-policy": "s3-public-buckets",
    "s3-public-access-block-removed": "s3-public-buckets",
    "iam-create-admin-user": "iam-new-principals",
    "iam-attach-admin-policy": "iam-new-principals",
    "iam-create-access-key-other-user": "iam-new-principals",
    "cloudtrail-stop-logging": "cloudtrail-status",
    "cloudtrail-delete-trail": "cloudtrail-status",
    "guardduty-disable-detector": "monitoring-disabled",
    "config-stop-recorder": "monitoring-disabled",
    "root-account-usage": "root-activity",
    "ebs-unencrypted-volume": "unencrypted-volumes",
    "ebs-snapshot-made-public": "public-snapshots",
    "kms-key-scheduled-deletion": "kms-pending-deletion",
    "cloudtrail-event-selectors": "cloudtrail-status",
    "cloudtrail-lifecycle-rule": "cloudtrail-status",
    "ec2-share-ami": "public-snapshots",
    "rds-share-snapshot": "public-snapshots",
    "iam-create-backdoor-role": "iam-new-principals",
    "iam-create-user-login-profile": "iam-new-principals",
}
# Techniques no cron detector can see (no API call, or nothing it polls): the runbook alone, with
# the arguments a responder would read from elsewhere (GuardDuty, the agent's log group).
RUNBOOK_ONLY = {
    "ec2-ssh-brute-force": ("ssh-brute-force.sh", lambda p: [p["nacl_id"], "203.0.113.66"]),
    "ec2-port-scan": ("instance-quarantine.sh", lambda p: [p["instance_id"]]),
    "ec2-crypto-mining-dns": ("instance-quarantine.sh", lambda p: [p["instance_id"]]),
    "instance-credential-exfiltration": ("role-sessions-revoke.sh", lambda p: [p["role"]]),
    # GuardDuty's IAM anomaly findings and the serverless orchestrator's alerts name the user.
    **{
        t: ("iam-user-quarantine.sh", lambda p: [p["user"]])
        for t in (
            "secretsmanager-retrieve-secrets",
            "secretsmanager-batch-retrieve-secrets",
            "ssm-retrieve-securestring-parameters",
            "ec2-get-password-data",
            "ec2-get-user-data",
            "ec2-enumerate-from-instance",
            "sts-federation-token",
            "ssm-send-command",
            "ec2-send-ssh-public-key",
            "console-login-without-mfa",
            "organizations-leave",
            "ssm-start-session",
        )
    },
    "iam-change-user-password": ("iam-user-contain.sh", lambda p: [p["user"]]),
    "ec2-launch-unusual-instances": ("instances-stop.sh", lambda p: ["p2.xlarge"]),
    "lambda-layer-extension": ("lambda-layers-remove.sh", lambda p: [p["function"]]),
    "ec2-serial-console-send-ssh-public-key": ("serial-console-disable.sh", lambda p: []),
}
# Techniques a detection of the shared list sees (an EventBridge rule on the call): the person maps
# the call's event to its runbook through the index, the arguments read from the event.
FROM_EVENT = {
    "vpc-remove-flow-logs": "flow-logs-restore.sh",
    "dns-delete-logs": "dns-query-logging-restore.sh",
    "lambda-overwrite-code": "lambda-code-restore.sh",
    "lambda-backdoor-function": "lambda-permission-remove.sh",
    "iam-backdoor-role": "role-trust-restore.sh",
    "ec2-deregister-ami": "image-rebuild.sh",
    "ec2-user-data": "user-data-restore.sh",
}
# Techniques no person's runbook undoes, for the reason their metadata's detection field gives
# (the serverless orchestrator's own fix, nothing to put back, or nothing detects them).
NO_RUNBOOK = {
    "s3-backdoor-bucket-policy",
    "s3-ransomware-individual-deletion",
    "s3-ransomware-batch-deletion",
    "s3-ransomware-client-side-encryption",
}


def test_every_technique_has_a_detector_or_a_runbook():
    assert set(DETECTED_BY) | set(RUNBOOK_ONLY) | set(FROM_EVENT) | NO_RUNBOOK == set(techniques())
    assert {f"{d}.sh" for d in DETECTED_BY.values()} == {p.name for p in DETECTORS.glob("*.sh")}
    for technique_id in techniques():
        runbook = technique(technique_id).metadata.runbook
        if technique_id in NO_RUNBOOK:
            assert runbook is None, technique_id
            continue
        assert runbook and (CLI_BASELINE_DIR.parent / runbook).is_file(), technique_id
        assert (CLI_BASELINE_DIR.parent / runbook).with_suffix(".sh").is_file(), technique_id


@pytest.fixture(scope="module")
def account(session_emulator, tmp_path_factory):
    """An account with every technique warmed up, an alert topic and a detector state directory."""
    session_emulator.reset()
    e = session_emulator.endpoints
    topic = e.client("sns", "harness").create_topic(Name="lab-manual-alerts")["TopicArn"]
    prerequisites = {t: technique(t).warm_up(e) for t in sorted(techniques())}
    env = {
        **os.environ,
        **e.cli_env("monitor"),
        "ALERT_TOPIC_ARN": topic,
        "LAB_DETECTOR_STATE_DIR": str(tmp_path_factory.mktemp("detector-state")),
    }
    return session_emulator, prerequisites, env


def run_detector(name: str, env: dict[str, str]) -> list[str]:
    """Run one detector; return the messages it published."""
    result = subprocess.run(
        ["bash", str(DETECTORS / f"{name}.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return [line for line in result.stdout.splitlines() if line.startswith("alerted: ")]


def messages_of(emulator, detector: str) -> list[str]:
    """Every alert message the detector has published so far."""
    mails = [
        copy_for(r["requestParameters"], "email")
        for r in emulator.recorder.history()
        if r["eventName"] == "Publish"
    ]
    return [m for m in mails if m.startswith(f"Detector {detector} ")]


def check_detector(emulator, prerequisites, env, detector: str) -> None:
    """Each technique the detector watches: detonate -> one alert -> its runbook undoes it."""
    e = emulator.endpoints
    for technique_id in sorted(t for t, d in DETECTED_BY.items() if d == detector):
        t = technique(technique_id)
        p = prerequisites[technique_id]
        before = len(messages_of(emulator, detector))
        t.detonate(e, p)
        assert run_detector(detector, env), f"{detector} missed {technique_id}"
        match = RUN_LINE.search(messages_of(emulator, detector)[before])
        assert match, messages_of(emulator, detector)[before]
        result = subprocess.run(
            ["bash", str(RUNBOOKS / match.group(1)), *match.group(2).split()],
            env={**os.environ, **e.cli_env("operator")},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        assert t.is_remediated(e, p), f"{match.group(1)} did not undo {technique_id}"
        t.revert(e, p)
        assert run_detector(detector, env) == [], f"{detector} alerted again after the fix"


def test_detectors_are_quiet_on_a_clean_account_then_each_fires_on_its_technique(account):
    emulator, prerequisites, env = account
    names = sorted({*DETECTED_BY.values()})
    with ThreadPoolExecutor(max_workers=4) as pool:
        first = dict(zip(names, pool.map(lambda n: run_detector(n, env), names), strict=True))
    assert first == {n: [] for n in names}, "no alert on a clean account"
    # Detectors read different services, so each one's techniques can run beside the others'.
    with ThreadPoolExecutor(max_workers=4) as pool:
        for future in [pool.submit(check_detector, emulator, prerequisites, env, n) for n in names]:
            future.result()


@pytest.mark.parametrize("technique_id", sorted(RUNBOOK_ONLY))
def test_runbooks_of_the_activity_techniques_contain_them(account, technique_id):
    emulator, prerequisites, _ = account
    e = emulator.endpoints
    t = technique(technique_id)
    p = prerequisites[technique_id]
    runbook, args = RUNBOOK_ONLY[technique_id]
    t.detonate(e, p)
    result = subprocess.run(
        ["bash", str(RUNBOOKS / runbook), *args(p)],
        env={**os.environ, **e.cli_env("operator")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert t.is_remediated(e, p)
    t.revert(e, p)
    assert t.is_remediated(e, p)
    t.detonate(e, p)
    assert not t.is_remediated(e, p), "revert must undo the containment"
    t.revert(e, p)


@pytest.mark.parametrize("technique_id", sorted(FROM_EVENT))
def test_the_runbook_the_index_names_for_the_detected_call_undoes_it(account, technique_id):
    emulator, prerequisites, _ = account
    e = emulator.endpoints
    t = technique(technique_id)
    p = prerequisites[technique_id]
    t.revert(e, p)
    seen = len(emulator.recorder.history())
    t.detonate(e, p)
    assert not t.is_remediated(e, p)
    # Each call of the detonation as the EventBridge event its rule sends the alert topic.
    events = [
        json.dumps({"detail-type": "AWS API Call via CloudTrail", "detail": record})
        for record in emulator.recorder.history()[seen:]
    ]
    orders = [o for o in (runbook_order(m, RUNBOOKS / "index.yaml") for m in events) if o]
    assert [o.runbook for o in orders] == [FROM_EVENT[technique_id]]
    result = subprocess.run(
        ["bash", str(RUNBOOKS / orders[0].runbook), *orders[0].args],
        env={**os.environ, **e.cli_env("operator")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert t.is_remediated(e, p), result.stdout
    t.revert(e, p)


def test_a_failing_runbook_exits_non_zero(account):
    emulator, _, _ = account
    result = subprocess.run(
        ["bash", str(RUNBOOKS / "snapshot-private.sh"), "snap-does-not-exist"],
        env={**os.environ, **emulator.endpoints.cli_env("operator")},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0


def test_runbook_usage_errors(tmp_path: Path):
    result = subprocess.run(
        ["bash", str(RUNBOOKS / "iam-key-contain.sh"), "only-one-arg"],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0 and "Usage" in result.stdout


# The benign actions whose change the allow-list covers in both architectures, and whether the
# person's runbooks break that legitimate work when no allow-list is kept.
ALLOW_LISTED_ACTIONS = {
    "benign-ci-federation-token": True,
    "benign-onboard-employee": True,
    "benign-share-ami-partner": True,
    "benign-share-snapshot-partner": False,  # the runbook removes public shares only
}


@pytest.mark.parametrize("kept", [False, True], ids=["no-allow-list", "allow-list"])
@pytest.mark.parametrize("action_id", sorted(ALLOW_LISTED_ACTIONS))
def test_the_runbooks_leave_allow_listed_changes_alone(emulator, action_id, kept):
    e = emulator.endpoints
    t = technique(action_id)
    p = t.warm_up(e)
    seen = len(emulator.recorder.history())
    with allow_list_kept(kept):
        t.detonate(e, p)
    events = [
        json.dumps({"detail-type": "AWS API Call via CloudTrail", "detail": record})
        for record in emulator.recorder.history()[seen:]
    ]
    orders = [o for o in (runbook_order(m, RUNBOOKS / "index.yaml") for m in events) if o]
    assert orders, "the person is alerted either way"
    for order in orders:
        result = subprocess.run(
            ["bash", str(RUNBOOKS / order.runbook), *order.args],
            env={**os.environ, **e.cli_env("operator")},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        assert ("allow-listed:" in result.stdout) == kept, result.stdout
    broken = t.is_remediated(e, p)
    assert broken == (ALLOW_LISTED_ACTIONS[action_id] and not kept)
    t.revert(e, p)
    t.cleanup(e, p)
