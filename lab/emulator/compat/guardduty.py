"""GuardDuty: one detector per account and region."""

from __future__ import annotations

from typing import Any


def apply() -> None:
    _patch_one_detector_per_region()


def _patch_one_detector_per_region() -> None:
    """Gap: moto creates a second detector in a region that has one. AWS (GuardDuty API
    Reference, CreateDetector: "You can have only one detector per account per Region") answers
    BadRequestException; an account whose detector Organizations or Control Tower enabled has one
    before the lab deploys, which must adopt it."""
    from moto.guardduty.exceptions import GuardDutyException
    from moto.guardduty.models import GuardDutyBackend

    class DetectorExists(GuardDutyException):
        code = 400

        def __init__(self) -> None:
            super().__init__(
                "BadRequestException",
                "The request is rejected because a detector already exists for the current account.",
            )

    original = GuardDutyBackend.create_detector

    def create_detector(self: GuardDutyBackend, *args: Any, **kwargs: Any) -> str:
        if self.detectors:
            raise DetectorExists()
        return original(self, *args, **kwargs)

    GuardDutyBackend.create_detector = create_detector  # type: ignore[method-assign]
