"""ec2-port-scan: a compromised instance scanning other hosts (T1046)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.target_instance import InstanceActivityTechnique


class Ec2PortScan(InstanceActivityTechnique):
    folder = Path(__file__).parent


TECHNIQUE = Ec2PortScan
