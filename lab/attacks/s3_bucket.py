"""Techniques whose target is a lab-owned S3 bucket."""

from __future__ import annotations

import json
from typing import Any

from lab.attacks.base import Prerequisites, Technique
from lab.attacks.resources import lab_bucket_name, lab_tags, missing_ok
from lab.emulator.endpoints import Endpoints
from lab.engines.posture import public_grant, public_statement, statements

FULL_BLOCK = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


def ensure_private_bucket(endpoints: Endpoints, purpose: str, technique_id: str) -> str:
    """A lab-tagged bucket with public access blocked, for logs (reused if it exists); its name."""
    s3 = endpoints.client("s3", "harness")
    bucket = lab_bucket_name(endpoints, purpose)
    with missing_ok("BucketAlreadyOwnedByYou"):
        s3.create_bucket(Bucket=bucket)
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": lab_tags(technique_id)})
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=FULL_BLOCK)
    return bucket


def public_grants(s3: Any, bucket: str) -> list[dict[str, Any]]:
    return [g for g in s3.get_bucket_acl(Bucket=bucket)["Grants"] if public_grant(g)]


def public_statements(s3: Any, bucket: str) -> list[dict[str, Any]]:
    """Allow statements of the bucket policy whose principal is everyone."""
    with missing_ok("NoSuchBucketPolicy"):
        policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
        return [s for s in statements(policy) if public_statement(s)]
    return []


def effective_block(s3: Any, bucket: str) -> dict[str, bool]:
    """The bucket's public access block settings (all False when it has none)."""
    with missing_ok("NoSuchPublicAccessBlockConfiguration"):
        config = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        return {k: bool(config.get(k)) for k in FULL_BLOCK}
    return dict.fromkeys(FULL_BLOCK, False)


def open_up(s3: Any, bucket: str) -> None:
    """What an attacker has to do first on a bucket made with today's defaults (ACLs disabled, public
    access blocked): enable ACLs and delete the public access block."""
    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
    )
    s3.delete_public_access_block(Bucket=bucket)


def lock_down(s3: Any, bucket: str) -> None:
    """Today's defaults back: ACLs disabled (bucket owner enforced), public access fully blocked."""
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=FULL_BLOCK)
    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    )


class LabBucketTechnique(Technique):
    """Warm-up: a lab-tagged bucket with the defaults S3 gives new buckets since April 2023 (ACLs
    disabled, public access blocked); reused, and locked down again, if a previous run left it."""

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


def policy_public(s3: Any, bucket: str) -> bool:
    """Whether a bucket policy makes ``bucket`` public as S3 evaluates it: a public statement that
    RestrictPublicBuckets does not cancel."""
    return (
        bool(public_statements(s3, bucket))
        and not effective_block(s3, bucket)["RestrictPublicBuckets"]
    )


def remove_policy(s3: Any, bucket: str) -> None:
    """The bucket's policy deleted and its public access blocked again (idempotent)."""
    with missing_ok("NoSuchBucketPolicy"):
        s3.delete_bucket_policy(Bucket=bucket)
    lock_down(s3, bucket)
