"""ssm-start-session: open Session Manager shells on instances (T1651)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites
from lab.attacks.compromised_user import CompromisedUserActivity
from lab.attacks.iam_role import delete_instance_profile, ensure_instance_profile
from lab.attacks.target_instance import delete_target, ensure_target
from lab.emulator.compat.ssm import MANAGED_INSTANCE_POLICY_ARN
from lab.emulator.endpoints import Endpoints

ROLE = "lab-target-managed-instance"


class SsmStartSession(CompromisedUserActivity):
    folder = Path(__file__).parent

    def prepare(self, endpoints: Endpoints) -> Prerequisites:
        """A managed instance: its role lets the SSM Agent (preinstalled on Amazon Linux 2023)
        register, so Session Manager can reach it."""
        profile_arn = ensure_instance_profile(
            endpoints.client("iam", "harness"), ROLE, self.id, MANAGED_INSTANCE_POLICY_ARN
        )
        return {**ensure_target(endpoints, self.id, instance_profile_arn=profile_arn), "role": ROLE}

    def act(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        endpoints.client("ssm", "attacker").start_session(Target=prerequisites["instance_id"])

    def dispose(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        delete_target(endpoints, prerequisites, self.id)
        delete_instance_profile(endpoints.client("iam", "harness"), ROLE)


TECHNIQUE = SsmStartSession
