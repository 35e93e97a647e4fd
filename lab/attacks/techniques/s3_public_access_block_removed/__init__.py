"""s3-public-access-block-removed: a bucket's public access block deleted (T1562)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites
from lab.attacks.s3_bucket import LabBucketTechnique, effective_block, lock_down
from lab.emulator.endpoints import Endpoints


class S3PublicAccessBlockRemoved(LabBucketTechnique):
    folder = Path(__file__).parent
    PURPOSE = "target-public-access-block"

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        endpoints.client("s3", "attacker").delete_public_access_block(
            Bucket=prerequisites["bucket"]
        )

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        return all(
            effective_block(endpoints.client("s3", "observer"), prerequisites["bucket"]).values()
        )

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        lock_down(endpoints.client("s3", "harness"), prerequisites["bucket"])


TECHNIQUE = S3PublicAccessBlockRemoved
