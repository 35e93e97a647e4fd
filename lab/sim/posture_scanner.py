"""Prowler (``lab.prowler``) as the scanner of the posture scans (``lab.sim.posture_scans``): one
targeted scan of the account now, its findings as the simulation reads them."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

from lab.emulator.endpoints import Endpoints
from lab.prowler.findings import from_ocsf
from lab.prowler.tool import scan
from lab.sim.posture_scans import PostureFinding, Scanner


def prowler_scanner(endpoints: Endpoints, workdir: Path) -> Scanner:
    """A scanner running Prowler's ``checks`` against ``endpoints`` (reports under ``workdir``)."""

    counter = itertools.count()

    def run(checks: list[str]) -> list[PostureFinding]:
        # A folder per scan: Prowler appends to a report file that is already there.
        out_dir = workdir / f"scan-{next(counter)}"
        findings = [from_ocsf(f) for f in scan(endpoints, out_dir, checks=checks).findings]
        shutil.rmtree(out_dir, ignore_errors=True)
        return [
            PostureFinding(f.check, f.resource, f.status, f.severity, f.title) for f in findings
        ]

    return Scanner(run)
