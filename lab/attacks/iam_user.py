"""IAM users the lab creates as targets, and how to delete one completely."""

from __future__ import annotations

from typing import Any, ClassVar

from lab.attacks.base import Prerequisites, Technique
from lab.attacks.resources import boundary, lab_tags, missing_ok
from lab.emulator.endpoints import Endpoints

ADMIN_POLICY_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"


def ensure_user(iam: Any, user_name: str, technique_id: str) -> None:
    with missing_ok("EntityAlreadyExists"):
        iam.create_user(UserName=user_name, Tags=lab_tags(technique_id), **boundary())


def attached_policy_arns(iam: Any, user_name: str) -> list[str]:
    with missing_ok("NoSuchEntity"):
        policies = iam.list_attached_user_policies(UserName=user_name)["AttachedPolicies"]
        return [p["PolicyArn"] for p in policies]
    return []


def active_key_ids(iam: Any, user_name: str) -> list[str]:
    with missing_ok("NoSuchEntity"):
        keys = iam.list_access_keys(UserName=user_name)["AccessKeyMetadata"]
        return [k["AccessKeyId"] for k in keys if k["Status"] == "Active"]
    return []


def user_exists(iam: Any, user_name: str) -> bool:
    with missing_ok("NoSuchEntity"):
        iam.get_user(UserName=user_name)
        return True
    return False


def delete_user(iam: Any, user_name: str) -> None:
    """Delete a user and everything that would block the delete (re-runnable)."""
    if not user_exists(iam, user_name):
        return
    for arn in attached_policy_arns(iam, user_name):
        iam.detach_user_policy(UserName=user_name, PolicyArn=arn)
    for name in iam.list_user_policies(UserName=user_name)["PolicyNames"]:
        iam.delete_user_policy(UserName=user_name, PolicyName=name)
    for key in iam.list_access_keys(UserName=user_name)["AccessKeyMetadata"]:
        iam.delete_access_key(UserName=user_name, AccessKeyId=key["AccessKeyId"])
    with missing_ok("NoSuchEntity"):
        iam.delete_login_profile(UserName=user_name)
    for group in iam.list_groups_for_user(UserName=user_name)["Groups"]:
        iam.remove_user_from_group(GroupName=group["GroupName"], UserName=user_name)
    iam.delete_user(UserName=user_name)


class LabUserTechnique(Technique):
    """Warm-up: a lab-tagged IAM user ``USER_NAME`` in its clean state; cleanup deletes it."""

    USER_NAME: ClassVar[str]

    def warm_up(self, endpoints: Endpoints) -> Prerequisites:
        ensure_user(endpoints.client("iam", "harness"), self.USER_NAME, self.id)
        prerequisites = {"user": self.USER_NAME}
        self.revert(endpoints, prerequisites)
        return prerequisites

    def cleanup(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        delete_user(endpoints.client("iam", "harness"), prerequisites["user"])
