"""ec2-get-user-data: read the user data of every instance, where secrets are often left (T1552.005)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites
from lab.attacks.compromised_user import CompromisedUserOnInstance
from lab.emulator.endpoints import Endpoints


class Ec2GetUserData(CompromisedUserOnInstance):
    folder = Path(__file__).parent

    def act(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        ec2 = endpoints.client("ec2", "attacker")
        for reservation in ec2.describe_instances()["Reservations"]:
            for instance in reservation["Instances"]:
                ec2.describe_instance_attribute(
                    InstanceId=instance["InstanceId"], Attribute="userData"
                )


TECHNIQUE = Ec2GetUserData
