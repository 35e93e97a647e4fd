"""s3-bucket-public-policy: a bucket policy granting s3:GetObject to everyone (T1530)."""

from __future__ import annotations

import json
from pathlib import Path

from lab.attacks.base import Prerequisites
from lab.attacks.resources import missing_ok
from lab.attacks.s3_bucket import (
    LabBucketTechnique,
    effective_block,
    lock_down,
    open_up,
    public_statements,
)
from lab.emulator.endpoints import Endpoints


class S3BucketPublicPolicy(LabBucketTechnique):
    folder = Path(__file__).parent
    PURPOSE = "target-public-policy"

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        bucket = prerequisites["bucket"]
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "PublicRead",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{bucket}/*",
                }
            ],
        }
        s3 = endpoints.client("s3", "attacker")
        open_up(s3, bucket)
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        """No public statement, or S3 restricts it (RestrictPublicBuckets), as S3 evaluates it."""
        s3 = endpoints.client("s3", "observer")
        bucket = prerequisites["bucket"]
        return effective_block(s3, bucket)["RestrictPublicBuckets"] or not public_statements(
            s3, bucket
        )

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        s3 = endpoints.client("s3", "harness")
        with missing_ok("NoSuchBucketPolicy"):
            s3.delete_bucket_policy(Bucket=prerequisites["bucket"])
        lock_down(s3, prerequisites["bucket"])


TECHNIQUE = S3BucketPublicPolicy
