"""Prowler's findings (OCSF) as rows, and one account's posture against another's.

An architecture's posture is read against the same empty account: what it fails that the empty
account did not (its own resources and settings), and the account-level checks it makes pass
(a trail, GuardDuty, Config, the CIS alarms). Checks whose result the emulator decides, not the
architecture, are listed apart with the reason (``artefacts.yaml``), never counted."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

SEVERITIES = ("Critical", "High", "Medium", "Low", "Informational")
FSBP = "AWS-Foundational-Security-Best-Practices"
ARTEFACTS_FILE = Path(__file__).with_name("artefacts.yaml")
MUTELIST_FILE = Path(__file__).with_name("mutelist.yaml")


@dataclass(frozen=True)
class Finding:
    """One check's result on one resource."""

    check: str
    status: str  # PASS, FAIL, MANUAL, MUTED (a FAIL the mutelist names, with its reason)
    severity: str
    service: str
    resource: str
    title: str
    cis: str  # the newest CIS AWS Foundations Benchmark version Prowler maps, with its controls
    fsbp: str  # AWS Foundational Security Best Practices controls

    @property
    def key(self) -> tuple[str, str]:
        return self.check, self.resource

    def row(self) -> dict[str, Any]:
        return asdict(self)


def from_ocsf(finding: dict[str, Any]) -> Finding:
    """A row from one of Prowler's OCSF findings."""
    compliance = (finding.get("unmapped") or {}).get("compliance") or {}
    resources = finding.get("resources") or [{}]
    return Finding(
        check=finding["metadata"]["event_code"],
        status="MUTED" if finding.get("status") == "Suppressed" else finding["status_code"],
        severity=finding.get("severity") or "Informational",
        service=(finding.get("finding_info", {}).get("analytic") or {}).get("category", ""),
        resource=resources[0].get("uid") or resources[0].get("name") or "",
        title=finding.get("finding_info", {}).get("title", ""),
        cis=_newest_cis(compliance),
        fsbp=", ".join(compliance.get(FSBP, [])),
    )


def _newest_cis(compliance: dict[str, list[str]]) -> str:
    versions = [
        (tuple(int(n) for n in re.findall(r"\d+", k)), k)
        for k in compliance
        if re.fullmatch(r"CIS-\d+(\.\d+)*", k)
    ]
    if not versions:
        return ""
    _, name = max(versions)
    return f"{name.replace('-', ' ')}: {', '.join(compliance[name])}"


@lru_cache(maxsize=1)
def muted_reasons() -> dict[str, str]:
    """Checks the mutelist names (some of their resources): check id -> the written reason."""
    data = yaml.safe_load(MUTELIST_FILE.read_text()) or {}
    checks: dict[str, str] = {}
    for account in (data.get("Mutelist", {}).get("Accounts") or {}).values():
        for check, entry in (account.get("Checks") or {}).items():
            checks[check] = " ".join(str(entry.get("Description", "")).split())
    return checks


@lru_cache(maxsize=1)
def artefacts() -> dict[str, str]:
    """Checks whose result on the emulator is the emulator's doing: check id -> why."""
    data = yaml.safe_load(ARTEFACTS_FILE.read_text()) or []
    return {entry["check"]: entry["reason"] for entry in data}


@dataclass
class Posture:
    """One architecture's scan read against the empty account's."""

    architecture: str
    fails: list[Finding]  # FAIL here, not in the empty account: the architecture's own
    fixed: list[Finding]  # checks the empty account failed and this one passes (one row each)
    artefacts: list[Finding]  # new FAILs the emulator decides (see ``artefacts.yaml``)
    muted: list[Finding]  # new FAILs the mutelist names (``mutelist.yaml``, with the reasons)
    checks: int  # checks with a result in this scan

    def by_severity(self) -> dict[str, int]:
        return {s: sum(f.severity == s for f in self.fails) for s in SEVERITIES}


def compare(architecture: str, empty: list[Finding], scanned: list[Finding]) -> Posture:
    """``scanned`` (the account with ``architecture`` deployed) against ``empty``."""
    failed_before = {f.key for f in empty if f.status == "FAIL"}
    muted_before = {f.key for f in empty if f.status == "MUTED"}
    new = [f for f in scanned if f.status == "FAIL" and f.key not in failed_before]
    # An account-level check names another resource once it passes (the account's trail, not
    # "no trail"): a check is fixed when the empty account failed it and this one fails it nowhere.
    failing_now = {f.check for f in scanned if f.status == "FAIL"}
    passing_now = {f.check: f for f in scanned if f.status == "PASS"}
    fixed_checks = {f.check for f in empty if f.status == "FAIL"} - failing_now
    fixed = [passing_now[c] for c in sorted(fixed_checks) if c in passing_now]
    known = artefacts()
    return Posture(
        architecture=architecture,
        fails=sorted((f for f in new if f.check not in known), key=_order),
        fixed=sorted(fixed, key=_order),
        artefacts=sorted((f for f in new if f.check in known), key=_order),
        muted=sorted(
            (f for f in scanned if f.status == "MUTED" and f.key not in muted_before), key=_order
        ),
        checks=len({f.check for f in scanned}),
    )


def _order(finding: Finding) -> tuple[int, str, str]:
    rank = SEVERITIES.index(finding.severity) if finding.severity in SEVERITIES else 9
    return rank, finding.check, finding.resource
