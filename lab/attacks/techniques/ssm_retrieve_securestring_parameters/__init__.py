"""ssm-retrieve-securestring-parameters: read SecureString parameters decrypted (T1552)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites
from lab.attacks.compromised_user import CompromisedUserActivity
from lab.attacks.resources import lab_tags, missing_ok
from lab.emulator.endpoints import Endpoints

PARAMETERS = ("/lab/target/db-password", "/lab/target/api-key", "/lab/target/smtp-password")


class SsmRetrieveSecureStringParameters(CompromisedUserActivity):
    folder = Path(__file__).parent

    def prepare(self, endpoints: Endpoints) -> Prerequisites:
        ssm = endpoints.client("ssm", "harness")
        for name in PARAMETERS:
            with missing_ok("ParameterAlreadyExists"):
                ssm.put_parameter(
                    Name=name, Value="lab-fake-value", Type="SecureString", Tags=lab_tags(self.id)
                )
        return {"parameters": list(PARAMETERS)}

    def act(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        ssm = endpoints.client("ssm", "attacker")
        names = [p["Name"] for p in ssm.describe_parameters()["Parameters"]]
        ssm.get_parameters(Names=names[:10], WithDecryption=True)

    def dispose(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        ssm = endpoints.client("ssm", "harness")
        with missing_ok("ParameterNotFound"):
            ssm.delete_parameters(Names=prerequisites["parameters"])


TECHNIQUE = SsmRetrieveSecureStringParameters
