"""Every ``LAB_*`` environment variable the lab reads, as one typed, frozen object: ``Settings``,
each field documented with its variable, what it means and what an unset variable means.

``current()`` reads the environment when asked, not at import: the run's worker processes, the
tests and ``lab`` commands set the variables per process, and a component takes the settings it
needs once, when it is made. ``docs/configuration.md``'s table is generated from the fields
(``SETTINGS``, by ``lab reference write``). A switch is on unless set to ``0``; an empty variable
is an unset one. The variables the lab sets for the programs it starts (``LAB_RUN_ID``,
``LAB_NOW``, ...) are not settings: ``docs/configuration.md`` lists them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


@dataclass(frozen=True)
class Setting:
    """One variable, for the documentation: its name, what unset means, what it does."""

    name: str
    default: str  # what an unset variable means, in words
    meaning: str
    switch: bool = False  # "0" turns the behaviour off; anything else (or unset) keeps it on


def _setting(variable: str, unset: str, meaning: str, *, switch: bool = False) -> Any:
    default: bool | None = True if switch else None
    return Field(
        default,
        description=meaning,
        json_schema_extra={"variable": variable, "unset": unset, "switch": switch},
    )


class Settings(BaseModel):
    """The lab's settings, one field per ``LAB_*`` variable (in the documentation's order)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tf_plugin_dir: Path | None = _setting(
        "LAB_TF_PLUGIN_DIR",
        "searched in `/opt/tf-plugins`, `~/.terraform.d/plugins`, ...; none found: terraform downloads the provider",
        "filesystem mirror holding `registry.terraform.io/hashicorp/aws/<version>/<os_arch>/`",
    )
    terraform: str | None = _setting("LAB_TERRAFORM", "`terraform` on PATH", "the terraform binary")
    tf_reattach: bool = _setting(
        "LAB_TF_REATTACH",
        "one shared AWS provider per process (Terraform's `TF_REATTACH_PROVIDERS`)",
        "`0`: every terraform command starts its own AWS provider",
        switch=True,
    )
    snapshots: str | None = _setting(
        "LAB_SNAPSHOTS",
        "`.work/snapshots`",
        "where kept deploys live; `0`: every deploy runs Terraform for real (same trials; "
        "`lab/architectures/snapshot.py`)",
    )
    aws_cli_fork: bool = _setting(
        "LAB_AWS_CLI_FORK",
        "the fork server (`lab/awscli_fork/`)",
        "`0`: every `aws` call of the manual scripts is its own process",
        switch=True,
    )
    aws_cli_shim: str | None = _setting(
        "LAB_AWS_CLI_SHIM",
        "`shim.c`, built with `$CC` or `cc`",
        "`python`: the fork server's `aws` shim is the Python script even where a C compiler is there",
    )
    aws_cli_clients: bool = _setting(
        "LAB_AWS_CLI_CLIENTS",
        "the fork server builds each service's client ahead, where the call's own would be the same",
        "`0`: each forked `aws` call builds its own botocore client",
        switch=True,
    )
    cron_skip: bool = _setting(
        "LAB_CRON_SKIP",
        "runs that cannot answer differently are counted, not executed (same trials)",
        "`0`: the manual cron executes every detector run",
        switch=True,
    )
    lambda_fork: bool = _setting(
        "LAB_LAMBDA_FORK",
        "forked from a server that imported boto3 once",
        "`0`: every Lambda execution environment starts its own interpreter",
        switch=True,
    )
    emulator_caches: bool = _setting(
        "LAB_EMULATOR_CACHES",
        "what moto recomputes per request and per account from fixed data is computed once "
        "(`lab/emulator/compat/dispatch.py`, `accounts.py`)",
        "`0`: moto's own dispatch, resets and accounts (same trials)",
        switch=True,
    )
    fork_cpu_log: Path | None = _setting(
        "LAB_FORK_CPU_LOG",
        "none",
        "a file each child of a fork server appends its CPU seconds to (`pid user sys` per line; "
        "read by `benchmarks/trial_profile.py`)",
    )
    prowler: Path | None = _setting(
        "LAB_PROWLER",
        "`.venv-prowler/bin/prowler` (`make prowler`)",
        "the `prowler` executable for `lab cspm`",
    )
    custodian: Path | None = _setting(
        "LAB_CUSTODIAN",
        "`.venv-custodian/bin/custodian` (`make custodian`)",
        "the `custodian` executable that deploys the `custodian` architecture",
    )
    permissions_boundary: str | None = _setting(
        "LAB_PERMISSIONS_BOUNDARY",
        "none",
        "a permissions boundary's ARN that every IAM role the lab creates on a real account carries "
        "(`docs/lab-permissions-boundary.json`)",
    )
    config: Path | None = _setting(
        "LAB_CONFIG",
        "`~/.config/lab/config.yaml`",
        "the user config: `aws.allowed_accounts` (the only accounts the lab acts in), `aws.region`, "
        "`aws.max_run_s`",
    )
    run_dir: Path | None = _setting(
        "LAB_RUN_DIR", "the newest run under `results/`", "the run the notebooks read"
    )

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        """The settings ``environ`` gives (empty: unset; a switch is off only at ``0``)."""
        values: dict[str, Any] = {}
        for field, info in cls.model_fields.items():
            extra = info.json_schema_extra
            assert isinstance(extra, dict)
            raw = environ.get(str(extra["variable"]))
            if extra["switch"]:
                values[field] = (raw if raw is not None else "1") != "0"
            elif raw:
                values[field] = raw
        return cls(**values)

    @classmethod
    def variable(cls, field: str) -> str:
        """The environment variable of ``field`` (``"cron_skip"`` -> ``"LAB_CRON_SKIP"``)."""
        extra = cls.model_fields[field].json_schema_extra
        assert isinstance(extra, dict)
        return str(extra["variable"])


def current() -> Settings:
    """The settings of this process's environment, now."""
    return Settings.from_environ(os.environ)


def _documented() -> tuple[Setting, ...]:
    rows = []
    for info in Settings.model_fields.values():
        extra = info.json_schema_extra
        assert isinstance(extra, dict)
        rows.append(
            Setting(
                str(extra["variable"]),
                str(extra["unset"]),
                str(info.description),
                bool(extra["switch"]),
            )
        )
    return tuple(rows)


SETTINGS: tuple[Setting, ...] = _documented()
