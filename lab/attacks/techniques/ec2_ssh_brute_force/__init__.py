"""ec2-ssh-brute-force: password guessing against an instance's sshd (T1110)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites
from lab.attacks.target_instance import InstanceActivityTechnique, source_blocked
from lab.emulator.actors import actor
from lab.emulator.endpoints import Endpoints


class Ec2SshBruteForce(InstanceActivityTechnique):
    folder = Path(__file__).parent
    SSH_FROM = "203.0.113.0/24"  # the contractor network SSH is open to; the attacker is in it

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        # On a real account the attacker instance's address (lab.attacks.real_activity).
        source = prerequisites.get("attacker_ip") or actor("attacker").source_ip
        return not prerequisites.get("active") or source_blocked(
            endpoints, prerequisites, source, 22
        )


TECHNIQUE = Ec2SshBruteForce
