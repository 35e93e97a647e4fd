"""Which runbook the person runs for an alert: the one it names, or the one the index maps it to.

The manual detectors name their runbook in the alert (``run: runbooks/X.sh ARGS``). Every other
alert carries the event that raised it (``cli-baseline/runbooks/index.yaml`` says how), and the
person maps it the way a responder would: CloudTrail event name, GuardDuty finding type or AWS
Config rule or Prowler check (also inside a Security Hub import) -> runbook, its arguments read
from the event. So a person acts on every alert that
reaches them, whichever architecture sent it.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lab.engines.custodian_message import as_event_message
from lab.sim.eventbridge import json_path

RUNBOOK_LINE = re.compile(r"run: runbooks/([\w.-]+\.sh)((?: [\w:/.-]+)*)")
# The orchestrator's own words for "already fixed" and "being fixed by automation".
HANDLED_STATUSES = {"remediated", "remediating", "compliant", "ignored"}
# The serverless stack's line for a runbook that did not succeed (terraform/modules/automation,
# ``runbook_failed``): "[lab] runbook <runbook> <status> (execution <execution>): ...".
FAILED_RUNBOOK_LINE = re.compile(
    r"runbook ([\w.-]+) (Failed|TimedOut|Cancelled) \(execution ([\w-]+)\)"
)
WHEN_KEYS = (
    "eventName",
    "findingType",
    "configRule",
    "userIdentityType",
    "prowlerCheck",
    "securityControl",
    "alarmNamespace",
)
# What a runbook that looks for the events behind an alert (``then: index``) prints for each one
# it found: the person answers each as the index says.
FOUND_EVENT = "event: "


@dataclass(frozen=True)
class Order:
    """What the person will run: ``runbook`` (a file of the runbooks folder) with ``args``."""

    runbook: str
    args: tuple[str, ...]
    then_index: bool = False  # the runbook finds events (``FOUND_EVENT``): each is answered next


@dataclass(frozen=True)
class Entry:
    key: str
    value: str
    runbook: str
    args: tuple[str, ...]
    then_index: bool = False


@functools.cache
def load_index(path: Path) -> tuple[Entry, ...]:
    """The index file's entries, checked: one known ``when`` key each, a runbook, argument paths."""
    entries = []
    for number, raw in enumerate(yaml.safe_load(path.read_text()) or [], start=1):
        when = raw.get("when") or {}
        if len(when) != 1 or next(iter(when)) not in WHEN_KEYS or not raw.get("runbook"):
            raise ValueError(
                f"{path} entry {number}: needs one 'when' key of {list(WHEN_KEYS)} and a runbook"
            )
        if raw.get("then", "index") != "index":
            raise ValueError(f"{path} entry {number}: 'then' can only be 'index'")
        ((key, value),) = when.items()
        entries.append(
            Entry(key, str(value), raw["runbook"], tuple(raw.get("args") or ()), "then" in raw)
        )
    return tuple(entries)


def resource_id(resource: str) -> str:
    """The id at the end of a resource's ARN (``arn:aws:ec2:...:security-group/sg-1`` -> ``sg-1``),
    the argument the runbooks take."""
    return resource.rsplit("/", 1)[-1].rsplit(":", 1)[-1]


# A finding's GeneratorId prefix -> the fact the index matches: a Prowler FAIL (as the manual scan
# report reads it) or a Security Hub control check (``security-control/EC2.19``).
_GENERATORS = {"prowler-": "prowlerCheck", "security-control/": "securityControl"}


def _hub_detail(finding: dict[str, Any]) -> dict[str, Any] | None:
    """A Prowler FAIL or a Security Hub control failure imported into the hub (ASFF): the check
    and the resource."""
    generator = str(finding.get("GeneratorId", ""))
    resources = finding.get("Resources") or [{}]
    for prefix, fact in _GENERATORS.items():
        if generator.startswith(prefix) and resources[0].get("Id"):
            resource = str(resources[0]["Id"])
            return {
                fact: generator.removeprefix(prefix),
                "resource": resource,
                "resourceId": resource_id(resource),
            }
    return None


@dataclass(frozen=True)
class FailedRunbook:
    """A runbook the automation started that did not succeed (``FAILED_RUNBOOK_LINE``)."""

    runbook: str
    status: str
    execution: str


def failed_runbook(message: str) -> FailedRunbook | None:
    """The failed runbook an alert reports, or None."""
    found = FAILED_RUNBOOK_LINE.search(message)
    return FailedRunbook(*found.groups()) if found else None


def started_execution(message: str) -> str | None:
    """The Automation execution an orchestrator's alert says it started (its
    ``automationExecutionId``), or None."""
    try:
        document = json.loads(message)
    except ValueError:
        return None
    if not isinstance(document, dict):
        return None
    execution = document.get("automationExecutionId")
    return str(execution) if execution else None


def _event_detail(
    message: str, automation_failed: bool = False
) -> tuple[dict[str, Any] | None, bool]:
    """The detail of the event behind an alert, and whether the alert says it is handled
    (``automation_failed``: the runbook it says is fixing it failed, so "remediating" is not)."""
    message = as_event_message(message) or message  # Cloud Custodian's, as c7n-mailer shows it
    try:
        document = json.loads(message)
    except ValueError:
        return None, False
    if isinstance(document, dict) and isinstance(document.get("Trigger"), dict):
        # A CloudWatch alarm's notification: acted on when it went into ALARM.
        return document, document.get("NewStateValue") != "ALARM"
    if not isinstance(document, dict) or not isinstance(document.get("detail"), dict):
        return None, False
    handled = document.get("status") in HANDLED_STATUSES - (
        {"remediating"} if automation_failed else set()
    )
    detail = document["detail"]
    if document.get("detail-type") == "Config Rules Compliance Change":
        result = detail.get("newEvaluationResult") or {}
        handled = handled or result.get("complianceType") != "NON_COMPLIANT"
    if document.get("detail-type") == "Security Hub Findings - Imported":
        finding = (detail.get("findings") or [{}])[0]
        handled = handled or (finding.get("Workflow") or {}).get("Status") != "NEW"
        # GuardDuty's and Config's own alerts reach the person directly; their imports answer no
        # entry (reviewed). A scanner's FAIL and a control's failure arrive only through the hub.
        return _hub_detail(finding), handled
    return detail, handled


def _facts(detail: dict[str, Any]) -> dict[str, str]:
    facts = {}
    if "eventName" in detail:
        facts["eventName"] = str(detail["eventName"])
        facts["userIdentityType"] = str((detail.get("userIdentity") or {}).get("type", ""))
    if "type" in detail and "resource" in detail:  # a GuardDuty finding
        facts["findingType"] = str(detail["type"])
    if "configRuleName" in detail:
        facts["configRule"] = str(detail["configRuleName"])
    if "prowlerCheck" in detail:  # a posture scan's FAIL (lab.sim.posture_scans)
        facts["prowlerCheck"] = str(detail["prowlerCheck"])
    if "securityControl" in detail:  # a Security Hub control's failure
        facts["securityControl"] = str(detail["securityControl"])
    if isinstance(detail.get("Trigger"), dict):  # an alarm on a metric (a CIS metric filter's)
        facts["alarmNamespace"] = str(detail["Trigger"].get("Namespace", ""))
    return facts


def found_events(stdout: str) -> list[str]:
    """The events a ``then: index`` runbook printed, each as an alert's message."""
    return [
        line.removeprefix(FOUND_EVENT)
        for line in stdout.splitlines()
        if line.startswith(FOUND_EVENT)
    ]


def runbook_order(message: str, index_path: Path, automation_failed: bool = False) -> Order | None:
    """The runbook an alert calls for, or None: nothing to run (already handled, or no entry).
    ``automation_failed``: the automation the alert says is fixing it failed; the person answers
    the event as if no automation had run."""
    named = RUNBOOK_LINE.search(message)
    if named:
        return Order(named.group(1), tuple(named.group(2).split()))
    detail, handled = _event_detail(message, automation_failed)
    if detail is None or handled:
        return None
    facts = _facts(detail)
    for entry in load_index(index_path):
        fact = facts.get(entry.key)
        matches = fact is not None and (
            fact.endswith(entry.value) if entry.key == "configRule" else fact == entry.value
        )
        if not matches:
            continue
        args = [json_path(detail, f"$.{path}") for path in entry.args]
        if all(isinstance(a, str | int) and str(a) for a in args):
            return Order(entry.runbook, tuple(str(a) for a in args), entry.then_index)
    return None
