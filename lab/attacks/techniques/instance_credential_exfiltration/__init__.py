"""instance-credential-exfiltration: an instance role's credentials used from outside AWS
(T1552.005)."""

from __future__ import annotations

import json
from pathlib import Path

from lab.attacks.base import Prerequisites
from lab.attacks.resources import lab_tags, missing_ok
from lab.attacks.target_instance import InstanceActivityTechnique, delete_target, ensure_target
from lab.emulator.endpoints import Endpoints

ROLE = "lab-target-instance-role"
EC2_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
# The console's "Revoke active sessions" writes this inline policy (IAM user guide).
REVOKE_POLICY = "AWSRevokeOlderSessions"


class InstanceCredentialExfiltration(InstanceActivityTechnique):
    folder = Path(__file__).parent

    def warm_up(self, endpoints: Endpoints) -> Prerequisites:
        """An instance role and profile (read-only S3 access) and an instance that uses them."""
        iam = endpoints.client("iam", "harness")
        with missing_ok("EntityAlreadyExists"):
            iam.create_role(
                RoleName=ROLE,
                AssumeRolePolicyDocument=json.dumps(EC2_TRUST),
                Tags=lab_tags(self.id),
            )
        iam.attach_role_policy(
            RoleName=ROLE, PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
        )
        with missing_ok("EntityAlreadyExists"):
            iam.create_instance_profile(InstanceProfileName=ROLE, Tags=lab_tags(self.id))
        profile = iam.get_instance_profile(InstanceProfileName=ROLE)["InstanceProfile"]
        if not profile["Roles"]:
            iam.add_role_to_instance_profile(InstanceProfileName=ROLE, RoleName=ROLE)
        prerequisites = ensure_target(endpoints, self.id, instance_profile_arn=profile["Arn"])
        prerequisites["role"] = ROLE
        self.revert(endpoints, prerequisites)
        return prerequisites

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        """The stolen session, from the attacker's address: who am I, what can I read."""
        prerequisites["active"] = True
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
        iam = endpoints.client("iam", "harness")
        with missing_ok("NoSuchEntity"):
            iam.remove_role_from_instance_profile(InstanceProfileName=ROLE, RoleName=ROLE)
        with missing_ok("NoSuchEntity"):
            iam.delete_instance_profile(InstanceProfileName=ROLE)
        with missing_ok("NoSuchEntity"):
            for name in iam.list_role_policies(RoleName=ROLE)["PolicyNames"]:
                iam.delete_role_policy(RoleName=ROLE, PolicyName=name)
            for policy in iam.list_attached_role_policies(RoleName=ROLE)["AttachedPolicies"]:
                iam.detach_role_policy(RoleName=ROLE, PolicyArn=policy["PolicyArn"])
            iam.delete_role(RoleName=ROLE)


TECHNIQUE = InstanceCredentialExfiltration
