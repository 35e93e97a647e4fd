"""s3-public-access-block-removed: a bucket's public access block deleted (T1562)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites
from lab.attacks.resources import missing_ok
from lab.attacks.s3_bucket import FULL_BLOCK, LabBucketTechnique
from lab.emulator.endpoints import Endpoints


class S3PublicAccessBlockRemoved(LabBucketTechnique):
    folder = Path(__file__).parent
    PURPOSE = "target-public-access-block"

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        endpoints.client("s3", "attacker").delete_public_access_block(
            Bucket=prerequisites["bucket"]
        )

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        s3 = endpoints.client("s3", "observer")
        with missing_ok("NoSuchPublicAccessBlockConfiguration"):
            config = s3.get_public_access_block(Bucket=prerequisites["bucket"])
            return all(config["PublicAccessBlockConfiguration"].get(k) for k in FULL_BLOCK)
        return False

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        endpoints.client("s3", "harness").put_public_access_block(
            Bucket=prerequisites["bucket"], PublicAccessBlockConfiguration=FULL_BLOCK
        )


TECHNIQUE = S3PublicAccessBlockRemoved
