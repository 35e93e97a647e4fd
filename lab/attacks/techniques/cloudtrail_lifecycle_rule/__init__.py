"""cloudtrail-lifecycle-rule: expire the trail's log files after a day (T1562.008)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites
from lab.attacks.resources import missing_ok
from lab.attacks.trail import LabTrailTechnique
from lab.emulator.endpoints import Endpoints


class CloudTrailLifecycleRule(LabTrailTechnique):
    folder = Path(__file__).parent

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        endpoints.client("s3", "attacker").put_bucket_lifecycle_configuration(
            Bucket=prerequisites["bucket"],
            LifecycleConfiguration={
                "Rules": [
                    {
                        "ID": "nuke-cloudtrail-logs-after-1-day",
                        "Status": "Enabled",
                        "Filter": {"Prefix": ""},
                        "Expiration": {"Days": 1},
                    }
                ]
            },
        )

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        """No enabled lifecycle rule expires the trail's log files (the bucket had none)."""
        with missing_ok("NoSuchLifecycleConfiguration"):
            rules = endpoints.client("s3", "observer").get_bucket_lifecycle_configuration(
                Bucket=prerequisites["bucket"]
            )["Rules"]
            return not [r for r in rules if r.get("Status") == "Enabled" and "Expiration" in r]
        return True

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        super().revert(endpoints, prerequisites)
        endpoints.client("s3", "harness").delete_bucket_lifecycle(Bucket=prerequisites["bucket"])


TECHNIQUE = CloudTrailLifecycleRule
