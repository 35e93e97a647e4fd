"""secretsmanager-retrieve-secrets: list the account's secrets and read each one (T1555.006)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites
from lab.attacks.compromised_user import CompromisedUserActivity
from lab.attacks.resources import lab_tags, missing_ok
from lab.emulator.endpoints import Endpoints

SECRETS = ("lab/target/db-password", "lab/target/api-token", "lab/target/signing-key")


def ensure_secrets(endpoints: Endpoints, technique_id: str) -> list[str]:
    """The lab's target secrets (lab-tagged), by name."""
    client = endpoints.client("secretsmanager", "harness")
    for name in SECRETS:
        with missing_ok("ResourceExistsException"):
            client.create_secret(
                Name=name,
                SecretString=f"lab-fake-{name.rsplit('/', 1)[-1]}",
                Tags=lab_tags(technique_id),
            )
    return list(SECRETS)


def delete_secrets(endpoints: Endpoints, names: list[str]) -> None:
    client = endpoints.client("secretsmanager", "harness")
    for name in names:
        with missing_ok("ResourceNotFoundException"):
            client.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)


class SecretsManagerRetrieveSecrets(CompromisedUserActivity):
    folder = Path(__file__).parent

    def prepare(self, endpoints: Endpoints) -> Prerequisites:
        return {"secrets": ensure_secrets(endpoints, self.id)}

    def act(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        client = endpoints.client("secretsmanager", "attacker")
        for secret in client.list_secrets()["SecretList"]:
            client.get_secret_value(SecretId=secret["ARN"])

    def dispose(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        delete_secrets(endpoints, prerequisites["secrets"])


TECHNIQUE = SecretsManagerRetrieveSecrets
