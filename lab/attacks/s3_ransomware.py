"""Ransomware against a lab bucket (Stratus Red Team's three variants): a bucket of objects that the
attacker deletes or overwrites; remediated means every object reads back as it was."""

from __future__ import annotations

import hashlib
from typing import Any

from lab.attacks.base import Prerequisites
from lab.attacks.resources import delete_bucket, missing_ok
from lab.attacks.s3_bucket import LabBucketTechnique, lock_down
from lab.emulator.endpoints import Endpoints

OBJECTS = {f"reports/2026/report-{n:02d}.csv": f"id,amount\n{n},{n * 100}\n" for n in range(20)}
RANSOM_NOTE = "FILES-DELETED.txt"


def digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


class S3RansomwareTechnique(LabBucketTechnique):
    """Warm-up: the lab bucket holding ``OBJECTS``."""

    def warm_up(self, endpoints: Endpoints) -> Prerequisites:
        prerequisites = super().warm_up(endpoints)
        prerequisites["objects"] = {key: digest(body.encode()) for key, body in OBJECTS.items()}
        self.revert(endpoints, prerequisites)
        return prerequisites

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        """Every object is there with its own content, and no ransom note is."""
        s3 = endpoints.client("s3", "observer")
        for key, expected in prerequisites.get("objects", {}).items():
            with missing_ok("NoSuchKey"):
                if (
                    digest(s3.get_object(Bucket=prerequisites["bucket"], Key=key)["Body"].read())
                    == expected
                ):
                    continue
            return False
        return not _exists(s3, prerequisites["bucket"], RANSOM_NOTE)

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        """The bucket locked down as the warm-up made it, the objects back (the owner's backup) and
        the note gone."""
        s3 = endpoints.client("s3", "harness")
        lock_down(s3, prerequisites["bucket"])
        if "objects" in prerequisites and not self.is_remediated(endpoints, prerequisites):
            for key, body in OBJECTS.items():
                s3.put_object(Bucket=prerequisites["bucket"], Key=key, Body=body.encode())
            s3.delete_object(Bucket=prerequisites["bucket"], Key=RANSOM_NOTE)

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        """List the bucket, take its objects away (``ransom``), leave the note."""
        s3 = endpoints.client("s3", "attacker")
        bucket = prerequisites["bucket"]
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
        self.ransom(s3, bucket, keys)
        s3.put_object(
            Bucket=bucket,
            Key=RANSOM_NOTE,
            Body=b"Your data is gone. Contact lab-attacker@example.com",
        )

    def ransom(self, s3: Any, bucket: str, keys: list[str]) -> None:
        """The variant's way of taking the objects away (as the attacker)."""
        raise NotImplementedError

    def cleanup(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        delete_bucket(endpoints.client("s3", "harness"), prerequisites["bucket"])


def _exists(s3: Any, bucket: str, key: str) -> bool:
    with missing_ok("404", "NoSuchKey"):
        s3.head_object(Bucket=bucket, Key=key)
        return True
    return False
