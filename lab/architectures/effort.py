"""What it takes to build each architecture: steps, commands, lines of configuration, the API calls
and writes its deployment makes, and how long it takes, measured on the emulated account and
modelled for AWS (adding what the emulator does not wait for: instance boot and user data, IAM
propagation; both from the calibration, with sources)."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from lab.architectures.registry import build
from lab.emulator.server import EmulatorServer
from lab.paths import CLI_BASELINE_DIR, FUNCTIONS_DIR, TERRAFORM_DIR
from lab.sim.calibration import Calibration
from lab.sim.operator import count_commands

DEPLOYER = {"manual": "baseline", "serverless": "terraform"}
# How ``lab effort`` titles the columns of ``measure``'s rows.
COLUMN_TITLES = {
    "architecture": "arch",
    "manual_steps": "steps",
    "declared": "declared",
    "config_files": "files",
    "config_lines": "lines",
    "runbook_lines": "runbook lines",
    "api_calls": "API calls",
    "writes": "writes",
    "deploy_emulator_s": "deploy s (emulator)",
    "deploy_aws_modelled_s": "deploy s (AWS model)",
}
_STEP = re.compile(r'^log "(\d+[a-z]?)\.', re.M)
_RESOURCE = re.compile(r'^resource "', re.M)


def config_lines(paths: list[Path]) -> int:
    """Lines that say something: neither blank nor a comment."""
    return sum(
        1
        for path in paths
        for line in path.read_text().splitlines()
        if line.strip() and not line.strip().startswith(("#", "//"))
    )


def static_effort(name: str) -> dict[str, Any]:
    """What the sources of the architecture say (no deployment needed)."""
    if name == "manual":
        deploy = (CLI_BASELINE_DIR / "deploy.sh").read_text()
        build_files = [
            *CLI_BASELINE_DIR.glob("*.sh"),
            *(CLI_BASELINE_DIR / "detectors").rglob("*.sh"),
            *(CLI_BASELINE_DIR / "agent").glob("*"),
            *(CLI_BASELINE_DIR / "policies").glob("*"),
        ]
        # The runbooks, their pages and index, and the checks they share (runbooks/lib/).
        runbooks = sorted(p for p in (CLI_BASELINE_DIR / "runbooks").rglob("*") if p.is_file())
        return {
            "manual_steps": len(_STEP.findall(deploy)),
            "declared": f"{count_commands(deploy)} aws commands",
            "config_files": len(build_files),
            "config_lines": config_lines(build_files),
            "runbook_lines": config_lines(runbooks),
        }
    tf_files = sorted(TERRAFORM_DIR.rglob("*.tf"))
    code = sorted(p for p in FUNCTIONS_DIR.rglob("*") if p.suffix in (".py", ".json"))
    return {
        "manual_steps": 2,  # terraform init, terraform apply
        "declared": f"{sum(len(_RESOURCE.findall(p.read_text())) for p in tf_files)} resource blocks",
        "config_files": len(tf_files) + len(code),
        "config_lines": config_lines([*tf_files, *code]),
        "runbook_lines": 0,
    }


def measure(name: str, workdir: Path, calibration: Calibration | None = None) -> dict[str, Any]:
    """Deploy ``name`` into a fresh emulated account, measure it, destroy it."""
    calibration = calibration or Calibration.load()
    row: dict[str, Any] = {"architecture": name, **static_effort(name)}
    with EmulatorServer() as emulator:
        emulator.reset()
        architecture = build(name, "effort", {})
        started = time.perf_counter()
        architecture.deploy(emulator.endpoints, workdir / name)
        wall_s = time.perf_counter() - started
        calls = [r for r in emulator.recorder.drain() if r["lab"]["actor"] == DEPLOYER[name]]
        architecture.destroy(emulator.endpoints, workdir / name)
    waits = (
        calibration.constant("ec2_boot_and_bootstrap_s")
        if name == "manual"
        else calibration.constant("iam_propagation_s")
    )
    row |= {
        "api_calls": len(calls),
        "writes": sum(1 for r in calls if not r["readOnly"] and not r.get("errorCode")),
        "deploy_emulator_s": round(wall_s, 1),
        "deploy_aws_modelled_s": round(wall_s + float(waits), 1),
    }
    return row
