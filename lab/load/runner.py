"""``lab load``: locust headless against the account, its stats CSV in the run folder, and the
emulator's own count of the requests it served."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
PROFILES_FILE = Path(__file__).with_name("profiles.yaml")


class LoadError(RuntimeError):
    """Locust failed or wrote no statistics."""


class LoadProfile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    users: int = Field(ge=1, le=10_000)
    spawn_rate: float = Field(gt=0)
    duration_s: int = Field(ge=1, le=86_400)


def profiles() -> dict[str, LoadProfile]:
    """The load profiles of ``profiles.yaml``."""
    raw = yaml.safe_load(PROFILES_FILE.read_text())
    return {name: LoadProfile.model_validate(value) for name, value in raw.items()}


@dataclass
class LoadResult:
    """What locust measured (Aggregated row) and what the emulator saw."""

    users: int
    duration_s: float
    requests: int
    failures: int
    requests_per_s: float
    p50_ms: float
    p95_ms: float
    emulator_requests: int | None
    emulator_requests_per_s: float | None
    stats_csv: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)


def _aggregated(stats_csv: Path) -> dict[str, str]:
    with stats_csv.open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row["Name"] == "Aggregated":
                return row
    raise LoadError(f"{stats_csv} has no Aggregated row")


def run_load(
    host: str,
    profile: LoadProfile,
    out_dir: Path,
    techniques: list[str] | None = None,
    count_requests=None,
) -> LoadResult:
    """Run locust headless at ``host`` for ``profile``; write ``locust_stats.csv`` (and locust's
    other CSVs) into ``out_dir``; ``count_requests()`` (optional) is the emulator's served-request
    counter, read before and after."""
    out_dir.mkdir(parents=True, exist_ok=True)
    env = (
        {**os.environ, "LAB_LOAD_TECHNIQUES": ",".join(techniques or [])}
        if techniques
        else {**os.environ}
    )
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        host,
        "--users",
        str(profile.users),
        "--spawn-rate",
        str(profile.spawn_rate),
        "--run-time",
        f"{profile.duration_s}s",
        "--stop-timeout",
        "10",
        "--csv",
        str(out_dir / "locust"),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    before = count_requests() if count_requests else None
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - started
    after = count_requests() if count_requests else None
    stats_csv = out_dir / "locust_stats.csv"
    (out_dir / "locust.log").write_text(result.stdout + result.stderr)
    if not stats_csv.exists():
        raise LoadError(
            f"locust wrote no statistics (exit {result.returncode}):\n{result.stderr[-2000:]}"
        )
    row = _aggregated(stats_csv)
    served = None if before is None else after - before
    return LoadResult(
        users=profile.users,
        duration_s=round(elapsed, 1),
        requests=int(row["Request Count"]),
        failures=int(row["Failure Count"]),
        requests_per_s=round(float(row["Requests/s"]), 2),
        p50_ms=float(row["50%"]),
        p95_ms=float(row["95%"]),
        emulator_requests=served,
        emulator_requests_per_s=None if served is None else round(served / elapsed, 2),
        stats_csv=str(stats_csv),
    )
