"""organizations-leave: try to take the account out of its organization (T1562)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites
from lab.attacks.compromised_user import CompromisedUserActivity
from lab.attacks.resources import missing_ok
from lab.emulator.endpoints import Endpoints


class OrganizationsLeave(CompromisedUserActivity):
    folder = Path(__file__).parent

    def act(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        """The attempt; AWS refuses it here (the account is in no organization), as it refuses it
        to a member account whose SCPs deny it, and the attempt is what is recorded."""
        with missing_ok(
            "AWSOrganizationsNotInUseException",
            "ConstraintViolationException",
            "AccessDeniedException",
        ):
            endpoints.client("organizations", "attacker").leave_organization()


TECHNIQUE = OrganizationsLeave
