"""Prowler's findings (OCSF) as rows: check, status, severity, resource, compliance controls;
and the reasons the mutelist gives for the findings it mutes."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

SEVERITIES = ("Critical", "High", "Medium", "Low", "Informational")
FSBP = "AWS-Foundational-Security-Best-Practices"
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
