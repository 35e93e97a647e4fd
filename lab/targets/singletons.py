"""What a region of an account holds one of at most, and the stack adopts when the account has it
already (Organizations' auto-enable and Control Tower make them before the lab comes): the
GuardDuty detector ("only one detector per account per Region", GuardDuty API Reference,
CreateDetector), the AWS Config recorder ("one configuration recorder per region", Config API
Reference, PutConfigurationRecorder) and the Security Hub subscription (EnableSecurityHub answers
ResourceConflictException when enabled). The serverless stack's ``existing_*`` variables say which
to adopt; ``cli-baseline/deploy.sh`` finds them on its own."""

from __future__ import annotations

from typing import Any

from lab.emulator.endpoints import Endpoints


def existing(endpoints: Endpoints) -> dict[str, Any]:
    """The serverless stack's adoption variables for what the account's region already has
    (empty when it has none of them). Read as the observer: reads change nothing."""
    found: dict[str, Any] = {}
    detectors = endpoints.client("guardduty", "observer").list_detectors()["DetectorIds"]
    if detectors:
        found["existing_guardduty_detector_id"] = detectors[0]
    recorders = endpoints.client("config", "observer").describe_configuration_recorders()[
        "ConfigurationRecorders"
    ]
    if recorders:
        found["existing_config_recorder"] = recorders[0]["name"]
    hub = endpoints.client("securityhub", "observer")
    try:
        hub.describe_hub()
        found["existing_security_hub"] = True
    except (hub.exceptions.InvalidAccessException, hub.exceptions.ResourceNotFoundException):
        pass  # not subscribed
    return found


def adopt(architecture: Any, endpoints: Endpoints) -> None:
    """Set the stack's adoption variables for what the account has (an architecture without
    Terraform variables, the manual one, finds them in deploy.sh); a variable already set wins."""
    variables = getattr(architecture, "variables", None)
    if variables is None:
        return
    for name, value in existing(endpoints).items():
        variables.setdefault(name, value)
