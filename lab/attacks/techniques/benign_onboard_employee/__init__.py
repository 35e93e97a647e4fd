"""benign-onboard-employee: the IT administrator onboards a new employee (user, console password,
access key), the calls an attacker's persistence also makes."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites, Technique
from lab.attacks.benign import ADMIN, allowed_changes, user_cut_off
from lab.attacks.iam_user import delete_user
from lab.attacks.resources import boundary, lab_tags, missing_ok
from lab.emulator.endpoints import Endpoints

# A first password the employee must change at the first sign-in (IAM's "require password reset").
FIRST_PASSWORD = "Welcome-2026-change-me!"


class BenignOnboardEmployee(Technique):
    folder = Path(__file__).parent
    USER_NAME = "new-employee-jdoe"

    def warm_up(self, endpoints: Endpoints) -> Prerequisites:
        """Nothing to make: the employee does not exist yet (a leftover one is deleted)."""
        prerequisites: Prerequisites = {"user": self.USER_NAME}
        self.revert(endpoints, prerequisites)
        return prerequisites

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        iam = endpoints.client("iam", ADMIN)
        user = prerequisites["user"]
        # With an allow-list, the new employee's user is made tagged: their password and key are
        # routine (the onboarding ticket's calls).
        routine = allowed_changes("CreateUser", "CreateLoginProfile", "CreateAccessKey")
        iam.create_user(UserName=user, Tags=lab_tags(self.id) + routine, **boundary())
        iam.create_login_profile(UserName=user, Password=FIRST_PASSWORD, PasswordResetRequired=True)
        key = iam.create_access_key(UserName=user)["AccessKey"]
        prerequisites["access_key_id"] = key["AccessKeyId"]

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        """Broken: the employee's user is gone or quarantined, their console password deleted, or
        the access key the administrator made for them no longer active."""
        iam = endpoints.client("iam", "observer")
        user = prerequisites["user"]
        if user_cut_off(iam, user):
            return True
        with missing_ok("NoSuchEntity"):
            iam.get_login_profile(UserName=user)
            keys = iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
            return not any(
                k["AccessKeyId"] == prerequisites.get("access_key_id") and k["Status"] == "Active"
                for k in keys
            )
        return True  # no console password any more

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        """The employee's user goes (with its password and keys): the next onboarding starts anew."""
        delete_user(endpoints.client("iam", "harness"), prerequisites["user"])
        prerequisites.pop("access_key_id", None)

    def cleanup(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        delete_user(endpoints.client("iam", "harness"), prerequisites["user"])


TECHNIQUE = BenignOnboardEmployee
