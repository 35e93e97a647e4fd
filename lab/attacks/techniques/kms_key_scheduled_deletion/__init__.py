"""kms-key-scheduled-deletion: a customer managed key scheduled for deletion (T1485)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites, Technique
from lab.attacks.resources import lab_tags
from lab.emulator.compat.kms import KMS_WAITING_PERIOD_OVER_PATH
from lab.emulator.endpoints import Endpoints


class KmsKeyScheduledDeletion(Technique):
    folder = Path(__file__).parent

    def warm_up(self, endpoints: Endpoints) -> Prerequisites:
        """A lab-tagged symmetric key, enabled (reused if an earlier run left one)."""
        kms = endpoints.client("kms", "harness")
        tags = [{"TagKey": t["Key"], "TagValue": t["Value"]} for t in lab_tags(self.id)]
        for key in kms.list_keys()["Keys"]:
            key_tags = kms.list_resource_tags(KeyId=key["KeyId"]).get("Tags", [])
            state = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"]
            if tags[1] in key_tags and state in ("Enabled", "Disabled", "PendingDeletion"):
                prerequisites = {"key_id": key["KeyId"]}
                self.revert(endpoints, prerequisites)
                return prerequisites
        key_id = kms.create_key(Description=f"Lab target of {self.id}", Tags=tags)["KeyMetadata"][
            "KeyId"
        ]
        return {"key_id": key_id}

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        endpoints.client("kms", "attacker").schedule_key_deletion(
            KeyId=prerequisites["key_id"], PendingWindowInDays=7
        )

    def _state(self, endpoints: Endpoints, key_id: str) -> str:
        return endpoints.client("kms", "observer").describe_key(KeyId=key_id)["KeyMetadata"][
            "KeyState"
        ]

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        return self._state(endpoints, prerequisites["key_id"]) == "Enabled"

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        """Cancel the deletion; a cancelled key comes back disabled, so enable it too."""
        kms = endpoints.client("kms", "harness")
        if self._state(endpoints, prerequisites["key_id"]) == "PendingDeletion":
            kms.cancel_key_deletion(KeyId=prerequisites["key_id"])
        kms.enable_key(KeyId=prerequisites["key_id"])

    def cleanup(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        """Schedule the key's deletion (KMS's shortest window, 7 days). In the emulated account the
        waiting period then ends at once: a key left pending deletion would be a finding in every
        later trial on the account (the manual detector alerts on it), so the techniques run after
        this one would not start from the same account as when run alone."""
        key_id = prerequisites["key_id"]
        if self._state(endpoints, key_id) != "PendingDeletion":
            endpoints.client("kms", "harness").schedule_key_deletion(
                KeyId=key_id, PendingWindowInDays=7
            )
        if endpoints.emulated and endpoints.url:
            endpoints.post_lab_route(
                f"{KMS_WAITING_PERIOD_OVER_PATH}/{endpoints.account_id()}/{endpoints.region}/{key_id}"
            )


TECHNIQUE = KmsKeyScheduledDeletion
