"""IAM: the AWS managed policies a real account has, and roles that IAM has not yet propagated."""

from __future__ import annotations

from typing import Any


def apply() -> None:
    _load_aws_managed_policies()
    _stamp_role_changes()


def _load_aws_managed_policies() -> None:
    """A real account has the AWS managed policies (AdministratorAccess, ...); moto 5 leaves them
    out unless asked. Techniques and remediations attach and detach them by ARN."""
    from moto.core.config import default_user_config

    default_user_config.setdefault("iam", {})["load_aws_managed_policies"] = True


def _stamp_role_changes() -> None:
    """Each role remembers that it was created or its permissions changed and no service has
    been handed it since (``role_propagating``)."""
    from moto.iam.models import IAMBackend

    def stamped(method: Any, role_of: Any) -> Any:
        def wrapper(self: IAMBackend, *args: Any, **kwargs: Any) -> Any:
            result = method(self, *args, **kwargs)
            self.get_role(role_of(*args, **kwargs)).lab_propagating = True
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
    """Is the role ``role_arn`` one IAM has not propagated yet to the service it is handed to?
    IAM is eventually consistent (IAM User Guide, "Troubleshoot IAM": "Changes that I make are not
    always immediately visible") and gives no figure: here the first service that is handed a role
    after it was created or its permissions changed gets a refusal, and any later one (a retry, as
    AWS advises and Terraform's provider does) the role. Counted in uses, not seconds, so the
    answers do not depend on timing (a kept deploy replays them the same). A role that does not
    exist is not propagating: callers' own checks answer for it."""
    from moto.iam.models import iam_backends

    try:
        role = iam_backends[account_id]["global"].get_role_by_arn(role_arn)
    except Exception:
        return False
    if getattr(role, "lab_propagating", False):
        role.lab_propagating = False
        return True
    return False
