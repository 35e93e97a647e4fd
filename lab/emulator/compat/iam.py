"""IAM: the AWS managed policies a real account has, and roles that IAM has not yet propagated."""

from __future__ import annotations

import time
from typing import Any

# How long (wall clock) a new role, or a role whose policies changed, is not yet what the services
# that assume it see. AWS gives no figure (IAM User Guide, "Troubleshoot IAM": "Changes that I
# make are not always immediately visible"); the same short window as EC2's instance profiles
# (``compat.ec2``) keeps every deploy honest about it without slowing the lab.
PROPAGATION_S = 2.0


def apply() -> None:
    _load_aws_managed_policies()
    _stamp_role_changes()


def _load_aws_managed_policies() -> None:
    """A real account has the AWS managed policies (AdministratorAccess, ...); moto 5 leaves them
    out unless asked. Techniques and remediations attach and detach them by ARN."""
    from moto.core.config import default_user_config

    default_user_config.setdefault("iam", {})["load_aws_managed_policies"] = True


def _stamp_role_changes() -> None:
    """Each role remembers when it was created or its permissions last changed
    (``role_propagating``), for the services that check a role when it is handed to them."""
    from moto.iam.models import IAMBackend

    def stamped(method: Any, role_of: Any) -> Any:
        def wrapper(self: IAMBackend, *args: Any, **kwargs: Any) -> Any:
            result = method(self, *args, **kwargs)
            self.get_role(role_of(*args, **kwargs)).lab_changed_at = time.monotonic()
            return result

        return wrapper

    IAMBackend.create_role = stamped(  # type: ignore[method-assign]
        IAMBackend.create_role, lambda role_name, *a, **k: role_name
    )
    IAMBackend.put_role_policy = stamped(  # type: ignore[method-assign]
        IAMBackend.put_role_policy, lambda role_name, *a, **k: role_name
    )
    IAMBackend.attach_role_policy = stamped(  # type: ignore[method-assign]
        IAMBackend.attach_role_policy, lambda policy_arn, role_name, *a, **k: role_name
    )


def role_propagating(account_id: str, role_arn: str) -> bool:
    """Was the role ``role_arn`` created, or its permissions changed, less than
    ``PROPAGATION_S`` ago? (A role that does not exist is not propagating: callers' own checks
    answer for it.)"""
    from moto.iam.models import iam_backends

    try:
        role = iam_backends[account_id]["global"].get_role_by_arn(role_arn)
    except Exception:
        return False
    changed = getattr(role, "lab_changed_at", None)
    return changed is not None and time.monotonic() - changed < PROPAGATION_S
