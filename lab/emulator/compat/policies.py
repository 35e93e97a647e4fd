"""Identity-based policy evaluation for the emulator's refusals, on moto's own IAM evaluator
(``moto.iam.access_control``): where AWS checks a principal's permissions before accepting a
request (e.g. Lambda's CreateFunction with active tracing), the emulator checks them the same way.

IAM's evaluation logic (IAM User Guide, "Policy evaluation logic"): an explicit Deny in any policy
wins; otherwise the request is allowed only if some statement allows it. Only the principal's
identity-based policies are read here (inline and attached managed policies); permission boundaries
and SCPs are not modelled (the lab sets none).
"""

from __future__ import annotations

from moto.iam.access_control import IAMPolicy, PermissionResult
from moto.iam.models import iam_backends


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
