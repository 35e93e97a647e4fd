"""iam-create-admin-user: a new IAM user with AdministratorAccess and an access key (T1136.003)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites, Technique
from lab.attacks.iam_user import (
    ADMIN_POLICY_ARN,
    active_key_ids,
    attached_policy_arns,
    delete_user,
)
from lab.attacks.resources import boundary, lab_tags
from lab.emulator.endpoints import Endpoints

USER_NAME = "lab-backdoor-admin"


class IamCreateAdminUser(Technique):
    folder = Path(__file__).parent

    def warm_up(self, endpoints: Endpoints) -> Prerequisites:
        """Nothing to create: make sure no backdoor user is left from an earlier run."""
        prerequisites = {"user": USER_NAME}
        self.revert(endpoints, prerequisites)
        return prerequisites

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        iam = endpoints.client("iam", "attacker")
        iam.create_user(UserName=prerequisites["user"], Tags=lab_tags(self.id), **boundary())
        iam.attach_user_policy(UserName=prerequisites["user"], PolicyArn=ADMIN_POLICY_ARN)
        iam.create_access_key(UserName=prerequisites["user"])

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        """The backdoor is gone, or holds neither admin rights nor a usable key."""
        iam = endpoints.client("iam", "observer")
        user = prerequisites["user"]
        return ADMIN_POLICY_ARN not in attached_policy_arns(iam, user) or not active_key_ids(
            iam, user
        )

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        delete_user(endpoints.client("iam", "harness"), prerequisites["user"])

    def cleanup(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        self.revert(endpoints, prerequisites)


TECHNIQUE = IamCreateAdminUser
