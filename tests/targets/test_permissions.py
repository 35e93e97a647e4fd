"""The IAM actions a real-account run needs, listed from a rehearsal on the emulated account and
checked against docs/aws-lab-policy.json: every IAM action a run of both architectures makes is
allowed by the policy."""

import json
import os
import subprocess
import sys

import pytest
import yaml

from lab.architectures.manual import ManualArchitecture
from lab.architectures.serverless import ServerlessArchitecture
from lab.attacks.registry import techniques
from lab.targets.permissions import (
    LAB_POLICY,
    document,
    iam_action,
    listing,
    needed,
    refused,
    rehearse,
)

pytestmark = pytest.mark.integration


def test_a_record_is_authorized_as_its_iam_action():
    record = {"eventSource": "lambda.amazonaws.com", "eventName": "CreateFunction20150331"}
    assert iam_action(record) == "lambda:CreateFunction"
    assert iam_action({"eventSource": "s3.amazonaws.com", "eventName": "ListBuckets"}) == (
        "s3:ListAllMyBuckets"
    )
    assert iam_action(
        {"eventSource": "monitoring.amazonaws.com", "eventName": "PutMetricAlarm"}
    ) == ("cloudwatch:PutMetricAlarm")


def test_the_labs_policy_allows_every_action_a_run_of_both_architectures_makes(
    emulator, tmp_path, deploy_kept
):
    """Both architectures deployed and destroyed, every technique but the root user's warmed up,
    detonated, read back, reverted and cleaned up: each call made with your credentials on a
    real account (harness, observer, deployers, attacker) is an IAM action the policy must allow,
    on the resource it names."""
    chosen = sorted(t for t, attack in techniques().items() if not attack.needs_root)
    records = rehearse(
        [ManualArchitecture(), ServerlessArchitecture(variables={"alert_email": "t@example.com"})],
        chosen,
        tmp_path,
        emulator,
        deploy=deploy_kept,
    )
    account, region = emulator.endpoints.account_id(), emulator.endpoints.region
    actions = needed(records, account)
    missing = refused(actions, document(LAB_POLICY, account, region), account, region)
    print(listing(actions, missing))
    assert len(actions) > 150
    assert {"iam:CreateRole", "lambda:CreateFunction", "sts:GetFederationToken"} <= set(actions)
    assert missing == {}


def _lab(*args, cwd, config):
    return subprocess.run(
        [sys.executable, "-m", "lab.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "LAB_CONFIG": str(config), "COLUMNS": "200"},
        timeout=600,
    )


def _scenario(tmp_path, techniques, architectures):
    path = tmp_path / "s.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": "dry",
                "seed": 1,
                "trials": 1,
                "techniques": techniques,
                "architectures": architectures,
            }
        )
    )
    return path


def test_a_dry_run_lists_each_arms_actions_and_fails_on_a_policy_that_refuses_one(tmp_path):
    """``lab run --target aws --dry-run`` with a policy that denies one action of each arm (the
    manual monitoring instance's RunInstances, the serverless stack's CreateFunction): both are
    listed as refused, the rest allowed, exit 1, and nothing is written; the same run on the
    lab's own policy passes. The manual arm deploys first, so its calls must survive the
    serverless deploy's fresh account."""
    scenario = _scenario(
        tmp_path,
        ["iam-create-admin-user"],
        {"manual": {}, "serverless": {"alert_email": "t@example.com"}},
    )
    policy = json.loads(LAB_POLICY.read_text())
    policy["Statement"].append(
        {
            "Sid": "AnOrganizationsGuardrail",
            "Effect": "Deny",
            "Action": ["ec2:RunInstances", "lambda:CreateFunction"],
            "Resource": "*",
        }
    )
    narrower = tmp_path / "narrower.json"
    narrower.write_text(json.dumps(policy))
    config = tmp_path / "config.yaml"  # none: a dry run needs no allow-listed account
    args = ("run", str(scenario), "--target", "aws", "--dry-run")

    denied = _lab(*args, "--policy", str(narrower), cwd=tmp_path, config=config)
    assert denied.returncode == 1, denied.stderr
    lines = denied.stdout.splitlines()
    assert any(line.split()[:2] == ["REFUSED", "ec2:RunInstances"] for line in lines)
    assert any(line.split()[:2] == ["REFUSED", "lambda:CreateFunction"] for line in lines)
    assert any(line.split()[:2] == ["allowed", "iam:CreateUser"] for line in lines)
    assert "2 refused by narrower.json" in denied.stdout
    assert not (tmp_path / "results").exists()

    # Another policy on the same code: the kept rehearsal's actions are checked again (seconds,
    # not a rehearsal's minutes), the same actions as the first dry run listed.
    allowed = _lab(*args, cwd=tmp_path, config=config)
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert "0 refused by aws-lab-policy.json" in allowed.stdout
    assert "the same rehearsal on this code is kept" in allowed.stdout

    def listed(out: str) -> set[str]:
        return {
            line.split()[1]
            for line in out.splitlines()
            if line.split()[:1] in (["allowed"], ["REFUSED"], ["attempt"])
        }

    assert listed(allowed.stdout) == listed(denied.stdout) and "ec2:RunInstances" in listed(
        allowed.stdout
    )


def test_a_dry_run_needs_the_aws_target_and_a_policy_file(tmp_path):
    scenario = _scenario(tmp_path, ["ec2-sg-open-ssh"], {"manual": {}})
    config = tmp_path / "config.yaml"
    emulated = _lab("run", str(scenario), "--dry-run", cwd=tmp_path, config=config)
    assert emulated.returncode == 2
    assert "give it --target aws" in emulated.stderr
    missing = _lab(
        "run",
        str(scenario),
        "--target",
        "aws",
        "--dry-run",
        "--policy",
        "nope.json",
        cwd=tmp_path,
        config=config,
    )
    assert missing.returncode == 2
    assert "--policy nope.json: no such file" in missing.stderr
    assert not (tmp_path / "results").exists()
