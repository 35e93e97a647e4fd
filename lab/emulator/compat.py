"""Small compatibility patches for the moto gaps that Terraform, the stacks or the simulator hit.

This is the only module that patches moto. Each patch names the gap, what AWS documents, and is
covered by a test in ``tests/test_compat.py`` that talks to the emulator over HTTP. ``apply()`` is
idempotent.
"""

from __future__ import annotations

import json
from typing import Any

from moto.awslambda.models import LambdaFunction
from moto.cloudtrail.models import CloudTrailBackend
from moto.securityhub.models import SecurityHubBackend
from moto.securityhub.responses import SecurityHubResponse
from moto.stepfunctions.responses import StepFunctionResponse

_applied = False
# Base URLs of the running emulators in this process (moto's state is per process, so the newest
# one serves it); Lambda code locations point back at it (see below).
_base_urls: list[str] = []

LAMBDA_CODE_PATH = "/_lab/lambda-code"


def push_base_url(url: str) -> None:
    _base_urls.append(url.rstrip("/"))


def pop_base_url(url: str) -> None:
    if url.rstrip("/") in _base_urls:
        _base_urls.remove(url.rstrip("/"))


def apply() -> None:
    """Install every patch (once per process)."""
    global _applied
    if _applied:
        return
    _patch_cloudtrail_delete_trail_by_arn()
    _patch_lambda_code_location()
    _patch_sfn_validate_state_machine_definition()
    _patch_securityhub_update_configuration()
    _load_aws_managed_policies()
    _applied = True


def _load_aws_managed_policies() -> None:
    """A real account has the AWS managed policies (AdministratorAccess, ...); moto 5 leaves them
    out unless asked. Techniques and remediations attach and detach them by ARN."""
    from moto.core.config import default_user_config

    default_user_config.setdefault("iam", {})["load_aws_managed_policies"] = True


def _patch_cloudtrail_delete_trail_by_arn() -> None:
    """Gap: moto's DeleteTrail only looks the trail up by name; given the trail's ARN it silently
    deletes nothing. AWS accepts a name or an ARN (CloudTrail API, DeleteTrail ``Name``), and the
    Terraform AWS provider v5 uses the ARN as the trail's id, so ``terraform destroy`` left the
    trail behind (and it kept "logging")."""
    original = CloudTrailBackend.delete_trail

    def delete_trail(self: CloudTrailBackend, name: str) -> None:
        trail = self.get_trail(name)  # resolves names and ARNs, raises TrailNotFound like AWS
        original(self, trail.trail_name)

    CloudTrailBackend.delete_trail = delete_trail  # type: ignore[method-assign]


def _patch_lambda_code_location() -> None:
    """Gap: moto's GetFunction returns a ``Code.Location`` on a made-up S3 host that cannot be
    downloaded. AWS documents it as a pre-signed URL from which the deployment package can be
    downloaded (Lambda API, FunctionCodeLocation). The lab reads deployed code back that way, so
    the location points at this emulator, which serves the stored zip (see ``server.py``)."""
    original = LambdaFunction.get_code

    def get_code(self: LambdaFunction) -> dict[str, Any]:
        response = original(self)
        if response.get("Code", {}).get("RepositoryType") == "S3":
            response["Code"]["Location"] = (
                f"{_base_urls[-1] if _base_urls else 'http://127.0.0.1'}{LAMBDA_CODE_PATH}/{self.account_id}/{self.region}/"
                f"{self.function_name}"
            )
        return response

    LambdaFunction.get_code = get_code  # type: ignore[method-assign]


def _patch_sfn_validate_state_machine_definition() -> None:
    """Gap: ValidateStateMachineDefinition is not implemented (HTTP 500); the AWS provider calls it
    before creating a state machine and retries for minutes. This checks what the API documents as
    its first-level diagnostics: the definition is JSON with ``StartAt`` naming one of ``States``."""

    def validate_state_machine_definition(self: StepFunctionResponse) -> str:
        params = json.loads(self.body or "{}")
        diagnostics = []
        try:
            definition = json.loads(params.get("definition", ""))
            states = definition.get("States", {})
            if definition.get("StartAt") not in states:
                diagnostics.append(("MISSING_START_AT", "StartAt does not name a state"))
        except (ValueError, AttributeError):
            diagnostics.append(("INVALID_JSON_DESCRIPTION", "definition is not valid JSON"))
        return json.dumps(
            {
                "result": "FAIL" if diagnostics else "OK",
                "diagnostics": [
                    {"severity": "ERROR", "code": code, "message": message}
                    for code, message in diagnostics
                ],
                "truncated": False,
            }
        )

    StepFunctionResponse.validate_state_machine_definition = validate_state_machine_definition  # type: ignore[attr-defined]


def _patch_securityhub_update_configuration() -> None:
    """Gap: UpdateSecurityHubConfiguration is not implemented (HTTP 500); the AWS provider calls it
    when enabling Security Hub (``aws_securityhub_account``). AWS stores ``AutoEnableControls`` and
    ``ControlFindingGenerator`` and answers with an empty body; DescribeHub then reports them."""

    def update_security_hub_configuration(self: SecurityHubResponse) -> str:
        params = json.loads(self.body or "{}")
        backend = self.securityhub_backend
        settings = getattr(backend, "lab_hub_settings", {})
        settings.update(
            {k: params[k] for k in ("AutoEnableControls", "ControlFindingGenerator") if k in params}
        )
        backend.lab_hub_settings = settings
        return "{}"

    original_describe = SecurityHubBackend.describe_hub

    def describe_hub(self: SecurityHubBackend, hub_arn: str | None = None) -> dict[str, Any]:
        return original_describe(self, hub_arn) | getattr(self, "lab_hub_settings", {})

    SecurityHubResponse.update_security_hub_configuration = update_security_hub_configuration  # type: ignore[attr-defined]
    SecurityHubBackend.describe_hub = describe_hub  # type: ignore[method-assign]
