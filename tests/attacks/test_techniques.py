"""Every technique against the emulated account: detonate -> not remediated, revert -> remediated,
cleanup leaves nothing the lab tagged; metadata validates."""

import re

import pytest

from lab.attacks.registry import technique, techniques
from lab.attacks.resources import TECHNIQUE_TAG_KEY

ATTACK_ID = re.compile(r"T\d{4}(\.\d{3})?")


def lab_tagged_leftovers(endpoints, technique_id: str) -> list[str]:
    """Everything still tagged for the technique, except what AWS itself keeps for a while
    (terminated instances, KMS keys pending deletion)."""
    tagging = endpoints.client("resourcegroupstaggingapi", "observer")
    found = [
        r["ResourceARN"]
        for r in tagging.get_resources(
            TagFilters=[{"Key": TECHNIQUE_TAG_KEY, "Values": [technique_id]}]
        )["ResourceTagMappingList"]
    ]
    ec2 = endpoints.client("ec2", "observer")
    kms = endpoints.client("kms", "observer")
    left = []
    for arn in found:
        if ":instance/" in arn:
            state = ec2.describe_instances(InstanceIds=[arn.rsplit("/", 1)[1]])["Reservations"][0][
                "Instances"
            ][0]["State"]["Name"]
            if state == "terminated":
                continue
        if ":key/" in arn:
            meta = kms.describe_key(KeyId=arn.rsplit("/", 1)[1])["KeyMetadata"]
            if meta["KeyState"] == "PendingDeletion":
                continue
        left.append(arn)
    iam = endpoints.client("iam", "observer")
    for user in iam.list_users()["Users"]:
        if {"Key": TECHNIQUE_TAG_KEY, "Value": technique_id} in iam.list_user_tags(
            UserName=user["UserName"]
        )["Tags"]:
            left.append(user["Arn"])
    for role in iam.list_roles()["Roles"]:
        tags = iam.list_role_tags(RoleName=role["RoleName"])["Tags"]
        if {"Key": TECHNIQUE_TAG_KEY, "Value": technique_id} in tags:
            left.append(role["Arn"])
    for bucket in endpoints.client("s3", "observer").list_buckets()["Buckets"]:
        left.append(f"arn:aws:s3:::{bucket['Name']}")
    return left


def test_the_catalog_has_every_technique_the_issue_names():
    assert len(techniques()) >= 16
    for technique_id, t in techniques().items():
        assert ATTACK_ID.fullmatch(t.metadata.mitre_attack.technique_id), technique_id
        assert t.metadata.references and t.metadata.signals


@pytest.mark.parametrize("technique_id", sorted(techniques()))
def test_detonate_revert_cleanup(emulator, technique_id):
    t = technique(technique_id)
    e = emulator.endpoints
    prerequisites = t.warm_up(e)
    assert t.is_remediated(e, prerequisites), "the warm-up must leave a clean target"
    t.detonate(e, prerequisites)
    assert not t.is_remediated(e, prerequisites)
    t.revert(e, prerequisites)
    assert t.is_remediated(e, prerequisites)
    t.revert(e, prerequisites)  # idempotent
    assert t.is_remediated(e, prerequisites)
    # A second round on the same prerequisites, as consecutive trials do.
    t.detonate(e, prerequisites)
    assert not t.is_remediated(e, prerequisites)
    t.revert(e, prerequisites)
    t.cleanup(e, prerequisites)
    assert lab_tagged_leftovers(e, technique_id) == []


def test_a_second_warm_up_reuses_what_the_first_left(emulator):
    t = technique("ebs-snapshot-made-public")
    first = t.warm_up(emulator.endpoints)
    t.detonate(emulator.endpoints, first)
    second = t.warm_up(emulator.endpoints)
    assert second == first
    assert t.is_remediated(emulator.endpoints, second)


def test_detonation_is_made_by_the_attacker(emulator):
    t = technique("ec2-sg-open-ssh")
    prerequisites = t.warm_up(emulator.endpoints)
    t.detonate(emulator.endpoints, prerequisites)
    record = [
        r for r in emulator.recorder.records() if r["eventName"] == "AuthorizeSecurityGroupIngress"
    ][-1]
    assert record["lab"]["actor"] == "attacker"
    assert record["sourceIPAddress"] == "203.0.113.66"


def test_root_usage_is_recorded_as_root(emulator):
    t = technique("root-account-usage")
    prerequisites = t.warm_up(emulator.endpoints)
    t.detonate(emulator.endpoints, prerequisites)
    record = [
        r for r in emulator.recorder.records() if r["eventName"] == "UpdateAccountPasswordPolicy"
    ][-1]
    assert record["userIdentity"]["type"] == "Root"
    assert record["userIdentity"]["arn"] == "arn:aws:iam::123456789012:root"


def test_stolen_instance_credentials_are_recorded_as_the_role_session(emulator):
    t = technique("instance-credential-exfiltration")
    prerequisites = t.warm_up(emulator.endpoints)
    t.detonate(emulator.endpoints, prerequisites)
    record = [r for r in emulator.recorder.records() if r["eventName"] == "ListBuckets"][-1]
    assert record["userIdentity"]["type"] == "AssumedRole"
    issuer = record["userIdentity"]["sessionContext"]["sessionIssuer"]
    assert issuer["arn"].endswith(":role/lab-target-instance-role")
    t.cleanup(emulator.endpoints, prerequisites)


def test_brute_force_is_remediated_by_a_nacl_deny_on_the_source(emulator):
    t = technique("ec2-ssh-brute-force")
    e = emulator.endpoints
    prerequisites = t.warm_up(e)
    t.detonate(e, prerequisites)
    e.client("ec2", "operator").create_network_acl_entry(
        NetworkAclId=prerequisites["nacl_id"],
        RuleNumber=50,
        Protocol="-1",
        RuleAction="deny",
        Egress=False,
        CidrBlock="203.0.113.99/32",  # the wrong address: not a fix
    )
    assert not t.is_remediated(e, prerequisites)
    e.client("ec2", "operator").create_network_acl_entry(
        NetworkAclId=prerequisites["nacl_id"],
        RuleNumber=51,
        Protocol="6",
        PortRange={"From": 22, "To": 22},
        RuleAction="deny",
        Egress=False,
        CidrBlock="203.0.113.66/32",
    )
    assert t.is_remediated(e, prerequisites)
    t.revert(e, prerequisites)
    t.detonate(e, prerequisites)
    assert not t.is_remediated(e, prerequisites), "revert must drop the responder's deny"
    t.cleanup(e, prerequisites)


def test_unknown_technique_names_the_known_ones():
    with pytest.raises(KeyError, match="ec2-sg-open-ssh"):
        technique("nope")


def test_a_console_sign_in_is_recorded_as_cloudtrail_writes_it(emulator):
    t = technique("console-login-without-mfa")
    prerequisites = t.warm_up(emulator.endpoints)
    t.detonate(emulator.endpoints, prerequisites)
    record = [r for r in emulator.recorder.records() if r["eventName"] == "ConsoleLogin"][-1]
    assert record["eventSource"] == "signin.amazonaws.com"
    assert record["eventType"] == "AwsConsoleSignIn"
    assert record["additionalEventData"]["MFAUsed"] == "No"
    assert record["userIdentity"]["userName"] == "compromised-developer"
    assert "accessKeyId" not in record["userIdentity"]
    assert record["lab"]["injected"] is True
    assert record in emulator.recorder.history()
    t.cleanup(emulator.endpoints, prerequisites)


def test_the_stratus_map_names_only_techniques_of_the_catalog():
    """Every Stratus Red Team technique the map names a lab technique for exists; the others say why
    the lab does not measure them."""
    import yaml

    from lab.attacks.registry import TECHNIQUES_DIR

    mapping = yaml.safe_load((TECHNIQUES_DIR.parent / "stratus.yaml").read_text())["stratus"]
    for stratus_id, entry in mapping.items():
        assert "lab" in entry or entry.get("note"), stratus_id
        if "lab" in entry:
            assert entry["lab"] in techniques(), stratus_id
    measured = {e["lab"] for e in mapping.values() if "lab" in e}
    assert len(measured) == len([e for e in mapping.values() if "lab" in e]) >= 35


def test_the_coverage_scenario_runs_the_whole_catalog():
    import yaml

    from lab.paths import SCENARIOS_DIR

    scenario = yaml.safe_load((SCENARIOS_DIR / "coverage.yaml").read_text())
    assert sorted(scenario["techniques"]) == sorted(techniques())
