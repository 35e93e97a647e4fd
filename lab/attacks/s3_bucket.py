"""Techniques whose target is a lab-owned S3 bucket."""

from __future__ import annotations

import json
from typing import Any

from lab.attacks.base import Prerequisites, Technique
from lab.attacks.resources import lab_bucket_name, lab_tags, missing_ok
from lab.emulator.endpoints import Endpoints

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
FULL_BLOCK = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


def public_grants(s3: Any, bucket: str) -> list[dict[str, Any]]:
    grants = s3.get_bucket_acl(Bucket=bucket)["Grants"]
    return [g for g in grants if g["Grantee"].get("URI") in (ALL_USERS, AUTHENTICATED_USERS)]


def public_statements(s3: Any, bucket: str) -> list[dict[str, Any]]:
    """Allow statements of the bucket policy whose principal is everyone."""
    with missing_ok("NoSuchBucketPolicy"):
        policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
        statements = policy.get("Statement", [])
        statements = statements if isinstance(statements, list) else [statements]
        return [
            s
            for s in statements
            if s.get("Effect") == "Allow" and s.get("Principal") in ("*", {"AWS": "*"})
        ]
    return []


class LabBucketTechnique(Technique):
    """Warm-up: a lab-tagged private bucket (created once, emptied of the attack on reuse)."""

    PURPOSE: str

    def bucket(self, endpoints: Endpoints) -> str:
        return lab_bucket_name(endpoints, self.PURPOSE)

    def warm_up(self, endpoints: Endpoints) -> Prerequisites:
        s3 = endpoints.client("s3", "harness")
        bucket = self.bucket(endpoints)
        with missing_ok("BucketAlreadyOwnedByYou"):
            s3.create_bucket(Bucket=bucket)
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": lab_tags(self.id)})
        prerequisites = {"bucket": bucket}
        self.revert(endpoints, prerequisites)
        return prerequisites

    def cleanup(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        s3 = endpoints.client("s3", "harness")
        with missing_ok("NoSuchBucket"):
            s3.delete_bucket(Bucket=prerequisites["bucket"])
