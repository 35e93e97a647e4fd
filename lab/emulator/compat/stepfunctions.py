"""Step Functions: ValidateStateMachineDefinition."""

from __future__ import annotations

import json

from moto.stepfunctions.responses import StepFunctionResponse


def apply() -> None:
    _patch_validate_state_machine_definition()


def _patch_validate_state_machine_definition() -> None:
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
