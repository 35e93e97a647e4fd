"""Benign actions against the emulated account: the legitimate change holds after detonate, a
harmful fix made by hand with boto3 reads back as broken (``is_remediated``), revert and cleanup
leave nothing; they stay out of the attack catalog; and what the serverless stack does to them in
trials, as observed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from pydantic import ValidationError

from lab.attacks.base import TechniqueMetadata
from lab.attacks.benign import ADMIN, CI, PARTNER_ACCOUNT, QUARANTINE_POLICY_ARN
from lab.attacks.registry import benign_actions, technique, techniques
from lab.attacks.s3_bucket import FULL_BLOCK
from lab.experiment.runner import run_scenario
from lab.experiment.scenario import load_scenario
from lab.report.coverage import coverage_table
from lab.targets.emulated import EmulatedTarget
from tests.attacks.test_techniques import lab_tagged_leftovers

ROOT = Path(__file__).parents[2]
BENIGN = sorted(benign_actions())
NAMED_IN_THE_ISSUE = {
    "benign-onboard-employee",
    "benign-share-ami-partner",
    "benign-share-snapshot-partner",
    "benign-ci-federation-token",
    "benign-public-website-bucket",
    "benign-web-https-open",
}

Fix = Callable[[Any, dict[str, Any]], None]


# Harmful fixes by hand, as the harness (what a responder's automation or runbook could do).
def _deactivate_new_key(e, p):
    e.client("iam", "harness").update_access_key(
        UserName=p["user"], AccessKeyId=p["access_key_id"], Status="Inactive"
    )


def _delete_console_password(e, p):
    e.client("iam", "harness").delete_login_profile(UserName=p["user"])


def _quarantine_user(e, p):
    e.client("iam", "harness").attach_user_policy(
        UserName=p["user"], PolicyArn=QUARANTINE_POLICY_ARN
    )


def _unshare_image(e, p):
    ec2 = e.client("ec2", "harness")
    granted = ec2.describe_image_attribute(ImageId=p["image_id"], Attribute="launchPermission")
    ec2.modify_image_attribute(
        ImageId=p["image_id"], LaunchPermission={"Remove": granted["LaunchPermissions"]}
    )


def _unshare_snapshot(e, p):
    e.client("ec2", "harness").modify_snapshot_attribute(
        SnapshotId=p["snapshot_id"],
        Attribute="createVolumePermission",
        OperationType="remove",
        UserIds=[PARTNER_ACCOUNT],
    )


def _block_public_access(e, p):
    e.client("s3", "harness").put_public_access_block(
        Bucket=p["bucket"], PublicAccessBlockConfiguration=FULL_BLOCK
    )


def _delete_bucket_policy(e, p):
    e.client("s3", "harness").delete_bucket_policy(Bucket=p["bucket"])


def _revoke_https(e, p):
    e.client("ec2", "harness").revoke_security_group_ingress(
        GroupId=p["group_id"],
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            }
        ],
    )


HARMFUL_FIXES: dict[str, list[Fix]] = {
    "benign-onboard-employee": [_deactivate_new_key, _delete_console_password, _quarantine_user],
    "benign-share-ami-partner": [_unshare_image],
    "benign-share-snapshot-partner": [_unshare_snapshot],
    "benign-ci-federation-token": [_quarantine_user],
    "benign-public-website-bucket": [_block_public_access, _delete_bucket_policy],
    "benign-web-https-open": [_revoke_https],
}


def test_benign_actions_are_listed_apart_from_the_attack_catalog():
    assert set(BENIGN) >= NAMED_IN_THE_ISSUE
    assert all(t.startswith("benign-") for t in BENIGN)
    assert not set(BENIGN) & set(techniques())
    for technique_id in BENIGN:
        metadata = technique(technique_id).metadata
        assert metadata.kind == "benign" and metadata.mitre_attack is None
        assert metadata.references and all(
            r.startswith("https://docs.aws.amazon.com/") for r in metadata.references
        )
        assert "assumption" in metadata.description  # the rate, labelled
    assert set(HARMFUL_FIXES) == set(BENIGN)


def test_only_a_benign_action_may_go_without_an_attack_mapping():
    fields = yaml.safe_load(
        (technique("benign-web-https-open").folder / "metadata.yaml").read_text()
    )
    with pytest.raises(ValidationError, match="needs mitre_attack"):
        TechniqueMetadata.model_validate({**fields, "kind": "attack"})
    with pytest.raises(ValidationError, match="needs mitre_attack"):
        TechniqueMetadata.model_validate({k: v for k, v in fields.items() if k != "kind"})


def test_all_is_the_attack_catalog_and_benign_actions_are_listed_by_id(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: s\nseed: 1\ntrials: 1\ntechniques: all\narchitectures: {manual: {}}\n")
    assert load_scenario(path).techniques == list(techniques())
    benign = load_scenario(ROOT / "scenarios" / "benign-admin.yaml")
    assert sorted(benign.techniques) == BENIGN
    assert set(benign.architectures) == {"manual", "serverless"}
    assert benign.trials == 3 and benign.max_trial_s == 21600


def test_the_allow_list_scenario_differs_from_the_benign_one_by_the_allow_list_only():
    """The two runs compared in docs/fairness.md: one factor at a time."""
    plain = load_scenario(ROOT / "scenarios" / "benign-admin.yaml").model_dump()
    listed = load_scenario(ROOT / "scenarios" / "benign-admin-allow-list.yaml").model_dump()
    assert (plain.pop("allow_list"), listed.pop("allow_list")) == (False, True)
    for field in ("name", "description"):
        plain.pop(field), listed.pop(field)
    assert listed == plain


@pytest.mark.parametrize("technique_id", BENIGN)
def test_legitimate_change_holds_a_harmful_fix_reads_as_broken(emulator, technique_id):
    t = technique(technique_id)
    e = emulator.endpoints
    prerequisites = t.warm_up(e)
    for fix in HARMFUL_FIXES[technique_id]:
        t.detonate(e, prerequisites)
        assert not t.is_remediated(e, prerequisites), "the legitimate change must hold"
        fix(e, prerequisites)
        assert t.is_remediated(e, prerequisites), f"{fix.__name__} broke the work"
        t.revert(e, prerequisites)
        t.revert(e, prerequisites)  # idempotent
    t.cleanup(e, prerequisites)
    assert lab_tagged_leftovers(e, technique_id) == []


@pytest.mark.parametrize("technique_id", BENIGN)
def test_the_change_is_made_by_the_company_not_the_attacker(emulator, technique_id):
    t = technique(technique_id)
    prerequisites = t.warm_up(emulator.endpoints)
    before = len(emulator.recorder.records())
    t.detonate(emulator.endpoints, prerequisites)
    made = [
        r for r in emulator.recorder.records()[before:] if r["lab"]["actor"] not in ("observer",)
    ]
    assert made and {r["lab"]["actor"] for r in made} <= {ADMIN, CI}
    assert all(r["sourceIPAddress"].startswith("198.51.100.") for r in made)
    t.revert(emulator.endpoints, prerequisites)
    t.cleanup(emulator.endpoints, prerequisites)


def test_a_share_with_everyone_removed_leaves_the_partner_share(emulator):
    """The serverless snapshot fix removes a share with group "all" only: the partner keeps it."""
    t = technique("benign-share-snapshot-partner")
    e = emulator.endpoints
    p = t.warm_up(e)
    t.detonate(e, p)
    ec2 = e.client("ec2", "harness")
    ec2.modify_snapshot_attribute(
        SnapshotId=p["snapshot_id"],
        Attribute="createVolumePermission",
        OperationType="add",
        GroupNames=["all"],
    )
    ec2.modify_snapshot_attribute(
        SnapshotId=p["snapshot_id"],
        Attribute="createVolumePermission",
        OperationType="remove",
        GroupNames=["all"],
    )
    assert not t.is_remediated(e, p)
    t.revert(e, p)
    t.cleanup(e, p)


SERVERLESS_ON_BENIGN = """
name: benign-serverless
seed: 20260106
trials: 2
techniques: [benign-ci-federation-token, benign-onboard-employee]
architectures:
  serverless: {alert_email: security@example.com}
start: "2026-01-05T09:00:00Z"
trial_spacing_s: 86400
max_trial_s: 21600
"""


@pytest.mark.terraform
def test_the_serverless_stack_breaks_ci_and_onboarding_as_deployed_today(tmp_path):
    """What the stack does today (benign-admin.yaml's settings, serverless arm): it quarantines the
    CI user that called GetFederationToken, and removes the console password / deactivates the key
    the administrator made for the new employee. In trials.csv: "remediated" = work broken."""
    path = tmp_path / "benign.yaml"
    path.write_text(SERVERLESS_ON_BENIGN)
    run_dir = run_scenario(load_scenario(path), tmp_path / "out", target=EmulatedTarget())
    trials = pd.read_csv(run_dir / "trials.csv")
    assert len(trials) == 4 and trials["error"].isna().all()
    assert (trials["outcome"] == "remediated").all(), trials[["technique", "outcome"]]
    assert (trials["remediated_by"] == "lambda:lab-respond").all()
    assert trials["detection_source"].str.startswith("eventbridge:").all()
    # What the respond function did, from its results in the timeline.
    actions: dict[str, set[str]] = {}
    for line in (run_dir / "events.jsonl").read_text().splitlines():
        event = json.loads(line)
        result = event.get("result") or {}
        fixed = isinstance(result, dict) and result.get("status") == "remediated"
        if event["kind"] == "lambda.invoked" and fixed:
            actions.setdefault(event["technique"], set()).add(result["action"])
    assert "quarantine_caller" in actions["benign-ci-federation-token"]
    assert {"delete_login_profile", "deactivate_keys_of_other_user"} <= actions[
        "benign-onboard-employee"
    ]
    # The coverage report takes a run of benign actions (no ATT&CK mapping) without failing.
    coverage = coverage_table(trials)
    assert set(coverage["attack_id"]) == {"?"}
    assert set(coverage["outcome"]) == {"remediated"}
