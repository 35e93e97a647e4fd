"""instance-credential-exfiltration: an instance role's credentials used from outside AWS
(T1552.005)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks import real_activity
from lab.attacks.base import Prerequisites
from lab.attacks.iam_role import delete_instance_profile, ensure_instance_profile
from lab.attacks.resources import missing_ok
from lab.attacks.target_instance import InstanceActivityTechnique, delete_target, ensure_target
from lab.emulator.endpoints import Endpoints

ROLE = "lab-target-instance-role"
# The console's "Revoke active sessions" writes this inline policy (IAM user guide).
REVOKE_POLICY = "AWSRevokeOlderSessions"


class InstanceCredentialExfiltration(InstanceActivityTechnique):
    folder = Path(__file__).parent

    def warm_up(self, endpoints: Endpoints) -> Prerequisites:
        """An instance role and profile (read-only S3 access) and an instance that uses them."""
        profile_arn = ensure_instance_profile(
            endpoints.client("iam", "harness"),
            ROLE,
            self.id,
            "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
            *real_activity.target_profile_needs(endpoints),
        )
        prerequisites = ensure_target(endpoints, self.id, instance_profile_arn=profile_arn)
        prerequisites["role"] = ROLE
        self.revert(endpoints, prerequisites)
        return prerequisites

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        """The stolen session, from the attacker's address: who am I, what can I read. On a real
        account the credentials are read from the instance's metadata and used from here."""
        prerequisites["active"] = True
        if not endpoints.emulated:
            credentials = real_activity.stolen_credentials(endpoints, prerequisites["instance_id"])
            real_activity.use_stolen_credentials(endpoints, credentials)
            return
        endpoints.client("sts", "stolen-instance-role").get_caller_identity()
        endpoints.client("s3", "stolen-instance-role").list_buckets()
        endpoints.client("ec2", "stolen-instance-role").describe_instances()

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        """The attacker stopped, or the role's sessions were revoked, or the instance contained."""
        if not prerequisites.get("active"):
            return True
        names = endpoints.client("iam", "observer").list_role_policies(
            RoleName=prerequisites["role"]
        )["PolicyNames"]
        return REVOKE_POLICY in names

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        super().revert(endpoints, prerequisites)
        with missing_ok("NoSuchEntity"):
            endpoints.client("iam", "harness").delete_role_policy(
                RoleName=prerequisites["role"], PolicyName=REVOKE_POLICY
            )

    def cleanup(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        delete_target(endpoints, prerequisites, self.id)
        delete_instance_profile(endpoints.client("iam", "harness"), ROLE)


TECHNIQUE = InstanceCredentialExfiltration
