"""benign-share-snapshot-partner: the IT administrator shares an EBS snapshot with a partner's
account."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites, Technique
from lab.attacks.benign import ADMIN, PARTNER_ACCOUNT, tag_routine_ec2, untag_routine_ec2
from lab.attacks.ebs_snapshot import ensure_volume_snapshot
from lab.attacks.resources import missing_ok
from lab.emulator.endpoints import Endpoints


class BenignShareSnapshotPartner(Technique):
    folder = Path(__file__).parent

    def warm_up(self, endpoints: Endpoints) -> Prerequisites:
        """A 1 GiB encrypted lab volume and a private snapshot of it (reused if an earlier run left
        them). Encrypted with the account's default EBS key, as ebs-snapshot-made-public's: on AWS a
        share with another account needs a customer managed key shared with it too, which the lab
        leaves out (deleting such a key at cleanup would raise the KMS detectors in the next
        trial; an unencrypted volume would raise the unencrypted-volume ones in this one)."""
        return ensure_volume_snapshot(
            endpoints, self.id, "Data set for the partner (lab benign action)", self.revert
        )

    def _granted(self, endpoints: Endpoints, prerequisites: Prerequisites) -> list[dict[str, str]]:
        with missing_ok("InvalidSnapshot.NotFound"):
            return endpoints.client("ec2", "observer").describe_snapshot_attribute(
                SnapshotId=prerequisites["snapshot_id"], Attribute="createVolumePermission"
            )["CreateVolumePermissions"]
        return []

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        ec2 = endpoints.client("ec2", ADMIN)
        tag_routine_ec2(ec2, prerequisites["snapshot_id"], "ModifySnapshotAttribute")
        ec2.modify_snapshot_attribute(
            SnapshotId=prerequisites["snapshot_id"],
            Attribute="createVolumePermission",
            OperationType="add",
            UserIds=[PARTNER_ACCOUNT],
        )

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        """Broken: the partner can no longer create a volume from the snapshot."""
        return {"UserId": PARTNER_ACCOUNT} not in self._granted(endpoints, prerequisites)

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        """Every share of the snapshot removed (the partner's, and any other), and its
        allow-list tag."""
        ec2 = endpoints.client("ec2", "harness")
        with missing_ok("InvalidSnapshot.NotFound"):
            untag_routine_ec2(ec2, prerequisites["snapshot_id"])
        for permission in self._granted(endpoints, prerequisites):
            kind = {"UserIds": [permission["UserId"]]} if "UserId" in permission else None
            kind = kind or {"GroupNames": [permission["Group"]]}
            ec2.modify_snapshot_attribute(
                SnapshotId=prerequisites["snapshot_id"],
                Attribute="createVolumePermission",
                OperationType="remove",
                **kind,
            )

    def cleanup(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        ec2 = endpoints.client("ec2", "harness")
        with missing_ok("InvalidSnapshot.NotFound"):
            ec2.delete_snapshot(SnapshotId=prerequisites["snapshot_id"])
        with missing_ok("InvalidVolume.NotFound"):
            ec2.delete_volume(VolumeId=prerequisites["volume_id"])


TECHNIQUE = BenignShareSnapshotPartner
