"""ec2-crypto-mining-dns: an instance resolving cryptocurrency mining pool domains (T1496)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.target_instance import InstanceActivityTechnique


class Ec2CryptoMiningDns(InstanceActivityTechnique):
    folder = Path(__file__).parent


TECHNIQUE = Ec2CryptoMiningDns
