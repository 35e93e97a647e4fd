"""ebs-unencrypted-volume: an unencrypted EBS volume created against policy (T1578.005)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites, Technique
from lab.attacks.resources import find_tagged, missing_ok, tag_specifications
from lab.emulator.endpoints import Endpoints


class EbsUnencryptedVolume(Technique):
    folder = Path(__file__).parent

    def warm_up(self, endpoints: Endpoints) -> Prerequisites:
        """Nothing to create; volumes an earlier run left are deleted."""
        prerequisites: Prerequisites = {}
        self.revert(endpoints, prerequisites)
        return prerequisites

    def _unencrypted(self, endpoints: Endpoints) -> list[str]:
        volumes = find_tagged(
            endpoints.client("ec2", "observer"), "describe_volumes", "Volumes", self.id
        )
        return [v["VolumeId"] for v in volumes if not v.get("Encrypted")]

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        endpoints.client("ec2", "attacker").create_volume(
            AvailabilityZone=f"{endpoints.region}a",
            Size=8,
            Encrypted=False,
            TagSpecifications=tag_specifications("volume", self.id),
        )

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        return not self._unencrypted(endpoints)

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        ec2 = endpoints.client("ec2", "harness")
        for volume_id in self._unencrypted(endpoints):
            with missing_ok("InvalidVolume.NotFound"):
                ec2.delete_volume(VolumeId=volume_id)

    def cleanup(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        self.revert(endpoints, prerequisites)


TECHNIQUE = EbsUnencryptedVolume
