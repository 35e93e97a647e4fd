"""s3-bucket-public-acl: a bucket made world-readable with a canned ACL (T1530)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites
from lab.attacks.s3_bucket import (
    LabBucketTechnique,
    effective_block,
    lock_down,
    open_up,
    public_grants,
)
from lab.emulator.endpoints import Endpoints


class S3BucketPublicAcl(LabBucketTechnique):
    folder = Path(__file__).parent
    PURPOSE = "target-public-acl"

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        s3 = endpoints.client("s3", "attacker")
        open_up(s3, prerequisites["bucket"])
        s3.put_bucket_acl(Bucket=prerequisites["bucket"], ACL="public-read")

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        """No public grant, or S3 ignores them (IgnorePublicAcls), as S3 evaluates access."""
        s3 = endpoints.client("s3", "observer")
        bucket = prerequisites["bucket"]
        return effective_block(s3, bucket)["IgnorePublicAcls"] or not public_grants(s3, bucket)

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        s3 = endpoints.client("s3", "harness")
        s3.put_bucket_acl(Bucket=prerequisites["bucket"], ACL="private")
        lock_down(s3, prerequisites["bucket"])


TECHNIQUE = S3BucketPublicAcl
