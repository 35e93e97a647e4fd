"""iam-create-user-login-profile: a console password for a user that had none (T1098)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lab.attacks.base import Prerequisites
from lab.attacks.iam_user import LabUserTechnique
from lab.attacks.resources import missing_ok
from lab.emulator.endpoints import Endpoints


def has_login_profile(iam: Any, user_name: str) -> bool:
    with missing_ok("NoSuchEntity"):
        iam.get_login_profile(UserName=user_name)
        return True
    return False


class IamCreateUserLoginProfile(LabUserTechnique):
    folder = Path(__file__).parent
    USER_NAME = "lab-target-service-user"

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        endpoints.client("iam", "attacker").create_login_profile(
            UserName=prerequisites["user"],
            Password="Lab-Attacker-Chosen-1!",
            PasswordResetRequired=False,
        )

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        """The user had no console password before the attack."""
        return not has_login_profile(endpoints.client("iam", "observer"), prerequisites["user"])

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        with missing_ok("NoSuchEntity"):
            endpoints.client("iam", "harness").delete_login_profile(UserName=prerequisites["user"])


TECHNIQUE = IamCreateUserLoginProfile
