"""The architectures the lab compares, by name: its own two, Cloud Custodian, and the stacks teams
register."""

from __future__ import annotations

import re
from typing import Any

from croniter import croniter

from lab.architectures.base import BUILT_IN, OWN, Architecture
from lab.architectures.custodian import CustodianArchitecture
from lab.architectures.manual import DEFAULT_CRON_SCHEDULE, MANUAL_DETECTORS, ManualArchitecture
from lab.architectures.own_stack import stack_architecture, stack_options_problem
from lab.architectures.serverless import ServerlessArchitecture
from lab.architectures.stacks import StackError, find, registered
from lab.architectures.terraform_variables import value_problem, variables

ARCHITECTURES = OWN
# Architectures whose trials may be split across workers, each with its own account and deployment:
# the manual baseline deploys in seconds. A Terraform apply takes a minute, but a replayable
# architecture restores its kept deploy in about a second (``splits_on_one_machine``).
SPLITTABLE = frozenset({"manual"})


# Keys of a scenario's arm that are not the architecture's options.
ARM_KEYS = ("architecture", "factors")


def arm_base(name: str, options: dict[str, Any] | None) -> str:
    """The architecture an arm of a scenario deploys: its ``architecture:`` key, else its name."""
    return str((options or {}).get("architecture", name))


def arm_options(options: dict[str, Any] | None) -> dict[str, Any]:
    """An arm's options for its architecture (without ``architecture`` and ``factors``)."""
    return {k: v for k, v in (options or {}).items() if k not in ARM_KEYS}


def known() -> list[str]:
    """Every architecture a scenario may name: the built-in ones, then the registered stacks."""
    return [*BUILT_IN, *(n for n in registered() if n not in BUILT_IN)]


def build(name: str, run_id: str, options: dict[str, Any] | None = None) -> Architecture:
    """The architecture of arm ``name`` (``manual``, ``serverless``, ``custodian``, a registered stack, or an arm
    whose ``architecture:`` says which) with its scenario options (Terraform variables, detectors...)."""
    base, variables = arm_base(name, options), arm_options(options)
    if base == "serverless":
        return ServerlessArchitecture(variables=variables, run_id=run_id)
    if base == "manual":
        return ManualArchitecture(run_id=run_id, **variables)
    if base == "custodian":
        return CustodianArchitecture(run_id=run_id, **variables)
    spec = find(base)
    if spec is not None:
        return stack_architecture(spec, run_id, variables)
    raise KeyError(f"unknown architecture {base!r}; known: {', '.join(known())}")


# Terraform variables the lab sets itself for every deployment (not scenario options).
_LAB_SET_VARIABLES = {"aws_region", "aws_endpoint_url", "run_id", "functions_build_dir"}
MANUAL_OPTIONS = ("cron_schedule", "detectors", "alert_phone")
CUSTODIAN_OPTIONS = ("alert_phone",)
E164 = re.compile(r"\+[1-9][0-9]{1,14}")  # a phone number as SNS takes it


def serverless_options() -> list[str]:
    """The serverless stack's Terraform variables a scenario may set (``terraform/variables.tf``)."""
    return sorted(set(variables()) - _LAB_SET_VARIABLES)


def arm_problem(name: str, options: dict[str, Any]) -> str | None:
    """Why arm ``name`` of a scenario is not valid (None: it is): its architecture, its options,
    its factors (a mapping of factor name to level)."""
    base = arm_base(name, options)
    if base not in known():
        return (
            f"architecture {base!r} unknown; give 'architecture:' one of "
            f"{known()} (an arm not named after its architecture needs it; "
            "`lab stack add` registers a stack of your own)"
        )
    factors = (options or {}).get("factors", {})
    if not isinstance(factors, dict) or not all(
        isinstance(v, str | int | float | bool) for v in factors.values()
    ):
        return "factors must map a factor's name to its level, e.g. response: person"
    return options_problem(base, arm_options(options))


def options_problem(name: str, options: dict[str, Any]) -> str | None:
    """Why ``options`` cannot configure architecture ``name`` (None: they can), naming what can."""
    phone = options.get("alert_phone")
    if phone is not None and not (isinstance(phone, str) and E164.fullmatch(phone)):
        return f"alert_phone {phone!r} is not an E.164 number, e.g. '+15555550100'"
    if name == "manual":
        unknown = sorted(set(options) - set(MANUAL_OPTIONS))
        if unknown:
            return f"manual has no option {unknown}; its options: {list(MANUAL_OPTIONS)}"
        schedule = options.get("cron_schedule", DEFAULT_CRON_SCHEDULE)
        if not isinstance(schedule, str) or not croniter.is_valid(schedule):
            return (
                f"manual cron_schedule {schedule!r} is not a cron expression, e.g. '*/5 * * * *' "
                "(minute hour day-of-month month day-of-week)"
            )
        detectors = options.get("detectors", list(MANUAL_DETECTORS))
        if not isinstance(detectors, list) or any(d not in MANUAL_DETECTORS for d in detectors):
            return (
                f"manual detectors {detectors!r}: a list of {list(MANUAL_DETECTORS)} "
                "(a detector the manual architecture cannot have, e.g. a Lambda, is not one)"
            )
        return None
    if name == "custodian":
        unknown = sorted(set(options) - set(CUSTODIAN_OPTIONS))
        return (
            f"custodian has no option {unknown}; its options: {list(CUSTODIAN_OPTIONS)}"
            if unknown
            else None
        )
    if name == "serverless":
        unknown = sorted(set(options) - set(serverless_options()))
        if unknown:
            return f"serverless has no variable {unknown}; its variables: {serverless_options()}"
        for variable, value in options.items():
            if variable in variables():
                problem = value_problem(variable, value)
                if problem:
                    return f"serverless {problem}"
        return None
    try:
        spec = find(name)
    except StackError as exc:
        return str(exc)
    if spec is not None:
        return stack_options_problem(spec, options)
    return f"unknown architecture {name!r}; known: {', '.join(known())}"


def splits_on_one_machine(name: str, options: dict[str, Any] | None = None) -> bool:
    """May arm ``name``'s trials be split across the workers of one machine, each deploying it in
    an account of its own? The manual baseline deploys in seconds; a replayable architecture
    (``lab.architectures.snapshot``) is restored from its kept deploy in about a second, once the
    first worker made it (the others wait for it), unless kept deploys are off."""
    from lab.architectures import snapshot

    if arm_base(name, options) in SPLITTABLE:
        return True
    if snapshot.snapshots_dir() is None:
        return False
    return bool(getattr(build(name, snapshot.SENTINEL, options), "replayable", False))
