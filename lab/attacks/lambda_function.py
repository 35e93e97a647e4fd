"""Techniques whose target is a lab-owned Lambda function (and its execution role)."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from lab.attacks.base import Prerequisites, Technique
from lab.attacks.iam_role import LAMBDA_TRUST, delete_role
from lab.attacks.resources import boundary, delete_bucket, lab_tags, missing_ok, tag_map
from lab.attacks.s3_bucket import ensure_private_bucket
from lab.emulator.endpoints import Endpoints

FUNCTION = "lab-target-function"
ROLE = "lab-target-function-role"
ORIGINAL_CODE = "def handler(event, context):\n    return {'status': 'ok'}\n"
# The deployment pipeline's artefact: the package it deploys, kept in its bucket (as SAM, CodeDeploy
# and Terraform deploy a function from S3); the function's known-good code to deploy again.
PACKAGE_KEY = "lab-target-function/package.zip"


def zipped(source: str) -> bytes:
    """A deployment package holding ``index.py`` (built in Python: no archive provider here)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("index.py", date_time=(2026, 1, 1, 0, 0, 0))
        archive.writestr(info, source)
    return buffer.getvalue()


def function_configuration(client: Any, name: str) -> dict[str, Any] | None:
    with missing_ok("ResourceNotFoundException"):
        return client.get_function_configuration(FunctionName=name)
    return None


def function_policy(client: Any, name: str) -> dict[str, Any]:
    with missing_ok("ResourceNotFoundException"):
        return json.loads(client.get_policy(FunctionName=name)["Policy"])
    return {"Statement": []}


def deploy_package(endpoints: Endpoints, prerequisites: Prerequisites) -> None:
    """The pipeline deploys the function's package from its bucket again (the harness's revert)."""
    endpoints.client("lambda", "harness").update_function_code(
        FunctionName=prerequisites["function"],
        S3Bucket=prerequisites["artifact_bucket"],
        S3Key=PACKAGE_KEY,
    )


class LabFunctionTechnique(Technique):
    """Warm-up: a lab-tagged function with its role, deployed from the pipeline's artefact bucket,
    in its original state (reused if it exists)."""

    def warm_up(self, endpoints: Endpoints) -> Prerequisites:
        artifact_bucket = ensure_private_bucket(endpoints, "target-function-artifacts", self.id)
        endpoints.client("s3", "harness").put_object(
            Bucket=artifact_bucket, Key=PACKAGE_KEY, Body=zipped(ORIGINAL_CODE)
        )
        iam = endpoints.client("iam", "harness")
        with missing_ok("EntityAlreadyExists"):
            iam.create_role(
                RoleName=ROLE,
                AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST),
                Tags=lab_tags(self.id),
                **boundary(),
            )
        role_arn = iam.get_role(RoleName=ROLE)["Role"]["Arn"]
        client = endpoints.client("lambda", "harness")
        if function_configuration(client, FUNCTION) is None:
            client.create_function(
                FunctionName=FUNCTION,
                Runtime="python3.12",
                Role=role_arn,
                Handler="index.handler",
                Code={"S3Bucket": artifact_bucket, "S3Key": PACKAGE_KEY},
                Tags=tag_map(self.id),
            )
        configuration = function_configuration(client, FUNCTION) or {}
        prerequisites = {
            "function": FUNCTION,
            "role": ROLE,
            "artifact_bucket": artifact_bucket,
            "code_sha256": configuration.get("CodeSha256"),
        }
        self.revert(endpoints, prerequisites)
        return prerequisites

    def cleanup(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        with missing_ok("ResourceNotFoundException"):
            endpoints.client("lambda", "harness").delete_function(
                FunctionName=prerequisites["function"]
            )
        delete_role(endpoints.client("iam", "harness"), prerequisites["role"])
        delete_bucket(endpoints.client("s3", "harness"), prerequisites["artifact_bucket"])
