"""The architectures the lab compares, by name."""

from __future__ import annotations

import re
from typing import Any

from lab.architectures.base import Architecture
from lab.architectures.manual import MANUAL_DETECTORS, ManualArchitecture
from lab.architectures.serverless import ServerlessArchitecture
from lab.paths import TERRAFORM_DIR

ARCHITECTURES = ("manual", "serverless")
# Architectures whose trials may be split across workers, each with its own account and deployment:
# the manual baseline deploys in seconds; a Terraform apply of the serverless stack takes a minute.
SPLITTABLE = frozenset({"manual"})


def build(name: str, run_id: str, options: dict[str, Any] | None = None) -> Architecture:
    """The architecture ``name`` with scenario options (Terraform variables or cron schedule)."""
    options = dict(options or {})
    if name == "serverless":
        return ServerlessArchitecture(variables=options, run_id=run_id)
    if name == "manual":
        return ManualArchitecture(run_id=run_id, **options)
    raise KeyError(f"unknown architecture {name!r}; known: {', '.join(ARCHITECTURES)}")


# Terraform variables the lab sets itself for every deployment (not scenario options).
_LAB_SET_VARIABLES = {"aws_region", "aws_endpoint_url", "run_id", "functions_build_dir"}
MANUAL_OPTIONS = ("cron_schedule", "detectors")


def serverless_options() -> list[str]:
    """The serverless stack's Terraform variables a scenario may set (``terraform/variables.tf``)."""
    text = (TERRAFORM_DIR / "variables.tf").read_text()
    declared = re.findall(r'^variable "([a-z0-9_]+)"', text, flags=re.M)
    return sorted(set(declared) - _LAB_SET_VARIABLES)


def options_problem(name: str, options: dict[str, Any]) -> str | None:
    """Why ``options`` cannot configure architecture ``name`` (None: they can), naming what can."""
    if name == "manual":
        unknown = sorted(set(options) - set(MANUAL_OPTIONS))
        if unknown:
            return f"manual has no option {unknown}; its options: {list(MANUAL_OPTIONS)}"
        detectors = options.get("detectors", list(MANUAL_DETECTORS))
        if not isinstance(detectors, list) or any(d not in MANUAL_DETECTORS for d in detectors):
            return (
                f"manual detectors {detectors!r}: a list of {list(MANUAL_DETECTORS)} "
                "(a detector the manual architecture cannot have, e.g. a Lambda, is not one)"
            )
        return None
    if name == "serverless":
        unknown = sorted(set(options) - set(serverless_options()))
        if unknown:
            return f"serverless has no variable {unknown}; its variables: {serverless_options()}"
        return None
    return f"unknown architecture {name!r}; known: {', '.join(ARCHITECTURES)}"
