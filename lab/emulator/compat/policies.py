"""Identity-based policy evaluation for the emulator's refusals, on moto's own IAM evaluator
(``moto.iam.access_control``): where AWS checks a principal's permissions before accepting a
request (e.g. Lambda's CreateFunction with active tracing), the emulator checks them the same way.

IAM's evaluation logic (IAM User Guide, "Policy evaluation logic"): an explicit Deny in any policy
wins; otherwise the request is allowed only if some statement allows it. Only the principal's
identity-based policies are read here (inline and attached managed policies); permission boundaries
and SCPs are not modelled (the lab sets none).
"""

from __future__ import annotations

import json

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
