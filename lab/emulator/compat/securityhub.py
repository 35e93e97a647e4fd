"""Security Hub: UpdateSecurityHubConfiguration, standards and product subscriptions, the ASFF
required attributes."""

from __future__ import annotations

import json
import re
from typing import Any

from moto.securityhub.models import SecurityHubBackend
from moto.securityhub.responses import SecurityHubResponse


def apply() -> None:
    _patch_enable_once()
    _patch_update_configuration()
    _patch_standards_and_products()
    _patch_asff_required_fields()


def _patch_enable_once() -> None:
    """Gap: moto answers EnableSecurityHub again with success. AWS (Security Hub API Reference,
    EnableSecurityHub, errors: ResourceConflictException, "The resource specified in the request
    conflicts with an existing resource") refuses an account already subscribed, as one whose hub
    Organizations or Control Tower enabled is: the lab must adopt it."""
    from moto.securityhub.exceptions import SecurityHubClientError
    from moto.securityhub.models import SecurityHubBackend

    original = SecurityHubBackend.enable_security_hub

    def enable_security_hub(self: SecurityHubBackend, *args: Any, **kwargs: Any) -> Any:
        if self.enabled:
            raise SecurityHubClientError(
                "ResourceConflictException", "Account is already subscribed to Security Hub"
            )
        return original(self, *args, **kwargs)

    SecurityHubBackend.enable_security_hub = enable_security_hub  # type: ignore[method-assign]


def _patch_update_configuration() -> None:
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


def standard_name(arn: str) -> str:
    """A standard's name and version from its ARN (``aws-foundational-security-best-practices/v/
    1.0.0``; CIS 1.2.0's ARN says ``ruleset`` where the others say ``standards``)."""
    return re.sub(r"^arn:aws:securityhub:[^:]*:[^:]*:(standards|ruleset)/", "", arn)


def _patch_standards_and_products() -> None:
    """Gap: moto has no standards subscriptions (BatchEnableStandards, GetEnabledStandards,
    BatchDisableStandards) nor product integrations (EnableImportFindingsForProduct,
    ListEnabledProductsForImport, DisableImportFindingsForProduct), which the AWS provider's
    ``aws_securityhub_standards_subscription`` and ``aws_securityhub_product_subscription`` call.
    Implemented as the Security Hub API Reference documents them; subscriptions are READY at once."""

    def _state(backend: SecurityHubBackend) -> dict[str, dict[str, Any]]:
        if not hasattr(backend, "lab_subscriptions"):
            backend.lab_subscriptions = {"standards": {}, "products": {}}  # type: ignore[attr-defined]
        return backend.lab_subscriptions  # type: ignore[attr-defined]

    def _params(response: SecurityHubResponse) -> dict[str, Any]:
        return json.loads(response.body or "{}")

    def batch_enable_standards(self: SecurityHubResponse) -> str:
        state = _state(self.securityhub_backend)
        out = []
        for request in _params(self).get("StandardsSubscriptionRequests", []):
            arn = request["StandardsArn"]
            name = standard_name(arn)
            subscription = {
                "StandardsSubscriptionArn": f"arn:aws:securityhub:{self.region}:{self.current_account}:subscription/{name}",
                "StandardsArn": arn,
                "StandardsInput": request.get("StandardsInput", {}),
                "StandardsStatus": "READY",
            }
            state["standards"][subscription["StandardsSubscriptionArn"]] = subscription
            out.append(subscription)
        return json.dumps({"StandardsSubscriptions": out})

    def get_enabled_standards(self: SecurityHubResponse) -> str:
        wanted = _params(self).get("StandardsSubscriptionArns")
        found = [
            s
            for arn, s in _state(self.securityhub_backend)["standards"].items()
            if not wanted or arn in wanted
        ]
        return json.dumps({"StandardsSubscriptions": found})

    def batch_disable_standards(self: SecurityHubResponse) -> str:
        state = _state(self.securityhub_backend)
        out = []
        for arn in _params(self).get("StandardsSubscriptionArns", []):
            subscription = state["standards"].pop(arn, None)
            if subscription:
                out.append(subscription | {"StandardsStatus": "DELETING"})
        return json.dumps({"StandardsSubscriptions": out})

    def enable_import_findings_for_product(self: SecurityHubResponse) -> str:
        product = _params(self)["ProductArn"]
        name = product.split(":product/", 1)[1]
        arn = (
            f"arn:aws:securityhub:{self.region}:{self.current_account}:product-subscription/{name}"
        )
        _state(self.securityhub_backend)["products"][arn] = product
        return json.dumps({"ProductSubscriptionArn": arn})

    def list_enabled_products_for_import(self: SecurityHubResponse) -> str:
        arns = sorted(_state(self.securityhub_backend)["products"])
        return json.dumps({"ProductSubscriptions": arns})

    def disable_import_findings_for_product(self: SecurityHubResponse) -> str:
        from urllib.parse import unquote

        arn = unquote(self.path.split("/productSubscriptions/", 1)[1])
        _state(self.securityhub_backend)["products"].pop(arn, None)
        return "{}"

    for function in (
        batch_enable_standards,
        get_enabled_standards,
        batch_disable_standards,
        enable_import_findings_for_product,
        list_enabled_products_for_import,
        disable_import_findings_for_product,
    ):
        setattr(SecurityHubResponse, function.__name__, function)

    import moto.securityhub.urls as urls

    for path in (
        "{0}/standards/register$",
        "{0}/standards/get$",
        "{0}/standards/deregister$",
        "{0}/productSubscriptions$",
        "{0}/productSubscriptions/(?P<arn>.+)$",
    ):
        urls.url_paths[path] = SecurityHubResponse.dispatch

    original_disable = SecurityHubBackend.disable_security_hub

    def disable_security_hub(self: SecurityHubBackend) -> None:
        original_disable(self)
        self.lab_subscriptions = {"standards": {}, "products": {}}  # type: ignore[attr-defined]

    SecurityHubBackend.disable_security_hub = disable_security_hub  # type: ignore[method-assign]


# AWS Security Finding Format: the attributes every imported finding must have ("AWS Security
# Finding Format (ASFF)", Security Hub User Guide, "Required top-level attributes").
ASFF_REQUIRED = (
    "AwsAccountId",
    "CreatedAt",
    "Description",
    "GeneratorId",
    "Id",
    "ProductArn",
    "Resources",
    "SchemaVersion",
    "Severity",
    "Title",
    "Types",
    "UpdatedAt",
)


def _patch_asff_required_fields() -> None:
    """Gap: moto's BatchImportFindings checks only ``Resources``; AWS refuses a finding without any
    of the required ASFF attributes (it is counted in FailedCount with InvalidInput)."""
    original = SecurityHubBackend.batch_import_findings

    def batch_import_findings(self: SecurityHubBackend, findings: list[dict[str, Any]]) -> Any:
        valid, failed = [], []
        for finding in findings:
            missing = [k for k in ASFF_REQUIRED if k not in finding]
            if missing:
                failed.append(
                    {
                        "Id": finding.get("Id", ""),
                        "ErrorCode": "InvalidInput",
                        "ErrorMessage": f"Finding is missing required attributes: {', '.join(missing)}",
                    }
                )
            else:
                valid.append(finding)
        failed_count, success_count, failed_findings = original(self, valid)
        return failed_count + len(failed), success_count, failed_findings + failed

    SecurityHubBackend.batch_import_findings = batch_import_findings  # type: ignore[method-assign]
