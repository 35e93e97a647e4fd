"""SSM: Automation executions (StartAutomationExecution, GetAutomationExecution), kept on the SSM
backend of the account and region (so ``reset`` clears them), and the route through which the
simulated Automation service (``lab.sim.ssm_automation``) writes an execution's progress."""

from __future__ import annotations

import json
from typing import Any

from lab.emulator.compat.routes import Answer, Route, answer

AUTOMATION_EXECUTION_PATH = "/_lab/ssm-automation-execution"
# What the Automation service writes as an execution runs (and nothing else of it).
WRITABLE = ("AutomationExecutionStatus", "StepExecutions", "Outputs")


def executions(backend: Any) -> dict[str, dict[str, Any]]:
    """The Automation executions of one SSM backend (account and region), by id."""
    if not hasattr(backend, "lab_automation_executions"):
        backend.lab_automation_executions = {}
    return backend.lab_automation_executions


def _client_tokens(backend: Any) -> dict[str, str]:
    """StartAutomationExecution's idempotency tokens of one SSM backend: token -> execution id."""
    if not hasattr(backend, "lab_automation_tokens"):
        backend.lab_automation_tokens = {}
    return backend.lab_automation_tokens


# The AWS managed policy an instance's role needs for its SSM Agent to register (Session Manager
# prerequisites, "Verify or add instance permissions for Session Manager").
MANAGED_INSTANCE_POLICY_ARN = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"


def apply() -> None:
    _patch_automation_executions()
    _patch_start_session()
    _patch_cancel_command()
    _patch_send_command_targets()


def _patch_send_command_targets() -> None:
    """Gap: moto's SendCommand without ``Targets`` adds every instance of the account (whatever its
    state: terminated ones too) to the ``InstanceIds`` it was given, so the command, its answer and
    its CloudTrail record grew with what other techniques had left in the account. AWS (SSM API
    Reference, SendCommand: ``InstanceIds`` "The IDs of the managed nodes where the command should
    run"; ``Targets`` "An array of search criteria that targets managed nodes") runs it on the
    nodes named, and on those the targets select only when there are targets."""
    from moto.ssm.models import Command

    original = Command._get_instance_ids_from_targets

    def instance_ids_from_targets(self: Any) -> list[str]:
        return original(self) if self.targets else []

    Command._get_instance_ids_from_targets = instance_ids_from_targets  # type: ignore[method-assign]


def _patch_cancel_command() -> None:
    """Gap: moto has no CancelCommand. AWS (SSM API, CancelCommand) stops a Run Command on the
    instances named (all of them without ``InstanceIds``) and answers nothing; the command's status
    becomes Cancelled; an unknown command id is InvalidCommandId."""
    from moto.ssm.responses import SimpleSystemManagerResponse

    def cancel_command(self: SimpleSystemManagerResponse) -> str:
        params = json.loads(self.body or "{}")
        # moto's lookup answers InvalidCommandId ("Invalid command id.") as AWS does.
        command = self.ssm_backend.get_command_by_id(params.get("CommandId", ""))
        command.status = "Cancelled"
        command.status_details = "Cancelled"
        return json.dumps({})

    SimpleSystemManagerResponse.cancel_command = cancel_command  # type: ignore[attr-defined]


def _patch_start_session() -> None:
    """Gap: moto has no Session Manager (StartSession). AWS opens a session only to a managed
    node, one whose SSM Agent is connected, and answers TargetNotConnected otherwise (Session
    Manager prerequisites: the agent, preinstalled on Amazon Linux 2023, and an instance profile
    whose role has AmazonSSMManagedInstanceCore). The emulator has no agent: a running instance with
    such a profile counts as connected; the session's token and stream URL are shaped as AWS's, and
    nothing streams."""
    from moto.core.responses import ActionResult
    from moto.ec2.models import ec2_backends
    from moto.moto_api._internal import mock_random
    from moto.ssm.exceptions import SSMException
    from moto.ssm.responses import SimpleSystemManagerResponse

    class TargetNotConnected(SSMException):
        code = "TargetNotConnected"

    def managed(account: str, region: str, target: str) -> bool:
        ec2 = ec2_backends[account][region]
        try:
            instance = ec2.get_instance(target)
        except Exception:
            return False
        association = ec2.iam_instance_profile_associations.get(target)
        profile = association.iam_instance_profile if association else None
        roles = getattr(profile, "roles", []) if profile is not None else []
        return instance.state == "running" and any(
            MANAGED_INSTANCE_POLICY_ARN in getattr(role, "managed_policies", {}) for role in roles
        )

    def start_session(self: SimpleSystemManagerResponse) -> ActionResult:
        target = self._get_param("Target")
        if not managed(self.current_account, self.region, target):
            raise TargetNotConnected(f"{target} is not connected.")
        session_id = f"session-{mock_random.get_random_hex(17)}"
        return ActionResult(
            {
                "SessionId": session_id,
                "TokenValue": mock_random.get_random_hex(64),
                "StreamUrl": (
                    f"wss://ssmmessages.{self.region}.amazonaws.com/v1/data-channel/{session_id}"
                    "?role=publish_subscribe"
                ),
            }
        )

    SimpleSystemManagerResponse.start_session = start_session  # type: ignore[attr-defined]


def _patch_automation_executions() -> None:
    """Gap: moto has no SSM Automation (StartAutomationExecution, GetAutomationExecution). The
    calls are accepted as AWS documents them (the document must exist and be of type Automation);
    ``lab.sim.ssm_automation`` runs the steps in virtual time and writes the outcome through
    ``AUTOMATION_EXECUTION_PATH``; GetAutomationExecution reads it like any caller."""
    from moto.core.exceptions import JsonRESTError
    from moto.core.responses import ActionResult
    from moto.moto_api._internal import mock_random
    from moto.ssm.exceptions import ValidationException
    from moto.ssm.responses import SimpleSystemManagerResponse

    class IdempotentParameterMismatch(JsonRESTError):
        def __init__(self, message: str) -> None:
            super().__init__("IdempotentParameterMismatch", message)

    def start_automation_execution(self: SimpleSystemManagerResponse) -> ActionResult:
        name = self._get_param("DocumentName")
        try:
            document = self.ssm_backend.get_document(
                name=name, document_version=None, document_format="JSON", version_name=None
            )
        except Exception as error:
            raise ValidationException(f"Document {name} does not exist") from error
        if document.get("DocumentType") != "Automation":
            raise ValidationException(f"Document {name} is not an Automation document")
        # ClientToken (SSM API Reference, StartAutomationExecution: "User-provided idempotency
        # token"): the same token again is the same execution, answered with its id; with other
        # parameters it is IdempotentParameterMismatch, as for SSM's other idempotent calls.
        token = (self._get_param("ClientToken") or "").lower()
        tokens = _client_tokens(self.ssm_backend)
        if token and token in tokens:
            earlier = executions(self.ssm_backend)[tokens[token]]
            if earlier["DocumentName"] != name or earlier["Parameters"] != (
                self._get_param("Parameters") or {}
            ):
                raise IdempotentParameterMismatch(
                    "Error returned when an idempotent operation is retried and the parameters "
                    "don't match the original call to the API with the same idempotency token."
                )
            return ActionResult({"AutomationExecutionId": tokens[token]})
        execution_id = str(mock_random.uuid4())  # seeded with the emulator's other ids
        if token:
            tokens[token] = execution_id
        executions(self.ssm_backend)[execution_id] = {
            "AutomationExecutionId": execution_id,
            "DocumentName": name,
            "DocumentVersion": document.get("DocumentVersion", "1"),
            "Parameters": self._get_param("Parameters") or {},
            "AutomationExecutionStatus": "Pending",
            "StepExecutions": [],
            "Outputs": {},
        }
        return ActionResult({"AutomationExecutionId": execution_id})

    def get_automation_execution(self: SimpleSystemManagerResponse) -> ActionResult:
        execution_id = self._get_param("AutomationExecutionId")
        found = executions(self.ssm_backend).get(execution_id)
        if found is None:
            raise ValidationException(f"Automation execution {execution_id} does not exist")
        return ActionResult({"AutomationExecution": found})

    SimpleSystemManagerResponse.start_automation_execution = start_automation_execution  # type: ignore[attr-defined]
    SimpleSystemManagerResponse.get_automation_execution = get_automation_execution  # type: ignore[attr-defined]


def _write_execution(rest: str, body: bytes) -> Answer:
    """POST .../<execution id> with the fields of ``WRITABLE`` the Automation service changed."""
    from moto.ssm.models import ssm_backends

    execution_id = rest.strip("/")
    try:
        fields = json.loads(body or b"{}")
    except ValueError:
        return answer("400 Bad Request", "body is not JSON")
    for regions in ssm_backends.values():
        for backend in regions.values():
            found = executions(backend).get(execution_id)
            if found is not None:
                found.update({k: v for k, v in fields.items() if k in WRITABLE})
                return answer("200 OK", "written")
    return answer("404 Not Found", f"no automation execution {execution_id}")


ROUTES = (Route(AUTOMATION_EXECUTION_PATH, _write_execution),)
