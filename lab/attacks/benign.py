"""What the benign actions share: who makes the legitimate changes, and the partner they share with.

A benign action (``kind: benign``) is a technique folder whose ``detonate`` is legitimate work by
the company's own people, and whose ``is_remediated`` answers "was the legitimate work broken?"
(undone, its user or identity quarantined, its keys deactivated, its share removed), read back from
the account. A "remediated" benign trial is a harmful fix; a "detected" one a false alert.
"""

from __future__ import annotations

from typing import Any

from lab.attacks.iam_user import attached_policy_arns, user_exists

ADMIN = "admin"  # the company's IT administrator (actors.yaml)
CI = "ci"  # the company's CI system, an IAM user (actors.yaml)
# The partner company's AWS account (the account id AWS's documentation uses in its examples; not
# the attacker's account, lab.attacks.iam_role.EXTERNAL_ACCOUNT).
PARTNER_ACCOUNT = "444455556666"
QUARANTINE_POLICY_ARN = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3"


def user_cut_off(iam: Any, user_name: str) -> bool:
    """Is an IAM user the company relies on gone or quarantined (denied everything)?"""
    return not user_exists(iam, user_name) or QUARANTINE_POLICY_ARN in attached_policy_arns(
        iam, user_name
    )
