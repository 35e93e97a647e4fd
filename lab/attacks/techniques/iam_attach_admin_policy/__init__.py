"""iam-attach-admin-policy: AdministratorAccess attached to an existing user (T1098.003)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites
from lab.attacks.iam_user import ADMIN_POLICY_ARN, LabUserTechnique, attached_policy_arns
from lab.attacks.resources import missing_ok
from lab.emulator.endpoints import Endpoints


class IamAttachAdminPolicy(LabUserTechnique):
    folder = Path(__file__).parent
    USER_NAME = "lab-target-intern"

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


TECHNIQUE = IamAttachAdminPolicy
