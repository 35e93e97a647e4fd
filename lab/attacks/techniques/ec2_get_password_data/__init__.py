"""ec2-get-password-data: read the Windows administrator password data of instances (T1552)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites
from lab.attacks.compromised_user import CompromisedUserActivity
from lab.attacks.target_instance import delete_target, ensure_target
from lab.emulator.endpoints import Endpoints


class Ec2GetPasswordData(CompromisedUserActivity):
    folder = Path(__file__).parent

    def prepare(self, endpoints: Endpoints) -> Prerequisites:
        return ensure_target(endpoints, self.id)

    def act(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        ec2 = endpoints.client("ec2", "attacker")
        for reservation in ec2.describe_instances()["Reservations"]:
            for instance in reservation["Instances"]:
                ec2.get_password_data(InstanceId=instance["InstanceId"])

    def dispose(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        delete_target(endpoints, prerequisites, self.id)


TECHNIQUE = Ec2GetPasswordData
