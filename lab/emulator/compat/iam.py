"""IAM: the AWS managed policies a real account has."""

from __future__ import annotations


def apply() -> None:
    _load_aws_managed_policies()


def _load_aws_managed_policies() -> None:
    """A real account has the AWS managed policies (AdministratorAccess, ...); moto 5 leaves them
    out unless asked. Techniques and remediations attach and detach them by ARN."""
    from moto.core.config import default_user_config

    default_user_config.setdefault("iam", {})["load_aws_managed_policies"] = True
