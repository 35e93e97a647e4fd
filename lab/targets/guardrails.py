"""Guardrails before anything touches a real account: the account must be on the user's allow-list
(``~/.config/lab/config.yaml`` or ``$LAB_CONFIG``), and the user confirms what will happen.

Config file::

    aws:
      allowed_accounts: ["111122223333"]   # nothing runs in an account that is not listed
      region: us-east-1                    # default: the profile's region (the stack needs us-east-1)
      max_run_s: 7200                      # a run is stopped and torn down after this
      root_profile: lab-root                # optional: only root-account-usage needs it
      permissions_boundary: arn:aws:iam::111122223333:policy/lab-permissions-boundary
                                           # every role and user the lab creates carries it
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lab import settings
from lab.emulator.endpoints import Endpoints

CONFIG_ENV = settings.Settings.variable("config")
DEFAULT_CONFIG = Path("~/.config/lab/config.yaml")


class GuardrailError(RuntimeError):
    """A guardrail refused: no config, an account not on the allow-list, a declined confirmation."""


class AwsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    allowed_accounts: list[str] = Field(default_factory=list)
    region: str | None = None
    max_run_s: float = Field(default=7200, gt=0, le=7 * 86_400)
    root_profile: str | None = None  # the root user's credentials, for techniques acting as root
    permissions_boundary: str | None = Field(
        default=None, pattern=r"^arn:aws[\w-]*:iam::\d{12}:policy/[\w+=,.@/-]+$"
    )


class UserConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    aws: AwsSettings = AwsSettings()


def config_path() -> Path:
    return (settings.current().config or DEFAULT_CONFIG).expanduser()


def load_config(path: Path | None = None) -> UserConfig:
    """The user's lab config; a missing file is an empty allow-list (nothing is allowed)."""
    path = path or config_path()
    if not path.exists():
        return UserConfig()
    try:
        return UserConfig.model_validate(yaml.safe_load(path.read_text()) or {})
    except (yaml.YAMLError, ValidationError) as exc:
        raise GuardrailError(f"{path} is not a valid lab config: {exc}") from exc


def allowed_account(endpoints: Endpoints, config: UserConfig) -> str:
    """The account the credentials reach, if the allow-list has it; else ``GuardrailError``."""
    account = endpoints.client("sts", "observer").get_caller_identity()["Account"]
    if account not in config.aws.allowed_accounts:
        listed = ", ".join(config.aws.allowed_accounts) or "none"
        raise GuardrailError(
            f"account {account} is not on the allow-list in {config_path()} (allowed: {listed}); "
            f"add it under aws.allowed_accounts to let the lab act in it"
        )
    return account


def region_of(config: UserConfig) -> str:
    """The region of a real-account run: the config's, else the profile's, else us-east-1."""
    import boto3

    return config.aws.region or boto3.Session().region_name or "us-east-1"


def root_techniques_allowed(technique_ids: list[str], config: UserConfig) -> None:
    """A technique that acts as the root user runs on a real account only with the root user's
    credentials named explicitly (``aws.root_profile``); else ``GuardrailError`` before anything is
    created: with the lab's own credentials it would make no root call and read as "missed"."""
    from lab.attacks.registry import technique

    needing = [t for t in technique_ids if technique(t).needs_root]
    if needing and not config.aws.root_profile:
        raise GuardrailError(
            f"{', '.join(needing)} act as the account's root user: name the root user's profile "
            "as aws.root_profile in the lab config, or leave them out of the scenario"
        )
