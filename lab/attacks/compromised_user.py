"""Techniques made with the attacker's stolen credentials whose effect is the access itself (reading
secrets, enumerating, starting sessions): nothing is left in the account to undo, so what counts as
remediated is the containment AWS documents for compromised credentials, read back: the user
quarantined with the AWS managed policy ``AWSCompromisedKeyQuarantineV3`` (IAM User Guide,
"AWS managed policies ... AWSCompromisedKeyQuarantineV3"; GuardDuty User Guide, "Remediating
potentially compromised AWS credentials").
"""

from __future__ import annotations

from typing import Any

from lab.attacks.base import Prerequisites, Technique
from lab.attacks.iam_user import attached_policy_arns, delete_user, ensure_user
from lab.attacks.resources import TECHNIQUE_TAG_KEY, lab_tags, missing_ok
from lab.attacks.target_instance import delete_target, ensure_target
from lab.emulator.actors import actor
from lab.emulator.endpoints import Endpoints

QUARANTINE_POLICY_ARN = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3"


def attacker_user() -> str:
    """The IAM user whose access keys the attacker holds (the ``attacker`` actor)."""
    return actor("attacker").user_name


def quarantined(iam: Any, user_name: str) -> bool:
    return QUARANTINE_POLICY_ARN in attached_policy_arns(iam, user_name)


class CompromisedUserActivity(Technique):
    """Warm-up: the attacker's user exists (lab-tagged) with whatever ``prepare`` makes; detonation
    marks the access as going on and makes the calls (``act``); ``revert``: the attacker stops and the
    quarantine is lifted so the next trial starts the same."""

    def prepare(self, endpoints: Endpoints) -> Prerequisites:
        """Create the targets of the access (lab-tagged), as the harness; return their ids."""
        return {}

    def act(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        raise NotImplementedError

    def dispose(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        """Delete what ``prepare`` made."""

    def warm_up(self, endpoints: Endpoints) -> Prerequisites:
        iam = endpoints.client("iam", "harness")
        user = attacker_user()
        ensure_user(iam, user, self.id)
        iam.tag_user(UserName=user, Tags=lab_tags(self.id))  # the last technique to warm up owns it
        prerequisites = {"user": user, **self.prepare(endpoints)}
        self.revert(endpoints, prerequisites)
        return prerequisites

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        prerequisites["active"] = True
        self.act(endpoints, prerequisites)

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        """The attacker stopped, or their user is quarantined."""
        if not prerequisites.get("active"):
            return True
        return quarantined(endpoints.client("iam", "observer"), prerequisites["user"])

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        prerequisites["active"] = False
        with missing_ok("NoSuchEntity"):
            endpoints.client("iam", "harness").detach_user_policy(
                UserName=prerequisites["user"], PolicyArn=QUARANTINE_POLICY_ARN
            )

    def cleanup(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        self.dispose(endpoints, prerequisites)
        iam = endpoints.client("iam", "harness")
        with missing_ok("NoSuchEntity"):
            tags = iam.list_user_tags(UserName=prerequisites["user"])["Tags"]
            if {"Key": TECHNIQUE_TAG_KEY, "Value": self.id} in tags:
                delete_user(iam, prerequisites["user"])


class CompromisedUserOnInstance(CompromisedUserActivity):
    """The access reaches a lab instance (its password data, user data, a command or a key)."""

    def prepare(self, endpoints: Endpoints) -> Prerequisites:
        return ensure_target(endpoints, self.id)

    def dispose(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        delete_target(endpoints, prerequisites, self.id)
