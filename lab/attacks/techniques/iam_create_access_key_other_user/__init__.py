"""iam-create-access-key-other-user: an access key created for somebody else's user (T1098.001)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites, Technique
from lab.attacks.iam_user import active_key_ids, delete_user, ensure_user
from lab.emulator.endpoints import Endpoints

USER_NAME = "lab-target-developer"


class IamCreateAccessKeyOtherUser(Technique):
    folder = Path(__file__).parent

    def warm_up(self, endpoints: Endpoints) -> Prerequisites:
        """A lab user with no access key."""
        ensure_user(endpoints.client("iam", "harness"), USER_NAME, self.id)
        prerequisites = {"user": USER_NAME}
        self.revert(endpoints, prerequisites)
        return prerequisites

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        endpoints.client("iam", "attacker").create_access_key(UserName=prerequisites["user"])

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        """The user had no key before the attack: any active key is the attacker's."""
        return not active_key_ids(endpoints.client("iam", "observer"), prerequisites["user"])

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        iam = endpoints.client("iam", "harness")
        for key in iam.list_access_keys(UserName=prerequisites["user"])["AccessKeyMetadata"]:
            iam.delete_access_key(UserName=prerequisites["user"], AccessKeyId=key["AccessKeyId"])

    def cleanup(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        delete_user(endpoints.client("iam", "harness"), prerequisites["user"])


TECHNIQUE = IamCreateAccessKeyOtherUser
