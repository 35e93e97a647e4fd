"""Lambda: a downloadable Code.Location, DeadLetterConfig kept; the route serving deployed zips."""

from __future__ import annotations

import json
from typing import Any

from moto.awslambda.exceptions import InvalidParameterValueException, LambdaClientError
from moto.awslambda.models import LambdaBackend, LambdaFunction, lambda_backends
from moto.awslambda.policy import Policy

from lab.emulator.compat import running
from lab.emulator.compat.policies import identity_allows
from lab.emulator.compat.routes import Answer, Route, answer

LAMBDA_CODE_PATH = "/_lab/lambda-code"


def apply() -> None:
    _patch_code_location()
    _patch_dead_letter_config()
    _patch_unique_statement_ids()
    _patch_tracing_permissions()


def _serve_code(rest: str, body: bytes) -> Answer:
    """GET .../<account>/<region>/<function>: the function's deployment package."""
    try:
        account, region, name = rest.split("/", 2)
        code = lambda_backends[account][region].get_function(name).code_bytes
    except Exception:
        return answer("404 Not Found", "no such function code")
    return answer("200 OK", code, "application/zip")


ROUTES = (Route(LAMBDA_CODE_PATH, _serve_code),)


def _patch_code_location() -> None:
    """Gap: moto's GetFunction returns a ``Code.Location`` on a made-up S3 host that cannot be
    downloaded. AWS documents it as a pre-signed URL from which the deployment package can be
    downloaded (Lambda API, FunctionCodeLocation). The lab reads deployed code back that way, so
    the location points at this emulator, which serves the stored zip (see ``server.py``)."""
    original = LambdaFunction.get_code

    def get_code(self: LambdaFunction) -> dict[str, Any]:
        response = original(self)
        if response.get("Code", {}).get("RepositoryType") == "S3":
            response["Code"]["Location"] = (
                f"{running.base_url()}{LAMBDA_CODE_PATH}/{self.account_id}/{self.region}/"
                f"{self.function_name}"
            )
        return response

    LambdaFunction.get_code = get_code  # type: ignore[method-assign]


def _patch_dead_letter_config() -> None:
    """Gap: moto drops ``DeadLetterConfig`` (CreateFunction, UpdateFunctionConfiguration), so the
    function looks as if it had no dead-letter queue, and Terraform sees drift. AWS (Lambda API,
    FunctionConfiguration) returns ``DeadLetterConfig.TargetArn``; the lab's Lambda simulation sends
    failed asynchronous events there after the retries."""
    original_init = LambdaFunction.__init__
    original_get = LambdaFunction.get_configuration
    original_update = LambdaFunction.update_configuration

    def __init__(self: LambdaFunction, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        spec = args[1] if len(args) > 1 else kwargs.get("spec", {})
        self.lab_dead_letter_config = spec.get("DeadLetterConfig") or {}

    def get_configuration(self: LambdaFunction, *args: Any, **kwargs: Any) -> dict[str, Any]:
        config = original_get(self, *args, **kwargs)
        if getattr(self, "lab_dead_letter_config", None):
            config["DeadLetterConfig"] = self.lab_dead_letter_config
        return config

    def update_configuration(self: LambdaFunction, updates: dict[str, Any]) -> dict[str, Any]:
        if "DeadLetterConfig" in updates:
            self.lab_dead_letter_config = updates["DeadLetterConfig"] or {}
        return original_update(self, updates)

    LambdaFunction.__init__ = __init__  # type: ignore[method-assign]
    LambdaFunction.get_configuration = get_configuration  # type: ignore[method-assign]
    LambdaFunction.update_configuration = update_configuration  # type: ignore[method-assign]


class _StatementIdConflict(LambdaClientError):
    code = 409

    def __init__(self, message: str) -> None:
        super().__init__("ResourceConflictException", message)


def _patch_unique_statement_ids() -> None:
    """Gap: moto's AddPermission appends a statement whose id is already in the policy, so the
    policy holds it twice and RemovePermission takes one away: Terraform then waits for a statement
    that never goes ("waiting for Lambda Permission ... delete: found resource"). AWS refuses a
    second statement with that id with ResourceConflictException (409): "The statement id (X)
    provided already exists. Please provide a new statement id, or remove the existing statement."
    (Lambda API, AddPermission); so does the emulator. (An SDK's retry of a call the emulator
    has carried out gets that call's answer: ``lab.emulator.retries``.)"""
    original = Policy.add_statement

    def add_statement(self: Policy, raw: str, qualifier: str | None = None) -> Any:
        sid = json.loads(raw).get("StatementId")
        if sid and any(s.get("Sid") == sid for s in self.statements):
            raise _StatementIdConflict(
                f"The statement id ({sid}) provided already exists. Please provide a new "
                "statement id, or remove the existing statement."
            )
        return original(self, raw, qualifier)

    Policy.add_statement = add_statement  # type: ignore[method-assign]


TRACING_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")


def _check_tracing(account_id: str, role_arn: str, tracing: dict[str, Any] | None) -> None:
    if (tracing or {}).get("Mode") != "Active":
        return
    if not all(identity_allows(account_id, role_arn, action) for action in TRACING_ACTIONS):
        raise InvalidParameterValueException(
            "The provided execution role does not have permissions to call PutTraceSegments on XRAY"
        )


def _patch_tracing_permissions() -> None:
    """Gap: moto accepts active X-Ray tracing whatever the execution role may do. AWS refuses
    CreateFunction / UpdateFunctionConfiguration with ``TracingConfig.Mode = Active`` when the role
    cannot upload traces: InvalidParameterValueException "The provided execution role does not
    have permissions to call PutTraceSegments on XRAY" (Lambda Developer Guide, "Visualize Lambda
    function invocations using AWS X-Ray": the execution role needs xray:PutTraceSegments and
    xray:PutTelemetryRecords, as in AWSXRayDaemonWriteAccess). Also a gap: moto's
    UpdateFunctionConfiguration ignored ``TracingConfig``; it is kept."""
    original_create = LambdaBackend.create_function
    original_update = LambdaBackend.update_function_configuration

    def create_function(self: LambdaBackend, spec: dict[str, Any]) -> LambdaFunction:
        _check_tracing(self.account_id, spec.get("Role", ""), spec.get("TracingConfig"))
        return original_create(self, spec)

    def update_function_configuration(
        self: LambdaBackend, name_or_arn: str, qualifier: str, body: dict[str, Any]
    ) -> Any:
        if "TracingConfig" in body or "Role" in body:
            current = self.get_function(name_or_arn, qualifier)
            _check_tracing(
                self.account_id,
                body.get("Role", current.role),
                body.get("TracingConfig", current.tracing_config),
            )
        answer = original_update(self, name_or_arn, qualifier, body)
        if "TracingConfig" in body:  # moto drops it (UpdateFunctionConfiguration takes it)
            self.get_function(name_or_arn, qualifier).tracing_config = body["TracingConfig"]
            answer = self.get_function(name_or_arn, qualifier).get_configuration()
        return answer

    LambdaBackend.create_function = create_function  # type: ignore[method-assign]
    LambdaBackend.update_function_configuration = update_function_configuration  # type: ignore[method-assign]
