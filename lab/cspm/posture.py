"""Each architecture's own posture: open a fresh emulated account, scan it empty with Prowler,
deploy the architecture, scan again, and read the second scan against the first
(``findings.compare``): the same account before and after, so its default resources (VPC, subnets,
security group, network ACL) are the same resources in both scans."""

from __future__ import annotations

import csv
import json
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pandas as pd
import yaml

from lab.architectures import snapshot
from lab.architectures.registry import build
from lab.cspm.compare import Posture, artefacts, compare
from lab.emulator import EmulatorServer
from lab.experiment.manifest import git_commit, versions, write_manifest
from lab.prowler import tool
from lab.prowler.findings import Finding, from_ocsf, muted_reasons

SEED = 20260105
RUN_ID = "cspm"
SCOPE_FILE = Path(__file__).with_name("scope.yaml")
# As in the ready-made scenarios; the posture does not depend on them.
OPTIONS: dict[str, dict[str, Any]] = {
    "manual": {},
    "serverless": {"alert_email": "security@example.com"},
}


def default_services() -> list[str]:
    """The Prowler services scanned by default (``scope.yaml``)."""
    return list(yaml.safe_load(SCOPE_FILE.read_text())["services"])


def _without_builtin_images() -> Any:
    """moto's EC2 makes ~1,300 public AMIs and their snapshots on first use unless told not to;
    a real account has none of its own, and Prowler's snapshot checks would fail on them."""
    return patch.dict(os.environ, {"MOTO_EC2_LOAD_DEFAULT_AMIS": "false"})


def run_posture(
    architectures: list[str],
    out_dir: Path,
    services: list[str] | None = None,
    checks: list[str] | None = None,
    say: Callable[[str], None] = lambda _: None,
) -> tuple[Path, list[Posture]]:
    """Scan the empty account and each architecture's; write the results into a new folder of
    ``out_dir``; return it and each architecture's posture."""
    tool.executable()  # missing: one clear error before anything is deployed or written
    if not_there := tool.unknown(services, checks):
        raise ValueError(f"Prowler {tool.version()} has no {', '.join(not_there)}")
    started = time.monotonic()
    run_dir = out_dir / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    run_dir.mkdir(parents=True, exist_ok=False)
    scope = {"services": services, "checks": checks} if checks else {"services": services}
    write_manifest(
        run_dir / "manifest.json",
        {
            "kind": "cspm",
            "architectures": architectures,
            "scope": scope,
            "seed": SEED,
            "git": git_commit(),
            "versions": versions() | {"prowler": tool.version()},
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        },
    )
    scans: dict[str, list[Finding]] = {}
    walls: dict[str, float] = {}
    try:
        with _without_builtin_images(), EmulatorServer() as emulator:
            for name in architectures:

                def open_account() -> None:
                    emulator.reset()
                    emulator.ids.mask(RUN_ID)
                    emulator.open_account(SEED)

                open_account()
                for account in (f"{name}:empty", name):
                    arch = None
                    if account == name:
                        say(f"deploying {name}")
                        arch = build(name, RUN_ID, OPTIONS.get(name, {}))
                        workdir = run_dir / "work" / name
                        snapshot.deploy(arch, emulator, workdir, {"seed": SEED}, open_account)
                    say(f"scanning the {account} account with Prowler")
                    scan = tool.scan(
                        emulator.endpoints,
                        run_dir / account.replace(":", "-"),
                        services=services,
                        checks=checks,
                    )
                    scans[account] = [from_ocsf(f) for f in scan.findings]
                    walls[account] = round(scan.wall_s, 1)
                    if arch is not None:
                        arch.destroy(emulator.endpoints, run_dir / "work" / name)
    except BaseException as exc:
        # Kept, with each scan's prowler.log, and marked: a reader never takes it for a result.
        write_manifest(run_dir / "manifest.json", {"status": "failed", "error": str(exc)[:2000]})
        raise
    postures = [compare(name, scans[f"{name}:empty"], scans[name]) for name in architectures]
    _write(run_dir, postures, scans)
    write_manifest(
        run_dir / "manifest.json",
        {"scan_wall_s": walls, "wall_s": round(time.monotonic() - started, 1), "status": "done"},
    )
    return run_dir, postures


def summary(postures: list[Posture]) -> pd.DataFrame:
    """One row per architecture: its own FAILs by severity, what it fixes, artefacts, checks."""
    return pd.DataFrame(
        [
            {
                "architecture": p.architecture,
                **p.by_severity(),
                "fails": len(p.fails),
                "fixed": len(p.fixed),
                "artefacts": len(p.artefacts),
                "muted": len(p.muted),
                "checks": p.checks,
            }
            for p in postures
        ]
    )


def _write(run_dir: Path, postures: list[Posture], scans: dict[str, list[Finding]]) -> None:
    fields = ["architecture", "kind", *Finding.__dataclass_fields__, "reason"]
    reasons = artefacts() | muted_reasons()
    with (run_dir / "posture.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        for posture in postures:
            for kind, rows in (
                ("fails", posture.fails),
                ("fixed", posture.fixed),
                ("artefact", posture.artefacts),
                ("muted", posture.muted),
            ):
                for finding in rows:
                    writer.writerow(
                        {
                            "architecture": posture.architecture,
                            "kind": kind,
                            **finding.row(),
                            "reason": reasons.get(finding.check, "")
                            if kind in ("artefact", "muted")
                            else "",
                        }
                    )
    with (run_dir / "findings.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["account", *Finding.__dataclass_fields__])
        writer.writeheader()
        for account, findings in scans.items():
            for finding in findings:
                writer.writerow({"account": account, **finding.row()})
    table = summary(postures)
    (run_dir / "summary.json").write_text(
        json.dumps(table.to_dict(orient="records"), indent=2) + "\n"
    )
