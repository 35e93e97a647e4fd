"""guardduty-disable-detector: the region's GuardDuty detector suspended (T1562.001)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites, Technique
from lab.attacks.resources import missing_ok, tag_map
from lab.emulator.endpoints import Endpoints


class GuarddutyDisableDetector(Technique):
    folder = Path(__file__).parent

    def warm_up(self, endpoints: Endpoints) -> Prerequisites:
        """The region's detector (there is at most one); created, and tagged, if there is none."""
        guardduty = endpoints.client("guardduty", "harness")
        existing = guardduty.list_detectors()["DetectorIds"]
        if existing:
            prerequisites = {"detector_id": existing[0], "created": False}
            self.revert(endpoints, prerequisites)
            return prerequisites
        detector_id = guardduty.create_detector(
            Enable=True,
            FindingPublishingFrequency="FIFTEEN_MINUTES",
            Tags=tag_map(self.id),
        )["DetectorId"]
        return {"detector_id": detector_id, "created": True}

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        endpoints.client("guardduty", "attacker").update_detector(
            DetectorId=prerequisites["detector_id"], Enable=False
        )

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        with missing_ok("BadRequestException"):
            detector = endpoints.client("guardduty", "observer").get_detector(
                DetectorId=prerequisites["detector_id"]
            )
            return detector["Status"] == "ENABLED"
        return False

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        endpoints.client("guardduty", "harness").update_detector(
            DetectorId=prerequisites["detector_id"], Enable=True
        )

    def cleanup(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        """Delete the detector only if the warm-up created it."""
        if prerequisites["created"]:
            with missing_ok("BadRequestException"):
                endpoints.client("guardduty", "harness").delete_detector(
                    DetectorId=prerequisites["detector_id"]
                )


TECHNIQUE = GuarddutyDisableDetector
