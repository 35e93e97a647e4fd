"""Run Prowler (the open-source AWS CSPM, https://github.com/prowler-cloud/prowler) against an
account: the emulator (through the standard ``AWS_ENDPOINT_URL``) or a real one.

Prowler pulls every cloud's SDK (about 2.3 GB): it lives in a venv of its own, ``.venv-prowler``
at the repository's root (``make prowler``), or wherever ``LAB_PROWLER`` points (the ``prowler``
executable)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lab import settings
from lab.emulator.endpoints import Endpoints
from lab.lock import pins
from lab.paths import REPO_ROOT

PROWLER_ENV = settings.Settings.variable("prowler")
EMULATOR_SITE = Path(__file__).with_name("emulator_site")  # its sitecustomize.py: S3 Control
MUTELIST = Path(__file__).with_name("mutelist.yaml")  # reviewed findings, each with its reason
DESCRIBED_DIR = REPO_ROOT / ".work" / "prowler"  # what an installed Prowler has (_described)
# The check set changes between releases: results name the version they used, the one its lock
# (requirements/prowler.txt, which `make prowler` installs) pins.
PINNED = pins((REPO_ROOT / "requirements" / "prowler.txt").read_text())["prowler"]
INSTALL_HINT = (
    f"Prowler is not installed: run `make prowler` (a venv of its own, .venv-prowler, with "
    f"prowler=={PINNED} from requirements/prowler.txt; about 2.3 GB), or point {PROWLER_ENV} at a "
    "prowler executable."
)


class ProwlerError(RuntimeError):
    """Prowler is missing or its scan failed (the message says which, and what to do)."""


@dataclass(frozen=True)
class Scan:
    """One Prowler scan: its findings (OCSF dicts), the version that ran, and its wall time."""

    findings: list[dict[str, Any]]
    version: str
    wall_s: float


def executable() -> Path:
    """The prowler executable, or ``ProwlerError`` with how to install it."""
    configured = settings.current().prowler
    candidates = [configured] if configured else [REPO_ROOT / ".venv-prowler/bin/prowler"]
    if not configured and (found := shutil.which("prowler")):
        candidates.append(Path(found))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise ProwlerError(INSTALL_HINT)


def version() -> str:
    """The installed Prowler's version (``5.46.0``)."""
    return _described()["version"]


def unknown(services: list[str] | None, checks: list[str] | None) -> list[str]:
    """The names in ``services`` and ``checks`` this Prowler does not have (its AWS check ids
    begin with their service's name)."""
    if not services and not checks:
        return []
    known = set(_described()["checks"])
    known_services = {check.split("_", 1)[0] for check in known}
    return [f"service {s}" for s in services or [] if s not in known_services] + [
        f"check {c}" for c in checks or [] if c not in known
    ]


def _described() -> dict[str, Any]:
    """The installed Prowler's version and AWS check ids, asked once per installation and kept
    under ``.work/prowler/`` (each question starts Prowler: 3 to 13 s of CPU, paid by every
    manifest and every refused check). Keyed by the executable's path, size and modification
    time, which a reinstall changes."""
    binary = executable()
    stat = binary.stat()
    key = hashlib.sha256(f"{binary.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    kept = DESCRIBED_DIR / f"{key.hexdigest()[:24]}.json"
    try:
        return json.loads(kept.read_text())
    except (OSError, ValueError):
        pass
    described = {"version": _ask_version(binary), "checks": sorted(_ask_checks(binary))}
    with contextlib.suppress(OSError):  # a cache: never fatal
        kept.parent.mkdir(parents=True, exist_ok=True)
        staging = kept.with_suffix(f".{os.getpid()}.tmp")
        staging.write_text(json.dumps(described))
        staging.replace(kept)
    return described


def _ask_version(binary: Path) -> str:
    out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=120)
    words = out.stdout.split()
    if out.returncode != 0 or not words:
        raise ProwlerError(f"`prowler --version` failed: {out.stderr.strip()[-500:]}")
    return words[-1]


def _ask_checks(binary: Path) -> list[str]:
    out = subprocess.run(
        [str(binary), "aws", "--list-checks-json"], capture_output=True, text=True, timeout=300
    )
    try:
        return list(json.loads(out.stdout)["aws"])
    except (ValueError, KeyError) as exc:
        raise ProwlerError(f"`prowler aws --list-checks-json` failed: {out.stderr[-500:]}") from exc


@contextlib.contextmanager
def quiet_emulator() -> Iterator[None]:
    """Prowler calls many APIs moto does not implement: each is an error answer to Prowler (which
    records the check as failed to run), not a traceback on the terminal."""
    logger = logging.getLogger("werkzeug")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def scan(
    endpoints: Endpoints,
    out_dir: Path,
    *,
    services: list[str] | None = None,
    checks: list[str] | None = None,
    actor_name: str = "observer",
) -> Scan:
    """Scan the account ``endpoints`` points at (its region only) and return every finding.

    On the emulator: any key pair works; one attempt per call (retries only back off on calls the
    emulator does not implement); security groups nothing uses are scanned too (the lab's accounts
    have few resources, and an attacker's open group is one of them); botocore's host prefixes
    are off and S3 Control's requests go to the emulator's address (its endpoint rules put the
    account id in front of the host, which does not resolve on 127.0.0.1, and the account's
    public-access-block checks would go missing without a word: ``emulator_site``)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    command = [
        str(executable()),
        "aws",
        "--region",
        endpoints.region,
        "--no-banner",
        "--output-formats",
        "json-ocsf",
        "--output-directory",
        str(out_dir),
        "--output-filename",
        "scan",
        "--ignore-exit-code-3",  # exit code 3 means "some check failed": that is a result
        "--scan-unused-services",
        "--mutelist-file",
        str(MUTELIST),
    ]
    if services:
        command += ["--services", *services]
    if checks:
        command += ["--checks", *checks]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    if endpoints.emulated:
        command += ["--aws-retries-max-attempts", "1"]
        cli = endpoints.cli_env(actor_name)
        env |= {k: v for k, v in cli.items() if k.startswith("AWS_")}
        env |= {
            "AWS_DISABLE_HOST_PREFIX_INJECTION": "true",
            "AWS_MAX_ATTEMPTS": "1",
            "LAB_EMULATOR_HOST": urlsplit(endpoints.url or "").hostname or "",
            "PYTHONPATH": str(EMULATOR_SITE),
        }
    else:
        env |= {k: v for k, v in os.environ.items() if k.startswith("AWS_")}
    started = time.monotonic()
    with quiet_emulator() if endpoints.emulated else contextlib.nullcontext():
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=3600)
    wall_s = time.monotonic() - started
    (out_dir / "prowler.log").write_text(result.stdout + result.stderr)
    report = out_dir / "scan.ocsf.json"
    if result.returncode == 0 and not report.is_file() and "no findings" in result.stdout:
        return Scan([], version(), wall_s)  # nothing to report on: Prowler writes no report
    if result.returncode != 0 or not report.is_file():
        raise ProwlerError(
            f"prowler exited with code {result.returncode}; its output is in "
            f"{out_dir / 'prowler.log'}: {result.stderr.strip()[-800:]}"
        )
    text = report.read_text().strip()
    findings = json.loads(text) if text else []
    found_version = findings[0]["metadata"]["product"]["version"] if findings else version()
    return Scan(findings, found_version, wall_s)
