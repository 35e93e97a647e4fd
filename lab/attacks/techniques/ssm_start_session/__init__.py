"""ssm-start-session: open Session Manager shells on instances (T1651)."""

from __future__ import annotations

import json
from pathlib import Path

from lab.attacks.base import Prerequisites
from lab.attacks.compromised_user import CompromisedUserActivity
from lab.attacks.iam_role import delete_role, trust_policy
from lab.attacks.resources import lab_tags, missing_ok
from lab.attacks.target_instance import delete_target, ensure_target
from lab.emulator.endpoints import Endpoints

ROLE = "lab-target-managed-instance"
MANAGED_INSTANCE_POLICY_ARN = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"


class SsmStartSession(CompromisedUserActivity):
    folder = Path(__file__).parent

    def prepare(self, endpoints: Endpoints) -> Prerequisites:
        """A managed instance: its role lets the SSM Agent (preinstalled on Amazon Linux 2023)
        register, so Session Manager can reach it."""
        iam = endpoints.client("iam", "harness")
        with missing_ok("EntityAlreadyExists"):
            iam.create_role(
                RoleName=ROLE,
                AssumeRolePolicyDocument=json.dumps(trust_policy({"Service": "ec2.amazonaws.com"})),
                Tags=lab_tags(self.id),
            )
        iam.attach_role_policy(RoleName=ROLE, PolicyArn=MANAGED_INSTANCE_POLICY_ARN)
        with missing_ok("EntityAlreadyExists"):
            iam.create_instance_profile(InstanceProfileName=ROLE, Tags=lab_tags(self.id))
        profile = iam.get_instance_profile(InstanceProfileName=ROLE)["InstanceProfile"]
        if not profile["Roles"]:
            iam.add_role_to_instance_profile(InstanceProfileName=ROLE, RoleName=ROLE)
        return {
            **ensure_target(endpoints, self.id, instance_profile_arn=profile["Arn"]),
            "role": ROLE,
        }

    def act(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        endpoints.client("ssm", "attacker").start_session(Target=prerequisites["instance_id"])

    def dispose(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        delete_target(endpoints, prerequisites, self.id)
        iam = endpoints.client("iam", "harness")
        with missing_ok("NoSuchEntity"):
            iam.remove_role_from_instance_profile(InstanceProfileName=ROLE, RoleName=ROLE)
        with missing_ok("NoSuchEntity"):
            iam.delete_instance_profile(InstanceProfileName=ROLE)
        delete_role(iam, ROLE)


TECHNIQUE = SsmStartSession
