"""Find and delete what the lab left in an account: everything tagged ``lab:project`` (optionally of
one run, ``lab:run-id``), found through the Resource Groups Tagging API plus the services it does not
list (IAM users, roles and policies; S3 buckets are read by their own tags too).

Deletion goes in passes, dependents first (instances before their security groups and subnets,
gateways detached before VPCs, rules emptied of targets before they go); what still has a dependent
waits for the next pass. Nothing is deleted that is not tagged by the lab.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from lab.attacks.resources import LAB_TAG_KEY
from lab.emulator.endpoints import Endpoints

RUN_TAG_KEY = "lab:run-id"
# Deletion order: lower first. Resource types not listed go last.
_ORDER = [
    "ec2:instance",
    "lambda:function",
    "events:rule",
    "cloudwatch:alarm",
    "logs:log-group",
    "cloudtrail:trail",
    "sns:topic",
    "sqs:queue",
    "ssm:parameter",
    "ssm:document",
    "ec2:snapshot",
    "ec2:volume",
    "ec2:key-pair",
    "ec2:vpc-flow-log",
    "ec2:network-interface",
    "ec2:internet-gateway",
    "ec2:route-table",
    "ec2:network-acl",
    "ec2:security-group",
    "ec2:subnet",
    "ec2:vpc",
    "s3:bucket",
    "iam:user",
    "iam:role",
    "iam:policy",
    "kms:key",
]


@dataclass
class CleanupReport:
    """What a cleanup found, deleted, and could not delete (with the reason)."""

    found: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def resource_type(arn: str) -> str:
    """``arn:aws:ec2:us-east-1:1:instance/i-1`` -> ``ec2:instance``; S3 buckets -> ``s3:bucket``."""
    parts = arn.split(":", 5)
    service, rest = parts[2], parts[5]
    if service == "s3":
        return "s3:bucket"
    if service == "sns":
        return "sns:topic"
    if service == "sqs":
        return "sqs:queue"
    kind = rest.split("/", 1)[0].split(":", 1)[0]
    return f"{service}:{kind}"


def _wanted(tags: dict[str, str], run_id: str | None) -> bool:
    return LAB_TAG_KEY in tags and (run_id is None or tags.get(RUN_TAG_KEY) == run_id)


def tagged_resources(endpoints: Endpoints, run_id: str | None = None) -> list[str]:
    """ARNs of everything the lab tagged (of ``run_id`` only, if given) that still exists, in
    deletion order."""
    filters = [{"Key": LAB_TAG_KEY}]
    if run_id:
        filters.append({"Key": RUN_TAG_KEY, "Values": [run_id]})
    tagging = endpoints.client("resourcegroupstaggingapi", "observer")
    found: set[str] = set()
    for page in tagging.get_paginator("get_resources").paginate(TagFilters=filters):
        found.update(r["ResourceARN"] for r in page["ResourceTagMappingList"])
    iam = endpoints.client("iam", "observer")
    for user in iam.list_users()["Users"]:
        tags = {t["Key"]: t["Value"] for t in iam.list_user_tags(UserName=user["UserName"])["Tags"]}
        if _wanted(tags, run_id):
            found.add(user["Arn"])
    for role in iam.list_roles()["Roles"]:
        tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=role["RoleName"])["Tags"]}
        if _wanted(tags, run_id):
            found.add(role["Arn"])
    for policy in iam.list_policies(Scope="Local")["Policies"]:
        tags = {
            t["Key"]: t["Value"]
            for t in iam.list_policy_tags(PolicyArn=policy["Arn"]).get("Tags", [])
        }
        if _wanted(tags, run_id):
            found.add(policy["Arn"])
    s3 = endpoints.client("s3", "observer")
    for bucket in s3.list_buckets()["Buckets"]:
        try:
            tag_set = s3.get_bucket_tagging(Bucket=bucket["Name"])["TagSet"]
        except ClientError:
            continue
        if _wanted({t["Key"]: t["Value"] for t in tag_set}, run_id):
            found.add(f"arn:aws:s3:::{bucket['Name']}")
    alive = [arn for arn in found if not _already_going(endpoints, arn)]
    rank = {kind: i for i, kind in enumerate(_ORDER)}
    return sorted(alive, key=lambda arn: (rank.get(resource_type(arn), len(rank)), arn))


def _already_going(endpoints: Endpoints, arn: str) -> bool:
    """Terminated instances and keys pending deletion stay listed for a while: nothing to do."""
    with contextlib.suppress(ClientError, IndexError):
        if resource_type(arn) == "ec2:instance":
            reservations = endpoints.client("ec2", "observer").describe_instances(
                InstanceIds=[arn.rsplit("/", 1)[1]]
            )["Reservations"]
            state = reservations[0]["Instances"][0]["State"]["Name"]
            return state in ("terminated", "shutting-down")
        if resource_type(arn) == "kms:key":
            meta = endpoints.client("kms", "observer").describe_key(KeyId=arn.rsplit("/", 1)[1])
            return meta["KeyMetadata"]["KeyState"] in ("PendingDeletion", "PendingReplicaDeletion")
    return False


def cleanup(
    endpoints: Endpoints,
    run_id: str | None = None,
    dry_run: bool = False,
    passes: int = 4,
    progress: Callable[[str], None] | None = None,
) -> CleanupReport:
    """Delete everything :func:`tagged_resources` finds (``dry_run``: only list it)."""
    report = CleanupReport(found=tagged_resources(endpoints, run_id))
    if dry_run:
        return report
    pending = list(report.found)
    for _ in range(passes):
        left = []
        for arn in pending:
            try:
                _delete(endpoints, arn)
            except ClientError as error:
                report.failed[arn] = error.response["Error"].get("Code", str(error))
                left.append(arn)
                continue
            report.failed.pop(arn, None)
            report.deleted.append(arn)
            if progress:
                progress(arn)
        if not left:
            break
        pending = left
    return report


def _delete(endpoints: Endpoints, arn: str) -> None:
    kind = resource_type(arn)
    name = arn.rsplit("/", 1)[-1] if "/" in arn else arn.rsplit(":", 1)[-1]
    handler = _DELETERS.get(kind)
    if handler is None:
        raise ClientError({"Error": {"Code": "UnsupportedResourceType", "Message": kind}}, "Delete")
    handler(endpoints, arn, name)


def _ec2(endpoints: Endpoints):
    return endpoints.client("ec2", "harness")


def _delete_instance(endpoints: Endpoints, _arn: str, name: str) -> None:
    _ec2(endpoints).terminate_instances(InstanceIds=[name])


def _delete_vpc(endpoints: Endpoints, _arn: str, name: str) -> None:
    ec2 = _ec2(endpoints)
    for gateway in ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [name]}]
    )["InternetGateways"]:
        ec2.detach_internet_gateway(InternetGatewayId=gateway["InternetGatewayId"], VpcId=name)
    ec2.delete_vpc(VpcId=name)


def _delete_internet_gateway(endpoints: Endpoints, _arn: str, name: str) -> None:
    ec2 = _ec2(endpoints)
    gateway = ec2.describe_internet_gateways(InternetGatewayIds=[name])["InternetGateways"][0]
    for attachment in gateway.get("Attachments", []):
        ec2.detach_internet_gateway(InternetGatewayId=name, VpcId=attachment["VpcId"])
    ec2.delete_internet_gateway(InternetGatewayId=name)


def _delete_route_table(endpoints: Endpoints, _arn: str, name: str) -> None:
    ec2 = _ec2(endpoints)
    table = ec2.describe_route_tables(RouteTableIds=[name])["RouteTables"][0]
    for association in table.get("Associations", []):
        if not association.get("Main"):
            ec2.disassociate_route_table(AssociationId=association["RouteTableAssociationId"])
    if not any(a.get("Main") for a in table.get("Associations", [])):
        ec2.delete_route_table(RouteTableId=name)


def _delete_network_acl(endpoints: Endpoints, _arn: str, name: str) -> None:
    ec2 = _ec2(endpoints)
    acl = ec2.describe_network_acls(NetworkAclIds=[name])["NetworkAcls"][0]
    if not acl.get("IsDefault"):  # the VPC's default ACL goes with the VPC
        ec2.delete_network_acl(NetworkAclId=name)


def _delete_security_group(endpoints: Endpoints, _arn: str, name: str) -> None:
    ec2 = _ec2(endpoints)
    group = ec2.describe_security_groups(GroupIds=[name])["SecurityGroups"][0]
    if group["GroupName"] != "default":  # the VPC's default group goes with the VPC
        ec2.delete_security_group(GroupId=name)


def _delete_bucket(endpoints: Endpoints, arn: str, _name: str) -> None:
    s3 = endpoints.client("s3", "harness")
    bucket = arn.split(":::", 1)[1]
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        objects = [
            {"Key": o["Key"], "VersionId": o["VersionId"]}
            for o in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
        ]
        if objects:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": objects})
    s3.delete_bucket(Bucket=bucket)


def _delete_rule(endpoints: Endpoints, _arn: str, name: str) -> None:
    events = endpoints.client("events", "harness")
    targets = events.list_targets_by_rule(Rule=name)["Targets"]
    if targets:
        events.remove_targets(Rule=name, Ids=[t["Id"] for t in targets])
    events.delete_rule(Name=name)


def _delete_user(endpoints: Endpoints, _arn: str, name: str) -> None:
    iam = endpoints.client("iam", "harness")
    for key in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]:
        iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    for policy in iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]:
        iam.detach_user_policy(UserName=name, PolicyArn=policy["PolicyArn"])
    for policy in iam.list_user_policies(UserName=name)["PolicyNames"]:
        iam.delete_user_policy(UserName=name, PolicyName=policy)
    for group in iam.list_groups_for_user(UserName=name)["Groups"]:
        iam.remove_user_from_group(UserName=name, GroupName=group["GroupName"])
    with contextlib.suppress(ClientError):
        iam.delete_login_profile(UserName=name)
    iam.delete_user(UserName=name)


def _delete_role(endpoints: Endpoints, _arn: str, name: str) -> None:
    iam = endpoints.client("iam", "harness")
    for policy in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
        iam.detach_role_policy(RoleName=name, PolicyArn=policy["PolicyArn"])
    for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
        iam.delete_role_policy(RoleName=name, PolicyName=policy)
    for profile in iam.list_instance_profiles_for_role(RoleName=name)["InstanceProfiles"]:
        iam.remove_role_from_instance_profile(
            InstanceProfileName=profile["InstanceProfileName"], RoleName=name
        )
        with contextlib.suppress(ClientError):
            iam.delete_instance_profile(InstanceProfileName=profile["InstanceProfileName"])
    iam.delete_role(RoleName=name)


def _delete_policy(endpoints: Endpoints, arn: str, _name: str) -> None:
    iam = endpoints.client("iam", "harness")
    attached = iam.list_entities_for_policy(PolicyArn=arn)
    for role in attached["PolicyRoles"]:
        iam.detach_role_policy(RoleName=role["RoleName"], PolicyArn=arn)
    for user in attached["PolicyUsers"]:
        iam.detach_user_policy(UserName=user["UserName"], PolicyArn=arn)
    for version in iam.list_policy_versions(PolicyArn=arn)["Versions"]:
        if not version["IsDefaultVersion"]:
            iam.delete_policy_version(PolicyArn=arn, VersionId=version["VersionId"])
    iam.delete_policy(PolicyArn=arn)


def _delete_key(endpoints: Endpoints, _arn: str, name: str) -> None:
    # A KMS key cannot be deleted at once: disabled, then deleted after the 7-day minimum.
    kms = endpoints.client("kms", "harness")
    kms.schedule_key_deletion(KeyId=name, PendingWindowInDays=7)


def _simple(service: str, method: str, argument: str, value: Callable[[str, str], Any]):
    def delete(endpoints: Endpoints, arn: str, name: str) -> None:
        getattr(endpoints.client(service, "harness"), method)(**{argument: value(arn, name)})

    return delete


def _delete_parameter(endpoints: Endpoints, arn: str, _name: str) -> None:
    # "parameter/x" is the ARN of both "x" and "/x".
    ssm = endpoints.client("ssm", "harness")
    name = arn.split(":parameter/", 1)[1]
    try:
        ssm.delete_parameter(Name=name)
    except ClientError as error:
        if error.response["Error"]["Code"] != "ParameterNotFound":
            raise
        ssm.delete_parameter(Name=f"/{name}")


def _queue_url(endpoints: Endpoints, arn: str, _name: str) -> None:
    sqs = endpoints.client("sqs", "harness")
    account, queue = arn.split(":")[4:6]
    url = sqs.get_queue_url(QueueName=queue, QueueOwnerAWSAccountId=account)["QueueUrl"]
    sqs.delete_queue(QueueUrl=url)


_by_name = lambda _arn, name: name  # noqa: E731
_by_arn = lambda arn, _name: arn  # noqa: E731

_DELETERS: dict[str, Callable[[Endpoints, str, str], None]] = {
    "ec2:instance": _delete_instance,
    "ec2:vpc": _delete_vpc,
    "ec2:internet-gateway": _delete_internet_gateway,
    "ec2:route-table": _delete_route_table,
    "ec2:network-acl": _delete_network_acl,
    "ec2:security-group": _delete_security_group,
    "ec2:subnet": _simple("ec2", "delete_subnet", "SubnetId", _by_name),
    "ec2:volume": _simple("ec2", "delete_volume", "VolumeId", _by_name),
    "ec2:snapshot": _simple("ec2", "delete_snapshot", "SnapshotId", _by_name),
    "ec2:key-pair": _simple("ec2", "delete_key_pair", "KeyPairId", _by_name),
    "ec2:vpc-flow-log": _simple("ec2", "delete_flow_logs", "FlowLogIds", lambda _arn, name: [name]),
    "ec2:network-interface": _simple(
        "ec2", "delete_network_interface", "NetworkInterfaceId", _by_name
    ),
    "s3:bucket": _delete_bucket,
    "sns:topic": _simple("sns", "delete_topic", "TopicArn", _by_arn),
    "sqs:queue": _queue_url,
    "lambda:function": _simple(
        "lambda", "delete_function", "FunctionName", lambda arn, _n: arn.split(":")[6]
    ),
    "events:rule": _delete_rule,
    "logs:log-group": _simple(
        "logs", "delete_log_group", "logGroupName", lambda arn, _n: arn.split(":")[6]
    ),
    "cloudwatch:alarm": _simple(
        "cloudwatch", "delete_alarms", "AlarmNames", lambda arn, _n: [arn.split(":", 6)[6]]
    ),
    "cloudtrail:trail": _simple("cloudtrail", "delete_trail", "Name", _by_arn),
    "ssm:parameter": _delete_parameter,
    "ssm:document": _simple("ssm", "delete_document", "Name", _by_name),
    "iam:user": _delete_user,
    "iam:role": _delete_role,
    "iam:policy": _delete_policy,
    "kms:key": _delete_key,
}
