"""secretsmanager-batch-retrieve-secrets: read many secrets in one BatchGetSecretValue (T1555.006)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites
from lab.attacks.compromised_user import CompromisedUserActivity
from lab.attacks.techniques.secretsmanager_retrieve_secrets import delete_secrets, ensure_secrets
from lab.emulator.endpoints import Endpoints


class SecretsManagerBatchRetrieveSecrets(CompromisedUserActivity):
    folder = Path(__file__).parent

    def prepare(self, endpoints: Endpoints) -> Prerequisites:
        return {"secrets": ensure_secrets(endpoints, self.id)}

    def act(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        endpoints.client("secretsmanager", "attacker").batch_get_secret_value(
            SecretIdList=prerequisites["secrets"]
        )

    def dispose(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        delete_secrets(endpoints, prerequisites["secrets"])


TECHNIQUE = SecretsManagerBatchRetrieveSecrets
