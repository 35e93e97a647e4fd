"""Identity-based policy evaluation for the emulator's refusals, on moto's own IAM evaluator
(``moto.iam.access_control``): where AWS checks a principal's permissions before accepting a
request (e.g. Lambda's CreateFunction with active tracing), the emulator checks them the same way.

IAM's evaluation logic (IAM User Guide, "Policy evaluation logic"): an explicit Deny in any policy
wins; otherwise the request is allowed only if some statement allows it. Only the principal's
identity-based policies are read here (inline and attached managed policies); permission boundaries
and SCPs are not modelled (the lab sets none).
"""

from __future__ import annotations

import fnmatch
import json
from typing import Any

from moto.iam.access_control import IAMPolicy, IAMPolicyStatement, PermissionResult
from moto.iam.models import iam_backends
from moto.sts.models import AssumedRole, sts_backends


def identity_allows(account_id: str, role_arn: str, action: str, resource: str = "*") -> bool:
    """Do the identity policies of the role ``role_arn`` allow ``action`` on ``resource``?"""
    try:
        role = iam_backends[account_id]["global"].get_role_by_arn(role_arn)
    except Exception:
        return False
    documents = [*role.policies.values(), *role.managed_policies.values()]
    allowed = False
    for document in documents:
        result = IAMPolicy(document).is_action_permitted(action, resource)
        if result == PermissionResult.DENIED:
            return False
        allowed = allowed or result == PermissionResult.PERMITTED
    return allowed


def key_policy_allows(
    account_id: str, key_policy: str, principal_arn: str, action: str, key_arn: str
) -> bool:
    """Does a KMS key policy let the IAM role ``principal_arn`` use ``action`` on its key
    ``key_arn``? (AWS KMS Developer Guide, "Key policies in AWS KMS": a statement naming the
    principal allows it; one naming the account root delegates to IAM, so the principal's identity
    policies must allow it; an explicit Deny wins.) Statements with conditions are not evaluated and
    allow nothing here."""
    root = {f"arn:aws:iam::{account_id}:root", account_id}
    allowed = False
    for statement in _statements(json.loads(key_policy)):
        if "Action" not in statement:
            continue
        if not IAMPolicyStatement(statement)._check_element_matches("Action", action):
            continue
        principals = statement.get("Principal", {})
        named = principals.get("AWS", []) if isinstance(principals, dict) else principals
        named = {named} if isinstance(named, str) else set(named)
        applies = "*" in named or principal_arn in named
        delegated = bool(named & root)
        if statement.get("Effect") == "Deny" and (applies or delegated):
            return False
        if statement.get("Effect") != "Allow" or statement.get("Condition"):
            continue
        if applies or (delegated and identity_allows(account_id, principal_arn, action, key_arn)):
            allowed = True
    return allowed


def _statements(policy: dict) -> list[dict]:
    statements = policy.get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def assumed_role(access_key_id: str) -> AssumedRole | None:
    """The role session of temporary credentials the emulator's STS issued, if any."""
    if not access_key_id.startswith("ASIA"):
        return None
    for partitions in sts_backends.values():
        for backend in partitions.values():
            role = backend.get_assumed_role_from_access_key(access_key_id)
            if role is not None:
                return role
    return None


def service_allowed(
    policy: str | None, service: str, action: str, resource: str, context: dict[str, str]
) -> bool:
    """Does a resource policy (a bucket policy, a key policy) let the AWS service principal
    ``service`` (e.g. ``cloudtrail.amazonaws.com``) do ``action`` on ``resource``, with the request
    context ``context`` the service sends (``aws:SourceArn``, ``aws:SourceAccount``,
    ``s3:x-amz-acl``, ``kms:EncryptionContext:...``)? An explicit Deny that applies wins.

    Written here because moto's evaluator skips the operators it does not know and lets a condition
    whose key is absent pass, so it would accept what AWS refuses; this one follows the IAM User
    Guide ("IAM JSON policy elements: Condition operators"): keys are case-insensitive, a key absent
    from the request fails its condition unless the operator ends in ``IfExists`` (or is a negated
    one), and an operator it does not know is not satisfied."""
    if not policy:
        return False
    allowed = False
    for statement in _statements(json.loads(policy)):
        if not _names_service(statement.get("Principal"), service):
            continue
        element = IAMPolicyStatement(statement)
        if "Action" not in statement or not element._check_element_matches("Action", action):
            continue
        if "Resource" in statement and not element._check_element_matches("Resource", resource):
            continue
        if not conditions_hold(statement.get("Condition", {}), context):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = allowed or statement.get("Effect") == "Allow"
    return allowed


def _names_service(principal: object, service: str) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    if principal.get("AWS") == "*":
        return True
    named = principal.get("Service", [])
    return service in ({named} if isinstance(named, str) else set(named))


_NEGATED = ("StringNotEquals", "StringNotLike", "ArnNotEquals", "ArnNotLike")


def conditions_hold(conditions: dict, context: dict[str, str]) -> bool:
    """Do all of a statement's conditions hold for the request context ``context``?"""
    values = {key.lower(): value for key, value in context.items()}
    for operator, tests in conditions.items():
        base = operator.removesuffix("IfExists")
        for key, expected in tests.items():
            expected = [expected] if isinstance(expected, str | bool) else list(expected)
            actual = values.get(key.lower())
            if actual is None:
                if operator.endswith("IfExists") or base in _NEGATED:
                    continue
                return False
            if not _operator_holds(base, [str(e) for e in expected], str(actual)):
                return False
    return True


def _operator_holds(operator: str, expected: list[str], actual: str) -> bool:
    def like(pattern: str) -> bool:
        return fnmatch.fnmatchcase(actual, pattern.replace("[", "[[]"))

    if operator in ("StringEquals", "ArnEquals"):
        return actual in expected
    if operator == "StringEqualsIgnoreCase":
        return actual.lower() in {e.lower() for e in expected}
    if operator in ("StringLike", "ArnLike"):
        return any(like(e) for e in expected)
    if operator in ("StringNotEquals", "ArnNotEquals"):
        return actual not in expected
    if operator in ("StringNotLike", "ArnNotLike"):
        return not any(like(e) for e in expected)
    if operator == "Bool":
        return actual.lower() in {e.lower() for e in expected}
    return False


def find_key(account_id: str, region: str, key_id: str) -> Any | None:
    """The KMS key named by an id, ARN, alias name or alias ARN, or None if there is none."""
    from moto.kms.models import kms_backends

    region = key_id.split(":")[3] if key_id.startswith("arn:") else region
    backend = kms_backends[account_id][region]
    try:
        return backend.describe_key(backend.any_id_to_key_id(key_id))
    except Exception:
        return None


def bucket_policy_and_key(account_id: str, bucket_name: str) -> tuple[str | None, str | None]:
    """A bucket's policy and the KMS key of its default encryption (None where there is none)."""
    from moto.s3.models import s3_backends

    bucket = s3_backends[account_id]["aws"].get_bucket(bucket_name)
    policy = bucket.policy.decode() if bucket.policy else None
    key_id = None
    rules = (bucket.encryption or {}).get("Rule", [])
    for rule in [rules] if isinstance(rules, dict) else rules:
        default = rule.get("ApplyServerSideEncryptionByDefault", {})
        if default.get("SSEAlgorithm") in ("aws:kms", "aws:kms:dsse"):
            key_id = default.get("KMSMasterKeyID") or "alias/aws/s3"
    return policy, key_id
