"""ec2-enumerate-from-instance: the discovery burst an attacker runs first (T1580)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites
from lab.attacks.compromised_user import CompromisedUserActivity
from lab.emulator.endpoints import Endpoints


class Ec2EnumerateFromInstance(CompromisedUserActivity):
    folder = Path(__file__).parent

    def act(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        endpoints.client("sts", "attacker").get_caller_identity()
        ec2 = endpoints.client("ec2", "attacker")
        ec2.describe_instances()
        ec2.describe_vpcs()
        ec2.describe_security_groups()
        ec2.describe_snapshots(OwnerIds=["self"])
        ec2.describe_volumes()
        iam = endpoints.client("iam", "attacker")
        iam.list_roles()
        iam.list_users()


TECHNIQUE = Ec2EnumerateFromInstance
