"""Named principals that act on the account, so every recorded call says who made it.

Each client the harness hands out (Terraform, the manual baseline's CLI, the attacker, the operator,
the harness's own observer) signs with its own access key; the recorder maps the key back to the
actor. The table lives in ``actors.yaml`` beside this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

ACTORS_FILE = Path(__file__).with_name("actors.yaml")
DEFAULT_ACCOUNT_ID = "123456789012"


@dataclass(frozen=True)
class Actor:
    """A principal of the emulated account with its credentials and the address it calls from."""

    name: str
    access_key_id: str
    secret_access_key: str
    user_name: str
    source_ip: str
    observer: bool = False
    identity_type: str = "IAMUser"  # or "Root", or "AssumedRole" (user_name is role/session)

    def arn(self, account_id: str = DEFAULT_ACCOUNT_ID) -> str:
        if self.identity_type == "Root":
            return f"arn:aws:iam::{account_id}:root"
        if self.identity_type == "AssumedRole":
            return f"arn:aws:sts::{account_id}:assumed-role/{self.user_name}"
        return f"arn:aws:iam::{account_id}:user/{self.user_name}"

    def user_identity(self, account_id: str = DEFAULT_ACCOUNT_ID) -> dict[str, object]:
        """The CloudTrail ``userIdentity`` block of a call this actor makes."""
        identity: dict[str, object] = {
            "type": self.identity_type,
            "principalId": self.access_key_id.replace("AKIA", "AIDA").replace("ASIA", "AROA"),
            "arn": self.arn(account_id),
            "accountId": account_id,
            "accessKeyId": self.access_key_id,
        }
        if self.identity_type == "IAMUser":
            identity["userName"] = self.user_name
        elif self.identity_type == "Root":
            identity["principalId"] = account_id
        else:
            role, _, session = self.user_name.partition("/")
            # CloudTrail: a role session's principalId is the role's id and the session name.
            identity["principalId"] = f"{identity['principalId']}:{session}"
            identity["sessionContext"] = {
                "sessionIssuer": {
                    "type": "Role",
                    "arn": f"arn:aws:iam::{account_id}:role/{role}",
                    "accountId": account_id,
                    "userName": role,
                },
                "attributes": {"mfaAuthenticated": "false"},
            }
        return identity


@cache
def actors() -> dict[str, Actor]:
    """All actors by name, loaded from the data file."""
    raw = yaml.safe_load(ACTORS_FILE.read_text())
    return {name: Actor(name=name, **fields) for name, fields in raw["actors"].items()}


def actor(name: str) -> Actor:
    """One actor by name; unknown names are an error that lists the known ones."""
    table = actors()
    if name not in table:
        raise KeyError(f"unknown actor {name!r}; known: {', '.join(sorted(table))}")
    return table[name]


def actor_for_key(access_key_id: str) -> Actor | None:
    """The actor that signs with this access key, if any."""
    return next((a for a in actors().values() if a.access_key_id == access_key_id), None)
