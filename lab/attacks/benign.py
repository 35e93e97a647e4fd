"""What the benign actions share: who makes the legitimate changes, and the partner they share with.

A benign action (``kind: benign``) is a technique folder whose ``detonate`` is legitimate work by
the company's own people, and whose ``is_remediated`` answers "was the legitimate work broken?"
(undone, its user or identity quarantined, its keys deactivated, its share removed), read back from
the account. A "remediated" benign trial is a harmful fix; a "detected" one a false alert.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from lab.attacks.iam_user import attached_policy_arns, user_exists

ADMIN = "admin"  # the company's IT administrator (actors.yaml)
CI = "ci"  # the company's CI system, an IAM user (actors.yaml)
# The partner company's AWS account (the account id AWS's documentation uses in its examples; not
# the attacker's account, lab.attacks.iam_role.EXTERNAL_ACCOUNT).
PARTNER_ACCOUNT = "444455556666"
QUARANTINE_POLICY_ARN = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3"
# The allow-list a security engineer keeps for legitimate changes: this tag on the principal or the
# resource names the CloudTrail events that are routine for it (space-separated, or "*"). The
# serverless orchestrator (terraform/functions/respond/handler.py) and the person's runbooks
# (cli-baseline/runbooks/lib/allow-list.sh) both leave what it names alone. An attacker who may tag
# can set it too: the allow-list is as strong as the right to tag.
ALLOW_TAG = "lab:allowed-changes"
_ALLOW_LIST: ContextVar[bool] = ContextVar("lab_allow_list", default=False)


@contextmanager
def allow_list_kept(enabled: bool) -> Iterator[None]:
    """Within the block, the company keeps its allow-list: ``allowed_changes`` gives the tag."""
    token = _ALLOW_LIST.set(enabled)
    try:
        yield
    finally:
        _ALLOW_LIST.reset(token)


def allowed_changes(*event_names: str) -> list[dict[str, str]]:
    """The allow-list tag naming ``event_names``, when the company keeps one (else no tag)."""
    return [{"Key": ALLOW_TAG, "Value": " ".join(event_names)}] if _ALLOW_LIST.get() else []


def user_cut_off(iam: Any, user_name: str) -> bool:
    """Is an IAM user the company relies on gone or quarantined (denied everything)?"""
    return not user_exists(iam, user_name) or QUARANTINE_POLICY_ARN in attached_policy_arns(
        iam, user_name
    )


def tag_routine_ec2(ec2: Any, resource_id: str, *event_names: str) -> None:
    """The administrator puts the allow-list tag on an image or snapshot before the routine change
    (nothing when the company keeps no allow-list)."""
    tags = allowed_changes(*event_names)
    if tags:
        ec2.create_tags(Resources=[resource_id], Tags=tags)


def untag_routine_ec2(ec2: Any, resource_id: str) -> None:
    """The allow-list tag removed (a revert: the next trial starts without it)."""
    ec2.delete_tags(Resources=[resource_id], Tags=[{"Key": ALLOW_TAG}])
