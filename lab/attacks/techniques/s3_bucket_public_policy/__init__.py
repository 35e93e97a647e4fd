"""s3-bucket-public-policy: a bucket policy granting s3:GetObject to everyone (T1530)."""

from __future__ import annotations

import json
from pathlib import Path

from lab.attacks.base import Prerequisites
from lab.attacks.resources import missing_ok
from lab.attacks.s3_bucket import LabBucketTechnique, public_statements
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
        endpoints.client("s3", "attacker").put_bucket_policy(
            Bucket=bucket, Policy=json.dumps(policy)
        )

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        return not public_statements(endpoints.client("s3", "observer"), prerequisites["bucket"])

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        if not self.is_remediated(endpoints, prerequisites):
            with missing_ok("NoSuchBucketPolicy"):
                endpoints.client("s3", "harness").delete_bucket_policy(
                    Bucket=prerequisites["bucket"]
                )


TECHNIQUE = S3BucketPublicPolicy
