"""Small helpers every technique uses: lab tags, tolerant deletes, the account id."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from botocore.exceptions import ClientError

from lab import settings
from lab.emulator.endpoints import Endpoints

LAB_TAG_KEY = "lab:project"
LAB_TAG_VALUE = "aws-serverless-security-monitoring"
TECHNIQUE_TAG_KEY = "lab:technique"
RUN_TAG_KEY = "lab:run-id"

# The run whose technique lifecycle is making resources now (set by ``lab.attacks.lifecycle``), so
# that every resource a technique makes carries its run id without each technique passing it on.
_RUN_ID: ContextVar[str | None] = ContextVar("lab_run_id", default=None)


@contextmanager
def tagged_for_run(run_id: str | None) -> Iterator[None]:
    """Within the block, ``lab_tags`` adds ``lab:run-id`` = ``run_id`` (nothing if ``None``)."""
    token = _RUN_ID.set(run_id)
    try:
        yield
    finally:
        _RUN_ID.reset(token)


# The permissions boundary every IAM role and user the lab creates carries on a real account (the
# account's administrator creates it from docs/lab-permissions-boundary.json; the lab's own policy
# lets it create principals only with it). Unset on the emulated account.
BOUNDARY_ENV = settings.Settings.variable("permissions_boundary")


def boundary() -> dict[str, str]:
    """``PermissionsBoundary=<arn>`` for CreateRole / CreateUser when the lab runs with one."""
    arn = settings.current().permissions_boundary
    return {"PermissionsBoundary": arn} if arn else {}


def lab_tags(technique_id: str) -> list[dict[str, str]]:
    """The tags that mark a resource as created by the lab for one technique (and, inside a run's
    lifecycle, for that run)."""
    run_id = _RUN_ID.get()
    return [
        {"Key": LAB_TAG_KEY, "Value": LAB_TAG_VALUE},
        {"Key": TECHNIQUE_TAG_KEY, "Value": technique_id},
        *([{"Key": RUN_TAG_KEY, "Value": run_id}] if run_id else []),
    ]


def tag_map(technique_id: str) -> dict[str, str]:
    """``lab_tags`` as a ``{key: value}`` map (the APIs that take tags that way)."""
    return {t["Key"]: t["Value"] for t in lab_tags(technique_id)}


def tag_specifications(resource_type: str, technique_id: str) -> list[dict[str, Any]]:
    """EC2 ``TagSpecifications`` with the lab tags."""
    return [{"ResourceType": resource_type, "Tags": lab_tags(technique_id)}]


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


@contextmanager
def missing_ok(*codes: str) -> Iterator[None]:
    """Swallow the "does not exist" errors named, so deletes and reverts can be re-run."""
    try:
        yield
    except ClientError as exc:
        if error_code(exc) not in codes:
            raise


def account_id(endpoints: Endpoints) -> str:
    return endpoints.account_id()


def lab_bucket_name(endpoints: Endpoints, purpose: str) -> str:
    """A globally unique, lab-owned bucket name (the account id makes it unique on real AWS)."""
    return f"lab-{purpose}-{account_id(endpoints)}"


def find_tagged(ec2: Any, describe: str, key: str, technique_id: str) -> list[dict[str, Any]]:
    """EC2 resources of one kind tagged for this technique (``describe`` names the call)."""
    response = getattr(ec2, describe)(
        Filters=[{"Name": f"tag:{TECHNIQUE_TAG_KEY}", "Values": [technique_id]}]
    )
    return response[key]


def ensure_vpc(ec2: Any, technique_id: str, cidr: str) -> str:
    """The technique's own lab-tagged VPC (reused if it exists); its id."""
    vpcs = find_tagged(ec2, "describe_vpcs", "Vpcs", technique_id)
    if vpcs:
        return vpcs[0]["VpcId"]
    return ec2.create_vpc(
        CidrBlock=cidr, TagSpecifications=tag_specifications("vpc", technique_id)
    )["Vpc"]["VpcId"]


def delete_bucket(s3: Any, bucket: str) -> None:
    """Delete a lab bucket and whatever was delivered into it (log files, object versions)."""
    with missing_ok("NoSuchBucket"):
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            objects = [
                {"Key": o["Key"], "VersionId": o["VersionId"]}
                for o in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            if objects:
                s3.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})
        s3.delete_bucket_policy(Bucket=bucket)
        s3.delete_bucket(Bucket=bucket)
