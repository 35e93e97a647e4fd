"""iam-attach-admin-policy: AdministratorAccess attached to an existing user (T1098.003)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites, Technique
from lab.attacks.iam_user import ADMIN_POLICY_ARN, attached_policy_arns, delete_user, ensure_user
from lab.attacks.resources import missing_ok
from lab.emulator.endpoints import Endpoints

USER_NAME = "lab-target-intern"


class IamAttachAdminPolicy(Technique):
    folder = Path(__file__).parent

    def warm_up(self, endpoints: Endpoints) -> Prerequisites:
        """A lab user with no policy."""
        ensure_user(endpoints.client("iam", "harness"), USER_NAME, self.id)
        prerequisites = {"user": USER_NAME}
        self.revert(endpoints, prerequisites)
        return prerequisites

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        endpoints.client("iam", "attacker").attach_user_policy(
            UserName=prerequisites["user"], PolicyArn=ADMIN_POLICY_ARN
        )

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        iam = endpoints.client("iam", "observer")
        return ADMIN_POLICY_ARN not in attached_policy_arns(iam, prerequisites["user"])

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        with missing_ok("NoSuchEntity"):
            endpoints.client("iam", "harness").detach_user_policy(
                UserName=prerequisites["user"], PolicyArn=ADMIN_POLICY_ARN
            )

    def cleanup(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        delete_user(endpoints.client("iam", "harness"), prerequisites["user"])


TECHNIQUE = IamAttachAdminPolicy
