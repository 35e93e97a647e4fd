"""Techniques whose target is a lab-owned CloudTrail trail (not the architecture's own trail, so the
attack can be measured without blinding the rest of the experiment)."""

from __future__ import annotations

from lab.attacks.base import Prerequisites, Technique
from lab.attacks.log_delivery import trail_bucket_policy
from lab.attacks.resources import account_id, delete_bucket, lab_tags, missing_ok
from lab.attacks.s3_bucket import ensure_private_bucket
from lab.emulator.endpoints import Endpoints

TRAIL_NAME = "lab-target-trail"


class LabTrailTechnique(Technique):
    """Warm-up: a lab-tagged, logging trail and its bucket."""

    def warm_up(self, endpoints: Endpoints) -> Prerequisites:
        bucket = ensure_private_bucket(endpoints, "target-trail", self.id)
        endpoints.client("s3", "harness").put_bucket_policy(
            Bucket=bucket, Policy=trail_bucket_policy(bucket, account_id(endpoints))
        )
        prerequisites = {"trail": TRAIL_NAME, "bucket": bucket}
        self.revert(endpoints, prerequisites)
        return prerequisites

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        cloudtrail = endpoints.client("cloudtrail", "observer")
        with missing_ok("TrailNotFoundException"):
            return bool(cloudtrail.get_trail_status(Name=prerequisites["trail"])["IsLogging"])
        return False

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        """Recreate the trail if it is gone and make sure it logs."""
        cloudtrail = endpoints.client("cloudtrail", "harness")
        names = {t["Name"] for t in cloudtrail.describe_trails()["trailList"]}
        if prerequisites["trail"] not in names:
            cloudtrail.create_trail(
                Name=prerequisites["trail"],
                S3BucketName=prerequisites["bucket"],
                IsMultiRegionTrail=True,
                EnableLogFileValidation=True,
                TagsList=lab_tags(self.id),
            )
        cloudtrail.start_logging(Name=prerequisites["trail"])

    def cleanup(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        with missing_ok("TrailNotFoundException"):
            endpoints.client("cloudtrail", "harness").delete_trail(Name=prerequisites["trail"])
        delete_bucket(endpoints.client("s3", "harness"), prerequisites["bucket"])
