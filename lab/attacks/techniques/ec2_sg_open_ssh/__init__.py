"""ec2-sg-open-ssh: a security group opened to the Internet on tcp/22 (T1562.007)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from lab.attacks.security_group import WorldOpenIngress
from lab.engines.posture import WORLD_V4


class Ec2SgOpenSsh(WorldOpenIngress):
    folder = Path(__file__).parent
    GROUP_NAME = "lab-target-ssh"
    PERMISSION: ClassVar[dict[str, Any]] = {
        "IpProtocol": "tcp",
        "FromPort": 22,
        "ToPort": 22,
        "IpRanges": [{"CidrIp": WORLD_V4}],
    }
    PORT = 22


TECHNIQUE = Ec2SgOpenSsh
