"""IAM roles the lab creates as targets, trust policies and what is external to the account."""

from __future__ import annotations

import json
from typing import Any

from lab.attacks.resources import boundary, lab_tags, missing_ok

# The account Stratus Red Team's techniques grant access to: outside the lab's account.
EXTERNAL_ACCOUNT = "193672423079"
EXTERNAL_PRINCIPAL = f"arn:aws:iam::{EXTERNAL_ACCOUNT}:root"


def trust_policy(*principals: dict[str, Any]) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": p, "Action": "sts:AssumeRole"} for p in principals
        ],
    }


LAMBDA_TRUST = trust_policy({"Service": "lambda.amazonaws.com"})
EC2_TRUST = trust_policy({"Service": "ec2.amazonaws.com"})


def ensure_role(
    iam: Any, role_name: str, trust: dict[str, Any], technique_id: str, *policy_arns: str
) -> str:
    """A lab-tagged role with ``trust`` and the managed policies given (reused if it exists);
    its ARN."""
    with missing_ok("EntityAlreadyExists"):
        iam.create_role(
            RoleName=role_name,
            AssumeRolePolicyDocument=json.dumps(trust),
            Tags=lab_tags(technique_id),
            **boundary(),
        )
    for arn in policy_arns:
        iam.attach_role_policy(RoleName=role_name, PolicyArn=arn)
    return iam.get_role(RoleName=role_name)["Role"]["Arn"]


def ensure_instance_profile(iam: Any, name: str, technique_id: str, *policy_arns: str) -> str:
    """An instance role and its instance profile, both named ``name`` (lab-tagged, reused); the
    profile's ARN."""
    ensure_role(iam, name, EC2_TRUST, technique_id, *policy_arns)
    with missing_ok("EntityAlreadyExists"):
        iam.create_instance_profile(InstanceProfileName=name, Tags=lab_tags(technique_id))
    profile = iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]
    if not profile["Roles"]:
        iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
    return profile["Arn"]


def delete_instance_profile(iam: Any, name: str) -> None:
    """Delete what ``ensure_instance_profile`` made (re-runnable)."""
    with missing_ok("NoSuchEntity"):
        iam.remove_role_from_instance_profile(InstanceProfileName=name, RoleName=name)
    with missing_ok("NoSuchEntity"):
        iam.delete_instance_profile(InstanceProfileName=name)
    delete_role(iam, name)


def external_principals(policy: dict[str, Any] | str, account_id: str) -> list[str]:
    """AWS principals of Allow statements outside ``account_id`` (``*`` included)."""
    if isinstance(policy, str):
        policy = json.loads(policy)
    statements = policy.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    found = []
    for statement in statements:
        if statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal", {})
        aws = principal if principal == "*" else principal.get("AWS", [])
        for arn in [aws] if isinstance(aws, str) else aws:
            if arn == "*" or (account_id not in arn):
                found.append(arn)
    return found


def delete_role(iam: Any, role_name: str) -> None:
    """Delete a role and what blocks the delete (re-runnable)."""
    with missing_ok("NoSuchEntity"):
        for name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
            iam.delete_role_policy(RoleName=role_name, PolicyName=name)
        for policy in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=role_name, PolicyArn=policy["PolicyArn"])
        for profile in iam.list_instance_profiles_for_role(RoleName=role_name)["InstanceProfiles"]:
            iam.remove_role_from_instance_profile(
                InstanceProfileName=profile["InstanceProfileName"], RoleName=role_name
            )
        iam.delete_role(RoleName=role_name)
