"""One account's posture against another's (Prowler's findings, ``lab.prowler.findings``).

An architecture's posture is read against the same empty account: what it fails that the empty
account did not (its own resources and settings), and the account-level checks it makes pass
(a trail, GuardDuty, Config, the CIS alarms). Checks whose result the emulator decides, not the
architecture, are listed apart with the reason (``artefacts.yaml``), never counted."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from lab.prowler.findings import SEVERITIES, Finding

ARTEFACTS_FILE = Path(__file__).with_name("artefacts.yaml")


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
