"""ec2-sg-open-all-ports: a security group opened to the Internet on every protocol and port."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from lab.attacks.security_group import WorldOpenIngress
from lab.engines.posture import WORLD_V4


class Ec2SgOpenAllPorts(WorldOpenIngress):
    folder = Path(__file__).parent
    GROUP_NAME = "lab-target-all-ports"
    PERMISSION: ClassVar[dict[str, Any]] = {"IpProtocol": "-1", "IpRanges": [{"CidrIp": WORLD_V4}]}
    PORT = None


TECHNIQUE = Ec2SgOpenAllPorts
