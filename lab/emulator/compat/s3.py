"""S3: bucket policies' aws:SecureTransport condition on the emulator's plain HTTP."""

from __future__ import annotations

import json
from typing import Any


def apply() -> None:
    _patch_policy_conditions_of_a_tls_request()


def _patch_policy_conditions_of_a_tls_request() -> None:
    """Gap: moto evaluates a bucket policy's statements without their conditions, so the usual
    "DenyInsecureTransport" statement (Deny s3:* when ``aws:SecureTransport`` is false, AWS
    Foundational Security Best Practices S3.5) refuses every object write. On AWS every SDK, CLI
    and service delivery (CloudTrail, VPC Flow Logs, Config) speaks TLS, so that condition is never
    true; the emulator's plain HTTP on 127.0.0.1 stands in for TLS and the statement does not
    apply. Statements with any other condition are evaluated as moto does."""
    from moto.iam.access_control import IAMPolicy, PermissionResult
    from moto.s3.models import FakeBucket

    def insecure_only(statement: dict[str, Any]) -> bool:
        condition = statement.get("Condition") or {}
        return list(condition) == ["Bool"] and {
            k.lower(): str(v).lower() for k, v in condition["Bool"].items()
        } == {"aws:securetransport": "false"}

    def get_permission(self: FakeBucket, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        policy = json.loads(self.policy.decode())
        statements = policy.get("Statement", [])
        statements = [statements] if isinstance(statements, dict) else statements
        policy["Statement"] = [s for s in statements if not insecure_only(s)]
        if not policy["Statement"]:
            return PermissionResult.NEUTRAL
        return IAMPolicy(json.dumps(policy)).is_action_permitted(action, resource)

    FakeBucket.get_permission = get_permission  # type: ignore[method-assign]
