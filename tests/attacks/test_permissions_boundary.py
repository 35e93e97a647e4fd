"""The lab's permissions boundary on a real account: the lab's policy lets it create principals
only with the boundary, the boundary caps them, and every creator of a role or user sets it."""

import json

from lab.attacks.registry import technique
from lab.attacks.resources import BOUNDARY_ENV
from lab.emulator.compat.policies import conditions_hold
from lab.paths import REPO_ROOT

BOUNDARY = "arn:aws:iam::${ACCOUNT_ID}:policy/lab-permissions-boundary"


def _statements(name: str) -> dict[str, dict]:
    return {s["Sid"]: s for s in json.loads((REPO_ROOT / "docs" / name).read_text())["Statement"]}


def test_principals_are_created_only_with_the_boundary_which_stays_and_is_not_edited():
    for name in ("aws-lab-policy.json", "lab-permissions-boundary.json"):
        statements = _statements(name)
        deny = statements["NoPrincipalWithoutTheBoundary"]
        assert deny["Effect"] == "Deny" and {"iam:CreateRole", "iam:CreateUser"} <= set(
            deny["Action"]
        )
        # The Deny applies to a CreateRole without the boundary or with another, not with it.
        assert conditions_hold(deny["Condition"], {})  # no boundary: the key is absent
        assert conditions_hold(deny["Condition"], {"iam:PermissionsBoundary": "arn:other"})
        assert not conditions_hold(deny["Condition"], {"iam:PermissionsBoundary": BOUNDARY})
        assert statements["TheBoundaryStays"]["Effect"] == "Deny"
        assert statements["TheBoundaryIsNotEdited"]["Resource"] == BOUNDARY
    # The boundary never reaches the organization or the bill, and IAM only on lab names.
    boundary = _statements("lab-permissions-boundary.json")
    assert "organizations:*" in boundary["NeverTheOrganizationOrTheBill"]["Action"]
    assert all(
        r.split(":", 5)[5].split("/", 1)[1] == "lab-*"
        for r in boundary["IamOfTheLabOnly"]["Resource"]
    )


def test_the_techniques_create_their_roles_and_users_with_the_boundary(emulator, monkeypatch):
    arn = f"arn:aws:iam::{emulator.endpoints.account_id()}:policy/lab-permissions-boundary"
    monkeypatch.setenv(BOUNDARY_ENV, arn)
    e = emulator.endpoints
    backdoor = technique("iam-backdoor-role")
    role = backdoor.warm_up(e)["role"]
    assert e.client("iam").get_role(RoleName=role)["Role"]["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
        "PermissionsBoundaryArn": arn,
    }
    admin = technique("iam-create-admin-user")
    prerequisites = admin.warm_up(e)
    admin.detonate(e, prerequisites)
    created = [r for r in emulator.recorder.history() if r["eventName"] == "CreateUser"]
    assert created[-1]["requestParameters"]["permissionsBoundary"] == arn
    admin.cleanup(e, prerequisites)
    backdoor.cleanup(e, {"role": role})


def test_the_labs_policy_allows_every_service_the_boundary_lets_its_techniques_use():
    """A service the boundary allows but the lab's own policy does not is AccessDenied on AWS for
    the techniques that use it (rds-share-snapshot, the secretsmanager and Instance Connect ones,
    dns-delete-logs), and sts:GetFederationToken for sts-federation-token."""
    from lab.targets.permissions import BOUNDARY, LAB_POLICY, allows, document

    policy = document(LAB_POLICY, "123456789012", "us-east-1")
    boundary = document(BOUNDARY, "123456789012", "us-east-1")
    regional = next(s for s in boundary["Statement"] if s["Sid"] == "WhatTheLabUsesInItsRegion")
    context = {"aws:RequestedRegion": "us-east-1"}
    services = sorted({a.split(":")[0] for a in regional["Action"] if a.endswith(":*")})
    missing = [s for s in services if not allows(policy, f"{s}:AnyCall", "*", context)]
    assert missing == []
    assert allows(policy, "sts:GetFederationToken", "*", context)
    assert not allows(policy, "rds:DeleteDBSnapshot", "*", {"aws:RequestedRegion": "eu-west-1"})


def test_the_boundary_caps_reads_to_the_labs_region_and_its_own_data_and_roles():
    """A lab role made admin by an attack is still capped by the boundary: reads in the lab's
    region only, no object, secret or parameter but the lab's, no role to assume but the lab's
    (the boundary's ReadsAnywhere once allowed all of them, in every region)."""
    from lab.targets.permissions import BOUNDARY, allows, document

    account = "123456789012"
    boundary = document(BOUNDARY, account, "us-east-1")
    here, elsewhere = {"aws:RequestedRegion": "us-east-1"}, {"aws:RequestedRegion": "eu-west-1"}

    def may(action, resource="*", context=here):
        return allows(boundary, action, resource, context)

    assert may("ec2:DescribeInstances") and not may("ec2:DescribeInstances", context=elsewhere)
    assert may("iam:GetRole", f"arn:aws:iam::{account}:role/anything")
    assert may("s3:GetObject", "arn:aws:s3:::lab-trail-bucket/AWSLogs/x.json.gz")
    assert not may("s3:GetObject", "arn:aws:s3:::payroll-exports/2026/01.csv")
    secret = f"arn:aws:secretsmanager:us-east-1:{account}:secret:"
    assert not may("secretsmanager:GetSecretValue", secret + "prod/db-AbCdEf")
    assert may("secretsmanager:GetSecretValue", secret + "lab-fake-AbCdEf")
    parameter = f"arn:aws:ssm:us-east-1:{account}:parameter/"
    assert not may("ssm:GetParameter", parameter + "prod/db/password")
    assert may("ssm:GetParameter", parameter + "AmazonCloudWatch-lab")
    assert may("ssm:GetParameter", "arn:aws:ssm:us-east-1::parameter/aws/service/ami-x")
    assert not may("sts:AssumeRole", f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole")
    assert may("sts:AssumeRole", f"arn:aws:iam::{account}:role/lab-target-instance-role")
