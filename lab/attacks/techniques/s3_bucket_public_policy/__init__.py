"""s3-bucket-public-policy: a bucket policy granting s3:GetObject to everyone (T1530)."""

from __future__ import annotations

import json
from pathlib import Path

from lab.attacks.base import Prerequisites
from lab.attacks.s3_bucket import LabBucketTechnique, open_up, policy_public, remove_policy
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
        return not policy_public(endpoints.client("s3", "observer"), prerequisites["bucket"])

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        remove_policy(endpoints.client("s3", "harness"), prerequisites["bucket"])


TECHNIQUE = S3BucketPublicPolicy
