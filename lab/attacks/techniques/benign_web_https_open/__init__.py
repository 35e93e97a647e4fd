"""benign-web-https-open: the IT administrator opens HTTPS (tcp/443) to the Internet on a web
server's security group."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from lab.attacks.base import Prerequisites
from lab.attacks.benign import ADMIN
from lab.attacks.security_group import WorldOpenIngress
from lab.emulator.endpoints import Endpoints
from lab.engines.posture import WORLD_V4


class BenignWebHttpsOpen(WorldOpenIngress):
    """Warm-up, revert and cleanup as the open-ingress techniques' (a lab group, no open rule)."""

    folder = Path(__file__).parent
    GROUP_NAME = "lab-web-server"
    PERMISSION: ClassVar[dict[str, Any]] = {
        "IpProtocol": "tcp",
        "FromPort": 443,
        "ToPort": 443,
        "IpRanges": [{"CidrIp": WORLD_V4, "Description": "HTTPS from the Internet"}],
    }
    PORT = 443

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        endpoints.client("ec2", ADMIN).authorize_security_group_ingress(
            GroupId=prerequisites["group_id"], IpPermissions=[self.PERMISSION]
        )

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        """Broken: the web server no longer answers HTTPS from the Internet (the rule is gone)."""
        return super().is_remediated(endpoints, prerequisites)


TECHNIQUE = BenignWebHttpsOpen
