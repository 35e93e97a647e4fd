"""Every ``LAB_*`` environment variable the lab reads: its meaning and default, in one place.

Read at the moment of use (``value``, ``switched_on``), not at import: the run's worker processes,
the tests and ``lab`` commands set them per process. ``docs/configuration.md``'s table is generated
from ``SETTINGS`` (``lab reference write``). Written here rather than with pydantic-settings: the
lab needs a handful of strings read lazily, and the same table for its documentation.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    name: str
    default: str  # what an unset variable means, in words
    meaning: str
    switch: bool = False  # "0" turns the behaviour off; anything else (or unset) keeps it on


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "LAB_TF_PLUGIN_DIR",
        "searched in `/opt/tf-plugins`, `~/.terraform.d/plugins`, ...; none found: terraform downloads the provider",
        "filesystem mirror holding `registry.terraform.io/hashicorp/aws/<version>/<os_arch>/`",
    ),
    Setting("LAB_TERRAFORM", "`terraform` on PATH", "the terraform binary"),
    Setting(
        "LAB_TF_REATTACH",
        "one shared AWS provider per process (Terraform's `TF_REATTACH_PROVIDERS`)",
        "`0`: every terraform command starts its own AWS provider",
        switch=True,
    ),
    Setting(
        "LAB_SNAPSHOTS",
        "`.work/snapshots`",
        "where kept deploys live; `0`: every deploy runs Terraform for real (same trials; "
        "`lab/architectures/snapshot.py`)",
    ),
    Setting(
        "LAB_AWS_CLI_FORK",
        "the fork server (`lab/awscli_fork/`)",
        "`0`: every `aws` call of the manual scripts is its own process",
        switch=True,
    ),
    Setting(
        "LAB_AWS_CLI_SHIM",
        "`shim.c`, built with `$CC` or `cc`",
        "`python`: the fork server's `aws` shim is the Python script even where a C compiler is there",
    ),
    Setting(
        "LAB_AWS_CLI_CLIENTS",
        "the fork server builds each service's client ahead, where the call's own would be the same",
        "`0`: each forked `aws` call builds its own botocore client",
        switch=True,
    ),
    Setting(
        "LAB_CRON_SKIP",
        "runs that cannot answer differently are counted, not executed (same trials)",
        "`0`: the manual cron executes every detector run",
        switch=True,
    ),
    Setting(
        "LAB_LAMBDA_FORK",
        "forked from a server that imported boto3 once",
        "`0`: every Lambda execution environment starts its own interpreter",
        switch=True,
    ),
    Setting(
        "LAB_EMULATOR_CACHES",
        "what moto recomputes per request from fixed data is computed once "
        "(`lab/emulator/compat/dispatch.py`)",
        "`0`: moto's own per-request dispatch (same trials)",
        switch=True,
    ),
    Setting(
        "LAB_FORK_CPU_LOG",
        "none",
        "a file each child of a fork server appends its CPU seconds to (`pid user sys` per line; "
        "read by `benchmarks/trial_profile.py`)",
    ),
    Setting(
        "LAB_PROWLER",
        "`.venv-prowler/bin/prowler` (`make prowler`)",
        "the `prowler` executable for `lab cspm`",
    ),
    Setting(
        "LAB_PERMISSIONS_BOUNDARY",
        "none",
        "a permissions boundary's ARN that every IAM role the lab creates on a real account carries "
        "(`docs/lab-permissions-boundary.json`)",
    ),
    Setting(
        "LAB_CONFIG",
        "`~/.config/lab/config.yaml`",
        "the user config: `aws.allowed_accounts` (the only accounts the lab acts in), `aws.region`, "
        "`aws.max_run_s`",
    ),
    Setting("LAB_RUN_DIR", "the newest run under `results/`", "the run the notebooks read"),
)
_BY_NAME = {setting.name: setting for setting in SETTINGS}


def value(name: str) -> str | None:
    """The variable's value now (None: unset or empty)."""
    if name not in _BY_NAME:
        raise KeyError(f"{name} is not one of the lab's settings (lab/settings.py)")
    return os.environ.get(name) or None


def switched_on(name: str) -> bool:
    """A switch's state: on unless set to ``0``."""
    if not _BY_NAME[name].switch:
        raise KeyError(f"{name} is not a switch")
    return os.environ.get(name, "1") != "0"
