"""The run's manifest: what ran, with what, from which commit; enough to reproduce it."""

from __future__ import annotations

import importlib.metadata
import json
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lab.paths import REPO_ROOT

_PACKAGES = (
    "aws-serverless-security-monitoring",
    "moto",
    "boto3",
    "botocore",
    "awscli",
    "simpy",
    "numpy",
    "pandas",
    "matplotlib",
    "pydantic",
)


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def _terraform_version() -> dict[str, Any] | None:
    from lab.architectures.terraform_runner import TerraformError, find_terraform

    try:
        out = subprocess.run(
            [find_terraform(), "version", "-json"],
            capture_output=True,
            text=True,
            timeout=30,
            env={"CHECKPOINT_DISABLE": "1", "PATH": "/usr/bin:/bin"},
        )
        return json.loads(out.stdout).get("terraform_version")
    except (TerraformError, ValueError, OSError, subprocess.SubprocessError):
        return None


def git_commit() -> dict[str, Any]:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10
        ).stdout.strip()

    try:
        return {
            "commit": git("rev-parse", "HEAD") or None,
            "dirty": bool(git("status", "--porcelain")),
        }
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def versions() -> dict[str, Any]:
    """The interpreter, the main packages, the lock they were installed from, terraform, the
    attack catalog's version and digest, the registered stacks' digests."""
    from lab.architectures.own_stack import stack_digests
    from lab.attacks.registry import catalog_version
    from lab.lock import lock_state

    return {
        "python": platform.python_version(),
        "packages": {p: _version(p) for p in _PACKAGES},
        "lock": lock_state().as_manifest(),
        "terraform": _terraform_version(),
        "platform": platform.platform(),
        "catalog": catalog_version(),
        "stacks": stack_digests(),
    }


def write_manifest(path: Path, fields: dict[str, Any]) -> dict[str, Any]:
    """Write (or update) ``manifest.json`` atomically; return its content."""
    current = json.loads(path.read_text()) if path.exists() else {}
    current |= fields
    current["updated_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(current, indent=2, sort_keys=True, default=str) + "\n")
    tmp.replace(path)
    return current
