"""iam-create-access-key-other-user: an access key created for somebody else's user (T1098.001)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites
from lab.attacks.iam_user import LabUserTechnique, active_key_ids
from lab.emulator.endpoints import Endpoints


class IamCreateAccessKeyOtherUser(LabUserTechnique):
    folder = Path(__file__).parent
    USER_NAME = "lab-target-developer"

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        endpoints.client("iam", "attacker").create_access_key(UserName=prerequisites["user"])

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        """The user had no key before the attack: any active key is the attacker's."""
        return not active_key_ids(endpoints.client("iam", "observer"), prerequisites["user"])

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        iam = endpoints.client("iam", "harness")
        for key in iam.list_access_keys(UserName=prerequisites["user"])["AccessKeyMetadata"]:
            iam.delete_access_key(UserName=prerequisites["user"], AccessKeyId=key["AccessKeyId"])


TECHNIQUE = IamCreateAccessKeyOtherUser
