"""cloudtrail-delete-trail: a trail deleted (T1562.008)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites
from lab.attacks.trail import LabTrailTechnique
from lab.emulator.endpoints import Endpoints


class CloudtrailDeleteTrail(LabTrailTechnique):
    folder = Path(__file__).parent

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        endpoints.client("cloudtrail", "attacker").delete_trail(Name=prerequisites["trail"])


TECHNIQUE = CloudtrailDeleteTrail
