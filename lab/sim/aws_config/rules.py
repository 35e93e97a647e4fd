"""The managed rules' evaluations, one function per rule identifier, each reading the resource's
real state back from the account (as the observer) and answering COMPLIANT or NON_COMPLIANT, as the
"List of AWS Config Managed Rules" describes each rule
(https://docs.aws.amazon.com/config/latest/developerguide/managed-rules-by-aws-config.html).
A change-triggered rule gets the resource id; a periodic rule evaluates the account (id None)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from lab.emulator.endpoints import Endpoints
from lab.engines.posture import (
    public_grant,
    public_statement,
    statements,
    world_open_tcp_ranges,
)

Evaluator = Callable[[Endpoints, str | None, dict[str, str]], str]


def _verdict(compliant: bool) -> str:
    return "COMPLIANT" if compliant else "NON_COMPLIANT"


def _group(endpoints: Endpoints, group_id: str) -> dict[str, Any] | None:
    try:
        return endpoints.client("ec2", "observer").describe_security_groups(GroupIds=[group_id])[
            "SecurityGroups"
        ][0]
    except ClientError:
        return None


def incoming_ssh_disabled(
    endpoints: Endpoints, resource_id: str | None, params: dict[str, str]
) -> str:
    group = _group(endpoints, resource_id or "")
    if group is None:
        return "NOT_APPLICABLE"
    return _verdict(not any(low <= 22 <= high for low, high in world_open_tcp_ranges(group)))


def restricted_incoming_traffic(
    endpoints: Endpoints, resource_id: str | None, params: dict[str, str]
) -> str:
    group = _group(endpoints, resource_id or "")
    if group is None:
        return "NOT_APPLICABLE"
    blocked = [int(v) for k, v in params.items() if k.startswith("blockedPort")] or [
        20,
        21,
        3389,
        3306,
        4333,
    ]
    opened = world_open_tcp_ranges(group)
    return _verdict(not any(low <= port <= high for port in blocked for low, high in opened))


def _bucket_block(endpoints: Endpoints, bucket: str) -> dict[str, bool]:
    try:
        return endpoints.client("s3", "observer").get_public_access_block(Bucket=bucket)[
            "PublicAccessBlockConfiguration"
        ]
    except ClientError:
        return {}


def s3_bucket_level_public_access_prohibited(
    endpoints: Endpoints, resource_id: str | None, params: dict[str, str]
) -> str:
    block = _bucket_block(endpoints, resource_id or "")
    keys = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
    return _verdict(all(block.get(k) for k in keys))


def s3_bucket_public_read_prohibited(
    endpoints: Endpoints, resource_id: str | None, params: dict[str, str]
) -> str:
    s3 = endpoints.client("s3", "observer")
    bucket = resource_id or ""
    block = _bucket_block(endpoints, bucket)
    acl_public = policy_public = False
    if not block.get("IgnorePublicAcls"):
        try:
            grants = s3.get_bucket_acl(Bucket=bucket)["Grants"]
        except ClientError:
            return "NOT_APPLICABLE"
        acl_public = any(
            public_grant(g) and g["Permission"] in ("READ", "FULL_CONTROL") for g in grants
        )
    if not block.get("RestrictPublicBuckets"):
        try:
            policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
        except ClientError:
            policy = {"Statement": []}
        for statement in statements(policy):
            actions = statement.get("Action", [])
            actions = [actions] if isinstance(actions, str) else actions
            if (
                public_statement(statement)
                and not statement.get("Condition")
                and any(a in ("s3:GetObject", "s3:*", "*", "s3:ListBucket") for a in actions)
            ):
                policy_public = True
    return _verdict(not (acl_public or policy_public))


def encrypted_volumes(endpoints: Endpoints, resource_id: str | None, params: dict[str, str]) -> str:
    try:
        volume = endpoints.client("ec2", "observer").describe_volumes(
            VolumeIds=[resource_id or ""]
        )["Volumes"][0]
    except ClientError:
        return "NOT_APPLICABLE"
    if not volume.get("Attachments"):
        return "NOT_APPLICABLE"  # the rule checks attached volumes only
    return _verdict(bool(volume.get("Encrypted")))


def iam_user_no_policies_check(
    endpoints: Endpoints, resource_id: str | None, params: dict[str, str]
) -> str:
    iam = endpoints.client("iam", "observer")
    try:
        attached = iam.list_attached_user_policies(UserName=resource_id or "")["AttachedPolicies"]
        inline = iam.list_user_policies(UserName=resource_id or "")["PolicyNames"]
    except ClientError:
        return "NOT_APPLICABLE"
    return _verdict(not attached and not inline)


def iam_root_access_key_check(
    endpoints: Endpoints, resource_id: str | None, params: dict[str, str]
) -> str:
    summary = endpoints.client("iam", "observer").get_account_summary()["SummaryMap"]
    return _verdict(summary.get("AccountAccessKeysPresent", 0) == 0)


def cloud_trail_enabled(
    endpoints: Endpoints, resource_id: str | None, params: dict[str, str]
) -> str:
    cloudtrail = endpoints.client("cloudtrail", "observer")
    trails = cloudtrail.describe_trails()["trailList"]
    return _verdict(
        any(cloudtrail.get_trail_status(Name=t["TrailARN"]).get("IsLogging") for t in trails)
    )


def ebs_snapshot_public_restorable_check(
    endpoints: Endpoints, resource_id: str | None, params: dict[str, str]
) -> str:
    ec2 = endpoints.client("ec2", "observer")
    public = ec2.describe_snapshots(OwnerIds=["self"], RestorableByUserIds=["all"])["Snapshots"]
    return _verdict(not public)


EVALUATORS: dict[str, Evaluator] = {
    "INCOMING_SSH_DISABLED": incoming_ssh_disabled,
    "RESTRICTED_INCOMING_TRAFFIC": restricted_incoming_traffic,
    "S3_BUCKET_PUBLIC_READ_PROHIBITED": s3_bucket_public_read_prohibited,
    "S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED": s3_bucket_level_public_access_prohibited,
    "ENCRYPTED_VOLUMES": encrypted_volumes,
    "IAM_USER_NO_POLICIES_CHECK": iam_user_no_policies_check,
    "IAM_ROOT_ACCESS_KEY_CHECK": iam_root_access_key_check,
    "CLOUD_TRAIL_ENABLED": cloud_trail_enabled,
    "EBS_SNAPSHOT_PUBLIC_RESTORABLE_CHECK": ebs_snapshot_public_restorable_check,
}
