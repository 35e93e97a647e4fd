"""A lab volume and a private snapshot of it: the prerequisite of the snapshot-sharing actions,
malicious (ebs-snapshot-made-public) and legitimate (benign-share-snapshot-partner)."""

from __future__ import annotations

from collections.abc import Callable

from lab.attacks.base import Prerequisites
from lab.attacks.resources import find_tagged, tag_specifications
from lab.emulator.endpoints import Endpoints

ZONE_SUFFIX = "a"


def ensure_volume_snapshot(
    endpoints: Endpoints,
    owner: str,
    description: str,
    revert: Callable[[Endpoints, Prerequisites], None],
) -> Prerequisites:
    """A 1 GiB encrypted volume tagged for ``owner`` and a snapshot of it, reused (and reverted
    with ``revert``) if an earlier run left them; their ids."""
    ec2 = endpoints.client("ec2", "harness")
    snapshots = find_tagged(ec2, "describe_snapshots", "Snapshots", owner)
    volumes = find_tagged(ec2, "describe_volumes", "Volumes", owner)
    if snapshots and volumes:
        prerequisites = {
            "volume_id": volumes[0]["VolumeId"],
            "snapshot_id": snapshots[0]["SnapshotId"],
        }
        revert(endpoints, prerequisites)
        return prerequisites
    volume_id = ec2.create_volume(
        AvailabilityZone=f"{endpoints.region}{ZONE_SUFFIX}",
        Size=1,
        Encrypted=True,
        TagSpecifications=tag_specifications("volume", owner),
    )["VolumeId"]
    snapshot_id = ec2.create_snapshot(
        VolumeId=volume_id,
        Description=description,
        TagSpecifications=tag_specifications("snapshot", owner),
    )["SnapshotId"]
    return {"volume_id": volume_id, "snapshot_id": snapshot_id}
