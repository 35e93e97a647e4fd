"""s3-bucket-public-acl: a bucket made world-readable with a canned ACL (T1530)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites
from lab.attacks.s3_bucket import LabBucketTechnique, public_grants
from lab.emulator.endpoints import Endpoints


class S3BucketPublicAcl(LabBucketTechnique):
    folder = Path(__file__).parent
    PURPOSE = "target-public-acl"

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        endpoints.client("s3", "attacker").put_bucket_acl(
            Bucket=prerequisites["bucket"], ACL="public-read"
        )

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        return not public_grants(endpoints.client("s3", "observer"), prerequisites["bucket"])

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        if not self.is_remediated(endpoints, prerequisites):
            endpoints.client("s3", "harness").put_bucket_acl(
                Bucket=prerequisites["bucket"], ACL="private"
            )


TECHNIQUE = S3BucketPublicAcl
